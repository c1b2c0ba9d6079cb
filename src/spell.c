#include "spell.h"

#include <ctype.h>
#include <string.h>

#define SPELL_MAX_LEN 64

/* Optimal-string-alignment distance (Levenshtein plus adjacent swaps, the most
 * common typing slip), case-insensitive. Longer words are never suggested. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[SPELL_MAX_LEN + 1][SPELL_MAX_LEN + 1];

	if (la > SPELL_MAX_LEN || lb > SPELL_MAX_LEN)
		return (size_t)-1;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			size_t best = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < best)
				best = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

const char *spell_closest(const char *word, const char *const *candidates, size_t count)
{
	const char *best = NULL;
	size_t best_distance = (size_t)-1;
	/* A third of the word, at least 2: "stop-timout" finds "stop-timeout",
	 * while "exec" does not turn into an unrelated four-letter name. */
	size_t limit = strlen(word) / 3 > 2 ? strlen(word) / 3 : 2;

	for (size_t i = 0; i < count; i++) {
		size_t distance;

		if (!candidates[i])
			continue;
		distance = edit_distance(word, candidates[i]);
		if (distance < best_distance) {
			best_distance = distance;
			best = candidates[i];
		}
	}
	return best_distance <= limit ? best : NULL;
}
