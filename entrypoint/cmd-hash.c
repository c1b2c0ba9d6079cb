/* hash: the digest of everything that changes the generated Prisma client,
 * and the files it covers. */
#include "command.h"
#include "exit-codes.h"
#include "log.h"
#include "phases.h"
#include "schema.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define FLAG_CHECK (1u << 0)

/* --check: 0 when the generated client is current, 1 when not. */
static int check_exec(struct invocation *invocation)
{
	struct client_check check;
	char reason[4200];
	int status = client_check(&invocation->config, &check);

	if (status == -1) {
		log_error("no Prisma schema here: looked for prisma.config.*, package.json \"prisma.schema\", "
		          "./schema.prisma and ./prisma/schema.prisma; set --schema PATH");
		return EXIT_CONFIG;
	}
	if (status != 0)
		return status;
	client_state_describe(&check, reason, sizeof(reason));
	if (check.state == CLIENT_CURRENT)
		printf("current %s\n", check.digest);
	else
		printf("stale: %s\n", reason);
	status = check.state == CLIENT_CURRENT ? 0 : 1;
	client_check_release(&check);
	return status;
}

static int hash_exec(struct invocation *invocation)
{
	struct schema_inputs inputs;
	char error[1024];
	char cwd[4096];
	char digest[65];
	int found;

	if (invocation->arg_count > 0) {
		log_error("hash takes no arguments, got '%s': set the schema with --schema PATH", invocation->args[0]);
		return EXIT_USAGE;
	}
	if (invocation->own_flags & FLAG_CHECK)
		return check_exec(invocation);
	if (!getcwd(cwd, sizeof(cwd))) {
		log_error("cannot read the working directory: %s", strerror(errno));
		return EXIT_OS_ERROR;
	}
	found = schema_find(cwd, config_text(&invocation->config, SETTING_SCHEMA), &inputs, error, sizeof(error));
	if (found < 0) {
		log_error("%s", error);
		return EXIT_CONFIG;
	}
	if (found == 0) {
		log_error("no Prisma schema here: looked for prisma.config.*, package.json \"prisma.schema\", "
		          "./schema.prisma and ./prisma/schema.prisma; set --schema PATH");
		return EXIT_CONFIG;
	}
	if (schema_digest(&inputs, digest, error, sizeof(error)) < 0) {
		log_error("%s", error);
		schema_inputs_release(&inputs);
		return EXIT_CONFIG;
	}
	printf("%s\n", digest);
	printf("schema %s (found by %s)\n", inputs.schema_path, schema_rule_name(inputs.rule));
	for (size_t i = 0; i < inputs.file_count; i++)
		printf("file %s\n", inputs.files[i]);
	printf("config %s\n", inputs.config_file ? inputs.config_file : "(none)");
	printf("prisma %s\n", inputs.prisma_version ? inputs.prisma_version : "(not installed)");
	printf("@prisma/client %s\n", inputs.client_version ? inputs.client_version : "(not installed)");
	printf("client output %s\n", inputs.generator_output ? inputs.generator_output : "(no client generator)");
	schema_inputs_release(&inputs);
	return 0;
}

static const char *const hash_flags[][2] = {
    {"check", "exit 0 when the generated client is current, 1 when it is stale or missing (prints which)"},
    {NULL, NULL},
};

const struct command command_hash = {
    .name = "hash",
    .usage = "[OPTIONS] hash [--check]",
    .summary = "print the digest of the Prisma client's inputs (schema files, config, versions) and the "
               "files it covers",
    .uses_settings = true,
    .own_flags = hash_flags,
    .exec = hash_exec,
};
