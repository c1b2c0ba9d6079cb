/* Unit tests for migrations.c: reading the migrations folder (sub-folders
 * only, sorted in byte order), finding it next to the schema, and comparing
 * it with the rows of _prisma_migrations as `prisma migrate deploy` does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tree.h"

#include "migrations.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fixture {
	char dir[64];
	char old_cwd[PATH_MAX]; /* where the test started: teardown goes back */
	char error[512];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	if (!getcwd(fx->old_cwd, sizeof(fx->old_cwd))) {
		free(fx);
		return -1;
	}
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/pe-test-migrations-XXXXXX");
	if (!mkdtemp(fx->dir)) {
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	int rc = 0;

	if (chdir(fx->old_cwd) < 0 || tree_remove(fx->dir) < 0)
		rc = -1;
	free(fx);
	return rc;
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

static void enter_dir(const struct fixture *fx)
{
	assert_int_equal(chdir(fx->dir), 0);
}

/* Makes the folder fx->dir/relative. */
static void make_dir(const struct fixture *fx, const char *relative)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", fx->dir, relative);
	assert_int_equal(mkdir(path, 0755), 0);
}

/* Makes the file fx->dir/relative, with a line in it. */
static void make_file(const struct fixture *fx, const char *relative)
{
	char path[PATH_MAX];
	FILE *file;

	snprintf(path, sizeof(path), "%s/%s", fx->dir, relative);
	file = fopen(path, "w");
	assert_non_null(file);
	assert_true(fputs("-- not a migration folder\n", file) >= 0);
	assert_int_equal(fclose(file), 0);
}

/* Makes the symbolic link fx->dir/relative, pointing at target. */
static void make_link(const struct fixture *fx, const char *target, const char *relative)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", fx->dir, relative);
	assert_int_equal(symlink(target, path), 0);
}

/* The folder's names joined with spaces ("" when empty). */
static void join_names(const struct migrations_folder *folder, char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < folder->count; i++) {
		used += (size_t)snprintf(out + used, size - used, "%s%s", used ? " " : "", folder->names[i]);
		assert_true(used < size);
	}
}

static void assert_one_line(const char *error)
{
	assert_true(error[0] != '\0');
	assert_null(strchr(error, '\n'));
}

/* ---- migrations_folder_read ---- */

static void test_read_sorted_in_byte_order(void **state)
{
	struct fixture *fx = *state;
	struct migrations_folder folder;
	char names[256];

	make_dir(fx, "20240102_b");
	make_dir(fx, "20240101_a");
	make_dir(fx, "2024010_x");
	make_dir(fx, "B");
	make_dir(fx, "a");
	assert_int_equal(migrations_folder_read(fx->dir, &folder, fx->error, sizeof(fx->error)), 0);
	assert_int_equal(folder.count, 5);
	join_names(&folder, names, sizeof(names));
	/* '0' < '1' < 'B' < '_' < 'a' in ASCII. */
	assert_string_equal(names, "20240101_a 20240102_b 2024010_x B a");
	assert_string_equal(folder.path, fx->dir);
	migrations_folder_release(&folder);
	assert_null(folder.names);
	assert_null(folder.path);
	assert_int_equal(folder.count, 0);
}

static void test_read_only_real_folders(void **state)
{
	struct fixture *fx = *state;
	char other[PATH_MAX];
	struct migrations_folder folder;
	char names[256];

	make_dir(fx, "20240101_init");
	make_dir(fx, "20240101_init/nested");
	make_file(fx, "20240101_init/migration.sql");
	make_file(fx, "migration_lock.toml");
	make_dir(fx, ".git");
	make_dir(fx, ".hidden_migration");
	make_file(fx, ".gitkeep");
	make_link(fx, "20240101_init", "20240102_link_to_folder");
	make_link(fx, "migration_lock.toml", "20240103_link_to_file");
	make_link(fx, "nowhere", "20240104_dangling");
	/* A link to a folder outside, too. */
	snprintf(other, sizeof(other), "%s/.outside", fx->dir);
	make_dir(fx, ".outside");
	make_link(fx, other, "20240105_link_outside");
	make_dir(fx, "20240106_second");

	assert_int_equal(migrations_folder_read(fx->dir, &folder, fx->error, sizeof(fx->error)), 0);
	join_names(&folder, names, sizeof(names));
	assert_string_equal(names, "20240101_init 20240106_second");
	assert_int_equal(folder.count, 2);
	migrations_folder_release(&folder);
}

