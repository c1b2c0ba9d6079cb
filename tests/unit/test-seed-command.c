/* Unit tests for seed-command.c: the seed command as prisma db seed (6.19)
 * finds it (the config file's migrations.seed before package.json's
 * prisma.seed, package.json ignored by Prisma 7), its program, and where that
 * program is found (a path, node_modules/.bin, PATH). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testlib.h"

#include "seed-command.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct fixture {
	char dir[64];
	struct seed_command seed;
	char error[512];
};

static int setup(void **state)
{
	struct fixture *fx = FIXTURE_TREE_NEW(struct fixture, "seed");

	if (!fx)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	seed_command_release(&fx->seed);
	return fixture_tree_free(fx, fx->dir);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

/* Writes dir/rel (its folder, one level, created when needed). */
static void put(const struct fixture *fx, const char *rel, const char *text)
{
	char path[PATH_MAX];
	char *slash;

	snprintf(path, sizeof(path), "%s/%s", fx->dir, rel);
	for (slash = strchr(path + strlen(fx->dir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	write_text(path, text);
}

static int find(struct fixture *fx)
{
	seed_command_release(&fx->seed);
	return seed_command_find(fx->dir, &fx->seed, NULL, fx->error, sizeof(fx->error));
}

static const char package_json[] = "{\"name\": \"a\", \"prisma\": {\"schema\": \"x\", \"seed\": \"node seed.js\"}}";

static void test_none(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(find(fx), 0);
	assert_null(fx->seed.command);
	put(fx, "package.json", "{\"prisma\": {\"schema\": \"x\"}}");
	put(fx, "prisma.config.ts", "export default defineConfig({ schema: \"x\" });\n");
	assert_int_equal(find(fx), 0);
	assert_null(fx->seed.command);
	/* Prisma refuses an empty command: as none */
	put(fx, "package.json", "{\"prisma\": {\"seed\": \"  \"}}");
	assert_int_equal(find(fx), 0);
	assert_null(fx->seed.command);
}

static void test_config_first(void **state)
{
	struct fixture *fx = *state;

	put(fx, "package.json", package_json);
	assert_int_equal(find(fx), 0);
	assert_string_equal(fx->seed.command, "node seed.js");
	assert_string_equal(fx->seed.from, "package.json");
	put(fx, ".config/prisma.ts",
	    "// seed: \"not this\"\nexport default defineConfig({\n  migrations: { path: \"m\", seed: 'tsx "
	    "prisma/seed.ts' },\n});\n");
	assert_int_equal(find(fx), 0);
	assert_string_equal(fx->seed.command, "tsx prisma/seed.ts");
	assert_string_equal(fx->seed.from, ".config/prisma.ts");
}

static void test_prisma_7_reads_no_package_json(void **state)
{
	struct fixture *fx = *state;

	put(fx, "package.json", package_json);
	put(fx, "node_modules/prisma/package.json", "{\"version\": \"7.1.0\"}");
	assert_int_equal(find(fx), 0);
	assert_null(fx->seed.command);
	put(fx, "node_modules/prisma/package.json", "{\"version\": \"6.19.3\"}");
	assert_int_equal(find(fx), 0);
	assert_string_equal(fx->seed.command, "node seed.js");
}

static void test_not_a_literal(void **state)
{
	struct fixture *fx = *state;

	put(fx, "prisma.config.ts", "export default defineConfig({ migrations: { seed: `tsx ${file}` } });\n");
	assert_int_equal(find(fx), -1);
	assert_null(fx->seed.command);
	assert_non_null(strstr(fx->error, "prisma.config.ts: `seed` is not a plain string literal"));
	assert_one_line(fx->error);
	put(fx, "prisma.config.ts", "x");
	put(fx, "package.json", "{\"prisma\": ");
	assert_int_equal(find(fx), -1);
	assert_non_null(strstr(fx->error, "package.json"));
}

static void test_program(void **state)
{
	char program[8];

	(void)state;
	seed_command_program("  tsx prisma/seed.ts", program, sizeof(program));
	assert_string_equal(program, "tsx");
	seed_command_program("node", program, sizeof(program));
	assert_string_equal(program, "node");
	seed_command_program("ts-node-long-name x", program, sizeof(program));
	assert_string_equal(program, "ts-node");
}

static void test_locate(void **state)
{
	struct fixture *fx = *state;
	char path[PATH_MAX];
	char expected[PATH_MAX];

	assert_int_equal(seed_command_locate(fx->dir, "pe-no-such-seed-runner", path, sizeof(path)), -1);
	put(fx, "node_modules/.bin/pe-no-such-seed-runner", "#!/bin/sh\n");
	/* not executable: not found */
	assert_int_equal(seed_command_locate(fx->dir, "pe-no-such-seed-runner", path, sizeof(path)), -1);
	snprintf(expected, sizeof(expected), "%s/node_modules/.bin/pe-no-such-seed-runner", fx->dir);
	assert_int_equal(chmod(expected, 0755), 0);
	assert_int_equal(seed_command_locate(fx->dir, "pe-no-such-seed-runner", path, sizeof(path)), 0);
	assert_string_equal(path, expected);
	/* a path is relative to the app's folder */
	assert_int_equal(seed_command_locate(fx->dir, "./node_modules/.bin/pe-no-such-seed-runner", path, sizeof(path)),
	                 0);
	assert_int_equal(seed_command_locate(fx->dir, "./seed.sh", path, sizeof(path)), -1);
	/* PATH */
	assert_int_equal(seed_command_locate(fx->dir, "sh", path, sizeof(path)), 0);
	assert_int_equal(seed_command_locate(fx->dir, "", path, sizeof(path)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TEST(test_none),          TEST(test_config_first), TEST(test_prisma_7_reads_no_package_json),
	    TEST(test_not_a_literal), TEST(test_program),      TEST(test_locate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
