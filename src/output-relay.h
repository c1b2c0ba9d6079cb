/* Copies a child's output from a pipe to one of ours, with a prefix at the
 * start of every line (prisma-output-prefix), driven by the loop.
 *
 * Bytes pass through as they come, without waiting for whole lines, so a
 * progress message without a newline still shows; the prefix goes before the
 * first byte of each line. */
#ifndef PE_OUTPUT_RELAY_H
#define PE_OUTPUT_RELAY_H

#include "loop.h"

#include <stdbool.h>

struct relay {
	int fd;     /* the pipe's read end, non-blocking; -1 once closed */
	int out_fd; /* where the output goes, e.g. STDERR_FILENO */
	const char *prefix;
	bool at_line_start;
};

/* Watches fd (made non-blocking; the relay owns it from now on) on loop.
 * Returns 0, or -1 with errno (the fd is closed then). */
int relay_start(struct relay *relay, struct loop *loop, int fd, int out_fd, const char *prefix);

/* Copies what is left in the pipe without waiting for more (a process that
 * outlives the child may hold it open), then stops watching and closes it.
 * Safe to call twice. */
void relay_finish(struct relay *relay, struct loop *loop);

#endif
