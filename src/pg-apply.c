#include "pg-apply.h"

#include "pg-lib.h"
#include "pg-session-query.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* _prisma_migrations as Prisma creates it (columns, types, defaults). */
#define MIGRATIONS_TABLE_COLUMNS                                                                                       \
	"(id VARCHAR(36) PRIMARY KEY NOT NULL, checksum VARCHAR(64) NOT NULL, finished_at TIMESTAMPTZ, "               \
	"migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at TIMESTAMPTZ, "                                \
	"started_at TIMESTAMPTZ NOT NULL DEFAULT now(), applied_steps_count INTEGER NOT NULL DEFAULT 0)"

/* How soon the server looks whether a client running a long script is still
 * there (PostgreSQL 14+): a replica killed mid-migration then has its
 * transaction rolled back and its locks freed within this time, instead of
 * when the script ends. */
#define CLIENT_CHECK_INTERVAL "1000"

/* SQLSTATE of "cannot run inside a transaction block". */
#define SQLSTATE_ACTIVE_SQL_TRANSACTION "25001"

/* A statement of our own; OK or FAILED with error. */
static enum pg_session_status run(struct pg_session *session, const char *sql, int count, const char *const *values,
                                  PGresult **result, char *error, size_t error_size)
{
	struct pg_query query = {.sql = sql, .count = count, .values = values};
	enum pg_session_status status = pgconn_session_run(session, &query, result, error, error_size);

	if (status != PG_SESSION_OK && *result) {
		pglib.PQclear(*result);
		*result = NULL;
	}
	return status;
}

/* A statement that ends a migration, and may wait on the server (deferred
 * constraints at COMMIT, a synchronous standby): no attempt-timeout, only a
 * stop ends the wait. */
static enum pg_session_status run_unhurried(struct pg_session *session, const char *sql, int count,
                                            const char *const *values, char *error, size_t error_size)
{
	struct pg_query query = {.sql = sql, .count = count, .values = values, .no_deadline = true};
	PGresult *result;
	enum pg_session_status status = pgconn_session_run(session, &query, &result, error, error_size);

	if (result)
		pglib.PQclear(result);
	return status;
}

static enum pg_session_status run_quietly(struct pg_session *session, const char *sql, int count,
                                          const char *const *values, char *error, size_t error_size)
{
	PGresult *result;
	enum pg_session_status status = run(session, sql, count, values, &result, error, error_size);

	if (result)
		pglib.PQclear(result);
	return status;
}

/* "schema"._prisma_migrations, quoted for SQL; NULL when out of memory or
 * the connection is gone. Free it. */
static char *migrations_table(struct pg_session *session, const char *schema)
{
	PGconn *conn = pgconn_session_connection(session);
	char *quoted = conn ? pglib.PQescapeIdentifier(conn, schema, strlen(schema)) : NULL;
	char *table = NULL;

	if (quoted && asprintf(&table, "%s._prisma_migrations", quoted) < 0)
		table = NULL;
	if (quoted)
		pglib.PQfreemem(quoted);
	return table;
}

/* Creates the schema (quoted: its SQL name) when it is missing: only then,
 * since CREATE SCHEMA IF NOT EXISTS wants the CREATE privilege on the
 * database even when the schema is there. */
static enum pg_session_status create_schema(struct pg_session *session, const char *schema, const char *quoted,
                                            char *error, size_t error_size)
{
	const char *values[] = {schema};
	PGresult *result;
	char *sql = NULL;
	enum pg_session_status status = run(session, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", 1,
	                                    values, &result, error, error_size);
	bool exists;

	if (status != PG_SESSION_OK)
		return status;
	exists = pglib.PQntuples(result) == 1 && strcmp(pglib.PQgetvalue(result, 0, 0), "t") == 0;
	pglib.PQclear(result);
	if (exists)
		return PG_SESSION_OK;
	if (asprintf(&sql, "CREATE SCHEMA IF NOT EXISTS %s", quoted) < 0) {
		snprintf(error, error_size, "%s", strerror(ENOMEM));
		return PG_SESSION_FAILED;
	}
	status = run_quietly(session, sql, 0, NULL, error, error_size);
	free(sql);
	return status;
}

