/* Unit tests for watch.c, on a real folder with inotify and with polling: an
 * edit is one change, named; a burst of edits and an editor's
 * write-and-rename are one change; a file nobody watches changes nothing; a
 * new migration folder is seen, as is a schema file created where none was;
 * the list is made again after every change. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testlib.h"

#include "loop.h"
#include "watch.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEBOUNCE_MS 100

struct fixture {
	char dir[PATH_MAX];
	struct loop loop;
	sigset_t signals;
	sigset_t old_mask;
	struct watch watch;
	unsigned changes;
	unsigned lists;
	char last_change[PATH_MAX];
};

static int setup(void **state)
{
	struct fixture *fx = FIXTURE_TREE_NEW(struct fixture, "watch");
	char path[PATH_MAX + 32];

	if (!fx)
		return -1;
	if (test_loop_open(&fx->loop, &fx->signals, &fx->old_mask) < 0) {
		fixture_tree_free(fx, fx->dir);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/prisma", fx->dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/prisma/schema.prisma", fx->dir);
	write_text(path, "model User {\n  id Int @id\n}\n");
	alarm(20);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	alarm(0);
	watch_stop(&fx->watch);
	test_loop_close(&fx->loop, &fx->signals, &fx->old_mask);
	return fixture_tree_free(fx, fx->dir);
}

/* What run-restarts.c lists: the schema file and the migrations folder. */
static void list_schema_and_migrations(struct watch_list *list, void *arg)
{
	struct fixture *fx = arg;
	char path[PATH_MAX + 32];

	fx->lists++;
	snprintf(path, sizeof(path), "%s/prisma/schema.prisma", fx->dir);
	watch_list_add(list, path, false, NULL);
	snprintf(path, sizeof(path), "%s/prisma/migrations", fx->dir);
	watch_list_add(list, path, true, NULL);
}

/* A schema folder: only its .prisma files. */
static void list_schema_folder(struct watch_list *list, void *arg)
{
	struct fixture *fx = arg;
	char path[PATH_MAX + 32];

	fx->lists++;
	snprintf(path, sizeof(path), "%s/prisma", fx->dir);
	watch_list_add(list, path, true, "prisma");
}

static void on_change(const char *changed, void *arg)
{
	struct fixture *fx = arg;

	fx->changes++;
	snprintf(fx->last_change, sizeof(fx->last_change), "%s", changed);
}

static void start(struct fixture *fx, watch_list_fn *list, int64_t poll_ms)
{
	fx->watch = (struct watch){
	    .list = list, .on_change = on_change, .arg = fx, .debounce_ms = DEBOUNCE_MS, .poll_ms = poll_ms};
	assert_int_equal(watch_start(&fx->watch, &fx->loop), 0);
	if (poll_ms == 0)
		assert_true(fx->watch.inotify_fd >= 0);
}

static void serve(struct fixture *fx, int ms)
{
	test_loop_serve(&fx->loop, ms);
}

/* Serves until there have been `changes` changes (at most 5 s, for a loaded
 * machine), then one more quiet period to see that no other follows. */
static void serve_until(struct fixture *fx, unsigned changes)
{
	for (int waited = 0; fx->changes < changes && waited < 5000; waited += 10)
		serve(fx, 10);
	serve(fx, 2 * DEBOUNCE_MS);
	EXPECT_SHOWING(fx->changes == changes, "%u change(s), expected %u\n", fx->changes, changes);
}

static void write_in(struct fixture *fx, const char *name, const char *text)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", fx->dir, name);
	write_text(path, text);
}

static void assert_changed(const struct fixture *fx, const char *name)
{
	const char *tail = fx->last_change + strlen(fx->last_change) - strlen(name);

	EXPECT_SHOWING(strlen(fx->last_change) > strlen(name) && strcmp(tail, name) == 0 && tail[-1] == '/',
	               "the change named '%s', not .../%s\n", fx->last_change, name);
}

static void test_an_edit_is_one_change(void **state)
{
	struct fixture *fx = *state;

	start(fx, list_schema_and_migrations, 0);
	serve(fx, 3 * DEBOUNCE_MS);
	assert_int_equal(fx->changes, 0);
	write_in(fx, "prisma/schema.prisma", "model User {\n  id Int @id\n  name String\n}\n");
	serve_until(fx, 1);
	assert_changed(fx, "prisma/schema.prisma");
}

