/* Unit tests for loop.c: timers, watched descriptors, signals, stopping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testlib.h"

#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A loop that never stops must not hang the suite: SIGALRM ends the test
 * binary (and make) with a clear signal. */
static int setup(void **state)
{
	(void)state;
	alarm(5);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	alarm(0);
	return 0;
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

static sigset_t empty_set(void)
{
	sigset_t set;

	sigemptyset(&set);
	return set;
}

static void init_loop(struct loop *loop)
{
	sigset_t none = empty_set();

	assert_int_equal(loop_init(loop, &none), 0);
	assert_true(loop->signal_fd >= 0);
}

static void stop_now(struct loop *loop, void *arg)
{
	(void)arg;
	loop_stop(loop);
}

/* ---- timers ---- */

struct timer_log {
	int fired[16];
	int64_t at[16];
	int count;
	int stop_after; /* loop_stop() once this many have fired */
};

struct timer_arg {
	struct timer_log *log;
	int tag;
};

static void record_timer(struct loop *loop, void *arg)
{
	struct timer_arg *t = arg;

	t->log->at[t->log->count] = loop_now_ms();
	t->log->fired[t->log->count++] = t->tag;
	if (t->log->count == t->log->stop_after)
		loop_stop(loop);
}

static void test_now_is_monotonic_ms(void **state)
{
	int64_t before, after;

	(void)state;
	before = loop_now_ms();
	sleep_ms(20);
	after = loop_now_ms();
	assert_true(before > 0);
	assert_in_range(after - before, 19, 1000);
}

static void test_timers_fire_in_deadline_order(void **state)
{
	struct timer_log log = {.stop_after = 4};
	struct timer_arg a30 = {&log, 30}, a10 = {&log, 10}, a20 = {&log, 20}, a0 = {&log, 0};
	struct loop loop;
	int64_t start;

	(void)state;
	init_loop(&loop);
	start = loop_now_ms();
	assert_true(loop_add_timer(&loop, 60, record_timer, &a30) >= 0);
	assert_true(loop_add_timer(&loop, 20, record_timer, &a10) >= 0);
	assert_true(loop_add_timer(&loop, 40, record_timer, &a20) >= 0);
	assert_true(loop_add_timer(&loop, 0, record_timer, &a0) >= 0);
	assert_int_equal(loop_run(&loop), 0);
	assert_int_equal(log.count, 4);
	assert_int_equal(log.fired[0], 0);
	assert_int_equal(log.fired[1], 10);
	assert_int_equal(log.fired[2], 20);
	assert_int_equal(log.fired[3], 30);
	/* None fires before its deadline. */
	assert_true(log.at[1] - start >= 20);
	assert_true(log.at[2] - start >= 40);
	assert_true(log.at[3] - start >= 60);
	assert_true(log.at[3] - start < 1000);
	loop_release(&loop);
}

static void test_timer_ids_are_distinct(void **state)
{
	struct timer_log log = {0};
	struct timer_arg arg = {&log, 1};
	struct loop loop;
	int ids[LOOP_MAX_TIMERS];

	(void)state;
	init_loop(&loop);
	for (int i = 0; i < LOOP_MAX_TIMERS; i++) {
		ids[i] = loop_add_timer(&loop, 1000, record_timer, &arg);
		assert_true(ids[i] >= 0);
		for (int j = 0; j < i; j++)
			assert_int_not_equal(ids[i], ids[j]);
	}
	loop_release(&loop);
}

static void test_cancelled_timers_do_not_fire(void **state)
{
	struct timer_log log = {.stop_after = 2};
	struct timer_arg a = {&log, 1}, b = {&log, 2}, c = {&log, 3}, d = {&log, 4};
	struct loop loop;
	int id_b, id_d;

	(void)state;
	init_loop(&loop);
	assert_true(loop_add_timer(&loop, 10, record_timer, &a) >= 0);
	id_b = loop_add_timer(&loop, 5, record_timer, &b);
	assert_true(id_b >= 0);
	assert_true(loop_add_timer(&loop, 40, record_timer, &c) >= 0);
	id_d = loop_add_timer(&loop, 20, record_timer, &d);
	assert_true(id_d >= 0);
	loop_cancel_timer(&loop, id_b);
	loop_cancel_timer(&loop, id_d);
	loop_cancel_timer(&loop, id_d); /* twice: nothing more happens */
	loop_cancel_timer(&loop, -1);   /* "no timer" */
	assert_int_equal(loop_run(&loop), 0);
	assert_int_equal(log.count, 2);
	assert_int_equal(log.fired[0], 1);
	assert_int_equal(log.fired[1], 3);
	loop_release(&loop);
}

static void test_cancel_expired_timer_is_harmless(void **state)
{
	struct timer_log log = {.stop_after = 1};
	struct timer_arg a = {&log, 1}, b = {&log, 2};
	struct loop loop;
	int id_a;

	(void)state;
	init_loop(&loop);
	id_a = loop_add_timer(&loop, 0, record_timer, &a);
	assert_true(id_a >= 0);
	assert_true(loop_add_timer(&loop, 40, record_timer, &b) >= 0);
	assert_int_equal(loop_run(&loop), 0);
	assert_int_equal(log.count, 1);
	/* id_a has expired: cancelling it leaves the pending timer alone. */
	loop_cancel_timer(&loop, id_a);
	log.stop_after = 2;
	assert_int_equal(loop_run(&loop), 0);
	assert_int_equal(log.count, 2);
	assert_int_equal(log.fired[1], 2);
	loop_release(&loop);
}

/* The id of an expired timer must not name the timer that reuses its slot. */
static void test_cancel_expired_id_spares_slot_reuser(void **state)
{
	struct timer_log log = {.stop_after = 1};
	struct timer_arg a = {&log, 1}, b = {&log, 2};
	struct loop loop;
	int id_a, id_b;

	(void)state;
	init_loop(&loop);
	id_a = loop_add_timer(&loop, 0, record_timer, &a);
	assert_int_equal(loop_run(&loop), 0);
	id_b = loop_add_timer(&loop, 5, record_timer, &b);
	assert_int_not_equal(id_a, id_b);
	loop_cancel_timer(&loop, id_a);
	log.stop_after = 2;
	assert_int_equal(loop_run(&loop), 0);
	assert_int_equal(log.fired[1], 2);
	loop_release(&loop);
}

/* Timers that are all overdue when the loop looks fire earliest first,
 * whatever their slots. */
static void test_overdue_timers_fire_in_deadline_order(void **state)
{
	struct timer_log log = {.stop_after = 2};
	struct timer_arg late = {&log, 50}, early = {&log, 10};
	struct loop loop;

	(void)state;
	init_loop(&loop);
	assert_true(loop_add_timer(&loop, 50, record_timer, &late) >= 0);
	assert_true(loop_add_timer(&loop, 10, record_timer, &early) >= 0);
	sleep_ms(80);
	assert_int_equal(loop_run(&loop), 0);
	assert_int_equal(log.fired[0], 10);
	assert_int_equal(log.fired[1], 50);
	loop_release(&loop);
}

static void test_timer_table_full(void **state)
{
	struct timer_log log = {0};
	struct timer_arg arg = {&log, 1};
	struct loop loop;
	int last = -1;

	(void)state;
	init_loop(&loop);
	for (int i = 0; i < LOOP_MAX_TIMERS; i++) {
		last = loop_add_timer(&loop, 1000, record_timer, &arg);
		assert_true(last >= 0);
	}
	errno = 0;
	assert_int_equal(loop_add_timer(&loop, 1000, record_timer, &arg), -1);
	assert_int_equal(errno, ENOSPC);
	/* Cancelling frees a slot. */
	loop_cancel_timer(&loop, last);
	assert_true(loop_add_timer(&loop, 1000, record_timer, &arg) >= 0);
	loop_release(&loop);
}

struct chain {
	int remaining;
	int fired;
};

static void chain_timer(struct loop *loop, void *arg)
{
	struct chain *chain = arg;

	chain->fired++;
	if (--chain->remaining > 0)
		assert_true(loop_add_timer(loop, 1, chain_timer, chain) >= 0);
	else
		loop_stop(loop);
}

static void test_timer_added_from_callback(void **state)
{
	struct chain chain = {.remaining = 5};
	struct loop loop;

	(void)state;
	init_loop(&loop);
	assert_true(loop_add_timer(&loop, 1, chain_timer, &chain) >= 0);
	assert_int_equal(loop_run(&loop), 0);
	assert_int_equal(chain.fired, 5);
	loop_release(&loop);
}

static int64_t cpu_time_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waiting for a timer sleeps in poll(); it does not spin. */
static void test_waiting_does_not_spin(void **state)
{
	struct loop loop;
	int64_t start, cpu_start;

	(void)state;
	init_loop(&loop);
	assert_true(loop_add_timer(&loop, 150, stop_now, NULL) >= 0);
	start = loop_now_ms();
	cpu_start = cpu_time_ms();
	assert_int_equal(loop_run(&loop), 0);
	assert_true(loop_now_ms() - start >= 150);
	assert_true(cpu_time_ms() - cpu_start < 50);
	loop_release(&loop);
}

/* ---- loop_stop ---- */

static void test_stop_ends_run_and_run_resumes(void **state)
{
	struct timer_log log = {.stop_after = 1};
	struct timer_arg a = {&log, 1}, b = {&log, 2};
	struct loop loop;

	(void)state;
	init_loop(&loop);
	assert_true(loop_add_timer(&loop, 5, record_timer, &a) >= 0);
	assert_true(loop_add_timer(&loop, 50, record_timer, &b) >= 0);
	assert_int_equal(loop_run(&loop), 0);
	assert_int_equal(log.count, 1);
	assert_int_equal(log.fired[0], 1);
	/* The other timer is still pending and fires in the next run. */
	log.stop_after = 2;
	assert_int_equal(loop_run(&loop), 0);
	assert_int_equal(log.count, 2);
	assert_int_equal(log.fired[1], 2);
	loop_release(&loop);
}

/* ---- watched descriptors ---- */

struct fd_log {
	int calls;
	int fd;
	short revents;
	char byte;
	bool stop;
};

static void on_readable(struct loop *loop, int fd, short revents, void *arg)
{
	struct fd_log *log = arg;

	log->calls++;
	log->fd = fd;
	log->revents = revents;
	if (revents & POLLIN)
		assert_int_equal(read(fd, &log->byte, 1), 1);
	if (log->stop)
		loop_stop(loop);
}

static void test_watched_pipe_fires(void **state)
{
	struct fd_log log = {.stop = true};
	struct loop loop;
	int fds[2];

	(void)state;
	init_loop(&loop);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(loop_watch_fd(&loop, fds[0], POLLIN, on_readable, &log), 0);
	assert_int_equal(write(fds[1], "x", 1), 1);
	assert_int_equal(loop_run(&loop), 0);
	assert_int_equal(log.calls, 1);
	assert_int_equal(log.fd, fds[0]);
	assert_true(log.revents & POLLIN);
	assert_int_equal(log.byte, 'x');
	close(fds[0]);
	close(fds[1]);
	loop_release(&loop);
}

static void write_byte_later(struct loop *loop, void *arg)
{
	int fd = *(int *)arg;

	(void)loop;
	assert_int_equal(write(fd, "y", 1), 1);
}

/* Nothing to read at first: the callback waits for the data. */
static void test_watched_pipe_waits_for_data(void **state)
{
	struct fd_log log = {.stop = true};
	struct loop loop;
	int fds[2];
	int64_t start;

	(void)state;
	init_loop(&loop);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(loop_watch_fd(&loop, fds[0], POLLIN, on_readable, &log), 0);
	assert_true(loop_add_timer(&loop, 30, write_byte_later, &fds[1]) >= 0);
	start = loop_now_ms();
	assert_int_equal(loop_run(&loop), 0);
	assert_true(loop_now_ms() - start >= 30);
	assert_int_equal(log.calls, 1);
	assert_int_equal(log.byte, 'y');
	close(fds[0]);
	close(fds[1]);
	loop_release(&loop);
}

static void on_hangup(struct loop *loop, int fd, short revents, void *arg)
{
	struct fd_log *log = arg;

	log->calls++;
	log->revents = revents;
	loop_unwatch_fd(loop, fd);
	loop_stop(loop);
}

static void test_watched_pipe_hangup(void **state)
{
	struct fd_log log = {0};
	struct loop loop;
	int fds[2];

	(void)state;
	init_loop(&loop);
	assert_int_equal(pipe(fds), 0);
	close(fds[1]);
	assert_int_equal(loop_watch_fd(&loop, fds[0], POLLIN, on_hangup, &log), 0);
	assert_int_equal(loop_run(&loop), 0);
	assert_int_equal(log.calls, 1);
	assert_true(log.revents & POLLHUP);
	assert_int_equal(loop.watch_count, 0);
	close(fds[0]);
	loop_release(&loop);
}

static void test_unwatched_fd_does_not_fire(void **state)
{
	struct fd_log log = {0};
	struct fd_log kept = {0};
	struct loop loop;
	int fds[2], other[2];

	(void)state;
	init_loop(&loop);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(pipe(other), 0);
	assert_int_equal(loop_watch_fd(&loop, fds[0], POLLIN, on_readable, &log), 0);
	assert_int_equal(loop_watch_fd(&loop, other[0], POLLIN, on_readable, &kept), 0);
	loop_unwatch_fd(&loop, fds[0]);
	loop_unwatch_fd(&loop, 9999); /* not watched: nothing happens */
	assert_int_equal(write(fds[1], "x", 1), 1);
	assert_int_equal(write(other[1], "z", 1), 1);
	assert_true(loop_add_timer(&loop, 30, stop_now, NULL) >= 0);
	assert_int_equal(loop_run(&loop), 0);
	assert_int_equal(log.calls, 0);
	assert_int_equal(kept.calls, 1);
	assert_int_equal(kept.byte, 'z');
	close(fds[0]);
	close(fds[1]);
	close(other[0]);
	close(other[1]);
	loop_release(&loop);
}

struct pair {
	int fd[2];
	int calls;
};

/* Each callback unwatches the other descriptor: although both are ready in
 * the same poll, only the first one dispatched may run. */
static void unwatch_the_other(struct loop *loop, int fd, short revents, void *arg)
{
	struct pair *pair = arg;
	char byte;

	(void)revents;
	pair->calls++;
	assert_int_equal(read(fd, &byte, 1), 1);
	loop_unwatch_fd(loop, fd == pair->fd[0] ? pair->fd[1] : pair->fd[0]);
}

static void test_callback_may_unwatch_others(void **state)
{
	struct pair pair = {0};
	struct loop loop;
	int a[2], b[2];

	(void)state;
	init_loop(&loop);
	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(b), 0);
	pair.fd[0] = a[0];
	pair.fd[1] = b[0];
	assert_int_equal(loop_watch_fd(&loop, a[0], POLLIN, unwatch_the_other, &pair), 0);
	assert_int_equal(loop_watch_fd(&loop, b[0], POLLIN, unwatch_the_other, &pair), 0);
	assert_int_equal(write(a[1], "x", 1), 1);
	assert_int_equal(write(b[1], "x", 1), 1);
	assert_true(loop_add_timer(&loop, 30, stop_now, NULL) >= 0);
	assert_int_equal(loop_run(&loop), 0);
	assert_int_equal(pair.calls, 1);
	assert_int_equal(loop.watch_count, 1);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
	loop_release(&loop);
}

