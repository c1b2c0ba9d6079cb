/* A validating JSON scan for the one thing schema discovery reads from
 * package.json files: a string member ("version", "prisma"."schema").
 *
 * Pure: reads the bytes it is given (no NUL needed), allocates only the
 * value it returns, which the caller frees. Nesting deeper than 512 levels
 * is refused as invalid rather than followed. */
#ifndef PE_SCHEMA_JSON_H
#define PE_SCHEMA_JSON_H

#include <stddef.h>

/* The string value of path[0] (. path[1] ...) of the document doc (len
 * bytes), malloc'd and decoded into *value, or NULL when absent or not a
 * string. Returns 0, or -1 with a one-line message in error ("NAME is not
 * valid JSON", "out of memory"). */
int schema_json_string(const char *name, const char *doc, size_t len, const char *const *path, size_t depth,
                       char **value, char *error, size_t error_size);

#endif
