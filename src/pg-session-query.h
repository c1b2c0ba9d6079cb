/* The one way a session talks to its server, under pg-session.h's calls: for
 * the pg-*.c files that run their own statements through a session
 * (pg-apply.c). Needs libpq's types, so only pg-*.c include it. */
#ifndef PE_PG_SESSION_QUERY_H
#define PE_PG_SESSION_QUERY_H

#include "pg-session.h"

#include <libpq-fe.h>
#include <stdbool.h>

struct pg_query {
	const char *sql;
	int count; /* text parameters $1..$count (not with script) */
	const char *const *values;
	bool script;      /* sql may hold many statements: sent as one simple query */
	bool no_deadline; /* may run as long as it takes (a migration's script): only a
	                   * stop ends it, with a cancel request to the server first */
};

/* Runs the query and waits for its result (a script's first error, else its
 * first result). Returns OK with *result to PQclear; FAILED with error set
 * and, when the server answered with an error, *result holding it (PQclear
 * it; NULL when the connection failed); or STOPPED. A query that gets no
 * answer in time, or is stopped, closes the connection. */
enum pg_session_status pgconn_session_run(struct pg_session *session, const struct pg_query *query, PGresult **result,
                                          char *error, size_t error_size);

/* The schema the target's URL names (Prisma's ?schema=, "public" by default). */
const char *pgconn_session_schema(const struct pg_session *session);

/* The session's connection, for quoting; NULL once it was closed. */
PGconn *pgconn_session_connection(struct pg_session *session);

#endif
