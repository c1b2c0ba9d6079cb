#!/usr/bin/env bash
# `make demo`: the development loop of compose-examples/dev, run for real and
# narrated with timings. A scratch project (docker/example's app with the dev
# example's compose.yaml and Dockerfile.dev) is started with compose; then the
# demo does what a user would do by hand: reads the app's answer and
# `prisma-entrypoint status`, edits the schema on the host, drops a migration
# in, and ends with `down`. Nothing is left running; the scratch folder and the
# compose project (containers, volumes, network) are removed, on failure and
# Ctrl-C too. Images stay (prisma-entrypoint-dev-demo:latest is the dev image):
# a second run builds nothing and takes well under a minute.
#
#   docker/demo.sh            # installs what is missing (as root), make image, then the demo
#   docker/demo.sh --no-build # the images exist already (the tests build them first)
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
WAIT_LIMIT=${DEMO_WAIT_LIMIT:-120} # seconds for any one step to show its outcome
build=yes
case ${1:-} in
--no-build) build=no ;;
'') ;;
*)
	echo "usage: $0 [--no-build]" >&2
	exit 2
	;;
esac

started=$(date +%s%N)
elapsed() { printf '%5.1f s' "$(($(date +%s%N) - started))e-9"; }
say() { printf 'demo [%s] %s\n' "$(elapsed)" "$*"; }
fail() {
	say "FAILED: $*"
	exit 1
}
# Lines of a command's output, indented under the narration.
indent() { sed 's/^/    | /'; }

# -- what the demo needs --------------------------------------------------------------------------
if [ $build = yes ]; then
	missing=
	for tool in make curl docker-compose python3; do
		command -v $tool >/dev/null || missing="$missing $tool"
	done
	command -v docker >/dev/null || command -v podman >/dev/null || missing="$missing podman"
	if [ -n "$missing" ]; then
		say "installing what is missing ($missing ) with tests/install-deps.sh"
		"$REPO/tests/install-deps.sh"
	fi
fi

scratch=$(mktemp -d /tmp/prisma-entrypoint-demo.XXXXXX)
# mktemp's six random letters, lowercased (compose's project names are).
project=demo-$(basename "$scratch" | sed 's/.*\.//' | tr '[:upper:]' '[:lower:]')
app=$scratch/app
compose=
cleanup() {
	status=$?
	trap - EXIT INT TERM
	if [ -n "$compose" ] && [ -f "$app/compose.yaml" ]; then
		(cd "$app" && $compose down -v --remove-orphans >/dev/null 2>&1) || true
	fi
	"$REPO/docker/offline/compose-engine.sh" stop "$scratch/engine" || true
	rm -rf "$scratch"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

engine_env=$("$REPO/docker/offline/compose-engine.sh" start "$scratch/engine") || fail "no container engine to run the demo on"
eval "$engine_env"
if docker compose version >/dev/null 2>&1; then
	compose="docker compose -p $project"
else
	compose="docker-compose -p $project"
fi
if [ "$PE_ENGINE" = podman ]; then # podman's API, started above
	engine="podman --runtime runc"
	build_flags="--network host"
else
	engine=docker
	build_flags=
fi
# The engine's API, for what compose does not say (what a project left behind).
case ${DOCKER_HOST:-} in
unix://*) socket=${DOCKER_HOST#unix://} ;;
*) socket=/var/run/docker.sock ;;
esac

if [ $build = yes ]; then
	# The image's build stage builds the static binary (docker/Dockerfile), and
	# the demo runs only images: a `make static` on the host first would build
	# OpenSSL, libpq and libcurl a second time for nothing.
	say "building the images, the static binary inside (make image; the first time takes minutes)"
	nice make -C "$REPO" --no-print-directory image ENGINE="${engine%% *}" IMAGE_BUILD_FLAGS="$build_flags" \
		>"$scratch/make.log" 2>&1 || { tail -n 30 "$scratch/make.log"; fail "make image failed"; }
	say "binary and images built"
fi

# -- the project, as a user has it ----------------------------------------------------------------
mkdir "$app"
cp -r "$REPO/docker/example/." "$app/"
rm "$app/Dockerfile" # the production image's; the dev example brings its own
cp "$REPO/compose-examples/dev/compose.yaml" "$REPO/compose-examples/dev/Dockerfile.dev" "$app/"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export APP_PORT=$port
# What this machine needs and a user does not: the image's name (one for every
# run, so that the second finds it built) and the build's network (the
# registries, through the host's network where the engine's bridge has none).
cat >"$app/compose.override.yaml" <<EOF
services:
  app:
    image: prisma-entrypoint-dev-demo:latest
    build:
      network: host
EOF
cd "$app"
say "compose project $project in $app: docker/example's app, compose.yaml and Dockerfile.dev of compose-examples/dev"