static enum pg_session_status create_table(struct pg_session *session, const char *quoted, char *error,
                                           size_t error_size)
{
	char *sql = NULL;
	enum pg_session_status status;

	if (asprintf(&sql, "CREATE TABLE IF NOT EXISTS %s._prisma_migrations " MIGRATIONS_TABLE_COLUMNS, quoted) < 0) {
		snprintf(error, error_size, "%s", strerror(ENOMEM));
		return PG_SESSION_FAILED;
	}
	status = run_quietly(session, sql, 0, NULL, error, error_size);
	free(sql);
	return status;
}

enum pg_session_status pgconn_apply_prepare(struct pg_session *session, char *error, size_t error_size)
{
	const char *schema = pgconn_session_schema(session);
	PGconn *conn = pgconn_session_connection(session);
	char *quoted = conn ? pglib.PQescapeIdentifier(conn, schema, strlen(schema)) : NULL;
	const char *values[] = {quoted};
	enum pg_session_status status;

	if (!quoted) {
		snprintf(error, error_size, "%s", conn ? strerror(ENOMEM) : "the connection was closed");
		return PG_SESSION_FAILED;
	}
	/* Unqualified names in migration.sql mean the URL's schema, as when
	 * Prisma applies them. */
	status = run_quietly(session, "SELECT set_config('search_path', $1, false)", 1, values, error, error_size);
	if (status == PG_SESSION_OK) {
		char ignored[256];

		/* Not there before PostgreSQL 14: then a killed replica's script
		 * runs to its end before its locks are freed. */
		(void)run_quietly(session,
		                  "SELECT set_config('client_connection_check_interval', '" CLIENT_CHECK_INTERVAL
		                  "', false)",
		                  0, NULL, ignored, sizeof(ignored));
		status = create_schema(session, schema, quoted, error, error_size);
	}
	if (status == PG_SESSION_OK)
		status = create_table(session, quoted, error, error_size);
	pglib.PQfreemem(quoted);
	return status;
}

/* A random (version 4) UUID, as Prisma gives each row. */
static int new_uuid(char out[37])
{
	unsigned char b[16];
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);

		if (n < 0 && errno != EINTR)
			return -1;
		if (n > 0)
			got += (size_t)n;
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
	         b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

/* The line of script that the server's error position (characters from 1,
 * over the whole script) points at; 0 when it gave none. */
static long error_line(const char *script, const char *position)
{
	long chars = position ? strtol(position, NULL, 10) : 0;
	long line = 1;

	if (chars <= 0)
		return 0;
	for (const unsigned char *p = (const unsigned char *)script; *p; p++) {
		if ((*p & 0xc0) != 0x80 && --chars == 0)
			return line;
		if (*p == '\n')
			line++;
	}
	return 0;
}

static void read_failure(const PGresult *result, const char *script, struct pg_apply_failure *failure)
{
	const char *sqlstate = pglib.PQresultErrorField(result, PG_DIAG_SQLSTATE);
	const char *message = pglib.PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);

	snprintf(failure->sqlstate, sizeof(failure->sqlstate), "%s", sqlstate ? sqlstate : "");
	snprintf(failure->message, sizeof(failure->message), "%s", message ? message : "the script failed");
	failure->line = error_line(script, pglib.PQresultErrorField(result, PG_DIAG_STATEMENT_POSITION));
}

/* One migration's row and statements. */
struct apply {
	struct pg_session *session;
	const struct pg_apply_migration *migration;
	struct pg_apply_failure *failure;
	char *table;
	char id[37];
	char started_at[64]; /* as the server wrote it into the row */
	char *error;
	size_t error_size;
};

static enum pg_session_status insert_row(struct apply *apply)
{
	const char *values[] = {apply->id, apply->migration->checksum, apply->migration->name};
	char *sql = NULL;
	PGresult *result;
	enum pg_session_status status;

	if (asprintf(&sql,
	             "INSERT INTO %s (id, checksum, started_at, migration_name) VALUES ($1, $2, clock_timestamp(), $3) "
	             "RETURNING started_at::text",
	             apply->table) < 0) {
		snprintf(apply->error, apply->error_size, "%s", strerror(ENOMEM));
		return PG_SESSION_FAILED;
	}
	status = run(apply->session, sql, 3, values, &result, apply->error, apply->error_size);
	free(sql);
	if (status == PG_SESSION_OK) {
		snprintf(apply->started_at, sizeof(apply->started_at), "%s",
		         pglib.PQntuples(result) == 1 ? pglib.PQgetvalue(result, 0, 0) : "");
		pglib.PQclear(result);
	}
	return status;
}

