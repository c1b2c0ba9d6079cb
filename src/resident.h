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

/* Drops this process's clean file-backed pages: every mapping of a file that
 * is not writable and holds no page of its own (Anonymous: 0 kB in
 * /proc/self/smaps: code and read-only data, never a relocated page).
 * The pages are still in the page cache; what runs next faults them back in.
 * Best effort: without /proc, nothing is dropped. */
void resident_drop_file_pages(void);

#endif
