/* Unit tests for migrations.c: reading the migrations folder (sub-folders
 * only, sorted in byte order), finding it next to the schema, and comparing
 * it with the rows of _prisma_migrations as `prisma migrate deploy` does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testlib.h"

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
	struct fixture *fx = FIXTURE_TREE_NEW(struct fixture, "migrations");

	if (!fx)
		return -1;
	if (!getcwd(fx->old_cwd, sizeof(fx->old_cwd))) {
		fixture_tree_free(fx, fx->dir);
		return -1;
	}
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	int rc = 0;

	if (chdir(fx->old_cwd) < 0)
		rc = -1;
	return fixture_tree_free(fx, fx->dir) < 0 ? -1 : rc;
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

/* The path of relative under fx->dir, into a PATH_MAX buffer. */
static void fixture_path(const struct fixture *fx, const char *relative, char *path)
{
	assert_true(snprintf(path, PATH_MAX, "%s/%s", fx->dir, relative) < PATH_MAX);
}

static void enter_dir(const struct fixture *fx)
{
	assert_int_equal(chdir(fx->dir), 0);
}

/* Makes the folder fx->dir/relative. */
static void make_dir(const struct fixture *fx, const char *relative)
{
	char path[PATH_MAX];

	fixture_path(fx, relative, path);
	assert_int_equal(mkdir(path, 0755), 0);
}

/* Makes the file fx->dir/relative, with a line in it. */
static void make_file(const struct fixture *fx, const char *relative)
{
	char path[PATH_MAX];
	FILE *file;

	fixture_path(fx, relative, path);
	file = fopen(path, "w");
	assert_non_null(file);
	assert_true(fputs("-- not a migration folder\n", file) >= 0);
	assert_int_equal(fclose(file), 0);
}

/* Makes the symbolic link fx->dir/relative, pointing at target. */
static void make_link(const struct fixture *fx, const char *target, const char *relative)
{
	char path[PATH_MAX];

	fixture_path(fx, relative, path);
	assert_int_equal(symlink(target, path), 0);
}

/* Makes the entries of tree under fx->dir, in order: paths separated by spaces, a folder where the path ends in '/'
 * (make_dir), else a file (make_file). */
static void make_tree(const struct fixture *fx, const char *tree)
{
	char entry[PATH_MAX];

	while (*tree) {
		size_t length = strcspn(tree, " ");

		assert_true(length > 0 && length < sizeof(entry));
		memcpy(entry, tree, length);
		entry[length] = '\0';
		if (entry[length - 1] == '/') {
			entry[length - 1] = '\0';
			make_dir(fx, entry);
		} else {
			make_file(fx, entry);
		}
		tree += length + (tree[length] == ' ');
	}
}