static void test_read_empty_folder(void **state)
{
	struct fixture *fx = *state;
	struct migrations_folder folder;

	assert_int_equal(migrations_folder_read(fx->dir, &folder, fx->error, sizeof(fx->error)), 0);
	assert_int_equal(folder.count, 0);
	assert_non_null(folder.path);
	assert_string_equal(folder.path, fx->dir);
	migrations_folder_release(&folder);
	assert_null(folder.path);
}

/* Only files and hidden folders: nothing to migrate either. */
static void test_read_only_skipped_entries(void **state)
{
	struct fixture *fx = *state;
	struct migrations_folder folder;

	make_file(fx, "migration_lock.toml");
	make_dir(fx, ".git");
	make_link(fx, ".git", "linked");
	assert_int_equal(migrations_folder_read(fx->dir, &folder, fx->error, sizeof(fx->error)), 0);
	assert_int_equal(folder.count, 0);
	migrations_folder_release(&folder);
}

/* More than the first allocation holds: the array grows. */
static void test_read_many_folders(void **state)
{
	struct fixture *fx = *state;
	struct migrations_folder folder;
	char name[64];

	for (int i = 99; i >= 0; i--) {
		snprintf(name, sizeof(name), "20240101%06d_step", i);
		make_dir(fx, name);
	}
	assert_int_equal(migrations_folder_read(fx->dir, &folder, fx->error, sizeof(fx->error)), 0);
	assert_int_equal(folder.count, 100);
	for (size_t i = 0; i < folder.count; i++) {
		snprintf(name, sizeof(name), "20240101%06zu_step", i);
		assert_string_equal(folder.names[i], name);
	}
	migrations_folder_release(&folder);
}

static void test_read_missing_folder(void **state)
{
	struct fixture *fx = *state;
	struct migrations_folder folder = {.count = 7};
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/prisma/migrations", fx->dir);
	assert_int_equal(migrations_folder_read(path, &folder, fx->error, sizeof(fx->error)), -1);
	assert_one_line(fx->error);
	assert_non_null(strstr(fx->error, path));
	assert_non_null(strstr(fx->error, strerror(ENOENT)));
	/* Left zeroed: releasing it is safe. */
	assert_null(folder.path);
	assert_null(folder.names);
	assert_int_equal(folder.count, 0);
	migrations_folder_release(&folder);
}

static void test_read_a_file_is_an_error(void **state)
{
	struct fixture *fx = *state;
	struct migrations_folder folder;
	char path[PATH_MAX];

	make_file(fx, "migrations");
	snprintf(path, sizeof(path), "%s/migrations", fx->dir);
	assert_int_equal(migrations_folder_read(path, &folder, fx->error, sizeof(fx->error)), -1);
	assert_one_line(fx->error);
	assert_non_null(strstr(fx->error, path));
	assert_non_null(strstr(fx->error, strerror(ENOTDIR)));
	migrations_folder_release(&folder);
}

/* The error is cut to the buffer, still terminated. */
static void test_read_error_truncated(void **state)
{
	struct migrations_folder folder;
	char error[16];

	(void)state;
	memset(error, 'x', sizeof(error));
	assert_int_equal(migrations_folder_read("/nonexistent/pe-migrations", &folder, error, sizeof(error)), -1);
	assert_int_equal(strlen(error), sizeof(error) - 1);
	migrations_folder_release(&folder);
}

static void test_release_zeroed_struct(void **state)
{
	struct migrations_folder folder = {0};

	(void)state;
	migrations_folder_release(&folder);
	migrations_folder_release(&folder);
	assert_null(folder.path);
	assert_null(folder.names);
	assert_int_equal(folder.count, 0);
}

