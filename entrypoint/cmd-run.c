/* run: the phases before the app, then the app itself, supervised or exec'd. */
#include "cmdline.h"
#include "command.h"
#include "exit-codes.h"
#include "launcher.h"
#include "log.h"
#include "phases.h"
#include "loop.h"
#include "proc.h"
#include "resident.h"
#include "run-restarts.h"
#include "supervise.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One line naming CMD and what to do about it; returns the exit code. */
static int report_exec_failure(const char *cmd, int exec_errno)
{
	char path[PATH_MAX];

	/* ENOENT from execve for a file that exists means the kernel could
	 * not find what the file asks to be run by. */
	if (exec_errno == ENOENT && proc_find_program(cmd, path, sizeof(path)) == 0 && access(path, F_OK) == 0) {
		log_error("cannot run '%s': %s exists, but its #! interpreter or dynamic loader was not found", cmd,
		          path);
		return EXIT_NOT_FOUND;
	}
	if (exec_errno == ENOENT && strchr(cmd, '/')) {
		log_error("cannot run '%s': file not found", cmd);
		return EXIT_NOT_FOUND;
	}
	if (exec_errno == ENOENT) {
		const char *search = getenv("PATH");

		log_error("cannot run '%s': command not found in PATH (%s)", cmd, search ? search : "unset");
		return EXIT_NOT_FOUND;
	}
	if (exec_errno == EACCES)
		log_error("cannot run '%s': permission denied (is it an executable file? chmod +x)", cmd);
	else if (exec_errno == ENOEXEC)
		log_error("cannot run '%s': exec format error (a script without a #! line, or a binary for another "
		          "machine)",
		          cmd);
	else
		log_error("cannot run '%s': %s", cmd, strerror(exec_errno));
	return EXIT_CANNOT_EXECUTE;
}

/* The switch worked when tried before the phases, and failed now. */
static int report_user_failure(const struct invocation *invocation, const char *cmd, int switch_errno)
{
	log_error("cannot run '%s' as user '%s': the switch failed: %s", cmd,
	          config_text(&invocation->config, SETTING_USER), strerror(switch_errno));
	return EXIT_CONFIG;
}

/* The app's command as the exec will find it, looked up before any phase
 * runs: a command that cannot run fails now, not after a wait, a generate
 * and a deploy done for nothing. The exec keeps its own checks (the file may
 * change meanwhile). Returns 0, or the exit code after one line. */
static int check_app_command(const char *cmd)
{
	char path[PATH_MAX];
	struct stat st;

	if (proc_find_program(cmd, path, sizeof(path)) < 0 || stat(path, &st) < 0)
		return report_exec_failure(cmd, errno);
	if (S_ISDIR(st.st_mode)) {
		log_error("cannot run '%s': %s is a directory, not a program", cmd, path);
		return EXIT_CANNOT_EXECUTE;
	}
	if (access(path, X_OK) < 0)
		return report_exec_failure(cmd, errno);
	return 0;
}

/* `ENTRYPOINT ["prisma-entrypoint", "--"]` makes every word of CMD the
 * app's: a `-v` or `wait` meant for us runs as a program (it may be one),
 * and one line says how it would reach us. */
static void warn_if_meant_for_us(const char *cmd)
{
	char how[256];

	if (cmdline_looks_like_ours(cmd, how, sizeof(how)))
		log_warning("the app's command '%s' is also a prisma-entrypoint %s: it runs as the app; %s", cmd,
		            cmd[0] == '-' ? "option" : "command", how);
}

