#include "supervise.h"

#include "log.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

_Static_assert(sizeof(pid_t) <= sizeof(sig_atomic_t), "a pid must fit in sig_atomic_t");

/* Where the fault-signal handler forwards signals that another process sent
 * with kill(); 0 when there is no app. The only state a handler touches. */
static volatile sig_atomic_t fault_forward_target;

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

/* Called by the runner when the app has been reaped: from now on its pid may
 * be another process's. */
static void on_app_exit(const struct child *app, int wait_status, void *arg)
{
	const char *name = app->argv[0];
	char signal_name[32];

	(void)arg;
	fault_forward_target = 0;
	if (WIFEXITED(wait_status))
		log_info("%s exited with status %d", name, WEXITSTATUS(wait_status));
	else if (WIFSIGNALED(wait_status))
		log_info("%s was killed by %s", name,
		         proc_signal_name(WTERMSIG(wait_status), signal_name, sizeof(signal_name)));
}

/* Starts the app on params->loop and aims fault-signal forwarding at it. */
static int start_app(struct child *app, const struct supervise_params *params)
{
	sigset_t faults;

	/* A fault signal sent by kill() while the app starts waits until its
	 * pid is known, then is forwarded; a real fault in the meantime still
	 * kills this process, as the kernel unblocks it. */
	sigemptyset(&faults);
	for (int signo = 1; signo < SIGRTMIN; signo++)
		if (proc_is_fault_signal(signo))
			sigaddset(&faults, signo);
	sigprocmask(SIG_BLOCK, &faults, NULL);
	if (child_start(app, params->loop) < 0) {
		sigprocmask(SIG_UNBLOCK, &faults, NULL);
		return -1;
	}
	fault_forward_target = (sig_atomic_t)(params->forward_to_group ? -app->pid : app->pid);
	sigprocmask(SIG_UNBLOCK, &faults, NULL);
	log_info("started %s (pid %d)", params->argv[0], (int)app->pid);
	return 0;
}

void supervise_restart(struct supervise_restarts *restarts, const char *why)
{
	const struct child *app = restarts->app;

	if (!app)
		return; /* not supervising (yet, or any more) */
	switch (restarts->state) {
	case SUPERVISE_RUNNING:
		log_info("restarting %s (%s): stopping it (pid %d)", app->argv[0], why, (int)app->pid);
		restarts->state = SUPERVISE_STOPPING;
		child_stop(restarts->app, SIGTERM);
		break;
	case SUPERVISE_STOPPING:
		break; /* prepare has not begun: it sees what this request is for */
	case SUPERVISE_PREPARING:
		if (!restarts->again)
			log_info("%s: another restart follows this one", why);
		restarts->again = true;
		break;
	case SUPERVISE_DOWN:
		log_info("restarting %s (%s)", app->argv[0], why);
		restarts->again = true;
		loop_stop(restarts->loop);
		break;
	}
}

/* While the app is down: orphans are reaped, a stop signal ends the
 * supervision, other signals have nobody to go to. */
static void on_signal_while_down(struct loop *loop, const struct signalfd_siginfo *info, void *arg)
{
	int *stop = arg;
	int signo = (int)info->ssi_signo;
	unsigned others;
	int status;
	char name[32];

	if (signo == SIGCHLD) {
		proc_reap(-1, &status, &others);
	} else if (proc_is_stop_signal(signo)) {
		*stop = signo;
		loop_stop(loop);
	} else {
		log_debug("ignoring %s: the app is not running", proc_signal_name(signo, name, sizeof(name)));
	}
}

/* Runs the loop until a restart is asked for (0) or a stop signal comes
 * (its number), or the loop fails (-1). */
static int wait_while_down(struct supervise_restarts *restarts)
{
	int stop = 0;
	int rc;

	loop_on_signal(restarts->loop, on_signal_while_down, &stop);
	rc = loop_run(restarts->loop);
	loop_on_signal(restarts->loop, NULL, NULL);
	return rc < 0 ? -1 : stop;
}

/* The app has stopped for a restart: prepare (again while asked to), then
 * start it. Returns 0 with the app running, or -1 when the supervision ends
 * (result filled). */
static int restart_app(const struct supervise_params *params, struct child *app, struct child_result *result)
{
	struct supervise_restarts *restarts = params->restarts;
	char name[32];

	for (;;) {
		int status;

		restarts->state = SUPERVISE_PREPARING;
		restarts->again = false;
		status = restarts->prepare(restarts->arg);
		if (status == 0 && restarts->again)
			continue;
		if (status == 0) {
			if (start_app(app, params) < 0) {
				restarts->restarted(-1, -1, restarts->arg);
				*result = app->result;
				return -1;
			}
			restarts->state = SUPERVISE_RUNNING;
			restarts->restarted(0, app->pid, restarts->arg);
			return 0;
		}
		restarts->restarted(status, -1, restarts->arg);
		if (status > 128 && proc_is_stop_signal(status - 128)) {
			*result = (struct child_result){.outcome = CHILD_SIGNALED, .status = status - 128};
			return -1;
		}
		restarts->state = SUPERVISE_DOWN;
		log_info("%s stays down until the next restart", params->argv[0]);
		if (restarts->again)
			continue;
		status = wait_while_down(restarts);
		if (status > 0) {
			log_info("stopped by %s while %s was down", proc_signal_name(status, name, sizeof(name)),
			         params->argv[0]);
			*result = (struct child_result){.outcome = CHILD_SIGNALED, .status = status};
			return -1;
		}
		if (status < 0) {
			*result = (struct child_result){.outcome = CHILD_LOOP_FAILED, .status = errno};
			return -1;
		}
	}
}

int supervise_run(const struct supervise_params *params, struct child_result *result)
{
	struct supervise_restarts *restarts = params->restarts;
	struct child app = CHILD_INIT;
	int rc;

	supervise_become_reaper();
	app.argv = params->argv;
	app.signals = params->signals;
	app.user = params->user;
	app.forward = CHILD_FORWARD_ALL;
	app.signal_group = params->forward_to_group;
	app.spare_launcher = params->forward_to_group && params->spare_launcher;
	app.leftovers = CHILD_LEFTOVERS_TERM;
	app.stop_timeout_ms = params->stop_timeout_ms;
	app.on_exit = on_app_exit;
	install_fault_forwarding();
	if (restarts) {
		restarts->app = &app;
		restarts->loop = params->loop;
		restarts->state = SUPERVISE_RUNNING;
		restarts->again = false;
	}
	if (start_app(&app, params) < 0) {
		*result = app.result;
		return -1;
	}
	for (;;) {
		rc = child_finish(&app);
		*result = app.result;
		/* Ended by itself, or by a stop this process received: the end. */
		if (rc < 0 || !restarts || restarts->state != SUPERVISE_STOPPING || app.result.received_stop)
			break;
		if (restart_app(params, &app, result) < 0) {
			rc = result->outcome == CHILD_SIGNALED ? 0 : -1;
			break;
		}
	}
	if (restarts)
		restarts->app = NULL;
	return rc;
}
