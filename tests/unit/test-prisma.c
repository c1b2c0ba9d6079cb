/* Unit tests for prisma.c: finding the CLI (the setting, the project's
 * node_modules, PATH, nvm's versions, and a node for `#!/usr/bin/env node`
 * CLIs), and running it on the loop with small shell scripts in its place:
 * exit status, environment, output prefix, stop signals, spawn failures.
 *
 * The run tests block signals before the loop exists, as main does, and the
 * test process is a child subreaper, so that what a script leaves behind is
 * reparented here and can be reaped: that is how they tell a process group
 * is gone, wherever the tests run (some PID 1s never reap). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testlib.h"

#include "loop.h"
#include "prisma.h"
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The variables the tests change; put back as they were after each test. */
static const char *const saved_names[] = {
    "PATH", "NVM_DIR", "CHECKPOINT_DISABLE", "PRISMA_HIDE_UPDATE_MESSAGE", "DATABASE_URL", "PE_TEST_MARK"};

struct fixture {
	char dir[64];
	char old_cwd[PATH_MAX];
	char *saved[ARRAY_LEN(saved_names)];
	char error[2048];
	struct prisma_cli cli;
	/* For the run tests. */
	bool running;
	struct proc_signals signals;
	struct loop loop;
};

static int setup(void **state)
{
	struct fixture *fx = FIXTURE_TREE_NEW(struct fixture, "prisma");

	if (!fx)
		return -1;
	if (!getcwd(fx->old_cwd, sizeof(fx->old_cwd))) {
		fixture_tree_free(fx, fx->dir);
		return -1;
	}
	for (size_t i = 0; i < ARRAY_LEN(saved_names); i++) {
		const char *value = getenv(saved_names[i]);

		fx->saved[i] = value ? strdup(value) : NULL;
		/* A known start: only PATH is kept. */
		if (i > 0)
			unsetenv(saved_names[i]);
	}
	alarm(20);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	int rc = 0;

	alarm(0);
	for (size_t i = 0; i < ARRAY_LEN(saved_names); i++) {
		if (fx->saved[i])
			setenv(saved_names[i], fx->saved[i], 1);
		else
			unsetenv(saved_names[i]);
		free(fx->saved[i]);
	}
	if (chdir(fx->old_cwd) < 0)
		rc = -1;
	return fixture_tree_free(fx, fx->dir) < 0 ? -1 : rc;
}

/* As main does: every signal blocked before the loop exists, so that they
 * queue for its signalfd. SIGALRM alone is let through again: the test's
 * watchdog, should a run hang. */
static int setup_run(void **state)
{
	struct fixture *fx;
	sigset_t alarm_only;

	if (setup(state) < 0)
		return -1;
	fx = *state;
	sigemptyset(&alarm_only);
	sigaddset(&alarm_only, SIGALRM);
	if (proc_signals_block(&fx->signals) < 0 || sigprocmask(SIG_UNBLOCK, &alarm_only, NULL) < 0 ||
	    loop_init(&fx->loop, &fx->signals.blocked) < 0)
		return -1;
	fx->running = true;
	return 0;
}

static int teardown_run(void **state)
{
	struct fixture *fx = *state;
	struct timespec no_wait = {0, 0};
	sigset_t pending = fx->signals.blocked;

	loop_release(&fx->loop);
	/* Whatever is still queued (SIGCHLD, a stray stop signal) must not be
	 * delivered once unblocked. */
	sigdelset(&pending, SIGALRM);
	while (sigtimedwait(&pending, NULL, &no_wait) > 0)
		;
	proc_signals_restore(&fx->signals);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	return teardown(state);
}

#define TEST(name)     cmocka_unit_test_setup_teardown(name, setup, teardown)
#define TEST_RUN(name) cmocka_unit_test_setup_teardown(name, setup_run, teardown_run)

/* ---- files ---- */

/* dir/rel with content and mode, folders made as needed; the full path in
 * out (may be NULL). */
