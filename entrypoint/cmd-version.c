#include "command.h"

#include <stdio.h>

#ifndef PE_VERSION
#error "PE_VERSION must be defined by the build"
#endif

static int version_exec(struct invocation *invocation)
{
	(void)invocation;
	printf("prisma-entrypoint %s\n", PE_VERSION);
	return 0;
}

const struct command command_version = {
    .name = "version",
    .usage = "version",
    .summary = "print the version",
    .exec = version_exec,
};
