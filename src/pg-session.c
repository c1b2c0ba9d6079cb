#include "pg-session.h"

#include "loop.h"
#include "pg-error.h"
#include "pg-lib.h"
#include "pg-probe.h"
#include "pg-session-query.h"
#include "resolve.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How often a blocking call looks at should_stop while it waits. */
#define SESSION_STOP_POLL_MS 50

struct pg_session {
	struct pg_probe *probe; /* ready: its connection is the session's */
	const struct pg_target *target;
	int64_t timeout_ms;
	pg_stop_fn *should_stop;
	void *stop_arg;
};

/* Waits up to the deadline (0: none) for events on fd, SESSION_STOP_POLL_MS
 * at a time. Returns OK when fd is ready, STOPPED, or FAILED when the
 * deadline passed or poll() failed. */
static enum pg_session_status await_socket(const struct pg_session *session, int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = events};
		int64_t left = deadline > 0 ? deadline - loop_now_ms() : SESSION_STOP_POLL_MS;
		int ready;

		if (session->should_stop && session->should_stop(session->stop_arg))
			return PG_SESSION_STOPPED;
		if (left <= 0) {
			errno = ETIMEDOUT;
			return PG_SESSION_FAILED;
		}
		ready = poll(&pfd, 1, (int)(left < SESSION_STOP_POLL_MS ? left : SESSION_STOP_POLL_MS));
		if (ready > 0)
			return PG_SESSION_OK;
		if (ready < 0 && errno != EINTR)
			return PG_SESSION_FAILED;
	}
}

/* Where a session connects: socket folders as they are, host names resolved
 * here, asking should_stop while a lookup runs (libpq's own lookup would
 * block, deaf to a stop request, as long as the resolver takes). */
#define SESSION_MAX_ENDPOINTS 16

struct session_endpoints {
	struct pg_endpoint items[SESSION_MAX_ENDPOINTS];
	char addresses[SESSION_MAX_ENDPOINTS][64];
	size_t count;
};

static enum pg_session_status resolve_endpoints(const struct pg_session *session, struct session_endpoints *out,
                                                int64_t deadline, char *error, size_t error_size)
{
	const struct pg_target *target = session->target;
	char why[256] = "";

	out->count = 0;
	for (size_t i = 0; i < target->host_count && out->count < SESSION_MAX_ENDPOINTS; i++) {
		const struct pg_host *host = &target->hosts[i];
		struct resolve_request *request;
		const struct addrinfo *addresses;
		const char *failure;
		enum pg_session_status status;

		if (host->is_socket) {
			out->items[out->count++] = (struct pg_endpoint){.host = host->name, .port = host->port};
			continue;
		}
		if (!(request = resolve_start(host->name, host->port))) {
			snprintf(error, error_size, "cannot connect to %s: cannot resolve '%s': %s", target->display,
			         host->name, strerror(errno));
			return PG_SESSION_FAILED;
		}
		status = await_socket(session, resolve_fd(request), POLLIN, deadline);
		if (status != PG_SESSION_OK) {
			if (status == PG_SESSION_FAILED)
				snprintf(error, error_size, "cannot connect to %s: no answer in time resolving '%s'",
				         target->display, host->name);
			resolve_release(request);
			return status;
		}
		if (resolve_result(request, &addresses, &failure) < 0)
			snprintf(why, sizeof(why), "'%s': %s", host->name, failure);
		for (; addresses && out->count < SESSION_MAX_ENDPOINTS; addresses = addresses->ai_next) {
			size_t n = out->count++;

			resolve_numeric(addresses, out->addresses[n], sizeof(out->addresses[n]));
			out->items[n] = (struct pg_endpoint){host->name, out->addresses[n], host->port};
		}
		resolve_release(request);
	}
	if (out->count == 0) {
		snprintf(error, error_size, "cannot connect to %s: %s", target->display, why);
		return PG_SESSION_FAILED;
	}
	return PG_SESSION_OK;
}

