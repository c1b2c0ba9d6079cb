/* The Prisma client's inputs and the generated client's state, as the
 * settings say where to find them (client-inputs.h). */
#include "client-inputs.h"

#include "exit-codes.h"
#include "log.h"
#include "phases.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

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

	if (client_state_check(inputs->digest, inputs->record_path, inputs->schema.generator_output,
	                       inputs->schema.generator_typescript, &inputs->status, error, sizeof(error)) < 0) {
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
