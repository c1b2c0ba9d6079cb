/* What the phases share: how a stop signal ends one, how a Prisma CLI that
 * cannot be started is reported, and the schema one phase found for the next. */
#include "phases.h"

#include "exit-codes.h"
#include "log.h"
#include "proc.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void phase_schema_release(struct phase_schema *schema)
{
	free(schema->path);
	schema_direct_urls_release(&schema->direct_urls);
	*schema = (struct phase_schema){0};
}

bool phase_stop_pending(void *arg)
{
	(void)arg;
	return proc_pending_stop_signal() != 0;
}

int phase_report_stop(int stop_signal, const char *what)
{
	char name[32];

	log_info("stopped by %s while %s", proc_signal_name(stop_signal, name, sizeof(name)), what);
	return EXIT_SIGNAL_BASE + stop_signal;
}

int phase_report_stopped(const char *what)
{
	return phase_report_stop(proc_pending_stop_signal(), what);
}

int phase_lock_wait(struct lock_wait_params *params, struct loop *loop, const char *waiting_for,
                    struct lock_wait_result *result)
{
	char during[2 * PATH_MAX + 320];

	params->loop = loop;
	params->poll_ms = LOCK_WAIT_POLL_MS;
	params->progress_ms = LOCK_WAIT_PROGRESS_MS;
	lock_wait(params, result);
	if (result->outcome != LOCK_WAIT_STOPPED)
		return 0;
	snprintf(during, sizeof(during), "waiting for %s", waiting_for);
	return phase_report_stop(result->stop_signal, during);
}

int phase_take_file_lock(struct lockfile *lock, struct loop *loop, const char *path,
                         int (*open_lock)(struct lockfile *, const char *, const struct file_owner *, char *, size_t),
                         const struct file_owner *owner, const struct phase_lock_text *text, bool *waited)
{
	char error[2 * PATH_MAX + 256];
	char announce[PATH_MAX + 256];
	char what[PATH_MAX + 16];
	struct lock_wait_params params = {.try_lock = lockfile_take, .arg = lock, .announce = announce, .what = what};
	struct lock_wait_result result;
	int status;

	if (waited)
		*waited = false;
	if (open_lock(lock, path, owner, error, sizeof(error)) < 0) {
		log_error("%s: %s; %s", text->cannot_open, error, text->advice);
		return EXIT_CANT_CREATE;
	}
	snprintf(announce, sizeof(announce), "another process is %s (lock %s): waiting", text->holder, path);
	snprintf(what, sizeof(what), "the lock %s", path);
	status = phase_lock_wait(&params, loop, what, &result);
	if (status != 0)
		return status;
	if (waited)
		*waited = result.waited;
	if (result.outcome == LOCK_WAIT_FAILED) {
		/* After a wait the lock worked a moment ago: this is no file
		 * system that cannot lock, and going on could do the work twice
		 * at once. */
		if (result.waited) {
			log_error("cannot lock %s: %s", path, strerror(result.error));
			return EXIT_CANT_CREATE;
		}
		log_warning("cannot lock %s (%s): %s without the lock", path, strerror(result.error), text->doing);
	}
	return 0;
}

struct pg_session_params phase_session_params(const struct config *config, const struct pg_target *target)
{
	return (struct pg_session_params){
	    .target = target,
	    .timeout_ms = config_duration_ms(config, SETTING_ATTEMPT_TIMEOUT),
	    .should_stop = phase_stop_pending,
	};
}

int phase_report_spawn_failure(const struct child_result *result, const struct prisma_cli *cli)
{
	if (result->failed == PROC_FAILED_FORK) {
		log_error("cannot start the prisma CLI: %s", strerror(result->status));
		return EXIT_OS_ERROR;
	}
	if (result->failed == PROC_FAILED_USER) {
		log_error("cannot run the prisma CLI %s as the configured user: the switch failed: %s", cli->program,
		          strerror(result->status));
		return EXIT_CONFIG;
	}
	log_error("cannot run the prisma CLI %s (found by %s): %s; reinstall prisma, or set prisma-cli", cli->program,
	          cli->found_by, strerror(result->status));
	return EXIT_CONFIG;
}

int phase_cli_ended(const struct child_result *result, const struct prisma_cli *cli, const char *what,
                    const char *after_stop, char *how, size_t how_size)
{
	char signal_name[32];

	if (result->stop_signal) {
		log_info("stopped by %s during %s: the app was not started%s%s",
		         proc_signal_name(result->stop_signal, signal_name, sizeof(signal_name)), what,
		         after_stop ? "; " : "", after_stop ? after_stop : "");
		return EXIT_SIGNAL_BASE + result->stop_signal;
	}
	switch (result->outcome) {
	case CHILD_LOOP_FAILED:
		log_error("running %s failed: %s", what, strerror(result->status));
		return EXIT_OS_ERROR;
	case CHILD_SPAWN_FAILED:
		return phase_report_spawn_failure(result, cli);
	case CHILD_SIGNALED:
		snprintf(how, how_size, "killed by %s",
		         proc_signal_name(result->status, signal_name, sizeof(signal_name)));
		return PHASE_CLI_FAILED;
	case CHILD_EXITED:
		break;
	}
	if (result->status == 0)
		return 0;
	snprintf(how, how_size, "exit status %d", result->status);
	return PHASE_CLI_FAILED;
}