enum pg_session_status pgconn_session_open(const struct pg_session_params *params, struct pg_session **out, char *error,
                                           size_t error_size)
{
	const struct pg_target *target = params->target;
	struct session_endpoints *endpoints = calloc(1, sizeof(*endpoints));
	struct pg_session *session = calloc(1, sizeof(*session));
	int64_t deadline = loop_now_ms() + params->timeout_ms;
	enum pg_session_status status = PG_SESSION_FAILED;
	enum pg_probe_state state;
	const char *advice;

	*out = NULL;
	if (!endpoints || !session)
		goto oom;
	*session = (struct pg_session){.target = target,
	                               .timeout_ms = params->timeout_ms,
	                               .should_stop = params->should_stop,
	                               .stop_arg = params->stop_arg};
	status = resolve_endpoints(session, endpoints, deadline, error, error_size);
	if (status != PG_SESSION_OK)
		goto out;
	status = PG_SESSION_FAILED;
	if (!(session->probe = pgconn_probe_start(target, endpoints->items, endpoints->count)))
		goto oom;
	while ((state = pgconn_probe_advance(session->probe)) == PG_PROBE_RUNNING) {
		status = await_socket(session, pgconn_probe_fd(session->probe), pgconn_probe_events(session->probe),
		                      deadline);
		if (status == PG_SESSION_STOPPED)
			goto out;
		if (status == PG_SESSION_FAILED) {
			snprintf(error, error_size, "cannot connect to %s: %s", target->display,
			         errno == ETIMEDOUT ? "no answer in time" : strerror(errno));
			goto out;
		}
	}
	if (state == PG_PROBE_READY) {
		free(endpoints);
		*out = session;
		return PG_SESSION_OK;
	}
	if (state != PG_PROBE_PERMANENT)
		status = PG_SESSION_FAILED;
	else if (pgconn_probe_missing_database(session->probe))
		status = PG_SESSION_NO_DATABASE;
	else
		status = PG_SESSION_REFUSED;
	advice = pgconn_probe_advice(session->probe);
	snprintf(error, error_size, "cannot connect to %s: %s%s%s", target->display,
	         pgconn_probe_message(session->probe), advice[0] ? ": " : "", advice);
	goto out;
oom:
	snprintf(error, error_size, "cannot connect to %s: %s", target->display, strerror(ENOMEM));
	status = PG_SESSION_FAILED;
out:
	free(endpoints);
	pgconn_session_close(session);
	return status;
}

/* Sends sql with its text parameters and waits for its one result. Returns
 * OK with *result to PQclear, or STOPPED, or FAILED with error set. */
static enum pg_session_status session_query(struct pg_session *session, const char *sql, int count,
                                            const char *const *values, PGresult **result, char *error,
                                            size_t error_size)
{
	struct pg_query query = {.sql = sql, .count = count, .values = values};
	enum pg_session_status status = pgconn_session_run(session, &query, result, error, error_size);

	if (status != PG_SESSION_OK && *result) {
		pglib.PQclear(*result);
		*result = NULL;
	}
	return status;
}

enum pg_session_status pgconn_session_adopt(const struct pg_session_params *params, struct pg_probe *probe,
                                            struct pg_session **out, char *error, size_t error_size)
{
	struct pg_session *session = calloc(1, sizeof(*session));
	enum pg_session_status status;
	PGresult *result = NULL;

	*out = NULL;
	if (!session) {
		pgconn_probe_free(probe);
		snprintf(error, error_size, "%s", strerror(ENOMEM));
		return PG_SESSION_FAILED;
	}
	*session = (struct pg_session){.probe = probe,
	                               .target = params->target,
	                               .timeout_ms = params->timeout_ms,
	                               .should_stop = params->should_stop,
	                               .stop_arg = params->stop_arg};
	status = session_query(session, "SELECT 1", 0, NULL, &result, error, error_size);
	if (result)
		pglib.PQclear(result);
	if (status != PG_SESSION_OK) {
		pgconn_session_close(session);
		return status;
	}
	*out = session;
	return PG_SESSION_OK;
}

