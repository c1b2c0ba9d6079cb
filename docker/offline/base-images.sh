#!/usr/bin/env bash
# Makes sure the base images the Dockerfiles name are there, for an engine
# (docker or podman, $1) on a machine that may not reach a container registry:
# an image already present is used; else it is pulled; else it is made here:
#   debian:bookworm-slim   a Debian root made by debootstrap from the machine's
#                          own Debian mirror, imported under the official name
#   node:22-bookworm-slim  built from it with Debian's nodejs (offline/node.Dockerfile)
# so that the Dockerfiles stay exactly what a user builds against the real images.
set -euo pipefail
engine=${1:?usage: base-images.sh docker|podman [BUILD OPTIONS...]}
shift
build_options=("$@")
here=$(cd "$(dirname "$0")" && pwd)

say() { printf 'base-images: %s\n' "$*" >&2; }

present_or_pulled() {
	"$engine" image inspect "$1" >/dev/null 2>&1 && return 0
	if "$engine" pull -q "$1" >/dev/null 2>&1; then
		say "pulled $1"
		return 0
	fi
	return 1
}

debian=docker.io/library/debian:bookworm-slim
if ! present_or_pulled "$debian"; then
	mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
	[ -n "$mirror" ] || { say "error: $debian cannot be pulled and no Debian mirror is configured here"; exit 1; }
	command -v debootstrap >/dev/null || { say "error: $debian cannot be pulled: apt-get install debootstrap"; exit 1; }
	root=$(mktemp -d)
	trap 'rm -rf "$root"' EXIT
	say "$debian cannot be pulled: making it with debootstrap"
	debootstrap --variant=minbase bookworm "$root" "$mirror" >&2
	tar -C "$root" -c . | "$engine" import - "$debian" >/dev/null
	rm -rf "$root"
fi

node=docker.io/library/node:22-bookworm-slim
if ! present_or_pulled "$node"; then
	say "$node cannot be pulled: building a stand-in with Debian's nodejs"
	context=$(mktemp -d)
	trap 'rm -rf "$context"' EXIT
	cp "$here/node.Dockerfile" "$context/Dockerfile"
	cp /etc/ssl/certs/ca-certificates.crt "$context/" 2>/dev/null || : >"$context/ca-certificates.crt"
	"$engine" build "${build_options[@]}" -t "$node" "$context" >&2
fi
