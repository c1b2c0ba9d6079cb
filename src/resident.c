#include "resident.h"

#include "log.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* One mapping's header line of /proc/self/smaps: "start-end perms offset dev
 * inode [path]" (no other line reads as two hex numbers and a dash). True
 * with the range and whether the mapping may be dropped once its pages prove
 * clean: a file's (program's, when not NULL), not writable. */
STAYS_RESIDENT static bool read_mapping(const char *line, const char *program, unsigned long *start, unsigned long *end,
                                        bool *candidate)
{
	unsigned long low;
	unsigned long high;
	char perms[8];
	char path[PATH_MAX];
	const char *dash = strchr(line, '-');
	const char *space = strchr(line, ' ');

	/* A header's first field is "start-end", before any space. */
	if (!dash || !space || dash > space)
		return false;
	path[0] = '\0';
	if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %4095s", &low, &high, perms, path) < 3)
		return false;
	*start = low;
	*end = high;
	*candidate = perms[1] != 'w' && path[0] == '/' && (!program || strcmp(path, program) == 0);
	return true;
}

STAYS_RESIDENT static int drop_pages(void *start, size_t length)
{
	return madvise(start, length, MADV_DONTNEED);
}

STAYS_RESIDENT static bool is_stack(const char *header)
{
	size_t len = strcspn(header, "\n");

	return len >= 7 && strncmp(header + len - 7, "[stack]", 7) == 0;
}

STAYS_RESIDENT void resident_list(FILE *smaps, const char *program, struct resident_plan *plan)
{
	char line[PATH_MAX + 128];
	unsigned long start = 0;
	unsigned long end = 0;
	unsigned long rss_kb = 0;
	unsigned long anonymous_kb = 0;
	bool anonymous_seen = false;
	bool candidate = false;

	*plan = (struct resident_plan){0};
	while (fgets(line, sizeof(line), smaps)) {
		unsigned long swap_kb;

		/* A mapping's header, or one of its "Name: value" lines. */
		if (read_mapping(line, program, &start, &end, &candidate)) {
			anonymous_seen = false;
			if (is_stack(line)) {
				plan->stack_start = start;
				plan->stack_end = end;
			}
			continue;
		}
		if (!candidate)
			continue;
		if (sscanf(line, "Rss: %lu kB", &rss_kb) == 1)
			continue;
		/* Written pages of a private file mapping (a relocated GOT, a
		 * patched page) are anonymous: the file no longer has them, so
		 * such a mapping is kept whole. */
		if (sscanf(line, "Anonymous: %lu kB", &anonymous_kb) == 1) {
			anonymous_seen = true;
			continue;
		}
		/* Written pages swapped out count under Swap, not Anonymous
		 * (which comes before it): dropping them would bring back
		 * the file's bytes, an unrelocated GOT. */
		if (sscanf(line, "Swap: %lu kB", &swap_kb) == 1) {
			if (anonymous_seen && anonymous_kb == 0 && swap_kb == 0 &&
			    plan->count < RESIDENT_MAPPINGS_MAX) {
				plan->mappings[plan->count].start = start;
				plan->mappings[plan->count].end = end;
				plan->mappings[plan->count].rss_kb = rss_kb;
				plan->count++;
			}
			candidate = false;
		}
	}
}

STAYS_RESIDENT unsigned long resident_drop(const struct resident_plan *plan, resident_drop_fn *drop)
{
	unsigned long dropped_kb = 0;

	for (size_t i = 0; i < plan->count; i++)
		if (drop((void *)plan->mappings[i].start, plan->mappings[i].end - plan->mappings[i].start) == 0)
			dropped_kb += plan->mappings[i].rss_kb;
	return dropped_kb;
}

/* The file pages: apart from resident_drop_file_pages(), whose frame stays
 * small, so that its 20 kB of buffers are off the stack when the stack below
 * the caller is dropped. Returns the kB dropped; the plan's stack range is
 * 0 and 0 when not known. */
STAYS_RESIDENT __attribute__((noinline)) static unsigned long drop_program_pages(struct resident_plan *plan)
{
	char program[PATH_MAX];
	char buffer[16384];
	ssize_t length = readlink("/proc/self/exe", program, sizeof(program) - 1);
	FILE *smaps;

	*plan = (struct resident_plan){0};
	if (length < 0)
		return 0;
	program[length] = '\0';
	smaps = fopen("/proc/self/smaps", "re");
	if (!smaps)
		return 0;
	/* One read for most of it, not one per kB. */
	setvbuf(smaps, buffer, _IOFBF, sizeof(buffer));
	resident_list(smaps, program, plan);
	/* Dropped once the reading is done, the file closed: the reading's
	 * constants (the formats above) are read-only data of this program, and
	 * a first call into libc (fclose) would have the dynamic linker read the
	 * program's symbol tables: dropped before, they would only come back. */
	fclose(smaps);
	return resident_drop(plan, drop_pages);
}

STAYS_RESIDENT void resident_drop_file_pages(void)
{
	unsigned long page = (unsigned long)sysconf(_SC_PAGESIZE);
	struct resident_plan plan;
	unsigned long dropped_kb = drop_program_pages(&plan);
	/* Everything from one page below this frame's page up is kept: this
	 * frame, the red zone under it and madvise()'s call. Below that, the
	 * stack holds nothing live; the start's deepest calls (parsing, the
	 * spawn) touched it once. */
	unsigned long keep_from = ((unsigned long)__builtin_frame_address(0) & ~(page - 1)) - page;

	/* Only when this frame is in that mapping (not so under valgrind, which
	 * runs the program on a stack of its own): madvise() would go on over
	 * whatever lies between. */
	if (plan.stack_start < keep_from && keep_from < plan.stack_end)
		drop_pages((void *)plan.stack_start, keep_from - plan.stack_start);
	/* log_enabled() first: log.c's pages are not touched again for a
	 * message that is not shown. */
	if (log_enabled(LOG_DEBUG))
		log_debug("dropped %lu kB of this program's file pages the start had mapped", dropped_kb);
}
