/* What the token scanners of schema-js.c (prisma.config.*) and schema-psl.c
 * (.prisma files) share: looking at and past characters of a text that ends
 * at end, never reading past it. */
#ifndef PE_SCAN_H
#define PE_SCAN_H

#include <stdbool.h>

/* Whether the two characters of pair start at p, before end. */
static inline bool scan_at_pair(const char *p, const char *end, const char pair[2])
{
	return end - p >= 2 && p[0] == pair[0] && p[1] == pair[1];
}

/* Past the characters from p on for which is_part holds. */
static inline const char *scan_while(const char *p, const char *end, bool (*is_part)(char))
{
	while (p < end && is_part(*p))
		p++;
	return p;
}

#endif
