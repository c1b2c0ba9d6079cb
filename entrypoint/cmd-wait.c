/* wait: only the wait phase, for Makefiles and compose healthchecks. */
#include "command.h"
#include "phases.h"

static int wait_exec(struct invocation *invocation)
{
	return phase_wait_alone(invocation);
}

const struct command command_wait = {
    .name = "wait",
    .usage = "[OPTIONS] wait [--wait URL ...]",
    .summary = "wait until the database and the --wait dependencies are ready, then exit 0",
    .uses_settings = true,
    .args = {0, 0, NULL, "dependencies go in --wait URL"},
    .exec = wait_exec,
};
