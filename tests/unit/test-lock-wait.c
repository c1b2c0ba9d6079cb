/* Unit tests for lock-wait.c: a wait scripted try by try from a table (taken
 * at once or after a few tries, a try that fails, a try that sees a stop
 * signal, a stop signal or another signal read by the loop while the lock is
 * held), what it says while waiting, and that it leaves the loop as it found
 * it. The real locks behind it are tested with them (test-lockfile.c) and
 * end to end (the generate and migrate locks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testlib.h"

#include "lock-wait.h"
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fixture {
	struct loop loop;
	sigset_t signals;
	sigset_t old_mask;
	char output[4096]; /* what the wait logged */
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	/* As main does: the signals blocked before the loop exists, so that
	 * they queue for its signalfd. */
	if (test_loop_open(&fx->loop, &fx->signals, &fx->old_mask) < 0) {
		free(fx);
		return -1;
	}
	alarm(10);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	alarm(0);
	test_loop_close(&fx->loop, &fx->signals, &fx->old_mask);
	free(fx);
	return 0;
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

/* A try that plays a script, one letter per try:
 *   T taken, H held, F failed (errno EIO), S a stop signal is pending
 *   (SIGTERM sent to this process first), K held, and SIGTERM sent (read
 *   by the loop), Q held and SIGQUIT sent, U held and SIGUSR1 sent (not a
 *   stop signal: ignored); past the end, held. */
struct script {
	const char *steps;
	size_t next;
};

static enum lock_try scripted_try(void *arg)
{
	struct script *script = arg;
	char step = script->steps[script->next] ? script->steps[script->next++] : 'H';

	switch (step) {
	case 'T':
		return LOCK_TRY_TAKEN;
	case 'F':
		errno = EIO;
		return LOCK_TRY_FAILED;
	case 'S':
		kill(getpid(), SIGTERM);
		return LOCK_TRY_STOPPED;
	case 'K':
		kill(getpid(), SIGTERM);
		break;
	case 'Q':
		kill(getpid(), SIGQUIT);
		break;
	case 'U':
		kill(getpid(), SIGUSR1);
		break;
	}
	return LOCK_TRY_HELD;
}

static int pending_timers(const struct loop *loop)
{
	int count = 0;

	for (int i = 0; i < LOOP_MAX_TIMERS; i++)
		count += loop->timers[i].deadline_ms != 0;
	return count;
}

/* Runs lock_wait with stderr captured into fx->output. */
static void run_wait(struct fixture *fx, struct lock_wait_params *params, struct lock_wait_result *result)
{
	char path[] = "/tmp/pe-lock-wait-XXXXXX";
	int file = mkstemp(path);
	int saved = dup(STDERR_FILENO);
	ssize_t got;

	assert_true(file >= 0 && saved >= 0);
	unlink(path);
	fflush(stderr);
	assert_true(dup2(file, STDERR_FILENO) >= 0);
	params->loop = &fx->loop;
	lock_wait(params, result);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	got = pread(file, fx->output, sizeof(fx->output) - 1, 0);
	close(file);
	assert_true(got >= 0);
	fx->output[got] = '\0';
}

static size_t count_lines(const char *text, const char *needle)
{
	size_t count = 0;

	for (const char *at = strstr(text, needle); at; at = strstr(at + 1, needle))
		count++;
	return count;
}

#define ANNOUNCE "prisma-entrypoint: the test lock is held: waiting\n"

struct wait_case {
	const char *name;
	const char *steps;
	bool held; /* the caller found it held already */
	enum lock_wait_outcome outcome;
	int tries;
	bool waited;
	int stop_signal;
	int error;
};

static const struct wait_case wait_cases[] = {
    {"free at once", "T", false, LOCK_WAIT_TAKEN, 1, false, 0, 0},
    {"taken after three tries", "HHT", false, LOCK_WAIT_TAKEN, 3, true, 0, 0},
    {"caller found it held, free at the next try", "T", true, LOCK_WAIT_TAKEN, 1, true, 0, 0},
    {"caller found it held, taken after two tries", "HT", true, LOCK_WAIT_TAKEN, 2, true, 0, 0},
    {"the first try fails", "F", false, LOCK_WAIT_FAILED, 1, false, 0, EIO},
    {"a try fails after waiting", "HHF", false, LOCK_WAIT_FAILED, 3, true, 0, EIO},
    {"the first try sees a stop signal", "S", false, LOCK_WAIT_STOPPED, 1, false, SIGTERM, 0},
    {"a later try sees a stop signal", "HS", false, LOCK_WAIT_STOPPED, 2, true, SIGTERM, 0},
    {"SIGTERM read by the loop while held", "HK", false, LOCK_WAIT_STOPPED, 2, true, SIGTERM, 0},
    {"SIGQUIT read by the loop while held", "Q", true, LOCK_WAIT_STOPPED, 1, true, SIGQUIT, 0},
    {"SIGUSR1 is ignored", "HUHT", false, LOCK_WAIT_TAKEN, 4, true, 0, 0},
    {"SIGUSR1, then SIGTERM", "UK", true, LOCK_WAIT_STOPPED, 2, true, SIGTERM, 0},
};

