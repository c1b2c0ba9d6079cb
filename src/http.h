/* HTTP(S) readiness probes: one GET per probe, driven by the caller's event
 * loop through libcurl's multi socket interface.
 *
 * The one user of libcurl's transfer functions (url.c uses only its URL
 * parser). libcurl is loaded on first use (see dynlib.h). A probe registers
 * its own sockets and timers on the loop, never blocks it (libcurl as Debian
 * builds it resolves names in a thread; a probe freed mid-lookup leaves that
 * thread to finish alone, CURLOPT_QUICK_EXIT), and reports once, through
 * done(), whether the service answered with an accepted status. Each probe
 * has its own connection and its own DNS cache, so every attempt resolves
 * and connects afresh, as a readiness check should.
 *
 * What a probe does: GET (never HEAD: some health endpoints reject it),
 * follows up to HTTP_MAX_REDIRECTS redirects over http and https only, takes
 * proxies from the environment as curl does (http_proxy, HTTPS_PROXY,
 * ALL_PROXY, NO_PROXY), discards the body (reading at most HTTP_MAX_BODY
 * bytes of it), and writes nothing anywhere. No message this module makes
 * holds the password of a URL. */
#ifndef PE_HTTP_H
#define PE_HTTP_H

#include "loop.h"

#include <stdbool.h>
#include <stddef.h>

#define HTTP_MAX_REDIRECTS 10
#define HTTP_MAX_BODY      (64 * 1024)

/* Borrowed for the duration of http_probe_start() only: the probe copies
 * what it keeps. A zeroed struct means: the system's CA store, verification
 * on, any 2xx is ready, no timeout of its own. */
struct http_options {
	const char *ca_file; /* PEM bundle to verify the server against instead of the system's; NULL: system's */
	bool insecure;       /* skip certificate and host name verification (https) */
	/* The statuses that mean ready, in place of 200-299; none: 200-299.
	 * Checked against the status of the last response, after redirects. */
	const int *accepted_statuses;
	size_t accepted_count;
	/* A backstop given to libcurl (CURLOPT_TIMEOUT_MS): the transfer ends
	 * as transient "no response within N ms" after this long. <= 0: none.
	 * The caller's own attempt timer, which frees the probe, is the
	 * primary bound; give this the same value or a little more. */
	long timeout_ms;
};

struct http_probe;

enum http_outcome {
	HTTP_RUNNING,   /* done() has not been called yet */
	HTTP_READY,     /* an accepted status came back */
	HTTP_TRANSIENT, /* not ready yet (another status, refused, timeout, no such name yet): try again */
	HTTP_PERMANENT, /* trying again will not help: see http_probe_advice() */
};

typedef void http_done_fn(struct http_probe *probe, void *arg);

/* Starts one GET of url ("http://..." or "https://...", copied) on loop,
 * which must outlive the probe. done(probe, arg) is called exactly once,
 * from inside loop_run() (never from inside http_probe_start()), when the
 * probe has finished; by then the probe holds no descriptor and no timer on
 * the loop any more. done() may free the probe. It is never called after
 * http_probe_free().
 *
 * A probe that cannot run at all (libcurl cannot be loaded, the scheme is
 * not http or https) is returned too: it finishes as HTTP_PERMANENT with the
 * reason as its message, done() coming from the loop's next round.
 *
 * Returns NULL with errno (ENOMEM, or ENOSPC when the loop has no free timer)
 * only when not even such a probe can be made; done() is then never called. */
struct http_probe *http_probe_start(struct loop *loop, const char *url, const struct http_options *options,
                                    http_done_fn *done, void *arg);

/* libcurl's version and TLS library ("libcurl/7.88.1 OpenSSL/3.0.20") in
 * out: 0; or -1 with why it cannot be loaded. */
int http_library_version(char *out, size_t out_size);

/* HTTP_RUNNING until done() is called, then the result. */
enum http_outcome http_probe_outcome(const struct http_probe *probe);

/* The last response's status (after redirects), 0 when none came. */
long http_probe_status(const struct http_probe *probe);

/* What happened, on one line, "" while running:
 * "HTTP 200 from http://api:8080/health", "HTTP 503 from ...",
 * "HTTP 200 from http://api:8080/ready after 1 redirect",
 * "connection refused (127.0.0.1:8080)" (the last address tried, which is
 * the proxy's when there is one), "no response within 5000 ms",
 * "could not resolve host: api", "certificate verify failed: self-signed
 * certificate", "TLS handshake failed: wrong version number". URLs are
 * shown with their password redacted; after redirects, the URL is the last
 * one. Also set for HTTP_READY. */
const char *http_probe_message(const struct http_probe *probe);

/* For a permanent failure, what the user can do about it; "" otherwise. */
const char *http_probe_advice(const struct http_probe *probe);

/* Ends the probe at any point, mid-transfer included (the caller's attempt
 * timeout): its descriptors and timers leave the loop, its connection is
 * closed, and done() will not be called. NULL is accepted. Also the way to
 * free a finished probe, inside done() or later. */
void http_probe_free(struct http_probe *probe);

#endif
