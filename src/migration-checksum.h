/* Whether an applied migration's migration.sql is still the script that was
 * applied: its SHA-256 against the checksum Prisma recorded in
 * _prisma_migrations. As Prisma's own history check does, the file with its
 * line ends turned into LF, or into CRLF, matches too (a checkout on another
 * system). SHA-256 comes from libcrypto (crypto-lib.h). */
#ifndef PE_MIGRATION_CHECKSUM_H
#define PE_MIGRATION_CHECKSUM_H

#include <stdbool.h>
#include <stddef.h>

/* The largest migration.sql read (whole, into memory). */
#define MIGRATION_FILE_MAX (256 * 1024 * 1024)

struct evp_md_ctx_st;
struct evp_md_st;

/* What checking many scripts shares: SHA-256 fetched from libcrypto once and
 * one digest context (a start checks every applied migration, and fetching
 * the algorithm costs more than the digest of a small file). */
struct migration_checksummer {
	struct evp_md_ctx_st *ctx;
	struct evp_md_st *sha256;
};

/* Returns 0, or -1 with a one-line error (libcrypto not loadable, no
 * memory). */
int migration_checksummer_init(struct migration_checksummer *checksummer, char *error, size_t error_size);

void migration_checksummer_release(struct migration_checksummer *checksummer);

/* The checksum Prisma records for a script: its SHA-256 as 64 lowercase hex
 * digits. Returns 0, or -1 with a one-line error. */
int migration_checksum_of(struct migration_checksummer *checksummer, const char *script, size_t len, char hex[65],
                          char *error, size_t error_size);

/* The script's bytes against checksum (hex, either case). Returns 0 with
 * *matches set, or -1 with a one-line error (no memory). */
int migration_checksum_matches(struct migration_checksummer *checksummer, const char *script, size_t len,
                               const char *checksum, bool *matches, char *error, size_t error_size);

/* The same for the file at path. -1 also when it cannot be read. */
int migration_checksum_file_matches(struct migration_checksummer *checksummer, const char *path, const char *checksum,
                                    bool *matches, char *error, size_t error_size);

struct stat;

/* The same for path relative to dirfd, filling *st with the file's stat as
 * it was read (verified-migrations.h keys what it vouches for by it). */
int migration_checksum_file_matches_at(struct migration_checksummer *checksummer, int dirfd, const char *path,
                                       const char *checksum, bool *matches, struct stat *st, char *error,
                                       size_t error_size);

#endif
