#include "phases.h"

#include "exit-codes.h"
#include "log.h"
#include "migrate-plan.h"
#include "pg-probe.h"
#include "schema.h"
#include "url.h"
#include "wait.h"

#include <errno.h>
#include <limits.h>
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

/* A file: database-url names a file relative to the schema's folder in
 * Prisma 6: the schema is looked for (only then) to wait for the right
 * folder. Returns 0 with out filled, 1 when there is nothing to resolve
 * (not file:, or no schema: the wait resolves it from the working
 * directory), or an exit code after one line. */
static int resolve_sqlite_file(const struct config *config, char *out, size_t out_size)
{
	const char *url = config_text(config, SETTING_DATABASE_URL);
	struct schema_stop stop = {.should_stop = phase_stop_pending};
	struct schema_inputs inputs;
	char error[2 * PATH_MAX];
	int found;

	if (!url || !url_has_scheme(url, "file"))
		return 1;
	found = schema_find(".", config_text(config, SETTING_SCHEMA), &inputs, &stop, error, sizeof(error));
	if (found == SCHEMA_STOPPED)
		return phase_report_stopped("looking for the prisma schema");
	if (found != 1) {
		schema_inputs_release(&inputs);
		return 1; /* the phases that need the schema say what is wrong with it */
	}
	if (migrate_plan_sqlite_file(url, &inputs, out, out_size, error, sizeof(error)) < 0) {
		schema_inputs_release(&inputs);
		log_error("database-url: %s", error);
		return EXIT_CONFIG;
	}
	if (inputs.prisma_version)
		log_verbose("database-url names the SQLite file %s (from %s, as prisma %s resolves it)", out,
		            inputs.schema_path, inputs.prisma_version);
	else
		log_verbose("database-url names the SQLite file %s (from %s, as Prisma 6 resolves it: no prisma is "
		            "installed here to say which)",
		            out, inputs.schema_path);
	schema_inputs_release(&inputs);
	return 0;
}

void phase_connection_release(struct phase_connection *connection)
{
	if (connection->probe)
		pgconn_probe_free(connection->probe);
	*connection = (struct phase_connection){0};
}

int phase_wait(const struct invocation *invocation, struct loop *loop, struct phase_connection *keep)
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

	char sqlite_file[PATH_MAX];
	int resolved;

	if (http_statuses(config, statuses, sizeof(statuses) / sizeof(statuses[0]), &params.http_status_count) < 0)
		return EXIT_CONFIG;
	resolved = resolve_sqlite_file(config, sqlite_file, sizeof(sqlite_file));
	if (resolved > 1)
		return resolved;
	params.sqlite_file = resolved == 0 ? sqlite_file : NULL;
	params.http_statuses = statuses;
	params.http_ca_file = config_text(config, SETTING_HTTP_CA_FILE);
	params.http_insecure = config_bool(config, SETTING_HTTP_INSECURE);
	params.url_count = config_list(config, SETTING_WAIT, &urls);
	params.database_created_later = phase_migrate_creates_database;
	params.database_created_later_arg = invocation;
	params.urls = urls;
	/* Only for the phase that reads _prisma_migrations through it. */
	params.keep_database_connection = keep && (migrate_plan_mode(config) == CHOICE_MIGRATE_DEPLOY ||
	                                           migrate_plan_mode(config) == CHOICE_MIGRATE_WAIT);
	wait_run(&params, &result);
	config_list_free(urls);
	if (result.database_connection) {
		*keep = (struct phase_connection){.probe = result.database_connection, .url = params.database_url};
	}
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
	status = phase_wait(invocation, &loop, NULL);
	loop_release(&loop);
	return status;
}
