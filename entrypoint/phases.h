/* The phases before the app, shared by the commands that run them: each
 * unpacks the settings into its component's plain parameters and turns the
 * outcome into 0 (go on) or an exit code. */
#ifndef PE_PHASES_H
#define PE_PHASES_H

#include "command.h"
#include "loop.h"

/* Waits for the database and the --wait dependencies. */
int phase_wait(const struct invocation *invocation, struct loop *loop);

#endif
