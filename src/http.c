#include "http.h"

#include "curl-lib.h"
#include "fdio.h"
#include "log.h"
#include "url.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* Loads libcurl and initialises it once; returns 0, or -1 with the reason
 * in error. */
static int curl_load(char *error, size_t error_size)
{
	static bool initialised;

	if (curllib_load(error, error_size) < 0)
		return -1;
	/* Never cleaned up: libcurl stays until the process ends. */
	if (!initialised && curllib.curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(error, error_size, "cannot initialise libcurl");
		return -1;
	}
	initialised = true;
	return 0;
}

#define MESSAGE_MAX 512
#define ADVICE_MAX  256
#define DISPLAY_MAX 1024
/* A transfer uses one socket, two while happy eyeballs tries IPv6 and IPv4,
 * one more for the resolver thread's wake-up: room to spare. */
#define MAX_SOCKETS 8
#define USER_AGENT  "prisma-entrypoint"

/* Where images keep the system's CA bundle, in the order looked at:
 * Debian, Ubuntu and Alpine; RHEL, Fedora and their kin (two names); Alpine's
 * and the BSDs' other name; openSUSE. SSL_CERT_FILE, OpenSSL's own override,
 * comes first. */
static const char *const system_ca_files[] = {
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
    "/etc/ssl/ca-bundle.pem",
};
#define SYSTEM_CA_FILE_COUNT (sizeof(system_ca_files) / sizeof(system_ca_files[0]))
/* Bytes: far more than any CA bundle (Debian's is about 200 kB). */
#define CA_FILE_MAX (16 * 1024 * 1024)

struct http_socket {
	int fd;
	short events;
};

struct http_probe {
	struct loop *loop;
	http_done_fn *done;
	void *arg;
	CURLM *multi; /* NULL once the transfer ended or before it started */
	CURL *easy;
	int curl_timer;                          /* the one timer libcurl asked for, -1 when none */
	int finish_timer;                        /* reports a probe that finished at its start, -1 when none */
	struct http_socket sockets[MAX_SOCKETS]; /* watched on the loop for libcurl */
	size_t socket_count;
	bool closing; /* libcurl is being taken down: its callbacks add nothing */
	int *accepted;
	size_t accepted_count;
	long timeout_ms;
	bool has_ca_file;
	size_t body_bytes;
	bool body_cut; /* the body was longer than HTTP_MAX_BODY: the rest was not read */
	enum http_outcome outcome;
	enum http_outcome early_outcome; /* for finish_timer to set */
	long status;
	char display[DISPLAY_MAX]; /* the URL, password redacted */
	char message[MESSAGE_MAX];
	char advice[ADVICE_MAX];
	char error[CURL_ERROR_SIZE]; /* libcurl's own detail of its last failure */
	char address[64];            /* the last address connected to, "[::1]:8080" */
};

/* ---- text ---- */

