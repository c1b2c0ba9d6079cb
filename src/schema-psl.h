/* A token scan of Prisma schema text (the .prisma files) for the generator
 * the Prisma client comes from and the datasource's directUrl, without a
 * full parser: blocks, strings and // comments are told apart, nothing else
 * is interpreted.
 *
 * Pure: reads the bytes it is given (no NUL needed), allocates only the
 * output it returns, which the caller frees. */
#ifndef PE_SCHEMA_PSL_H
#define PE_SCHEMA_PSL_H

#include <stdbool.h>
#include <stddef.h>

struct schema_generator {
	bool js;           /* provider "prisma-client-js" (else "prisma-client") */
	bool output_given; /* an `output = ...` setting is there, a plain string or not */
	char *output;      /* its plain string value, unescaped (malloc'd); NULL when absent or not plain */
	char *engine_type; /* `engineType = "..."`'s value (malloc'd): library, binary, client; NULL when absent */
};

/* The first generator block of text (len bytes) whose provider is
 * "prisma-client-js" or "prisma-client". Returns 1 with *generator filled,
 * 0 when there is none (*generator zeroed), -1 when out of memory. */
int schema_client_generator(const char *text, size_t len, struct schema_generator *generator);

/* A URL setting as a schema or config file writes it: a string, or read
 * from the environment (env("NAME")). */
struct schema_url_ref {
	bool given;     /* the key is there, whatever its value */
	char *text;     /* a plain string's value (malloc'd), or NULL */
	char *env_name; /* env("NAME")'s NAME (malloc'd), or NULL */
};

/* Frees what ref owns and zeroes it; safe on a zeroed one. */
void schema_url_ref_release(struct schema_url_ref *ref);

/* A deep copy of from into to. Returns 0, or -1 (out of memory; to zeroed). */
int schema_url_ref_copy(struct schema_url_ref *to, const struct schema_url_ref *from);

/* The directUrl of the first datasource block of text (len bytes): Prisma
 * 6's `directUrl = env("NAME")` or `directUrl = "postgresql://..."`.
 * Returns 1 with *ref filled (given; text and env_name both NULL when the
 * value is neither), 0 when there is none (*ref zeroed), -1 when out of
 * memory. */
int schema_datasource_direct_url(const char *text, size_t len, struct schema_url_ref *ref);

#endif
