#include "wait.h"

#include "http.h"
#include "log.h"
#include "pg-probe.h"
#include "proc.h"
#include "resolve.h"
#include "url.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define FIRST_PAUSE_MS      10
#define STARTING_UP_FAST_MS 1000
#define MESSAGE_MAX         512
#define SHOWN_URL_MAX       256 /* a URL in a message of MESSAGE_MAX */
#define MAX_ENDPOINTS       16
/* An address in a message: numeric, or a unix socket's path. */
#define ADDRESS_TEXT_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) + 8)
/* setup_database(): a well-formed URL for a database nobody here speaks to. */
#define UNSUPPORTED_SCHEME (-2)

enum dep_kind {
	DEP_POSTGRES,  /* a real connection, authenticated, answering SELECT 1 */
	DEP_TCP,       /* a TCP port that accepts */
	DEP_HTTP,      /* an HTTP(S) URL that answers with an accepted status */
	DEP_UNIX,      /* a unix socket that accepts */
	DEP_FILE,      /* a path that exists */
	DEP_DIRECTORY, /* a directory that exists and is writable (SQLite's) */
};

struct waiter;

/* One address a connect probe tries: a TCP address, or a unix socket. */
struct port_address {
	struct sockaddr_storage address;
	socklen_t length;
	char text[ADDRESS_TEXT_MAX];
};

struct dep {
	struct waiter *waiter;
	enum dep_kind kind;
	char *label; /* "postgres at db:5432", "tcp://api:8080"; never a password */
	char *host;  /* DEP_TCP */
	char *port;
	char *path; /* DEP_UNIX, DEP_FILE, DEP_DIRECTORY */
	char *url;  /* DEP_HTTP */
	struct http_probe *http;
	struct pg_target target;
	bool has_target;

	bool ready;
	int attempts;
	int64_t pause_ms;
	int attempt_timer;
	int retry_timer;
	int watched_fd; /* -1 when none */
	struct resolve_request *resolving;
	/* What to do once resolving is over (tcp or PostgreSQL); error is NULL on success. */
	void (*on_resolved)(struct dep *dep, const struct addrinfo *addresses, const char *error);
	/* The connect probe (tcp, and PostgreSQL before it logs in): the
	 * addresses tried in turn, and what follows when one accepts. */
	struct port_address ports[MAX_ENDPOINTS];
	size_t port_count;
	size_t port_index;
	void (*on_port_open)(struct dep *dep);
	int socket_fd;
	char address_text[ADDRESS_TEXT_MAX];
	/* PostgreSQL: hosts resolved so far, then the probe over all of them */
	size_t host_index;
	struct pg_endpoint endpoints[MAX_ENDPOINTS];
	char endpoint_addresses[MAX_ENDPOINTS][64];
	size_t endpoint_count;
	struct pg_probe *probe;
	bool is_database;      /* the database_url's dependency */
	struct pg_probe *kept; /* is_database, ready: its connection, kept for the caller */
	/* The server answered the last login (57P03 starting up, 53300 too
	 * many clients): the next attempt logs in again at once rather than
	 * probing a port known to be open. */
	bool login_next;
	/* When the server first answered 57P03 ("starting up") in the current
	 * run of such answers; -1 outside one. */
	int64_t starting_since_ms;
	const char *step; /* PostgreSQL: "connect probe" or "login", for the -vv attempt lines */

	char attempt_error[MESSAGE_MAX]; /* the current attempt's latest failure */
	char last_error[MESSAGE_MAX];    /* why the last finished attempt failed */
};

struct waiter {
	const struct wait_params *params;
	struct dep *deps;
	size_t count;
	size_t ready_count;
	int64_t started_ms;
	enum wait_outcome outcome;
	int signal;
	bool finished;
	int progress_timer;
};

static void start_attempt(struct dep *dep);

static double seconds_since(const struct waiter *waiter)
{
	return (double)(loop_now_ms() - waiter->started_ms) / 1000.0;
}

static void finish(struct waiter *waiter, enum wait_outcome outcome)
{
	if (waiter->finished)
		return;
	waiter->finished = true;
	waiter->outcome = outcome;
	loop_stop(waiter->params->loop);
}

static void unwatch(struct dep *dep)
{
	if (dep->watched_fd >= 0)
		loop_unwatch_fd(dep->waiter->params->loop, dep->watched_fd);
	dep->watched_fd = -1;
}

static void watch(struct dep *dep, int fd, short events, loop_fd_fn *callback)
{
	unwatch(dep);
	if (loop_watch_fd(dep->waiter->params->loop, fd, events, callback, dep) == 0)
		dep->watched_fd = fd;
}

