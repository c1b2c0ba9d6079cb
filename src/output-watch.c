#include "output-watch.h"

#include <string.h>

void output_watch_feed(void *arg, const char *data, size_t len)
{
	struct output_watch *watch = arg;
	char joined[OUTPUT_WATCH_PHRASE_MAX + 4096];

	while (len > 0) {
		size_t part = len < 4096 ? len : 4096;
		size_t joined_len = watch->tail_len + part;
		size_t keep;

		memcpy(joined, watch->tail, watch->tail_len);
		memcpy(joined + watch->tail_len, data, part);
		for (size_t i = 0; i < OUTPUT_WATCH_PHRASES && watch->phrases[i]; i++)
			if (!watch->seen[i] && memmem(joined, joined_len, watch->phrases[i], strlen(watch->phrases[i])))
				watch->seen[i] = true;
		/* Enough of the end to finish any phrase the next read completes. */
		keep = joined_len < sizeof(watch->tail) ? joined_len : sizeof(watch->tail);
		memmove(watch->tail, joined + joined_len - keep, keep);
		watch->tail_len = keep;
		data += part;
		len -= part;
	}
}
