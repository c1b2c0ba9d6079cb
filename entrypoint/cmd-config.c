#include "command.h"

#include <stdio.h>

static int config_exec(struct invocation *invocation)
{
	config_print(&invocation->config, stdout);
	return 0;
}

const struct command command_config = {
    .name = "config",
    .usage = "[OPTIONS] config",
    .summary = "print the effective settings as INI, each with where it came from (secrets redacted)",
    .uses_settings = true,
    .args = {0, 0, NULL, NULL},
    .exec = config_exec,
};