static void make_file(const struct fixture *fx, const char *rel, const char *content, mode_t mode, char *out,
                      size_t size)
{
	char path[PATH_MAX];
	FILE *file;

	assert_true((size_t)snprintf(path, sizeof(path), "%s/%s", fx->dir, rel) < sizeof(path));
	for (char *slash = strchr(path + strlen(fx->dir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", path, strerror(errno));
		*slash = '/';
	}
	file = fopen(path, "w");
	if (!file) {
		fail_msg("cannot write %s: %s", path, strerror(errno));
		return; /* not reached: for cppcheck, which does not know */
	}
	assert_true(fputs(content, file) >= 0);
	assert_int_equal(fclose(file), 0);
	assert_int_equal(chmod(path, mode), 0);
	if (out)
		assert_true((size_t)snprintf(out, size, "%s", path) < size);
}

static void make_dir(const struct fixture *fx, const char *rel, char *out, size_t size)
{
	char path[PATH_MAX];

	assert_true((size_t)snprintf(path, sizeof(path), "%s/%s", fx->dir, rel) < sizeof(path));
	assert_int_equal(mkdir(path, 0755), 0);
	if (out)
		assert_true((size_t)snprintf(out, size, "%s", path) < size);
}

static void full_path(const struct fixture *fx, const char *rel, char *out, size_t size)
{
	assert_true((size_t)snprintf(out, size, "%s/%s", fx->dir, rel) < size);
}

/* PATH made of folders of the fixture, separated by ':' in rels. */
static void set_path(const struct fixture *fx, const char *rels)
{
	char path[4096] = "";
	char copy[1024];
	size_t used = 0;

	snprintf(copy, sizeof(copy), "%s", rels);
	for (char *save = NULL, *rel = strtok_r(copy, ":", &save); rel; rel = strtok_r(NULL, ":", &save))
		used += (size_t)snprintf(path + used, sizeof(path) - used, "%s%s/%s", used ? ":" : "", fx->dir, rel);
	assert_true(used < sizeof(path));
	assert_int_equal(setenv("PATH", path, 1), 0);
}

static void enter_dir(const struct fixture *fx)
{
	assert_int_equal(chdir(fx->dir), 0);
}

#define assert_contains(text, part)                                                                                    \
	do {                                                                                                           \
		if (!strstr((text), (part)))                                                                           \
			fail_msg("\"%s\" does not contain \"%s\"", (text), (part));                                    \
	} while (0)

#define SH_SCRIPT   "#!/bin/sh\nexit 0\n"
#define NODE_SCRIPT "#!/usr/bin/env node\nconsole.log('prisma')\n"

/* ---- prisma_locate: the prisma-cli setting ---- */

static void test_locate_configured_absolute(void **state)
{
	struct fixture *fx = *state;
	char path[PATH_MAX];

	make_file(fx, "tools/prisma", SH_SCRIPT, 0755, path, sizeof(path));
	/* Also a local CLI and one in PATH: the setting wins. */
	make_file(fx, "node_modules/.bin/prisma", SH_SCRIPT, 0755, NULL, 0);
	make_file(fx, "bin/prisma", SH_SCRIPT, 0755, NULL, 0);
	set_path(fx, "bin");
	enter_dir(fx);
	assert_int_equal(prisma_locate(path, &fx->cli, fx->error, sizeof(fx->error)), 0);
	assert_string_equal(fx->cli.program, path);
	assert_string_equal(fx->cli.found_by, "the prisma-cli setting");
	assert_string_equal(fx->cli.node_dir, "");
}

static void test_locate_configured_relative(void **state)
{
	struct fixture *fx = *state;

	make_file(fx, "tools/prisma", SH_SCRIPT, 0755, NULL, 0);
	enter_dir(fx);
	assert_int_equal(prisma_locate("./tools/prisma", &fx->cli, fx->error, sizeof(fx->error)), 0);
	assert_string_equal(fx->cli.program, "./tools/prisma");
	assert_string_equal(fx->cli.found_by, "the prisma-cli setting");
}

/* A configured path that does not exist: the message says so, and does not
 * send the user to chmod a file that is not there. */
static void test_locate_configured_missing(void **state)
{
	struct fixture *fx = *state;
	char path[PATH_MAX];

	full_path(fx, "tools/prisma", path, sizeof(path));
	assert_int_equal(prisma_locate(path, &fx->cli, fx->error, sizeof(fx->error)), -1);
	assert_one_line(fx->error);
	assert_contains(fx->error, path);
	assert_contains(fx->error, "not found");
	assert_null(strstr(fx->error, "chmod"));
}

static void test_locate_configured_not_executable(void **state)
{
	struct fixture *fx = *state;
	char path[PATH_MAX];

	make_file(fx, "tools/prisma", SH_SCRIPT, 0644, path, sizeof(path));
	assert_int_equal(prisma_locate(path, &fx->cli, fx->error, sizeof(fx->error)), -1);
	assert_one_line(fx->error);
	assert_contains(fx->error, path);
	assert_contains(fx->error, "not an executable file");
}

static void test_locate_configured_directory(void **state)
{
	struct fixture *fx = *state;
	char path[PATH_MAX];

	make_dir(fx, "tools", path, sizeof(path));
	assert_int_equal(prisma_locate(path, &fx->cli, fx->error, sizeof(fx->error)), -1);
	assert_one_line(fx->error);
	assert_contains(fx->error, "not an executable file");
}

static void test_locate_configured_name_in_path(void **state)
{
	struct fixture *fx = *state;
	char expected[PATH_MAX];

	make_file(fx, "second/my-prisma", SH_SCRIPT, 0755, expected, sizeof(expected));
	make_dir(fx, "first", NULL, 0);
	set_path(fx, "first:second");
	assert_int_equal(prisma_locate("my-prisma", &fx->cli, fx->error, sizeof(fx->error)), 0);
	assert_string_equal(fx->cli.program, expected);
	assert_string_equal(fx->cli.found_by, "the prisma-cli setting");
}

static void test_locate_configured_name_not_in_path(void **state)
{
	struct fixture *fx = *state;

	make_dir(fx, "bin", NULL, 0);
	set_path(fx, "bin");
	assert_int_equal(prisma_locate("my-prisma", &fx->cli, fx->error, sizeof(fx->error)), -1);
	assert_one_line(fx->error);
	assert_contains(fx->error, "my-prisma");
	assert_contains(fx->error, "not found in PATH");
	assert_contains(fx->error, getenv("PATH"));
}

static void test_locate_configured_name_not_executable(void **state)
{
	struct fixture *fx = *state;

	make_file(fx, "bin/my-prisma", SH_SCRIPT, 0644, NULL, 0);
	set_path(fx, "bin");
	assert_int_equal(prisma_locate("my-prisma", &fx->cli, fx->error, sizeof(fx->error)), -1);
	assert_one_line(fx->error);
	assert_contains(fx->error, "my-prisma");
	assert_contains(fx->error, "not executable");
}

/* An empty setting is no setting. */
static void test_locate_configured_empty_is_unset(void **state)
{
	struct fixture *fx = *state;
	char expected[PATH_MAX];

	make_file(fx, "bin/prisma", SH_SCRIPT, 0755, expected, sizeof(expected));
	set_path(fx, "bin");
	enter_dir(fx);
	assert_int_equal(prisma_locate("", &fx->cli, fx->error, sizeof(fx->error)), 0);
	assert_string_equal(fx->cli.program, expected);
	assert_string_equal(fx->cli.found_by, "PATH");
}

/* ---- prisma_locate: node_modules, PATH, nvm ---- */

static void test_locate_local_node_modules(void **state)
{
	struct fixture *fx = *state;

	make_file(fx, "node_modules/.bin/prisma", SH_SCRIPT, 0755, NULL, 0);
	make_file(fx, "bin/prisma", SH_SCRIPT, 0755, NULL, 0);
	set_path(fx, "bin");
	enter_dir(fx);
	assert_int_equal(prisma_locate(NULL, &fx->cli, fx->error, sizeof(fx->error)), 0);
	assert_string_equal(fx->cli.program, "node_modules/.bin/prisma");
	assert_string_equal(fx->cli.found_by, "./node_modules/.bin/prisma");
	assert_int_equal(access(fx->cli.program, X_OK), 0);
}

/* A local CLI that cannot run is passed over. */
/* A local CLI that is not executable is named, not silently replaced by
 * another prisma (maybe another version) from PATH. */
static void test_locate_local_not_executable_is_an_error(void **state)
{
	struct fixture *fx = *state;

	make_file(fx, "node_modules/.bin/prisma", SH_SCRIPT, 0644, NULL, 0);
	make_file(fx, "bin/prisma", SH_SCRIPT, 0755, NULL, 0);
	set_path(fx, "bin");
	enter_dir(fx);
	assert_int_equal(prisma_locate(NULL, &fx->cli, fx->error, sizeof(fx->error)), -1);
	assert_non_null(strstr(fx->error, "node_modules/.bin/prisma exists but is not executable"));
}

/* nvm's layout: $NVM_DIR/versions/node/<version>/bin/{node,prisma}. */
static void make_nvm_version(const struct fixture *fx, const char *version, bool node, bool prisma)
{
	char rel[PATH_MAX];

	if (node) {
		snprintf(rel, sizeof(rel), "nvm/versions/node/%s/bin/node", version);
		make_file(fx, rel, SH_SCRIPT, 0755, NULL, 0);
	}
	if (prisma) {
		snprintf(rel, sizeof(rel), "nvm/versions/node/%s/bin/prisma", version);
		make_file(fx, rel, NODE_SCRIPT, 0755, NULL, 0);
	}
	if (!node && !prisma) {
		snprintf(rel, sizeof(rel), "nvm/versions/node/%s/bin/npm", version);
		make_file(fx, rel, SH_SCRIPT, 0755, NULL, 0);
	}
}

static void set_nvm_dir(const struct fixture *fx)
{
	char path[PATH_MAX];

	full_path(fx, "nvm", path, sizeof(path));
	assert_int_equal(setenv("NVM_DIR", path, 1), 0);
}

static void set_nvm_default(const struct fixture *fx, const char *alias)
{
	make_file(fx, "nvm/alias/default", alias, 0644, NULL, 0);
}

static void expect_nvm_program(const struct fixture *fx, const char *version, const char *program)
{
	char expected[PATH_MAX];

	snprintf(expected, sizeof(expected), "%s/nvm/versions/node/%s/bin/%s", fx->dir, version, program);
	assert_string_equal(fx->cli.program, expected);
}

static void test_locate_path(void **state)
{
	struct fixture *fx = *state;
	char expected[PATH_MAX];

	make_file(fx, "bin/prisma", SH_SCRIPT, 0755, expected, sizeof(expected));
	make_nvm_version(fx, "v20.11.1", true, true);
	set_nvm_dir(fx);
	make_dir(fx, "empty", NULL, 0);
	set_path(fx, "empty:bin");
	enter_dir(fx);
	assert_int_equal(prisma_locate(NULL, &fx->cli, fx->error, sizeof(fx->error)), 0);
	assert_string_equal(fx->cli.program, expected);
	assert_string_equal(fx->cli.found_by, "PATH");
}

/* Several installed versions: the highest by number, not by name; what is
 * not a version, or has no prisma, is passed over. */
static void test_locate_nvm_highest_version(void **state)
{
	struct fixture *fx = *state;
	char node_dir[PATH_MAX];

	make_nvm_version(fx, "v16.20.2", true, true);
	make_nvm_version(fx, "v18.9.0", true, true);
	make_nvm_version(fx, "v18.19.1", true, true);
	make_nvm_version(fx, "v20.11.1", true, true);
	make_nvm_version(fx, "v20.9.0", true, true);
	make_nvm_version(fx, "v22.1.0", true, false);     /* node only */
	make_nvm_version(fx, "v23.0.0-rc.1", true, true); /* not a release */
	make_nvm_version(fx, "v24", true, true);          /* not a version */
	make_nvm_version(fx, "system", true, true);
	set_nvm_dir(fx);
	make_dir(fx, "empty", NULL, 0);
	set_path(fx, "empty");
	enter_dir(fx);
	assert_int_equal(prisma_locate(NULL, &fx->cli, fx->error, sizeof(fx->error)), 0);
	expect_nvm_program(fx, "v20.11.1", "prisma");
	assert_string_equal(fx->cli.found_by, "$NVM_DIR");
	/* A `#!/usr/bin/env node` CLI, no node in PATH: the node next to it. */
	snprintf(node_dir, sizeof(node_dir), "%s/nvm/versions/node/v20.11.1/bin", fx->dir);
	assert_string_equal(fx->cli.node_dir, node_dir);
}

static void test_locate_nvm_default_alias(void **state)
{
	static const struct {
		const char *alias;
		const char *version;
	} cases[] = {
	    {"18\n", "v18.19.1"},       /* a major version: its newest */
	    {"18", "v18.19.1"},         /* without the newline */
	    {"v18.9\n", "v18.9.0"},     /* a minor version, not v18.19 */
	    {"v18.9.0\n", "v18.9.0"},   /* exact */
	    {"16\n", "v16.20.2"},       /* older than the newest */
	    {"lts/iron\n", "v20.11.1"}, /* names: the newest */
	    {"node\n", "v20.11.1"},     /* the newest installed */
	    {"1\n", "v20.11.1"},        /* not a prefix of 16 or 18 */
	    {"v18.1\n", "v20.11.1"},    /* not a prefix of v18.19.1 */
	    {"19\n", "v20.11.1"},       /* not installed */
	    {"\n", "v20.11.1"},         /* empty */
	};
	struct fixture *fx = *state;

	make_nvm_version(fx, "v16.20.2", true, true);
	make_nvm_version(fx, "v18.9.0", true, true);
	make_nvm_version(fx, "v18.19.1", true, true);
	make_nvm_version(fx, "v18.2.0", true, true);
	make_nvm_version(fx, "v20.11.1", true, true);
	set_nvm_dir(fx);
	make_dir(fx, "empty", NULL, 0);
	set_path(fx, "empty");
	enter_dir(fx);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char expected[PATH_MAX];

		set_nvm_default(fx, cases[i].alias);
		assert_int_equal(prisma_locate(NULL, &fx->cli, fx->error, sizeof(fx->error)), 0);
		snprintf(expected, sizeof(expected), "%s/nvm/versions/node/%s/bin/prisma", fx->dir, cases[i].version);
		if (strcmp(fx->cli.program, expected) != 0)
			fail_msg("alias \"%s\": %s, expected %s", cases[i].alias, fx->cli.program, expected);
	}
}

/* The default version without a prisma: the next best that has one. */
static void test_locate_nvm_default_without_prisma(void **state)
{
	struct fixture *fx = *state;

	make_nvm_version(fx, "v18.19.1", true, false);
	make_nvm_version(fx, "v18.2.0", true, true);
	make_nvm_version(fx, "v20.11.1", true, true);
	set_nvm_dir(fx);
	set_nvm_default(fx, "18\n");
	make_dir(fx, "empty", NULL, 0);
	set_path(fx, "empty");
	enter_dir(fx);
	assert_int_equal(prisma_locate(NULL, &fx->cli, fx->error, sizeof(fx->error)), 0);
	expect_nvm_program(fx, "v18.2.0", "prisma");
}

static void test_locate_nothing_found(void **state)
{
	struct fixture *fx = *state;

	make_dir(fx, "empty", NULL, 0);
	set_path(fx, "empty");
	enter_dir(fx);
	assert_int_equal(prisma_locate(NULL, &fx->cli, fx->error, sizeof(fx->error)), -1);
	assert_one_line(fx->error);
	assert_contains(fx->error, "./node_modules/.bin/prisma");
	assert_contains(fx->error, "PATH");
	assert_contains(fx->error, getenv("PATH"));
	assert_contains(fx->error, "$NVM_DIR");
	assert_contains(fx->error, "prisma-cli");
	assert_contains(fx->error, "npm install");

	/* An empty NVM_DIR is no NVM_DIR. */
	assert_int_equal(setenv("NVM_DIR", "", 1), 0);
	assert_int_equal(prisma_locate(NULL, &fx->cli, fx->error, sizeof(fx->error)), -1);
	assert_contains(fx->error, "$NVM_DIR");
}

/* NVM_DIR set, without any prisma: the message names where it looked. */
static void test_locate_nothing_found_in_nvm(void **state)
{
	struct fixture *fx = *state;
	char nvm[PATH_MAX];

	make_nvm_version(fx, "v20.11.1", true, false);
	set_nvm_dir(fx);
	full_path(fx, "nvm", nvm, sizeof(nvm));
	make_dir(fx, "empty", NULL, 0);
	set_path(fx, "empty");
	enter_dir(fx);
	assert_int_equal(prisma_locate(NULL, &fx->cli, fx->error, sizeof(fx->error)), -1);
	assert_one_line(fx->error);
	assert_contains(fx->error, "./node_modules/.bin/prisma");
	assert_contains(fx->error, nvm);
}

/* ---- prisma_locate: node for a `#!/usr/bin/env node` CLI ---- */

static void test_node_from_nvm_when_path_has_none(void **state)
{
	struct fixture *fx = *state;
	char cli[PATH_MAX], expected[PATH_MAX];

	make_file(fx, "tools/prisma", NODE_SCRIPT, 0755, cli, sizeof(cli));
	make_nvm_version(fx, "v18.19.1", true, false);
	make_nvm_version(fx, "v20.11.1", true, false);
	make_nvm_version(fx, "v21.0.0", false, false); /* no node there */
	set_nvm_dir(fx);
	make_dir(fx, "empty", NULL, 0);
	set_path(fx, "empty");
	assert_int_equal(prisma_locate(cli, &fx->cli, fx->error, sizeof(fx->error)), 0);
	assert_string_equal(fx->cli.program, cli);
	snprintf(expected, sizeof(expected), "%s/nvm/versions/node/v20.11.1/bin", fx->dir);
	assert_string_equal(fx->cli.node_dir, expected);

	/* nvm's default version first. */
	set_nvm_default(fx, "18\n");
	assert_int_equal(prisma_locate(cli, &fx->cli, fx->error, sizeof(fx->error)), 0);
	snprintf(expected, sizeof(expected), "%s/nvm/versions/node/v18.19.1/bin", fx->dir);
	assert_string_equal(fx->cli.node_dir, expected);
}

static void test_node_next_to_cli_preferred(void **state)
{
	struct fixture *fx = *state;
	char cli[PATH_MAX], expected[PATH_MAX];

	make_file(fx, "tools/prisma", NODE_SCRIPT, 0755, cli, sizeof(cli));
	make_file(fx, "tools/node", SH_SCRIPT, 0755, NULL, 0);
	make_nvm_version(fx, "v20.11.1", true, false);
	set_nvm_dir(fx);
	make_dir(fx, "empty", NULL, 0);
	set_path(fx, "empty");
	assert_int_equal(prisma_locate(cli, &fx->cli, fx->error, sizeof(fx->error)), 0);
	full_path(fx, "tools", expected, sizeof(expected));
	assert_string_equal(fx->cli.node_dir, expected);
}

/* A node next to the CLI that cannot run does not count. */
static void test_node_next_to_cli_not_executable(void **state)
{
	struct fixture *fx = *state;
	char cli[PATH_MAX], expected[PATH_MAX];

	make_file(fx, "tools/prisma", NODE_SCRIPT, 0755, cli, sizeof(cli));
	make_file(fx, "tools/node", SH_SCRIPT, 0644, NULL, 0);
	make_nvm_version(fx, "v20.11.1", true, false);
	set_nvm_dir(fx);
	make_dir(fx, "empty", NULL, 0);
	set_path(fx, "empty");
	assert_int_equal(prisma_locate(cli, &fx->cli, fx->error, sizeof(fx->error)), 0);
	snprintf(expected, sizeof(expected), "%s/nvm/versions/node/v20.11.1/bin", fx->dir);
	assert_string_equal(fx->cli.node_dir, expected);
}

static void test_node_in_path_needs_nothing(void **state)
{
	struct fixture *fx = *state;
	char cli[PATH_MAX];

	make_file(fx, "tools/prisma", NODE_SCRIPT, 0755, cli, sizeof(cli));
	make_file(fx, "tools/node", SH_SCRIPT, 0755, NULL, 0);
	make_file(fx, "bin/node", SH_SCRIPT, 0755, NULL, 0);
	make_nvm_version(fx, "v20.11.1", true, false);
	set_nvm_dir(fx);
	set_path(fx, "bin");
	assert_int_equal(prisma_locate(cli, &fx->cli, fx->error, sizeof(fx->error)), 0);
	assert_string_equal(fx->cli.node_dir, "");
}

/* The forms of the line: `env -S node ...` too; anything else needs no node. */
static void test_node_shebang_forms(void **state)
{
	static const struct {
		const char *script;
		bool needs_node;
	} cases[] = {
	    {"#!/usr/bin/env node\n", true},
	    {"#! /usr/bin/env node\n", true},
	    {"#!/usr/bin/env -S node --no-warnings\n", true},
	    {"#!/bin/env node\r\n", true},
	    {"#!/usr/bin/env node", true},
	    {"#!/bin/sh\n", false},
	    {"#!/usr/bin/env bash\n", false},
	    {"#!/usr/bin/node\n", false},
	    {"#!/usr/bin/myenv node\n", false},
	    {"node\n", false},
	    {"", false},
	};
	struct fixture *fx = *state;
	char cli[PATH_MAX], expected[PATH_MAX];

	make_nvm_version(fx, "v20.11.1", true, false);
	set_nvm_dir(fx);
	make_dir(fx, "empty", NULL, 0);
	set_path(fx, "empty");
	snprintf(expected, sizeof(expected), "%s/nvm/versions/node/v20.11.1/bin", fx->dir);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		make_file(fx, "tools/prisma", cases[i].script, 0755, cli, sizeof(cli));
		assert_int_equal(prisma_locate(cli, &fx->cli, fx->error, sizeof(fx->error)), 0);
		if (strcmp(fx->cli.node_dir, cases[i].needs_node ? expected : "") != 0)
			fail_msg("\"%s\": node_dir \"%s\"", cases[i].script, fx->cli.node_dir);
	}
}

