/* The phases before the app, shared by the commands that run them: each
 * unpacks the settings into its component's plain parameters and turns the
 * outcome into 0 (go on) or an exit code. One file per phase (phase-*.c). */
#ifndef PE_PHASES_H
#define PE_PHASES_H

#include "command.h"
#include "loop.h"
#include "schema.h"

/* Waits for the database and the --wait dependencies. */
int phase_wait(const struct invocation *invocation, struct loop *loop);

/* Runs prisma generate when the client's inputs changed since the last
 * successful generate, or its output is missing. */
int phase_generate(const struct invocation *invocation, struct loop *loop);

/* Whether the generated client matches its inputs. */
enum client_state {
	CLIENT_CURRENT,
	CLIENT_NO_RECORD,      /* never generated here, or the record was removed */
	CLIENT_CHANGED,        /* the inputs' digest differs from the record */
	CLIENT_OUTPUT_MISSING, /* the record matches, but the generated files are gone */
};

struct client_check {
	struct schema_inputs inputs;
	char digest[65];
	char recorded[65]; /* "" without a record */
	enum client_state state;
	const char *record_path;
};

/* Finds the schema, takes the digest, reads the record. Returns 0 checked
 * (release with client_check_release()), -1 when there is no schema and none
 * is configured, or an exit code after logging why. */
int client_check(const struct config *config, struct client_check *check);
void client_check_release(struct client_check *check);

/* "no record of an earlier generate", ... for a state other than current. */
void client_state_describe(const struct client_check *check, char *out, size_t size);

#endif
