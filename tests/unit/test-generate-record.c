/* Unit tests for generate-record.c: reading the digest of the last successful
 * generate, and replacing the record atomically (no temporary file left,
 * the old record kept, whatever step fails). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testlib.h"

#include "generate-record.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEX_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEX_B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

struct fixture {
	char dir[64];
	char path[PATH_MAX]; /* dir/record: where the record goes */
	char error[512];
};

static int setup(void **state)
{
	struct fixture *fx = FIXTURE_TREE_NEW(struct fixture, "record");

	if (!fx)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/record", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	/* A failed read-only test must not leave a folder root cannot list. */
	chmod(fx->dir, 0755);
	return fixture_tree_free(fx, fx->dir);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

/* The whole file at path, or fails the test. */
static void read_text(const char *path, char *out, size_t size)
{
	FILE *file = fopen(path, "r");
	size_t n;

	if (!file) {
		fail_msg("cannot read %s: %s", path, strerror(errno));
		return; /* not reached: for cppcheck, which does not know */
	}
	n = fread(out, 1, size - 1, file);
	out[n] = '\0';
	fclose(file);
}

/* The names in dir, sorted and joined with spaces ("" when empty). */
static void list_dir(const char *dir, char *out, size_t size)
{
	struct dirent **entries;
	int count = scandir(dir, &entries, NULL, alphasort);
	size_t used = 0;

	assert_true(count >= 0);
	out[0] = '\0';
	for (int i = 0; i < count; i++) {
		if (strcmp(entries[i]->d_name, ".") != 0 && strcmp(entries[i]->d_name, "..") != 0)
			used += (size_t)snprintf(out + used, size - used, "%s%s", used ? " " : "", entries[i]->d_name);
		free(entries[i]);
	}
	free(entries);
	assert_true(used < size);
}

/* ---- record_read ---- */

static void test_read_missing_file(void **state)
{
	struct fixture *fx = *state;
	char hex[65] = "untouched";

	assert_int_equal(record_read(fx->path, hex, fx->error, sizeof(fx->error)), 0);
	assert_string_equal(hex, "untouched");
	assert_string_equal(fx->error, "");
}

/* A folder on the way that is a file: there is no record there either. */
static void test_read_path_under_a_file(void **state)
{
	struct fixture *fx = *state;
	char path[PATH_MAX];
	char hex[65];

	write_text(fx->path, "digest " HEX_A "\n");
	snprintf(path, sizeof(path), "%s/record/inner", fx->dir);
	assert_int_equal(record_read(path, hex, fx->error, sizeof(fx->error)), 0);
}

static void test_read_valid(void **state)
{
	struct fixture *fx = *state;
	char hex[65];

	write_text(fx->path, "# prisma-entrypoint: inputs of the last successful prisma generate\n"
	                     "digest " HEX_A "\n"
	                     "schema prisma/schema.prisma\n");
	assert_int_equal(record_read(fx->path, hex, fx->error, sizeof(fx->error)), 1);
	assert_string_equal(hex, HEX_A);
}

static void test_read_digest_anywhere_without_newline(void **state)
{
	struct fixture *fx = *state;
	char hex[65];

	/* Last line without a newline, after other lines. */
	write_text(fx->path, "schema x\n\n# note\ndigest " HEX_B);
	assert_int_equal(record_read(fx->path, hex, fx->error, sizeof(fx->error)), 1);
	assert_string_equal(hex, HEX_B);

	/* CRLF line ends (a record edited on Windows). */
	write_text(fx->path, "digest " HEX_A "\r\nschema x\r\n");
	assert_int_equal(record_read(fx->path, hex, fx->error, sizeof(fx->error)), 1);
	assert_string_equal(hex, HEX_A);
}

static void test_read_first_valid_digest_wins(void **state)
{
	struct fixture *fx = *state;
	char hex[65];

	write_text(fx->path, "digest nothex\ndigest " HEX_B "\ndigest " HEX_A "\n");
	assert_int_equal(record_read(fx->path, hex, fx->error, sizeof(fx->error)), 1);
	assert_string_equal(hex, HEX_B);
}

static void test_read_without_digest_line(void **state)
{
	struct fixture *fx = *state;
	char hex[65];

	write_text(fx->path, "");
	assert_int_equal(record_read(fx->path, hex, fx->error, sizeof(fx->error)), 0);
	write_text(fx->path, "# prisma-entrypoint: inputs of the last successful prisma generate\nschema x\n");
	assert_int_equal(record_read(fx->path, hex, fx->error, sizeof(fx->error)), 0);
	/* Binary junk. */
	write_text(fx->path, "\x01\x02\xff\xfe garbage");
	assert_int_equal(record_read(fx->path, hex, fx->error, sizeof(fx->error)), 0);
}

static void test_read_malformed_digest(void **state)
{
	static const char *const malformed[] = {
	    /* 63 digits */
	    "digest 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n",
	    /* 65 digits */
	    "digest " HEX_A "0\n",
	    /* uppercase */
	    "digest 0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\n",
	    /* not hex */
	    "digest 0123456789abcdeg0123456789abcdef0123456789abcdef0123456789abcdef\n",
	    /* trailing space */
	    "digest " HEX_A " \n",
	    /* two spaces after the key */
	    "digest  " HEX_A "\n",
	    /* no space after the key */
	    "digest\t" HEX_A "\n",
	    /* leading space */
	    " digest " HEX_A "\n",
	    /* another key that starts the same */
	    "digests " HEX_A "\n",
	    /* the digest alone */
	    HEX_A "\n",
	    /* empty */
	    "digest \n",
	};
	struct fixture *fx = *state;
	char hex[65];

	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		write_text(fx->path, malformed[i]);
		if (record_read(fx->path, hex, fx->error, sizeof(fx->error)) != 0)
			fail_msg("taken as a digest: %s", malformed[i]);
	}
}