void pgconn_session_server_version(const struct pg_session *session, char *out, size_t out_size)
{
	const char *version = NULL;

	if (session->probe && pgconn_probe_connection(session->probe))
		version = pglib.PQparameterStatus(pgconn_probe_connection(session->probe), "server_version");
	if (!version)
		version = "";
	snprintf(out, out_size, "%.*s", (int)strcspn(version, " "), version);
}

/* Asks the server to end what the connection is running (a migration's
 * script), so that it stops and rolls back now rather than when it next
 * writes to a closed connection. Best effort: the connection is closed next
 * anyway. */
static void cancel_running(PGconn *conn)
{
	PGcancel *cancel = pglib.PQgetCancel(conn);

	if (cancel) {
		char ignored[256];

		pglib.PQcancel(cancel, ignored, sizeof(ignored));
		pglib.PQfreeCancel(cancel);
	}
}

/* Sends what libpq holds for the server. While it is not all sent, the
 * server may talk too: libpq wants that read before it can send more.
 * Returns OK, STOPPED, or FAILED (errno set: the deadline or poll(); 0: the
 * connection, PQerrorMessage says). */
static enum pg_session_status flush_all(struct pg_session *session, PGconn *conn, int64_t deadline)
{
	int flushing;

	while ((flushing = pglib.PQflush(conn)) == 1) {
		enum pg_session_status status = await_socket(session, pglib.PQsocket(conn), POLLIN | POLLOUT, deadline);

		if (status != PG_SESSION_OK)
			return status;
		if (!pglib.PQconsumeInput(conn)) {
			errno = 0;
			return PG_SESSION_FAILED;
		}
	}
	if (flushing < 0) {
		errno = 0;
		return PG_SESSION_FAILED;
	}
	return PG_SESSION_OK;
}

/* Reads and drops what a COPY TO STDOUT sends, until it ends. */
static enum pg_session_status drain_copy_out(struct pg_session *session, PGconn *conn, int64_t deadline)
{
	for (;;) {
		char *row = NULL;
		int got = pglib.PQgetCopyData(conn, &row, 1);
		enum pg_session_status status;

		if (row)
			pglib.PQfreemem(row);
		if (got > 0)
			continue;
		if (got < 0)
			return PG_SESSION_OK; /* done (-1), or failed (-2): PQgetResult says */
		if ((status = await_socket(session, pglib.PQsocket(conn), POLLIN, deadline)) != PG_SESSION_OK)
			return status;
		if (!pglib.PQconsumeInput(conn))
			return PG_SESSION_OK;
	}
}

