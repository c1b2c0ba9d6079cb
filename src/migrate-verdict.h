/* What the migrate phase does about a database, decided from what it read:
 * the migrations folder against the rows of _prisma_migrations
 * (migrations.h), whether those rows could be read at all, and whether
 * Prisma's own advisory lock is held; under the mode the settings ask for
 * (deploy, or wait for another process to deploy). Also whether the
 * migrations folder was made for the kind of database the URL names. Pure
 * functions: no I/O, no logging; the phase reads, logs and acts. */
#ifndef PE_MIGRATE_VERDICT_H
#define PE_MIGRATE_VERDICT_H

#include "migrations.h"

#include <stdbool.h>
#include <stddef.h>

enum migrate_verdict {
	MIGRATE_DEPLOY,   /* migrations are pending: run prisma migrate deploy */
	MIGRATE_SKIP,     /* every migration of the folder is applied */
	MIGRATE_UNREAD,   /* the rows could not be read: deploy, and let Prisma find out */
	MIGRATE_BUSY,     /* an unfinished row while Prisma's lock is held: it is being applied now, wait */
	MIGRATE_BLOCKED,  /* a failed migration blocks every later deploy (Prisma's P3009) */
	MIGRATE_WAIT,     /* wait mode: not all applied yet (or not readable yet): read again later */
	MIGRATE_UNKNOWN,  /* applied migrations the folder lacks, and unknown-migrations = error */
	MIGRATE_BASELINE, /* tables but no _prisma_migrations: deploy would stop (Prisma's P3005) */
};

/* What the settings ask for. */
struct migrate_policy {
	bool wait;             /* migrate-mode = wait: never deploy; wait until another process has */
	bool unknown_is_error; /* unknown-migrations = error */
	bool baseline_auto;    /* baseline = auto: BASELINE is for the caller to try, not an error */
};

/* What the phase read from the database. */
struct migrate_reading {
	bool read;        /* the rows were read; false: the rest is not looked at */
	bool table_found; /* _prisma_migrations exists (false: no rows) */
	bool prisma_busy; /* someone holds Prisma's advisory lock (a deploy at work) */
	/* Without _prisma_migrations: the tables and views already in the
	 * schema, and the first names ("Post, User"). */
	size_t schema_tables;
	char schema_tables_shown[256];
	struct migrations_status compared; /* migrations_compare() of the folder and the rows */
	/* Applied migrations whose migration.sql no longer has the checksum
	 * recorded when they were applied (when the reading looked). */
	size_t edited;
	const char *edited_shown[MIGRATIONS_SHOWN];
};

/* The verdict on reading, in this order: not read -> UNREAD; no
 * _prisma_migrations but tables in the schema -> BASELINE; a failed row
 * -> BUSY when Prisma's lock is held, else BLOCKED; unknown applied
 * migrations when policy->unknown_is_error -> UNKNOWN; nothing pending ->
 * SKIP; else DEPLOY. With policy->wait, UNREAD, BUSY and DEPLOY are WAIT,
 * with the reason they would have had. reason gets one line for the log:
 * DEPLOY "N migration(s) pending, first NAME" (or ", no _prisma_migrations
 * table yet"), UNREAD "the migrations table could not be read", BUSY the name
 * of the migration being applied (WAIT: "migration NAME is being applied"),
 * BLOCKED why it failed (migrate_failure_reason(), "" when its logs do not
 * say), UNKNOWN "N applied migration(s) not in the migrations folder: NAMES",
 * BASELINE "N table(s) (NAMES) but no _prisma_migrations"
 * (migrate_names_list()), SKIP "". */
enum migrate_verdict migrate_judge(const struct migrate_reading *reading, const struct migrate_policy *policy,
                                   char *reason, size_t reason_size);

/* The first names of a kind (shown: up to MIGRATIONS_SHOWN of count) on one
 * line: "A", "A, B", "A, B, C and 4 more". */
void migrate_names_list(const char *const *shown, size_t count, char *out, size_t size);

/* Whether migrations made for provider (migration_lock.toml's) can be applied
 * to the database url names: true when they fit, or when either is not one
 * this knows (the CLI judges those). False with *url_kind set to the kind of
 * database the URL names ("PostgreSQL", "MySQL", "SQLite", "SQL Server",
 * "MongoDB"). */
bool migrate_provider_fits(const char *provider, const char *url, const char **url_kind);

/* Why a failed migration failed, from the logs Prisma wrote into its row:
 * the database's message (the line after a "Database error:" line), else the
 * first line that is not Prisma's boilerplate ("A migration failed to
 * apply", "Migration name:", "Database error code:", a "Database error: ..."
 * line, "external connector error", a backtrace frame "0: ..."). Leading
 * blanks are dropped, the line is cut at 300 bytes. "" when there is none
 * (logs NULL or empty too). */
void migrate_failure_reason(const char *logs, char *out, size_t size);

#endif