/* Ends whatever the current attempt holds: descriptors, lookups, probe. */
static void abort_attempt(struct dep *dep)
{
	unwatch(dep);
	loop_cancel_timer(dep->waiter->params->loop, dep->attempt_timer);
	dep->attempt_timer = -1;
	resolve_release(dep->resolving);
	dep->resolving = NULL;
	if (dep->socket_fd >= 0)
		close(dep->socket_fd);
	dep->socket_fd = -1;
	if (dep->probe)
		pgconn_probe_free(dep->probe);
	dep->probe = NULL;
	http_probe_free(dep->http);
	dep->http = NULL;
}

static void on_retry(struct loop *loop, void *arg)
{
	struct dep *dep = arg;

	(void)loop;
	dep->retry_timer = -1;
	start_attempt(dep);
}

/* The next pause: grows by half up to backoff_max, with 20% jitter either
 * way so that replicas started together do not knock in step. */
static int64_t next_pause(struct dep *dep)
{
	int64_t cap = dep->waiter->params->backoff_max_ms;
	int64_t base = dep->pause_ms ? dep->pause_ms + dep->pause_ms / 2 : FIRST_PAUSE_MS;
	int64_t jitter;

	if (base > cap)
		base = cap;
	dep->pause_ms = base;
	jitter = base / 5 ? (int64_t)(random() % (2 * (base / 5) + 1)) - base / 5 : 0;
	return base + jitter > 0 ? base + jitter : 1;
}

/* A PostgreSQL port that refuses: probed again after backoff-max, without
 * the growth from 10 ms. A refused connect costs the server nothing, but the
 * pause alone sets how many connects a second it sees while down; jitter
 * only upwards (up to 10%) so that the rate stays under 1/backoff-max. */
static int64_t probe_pause(struct dep *dep)
{
	int64_t base = dep->waiter->params->backoff_max_ms;
	int64_t jitter = base / 10 ? (int64_t)(random() % (base / 10 + 1)) : 0;

	/* Once the port opens, logins turned away start again from 10 ms. */
	dep->pause_ms = 0;
	dep->starting_since_ms = -1;
	return base + jitter > 0 ? base + jitter : 1;
}

/* A server that answered "the database system is starting up" is replaying
 * its WAL and takes logins the moment it is done: asked again every 10 ms
 * for its first second of it (the answer costs it a fork, no
 * authentication), then with the usual growth, so that a standby that
 * never takes logins is not asked a hundred times a second for ever. */
static int64_t starting_up_pause(struct dep *dep)
{
	int64_t now = loop_now_ms();

	if (dep->starting_since_ms < 0)
		dep->starting_since_ms = now;
	if (now - dep->starting_since_ms >= STARTING_UP_FAST_MS)
		return next_pause(dep);
	dep->pause_ms = 0;
	return FIRST_PAUSE_MS;
}

/* message and advice may point into dep->attempt_error, which
 * abort_attempt() leaves alone, but not into the probes it frees. */
static void attempt_failed_after(struct dep *dep, bool permanent, const char *message, const char *advice,
                                 int64_t (*pause)(struct dep *dep))
{
	abort_attempt(dep);
	snprintf(dep->last_error, sizeof(dep->last_error), "%s", message);
	if (permanent) {
		if (advice && *advice)
			log_error("%s: %s: %s", dep->label, message, advice);
		else
			log_error("%s: %s", dep->label, message);
		finish(dep->waiter, WAIT_REFUSED);
		return;
	}
	if (dep->step)
		log_debug("%s: attempt %d: %s: %s", dep->label, dep->attempts, dep->step, message);
	else
		log_debug("%s: attempt %d: %s", dep->label, dep->attempts, message);
	dep->retry_timer = loop_add_timer(dep->waiter->params->loop, pause(dep), on_retry, dep);
}

static void attempt_failed(struct dep *dep, bool permanent, const char *message, const char *advice)
{
	dep->starting_since_ms = -1;
	attempt_failed_after(dep, permanent, message, advice, next_pause);
}

/* note: said after the ready line, in parentheses, when not "". */
static void attempt_succeeded_with(struct dep *dep, const char *note)
{
	struct waiter *waiter = dep->waiter;

	abort_attempt(dep);
	dep->ready = true;
	waiter->ready_count++;
	log_info("%s ready after %.2f s, %d attempt%s%s%s%s", dep->label, seconds_since(waiter), dep->attempts,
	         dep->attempts == 1 ? "" : "s", note[0] ? " (" : "", note, note[0] ? ")" : "");
	if (waiter->ready_count == waiter->count)
		finish(waiter, WAIT_READY);
}

static void attempt_succeeded(struct dep *dep)
{
	attempt_succeeded_with(dep, "");
}

