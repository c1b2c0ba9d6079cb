#!/usr/bin/env bash
# Installs the Debian packages that building and testing prisma-entrypoint
# needs, when they are missing. Needs root (or sudo) only when something is.
set -euo pipefail

packages=(
	gcc make pkg-config
	libpq-dev libcurl4-openssl-dev libinih-dev libssl-dev
	libcmocka-dev python3-pytest python3-pexpect
	valgrind cppcheck clang-format clang libclang-rt-14-dev libfuzzer-14-dev black flake8
	util-linux procps postgresql postgresql-client openssl
	tini dumb-init hyperfine wait-for-it
	podman runc pgbouncer
	musl-tools dpkg-dev perl patch xz-utils bzip2 debootstrap docker-compose
	python3-yaml python3-kubernetes
)

missing=()
for package in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
# Node.js and npm run the real Prisma CLI in the generate tests. Checked by
# command, not by package: a nodejs package from elsewhere (NodeSource) ships
# npm inside and conflicts with Debian's npm package. The Prisma 7 fixture
# (tests/fixtures/app7) needs Node.js 20.19 or later, which this machine's
# NodeSource package has and Debian 12's 18.20 has not: its tests then fail,
# saying so. Both fixtures are installed by the tests themselves (npm ci from
# their lockfiles, cached: tests/integration/npm_app.py).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	missing+=(nodejs npm)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
	sudo=()
elif command -v sudo >/dev/null; then
	sudo=(sudo)
else
	echo "install-deps: missing packages and not root: apt-get install ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q "${missing[@]}"
