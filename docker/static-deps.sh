#!/usr/bin/env bash
# Builds the libraries the static prisma-entrypoint links (OpenSSL, libpq,
# libcurl) with musl, from Debian's source packages, and prints the folder
# that holds them (include/ and lib/) as the last line on stdout.
#
# The result is cached outside the clone, under
#   ${PE_STATIC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/prisma-entrypoint/static-deps}/KEY
# where KEY is a digest of the Debian versions of those libraries, of musl
# and of this script (which holds every flag): the same versions and flags
# build once per machine. Needs: musl-tools, dpkg-dev (dpkg-source), perl,
# make, and the package lists of an `apt-get update`. inih is not built:
# Debian's libinih.a references nothing musl's libc.a lacks, so it is linked
# as Debian ships it.
set -euo pipefail

cache_root=${PE_STATIC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/prisma-entrypoint/static-deps}
jobs=$(nproc 2>/dev/null || echo 2)

say() { printf 'static-deps: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# source package -> the binary package whose candidate version names it.
# These are Debian 12 (bookworm) names; another release names them otherwise.
declare -A binary_of=([openssl]=libssl3 [postgresql-15]=libpq5 [curl]=libcurl4)
sources=(openssl postgresql-15 curl)

# The version apt would install, else the one installed (package lists may
# be missing on a machine that never ran apt-get update).
candidate() {
	local version
	version=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2; exit }')
	if [ -z "$version" ] || [ "$version" = "(none)" ]; then
		version=$(dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true)
	fi
	printf '%s' "$version"
}

case $(uname -m) in
x86_64) openssl_target=linux-x86_64 ;;
aarch64) openssl_target=linux-aarch64 ;;
*) die "no OpenSSL target known for $(uname -m): add it to ${0##*/}" ;;
esac

for tool in musl-gcc dpkg-source perl make flock; do
	command -v "$tool" >/dev/null || die "$tool is missing: apt-get install musl-tools dpkg-dev perl make"
done
inih_archive=$(find /usr/lib -name libinih.a -print -quit 2>/dev/null || true)
[ -n "$inih_archive" ] && [ -f /usr/include/ini.h ] || die "libinih.a is missing: apt-get install libinih-dev"

key_text="script $(sha256sum "$0" | cut -c1-64)"
declare -A offered
for package in "${sources[@]}"; do
	version=$(candidate "${binary_of[$package]}")
	offered[$package]=$version
	[ -n "$version" ] ||
		die "no version of ${binary_of[$package]} in the package lists: run apt-get update (the script" \
			"knows Debian 12 (bookworm), whose libpq comes from postgresql-15)"
	key_text+=" $package=$version"
done
key_text+=" musl=$(candidate musl-dev) inih=$(dpkg-query -W -f='${Version}' libinih-dev 2>/dev/null)"
key=$(printf '%s' "$key_text" | sha256sum | cut -c1-16)
prefix="$cache_root/$key"

# One build per key at a time: a second `make static` waits for the first.
mkdir -p "$cache_root"
exec 9>"$prefix.lock"
flock 9
if [ -f "$prefix/.complete" ]; then
	say "cached: $prefix"
	printf '%s\n' "$prefix"
	exit 0
fi

started=$SECONDS
work="$cache_root/$key.work"
rm -rf "$work" "$prefix"
# A failed build leaves nothing behind (the sources alone are 400 MB).
trap 'rm -rf "$work"; [ -f "$prefix/.complete" ] || rm -rf "$prefix"' EXIT
mkdir -p "$work" "$prefix/include" "$prefix/lib"
say "building into $prefix ($key_text)"

