/* The event loop every phase runs on: poll() over a signalfd, the file
 * descriptors components register, and one-shot timers on the monotonic clock.
 *
 * Signals reach the loop only if they are blocked in every thread before the
 * loop is created (see proc_signals_block()); the loop reads them from its
 * signalfd, so no handler ever runs arbitrary code. */
#ifndef PE_LOOP_H
#define PE_LOOP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/signalfd.h>

struct loop;

typedef void loop_signal_fn(struct loop *loop, const struct signalfd_siginfo *info, void *arg);
typedef void loop_fd_fn(struct loop *loop, int fd, short revents, void *arg);
typedef void loop_timer_fn(struct loop *loop, void *arg);

struct loop_watch {
	int fd;
	short events;
	loop_fd_fn *callback;
	void *arg;
	unsigned id; /* tells a watch from a later one on a reused fd number */
};

struct loop_timer {
	int64_t deadline_ms; /* monotonic; 0 when the slot is free */
	loop_timer_fn *callback;
	void *arg;
	unsigned generation; /* tells a reused slot's ids apart */
};

#define LOOP_MAX_WATCHES 64
#define LOOP_MAX_TIMERS  32

struct loop {
	int signal_fd;
	loop_signal_fn *on_signal;
	void *signal_arg;
	struct loop_watch watches[LOOP_MAX_WATCHES];
	size_t watch_count;
	struct loop_timer timers[LOOP_MAX_TIMERS];
	unsigned next_generation;
	unsigned next_watch_id;
	bool stopped;
};

/* Milliseconds on the monotonic clock. */
int64_t loop_now_ms(void);

/* Creates the signalfd for signals (which the caller has blocked). Returns 0,
 * or -1 with errno. */
int loop_init(struct loop *loop, const sigset_t *signals);
void loop_release(struct loop *loop);

/* The one signal handler of the loop; replaces the previous one. */
void loop_on_signal(struct loop *loop, loop_signal_fn *callback, void *arg);

/* Returns 0, or -1 with errno = ENOSPC. fd must not be watched already. */
int loop_watch_fd(struct loop *loop, int fd, short events, loop_fd_fn *callback, void *arg);
void loop_unwatch_fd(struct loop *loop, int fd);

/* A one-shot timer delay_ms from now. Returns a timer id >= 0, or -1 with
 * errno = ENOSPC. Due timers fire earliest deadline first. */
int loop_add_timer(struct loop *loop, int64_t delay_ms, loop_timer_fn *callback, void *arg);
/* Cancelling an expired or cancelled timer, or -1, does nothing. */
void loop_cancel_timer(struct loop *loop, int timer_id);

/* Dispatches events until loop_stop(). Returns 0, or -1 with errno when
 * poll() or the signalfd fails. */
int loop_run(struct loop *loop);
void loop_stop(struct loop *loop);

#endif