static void on_attempt_timeout(struct loop *loop, void *arg)
{
	struct dep *dep = arg;
	char message[MESSAGE_MAX];

	(void)loop;
	dep->attempt_timer = -1;
	if (dep->address_text[0])
		snprintf(message, sizeof(message), "no response within %lld ms (%s)",
		         (long long)dep->waiter->params->attempt_timeout_ms, dep->address_text);
	else
		snprintf(message, sizeof(message), "no response within %lld ms",
		         (long long)dep->waiter->params->attempt_timeout_ms);
	attempt_failed(dep, false, message, NULL);
}

/* ---- TCP: the connect probe ---- */

static void try_next_port(struct dep *dep);

/* Nothing accepted: a tcp:// dependency backs off as usual; PostgreSQL
 * probes again after backoff-max. */
static void ports_closed(struct dep *dep)
{
	if (dep->kind == DEP_POSTGRES)
		attempt_failed_after(dep, false, dep->attempt_error, NULL, probe_pause);
	else
		attempt_failed(dep, false, dep->attempt_error, NULL);
}

/* Why a connect failed, for dep->attempt_error. PostgreSQL's in the words
 * its login would have used (pg-error.c reads libpq's): "connection
 * refused", "socket /run/postgresql/.s.PGSQL.5432 does not exist". */
static void connect_failed(struct dep *dep, int error)
{
	const struct port_address *port = &dep->ports[dep->port_index];

	if (dep->kind != DEP_POSTGRES)
		snprintf(dep->attempt_error, sizeof(dep->attempt_error), "%s (%s)", strerror(error), port->text);
	else if (port->address.ss_family == AF_UNIX && error == ENOENT)
		snprintf(dep->attempt_error, sizeof(dep->attempt_error), "socket %s does not exist", port->text);
	else {
		snprintf(dep->attempt_error, sizeof(dep->attempt_error), "%s", strerror(error));
		dep->attempt_error[0] = (char)tolower((unsigned char)dep->attempt_error[0]);
	}
}

static void port_open(struct dep *dep)
{
	unwatch(dep);
	if (dep->socket_fd >= 0)
		close(dep->socket_fd);
	dep->socket_fd = -1;
	dep->on_port_open(dep);
}

static void on_connected(struct loop *loop, int fd, short revents, void *arg)
{
	struct dep *dep = arg;
	int error = 0;
	socklen_t len = sizeof(error);

	(void)loop;
	(void)revents;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
		error = errno;
	if (error == 0) {
		port_open(dep);
		return;
	}
	unwatch(dep);
	close(dep->socket_fd);
	dep->socket_fd = -1;
	connect_failed(dep, error);
	dep->port_index++;
	try_next_port(dep);
}

/* Every address is tried in turn: localhost may be ::1 first. A
 * non-blocking connect: on loopback, or to a host that answers, a closed
 * port is refused at once; only an unanswered SYN waits (attempt-timeout). */
