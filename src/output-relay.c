#include "output-relay.h"

#include "fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

/* Nowhere to report a broken stdout: the output is dropped. */
static void write_out(const struct relay *relay, const char *data, size_t len)
{
	(void)fdio_write_all(relay->out_fd, data, len);
}

static void copy_chunk(struct relay *relay, const char *data, size_t len)
{
	while (len > 0) {
		const char *newline = memchr(data, '\n', len);
		size_t line_len = newline ? (size_t)(newline - data) + 1 : len;

		if (relay->at_line_start)
			write_out(relay, relay->prefix, strlen(relay->prefix));
		write_out(relay, data, line_len);
		relay->at_line_start = newline != NULL;
		data += line_len;
		len -= line_len;
	}
}

/* Reads until the pipe is empty. Returns false at end of file or on error. */
static bool drain(struct relay *relay)
{
	char chunk[4096];

	for (;;) {
		ssize_t n = read(relay->fd, chunk, sizeof(chunk));

		if (n > 0) {
			copy_chunk(relay, chunk, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 && errno == EAGAIN;
	}
}

static void on_readable(struct loop *loop, int fd, short revents, void *arg)
{
	struct relay *relay = arg;

	(void)fd;
	(void)revents;
	if (!drain(relay))
		relay_finish(relay, loop);
}

int relay_start(struct relay *relay, struct loop *loop, int fd, int out_fd, const char *prefix)
{
	int flags = fcntl(fd, F_GETFL);

	*relay = (struct relay){.fd = fd, .out_fd = out_fd, .prefix = prefix ? prefix : "", .at_line_start = true};
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
	    loop_watch_fd(loop, fd, POLLIN, on_readable, relay) < 0) {
		int saved = errno;

		close(fd);
		relay->fd = -1;
		errno = saved;
		return -1;
	}
	return 0;
}

void relay_finish(struct relay *relay, struct loop *loop)
{
	if (relay->fd < 0)
		return;
	drain(relay);
	/* A last line without a newline ends here: ours start on a new line. */
	if (!relay->at_line_start && *relay->prefix)
		write_out(relay, "\n", 1);
	loop_unwatch_fd(loop, relay->fd);
	close(relay->fd);
	relay->fd = -1;
}
