/* The PID-1 loop: runs the app as a child and stays as its init.
 *
 * Forwards every signal the loop receives (except SIGCHLD) to the app or its
 * process group, reaps every child including adopted orphans, enforces the
 * grace period after a stop signal, and clears the app's process group after
 * the app exits. */
#ifndef PE_SUPERVISE_H
#define PE_SUPERVISE_H

#include "loop.h"
#include "proc.h"

#include <stdbool.h>
#include <stdint.h>

struct supervise_params {
	const char *const *argv;
	const struct proc_signals *signals; /* restored in the app */
	struct loop *loop;                  /* reads the blocked signals */
	int64_t stop_timeout_ms;
	bool forward_to_group;
};

enum supervise_outcome {
	SUPERVISE_EXITED,       /* status: the app's exit status */
	SUPERVISE_SIGNALED,     /* status: the signal that ended the app */
	SUPERVISE_SPAWN_FAILED, /* status: errno; failed: where */
	SUPERVISE_LOOP_FAILED,  /* status: errno */
};

struct supervise_result {
	enum supervise_outcome outcome;
	int status;
	enum proc_failure failed;
};

/* Registers as a child subreaper when not PID 1, so that orphans are
 * re-parented here; warns once when that is impossible. Returns true when
 * this call made it one. */
bool supervise_become_reaper(void);

/* Undoes supervise_become_reaper() before exec'ing the app: the attribute
 * survives execve, and an app that is not an init would collect orphans it
 * never reaps. */
void supervise_leave_reaper(void);

/* Runs the app to its end and clears up after it. Returns 0 when the app
 * ran (result says how it ended), -1 when it could not be started or the
 * loop failed. */
int supervise_run(const struct supervise_params *params, struct supervise_result *result);

#endif
