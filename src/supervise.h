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

/* Between the two runs of a restart: returns 0 to start the app again,
 * 128+N when stop signal N ended it (the supervision ends, as if the app had
 * died of N), or another status: the app stays down until the next restart. */
typedef int supervise_prepare_fn(void *arg);

/* How a restart went: status 0 with the new app's pid, prepare's status, or
 * -1 when the app could not be started again (the supervision ends). */
typedef void supervise_restarted_fn(int status, pid_t pid, void *arg);

enum supervise_state {
	SUPERVISE_RUNNING,   /* the app runs */
	SUPERVISE_STOPPING,  /* stopped for a restart; prepare has not begun */
	SUPERVISE_PREPARING, /* prepare runs */
	SUPERVISE_DOWN,      /* prepare failed: no app until the next restart */
};

/* Restarts of the app without ending the supervision (the restart command,
 * watch mode). */
struct supervise_restarts {
	supervise_prepare_fn *prepare;
	supervise_restarted_fn *restarted;
	void *arg;

	/* supervise.c's own, valid while supervise_run() runs */
	struct child *app;
	struct loop *loop;
	enum supervise_state state;
	bool again; /* asked for while preparing, or while down */
};

struct supervise_params {
	const char *const *argv;
	const struct proc_signals *signals; /* restored in the app */
	const struct proc_user *user;       /* the app runs as this user; NULL: as this process */
	struct loop *loop;                  /* reads the blocked signals */
	int64_t stop_timeout_ms;
	bool forward_to_group;
	bool spare_launcher;                 /* with forward_to_group: see struct child */
	struct supervise_restarts *restarts; /* NULL: the app runs once */
};

/* Registers as a child subreaper when not PID 1, so that orphans are
 * re-parented here; warns once when that is impossible. Returns true when
 * this call made it one. */
bool supervise_become_reaper(void);

/* Undoes supervise_become_reaper() before exec'ing the app: the attribute
 * survives execve, and an app that is not an init would collect orphans it
 * never reaps. */
void supervise_leave_reaper(void);

/* Runs the app to its end and clears up after it; with restarts, runs it
 * again each time one is asked for, until it ends by itself or a stop signal
 * ends the supervision. Returns 0 when the app ran (result says how the last
 * run ended: CHILD_EXITED or CHILD_SIGNALED; a stop signal while the app was
 * down is CHILD_SIGNALED too), -1 when it could not be started or the loop
 * failed (CHILD_SPAWN_FAILED, CHILD_LOOP_FAILED). */
int supervise_run(const struct supervise_params *params, struct child_result *result);

/* Asks for a restart, from a callback on the supervision's loop: the app is
 * stopped as by SIGTERM (with its grace period), prepare runs, and the app
 * starts again. Asked for while the app is being stopped, it is the same
 * restart; while prepare runs, another prepare follows before the app
 * starts (an edit during generate). why is logged. */
void supervise_restart(struct supervise_restarts *restarts, const char *why);

#endif
