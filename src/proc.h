/* Spawning, exec'ing and naming processes and signals.
 *
 * The rules every container init learns the hard way live here: signals are
 * blocked before any child exists (or a fast child's SIGCHLD is lost); the
 * child gets back the mask and dispositions this program was started with
 * before exec; exec errors travel back to the parent over a close-on-exec
 * pipe; only async-signal-safe calls run between fork and exec. */
#ifndef PE_PROC_H
#define PE_PROC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* SIGTTIN, SIGTTOU and the seven fault signals: the only signals whose
 * disposition this program changes. */
#define PROC_CHANGED_SIGNALS 9

/* The signal state the program was started with, and what it blocks now. */
struct proc_signals {
	sigset_t original_mask;
	struct sigaction original_actions[PROC_CHANGED_SIGNALS];
	sigset_t blocked; /* every catchable signal but the synchronous faults */
};

/* Call first thing in main, before any thread or child exists: saves the
 * original state, blocks every signal but the fault signals (SIGSEGV, SIGBUS,
 * SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS) and ignores SIGTTIN/SIGTTOU, so
 * that handing the terminal to a child never stops this process. Returns 0,
 * or -1 with errno. */
int proc_signals_block(struct proc_signals *signals);

/* Puts back the original mask and the original dispositions of the signals
 * this program may change (SIGTTIN, SIGTTOU, fault signals). Only
 * async-signal-safe calls: usable between fork and exec. */
void proc_signals_restore(const struct proc_signals *signals);

/* SIGTERM, SIGINT and SIGQUIT: the signals that ask a phase, or the app, to stop. */
bool proc_is_stop_signal(int signo);

/* A stop signal (see proc_is_stop_signal()) that is blocked and pending,
 * not yet taken by anyone; 0 when there is none. */
int proc_pending_stop_signal(void);

/* True for the signals left unblocked by proc_signals_block(). */
bool proc_is_fault_signal(int signo);

/* PROC_FAILED_USER: the child could not take on its user (proc_user_apply()). */
enum proc_failure { PROC_FAILED_NONE, PROC_FAILED_FORK, PROC_FAILED_EXEC, PROC_FAILED_USER };

/* The user a child runs as, resolved before any fork (user.h): the switch
 * itself is three system calls, safe between fork and exec, and the
 * environment that goes with it is built before fork. */
struct proc_user {
	uid_t uid;
	gid_t gid;
	const gid_t *groups; /* the supplementary groups, gid included */
	size_t group_count;
	/* "HOME=...", and "USER=..." and "LOGNAME=..." when the user has a
	 * name; NULL-terminated. They replace HOME, USER and LOGNAME of the
	 * environment the child would get (which are dropped when absent
	 * here: they would name root). */
	const char *const *env;
};

/* setgroups, setgid, setuid, in that order (each needs the privilege the
 * next one drops). Async-signal-safe. Returns 0, or -1 with errno. */
int proc_user_apply(const struct proc_user *user);

/* Whether the switch works here, in a child that does nothing else: a
 * container without CAP_SETUID/CAP_SETGID, or a user namespace that maps no
 * such id, refuses it. Returns 0, or -1 with errno (from the switch, or from
 * fork). */
int proc_user_try(const struct proc_user *user);

/* A part of this program run in a child of its own instead of a program:
 * what it returns is the child's exit status. */
typedef int proc_function_fn(void *arg);

struct proc_child {
	const char *const *argv; /* argv[0] is looked up in PATH; NULL with function */
	/* Instead of argv: called in the child, which exits with what it
	 * returns and never execs. It runs as this process does (user,
	 * envp, stdout_fd and stderr_fd are not used), with this process's
	 * signal mask (signals stays unrestored): a copy of this program,
	 * reading its signals as this one does. */
	proc_function_fn *function;
	void *function_arg;
	const struct proc_signals *signals; /* restored in the child */
	bool new_process_group;             /* the child leads a group of its own */
	bool take_terminal;                 /* and becomes the terminal's foreground */
	char *const *envp;                  /* NULL: this process's environment */
	const struct proc_user *user;       /* NULL: this process's own */
	int stdout_fd;                      /* -1: inherited; else becomes the child's stdout */
	int stderr_fd;                      /* -1: inherited; else becomes the child's stderr */
	pid_t pid;                          /* set by proc_spawn() */
	enum proc_failure failed;           /* why proc_spawn() returned -1 */
};

#define PROC_CHILD_INIT                                                                                                \
	{                                                                                                              \
		.stdout_fd = -1, .stderr_fd = -1, .pid = -1                                                            \
	}

/* Starts child->argv (or child->function). Returns 0 with child->pid set, or -1 with errno and
 * child->failed: PROC_FAILED_EXEC when the program is missing or cannot be
 * executed (errno from execve, e.g. ENOENT, EACCES, ENOEXEC), PROC_FAILED_USER
 * when the child could not switch to child->user, PROC_FAILED_FORK when no
 * process could be made. */
int proc_spawn(struct proc_child *child);

/* Reaps every child that has ended, without blocking: the one watched and
 * any adopted orphan. Returns true when watched was among them, with its wait
 * status in *status; *others counts the rest. */
bool proc_reap(pid_t watched, int *status, unsigned *others);

/* Sends signo to every child of this process and to the process group each
 * leads (a process it adopted as a subreaper is a child too): for what a
 * child that died without ending its own children left running; those that
 * end within a second are reaped. Needs /proc (task/PID/children); returns
 * how many children were signalled. */
unsigned proc_signal_children(int signo);

/* Replaces this process with argv after restoring signals, as user (NULL:
 * as itself). Returns only on failure: -1 with errno, and *failed saying
 * where (PROC_FAILED_EXEC or PROC_FAILED_USER; failed may be NULL). After a
 * failed user switch this process may have lost some of its privileges. */
int proc_exec(const char *const *argv, const struct proc_signals *signals, const struct proc_user *user,
              enum proc_failure *failed);

/* Finds name the way execvp would. Returns 0 with the path in out, or -1 with
 * errno ENOENT (nowhere) or EACCES (found, not executable). */
int proc_find_program(const char *name, char *out, size_t out_size);

/* Sends signo to the script a package-manager launcher runs (launcher.h):
 * every process of the launcher's process group but the launcher itself and
 * the shells it started directly (sh -c "SCRIPT"), read from /proc. Those two
 * then end by themselves with the script's own status. Returns how many
 * processes were signalled: 0 when the script has not started yet (or /proc
 * cannot be read), and then the caller signals the launcher. */
int proc_signal_script(pid_t launcher, int signo);

/* "SIGTERM", "SIGRTMIN+3", or "signal 99". */
const char *proc_signal_name(int signo, char *buf, size_t size);

#endif
