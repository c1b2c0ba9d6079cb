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

int supervise_run(const struct supervise_params *params, struct child_result *result)
{
	struct child app = CHILD_INIT;
	sigset_t faults;
	int rc;

	supervise_become_reaper();
	app.argv = params->argv;
	app.signals = params->signals;
	app.forward = CHILD_FORWARD_ALL;
	app.signal_group = params->forward_to_group;
	app.leftovers = CHILD_LEFTOVERS_TERM;
	app.stop_timeout_ms = params->stop_timeout_ms;
	app.on_exit = on_app_exit;
	install_fault_forwarding();
	/* A fault signal sent by kill() while the app starts waits until its
	 * pid is known, then is forwarded; a real fault in the meantime still
	 * kills this process, as the kernel unblocks it. */
	sigemptyset(&faults);
	for (int signo = 1; signo < SIGRTMIN; signo++)
		if (proc_is_fault_signal(signo))
			sigaddset(&faults, signo);
	sigprocmask(SIG_BLOCK, &faults, NULL);
	if (child_start(&app, params->loop) < 0) {
		sigprocmask(SIG_UNBLOCK, &faults, NULL);
		*result = app.result;
		return -1;
	}
	fault_forward_target = (sig_atomic_t)(params->forward_to_group ? -app.pid : app.pid);
	sigprocmask(SIG_UNBLOCK, &faults, NULL);
	log_info("started %s (pid %d)", params->argv[0], (int)app.pid);
	rc = child_finish(&app);
	*result = app.result;
	return rc;
}
