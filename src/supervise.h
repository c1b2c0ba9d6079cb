/* The PID-1 loop: runs the app as a child and stays as its init.
 *
 * The app runs on the child runner (child.h), which forwards every signal the
 * loop receives (except SIGCHLD) to the app or its process group, reaps every
 * child including adopted orphans, enforces the grace period after a stop
 * signal, and clears the app's process group after the app exits. What is
 * left here is what only an init needs: the child subreaper attribute, and
 * fault signals sent by other processes passed on to the app. */
#ifndef PE_SUPERVISE_H
#define PE_SUPERVISE_H

#include "child.h"
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

/* Registers as a child subreaper when not PID 1, so that orphans are
 * re-parented here; warns once when that is impossible. Returns true when
 * this call made it one. */
bool supervise_become_reaper(void);

/* Undoes supervise_become_reaper() before exec'ing the app: the attribute
 * survives execve, and an app that is not an init would collect orphans it
 * never reaps. */
void supervise_leave_reaper(void);

/* Runs the app to its end and clears up after it. Returns 0 when the app
 * ran (result says how it ended: CHILD_EXITED or CHILD_SIGNALED), -1 when it
 * could not be started or the loop failed (CHILD_SPAWN_FAILED,
 * CHILD_LOOP_FAILED). */
int supervise_run(const struct supervise_params *params, struct child_result *result);

#endif
