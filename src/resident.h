/* What this process keeps in memory for the app's whole life.
 *
 * A start touches code and read-only data all over the program: settings,
 * commands, messages, and in the static build everything libc and the
 * libraries ran to get going. The kernel maps file pages around every page
 * touched (64 kB of fault-around), so a supervisor would keep most of its
 * file resident for nothing: 1.1 MB of the static build against 0.7 MB for
 * tini-static. Dropping those pages once supervision begins leaves only what
 * the supervision itself runs, faulted back in as it runs. */
#ifndef PE_RESIDENT_H
#define PE_RESIDENT_H

#include <stddef.h>
#include <stdio.h>

/* For the code PID 1 runs while it only waits (the event loop, its timers,
 * the drop below): GCC puts hot functions in .text.hot, which the linker
 * places together ahead of the rest of .text. What the wait runs after the
 * drop then faults back in as one window of fault-around, not one in every
 * corner of the program. */
#define STAYS_RESIDENT __attribute__((hot))

/* Drops the pages of the stack below the caller (the start's deepest calls
 * touched them once) and this program's clean file-backed pages: every
 * mapping of its own
 * file (not of the libraries: their pages are shared with every process that
 * uses them, and what ran next would fault them back in) that is not writable
 * and holds no page of its own (Anonymous: 0 kB and Swap:
 * 0 kB in /proc/self/smaps: code and read-only data, never a relocated
 * page, in memory or swapped out).
 * The pages are still in the page cache; what runs next faults them back in.
 * Best effort: without /proc, nothing is dropped. */
void resident_drop_file_pages(void);

/* How resident_drop() drops a mapping: 0, or -1 when it did not. */
typedef int resident_drop_fn(void *start, size_t length);

/* The most mappings of one file dropped in one go; a program has four or
 * five (headers, code, read-only data, then what relocation wrote). */
#define RESIDENT_MAPPINGS_MAX 16

/* What may be dropped, read off /proc/PID/smaps. */
struct resident_plan {
	struct {
		unsigned long start;
		unsigned long end;
		unsigned long rss_kb;
	} mappings[RESIDENT_MAPPINGS_MAX];
	size_t count;
	unsigned long stack_start; /* the [stack] mapping; 0 and 0 when there is none */
	unsigned long stack_end;
};

/* The decisions of resident_drop_file_pages() over smaps (the text of a
 * /proc/PID/smaps): every mapping that may go, of the file program only
 * (NULL: of any file; the first RESIDENT_MAPPINGS_MAX), and where the
 * stack is. */
void resident_list(FILE *smaps, const char *program, struct resident_plan *plan);

/* drop() for every mapping of plan. Returns the kB of Rss dropped. */
unsigned long resident_drop(const struct resident_plan *plan, resident_drop_fn *drop);

#endif