static enum pg_session_status finish_row(struct apply *apply)
{
	const char *values[] = {apply->id};
	char *sql = NULL;
	enum pg_session_status status;

	if (asprintf(&sql,
	             "UPDATE %s SET applied_steps_count = applied_steps_count + 1, finished_at = clock_timestamp() "
	             "WHERE id = $1",
	             apply->table) < 0) {
		snprintf(apply->error, apply->error_size, "%s", strerror(ENOMEM));
		return PG_SESSION_FAILED;
	}
	status = run_unhurried(apply->session, sql, 1, values, apply->error, apply->error_size);
	free(sql);
	return status;
}

/* The failed row, as Prisma leaves it: finished_at NULL, the error in logs.
 * The row is there already when it was committed before the script failed
 * (the script's own COMMIT, or the script applied on its own); else it is
 * written now. */
static enum pg_session_status record_failure(struct apply *apply)
{
	const struct pg_apply_failure *failure = apply->failure;
	char logs[1024];
	char line[64] = "";
	const char *values[] = {apply->id, logs, apply->migration->checksum, apply->migration->name, apply->started_at};
	char *sql = NULL;
	PGresult *result;
	enum pg_session_status status;
	bool updated;

	if (failure->line > 0)
		snprintf(line, sizeof(line), "\n\nLine %ld of migration.sql", failure->line);
	snprintf(logs, sizeof(logs),
	         "Migration name: %s\n\nDatabase error code: %s\n\nDatabase error:\nERROR: %s%s\n\n(applied by "
	         "prisma-entrypoint, migrate-engine = native)",
	         apply->migration->name, failure->sqlstate, failure->message, line);
	if (asprintf(&sql, "UPDATE %s SET logs = $2 WHERE id = $1", apply->table) < 0)
		goto oom;
	status = run(apply->session, sql, 2, values, &result, apply->error, apply->error_size);
	free(sql);
	if (status != PG_SESSION_OK)
		return status;
	updated = strcmp(pglib.PQcmdTuples(result), "0") != 0;
	pglib.PQclear(result);
	if (updated)
		return PG_SESSION_OK;
	if (asprintf(&sql,
	             "INSERT INTO %s (id, logs, checksum, migration_name, started_at) VALUES ($1, $2, $3, $4, "
	             "coalesce(nullif($5, '')::timestamptz, clock_timestamp()))",
	             apply->table) < 0)
		goto oom;
	status = run_quietly(apply->session, sql, 5, values, apply->error, apply->error_size);
	free(sql);
	return status;
oom:
	snprintf(apply->error, apply->error_size, "%s", strerror(ENOMEM));
	return PG_SESSION_FAILED;
}

static enum pg_apply_result lost(enum pg_session_status status)
{
	return status == PG_SESSION_STOPPED ? PG_APPLY_STOPPED : PG_APPLY_LOST;
}

/* Runs the script. OK; FAILED with apply->failure filled when the server
 * refused it (its transaction is then aborted), or with error only when the
 * connection failed; STOPPED. */
static enum pg_session_status run_script(struct apply *apply, bool *refused)
{
	struct pg_query query = {.sql = apply->migration->script, .script = true, .no_deadline = true};
	PGresult *result;
	enum pg_session_status status =
	    pgconn_session_run(apply->session, &query, &result, apply->error, apply->error_size);

	*refused = status == PG_SESSION_FAILED && result;
	if (*refused)
		read_failure(result, apply->migration->script, apply->failure);
	if (result)
		pglib.PQclear(result);
	return status;
}

/* The row and the script in one transaction. *alone is set when the server
 * will not run the script inside one (rolled back: nothing applied). */
static enum pg_apply_result apply_in_transaction(struct apply *apply, bool *alone)
{
	enum pg_session_status status;
	bool refused = false;
	char ignored[256];

