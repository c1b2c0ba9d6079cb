/* The generate phase: `prisma generate` exactly when the client's inputs
 * changed since the last successful generate, or its output is gone. */
#include "phases.h"

#include "exit-codes.h"
#include "lockfile.h"
#include "log.h"
#include "prisma.h"
#include "record.h"
#include "value.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* How often a waiting start tries the lock another start holds. */
#define LOCK_POLL_MS 50
/* How many hex digits of a digest messages show. */
#define DIGEST_SHOWN 12

/* An output folder with something in it; a reinstall of node_modules
 * removes node_modules/.prisma/client entirely. */
static bool output_present(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *entry;
	bool found = false;

	if (!dir)
		return false;
	while (!found && (entry = readdir(dir)))
		found = strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0;
	closedir(dir);
	return found;
}

/* The record and the output as they are now; inputs and digest stay. */
static int check_record(struct client_check *check)
{
	char error[1024];
	int found = record_read(check->record_path, check->recorded, error, sizeof(error));

	if (found < 0) {
		log_error("%s", error);
		return EXIT_CANT_CREATE;
	}
	if (!found) {
		check->recorded[0] = '\0';
		check->state = CLIENT_NO_RECORD;
	} else if (strcmp(check->recorded, check->digest) != 0)
		check->state = CLIENT_CHANGED;
	/* Without a client generator there is no output to look for. */
	else if (check->inputs.generator_output && !output_present(check->inputs.generator_output))
		check->state = CLIENT_OUTPUT_MISSING;
	else
		check->state = CLIENT_CURRENT;
	return 0;
}

int client_check(const struct config *config, struct client_check *check)
{
	char error[1024];
	char cwd[PATH_MAX];
	int found;

	*check = (struct client_check){.record_path = config_text(config, SETTING_GENERATE_RECORD)};
	if (!getcwd(cwd, sizeof(cwd))) {
		log_error("cannot read the working directory: %s", strerror(errno));
		return EXIT_OS_ERROR;
	}
	found = schema_find(cwd, config_text(config, SETTING_SCHEMA), &check->inputs, error, sizeof(error));
	if (found < 0) {
		log_error("%s", error);
		return EXIT_CONFIG;
	}
	if (found == 0)
		return -1;
	log_verbose("prisma schema %s (found by %s)", check->inputs.schema_path, schema_rule_name(check->inputs.rule));
	if (schema_digest(&check->inputs, check->digest, error, sizeof(error)) < 0) {
		log_error("%s", error);
		schema_inputs_release(&check->inputs);
		return EXIT_CONFIG;
	}
	found = check_record(check);
	if (found != 0)
		schema_inputs_release(&check->inputs);
	return found;
}

void client_check_release(struct client_check *check)
{
	schema_inputs_release(&check->inputs);
}

void client_state_describe(const struct client_check *check, char *out, size_t size)
{
	switch (check->state) {
	case CLIENT_CURRENT:
		snprintf(out, size, "the client matches its inputs (%.*s)", DIGEST_SHOWN, check->digest);
		return;
	case CLIENT_NO_RECORD:
		snprintf(out, size, "no record of an earlier generate at %s", check->record_path);
		return;
	case CLIENT_CHANGED:
		snprintf(out, size, "the inputs changed since the last generate (%.*s, now %.*s)", DIGEST_SHOWN,
		         check->recorded, DIGEST_SHOWN, check->digest);
		return;
	case CLIENT_OUTPUT_MISSING:
		snprintf(out, size, "the generated client is missing at %s", check->inputs.generator_output);
		return;
	}
}

static int report_run(const struct invocation *invocation, const struct client_check *check,
                      const struct prisma_result *result, const struct prisma_cli *cli)
{
	char what[64];

	switch (result->outcome) {
	case PRISMA_STOPPED:
		log_info("stopped by %s during prisma generate: the generate record was left as it was",
		         proc_signal_name(result->status, what, sizeof(what)));
		return EXIT_SIGNAL_BASE + result->status;
	case PRISMA_LOOP_FAILED:
		log_error("running prisma generate failed: %s", strerror(result->status));
		return EXIT_OS_ERROR;
	case PRISMA_SPAWN_FAILED:
		snprintf(what, sizeof(what), "could not start (%s)", strerror(result->status));
		break;
	case PRISMA_SIGNALED:
		snprintf(what, sizeof(what), "was killed by ");
		proc_signal_name(result->status, what + strlen(what), sizeof(what) - strlen(what));
		break;
	case PRISMA_EXITED:
		if (result->status == 0) {
			char error[1024];
			char took[32];

			if (record_write(check->record_path, check->digest, check->inputs.schema_path, error,
			                 sizeof(error)) < 0) {
				log_error("%s; the client was generated, but the next start will generate again: set "
				          "generate-record to a writable place",
				          error);
				return EXIT_CANT_CREATE;
			}
			value_format_duration(result->elapsed_ms, took, sizeof(took));
			log_info("prisma client generated in %s (inputs %.*s)", took, DIGEST_SHOWN, check->digest);
			return 0;
		}
		snprintf(what, sizeof(what), "exited with status %d", result->status);
		break;
	}
	if (config_choice(&invocation->config, SETTING_GENERATE_FAILURE) == CHOICE_GENERATE_FAILURE_WARN) {
		log_warning("WARNING: prisma generate failed (%s %s); starting the app ANYWAY because "
		            "generate-failure=warn: its Prisma client may not match %s",
		            cli->program, what, check->inputs.schema_path);
		return 0;
	}
	log_error("prisma generate failed (%s %s): the app was not started and the generate record was left as it "
	          "was; fix the error above (generate-failure=warn starts the app anyway, for development)",
	          cli->program, what);
	return EXIT_GENERATE;
}

