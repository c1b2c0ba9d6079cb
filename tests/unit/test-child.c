/* Unit tests for child.c: the runner both the app and the Prisma CLI run on.
 *
 * Real processes, real signals, real process groups. The runner reaps every
 * child and owns the loop's signals while it runs, so each scenario runs in a
 * forked process of its own (signals blocked as in main, a loop of its own),
 * which reports back over a pipe. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testlib.h"

#include "child.h"
#include "log.h"
#include "loop.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
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
	char ready[128];    /* the child creates it once it is ready for a signal */
	char pid_file[128]; /* the child writes a leftover's pid there */
	char record[128];   /* what the child's traps write */
};

static int setup(void **state)
{
	struct fixture *fx = FIXTURE_TREE_NEW(struct fixture, "child");

	if (!fx)
		return -1;
	snprintf(fx->ready, sizeof(fx->ready), "%s/ready", fx->dir);
	snprintf(fx->pid_file, sizeof(fx->pid_file), "%s/leftover.pid", fx->dir);
	snprintf(fx->record, sizeof(fx->record), "%s/record", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	return fixture_tree_free(fx, fx->dir);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

/* What to do once the ready file exists. */
enum action { ACT_NONE, ACT_SIGNAL_SELF, ACT_CHILD_STOP };

struct scenario {
	const char *const *argv;
	enum child_forward forward;
	bool signal_group;
	enum child_leftovers leftovers;
	int64_t stop_timeout_ms;
	const char *ready;    /* the file to wait for before acting */
	enum action action;   /* then: a signal to this process, or child_stop() */
	int signo;            /* which signal */
	int second_signo;     /* a second signal to this process 50 ms later, or 0 */
	const char *pid_file; /* where the child writes a leftover's pid, or NULL */
	int runs;             /* starts of the same struct child (a restart); 0: 1 */
};

struct outcome {
	int start_rc, start_errno;
	int rc;
	struct child_result result; /* of the last run */
	struct child_result first;  /* of the first run, when there were two */
	int64_t elapsed_ms;         /* of the last run */
	int exit_calls;             /* on_exit calls in the last run */
	int exit_status;            /* the wait status on_exit saw */
	long exit_log_size;         /* how much had been logged when on_exit came */
	int pending_timers;         /* timers the runner left in the loop */
	bool handler_left;          /* the loop's signal handler was left set */
	int leftover_pid;           /* read from pid_file, 0 when none */
	int leftover_errno;         /* kill(leftover_pid, 0) afterwards: ESRCH when gone and reaped */
	int stray_children;         /* children still unreaped afterwards */
	char log[4096];             /* what was logged on stderr */
};

struct trigger {
	const struct scenario *scenario;
	struct child *child;
	int timer;
	bool acted;
};

static void on_trigger(struct loop *loop, void *arg)
{
	struct trigger *trigger = arg;
	const struct scenario *scenario = trigger->scenario;

	trigger->timer = -1;
	if (trigger->acted) {
		kill(getpid(), scenario->second_signo);
		return;
	}
	if (access(scenario->ready, F_OK) < 0) {
		trigger->timer = loop_add_timer(loop, 5, on_trigger, trigger);
		return;
	}
	trigger->acted = true;
	if (scenario->action == ACT_CHILD_STOP)
		child_stop(trigger->child, scenario->signo);
	else
		kill(getpid(), scenario->signo);
	if (scenario->second_signo)
		trigger->timer = loop_add_timer(loop, 50, on_trigger, trigger);
}

static void on_exit_seen(const struct child *child, int wait_status, void *arg)
{
	struct outcome *outcome = arg;
	(void)child;
	outcome->exit_calls++;
	outcome->exit_status = wait_status;
	/* stderr is the log file. */
	fflush(stderr);
	outcome->exit_log_size = (long)lseek(STDERR_FILENO, 0, SEEK_END);
}

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

/* In the forked process: signals as main sets them, then the runs. */
static void run_scenario_child(const void *arg, int report_fd, int log_fd)
{
	const struct scenario *scenario = arg;
	struct outcome outcome = {0};
	struct proc_signals signals;
	struct loop loop;
	struct child child = CHILD_INIT;
	int devnull = open("/dev/null", O_RDONLY);
	int runs = scenario->runs ? scenario->runs : 1;

	/* No terminal to hand over: the child must not take the test's. */
	if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 || dup2(log_fd, STDERR_FILENO) < 0)
		_exit(70);
	log_setup(LOG_LEVEL_DEBUG, LOG_FORMAT_TEXT);
	if (proc_signals_block(&signals) < 0 || loop_init(&loop, &signals.blocked) < 0)
		_exit(71);
	/* As supervise does: leftovers come back here to be reaped. */
	prctl(PR_SET_CHILD_SUBREAPER, 1UL, 0UL, 0UL, 0UL);
	child.argv = scenario->argv;
	child.signals = &signals;
	child.forward = scenario->forward;
	child.signal_group = scenario->signal_group;
	child.leftovers = scenario->leftovers;
	child.stop_timeout_ms = scenario->stop_timeout_ms;
	child.on_exit = on_exit_seen;
	child.on_exit_arg = &outcome;
	for (int run = 0; run < runs; run++) {
		struct trigger trigger = {.scenario = scenario, .child = &child, .timer = -1};
		int64_t start = loop_now_ms();

		if (scenario->ready) {
			unlink(scenario->ready);
			trigger.timer = loop_add_timer(&loop, 5, on_trigger, &trigger);
		}
		outcome.exit_calls = 0;
		outcome.start_rc = child_start(&child, &loop);
		if (outcome.start_rc < 0) {
			outcome.start_errno = errno;
			outcome.result = child.result;
			loop_cancel_timer(&loop, trigger.timer);
			break;
		}
		outcome.rc = child_finish(&child);
		outcome.elapsed_ms = loop_now_ms() - start;
		loop_cancel_timer(&loop, trigger.timer);
		if (run == 0)
			outcome.first = child.result;
		outcome.result = child.result;
	}
	for (int i = 0; i < LOOP_MAX_TIMERS; i++)
		outcome.pending_timers += loop.timers[i].deadline_ms != 0;
	outcome.handler_left = loop.on_signal != NULL;
	loop_release(&loop);
	if (scenario->pid_file) {
		outcome.leftover_pid = read_pid_file(scenario->pid_file);
		if (outcome.leftover_pid > 0 && kill(outcome.leftover_pid, 0) < 0)
			outcome.leftover_errno = errno;
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		outcome.stray_children++;
	if (write(report_fd, &outcome, sizeof(outcome)) != (ssize_t)sizeof(outcome))
		_exit(72);
	_exit(0);
}

/* Forks the scenario and waits for its report; its log ends up in
 * outcome->log. */
static void run_scenario(const struct scenario *scenario, struct outcome *outcome)
{
	fork_and_report(run_scenario_child, scenario, outcome, sizeof(*outcome), outcome->log, sizeof(outcome->log),
	                SCENARIO_LIMIT_MS, "scenario");
}

#define EXPECT(oc, cond)                                                                                               \
	EXPECT_SHOWING(cond,                                                                                           \
	               "start %d (errno %d), rc %d, outcome %d, status %d, stop %d, elapsed %lld ms; "                 \
	               "log:\n%s",                                                                                     \
	               (oc)->start_rc, (oc)->start_errno, (oc)->rc, (int)(oc)->result.outcome, (oc)->result.status,    \
	               (oc)->result.stop_signal, (long long)(oc)->elapsed_ms, (oc)->log)

/* What every run must leave: nothing unreaped, the loop as it was. */
static void expect_clean_end(const struct outcome *o)
{
	EXPECT(o, o->stray_children == 0);
	EXPECT(o, o->pending_timers == 0);
	EXPECT(o, !o->handler_left);
}

static void read_record(const struct fixture *fx, char *out, size_t size)
{
	FILE *file = fopen(fx->record, "r");
	size_t n = 0;

	if (file) {
		n = fread(out, 1, size - 1, file);
		fclose(file);
	}
	out[n] = '\0';
}

/* ---- how the child ended ---- */

static void test_exit_status_passes_through(void **state)
{
	static const int codes[] = {0, 3, 126, 127, 143, 255};

	(void)state;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		char script[32];
		const char *argv[] = {"sh", "-c", script, NULL};
		struct scenario scenario = {.argv = argv, .stop_timeout_ms = 5000};
		struct outcome o;

		snprintf(script, sizeof(script), "exit %d", codes[i]);
		run_scenario(&scenario, &o);
		EXPECT(&o, o.start_rc == 0 && o.rc == 0);
		EXPECT(&o, o.result.outcome == CHILD_EXITED);
		EXPECT(&o, o.result.status == codes[i]);
		EXPECT(&o, o.result.stop_signal == 0);
		EXPECT(&o, o.result.failed == PROC_FAILED_NONE);
		EXPECT(&o, o.exit_calls == 1);
		EXPECT(&o, WIFEXITED(o.exit_status) && WEXITSTATUS(o.exit_status) == codes[i]);
		expect_clean_end(&o);
	}
}

/* The signal itself, from which the caller makes 128+N. */
static void test_killed_by_signal_gives_the_signal(void **state)
{
	static const char *const argv[] = {"sh", "-c", "kill -USR1 $$", NULL};
	struct scenario scenario = {.argv = argv, .stop_timeout_ms = 5000};
	struct outcome o;

	(void)state;
	run_scenario(&scenario, &o);
	EXPECT(&o, o.rc == 0);
	EXPECT(&o, o.result.outcome == CHILD_SIGNALED);
	EXPECT(&o, o.result.status == SIGUSR1);
	EXPECT(&o, o.result.stop_signal == 0);
	EXPECT(&o, WIFSIGNALED(o.exit_status) && WTERMSIG(o.exit_status) == SIGUSR1);
	expect_clean_end(&o);
}

/* ---- spawn failures ---- */

static void test_missing_program_fails_with_enoent(void **state)
{
	static const char *const argv[] = {"/nonexistent/program", NULL};
	struct scenario scenario = {.argv = argv, .stop_timeout_ms = 5000};
	struct outcome o;

	(void)state;
	run_scenario(&scenario, &o);
	EXPECT(&o, o.start_rc == -1);
	EXPECT(&o, o.start_errno == ENOENT);
	EXPECT(&o, o.result.outcome == CHILD_SPAWN_FAILED);
	EXPECT(&o, o.result.status == ENOENT);
	EXPECT(&o, o.result.failed == PROC_FAILED_EXEC);
	EXPECT(&o, o.exit_calls == 0);
	expect_clean_end(&o);
}

static void test_not_executable_fails_with_eacces(void **state)
{
	struct fixture *fx = *state;
	char path[PATH_MAX];
	const char *argv[] = {path, NULL};
	struct scenario scenario = {.argv = argv, .stop_timeout_ms = 5000};
	struct outcome o;
	FILE *file;

	snprintf(path, sizeof(path), "%s/not-executable", fx->dir);
	file = fopen(path, "w");
	assert_non_null(file);
	fputs("#!/bin/sh\nexit 0\n", file);
	fclose(file);
	assert_int_equal(chmod(path, 0644), 0);
	run_scenario(&scenario, &o);
	EXPECT(&o, o.start_rc == -1);
	EXPECT(&o, o.start_errno == EACCES);
	EXPECT(&o, o.result.outcome == CHILD_SPAWN_FAILED);
	EXPECT(&o, o.result.status == EACCES);
	EXPECT(&o, o.result.failed == PROC_FAILED_EXEC);
	expect_clean_end(&o);
}

/* ---- stopping ---- */

/* A stop signal this process receives reaches the child; the child's own
 * exit status still comes back, with the stop noted beside it. */
static void test_stop_signal_then_child_exits(void **state)
{
	struct fixture *fx = *state;
	char script[512];
	const char *argv[] = {"sh", "-c", script, NULL};
	struct scenario scenario = {
	    .argv = argv, .stop_timeout_ms = 5000, .ready = fx->ready, .action = ACT_SIGNAL_SELF, .signo = SIGTERM};
	struct outcome o;
	char record[64];

	snprintf(script, sizeof(script), "trap 'echo TERM > %s; exit 0' TERM; touch %s; while :; do sleep 0.02; done",
	         fx->record, fx->ready);
	run_scenario(&scenario, &o);
	EXPECT(&o, o.rc == 0);
	EXPECT(&o, o.result.outcome == CHILD_EXITED);
	EXPECT(&o, o.result.status == 0);
	EXPECT(&o, o.result.stop_signal == SIGTERM);
	EXPECT(&o, o.elapsed_ms < 3000);
	read_record(fx, record, sizeof(record));
	EXPECT(&o, strcmp(record, "TERM\n") == 0);
	expect_clean_end(&o);
}

/* SIGTERM first; SIGKILL for the group once stop_timeout_ms has passed. */
static void test_stop_then_sigkill_after_timeout(void **state)
{
	struct fixture *fx = *state;
	char script[512];
	const char *argv[] = {"sh", "-c", script, NULL};
	struct scenario scenario = {
	    .argv = argv, .stop_timeout_ms = 300, .ready = fx->ready, .action = ACT_CHILD_STOP, .signo = SIGTERM};
	struct outcome o;
	char record[64];

	snprintf(script, sizeof(script), "trap 'echo TERM >> %s' TERM; touch %s; while :; do sleep 0.02; done",
	         fx->record, fx->ready);
	run_scenario(&scenario, &o);
	EXPECT(&o, o.rc == 0);
	EXPECT(&o, o.result.outcome == CHILD_SIGNALED);
	EXPECT(&o, o.result.status == SIGKILL);
	EXPECT(&o, o.result.stop_signal == SIGTERM);
	EXPECT(&o, o.elapsed_ms >= 300);
	EXPECT(&o, o.elapsed_ms < 3000);
	read_record(fx, record, sizeof(record));
	EXPECT(&o, strcmp(record, "TERM\n") == 0);
	EXPECT(&o, strstr(o.log, "still running 300ms after the stop signal: sending SIGKILL") != NULL);
	expect_clean_end(&o);
}

/* Under CHILD_FORWARD_STOP other signals are not passed on, and a stopped
 * child still ends: SIGCONT follows the stop signal. */
static void test_forward_stop_ignores_others_and_resumes(void **state)
{
	struct fixture *fx = *state;
	char script[512];
	const char *argv[] = {"sh", "-c", script, NULL};
	struct scenario scenario = {.argv = argv,
	                            .forward = CHILD_FORWARD_STOP,
	                            .signal_group = true,
	                            .stop_timeout_ms = 5000,
	                            .ready = fx->ready,
	                            .action = ACT_SIGNAL_SELF,
	                            .signo = SIGUSR1,
	                            .second_signo = SIGTERM};
	struct outcome o;

	/* Stops itself once ready: only SIGCONT can let it see the SIGTERM. */
	snprintf(script, sizeof(script), "trap 'exit 9' USR1; trap 'exit 0' TERM; touch %s; kill -STOP $$; exit 1",
	         fx->ready);
	run_scenario(&scenario, &o);
	EXPECT(&o, o.rc == 0);
	EXPECT(&o, o.result.outcome == CHILD_EXITED);
	EXPECT(&o, o.result.status == 0);
	EXPECT(&o, o.result.stop_signal == SIGTERM);
	EXPECT(&o, o.elapsed_ms < 3000);
	EXPECT(&o, strstr(o.log, "ignoring SIGUSR1") != NULL);
	EXPECT(&o, strstr(o.log, "SIGTERM: stopping sh (process group") != NULL);
	expect_clean_end(&o);
}

/* Under CHILD_FORWARD_ALL any signal is passed on, to the child alone
 * unless signal_group. */
static void test_forward_all_to_child_or_group(void **state)
{
	struct fixture *fx = *state;

	for (int group = 0; group < 2; group++) {
		char script[1536];
		char bg_ready[160];
		const char *argv[] = {"sh", "-c", script, NULL};
		struct scenario scenario = {.argv = argv,
		                            .forward = CHILD_FORWARD_ALL,
		                            .signal_group = group,
		                            .stop_timeout_ms = 5000,
		                            .ready = fx->ready,
		                            .action = ACT_SIGNAL_SELF,
		                            .signo = SIGUSR1};
		struct outcome o;
		char record[64];

		unlink(fx->record);
		/* The background sh records USR1 if it reaches it (its trap is set
		 * before the parent says it is ready); the parent, after its own
		 * USR1, waits for the record (5 s at most, for a loaded machine)
		 * when it must come, 0.3 s when it must not. */
		snprintf(script, sizeof(script),
		         "sh -c 'trap \"echo USR1 > %s.tmp; mv %s.tmp %s; exit 0\" USR1; touch %s.bg; "
		         "while :; do sleep 0.02; done' & bg=$!; while [ ! -e %s.bg ]; do sleep 0.01; done; "
		         "trap 'i=0; while [ ! -s %s ] && [ $i -lt %d ]; do sleep 0.02; i=$((i+1)); done; "
		         "kill $bg; exit 4' USR1; touch %s; wait $bg",
		         fx->record, fx->record, fx->record, fx->record, fx->record, fx->record, group ? 250 : 15,
		         fx->ready);
		snprintf(bg_ready, sizeof(bg_ready), "%s.bg", fx->record);
		unlink(bg_ready);
		run_scenario(&scenario, &o);
		EXPECT(&o, o.rc == 0);
		EXPECT(&o, o.result.outcome == CHILD_EXITED);
		EXPECT(&o, o.result.status == 4);
		EXPECT(&o, o.result.stop_signal == 0);
		read_record(fx, record, sizeof(record));
		EXPECT(&o, strcmp(record, group ? "USR1\n" : "") == 0);
		EXPECT(&o, strstr(o.log, group ? "forwarding SIGUSR1 to process group" : "forwarding SIGUSR1 to pid"));
		expect_clean_end(&o);
	}
}

/* ---- leftovers in the group ---- */

static void test_leftovers_term_get_sigterm(void **state)
{
	struct fixture *fx = *state;
	char script[256];
	const char *argv[] = {"sh", "-c", script, NULL};
	struct scenario scenario = {
	    .argv = argv, .leftovers = CHILD_LEFTOVERS_TERM, .stop_timeout_ms = 5000, .pid_file = fx->pid_file};
	struct outcome o;

	snprintf(script, sizeof(script), "sleep 30 & echo $! > '%s'; exit 0", fx->pid_file);
	run_scenario(&scenario, &o);
	EXPECT(&o, o.rc == 0);
	EXPECT(&o, o.result.outcome == CHILD_EXITED && o.result.status == 0);
	EXPECT(&o, o.elapsed_ms < 3000);
	EXPECT(&o, o.leftover_pid > 0);
	EXPECT(&o, o.leftover_errno == ESRCH);
	EXPECT(&o, o.exit_calls == 1);
	EXPECT(&o, strstr(o.log, "left processes in its group: sending them SIGTERM") != NULL);
	/* on_exit came first: the leftovers were not yet told to go. */
	EXPECT(&o, strstr(o.log, "left processes") - o.log >= o.exit_log_size);
	EXPECT(&o, strstr(o.log, "SIGKILL") == NULL);
	expect_clean_end(&o);
}

static void test_leftovers_term_ignoring_it_get_sigkill(void **state)
{
	struct fixture *fx = *state;
	char script[256];
	const char *argv[] = {"sh", "-c", script, NULL};
	struct scenario scenario = {
	    .argv = argv, .leftovers = CHILD_LEFTOVERS_TERM, .stop_timeout_ms = 200, .pid_file = fx->pid_file};
	struct outcome o;

	/* The ignored SIGTERM is inherited by the exec'd sleep. */
	snprintf(script, sizeof(script), "(trap '' TERM; exec sleep 30) & echo $! > '%s'; sleep 0.1; exit 0",
	         fx->pid_file);
	run_scenario(&scenario, &o);
	EXPECT(&o, o.rc == 0);
	EXPECT(&o, o.result.outcome == CHILD_EXITED && o.result.status == 0);
	EXPECT(&o, o.elapsed_ms >= 200);
	EXPECT(&o, o.elapsed_ms < 3000);
	EXPECT(&o, o.leftover_pid > 0);
	EXPECT(&o, o.leftover_errno == ESRCH);
	EXPECT(&o, strstr(o.log, "still running 200ms after SIGTERM: sending SIGKILL") != NULL);
	expect_clean_end(&o);
}

/* CHILD_LEFTOVERS_KILL: no grace period, even for one that ignores SIGTERM. */
static void test_leftovers_kill_go_at_once(void **state)
{
	struct fixture *fx = *state;
	char script[256];
	const char *argv[] = {"sh", "-c", script, NULL};
	struct scenario scenario = {
	    .argv = argv, .leftovers = CHILD_LEFTOVERS_KILL, .stop_timeout_ms = 5000, .pid_file = fx->pid_file};
	struct outcome o;

	snprintf(script, sizeof(script), "(trap '' TERM; exec sleep 30) & echo $! > '%s'; exit 0", fx->pid_file);
	run_scenario(&scenario, &o);
	EXPECT(&o, o.rc == 0);
	EXPECT(&o, o.result.outcome == CHILD_EXITED && o.result.status == 0);
	EXPECT(&o, o.elapsed_ms < 2000);
	EXPECT(&o, o.leftover_pid > 0);
	EXPECT(&o, o.leftover_errno == ESRCH);
	EXPECT(&o, strstr(o.log, "left processes in its group: sending them SIGKILL") != NULL);
	EXPECT(&o, strstr(o.log, "SIGTERM") == NULL);
	expect_clean_end(&o);
}

/* ---- restart ---- */

/* The same struct child started again after a stopped run: nothing of the
 * first run (its stop, its pid) carries over. */
static void test_started_again_after_finish(void **state)
{
	struct fixture *fx = *state;
	char script[256];
	const char *argv[] = {"sh", "-c", script, NULL};
	struct scenario scenario = {.argv = argv,
	                            .stop_timeout_ms = 5000,
	                            .ready = fx->ready,
	                            .action = ACT_CHILD_STOP,
	                            .signo = SIGTERM,
	                            .runs = 2};
	struct outcome o;

	/* Each run is stopped once it is ready, and ends the same way: the
	 * second result is that of a fresh run, on_exit called once in it. */
	snprintf(script, sizeof(script), "trap 'exit 7' TERM; touch %s; while :; do sleep 0.02; done", fx->ready);
	run_scenario(&scenario, &o);
	EXPECT(&o, o.rc == 0);
	EXPECT(&o, o.first.outcome == CHILD_EXITED && o.first.status == 7 && o.first.stop_signal == SIGTERM);
	EXPECT(&o, o.result.outcome == CHILD_EXITED && o.result.status == 7 && o.result.stop_signal == SIGTERM);
	EXPECT(&o, o.exit_calls == 1);
	expect_clean_end(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TEST(test_exit_status_passes_through),
	    TEST(test_killed_by_signal_gives_the_signal),
	    TEST(test_missing_program_fails_with_enoent),
	    TEST(test_not_executable_fails_with_eacces),
	    TEST(test_stop_signal_then_child_exits),
	    TEST(test_stop_then_sigkill_after_timeout),
	    TEST(test_forward_stop_ignores_others_and_resumes),
	    TEST(test_forward_all_to_child_or_group),
	    TEST(test_leftovers_term_get_sigterm),
	    TEST(test_leftovers_term_ignoring_it_get_sigkill),
	    TEST(test_leftovers_kill_go_at_once),
	    TEST(test_started_again_after_finish),
	};

	return cmocka_run_group_tests_name("child", tests, NULL, NULL);
}
