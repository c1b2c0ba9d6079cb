/* A readiness probe for PostgreSQL that never blocks: one libpq connection
 * attempt (authenticated, database reached, SELECT 1 answered) driven by the
 * caller's poll loop.
 *
 * libpq does no name lookup here (the caller resolves host names and passes
 * numeric addresses), and nothing here waits. A failed attempt is read by
 * pg-error.h: a one-line message without the password, and a verdict,
 * transient or permanent with advice. The caller owns the probe and frees it
 * with pgconn_probe_free(). */
#ifndef PE_PG_PROBE_H
#define PE_PG_PROBE_H

#include "pg-target.h"

/* One address to try, strings borrowed for the duration of
 * pgconn_probe_start(). */
struct pg_endpoint {
	const char *host;     /* the host name as written (TLS checks it), or the socket directory */
	const char *hostaddr; /* numeric address; NULL for a socket directory */
	const char *port;
};

struct pg_probe;

enum pg_probe_state {
	PG_PROBE_RUNNING,   /* wait for pgconn_probe_events() on pgconn_probe_fd(), then advance */
	PG_PROBE_READY,     /* authenticated, database reached, SELECT 1 answered */
	PG_PROBE_TRANSIENT, /* not ready yet: try again later */
	PG_PROBE_PERMANENT, /* trying again will not help: see pgconn_probe_advice() */
};

/* Starts one connection attempt over endpoints, tried in order (libpq host
 * lists). Returns the probe, or NULL with errno ENOMEM. A probe that fails at
 * once (bad parameters, no endpoints) is returned too, already finished. Call
 * pgconn_probe_advance() once right away. */
struct pg_probe *pgconn_probe_start(const struct pg_target *target, const struct pg_endpoint *endpoints, size_t count);

/* The socket to wait on, -1 when there is none (the probe is finished). It
 * changes when libpq moves to the next endpoint: read it again after every
 * pgconn_probe_advance(). */
int pgconn_probe_fd(const struct pg_probe *probe);

/* POLLIN and/or POLLOUT; 0 once finished. */
short pgconn_probe_events(const struct pg_probe *probe);

/* Does what can be done without blocking. Call when pgconn_probe_fd() is
 * ready for pgconn_probe_events(), and once right after the start. Calling it
 * when the socket is not ready is harmless. */
enum pg_probe_state pgconn_probe_advance(struct pg_probe *probe);

/* The last state pgconn_probe_advance() returned (RUNNING before the first
 * call). */
enum pg_probe_state pgconn_probe_state(const struct pg_probe *probe);

/* Why the probe failed, in plain words on one line, with the SQLSTATE in
 * parentheses when the server sent one: "connection refused", "the database
 * system is starting up (57P03)". "" while running and once ready. */
const char *pgconn_probe_message(const struct pg_probe *probe);

/* The server's SQLSTATE ("28P01", "3D000"), "" when there is none. */
const char *pgconn_probe_sqlstate(const struct pg_probe *probe);

/* Whether the failure says the database does not exist (3D000, also as a
 * connection pooler passes it on: pg_error_is_missing_database()). */
bool pgconn_probe_missing_database(const struct pg_probe *probe);

/* For a permanent failure, what the user can do about it ("check the
 * password in DATABASE_URL"); "" otherwise. */
const char *pgconn_probe_advice(const struct pg_probe *probe);

/* Ends the connection (PQfinish) at any point, the caller's attempt timeout
 * included, and frees the probe. NULL is accepted. */
void pgconn_probe_free(struct pg_probe *probe);

/* libpq's connection (PGconn) of a READY probe, still owned by the probe:
 * the session (pg-session.c) goes on with it. NULL when there is none. */
struct pg_conn;
struct pg_conn *pgconn_probe_connection(const struct pg_probe *probe);

#endif
