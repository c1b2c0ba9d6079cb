#include "supervise.h"

#include "log.h"
#include "value.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* After SIGKILL, how long to wait for the group to vanish before giving up:
 * only a process stuck in uninterruptible sleep survives that long. */
#define SUPERVISE_KILL_WAIT_MS 2000

_Static_assert(sizeof(pid_t) <= sizeof(sig_atomic_t), "a pid must fit in sig_atomic_t");

/* Where the fault-signal handler forwards signals that another process sent
 * with kill(); 0 when there is no app. The only state a handler touches. */
static volatile sig_atomic_t fault_forward_target;

struct supervisor {
	const struct supervise_params *params;
	pid_t child;
	bool child_exited;
	int child_status;
	int stop_timer;    /* grace period after a forwarded stop signal */
	int cleanup_timer; /* grace period for what the app left behind */
	int kill_wait_timer;
	bool cleanup_started;
	bool cleanup_killed;
};

bool supervise_become_reaper(void)
{
	int is_reaper = 0;

	if (getpid() == 1)
		return false;
	if (prctl(PR_GET_CHILD_SUBREAPER, &is_reaper, 0UL, 0UL, 0UL) == 0 && is_reaper)
		return false;
	if (prctl(PR_SET_CHILD_SUBREAPER, 1UL, 0UL, 0UL, 0UL) < 0) {
		log_warning("not PID 1 and cannot register as a child subreaper (%s): orphaned processes will "
		            "not be reaped",
		            strerror(errno));
		return false;
	}
	log_debug("not PID 1: registered as a child subreaper");
	return true;
}

void supervise_leave_reaper(void)
{
	prctl(PR_SET_CHILD_SUBREAPER, 0UL, 0UL, 0UL, 0UL);
}

/* SIGSEGV and friends stay unblocked so that a real fault in this program
 * kills it. The same signals sent by another process are forwarded like any
 * other signal. */
static void on_fault_signal(int signo, siginfo_t *info, void *context)
{
	pid_t target = (pid_t)fault_forward_target;

	(void)context;
	if (info->si_code <= 0 && info->si_pid != getpid()) {
		if (target != 0)
			kill(target, signo);
		return;
	}
	signal(signo, SIG_DFL);
	raise(signo);
}

static void install_fault_forwarding(void)
{
	struct sigaction action = {.sa_sigaction = on_fault_signal, .sa_flags = SA_SIGINFO | SA_RESTART};

	sigfillset(&action.sa_mask);
	for (int signo = 1; signo < SIGRTMIN; signo++)
		if (proc_is_fault_signal(signo))
			sigaction(signo, &action, NULL);
}

static pid_t forward_target(const struct supervisor *sup)
{
	return sup->params->forward_to_group ? -sup->child : sup->child;
}

static bool group_alive(const struct supervisor *sup)
{
	return kill(-sup->child, 0) == 0 || errno == EPERM;
}

static void kill_everything(const struct supervisor *sup)
{
	kill(-sup->child, SIGKILL);
	/* The app may have left its group (setsid): it goes too. */
	if (!sup->child_exited)
		kill(sup->child, SIGKILL);
}

static void on_kill_wait_over(struct loop *loop, void *arg)
{
	(void)arg;
	log_warning("processes survived SIGKILL for %d ms (uninterruptible sleep?): exiting without them",
	            SUPERVISE_KILL_WAIT_MS);
	loop_stop(loop);
}

static void on_stop_timeout(struct loop *loop, void *arg)
{
	struct supervisor *sup = arg;
	char grace[32];

	sup->stop_timer = -1;
	value_format_duration(sup->params->stop_timeout_ms, grace, sizeof(grace));
	log_warning("%s still running %s after the stop signal: sending SIGKILL to its process group",
	            sup->params->argv[0], grace);
	kill_everything(sup);
	(void)loop;
}

static void on_cleanup_timeout(struct loop *loop, void *arg)
{
	struct supervisor *sup = arg;
	char grace[32];

	sup->cleanup_timer = -1;
	sup->cleanup_killed = true;
	value_format_duration(sup->params->stop_timeout_ms, grace, sizeof(grace));
	log_warning("processes left by %s still running %s after SIGTERM: sending SIGKILL", sup->params->argv[0],
	            grace);
	kill_everything(sup);
	sup->kill_wait_timer = loop_add_timer(loop, SUPERVISE_KILL_WAIT_MS, on_kill_wait_over, sup);
}

