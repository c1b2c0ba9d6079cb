/* Applying migrations without the Prisma CLI (migrate-engine = native), so
 * that a history written here reads the same to `prisma migrate` as one it
 * wrote itself, and the other way round:
 *   - _prisma_migrations created as Prisma creates it, in the URL's schema
 *     (the search path set to that schema, as Prisma's engine sets it);
 *   - one row per migration: a v4 UUID, the SHA-256 of migration.sql,
 *     started_at, and on success finished_at and applied_steps_count 1; a
 *     failed script leaves finished_at NULL and the error in logs, which
 *     blocks later deploys (P3009) as Prisma's own failed rows do;
 *   - each script sent as one simple query, as Prisma's engine sends it on
 *     PostgreSQL.
 * One thing is done better than the CLI: the row and the script go in one
 * transaction, so a process killed mid-way leaves neither (Prisma leaves an
 * unfinished row that blocks every later deploy). A script PostgreSQL will
 * not run inside a transaction (CREATE INDEX CONCURRENTLY alone) is applied
 * as the CLI applies it: the row first, then the script on its own.
 * The caller holds the locks. */
#ifndef PE_PG_APPLY_H
#define PE_PG_APPLY_H

#include "pg-session.h"

#include <stddef.h>

/* Makes the session ready to apply: the search path set to the target's
 * schema; that schema and _prisma_migrations created when missing. */
enum pg_session_status pgconn_apply_prepare(struct pg_session *session, char *error, size_t error_size);

struct pg_apply_migration {
	const char *name;
	const char *script;   /* migration.sql, NUL-terminated, with no NUL inside */
	const char *checksum; /* its SHA-256, 64 lowercase hex digits */
};

/* Why a script failed, as the server said it. */
struct pg_apply_failure {
	char sqlstate[6];
	char message[512];
	long line; /* the line of the script the error points at; 0: unknown */
};

enum pg_apply_result {
	PG_APPLY_DONE,    /* applied and recorded as finished */
	PG_APPLY_FAILED,  /* the script failed: failure says why, the failed row is recorded */
	PG_APPLY_LOST,    /* the connection or a bookkeeping statement failed: error says why */
	PG_APPLY_STOPPED, /* a stop was asked for: the script was cancelled, nothing recorded */
	/* A stop was asked for after its row was written (a script applied on
	 * its own), or while the COMMIT was on its way: the row may show as
	 * started but not finished, or as applied. */
	PG_APPLY_STOPPED_UNSURE,
};

/* Records migrations as applied without running them, as `prisma migrate
 * resolve --applied` records one (finished at once, logs empty, no steps):
 * a baseline. All of them or none, in one transaction. */
enum pg_session_status pgconn_apply_record_applied(struct pg_session *session, const struct pg_apply_migration *list,
                                                   size_t count, char *error, size_t error_size);

/* Applies one migration and records it. */
enum pg_apply_result pgconn_apply_migration(struct pg_session *session, const struct pg_apply_migration *migration,
                                            struct pg_apply_failure *failure, char *error, size_t error_size);

#endif
