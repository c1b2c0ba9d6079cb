/* Waiting until the database and other dependencies are usable.
 *
 * Every dependency is a small state machine on the event loop: an attempt
 * (resolve, connect, for PostgreSQL authenticate and SELECT 1), bounded by
 * its own timeout, then a pause that grows from 10 ms to backoff_max with
 * jitter, until it is ready, fails for good, or the one deadline passes.
 * PostgreSQL's attempt starts with a bare connect to its ports (the connect
 * probe) and logs in only when one accepts: a closed port is probed again
 * every backoff_max, a login the server turned away (starting up) is tried
 * again from 10 ms without a probe.
 * All dependencies are waited for at once. Progress and the diagnosis are
 * logged here; the caller only maps the outcome to an exit code. */
#ifndef PE_WAIT_H
#define PE_WAIT_H

#include "loop.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wait_params {
	struct loop *loop;
	const char *database_url;      /* DATABASE_URL as Prisma reads it; NULL when unset */
	bool keep_database_connection; /* hand the ready connection over in wait_result */
	char *const *urls;             /* further dependencies: tcp://, http(s)://, unix://, file:// */
	size_t url_count;
	/* The file a file: database_url names, resolved as Prisma resolves it
	 * (migrate_plan_sqlite_file()); NULL: resolved from the working
	 * directory. Its folder is waited for. */
	const char *sqlite_file;
	int64_t timeout_ms; /* 0: no deadline */
	int64_t attempt_timeout_ms;
	int64_t backoff_max_ms;
	int64_t progress_interval_ms; /* how often "still waiting" is logged */
	const int *http_statuses;     /* statuses that mean ready; none: any 2xx */
	size_t http_status_count;
	const char *http_ca_file; /* NULL: the system's CA store */
	bool http_insecure;
	/* Asked when the server says the database does not exist (3D000): true
	 * when what runs after the wait creates it (prisma migrate deploy), and
	 * the database then counts as ready; why says so for the log ("prisma
	 * migrate deploy creates it"). NULL: a missing database fails for good. */
	bool (*database_created_later)(const void *arg, char *why, size_t why_size);
	const void *database_created_later_arg;
};

enum wait_outcome {
	WAIT_READY,     /* everything is ready (or there was nothing to wait for) */
	WAIT_TIMED_OUT, /* the deadline passed; each dependency's last state was logged */
	WAIT_REFUSED,   /* a dependency failed for good (wrong password, ...) */
	WAIT_STOPPED,   /* a stop signal arrived: signal says which */
	WAIT_BAD_URL,   /* a URL could not be understood */
	WAIT_FAILED,    /* the system refused something (threads, sockets, poll) */
};

struct pg_probe;

struct wait_result {
	enum wait_outcome outcome;
	int signal;
	/* With keep_database_connection, when the database was found ready: its
	 * connection, logged in and idle, for the next phase to use rather than
	 * log in again (the caller frees it with pgconn_probe_free()); else NULL. */
	struct pg_probe *database_connection;
};

/* Waits; returns 0 when everything is ready, -1 otherwise (result says why). */
int wait_run(const struct wait_params *params, struct wait_result *result);

#endif
