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
static bool read_mapping(const char *line, const char *program, unsigned long *start, unsigned long *end,
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

static int drop_pages(void *start, size_t length)
{
	return madvise(start, length, MADV_DONTNEED);
}

unsigned long resident_drop_listed(FILE *smaps, const char *program, resident_drop_fn *drop)
{
	char line[PATH_MAX + 128];
	unsigned long start = 0;
	unsigned long end = 0;
	unsigned long rss_kb = 0;
	unsigned long anonymous_kb = 0;
	unsigned long dropped_kb = 0;
	bool anonymous_seen = false;
	bool candidate = false;

	while (fgets(line, sizeof(line), smaps)) {
		unsigned long swap_kb;

		/* A mapping's header, or one of its "Name: value" lines. */
		if (read_mapping(line, program, &start, &end, &candidate)) {
			anonymous_seen = false;
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
			    drop((void *)start, end - start) == 0)
				dropped_kb += rss_kb;
			candidate = false;
		}
	}
	return dropped_kb;
}

void resident_drop_file_pages(void)
{
	char program[PATH_MAX];
	char buffer[16384];
	ssize_t length = readlink("/proc/self/exe", program, sizeof(program) - 1);
	FILE *smaps;
	unsigned long dropped_kb;

	if (length < 0)
		return;
	program[length] = '\0';
	smaps = fopen("/proc/self/smaps", "re");
	if (!smaps)
		return;
	/* One read for most of it, not one per kB. */
	setvbuf(smaps, buffer, _IOFBF, sizeof(buffer));
	dropped_kb = resident_drop_listed(smaps, program, drop_pages);
	fclose(smaps);
	log_debug("dropped %lu kB of this program's file pages the start had mapped", dropped_kb);
}