enum pg_session_status pgconn_session_run(struct pg_session *session, const struct pg_query *query, PGresult **result,
                                          char *error, size_t error_size)
{
	PGconn *conn;
	int64_t deadline = query->no_deadline ? 0 : loop_now_ms() + session->timeout_ms;
	enum pg_session_status status;
	int sent;

	*result = NULL;
	if (!session->probe) {
		snprintf(error, error_size, "the connection was closed after a query got no answer in time");
		return PG_SESSION_FAILED;
	}
	conn = pgconn_probe_connection(session->probe);
	sent = query->script
	           ? pglib.PQsendQuery(conn, query->sql)
	           : pglib.PQsendQueryParams(conn, query->sql, query->count, NULL, query->values, NULL, NULL, 0);
	if (!sent)
		goto lost;
	if ((status = flush_all(session, conn, deadline)) != PG_SESSION_OK)
		goto flush_failed;
	/* A script has a result per statement, and the server stops at the
	 * first error: keep that one, else the first. */
	for (;;) {
		PGresult *next;

		while (pglib.PQisBusy(conn)) {
			if ((status = await_socket(session, pglib.PQsocket(conn), POLLIN, deadline)) != PG_SESSION_OK)
				goto waited;
			if (!pglib.PQconsumeInput(conn))
				goto lost;
		}
		if (!(next = pglib.PQgetResult(conn)))
			break;
		/* A script's COPY ... FROM STDIN would wait for data forever, and
		 * TO STDOUT would send its rows here: the first is ended with an
		 * error (the script fails, as under the CLI, which has no data to
		 * give it either), the second is drained. */
		if (pglib.PQresultStatus(next) == PGRES_COPY_IN) {
			pglib.PQclear(next);
			if (pglib.PQputCopyEnd(conn, "COPY FROM STDIN has no data in a migration") < 0)
				goto lost;
			if ((status = flush_all(session, conn, deadline)) != PG_SESSION_OK)
				goto flush_failed;
			continue;
		}
		if (pglib.PQresultStatus(next) == PGRES_COPY_OUT) {
			pglib.PQclear(next);
			if ((status = drain_copy_out(session, conn, deadline)) != PG_SESSION_OK)
				goto waited;
			continue;
		}
		if (*result && pglib.PQresultStatus(next) == PGRES_FATAL_ERROR &&
		    pglib.PQresultStatus(*result) != PGRES_FATAL_ERROR) {
			pglib.PQclear(*result);
			*result = next;
		} else if (*result) {
			pglib.PQclear(next);
		} else {
			*result = next;
		}
	}
	if (*result &&
	    (pglib.PQresultStatus(*result) == PGRES_TUPLES_OK || pglib.PQresultStatus(*result) == PGRES_COMMAND_OK ||
	     pglib.PQresultStatus(*result) == PGRES_EMPTY_QUERY))
		return PG_SESSION_OK;
	if (*result) {
		const char *primary = pglib.PQresultErrorField(*result, PG_DIAG_MESSAGE_PRIMARY);
		const char *sqlstate = pglib.PQresultErrorField(*result, PG_DIAG_SQLSTATE);

		snprintf(error, error_size, "%s (%s)", primary ? primary : "query failed",
		         sqlstate ? sqlstate : "no SQLSTATE");
		return PG_SESSION_FAILED;
	}
lost:
	/* A first result may be in hand already: the server's error before it
	 * closed the connection. */
	if (*result)
		pglib.PQclear(*result);
	*result = NULL;
	snprintf(error, error_size, "%.*s", (int)pg_error_line_length(pglib.PQerrorMessage(conn)),
	         pglib.PQerrorMessage(conn));
	return PG_SESSION_FAILED;
flush_failed:
	if (status == PG_SESSION_FAILED && errno == 0)
		goto lost;
waited:
	if (status == PG_SESSION_FAILED)
		snprintf(error, error_size, "%s", errno == ETIMEDOUT ? "no answer in time" : strerror(errno));
	if (*result)
		pglib.PQclear(*result);
	*result = NULL;
	if (query->no_deadline)
		cancel_running(conn);
	/* The query may still be running: the connection cannot take another
	 * one, and closing it ends the query (and any lock) on the server. */
	pgconn_probe_free(session->probe);
	session->probe = NULL;
	return status;
}

PGconn *pgconn_session_connection(struct pg_session *session)
{
	return session->probe ? pgconn_probe_connection(session->probe) : NULL;
}

