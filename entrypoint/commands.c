#include "command.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct command *const commands[] = {&command_run,    &command_sync, &command_restart,
                                          &command_status, &command_wait, &command_hash,
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

bool command_args_fit(const struct command *command, char *const *args, int count)
{
	const struct command_args *bounds = &command->args;
	const char *instead = bounds->instead;

	if (count < bounds->lower) {
		if (bounds->missing)
			log_error("%s: usage: prisma-entrypoint %s", bounds->missing, command->usage);
		else
			log_error("%s needs at least %d argument%s: usage: prisma-entrypoint %s", command->name,
			          bounds->lower, bounds->lower == 1 ? "" : "s", command->usage);
		return false;
	}
	if (bounds->upper == COMMAND_ARGS_ANY || count <= bounds->upper)
		return true;
	if (bounds->upper == 0)
		log_error("%s takes no arguments, got '%s'%s%s", command->name, args[0], instead ? ": " : "",
		          instead ? instead : "");
	else
		log_error("%s takes at most %d argument%s, got '%s' after them%s%s", command->name, bounds->upper,
		          bounds->upper == 1 ? "" : "s", args[bounds->upper], instead ? ": " : "",
		          instead ? instead : "");
	return false;
}

bool invocation_flag(const struct invocation *invocation, const char *name)
{
	const struct command_flag *flags = invocation->command->flags;

	for (int i = 0; flags && flags[i].name; i++)
		if (strcmp(flags[i].name, name) == 0)
			return invocation->given_flags & (1u << i);
	log_error("internal error: %s has no flag --%s", invocation->command->name, name);
	abort();
}
