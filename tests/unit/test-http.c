/* Unit tests for http.c: probes on a real loop against small HTTP servers
 * forked by the test on loopback ports (canned answers, redirects, silence,
 * a closed port, a forward proxy), and an https server run with the openssl
 * command-line tool when it is there. Nothing leaves the machine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testlib.h"

#include "http.h"
#include "loop.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const proxy_variables[] = {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                                              "all_proxy",  "ALL_PROXY",  "no_proxy",    "NO_PROXY"};

/* A probe that never ends must not hang the suite; the host's proxy
 * settings must not send loopback requests elsewhere. */
static int setup(void **state)
{
	(void)state;
	alarm(20);
	for (size_t i = 0; i < ARRAY_LEN(proxy_variables); i++)
		unsetenv(proxy_variables[i]);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	alarm(0);
	return 0;
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

/* ---- a small HTTP server ---- */

#define OK_200       "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
#define UNAVAILABLE  "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\nConnection: close\r\n\r\nwait"
#define NO_CONTENT   "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"
#define BAD_REQUEST  "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
#define REDIRECT     "HTTP/1.1 302 Found\r\nLocation: /ready\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
#define SILENT       NULL /* accepts, reads, never answers */
#define BIG_BODY_LEN (300 * 1024)

struct server {
	pid_t pid;
	int port;
};

struct script {
	const char *replies[4]; /* one per connection, the last repeated; SILENT: no answer */
	size_t count;
	/* When set, a request whose head does not start with this gets 400. */
	const char *expect;
	bool big_body; /* the replies are 200 with a BIG_BODY_LEN body */
};

static void send_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		data += n;
		len -= (size_t)n;
	}
}

/* Reads up to the end of the request head, or what came first when that is
 * not text; returns its length, -1 on EOF. */
static ssize_t read_head(int fd, char *buf, size_t size)
{
	size_t used = 0;

	while (used + 1 < size) {
		ssize_t n = read(fd, buf + used, size - used - 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		used += (size_t)n;
		buf[used] = '\0';
		if (strstr(buf, "\r\n\r\n") || !isupper((unsigned char)buf[0]))
			return (ssize_t)used;
	}
	return (ssize_t)used;
}

static void serve(int fd, const struct script *script, const char *reply)
{
	char head[4096];

	if (!reply) {
		/* Silent: hold the connection until the client gives up. */
		while (read(fd, head, sizeof(head)) > 0)
			;
		return;
	}
	if (read_head(fd, head, sizeof(head)) < 0)
		return;
	/* Not HTTP (a TLS handshake): 400 at once, as real servers do. */
	if (!isupper((unsigned char)head[0])) {
		send_all(fd, BAD_REQUEST, strlen(BAD_REQUEST));
		return;
	}
	if (script->expect && strncmp(head, script->expect, strlen(script->expect)) != 0) {
		send_all(fd, BAD_REQUEST, strlen(BAD_REQUEST));
		return;
	}
	if (script->big_body) {
		static char body[BIG_BODY_LEN];
		char header[128];

		memset(body, 'x', sizeof(body));
		snprintf(header, sizeof(header), "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n",
		         BIG_BODY_LEN);
		send_all(fd, header, strlen(header));
		send_all(fd, body, sizeof(body));
		return;
	}
	send_all(fd, reply, strlen(reply));
}

static void server_start(struct server *server, const struct script *script)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(addr);
	int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(listener >= 0);
	assert_int_equal(bind(listener, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(listener, 8), 0);
	assert_int_equal(getsockname(listener, (struct sockaddr *)&addr, &len), 0);
	server->port = ntohs(addr.sin_port);
	server->pid = fork();
	assert_true(server->pid >= 0);
	if (server->pid == 0) {
		alarm(20);
		for (size_t i = 0;; i++) {
			int fd = accept(listener, NULL, NULL);

			if (fd < 0)
				_exit(1);
			serve(fd, script, script->replies[i < script->count ? i : script->count - 1]);
			close(fd);
		}
	}
	close(listener);
}

static void server_stop(struct server *server)
{
	kill(server->pid, SIGKILL);
	waitpid(server->pid, NULL, 0);
}

/* A loopback port nothing listens on. */
static int closed_port(void)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
	close(fd);
	return ntohs(addr.sin_port);
}

/* ---- driving probes ---- */

