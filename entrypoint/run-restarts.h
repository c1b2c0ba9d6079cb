/* Restarts of a supervised app without ending the container: asked for with
 * `prisma-entrypoint restart` (the control socket) or, in watch mode, by an
 * edit of the schema, the Prisma config file or the migrations. Each one runs
 * generate and migrate again between the two runs of the app. */
#ifndef PE_RUN_RESTARTS_H
#define PE_RUN_RESTARTS_H

#include "command.h"
#include "control.h"
#include "loop.h"
#include "supervise.h"
#include "watch.h"

#include <limits.h>
#include <stdbool.h>

struct run_restarts {
	struct supervise_restarts restarts; /* for supervise_params */
	const struct invocation *invocation;
	const char *app;
	struct loop *loop;
	struct control_server control;
	bool listening;
	struct watch watch;
	bool watching;
};

/* Listens for restart requests and, when the watch setting is on, watches;
 * both on loop. Neither is essential: what cannot be set up is logged. */
void run_restarts_start(struct run_restarts *run, const struct invocation *invocation, const char *app,
                        struct loop *loop);

/* Stops both; requesters still waiting learn that the supervision ended. */
void run_restarts_stop(struct run_restarts *run);

#endif