static void test_node_nowhere(void **state)
{
	struct fixture *fx = *state;
	char cli[PATH_MAX];

	make_file(fx, "tools/prisma", NODE_SCRIPT, 0755, cli, sizeof(cli));
	make_dir(fx, "empty", NULL, 0);
	set_path(fx, "empty");
	assert_int_equal(prisma_locate(cli, &fx->cli, fx->error, sizeof(fx->error)), -1);
	assert_one_line(fx->error);
	assert_contains(fx->error, cli);
	assert_contains(fx->error, "no node in PATH");
	assert_contains(fx->error, "$NVM_DIR");
	assert_contains(fx->error, "Node.js");

	/* NVM_DIR without any node: the same. */
	make_nvm_version(fx, "v20.11.1", false, false);
	set_nvm_dir(fx);
	assert_int_equal(prisma_locate(cli, &fx->cli, fx->error, sizeof(fx->error)), -1);
	assert_one_line(fx->error);
	assert_contains(fx->error, "node");
	assert_contains(fx->error, getenv("NVM_DIR"));

	/* A shell CLI needs no node at all. */
	make_file(fx, "tools/prisma", SH_SCRIPT, 0755, cli, sizeof(cli));
	assert_int_equal(prisma_locate(cli, &fx->cli, fx->error, sizeof(fx->error)), 0);
	assert_string_equal(fx->cli.node_dir, "");
}

