/* Name resolution that never blocks the event loop.
 *
 * getaddrinfo() may wait seconds for a DNS server; the wait phase must still
 * honour SIGTERM within 100 ms. Each lookup runs in a thread of its own and
 * reports on a file descriptor the loop watches. Numeric addresses are
 * resolved at once, without a thread. */
#ifndef PE_RESOLVE_H
#define PE_RESOLVE_H

#include <netdb.h>

struct resolve_request;

/* Starts resolving host for port (TCP). Returns NULL with errno on failure
 * to start (no thread, no descriptor). */
struct resolve_request *resolve_start(const char *host, const char *port);

/* Becomes readable when the lookup is over. */
int resolve_fd(const struct resolve_request *request);

/* Once resolve_fd() is readable: 0 with *addresses (owned by the request,
 * valid until resolve_release()), or -1 with a one-line reason in *error
 * ("name does not resolve", "temporary failure in name resolution"). */
int resolve_result(struct resolve_request *request, const struct addrinfo **addresses, const char **error);

/* Releases the request, finished or not: an unfinished lookup's thread
 * cleans up after itself. */
void resolve_release(struct resolve_request *request);

/* The numeric form of an address, for messages and for libpq's hostaddr. */
const char *resolve_numeric(const struct addrinfo *address, char *buf, size_t size);

#endif
