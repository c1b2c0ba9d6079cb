/* sync: the phases without an app, for a Makefile's prisma-sync, a CI step,
 * an image build or a Kubernetes initContainer. */
#include "command.h"
#include "exit-codes.h"
#include "log.h"
#include "loop.h"
#include "phases.h"
#include "supervise.h"

#include <errno.h>
#include <string.h>

static int sync_exec(struct invocation *invocation)
{
	struct loop loop;
	struct user user;
	int status;

	if (invocation_flag(invocation, "force")) {
		struct config_errors errors = {0};

		/* "true" is always a valid boolean: nothing to report. */
		config_set(&invocation->config, SETTING_FORCE_GENERATE, "true", SOURCE_FLAG, "--force", &errors);
		config_errors_release(&errors);
	}
	status = phase_user_resolve(invocation, &user);
	if (status != 0) {
		user_release(&user);
		return status;
	}
	if (loop_init(&loop, &invocation->signals->blocked) < 0) {
		log_error("cannot create the signal descriptor: %s", strerror(errno));
		user_release(&user);
		return EXIT_OS_ERROR;
	}
	/* What the Prisma CLI leaves behind is re-parented here and reaped. */
	supervise_become_reaper();
	status = phase_sequence(invocation, &loop, true, "the sync ended");
	loop_release(&loop);
	invocation->user = NULL;
	user_release(&user);
	if (status == 0)
		log_info("the Prisma client and the database are in sync");
	return status;
}

static const struct command_flag sync_flags[] = {
    {"force", "run prisma generate even when the client is current (as force-generate)"},
    {NULL, NULL},
};

const struct command command_sync = {
    .name = "sync",
    .usage = "[OPTIONS] sync [--force]",
    .summary = "wait, generate and migrate as run does, without starting an app; exit 0 when the client and "
               "the database are in sync",
    .uses_settings = true,
    .args = {0, 0, NULL, "sync starts no app; to run one, use run"},
    .flags = sync_flags,
    .exec = sync_exec,
};