/* A callback that replaces another watch on a reused fd number: the old
 * watch's pending event must not reach the new watch's argument. */
struct reuse {
	int victim_read, victim_write;
	int fresh[2];
	int calls_for_fresh;
	int calls_for_victim;
};

static void on_reuse_event(struct loop *loop, int fd, short revents, void *arg);

static void replace_victim(struct loop *loop, int fd, short revents, void *arg)
{
	struct reuse *r = arg;

	(void)fd;
	(void)revents;
	loop_unwatch_fd(loop, fd);
	loop_unwatch_fd(loop, r->victim_read);
	close(r->victim_read);
	/* The lowest free number: the victim's, now reused. */
	assert_int_equal(pipe(r->fresh), 0);
	assert_int_equal(r->fresh[0], r->victim_read);
	assert_int_equal(loop_watch_fd(loop, r->fresh[0], POLLIN, on_reuse_event, &r->calls_for_fresh), 0);
}

static void on_reuse_event(struct loop *loop, int fd, short revents, void *arg)
{
	(void)loop;
	(void)fd;
	(void)revents;
	(*(int *)arg)++;
}

static void test_reused_fd_number_gets_no_stale_event(void **state)
{
	struct reuse r = {0};
	struct loop loop;
	int first[2], victim[2];

	(void)state;
	init_loop(&loop);
	assert_int_equal(pipe(first), 0);
	assert_int_equal(pipe(victim), 0);
	r.victim_read = victim[0];
	r.victim_write = victim[1];
	assert_int_equal(loop_watch_fd(&loop, first[0], POLLIN, replace_victim, &r), 0);
	assert_int_equal(loop_watch_fd(&loop, victim[0], POLLIN, on_reuse_event, &r.calls_for_victim), 0);
	assert_int_equal(write(first[1], "x", 1), 1);
	assert_int_equal(write(victim[1], "x", 1), 1);
	assert_true(loop_add_timer(&loop, 30, stop_now, NULL) >= 0);
	assert_int_equal(loop_run(&loop), 0);
	/* The fresh pipe is empty: nothing may have reached its watch. */
	assert_int_equal(r.calls_for_fresh, 0);
	assert_int_equal(r.calls_for_victim, 0);
	close(first[0]);
	close(first[1]);
	close(victim[1]);
	close(r.fresh[0]);
	close(r.fresh[1]);
	loop_release(&loop);
}

