/* A token scan of Prisma schema text (the .prisma files) for the generator
 * the Prisma client comes from, without a full parser: blocks, strings and
 * // comments are told apart, nothing else is interpreted.
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
};

/* The first generator block of text (len bytes) whose provider is
 * "prisma-client-js" or "prisma-client". Returns 1 with *generator filled,
 * 0 when there is none (*generator zeroed), -1 when out of memory. */
int schema_client_generator(const char *text, size_t len, struct schema_generator *generator);

#endif
