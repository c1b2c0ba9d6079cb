#include "phases.h"

#include "exit-codes.h"
#include "log.h"
#include "wait.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PROGRESS_INTERVAL_MS 5000

/* http-status as numbers; an error names the bad item. */
static int http_statuses(const struct config *config, int *statuses, size_t capacity, size_t *count)
{
	char **items;
	size_t n = config_list(config, SETTING_HTTP_STATUS, &items);
	int status = 0;

	*count = 0;
	for (size_t i = 0; i < n && status == 0; i++) {
		char *end;
		long code = strtol(items[i], &end, 10);

		if (*end || code < 100 || code > 599 || *count == capacity) {
			log_error("invalid http-status '%s': expected HTTP status codes from 100 to 599, e.g. 200,204",
			          items[i]);
			status = -1;
		} else {
			statuses[(*count)++] = (int)code;
		}
	}
	config_list_free(items);
	return status;
}

int phase_wait(const struct invocation *invocation, struct loop *loop)
{
	const struct config *config = &invocation->config;
	struct wait_params params = {
	    .loop = loop,
	    .database_url = config_text(config, SETTING_DATABASE_URL),
	    .timeout_ms = config_duration_ms(config, SETTING_WAIT_TIMEOUT),
	    .attempt_timeout_ms = config_duration_ms(config, SETTING_ATTEMPT_TIMEOUT),
	    .backoff_max_ms = config_duration_ms(config, SETTING_BACKOFF_MAX),
	    .progress_interval_ms = PROGRESS_INTERVAL_MS,
	};
	struct wait_result result;
	int statuses[64];
	char **urls;

	if (http_statuses(config, statuses, sizeof(statuses) / sizeof(statuses[0]), &params.http_status_count) < 0)
		return EXIT_CONFIG;
	params.http_statuses = statuses;
	params.http_ca_file = config_text(config, SETTING_HTTP_CA_FILE);
	params.http_insecure = config_bool(config, SETTING_HTTP_INSECURE);
	params.url_count = config_list(config, SETTING_WAIT, &urls);
	params.database_created_later = phase_migrate_creates_database;
	params.database_created_later_arg = invocation;
	params.urls = urls;
	wait_run(&params, &result);
	config_list_free(urls);
	switch (result.outcome) {
	case WAIT_READY:
		return 0;
	case WAIT_TIMED_OUT:
		return EXIT_TIMEOUT;
	case WAIT_REFUSED:
		return EXIT_UNAVAILABLE;
	case WAIT_STOPPED:
		log_info("stopped while waiting");
		return EXIT_SIGNAL_BASE + result.signal;
	case WAIT_BAD_URL:
		return EXIT_CONFIG;
	case WAIT_FAILED:
		break;
	}
	return EXIT_OS_ERROR;
}

int phase_wait_alone(const struct invocation *invocation)
{
	struct loop loop;
	int status;

	if (loop_init(&loop, &invocation->signals->blocked) < 0) {
		log_error("cannot create the signal descriptor: %s", strerror(errno));
		return EXIT_OS_ERROR;
	}
	status = phase_wait(invocation, &loop);
	loop_release(&loop);
	return status;
}