struct run {
	struct loop *loop;
	struct http_probe *probe;
	int calls;
	int pending; /* probes still running: the loop stops at 0 */
	bool free_in_done;
	enum http_outcome outcome; /* seen inside done() */
};

static void on_done(struct http_probe *probe, void *arg)
{
	struct run *run = arg;

	run->calls++;
	run->outcome = http_probe_outcome(probe);
	if (run->free_in_done) {
		http_probe_free(probe);
		run->probe = NULL;
	}
	if (--run->pending == 0)
		loop_stop(run->loop);
}

static void give_up(struct loop *loop, void *arg)
{
	(void)arg;
	loop_stop(loop);
	fail_msg("the loop ran too long");
}

static void init_loop(struct loop *loop)
{
	sigset_t none;

	sigemptyset(&none);
	assert_int_equal(loop_init(loop, &none), 0);
}

/* Runs the loop until every probe has called done(), within 5 s. */
static void run_loop(struct loop *loop)
{
	int guard = loop_add_timer(loop, 5000, give_up, NULL);

	assert_true(guard >= 0);
	assert_int_equal(loop_run(loop), 0);
	loop_cancel_timer(loop, guard);
}

static bool no_timers(const struct loop *loop)
{
	for (size_t i = 0; i < LOOP_MAX_TIMERS; i++)
		if (loop->timers[i].deadline_ms)
			return false;
	return true;
}

/* One probe of url, run to its end; the probe stays in run->probe. */
static void probe_once(struct loop *loop, struct run *run, const char *url, const struct http_options *options)
{
	*run = (struct run){.loop = loop, .pending = 1};
	run->probe = http_probe_start(loop, url, options, on_done, run);
	assert_non_null(run->probe);
	/* done() always comes from the loop, never from the start. */
	assert_int_equal(run->calls, 0);
	assert_int_equal(http_probe_outcome(run->probe), HTTP_RUNNING);
	assert_string_equal(http_probe_message(run->probe), "");
	run_loop(loop);
	assert_int_equal(run->calls, 1);
	/* Finished: nothing of the probe is left on the loop. */
	assert_int_equal(loop->watch_count, 0);
	assert_true(no_timers(loop));
}

/* Probes a server that follows script; checks outcome and status and
 * returns the message (valid until the next call). */
static const char *probe_server(const struct script *script, const char *path, const struct http_options *options,
                                enum http_outcome outcome, long status)
{
	static char message[512];
	struct server server;
	struct loop loop;
	struct run run;
	char url[128];

	server_start(&server, script);
	init_loop(&loop);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", server.port, path);
	probe_once(&loop, &run, url, options);
	snprintf(message, sizeof(message), "%s", http_probe_message(run.probe));
	assert_int_equal(run.outcome, outcome);
	assert_int_equal(http_probe_outcome(run.probe), outcome);
	assert_int_equal(http_probe_status(run.probe), status);
	if (outcome != HTTP_PERMANENT)
		assert_string_equal(http_probe_advice(run.probe), "");
	http_probe_free(run.probe);
	loop_release(&loop);
	server_stop(&server);
	return message;
}

/* Checks that message is before, the port, then after. */
static void assert_message(const char *message, const char *before, int port, const char *after)
{
	char expected[512];

	snprintf(expected, sizeof(expected), "%s%d%s", before, port, after);
	assert_string_equal(message, expected);
}

/* ---- status codes ---- */

static void test_ready_on_200_by_get(void **state)
{
	/* A GET (some health endpoints reject HEAD), and the body goes nowhere:
	 * not to stdout, which is a pipe here for the time of the probe. */
	struct script script = {{OK_200}, 1, "GET /health HTTP/1.1\r\n", false};
	struct server server;
	struct loop loop;
	struct run run;
	char url[128];
	char out[64];
	int pipe_fds[2];
	int saved_stdout;

	(void)state;
	server_start(&server, &script);
	init_loop(&loop);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/health", server.port);
	fflush(stdout);
	assert_int_equal(pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC), 0);
	saved_stdout = dup(STDOUT_FILENO);
	assert_true(saved_stdout >= 0);
	dup2(pipe_fds[1], STDOUT_FILENO);
	probe_once(&loop, &run, url, NULL);
	fflush(stdout);
	dup2(saved_stdout, STDOUT_FILENO);
	close(saved_stdout);
	assert_int_equal(read(pipe_fds[0], out, sizeof(out)), -1);
	assert_int_equal(errno, EAGAIN);
	close(pipe_fds[0]);
	close(pipe_fds[1]);

	assert_int_equal(http_probe_outcome(run.probe), HTTP_READY);
	assert_int_equal(http_probe_status(run.probe), 200);
	assert_message(http_probe_message(run.probe), "HTTP 200 from http://127.0.0.1:", server.port, "/health");
	http_probe_free(run.probe);
	loop_release(&loop);
	server_stop(&server);
}