enum pg_session_status pgconn_session_migrations(struct pg_session *session, struct migration_row **rows, size_t *count,
                                                 bool *found, char *error, size_t error_size)
{
	static const char exists_sql[] = "SELECT to_regclass(format('%I._prisma_migrations', $1::text)) IS NOT NULL";
	const char *schema = session->target->schema;
	PGresult *result;
	enum pg_session_status status;
	char *table;
	char *sql = NULL;
	int n;

	*rows = NULL;
	*count = 0;
	*found = false;
	status = session_query(session, exists_sql, 1, &schema, &result, error, error_size);
	if (status != PG_SESSION_OK)
		return status;
	*found = pglib.PQntuples(result) == 1 && strcmp(pglib.PQgetvalue(result, 0, 0), "t") == 0;
	pglib.PQclear(result);
	if (!*found)
		return PG_SESSION_OK;
	table = pglib.PQescapeIdentifier(pgconn_probe_connection(session->probe), schema, strlen(schema));
	if (!table || asprintf(&sql,
	                       "SELECT migration_name, finished_at IS NOT NULL, rolled_back_at IS NOT NULL, "
	                       "coalesce(logs, ''), coalesce(checksum, '') FROM %s._prisma_migrations "
	                       "ORDER BY started_at, migration_name",
	                       table) < 0) {
		if (table)
			pglib.PQfreemem(table);
		snprintf(error, error_size, "%s", strerror(ENOMEM));
		return PG_SESSION_FAILED;
	}
	pglib.PQfreemem(table);
	status = session_query(session, sql, 0, NULL, &result, error, error_size);
	free(sql);
	if (status != PG_SESSION_OK)
		return status;
	n = pglib.PQntuples(result);
	if (n > 0 && !(*rows = calloc((size_t)n, sizeof(**rows)))) {
		pglib.PQclear(result);
		snprintf(error, error_size, "%s", strerror(ENOMEM));
		return PG_SESSION_FAILED;
	}
	for (int i = 0; i < n; i++) {
		struct migration_row *row = &(*rows)[i];

		row->name = strdup(pglib.PQgetvalue(result, i, 0));
		row->finished = strcmp(pglib.PQgetvalue(result, i, 1), "t") == 0;
		row->rolled_back = strcmp(pglib.PQgetvalue(result, i, 2), "t") == 0;
		row->logs = strdup(pglib.PQgetvalue(result, i, 3));
		row->checksum = strdup(pglib.PQgetvalue(result, i, 4));
		*count = (size_t)i + 1;
		if (!row->name || !row->logs || !row->checksum) {
			pglib.PQclear(result);
			migration_rows_free(*rows, *count);
			*rows = NULL;
			*count = 0;
			snprintf(error, error_size, "%s", strerror(ENOMEM));
			return PG_SESSION_FAILED;
		}
	}
	pglib.PQclear(result);
	return PG_SESSION_OK;
}

enum pg_session_status pgconn_session_try_lock(struct pg_session *session, int64_t key, bool *locked, char *error,
                                               size_t error_size)
{
	char key_text[24];
	const char *values[] = {key_text};
	PGresult *result;
	enum pg_session_status status;

	snprintf(key_text, sizeof(key_text), "%lld", (long long)key);
	*locked = false;
	status =
	    session_query(session, "SELECT pg_try_advisory_lock($1::bigint)", 1, values, &result, error, error_size);
	if (status != PG_SESSION_OK)
		return status;
	*locked = pglib.PQntuples(result) == 1 && strcmp(pglib.PQgetvalue(result, 0, 0), "t") == 0;
	pglib.PQclear(result);
	return PG_SESSION_OK;
}

enum pg_session_status pgconn_session_unlock(struct pg_session *session, int64_t key, char *error, size_t error_size)
{
	char key_text[24];
	const char *values[] = {key_text};
	PGresult *result;
	enum pg_session_status status;

	snprintf(key_text, sizeof(key_text), "%lld", (long long)key);
	status = session_query(session, "SELECT pg_advisory_unlock($1::bigint)", 1, values, &result, error, error_size);
	if (status == PG_SESSION_OK)
		pglib.PQclear(result);
	return status;
}

enum pg_session_status pgconn_session_lock_held(struct pg_session *session, int64_t key, bool *held, char *error,
                                                size_t error_size)
{
	char holder[1];

	return pgconn_session_lock_holder(session, key, held, holder, sizeof(holder), error, error_size);
}