/* With the lock held: generate, and record what was generated from. */
static int generate(const struct invocation *invocation, struct loop *loop, const struct client_check *check,
                    const struct prisma_cli *cli, const char *reason)
{
	const char *args[] = {"generate", "--schema", check->inputs.schema_path, NULL};
	struct prisma_run_params params = {
	    .loop = loop,
	    .signals = invocation->signals,
	    .cli = cli,
	    .args = args,
	    .database_url = config_text(&invocation->config, SETTING_DATABASE_URL),
	    .output_prefix = config_text(&invocation->config, SETTING_PRISMA_OUTPUT_PREFIX),
	    .stop_timeout_ms = config_duration_ms(&invocation->config, SETTING_STOP_TIMEOUT),
	};
	struct prisma_result result;

	log_info("generating the prisma client: %s", reason);
	log_verbose("running %s generate --schema %s (found by %s)", cli->program, check->inputs.schema_path,
	            cli->found_by);
	prisma_run(&params, &result);
	return report_run(invocation, check, &result, cli);
}

/* Takes the lock; when another start held it, the record may be current
 * now. Returns 0 to generate, -1 to skip, or an exit code. */
static int take_lock(struct lockfile *lock, struct loop *loop, struct client_check *check)
{
	char error[1024];
	char lock_path[PATH_MAX];
	int stop;
	int status;

	snprintf(lock_path, sizeof(lock_path), "%s.lock", check->record_path);
	if (lockfile_open(lock, lock_path, error, sizeof(error)) < 0) {
		log_error("cannot write the generate record %s: %s; set generate-record to a writable place, or "
		          "generate at build time",
		          check->record_path, error);
		return EXIT_CANT_CREATE;
	}
	status = lockfile_try(lock);
	if (status == 1)
		return 0;
	if (status == 0) {
		log_info("another process is generating the prisma client (lock %s): waiting", lock_path);
		status = lockfile_wait(lock, loop, LOCK_POLL_MS, &stop);
		if (status == 0) {
			char what[32];

			log_info("stopped by %s while waiting for the generate lock",
			         proc_signal_name(stop, what, sizeof(what)));
			return EXIT_SIGNAL_BASE + stop;
		}
	}
	if (status < 0) {
		log_error("cannot lock %s: %s", lock_path, strerror(errno));
		return EXIT_CANT_CREATE;
	}
	/* Another start just generated: even a forced start need not repeat it. */
	status = check_record(check);
	if (status != 0)
		return status;
	if (check->state == CLIENT_CURRENT) {
		log_info("prisma client was generated by another process meanwhile (inputs %.*s): generate skipped",
		         DIGEST_SHOWN, check->digest);
		return -1;
	}
	return 0;
}

int phase_generate(const struct invocation *invocation, struct loop *loop)
{
	const struct config *config = &invocation->config;
	bool force = config_bool(config, SETTING_FORCE_GENERATE);
	struct lockfile lock = LOCKFILE_INIT;
	struct client_check check;
	struct prisma_cli cli;
	char error[1024];
	char reason[PATH_MAX + 128];
	int status;

	if (config_bool(config, SETTING_NO_GENERATE)) {
		log_verbose("generate skipped: no-generate is set");
		return 0;
	}
	status = client_check(config, &check);
	if (status == -1) {
		log_info("no Prisma schema found: generate skipped");
		return 0;
	}
	if (status != 0)
		return status;
	if (check.state == CLIENT_CURRENT && !force) {
		log_info("prisma client is current (inputs %.*s): generate skipped", DIGEST_SHOWN, check.digest);
		client_check_release(&check);
		return 0;
	}
	if (prisma_locate(config_text(config, SETTING_PRISMA_CLI), &cli, error, sizeof(error)) < 0) {
		log_error("%s", error);
		client_check_release(&check);
		return EXIT_CONFIG;
	}
	if (force && check.state == CLIENT_CURRENT)
		snprintf(reason, sizeof(reason), "force-generate is set");
	else
		client_state_describe(&check, reason, sizeof(reason));
	status = take_lock(&lock, loop, &check);
	if (status == 0)
		status = generate(invocation, loop, &check, &cli, reason);
	else if (status == -1)
		status = 0;
	lockfile_release(&lock);
	client_check_release(&check);
	return status;
}
