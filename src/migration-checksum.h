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

/* The checksum Prisma records for a script: its SHA-256 as 64 lowercase hex
 * digits. Returns 0, or -1 with a one-line error. */
int migration_checksum_of(const char *script, size_t len, char hex[65], char *error, size_t error_size);

/* The script's bytes against checksum (hex, either case). Returns 0 with
 * *matches set, or -1 with a one-line error (libcrypto not loadable, no
 * memory). */
int migration_checksum_matches(const char *script, size_t len, const char *checksum, bool *matches, char *error,
                               size_t error_size);

/* The same for the file at path. -1 also when it cannot be read. */
int migration_checksum_file_matches(const char *path, const char *checksum, bool *matches, char *error,
                                    size_t error_size);

#endif