enum pg_session_status pgconn_session_lock_holder(struct pg_session *session, int64_t key, bool *found, char *out,
                                                  size_t out_size, char *error, size_t error_size)
{
	/* Columns of other users' sessions may be NULL (pg_read_all_stats):
	 * each is left out then. */
	static const char sql[] =
	    "SELECT l.pid, coalesce(nullif(a.application_name, ''), 'an unnamed client'), "
	    "coalesce(' from ' || host(a.client_addr), ''), "
	    "coalesce(', connected at ' || to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') "
	    "|| ' UTC', ''), "
	    "coalesce(', ' || a.state || ' for ' || extract(epoch FROM now() - a.state_change)::bigint || ' s', '') "
	    "FROM pg_locks l JOIN pg_database d ON d.oid = l.database LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
	    "WHERE d.datname = current_database() AND l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted AND "
	    "l.classid = ($1::bigint >> 32)::oid AND l.objid = ($1::bigint & 4294967295)::oid LIMIT 1";
	char key_text[24];
	const char *values[] = {key_text};
	PGresult *result;
	enum pg_session_status status;

	snprintf(key_text, sizeof(key_text), "%lld", (long long)key);
	*found = false;
	status = session_query(session, sql, 1, values, &result, error, error_size);
	if (status != PG_SESSION_OK)
		return status;
	if (pglib.PQntuples(result) == 1) {
		*found = true;
		snprintf(out, out_size, "pid %s, %s%s%s%s", pglib.PQgetvalue(result, 0, 0),
		         pglib.PQgetvalue(result, 0, 1), pglib.PQgetvalue(result, 0, 2), pglib.PQgetvalue(result, 0, 3),
		         pglib.PQgetvalue(result, 0, 4));
	}
	pglib.PQclear(result);
	return PG_SESSION_OK;
}

enum pg_session_status pgconn_session_schema_tables(struct pg_session *session, size_t *count, char *names,
                                                    size_t names_size, char *error, size_t error_size)
{
	static const char sql[] =
	    "SELECT count(*), coalesce(string_agg(name, ', ' ORDER BY name) FILTER (WHERE n <= 3), '') FROM "
	    "(SELECT c.relname AS name, row_number() OVER (ORDER BY c.relname) AS n FROM pg_class c JOIN "
	    "pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', "
	    "'f')) AS found";
	const char *values[] = {session->target->schema};
	PGresult *result;
	enum pg_session_status status = session_query(session, sql, 1, values, &result, error, error_size);

	*count = 0;
	if (names_size > 0)
		names[0] = '\0';
	if (status != PG_SESSION_OK)
		return status;
	if (pglib.PQntuples(result) == 1) {
		*count = (size_t)strtoull(pglib.PQgetvalue(result, 0, 0), NULL, 10);
		snprintf(names, names_size, "%s", pglib.PQgetvalue(result, 0, 1));
	}
	pglib.PQclear(result);
	return PG_SESSION_OK;
}

enum pg_session_status pgconn_session_database_exists(struct pg_session *session, const char *name, bool *exists,
                                                      char *error, size_t error_size)
{
	const char *values[] = {name};
	PGresult *result;
	enum pg_session_status status =
	    session_query(session, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", 1, values, &result,
	                  error, error_size);

	*exists = false;
	if (status != PG_SESSION_OK)
		return status;
	*exists = pglib.PQntuples(result) == 1 && strcmp(pglib.PQgetvalue(result, 0, 0), "t") == 0;
	pglib.PQclear(result);
	return PG_SESSION_OK;
}

enum pg_session_status pgconn_session_create_database(struct pg_session *session, const char *name, char *error,
                                                      size_t error_size)
{
	PGresult *result;
	enum pg_session_status status;
	char *quoted;
	char *sql = NULL;

	if (!session->probe) {
		snprintf(error, error_size, "the connection was closed after a query got no answer in time");
		return PG_SESSION_FAILED;
	}
	/* CREATE DATABASE takes no parameters: the name is quoted instead. */
	quoted = pglib.PQescapeIdentifier(pgconn_probe_connection(session->probe), name, strlen(name));
	if (!quoted || asprintf(&sql, "CREATE DATABASE %s", quoted) < 0) {
		if (quoted)
			pglib.PQfreemem(quoted);
		snprintf(error, error_size, "%s", strerror(ENOMEM));
		return PG_SESSION_FAILED;
	}
	pglib.PQfreemem(quoted);
	status = session_query(session, sql, 0, NULL, &result, error, error_size);
	free(sql);
	if (status == PG_SESSION_OK)
		pglib.PQclear(result);
	return status;
}

