#include "lock-wait.h"

#include "log.h"
#include "proc.h"
#include "value.h"

#include <errno.h>

struct waiting {
	const struct lock_wait_params *params;
	struct lock_wait_result *result;
	int64_t started_ms;
	int64_t next_progress_ms;
	int timer;
	bool over;
};

/* One try; true when the wait is over (result filled). */
static bool try_once(struct waiting *waiting)
{
	struct lock_wait_result *result = waiting->result;
	int64_t deadline_ms = waiting->params->deadline_ms;
	enum lock_try tried;

	if (deadline_ms > 0 && loop_now_ms() >= deadline_ms && result->tries > 0) {
		result->outcome = LOCK_WAIT_TIMED_OUT;
		return true;
	}
	tried = waiting->params->try_lock(waiting->params->arg);

	result->tries++;
	switch (tried) {
	case LOCK_TRY_TAKEN:
		result->outcome = LOCK_WAIT_TAKEN;
		return true;
	case LOCK_TRY_FAILED:
		result->outcome = LOCK_WAIT_FAILED;
		result->error = errno;
		return true;
	case LOCK_TRY_STOPPED:
		result->outcome = LOCK_WAIT_STOPPED;
		result->stop_signal = proc_pending_stop_signal();
		return true;
	case LOCK_TRY_HELD:
		break;
	}
	return false;
}

static void over(struct loop *loop, struct waiting *waiting)
{
	waiting->over = true;
	loop_stop(loop);
}

static void on_poll(struct loop *loop, void *arg)
{
	struct waiting *waiting = arg;
	const struct lock_wait_params *params = waiting->params;

	waiting->timer = -1;
	if (waiting->over)
		return;
	if (loop_now_ms() >= waiting->next_progress_ms) {
		char waited[32];

		value_format_duration(loop_now_ms() - waiting->started_ms, waited, sizeof(waited));
		log_info("still waiting for %s after %s", params->what, waited);
		waiting->next_progress_ms += params->progress_ms;
	}
	if (try_once(waiting)) {
		over(loop, waiting);
		return;
	}
	waiting->timer = loop_add_timer(loop, params->poll_ms, on_poll, waiting);
	if (waiting->timer < 0) {
		waiting->result->outcome = LOCK_WAIT_FAILED;
		waiting->result->error = errno;
		over(loop, waiting);
	}
}

static void on_signal(struct loop *loop, const struct signalfd_siginfo *info, void *arg)
{
	struct waiting *waiting = arg;

	if (!waiting->over && proc_is_stop_signal((int)info->ssi_signo)) {
		waiting->result->outcome = LOCK_WAIT_STOPPED;
		waiting->result->stop_signal = (int)info->ssi_signo;
		over(loop, waiting);
	}
}

void lock_wait(const struct lock_wait_params *params, struct lock_wait_result *result)
{
	struct waiting waiting = {.params = params, .result = result, .timer = -1};

	*result = (struct lock_wait_result){.outcome = LOCK_WAIT_FAILED};
	if (!params->held && try_once(&waiting))
		return;
	result->waited = true;
	if (params->announce)
		log_info("%s", params->announce);
	waiting.started_ms = loop_now_ms();
	waiting.next_progress_ms = waiting.started_ms + params->progress_ms;
	waiting.timer = loop_add_timer(params->loop, params->poll_ms, on_poll, &waiting);
	if (waiting.timer < 0) {
		result->error = errno;
		return;
	}
	loop_on_signal(params->loop, on_signal, &waiting);
	while (!waiting.over) {
		if (loop_run(params->loop) < 0) {
			result->outcome = LOCK_WAIT_FAILED;
			result->error = errno;
			break;
		}
	}
	loop_on_signal(params->loop, NULL, NULL);
	loop_cancel_timer(params->loop, waiting.timer);
}