static void try_next_port(struct dep *dep)
{
	while (dep->port_index < dep->port_count) {
		const struct port_address *port = &dep->ports[dep->port_index];

		snprintf(dep->address_text, sizeof(dep->address_text), "%s", port->text);
		dep->socket_fd = socket(port->address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (dep->socket_fd >= 0) {
			if (connect(dep->socket_fd, (const struct sockaddr *)&port->address, port->length) == 0) {
				port_open(dep);
				return;
			}
			if (errno == EINPROGRESS) {
				watch(dep, dep->socket_fd, POLLOUT, on_connected);
				return;
			}
			connect_failed(dep, errno);
			close(dep->socket_fd);
			dep->socket_fd = -1;
		} else {
			connect_failed(dep, errno);
		}
		dep->port_index++;
	}
	ports_closed(dep);
}

static void start_connect_probe(struct dep *dep, void (*then)(struct dep *dep))
{
	dep->port_index = 0;
	dep->on_port_open = then;
	try_next_port(dep);
}

/* A resolved address for the connect probe; false when there is no room. */
static bool add_port(struct dep *dep, const struct addrinfo *address)
{
	struct port_address *port;

	if (dep->port_count == MAX_ENDPOINTS || address->ai_addrlen > sizeof(port->address))
		return false;
	port = &dep->ports[dep->port_count++];
	memcpy(&port->address, address->ai_addr, address->ai_addrlen);
	port->length = address->ai_addrlen;
	{
		char numeric[64];
		unsigned number = 0;

		resolve_numeric(address, numeric, sizeof(numeric));
		if (address->ai_family == AF_INET)
			number = ntohs(((const struct sockaddr_in *)address->ai_addr)->sin_port);
		else if (address->ai_family == AF_INET6)
			number = ntohs(((const struct sockaddr_in6 *)address->ai_addr)->sin6_port);
		snprintf(port->text, sizeof(port->text), strchr(numeric, ':') ? "[%s]:%u" : "%s:%u", numeric, number);
	}
	return true;
}

/* A lookup is over: dep->resolving holds its result. */
typedef void resolved_fn(struct dep *dep, const struct addrinfo *addresses, const char *error);

static void tcp_resolved(struct dep *dep, const struct addrinfo *addresses, const char *error)
{
	dep->port_count = 0;
	for (; addresses && add_port(dep, addresses); addresses = addresses->ai_next)
		;
	resolve_release(dep->resolving);
	dep->resolving = NULL;
	if (error) {
		char message[MESSAGE_MAX];

		snprintf(message, sizeof(message), "'%s': %s", dep->host, error);
		attempt_failed(dep, false, message, NULL);
		return;
	}
	snprintf(dep->attempt_error, sizeof(dep->attempt_error), "no address");
	start_connect_probe(dep, attempt_succeeded);
}

static void on_resolved(struct loop *loop, int fd, short revents, void *arg)
{
	struct dep *dep = arg;
	const struct addrinfo *addresses = NULL;
	const char *error = NULL;

	(void)loop;
	(void)fd;
	(void)revents;
	unwatch(dep);
	if (resolve_result(dep->resolving, &addresses, &error) < 0)
		addresses = NULL;
	else
		error = NULL;
	dep->on_resolved(dep, addresses, error);
}

static int start_resolving(struct dep *dep, const char *host, const char *port, resolved_fn *then)
{
	dep->resolving = resolve_start(host, port);
	if (!dep->resolving) {
		log_error("cannot start resolving '%s': %s", host, strerror(errno));
		finish(dep->waiter, WAIT_FAILED);
		return -1;
	}
	dep->on_resolved = then;
	watch(dep, resolve_fd(dep->resolving), POLLIN, on_resolved);
	return 0;
}

/* ---- PostgreSQL ---- */

static void on_probe_ready(struct loop *loop, int fd, short revents, void *arg);

static void advance_probe(struct dep *dep)
{
	enum pg_probe_state state = pgconn_probe_advance(dep->probe);
	char message[MESSAGE_MAX];

	/* A SQLSTATE: the server (or a pooler) is there and answered. */
	if (state != PG_PROBE_RUNNING)
		dep->login_next = pgconn_probe_sqlstate(dep->probe)[0] != '\0';

	switch (state) {
	case PG_PROBE_RUNNING:
		watch(dep, pgconn_probe_fd(dep->probe), pgconn_probe_events(dep->probe), on_probe_ready);
		return;
	case PG_PROBE_READY:
		/* The migrate phase logs in next: it gets this connection rather
		 * than paying for a second login (SCRAM) right after this one. */
		if (dep->is_database && dep->waiter->params->keep_database_connection) {
			unwatch(dep);
			dep->kept = dep->probe;
			dep->probe = NULL;
		}
		attempt_succeeded(dep);
		return;
	case PG_PROBE_PERMANENT:
		if (pgconn_probe_missing_database(dep->probe) && dep->waiter->params->database_created_later) {
			char why[MESSAGE_MAX / 2];

			if (dep->waiter->params->database_created_later(dep->waiter->params->database_created_later_arg,
			                                                why, sizeof(why))) {
				snprintf(message, sizeof(message), "database \"%.64s\" does not exist yet: %s",
				         dep->target.dbname, why);
				attempt_succeeded_with(dep, message);
				return;
			}
		}
		/* fall through */
	case PG_PROBE_TRANSIENT:
		snprintf(message, sizeof(message), "%s", pgconn_probe_message(dep->probe));
		{
			char advice[MESSAGE_MAX];

			snprintf(advice, sizeof(advice), "%s", pgconn_probe_advice(dep->probe));
			if (state == PG_PROBE_TRANSIENT && strcmp(pgconn_probe_sqlstate(dep->probe), "57P03") == 0) {
				attempt_failed_after(dep, false, message, advice, starting_up_pause);
				return;
			}
			attempt_failed(dep, state == PG_PROBE_PERMANENT, message, advice);
		}
		return;
	}
}

static void on_probe_ready(struct loop *loop, int fd, short revents, void *arg)
{
	(void)loop;
	(void)fd;
	(void)revents;
	advance_probe(arg);
}

static void resolve_next_host(struct dep *dep);

/* The full attempt: libpq over every endpoint, logged in, SELECT 1. */
static void start_login(struct dep *dep)
{
	dep->step = "login";
	dep->login_next = false;     /* until the server answers this one */
	dep->address_text[0] = '\0'; /* libpq may end up on another endpoint */
	dep->probe = pgconn_probe_start(&dep->target, dep->endpoints, dep->endpoint_count);
	if (!dep->probe) {
		attempt_failed(dep, false, "cannot start a connection (out of memory?)", NULL);
		return;
	}
	advance_probe(dep);
}

static void port_open_log_in(struct dep *dep)
{
	log_debug("%s: %s accepts a connection: logging in (attempt %d)", dep->label, dep->address_text, dep->attempts);
	start_login(dep);
}

/* The socket libpq connects to for a socket directory; false when its path
 * does not fit (libpq then says so at the login). */
static bool add_socket_port(struct dep *dep, const struct pg_host *host)
{
	struct port_address *port;
	struct sockaddr_un *address;
	int length;

	if (dep->port_count == MAX_ENDPOINTS)
		return false;
	port = &dep->ports[dep->port_count];
	address = (struct sockaddr_un *)&port->address;
	*address = (struct sockaddr_un){.sun_family = AF_UNIX};
	length = snprintf(address->sun_path, sizeof(address->sun_path), "%s/.s.PGSQL.%s", host->name, host->port);
	if (length < 0 || (size_t)length >= sizeof(address->sun_path))
		return false;
	port->length = sizeof(*address);
	snprintf(port->text, sizeof(port->text), "%s", address->sun_path);
	dep->port_count++;
	return true;
}

static void pg_resolved(struct dep *dep, const struct addrinfo *addresses, const char *error)
{
	const struct pg_host *host = &dep->target.hosts[dep->host_index];

	if (error)
		snprintf(dep->attempt_error, sizeof(dep->attempt_error), "'%s': %s", host->name, error);
	for (; addresses && dep->endpoint_count < MAX_ENDPOINTS; addresses = addresses->ai_next) {
		size_t i = dep->endpoint_count++;

		resolve_numeric(addresses, dep->endpoint_addresses[i], sizeof(dep->endpoint_addresses[i]));
		dep->endpoints[i] = (struct pg_endpoint){host->name, dep->endpoint_addresses[i], host->port};
		add_port(dep, addresses);
	}
	resolve_release(dep->resolving);
	dep->resolving = NULL;
	dep->host_index++;
	resolve_next_host(dep);
}

/* Names are resolved here, without blocking, and libpq gets numeric
 * addresses: its own lookup would block the loop. */
static void resolve_next_host(struct dep *dep)
{
	while (dep->host_index < dep->target.host_count) {
		const struct pg_host *host = &dep->target.hosts[dep->host_index];

		if (!host->is_socket) {
			start_resolving(dep, host->name, host->port, pg_resolved);
			return;
		}
		if (dep->endpoint_count < MAX_ENDPOINTS) {
			dep->endpoints[dep->endpoint_count++] = (struct pg_endpoint){host->name, NULL, host->port};
			add_socket_port(dep, host);
		}
		dep->host_index++;
	}
	if (dep->endpoint_count == 0) {
		attempt_failed(dep, false, dep->attempt_error, NULL);
		return;
	}
	/* While the server is down, a bare connect tells "closed" for next to
	 * nothing, and is cheap enough to repeat every backoff-max; a login
	 * (libpq's set-up, TLS, the server's fork and authentication) is only
	 * worth it once a port accepts, and at once again after the server
	 * answered one ("starting up": the port is known to be open). */
	if (dep->login_next || dep->port_count == 0) {
		start_login(dep);
		return;
	}
	dep->step = "connect probe";
	start_connect_probe(dep, port_open_log_in);
}

/* ---- HTTP ---- */

static void on_http_done(struct http_probe *probe, void *arg)
{
	struct dep *dep = arg;
	char message[MESSAGE_MAX];
	char advice[MESSAGE_MAX];

	if (http_probe_outcome(probe) == HTTP_READY) {
		attempt_succeeded(dep);
		return;
	}
	snprintf(message, sizeof(message), "%s", http_probe_message(probe));
	snprintf(advice, sizeof(advice), "%s", http_probe_advice(probe));
	attempt_failed(dep, http_probe_outcome(probe) == HTTP_PERMANENT, message, advice);
}

static void start_http(struct dep *dep)
{
	const struct wait_params *params = dep->waiter->params;
	struct http_options options = {
	    .ca_file = params->http_ca_file,
	    .insecure = params->http_insecure,
	    .accepted_statuses = params->http_statuses,
	    .accepted_count = params->http_status_count,
	    .timeout_ms = (long)params->attempt_timeout_ms,
	};

	dep->http = http_probe_start(params->loop, dep->url, &options, on_http_done, dep);
	if (!dep->http)
		attempt_failed(dep, false, "cannot start an HTTP request (out of memory?)", NULL);
}

/* ---- local paths ---- */

static void check_path(struct dep *dep)
{
	struct stat st;
	char message[MESSAGE_MAX];

	if (dep->kind == DEP_FILE) {
		if (stat(dep->path, &st) == 0) {
			attempt_succeeded(dep);
			return;
		}
		snprintf(message, sizeof(message), "%s", strerror(errno));
	} else {
		if (stat(dep->path, &st) == 0 && S_ISDIR(st.st_mode) && access(dep->path, W_OK) == 0) {
			attempt_succeeded(dep);
			return;
		}
		snprintf(message, sizeof(message), "directory %s: %s", dep->path,
		         errno ? strerror(errno) : "not a writable directory");
	}
	attempt_failed(dep, false, message, NULL);
}

static void check_unix_socket(struct dep *dep)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	char message[MESSAGE_MAX];

	snprintf(address.sun_path, sizeof(address.sun_path), "%s", dep->path);
	dep->socket_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (dep->socket_fd >= 0 && connect(dep->socket_fd, (struct sockaddr *)&address, sizeof(address)) == 0) {
		attempt_succeeded(dep);
		return;
	}
	snprintf(message, sizeof(message), "%s", strerror(errno));
	attempt_failed(dep, false, message, NULL);
}

