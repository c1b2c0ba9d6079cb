/* One child process run on the event loop, from start to a clean end: the
 * app under supervise.c, the Prisma CLI under prisma.c.
 *
 * The split is git's start_command()/finish_command(): child_start() makes
 * the process (through proc_spawn()) and returns at once, so that the caller
 * can do its part while nothing has run yet on the loop (start output relays,
 * aim fault signals at the new pid); child_finish() then runs the caller's
 * loop until the child has ended and whatever it left in its process group is
 * gone, and says how it ended. In between the runner owns the loop's signal
 * handler: SIGCHLD reaps every child that comes back (the one run and any
 * orphan re-parented here, as this process is their init or subreaper), stop
 * signals (SIGTERM, SIGINT, SIGQUIT) stop the child with a grace period
 * (child_stop()), and other signals are forwarded or ignored as the caller
 * chose. The same struct child can be started again once finished: that is
 * how a restart is made.
 *
 * The child leads a process group of its own, so that a stop reaches
 * everything it started and nothing it leaves behind outlives it; it gets the
 * terminal's foreground while it runs when this process has it (a job
 * started in the background must not take the terminal). A child that is a
 * part of this program (child->function) stays in this process's group
 * instead, sharing its terminal: it runs its own children on a runner of its
 * own. */
#ifndef PE_CHILD_H
#define PE_CHILD_H

#include "loop.h"
#include "proc.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Which of the signals this process receives the child gets. */
enum child_forward {
	/* Every signal but SIGCHLD, as an init passes them on (tini): the
	 * sender decides, SIGCONT included. */
	CHILD_FORWARD_ALL,
	/* Only stop signals, each followed by SIGCONT (nobody else could
	 * resume a stopped child, which would never see the stop); the rest
	 * are ignored while the child runs. */
	CHILD_FORWARD_STOP,
	/* Only stop signals, passed on as they came, to a child that is a
	 * part of this program (child->function): it stops what it runs
	 * itself, as this process would. The rest are ignored. */
	CHILD_FORWARD_STOP_TO_SELF,
};

/* What happens to the processes the child leaves in its group when it exits. */
enum child_leftovers {
	/* SIGTERM (and SIGCONT), then SIGKILL after stop_timeout_ms: an app's
	 * workers may have state to save. */
	CHILD_LEFTOVERS_TERM,
	/* SIGKILL at once: a tool's helpers have nothing to finish once the
	 * tool is done. */
	CHILD_LEFTOVERS_KILL,
};

enum child_outcome {
	CHILD_EXITED,       /* status: its exit status */
	CHILD_SIGNALED,     /* status: the signal that ended it */
	CHILD_SPAWN_FAILED, /* status: errno; failed: where */
	CHILD_LOOP_FAILED,  /* status: errno; the child was killed and reaped */
};

struct child_result {
	enum child_outcome outcome;
	int status;
	enum proc_failure failed; /* with CHILD_SPAWN_FAILED; else PROC_FAILED_NONE */
	/* With CHILD_EXITED or CHILD_SIGNALED: the first stop signal passed on
	 * to the child or its leftovers (the child may still have exited 0),
	 * or 0 when nobody asked it to stop. */
	int stop_signal;
	/* The first stop signal this process itself received while the child
	 * ran (a stop the caller asked for with child_stop() is not one). */
	int received_stop;
	int64_t elapsed_ms; /* from child_start() to the end of child_finish() */
};

struct child;

/* Called once when the child itself has been reaped, before its leftovers
 * are dealt with (its pid may already be another process's); wait_status
 * as from waitpid(). */
typedef void child_exit_fn(const struct child *child, int wait_status, void *arg);

struct child {
	/* Set by the caller (CHILD_INIT gives the defaults); the runner only
	 * reads them, and the strings must live until child_finish() returns. */
	const char *const *argv;    /* argv[0] is looked up in PATH */
	proc_function_fn *function; /* instead of argv (see struct proc_child) */
	void *function_arg;
	const char *name;                   /* in messages ("the prisma CLI"); NULL: argv[0]; needed with function */
	const struct proc_signals *signals; /* restored in the child */
	char *const *envp;                  /* NULL: this process's environment */
	const struct proc_user *user;       /* NULL: runs as this process does (see proc_child) */
	int stdout_fd;                      /* -1: inherited; else the child's stdout (see proc_child) */
	int stderr_fd;                      /* -1: inherited; else the child's stderr */
	enum child_forward forward;
	bool signal_group; /* forwarded signals go to the child's group; else to the child alone */
	/* With signal_group, for a package-manager launcher (launcher.h):
	 * forwarded signals go to the script it runs, not to the launcher and
	 * its shell (proc_signal_script()), which then end with the script's
	 * status; to the launcher while no script runs. */
	bool spare_launcher;
	enum child_leftovers leftovers;
	int64_t stop_timeout_ms; /* after a stop signal (or a SIGTERM to leftovers), before SIGKILL */
	child_exit_fn *on_exit;  /* NULL: nothing to call */
	void *on_exit_arg;

	/* The runner's own, valid from child_start() to child_finish(). */
	struct loop *loop;
	pid_t pid; /* the child, and the id of its process group; -1 before a start */
	bool took_terminal;
	bool exited;
	int wait_status;
	int grace_timer;     /* after a stop, or after SIGTERM to the leftovers (never both) */
	int kill_wait_timer; /* after SIGKILL, how long to wait for the group to vanish */
	bool leftovers_seen;
	int64_t started_ms;
	struct child_result result;
};

#define CHILD_INIT                                                                                                     \
	{                                                                                                              \
		.stdout_fd = -1, .stderr_fd = -1, .pid = -1, .grace_timer = -1, .kill_wait_timer = -1                  \
	}

/* Starts child->argv (or child->function) on loop, which must read the signals proc_signals_block()
 * blocked. Returns 0 with child->pid set, or -1 with errno and child->result
 * filled (CHILD_SPAWN_FAILED, with where it failed); nothing is left to
 * finish then. The terminal's foreground, if taken, is given back by
 * child_finish(). */
int child_start(struct child *child, struct loop *loop);

/* Runs the loop until the started child has exited and its group is empty,
 * or SIGKILL has left it for long enough (only a process in uninterruptible
 * sleep survives that), then takes the terminal back and fills child->result.
 * Returns 0 when the child ended (CHILD_EXITED, CHILD_SIGNALED), -1 when the
 * loop failed: then the group has been killed and the child reaped, so that
 * it cannot outlive this process unwatched. Any fd watches and timers the
 * caller added keep being served meanwhile. */
int child_finish(struct child *child);

/* Asks the started child to stop, as a stop signal received does: signo goes
 * where forwarded signals go (with SIGCONT under CHILD_FORWARD_STOP) and,
 * unless a grace period already runs, SIGKILL follows for the whole group
 * after stop_timeout_ms. Once the child has exited, signo goes to its
 * leftovers. The first signo is kept in the result's stop_signal. Only
 * meaningful between child_start() and the end of child_finish(). */
void child_stop(struct child *child, int signo);

#endif
