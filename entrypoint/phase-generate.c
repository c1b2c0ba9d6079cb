/* The generate phase: `prisma generate` exactly when the client's inputs
 * changed since the last successful generate, or its output is gone. */
#include "phases.h"

#include "exit-codes.h"
#include "lockfile.h"
#include "log.h"
#include "prisma.h"
#include "record.h"
#include "value.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How often a waiting start tries the lock another start holds, and how
 * often it says it is still waiting. */
#define LOCK_POLL_MS     50
#define LOCK_PROGRESS_MS 5000
/* How many hex digits of a digest messages show. */
#define DIGEST_SHOWN 12
/* Room for a line that quotes a path or two. */
#define LINE_MAX_CHARS (2 * PATH_MAX + 256)

int client_inputs_find(const struct config *config, struct client_inputs *inputs, bool *found)
{
	struct schema_stop stop = {.should_stop = phase_stop_pending};
	char error[LINE_MAX_CHARS];
	char cwd[PATH_MAX];
	int status;

	*inputs = (struct client_inputs){.record_path = config_text(config, SETTING_GENERATE_RECORD)};
	*found = false;
	if (!getcwd(cwd, sizeof(cwd))) {
		log_error("cannot read the working directory: %s", strerror(errno));
		return EXIT_OS_ERROR;
	}
	status = schema_find(cwd, config_text(config, SETTING_SCHEMA), &inputs->schema, &stop, error, sizeof(error));
	if (status == SCHEMA_STOPPED)
		return phase_report_stopped("looking for the prisma schema");
	if (status < 0) {
		log_error("%s", error);
		return EXIT_CONFIG;
	}
	if (status == 0)
		return 0;
	log_verbose("prisma schema %s (found by %s)", inputs->schema.schema_path,
	            schema_rule_name(inputs->schema.rule));
	status = schema_digest(&inputs->schema, inputs->digest, &stop, error, sizeof(error));
	if (status < 0) {
		schema_inputs_release(&inputs->schema);
		if (status == SCHEMA_STOPPED)
			return phase_report_stopped("reading the prisma schema");
		log_error("%s", error);
		return EXIT_CONFIG;
	}
	*found = true;
	return 0;
}

int client_inputs_check(struct client_inputs *inputs)
{
	char error[LINE_MAX_CHARS];

	if (client_state_check(inputs->digest, inputs->record_path, inputs->schema.generator_output, &inputs->status,
	                       error, sizeof(error)) < 0) {
		log_error("%s: remove what is there, or set generate-record to another file", error);
		return EXIT_CANT_CREATE;
	}
	return 0;
}

void client_inputs_describe(const struct client_inputs *inputs, char *out, size_t size)
{
	client_state_describe(&inputs->status, inputs->digest, inputs->record_path, inputs->schema.generator_output,
	                      out, size);
}

void client_inputs_release(struct client_inputs *inputs)
{
	schema_inputs_release(&inputs->schema);
}

bool phase_stop_pending(void *arg)
{
	(void)arg;
	return proc_pending_stop_signal() != 0;
}

