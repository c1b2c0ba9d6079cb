/* The generate phase: `prisma generate` exactly when the client's inputs
 * changed since the last successful generate, or its output is gone. */
#include "phases.h"

#include "exit-codes.h"
#include "lockfile.h"
#include "log.h"
#include "prisma.h"
#include "generate-record.h"
#include "value.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How many hex digits of a digest messages show. */
#define DIGEST_SHOWN 12
/* Room for a line that quotes a path or two. */
#define LINE_MAX_CHARS (2 * PATH_MAX + 256)
/* DATABASE_URL for generate when no database URL is configured (an image
 * build). Prisma 7 evaluates prisma.config.ts even for generate, and its
 * env("DATABASE_URL") throws when the variable is unset; generate never
 * connects, and accepts a URL of another provider's scheme. The .invalid
 * host (RFC 2606) resolves nowhere, should anything try. */
#define PLACEHOLDER_DATABASE_URL "postgresql://placeholder:placeholder@placeholder.invalid:5432/placeholder"

static int report_run(const struct invocation *invocation, struct client_inputs *inputs,
                      const struct child_result *result, const struct prisma_cli *cli)
{
	char how[64];
	int ended = phase_cli_ended(result, cli, "prisma generate", "no record was written", how, sizeof(how));

	if (ended == 0 && !client_inputs_check_engine(inputs)) {
		char line[2 * LINE_MAX_CHARS];

		/* binaryTargets without this platform: the generate succeeded, and
		 * the app would fail at its first query. */
		client_inputs_describe_engine(inputs, line, sizeof(line));
		if (config_choice(&invocation->config, SETTING_GENERATE_FAILURE) == CHOICE_GENERATE_FAILURE_WARN) {
			log_warning(
			    "prisma generate ran, but %s; starting the app ANYWAY because generate-failure=warn", line);
			return 0;
		}
		log_error("prisma generate ran, but %s; no record was written and the app was not started", line);
		return EXIT_GENERATE;
	}
	if (ended == 0) {
		char error[LINE_MAX_CHARS];
		char took[32];
		struct file_owner owner;

		if (record_write(inputs->record_path, inputs->digest, inputs->schema.schema_path,
		                 phase_file_owner(invocation, &owner), error, sizeof(error)) < 0) {
			log_error("%s: the client was generated but not recorded, and the app was not started; set "
			          "generate-record to a writable place",
			          error);
			return EXIT_CANT_CREATE;
		}
		value_format_duration(result->elapsed_ms, took, sizeof(took));
		log_info("prisma client generated in %s (inputs %.*s)", took, DIGEST_SHOWN, inputs->digest);
		return 0;
	}
	if (ended != PHASE_CLI_FAILED)
		return ended;
	if (config_choice(&invocation->config, SETTING_GENERATE_FAILURE) == CHOICE_GENERATE_FAILURE_WARN) {
		log_warning(
		    "PRISMA GENERATE FAILED (%s: %s): starting the app ANYWAY because generate-failure=warn; its "
		    "Prisma client may not match %s",
		    cli->program, how, inputs->schema.schema_path);
		return 0;
	}
	log_error("prisma generate failed (%s: %s): the app was not started, and the next start generates again; "
	          "fix the error above (generate-failure=warn starts the app anyway, for development)",
	          cli->program, how);
	return EXIT_GENERATE;
}

/* With the lock held: generate, and record what was generated from. */
static int generate(const struct invocation *invocation, struct loop *loop, struct client_inputs *inputs,
                    struct lockfile *lock, const struct prisma_cli *cli, const char *reason)
{
	const char *args[] = {"generate", "--schema", inputs->schema.schema_path, NULL};
	const char *database_url = config_text(&invocation->config, SETTING_DATABASE_URL);
	struct prisma_run_params params = {
	    .loop = loop,
	    .signals = invocation->signals,
	    .user = phase_child_user(invocation),
	    .cli = cli,
	    .args = args,
	    .database_url = database_url && *database_url ? database_url : PLACEHOLDER_DATABASE_URL,
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
	if (params.database_url != database_url)
		log_info("database-url is not set: prisma generate gets DATABASE_URL=%s, a placeholder (Prisma 7's "
		         "prisma.config.ts needs one even for generate, which never connects)",
		         PLACEHOLDER_DATABASE_URL);
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

/* Takes the lock, waiting while another start holds it, then looks at the
 * record again: another start may have generated these inputs since it was
 * first read. Returns 0 with *verdict (RUN, or MEANWHILE), or an exit code. */
static int take_lock(const struct invocation *invocation, struct lockfile *lock, struct loop *loop,
                     struct client_inputs *inputs, enum generate_verdict *verdict)
{
	char lock_path[PATH_MAX];
	char cannot_open[PATH_MAX + 64];
	char first_recorded[sizeof(inputs->status.recorded)];
	const struct phase_lock_text text = {
	    .cannot_open = cannot_open,
	    .advice = "set generate-record to a writable place, or generate at build time",
	    .holder = "generating the prisma client",
	    .doing = "generating",
	};
	struct file_owner owner;
	bool waited;
	int status;

