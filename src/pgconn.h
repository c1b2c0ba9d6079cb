/* PostgreSQL: Prisma connection URLs read as libpq parameters, and a
 * readiness probe that never blocks.
 *
 * The one user of libpq. A probe is a libpq connection driven by the
 * caller's poll loop: libpq does no name lookup here (the caller resolves
 * host names and passes numeric addresses), and nothing in this module waits.
 * No message this module makes holds a password. */
#ifndef PE_PGCONN_H
#define PE_PGCONN_H

#include "migrations.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where a URL says the server is: a host name or address with a TCP port, or
 * a unix socket directory (from "?host=/path"), whose socket file is
 * DIR/.s.PGSQL.PORT. */
struct pg_host {
	char *name;     /* "db", "10.0.0.5", "::1" (no brackets), or "/var/run/postgresql" */
	char port[8];   /* "5432" when the URL gives none */
	bool is_socket; /* name is a socket directory */
};

/* A postgresql:// URL as libpq connection parameters. Everything is owned by
 * the struct and freed by pgconn_target_release(). */
struct pg_target {
	/* NULL-terminated, the same length: every parameter but host, hostaddr
	 * and port, which pgconn_probe_start() adds per attempt. values holds
	 * the password: never print it. */
	char **keywords;
	char **values;
	struct pg_host *hosts; /* at least one */
	size_t host_count;
	char *dbname;  /* as the server is asked for it */
	char *user;    /* "" when the URL names none (libpq then uses the OS user) */
	char *schema;  /* Prisma's ?schema=, "public" by default */
	char *display; /* "db:5432", "[::1]:5433", "/var/run/postgresql", comma-joined; no password */
	/* The URL carries sslidentity (Prisma's PKCS#12 client certificate),
	 * which libpq cannot present: a server that demands a client certificate
	 * rejects the probe although the app may connect. */
	bool identity_dropped;
	/* ?pgbouncer=true: a transaction pooler may be between us and the
	 * server, where session state (an advisory lock) outlives our
	 * connection. */
	bool pgbouncer;
};

/* libpq's version ("libpq 15.18") in out: 0; or -1 with why it cannot be
 * loaded. */
int pgconn_library_version(char *out, size_t out_size);

/* Translates a postgresql:// or postgres:// URL, written for Prisma, into
 * libpq parameters:
 * - credentials, host list, IPv6 literals and database percent-decoded; no
 *   port means 5432, no database means "postgres" (as Prisma does);
 * - ?host=/dir selects a unix socket directory (?host=name a TCP host), in
 *   place of the URL's hosts;
 * - Prisma-only parameters are dropped (schema is kept in target->schema),
 *   Prisma's sslcert and sslaccept are mapped onto libpq's sslrootcert and
 *   sslmode (see pgconn.c for why), other parameters libpq knows are kept;
 * - a parameter neither Prisma nor libpq knows is an error.
 * Returns 0, or -1 with target cleared and a one-line message in error that
 * shows the URL with its password redacted. Any other scheme is an error:
 * the caller deals with mysql://, sqlserver:// and file: itself. */
int pgconn_target_from_url(const char *url, struct pg_target *target, char *error, size_t error_size);

/* Frees everything; a cleared target may be released again. */
void pgconn_target_release(struct pg_target *target);

/* The value given to libpq for keyword, or NULL. */
const char *pgconn_target_value(const struct pg_target *target, const char *keyword);

/* Prisma resolves certificate paths relative to the folder of the schema
 * file; libpq would take them relative to the working directory. Makes a
 * relative sslrootcert absolute under base_dir. Returns 0, or -1 with errno
 * ENOMEM. */
int pgconn_target_resolve_paths(struct pg_target *target, const char *base_dir);

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

/* For a permanent failure, what the user can do about it ("check the
 * password in DATABASE_URL"); "" otherwise. */
const char *pgconn_probe_advice(const struct pg_probe *probe);

/* Ends the connection (PQfinish) at any point, the caller's attempt timeout
 * included, and frees the probe. NULL is accepted. */
void pgconn_probe_free(struct pg_probe *probe);

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
	PG_SESSION_FAILED,      /* error says why, on one line, without the password */
	PG_SESSION_STOPPED,     /* should_stop said so */
};

/* Connects (authenticated, database reached, SELECT 1 answered). *session is
 * set on OK only; close it with pgconn_session_close(). */
enum pg_session_status pgconn_session_open(const struct pg_session_params *params, struct pg_session **session,
                                           char *error, size_t error_size);

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
enum pg_session_status pgconn_session_lock_held(struct pg_session *session, int64_t key, bool *held, char *error,
                                                size_t error_size);

/* Ends the connection (and with it any lock) and frees the session; NULL is
 * accepted. */
void pgconn_session_close(struct pg_session *session);

#endif