static void start_attempt(struct dep *dep)
{
	struct waiter *waiter = dep->waiter;

	if (waiter->finished)
		return;
	dep->attempts++;
	dep->address_text[0] = '\0';
	errno = 0;
	switch (dep->kind) {
	case DEP_FILE:
	case DEP_DIRECTORY:
		check_path(dep);
		return;
	case DEP_UNIX:
		check_unix_socket(dep);
		return;
	case DEP_TCP:
	case DEP_HTTP:
	case DEP_POSTGRES:
		break;
	}
	dep->attempt_timer =
	    loop_add_timer(waiter->params->loop, waiter->params->attempt_timeout_ms, on_attempt_timeout, dep);
	if (dep->kind == DEP_TCP) {
		start_resolving(dep, dep->host, dep->port, tcp_resolved);
		return;
	}
	if (dep->kind == DEP_HTTP) {
		start_http(dep);
		return;
	}
	dep->host_index = 0;
	dep->endpoint_count = 0;
	dep->port_count = 0;
	dep->step = "name lookup";
	snprintf(dep->attempt_error, sizeof(dep->attempt_error), "no address");
	resolve_next_host(dep);
}

/* ---- set-up from URLs ---- */

static char *xstrdup(const char *text)
{
	char *copy = strdup(text ? text : "");

	if (!copy) {
		log_error("out of memory");
		abort();
	}
	return copy;
}

