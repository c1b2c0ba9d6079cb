/* Watching a child's output for phrases that say how its work went ("Your
 * database is now in sync", "There might be data loss"), as it is relayed:
 * for a CLI whose exit code alone cannot tell one failure from another, or
 * that lingers after its work. A phrase split between two reads is still
 * found. Pure: no I/O. */
#ifndef PE_OUTPUT_WATCH_H
#define PE_OUTPUT_WATCH_H

#include <stdbool.h>
#include <stddef.h>

#define OUTPUT_WATCH_PHRASES    6
#define OUTPUT_WATCH_PHRASE_MAX 127 /* longer phrases are never seen */

struct output_watch {
	const char *phrases[OUTPUT_WATCH_PHRASES]; /* NULL after the last */
	bool seen[OUTPUT_WATCH_PHRASES];
	char tail[OUTPUT_WATCH_PHRASE_MAX]; /* the end of what came so far */
	size_t tail_len;
};

/* Feeds len bytes of output (an output-relay observer: arg is the struct
 * output_watch); sets seen[i] for each phrase found so far. */
void output_watch_feed(void *watch, const char *data, size_t len);

#endif