static void test_watch_table_full(void **state)
{
	struct fd_log log = {0};
	struct loop loop;

	(void)state;
	init_loop(&loop);
	for (int i = 0; i < LOOP_MAX_WATCHES; i++)
		assert_int_equal(loop_watch_fd(&loop, 1000 + i, POLLIN, on_readable, &log), 0);
	errno = 0;
	assert_int_equal(loop_watch_fd(&loop, 2000, POLLIN, on_readable, &log), -1);
	assert_int_equal(errno, ENOSPC);
	loop_unwatch_fd(&loop, 1010);
	assert_int_equal(loop_watch_fd(&loop, 2000, POLLIN, on_readable, &log), 0);
	loop_release(&loop);
}

/* ---- signals ---- */

struct signal_log {
	int count;
	int signo[8];
	void *arg;
	int stop_after;
};

static void record_signal(struct loop *loop, const struct signalfd_siginfo *info, void *arg)
{
	struct signal_log *log = arg;

	log->arg = arg;
	log->signo[log->count++] = (int)info->ssi_signo;
	if (log->count == log->stop_after)
		loop_stop(loop);
}

static void never_called(struct loop *loop, const struct signalfd_siginfo *info, void *arg)
{
	(void)loop;
	(void)info;
	(void)arg;
	fail_msg("the replaced signal callback was called");
}

