#include "migrations.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void migration_rows_free(struct migration_row *rows, size_t count)
{
	for (size_t i = 0; rows && i < count; i++) {
		free(rows[i].name);
		free(rows[i].logs);
		free(rows[i].checksum);
	}
	free(rows);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A real folder, not a link to one: Prisma reads entries with
 * withFileTypes and keeps isDirectory() ones, which is false for links. */
static bool is_real_folder(int dir_fd, const struct dirent *entry)
{
	struct stat st;

	if (entry->d_type == DT_DIR)
		return true;
	if (entry->d_type != DT_UNKNOWN)
		return false;
	return fstatat(dir_fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

int migrations_folder_read(const char *path, struct migrations_folder *folder, char *error, size_t error_size)
{
	DIR *dir = opendir(path);
	const struct dirent *entry;
	size_t capacity = 0;

	*folder = (struct migrations_folder){0};
	if (!dir) {
		snprintf(error, error_size, "cannot read the migrations folder %s: %s", path, strerror(errno));
		return -1;
	}
	if (!(folder->path = strdup(path)))
		goto oom;
	errno = 0;
	while ((entry = readdir(dir))) {
		if (entry->d_name[0] == '.' || !is_real_folder(dirfd(dir), entry))
			continue;
		if (folder->count == capacity) {
			size_t grown = capacity ? 2 * capacity : 16;
			char **names = realloc(folder->names, grown * sizeof(*names));

			if (!names)
				goto oom;
			folder->names = names;
			capacity = grown;
		}
		if (!(folder->names[folder->count] = strdup(entry->d_name)))
			goto oom;
		folder->count++;
		errno = 0;
	}
	if (errno) {
		snprintf(error, error_size, "cannot read the migrations folder %s: %s", path, strerror(errno));
		closedir(dir);
		migrations_folder_release(folder);
		return -1;
	}
	closedir(dir);
	if (folder->count)
		qsort(folder->names, folder->count, sizeof(*folder->names), by_name);
	return 0;
oom:
	snprintf(error, error_size, "cannot read the migrations folder %s: %s", path, strerror(ENOMEM));
	closedir(dir);
	migrations_folder_release(folder);
	return -1;
}

void migrations_folder_release(struct migrations_folder *folder)
{
	for (size_t i = 0; i < folder->count; i++)
		free(folder->names[i]);
	free(folder->names);
	free(folder->path);
	*folder = (struct migrations_folder){0};
}

static bool is_folder(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Writes the first len bytes of head, then tail, into out; -1 with
 * ENAMETOOLONG when that does not fit. */
static int join(char *out, size_t out_size, const char *head, size_t len, const char *tail)
{
	int n = snprintf(out, out_size, "%.*s%s", (int)len, head, tail);

	if (n < 0 || (size_t)n >= out_size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int migrations_folder_find(const char *configured, const char *schema_path, char *out, size_t out_size)
{
	if (configured && configured[0]) {
		if (join(out, out_size, configured, strlen(configured), "") < 0)
			return -1;
		return is_folder(out) ? 1 : 0;
	}
	if (schema_path && schema_path[0]) {
		const char *slash = strrchr(schema_path, '/');
		int status;

		if (is_folder(schema_path))
			status = join(out, out_size, schema_path, strlen(schema_path), "/migrations");
		else if (slash)
			status = join(out, out_size, schema_path, (size_t)(slash - schema_path), "/migrations");
		else
			status = join(out, out_size, "", 0, "migrations");
		if (status < 0)
			return -1;
		if (is_folder(out))
			return 1;
	}
	if (join(out, out_size, "", 0, "prisma/migrations") < 0)
		return -1;
	return is_folder(out) ? 1 : 0;
}

int migration_lookup_init(struct migration_lookup *lookup, const struct migration_row *rows, size_t row_count)
{
	*lookup = (struct migration_lookup){0};
	if (row_count && !(lookup->names = malloc(row_count * sizeof(*lookup->names)))) {
		errno = ENOMEM;
		return -1;
	}
	for (size_t i = 0; i < row_count; i++)
		if (!rows[i].rolled_back)
			lookup->names[lookup->count++] = rows[i].name;
	if (lookup->count > 1)
		qsort(lookup->names, lookup->count, sizeof(*lookup->names), by_name);
	return 0;
}

void migration_lookup_release(struct migration_lookup *lookup)
{
	free(lookup->names);
	*lookup = (struct migration_lookup){0};
}

bool migrations_is_pending(const struct migration_lookup *lookup, const char *name)
{
	return lookup->count == 0 || !bsearch(&name, lookup->names, lookup->count, sizeof(*lookup->names), by_name);
}

bool migrations_folder_has(const struct migrations_folder *folder, const char *name)
{
	return migrations_folder_index(folder, name) >= 0;
}

long migrations_folder_index(const struct migrations_folder *folder, const char *name)
{
	char **found =
	    folder->count > 0 ? bsearch(&name, folder->names, folder->count, sizeof(*folder->names), by_name) : NULL;

	return found ? (long)(found - folder->names) : -1;
}

int migrations_compare(const struct migrations_folder *folder, const struct migration_row *rows, size_t row_count,
                       struct migrations_status *status)
{
	struct migration_lookup lookup;

	*status = (struct migrations_status){0};
	if (migration_lookup_init(&lookup, rows, row_count) < 0)
		return -1;
	for (size_t i = 0; i < row_count; i++) {
		if (rows[i].rolled_back)
			continue;
		if (rows[i].finished) {
			if (!migrations_folder_has(folder, rows[i].name)) {
				if (status->unknown < MIGRATIONS_SHOWN)
					status->unknown_shown[status->unknown] = rows[i].name;
				status->unknown++;
			}
			continue;
		}
		if (!status->first_failed)
			status->first_failed = &rows[i];
		status->failed++;
	}
	for (size_t i = 0; i < folder->count; i++) {
		if (!migrations_is_pending(&lookup, folder->names[i])) {
			status->applied++;
			continue;
		}
		if (!status->first_pending)
			status->first_pending = folder->names[i];
		if (status->pending < MIGRATIONS_SHOWN)
			status->pending_shown[status->pending] = folder->names[i];
		status->pending++;
	}
	migration_lookup_release(&lookup);
	return 0;
}
