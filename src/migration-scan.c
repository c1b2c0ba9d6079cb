#include "migration-scan.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* The fewest migrations scanned in threads (two: the stats are path walks in
 * the kernel, which run side by side on two cores). */
#define SCAN_THREADS_FROM 256

/* Stats folder names [from, to). */
static void stat_files(struct migration_scan *scan, size_t from, size_t to)
{
	static const char file[] = "/migration.sql";
	char path[PATH_MAX];

	for (size_t i = from; scan->stats && i < to; i++) {
		const char *name = scan->folder->names[i];
		size_t name_len = strlen(name);

		/* Not snprintf: for thousands of migrations it is a measurable part. */
		scan->found[i] = false;
		if (name_len + sizeof(file) > sizeof(path))
			continue;
		memcpy(path, name, name_len);
		memcpy(path + name_len, file, sizeof(file));
		scan->found[i] =
		    fstatat(scan->dir_fd, path, &scan->stats[i], 0) == 0 && S_ISREG(scan->stats[i].st_mode);
	}
}

/* The record, then the first half of the files. */
static void *scan_first(void *arg)
{
	struct migration_scan *scan = arg;

	if (scan->record_path[0])
		verified_migrations_read(scan->record_path, &scan->known);
	/* The second thread cannot know this, and stats on: it is a first
	 * start, which hashes every file anyway. */
	if (scan->known.count)
		stat_files(scan, 0, scan->half);
	return NULL;
}

static void *scan_second(void *arg)
{
	struct migration_scan *scan = arg;

	stat_files(scan, scan->half, scan->folder->count);
	return NULL;
}

void migration_scan_start(struct migration_scan *scan, const struct migrations_folder *folder, int dir_fd,
                          const char *record_path)
{
	*scan = (struct migration_scan){.folder = folder, .dir_fd = dir_fd, .record_path = record_path};
	/* No record, nothing to vouch with: no stat is of use. */
	if (folder->count && record_path[0]) {
		scan->stats = malloc(folder->count * sizeof(*scan->stats));
		scan->found = calloc(folder->count, sizeof(*scan->found));
		if (!scan->stats || !scan->found) {
			free(scan->stats);
			free(scan->found);
			scan->stats = NULL;
			scan->found = NULL;
		}
	}
	scan->half = folder->count / 2;
	/* A few hundred stats take less than starting threads for them. */
	if (folder->count < SCAN_THREADS_FROM)
		return;
	scan->threaded[0] = pthread_create(&scan->thread[0], NULL, scan_first, scan) == 0;
	scan->threaded[1] = pthread_create(&scan->thread[1], NULL, scan_second, scan) == 0;
}

void migration_scan_finish(struct migration_scan *scan)
{
	if (scan->threaded[0])
		pthread_join(scan->thread[0], NULL);
	else
		scan_first(scan);
	if (scan->threaded[1])
		pthread_join(scan->thread[1], NULL);
	else if (scan->known.count)
		scan_second(scan);
	scan->threaded[0] = scan->threaded[1] = false;
}

void migration_scan_release(struct migration_scan *scan)
{
	free(scan->stats);
	free(scan->found);
	verified_migrations_release(&scan->known);
	*scan = (struct migration_scan){0};
}
