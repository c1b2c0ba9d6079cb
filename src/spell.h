/* "Did you mean" suggestions for mistyped names. */
#ifndef PE_SPELL_H
#define PE_SPELL_H

#include <stddef.h>

/* The candidate closest to word by edit distance, or NULL when none is close
 * enough to be a plausible typo. candidates may contain NULL entries, which
 * are skipped. */
const char *spell_closest(const char *word, const char *const *candidates, size_t count);

#endif
