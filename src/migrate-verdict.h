/* What the migrate phase does about a database, decided from what it read:
 * the migrations folder against the rows of _prisma_migrations
 * (migrations.h), whether those rows could be read at all, and whether
 * Prisma's own advisory lock is held. Pure functions: no I/O, no logging;
 * the phase reads, logs and acts. */
#ifndef PE_MIGRATE_VERDICT_H
#define PE_MIGRATE_VERDICT_H

#include "migrations.h"

#include <stdbool.h>
#include <stddef.h>

enum migrate_verdict {
	MIGRATE_DEPLOY,  /* migrations are pending: run prisma migrate deploy */
	MIGRATE_SKIP,    /* every migration of the folder is applied */
	MIGRATE_UNREAD,  /* the rows could not be read: deploy, and let Prisma find out */
	MIGRATE_BUSY,    /* an unfinished row while Prisma's lock is held: it is being applied now, wait */
	MIGRATE_BLOCKED, /* a failed migration blocks every later deploy (Prisma's P3009) */
};

/* What the phase read from the database. */
struct migrate_reading {
	bool read;                         /* the rows were read; false: the rest is not looked at */
	bool table_found;                  /* _prisma_migrations exists (false: no rows) */
	bool prisma_busy;                  /* someone holds Prisma's advisory lock (a deploy at work) */
	struct migrations_status compared; /* migrations_compare() of the folder and the rows */
};

/* The verdict on reading, in this order: not read -> UNREAD; a failed row
 * -> BUSY when Prisma's lock is held, else BLOCKED; nothing pending -> SKIP;
 * else DEPLOY. reason gets one line for the log: DEPLOY "N migration(s)
 * pending, first NAME" (or ", no _prisma_migrations table yet"), UNREAD "the
 * migrations table could not be read", BUSY the name of the migration being
 * applied, BLOCKED why it failed (migrate_failure_reason(), "" when its logs
 * do not say), SKIP "". */
enum migrate_verdict migrate_judge(const struct migrate_reading *reading, char *reason, size_t reason_size);

/* Why a failed migration failed, from the logs Prisma wrote into its row:
 * the database's message (the line after a "Database error:" line), else the
 * first line that is not Prisma's boilerplate ("A migration failed to
 * apply", "Migration name:", "Database error code:", a "Database error: ..."
 * line, "external connector error", a backtrace frame "0: ..."). Leading
 * blanks are dropped, the line is cut at 300 bytes. "" when there is none
 * (logs NULL or empty too). */
void migrate_failure_reason(const char *logs, char *out, size_t size);

#endif
