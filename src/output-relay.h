/* Copies a child's output from a pipe to one of ours, driven by the loop,
 * through log.c, the writer of our own lines, so that the two never share a
 * line.
 *
 * Text (log-format = text): bytes pass through as they come, without waiting
 * for whole lines, so a progress message without a newline still shows; a
 * prefix (prisma-output-prefix) goes before the first byte of each line, and
 * a line of ours that comes while a relayed line is unfinished ends it first
 * (log.h); the line's rest then starts a line of its own. JSON: each line
 * becomes a JSON object of its own (source: the child's name), once whole,
 * or when it fills RELAY_LINE_MAX, or at the end of the output. */
#ifndef PE_OUTPUT_RELAY_H
#define PE_OUTPUT_RELAY_H

#include "loop.h"

#include <stdbool.h>
#include <stddef.h>

#define RELAY_LINE_MAX 4096

struct relay {
	int fd;     /* the pipe's read end, non-blocking; -1 once closed */
	int out_fd; /* where the output goes, e.g. STDERR_FILENO */
	const char *prefix;
	const char *source; /* JSON: the "source" of each line ("prisma") */
	/* Called with every chunk read, before it is relayed (NULL: none):
	 * what the output says, for the caller (output-watch.h). Set after
	 * relay_start(). */
	void (*observe)(void *arg, const char *data, size_t len);
	void *observe_arg;
	/* JSON: the line read so far, not yet written */
	char line[RELAY_LINE_MAX];
	size_t line_len;
};

/* Watches fd (made non-blocking; the relay owns it from now on) on loop.
 * prefix and source must live until relay_finish(). Returns 0, or -1 with
 * errno (the fd is closed then). */
int relay_start(struct relay *relay, struct loop *loop, int fd, int out_fd, const char *prefix, const char *source);

/* Copies what is left in the pipe without waiting for more (a process that
 * outlives the child may hold it open), ends a last line that has no
 * newline (what comes next, ours or the app's, starts a line), then stops
 * watching and closes the pipe. Safe to call twice. */
void relay_finish(struct relay *relay, struct loop *loop);

#endif