static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format(const char *fmt, ...)
{
	va_list ap;
	char *text = NULL;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0) {
		log_error("out of memory");
		abort();
	}
	va_end(ap);
	return text;
}

/* mysql:// and sqlserver:// are not spoken here: their port is checked. */
static int setup_port_only(struct dep *dep, const char *url, const char *name, const char *default_port, char *error,
                           size_t error_size)
{
	struct url parsed;
	char *copy = xstrdup(url);

	/* sqlserver://host:port;database=...: the parameters follow ';'. */
	copy[strcspn(copy, ";")] = '\0';
	if (url_parse(copy, &parsed, error, error_size) < 0) {
		free(copy);
		return -1;
	}
	free(copy);
	if (parsed.host_count == 0) {
		url_release(&parsed);
		snprintf(error, error_size, "%s URL has no host", name);
		return -1;
	}
	dep->kind = DEP_TCP;
	dep->host = xstrdup(parsed.hosts[0].name);
	dep->port = parsed.hosts[0].port ? format("%u", parsed.hosts[0].port) : xstrdup(default_port);
	dep->label = format("%s at %s:%s (only its TCP port is checked)", name, dep->host, dep->port);
	url_release(&parsed);
	return 0;
}

static int setup_database(struct dep *dep, const char *url, char *error, size_t error_size)
{
	if (url_has_scheme(url, "postgresql") || url_has_scheme(url, "postgres")) {
		if (pgconn_target_from_url(url, &dep->target, error, error_size) < 0)
			return -1;
		dep->has_target = true;
		dep->is_database = true;
		dep->kind = DEP_POSTGRES;
		dep->label = format("postgres at %s", dep->target.display);
		return 0;
	}
	if (url_has_scheme(url, "mysql"))
		return setup_port_only(dep, url, "mysql", "3306", error, error_size);
	if (url_has_scheme(url, "sqlserver"))
		return setup_port_only(dep, url, "sqlserver", "1433", error, error_size);
	if (url_has_scheme(url, "file")) {
		/* SQLite creates the file; its directory must exist and be
		 * writable. "file:./dev.db" and "file:/data/dev.db" alike, the
		 * relative one from where Prisma reads it (the caller's
		 * sqlite_file), else from the working directory. */
		const char *sqlite_file = dep->waiter->params->sqlite_file;
		char resolved[PATH_MAX];
		char *path;

		if (!sqlite_file) {
			char cwd[PATH_MAX];

			if (!getcwd(cwd, sizeof(cwd))) {
				snprintf(error, error_size, "cannot read the working directory: %s", strerror(errno));
				return -1;
			}
			if (url_sqlite_path(url, cwd, resolved, sizeof(resolved), error, error_size) < 0)
				return -1;
			sqlite_file = resolved;
		}
		path = xstrdup(sqlite_file);
		dep->kind = DEP_DIRECTORY;
		dep->path = xstrdup(dirname(path));
		dep->label = format("sqlite directory %s (of %s)", dep->path, sqlite_file);
		free(path);
		return 0;
	}
	{
		char shown[SHOWN_URL_MAX];

		url_for_message(url, shown, sizeof(shown));
		snprintf(
		    error, error_size,
		    "unsupported database URL '%s': expected postgresql://, postgres://, mysql://, sqlserver:// or "
		    "file:",
		    shown);
	}
	return UNSUPPORTED_SCHEME;
}