/* A NUL inside the digest must not pass as a digest character. */
static void test_read_digest_with_nul(void **state)
{
	struct fixture *fx = *state;
	char content[] = "digest " HEX_A "\n";
	char hex[65];
	FILE *file;

	content[7 + 10] = '\0';
	file = fopen(fx->path, "w");
	assert_non_null(file);
	assert_int_equal(fwrite(content, 1, sizeof(content) - 1, file), sizeof(content) - 1);
	assert_int_equal(fclose(file), 0);
	assert_int_equal(record_read(fx->path, hex, fx->error, sizeof(fx->error)), 0);
}

/* A directory where the record should be exists but cannot be read as a
 * file: reported, not taken for "no record". */
static void test_read_directory_is_an_error(void **state)
{
	struct fixture *fx = *state;
	char hex[65];

	assert_int_equal(mkdir(fx->path, 0755), 0);
	assert_int_equal(record_read(fx->path, hex, fx->error, sizeof(fx->error)), -1);
	assert_one_line(fx->error);
	assert_non_null(strstr(fx->error, fx->path));
	assert_non_null(strstr(fx->error, "is not a regular file"));
}

/* An error that root gets too: a symbolic link loop. */
static void test_read_symlink_loop_is_an_error(void **state)
{
	struct fixture *fx = *state;
	char hex[65];

	assert_int_equal(symlink(fx->path, fx->path), 0);
	assert_int_equal(record_read(fx->path, hex, fx->error, sizeof(fx->error)), -1);
	assert_one_line(fx->error);
	assert_non_null(strstr(fx->error, fx->path));
	assert_non_null(strstr(fx->error, strerror(ELOOP)));
}

/* ---- record_write ---- */