/* make_tree, then into fx->dir: migrations_folder_find works on relative paths. */
static void enter_tree(const struct fixture *fx, const char *tree)
{
	make_tree(fx, tree);
	enter_dir(fx);
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

/* ---- migrations_folder_read ---- */

/* Reads the folder at path, which must work. */
static void read_folder(struct fixture *fx, const char *path, struct migrations_folder *folder)
{
	assert_int_equal(migrations_folder_read(path, folder, fx->error, sizeof(fx->error)), 0);
}

/* Reading the folder at path fails with a one-line error that names path and strerror(errnum). */
static void expect_read_error(struct fixture *fx, const char *path, struct migrations_folder *folder, int errnum)
{
	assert_int_equal(migrations_folder_read(path, folder, fx->error, sizeof(fx->error)), -1);
	assert_one_line(fx->error);
	assert_non_null(strstr(fx->error, path));
	assert_non_null(strstr(fx->error, strerror(errnum)));
}

/* The folder holds count names, which joined with spaces are names. */
static void expect_names(const struct migrations_folder *folder, size_t count, const char *names)
{
	char joined[256];

	join_names(folder, joined, sizeof(joined));
	assert_string_equal(joined, names);
	assert_int_equal(folder->count, count);
}

/* The folder is all zero: as released, or as a failed read leaves it. */
static void expect_zeroed(const struct migrations_folder *folder)
{
	assert_null(folder->path);
	assert_null(folder->names);
	assert_int_equal(folder->count, 0);
}

static void test_read_sorted_in_byte_order(void **state)
{
	struct fixture *fx = *state;
	struct migrations_folder folder;

	make_tree(fx, "20240102_b/ 20240101_a/ 2024010_x/ B/ a/");
	read_folder(fx, fx->dir, &folder);
	/* '0' < '1' < 'B' < '_' < 'a' in ASCII. */
	expect_names(&folder, 5, "20240101_a 20240102_b 2024010_x B a");
	assert_string_equal(folder.path, fx->dir);
	migrations_folder_release(&folder);
	expect_zeroed(&folder);
}

static void test_read_only_real_folders(void **state)
{
	struct fixture *fx = *state;
	char other[PATH_MAX];
	struct migrations_folder folder;

	make_tree(fx, "20240101_init/ 20240101_init/nested/ 20240101_init/migration.sql migration_lock.toml .git/ "
	              ".hidden_migration/ .gitkeep");
	make_link(fx, "20240101_init", "20240102_link_to_folder");
	make_link(fx, "migration_lock.toml", "20240103_link_to_file");
	make_link(fx, "nowhere", "20240104_dangling");
	/* A link to a folder outside, too. */
	fixture_path(fx, ".outside", other);
	make_dir(fx, ".outside");
	make_link(fx, other, "20240105_link_outside");
	make_dir(fx, "20240106_second");

	read_folder(fx, fx->dir, &folder);
	expect_names(&folder, 2, "20240101_init 20240106_second");
	migrations_folder_release(&folder);
}

static void test_read_empty_folder(void **state)
{
	struct fixture *fx = *state;
	struct migrations_folder folder;

	read_folder(fx, fx->dir, &folder);
	expect_names(&folder, 0, "");
	assert_non_null(folder.path);
	assert_string_equal(folder.path, fx->dir);
	migrations_folder_release(&folder);
	expect_zeroed(&folder);
}

/* Only files and hidden folders: nothing to migrate either. */
static void test_read_only_skipped_entries(void **state)
{
	struct fixture *fx = *state;
	struct migrations_folder folder;

	make_tree(fx, "migration_lock.toml .git/");
	make_link(fx, ".git", "linked");
	read_folder(fx, fx->dir, &folder);
	expect_names(&folder, 0, "");
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
	read_folder(fx, fx->dir, &folder);
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

	fixture_path(fx, "prisma/migrations", path);
	expect_read_error(fx, path, &folder, ENOENT);
	/* Left zeroed: releasing it is safe. */
	expect_zeroed(&folder);
	migrations_folder_release(&folder);
}

static void test_read_a_file_is_an_error(void **state)
{
	struct fixture *fx = *state;
	struct migrations_folder folder;
	char path[PATH_MAX];

	make_file(fx, "migrations");
	fixture_path(fx, "migrations", path);
	expect_read_error(fx, path, &folder, ENOTDIR);
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
	expect_zeroed(&folder);
}

static void test_read_relative_path(void **state)
{
	struct fixture *fx = *state;
	struct migrations_folder folder;

	enter_tree(fx, "prisma/ prisma/migrations/ prisma/migrations/20240101_init/");
	read_folder(fx, "prisma/migrations", &folder);
	assert_string_equal(folder.path, "prisma/migrations");
	expect_names(&folder, 1, "20240101_init");
	migrations_folder_release(&folder);
}

/* ---- migrations_folder_find ---- */

/* migrations_folder_find returns found; when path is not NULL, it is what was written. */
static void expect_find(const char *configured, const char *schema_path, int found, const char *path)
{
	char out[PATH_MAX];

	assert_int_equal(migrations_folder_find(configured, schema_path, out, sizeof(out)), found);
	if (path)
		assert_string_equal(out, path);
}

/* migrations_folder_find finds path, which takes exactly size bytes: with one byte less it fails with ENAMETOOLONG. */
static void expect_find_in_size(const char *configured, const char *schema_path, size_t size, const char *path)
{
	char out[PATH_MAX];

	errno = 0;
	assert_int_equal(migrations_folder_find(configured, schema_path, out, size - 1), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_int_equal(migrations_folder_find(configured, schema_path, out, size), 1);
	assert_string_equal(out, path);
}

static void test_find_configured_exists(void **state)
{
	enter_tree(*state, "db/ db/migrations/ prisma/ prisma/migrations/");
	expect_find("db/migrations", "prisma/schema.prisma", 1, "db/migrations");
}

/* A configured one that is missing is none: no fallback to the others. */
static void test_find_configured_missing(void **state)
{
	enter_tree(*state, "prisma/ prisma/migrations/");
	expect_find("db/migrations", "prisma/schema.prisma", 0, "db/migrations");
}

/* A configured file is not a folder. */
static void test_find_configured_is_a_file(void **state)
{
	enter_tree(*state, "migrations");
	expect_find("migrations", NULL, 0, NULL);
}

/* "" is not configured. */
static void test_find_configured_empty_is_unset(void **state)
{
	enter_tree(*state, "prisma/ prisma/migrations/");
	expect_find("", "prisma/schema.prisma", 1, "prisma/migrations");
}

static void test_find_next_to_schema_file(void **state)
{
	enter_tree(*state, "prisma/ prisma/schema.prisma prisma/migrations/");
	expect_find(NULL, "prisma/schema.prisma", 1, "prisma/migrations");
}

/* The schema file need not exist: its folder is what counts. */
static void test_find_next_to_schema_file_in_other_folder(void **state)
{
	enter_tree(*state, "db/ db/migrations/ prisma/ prisma/migrations/");
	expect_find(NULL, "db/app.prisma", 1, "db/migrations");
}

static void test_find_top_level_schema_file(void **state)
{
	enter_tree(*state, "schema.prisma migrations/");
	expect_find(NULL, "schema.prisma", 1, "migrations");
}

static void test_find_schema_folder(void **state)
{
	enter_tree(*state,
	           "prisma/ prisma/schema/ prisma/schema/models.prisma prisma/schema/migrations/ prisma/migrations/");
	expect_find(NULL, "prisma/schema", 1, "prisma/schema/migrations");
}

/* A schema folder without migrations: not its parent's, but prisma/'s. */
static void test_find_schema_folder_falls_back(void **state)
{
	enter_tree(*state, "db/ db/schema/ db/migrations/ prisma/ prisma/migrations/");
	expect_find(NULL, "db/schema", 1, "prisma/migrations");
}

static void test_find_falls_back_to_prisma_migrations(void **state)
{
	enter_tree(*state, "db/ db/schema.prisma prisma/ prisma/migrations/");
	expect_find(NULL, "db/schema.prisma", 1, "prisma/migrations");
	expect_find(NULL, "schema.prisma", 1, "prisma/migrations");
}

static void test_find_without_schema_path(void **state)
{
	enter_tree(*state, "prisma/ prisma/migrations/");
	expect_find(NULL, NULL, 1, "prisma/migrations");
	expect_find(NULL, "", 1, "prisma/migrations");
}

/* A file named migrations next to the schema is not the folder. */
static void test_find_migrations_file_is_skipped(void **state)
{
	enter_tree(*state, "prisma/ prisma/migrations");
	expect_find(NULL, "prisma/schema.prisma", 0, NULL);
}

static void test_find_none_anywhere(void **state)
{
	enter_tree(*state, "prisma/ prisma/schema.prisma prisma/schema/");
	expect_find(NULL, "prisma/schema.prisma", 0, NULL);
	expect_find(NULL, "prisma/schema", 0, NULL);
	expect_find(NULL, "schema.prisma", 0, NULL);
	expect_find(NULL, NULL, 0, NULL);
}

static void test_find_out_too_small(void **state)
{
	enter_tree(*state, "prisma/ prisma/migrations/ db/ db/migrations/");
	/* Configured: "db/migrations" is 13 bytes, the NUL makes 14. */
	expect_find_in_size("db/migrations", NULL, 14, "db/migrations");
	/* Next to the schema: "db/migrations" again. */
	expect_find_in_size(NULL, "db/schema.prisma", 14, "db/migrations");
	/* The fallback: "prisma/migrations" is 17 bytes. */
	expect_find_in_size(NULL, NULL, 18, "prisma/migrations");
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

/* The whole status. first_pending and first_failed are checked as pointers: they point into the folder and the
 * rows (NULL when there is none). */
static void expect_status(const struct migrations_status *s, size_t applied, size_t pending, size_t failed,
                          const char *first_pending, const struct migration_row *first_failed)
{
	assert_int_equal(s->applied, applied);
	assert_int_equal(s->pending, pending);
	assert_int_equal(s->failed, failed);
	assert_ptr_equal(s->first_pending, first_pending);
	assert_ptr_equal(s->first_failed, first_failed);
}

/* A case of migrations_compare against folder_abc: the rows, and the status they give. The first pending is
 * names_abc[first_pending] when pending is not 0, the first failed &rows[first_failed] when failed is not 0; else
 * they are NULL. */
struct compare_case {
	const struct migration_row *rows;
	size_t row_count;
	size_t applied;
	size_t pending;
	size_t failed;
	size_t first_pending;
	size_t first_failed;
	size_t unknown; /* finished rows with no folder */
};

/* The rows of a compare_case, from a list of rows. */
#define ROWS(...)                                                                                                      \
	.rows = (const struct migration_row[]){__VA_ARGS__},                                                           \
	.row_count = sizeof((const struct migration_row[]){__VA_ARGS__}) / sizeof(struct migration_row)

/* Runs the compare_case given as the test's state; the status starts as garbage, so every field is checked. */
static void run_compare_case(void **state)
{
	const struct compare_case *c = *state;
	struct migrations_status status;
	struct migration_lookup lookup;

	memset(&status, 0xff, sizeof(status));
	assert_int_equal(migrations_compare(&folder_abc, c->rows, c->row_count, &status), 0);
	assert_int_equal(migration_lookup_init(&lookup, c->rows, c->row_count), 0);
	expect_status(&status, c->applied, c->pending, c->failed, c->pending ? names_abc[c->first_pending] : NULL,
	              c->failed ? &c->rows[c->first_failed] : NULL);
	assert_int_equal(status.unknown, c->unknown);
	/* The shown pending ones are the pending folders in folder order; the
	 * shown unknown ones are rows without a folder, in row order. */
	for (size_t i = 0, shown = 0; i < folder_abc.count; i++)
		if (migrations_is_pending(&lookup, names_abc[i]) && shown < MIGRATIONS_SHOWN)
			assert_ptr_equal(status.pending_shown[shown++], names_abc[i]);
	for (size_t i = c->pending; i < MIGRATIONS_SHOWN; i++)
		assert_null(status.pending_shown[i]);
	for (size_t i = 0, shown = 0; i < c->row_count; i++)
		if (c->rows[i].finished && !c->rows[i].rolled_back &&
		    !migrations_folder_has(&folder_abc, c->rows[i].name) && shown < MIGRATIONS_SHOWN)
			assert_ptr_equal(status.unknown_shown[shown++], c->rows[i].name);
	for (size_t i = c->unknown; i < MIGRATIONS_SHOWN; i++)
		assert_null(status.unknown_shown[i]);
	migration_lookup_release(&lookup);
}

/* Thousands of rows in the database's order (not the folder's), some rolled
 * back and applied again, some rolled back only: each folder is pending
 * exactly when no live row has its name, as a linear search says. */
static void test_compare_many(void **state)
{
	enum { FOLDERS = 5000 };
	struct migration_row *rows = calloc(2 * FOLDERS, sizeof(*rows));
	char **names = calloc(FOLDERS, sizeof(*names));
	struct migrations_folder folder = {.path = "m", .names = names, .count = FOLDERS};
	struct migrations_status status;
	struct migration_lookup lookup;
	size_t row_count = 0, pending = 0;

	(void)state;
	assert_non_null(rows);
	assert_non_null(names);
	for (size_t i = 0; i < FOLDERS; i++) {
		names[i] = malloc(32);
		assert_non_null(names[i]);
		snprintf(names[i], 32, "2024%08zu_m", i);
	}
	/* newest first; every 7th rolled back and re-applied, every 11th rolled back only, every 13th never applied */
	for (size_t k = FOLDERS; k-- > 0;) {
		if (k % 13 == 0)
			continue;
		if (k % 7 == 0 || k % 11 == 0)
			rows[row_count++] =
			    (struct migration_row){.name = names[k], .finished = true, .rolled_back = true};
		if (k % 11 != 0 || k % 7 == 0)
			rows[row_count++] = (struct migration_row){.name = names[k], .finished = true};
	}
	for (size_t i = 0; i < FOLDERS; i++)
		pending += i % 13 == 0 || (i % 11 == 0 && i % 7 != 0);
	assert_int_equal(migrations_compare(&folder, rows, row_count, &status), 0);
	assert_int_equal(status.pending, pending);
	assert_int_equal(status.applied, FOLDERS - pending);
	assert_int_equal(status.unknown, 0);
	assert_int_equal(migration_lookup_init(&lookup, rows, row_count), 0);
	for (size_t i = 0; i < FOLDERS; i++) {
		bool linear = true;
		for (size_t r = 0; r < row_count; r++)
			linear = linear && (rows[r].rolled_back || strcmp(rows[r].name, names[i]) != 0);
		assert_int_equal(migrations_is_pending(&lookup, names[i]), linear);
	}
	migration_lookup_release(&lookup);
	for (size_t i = 0; i < FOLDERS; i++)
		free(names[i]);
	free(names);
	free(rows);
}

/* The compare_case compare_<name> as the test test_compare_<name>. */
#define COMPARE_TEST(name)                                                                                             \
	{                                                                                                              \
		"test_compare_" #name, run_compare_case, NULL, NULL, (void *)&compare_##name                           \
	}

static const struct compare_case compare_all_applied = {
    ROWS(ROW("20240101_a", true, false), ROW("20240102_b", true, false), ROW("20240103_c", true, false)),
    .applied = 3,
};

/* Rows in any order: they are matched by name. */
static const struct compare_case compare_rows_in_any_order = {
    ROWS(ROW("20240103_c", true, false), ROW("20240101_a", true, false), ROW("20240102_b", true, false)),
    .applied = 3,
};

static const struct compare_case compare_pending = {
    ROWS(ROW("20240101_a", true, false)),
    .applied = 1,
    .pending = 2,
    .first_pending = 1,
};

/* A gap in the middle: the first pending is the first in folder order. */
static const struct compare_case compare_pending_gap = {
    ROWS(ROW("20240103_c", true, false), ROW("20240101_a", true, false)),
    .applied = 2,
    .pending = 1,
    .first_pending = 1,
};

static const struct compare_case compare_no_rows = {
    .rows = NULL,
    .row_count = 0,
    .pending = 3,
    .first_pending = 0,
};

static const struct compare_case compare_rolled_back_is_pending = {
    ROWS(ROW("20240101_a", true, false), ROW("20240102_b", false, true), ROW("20240103_c", true, false)),
    .applied = 2,
    .pending = 1,
    .first_pending = 1,
};

/* Finished and then rolled back: still pending. */
static const struct compare_case compare_finished_then_rolled_back_is_pending = {
    ROWS(ROW("20240101_a", true, true), ROW("20240102_b", true, false), ROW("20240103_c", true, false)),
    .applied = 2,
    .pending = 1,
    .first_pending = 0,
};

static const struct compare_case compare_rolled_back_then_applied = {
    ROWS(ROW("20240101_a", true, false), ROW("20240102_b", false, true), ROW("20240102_b", false, true),
         ROW("20240102_b", true, false), ROW("20240103_c", true, false)),
    .applied = 3,
};

/* The failed row is live: its folder is not pending. */
static const struct compare_case compare_failed = {
    ROWS(ROW("20240101_a", true, false),
         {.name = "20240102_b", .finished = false, .rolled_back = false, .logs = "ERROR: relation exists"}),
    .applied = 2,
    .pending = 1,
    .first_pending = 2,
    .failed = 1,
    .first_failed = 1,
};

/* A failed one that was rolled back and then applied: nothing blocks. */
static const struct compare_case compare_failed_rolled_back_then_applied = {
    ROWS(ROW("20240101_a", true, false), ROW("20240102_b", false, true), ROW("20240102_b", true, false),
         ROW("20240103_c", true, false)),
    .applied = 3,
};

/* Several failed rows, one without a folder: all count, the first is kept. */
static const struct compare_case compare_several_failed = {
    ROWS(ROW("20231231_gone", false, false), ROW("20240101_a", true, false), ROW("20240102_b", false, false)),
    .applied = 2,
    .pending = 1,
    .first_pending = 2,
    .failed = 2,
    .first_failed = 0,
};

/* Rows without a folder: deploy ignores them; the finished ones that are
 * not rolled back are unknown (an older image on a newer database). */
static const struct compare_case compare_rows_without_folder_ignored = {
    ROWS(ROW("20230101_old", true, false), ROW("20240101_a", true, false),
         ROW("20230202_older_rolled_back", false, true), ROW("20240102_b", true, false),
         ROW("20250101_future", true, false)),
    .applied = 2,
    .pending = 1,
    .first_pending = 2,
    .unknown = 2,
};

/* A name is matched whole, not as a prefix. */
static const struct compare_case compare_names_match_whole = {
    ROWS(ROW("20240101", true, false), ROW("20240101_a_more", true, false)),
    .pending = 3,
    .first_pending = 0,
    .unknown = 2,
};

static void test_compare_empty(void **state)
{
	const struct migrations_folder empty = {0};
	const struct migration_row rows[] = {
	    ROW("20240101_a", true, false),
	};
	struct migrations_status status;

	(void)state;
	memset(&status, 0xff, sizeof(status));
	assert_int_equal(migrations_compare(&empty, NULL, 0, &status), 0);
	expect_status(&status, 0, 0, 0, NULL, NULL);

	/* Rows but no folders: ignored. */
	memset(&status, 0xff, sizeof(status));
	assert_int_equal(migrations_compare(&empty, rows, 1, &status), 0);
	expect_status(&status, 0, 0, 0, NULL, NULL);
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

	make_tree(fx, "20240102_users/ 20240101_init/ migration_lock.toml");
	read_folder(fx, fx->dir, &folder);
	assert_int_equal(migrations_compare(&folder, rows, 1, &status), 0);
	expect_status(&status, 1, 1, 0, folder.names[1], NULL);
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
	    COMPARE_TEST(all_applied),
	    COMPARE_TEST(rows_in_any_order),
	    COMPARE_TEST(pending),
	    COMPARE_TEST(pending_gap),
	    COMPARE_TEST(no_rows),
	    COMPARE_TEST(rolled_back_is_pending),
	    COMPARE_TEST(finished_then_rolled_back_is_pending),
	    COMPARE_TEST(rolled_back_then_applied),
	    COMPARE_TEST(failed),
	    COMPARE_TEST(failed_rolled_back_then_applied),
	    COMPARE_TEST(several_failed),
	    COMPARE_TEST(rows_without_folder_ignored),
	    COMPARE_TEST(names_match_whole),
	    TEST(test_compare_empty),
	    TEST(test_compare_many),
	    TEST(test_compare_read_folder),
	    TEST(test_rows_free),
	};

	return cmocka_run_group_tests_name("migrations", tests, NULL, NULL);
}