/* Blocks the given signals; the caller puts old back. */
static void block(const int *signals, size_t count, sigset_t *set, sigset_t *old)
{
	sigemptyset(set);
	for (size_t i = 0; i < count; i++)
		sigaddset(set, signals[i]);
	assert_int_equal(sigprocmask(SIG_BLOCK, set, old), 0);
}

static void test_signal_reaches_callback(void **state)
{
	static const int signals[] = {SIGUSR1};
	struct signal_log log = {.stop_after = 1};
	sigset_t set, old;
	struct loop loop;

	(void)state;
	block(signals, 1, &set, &old);
	assert_int_equal(loop_init(&loop, &set), 0);
	loop_on_signal(&loop, never_called, NULL);
	loop_on_signal(&loop, record_signal, &log);
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(loop_run(&loop), 0);
	assert_int_equal(log.count, 1);
	assert_int_equal(log.signo[0], SIGUSR1);
	assert_ptr_equal(log.arg, &log);
	loop_release(&loop);
	assert_int_equal(sigprocmask(SIG_SETMASK, &old, NULL), 0);
}

static void test_several_signals(void **state)
{
	static const int signals[] = {SIGUSR1, SIGUSR2};
	struct signal_log log = {.stop_after = 2};
	sigset_t set, old;
	struct loop loop;

	(void)state;
	block(signals, 2, &set, &old);
	assert_int_equal(loop_init(&loop, &set), 0);
	loop_on_signal(&loop, record_signal, &log);
	assert_int_equal(raise(SIGUSR2), 0);
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(loop_run(&loop), 0);
	assert_int_equal(log.count, 2);
	assert_true((log.signo[0] == SIGUSR1 && log.signo[1] == SIGUSR2) ||
	            (log.signo[0] == SIGUSR2 && log.signo[1] == SIGUSR1));
	loop_release(&loop);
	assert_int_equal(sigprocmask(SIG_SETMASK, &old, NULL), 0);
}