static void test_read_relative_path(void **state)
{
	struct fixture *fx = *state;
	struct migrations_folder folder;

	make_dir(fx, "prisma");
	make_dir(fx, "prisma/migrations");
	make_dir(fx, "prisma/migrations/20240101_init");
	enter_dir(fx);
	assert_int_equal(migrations_folder_read("prisma/migrations", &folder, fx->error, sizeof(fx->error)), 0);
	assert_string_equal(folder.path, "prisma/migrations");
	assert_int_equal(folder.count, 1);
	assert_string_equal(folder.names[0], "20240101_init");
	migrations_folder_release(&folder);
}

/* ---- migrations_folder_find ---- */

static void test_find_configured_exists(void **state)
{
	struct fixture *fx = *state;
	char out[PATH_MAX];

	make_dir(fx, "db");
	make_dir(fx, "db/migrations");
	make_dir(fx, "prisma");
	make_dir(fx, "prisma/migrations");
	enter_dir(fx);
	assert_int_equal(migrations_folder_find("db/migrations", "prisma/schema.prisma", out, sizeof(out)), 1);
	assert_string_equal(out, "db/migrations");
}

/* A configured one that is missing is none: no fallback to the others. */
static void test_find_configured_missing(void **state)
{
	struct fixture *fx = *state;
	char out[PATH_MAX];

	make_dir(fx, "prisma");
	make_dir(fx, "prisma/migrations");
	enter_dir(fx);
	assert_int_equal(migrations_folder_find("db/migrations", "prisma/schema.prisma", out, sizeof(out)), 0);
	assert_string_equal(out, "db/migrations");
}

/* A configured file is not a folder. */
static void test_find_configured_is_a_file(void **state)
{
	struct fixture *fx = *state;
	char out[PATH_MAX];

	make_file(fx, "migrations");
	enter_dir(fx);
	assert_int_equal(migrations_folder_find("migrations", NULL, out, sizeof(out)), 0);
}

/* "" is not configured. */
static void test_find_configured_empty_is_unset(void **state)
{
	struct fixture *fx = *state;
	char out[PATH_MAX];

	make_dir(fx, "prisma");
	make_dir(fx, "prisma/migrations");
	enter_dir(fx);
	assert_int_equal(migrations_folder_find("", "prisma/schema.prisma", out, sizeof(out)), 1);
	assert_string_equal(out, "prisma/migrations");
}

static void test_find_next_to_schema_file(void **state)
{
	struct fixture *fx = *state;
	char out[PATH_MAX];

	make_dir(fx, "prisma");
	make_file(fx, "prisma/schema.prisma");
	make_dir(fx, "prisma/migrations");
	enter_dir(fx);
	assert_int_equal(migrations_folder_find(NULL, "prisma/schema.prisma", out, sizeof(out)), 1);
	assert_string_equal(out, "prisma/migrations");
}

/* The schema file need not exist: its folder is what counts. */
static void test_find_next_to_schema_file_in_other_folder(void **state)
{
	struct fixture *fx = *state;
	char out[PATH_MAX];

	make_dir(fx, "db");
	make_dir(fx, "db/migrations");
	make_dir(fx, "prisma");
	make_dir(fx, "prisma/migrations");
	enter_dir(fx);
	assert_int_equal(migrations_folder_find(NULL, "db/app.prisma", out, sizeof(out)), 1);
	assert_string_equal(out, "db/migrations");
}

static void test_find_top_level_schema_file(void **state)
{
	struct fixture *fx = *state;
	char out[PATH_MAX];

	make_file(fx, "schema.prisma");
	make_dir(fx, "migrations");
	enter_dir(fx);
	assert_int_equal(migrations_folder_find(NULL, "schema.prisma", out, sizeof(out)), 1);
	assert_string_equal(out, "migrations");
}

static void test_find_schema_folder(void **state)
{
	struct fixture *fx = *state;
	char out[PATH_MAX];

	make_dir(fx, "prisma");
	make_dir(fx, "prisma/schema");
	make_file(fx, "prisma/schema/models.prisma");
	make_dir(fx, "prisma/schema/migrations");
	make_dir(fx, "prisma/migrations");
	enter_dir(fx);
	assert_int_equal(migrations_folder_find(NULL, "prisma/schema", out, sizeof(out)), 1);
	assert_string_equal(out, "prisma/schema/migrations");
}