static void test_write_content_and_mode(void **state)
{
	struct fixture *fx = *state;
	char content[1024], names[256];
	struct stat st;
	mode_t old_umask = umask(077);
	int rc = record_write(fx->path, HEX_A, "prisma/schema.prisma", NULL, fx->error, sizeof(fx->error));

	umask(old_umask);
	assert_int_equal(rc, 0);
	read_text(fx->path, content, sizeof(content));
	assert_non_null(strstr(content, "\ndigest " HEX_A "\n"));
	assert_non_null(strstr(content, "\nschema prisma/schema.prisma\n"));
	assert_int_equal(content[0], '#');
	assert_int_equal(content[strlen(content) - 1], '\n');
	/* 0644 whatever the umask: the app's user may need to read it. */
	assert_int_equal(stat(fx->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0644);
	list_dir(fx->dir, names, sizeof(names));
	assert_string_equal(names, "record");
}

static void test_write_round_trip(void **state)
{
	struct fixture *fx = *state;
	char hex[65];

	assert_int_equal(record_write(fx->path, HEX_B, "schema.prisma", NULL, fx->error, sizeof(fx->error)), 0);
	assert_int_equal(record_read(fx->path, hex, fx->error, sizeof(fx->error)), 1);
	assert_string_equal(hex, HEX_B);
}

/* A schema path with spaces, and a record path given relative. */
static void test_write_relative_path_and_spaces(void **state)
{
	struct fixture *fx = *state;
	char old_cwd[PATH_MAX], content[1024], hex[65];
	int write_rc, read_rc;

	assert_non_null(getcwd(old_cwd, sizeof(old_cwd)));
	assert_int_equal(chdir(fx->dir), 0);
	write_rc = record_write("record", HEX_A, "my app/prisma/schema.prisma", NULL, fx->error, sizeof(fx->error));
	read_rc = record_read("record", hex, fx->error, sizeof(fx->error));
	assert_int_equal(chdir(old_cwd), 0);
	assert_int_equal(write_rc, 0);
	assert_int_equal(read_rc, 1);
	assert_string_equal(hex, HEX_A);
	read_text(fx->path, content, sizeof(content));
	assert_non_null(strstr(content, "\nschema my app/prisma/schema.prisma\n"));
}

static void test_write_replaces_existing_record(void **state)
{
	struct fixture *fx = *state;
	char content[1024], names[256], hex[65];
	struct stat before, after;

	assert_int_equal(record_write(fx->path, HEX_A, "a.prisma", NULL, fx->error, sizeof(fx->error)), 0);
	assert_int_equal(stat(fx->path, &before), 0);
	assert_int_equal(record_write(fx->path, HEX_B, "b.prisma", NULL, fx->error, sizeof(fx->error)), 0);
	assert_int_equal(stat(fx->path, &after), 0);
	/* Replaced by a rename, not rewritten in place. */
	assert_true(before.st_ino != after.st_ino);
	read_text(fx->path, content, sizeof(content));
	assert_null(strstr(content, HEX_A));
	assert_null(strstr(content, "a.prisma"));
	assert_non_null(strstr(content, "\nschema b.prisma\n"));
	assert_int_equal(record_read(fx->path, hex, fx->error, sizeof(fx->error)), 1);
	assert_string_equal(hex, HEX_B);
	list_dir(fx->dir, names, sizeof(names));
	assert_string_equal(names, "record");
}

/* A file that is not a record (no digest line) is replaced all the same. */
static void test_write_replaces_a_foreign_file(void **state)
{
	struct fixture *fx = *state;
	char hex[65];

	write_text(fx->path, "something else entirely\n");
	assert_int_equal(record_write(fx->path, HEX_A, "s", NULL, fx->error, sizeof(fx->error)), 0);
	assert_int_equal(record_read(fx->path, hex, fx->error, sizeof(fx->error)), 1);
	assert_string_equal(hex, HEX_A);
}

static void test_write_folder_missing(void **state)
{
	struct fixture *fx = *state;
	char path[PATH_MAX], names[256];

	snprintf(path, sizeof(path), "%s/missing/record", fx->dir);
	assert_int_equal(record_write(path, HEX_A, "s", NULL, fx->error, sizeof(fx->error)), -1);
	assert_one_line(fx->error);
	assert_non_null(strstr(fx->error, path));
	assert_non_null(strstr(fx->error, strerror(ENOENT)));
	list_dir(fx->dir, names, sizeof(names));
	assert_string_equal(names, "");
}

/* rename() cannot put a file over a non-empty directory: the last step
 * fails, the temporary file goes, and what was there stays. */
static void test_write_over_a_directory(void **state)
{
	struct fixture *fx = *state;
	char inside[PATH_MAX + 16], names[256];
	struct stat st;

	assert_int_equal(mkdir(fx->path, 0755), 0);
	snprintf(inside, sizeof(inside), "%s/record/keep", fx->dir);
	write_text(inside, "kept\n");
	assert_int_equal(record_write(fx->path, HEX_A, "s", NULL, fx->error, sizeof(fx->error)), -1);
	assert_one_line(fx->error);
	assert_non_null(strstr(fx->error, fx->path));
	assert_non_null(strstr(fx->error, "rename"));
	assert_int_equal(stat(fx->path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(access(inside, F_OK), 0);
	list_dir(fx->dir, names, sizeof(names));
	assert_string_equal(names, "record");
}

/* Writing fails half-way (the file size limit, which binds root too): the
 * temporary file goes and the old record stays as it was. */
static void test_write_failure_keeps_old_record(void **state)
{
	struct fixture *fx = *state;
	struct sigaction ignore = {.sa_handler = SIG_IGN}, old_action;
	struct rlimit old_limit, limit;
	char before[1024], after[1024], names[256], hex[65];
	int rc;

	assert_int_equal(record_write(fx->path, HEX_A, "old.prisma", NULL, fx->error, sizeof(fx->error)), 0);
	read_text(fx->path, before, sizeof(before));

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
	limit = old_limit;
	limit.rlim_cur = 16;
	/* Past the limit, write() fails with EFBIG once SIGXFSZ is ignored. */
	assert_int_equal(sigaction(SIGXFSZ, &ignore, &old_action), 0);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &limit), 0);
	rc = record_write(fx->path, HEX_B, "new.prisma", NULL, fx->error, sizeof(fx->error));
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old_limit), 0);
	assert_int_equal(sigaction(SIGXFSZ, &old_action, NULL), 0);

	assert_int_equal(rc, -1);
	assert_one_line(fx->error);
	assert_non_null(strstr(fx->error, fx->path));
	assert_non_null(strstr(fx->error, "write"));
	assert_non_null(strstr(fx->error, strerror(EFBIG)));
	read_text(fx->path, after, sizeof(after));
	assert_string_equal(after, before);
	assert_int_equal(record_read(fx->path, hex, fx->error, sizeof(fx->error)), 1);
	assert_string_equal(hex, HEX_A);
	list_dir(fx->dir, names, sizeof(names));
	assert_string_equal(names, "record");
}