/* ---- prisma_run ---- */

/* Writes dir/name as a #!/bin/sh script with body, and makes it the CLI.
 * The script finds its own files as "$0.<suffix>". */
static void make_cli(struct fixture *fx, const char *name, const char *body)
{
	char content[4096];

	snprintf(content, sizeof(content), "#!/bin/sh\n%s", body);
	make_file(fx, name, content, 0755, fx->cli.program, sizeof(fx->cli.program));
	fx->cli.found_by = "the test";
	fx->cli.node_dir[0] = '\0';
}

/* The CLI's file "<program>.<suffix>", read whole ("" when missing). */
static void read_cli_file(const struct fixture *fx, const char *suffix, char *out, size_t size)
{
	char path[PATH_MAX + 16];
	FILE *file;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s.%s", fx->cli.program, suffix);
	file = fopen(path, "r");
	if (file) {
		n = fread(out, 1, size - 1, file);
		fclose(file);
	}
	out[n] = '\0';
}

static int count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *entry;
	int count = 0;

	assert_non_null(dir);
	while ((entry = readdir(dir)))
		count += entry->d_name[0] != '.';
	closedir(dir);
	return count;
}

static int pending_timers(const struct loop *loop)
{
	int count = 0;

	for (int i = 0; i < LOOP_MAX_TIMERS; i++)
		count += loop->timers[i].deadline_ms != 0;
	return count;
}

