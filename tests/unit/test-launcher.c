/* Unit tests for launcher.c: which app commands are package-manager launchers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testlib.h"

#include "launcher.h"

#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_package_managers_by_name_in_any_folder(void **state)
{
	(void)state;
	assert_true(launcher_is_package_manager(ARGV("npm", "run", "dev")));
	assert_true(launcher_is_package_manager(ARGV("/usr/local/bin/npm", "start")));
	assert_true(launcher_is_package_manager(ARGV("npx", "tsx", "server.ts")));
	assert_true(launcher_is_package_manager(ARGV("yarn", "dev")));
	assert_true(launcher_is_package_manager(ARGV("pnpm", "dev")));
	assert_true(launcher_is_package_manager(ARGV("node", "--run", "dev")));
	assert_true(launcher_is_package_manager(ARGV("/usr/bin/node", "--enable-source-maps", "--run=dev")));
}

static void test_other_commands_are_not_launchers(void **state)
{
	(void)state;
	assert_false(launcher_is_package_manager(ARGV("node", "server.js")));
	/* --run after the script is the script's argument */
	assert_false(launcher_is_package_manager(ARGV("node", "server.js", "--run")));
	assert_false(launcher_is_package_manager(ARGV("./npm-like")));
	assert_false(launcher_is_package_manager(ARGV("/opt/npm/bin/server")));
	assert_false(launcher_is_package_manager(ARGV("sh", "-c", "npm run dev")));
	assert_false(launcher_is_package_manager(ARGV("node")));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_package_managers_by_name_in_any_folder),
	    cmocka_unit_test(test_other_commands_are_not_launchers),
	};

	return cmocka_run_group_tests_name("launcher", tests, NULL, NULL);
}