static int setup_dependency(struct dep *dep, const char *url, char *error, size_t error_size)
{
	struct url parsed;
	char shown[SHOWN_URL_MAX];

	if (url_parse(url, &parsed, error, error_size) < 0)
		return -1;
	url_for_message(url, shown, sizeof(shown));
	if ((strcmp(parsed.scheme, "http") == 0 || strcmp(parsed.scheme, "https") == 0) && parsed.host_count == 1) {
		url_release(&parsed);
		dep->kind = DEP_HTTP;
		dep->url = xstrdup(url);
		dep->label = xstrdup(shown);
		return 0;
	}
	if (strcmp(parsed.scheme, "tcp") == 0 && parsed.host_count == 1 && parsed.hosts[0].port) {
		dep->kind = DEP_TCP;
		dep->host = xstrdup(parsed.hosts[0].name);
		dep->port = format("%u", parsed.hosts[0].port);
		dep->label = format("tcp://%s%s%s:%s", strchr(dep->host, ':') ? "[" : "", dep->host,
		                    strchr(dep->host, ':') ? "]" : "", dep->port);
	} else if (strcmp(parsed.scheme, "tcp") == 0) {
		snprintf(error, error_size, "'%s': tcp:// needs one host and a port, as in tcp://db:5432", shown);
		url_release(&parsed);
		return -1;
	} else if ((strcmp(parsed.scheme, "unix") == 0 || strcmp(parsed.scheme, "file") == 0) && parsed.path &&
	           parsed.path[0] == '/' && parsed.host_count == 0) {
		dep->kind = strcmp(parsed.scheme, "unix") == 0 ? DEP_UNIX : DEP_FILE;
		dep->path = xstrdup(parsed.path);
		dep->label = format("%s://%s", parsed.scheme, dep->path);
	} else if (strcmp(parsed.scheme, "unix") == 0 || strcmp(parsed.scheme, "file") == 0) {
		snprintf(error, error_size, "'%s': %s:// needs an absolute path, as in %s:///run/app.sock", shown,
		         parsed.scheme, parsed.scheme);
		url_release(&parsed);
		return -1;
	} else {
		snprintf(error, error_size,
		         "'%s': unsupported scheme %s://: use tcp://, http://, https://, unix:// or file://", shown,
		         parsed.scheme);
		url_release(&parsed);
		return -1;
	}
	url_release(&parsed);
	return 0;
}

static void release_dep(struct dep *dep)
{
	abort_attempt(dep);
	loop_cancel_timer(dep->waiter->params->loop, dep->retry_timer);
	if (dep->kept)
		pgconn_probe_free(dep->kept);
	dep->kept = NULL;
	if (dep->has_target)
		pgconn_target_release(&dep->target);
	free(dep->label);
	free(dep->host);
	free(dep->port);
	free(dep->path);
	free(dep->url);
}

/* ---- the wait as a whole ---- */

static void on_deadline(struct loop *loop, void *arg)
{
	struct waiter *waiter = arg;

	(void)loop;
	for (size_t i = 0; i < waiter->count; i++)
		if (!waiter->deps[i].ready)
			log_error("%s not ready after %.1f s: %s", waiter->deps[i].label, seconds_since(waiter),
			          waiter->deps[i].last_error[0]
			              ? waiter->deps[i].last_error
			              : "no response yet: the first attempt is still running");
	finish(waiter, WAIT_TIMED_OUT);
}

