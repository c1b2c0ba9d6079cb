/* The Prisma client's inputs as the settings say where to find them, and how
 * the generated client compares with them; for the generate phase, hash and
 * status.
 * Every function that returns an int returns 0, or an exit code after
 * logging why. */
#ifndef PE_CLIENT_INPUTS_H
#define PE_CLIENT_INPUTS_H

#include "client-state.h"
#include "config.h"
#include "engine-files.h"
#include "engine-target.h"
#include "schema.h"

#include <stdbool.h>
#include <stddef.h>

struct client_inputs {
	struct schema_inputs schema;
	char digest[65];
	const char *record_path; /* the generate-record setting */
	struct client_status status;
	/* The native query engine the client needs (PRISMA_CLIENT_ENGINE_TYPE,
	 * the generator's engineType, the @prisma/client version), this
	 * platform's name for it (detected when needed: with an engine, or
	 * asked for), and after client_inputs_check() whether the generated
	 * client holds it (looked at only when the client is otherwise current). */
	enum engine_kind engine_kind;
	bool target_known;
	struct engine_target target;
	struct engine_presence engine;
	/* The folder holds query engines of that kind (this platform's or
	 * others'), so whether this platform's is there was judged. */
	bool engine_judged;
};

/* Finds the schema (the schema setting, else as Prisma does) and takes the
 * digest. Returns 0 with *found telling whether there is a schema (none, and
 * none configured, is not an error), or an exit code after logging why;
 * release with client_inputs_release() after 0 with *found. */
int client_inputs_find(const struct config *config, struct client_inputs *inputs, bool *found);

/* Finds the schema as client_inputs_find() does, without the digest, and
 * looks whether the generated client holds this platform's query engine
 * (for no-generate: a client made elsewhere that cannot run here). Returns
 * 0 with *found (false, too, for a schema that cannot be found or read:
 * only a verbose line says why), or an exit code after logging why (a stop
 * request); release as above.
 * Missing: inputs->engine_judged and not inputs->engine.present. */
int client_inputs_find_engine(const struct config *config, struct client_inputs *inputs, bool *found);

/* Looks whether the generated client holds this platform's query engine
 * (inputs->engine); false only when it holds engines of the kind needed,
 * all for other platforms. */
bool client_inputs_check_engine(struct client_inputs *inputs);

/* Detects the platform into inputs->target when not done yet (for the
 * reports of status and hash). */
void client_inputs_detect_target(struct client_inputs *inputs);

/* One line saying that the generated client lacks this platform's query
 * engine, what Prisma would say, and the binaryTargets entry to add. */
void client_inputs_describe_engine(const struct client_inputs *inputs, char *out, size_t size);

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