/* The seed = once record. Not in the app's schema: prisma migrate dev and
 * migrate diff describe the URL's schema (or the datasource's `schemas`
 * list) and would call a table of ours there drift; a schema of our own is
 * outside what they look at, and outside what prisma migrate reset drops.
 * One row per app schema (Prisma's ?schema=), so that apps sharing a
 * database in schemas of their own are seeded each once. */
#define SEED_TABLE "prisma_entrypoint.seed"

enum pg_session_status pgconn_session_seed_state(struct pg_session *session, enum pg_seed_state *state, char *when,
                                                 size_t when_size, char *error, size_t error_size)
{
	static const char sql[] =
	    "SELECT seeded_at IS NOT NULL, to_char(coalesce(seeded_at, owed_since) AT TIME ZONE "
	    "'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC', attempts FROM " SEED_TABLE " WHERE schema_name = $1";
	const char *values[] = {session->target->schema};
	PGresult *result;
	enum pg_session_status status;

	*state = PG_SEED_NONE;
	if (when_size > 0)
		when[0] = '\0';
	status = session_query(session, "SELECT to_regclass('" SEED_TABLE "') IS NOT NULL", 0, NULL, &result, error,
	                       error_size);
	if (status != PG_SESSION_OK)
		return status;
	bool exists = pglib.PQntuples(result) == 1 && strcmp(pglib.PQgetvalue(result, 0, 0), "t") == 0;
	pglib.PQclear(result);
	if (!exists)
		return PG_SESSION_OK;
	status = session_query(session, sql, 1, values, &result, error, error_size);
	if (status != PG_SESSION_OK)
		return status;
	if (pglib.PQntuples(result) == 1) {
		*state = strcmp(pglib.PQgetvalue(result, 0, 0), "t") == 0 ? PG_SEED_DONE : PG_SEED_OWED;
		snprintf(when, when_size, "%s", pglib.PQgetvalue(result, 0, 1));
	}
	pglib.PQclear(result);
	return PG_SESSION_OK;
}

enum pg_session_status pgconn_session_seed_owe(struct pg_session *session, char *error, size_t error_size)
{
	static const char *const steps[] = {
	    "CREATE SCHEMA IF NOT EXISTS prisma_entrypoint",
	    "CREATE TABLE IF NOT EXISTS " SEED_TABLE " (schema_name text PRIMARY KEY, owed_since timestamptz NOT NULL "
	    "DEFAULT now(), seeded_at timestamptz, attempts integer NOT NULL DEFAULT 0, last_error text)",
	};
	const char *values[] = {session->target->schema};
	PGresult *result;
	enum pg_session_status status;

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		status = session_query(session, steps[i], 0, NULL, &result, error, error_size);
		if (status != PG_SESSION_OK)
			return status;
		pglib.PQclear(result);
	}
	status = session_query(session, "INSERT INTO " SEED_TABLE " (schema_name) VALUES ($1) ON CONFLICT DO NOTHING",
	                       1, values, &result, error, error_size);
	if (status == PG_SESSION_OK)
		pglib.PQclear(result);
	return status;
}

enum pg_session_status pgconn_session_seed_settle(struct pg_session *session, const char *failure, char *error,
                                                  size_t error_size)
{
	const char *values[] = {session->target->schema, failure};
	PGresult *result;
	enum pg_session_status status =
	    session_query(session,
	                  "UPDATE " SEED_TABLE " SET seeded_at = CASE WHEN $2::text IS NULL THEN now() END, attempts = "
	                  "attempts + 1, last_error = $2::text WHERE schema_name = $1",
	                  2, values, &result, error, error_size);

	if (status == PG_SESSION_OK)
		pglib.PQclear(result);
	return status;
}

void pgconn_session_close(struct pg_session *session)
{
	if (!session)
		return;
	pgconn_probe_free(session->probe);
	free(session);
}

const char *pgconn_session_schema(const struct pg_session *session)
{
	return session->target->schema;
}
