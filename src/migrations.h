/* Prisma migrations: the migrations folder next to the schema, and how it
 * compares with the rows of the database's _prisma_migrations table.
 *
 * The comparison follows `prisma migrate deploy`: a migration folder is
 * pending when no row of that name has rolled_back_at NULL; a row with
 * finished_at and rolled_back_at both NULL is a failed migration, which stops
 * every later deploy (P3009); rows without a folder are ignored by deploy,
 * and counted here as unknown when applied (an older image on a newer
 * database). Nothing here
 * touches the database: pg-session.c reads the rows. */
#ifndef PE_MIGRATIONS_H
#define PE_MIGRATIONS_H

#include <stdbool.h>
#include <stddef.h>

/* One row of _prisma_migrations, as far as deploy's decision goes. */
struct migration_row {
	char *name;
	bool finished;    /* finished_at is set */
	bool rolled_back; /* rolled_back_at is set */
	char *logs;       /* the logs column ("" when NULL): why a failed one failed */
	char *checksum;   /* SHA-256 of migration.sql when it was applied, lowercase hex ("" when NULL) */
};

void migration_rows_free(struct migration_row *rows, size_t count);

/* The migration folders: every sub-folder of path (symbolic links and files
 * are skipped, as Prisma does), sorted by name in byte order. Prisma 6.6+
 * sorts with localeCompare; migration names start with a UTC timestamp, so
 * both orders agree on them. */
struct migrations_folder {
	char *path;
	char **names;
	size_t count;
};

/* Reads the folder at path. Returns 0, or -1 with a one-line error. */
int migrations_folder_read(const char *path, struct migrations_folder *folder, char *error, size_t error_size);

void migrations_folder_release(struct migrations_folder *folder);

/* Where the migrations folder is, for a schema at schema_path (a file or a
 * folder, relative to the working directory): configured when not NULL or
 * ""; else the schema's folder (the file's folder, or the schema folder
 * itself) + "/migrations"; else ./prisma/migrations. Writes the path into out
 * and returns 1 when it is a folder; 0 when there is none (a configured one
 * that is missing is none too: the caller says so); -1 with errno when out is
 * too small. */
int migrations_folder_find(const char *configured, const char *schema_path, char *out, size_t out_size);

/* How many names of a kind a one-line message shows before "and N more". */
#define MIGRATIONS_SHOWN 3

/* The folder against the rows. The names and first_failed point into folder
 * and rows (NULL when there is none). */
struct migrations_status {
	size_t applied; /* folders with a row that is not rolled back */
	size_t pending; /* folders deploy would apply */
	size_t failed;  /* rows that block deploy */
	size_t unknown; /* finished rows, not rolled back, with no folder of their name */
	const char *first_pending;
	const char *pending_shown[MIGRATIONS_SHOWN]; /* the first pending ones, in the order deploy applies them */
	const char *unknown_shown[MIGRATIONS_SHOWN]; /* the first unknown ones, in the order they were started */
	const struct migration_row *first_failed;
};

/* Whether the folder has a migration called name. */
bool migrations_folder_has(const struct migrations_folder *folder, const char *name);

/* The index of name in folder->names, or -1 when it is not there. */
long migrations_folder_index(const struct migrations_folder *folder, const char *name);

/* The names of the rows that count for deploy (not rolled back), sorted,
 * so that each folder is looked up in O(log rows): a start with thousands
 * of migrations stays linear-logarithmic instead of folders x rows. The
 * names point into the rows, which must outlive the lookup. */
struct migration_lookup {
	const char **names;
	size_t count;
};

/* Returns 0, or -1 with errno ENOMEM. */
int migration_lookup_init(struct migration_lookup *lookup, const struct migration_row *rows, size_t row_count);

void migration_lookup_release(struct migration_lookup *lookup);

/* Whether deploy would apply the migration folder called name: no row of
 * that name is left un-rolled-back. */
bool migrations_is_pending(const struct migration_lookup *lookup, const char *name);

/* Returns 0, or -1 with errno ENOMEM (status is then all zero). */
int migrations_compare(const struct migrations_folder *folder, const struct migration_row *rows, size_t row_count,
                       struct migrations_status *status);

#endif
