/* The Prisma client's inputs and the generated client's state, as the
 * settings say where to find them (client-inputs.h). */
#include "client-inputs.h"

#include "exit-codes.h"
#include "log.h"
#include "phases.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Room for a line that quotes a path or two. */
#define LINE_MAX_CHARS (2 * PATH_MAX + 256)

void client_inputs_detect_target(struct client_inputs *inputs)
{
	if (inputs->target_known)
		return;
	engine_target_detect("/", NULL, &inputs->target);
	inputs->target_known = true;
}

/* The engine kind from the schema and the environment; the platform when
 * the client needs a native engine. */
static void decide_engine(struct client_inputs *inputs)
{
	inputs->engine_kind =
	    inputs->schema.generator_output
	        ? engine_kind_of_client(getenv("PRISMA_CLIENT_ENGINE_TYPE"), inputs->schema.generator_engine_type,
	                                schema_major_version(inputs->schema.client_version))
	        : ENGINE_NONE;
	if (inputs->engine_kind != ENGINE_NONE)
		client_inputs_detect_target(inputs);
}

bool client_inputs_check_engine(struct client_inputs *inputs)
{
	inputs->engine_judged = false;
	if (inputs->engine_kind == ENGINE_NONE)
		return true;
	engine_query_check(inputs->schema.generator_output, inputs->engine_kind, inputs->target.name,
	                   getenv(engine_override_name(inputs->engine_kind)), &inputs->engine);
	/* A folder with no engine of that kind at all is no client generated
	 * for another platform: a client made with --no-engine (Accelerate),
	 * or none generated yet (a migration Job's image); not judged. */
	inputs->engine_judged = inputs->engine.present || inputs->engine.others_count > 0;
	return !inputs->engine_judged || inputs->engine.present;
}

static int find(const struct config *config, struct client_inputs *inputs, bool *found, bool digest)
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
	if (status < 0 && !digest) {
		/* no-generate: the schema is not this phase's business, and a
		 * schema that cannot be found only means no engine to look at
		 * (the migrate phase, when on, says what is wrong with it). */
		log_verbose("the client's engine is not looked at: %s", error);
		return 0;
	}
	if (status < 0) {
		log_error("%s", error);
		return EXIT_CONFIG;
	}
	if (status == 0)
		return 0;
	log_verbose("prisma schema %s (found by %s)", inputs->schema.schema_path,
	            schema_rule_name(inputs->schema.rule));
	decide_engine(inputs);
	if (inputs->engine_kind != ENGINE_NONE)
		log_verbose("the client needs the %s query engine for %s (libssl %s, found by %s)",
		            engine_kind_name(inputs->engine_kind), inputs->target.name,
		            inputs->target.libssl[0] ? inputs->target.libssl : "unknown", inputs->target.libssl_by);
	if (!digest) {
		*found = true;
		return 0;
	}
	status = schema_digest(&inputs->schema, inputs->engine_kind != ENGINE_NONE ? inputs->target.name : NULL,
	                       inputs->digest, &stop, error, sizeof(error));
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

int client_inputs_find(const struct config *config, struct client_inputs *inputs, bool *found)
{
	return find(config, inputs, found, true);
}

int client_inputs_find_engine(const struct config *config, struct client_inputs *inputs, bool *found)
{
	int status = find(config, inputs, found, false);

	if (status == 0 && *found)
		client_inputs_check_engine(inputs);
	return status;
}

void client_inputs_describe_engine(const struct client_inputs *inputs, char *out, size_t size)
{
	char holds[sizeof(inputs->engine.others) + 64];

	if (inputs->engine.others_count)
		snprintf(holds, sizeof(holds), "it holds %s", inputs->engine.others);
	else
		snprintf(holds, sizeof(holds), "it holds no %s engine", engine_kind_name(inputs->engine_kind));
	snprintf(out, size,
	         "the generated Prisma client at %s has no query engine for this platform, %s (%s is missing; %s), "
	         "so Prisma would stop with: Prisma Client could not locate the Query Engine for runtime \"%s\"; "
	         "add the platform to the generator's binaryTargets in %s and generate again: "
	         "binaryTargets = [\"native\", \"%s\"]",
	         inputs->schema.generator_output, inputs->target.name, inputs->engine.file, holds, inputs->target.name,
	         inputs->schema.schema_path, inputs->target.name);
}

int client_inputs_check(struct client_inputs *inputs)
{
	char error[LINE_MAX_CHARS];

	if (client_state_check(inputs->digest, inputs->record_path, inputs->schema.generator_output,
	                       inputs->schema.generator_typescript, &inputs->status, error, sizeof(error)) < 0) {
		log_error("%s: remove what is there, or set generate-record to another file", error);
		return EXIT_CANT_CREATE;
	}
	/* Only a client that is otherwise current is worth the look: any other
	 * is generated again anyway. */
	if (inputs->status.state == CLIENT_CURRENT) {
		if (!client_inputs_check_engine(inputs))
			inputs->status.state = CLIENT_ENGINE_MISSING;
	}
	return 0;
}

void client_inputs_describe(const struct client_inputs *inputs, char *out, size_t size)
{
	if (inputs->status.state == CLIENT_ENGINE_MISSING) {
		snprintf(out, size,
		         "the generated client at %s has no query engine for this platform, %s (%s is missing)",
		         inputs->schema.generator_output, inputs->target.name, inputs->engine.file);
		return;
	}
	client_state_describe(&inputs->status, inputs->digest, inputs->record_path, inputs->schema.generator_output,
	                      out, size);
}

int client_inputs_report_none(void)
{
	log_error("no Prisma schema here: looked for prisma.config.*, package.json \"prisma.schema\", "
	          "./schema.prisma and ./prisma/schema.prisma; set --schema PATH");
	return EXIT_CONFIG;
}

void client_inputs_release(struct client_inputs *inputs)
{
	schema_inputs_release(&inputs->schema);
}
