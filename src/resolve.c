#include "resolve.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

struct resolve_request {
	/* The caller and the thread each hold one reference; the last one
	 * frees, so the thread may outlive a caller that stopped waiting. */
	atomic_int references;
	int event_fd;
	char *host;
	char *port;
	int status; /* getaddrinfo's result */
	struct addrinfo *addresses;
};

static void request_unref(struct resolve_request *request)
{
	if (atomic_fetch_sub(&request->references, 1) != 1)
		return;
	close(request->event_fd);
	if (request->addresses)
		freeaddrinfo(request->addresses);
	free(request->host);
	free(request->port);
	free(request);
}

static void lookup(struct resolve_request *request, int flags)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = flags};
	uint64_t one = 1;

	request->status = getaddrinfo(request->host, request->port, &hints, &request->addresses);
	if (request->status != 0)
		request->addresses = NULL;
	while (write(request->event_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

static void *lookup_thread(void *arg)
{
	struct resolve_request *request = arg;

	lookup(request, 0);
	request_unref(request);
	return NULL;
}

static bool is_numeric(const char *host, const char *port)
{
	struct addrinfo hints = {
	    .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
	struct addrinfo *found = NULL;
	int status = getaddrinfo(host, port, &hints, &found);

	if (found)
		freeaddrinfo(found);
	return status == 0;
}

struct resolve_request *resolve_start(const char *host, const char *port)
{
	struct resolve_request *request = calloc(1, sizeof(*request));
	pthread_attr_t attr;
	pthread_t thread;
	int error;

	if (!request)
		return NULL;
	atomic_init(&request->references, 1);
	request->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	request->host = strdup(host);
	request->port = strdup(port);
	if (request->event_fd < 0 || !request->host || !request->port) {
		error = errno;
		request_unref(request);
		errno = error;
		return NULL;
	}
	if (is_numeric(host, port)) {
		lookup(request, AI_NUMERICHOST | AI_NUMERICSERV);
		return request;
	}
	atomic_fetch_add(&request->references, 1);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	error = pthread_create(&thread, &attr, lookup_thread, request);
	pthread_attr_destroy(&attr);
	if (error) {
		atomic_store(&request->references, 1);
		request_unref(request);
		errno = error;
		return NULL;
	}
	return request;
}

int resolve_fd(const struct resolve_request *request)
{
	return request->event_fd;
}

int resolve_result(struct resolve_request *request, const struct addrinfo **addresses, const char **error)
{
	if (request->status == 0) {
		*addresses = request->addresses;
		return 0;
	}
	switch (request->status) {
	case EAI_NONAME:
#ifdef EAI_NODATA
	case EAI_NODATA:
#endif
		*error = "name does not resolve";
		break;
	case EAI_AGAIN:
		*error = "temporary failure in name resolution";
		break;
	default:
		*error = gai_strerror(request->status);
	}
	return -1;
}

void resolve_release(struct resolve_request *request)
{
	if (request)
		request_unref(request);
}

const char *resolve_numeric(const struct addrinfo *address, char *buf, size_t size)
{
	if (getnameinfo(address->ai_addr, address->ai_addrlen, buf, (socklen_t)size, NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(buf, size, "?");
	return buf;
}