/* After the app exits: ask what it left in its group to stop, or finish. */
static void after_child_exit(struct loop *loop, struct supervisor *sup)
{
	if (!group_alive(sup)) {
		loop_stop(loop);
		return;
	}
	if (sup->cleanup_started)
		return;
	sup->cleanup_started = true;
	loop_cancel_timer(loop, sup->stop_timer);
	sup->stop_timer = -1;
	log_info("%s exited and left processes in its group: sending them SIGTERM", sup->params->argv[0]);
	kill(-sup->child, SIGTERM);
	/* A stopped process would never see the SIGTERM. */
	kill(-sup->child, SIGCONT);
	sup->cleanup_timer = loop_add_timer(loop, sup->params->stop_timeout_ms, on_cleanup_timeout, sup);
}

static void describe_exit(const struct supervisor *sup)
{
	char name[32];

	if (WIFEXITED(sup->child_status))
		log_info("%s exited with status %d", sup->params->argv[0], WEXITSTATUS(sup->child_status));
	else if (WIFSIGNALED(sup->child_status))
		log_info("%s was killed by %s", sup->params->argv[0],
		         proc_signal_name(WTERMSIG(sup->child_status), name, sizeof(name)));
}

static void reap(struct loop *loop, struct supervisor *sup)
{
	unsigned others;

	if (proc_reap(sup->child, &sup->child_status, &others)) {
		sup->child_exited = true;
		fault_forward_target = 0;
		describe_exit(sup);
	}
	if (others)
		log_debug("reaped %u other process(es)", others);
	if (sup->child_exited)
		after_child_exit(loop, sup);
}

static void on_signal(struct loop *loop, const struct signalfd_siginfo *info, void *arg)
{
	struct supervisor *sup = arg;
	int signo = (int)info->ssi_signo;
	char name[32];

	if (signo == SIGCHLD) {
		reap(loop, sup);
		return;
	}
	if (sup->child_exited) {
		/* Only leftovers remain: a stop request is passed to them. */
		if (proc_is_stop_signal(signo))
			kill(-sup->child, signo);
		return;
	}
	log_verbose("forwarding %s to %s %d", proc_signal_name(signo, name, sizeof(name)),
	            sup->params->forward_to_group ? "process group" : "pid", (int)sup->child);
	if (kill(forward_target(sup), signo) < 0 && errno != ESRCH)
		log_warning("cannot forward %s to %d: %s", name, (int)sup->child, strerror(errno));
	if (proc_is_stop_signal(signo) && sup->stop_timer < 0)
		sup->stop_timer = loop_add_timer(loop, sup->params->stop_timeout_ms, on_stop_timeout, sup);
}

int supervise_run(const struct supervise_params *params, struct supervise_result *result)
{
	struct supervisor sup = {.params = params, .stop_timer = -1, .cleanup_timer = -1, .kill_wait_timer = -1};
	sigset_t faults;
	struct proc_child child = PROC_CHILD_INIT;

	supervise_become_reaper();
	child.argv = params->argv;
	child.signals = params->signals;
	child.new_process_group = true;
	/* The app gets the terminal only if this process has it: a job in a
	 * background shell pipeline must not grab it. */
	child.take_terminal = isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp();
	install_fault_forwarding();
	/* A fault signal sent by kill() while the app starts waits until its
	 * pid is known, then is forwarded; a real fault in the meantime still
	 * kills this process, as the kernel unblocks it. */
	sigemptyset(&faults);
	for (int signo = 1; signo < SIGRTMIN; signo++)
		if (proc_is_fault_signal(signo))
			sigaddset(&faults, signo);
	sigprocmask(SIG_BLOCK, &faults, NULL);
	if (proc_spawn(&child) < 0) {
		int spawn_errno = errno;

		sigprocmask(SIG_UNBLOCK, &faults, NULL);
		*result = (struct supervise_result){SUPERVISE_SPAWN_FAILED, spawn_errno, child.failed};
		return -1;
	}
	sup.child = child.pid;
	fault_forward_target = (sig_atomic_t)(params->forward_to_group ? -child.pid : child.pid);
	sigprocmask(SIG_UNBLOCK, &faults, NULL);
	log_info("started %s (pid %d)", params->argv[0], (int)child.pid);
	loop_on_signal(params->loop, on_signal, &sup);
	if (loop_run(params->loop) < 0) {
		*result = (struct supervise_result){SUPERVISE_LOOP_FAILED, errno, PROC_FAILED_NONE};
		loop_on_signal(params->loop, NULL, NULL);
		return -1;
	}
	loop_on_signal(params->loop, NULL, NULL);
	loop_cancel_timer(params->loop, sup.stop_timer);
	loop_cancel_timer(params->loop, sup.cleanup_timer);
	loop_cancel_timer(params->loop, sup.kill_wait_timer);
	if (WIFSIGNALED(sup.child_status))
		*result = (struct supervise_result){SUPERVISE_SIGNALED, WTERMSIG(sup.child_status), PROC_FAILED_NONE};
	else
		*result = (struct supervise_result){SUPERVISE_EXITED, WEXITSTATUS(sup.child_status), PROC_FAILED_NONE};
	return 0;
}
