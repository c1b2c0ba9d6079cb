#include "command.h"
#include "exit-codes.h"
#include "log.h"

#include <stdio.h>

static int config_exec(struct invocation *invocation)
{
	if (invocation->arg_count > 0) {
		log_error("config takes no arguments, got '%s'", invocation->args[0]);
		return EXIT_USAGE;
	}
	config_print(&invocation->config, stdout);
	return 0;
}

const struct command command_config = {
    .name = "config",
    .usage = "[OPTIONS] config",
    .summary = "print the effective settings as INI, each with where it came from (secrets redacted)",
    .uses_settings = true,
    .exec = config_exec,
};
