/* hash: the digest of everything that changes the generated Prisma client,
 * and the files it covers; with --check, whether the client is current. */
#include "command.h"
#include "phases.h"

#include <limits.h>
#include <stdio.h>

static void print_inputs(struct client_inputs *inputs)
{
	const struct schema_inputs *schema = &inputs->schema;

	printf("%s\n", inputs->digest);
	printf("schema %s (found by %s)\n", schema->schema_path, schema_rule_name(schema->rule));
	for (size_t i = 0; i < schema->file_count; i++)
		printf("file %s\n", schema->files[i]);
	printf("config %s\n", schema->config_file ? schema->config_file : "(none)");
	printf("prisma %s\n", schema->prisma_version ? schema->prisma_version : "(not installed)");
	printf("@prisma/client %s\n", schema->client_version ? schema->client_version : "(not installed)");
	printf("client output %s\n", schema->generator_output ? schema->generator_output : "(no client generator)");
	if (schema->tsconfig_file) /* only then: the lines of a prisma-client-js project stay as they were */
		printf("tsconfig %s\n", schema->tsconfig_file);
	/* The platform is one of the inputs only when the client needs its
	 * native engine. */
	client_inputs_detect_target(inputs);
	printf("engine %s%s\n", engine_kind_name(inputs->engine_kind),
	       inputs->engine_kind == ENGINE_NONE ? " (no native engine)" : "");
	printf("target %s%s (libssl %s, found by %s)\n", inputs->target.name,
	       inputs->engine_kind == ENGINE_NONE ? ", not an input" : "",
	       inputs->target.libssl[0] ? inputs->target.libssl : "unknown", inputs->target.libssl_by);
}

/* 0 when the generated client is current, 1 when not, as one line. */
static int print_check(struct client_inputs *inputs)
{
	char reason[2 * PATH_MAX + 256];
	int status = client_inputs_check(inputs);

	if (status != 0)
		return status;
	if (inputs->status.state == CLIENT_CURRENT) {
		printf("current %s\n", inputs->digest);
		return 0;
	}
	client_inputs_describe(inputs, reason, sizeof(reason));
	printf("stale: %s\n", reason);
	return 1;
}

static int hash_exec(struct invocation *invocation)
{
	struct client_inputs inputs;
	bool found;
	int status;

	status = client_inputs_find(&invocation->config, &inputs, &found);
	if (status != 0)
		return status;
	if (!found)
		return client_inputs_report_none();
	if (invocation_flag(invocation, "check")) {
		status = print_check(&inputs);
	} else {
		print_inputs(&inputs);
		status = 0;
	}
	client_inputs_release(&inputs);
	return status;
}

static const struct command_flag hash_flags[] = {
    {"check", "exit 0 when the generated client is current, 1 when it is stale or missing (prints which)"},
    {NULL, NULL},
};

const struct command command_hash = {
    .name = "hash",
    .usage = "[OPTIONS] hash [--check]",
    .summary = "print the digest of the Prisma client's inputs (schema files, config, versions) and the "
               "files it covers",
    .uses_settings = true,
    .args = {0, 0, NULL, "set the schema with --schema PATH"},
    .flags = hash_flags,
    .exec = hash_exec,
};