/* True when process pid is stopped (state T in /proc/<pid>/stat). */
static bool is_stopped(pid_t pid)
{
	char path[64], text[512];
	const char *paren;
	FILE *file;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	file = fopen(path, "r");
	if (!file)
		return false;
	n = fread(text, 1, sizeof(text) - 1, file);
	fclose(file);
	text[n] = '\0';
	paren = strrchr(text, ')');
	return paren && paren[1] == ' ' && paren[2] == 'T';
}

/* Sends signo to this process once the CLI's "$0.ready" file exists, and
 * if asked, once the process named in "$0.pid" is stopped. */
struct signal_when_ready {
	char path[PATH_MAX + 16];
	char pid_path[PATH_MAX + 16];
	bool wait_stopped;
	int signo;
	int timer;
	bool sent;
};

static bool ready(const struct signal_when_ready *when)
{
	FILE *file;
	int pid = 0;

	if (access(when->path, F_OK) < 0)
		return false;
	if (!when->wait_stopped)
		return true;
	file = fopen(when->pid_path, "r");
	if (!file)
		return false;
	if (fscanf(file, "%d", &pid) != 1)
		pid = 0;
	fclose(file);
	return pid > 0 && is_stopped(pid);
}

static void check_ready(struct loop *loop, void *arg)
{
	struct signal_when_ready *when = arg;

	when->timer = -1;
	if (ready(when)) {
		kill(getpid(), when->signo);
		when->sent = true;
		return;
	}
	when->timer = loop_add_timer(loop, 5, check_ready, when);
}

struct run {
	const char *const *args;   /* NULL: {"generate", NULL} */
	const char *database_url;  /* as in prisma_run_params */
	const char *output_prefix; /* as in prisma_run_params */
	int64_t stop_timeout_ms;   /* 0: 5000 */
	int signal_when_ready;     /* sent to self once "$0.ready" exists, or 0 */
	bool when_stopped;         /* and once the process in "$0.pid" is stopped */
	/* What happened. */
	int rc;
	struct child_result result;
	bool signal_sent;
	int fds_before, fds_after;
	char *out; /* what went to this process's stdout and stderr meanwhile */
	char *err;
};

static char *read_all(int fd)
{
	off_t size = lseek(fd, 0, SEEK_END);
	char *text = malloc(size > 0 ? (size_t)size + 1 : 1);

	if (!text)
		return NULL;
	if (size > 0 && pread(fd, text, (size_t)size, 0) != (ssize_t)size)
		size = 0;
	text[size > 0 ? size : 0] = '\0';
	return text;
}

/* Runs the CLI with stdout and stderr going to files. No cmocka assertion
 * runs while they are redirected. */
static void run_cli(struct fixture *fx, struct run *run)
{
	static const char *const generate[] = {"generate", NULL};
	struct prisma_run_params params = {
	    .loop = &fx->loop,
	    .signals = &fx->signals,
	    .cli = &fx->cli,
	    .args = run->args ? run->args : generate,
	    .database_url = run->database_url,
	    .output_prefix = run->output_prefix,
	    .stop_timeout_ms = run->stop_timeout_ms ? run->stop_timeout_ms : 5000,
	};
	struct signal_when_ready when = {
	    .signo = run->signal_when_ready, .wait_stopped = run->when_stopped, .timer = -1};
	char out_path[PATH_MAX], err_path[PATH_MAX];
	int out_fd, err_fd, saved_out, saved_err;

	assert_true(fx->running);
	full_path(fx, "stdout.txt", out_path, sizeof(out_path));
	full_path(fx, "stderr.txt", err_path, sizeof(err_path));
	out_fd = open(out_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	err_fd = open(err_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(out_fd >= 0 && err_fd >= 0);
	if (run->signal_when_ready) {
		snprintf(when.path, sizeof(when.path), "%s.ready", fx->cli.program);
		snprintf(when.pid_path, sizeof(when.pid_path), "%s.pid", fx->cli.program);
		when.timer = loop_add_timer(&fx->loop, 0, check_ready, &when);
		assert_true(when.timer >= 0);
	}
	fflush(stdout);
	fflush(stderr);
	saved_out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 10);
	saved_err = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 10);
	assert_true(saved_out >= 0 && saved_err >= 0);
	run->fds_before = count_fds();
	dup2(out_fd, STDOUT_FILENO);
	dup2(err_fd, STDERR_FILENO);

	run->rc = prisma_run(&params, &run->result);

	dup2(saved_out, STDOUT_FILENO);
	dup2(saved_err, STDERR_FILENO);
	run->fds_after = count_fds();
	close(saved_out);
	close(saved_err);
	loop_cancel_timer(&fx->loop, when.timer);
	run->signal_sent = when.sent;
	run->out = read_all(out_fd);
	run->err = read_all(err_fd);
	close(out_fd);
	close(err_fd);
	assert_non_null(run->out);
	assert_non_null(run->err);
}

static void run_release(struct run *run)
{
	free(run->out);
	free(run->err);
}

/* Shows what the CLI printed when an expectation fails. */
#define EXPECT(run, cond)                                                                                              \
	EXPECT_SHOWING(cond,                                                                                           \
	               "rc %d, outcome %d, status %d, failed %d, elapsed %lld ms\nstdout: \"%s\"\n"                    \
	               "stderr: \"%s\"\n",                                                                             \
	               (run)->rc, (int)(run)->result.outcome, (run)->result.status, (int)(run)->result.failed,         \
	               (long long)(run)->result.elapsed_ms, (run)->out, (run)->err)

/* What every run must leave: the loop as it was, no descriptor open. */
static void expect_clean(const struct fixture *fx, const struct run *run)
{
	EXPECT(run, run->fds_after == run->fds_before);
	EXPECT(run, fx->loop.watch_count == 0);
	EXPECT(run, fx->loop.on_signal == NULL);
	EXPECT(run, pending_timers(&fx->loop) == 0);
}

/* True once no process of group pgid is left, reaping the ones that were
 * reparented here, within ms. */
static bool group_gone(pid_t pgid, int64_t ms)
{
	int64_t deadline = loop_now_ms() + ms;

	for (;;) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (kill(-pgid, 0) < 0 && errno == ESRCH)
			return true;
		if (loop_now_ms() > deadline)
			return false;
		sleep_ms(10);
	}
}

static pid_t read_pid(const struct fixture *fx, const char *suffix)
{
	char text[32];

	read_cli_file(fx, suffix, text, sizeof(text));
	return (pid_t)atoi(text);
}

/* The value of name in an `env` listing, or NULL; count says how often. */
static const char *env_value(const char *listing, const char *name, int *count)
{
	static char value[4096];
	size_t len = strlen(name);
	const char *found = NULL;

	*count = 0;
	for (const char *line = listing; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, name, len) == 0 && line[len] == '=') {
			(*count)++;
			snprintf(value, sizeof(value), "%.*s", (int)strcspn(line + len + 1, "\n"), line + len + 1);
			found = value;
		}
	}
	return found;
}

/* env(1) itself as the CLI, without arguments: it prints the environment
 * exactly as it was passed to execve (a shell would fold duplicates). */
static const char *const no_args[] = {NULL};

