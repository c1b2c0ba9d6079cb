/* Watch mode's eyes: tells when the files that make a restart worth doing
 * (the schema files, the Prisma config file, the migrations folder) have
 * changed, once per burst of edits.
 *
 * What is watched is a list of entries the caller makes again after every
 * change (a schema may move): files, and folders whose files count, all of
 * them or only those with a suffix. A change is a difference in what those
 * files are (path, size, modification time, inode), so an event about any
 * other file in the same folder (an editor's swap file, seed.ts) never counts.
 *
 * inotify tells when to look; every event re-arms a quiet period (the
 * debounce), and only when it has passed is the list compared: an editor
 * that writes a temporary file and renames it makes one change. For bind
 * mounts whose events never reach the container, a polling interval looks
 * every interval instead; inotify that cannot be used falls back to it. */
#ifndef PE_WATCH_H
#define PE_WATCH_H

#include "loop.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What to watch, as the caller lists it. */
struct watch_list {
	struct watch_entry *entries;
	size_t count;
	size_t capacity;
};

struct watch_entry {
	char *path;         /* owned */
	bool folder;        /* its files, in every subfolder */
	const char *suffix; /* folder: only files ending so ("prisma"); NULL: all */
};

/* Adds a file, or a folder (suffix: NULL or a static string). Returns 0, or
 * -1 with errno = ENOMEM. */
int watch_list_add(struct watch_list *list, const char *path, bool folder, const char *suffix);
void watch_list_release(struct watch_list *list);

/* Fills list with what to watch now (an empty list watches nothing). */
typedef void watch_list_fn(struct watch_list *list, void *arg);

/* A change after its burst: changed names the first file that differs. */
typedef void watch_change_fn(const char *changed, void *arg);

/* One watched file as last seen. */
struct watch_seen {
	char *path;
	uint64_t identity; /* size, modification time and inode, mixed */
};

struct watch {
	/* Set by the caller. */
	watch_list_fn *list;
	watch_change_fn *on_change;
	void *arg;
	int64_t debounce_ms;
	int64_t poll_ms; /* 0: inotify */

	/* watch.c's own */
	struct loop *loop;
	int inotify_fd;
	int debounce_timer;
	int poll_timer;
	struct watch_seen *seen; /* sorted by path */
	size_t seen_count;
};

/* Starts watching on loop: lists, takes the first look, and from then on
 * calls on_change after every burst of changes. Returns 0, or -1 with errno
 * when not even polling can be set up. */
int watch_start(struct watch *watch, struct loop *loop);

/* Stops watching and frees what it holds. */
void watch_stop(struct watch *watch);

#endif