static void test_any_2xx_is_ready(void **state)
{
	struct script script = {{NO_CONTENT}, 1, NULL, false};

	(void)state;
	probe_server(&script, "/", NULL, HTTP_READY, 204);
}

static void test_503_is_transient(void **state)
{
	struct script script = {{UNAVAILABLE}, 1, NULL, false};
	const char *message;
	char expected_start[] = "HTTP 503 from http://127.0.0.1:";

	(void)state;
	message = probe_server(&script, "/health?deep=1", NULL, HTTP_TRANSIENT, 503);
	assert_memory_equal(message, expected_start, strlen(expected_start));
	assert_non_null(strstr(message, "/health?deep=1"));
}

static void test_redirect_followed(void **state)
{
	struct script script = {{REDIRECT, OK_200}, 2, NULL, false};
	const char *message;

	(void)state;
	message = probe_server(&script, "/", NULL, HTTP_READY, 200);
	assert_non_null(strstr(message, "HTTP 200 from http://127.0.0.1:"));
	assert_non_null(strstr(message, "/ready after 1 redirect"));
}

static void test_redirect_loop_is_transient(void **state)
{
	struct script script = {{REDIRECT}, 1, NULL, false};
	const char *message;

	(void)state;
	message = probe_server(&script, "/", NULL, HTTP_TRANSIENT, 302);
	assert_non_null(strstr(message, "HTTP 302 from http://127.0.0.1:"));
	assert_non_null(strstr(message, "after 10 redirects (the limit)"));
}

static void test_accepted_statuses(void **state)
{
	static const int accept_503[] = {503};
	static const int accept_204[] = {204, 418};
	struct script unavailable = {{UNAVAILABLE}, 1, NULL, false};
	struct script ok = {{OK_200}, 1, NULL, false};
	struct http_options options = {.accepted_statuses = accept_503, .accepted_count = ARRAY_LEN(accept_503)};
	const char *message;

	(void)state;
	probe_server(&unavailable, "/", &options, HTTP_READY, 503);
	/* The list replaces 2xx: a 200 is no longer enough. */
	options = (struct http_options){.accepted_statuses = accept_204, .accepted_count = ARRAY_LEN(accept_204)};
	message = probe_server(&ok, "/", &options, HTTP_TRANSIENT, 200);
	assert_non_null(strstr(message, "HTTP 200 from"));
}

static void test_long_body_cut_short(void **state)
{
	struct script script = {{OK_200}, 1, NULL, true};

	(void)state;
	probe_server(&script, "/", NULL, HTTP_READY, 200);
}

static void test_password_never_in_message(void **state)
{
	struct script script = {{UNAVAILABLE}, 1, "GET / HTTP/1.1\r\n", false};
	struct server server;
	struct loop loop;
	struct run run;
	char url[128];

	(void)state;
	server_start(&server, &script);
	init_loop(&loop);
	snprintf(url, sizeof(url), "http://app:s3cr%%2Ft@127.0.0.1:%d/", server.port);
	probe_once(&loop, &run, url, NULL);
	assert_int_equal(http_probe_outcome(run.probe), HTTP_TRANSIENT);
	assert_null(strstr(http_probe_message(run.probe), "s3cr"));
	assert_message(http_probe_message(run.probe), "HTTP 503 from http://app:****@127.0.0.1:", server.port, "/");
	http_probe_free(run.probe);
	loop_release(&loop);
	server_stop(&server);
}

/* ---- connections ---- */

static void test_refused_is_transient(void **state)
{
	struct loop loop;
	struct run run;
	char url[128];
	int port = closed_port();

	(void)state;
	init_loop(&loop);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	probe_once(&loop, &run, url, NULL);
	assert_int_equal(http_probe_outcome(run.probe), HTTP_TRANSIENT);
	assert_int_equal(http_probe_status(run.probe), 0);
	assert_message(http_probe_message(run.probe), "connection refused (127.0.0.1:", port, ")");
	http_probe_free(run.probe);
	loop_release(&loop);
}