static void use_env_as_cli(struct fixture *fx)
{
	snprintf(fx->cli.program, sizeof(fx->cli.program), "/usr/bin/env");
	fx->cli.found_by = "the test";
	fx->cli.node_dir[0] = '\0';
}

extern char **environ;

static int count_environ(void)
{
	int count = 0;

	while (environ[count]) {
		/* A value with a newline would spoil the line count. */
		assert_null(strchr(environ[count], '\n'));
		count++;
	}
	return count;
}

static int count_lines(const char *text)
{
	int count = 0;

	for (; *text; text++)
		count += *text == '\n';
	return count;
}

static void expect_env(const char *listing, const char *name, const char *expected)
{
	int count;
	const char *value = env_value(listing, name, &count);

	if (!expected) {
		if (value)
			fail_msg("%s=%s in the CLI's environment", name, value);
		return;
	}
	if (!value)
		fail_msg("no %s in the CLI's environment:\n%s", name, listing);
	assert_string_equal(value, expected);
	assert_int_equal(count, 1);
}

static void test_run_exit_status_and_args(void **state)
{
	static const char *const args[] = {"generate", "--schema", "prisma/schema.prisma", NULL};
	struct fixture *fx = *state;
	struct run run = {.args = args};
	char text[256];

	make_cli(fx, "prisma", "echo \"$#:$*\" > \"$0.args\"\nexit 3\n");
	run_cli(fx, &run);
	EXPECT(&run, run.rc == 0);
	EXPECT(&run, run.result.outcome == CHILD_EXITED);
	EXPECT(&run, run.result.status == 3);
	EXPECT(&run, run.result.failed == PROC_FAILED_NONE);
	EXPECT(&run, run.result.elapsed_ms >= 0 && run.result.elapsed_ms < 3000);
	expect_clean(fx, &run);
	read_cli_file(fx, "args", text, sizeof(text));
	assert_string_equal(text, "3:generate --schema prisma/schema.prisma\n");
	run_release(&run);
}

static void test_run_exit_zero(void **state)
{
	struct fixture *fx = *state;
	struct run run = {0};

	make_cli(fx, "prisma", "exit 0\n");
	run_cli(fx, &run);
	EXPECT(&run, run.rc == 0);
	EXPECT(&run, run.result.outcome == CHILD_EXITED);
	EXPECT(&run, run.result.status == 0);
	expect_clean(fx, &run);
	run_release(&run);
}

/* Killed by a signal nobody here sent. */
static void test_run_killed_by_signal(void **state)
{
	struct fixture *fx = *state;
	struct run run = {0};

	make_cli(fx, "prisma", "kill -USR1 $$\nsleep 5\n");
	run_cli(fx, &run);
	EXPECT(&run, run.rc == 0);
	EXPECT(&run, run.result.outcome == CHILD_SIGNALED);
	EXPECT(&run, run.result.status == SIGUSR1);
	expect_clean(fx, &run);
	run_release(&run);
}

/* Signals other than the stop signals reach this process and are ignored:
 * the CLI runs on to its end. */
static void test_run_other_signals_ignored(void **state)
{
	struct fixture *fx = *state;
	struct run run = {0};

	make_cli(fx, "prisma", "kill -HUP $PPID\nkill -USR1 $PPID\nsleep 0.2\nexit 4\n");
	run_cli(fx, &run);
	EXPECT(&run, run.rc == 0);
	EXPECT(&run, run.result.outcome == CHILD_EXITED);
	EXPECT(&run, run.result.status == 4);
	expect_clean(fx, &run);
	run_release(&run);
}

static void test_run_environment_defaults(void **state)
{
	struct fixture *fx = *state;
	struct run run = {.args = no_args};

	assert_int_equal(setenv("PE_TEST_MARK", "passed on", 1), 0);
	use_env_as_cli(fx);
	run_cli(fx, &run);
	EXPECT(&run, run.rc == 0 && run.result.outcome == CHILD_EXITED && run.result.status == 0);
	expect_env(run.out, "CHECKPOINT_DISABLE", "1");
	expect_env(run.out, "PRISMA_HIDE_UPDATE_MESSAGE", "1");
	expect_env(run.out, "PE_TEST_MARK", "passed on");
	expect_env(run.out, "PATH", getenv("PATH"));
	expect_env(run.out, "DATABASE_URL", NULL);
	/* Everything else as it is here: ours, plus the two. */
	assert_int_equal(count_lines(run.out), count_environ() + 2);
	/* This process's environment is as it was. */
	assert_null(getenv("CHECKPOINT_DISABLE"));
	assert_null(getenv("PRISMA_HIDE_UPDATE_MESSAGE"));
	run_release(&run);
}

static void test_run_environment_user_values_kept(void **state)
{
	struct fixture *fx = *state;
	struct run run = {.args = no_args};

	assert_int_equal(setenv("CHECKPOINT_DISABLE", "0", 1), 0);
	assert_int_equal(setenv("PRISMA_HIDE_UPDATE_MESSAGE", "", 1), 0);
	assert_int_equal(setenv("DATABASE_URL", "postgresql://user@db/app", 1), 0);
	use_env_as_cli(fx);
	run_cli(fx, &run);
	EXPECT(&run, run.rc == 0 && run.result.outcome == CHILD_EXITED && run.result.status == 0);
	expect_env(run.out, "CHECKPOINT_DISABLE", "0");
	/* Empty is off to Prisma, so it counts as unset: replaced, not doubled. */
	expect_env(run.out, "PRISMA_HIDE_UPDATE_MESSAGE", "1");
	/* No database_url given: the user's passes as it is. */
	expect_env(run.out, "DATABASE_URL", "postgresql://user@db/app");
	run_release(&run);
}

static void test_run_environment_database_url(void **state)
{
	struct fixture *fx = *state;
	struct run run = {.args = no_args, .database_url = "postgresql://app:s%40cret@db:5432/app?schema=public"};

	assert_int_equal(setenv("DATABASE_URL", "postgresql://old@elsewhere/old", 1), 0);
	use_env_as_cli(fx);
	run_cli(fx, &run);
	EXPECT(&run, run.rc == 0 && run.result.outcome == CHILD_EXITED && run.result.status == 0);
	expect_env(run.out, "DATABASE_URL", "postgresql://app:s%40cret@db:5432/app?schema=public");
	expect_env(run.out, "CHECKPOINT_DISABLE", "1");
	assert_string_equal(getenv("DATABASE_URL"), "postgresql://old@elsewhere/old");
	run_release(&run);
}

static void test_run_node_dir_first_in_path(void **state)
{
	struct fixture *fx = *state;
	struct run run = {.args = no_args};
	char expected[8192];
	const char *path = getenv("PATH");

	assert_non_null(path);
	use_env_as_cli(fx);
	snprintf(fx->cli.node_dir, sizeof(fx->cli.node_dir), "/opt/pe-test-node/bin");
	run_cli(fx, &run);
	EXPECT(&run, run.rc == 0 && run.result.outcome == CHILD_EXITED && run.result.status == 0);
	snprintf(expected, sizeof(expected), "/opt/pe-test-node/bin:%s", path);
	expect_env(run.out, "PATH", expected);
	assert_string_equal(getenv("PATH"), path);
	run_release(&run);
}