/* A folder nobody can create files in, root included (procfs). */
static void test_write_folder_not_writable_even_for_root(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(record_write("/proc/self/pe-test-record", HEX_A, "s", NULL, fx->error, sizeof(fx->error)), -1);
	assert_one_line(fx->error);
	assert_non_null(strstr(fx->error, "/proc/self/pe-test-record"));
	assert_int_equal(access("/proc/self/pe-test-record", F_OK), -1);
}

/* A read-only folder (mode 0555). Root writes there all the same
 * (CAP_DAC_OVERRIDE), so this runs only as another user; the failure cases
 * above cover root. */
static void test_write_read_only_folder(void **state)
{
	struct fixture *fx = *state;
	char before[1024], after[1024], names[256];
	int rc;

	if (geteuid() == 0)
		skip();
	assert_int_equal(record_write(fx->path, HEX_A, "old.prisma", NULL, fx->error, sizeof(fx->error)), 0);
	read_text(fx->path, before, sizeof(before));
	assert_int_equal(chmod(fx->dir, 0555), 0);
	rc = record_write(fx->path, HEX_B, "new.prisma", NULL, fx->error, sizeof(fx->error));
	assert_int_equal(chmod(fx->dir, 0755), 0);
	assert_int_equal(rc, -1);
	assert_one_line(fx->error);
	assert_non_null(strstr(fx->error, strerror(EACCES)));
	read_text(fx->path, after, sizeof(after));
	assert_string_equal(after, before);
	list_dir(fx->dir, names, sizeof(names));
	assert_string_equal(names, "record");
}

static void test_write_path_too_long(void **state)
{
	struct fixture *fx = *state;
	char path[PATH_MAX + 16], names[256];
	char error[2 * PATH_MAX]; /* the message names the path */

	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(record_write(path, HEX_A, "s", NULL, error, sizeof(error)), -1);
	assert_one_line(error);
	assert_non_null(strstr(error, "too long"));
	list_dir(fx->dir, names, sizeof(names));
	assert_string_equal(names, "");
}

static void test_write_schema_path_too_long(void **state)
{
	struct fixture *fx = *state;
	char schema[PATH_MAX + 300], names[256];

	assert_int_equal(record_write(fx->path, HEX_A, "old.prisma", NULL, fx->error, sizeof(fx->error)), 0);
	memset(schema, 's', sizeof(schema) - 1);
	schema[sizeof(schema) - 1] = '\0';
	assert_int_equal(record_write(fx->path, HEX_B, schema, NULL, fx->error, sizeof(fx->error)), -1);
	assert_one_line(fx->error);
	assert_non_null(strstr(fx->error, "too long"));
	list_dir(fx->dir, names, sizeof(names));
	assert_string_equal(names, "record");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TEST(test_read_missing_file),
	    TEST(test_read_path_under_a_file),
	    TEST(test_read_valid),
	    TEST(test_read_digest_anywhere_without_newline),
	    TEST(test_read_first_valid_digest_wins),
	    TEST(test_read_without_digest_line),
	    TEST(test_read_malformed_digest),
	    TEST(test_read_digest_with_nul),
	    TEST(test_read_directory_is_an_error),
	    TEST(test_read_symlink_loop_is_an_error),
	    TEST(test_write_content_and_mode),
	    TEST(test_write_round_trip),
	    TEST(test_write_relative_path_and_spaces),
	    TEST(test_write_replaces_existing_record),
	    TEST(test_write_replaces_a_foreign_file),
	    TEST(test_write_folder_missing),
	    TEST(test_write_over_a_directory),
	    TEST(test_write_failure_keeps_old_record),
	    TEST(test_write_folder_not_writable_even_for_root),
	    TEST(test_write_read_only_folder),
	    TEST(test_write_path_too_long),
	    TEST(test_write_schema_path_too_long),
	};

	return cmocka_run_group_tests_name("record", tests, NULL, NULL);
}