static void free_probe(struct loop *loop, void *arg)
{
	struct run *run = arg;

	http_probe_free(run->probe);
	run->probe = NULL;
	loop_stop(loop);
}

/* The caller's attempt timeout frees a probe mid-transfer: its descriptors
 * and timers leave the loop and done() never comes. */
static void test_silent_server_freed_by_caller(void **state)
{
	struct script script = {{SILENT}, 1, NULL, false};
	struct server server;
	struct loop loop;
	struct run run;
	char url[128];
	int attempt_timer;

	(void)state;
	server_start(&server, &script);
	init_loop(&loop);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", server.port);
	run = (struct run){.loop = &loop, .pending = 1};
	run.probe = http_probe_start(&loop, url, &(struct http_options){.timeout_ms = 10000}, on_done, &run);
	assert_non_null(run.probe);
	attempt_timer = loop_add_timer(&loop, 150, free_probe, &run);
	assert_true(attempt_timer >= 0);
	run_loop(&loop);
	assert_null(run.probe);
	assert_int_equal(run.calls, 0);
	assert_int_equal(loop.watch_count, 0);
	assert_true(no_timers(&loop));
	/* Nothing fires later either. */
	loop_add_timer(&loop, 100, free_probe, &(struct run){0});
	assert_int_equal(loop_run(&loop), 0);
	assert_int_equal(run.calls, 0);
	loop_release(&loop);
	server_stop(&server);
}

static void test_backstop_timeout(void **state)
{
	struct script script = {{SILENT}, 1, NULL, false};
	const char *message;

	(void)state;
	message = probe_server(&script, "/", &(struct http_options){.timeout_ms = 150}, HTTP_TRANSIENT, 0);
	assert_string_equal(message, "no response within 150 ms");
}

/* Typical use: done() frees the probe (AddressSanitizer watches). */
static void test_free_in_done(void **state)
{
	struct script script = {{OK_200}, 1, NULL, false};
	struct server server;
	struct loop loop;
	struct run run;
	char url[128];

	(void)state;
	server_start(&server, &script);
	init_loop(&loop);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", server.port);
	run = (struct run){.loop = &loop, .pending = 1, .free_in_done = true};
	run.probe = http_probe_start(&loop, url, NULL, on_done, &run);
	assert_non_null(run.probe);
	run_loop(&loop);
	assert_int_equal(run.calls, 1);
	assert_int_equal(run.outcome, HTTP_READY);
	assert_null(run.probe);
	assert_int_equal(loop.watch_count, 0);
	loop_release(&loop);
	server_stop(&server);
}

/* Two probes on one loop, each with its own sockets and timer. */
static void test_two_probes_at_once(void **state)
{
	struct script ok = {{OK_200}, 1, NULL, false};
	struct script slow = {{SILENT}, 1, NULL, false};
	struct server servers[2];
	struct loop loop;
	struct run run;
	struct http_probe *probes[2];
	char url[128];

	(void)state;
	server_start(&servers[0], &ok);
	server_start(&servers[1], &slow);
	init_loop(&loop);
	run = (struct run){.loop = &loop, .pending = 2};
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", servers[1].port);
	probes[1] = http_probe_start(&loop, url, &(struct http_options){.timeout_ms = 300}, on_done, &run);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", servers[0].port);
	probes[0] = http_probe_start(&loop, url, NULL, on_done, &run);
	assert_non_null(probes[0]);
	assert_non_null(probes[1]);
	run_loop(&loop);
	assert_int_equal(run.calls, 2);
	assert_int_equal(http_probe_outcome(probes[0]), HTTP_READY);
	assert_int_equal(http_probe_outcome(probes[1]), HTTP_TRANSIENT);
	assert_string_equal(http_probe_message(probes[1]), "no response within 300 ms");
	assert_int_equal(loop.watch_count, 0);
	http_probe_free(probes[0]);
	http_probe_free(probes[1]);
	loop_release(&loop);
	server_stop(&servers[0]);
	server_stop(&servers[1]);
}

/* http_proxy from the environment is used, as curl does: the server here
 * plays the proxy and sees the absolute URL of a name nobody resolves. */