static void test_run_node_dir_without_path(void **state)
{
	struct fixture *fx = *state;
	struct run run = {.args = no_args};

	use_env_as_cli(fx);
	snprintf(fx->cli.node_dir, sizeof(fx->cli.node_dir), "/opt/pe-test-node/bin");
	assert_int_equal(unsetenv("PATH"), 0);
	run_cli(fx, &run);
	EXPECT(&run, run.rc == 0 && run.result.outcome == CHILD_EXITED && run.result.status == 0);
	expect_env(run.out, "PATH", "/opt/pe-test-node/bin");
	assert_null(getenv("PATH"));
	run_release(&run);
}

#define OUTPUT_SCRIPT "echo out1\necho err1 >&2\nprintf 'out partial'\nprintf 'err partial' >&2\n"

/* Runs OUTPUT_SCRIPT (two lines on each stream, the second without a
 * newline) with prefix, and compares what reached stdout and stderr. */
static void expect_output(struct fixture *fx, const char *prefix, const char *out, const char *err)
{
	struct run run = {.output_prefix = prefix};

	make_cli(fx, "prisma", OUTPUT_SCRIPT);
	run_cli(fx, &run);
	EXPECT(&run, run.rc == 0 && run.result.outcome == CHILD_EXITED && run.result.status == 0);
	assert_string_equal(run.out, out);
	assert_string_equal(run.err, err);
	expect_clean(fx, &run);
	run_release(&run);
}

static void test_run_output_untouched_without_prefix(void **state)
{
	expect_output(*state, NULL, "out1\nout partial\n", "err1\nerr partial\n");
}

static void test_run_output_prefix(void **state)
{
	expect_output(*state, "[prisma] ", "[prisma] out1\n[prisma] out partial\n",
	              "[prisma] err1\n[prisma] err partial\n");
}

/* An empty prefix relays the bytes as they are, but for the newline that
 * ends an unfinished last line: what follows starts a line of its own. */
static void test_run_output_empty_prefix(void **state)
{
	expect_output(*state, "", "out1\nout partial\n", "err1\nerr partial\n");
}

