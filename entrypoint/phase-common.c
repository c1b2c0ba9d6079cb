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

int phase_report_spawn_failure(const struct child_result *result, const struct prisma_cli *cli)
{
	if (result->failed == PROC_FAILED_FORK) {
		log_error("cannot start the prisma CLI: %s", strerror(result->status));
		return EXIT_OS_ERROR;
	}
	log_error("cannot run the prisma CLI %s (found by %s): %s; reinstall prisma, or set prisma-cli", cli->program,
	          cli->found_by, strerror(result->status));
	return EXIT_CONFIG;
}
