#include "child.h"

#include "log.h"
#include "value.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* After SIGKILL, how long to wait for the group to vanish before giving up:
 * only a process stuck in uninterruptible sleep survives that long. */
#define CHILD_KILL_WAIT_MS 2000

static const char *child_name(const struct child *child)
{
	return child->name ? child->name : child->argv[0];
}

/* True when this process is in the terminal's foreground: a job started in
 * the background must not take the terminal. */
static bool owns_terminal(void)
{
	return isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp();
}

int child_start(struct child *child, struct loop *loop)
{
	struct proc_child spawn = PROC_CHILD_INIT;

	/* Everything a previous run left: a restart starts from scratch. */
	child->loop = loop;
	child->pid = -1;
	child->exited = false;
	child->wait_status = 0;
	child->grace_timer = child->kill_wait_timer = -1;
	child->leftovers_seen = false;
	child->took_terminal = false;
	child->started_ms = loop_now_ms();
	child->result = (struct child_result){.outcome = CHILD_SPAWN_FAILED};

	spawn.argv = child->argv;
	spawn.function = child->function;
	spawn.function_arg = child->function_arg;
	spawn.signals = child->signals;
	/* A part of this program stays in this process's group, and so owns
	 * the terminal when this process does: the Prisma CLI it runs takes the
	 * foreground from that group and gives it back to it, which works even
	 * where the group's leader is outside this PID namespace (getpgrp()
	 * is 0 there, and nothing could give the terminal back to it). */
	spawn.new_process_group = !child->function;
	spawn.take_terminal = spawn.new_process_group && owns_terminal();
	spawn.envp = child->envp;
	spawn.user = child->user;
	spawn.stdout_fd = child->stdout_fd;
	spawn.stderr_fd = child->stderr_fd;
	if (proc_spawn(&spawn) < 0) {
		child->result.status = errno;
		child->result.failed = spawn.failed;
		child->result.elapsed_ms = loop_now_ms() - child->started_ms;
		return -1;
	}
	child->pid = spawn.pid;
	child->took_terminal = spawn.take_terminal;
	return 0;
}

static bool group_alive(const struct child *child)
{
	return !(kill(-child->pid, 0) < 0 && errno == ESRCH);
}

static void kill_everything(const struct child *child)
{
	kill(-child->pid, SIGKILL);
	/* The child may have left its group (setsid): it goes too. */
	if (!child->exited)
		kill(child->pid, SIGKILL);
}

static void on_kill_wait_over(struct loop *loop, void *arg)
{
	struct child *child = arg;

	child->kill_wait_timer = -1;
	log_warning("processes left by %s survived SIGKILL for %d ms (uninterruptible sleep?): going on without them",
	            child_name(child), CHILD_KILL_WAIT_MS);
	loop_stop(loop);
}

/* SIGKILL has gone out: wait a little for the group to vanish, and not at
 * all if no timer is left to bound the wait. */
static void wait_after_kill(struct child *child)
{
	if (child->kill_wait_timer >= 0)
		return;
	child->kill_wait_timer = loop_add_timer(child->loop, CHILD_KILL_WAIT_MS, on_kill_wait_over, child);
	if (child->kill_wait_timer < 0)
		loop_stop(child->loop);
}

/* The grace period of a stop (before the child's exit) or of its leftovers
 * (after it) ran out: SIGKILL for everything. */
static void on_grace_over(struct loop *loop, void *arg)
{
	struct child *child = arg;
	char grace[32];

	(void)loop;
	child->grace_timer = -1;
	value_format_duration(child->stop_timeout_ms, grace, sizeof(grace));
	if (!child->exited) {
		log_warning("%s still running %s after the stop signal: sending SIGKILL to its process group",
		            child_name(child), grace);
		kill_everything(child);
		return;
	}
	log_warning("processes left by %s still running %s after SIGTERM: sending SIGKILL", child_name(child), grace);
	kill_everything(child);
	wait_after_kill(child);
}

/* After the child's exit, on every SIGCHLD: done once the group is empty;
 * the first time it is not, its leftovers are told to go. */
static void after_exit(struct child *child)
{
	if (!group_alive(child)) {
		loop_stop(child->loop);
		return;
	}
	if (child->leftovers_seen)
		return;
	child->leftovers_seen = true;
	/* What the stop's grace period was for has ended: the leftovers' own
	 * (or none) applies now. */
	loop_cancel_timer(child->loop, child->grace_timer);
	child->grace_timer = -1;
	if (child->leftovers == CHILD_LEFTOVERS_KILL) {
		log_verbose("%s left processes in its group: sending them SIGKILL", child_name(child));
		kill(-child->pid, SIGKILL);
		wait_after_kill(child);
		return;
	}
	log_info("%s exited and left processes in its group: sending them SIGTERM", child_name(child));
	kill(-child->pid, SIGTERM);
	/* A stopped process would never see the SIGTERM. */
	kill(-child->pid, SIGCONT);
	child->grace_timer = loop_add_timer(child->loop, child->stop_timeout_ms, on_grace_over, child);
	if (child->grace_timer < 0) {
		kill_everything(child);
		wait_after_kill(child);
	}
}

