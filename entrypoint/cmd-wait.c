/* wait: only the wait phase, for Makefiles and compose healthchecks. */
#include "command.h"
#include "exit-codes.h"
#include "log.h"
#include "loop.h"
#include "phases.h"

#include <errno.h>
#include <string.h>

static int wait_exec(struct invocation *invocation)
{
	struct loop loop;
	int status;

	if (loop_init(&loop, &invocation->signals->blocked) < 0) {
		log_error("cannot create the signal descriptor: %s", strerror(errno));
		return EXIT_OS_ERROR;
	}
	status = phase_wait(invocation, &loop);
	loop_release(&loop);
	return status;
}

const struct command command_wait = {
    .name = "wait",
    .usage = "[OPTIONS] wait [--wait URL ...]",
    .summary = "wait until the database and the --wait dependencies are ready, then exit 0",
    .uses_settings = true,
    .args = {0, 0, NULL, "dependencies go in --wait URL"},
    .exec = wait_exec,
};
