#!/usr/bin/env bash
# Makes sure the base images the Dockerfiles name are there, for an engine
# (docker or podman, $1) on a machine that may not reach a container registry:
# the real image is pulled when it can be; an image already present is used
# when not; else a stand-in is made here under the official name:
#   debian:bookworm-slim   a Debian root made by debootstrap from the machine's
#                          own Debian mirror
#   node:22-bookworm-slim  built from it with Debian's nodejs (node.Dockerfile)
#   postgres:16            built from it with Debian's PostgreSQL 15
#                          (postgres.Dockerfile, postgres-entrypoint.sh)
# so that the Dockerfiles stay exactly what a user builds against the real
# images. Stand-ins carry the label org.prisma-entrypoint.stand-in=true, and
# every run tries to pull the real image over them again, so a pull that
# failed once (no network, a rate limit) does not leave them for good.
set -euo pipefail
engine=${1:?usage: base-images.sh docker|podman [BUILD OPTIONS...]}
shift
build_options=("$@")
here=$(cd "$(dirname "$0")" && pwd)
stand_in_label=org.prisma-entrypoint.stand-in

say() { printf 'base-images: %s\n' "$*" >&2; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# 0: the image is there (pulled now, or present and real); 1: it must be made.
pulled_or_real() {
	local image=$1 label
	label=$("$engine" image inspect --format "{{ index .Config.Labels \"$stand_in_label\" }}" "$image" 2>/dev/null) ||
		label=missing
	[ "$label" = "true" ] || [ "$label" = missing ] || return 0
	if "$engine" pull -q "$image" >/dev/null 2>"$scratch/pull.err"; then
		say "pulled $image"
		return 0
	fi
	if [ "$label" = true ]; then
		say "using the stand-in $image made earlier (pull: $(tail -n 1 "$scratch/pull.err"))"
		return 0
	fi
	say "cannot pull $image: $(tail -n 1 "$scratch/pull.err")"
	return 1
}

# The first Debian mirror apt is configured with (deb822 or one-line form,
# options in brackets skipped), or nothing.
debian_mirror() {
	local file
	for file in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$file" ] || continue
		case $file in
		*.sources) awk '/^URIs:/ { print $2 }' "$file" ;;
		*) sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\).*/\2/p' "$file" ;;
		esac
	done | awk 'NR == 1'
}

debian=docker.io/library/debian:bookworm-slim
if ! pulled_or_real "$debian"; then
	mirror=$(debian_mirror)
	[ -n "$mirror" ] || { say "error: no Debian mirror is configured here to make $debian from"; exit 1; }
	command -v debootstrap >/dev/null || { say "error: apt-get install debootstrap, to make $debian"; exit 1; }
	say "making a stand-in for $debian with debootstrap from $mirror"
	debootstrap --variant=minbase bookworm "$scratch/root" "$mirror" >&2
	tar -C "$scratch/root" -c . | "$engine" import --change "LABEL $stand_in_label=true" - "$debian" >/dev/null
	rm -rf "$scratch/root"
fi

node=docker.io/library/node:22-bookworm-slim
if ! pulled_or_real "$node"; then
	say "building a stand-in for $node with Debian's nodejs"
	mkdir "$scratch/node"
	cp "$here/node.Dockerfile" "$scratch/node/Dockerfile"
	cp /etc/ssl/certs/ca-certificates.crt "$scratch/node/" 2>/dev/null || : >"$scratch/node/ca-certificates.crt"
	"$engine" build "${build_options[@]}" --label "$stand_in_label=true" -t "$node" "$scratch/node" >&2
fi

postgres=docker.io/library/postgres:16
if ! pulled_or_real "$postgres"; then
	say "building a stand-in for $postgres with Debian's PostgreSQL"
	mkdir "$scratch/postgres"
	cp "$here/postgres.Dockerfile" "$scratch/postgres/Dockerfile"
	cp "$here/postgres-entrypoint.sh" "$scratch/postgres/"
	"$engine" build "${build_options[@]}" --label "$stand_in_label=true" -t "$postgres" "$scratch/postgres" >&2
fi
