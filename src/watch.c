#include "watch.h"

#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

/* When inotify cannot be used, polling at this interval takes over. */
#define WATCH_FALLBACK_POLL_MS 1000
/* Folders deeper than this under a watched folder are not looked into (a
 * migrations folder is two levels deep). */
#define WATCH_MAX_DEPTH 8

/* What an editor's save, a rename into place, a new or removed migration
 * makes happen in a folder. */
#define WATCH_EVENTS                                                                                                   \
	(IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB |                \
	 IN_DELETE_SELF | IN_MOVE_SELF)

int watch_list_add(struct watch_list *list, const char *path, bool folder, const char *suffix)
{
	char *copy;

	if (list->count == list->capacity) {
		size_t capacity = list->capacity ? 2 * list->capacity : 8;
		struct watch_entry *entries = realloc(list->entries, capacity * sizeof(*entries));

		if (!entries)
			return -1;
		list->entries = entries;
		list->capacity = capacity;
	}
	if (!(copy = strdup(path)))
		return -1;
	list->entries[list->count++] = (struct watch_entry){.path = copy, .folder = folder, .suffix = suffix};
	return 0;
}

void watch_list_release(struct watch_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->entries[i].path);
	free(list->entries);
	*list = (struct watch_list){0};
}

/* --- what the watched files are -------------------------------------------- */

struct snapshot {
	struct watch_seen *seen;
	size_t count;
	size_t capacity;
};

static void snapshot_release(struct watch_seen *seen, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(seen[i].path);
	free(seen);
}

static uint64_t identity_of(const struct stat *st)
{
	/* FNV-1a over the fields that change when a file is written or
	 * replaced; a missing file is 0. */
	const uint64_t fields[] = {(uint64_t)st->st_size, (uint64_t)st->st_mtim.tv_sec, (uint64_t)st->st_mtim.tv_nsec,
	                           (uint64_t)st->st_ino, (uint64_t)st->st_dev};
	uint64_t hash = 14695981039346656037ULL;

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		for (int byte = 0; byte < 8; byte++) {
			hash ^= (fields[i] >> (8 * byte)) & 0xff;
			hash *= 1099511628211ULL;
		}
	return hash | 1;
}

static void snapshot_add(struct snapshot *snap, const char *path, uint64_t identity)
{
	if (snap->count == snap->capacity) {
		size_t capacity = snap->capacity ? 2 * snap->capacity : 16;
		struct watch_seen *seen = realloc(snap->seen, capacity * sizeof(*seen));

		if (!seen)
			return; /* a file less to compare: the next look has it */
		snap->seen = seen;
		snap->capacity = capacity;
	}
	if (!(snap->seen[snap->count].path = strdup(path)))
		return;
	snap->seen[snap->count++].identity = identity;
}

static bool has_suffix(const char *name, const char *suffix)
{
	size_t name_length = strlen(name), suffix_length = strlen(suffix);

	return name_length > suffix_length && name[name_length - suffix_length - 1] == '.' &&
	       strcmp(name + name_length - suffix_length, suffix) == 0;
}

