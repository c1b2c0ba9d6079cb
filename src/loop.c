#include "loop.h"

#include "resident.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

STAYS_RESIDENT int64_t loop_now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int loop_init(struct loop *loop, const sigset_t *signals)
{
	memset(loop, 0, sizeof(*loop));
	loop->signal_fd = signalfd(-1, signals, SFD_CLOEXEC | SFD_NONBLOCK);
	return loop->signal_fd < 0 ? -1 : 0;
}

void loop_release(struct loop *loop)
{
	if (loop->signal_fd >= 0)
		close(loop->signal_fd);
	loop->signal_fd = -1;
}

void loop_on_signal(struct loop *loop, loop_signal_fn *callback, void *arg)
{
	loop->on_signal = callback;
	loop->signal_arg = arg;
}

int loop_watch_fd(struct loop *loop, int fd, short events, loop_fd_fn *callback, void *arg)
{
	if (loop->watch_count == LOOP_MAX_WATCHES) {
		errno = ENOSPC;
		return -1;
	}
	loop->watches[loop->watch_count++] = (struct loop_watch){fd, events, callback, arg, loop->next_watch_id++};
	return 0;
}

void loop_unwatch_fd(struct loop *loop, int fd)
{
	for (size_t i = 0; i < loop->watch_count; i++) {
		if (loop->watches[i].fd == fd) {
			loop->watches[i] = loop->watches[--loop->watch_count];
			return;
		}
	}
}

/* A timer id is its slot plus a generation, so that the id of an expired
 * timer never names the timer that reuses its slot. */
#define TIMER_ID(slot, generation) ((int)(((generation) % (INT_MAX / LOOP_MAX_TIMERS)) * LOOP_MAX_TIMERS + (slot)))

int loop_add_timer(struct loop *loop, int64_t delay_ms, loop_timer_fn *callback, void *arg)
{
	for (int slot = 0; slot < LOOP_MAX_TIMERS; slot++) {
		if (loop->timers[slot].deadline_ms == 0) {
			unsigned generation = loop->next_generation++;

			/* +1 keeps a deadline of "now" distinct from a free slot. */
			loop->timers[slot] =
			    (struct loop_timer){loop_now_ms() + delay_ms + 1, callback, arg, generation};
			return TIMER_ID(slot, generation);
		}
	}
	errno = ENOSPC;
	return -1;
}

void loop_cancel_timer(struct loop *loop, int timer_id)
{
	int slot = timer_id % LOOP_MAX_TIMERS;

	if (timer_id >= 0 && loop->timers[slot].deadline_ms &&
	    TIMER_ID(slot, loop->timers[slot].generation) == timer_id)
		loop->timers[slot].deadline_ms = 0;
}

void loop_stop(struct loop *loop)
{
	loop->stopped = true;
}

/* Milliseconds until the earliest timer, or -1 (no timer: wait forever). */
STAYS_RESIDENT static int next_timeout(const struct loop *loop)
{
	int64_t earliest = 0;
	int64_t now;

	for (int id = 0; id < LOOP_MAX_TIMERS; id++)
		if (loop->timers[id].deadline_ms && (!earliest || loop->timers[id].deadline_ms < earliest))
			earliest = loop->timers[id].deadline_ms;
	if (!earliest)
		return -1;
	now = loop_now_ms();
	if (earliest <= now)
		return 0;
	return earliest - now > 60000 ? 60000 : (int)(earliest - now);
}

/* The due timer with the earliest deadline, or -1. */
STAYS_RESIDENT static int earliest_due(const struct loop *loop, int64_t now)
{
	int best = -1;

	for (int slot = 0; slot < LOOP_MAX_TIMERS; slot++) {
		int64_t deadline = loop->timers[slot].deadline_ms;

		if (deadline && deadline <= now && (best < 0 || deadline < loop->timers[best].deadline_ms))
			best = slot;
	}
	return best;
}

STAYS_RESIDENT static void fire_timers(struct loop *loop)
{
	int64_t now = loop_now_ms();
	int slot;

	/* Timers added by a callback are due no earlier than now + 1. */
	while (!loop->stopped && (slot = earliest_due(loop, now)) >= 0) {
		struct loop_timer timer = loop->timers[slot];

		loop->timers[slot].deadline_ms = 0;
		timer.callback(loop, timer.arg);
	}
}

static int read_signals(struct loop *loop)
{
	struct signalfd_siginfo info;

	while (!loop->stopped) {
		ssize_t n = read(loop->signal_fd, &info, sizeof(info));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n != (ssize_t)sizeof(info))
			return -1;
		if (loop->on_signal)
			loop->on_signal(loop, &info, loop->signal_arg);
	}
	return 0;
}

static bool still_watched(const struct loop *loop, const struct loop_watch *watch)
{
	for (size_t i = 0; i < loop->watch_count; i++)
		if (loop->watches[i].id == watch->id)
			return true;
	return false;
}

STAYS_RESIDENT int loop_run(struct loop *loop)
{
	loop->stopped = false;
	while (!loop->stopped) {
		struct pollfd fds[LOOP_MAX_WATCHES + 1];
		struct loop_watch watches[LOOP_MAX_WATCHES];
		size_t count = loop->watch_count;
		int ready;

		/* Callbacks may add or remove watches: dispatch from a copy. */
		memcpy(watches, loop->watches, count * sizeof(watches[0]));
		fds[0] = (struct pollfd){.fd = loop->signal_fd, .events = POLLIN};
		for (size_t i = 0; i < count; i++)
			fds[i + 1] = (struct pollfd){.fd = watches[i].fd, .events = watches[i].events};
		ready = poll(fds, count + 1, next_timeout(loop));
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready < 0)
			return -1;
		if ((fds[0].revents & POLLIN) && read_signals(loop) < 0)
			return -1;
		for (size_t i = 0; i < count && !loop->stopped; i++)
			if (fds[i + 1].revents && still_watched(loop, &watches[i]))
				watches[i].callback(loop, watches[i].fd, fds[i + 1].revents, watches[i].arg);
		fire_timers(loop);
	}
	return 0;
}