/* A schema folder without migrations: not its parent's, but prisma/'s. */
static void test_find_schema_folder_falls_back(void **state)
{
	struct fixture *fx = *state;
	char out[PATH_MAX];

	make_dir(fx, "db");
	make_dir(fx, "db/schema");
	make_dir(fx, "db/migrations");
	make_dir(fx, "prisma");
	make_dir(fx, "prisma/migrations");
	enter_dir(fx);
	assert_int_equal(migrations_folder_find(NULL, "db/schema", out, sizeof(out)), 1);
	assert_string_equal(out, "prisma/migrations");
}

static void test_find_falls_back_to_prisma_migrations(void **state)
{
	struct fixture *fx = *state;
	char out[PATH_MAX];

	make_dir(fx, "db");
	make_file(fx, "db/schema.prisma");
	make_dir(fx, "prisma");
	make_dir(fx, "prisma/migrations");
	enter_dir(fx);
	assert_int_equal(migrations_folder_find(NULL, "db/schema.prisma", out, sizeof(out)), 1);
	assert_string_equal(out, "prisma/migrations");
	assert_int_equal(migrations_folder_find(NULL, "schema.prisma", out, sizeof(out)), 1);
	assert_string_equal(out, "prisma/migrations");
}

static void test_find_without_schema_path(void **state)
{
	struct fixture *fx = *state;
	char out[PATH_MAX];

	make_dir(fx, "prisma");
	make_dir(fx, "prisma/migrations");
	enter_dir(fx);
	assert_int_equal(migrations_folder_find(NULL, NULL, out, sizeof(out)), 1);
	assert_string_equal(out, "prisma/migrations");
	assert_int_equal(migrations_folder_find(NULL, "", out, sizeof(out)), 1);
	assert_string_equal(out, "prisma/migrations");
}

/* A file named migrations next to the schema is not the folder. */
static void test_find_migrations_file_is_skipped(void **state)
{
	struct fixture *fx = *state;
	char out[PATH_MAX];

	make_dir(fx, "prisma");
	make_file(fx, "prisma/migrations");
	enter_dir(fx);
	assert_int_equal(migrations_folder_find(NULL, "prisma/schema.prisma", out, sizeof(out)), 0);
}

static void test_find_none_anywhere(void **state)
{
	struct fixture *fx = *state;
	char out[PATH_MAX];

	make_dir(fx, "prisma");
	make_file(fx, "prisma/schema.prisma");
	make_dir(fx, "prisma/schema");
	enter_dir(fx);
	assert_int_equal(migrations_folder_find(NULL, "prisma/schema.prisma", out, sizeof(out)), 0);
	assert_int_equal(migrations_folder_find(NULL, "prisma/schema", out, sizeof(out)), 0);
	assert_int_equal(migrations_folder_find(NULL, "schema.prisma", out, sizeof(out)), 0);
	assert_int_equal(migrations_folder_find(NULL, NULL, out, sizeof(out)), 0);
}

