#include "phases.h"

#include "exit-codes.h"
#include "log.h"
#include "wait.h"

#define PROGRESS_INTERVAL_MS 5000

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
	char **urls;

	params.url_count = config_list(config, SETTING_WAIT, &urls);
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
