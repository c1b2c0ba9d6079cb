/* The Prisma client's inputs as the settings say where to find them, and how
 * the generated client compares with them; for the generate phase, hash and
 * status.
 * Every function that returns an int returns 0, or an exit code after
 * logging why. */
#ifndef PE_CLIENT_INPUTS_H
#define PE_CLIENT_INPUTS_H

#include "client-state.h"
#include "config.h"
#include "schema.h"

#include <stdbool.h>
#include <stddef.h>

struct client_inputs {
	struct schema_inputs schema;
	char digest[65];
	const char *record_path; /* the generate-record setting */
	struct client_status status;
};

/* Finds the schema (the schema setting, else as Prisma does) and takes the
 * digest. Returns 0 with *found telling whether there is a schema (none, and
 * none configured, is not an error), or an exit code after logging why;
 * release with client_inputs_release() after 0 with *found. */
int client_inputs_find(const struct config *config, struct client_inputs *inputs, bool *found);

/* Fills inputs->status from the record and the generated files. Returns 0,
 * or an exit code after logging why. */
int client_inputs_check(struct client_inputs *inputs);

/* One line on why the client is stale, or that it is current. */
void client_inputs_describe(const struct client_inputs *inputs, char *out, size_t size);

/* Logs that there is no schema where Prisma looks, and how to set one; for
 * the commands that need one. Returns EXIT_CONFIG. */
int client_inputs_report_none(void);

void client_inputs_release(struct client_inputs *inputs);

#endif
