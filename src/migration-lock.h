/* migration_lock.toml, which Prisma writes into the migrations folder: the
 * provider the migrations were made for (`provider = "postgresql"`). Prisma
 * refuses to deploy them to another kind of database (P3019); the migrate
 * phase says so before anything runs. */
#ifndef PE_MIGRATION_LOCK_H
#define PE_MIGRATION_LOCK_H

#include <stddef.h>

#define MIGRATION_LOCK_FILE "migration_lock.toml"

/* The provider named in text, a migration_lock.toml: the string value of the
 * first `provider` key outside any [table], comments and blanks skipped.
 * Returns 1 with it in provider, 0 when there is none (or it does not fit). */
int migration_lock_parse(const char *text, char *provider, size_t provider_size);

/* Reads folder_path/migration_lock.toml. Returns 1 with the provider, 0 when
 * the file does not exist or names none, -1 with a one-line error when it
 * cannot be read. */
int migration_lock_read(const char *folder_path, char *provider, size_t provider_size, char *error, size_t error_size);

#endif