static void snapshot_folder(struct snapshot *snap, const char *folder, const char *suffix, int depth)
{
	DIR *dir;
	const struct dirent *entry;
	char path[PATH_MAX];
	struct stat st;

	if (depth > WATCH_MAX_DEPTH || !(dir = opendir(folder)))
		return;
	while ((entry = readdir(dir))) {
		if (entry->d_name[0] == '.' ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", folder, entry->d_name) >= sizeof(path))
			continue;
		/* lstat for folders: a link to a folder is not followed (no cycles). */
		if (lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			snapshot_folder(snap, path, suffix, depth + 1);
			continue;
		}
		if (suffix && !has_suffix(entry->d_name, suffix))
			continue;
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			snapshot_add(snap, path, identity_of(&st));
	}
	closedir(dir);
}

static int compare_seen(const void *a, const void *b)
{
	return strcmp(((const struct watch_seen *)a)->path, ((const struct watch_seen *)b)->path);
}

static struct snapshot take_snapshot(const struct watch_list *list)
{
	struct snapshot snap = {0};
	struct stat st;

	for (size_t i = 0; i < list->count; i++) {
		const struct watch_entry *entry = &list->entries[i];

		if (entry->folder)
			snapshot_folder(&snap, entry->path, entry->suffix, 0);
		else
			snapshot_add(&snap, entry->path, stat(entry->path, &st) == 0 ? identity_of(&st) : 0);
	}
	if (snap.count > 1)
		qsort(snap.seen, snap.count, sizeof(*snap.seen), compare_seen);
	return snap;
}

/* The first path that differs between two sorted snapshots, or NULL. */
static const char *first_difference(const struct watch_seen *old, size_t old_count, const struct watch_seen *now,
                                    size_t now_count)
{
	size_t i = 0, j = 0;

	while (i < old_count && j < now_count) {
		int order = strcmp(old[i].path, now[j].path);

		if (order < 0)
			return old[i].path; /* removed */
		if (order > 0)
			return now[j].path; /* added */
		if (old[i].identity != now[j].identity)
			return now[j].path;
		i++;
		j++;
	}
	if (i < old_count)
		return old[i].path;
	if (j < now_count)
		return now[j].path;
	return NULL;
}

/* --- when to look ----------------------------------------------------------- */

static void add_folder_watches(int fd, const char *folder, int depth)
{
	DIR *dir;
	const struct dirent *entry;
	char path[PATH_MAX];
	struct stat st;

	if (depth > WATCH_MAX_DEPTH || inotify_add_watch(fd, folder, WATCH_EVENTS | IN_ONLYDIR) < 0)
		return;
	if (!(dir = opendir(folder)))
		return;
	while ((entry = readdir(dir))) {
		if (entry->d_name[0] == '.' ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", folder, entry->d_name) >= sizeof(path))
			continue;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			add_folder_watches(fd, path, depth + 1);
	}
	closedir(dir);
}

/* The folder a file is in: "." for a bare name. */
static void parent_of(const char *path, char *out, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(out, size, ".");
	else if (slash == path)
		snprintf(out, size, "/");
	else
		snprintf(out, size, "%.*s", (int)(slash - path), path);
}

/* A new inotify descriptor watching what list names: a file through its
 * folder (editors replace files by renaming), a folder and its subfolders.
 * A folder that does not exist yet is watched through its parent, so that
 * creating it is seen. Returns the descriptor, or -1 with errno. */
static int inotify_for(const struct watch_list *list)
{
	char parent[PATH_MAX];
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd < 0)
		return -1;
	for (size_t i = 0; i < list->count; i++) {
		const struct watch_entry *entry = &list->entries[i];
		struct stat st;

		parent_of(entry->path, parent, sizeof(parent));
		if (entry->folder && stat(entry->path, &st) == 0) {
			add_folder_watches(fd, entry->path, 0);
		} else if (inotify_add_watch(fd, parent, WATCH_EVENTS | IN_ONLYDIR) < 0 && errno == ENOSPC) {
			/* The user's inotify watch limit: polling takes over. */
			close(fd);
			errno = ENOSPC;
			return -1;
		}
	}
	return fd;
}

static void on_quiet(struct loop *loop, void *arg);

static void arm_debounce(struct watch *watch)
{
	loop_cancel_timer(watch->loop, watch->debounce_timer);
	watch->debounce_timer = loop_add_timer(watch->loop, watch->debounce_ms, on_quiet, watch);
}

static void on_inotify(struct loop *loop, int fd, short revents, void *arg)
{
	struct watch *watch = arg;
	char events[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	(void)loop;
	(void)revents;
	/* What the events say does not matter, only that something happened:
	 * the comparison after the quiet period decides. */
	while (read(fd, events, sizeof(events)) > 0)
		;
	arm_debounce(watch);
}

static void stop_inotify(struct watch *watch)
{
	if (watch->inotify_fd < 0)
		return;
	loop_unwatch_fd(watch->loop, watch->inotify_fd);
	close(watch->inotify_fd);
	watch->inotify_fd = -1;
}

static void on_poll(struct loop *loop, void *arg);

static void start_polling(struct watch *watch)
{
	watch->poll_timer = loop_add_timer(watch->loop, watch->poll_ms, on_poll, watch);
}

/* Lists what to watch, watches it (inotify mode) and takes a look. Returns
 * the new snapshot; the caller compares and keeps it. */
static struct snapshot look(struct watch *watch)
{
	struct watch_list list = {0};
	struct snapshot snap;

	watch->list(&list, watch->arg);
	if (watch->poll_ms == 0) {
		/* Watches first, then the look: a change in between is seen by both. */
		stop_inotify(watch);
		watch->inotify_fd = inotify_for(&list);
		if (watch->inotify_fd < 0 ||
		    loop_watch_fd(watch->loop, watch->inotify_fd, POLLIN, on_inotify, watch) < 0) {
			log_warning(
			    "cannot watch the schema and migrations with inotify (%s): looking every %d ms instead "
			    "(set watch-poll)",
			    strerror(errno), WATCH_FALLBACK_POLL_MS);
			stop_inotify(watch);
			watch->poll_ms = WATCH_FALLBACK_POLL_MS;
			start_polling(watch);
		}
	}
	snap = take_snapshot(&list);
	watch_list_release(&list);
	return snap;
}

/* Keeps snap as what was seen; returns the first file that changed since
 * the last look, or NULL. The name lives until the next keep. */
static const char *keep(struct watch *watch, struct snapshot snap, char *changed, size_t size)
{
	const char *difference = first_difference(watch->seen, watch->seen_count, snap.seen, snap.count);

	if (difference)
		snprintf(changed, size, "%s", difference);
	snapshot_release(watch->seen, watch->seen_count);
	watch->seen = snap.seen;
	watch->seen_count = snap.count;
	return difference ? changed : NULL;
}

static void on_quiet(struct loop *loop, void *arg)
{
	struct watch *watch = arg;
	char changed[PATH_MAX];

	(void)loop;
	watch->debounce_timer = -1;
	if (keep(watch, look(watch), changed, sizeof(changed)))
		watch->on_change(changed, watch->arg);
}

static void on_poll(struct loop *loop, void *arg)
{
	struct watch *watch = arg;
	struct watch_list list = {0};
	struct snapshot snap;

	(void)loop;
	watch->list(&list, watch->arg);
	snap = take_snapshot(&list);
	watch_list_release(&list);
	/* A difference starts the quiet period, unless one runs: the rest of
	 * the burst has that long to land. */
	if (watch->debounce_timer < 0 && first_difference(watch->seen, watch->seen_count, snap.seen, snap.count))
		arm_debounce(watch);
	snapshot_release(snap.seen, snap.count);
	start_polling(watch);
}

int watch_start(struct watch *watch, struct loop *loop)
{
	char ignored[PATH_MAX];

	watch->loop = loop;
	watch->inotify_fd = -1;
	watch->debounce_timer = -1;
	watch->poll_timer = -1;
	watch->seen = NULL;
	watch->seen_count = 0;
	keep(watch, look(watch), ignored, sizeof(ignored));
	if (watch->poll_ms > 0 && watch->poll_timer < 0)
		start_polling(watch);
	if (watch->inotify_fd < 0 && watch->poll_timer < 0) {
		errno = ENOSPC;
		return -1;
	}
	return 0;
}

void watch_stop(struct watch *watch)
{
	stop_inotify(watch);
	loop_cancel_timer(watch->loop, watch->debounce_timer);
	loop_cancel_timer(watch->loop, watch->poll_timer);
	watch->debounce_timer = watch->poll_timer = -1;
	snapshot_release(watch->seen, watch->seen_count);
	watch->seen = NULL;
	watch->seen_count = 0;
}