static void test_wait_table(void **state)
{
	struct fixture *fx = *state;

	for (size_t i = 0; i < sizeof(wait_cases) / sizeof(wait_cases[0]); i++) {
		const struct wait_case *c = &wait_cases[i];
		struct script script = {c->steps, 0};
		struct lock_wait_params params = {
		    .try_lock = scripted_try,
		    .arg = &script,
		    .held = c->held,
		    .announce = "the test lock is held: waiting",
		    .what = "the test lock",
		    .poll_ms = 5,
		    .progress_ms = 60000,
		};
		struct lock_wait_result result;

		run_wait(fx, &params, &result);
		if (result.outcome != c->outcome || result.tries != c->tries || result.waited != c->waited ||
		    result.stop_signal != c->stop_signal || (c->error && result.error != c->error))
			fail_msg("%s: outcome %d, tries %d, waited %d, signal %d, error %d", c->name,
			         (int)result.outcome, result.tries, result.waited, result.stop_signal, result.error);
		/* Said once when the lock was found held, and nothing else. */
		if (strcmp(fx->output, c->waited ? ANNOUNCE : "") != 0)
			fail_msg("%s: logged '%s'", c->name, fx->output);
		if (pending_timers(&fx->loop) != 0 || fx->loop.on_signal)
			fail_msg("%s: the loop is left with a timer or a signal handler", c->name);
		/* A stop signal a try saw is still pending, for the caller. */
		signals_drain(&fx->signals);
	}
}

/* Every progress_ms, one line with how long it has waited. */
static void test_progress_lines(void **state)
{
	struct fixture *fx = *state;
	struct script script = {"HHHHHHHHHHHHHHHHHHHHHHHHHHHHHT", 0};
	struct lock_wait_params params = {
	    .try_lock = scripted_try,
	    .arg = &script,
	    .announce = "the test lock is held: waiting",
	    .what = "the test lock",
	    .poll_ms = 10,
	    .progress_ms = 100,
	};
	struct lock_wait_result result;
	int64_t start = loop_now_ms();
	int64_t took;
	size_t lines;

	run_wait(fx, &params, &result);
	took = loop_now_ms() - start;
	assert_int_equal(result.outcome, LOCK_WAIT_TAKEN);
	assert_int_equal(result.tries, 30);
	assert_true(took >= 290);
	lines = count_lines(fx->output, "prisma-entrypoint: still waiting for the test lock after ");
	/* ~300 ms of waiting: two or three lines (at 100, 200, perhaps 300). */
	assert_true(lines >= 2 && lines <= (size_t)(took / 100));
	assert_int_equal(count_lines(fx->output, "\n"), lines + 1);
	assert_non_null(strstr(fx->output, ANNOUNCE));
	assert_non_null(strstr(fx->output, "still waiting for the test lock after 1"));
}

/* A deadline ends a wait whose lock stays held, after at least one try, and
 * never one that is taken in time. */
static void test_deadline(void **state)
{
	struct fixture *fx = *state;
	struct script held = {"", 0};
	struct script taken = {"HT", 0};
	struct lock_wait_params params = {
	    .try_lock = scripted_try,
	    .arg = &held,
	    .what = "the test lock",
	    .poll_ms = 5,
	    .progress_ms = 60000,
	    .deadline_ms = loop_now_ms() + 60,
	};
	struct lock_wait_result result;
	int64_t start = loop_now_ms();

	run_wait(fx, &params, &result);
	assert_int_equal(result.outcome, LOCK_WAIT_TIMED_OUT);
	assert_true(loop_now_ms() - start >= 60);
	assert_true(result.tries >= 2 && result.waited);
	assert_int_equal(pending_timers(&fx->loop), 0);

	/* past already: one try all the same, which may find it free */
	params.arg = &taken;
	params.deadline_ms = loop_now_ms() - 1;
	run_wait(fx, &params, &result);
	assert_int_equal(result.outcome, LOCK_WAIT_TIMED_OUT);
	assert_int_equal(result.tries, 1);
	taken.next = 1;
	run_wait(fx, &params, &result);
	assert_int_equal(result.outcome, LOCK_WAIT_TAKEN);
	assert_int_equal(result.tries, 1);
}

/* No announcement configured: nothing said until the first progress line. */
static void test_no_announcement(void **state)
{
	struct fixture *fx = *state;
	struct script script = {"HHT", 0};
	struct lock_wait_params params = {
	    .try_lock = scripted_try, .arg = &script, .what = "x", .poll_ms = 1, .progress_ms = 60000};
	struct lock_wait_result result;

	run_wait(fx, &params, &result);
	assert_int_equal(result.outcome, LOCK_WAIT_TAKEN);
	assert_true(result.waited);
	assert_string_equal(fx->output, "");
}

/* A stop signal that came before the wait, queued for the loop, ends it at
 * the first wait; the wait tries once first. */
static void test_stop_signal_queued_before(void **state)
{
	struct fixture *fx = *state;
	struct script script = {"HT", 0};
	struct lock_wait_params params = {
	    .try_lock = scripted_try, .arg = &script, .what = "x", .poll_ms = 1000, .progress_ms = 60000};
	struct lock_wait_result result;
	int64_t start = loop_now_ms();

	assert_int_equal(kill(getpid(), SIGINT), 0);
	run_wait(fx, &params, &result);
	assert_int_equal(result.outcome, LOCK_WAIT_STOPPED);
	assert_int_equal(result.stop_signal, SIGINT);
	assert_int_equal(result.tries, 1);
	assert_true(loop_now_ms() - start < 500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TEST(test_wait_table),
	    TEST(test_deadline),
	    TEST(test_progress_lines),
	    TEST(test_no_announcement),
	    TEST(test_stop_signal_queued_before),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