static void test_find_out_too_small(void **state)
{
	struct fixture *fx = *state;
	char out[PATH_MAX];

	make_dir(fx, "prisma");
	make_dir(fx, "prisma/migrations");
	make_dir(fx, "db");
	make_dir(fx, "db/migrations");
	enter_dir(fx);

	/* Configured: "db/migrations" is 13 bytes, the NUL makes 14. */
	errno = 0;
	assert_int_equal(migrations_folder_find("db/migrations", NULL, out, 13), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_int_equal(migrations_folder_find("db/migrations", NULL, out, 14), 1);
	assert_string_equal(out, "db/migrations");

	/* Next to the schema: "db/migrations" again. */
	errno = 0;
	assert_int_equal(migrations_folder_find(NULL, "db/schema.prisma", out, 13), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_int_equal(migrations_folder_find(NULL, "db/schema.prisma", out, 14), 1);
	assert_string_equal(out, "db/migrations");

	/* The fallback: "prisma/migrations" is 17 bytes. */
	errno = 0;
	assert_int_equal(migrations_folder_find(NULL, NULL, out, 17), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_int_equal(migrations_folder_find(NULL, NULL, out, 18), 1);
	assert_string_equal(out, "prisma/migrations");
}

/* ---- migrations_compare ---- */

static char *names_abc[] = {"20240101_a", "20240102_b", "20240103_c"};

static const struct migrations_folder folder_abc = {
    .path = "prisma/migrations",
    .names = names_abc,
    .count = 3,
};

#define ROW(n, f, r)                                                                                                   \
	{                                                                                                              \
		.name = (n), .finished = (f), .rolled_back = (r), .logs = ""                                           \
	}

static void test_compare_all_applied(void **state)
{
	const struct migration_row rows[] = {
	    ROW("20240101_a", true, false),
	    ROW("20240102_b", true, false),
	    ROW("20240103_c", true, false),
	};
	struct migrations_status status;

	(void)state;
	migrations_compare(&folder_abc, rows, 3, &status);
	assert_int_equal(status.applied, 3);
	assert_int_equal(status.pending, 0);
	assert_int_equal(status.failed, 0);
	assert_null(status.first_pending);
	assert_null(status.first_failed);
}

/* Rows in any order: they are matched by name. */
static void test_compare_rows_in_any_order(void **state)
{
	const struct migration_row rows[] = {
	    ROW("20240103_c", true, false),
	    ROW("20240101_a", true, false),
	    ROW("20240102_b", true, false),
	};
	struct migrations_status status;

	(void)state;
	migrations_compare(&folder_abc, rows, 3, &status);
	assert_int_equal(status.applied, 3);
	assert_int_equal(status.pending, 0);
}

static void test_compare_pending(void **state)
{
	const struct migration_row rows[] = {
	    ROW("20240101_a", true, false),
	};
	struct migrations_status status;

	(void)state;
	migrations_compare(&folder_abc, rows, 1, &status);
	assert_int_equal(status.applied, 1);
	assert_int_equal(status.pending, 2);
	assert_int_equal(status.failed, 0);
	assert_ptr_equal(status.first_pending, names_abc[1]);
	assert_string_equal(status.first_pending, "20240102_b");
	assert_null(status.first_failed);
}

/* A gap in the middle: the first pending is the first in folder order. */
static void test_compare_pending_gap(void **state)
{
	const struct migration_row rows[] = {
	    ROW("20240103_c", true, false),
	    ROW("20240101_a", true, false),
	};
	struct migrations_status status;

	(void)state;
	migrations_compare(&folder_abc, rows, 2, &status);
	assert_int_equal(status.applied, 2);
	assert_int_equal(status.pending, 1);
	assert_ptr_equal(status.first_pending, names_abc[1]);
}

static void test_compare_no_rows(void **state)
{
	struct migrations_status status;

	(void)state;
	migrations_compare(&folder_abc, NULL, 0, &status);
	assert_int_equal(status.applied, 0);
	assert_int_equal(status.pending, 3);
	assert_int_equal(status.failed, 0);
	assert_ptr_equal(status.first_pending, names_abc[0]);
	assert_null(status.first_failed);
}

static void test_compare_rolled_back_is_pending(void **state)
{
	const struct migration_row rows[] = {
	    ROW("20240101_a", true, false),
	    ROW("20240102_b", false, true),
	    ROW("20240103_c", true, false),
	};
	struct migrations_status status;

	(void)state;
	migrations_compare(&folder_abc, rows, 3, &status);
	assert_int_equal(status.applied, 2);
	assert_int_equal(status.pending, 1);
	assert_int_equal(status.failed, 0);
	assert_ptr_equal(status.first_pending, names_abc[1]);
	assert_null(status.first_failed);
}

/* Finished and then rolled back: still pending. */
static void test_compare_finished_then_rolled_back_is_pending(void **state)
{
	const struct migration_row rows[] = {
	    ROW("20240101_a", true, true),
	    ROW("20240102_b", true, false),
	    ROW("20240103_c", true, false),
	};
	struct migrations_status status;

	(void)state;
	migrations_compare(&folder_abc, rows, 3, &status);
	assert_int_equal(status.applied, 2);
	assert_int_equal(status.pending, 1);
	assert_int_equal(status.failed, 0);
	assert_ptr_equal(status.first_pending, names_abc[0]);
}

static void test_compare_rolled_back_then_applied(void **state)
{
	const struct migration_row rows[] = {
	    ROW("20240101_a", true, false), ROW("20240102_b", false, true), ROW("20240102_b", false, true),
	    ROW("20240102_b", true, false), ROW("20240103_c", true, false),
	};
	struct migrations_status status;

	(void)state;
	migrations_compare(&folder_abc, rows, 5, &status);
	assert_int_equal(status.applied, 3);
	assert_int_equal(status.pending, 0);
	assert_int_equal(status.failed, 0);
	assert_null(status.first_pending);
	assert_null(status.first_failed);
}

static void test_compare_failed(void **state)
{
	const struct migration_row rows[] = {
	    ROW("20240101_a", true, false),
	    {.name = "20240102_b", .finished = false, .rolled_back = false, .logs = "ERROR: relation exists"},
	};
	struct migrations_status status;

	(void)state;
	migrations_compare(&folder_abc, rows, 2, &status);
	assert_int_equal(status.failed, 1);
	assert_ptr_equal(status.first_failed, &rows[1]);
	assert_string_equal(status.first_failed->logs, "ERROR: relation exists");
	/* The failed row is live: its folder is not pending. */
	assert_int_equal(status.applied, 2);
	assert_int_equal(status.pending, 1);
	assert_ptr_equal(status.first_pending, names_abc[2]);
}

/* A failed one that was rolled back and then applied: nothing blocks. */
static void test_compare_failed_rolled_back_then_applied(void **state)
{
	const struct migration_row rows[] = {
	    ROW("20240101_a", true, false),
	    ROW("20240102_b", false, true),
	    ROW("20240102_b", true, false),
	    ROW("20240103_c", true, false),
	};
	struct migrations_status status;

	(void)state;
	migrations_compare(&folder_abc, rows, 4, &status);
	assert_int_equal(status.failed, 0);
	assert_null(status.first_failed);
	assert_int_equal(status.applied, 3);
	assert_int_equal(status.pending, 0);
}

/* Several failed rows, one without a folder: all count, the first is kept. */
static void test_compare_several_failed(void **state)
{
	const struct migration_row rows[] = {
	    ROW("20231231_gone", false, false),
	    ROW("20240101_a", true, false),
	    ROW("20240102_b", false, false),
	};
	struct migrations_status status;

	(void)state;
	migrations_compare(&folder_abc, rows, 3, &status);
	assert_int_equal(status.failed, 2);
	assert_ptr_equal(status.first_failed, &rows[0]);
	assert_int_equal(status.applied, 2);
	assert_int_equal(status.pending, 1);
	assert_ptr_equal(status.first_pending, names_abc[2]);
}

static void test_compare_rows_without_folder_ignored(void **state)
{
	const struct migration_row rows[] = {
	    ROW("20230101_old", true, false),
	    ROW("20240101_a", true, false),
	    ROW("20230202_older_rolled_back", false, true),
	    ROW("20240102_b", true, false),
	    ROW("20250101_future", true, false),
	};
	struct migrations_status status;

	(void)state;
	migrations_compare(&folder_abc, rows, 5, &status);
	assert_int_equal(status.applied, 2);
	assert_int_equal(status.pending, 1);
	assert_int_equal(status.failed, 0);
	assert_ptr_equal(status.first_pending, names_abc[2]);
	assert_null(status.first_failed);
}

/* A name is matched whole, not as a prefix. */
static void test_compare_names_match_whole(void **state)
{
	const struct migration_row rows[] = {
	    ROW("20240101", true, false),
	    ROW("20240101_a_more", true, false),
	};
	struct migrations_status status;

	(void)state;
	migrations_compare(&folder_abc, rows, 2, &status);
	assert_int_equal(status.applied, 0);
	assert_int_equal(status.pending, 3);
	assert_ptr_equal(status.first_pending, names_abc[0]);
}

static void test_compare_empty(void **state)
{
	const struct migrations_folder empty = {0};
	const struct migration_row rows[] = {
	    ROW("20240101_a", true, false),
	};
	struct migrations_status status;

	(void)state;
	memset(&status, 0xff, sizeof(status));
	migrations_compare(&empty, NULL, 0, &status);
	assert_int_equal(status.applied, 0);
	assert_int_equal(status.pending, 0);
	assert_int_equal(status.failed, 0);
	assert_null(status.first_pending);
	assert_null(status.first_failed);

	/* Rows but no folders: ignored. */
	memset(&status, 0xff, sizeof(status));
	migrations_compare(&empty, rows, 1, &status);
	assert_int_equal(status.applied, 0);
	assert_int_equal(status.pending, 0);
	assert_int_equal(status.failed, 0);
	assert_null(status.first_pending);
	assert_null(status.first_failed);
}

/* The folder read from disk, compared: the two parts together. */
static void test_compare_read_folder(void **state)
{
	struct fixture *fx = *state;
	struct migrations_folder folder;
	const struct migration_row rows[] = {
	    ROW("20240101_init", true, false),
	};
	struct migrations_status status;

	make_dir(fx, "20240102_users");
	make_dir(fx, "20240101_init");
	make_file(fx, "migration_lock.toml");
	assert_int_equal(migrations_folder_read(fx->dir, &folder, fx->error, sizeof(fx->error)), 0);
	migrations_compare(&folder, rows, 1, &status);
	assert_int_equal(status.applied, 1);
	assert_int_equal(status.pending, 1);
	assert_string_equal(status.first_pending, "20240102_users");
	migrations_folder_release(&folder);
}

/* migration_rows_free frees what pgconn.c allocates, and takes NULL. */
static void test_rows_free(void **state)
{
	struct migration_row *rows = calloc(2, sizeof(*rows));

	(void)state;
	assert_non_null(rows);
	rows[0].name = strdup("20240101_a");
	rows[0].logs = strdup("");
	rows[1].name = strdup("20240102_b");
	rows[1].logs = strdup("ERROR: boom");
	assert_non_null(rows[0].name);
	assert_non_null(rows[1].logs);
	migration_rows_free(rows, 2);
	migration_rows_free(NULL, 0);
	migration_rows_free(NULL, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TEST(test_read_sorted_in_byte_order),
	    TEST(test_read_only_real_folders),
	    TEST(test_read_empty_folder),
	    TEST(test_read_only_skipped_entries),
	    TEST(test_read_many_folders),
	    TEST(test_read_missing_folder),
	    TEST(test_read_a_file_is_an_error),
	    TEST(test_read_error_truncated),
	    TEST(test_release_zeroed_struct),
	    TEST(test_read_relative_path),
	    TEST(test_find_configured_exists),
	    TEST(test_find_configured_missing),
	    TEST(test_find_configured_is_a_file),
	    TEST(test_find_configured_empty_is_unset),
	    TEST(test_find_next_to_schema_file),
	    TEST(test_find_next_to_schema_file_in_other_folder),
	    TEST(test_find_top_level_schema_file),
	    TEST(test_find_schema_folder),
	    TEST(test_find_schema_folder_falls_back),
	    TEST(test_find_falls_back_to_prisma_migrations),
	    TEST(test_find_without_schema_path),
	    TEST(test_find_migrations_file_is_skipped),
	    TEST(test_find_none_anywhere),
	    TEST(test_find_out_too_small),
	    TEST(test_compare_all_applied),
	    TEST(test_compare_rows_in_any_order),
	    TEST(test_compare_pending),
	    TEST(test_compare_pending_gap),
	    TEST(test_compare_no_rows),
	    TEST(test_compare_rolled_back_is_pending),
	    TEST(test_compare_finished_then_rolled_back_is_pending),
	    TEST(test_compare_rolled_back_then_applied),
	    TEST(test_compare_failed),
	    TEST(test_compare_failed_rolled_back_then_applied),
	    TEST(test_compare_several_failed),
	    TEST(test_compare_rows_without_folder_ignored),
	    TEST(test_compare_names_match_whole),
	    TEST(test_compare_empty),
	    TEST(test_compare_read_folder),
	    TEST(test_rows_free),
	};

	return cmocka_run_group_tests_name("migrations", tests, NULL, NULL);
}