static void on_progress(struct loop *loop, void *arg)
{
	struct waiter *waiter = arg;

	for (size_t i = 0; i < waiter->count; i++)
		if (!waiter->deps[i].ready)
			log_info("still waiting for %s after %.1f s: %s", waiter->deps[i].label, seconds_since(waiter),
			         waiter->deps[i].last_error[0] ? waiter->deps[i].last_error : "first attempt running");
	waiter->progress_timer = loop_add_timer(loop, waiter->params->progress_interval_ms, on_progress, waiter);
}

static void on_signal(struct loop *loop, const struct signalfd_siginfo *info, void *arg)
{
	struct waiter *waiter = arg;
	int signo = (int)info->ssi_signo;

	(void)loop;
	if (proc_is_stop_signal(signo)) {
		waiter->signal = signo;
		finish(waiter, WAIT_STOPPED);
	} else if (signo == SIGCHLD) {
		/* As PID 1, orphans of the container may already come to us. */
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
}

static void describe_start(const struct waiter *waiter)
{
	char text[2048];
	size_t used = 0;

	for (size_t i = 0; i < waiter->count && used < sizeof(text); i++) {
		const struct dep *dep = &waiter->deps[i];

		used += (size_t)snprintf(text + used, sizeof(text) - used, "%s%s", i ? ", " : "", dep->label);
		if (dep->kind == DEP_POSTGRES && used < sizeof(text))
			used +=
			    (size_t)snprintf(text + used, sizeof(text) - used, " (database %s)", dep->target.dbname);
	}
	if (waiter->params->timeout_ms)
		log_info("waiting for %s (timeout %.1f s)", text, (double)waiter->params->timeout_ms / 1000.0);
	else
		log_info("waiting for %s (no timeout)", text);
}

int wait_run(const struct wait_params *params, struct wait_result *result)
{
	struct waiter waiter = {.params = params, .started_ms = loop_now_ms()};
	size_t wanted = params->url_count + (params->database_url ? 1 : 0);
	char error[MESSAGE_MAX];

	*result = (struct wait_result){.outcome = WAIT_READY};
	if (wanted == 0) {
		log_verbose("nothing to wait for: no database URL and no --wait");
		return 0;
	}
	waiter.deps = calloc(wanted, sizeof(*waiter.deps));
	if (!waiter.deps) {
		log_error("out of memory");
		abort();
	}
	for (size_t i = 0; i < wanted; i++) {
		struct dep *dep = &waiter.deps[waiter.count];
		int status;

		*dep = (struct dep){.waiter = &waiter,
		                    .attempt_timer = -1,
		                    .retry_timer = -1,
		                    .watched_fd = -1,
		                    .socket_fd = -1,
		                    .starting_since_ms = -1};
		if (params->database_url && i == 0)
			status = setup_database(dep, params->database_url, error, sizeof(error));
		else
			status = setup_dependency(dep, params->urls[i - (params->database_url ? 1 : 0)], error,
			                          sizeof(error));
		if (status < 0) {
			log_error("%s", error);
			waiter.outcome = status == UNSUPPORTED_SCHEME ? WAIT_REFUSED : WAIT_BAD_URL;
			waiter.finished = true;
			release_dep(dep);
			continue;
		}
		waiter.count++;
	}
	if (!waiter.finished) {
		int deadline = -1;

		srandom((unsigned)(getpid() ^ waiter.started_ms));
		describe_start(&waiter);
		loop_on_signal(params->loop, on_signal, &waiter);
		if (params->timeout_ms)
			deadline = loop_add_timer(params->loop, params->timeout_ms, on_deadline, &waiter);
		waiter.progress_timer =
		    loop_add_timer(params->loop, params->progress_interval_ms, on_progress, &waiter);
		for (size_t i = 0; i < waiter.count; i++)
			start_attempt(&waiter.deps[i]);
		if (!waiter.finished && loop_run(params->loop) < 0) {
			log_error("waiting failed: %s", strerror(errno));
			waiter.outcome = WAIT_FAILED;
		}
		loop_on_signal(params->loop, NULL, NULL);
		loop_cancel_timer(params->loop, deadline);
		loop_cancel_timer(params->loop, waiter.progress_timer);
	}
	*result = (struct wait_result){.outcome = waiter.outcome, .signal = waiter.signal};
	for (size_t i = 0; i < waiter.count; i++) {
		if (waiter.outcome == WAIT_READY && waiter.deps[i].kept) {
			result->database_connection = waiter.deps[i].kept;
			waiter.deps[i].kept = NULL;
		}
		release_dep(&waiter.deps[i]);
	}
	free(waiter.deps);
	return waiter.outcome == WAIT_READY ? 0 : -1;
}