/* More than a pipe holds on both streams: nothing lost, nothing stuck. */
static void test_run_output_prefix_large(void **state)
{
	enum { LINES = 20000 };
	struct fixture *fx = *state;
	struct run run = {.output_prefix = "> "};
	char *save = NULL;
	int count = 0;

	make_cli(fx, "prisma",
	         "i=0\nwhile [ $i -lt 20000 ]; do echo \"line $i\"; echo \"error $i\" >&2; i=$((i + 1)); done\n");
	run_cli(fx, &run);
	EXPECT(&run, run.rc == 0 && run.result.outcome == CHILD_EXITED && run.result.status == 0);
	for (char *line = strtok_r(run.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char expected[64];

		snprintf(expected, sizeof(expected), "> line %d", count);
		if (strcmp(line, expected) != 0)
			fail_msg("stdout line %d: \"%s\"", count, line);
		count++;
	}
	assert_int_equal(count, LINES);
	count = 0;
	for (char *line = strtok_r(run.err, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char expected[64];

		snprintf(expected, sizeof(expected), "> error %d", count);
		if (strcmp(line, expected) != 0)
			fail_msg("stderr line %d: \"%s\"", count, line);
		count++;
	}
	assert_int_equal(count, LINES);
	expect_clean(fx, &run);
	run_release(&run);
}

/* SIGTERM while the CLI sleeps: passed to its process group, which goes,
 * background processes included. */
static void test_run_sigterm_stops_group(void **state)
{
	struct fixture *fx = *state;
	struct run run = {.output_prefix = "[p] ", .signal_when_ready = SIGTERM};
	pid_t pgid;

	make_cli(fx, "prisma", "sleep 30 &\necho $$ > \"$0.pid\"\necho started\n: > \"$0.ready\"\nsleep 30\n");
	run_cli(fx, &run);
	EXPECT(&run, run.signal_sent);
	EXPECT(&run, run.rc == 0);
	EXPECT(&run, run.result.stop_signal == SIGTERM);
	/* Not by the SIGKILL that follows after stop_timeout_ms. */
	EXPECT(&run, run.result.elapsed_ms < 4000);
	EXPECT(&run, strstr(run.err, "SIGTERM") != NULL);
	EXPECT(&run, strcmp(run.out, "[p] started\n") == 0);
	expect_clean(fx, &run);
	pgid = read_pid(fx, "pid");
	assert_true(pgid > 1);
	if (!group_gone(pgid, 2000))
		fail_msg("process group %d still has processes", (int)pgid);
	run_release(&run);
}

/* The stop signal goes to the whole group, not only to the CLI: the CLI
 * traps it and reports how its background child ended. */
static void test_run_sigterm_reaches_whole_group(void **state)
{
	struct fixture *fx = *state;
	struct run run = {.stop_timeout_ms = 3000, .signal_when_ready = SIGTERM};
	char status[32];

	make_cli(fx, "prisma",
	         "sleep 30 &\nbg=$!\n"
	         "trap 'wait $bg; echo $? > \"$0.bg-status\"; exit 0' TERM\n"
	         ": > \"$0.ready\"\nwait\n");
	run_cli(fx, &run);
	EXPECT(&run, run.signal_sent);
	EXPECT(&run, run.rc == 0);
	EXPECT(&run, run.result.stop_signal == SIGTERM);
	EXPECT(&run, run.result.elapsed_ms < 2500);
	read_cli_file(fx, "bg-status", status, sizeof(status));
	/* 128 + SIGTERM: killed by the stop signal, not by the SIGKILL. */
	assert_string_equal(status, "143\n");
	expect_clean(fx, &run);
	run_release(&run);
}

/* A stopped CLI that handles SIGTERM runs its handler only once continued:
 * the stop signal is followed by SIGCONT. */
static void test_run_sigterm_continues_stopped_cli(void **state)
{
	struct fixture *fx = *state;
	struct run run = {.stop_timeout_ms = 3000, .signal_when_ready = SIGTERM, .when_stopped = true};
	char handled[32];

	make_cli(fx, "prisma",
	         "trap 'echo handled > \"$0.handled\"; exit 0' TERM\n"
	         "echo $$ > \"$0.pid\"\n: > \"$0.ready\"\nkill -STOP $$\nsleep 30\n");
	run_cli(fx, &run);
	EXPECT(&run, run.signal_sent);
	EXPECT(&run, run.rc == 0);
	EXPECT(&run, run.result.stop_signal == SIGTERM);
	/* Not by the SIGKILL that follows after stop_timeout_ms. */
	EXPECT(&run, run.result.elapsed_ms < 2500);
	read_cli_file(fx, "handled", handled, sizeof(handled));
	assert_string_equal(handled, "handled\n");
	expect_clean(fx, &run);
	run_release(&run);
}

/* A CLI that ignores SIGTERM (its children too): SIGKILL after the timeout. */
static void test_run_sigkill_after_stop_timeout(void **state)
{
	struct fixture *fx = *state;
	struct run run = {.stop_timeout_ms = 200, .signal_when_ready = SIGTERM};
	pid_t pgid;

	make_cli(fx, "prisma", "trap '' TERM\nsleep 30 &\necho $$ > \"$0.pid\"\n: > \"$0.ready\"\nsleep 30\n");
	run_cli(fx, &run);
	EXPECT(&run, run.signal_sent);
	EXPECT(&run, run.rc == 0);
	EXPECT(&run, run.result.stop_signal == SIGTERM);
	EXPECT(&run, run.result.elapsed_ms >= 200 && run.result.elapsed_ms < 4000);
	EXPECT(&run, strstr(run.err, "SIGKILL") != NULL);
	expect_clean(fx, &run);
	pgid = read_pid(fx, "pid");
	assert_true(pgid > 1);
	if (!group_gone(pgid, 2000))
		fail_msg("process group %d still has processes", (int)pgid);
	run_release(&run);
}

/* The CLI ends but leaves a process in its group: it does not outlive the
 * phase, and holding the output pipe open does not hold the phase up. */
static void test_run_leftover_in_group_killed(void **state)
{
	struct fixture *fx = *state;
	struct run run = {.output_prefix = "[p] "};
	pid_t pgid;

	make_cli(fx, "prisma", "sleep 30 &\necho $$ > \"$0.pid\"\necho done\nexit 0\n");
	run_cli(fx, &run);
	EXPECT(&run, run.rc == 0);
	EXPECT(&run, run.result.outcome == CHILD_EXITED);
	EXPECT(&run, run.result.status == 0);
	EXPECT(&run, run.result.elapsed_ms < 4000);
	EXPECT(&run, strcmp(run.out, "[p] done\n") == 0);
	expect_clean(fx, &run);
	pgid = read_pid(fx, "pid");
	assert_true(pgid > 1);
	if (!group_gone(pgid, 2000))
		fail_msg("process group %d still has processes", (int)pgid);
	run_release(&run);
}

/* The CLI leads a group of its own, not this process's. */
static void test_run_own_process_group(void **state)
{
	struct fixture *fx = *state;
	struct run run = {0};
	char text[64];
	int pid = 0, pgid = 0;

	/* Field 5 of /proc/<pid>/stat is the process group ("sh" has no space). */
	make_cli(fx, "prisma", "echo $$ $(cut -d' ' -f5 /proc/$$/stat) > \"$0.pid\"\n");
	run_cli(fx, &run);
	EXPECT(&run, run.rc == 0 && run.result.outcome == CHILD_EXITED && run.result.status == 0);
	read_cli_file(fx, "pid", text, sizeof(text));
	assert_int_equal(sscanf(text, "%d %d", &pid, &pgid), 2);
	assert_int_equal(pid, pgid);
	assert_int_not_equal(pgid, getpgrp());
	run_release(&run);
}

static void test_run_spawn_failure(void **state)
{
	struct fixture *fx = *state;
	struct run run = {.output_prefix = "[p] "};

	snprintf(fx->cli.program, sizeof(fx->cli.program), "%s/no-such-prisma", fx->dir);
	fx->cli.found_by = "the test";
	run_cli(fx, &run);
	EXPECT(&run, run.rc == -1);
	EXPECT(&run, run.result.outcome == CHILD_SPAWN_FAILED);
	EXPECT(&run, run.result.status == ENOENT);
	EXPECT(&run, run.result.failed == PROC_FAILED_EXEC);
	expect_clean(fx, &run);
	run_release(&run);
}

static void test_run_spawn_failure_not_executable(void **state)
{
	struct fixture *fx = *state;
	struct run run = {0};

	make_cli(fx, "prisma", "exit 0\n");
	assert_int_equal(chmod(fx->cli.program, 0644), 0);
	run_cli(fx, &run);
	EXPECT(&run, run.rc == -1);
	EXPECT(&run, run.result.outcome == CHILD_SPAWN_FAILED);
	EXPECT(&run, run.result.status == EACCES);
	EXPECT(&run, run.result.failed == PROC_FAILED_EXEC);
	expect_clean(fx, &run);
	run_release(&run);
}

/* Two runs on one loop: nothing of the first is left to disturb the second. */
static void test_run_twice_on_one_loop(void **state)
{
	struct fixture *fx = *state;
	struct run first = {.output_prefix = "1 "}, second = {.output_prefix = "2 "};

	make_cli(fx, "prisma", "echo hi\nexit 5\n");
	run_cli(fx, &first);
	run_cli(fx, &second);
	EXPECT(&first, first.rc == 0 && first.result.outcome == CHILD_EXITED && first.result.status == 5);
	EXPECT(&second, second.rc == 0 && second.result.outcome == CHILD_EXITED && second.result.status == 5);
	assert_string_equal(first.out, "1 hi\n");
	assert_string_equal(second.out, "2 hi\n");
	expect_clean(fx, &second);
	run_release(&first);
	run_release(&second);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TEST(test_locate_configured_absolute),
	    TEST(test_locate_configured_relative),
	    TEST(test_locate_configured_missing),
	    TEST(test_locate_configured_not_executable),
	    TEST(test_locate_configured_directory),
	    TEST(test_locate_configured_name_in_path),
	    TEST(test_locate_configured_name_not_in_path),
	    TEST(test_locate_configured_name_not_executable),
	    TEST(test_locate_configured_empty_is_unset),
	    TEST(test_locate_local_node_modules),
	    TEST(test_locate_local_not_executable_is_an_error),
	    TEST(test_locate_path),
	    TEST(test_locate_nvm_highest_version),
	    TEST(test_locate_nvm_default_alias),
	    TEST(test_locate_nvm_default_without_prisma),
	    TEST(test_locate_nothing_found),
	    TEST(test_locate_nothing_found_in_nvm),
	    TEST(test_node_from_nvm_when_path_has_none),
	    TEST(test_node_next_to_cli_preferred),
	    TEST(test_node_next_to_cli_not_executable),
	    TEST(test_node_in_path_needs_nothing),
	    TEST(test_node_shebang_forms),
	    TEST(test_node_nowhere),
	    TEST_RUN(test_run_exit_status_and_args),
	    TEST_RUN(test_run_exit_zero),
	    TEST_RUN(test_run_killed_by_signal),
	    TEST_RUN(test_run_other_signals_ignored),
	    TEST_RUN(test_run_environment_defaults),
	    TEST_RUN(test_run_environment_user_values_kept),
	    TEST_RUN(test_run_environment_database_url),
	    TEST_RUN(test_run_node_dir_first_in_path),
	    TEST_RUN(test_run_node_dir_without_path),
	    TEST_RUN(test_run_output_untouched_without_prefix),
	    TEST_RUN(test_run_output_prefix),
	    TEST_RUN(test_run_output_empty_prefix),
	    TEST_RUN(test_run_output_prefix_large),
	    TEST_RUN(test_run_sigterm_stops_group),
	    TEST_RUN(test_run_sigterm_reaches_whole_group),
	    TEST_RUN(test_run_sigterm_continues_stopped_cli),
	    TEST_RUN(test_run_sigkill_after_stop_timeout),
	    TEST_RUN(test_run_leftover_in_group_killed),
	    TEST_RUN(test_run_own_process_group),
	    TEST_RUN(test_run_spawn_failure),
	    TEST_RUN(test_run_spawn_failure_not_executable),
	    TEST_RUN(test_run_twice_on_one_loop),
	};

	/* Orphans of the scripts come here to be reaped (see the top). */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return 1;
	return cmocka_run_group_tests_name("prisma", tests, NULL, NULL);
}