# A private apt configuration with deb-src entries for the system's own
# mirrors, so that nothing of the system's apt setup is changed.
apt_dir="$work/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/sources.list.d"
: >"$apt_dir/sources.list"
for file in /etc/apt/sources.list.d/*.sources; do
	[ -f "$file" ] && sed 's/^Types:.*$/Types: deb-src/' "$file" >"$apt_dir/sources.list.d/$(basename "$file")"
done
for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
	[ -f "$file" ] && sed -n 's/^deb \(.*\)$/deb-src \1/p' "$file" >>"$apt_dir/sources.list"
done
apt_options=(
	-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
	-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o "APT::Sandbox::User=root"
)
apt-get "${apt_options[@]}" -q update >&2

# The newest version of a source package that the mirror really serves (a
# suite's index can name files the mirror does not hold).
fetch_source() {
	local package=$1 version
	for version in $(apt-cache "${apt_options[@]}" showsrc "$package" | awk '/^Version:/ { print $2 }' |
		sort -u | sort -r -V); do
		if (cd "$work" && apt-get "${apt_options[@]}" -q source --download-only "$package=$version" >&2); then
			(cd "$work" && dpkg-source --no-check -x "${package}_${version#*:}.dsc" "$package" >&2)
			echo "$package $version" >>"$prefix/versions"
			[ "$version" = "${offered[$package]}" ] ||
				say "$package: apt offers ${offered[$package]}, but its source cannot be downloaded; built $version"
			return 0
		fi
		say "$package $version could not be downloaded; trying an older version"
	done
	die "no source of $package could be downloaded"
}

# musl's headers do not include the kernel's; OpenSSL and curl want a few.
kernel_headers="$work/kernel-headers"
mkdir -p "$kernel_headers"
ln -s /usr/include/linux /usr/include/asm-generic "$kernel_headers/"
ln -s "/usr/include/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)/asm" "$kernel_headers/asm"

export CC=musl-gcc
# Sections per function let the final link drop what prisma-entrypoint never
# calls. -O2, not -Os: every login runs SCRAM's 4096 HMAC rounds through
# OpenSSL, and -Os made that 12% more instructions for 450 kB less.
export CFLAGS="-O2 -fPIC -ffunction-sections -fdata-sections"
export CPPFLAGS="-idirafter $kernel_headers -I$prefix/include"
export LDFLAGS="-L$prefix/lib"

for package in "${sources[@]}"; do
	fetch_source "$package"
done

say "OpenSSL"
(
	cd "$work/openssl"
	# Only what TLS clients of PostgreSQL and HTTPS servers need.
	./Configure "$openssl_target" --prefix="$prefix" --libdir=lib --openssldir=/etc/ssl \
		no-shared no-module no-dso no-engine no-tests no-afalgeng no-async no-comp \
		no-legacy no-ssl3 no-weak-ssl-ciphers no-srp no-psk no-dtls no-sctp no-srtp no-cms no-ts \
		no-idea no-mdc2 no-rc2 no-rc4 no-rc5 no-md4 no-whirlpool no-seed no-camellia no-aria no-sm2 \
		no-sm3 no-sm4 no-siphash no-blake2 no-des no-bf no-cast no-gost no-ui-console no-ktls >&2
	make -j"$jobs" build_libs >&2
	make install_dev >&2
)

say "libpq"
(
	cd "$work/postgresql-15"
	./configure --prefix="$prefix" --without-readline --without-zlib --without-icu --without-llvm \
		--without-gssapi --without-ldap --without-pam --without-systemd --without-lz4 --without-zstd \
		--with-ssl=openssl >&2
	# The headers that src/port and src/common include are generated first:
	# in parallel, libpq's own prerequisites would race for them.
	make -C src/backend generated-headers >&2
	make -C src/interfaces/libpq -j"$jobs" all-static-lib >&2
	# By hand: a Debian patch makes `make install` in src/common and src/port
	# write into system paths whatever --prefix says.
	cp src/interfaces/libpq/libpq.a src/common/libpgcommon_shlib.a src/port/libpgport_shlib.a "$prefix/lib/"
	cp src/interfaces/libpq/libpq-fe.h src/include/postgres_ext.h src/include/pg_config_ext.h "$prefix/include/"
)

say "libcurl"
(
	cd "$work/curl"
	# Debian's tree is patched for its GnuTLS and NSS flavours; taking those
	# two patches back gives the OpenSSL one.
	for patch in 99_nss.patch 90_gnutls.patch; do
		[ -f "debian/patches/$patch" ] || die "curl's debian/patches/$patch is gone: see how Debian builds" \
			"its OpenSSL flavour now"
		patch -R -p1 <"debian/patches/$patch" >&2
	done
	# Patched build files must not make make regenerate the build system.
	touch aclocal.m4 configure Makefile.in lib/Makefile.in src/Makefile.in include/curl/Makefile.in
	./configure --prefix="$prefix" --disable-shared --enable-static --with-openssl="$prefix" \
		--enable-http --disable-ftp --disable-file --disable-ldap --disable-ldaps --disable-rtsp \
		--disable-dict --disable-telnet --disable-tftp --disable-pop3 --disable-imap --disable-smb \
		--disable-smtp --disable-gopher --disable-mqtt --disable-manual --disable-ntlm --disable-ntlm-wb \
		--disable-unix-sockets \
		--without-libpsl --without-brotli --without-zstd --without-nghttp2 --without-libidn2 \
		--without-librtmp --without-zlib --without-libssh2 --without-ca-bundle --without-ca-path \
		--without-ca-fallback >&2
	make -C lib -j"$jobs" >&2
	make -C lib install >&2
	make -C include install >&2
)

cp /usr/include/ini.h "$prefix/include/"
cp "$inih_archive" "$prefix/lib/"
echo "libinih-dev $(dpkg-query -W -f='${Version}' libinih-dev)" >>"$prefix/versions"
touch "$prefix/.complete"
say "built in $((SECONDS - started)) s: $(tr '\n' ' ' <"$prefix/versions")"
printf '%s\n' "$prefix"