static void test_proxy_from_environment(void **state)
{
	struct script script = {{OK_200}, 1, "GET http://service.invalid:8080/health HTTP/1.1\r\n", false};
	struct server server;
	struct loop loop;
	struct run run;
	char proxy[64];

	(void)state;
	server_start(&server, &script);
	init_loop(&loop);
	snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", server.port);
	setenv("http_proxy", proxy, 1);
	probe_once(&loop, &run, "http://service.invalid:8080/health", NULL);
	unsetenv("http_proxy");
	assert_int_equal(http_probe_outcome(run.probe), HTTP_READY);
	assert_string_equal(http_probe_message(run.probe), "HTTP 200 from http://service.invalid:8080/health");
	http_probe_free(run.probe);
	loop_release(&loop);
	server_stop(&server);
}

/* ---- URLs that cannot work ---- */

static void test_unsupported_scheme(void **state)
{
	struct loop loop;
	struct run run;

	(void)state;
	init_loop(&loop);
	probe_once(&loop, &run, "ftp://app:secret@127.0.0.1/file", NULL);
	assert_int_equal(http_probe_outcome(run.probe), HTTP_PERMANENT);
	assert_string_equal(http_probe_message(run.probe),
	                    "unsupported scheme in 'ftp://app:****@127.0.0.1/file': use http:// or https://");
	assert_string_not_equal(http_probe_advice(run.probe), "");
	http_probe_free(run.probe);
	loop_release(&loop);
}

static void test_malformed_url(void **state)
{
	struct loop loop;
	struct run run;

	(void)state;
	init_loop(&loop);
	probe_once(&loop, &run, "http://[::1/health", NULL);
	assert_int_equal(http_probe_outcome(run.probe), HTTP_PERMANENT);
	assert_string_not_equal(http_probe_message(run.probe), "");
	assert_string_equal(http_probe_advice(run.probe), "check the URL (and where it redirects to)");
	http_probe_free(run.probe);
	loop_release(&loop);
}

/* Freed before the loop ever ran: nothing fires afterwards. */
static void test_free_before_running(void **state)
{
	struct loop loop;
	struct run run = {.pending = 1};
	struct http_probe *probes[2];

	(void)state;
	init_loop(&loop);
	run.loop = &loop;
	probes[0] = http_probe_start(&loop, "http://127.0.0.1:1/", NULL, on_done, &run);
	probes[1] = http_probe_start(&loop, "gopher://x/", NULL, on_done, &run);
	assert_non_null(probes[0]);
	assert_non_null(probes[1]);
	http_probe_free(probes[0]);
	http_probe_free(probes[1]);
	http_probe_free(NULL);
	assert_int_equal(loop.watch_count, 0);
	assert_true(no_timers(&loop));
	loop_release(&loop);
	assert_int_equal(run.calls, 0);
}

/* ---- TLS ---- */

/* https:// to a server that speaks plain HTTP: OpenSSL reads its "HTTP/1.1
 * 400" as a record of an unknown TLS version. Permanent: the port will not
 * start speaking TLS by waiting, and the advice says to use http://. */
static void test_https_to_plain_server(void **state)
{
	struct script script = {{OK_200}, 1, NULL, false};
	struct server server;
	struct loop loop;
	struct run run;
	char url[128];

	(void)state;
	server_start(&server, &script);
	init_loop(&loop);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/", server.port);
	probe_once(&loop, &run, url, NULL);
	assert_int_equal(http_probe_outcome(run.probe), HTTP_PERMANENT);
	assert_int_equal(http_probe_status(run.probe), 0);
	assert_string_equal(http_probe_message(run.probe), "TLS handshake failed: wrong version number");
	assert_non_null(strstr(http_probe_advice(run.probe), "use http://"));
	http_probe_free(run.probe);
	loop_release(&loop);
	server_stop(&server);
}

struct tls_server {
	char dir[64];
	char cert[96];
	pid_t pid;
	int port;
};

static bool can_connect(int port)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	addr.sin_port = htons((uint16_t)port);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* A self-signed certificate for 127.0.0.1 and `openssl s_server -www`
 * serving it. Returns false when the openssl tool cannot do that here. */