static int supervise_app(const struct invocation *invocation, const char *const *argv, struct loop *loop)
{
	int signal_target = config_choice(&invocation->config, SETTING_SIGNAL_TARGET);
	bool launcher = signal_target == CHOICE_SIGNAL_AUTO && launcher_is_package_manager(argv);
	struct supervise_params params = {
	    .argv = argv,
	    .signals = invocation->signals,
	    .user = phase_child_user(invocation),
	    .loop = loop,
	    .stop_timeout_ms = config_duration_ms(&invocation->config, SETTING_STOP_TIMEOUT),
	    .forward_to_group = signal_target == CHOICE_SIGNAL_GROUP || launcher,
	    .spare_launcher = launcher,
	};
	struct run_restarts restarts;
	struct child_result result;

	/* A launcher passes a stop on and then dies of it itself (npm: 143
	 * for a script that exited 0): the script gets the signals instead. */
	if (launcher)
		log_verbose("%s is a package-manager launcher: signals go to the script it runs (signal-target = "
		            "auto)",
		            argv[0]);
	run_restarts_start(&restarts, invocation, argv[0], loop);
	params.restarts = &restarts.restarts;
	supervise_run(&params, &result);
	run_restarts_stop(&restarts);
	switch (result.outcome) {
	case CHILD_EXITED:
		return result.status;
	case CHILD_SIGNALED:
		return EXIT_SIGNAL_BASE + result.status;
	case CHILD_SPAWN_FAILED:
		if (result.failed == PROC_FAILED_EXEC)
			return report_exec_failure(argv[0], result.status);
		if (result.failed == PROC_FAILED_USER)
			return report_user_failure(invocation, argv[0], result.status);
		log_error("cannot start '%s': %s", argv[0], strerror(result.status));
		return EXIT_OS_ERROR;
	case CHILD_LOOP_FAILED:
		break;
	}
	log_error("supervising '%s' failed: %s", argv[0], strerror(result.status));
	return EXIT_OS_ERROR;
}

/* How long after the app's start PID 1 lets go of the pages the start
 * mapped of this program (resident.h): later rather than before the app, whose
 * start then does not wait for it (0.2-0.5 ms here), and an app that ends at
 * once is not charged for it at all. */
#define RESIDENT_DROP_DELAY_MS 200

STAYS_RESIDENT static void on_drop_resident(struct loop *loop, void *arg)
{
	(void)loop;
	(void)arg;
	resident_drop_file_pages();
}

/* The phases, then the app. */
static int run_phases(const struct invocation *invocation, const char *const *argv, struct loop *loop,
                      bool became_reaper)
{
	char next[PATH_MAX + 16];
	int drop_timer;
	bool exec;
	int status;

	warn_if_meant_for_us(argv[0]);
	status = check_app_command(argv[0]);
	if (status != 0)
		return status;
	snprintf(next, sizeof(next), "%s started", argv[0]);
	exec = config_bool(&invocation->config, SETTING_EXEC);
	/* Supervising, the phases run in a child: nothing they load stays
	 * mapped in PID 1 for the app's whole life. An exec replaces it all,
	 * and phases with nothing to do load nothing. */
	if (exec || !phase_sequence_has_work(invocation))
		status = phase_sequence(invocation, loop, true, next);
	else
		status = phase_sequence_in_child(invocation, loop, true, next);
	if (status != 0)
		return status;
	if (exec) {
		log_verbose("exec %s", argv[0]);
		if (became_reaper)
			supervise_leave_reaper();
		enum proc_failure failed;

		proc_exec(argv, invocation->signals, phase_child_user(invocation), &failed);
		if (failed == PROC_FAILED_USER)
			return report_user_failure(invocation, argv[0], errno);
		return report_exec_failure(argv[0], errno);
	}
	drop_timer = loop_add_timer(loop, RESIDENT_DROP_DELAY_MS, on_drop_resident, NULL);
	status = supervise_app(invocation, argv, loop);
	loop_cancel_timer(loop, drop_timer);
	return status;
}

static int run_app(const struct invocation *invocation, const char *const *argv)
{
	struct loop loop;
	bool became_reaper;
	int status;

	if (loop_init(&loop, &invocation->signals->blocked) < 0) {
		log_error("cannot create the signal descriptor: %s", strerror(errno));
		return EXIT_OS_ERROR;
	}
	/* From the first phase on: what the Prisma CLI leaves behind is
	 * re-parented here and reaped, as the app's orphans will be. */
	became_reaper = supervise_become_reaper();
	status = run_phases(invocation, argv, &loop, became_reaper);
	loop_release(&loop);
	return status;
}

static int run_exec(struct invocation *invocation)
{
	struct user user;
	int status = phase_user_resolve(invocation, &user);

	if (status == 0)
		status = run_app(invocation, (const char *const *)invocation->args);
	invocation->user = NULL;
	user_release(&user);
	return status;
}

const struct command command_run = {
    .name = "run",
    .usage = "[OPTIONS] [run] [--] CMD [ARGS...]",
    .summary = "run CMD as the container's init (the default command)",
    .uses_settings = true,
    .args = {1, COMMAND_ARGS_ANY, "no command to run", NULL},
    .exec = run_exec,
};