	*verdict = GENERATE_RUN;
	snprintf(lock_path, sizeof(lock_path), "%s.lock", inputs->record_path);
	snprintf(cannot_open, sizeof(cannot_open), "cannot write the generate record %s", inputs->record_path);
	status = phase_take_file_lock(lock, loop, lock_path, lockfile_open, phase_file_owner(invocation, &owner), &text,
	                              &waited);
	if (status != 0 || !lock->held)
		return status;
	memcpy(first_recorded, inputs->status.recorded, sizeof(first_recorded));
	status = client_inputs_check(inputs);
	if (status != 0)
		return status;
	*verdict = client_state_verdict(&inputs->status, first_recorded, waited, false);
	if (*verdict == GENERATE_MEANWHILE)
		log_info("prisma client was generated by another process meanwhile (inputs %.*s): generate skipped",
		         DIGEST_SHOWN, inputs->digest);
	return 0;
}

/* Keeps where the schema was found for the migrate phase (phases.h). */
static int keep_schema(struct phase_schema *schema, const struct client_inputs *inputs, bool found)
{
	schema->searched = true;
	schema->prisma_major = found ? schema_major_version(inputs->schema.prisma_version) : -1;
	if (found && (!(schema->path = strdup(inputs->schema.schema_path)) ||
	              schema_direct_urls_copy(&schema->direct_urls, &inputs->schema.direct_urls) < 0)) {
		log_error("cannot keep the schema's path: %s", strerror(ENOMEM));
		return EXIT_OS_ERROR;
	}
	return 0;
}

/* no-generate: the client was generated elsewhere (an image's build stage,
 * the host); stops before the app when it cannot run on this platform. */
static int check_engine_only(const struct invocation *invocation, struct phase_schema *schema)
{
	struct client_inputs inputs;
	bool found;
	int status = client_inputs_find_engine(&invocation->config, &inputs, &found);

	if (status != 0 || !found)
		return status;
	status = keep_schema(schema, &inputs, found);
	if (status == 0 && inputs.engine_judged && !inputs.engine.present) {
		char line[2 * LINE_MAX_CHARS];

		client_inputs_describe_engine(&inputs, line, sizeof(line));
		log_error("%s; the app was not started (no-generate is set)", line);
		status = EXIT_GENERATE;
	} else if (status == 0 && inputs.engine_judged) {
		log_verbose("the generated client holds the query engine for %s: %s", inputs.target.name,
		            inputs.engine.file);
	}
	client_inputs_release(&inputs);
	return status;
}

int phase_generate(const struct invocation *invocation, struct loop *loop, struct phase_schema *schema)
{
	const struct config *config = &invocation->config;
	bool force = config_bool(config, SETTING_FORCE_GENERATE);
	struct lockfile lock = LOCKFILE_INIT;
	struct client_inputs inputs;
	struct prisma_cli cli;
	char error[LINE_MAX_CHARS];
	enum generate_verdict verdict = GENERATE_RUN;
	bool found;
	int status;

	/* Before generate: an install empties node_modules, the generated client
	 * with it, and the client check below then sees it gone. */
	status = phase_install(invocation, loop);
	if (status != 0)
		return status;
	if (config_bool(config, SETTING_NO_GENERATE)) {
		log_verbose("generate skipped: no-generate is set");
		return check_engine_only(invocation, schema);
	}
	status = client_inputs_find(config, &inputs, &found);
	if (status != 0)
		return status;
	status = keep_schema(schema, &inputs, found);
	if (status != 0) {
		client_inputs_release(&inputs);
		return status;
	}
	if (!found) {
		log_info("no Prisma schema found: generate skipped");
		return 0;
	}
	status = client_inputs_check(&inputs);
	if (status == 0)
		verdict = client_state_verdict(&inputs.status, NULL, false, force);
	if (status == 0 && verdict == GENERATE_CURRENT) {
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
		status = take_lock(invocation, &lock, loop, &inputs, &verdict);
		if (status == 0 && verdict == GENERATE_RUN)
			status = generate(invocation, loop, &inputs, &lock, &cli, reason);
	}
	lockfile_release(&lock);
	client_inputs_release(&inputs);
	return status;
}