static void test_signal_outside_the_set_is_not_read(void **state)
{
	static const int signals[] = {SIGUSR1, SIGUSR2};
	struct signal_log log = {0};
	sigset_t blocked, old, only_usr1;
	struct timespec none = {0, 0};
	struct loop loop;

	(void)state;
	block(signals, 2, &blocked, &old);
	sigemptyset(&only_usr1);
	sigaddset(&only_usr1, SIGUSR1);
	assert_int_equal(loop_init(&loop, &only_usr1), 0);
	loop_on_signal(&loop, record_signal, &log);
	assert_int_equal(raise(SIGUSR2), 0);
	assert_true(loop_add_timer(&loop, 30, stop_now, NULL) >= 0);
	assert_int_equal(loop_run(&loop), 0);
	assert_int_equal(log.count, 0);
	/* Still pending: take it before unblocking. */
	sigemptyset(&only_usr1);
	sigaddset(&only_usr1, SIGUSR2);
	assert_int_equal(sigtimedwait(&only_usr1, NULL, &none), SIGUSR2);
	loop_release(&loop);
	assert_int_equal(sigprocmask(SIG_SETMASK, &old, NULL), 0);
}

static void test_signal_without_callback_is_consumed(void **state)
{
	static const int signals[] = {SIGUSR1};
	sigset_t set, old, pending;
	struct loop loop;

	(void)state;
	block(signals, 1, &set, &old);
	assert_int_equal(loop_init(&loop, &set), 0);
	assert_int_equal(raise(SIGUSR1), 0);
	assert_true(loop_add_timer(&loop, 20, stop_now, NULL) >= 0);
	assert_int_equal(loop_run(&loop), 0);
	assert_int_equal(sigpending(&pending), 0);
	assert_false(sigismember(&pending, SIGUSR1));
	loop_release(&loop);
	assert_int_equal(sigprocmask(SIG_SETMASK, &old, NULL), 0);
}

