/* One PostgreSQL connection for a few blocking queries: the migrate phase
 * reads _prisma_migrations, takes its advisory lock and keeps the seed = once
 * record through it, status reads the server's version and _prisma_migrations.
 *
 * Connects through a probe (pg-probe.h) and runs queries with libpq; the
 * caller owns the session and closes it with pgconn_session_close(), which
 * also ends any lock it holds. */
#ifndef PE_PG_SESSION_H
#define PE_PG_SESSION_H

#include "migrations.h"
#include "pg-target.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A session: one connection for a few queries (the migrate phase). Its calls
 * block, each for at most timeout_ms, and give up within 50 ms when
 * should_stop(stop_arg) returns true; a query that gets no answer in time
 * closes the connection, so later calls fail at once. Host names are resolved
 * first (resolve.h), should_stop asked while the lookup runs, and libpq gets
 * the numeric addresses. */
struct pg_session;

typedef bool pg_stop_fn(void *arg);

struct pg_session_params {
	const struct pg_target *target; /* borrowed for the session's life */
	int64_t timeout_ms;             /* for the connection, and for each query */
	pg_stop_fn *should_stop;        /* NULL: never */
	void *stop_arg;
};

enum pg_session_status {
	PG_SESSION_OK,
	PG_SESSION_NO_DATABASE, /* open: the server says the database does not exist (3D000) */
	PG_SESSION_REFUSED,     /* open: refused for good, as the wait judges it (wrong password, ...) */
	PG_SESSION_FAILED,      /* error says why, on one line, without the password */
	PG_SESSION_STOPPED,     /* should_stop said so */
};

/* Connects (authenticated, database reached, SELECT 1 answered). *session is
 * set on OK only; close it with pgconn_session_close(). A failure the probe
 * judges permanent (pg-error.h) is NO_DATABASE or REFUSED, with the advice
 * after the message in error, as the wait phase says it. */
enum pg_session_status pgconn_session_open(const struct pg_session_params *params, struct pg_session **session,
                                           char *error, size_t error_size);

struct pg_probe;

/* A session over a connection the wait phase made ready (pg-probe.h), which
 * it takes over (and frees when it fails): a start logs in once, not twice
 * (the login is most of what a warm start costs). The connection may have
 * been idle for a while (a generate ran since; a pooler or the server may
 * have closed it): one round trip shows it still works. Returns OK with
 * *session, STOPPED, or FAILED with error (the caller opens a new session). */
enum pg_session_status pgconn_session_adopt(const struct pg_session_params *params, struct pg_probe *probe,
                                            struct pg_session **session, char *error, size_t error_size);

/* The server's version as it announced it at login (server_version, e.g.
 * "16.4", without a packager's suffix such as " (Debian 16.4-1)"); "" when
 * it did not. */
void pgconn_session_server_version(const struct pg_session *session, char *out, size_t out_size);

/* Reads _prisma_migrations in the target's schema (Prisma's ?schema=,
 * "public" by default). *found is false, with no rows, when there is no such
 * table. The rows are ordered by started_at; free them with
 * migration_rows_free(). */
enum pg_session_status pgconn_session_migrations(struct pg_session *session, struct migration_row **rows, size_t *count,
                                                 bool *found, char *error, size_t error_size);

/* pg_try_advisory_lock(key): *locked tells whether it was taken. A lock
 * taken is held until the session is closed. */
enum pg_session_status pgconn_session_try_lock(struct pg_session *session, int64_t key, bool *locked, char *error,
                                               size_t error_size);

/* Whether anyone holds the advisory lock key in the session's database
 * (pg_locks), without taking it. */
/* Lets go of advisory lock key, taken through this session, before the
 * session ends. */
enum pg_session_status pgconn_session_unlock(struct pg_session *session, int64_t key, char *error, size_t error_size);

enum pg_session_status pgconn_session_lock_held(struct pg_session *session, int64_t key, bool *held, char *error,
                                                size_t error_size);

/* Who holds advisory lock key in the session's database, for a message:
 * "pid 4242, prisma-entrypoint from 10.0.0.5, connected at 2026-12-07
 * 06:54:01 UTC, idle in transaction for 31 s" (what pg_stat_activity lets
 * this user see). *found is false when nobody holds it. */
enum pg_session_status pgconn_session_lock_holder(struct pg_session *session, int64_t key, bool *found, char *out,
                                                  size_t out_size, char *error, size_t error_size);

/* How many tables and views the target's schema holds (*count), and the
 * first three names in order ("Post, User"): Prisma's deploy refuses to
 * start a migration history in a schema that is not empty (P3005). */
enum pg_session_status pgconn_session_schema_tables(struct pg_session *session, size_t *count, char *names,
                                                    size_t names_size, char *error, size_t error_size);

/* Whether the server has a database called name (pg_database). */
enum pg_session_status pgconn_session_database_exists(struct pg_session *session, const char *name, bool *exists,
                                                      char *error, size_t error_size);

/* CREATE DATABASE name, owned by the session's user. FAILED with the
 * server's reason (no CREATEDB privilege, ...) in error. */
enum pg_session_status pgconn_session_create_database(struct pg_session *session, const char *name, char *error,
                                                      size_t error_size);

/* seed = once: what the database's record (table prisma_entrypoint.seed,
 * one row per app schema, the target's) says. */
enum pg_seed_state {
	PG_SEED_NONE, /* no row: never owed (or the table does not exist) */
	PG_SEED_OWED, /* owed since the start that applied the first migration, not run with success yet */
	PG_SEED_DONE, /* run with success */
};

/* Reads the record: *state, and when (the UTC time it was done, or owed
 * since: "2026-12-07 09:15:02 UTC"). */
enum pg_session_status pgconn_session_seed_state(struct pg_session *session, enum pg_seed_state *state, char *when,
                                                 size_t when_size, char *error, size_t error_size);

/* Records that the seed is owed (creating the schema and the table when
 * needed); a row there already is left as it is. */
enum pg_session_status pgconn_session_seed_owe(struct pg_session *session, char *error, size_t error_size);

/* Records a seed run: done when failure is NULL, else still owed, with
 * failure kept as the last error. */
enum pg_session_status pgconn_session_seed_settle(struct pg_session *session, const char *failure, char *error,
                                                  size_t error_size);

/* Ends the connection (and with it any lock) and frees the session; NULL is
 * accepted. */
void pgconn_session_close(struct pg_session *session);

#endif
