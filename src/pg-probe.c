#include "pg-probe.h"

#include "pg-error.h"
#include "pg-lib.h"
#include "log.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum probe_step { STEP_CONNECTING, STEP_QUERYING, STEP_DONE };

struct pg_probe {
	PGconn *conn;
	enum probe_step step;
	enum pg_probe_state state;
	PostgresPollingStatusType polling; /* what PQconnectPoll asked for last */
	bool flushing;                     /* the query is not all sent yet */
	bool answered;                     /* SELECT 1 gave its row */
	struct pg_error_context context;   /* sslmode, sslidentity: for the verdict */
	char *password;                    /* to keep it out of messages, whatever libpq says */
	struct pg_error error;
	const char *advice;
};

/* Joins one field of every endpoint with commas; NULL fields are empty. */
static char *join_field(const struct pg_endpoint *endpoints, size_t count, size_t field, bool *bad_comma)
{
	char *text = NULL;
	size_t size;
	FILE *stream = open_memstream(&text, &size);

	if (!stream)
		return NULL;
	for (size_t i = 0; i < count; i++) {
		const char *fields[] = {endpoints[i].host, endpoints[i].hostaddr, endpoints[i].port};
		const char *value = fields[field] ? fields[field] : "";

		if (strchr(value, ','))
			*bad_comma = true;
		fprintf(stream, "%s%s", i > 0 ? "," : "", value);
	}
	if (fclose(stream) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

static enum pg_probe_state finish(struct pg_probe *probe, enum pg_probe_state state, const char *advice)
{
	probe->step = STEP_DONE;
	probe->state = state;
	probe->advice = state == PG_PROBE_PERMANENT && advice ? advice : "";
	return state;
}

/* The verdict on the error read last (pg-error.h). */
static enum pg_probe_state classify(struct pg_probe *probe)
{
	pg_error_classify(&probe->error, &probe->context);
	return finish(probe, probe->error.verdict == PG_ERROR_PERMANENT ? PG_PROBE_PERMANENT : PG_PROBE_TRANSIENT,
	              probe->error.advice);
}

static void take_error(struct pg_probe *probe, const char *text, const char *sqlstate)
{
	pg_error_read(&probe->error, text, sqlstate, probe->password);
}

static enum pg_probe_state fail_from_conn(struct pg_probe *probe)
{
	take_error(probe, pglib.PQerrorMessage(probe->conn), NULL);
	return classify(probe);
}

/* Configuration errors found before any network traffic. */
static enum pg_probe_state fail_at_start(struct pg_probe *probe, const char *message)
{
	pg_error_at_start(&probe->error, message, probe->password);
	return finish(probe, PG_PROBE_PERMANENT, probe->error.advice);
}

/* A server notice, at verbose level, without its line end. */
static void log_server_notice(void *arg, const char *message)
{
	(void)arg;
	log_verbose("server: %.*s", (int)strcspn(message, "\n"), message);
}

struct pg_probe *pgconn_probe_start(const struct pg_target *target, const struct pg_endpoint *endpoints, size_t count)
{
	struct pg_probe *probe = calloc(1, sizeof(*probe));
	char **keywords = NULL;
	char **values = NULL;
	bool bad_comma = false;
	bool any_address = false;
	char *hosts = NULL;
	char *addresses = NULL;
	char *ports = NULL;
	const char *password;

	char load_error[256];

	if (!probe)
		return NULL;
	if (pglib_load(load_error, sizeof(load_error)) < 0) {
		probe->advice = "";
		take_error(probe, load_error, NULL);
		finish(probe, PG_PROBE_PERMANENT, "install libpq (Debian: libpq5)");
		return probe;
	}
	probe->state = PG_PROBE_RUNNING;
	probe->advice = "";
	probe->polling = PGRES_POLLING_WRITING;
	probe->context.identity_dropped = target->identity_dropped;
	{
		const char *sslmode = pgconn_target_value(target, "sslmode");

		probe->context.tls_off = sslmode && (strcmp(sslmode, "disable") == 0 || strcmp(sslmode, "allow") == 0);
	}
	password = pgconn_target_value(target, "password");
	if (password && !(probe->password = strdup(password)))
		goto oom;
	if (count == 0) {
		fail_at_start(probe, "no address to connect to");
		return probe;
	}
	for (size_t i = 0; i < count; i++)
		any_address = any_address || endpoints[i].hostaddr;
	hosts = join_field(endpoints, count, 0, &bad_comma);
	addresses = join_field(endpoints, count, 1, &bad_comma);
	ports = join_field(endpoints, count, 2, &bad_comma);
	if (!hosts || !addresses || !ports)
		goto oom;
	if (bad_comma) {
		fail_at_start(probe,
		              "a host name, socket directory or port holds a comma, which libpq would read as a list");
		goto out;
	}
	if (pgconn_target_params(target, hosts, any_address ? addresses : NULL, ports, &keywords, &values) < 0)
		goto oom;
	probe->conn = pglib.PQconnectStartParams((const char *const *)keywords, (const char *const *)values, 0);
	if (!probe->conn)
		goto oom;
	/* Verbose puts the code first in every server message ("FATAL:
	 * 28P01: password authentication failed ..."); PQERRORS_SQLSTATE would
	 * leave the code alone, without the words. */
	pglib.PQsetErrorVerbosity(probe->conn, PQERRORS_VERBOSE);
	/* libpq's own would print the server's notices on stderr as they are
	 * ("NOTICE: schema ... already exists, skipping" from a migration). */
	pglib.PQsetNoticeProcessor(probe->conn, log_server_notice, NULL);
	/* libpq rejects bad parameters here, and a missing socket file too:
	 * connect(2) on a unix socket fails at once. Only the latter names a
	 * server. */
	if (pglib.PQstatus(probe->conn) == CONNECTION_BAD) {
		if (strstr(pglib.PQerrorMessage(probe->conn), "connection to server "))
			probe->state = fail_from_conn(probe);
		else
			fail_at_start(probe, pglib.PQerrorMessage(probe->conn));
	}
out:
	pgconn_params_free(keywords, values);
	free(hosts);
	free(addresses);
	free(ports);
	return probe;
oom:
	pgconn_params_free(keywords, values);
	free(hosts);
	free(addresses);
	free(ports);
	pgconn_probe_free(probe);
	errno = ENOMEM;
	return NULL;
}

int pgconn_probe_fd(const struct pg_probe *probe)
{
	if (probe->step == STEP_DONE || !probe->conn)
		return -1;
	return pglib.PQsocket(probe->conn);
}

short pgconn_probe_events(const struct pg_probe *probe)
{
	switch (probe->step) {
	case STEP_CONNECTING:
		return probe->polling == PGRES_POLLING_READING ? POLLIN : POLLOUT;
	case STEP_QUERYING:
		return probe->flushing ? POLLIN | POLLOUT : POLLIN;
	case STEP_DONE:
		break;
	}
	return 0;
}

static enum pg_probe_state start_query(struct pg_probe *probe)
{
	int flushed;

	probe->step = STEP_QUERYING;
	if (pglib.PQsetnonblocking(probe->conn, 1) != 0 || !pglib.PQsendQuery(probe->conn, "SELECT 1"))
		return fail_from_conn(probe);
	flushed = pglib.PQflush(probe->conn);
	if (flushed < 0)
		return fail_from_conn(probe);
	probe->flushing = flushed == 1;
	return PG_PROBE_RUNNING;
}

/* Reads what the server sent; READY once the query's results are all in. */
static enum pg_probe_state continue_query(struct pg_probe *probe)
{
	if (probe->flushing) {
		int flushed = pglib.PQflush(probe->conn);

		if (flushed < 0)
			return fail_from_conn(probe);
		probe->flushing = flushed == 1;
	}
	if (!pglib.PQconsumeInput(probe->conn))
		return fail_from_conn(probe);
	while (!pglib.PQisBusy(probe->conn)) {
		PGresult *result = pglib.PQgetResult(probe->conn);

		if (!result) {
			if (probe->answered)
				return finish(probe, PG_PROBE_READY, NULL);
			if (!probe->error.message[0])
				take_error(probe, "SELECT 1 returned no row", NULL);
			return classify(probe);
		}
		if (pglib.PQresultStatus(result) == PGRES_TUPLES_OK && pglib.PQntuples(result) == 1) {
			probe->answered = true;
		} else if (!probe->error.message[0]) {
			const char *primary = pglib.PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);

			take_error(probe, primary ? primary : pglib.PQresultErrorMessage(result),
			           pglib.PQresultErrorField(result, PG_DIAG_SQLSTATE));
			probe->answered = false;
		}
		pglib.PQclear(result);
	}
	return PG_PROBE_RUNNING;
}

static bool socket_ready(const struct pg_probe *probe)
{
	struct pollfd pfd = {.fd = pgconn_probe_fd(probe), .events = pgconn_probe_events(probe)};

	return pfd.fd < 0 || poll(&pfd, 1, 0) != 0;
}

enum pg_probe_state pgconn_probe_advance(struct pg_probe *probe)
{
	enum pg_probe_state state = probe->state;

	switch (probe->step) {
	case STEP_CONNECTING:
		/* PQconnectPoll must only run once the socket is ready: called
		 * early, it takes a connect(2) still in progress for a
		 * connection made. */
		if (!socket_ready(probe))
			break;
		probe->polling = pglib.PQconnectPoll(probe->conn);
		if (probe->polling == PGRES_POLLING_FAILED)
			state = fail_from_conn(probe);
		else if (probe->polling == PGRES_POLLING_OK)
			state = start_query(probe);
		if (state == PG_PROBE_RUNNING && probe->step == STEP_QUERYING)
			state = continue_query(probe);
		break;
	case STEP_QUERYING:
		state = continue_query(probe);
		break;
	case STEP_DONE:
		break;
	}
	probe->state = state;
	return state;
}

enum pg_probe_state pgconn_probe_state(const struct pg_probe *probe)
{
	return probe->state;
}

const char *pgconn_probe_message(const struct pg_probe *probe)
{
	return probe->state == PG_PROBE_READY ? "" : probe->error.message;
}

const char *pgconn_probe_sqlstate(const struct pg_probe *probe)
{
	return probe->error.sqlstate;
}

bool pgconn_probe_missing_database(const struct pg_probe *probe)
{
	return pg_error_is_missing_database(&probe->error);
}

const char *pgconn_probe_advice(const struct pg_probe *probe)
{
	return probe->advice;
}

void pgconn_probe_free(struct pg_probe *probe)
{
	if (!probe)
		return;
	if (probe->conn)
		pglib.PQfinish(probe->conn);
	if (probe->password) {
		explicit_bzero(probe->password, strlen(probe->password));
		free(probe->password);
	}
	free(probe);
}

struct pg_conn *pgconn_probe_connection(const struct pg_probe *probe)
{
	return probe->state == PG_PROBE_READY ? probe->conn : NULL;
}