static bool tls_server_start(struct tls_server *server)
{
	char command[512];
	char key[96];
	char accept_at[32];

	*server = (struct tls_server){0};
	assert_int_equal(tree_make(server->dir, sizeof(server->dir), "http"), 0);
	snprintf(server->cert, sizeof(server->cert), "%s/cert.pem", server->dir);
	snprintf(key, sizeof(key), "%s/key.pem", server->dir);
	snprintf(command, sizeof(command),
	         "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
	         "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout %s -out %s >/dev/null 2>&1",
	         key, server->cert);
	if (system(command) != 0) {
		tree_remove(server->dir);
		return false;
	}
	server->port = closed_port();
	snprintf(accept_at, sizeof(accept_at), "127.0.0.1:%d", server->port);
	server->pid = fork();
	assert_true(server->pid >= 0);
	if (server->pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		alarm(20);
		execlp("openssl", "openssl", "s_server", "-quiet", "-www", "-accept", accept_at, "-cert", server->cert,
		       "-key", key, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 300 && !can_connect(server->port); i++) {
		struct timespec pause = {0, 10 * 1000000L};

		if (waitpid(server->pid, NULL, WNOHANG) == server->pid) {
			tree_remove(server->dir);
			return false;
		}
		nanosleep(&pause, NULL);
	}
	return true;
}

static void tls_server_stop(struct tls_server *server)
{
	kill(server->pid, SIGKILL);
	waitpid(server->pid, NULL, 0);
	tree_remove(server->dir);
}

static void test_https_verification(void **state)
{
	struct tls_server server;
	struct loop loop;
	struct run run;
	char url[128];

	(void)state;
	if (!tls_server_start(&server))
		skip();
	init_loop(&loop);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/", server.port);

	/* The system's CA store does not know a self-signed certificate. */
	probe_once(&loop, &run, url, NULL);
	assert_int_equal(http_probe_outcome(run.probe), HTTP_PERMANENT);
	assert_string_equal(http_probe_message(run.probe), "certificate verify failed: self-signed certificate");
	assert_non_null(strstr(http_probe_advice(run.probe), "http-ca-file"));
	assert_non_null(strstr(http_probe_advice(run.probe), "insecure"));
	http_probe_free(run.probe);

	/* The certificate as the CA file. */
	probe_once(&loop, &run, url, &(struct http_options){.ca_file = server.cert});
	assert_int_equal(http_probe_outcome(run.probe), HTTP_READY);
	assert_int_equal(http_probe_status(run.probe), 200);
	http_probe_free(run.probe);

	/* Verification skipped. */
	probe_once(&loop, &run, url, &(struct http_options){.insecure = true});
	assert_int_equal(http_probe_outcome(run.probe), HTTP_READY);
	http_probe_free(run.probe);

	/* A CA file that is not there. */
	probe_once(&loop, &run, url, &(struct http_options){.ca_file = "/nonexistent/ca.pem"});
	assert_int_equal(http_probe_outcome(run.probe), HTTP_PERMANENT);
	assert_string_equal(http_probe_message(run.probe),
	                    "http-ca-file /nonexistent/ca.pem cannot be read: No such file or directory");
	http_probe_free(run.probe);

	/* Nor one OpenSSL would wait on (a FIFO; alarm() turns a hang into a
	 * failure) or read forever. */
	char folder[] = "/tmp/pe-test-http-XXXXXX";
	char fifo[sizeof(folder) + 8];
	assert_non_null(mkdtemp(folder));
	snprintf(fifo, sizeof(fifo), "%s/ca.pem", folder);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(10);
	probe_once(&loop, &run, url, &(struct http_options){.ca_file = fifo});
	assert_int_equal(http_probe_outcome(run.probe), HTTP_PERMANENT);
	assert_non_null(strstr(http_probe_message(run.probe), "ca.pem cannot be read: not a regular file"));
	http_probe_free(run.probe);
	probe_once(&loop, &run, url, &(struct http_options){.ca_file = "/dev/zero"});
	assert_string_equal(http_probe_message(run.probe), "http-ca-file /dev/zero cannot be read: not a regular file");
	http_probe_free(run.probe);
	alarm(0);
	unlink(fifo);
	rmdir(folder);

	loop_release(&loop);
	tls_server_stop(&server);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TEST(test_ready_on_200_by_get),        TEST(test_any_2xx_is_ready),
	    TEST(test_503_is_transient),           TEST(test_redirect_followed),
	    TEST(test_redirect_loop_is_transient), TEST(test_accepted_statuses),
	    TEST(test_long_body_cut_short),        TEST(test_password_never_in_message),
	    TEST(test_refused_is_transient),       TEST(test_silent_server_freed_by_caller),
	    TEST(test_backstop_timeout),           TEST(test_free_in_done),
	    TEST(test_two_probes_at_once),         TEST(test_proxy_from_environment),
	    TEST(test_unsupported_scheme),         TEST(test_malformed_url),
	    TEST(test_free_before_running),        TEST(test_https_to_plain_server),
	    TEST(test_https_verification),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
