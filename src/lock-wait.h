/* Waiting for a lock another process holds, on the loop: try it every
 * poll_ms, say every progress_ms that the wait goes on ("still waiting for
 * WHAT after 5s"), and end at once on a stop signal. What the lock is stays
 * the caller's: a try callback takes it (a flock, a PostgreSQL advisory lock,
 * or any condition worth waiting for), so every wait of a start reads the
 * same and stops the same way. */
#ifndef PE_LOCK_WAIT_H
#define PE_LOCK_WAIT_H

#include "loop.h"

#include <stdbool.h>
#include <stdint.h>

/* The intervals the phases wait with. */
#define LOCK_WAIT_POLL_MS     100
#define LOCK_WAIT_PROGRESS_MS 5000

/* What one try found. */
enum lock_try {
	LOCK_TRY_TAKEN,   /* the wait is over: taken (or what was waited for happened) */
	LOCK_TRY_HELD,    /* another process holds it: try again after poll_ms */
	LOCK_TRY_FAILED,  /* the wait is over: it cannot be taken (errno, or what the try kept in its arg) */
	LOCK_TRY_STOPPED, /* the try gave up because a stop signal is pending (see proc_pending_stop_signal()) */
};

typedef enum lock_try lock_try_fn(void *arg);

struct lock_wait_params {
	struct loop *loop;
	lock_try_fn *try_lock;
	void *arg;
	/* The caller's own try found the lock held already: announce and
	 * wait poll_ms before the first try here. */
	bool held;
	const char *announce; /* logged (info) once when the lock is found held; NULL: nothing */
	const char *what;     /* in "still waiting for WHAT after 5s" */
	int64_t poll_ms;
	int64_t progress_ms; /* > 0 */
	int64_t deadline_ms; /* on the monotonic clock (loop_now_ms()): no try after it; 0: none */
};

enum lock_wait_outcome {
	LOCK_WAIT_TAKEN,
	LOCK_WAIT_FAILED,    /* a try said FAILED (error: its errno), or the loop failed (error: errno) */
	LOCK_WAIT_STOPPED,   /* stop_signal: SIGTERM, SIGINT or SIGQUIT */
	LOCK_WAIT_TIMED_OUT, /* still held at deadline_ms */
};

struct lock_wait_result {
	enum lock_wait_outcome outcome;
	bool waited; /* the lock was found held: the caller announced it, or the first try here found it */
	int stop_signal;
	int error;
	int tries; /* calls of try_lock */
};

/* Tries at once (unless params->held), then, while the lock is held, every
 * poll_ms on the loop. A SIGTERM, SIGINT or SIGQUIT read by the loop, or a
 * try that says STOPPED, ends the wait with the signal, which this does not
 * report: the caller says what it stopped. Other signals the loop reads
 * meanwhile are ignored. */
void lock_wait(const struct lock_wait_params *params, struct lock_wait_result *result);

#endif
