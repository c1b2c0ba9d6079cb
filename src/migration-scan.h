/* The files of a migrations folder, looked at while the database's rows are
 * read: one stat of every NAME/migration.sql and the verified-migrations
 * record (verified-migrations.h), in two threads of their own (from a few
 * hundred migrations; fewer are scanned at finish). With thousands of
 * migrations the stats are the largest part of the check (5000 take 6-9 ms
 * on a 2-core machine), and they need nothing of the rows: gathered beside
 * the query, they cost the start only what is left once the rows are in.
 *
 *   migration_scan_start(&scan, &folder, dir_fd, record_path);
 *   ... read the rows ...
 *   migration_scan_finish(&scan);   then scan.stats[i], scan.known
 *   migration_scan_release(&scan);
 *
 * Nothing else may run in the process between start and finish that forks:
 * finish joins the thread. */
#ifndef PE_MIGRATION_SCAN_H
#define PE_MIGRATION_SCAN_H

#include "migrations.h"
#include "verified-migrations.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

struct migration_scan {
	/* Results, once finished: stats[i] is the stat of
	 * folder->names[i]/migration.sql when found[i] (a regular file).
	 * Without a record (record_path "") nothing is stat'ed; with an empty
	 * one only the second thread's half may have been. */
	struct stat *stats;
	bool *found;
	struct verified_migrations known; /* empty when there is no record */
	/* The work: borrowed from the caller until finish. */
	const struct migrations_folder *folder;
	int dir_fd;
	const char *record_path;
	size_t half;
	pthread_t thread[2];
	bool threaded[2];
};

/* Starts the scan of folder's files, opened relative to dir_fd, and of the
 * record at record_path ("" for none). Without memory for the results, or a
 * thread, finish does the work itself. */
void migration_scan_start(struct migration_scan *scan, const struct migrations_folder *folder, int dir_fd,
                          const char *record_path);

/* Waits for the scan. Afterwards scan->stats is NULL only when there was no
 * memory for it: every file then counts as not found. */
void migration_scan_finish(struct migration_scan *scan);

void migration_scan_release(struct migration_scan *scan);

#endif