static void test_a_burst_of_edits_is_one_change(void **state)
{
	struct fixture *fx = *state;
	char text[64];

	start(fx, list_schema_and_migrations, 0);
	for (int i = 0; i < 5; i++) {
		snprintf(text, sizeof(text), "model User {\n  id Int @id\n}\n// %d\n", i);
		write_in(fx, "prisma/schema.prisma", text);
		serve(fx, DEBOUNCE_MS / 10);
	}
	serve_until(fx, 1);
}

static void test_write_and_rename_is_one_change(void **state)
{
	struct fixture *fx = *state;
	char from[PATH_MAX + 32], to[PATH_MAX + 32];

	start(fx, list_schema_and_migrations, 0);
	write_in(fx, "prisma/.schema.prisma.swp", "model User {\n  id Int @id\n  age Int\n}\n");
	snprintf(from, sizeof(from), "%s/prisma/.schema.prisma.swp", fx->dir);
	snprintf(to, sizeof(to), "%s/prisma/schema.prisma", fx->dir);
	assert_int_equal(rename(from, to), 0);
	serve_until(fx, 1);
	assert_changed(fx, "prisma/schema.prisma");
}

static void test_other_files_change_nothing(void **state)
{
	struct fixture *fx = *state;

	start(fx, list_schema_and_migrations, 0);
	write_in(fx, "prisma/seed.ts", "console.log('seed')\n");
	write_in(fx, "prisma/.schema.prisma.swp", "half a schema");
	write_in(fx, "app.js", "require('x')\n");
	serve(fx, 4 * DEBOUNCE_MS);
	assert_int_equal(fx->changes, 0);
}

static void test_a_new_migration_folder_is_seen(void **state)
{
	struct fixture *fx = *state;
	char path[PATH_MAX + 64];

	start(fx, list_schema_and_migrations, 0);
	/* The migrations folder does not exist yet: its creation is seen
	 * through the schema's folder, and the file in it after the list is
	 * made again. */
	snprintf(path, sizeof(path), "%s/prisma/migrations", fx->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/prisma/migrations/20270101_init", fx->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	write_in(fx, "prisma/migrations/20270101_init/migration.sql", "CREATE TABLE a (id int);\n");
	serve_until(fx, 1);
	assert_changed(fx, "prisma/migrations/20270101_init/migration.sql");
	/* the next migration lands in a folder now watched */
	snprintf(path, sizeof(path), "%s/prisma/migrations/20270102_more", fx->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	serve_until(fx, 1); /* an empty folder is no migration */
	write_in(fx, "prisma/migrations/20270102_more/migration.sql", "ALTER TABLE a ADD b int;\n");
	serve_until(fx, 2);
	assert_changed(fx, "prisma/migrations/20270102_more/migration.sql");
	assert_true(fx->lists >= 3);
}

static void test_a_schema_folder_counts_its_prisma_files_only(void **state)
{
	struct fixture *fx = *state;
	char path[PATH_MAX + 64];

	start(fx, list_schema_folder, 0);
	write_in(fx, "prisma/notes.md", "not a schema\n");
	serve(fx, 3 * DEBOUNCE_MS);
	assert_int_equal(fx->changes, 0);
	snprintf(path, sizeof(path), "%s/prisma/models", fx->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	write_in(fx, "prisma/models/post.prisma", "model Post {\n  id Int @id\n}\n");
	serve_until(fx, 1);
	assert_changed(fx, "prisma/models/post.prisma");
}

static void test_a_removed_schema_is_a_change(void **state)
{
	struct fixture *fx = *state;
	char path[PATH_MAX + 32];

	start(fx, list_schema_and_migrations, 0);
	snprintf(path, sizeof(path), "%s/prisma/schema.prisma", fx->dir);
	assert_int_equal(unlink(path), 0);
	serve_until(fx, 1);
	write_in(fx, "prisma/schema.prisma", "model User {\n  id Int @id\n}\n");
	serve_until(fx, 2);
}

static void test_polling_sees_an_edit_without_inotify(void **state)
{
	struct fixture *fx = *state;

	start(fx, list_schema_and_migrations, 40);
	assert_int_equal(fx->watch.inotify_fd, -1);
	write_in(fx, "prisma/seed.ts", "x\n");
	serve(fx, 200);
	assert_int_equal(fx->changes, 0);
	write_in(fx, "prisma/schema.prisma", "model User {\n  id Int @id\n  polled Int\n}\n");
	serve_until(fx, 1);
	assert_changed(fx, "prisma/schema.prisma");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_an_edit_is_one_change, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_burst_of_edits_is_one_change, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_and_rename_is_one_change, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_other_files_change_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_new_migration_folder_is_seen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_schema_folder_counts_its_prisma_files_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_removed_schema_is_a_change, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_polling_sees_an_edit_without_inotify, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
