/* The platform as Prisma 6 names it for its native engines (its "binary
 * target": debian-openssl-3.0.x, linux-musl-openssl-3.0.x,
 * linux-arm64-openssl-1.1.x, rhel-openssl-1.0.x, ...), found without Node the
 * way @prisma/get-platform 6.19 finds it:
 *
 *   - the distro from ID and ID_LIKE in <root>/etc/os-release: alpine is
 *     musl; debian, ubuntu and their likes are debian (arch too); rhel,
 *     centos, fedora and their likes (suse included) are rhel; raspbian is
 *     arm; nixos is linux-nixos; anything else falls back to debian;
 *   - the libssl version from the first libssl.so.N file (by name, libssl.so.0
 *     skipped) in the distro's library folders (alpine: /lib, /usr/lib;
 *     debian: /usr/lib/<machine>-linux-gnu, /lib/<machine>-linux-gnu; rhel:
 *     /lib64, /usr/lib64), else the names the dynamic linker's cache
 *     (<root>/etc/ld.so.cache) holds, else /lib64, /usr/lib64, /lib,
 *     /usr/lib; 1.x keeps its minor (1.0.x, 1.1.x), 3 and later are 3.0.x;
 *     none found is 1.1.x, as Prisma defaults. Prisma's last resort, running
 *     `openssl version`, is not taken: an image with an openssl program and
 *     no libssl.so file has no engine that loads anyway;
 *   - the architecture from uname's machine (x86_64, aarch64, armv7l).
 *
 * Pure apart from reading files under root, so tests point it at a made-up
 * tree and machine. */
#ifndef PE_ENGINE_TARGET_H
#define PE_ENGINE_TARGET_H

#include <stddef.h>

struct engine_target {
	char name[64];      /* "linux-musl-openssl-3.0.x" */
	char distro[64];    /* os-release's ID ("alpine"), "" when unknown */
	char libssl[8];     /* "3.0.x", "1.1.x", "1.0.x"; "" when none found (name uses 1.1.x) */
	char libssl_by[64]; /* where libssl was found: a folder, "/etc/ld.so.cache", or "not found" */
	char machine[65];   /* uname's machine ("x86_64") */
};

/* Fills target for the system under root ("/" or "": the real one) and
 * machine (NULL: uname()'s). Never fails: what cannot be read is unknown,
 * and unknown parts take Prisma's defaults. */
void engine_target_detect(const char *root, const char *machine, struct engine_target *target);

#endif
