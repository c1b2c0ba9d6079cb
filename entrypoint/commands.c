#include "command.h"

#include <stdio.h>
#include <string.h>

const struct command *const commands[] = {&command_run,    &command_wait, &command_hash,
                                          &command_config, &command_help, &command_version};
const unsigned command_count = sizeof(commands) / sizeof(commands[0]);

const struct command *command_find(const char *name)
{
	for (unsigned i = 0; i < command_count; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

void command_print_usage(FILE *out)
{
	for (unsigned i = 0; i < command_count; i++)
		fprintf(out, "%s prisma-entrypoint %s\n", i == 0 ? "usage:" : "      ", commands[i]->usage);
}
