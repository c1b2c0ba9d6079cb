/* Which native Prisma engine a generated client or the CLI needs, and
 * whether the one for this platform (engine-target.h) is there: Prisma 6's
 * query engine beside the generated client (libquery_engine-<target>.so.node
 * for engineType "library", query-engine-<target> for "binary"), and the
 * schema engine in @prisma/engines (schema-engine-<target>).
 *
 * Reads only folder listings and stat()s; no Node. */
#ifndef PE_ENGINE_FILES_H
#define PE_ENGINE_FILES_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

enum engine_kind {
	ENGINE_NONE,    /* engineType "client" (Prisma 7's only kind): no native engine */
	ENGINE_LIBRARY, /* engineType "library", Prisma 6's default: a Node-API library */
	ENGINE_BINARY,  /* engineType "binary": an executable */
};

/* The query engine a client needs, decided as Prisma 6.19 decides it:
 * PRISMA_CLIENT_ENGINE_TYPE (env_type: "library", "binary" or "client"; any
 * other value or NULL is ignored), else the generator's engineType
 * (generator_type, NULL when absent), else library. A client of Prisma 7 or
 * later (client_major >= 7) has no native engine whatever it says. */
enum engine_kind engine_kind_of_client(const char *env_type, const char *generator_type, int client_major);

/* "library", "binary", "client". */
const char *engine_kind_name(enum engine_kind kind);

/* The environment variable that points Prisma at another engine file of
 * that kind: PRISMA_QUERY_ENGINE_LIBRARY, PRISMA_QUERY_ENGINE_BINARY; NULL
 * for ENGINE_NONE. */
const char *engine_override_name(enum engine_kind kind);

struct engine_presence {
	bool present;
	char file[PATH_MAX]; /* the file looked for (folder/name), or the override that exists */
	bool by_override;    /* present through the override variable */
	size_t others_count; /* engines of the same kind for other targets in the folder */
	char others[512];    /* their targets, ", "-separated (cut short when long) */
};

/* Looks in folder for the query engine of kind (not ENGINE_NONE) for
 * target; override is the value of engine_override_name(kind) (NULL or ""
 * when unset): a file that exists there counts as present. */
void engine_query_check(const char *folder, enum engine_kind kind, const char *target, const char *override,
                        struct engine_presence *presence);

/* The same for the schema engine in folder (@prisma/engines);
 * override is PRISMA_SCHEMA_ENGINE_BINARY's value. */
void engine_schema_check(const char *folder, const char *target, const char *override,
                         struct engine_presence *presence);

#endif
