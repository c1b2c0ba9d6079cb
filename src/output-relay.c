#include "output-relay.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

/* JSON: the line gathered so far goes out as one object, the prefix first. */
static void flush_json_line(struct relay *relay)
{
	char text[RELAY_LINE_MAX * 2];
	size_t prefix_len = strlen(relay->prefix);
	size_t len = relay->line_len;

	if (len > 0 && relay->line[len - 1] == '\r')
		len--; /* a CRLF line's CR is not part of its text */
	if (prefix_len > RELAY_LINE_MAX)
		prefix_len = RELAY_LINE_MAX;
	memcpy(text, relay->prefix, prefix_len);
	memcpy(text + prefix_len, relay->line, len);
	log_relay_json_line(relay->out_fd, relay->source, text, prefix_len + len);
	relay->line_len = 0;
}

static void copy_json(struct relay *relay, const char *data, size_t len)
{
	while (len > 0) {
		const char *newline = memchr(data, '\n', len);
		size_t part = newline ? (size_t)(newline - data) : len;
		size_t room = RELAY_LINE_MAX - relay->line_len;
		bool fits = part <= room; /* the rest of this line, up to its newline */
		size_t taken = fits ? part : room;

		memcpy(relay->line + relay->line_len, data, taken);
		relay->line_len += taken;
		data += taken;
		len -= taken;
		if (fits && newline) {
			data++; /* the newline itself */
			len--;
			flush_json_line(relay);
		} else if (relay->line_len == RELAY_LINE_MAX) {
			flush_json_line(relay); /* a very long line goes out in pieces */
		}
	}
}

static void copy_text(struct relay *relay, const char *data, size_t len)
{
	while (len > 0) {
		const char *newline = memchr(data, '\n', len);
		size_t line_len = newline ? (size_t)(newline - data) + 1 : len;

		/* At a line's start, or after a line of ours ended it early. */
		if (!log_relay_mid_line(relay->out_fd))
			log_relay_write(relay->out_fd, relay->prefix, strlen(relay->prefix));
		log_relay_write(relay->out_fd, data, line_len);
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
			if (relay->observe)
				relay->observe(relay->observe_arg, chunk, (size_t)n);
			if (log_is_json())
				copy_json(relay, chunk, (size_t)n);
			else
				copy_text(relay, chunk, (size_t)n);
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

int relay_start(struct relay *relay, struct loop *loop, int fd, int out_fd, const char *prefix, const char *source)
{
	int flags = fcntl(fd, F_GETFL);

	relay->fd = fd;
	relay->out_fd = out_fd;
	relay->prefix = prefix ? prefix : "";
	relay->source = source ? source : "";
	relay->line_len = 0;
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
	/* A last line without a newline ends here: what follows (our lines,
	 * the app's output) starts on a new line. */
	if (relay->line_len > 0)
		flush_json_line(relay);
	log_relay_end_line(relay->out_fd);
	loop_unwatch_fd(loop, relay->fd);
	close(relay->fd);
	relay->fd = -1;
}
