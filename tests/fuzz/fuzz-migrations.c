/* Fuzz target: the migrations folder and its comparison with the database's
 * rows (migrations.c).
 *
 * Input: lines. Until a line "--", each names an entry made in a fresh
 * folder: "d" then a name makes a folder, "f" a file, "l" a symbolic link to
 * a folder. After it, each line is a row of _prisma_migrations: a flags
 * byte (bit 0 finished, bit 1 rolled back) then the name.
 *
 * Properties: the folder lists exactly the real sub-folders not starting
 * with '.', in strictly increasing byte order; the comparison agrees with a
 * plain model of `prisma migrate deploy` (applied + pending = folders, a
 * failed row is neither finished nor rolled back, the first pending and
 * first failed are the first in order); migrations_folder_find finds a
 * configured folder exactly when it is one, and reports a path too long for
 * its buffer instead of cutting it; errors are one line. */
#include "check.h"

#include "migrations.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ENTRIES 64

static const char *root;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	root = fuzz_temp_root("migrations");
	return 0;
}

/* A name the file system takes in one folder: no '/', not "." or "..". */
static bool usable(const char *name)
{
	return name[0] && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 && strlen(name) < 200;
}

static bool is_real_folder(const char *dir, const char *name)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool row_is_live(const struct migration_row *rows, size_t count, const char *name)
{
	for (size_t i = 0; i < count; i++)
		if (!rows[i].rolled_back && strcmp(rows[i].name, name) == 0)
			return true;
	return false;
}

static void check_compare(const struct migrations_folder *folder, const struct migration_row *rows, size_t count)
{
	struct migrations_status status;
	size_t pending = 0, failed = 0, unknown = 0;
	const char *first_pending = NULL;
	const struct migration_row *first_failed = NULL;

	migrations_compare(folder, rows, count, &status);
	for (size_t i = 0; i < folder->count; i++)
		if (!row_is_live(rows, count, folder->names[i]) && pending++ == 0)
			first_pending = folder->names[i];
	for (size_t i = 0; i < count; i++) {
		bool in_folder = false;

		if (!rows[i].finished && !rows[i].rolled_back && failed++ == 0)
			first_failed = &rows[i];
		for (size_t j = 0; j < folder->count && !in_folder; j++)
			in_folder = strcmp(folder->names[j], rows[i].name) == 0;
		if (rows[i].finished && !rows[i].rolled_back && !in_folder)
			unknown++;
		if (migrations_folder_has(folder, rows[i].name) != in_folder)
			fuzz_fail("migrations_folder_has('%s') is %d", rows[i].name, !in_folder);
	}
	if (status.applied + status.pending != folder->count || status.pending != pending || status.failed != failed ||
	    status.unknown != unknown || status.first_pending != first_pending || status.first_failed != first_failed ||
	    (pending && status.pending_shown[0] != first_pending))
		fuzz_fail("comparison: applied %zu pending %zu failed %zu unknown %zu, expected pending %zu failed %zu "
		          "unknown %zu of %zu",
		          status.applied, status.pending, status.failed, status.unknown, pending, failed, unknown,
		          folder->count);
}

/* configured: a folder that exists. */
static void check_find(const char *configured)
{
	char out[600];
	char small[16];
	int found;

	found = migrations_folder_find(configured, NULL, out, sizeof(out));
	if (found != 1 || strcmp(out, configured) != 0)
		fuzz_fail("migrations_folder_find(%s) is %d, '%s'", configured, found, out);
	errno = 0;
	found = migrations_folder_find(configured, NULL, small, sizeof(small));
	if (strlen(configured) >= sizeof(small) && (found != -1 || errno != ENAMETOOLONG))
		fuzz_fail("a path of %zu bytes fits in %zu: %d", strlen(configured), sizeof(small), found);
	check_terminated("migrations_folder_find, small", small, sizeof(small));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;
	char dir[128], path[512], error[256];
	struct migration_row rows[MAX_ENTRIES];
	struct migrations_folder folder;
	size_t row_count = 0;
	bool in_rows = false;
	static unsigned serial;

	if (fuzz_mentions_secret(data, size))
		return 0;
	text = strndup((const char *)data, size);
	snprintf(dir, sizeof(dir), "%s/%u", root, serial++);
	if (mkdir(dir, 0700) < 0)
		fuzz_fail("cannot make %s", dir);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (strcmp(line, "--") == 0) {
			in_rows = true;
		} else if (in_rows && line[0] && row_count < MAX_ENTRIES) {
			rows[row_count++] = (struct migration_row){
			    .name = line + 1, .finished = line[0] & 1, .rolled_back = line[0] & 2, .logs = ""};
		} else if (!in_rows && usable(line + (line[0] != 0))) {
			snprintf(path, sizeof(path), "%s/%s", dir, line + 1);
			if (line[0] == 'f')
				close(open(path, O_CREAT | O_WRONLY, 0600));
			else if (line[0] == 'l')
				(void)!symlink(".", path);
			else
				mkdir(path, 0700);
		}
	}
	if (migrations_folder_read(dir, &folder, error, sizeof(error)) < 0)
		fuzz_fail("cannot read %s: %s", dir, error);
	for (size_t i = 0; i < folder.count; i++) {
		if (folder.names[i][0] == '.' || !is_real_folder(dir, folder.names[i]))
			fuzz_fail("'%s' listed, not a real folder", folder.names[i]);
		if (i > 0 && strcmp(folder.names[i - 1], folder.names[i]) >= 0)
			fuzz_fail("'%s' listed after '%s'", folder.names[i], folder.names[i - 1]);
	}
	check_compare(&folder, rows, row_count);
	if (folder.count > 0) {
		snprintf(path, sizeof(path), "%s/%s", dir, folder.names[0]);
		check_find(path);
	}
	migrations_folder_release(&folder);
	snprintf(path, sizeof(path), "%s/missing\n%s", dir, text);
	if (migrations_folder_read(path, &folder, error, sizeof(error)) == 0)
		fuzz_fail("a missing folder was read");
	check_terminated("migrations_folder_read error", error, sizeof(error));
	check_logged(error);
	fuzz_remove_tree(dir);
	free(text);
	return 0;
}