int phase_report_stopped(const char *what)
{
	int stop = proc_pending_stop_signal();
	char name[32];

	log_info("stopped by %s while %s", proc_signal_name(stop, name, sizeof(name)), what);
	return EXIT_SIGNAL_BASE + stop;
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

static int report_run(const struct invocation *invocation, const struct client_inputs *inputs,
                      const struct child_result *result, const struct prisma_cli *cli)
{
	char how[64];
	char signal_name[32];

	if (result->stop_signal) {
		log_info("stopped by %s during prisma generate: the app was not started, no record was written",
		         proc_signal_name(result->stop_signal, signal_name, sizeof(signal_name)));
		return EXIT_SIGNAL_BASE + result->stop_signal;
	}
	switch (result->outcome) {
	case CHILD_LOOP_FAILED:
		log_error("running prisma generate failed: %s", strerror(result->status));
		return EXIT_OS_ERROR;
	case CHILD_SPAWN_FAILED:
		return phase_report_spawn_failure(result, cli);
	case CHILD_SIGNALED:
		snprintf(how, sizeof(how), "was killed by %s",
		         proc_signal_name(result->status, signal_name, sizeof(signal_name)));
		break;
	case CHILD_EXITED:
		if (result->status == 0) {
			char error[LINE_MAX_CHARS];
			char took[32];

			if (record_write(inputs->record_path, inputs->digest, inputs->schema.schema_path, error,
			                 sizeof(error)) < 0) {
				log_error(
				    "%s: the client was generated but not recorded, and the app was not started; set "
				    "generate-record to a writable place",
				    error);
				return EXIT_CANT_CREATE;
			}
			value_format_duration(result->elapsed_ms, took, sizeof(took));
			log_info("prisma client generated in %s (inputs %.*s)", took, DIGEST_SHOWN, inputs->digest);
			return 0;
		}
		snprintf(how, sizeof(how), "exited with status %d", result->status);
		break;
	}
	if (config_choice(&invocation->config, SETTING_GENERATE_FAILURE) == CHOICE_GENERATE_FAILURE_WARN) {
		log_warning(
		    "PRISMA GENERATE FAILED (%s %s): starting the app ANYWAY because generate-failure=warn; its "
		    "Prisma client may not match %s",
		    cli->program, how, inputs->schema.schema_path);
		return 0;
	}
	log_error("prisma generate failed (%s %s): the app was not started, and the next start generates again; "
	          "fix the error above (generate-failure=warn starts the app anyway, for development)",
	          cli->program, how);
	return EXIT_GENERATE;
}

/* With the lock held: generate, and record what was generated from. */
static int generate(const struct invocation *invocation, struct loop *loop, const struct client_inputs *inputs,
                    struct lockfile *lock, const struct prisma_cli *cli, const char *reason)
{
	const char *args[] = {"generate", "--schema", inputs->schema.schema_path, NULL};
	struct prisma_run_params params = {
	    .loop = loop,
	    .signals = invocation->signals,
	    .cli = cli,
	    .args = args,
	    .database_url = config_text(&invocation->config, SETTING_DATABASE_URL),
	    .output_prefix = config_text(&invocation->config, SETTING_PRISMA_OUTPUT_PREFIX),
	    .stop_timeout_ms = config_duration_ms(&invocation->config, SETTING_STOP_TIMEOUT),
	};
	struct child_result result;
	char error[LINE_MAX_CHARS];
	bool inherited;

	/* Whatever record there is goes first, and comes back only with a
	 * finished client. An interrupted generate leaves the output half old,
	 * half new; a record of any inputs, these or earlier ones the schema
	 * may be put back to, would vouch for it; and it stays gone after a
	 * crash (record_remove syncs the folder). */
	if (record_remove(inputs->record_path, error, sizeof(error)) < 0) {
		log_error("%s: prisma generate was not run; set generate-record to a writable place", error);
		return EXIT_CANT_CREATE;
	}
	log_info("generating the prisma client: %s", reason);
	log_verbose("running %s generate --schema %s (found by %s)", cli->program, inputs->schema.schema_path,
	            cli->found_by);
	/* The CLI holds the lock with us: if we are killed, a prisma left
	 * writing the client keeps the next start waiting until it is done. */
	inherited = lock->held && lockfile_inherit(lock, true) == 0;
	prisma_run(&params, &result);
	if (inherited)
		lockfile_inherit(lock, false);
	return report_run(invocation, inputs, &result, cli);
}

/* Waits for a lock another start holds, saying so now and then. Returns 0
 * with the lock, or an exit code. */
static int wait_for_lock(struct lockfile *lock, struct loop *loop, const char *lock_path)
{
	int64_t started = loop_now_ms();
	int stop;
	int status;

	log_info("another process is generating the prisma client (lock %s): waiting", lock_path);
	while ((status = lockfile_wait(lock, loop, LOCK_POLL_MS, LOCK_PROGRESS_MS, &stop)) < 0 && errno == ETIMEDOUT) {
		char waited[32];

		value_format_duration(loop_now_ms() - started, waited, sizeof(waited));
		log_info("still waiting for the lock %s after %s", lock_path, waited);
	}
	if (status == 0) {
		char signal_name[32];

		log_info("stopped by %s while waiting for the generate lock",
		         proc_signal_name(stop, signal_name, sizeof(signal_name)));
		return EXIT_SIGNAL_BASE + stop;
	}
	if (status < 0) {
		log_error("cannot lock %s: %s", lock_path, strerror(errno));
		return EXIT_CANT_CREATE;
	}
	return 0;
}

/* The outcome of taking the lock: generate, skip, or an exit code (> 0). */
enum { LOCKED_GENERATE = 0, LOCKED_SKIP = -1 };

/* Takes the lock, then looks at the record again: another start may have
 * generated these inputs since it was first read. */
static int take_lock(struct lockfile *lock, struct loop *loop, struct client_inputs *inputs)
{
	char error[LINE_MAX_CHARS];
	char lock_path[PATH_MAX];
	char first_recorded[sizeof(inputs->status.recorded)];
	bool waited = false;
	int status;

	snprintf(lock_path, sizeof(lock_path), "%s.lock", inputs->record_path);
	if (lockfile_open(lock, lock_path, error, sizeof(error)) < 0) {
		log_error("cannot write the generate record %s: %s; set generate-record to a writable place, or "
		          "generate at build time",
		          inputs->record_path, error);
		return EXIT_CANT_CREATE;
	}
	status = lockfile_try(lock);
	if (status < 0) {
		/* ENOLCK and friends (some network filesystems): better one
		 * generate too many than none. */
		log_warning("cannot lock %s (%s): generating without the lock", lock_path, strerror(errno));
		return LOCKED_GENERATE;
	}
	if (status == 0) {
		status = wait_for_lock(lock, loop, lock_path);
		if (status != 0)
			return status;
		waited = true;
	}
	memcpy(first_recorded, inputs->status.recorded, sizeof(first_recorded));
	status = client_inputs_check(inputs);
	if (status != 0)
		return status;
	/* Current now, and not as first read: someone else generated. A forced
	 * start does not repeat that either. */
	if (inputs->status.state == CLIENT_CURRENT &&
	    (waited || strcmp(first_recorded, inputs->status.recorded) != 0)) {
		log_info("prisma client was generated by another process meanwhile (inputs %.*s): generate skipped",
		         DIGEST_SHOWN, inputs->digest);
		return LOCKED_SKIP;
	}
	return LOCKED_GENERATE;
}

void phase_schema_release(struct phase_schema *schema)
{
	free(schema->path);
	*schema = (struct phase_schema){0};
}

int phase_generate(const struct invocation *invocation, struct loop *loop, struct phase_schema *schema)
{
	const struct config *config = &invocation->config;
	bool force = config_bool(config, SETTING_FORCE_GENERATE);
	struct lockfile lock = LOCKFILE_INIT;
	struct client_inputs inputs;
	struct prisma_cli cli;
	char error[LINE_MAX_CHARS];
	bool found;
	int status;

	if (config_bool(config, SETTING_NO_GENERATE)) {
		log_verbose("generate skipped: no-generate is set");
		return 0;
	}
	status = client_inputs_find(config, &inputs, &found);
	if (status != 0)
		return status;
	schema->searched = true;
	if (found && !(schema->path = strdup(inputs.schema.schema_path))) {
		log_error("cannot keep the schema's path: %s", strerror(ENOMEM));
		client_inputs_release(&inputs);
		return EXIT_OS_ERROR;
	}
	if (!found) {
		log_info("no Prisma schema found: generate skipped");
		return 0;
	}
	status = client_inputs_check(&inputs);
	if (status == 0 && inputs.status.state == CLIENT_CURRENT && !force) {
		log_info("prisma client is current (inputs %.*s): generate skipped", DIGEST_SHOWN, inputs.digest);
		client_inputs_release(&inputs);
		return 0;
	}
	if (status == 0 && prisma_locate(config_text(config, SETTING_PRISMA_CLI), &cli, error, sizeof(error)) < 0) {
		log_error("%s", error);
		status = EXIT_CONFIG;
	}
	if (status == 0) {
		char reason[LINE_MAX_CHARS];

		if (inputs.status.state == CLIENT_CURRENT)
			snprintf(reason, sizeof(reason), "force-generate is set");
		else
			client_inputs_describe(&inputs, reason, sizeof(reason));
		status = take_lock(&lock, loop, &inputs);
		if (status == LOCKED_GENERATE)
			status = generate(invocation, loop, &inputs, &lock, &cli, reason);
		else if (status == LOCKED_SKIP)
			status = 0;
	}
	lockfile_release(&lock);
	client_inputs_release(&inputs);
	return status;
}
