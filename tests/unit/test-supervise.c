/* Unit tests for supervise.c: the PID-1 loop around the app.
 *
 * supervise_run() changes process-wide state (the signal mask, fault signal
 * handlers, the child subreaper flag) and reaps every child, so each test runs
 * it in a forked child of its own, which reports back over a pipe. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testlib.h"

#include "log.h"
#include "loop.h"
#include "proc.h"
#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* How long a forked scenario may take before it is killed as hung. */
#define SCENARIO_LIMIT_MS 8000

struct fixture {
	char dir[64];
	char pid_file[128];
};

static int setup(void **state)
{
	struct fixture *fx = FIXTURE_TREE_NEW(struct fixture, "supervise");

	if (!fx)
		return -1;
	snprintf(fx->pid_file, sizeof(fx->pid_file), "%s/leftover.pid", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	return fixture_tree_free(fx, fx->dir);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

struct scenario {
	const char *const *argv;
	int64_t stop_timeout_ms;
	bool forward_to_group;
	const char *pid_file; /* where the app writes the pid of a leftover, or NULL */
};

struct outcome {
	int rc;
	struct child_result result;
	int64_t elapsed_ms;
	int pending_timers; /* timers supervise_run left in the loop */
	int is_reaper;      /* PR_GET_CHILD_SUBREAPER afterwards */
	int leftover_pid;   /* read from pid_file, 0 when none */
	int leftover_errno; /* from kill(leftover_pid, 0) afterwards: ESRCH when gone and reaped */
	int stray_children; /* children of the supervisor still unreaped afterwards */
	char log[4096];     /* what was logged on stderr */
};

static int read_pid_file(const char *path)
{
	FILE *file = fopen(path, "r");
	int pid = 0;

	if (!file)
		return 0;
	if (fscanf(file, "%d", &pid) != 1)
		pid = 0;
	fclose(file);
	return pid;
}

/* In the forked child: the whole life of prisma-entrypoint's run command. */
static void run_scenario_child(const void *arg, int report_fd, int log_fd)
{
	const struct scenario *scenario = arg;
	struct outcome outcome = {0};
	struct proc_signals signals;
	struct loop loop;
	struct supervise_params params = {
	    .argv = scenario->argv,
	    .signals = &signals,
	    .loop = &loop,
	    .stop_timeout_ms = scenario->stop_timeout_ms,
	    .forward_to_group = scenario->forward_to_group,
	};
	int devnull = open("/dev/null", O_RDONLY);
	int64_t start;

	/* No terminal to hand over: the app must not take the test's. */
	if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 || dup2(log_fd, STDERR_FILENO) < 0)
		_exit(70);
	log_setup(LOG_LEVEL_DEBUG, LOG_FORMAT_TEXT);
	if (proc_signals_block(&signals) < 0 || loop_init(&loop, &signals.blocked) < 0)
		_exit(71);
	start = loop_now_ms();
	outcome.rc = supervise_run(&params, &outcome.result);
	outcome.elapsed_ms = loop_now_ms() - start;
	for (int i = 0; i < LOOP_MAX_TIMERS; i++)
		outcome.pending_timers += loop.timers[i].deadline_ms != 0;
	loop_release(&loop);
	prctl(PR_GET_CHILD_SUBREAPER, &outcome.is_reaper);
	if (scenario->pid_file) {
		outcome.leftover_pid = read_pid_file(scenario->pid_file);
		if (outcome.leftover_pid > 0 && kill(outcome.leftover_pid, 0) < 0)
			outcome.leftover_errno = errno;
	}
	for (;;) {
		pid_t pid = waitpid(-1, NULL, WNOHANG);

		if (pid <= 0)
			break;
		outcome.stray_children++;
	}
	if (write(report_fd, &outcome, sizeof(outcome)) != (ssize_t)sizeof(outcome))
		_exit(72);
	_exit(0);
}

/* Forks a supervisor for the scenario and waits for its report; the log it
 * wrote on stderr ends up in outcome->log. */
static void run_scenario(const struct scenario *scenario, struct outcome *outcome)
{
	fork_and_report(run_scenario_child, scenario, outcome, sizeof(*outcome), outcome->log, sizeof(outcome->log),
	                SCENARIO_LIMIT_MS, "supervisor");
}

/* Shows the supervisor's log when an expectation fails. */
#define EXPECT(oc, cond)                                                                                               \
	EXPECT_SHOWING(cond, "rc %d, outcome %d, status %d, elapsed %lld ms; supervisor log:\n%s", (oc)->rc,           \
	               (int)(oc)->result.outcome, (oc)->result.status, (long long)(oc)->elapsed_ms, (oc)->log)

/* What every run that started the app must leave: no unreaped children,
 * and the supervisor registered as a subreaper. */
static void expect_clean_end(const struct outcome *o)
{
	EXPECT(o, o->stray_children == 0);
	EXPECT(o, o->is_reaper == 1);
}

/* ---- how the app ends ---- */

static void test_exit_status(void **state)
{
	static const char *const argv[] = {"/bin/sh", "-c", "exit 3", NULL};
	struct scenario scenario = {.argv = argv, .stop_timeout_ms = 5000};
	struct outcome o;

	(void)state;
	run_scenario(&scenario, &o);
	EXPECT(&o, o.rc == 0);
	EXPECT(&o, o.result.outcome == CHILD_EXITED);
	EXPECT(&o, o.result.status == 3);
	EXPECT(&o, o.elapsed_ms < 2000);
	EXPECT(&o, strstr(o.log, "exited with status 3") != NULL);
	expect_clean_end(&o);
	EXPECT(&o, o.pending_timers == 0);
}

static void test_exit_zero(void **state)
{
	static const char *const argv[] = {"true", NULL};
	struct scenario scenario = {.argv = argv, .stop_timeout_ms = 5000};
	struct outcome o;

	(void)state;
	run_scenario(&scenario, &o);
	EXPECT(&o, o.rc == 0);
	EXPECT(&o, o.result.outcome == CHILD_EXITED);
	EXPECT(&o, o.result.status == 0);
	expect_clean_end(&o);
}

static void test_killed_by_signal(void **state)
{
	static const char *const argv[] = {"sh", "-c", "kill -USR1 $$", NULL};
	struct scenario scenario = {.argv = argv, .stop_timeout_ms = 5000};
	struct outcome o;

	(void)state;
	run_scenario(&scenario, &o);
	EXPECT(&o, o.rc == 0);
	EXPECT(&o, o.result.outcome == CHILD_SIGNALED);
	EXPECT(&o, o.result.status == SIGUSR1);
	EXPECT(&o, strstr(o.log, "SIGUSR1") != NULL);
	expect_clean_end(&o);
}

static void test_missing_program(void **state)
{
	static const char *const argv[] = {"pe-test-no-such-program", NULL};
	struct scenario scenario = {.argv = argv, .stop_timeout_ms = 5000};
	struct outcome o;

	(void)state;
	run_scenario(&scenario, &o);
	EXPECT(&o, o.rc == -1);
	EXPECT(&o, o.result.outcome == CHILD_SPAWN_FAILED);
	EXPECT(&o, o.result.status == ENOENT);
	EXPECT(&o, o.result.failed == PROC_FAILED_EXEC);
	EXPECT(&o, o.stray_children == 0);
}

static void test_not_executable(void **state)
{
	struct fixture *fx = *state;
	char path[128];
	const char *argv[] = {path, NULL};
	struct scenario scenario = {.argv = argv, .stop_timeout_ms = 5000};
	struct outcome o;
	FILE *file;

	snprintf(path, sizeof(path), "%s/app", fx->dir);
	file = fopen(path, "w");
	assert_non_null(file);
	fputs("#!/bin/sh\nexit 0\n", file);
	fclose(file);
	assert_int_equal(chmod(path, 0644), 0);
	run_scenario(&scenario, &o);
	EXPECT(&o, o.rc == -1);
	EXPECT(&o, o.result.outcome == CHILD_SPAWN_FAILED);
	EXPECT(&o, o.result.status == EACCES);
	EXPECT(&o, o.result.failed == PROC_FAILED_EXEC);
	EXPECT(&o, o.stray_children == 0);
}

/* ---- what the app gets ---- */

static void test_app_leads_its_own_group(void **state)
{
	/* Fields 1, 4 and 5 of /proc/self/stat: pid, ppid, pgrp. The shell's
	 * parent is the supervisor, and it leads a group of its own. */
	static const char *const argv[] = {
	    "sh", "-c", "read pid comm st ppid pgrp rest < /proc/self/stat; [ \"$pgrp\" = \"$$\" ] || exit 1; exit 0",
	    NULL};
	struct scenario scenario = {.argv = argv, .stop_timeout_ms = 5000};
	struct outcome o;

	(void)state;
	run_scenario(&scenario, &o);
	EXPECT(&o, o.result.outcome == CHILD_EXITED);
	EXPECT(&o, o.result.status == 0);
}

static void test_app_gets_original_mask(void **state)
{
	/* The test process blocks nothing, so neither may the app. */
	static const char *const argv[] = {
	    "sh", "-c", "grep -q '^SigBlk:[[:space:]]*0*$' /proc/self/status && exit 0; exit 1", NULL};
	struct scenario scenario = {.argv = argv, .stop_timeout_ms = 5000};
	struct outcome o;
	sigset_t mask;

	(void)state;
	assert_int_equal(sigprocmask(SIG_BLOCK, NULL, &mask), 0);
	if (!sigisemptyset(&mask))
		skip();
	run_scenario(&scenario, &o);
	EXPECT(&o, o.result.outcome == CHILD_EXITED);
	EXPECT(&o, o.result.status == 0);
}

/* ---- signals ---- */

static void test_signal_forwarded_to_app(void **state)
{
	/* The app asks its supervisor ($PPID) for a SIGUSR2, which must come
	 * back to it. */
	static const char *const argv[] = {
	    "sh", "-c",
	    "trap 'exit 7' USR2; kill -USR2 $PPID; i=0; while [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done", NULL};
	struct scenario scenario = {.argv = argv, .stop_timeout_ms = 5000};
	struct outcome o;

	(void)state;
	run_scenario(&scenario, &o);
	EXPECT(&o, o.result.outcome == CHILD_EXITED);
	EXPECT(&o, o.result.status == 7);
	EXPECT(&o, o.elapsed_ms < 3000);
	expect_clean_end(&o);
}

static void test_fault_signal_from_another_process_forwarded(void **state)
{
	/* SIGSEGV stays unblocked in the supervisor; sent by kill(), it is
	 * still forwarded rather than killing the supervisor, even at once,
	 * before supervise_run() has learnt the app's pid: repeated, because
	 * that window is short. */
	static const char *const argv[] = {"sh", "-c",
	                                   "trap 'exit 9' SEGV; kill -SEGV $PPID; i=0; while [ $i -lt 100 "
	                                   "]; do sleep 0.05; i=$((i+1)); done",
	                                   NULL};
	struct scenario scenario = {.argv = argv, .stop_timeout_ms = 5000};
	struct outcome o;

	(void)state;
	for (int attempt = 0; attempt < 10; attempt++) {
		run_scenario(&scenario, &o);
		EXPECT(&o, o.result.outcome == CHILD_EXITED);
		EXPECT(&o, o.result.status == 9);
		expect_clean_end(&o);
	}
}

static void test_stop_signal_then_app_exits(void **state)
{
	static const char *const argv[] = {
	    "sh", "-c",
	    "trap 'exit 0' TERM; kill -TERM $PPID; i=0; while [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done", NULL};
	struct scenario scenario = {.argv = argv, .stop_timeout_ms = 5000};
	struct outcome o;

	(void)state;
	run_scenario(&scenario, &o);
	EXPECT(&o, o.result.outcome == CHILD_EXITED);
	EXPECT(&o, o.result.status == 0);
	EXPECT(&o, o.elapsed_ms < 3000);
	/* The grace timer is gone with the app. */
	EXPECT(&o, o.pending_timers == 0);
	expect_clean_end(&o);
}

static void test_stop_timeout_kills(void **state)
{
	/* The app ignores SIGTERM: after stop-timeout its group gets SIGKILL. */
	static const char *const argv[] = {
	    "sh", "-c", "trap '' TERM; kill -TERM $PPID; i=0; while [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done",
	    NULL};
	struct scenario scenario = {.argv = argv, .stop_timeout_ms = 200};
	struct outcome o;

	(void)state;
	run_scenario(&scenario, &o);
	EXPECT(&o, o.rc == 0);
	EXPECT(&o, o.result.outcome == CHILD_SIGNALED);
	EXPECT(&o, o.result.status == SIGKILL);
	EXPECT(&o, o.elapsed_ms >= 200);
	EXPECT(&o, o.elapsed_ms < 3000);
	EXPECT(&o, strstr(o.log, "SIGKILL") != NULL);
	expect_clean_end(&o);
}

static void test_forward_to_group(void **state)
{
	/* With signal-target = group, the app's background sleep gets the
	 * SIGUSR2 too; the app exits with the sleep's status, 128 + SIGUSR2. */
	static const char *const argv[] = {
	    "sh", "-c", "sleep 30 & p=$!; trap 'wait $p; exit $?' USR2; kill -USR2 $PPID; wait $p; exit 1", NULL};
	struct scenario scenario = {.argv = argv, .stop_timeout_ms = 5000, .forward_to_group = true};
	struct outcome o;

	(void)state;
	run_scenario(&scenario, &o);
	EXPECT(&o, o.result.outcome == CHILD_EXITED);
	EXPECT(&o, o.result.status == 128 + SIGUSR2);
	EXPECT(&o, o.elapsed_ms < 3000);
	expect_clean_end(&o);
}

/* ---- what the app leaves behind ---- */

static void test_leftover_gets_sigterm(void **state)
{
	struct fixture *fx = *state;
	char script[256];
	const char *argv[] = {"sh", "-c", script, NULL};
	struct scenario scenario = {.argv = argv, .stop_timeout_ms = 5000, .pid_file = fx->pid_file};
	struct outcome o;

	/* A long stop-timeout: returning soon means SIGTERM did the job. */
	snprintf(script, sizeof(script), "sleep 30 & echo $! > '%s'; exit 4", fx->pid_file);
	run_scenario(&scenario, &o);
	EXPECT(&o, o.rc == 0);
	EXPECT(&o, o.result.outcome == CHILD_EXITED);
	EXPECT(&o, o.result.status == 4);
	EXPECT(&o, o.elapsed_ms < 3000);
	EXPECT(&o, o.leftover_pid > 0);
	EXPECT(&o, o.leftover_errno == ESRCH); /* gone, and reaped */
	EXPECT(&o, strstr(o.log, "SIGTERM") != NULL);
	EXPECT(&o, o.pending_timers == 0);
	expect_clean_end(&o);
}

static void test_orphan_in_group_is_reaped(void **state)
{
	struct fixture *fx = *state;
	char script[256];
	const char *argv[] = {"sh", "-c", script, NULL};
	struct scenario scenario = {.argv = argv, .stop_timeout_ms = 5000, .pid_file = fx->pid_file};
	struct outcome o;

	/* The subshell exits at once: its sleep is re-parented to the
	 * supervisor (a subreaper), still in the app's group. */
	snprintf(script, sizeof(script), "(sleep 30 & echo $! > '%s'); exit 0", fx->pid_file);
	run_scenario(&scenario, &o);
	EXPECT(&o, o.result.outcome == CHILD_EXITED);
	EXPECT(&o, o.result.status == 0);
	EXPECT(&o, o.elapsed_ms < 3000);
	EXPECT(&o, o.leftover_pid > 0);
	EXPECT(&o, o.leftover_errno == ESRCH);
	expect_clean_end(&o);
}

static void test_leftover_ignoring_sigterm_gets_sigkill(void **state)
{
	struct fixture *fx = *state;
	char script[256];
	const char *argv[] = {"sh", "-c", script, NULL};
	struct scenario scenario = {.argv = argv, .stop_timeout_ms = 200, .pid_file = fx->pid_file};
	struct outcome o;

	/* The ignored SIGTERM is inherited by the exec'd sleep. */
	snprintf(script, sizeof(script), "(trap '' TERM; exec sleep 30) & echo $! > '%s'; sleep 0.1; exit 0",
	         fx->pid_file);
	run_scenario(&scenario, &o);
	EXPECT(&o, o.rc == 0);
	EXPECT(&o, o.result.outcome == CHILD_EXITED);
	EXPECT(&o, o.result.status == 0);
	EXPECT(&o, o.elapsed_ms >= 200);
	EXPECT(&o, o.elapsed_ms < 3000);
	EXPECT(&o, o.leftover_pid > 0);
	EXPECT(&o, o.leftover_errno == ESRCH);
	EXPECT(&o, strstr(o.log, "SIGKILL") != NULL);
	/* The wait after SIGKILL leaves no timer behind in the caller's loop. */
	EXPECT(&o, o.pending_timers == 0);
	expect_clean_end(&o);
}

/* ---- supervise_become_reaper ---- */

static void test_become_reaper(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	fflush(stdout);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int is_reaper = 0;

		supervise_become_reaper();
		supervise_become_reaper(); /* twice: harmless */
		if (prctl(PR_GET_CHILD_SUBREAPER, &is_reaper) != 0)
			_exit(2);
		_exit(is_reaper == 1 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TEST(test_exit_status),
	    TEST(test_exit_zero),
	    TEST(test_killed_by_signal),
	    TEST(test_missing_program),
	    TEST(test_not_executable),
	    TEST(test_app_leads_its_own_group),
	    TEST(test_app_gets_original_mask),
	    TEST(test_signal_forwarded_to_app),
	    TEST(test_fault_signal_from_another_process_forwarded),
	    TEST(test_stop_signal_then_app_exits),
	    TEST(test_stop_timeout_kills),
	    TEST(test_forward_to_group),
	    TEST(test_leftover_gets_sigterm),
	    TEST(test_orphan_in_group_is_reaped),
	    TEST(test_leftover_ignoring_sigterm_gets_sigkill),
	    TEST(test_become_reaper),
	};

	return cmocka_run_group_tests_name("supervise", tests, NULL, NULL);
}