static void test_release_closes_signal_fd(void **state)
{
	struct loop loop;
	int fd;

	(void)state;
	init_loop(&loop);
	fd = loop.signal_fd;
	assert_true(fcntl(fd, F_GETFD) >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	loop_release(&loop);
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_int_equal(errno, EBADF);
	loop_release(&loop); /* twice: harmless */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TEST(test_now_is_monotonic_ms),
	    TEST(test_timers_fire_in_deadline_order),
	    TEST(test_timer_ids_are_distinct),
	    TEST(test_cancelled_timers_do_not_fire),
	    TEST(test_cancel_expired_timer_is_harmless),
	    TEST(test_cancel_expired_id_spares_slot_reuser),
	    TEST(test_overdue_timers_fire_in_deadline_order),
	    TEST(test_timer_table_full),
	    TEST(test_timer_added_from_callback),
	    TEST(test_waiting_does_not_spin),
	    TEST(test_stop_ends_run_and_run_resumes),
	    TEST(test_watched_pipe_fires),
	    TEST(test_watched_pipe_waits_for_data),
	    TEST(test_watched_pipe_hangup),
	    TEST(test_unwatched_fd_does_not_fire),
	    TEST(test_callback_may_unwatch_others),
	    TEST(test_reused_fd_number_gets_no_stale_event),
	    TEST(test_watch_table_full),
	    TEST(test_signal_reaches_callback),
	    TEST(test_several_signals),
	    TEST(test_signal_outside_the_set_is_not_read),
	    TEST(test_signal_without_callback_is_consumed),
	    TEST(test_release_closes_signal_fd),
	};

	return cmocka_run_group_tests_name("loop", tests, NULL, NULL);
}