/* Control characters (a URL or a server's text may hold some) become '?'. */
static void one_line(char *text)
{
	for (char *p = text; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

static void set_message(struct http_probe *probe, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_message(struct http_probe *probe, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(probe->message, sizeof(probe->message), fmt, ap);
	va_end(ap);
	one_line(probe->message);
}

/* Starts text in lower case like every other message ("could not resolve
 * host"), unless its first word is not a plain capitalised one ("SSL",
 * "OpenSSL/3.0", "URL"). */
static void lower_first(char *text)
{
	if (!isupper((unsigned char)text[0]))
		return;
	for (const char *p = text + 1; *p && *p != ' '; p++)
		if (!islower((unsigned char)*p))
			return;
	text[0] = (char)tolower((unsigned char)text[0]);
}

/* libcurl's detail of the failure, or its generic text for code. */
static void curl_detail(const struct http_probe *probe, CURLcode code, char *out, size_t out_size)
{
	const char *text = probe->error[0] ? probe->error : curllib.curl_easy_strerror(code);

	snprintf(out, out_size, "%s", text);
	out[strcspn(out, "\r\n")] = '\0';
	lower_first(out);
}

/* OpenSSL's reason without its codes: "OpenSSL/3.0.19: error:0A00010B:SSL
 * routines::wrong version number" is "wrong version number". */
static const char *tls_reason(const char *detail)
{
	const char *routines = strstr(detail, "routines::");

	return routines && routines[strlen("routines::")] ? routines + strlen("routines::") : detail;
}

/* ---- libcurl's sockets and timer on the loop ---- */

static void check_finished(struct http_probe *probe);

static void on_socket_ready(struct loop *loop, int fd, short revents, void *arg)
{
	struct http_probe *probe = arg;
	int mask = 0;
	int running;

	(void)loop;
	if (!probe->multi)
		return;
	if (revents & (POLLIN | POLLPRI))
		mask |= CURL_CSELECT_IN;
	if (revents & POLLOUT)
		mask |= CURL_CSELECT_OUT;
	if (revents & (POLLERR | POLLHUP | POLLNVAL))
		mask |= CURL_CSELECT_ERR;
	curllib.curl_multi_socket_action(probe->multi, fd, mask, &running);
	check_finished(probe);
}

static void forget_socket(struct http_probe *probe, int fd)
{
	for (size_t i = 0; i < probe->socket_count; i++) {
		if (probe->sockets[i].fd == fd) {
			loop_unwatch_fd(probe->loop, fd);
			probe->sockets[i] = probe->sockets[--probe->socket_count];
			return;
		}
	}
}

/* CURLMOPT_SOCKETFUNCTION: what libcurl wants to hear about on fd, as a
 * change from the last call. The loop has one watch per descriptor, so a
 * change is an unwatch and a new watch. */
static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *clientp, void *socketp)
{
	struct http_probe *probe = clientp;
	short events = 0;

	(void)easy;
	(void)socketp;
	forget_socket(probe, fd);
	if (what == CURL_POLL_REMOVE || what == CURL_POLL_NONE || probe->closing)
		return 0;
	if (what & CURL_POLL_IN)
		events |= POLLIN;
	if (what & CURL_POLL_OUT)
		events |= POLLOUT;
	/* -1 makes libcurl fail the transfer, which then reports. */
	if (probe->socket_count == MAX_SOCKETS || loop_watch_fd(probe->loop, fd, events, on_socket_ready, probe) < 0)
		return -1;
	probe->sockets[probe->socket_count++] = (struct http_socket){fd, events};
	return 0;
}

static void on_curl_timer_due(struct loop *loop, void *arg)
{
	struct http_probe *probe = arg;
	int running;

	(void)loop;
	probe->curl_timer = -1;
	curllib.curl_multi_socket_action(probe->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_finished(probe);
}

/* CURLMOPT_TIMERFUNCTION: one timer, replaced on every call; -1 removes it.
 * libcurl must not be called from here: 0 ms is a timer like any other. */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *clientp)
{
	struct http_probe *probe = clientp;

	(void)multi;
	loop_cancel_timer(probe->loop, probe->curl_timer);
	probe->curl_timer = -1;
	if (timeout_ms < 0 || probe->closing)
		return 0;
	probe->curl_timer = loop_add_timer(probe->loop, timeout_ms, on_curl_timer_due, probe);
	return probe->curl_timer < 0 ? -1 : 0;
}

/* CURLOPT_WRITEFUNCTION: the body is counted and dropped. Past
 * HTTP_MAX_BODY the transfer is cut short (the status is all that counts). */
static size_t on_body(char *data, size_t size, size_t count, void *userdata)
{
	struct http_probe *probe = userdata;

	(void)data;
	probe->body_bytes += size * count;
	if (probe->body_bytes > HTTP_MAX_BODY) {
		probe->body_cut = true;
		return 0;
	}
	return size * count;
}

/* CURLOPT_OPENSOCKETFUNCTION: notes the address (libcurl 7.88 keeps none
 * after a failed connect) and makes the socket close-on-exec. */
static curl_socket_t on_open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *address)
{
	struct http_probe *probe = clientp;
	char host[INET6_ADDRSTRLEN];
	char port[8];

	(void)purpose;
	if (getnameinfo(&address->addr, address->addrlen, host, sizeof(host), port, sizeof(port),
	                NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		snprintf(probe->address, sizeof(probe->address), strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
	else
		probe->address[0] = '\0';
	return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

/* Takes libcurl's handles down; whatever descriptor or timer libcurl did not
 * remove by itself leaves the loop here. Safe to call again. */
static void release_curl(struct http_probe *probe)
{
	probe->closing = true;
	if (probe->multi && probe->easy)
		curllib.curl_multi_remove_handle(probe->multi, probe->easy);
	if (probe->easy)
		curllib.curl_easy_cleanup(probe->easy);
	if (probe->multi)
		curllib.curl_multi_cleanup(probe->multi);
	probe->easy = NULL;
	probe->multi = NULL;
	while (probe->socket_count > 0)
		forget_socket(probe, probe->sockets[0].fd);
	loop_cancel_timer(probe->loop, probe->curl_timer);
	probe->curl_timer = -1;
}

/* ---- the result ---- */

static bool accepted(const struct http_probe *probe, long status)
{
	if (probe->accepted_count == 0)
		return status >= 200 && status <= 299;
	for (size_t i = 0; i < probe->accepted_count; i++)
		if (probe->accepted[i] == status)
			return true;
	return false;
}

/* "HTTP 503 from URL", the last URL after redirects. */
static void status_message(struct http_probe *probe, const char *suffix)
{
	char *effective = NULL;
	long redirects = 0;
	char where[DISPLAY_MAX];

	if (curllib.curl_easy_getinfo(probe->easy, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK && effective)
		url_for_message(effective, where, sizeof(where));
	else
		snprintf(where, sizeof(where), "%s", probe->display);
	curllib.curl_easy_getinfo(probe->easy, CURLINFO_REDIRECT_COUNT, &redirects);
	if (redirects > 0)
		set_message(probe, "HTTP %ld from %s after %ld redirect%s%s", probe->status, where, redirects,
		            redirects == 1 ? "" : "s", suffix);
	else
		set_message(probe, "HTTP %ld from %s%s", probe->status, where, suffix);
}

static void connect_message(struct http_probe *probe, const char *detail)
{
	long os_errno = 0;
	char reason[CURL_ERROR_SIZE + 32];

	curllib.curl_easy_getinfo(probe->easy, CURLINFO_OS_ERRNO, &os_errno);
	if (os_errno > 0) {
		snprintf(reason, sizeof(reason), "%s", strerror((int)os_errno));
		lower_first(reason);
	} else {
		snprintf(reason, sizeof(reason), "%s", detail);
	}
	if (probe->address[0])
		set_message(probe, "%s (%s)", reason, probe->address);
	else
		set_message(probe, "%s", reason);
}

/* Waiting will not change it: the user must, as advice says. */
static void set_permanent(struct http_probe *probe, const char *advice)
{
	probe->outcome = HTTP_PERMANENT;
	snprintf(probe->advice, sizeof(probe->advice), "%s", advice);
}

/* Classifies a transfer that ended with code. */
static void classify(struct http_probe *probe, CURLcode code)
{
	char detail[CURL_ERROR_SIZE + 32];
	const char *problem;

	curllib.curl_easy_getinfo(probe->easy, CURLINFO_RESPONSE_CODE, &probe->status);
	curl_detail(probe, code, detail, sizeof(detail));
	/* A complete response, or one whose long body was cut short. */
	if (code == CURLE_OK || (code == CURLE_WRITE_ERROR && probe->body_cut)) {
		probe->outcome = accepted(probe, probe->status) ? HTTP_READY : HTTP_TRANSIENT;
		status_message(probe, "");
		return;
	}
	probe->outcome = HTTP_TRANSIENT;
	switch (code) {
	case CURLE_TOO_MANY_REDIRECTS:
		status_message(probe, " (the limit): not following more");
		return;
	case CURLE_COULDNT_CONNECT:
		connect_message(probe, detail);
		return;
	case CURLE_OPERATION_TIMEDOUT:
		if (probe->status > 0) {
			char suffix[64];

			snprintf(suffix, sizeof(suffix), ", but the body did not end within %ld ms", probe->timeout_ms);
			status_message(probe, suffix);
		} else if (probe->timeout_ms > 0) {
			set_message(probe, "no response within %ld ms", probe->timeout_ms);
		} else {
			set_message(probe, "%s", detail);
		}
		return;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		/* The certificate will not change by waiting. */
		problem = strstr(detail, "certificate problem: ");
		set_message(probe, "certificate verify failed: %s",
		            problem ? problem + strlen("certificate problem: ") : detail);
		set_permanent(probe, "give the CA certificate that signed the server's certificate in http-ca-file, or "
		                     "skip verification with http-insecure");
		return;
	case CURLE_SSL_CACERT_BADFILE:
		set_message(probe, "cannot use the CA certificates: %s", detail);
		set_permanent(probe, probe->has_ca_file
		                         ? "check that http-ca-file exists and holds PEM certificates"
		                         : "install the system's CA certificates (Debian: ca-certificates), "
		                           "or set http-ca-file");
		return;
	case CURLE_SSL_CONNECT_ERROR:
		set_message(probe, "TLS handshake failed: %s", tls_reason(detail));
		/* A server answering in plain text: OpenSSL reads "HTTP/" as a
		 * record of an unknown TLS version. That will not change; other
		 * handshake failures (a reset while the server starts) may. */
		if (strstr(detail, "wrong version number")) {
			set_permanent(probe, "the server does not speak TLS on this port: use http://, or the port it "
			                     "serves https on");
		}
		return;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
		set_message(probe, "%s", detail);
		set_permanent(probe, "check the URL (and where it redirects to)");
		return;
	default:
		/* Resolve failures (compose names appear late), resets, empty
		 * replies, proxies not there yet: try again. */
		set_message(probe, "%s", detail);
		return;
	}
}

/* Ends a probe: done() is the last thing that touches it. */
static void report(struct http_probe *probe)
{
	probe->done(probe, probe->arg);
}

static void check_finished(struct http_probe *probe)
{
	CURLMsg *msg;
	int left;

	while (probe->multi && (msg = curllib.curl_multi_info_read(probe->multi, &left)) != NULL) {
		if (msg->msg == CURLMSG_DONE) {
			classify(probe, msg->data.result);
			release_curl(probe);
			report(probe);
			return;
		}
	}
}

/* ---- start and end ---- */

static void on_finish_timer(struct loop *loop, void *arg)
{
	struct http_probe *probe = arg;

	(void)loop;
	probe->finish_timer = -1;
	probe->outcome = probe->early_outcome;
	report(probe);
}

/* A probe that ends before its transfer starts reports from the loop, like
 * any other: the caller has the probe in hand before done() runs. */
static struct http_probe *finish_at_start(struct http_probe *probe, enum http_outcome outcome, const char *advice)
{
	release_curl(probe);
	probe->early_outcome = outcome;
	snprintf(probe->advice, sizeof(probe->advice), "%s", advice);
	probe->finish_timer = loop_add_timer(probe->loop, 0, on_finish_timer, probe);
	if (probe->finish_timer < 0) {
		free(probe->accepted);
		free(probe);
		errno = ENOSPC;
		return NULL;
	}
	return probe;
}

static int set_long(CURL *easy, CURLoption option, long value)
{
	return curllib.curl_easy_setopt(easy, option, value) == CURLE_OK ? 0 : -1;
}

static int set_text(CURL *easy, CURLoption option, const char *value)
{
	return curllib.curl_easy_setopt(easy, option, value) == CURLE_OK ? 0 : -1;
}

static int set_pointer(CURL *easy, CURLoption option, void *value)
{
	return curllib.curl_easy_setopt(easy, option, value) == CURLE_OK ? 0 : -1;
}

/* Options a libcurl older than the headers may not know (CURLOPT_QUICK_EXIT
 * came with 7.87, the *_PROTOCOLS_STR with 7.85): a miss is no failure. */
static void set_optional(CURL *easy, CURLoption option, const char *text, long value)
{
	if (text)
		curllib.curl_easy_setopt(easy, option, text);
	else
		curllib.curl_easy_setopt(easy, option, value);
}

/* NULL when path is a CA bundle OpenSSL can read without waiting or reading
 * forever (a regular file, at most CA_FILE_MAX bytes); else why not. */
static const char *ca_file_refusal(const char *path)
{
	struct stat st;
	int fd;

	switch (fdio_open_regular(AT_FDCWD, path, CA_FILE_MAX, &fd, &st)) {
	case FDIO_OPENED:
		close(fd);
		return NULL;
	case FDIO_FAILED:
		return strerror(errno);
	case FDIO_NOT_REGULAR:
		return "not a regular file";
	case FDIO_TOO_LARGE:
		return "over 16 MiB, not a CA bundle";
	}
	return "?";
}

/* The CA bundle to verify servers with when http-ca-file is not set:
 * SSL_CERT_FILE when set, else the first of system_ca_files that can be
 * read. NULL when there is none, with why in why; *named tells whether
 * SSL_CERT_FILE named a file that cannot be read (the user's to fix, not a
 * reason to look further). */
static const char *system_ca_file(bool *named, char *why, size_t why_size)
{
	const char *from_environment = getenv("SSL_CERT_FILE");
	size_t used = 0;

	*named = from_environment && *from_environment;
	if (*named) {
		const char *refusal = ca_file_refusal(from_environment);

		if (!refusal)
			return from_environment;
		snprintf(why, why_size, "SSL_CERT_FILE names %s, which cannot be read: %s", from_environment, refusal);
		return NULL;
	}
	used = (size_t)snprintf(why, why_size, "no CA certificates to verify the server with: none of");
	for (size_t i = 0; i < SYSTEM_CA_FILE_COUNT; i++) {
		if (!ca_file_refusal(system_ca_files[i]))
			return system_ca_files[i];
		if (used < why_size)
			used +=
			    (size_t)snprintf(why + used, why_size - used, "%s %s", i ? "," : "", system_ca_files[i]);
	}
	if (used < why_size)
		snprintf(why + used, why_size - used, " can be read");
	return NULL;
}

static int set_up(struct http_probe *probe, const char *url, const char *ca_file, const struct http_options *options)
{
	CURL *easy;

	probe->multi = curllib.curl_multi_init();
	probe->easy = easy = curllib.curl_easy_init();
	if (!probe->multi || !easy)
		return -1;
	if (curllib.curl_multi_setopt(probe->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket) != CURLM_OK ||
	    curllib.curl_multi_setopt(probe->multi, CURLMOPT_SOCKETDATA, probe) != CURLM_OK ||
	    curllib.curl_multi_setopt(probe->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) != CURLM_OK ||
	    curllib.curl_multi_setopt(probe->multi, CURLMOPT_TIMERDATA, probe) != CURLM_OK)
		return -1;
	/* CURLOPT_PROXY stays unset: libcurl then reads the proxy variables
	 * of the environment, as curl does. */
	if (set_text(easy, CURLOPT_URL, url) < 0 || set_pointer(easy, CURLOPT_ERRORBUFFER, probe->error) < 0 ||
	    curllib.curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
	    set_pointer(easy, CURLOPT_WRITEDATA, probe) < 0 ||
	    curllib.curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, on_open_socket) != CURLE_OK ||
	    set_pointer(easy, CURLOPT_OPENSOCKETDATA, probe) < 0 || set_long(easy, CURLOPT_HTTPGET, 1L) < 0 ||
	    set_long(easy, CURLOPT_FOLLOWLOCATION, 1L) < 0 ||
	    set_long(easy, CURLOPT_MAXREDIRS, (long)HTTP_MAX_REDIRECTS) < 0 ||
	    /* No SIGALRM for name lookups: the process has threads. */
	    set_long(easy, CURLOPT_NOSIGNAL, 1L) < 0 ||
	    /* The connection closes with the transfer: nothing stays on the
	     * loop after done(), and every attempt connects afresh. */
	    set_long(easy, CURLOPT_FORBID_REUSE, 1L) < 0 || set_text(easy, CURLOPT_USERAGENT, USER_AGENT) < 0 ||
	    set_long(easy, CURLOPT_SSL_VERIFYPEER, options->insecure ? 0L : 1L) < 0 ||
	    set_long(easy, CURLOPT_SSL_VERIFYHOST, options->insecure ? 0L : 2L) < 0)
		return -1;
	if (options->timeout_ms > 0 && set_long(easy, CURLOPT_TIMEOUT_MS, options->timeout_ms) < 0)
		return -1;
	if (ca_file && set_text(easy, CURLOPT_CAINFO, ca_file) < 0)
		return -1;
	set_optional(easy, CURLOPT_PROTOCOLS_STR, "http,https", 0);
	set_optional(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https", 0);
	/* Freeing a probe while its name is being looked up leaves the lookup
	 * thread to finish alone instead of waiting for it. */
	set_optional(easy, CURLOPT_QUICK_EXIT, NULL, 1L);
	return curllib.curl_multi_add_handle(probe->multi, easy) == CURLM_OK ? 0 : -1;
}

static bool https_scheme(const char *url)
{
	return strncasecmp(url, "https://", strlen("https://")) == 0;
}

static bool http_scheme(const char *url)
{
	return strncasecmp(url, "http://", strlen("http://")) == 0 ||
	       strncasecmp(url, "https://", strlen("https://")) == 0;
}

struct http_probe *http_probe_start(struct loop *loop, const char *url, const struct http_options *options,
                                    http_done_fn *done, void *arg)
{
	static const struct http_options defaults = {0};
	struct http_probe *probe = calloc(1, sizeof(*probe));
	char error[MESSAGE_MAX];
	const char *ca_file;

	if (!probe)
		return NULL;
	if (!options)
		options = &defaults;
	*probe = (struct http_probe){.loop = loop,
	                             .done = done,
	                             .arg = arg,
	                             .curl_timer = -1,
	                             .finish_timer = -1,
	                             .outcome = HTTP_RUNNING,
	                             .timeout_ms = options->timeout_ms,
	                             .has_ca_file = options->ca_file != NULL};
	url_for_message(url, probe->display, sizeof(probe->display));
	if (options->accepted_count > 0) {
		probe->accepted = malloc(options->accepted_count * sizeof(*probe->accepted));
		if (!probe->accepted) {
			free(probe);
			errno = ENOMEM;
			return NULL;
		}
		memcpy(probe->accepted, options->accepted_statuses, options->accepted_count * sizeof(*probe->accepted));
		probe->accepted_count = options->accepted_count;
	}
	if (!http_scheme(url)) {
		set_message(probe, "unsupported scheme in '%s': use http:// or https://", probe->display);
		return finish_at_start(probe, HTTP_PERMANENT, "check the URL");
	}
	if (curl_load(error, sizeof(error)) < 0) {
		set_message(probe, "%s", error);
		return finish_at_start(probe, HTTP_PERMANENT, "install libcurl (Debian: libcurl4)");
	}
	ca_file = options->ca_file;
	if (ca_file) {
		const char *refusal = ca_file_refusal(ca_file);

		if (refusal) {
			set_message(probe, "http-ca-file %s cannot be read: %s", ca_file, refusal);
			return finish_at_start(probe, HTTP_PERMANENT, "point http-ca-file at a readable PEM bundle");
		}
	} else {
		bool named;

		ca_file = system_ca_file(&named, error, sizeof(error));
		/* The static build's libcurl knows no CA bundle of its own, so an
		 * https:// URL stops here without one; a dynamic libcurl falls
		 * back on the one it was built with, maybe in a place this list
		 * does not know. */
		if (!ca_file && !options->insecure && https_scheme(url) && (named || DYNLIB_LINKED)) {
			set_message(probe, "%s", error);
			return finish_at_start(probe, HTTP_PERMANENT,
			                       named ? "point SSL_CERT_FILE at a readable PEM bundle, or unset it"
			                             : "install the CA certificates in the image (Debian: "
			                               "ca-certificates), or set http-ca-file");
		}
	}
	if (set_up(probe, url, ca_file, options) < 0) {
		set_message(probe, "cannot set up the request (out of memory?)");
		return finish_at_start(probe, HTTP_TRANSIENT, "");
	}
	return probe;
}

int http_library_version(char *out, size_t out_size)
{
	if (curl_load(out, out_size) < 0)
		return -1;
	snprintf(out, out_size, "%s", curllib.curl_version());
	return 0;
}

enum http_outcome http_probe_outcome(const struct http_probe *probe)
{
	return probe->outcome;
}

long http_probe_status(const struct http_probe *probe)
{
	return probe->status;
}

/* A probe that finished at its start holds its message already. */
const char *http_probe_message(const struct http_probe *probe)
{
	return probe->outcome == HTTP_RUNNING ? "" : probe->message;
}

const char *http_probe_advice(const struct http_probe *probe)
{
	return probe->outcome == HTTP_RUNNING ? "" : probe->advice;
}

void http_probe_free(struct http_probe *probe)
{
	if (!probe)
		return;
	loop_cancel_timer(probe->loop, probe->finish_timer);
	release_curl(probe);
	free(probe->accepted);
	free(probe);
}
