/* Unit tests for user.c and file-owner.c: what each form of the user setting
 * resolves to (ids, groups, HOME, USER and LOGNAME), the one-line errors, the
 * rules for a process that is not root, and the files written for the user
 * (file_owner_give(), lockfile_open() and record_write() with an owner).
 * The switch needs root: as another user these tests are skipped. ids 4242
 * and 4343 stand for a host user the passwd file does not know; nobody
 * (65534) for one it does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testlib.h"

#include "file-owner.h"
#include "generate-record.h"
#include "lockfile.h"
#include "user.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define HOST_UID 4242
#define HOST_GID 4343
#define NOBODY   65534

struct fixture {
	char dir[64];
	char path[PATH_MAX];
	char error[1024];
	struct user user;
};

static int setup(void **state)
{
	struct fixture *fx = FIXTURE_TREE_NEW(struct fixture, "user");

	if (!fx)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	user_release(&fx->user);
	return fixture_tree_free(fx, fx->dir);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

static void need_root(void)
{
	if (geteuid() != 0)
		skip();
}

static bool has_env(const struct user *user, const char *var)
{
	for (size_t i = 0; user->env[i]; i++)
		if (strcmp(user->env[i], var) == 0)
			return true;
	return false;
}

static void assert_owner(const char *path, uid_t uid, gid_t gid)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	EXPECT_SHOWING(st.st_uid == uid && st.st_gid == gid, "%s is %u:%u, expected %u:%u\n", path, (unsigned)st.st_uid,
	               (unsigned)st.st_gid, (unsigned)uid, (unsigned)gid);
}

/* ---- user_resolve ---- */

static void test_unset_is_no_switch(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(user_resolve(NULL, &fx->user, fx->error, sizeof(fx->error)), 0);
	assert_false(fx->user.switching);
}

static void test_ids_without_an_entry(void **state)
{
	struct fixture *fx = *state;
	char described[256];

	need_root();
	assert_int_equal(user_resolve("4242:4343", &fx->user, fx->error, sizeof(fx->error)), 0);
	assert_true(fx->user.switching);
	assert_int_equal(fx->user.ids.uid, HOST_UID);
	assert_int_equal(fx->user.ids.gid, HOST_GID);
	assert_int_equal(fx->user.ids.group_count, 1);
	assert_int_equal(fx->user.ids.groups[0], HOST_GID);
	assert_null(fx->user.name);
	/* HOME "/", and no USER or LOGNAME: the environment's would say root. */
	assert_true(has_env(&fx->user, "HOME=/"));
	assert_null(fx->user.env[1]);
	user_describe(&fx->user, described, sizeof(described));
	assert_string_equal(described, "uid 4242, gid 4343, groups 4343, HOME /");
}

static void test_a_uid_alone_without_an_entry_gets_gid_0(void **state)
{
	struct fixture *fx = *state;

	need_root();
	assert_int_equal(user_resolve("4242", &fx->user, fx->error, sizeof(fx->error)), 0);
	assert_int_equal(fx->user.ids.uid, HOST_UID);
	assert_int_equal(fx->user.ids.gid, 0);
}

static void test_a_name_takes_its_entry(void **state)
{
	struct fixture *fx = *state;
	struct passwd *pw = getpwnam("nobody");

	need_root();
	if (!pw)
		skip();
	assert_int_equal(user_resolve("nobody", &fx->user, fx->error, sizeof(fx->error)), 0);
	assert_true(fx->user.switching);
	assert_int_equal(fx->user.ids.uid, pw->pw_uid);
	assert_int_equal(fx->user.ids.gid, pw->pw_gid);
	assert_string_equal(fx->user.name, "nobody");
	assert_true(has_env(&fx->user, "USER=nobody"));
	assert_true(has_env(&fx->user, "LOGNAME=nobody"));
	assert_true(fx->user.ids.group_count >= 1);
	user_release(&fx->user);
	/* The same entry by its uid, and with another group. */
	assert_int_equal(user_resolve("65534:0", &fx->user, fx->error, sizeof(fx->error)), 0);
	assert_string_equal(fx->user.name, "nobody");
	assert_int_equal(fx->user.ids.gid, 0);
}

static void test_own_ids_are_no_switch(void **state)
{
	struct fixture *fx = *state;

	need_root();
	assert_int_equal(user_resolve("0:0", &fx->user, fx->error, sizeof(fx->error)), 0);
	assert_false(fx->user.switching);
}

static void test_owner_of_the_working_directory(void **state)
{
	struct fixture *fx = *state;
	char cwd[PATH_MAX];

	need_root();
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chown(fx->dir, HOST_UID, HOST_GID), 0);
	assert_int_equal(chdir(fx->dir), 0);
	assert_int_equal(user_resolve("owner", &fx->user, fx->error, sizeof(fx->error)), 0);
	assert_int_equal(chdir(cwd), 0);
	assert_true(fx->user.switching);
	assert_int_equal(fx->user.ids.uid, HOST_UID);
	assert_int_equal(fx->user.ids.gid, HOST_GID);
}

