/* A JavaScript/TypeScript token scan of a Prisma config file
 * (prisma.config.ts and kin) for its `schema` setting, `migrations.seed` and
 * datasource.directUrl, without running it.
 *
 * Pure: reads the bytes it is given (no NUL needed), allocates only the
 * value it returns, which the caller frees. Comments, strings and template
 * literals are skipped as JavaScript does; anything but a plain string
 * literal as the value is reported, not guessed at. */
#ifndef PE_SCHEMA_JS_H
#define PE_SCHEMA_JS_H

#include "schema-psl.h"

#include <stddef.h>

/* Looks for the key `schema` in the config file's text (len bytes): an
 * identifier or a quoted "schema" after '{' or ',' and followed by ':'.
 * Shorthand { schema } counts as a key without a plain value. Returns 1 with
 * *value (malloc'd), 0 when there is no such key, -1 when its value is not a
 * plain string literal (or memory ran out). */
int schema_config_value(const char *text, size_t len, char **value);

/* The same for any key name (an identifier), at any depth: `seed` is read
 * from `migrations: { seed: "..." }` so. */
int config_string_value(const char *text, size_t len, const char *name, char **value);
/* The `directUrl` of the object that is the value of a `datasource` key
 * (`datasource: { url: env("DATABASE_URL"), directUrl: env("DIRECT_URL") }`):
 * a plain string literal, env("NAME") (Prisma's helper from prisma/config) or
 * process.env.NAME. Returns 1 with *ref filled (given; text and env_name
 * both NULL when the value is anything else, such as
 * `process.env.A ?? process.env.B`), 0 when there is none (*ref zeroed), -1
 * when out of memory. */
int schema_config_direct_url(const char *text, size_t len, struct schema_url_ref *ref);

#endif