static void reap(struct child *child)
{
	unsigned others;

	if (proc_reap(child->pid, &child->wait_status, &others)) {
		child->exited = true;
		if (child->on_exit)
			child->on_exit(child, child->wait_status, child->on_exit_arg);
	}
	if (others)
		log_debug("reaped %u other process(es)", others);
	if (child->exited)
		after_exit(child);
}

static pid_t target(const struct child *child)
{
	return child->signal_group ? -child->pid : child->pid;
}

/* "process group 12" or "pid 12": where forwarded signals go. */
static const char *target_kind(const struct child *child)
{
	if (child->spare_launcher)
		return "the script run by the launcher in process group";
	return child->signal_group ? "process group" : "pid";
}

static void forward(const struct child *child, int signo)
{
	char name[32];

	proc_signal_name(signo, name, sizeof(name));
	log_verbose("forwarding %s to %s %d", name, target_kind(child), (int)child->pid);
	if (child->spare_launcher && proc_signal_script(child->pid, signo) > 0)
		return;
	if (kill(child->spare_launcher ? child->pid : target(child), signo) < 0 && errno != ESRCH)
		log_warning("cannot forward %s to %d: %s", name, (int)child->pid, strerror(errno));
}

void child_stop(struct child *child, int signo)
{
	bool first = child->result.stop_signal == 0;

	if (first)
		child->result.stop_signal = signo;
	if (child->exited) {
		/* Only leftovers remain: the request is theirs. */
		kill(-child->pid, signo);
		return;
	}
	if (child->forward == CHILD_FORWARD_STOP) {
		/* Here the stop is this process's decision, not a signal passed
		 * through: say so once. */
		if (first) {
			char name[32];

			log_info("%s: stopping %s (%s %d)", proc_signal_name(signo, name, sizeof(name)),
			         child_name(child), target_kind(child), (int)child->pid);
		}
		kill(target(child), signo);
		kill(target(child), SIGCONT);
	} else {
		forward(child, signo);
	}
	if (child->grace_timer < 0)
		child->grace_timer = loop_add_timer(child->loop, child->stop_timeout_ms, on_grace_over, child);
}

static void on_signal(struct loop *loop, const struct signalfd_siginfo *info, void *arg)
{
	struct child *child = arg;
	int signo = (int)info->ssi_signo;
	char name[32];

	(void)loop;
	if (signo == SIGCHLD)
		reap(child);
	else if (proc_is_stop_signal(signo)) {
		if (child->result.received_stop == 0)
			child->result.received_stop = signo;
		child_stop(child, signo);
	} else if (child->exited)
		return; /* the leftovers are being ended anyway */
	else if (child->forward == CHILD_FORWARD_ALL)
		forward(child, signo);
	else
		log_debug("ignoring %s while %s runs", proc_signal_name(signo, name, sizeof(name)), child_name(child));
}

int child_finish(struct child *child)
{
	struct loop *loop = child->loop;
	int loop_status;
	int loop_errno;

	loop_on_signal(loop, on_signal, child);
	loop_status = loop_run(loop);
	loop_errno = errno;
	loop_on_signal(loop, NULL, NULL);
	loop_cancel_timer(loop, child->grace_timer);
	loop_cancel_timer(loop, child->kill_wait_timer);
	child->grace_timer = child->kill_wait_timer = -1;
	if (loop_status < 0) {
		/* Nothing can watch it any more: it must not outlive us. */
		kill_everything(child);
		if (!child->exited)
			while (waitpid(child->pid, NULL, 0) < 0 && errno == EINTR)
				;
	}
	/* Back from the child's group; SIGTTOU is ignored here (see
	 * proc_signals_block()), so this works from the background too. */
	if (child->took_terminal)
		tcsetpgrp(STDIN_FILENO, getpgrp());
	child->took_terminal = false;
	child->result.elapsed_ms = loop_now_ms() - child->started_ms;
	child->result.failed = PROC_FAILED_NONE;
	if (loop_status < 0) {
		child->result.outcome = CHILD_LOOP_FAILED;
		child->result.status = loop_errno;
		child->result.stop_signal = 0;
		return -1;
	}
	if (WIFSIGNALED(child->wait_status)) {
		child->result.outcome = CHILD_SIGNALED;
		child->result.status = WTERMSIG(child->wait_status);
	} else {
		child->result.outcome = CHILD_EXITED;
		child->result.status = WEXITSTATUS(child->wait_status);
	}
	return 0;
}