	*alone = false;
	status = run_quietly(apply->session, "BEGIN", 0, NULL, apply->error, apply->error_size);
	if (status == PG_SESSION_OK)
		status = insert_row(apply);
	if (status == PG_SESSION_OK)
		status = run_script(apply, &refused);
	if (status == PG_SESSION_OK)
		status = finish_row(apply);
	if (status == PG_SESSION_OK) {
		/* A deferred constraint fails here: the script's failure too. */
		status = run_unhurried(apply->session, "COMMIT", 0, NULL, apply->error, apply->error_size);
		if (status == PG_SESSION_OK)
			return PG_APPLY_DONE;
		if (status == PG_SESSION_STOPPED)
			return PG_APPLY_STOPPED_UNSURE;
		refused = pgconn_session_connection(apply->session) != NULL;
		if (refused) {
			snprintf(apply->failure->sqlstate, sizeof(apply->failure->sqlstate), "%s", "");
			snprintf(apply->failure->message, sizeof(apply->failure->message), "%s", apply->error);
			apply->failure->line = 0;
		}
	}
	if (!refused)
		return lost(status);
	if (run_quietly(apply->session, "ROLLBACK", 0, NULL, ignored, sizeof(ignored)) != PG_SESSION_OK)
		return PG_APPLY_LOST;
	if (strcmp(apply->failure->sqlstate, SQLSTATE_ACTIVE_SQL_TRANSACTION) == 0) {
		*alone = true;
		return PG_APPLY_FAILED;
	}
	status = record_failure(apply);
	return status == PG_SESSION_OK ? PG_APPLY_FAILED : lost(status);
}

/* As the CLI does it: the row, then the script on its own (an implicit
 * transaction when it holds several statements), then the row finished. */
static enum pg_apply_result apply_alone(struct apply *apply)
{
	enum pg_session_status status = insert_row(apply);
	bool refused = false;

	if (status != PG_SESSION_OK)
		return lost(status);
	status = run_script(apply, &refused);
	if (status == PG_SESSION_OK)
		status = finish_row(apply);
	if (status == PG_SESSION_OK)
		return PG_APPLY_DONE;
	if (status == PG_SESSION_STOPPED)
		return PG_APPLY_STOPPED_UNSURE;
	if (!refused)
		return lost(status);
	status = record_failure(apply);
	return status == PG_SESSION_OK ? PG_APPLY_FAILED : lost(status);
}

enum pg_apply_result pgconn_apply_migration(struct pg_session *session, const struct pg_apply_migration *migration,
                                            struct pg_apply_failure *failure, char *error, size_t error_size)
{
	struct apply apply = {.session = session,
	                      .migration = migration,
	                      .failure = failure,
	                      .table = migrations_table(session, pgconn_session_schema(session)),
	                      .error = error,
	                      .error_size = error_size};
	enum pg_apply_result result;
	bool alone = false;

	*failure = (struct pg_apply_failure){0};
	error[0] = '\0';
	if (!apply.table) {
		snprintf(error, error_size, "%s", strerror(ENOMEM));
		return PG_APPLY_LOST;
	}
	if (new_uuid(apply.id) < 0) {
		snprintf(error, error_size, "cannot make a migration id: %s", strerror(errno));
		free(apply.table);
		return PG_APPLY_LOST;
	}
	result = apply_in_transaction(&apply, &alone);
	if (alone) {
		*failure = (struct pg_apply_failure){0};
		result = apply_alone(&apply);
	}
	free(apply.table);
	return result;
}

enum pg_session_status pgconn_apply_record_applied(struct pg_session *session, const struct pg_apply_migration *list,
                                                   size_t count, char *error, size_t error_size)
{
	char *table = migrations_table(session, pgconn_session_schema(session));
	char *sql = NULL;
	char ignored[256];
	enum pg_session_status status;

	if (!table || asprintf(&sql,
	                       "INSERT INTO %s (id, checksum, logs, started_at, finished_at, migration_name) "
	                       "VALUES ($1, $2, '', now(), now(), $3)",
	                       table) < 0) {
		free(table);
		snprintf(error, error_size, "%s", strerror(ENOMEM));
		return PG_SESSION_FAILED;
	}
	free(table);
	status = run_quietly(session, "BEGIN", 0, NULL, error, error_size);
	for (size_t i = 0; i < count && status == PG_SESSION_OK; i++) {
		char id[37];

		if (new_uuid(id) < 0) {
			snprintf(error, error_size, "cannot make a migration id: %s", strerror(errno));
			status = PG_SESSION_FAILED;
		} else {
			const char *values[] = {id, list[i].checksum, list[i].name};

			status = run_quietly(session, sql, 3, values, error, error_size);
		}
	}
	if (status == PG_SESSION_OK)
		status = run_quietly(session, "COMMIT", 0, NULL, error, error_size);
	else if (pgconn_session_connection(session))
		(void)run_quietly(session, "ROLLBACK", 0, NULL, ignored, sizeof(ignored));
	free(sql);
	return status;
}