answer() { curl -s --max-time 2 "http://127.0.0.1:$port/" || true; }
# Waits until the app's answer contains $1.
wait_answer() {
	local deadline=$(($(date +%s) + WAIT_LIMIT)) body
	while :; do
		body=$(answer)
		case $body in *"$1"*) break ;; esac
		[ "$(date +%s)" -lt $deadline ] || {
			$compose logs --no-color app 2>&1 | tail -n 40 | indent
			fail "the app did not answer with $1 within $WAIT_LIMIT s (last answer: '${body}')"
		}
		sleep 0.2
	done
	say "the app answers: $body"
}
# prisma-entrypoint's own lines in the app's log from line $1 on: what
# `docker compose logs app` shows, read with the engine's own client, which
# answers in a fraction of compose's second (the demo polls it).
log_lines() { $engine logs "$app_id" 2>&1 | grep -a '^prisma-entrypoint:' | sed -n "$1,\$p"; }
log_count() { log_lines 1 | wc -l; }
# grep -q would end the pipe early (SIGPIPE: 141 under pipefail): reads it all.
log_has() { [ "$(log_lines "$1" | grep -c -- "$2")" -gt 0 ]; }
# Waits until prisma-entrypoint's log, from line $1 on, has a line matching $2.
wait_log() {
	local deadline=$(($(date +%s) + WAIT_LIMIT))
	until log_has "$1" "$2"; do
		[ "$(date +%s)" -lt $deadline ] || {
			log_lines 1 | tail -n 40 | indent
			fail "no '$2' in prisma-entrypoint's log within $WAIT_LIMIT s"
		}
		sleep 0.2
	done
}
status() {
	local out code=0
	out=$($compose exec -T app prisma-entrypoint status 2>&1) || code=$?
	say "docker compose exec app prisma-entrypoint status: exit $code"
	printf '%s\n' "$out" | indent
}

# -- 1. first start -------------------------------------------------------------------------------
say "step 1: docker compose up -d --build (APP_PORT=$port)"
$compose up -d --build >"$scratch/up.log" 2>&1 || { indent <"$scratch/up.log"; fail "compose up failed"; }
app_id=$($compose ps -q app)
db_id=$($compose ps -q db)
say "containers started"
wait_answer '"users":0'
say "what prisma-entrypoint did before starting the app:"
log_lines 1 | { grep -E 'ready after|install skipped|installed|generate skipped|generat|migrat|applied|started node|watching' || true; } | indent
status

# -- 2. an edit of the schema on the host ---------------------------------------------------------
mark=$(($(log_count) + 1))
say "step 2: on the host, add 'hostname String?' to model User in prisma/schema.prisma"
sed -i 's/^\(  name  String?\)$/\1\n  hostname String?/' prisma/schema.prisma
grep -q 'hostname String?' prisma/schema.prisma || fail "the schema edit did not apply"
wait_answer '"hostname"'
say "what prisma-entrypoint did (no restart of the container):"
log_lines "$mark" | indent
status

# -- 3. a new migration dropped in ----------------------------------------------------------------
mark=$(($(log_count) + 1))
migration=20261207120000_add_hostname
say "step 3: on the host, add the migration prisma/migrations/$migration"
mkdir -p "prisma/migrations/$migration.tmp"
printf -- '-- AlterTable\nALTER TABLE "User" ADD COLUMN "hostname" TEXT;\n' >"prisma/migrations/$migration.tmp/migration.sql"
mv "prisma/migrations/$migration.tmp" "prisma/migrations/$migration" # appears whole
wait_log "$mark" 'started node'
say "what prisma-entrypoint did:"
log_lines "$mark" | indent
wait_answer '"hostname"'
columns=$($compose exec -T db psql -U app -d app -tAc \
	"SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'User'" 2>&1) ||
	fail "psql failed: $columns"
say "the User table's columns in PostgreSQL: $columns"
status

# -- 4. down ---------------------------------------------------------------------------------------
say "step 4: docker compose down -v"
$compose stop >"$scratch/stop.log" 2>&1 || { indent <"$scratch/stop.log"; fail "compose stop failed"; }
say "app exited $($engine inspect -f '{{.State.ExitCode}}' "$app_id"), db exited $($engine inspect -f '{{.State.ExitCode}}' "$db_id")"
$compose down -v >"$scratch/down.log" 2>&1 || { indent <"$scratch/down.log"; fail "compose down failed"; }
left=
query="filters=%7B%22label%22%3A%5B%22com.docker.compose.project%3D$project%22%5D%7D"
for kind in 'containers/json?all=1&' 'volumes?' 'networks?'; do
	found=$(curl -s --unix-socket "$socket" "http://d/$kind$query" | python3 -c '
import json, sys
data = json.load(sys.stdin)
print(len(data["Volumes"] or [] if isinstance(data, dict) else data))')
	[ "$found" = 0 ] || left="$left $found ${kind%%[/?]*}"
done
[ -z "$left" ] || fail "left behind by down:$left"
say "down: no container, volume or network of the project is left"
say "done in $(elapsed)"