static void test_errors_are_one_line_naming_the_setting(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		const char *spec;
		const char *says;
	} cases[] = {
	    {"pe-no-such-user", "no user named 'pe-no-such-user'"},
	    {"nobody:pe-no-such-group", "no group named 'pe-no-such-group'"},
	    {":0", "expected a name or uid"},
	    {"nobody:", "expected a name or uid"},
	    {"-1", "no user named '-1'"},
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char prefix[128];

		fx->error[0] = '\0';
		assert_int_equal(user_resolve(cases[i].spec, &fx->user, fx->error, sizeof(fx->error)), -1);
		user_release(&fx->user);
		assert_one_line(fx->error);
		snprintf(prefix, sizeof(prefix), "cannot run as user '%s': ", cases[i].spec);
		EXPECT_SHOWING(strncmp(fx->error, prefix, strlen(prefix)) == 0 && strstr(fx->error, cases[i].says),
		               "%s: %s\n", cases[i].spec, fx->error);
	}
}

/* In a child that gave up root: 0 when the check passed, 1 when it failed
 * with the expected line, 2 otherwise. */
static int resolve_as_nobody(const char *spec, const char *dir, const char *says)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct user user;
		char error[1024] = "";
		int rc;

		if (chdir(dir) < 0 || setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
			_exit(3);
		rc = user_resolve(spec, &user, error, sizeof(error));
		user_release(&user);
		if (rc == 0)
			_exit(0);
		_exit(says && strstr(error, says) ? 1 : 2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_not_root_accepts_only_its_own_ids(void **state)
{
	struct fixture *fx = *state;

	need_root();
	assert_int_equal(chown(fx->dir, NOBODY, NOBODY), 0);
	assert_int_equal(resolve_as_nobody("root", fx->dir, "only root can switch users"), 1);
	assert_int_equal(resolve_as_nobody("65534:0", fx->dir, "only root can switch users"), 1);
	assert_int_equal(resolve_as_nobody("65534:65534", fx->dir, NULL), 0);
	assert_int_equal(resolve_as_nobody("owner", fx->dir, NULL), 0);
}

/* ---- the files written for the user ---- */

static void test_give_only_in_the_users_folder(void **state)
{
	struct fixture *fx = *state;
	struct file_owner owner = {HOST_UID, HOST_GID};
	char mine[PATH_MAX];
	char theirs[PATH_MAX];

	need_root();
	snprintf(mine, sizeof(mine), "%s/root-file", fx->dir);
	write_text(mine, "x");
	assert_int_equal(file_owner_give(&owner, -1, mine), 0);
	assert_owner(mine, 0, 0);
	assert_int_equal(chown(fx->dir, HOST_UID, HOST_GID), 0);
	snprintf(theirs, sizeof(theirs), "%s/their-file", fx->dir);
	write_text(theirs, "x");
	assert_int_equal(file_owner_give(NULL, -1, theirs), 0);
	assert_owner(theirs, 0, 0);
	assert_int_equal(file_owner_give(&owner, -1, theirs), 0);
	assert_owner(theirs, HOST_UID, HOST_GID);
}

static void test_lock_and_record_with_their_folders(void **state)
{
	struct fixture *fx = *state;
	struct file_owner owner = {HOST_UID, HOST_GID};
	struct lockfile lock = LOCKFILE_INIT;
	char folder[PATH_MAX];

	need_root();
	assert_int_equal(chown(fx->dir, HOST_UID, HOST_GID), 0);
	snprintf(fx->path, sizeof(fx->path), "%s/node_modules/.cache/record.lock", fx->dir);
	assert_int_equal(lockfile_open(&lock, fx->path, &owner, fx->error, sizeof(fx->error)), 0);
	lockfile_release(&lock);
	assert_owner(fx->path, HOST_UID, HOST_GID);
	snprintf(folder, sizeof(folder), "%s/node_modules/.cache", fx->dir);
	assert_owner(folder, HOST_UID, HOST_GID);
	snprintf(folder, sizeof(folder), "%s/node_modules", fx->dir);
	assert_owner(folder, HOST_UID, HOST_GID);
	snprintf(fx->path, sizeof(fx->path), "%s/node_modules/.cache/record", fx->dir);
	assert_int_equal(record_write(fx->path, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	                              "prisma/schema.prisma", &owner, fx->error, sizeof(fx->error)),
	                 0);
	assert_owner(fx->path, HOST_UID, HOST_GID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TEST(test_unset_is_no_switch),
	    TEST(test_ids_without_an_entry),
	    TEST(test_a_uid_alone_without_an_entry_gets_gid_0),
	    TEST(test_a_name_takes_its_entry),
	    TEST(test_own_ids_are_no_switch),
	    TEST(test_owner_of_the_working_directory),
	    TEST(test_errors_are_one_line_naming_the_setting),
	    TEST(test_not_root_accepts_only_its_own_ids),
	    TEST(test_give_only_in_the_users_folder),
	    TEST(test_lock_and_record_with_their_folders),
	};

	return cmocka_run_group_tests_name("user", tests, NULL, NULL);
}
