#!/usr/bin/env bash
# Gives a compose client (docker-compose, or docker compose) an engine to talk
# to: Docker's own when `docker info` answers; else podman's Docker-compatible
# API, started here as a service on a socket in FOLDER.
#
#   eval "$(docker/offline/compose-engine.sh start FOLDER)"   # exports PE_ENGINE=docker|podman, and
#                                                             # DOCKER_HOST, CONTAINERS_CONF for podman
#   docker/offline/compose-engine.sh stop FOLDER              # ends the service this started, if any
#
# The podman it starts uses runc and no default ulimits (containers.conf in
# FOLDER): machines whose crun rejects the cgroup layout, or that forbid
# raising RLIMIT_NOFILE, run containers that way, and others lose nothing.
set -euo pipefail
say() { printf 'compose-engine: %s\n' "$*" >&2; }
action=${1:?usage: compose-engine.sh start|stop FOLDER}
folder=${2:?usage: compose-engine.sh start|stop FOLDER}

case $action in
start)
	if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
		say "using Docker"
		echo "export PE_ENGINE=docker"
		exit 0
	fi
	command -v podman >/dev/null || { say "error: neither Docker nor podman is installed (apt-get install podman runc)"; exit 1; }
	mkdir -p "$folder"
	folder=$(cd "$folder" && pwd)
	printf '[containers]\ndefault_ulimits = []\n[engine]\nruntime = "runc"\n' >"$folder/containers.conf"
	socket=$folder/podman.sock
	CONTAINERS_CONF=$folder/containers.conf setsid podman system service --time=0 "unix://$socket" \
		>"$folder/podman-service.log" 2>&1 </dev/null &
	echo $! >"$folder/podman-service.pid"
	# A start that fails leaves no service behind.
	give_up() {
		say "error: $*"
		"$0" stop "$folder"
		exit 1
	}
	for _ in $(seq 300); do
		if curl -sf --unix-socket "$socket" http://d/_ping >/dev/null 2>&1; then
			say "using podman's Docker API on $socket"
			printf 'export PE_ENGINE=podman DOCKER_HOST=unix://%s CONTAINERS_CONF=%s\n' "$socket" "$folder/containers.conf"
			exit 0
		fi
		kill -0 "$(cat "$folder/podman-service.pid")" 2>/dev/null ||
			give_up "podman system service ended: $(tail -n 1 "$folder/podman-service.log")"
		sleep 0.1
	done
	give_up "podman's API did not answer on $socket within 30 s"
	;;
stop)
	pid_file=$folder/podman-service.pid
	[ -f "$pid_file" ] || exit 0
	pid=$(cat "$pid_file")
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$pid_file" "$folder/podman.sock"
	;;
*)
	say "error: unknown action '$action' (start or stop)"
	exit 2
	;;
esac
