/* Unit tests for verified-migrations.c: the record of migration.sql files
 * that matched their checksum, keyed by stat: what it vouches for, what it
 * refuses to (another stat, another checksum, a file changed within the
 * racy margin), and that a record that does not parse is an empty one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testlib.h"

#include "verified-migrations.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SUM_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SUM_B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define NAME  "20240101000000_init"

struct fixture {
	char dir[64];
	char path[PATH_MAX]; /* dir/cache/verified: a folder that is not there yet */
};

static int setup(void **state)
{
	struct fixture *fx = FIXTURE_TREE_NEW(struct fixture, "verified");

	if (!fx)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/cache/verified", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	return fixture_tree_free(fx, fx->dir);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

/* A stat of a file last changed at seconds (mtime and ctime). */
static struct stat stat_at(off_t size, ino_t inode, time_t seconds)
{
	struct stat st = {.st_size = size, .st_ino = inode};

	st.st_mtim = (struct timespec){.tv_sec = seconds, .tv_nsec = 123};
	st.st_ctim = (struct timespec){.tv_sec = seconds, .tv_nsec = 456};
	return st;
}

static const struct timespec NOW = {.tv_sec = 1000000, .tv_nsec = 0};

static void test_round_trip_vouches_for_the_same_stat_and_checksum_only(void **state)
{
	struct fixture *fx = *state;
	struct verified_migrations record = {0};
	struct verified_migrations read;
	struct stat st = stat_at(42, 7, 1000);
	struct stat other;

	assert_int_equal(verified_migrations_add(&record, NAME, &st, SUM_A, &NOW), 1);
	assert_int_equal(verified_migrations_add(&record, "20240102000000_two", &st, SUM_B, &NOW), 1);
	assert_int_equal(verified_migrations_write(fx->path, &record, NULL), 0);
	assert_int_equal(verified_migrations_read(fx->path, &read), 0);
	assert_int_equal(read.count, 2);

	assert_true(verified_migrations_vouch(&read, NAME, &st, SUM_A));
	/* either case: Prisma writes lowercase, but the row is what it is */
	assert_true(verified_migrations_vouch(&read, NAME, &st,
	                                      "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"));
	/* another checksum in the database (a reset, another database) */
	assert_false(verified_migrations_vouch(&read, NAME, &st, SUM_B));
	/* another name */
	assert_false(verified_migrations_vouch(&read, "20240103000000_three", &st, SUM_A));
	/* any change of the stat */
	other = st;
	other.st_size = 43;
	assert_false(verified_migrations_vouch(&read, NAME, &other, SUM_A));
	other = st;
	other.st_mtim.tv_nsec++;
	assert_false(verified_migrations_vouch(&read, NAME, &other, SUM_A));
	other = st;
	other.st_ctim.tv_nsec++;
	assert_false(verified_migrations_vouch(&read, NAME, &other, SUM_A));
	other = st;
	other.st_ino = 8;
	assert_false(verified_migrations_vouch(&read, NAME, &other, SUM_A));

	verified_migrations_release(&record);
	verified_migrations_release(&read);
}

/* A file changed within the racy margin before the check is not vouched
 * for: it may change again within the same timestamp tick. */
static void test_recently_changed_files_are_not_added(void **state)
{
	struct verified_migrations record = {0};
	struct stat st = stat_at(42, 7, NOW.tv_sec - 1);
	struct stat future = stat_at(42, 7, NOW.tv_sec + 60);

	(void)state;
	assert_int_equal(verified_migrations_add(&record, NAME, &st, SUM_A, &NOW), 0);
	assert_int_equal(verified_migrations_add(&record, NAME, &future, SUM_A, &NOW), 0);
	st.st_mtim.tv_sec = NOW.tv_sec - 10; /* an old mtime put back (cp -p, touch -d): the ctime tells */
	assert_int_equal(verified_migrations_add(&record, NAME, &st, SUM_A, &NOW), 0);
	assert_int_equal(record.count, 0);
	verified_migrations_release(&record);
}

/* Anything that does not parse makes the whole record empty, never an
 * error. */
static void test_a_record_that_does_not_parse_is_empty(void **state)
{
	struct fixture *fx = *state;
	static const char header[] = "# prisma-entrypoint: migration.sql files that matched their checksum (a cache: "
	                             "deleting it is safe)\n";
	static const char good[] = SUM_A " 42 1000000000123 1000000000456 7 " NAME "\n";
	const char *broken[] = {
	    "", "garbage\n", SUM_A " 42 1000000000123 1000000000456 7 " NAME "\n", /* no header */
	    NULL, /* header, good line, torn line: below */
	};
	char text[1024];
	struct verified_migrations read;
	struct stat st = stat_at(42, 7, 1000);

	snprintf(text, sizeof(text), "%s/cache", fx->dir);
	assert_int_equal(mkdir(text, 0755), 0);
	snprintf(text, sizeof(text), "%s%s", header, good);
	write_text(fx->path, text);
	assert_int_equal(verified_migrations_read(fx->path, &read), 0);
	assert_true(verified_migrations_vouch(&read, NAME, &st, SUM_A));
	verified_migrations_release(&read);

	for (size_t i = 0; i < sizeof(broken) / sizeof(*broken); i++) {
		if (broken[i])
			write_text(fx->path, broken[i]);
		else {
			snprintf(text, sizeof(text), "%s%s%.40s", header, good, good);
			write_text(fx->path, text);
		}
		assert_int_equal(verified_migrations_read(fx->path, &read), 0);
		assert_int_equal(read.count, 0);
		verified_migrations_release(&read);
	}
	/* a line with a bad field, after a good one */
	snprintf(text, sizeof(text), "%s%s%s", header, good, SUM_B " 42 x 1000000000456 7 other\n");
	write_text(fx->path, text);
	assert_int_equal(verified_migrations_read(fx->path, &read), 0);
	assert_int_equal(read.count, 0);
	verified_migrations_release(&read);
	/* a folder where the record should be */
	assert_int_equal(unlink(fx->path), 0);
	assert_int_equal(mkdir(fx->path, 0755), 0);
	assert_int_equal(verified_migrations_read(fx->path, &read), 0);
	assert_int_equal(read.count, 0);
	verified_migrations_release(&read);
}

/* A record edited out of order still vouches for each of its lines. */
static void test_a_record_out_of_order_is_sorted(void **state)
{
	struct fixture *fx = *state;
	char text[1024];
	struct verified_migrations read;
	struct stat st = stat_at(42, 7, 1000);

	snprintf(text, sizeof(text), "%s/cache", fx->dir);
	assert_int_equal(mkdir(text, 0755), 0);
	write_text(fx->path,
	           "# prisma-entrypoint: migration.sql files that matched their checksum (a cache: deleting it "
	           "is safe)\n" SUM_B " 42 1000000000123 1000000000456 7 20240109000000_last\n" SUM_A
	           " 42 1000000000123 1000000000456 7 " NAME "\n");
	assert_int_equal(verified_migrations_read(fx->path, &read), 0);
	assert_int_equal(read.count, 2);
	assert_true(verified_migrations_vouch(&read, NAME, &st, SUM_A));
	assert_true(verified_migrations_vouch(&read, "20240109000000_last", &st, SUM_B));
	verified_migrations_release(&read);
}

/* How many names folder holds, besides . and .. */
static int entries_in(const char *folder)
{
	DIR *dir = opendir(folder);
	const struct dirent *entry;
	int count = 0;

	assert_non_null(dir);
	while ((entry = readdir(dir)))
		count += strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0;
	closedir(dir);
	return count;
}

static void test_write_leaves_no_temporary_file(void **state)
{
	struct fixture *fx = *state;
	struct verified_migrations record = {0};
	struct stat st = stat_at(42, 7, 1000);
	char folder[PATH_MAX];
	char blocker[PATH_MAX];

	assert_int_equal(verified_migrations_add(&record, NAME, &st, SUM_A, &NOW), 1);
	/* the folder on the way is a file: an error, nothing written */
	snprintf(blocker, sizeof(blocker), "%s/cache", fx->dir);
	write_text(blocker, "not a folder\n");
	assert_int_equal(verified_migrations_write(fx->path, &record, NULL), -1);
	assert_int_equal(unlink(blocker), 0);
	assert_int_equal(verified_migrations_write(fx->path, &record, NULL), 0);
	snprintf(folder, sizeof(folder), "%s/cache", fx->dir);
	assert_int_equal(entries_in(folder), 1);
	verified_migrations_release(&record);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TEST(test_round_trip_vouches_for_the_same_stat_and_checksum_only),
	    TEST(test_recently_changed_files_are_not_added),
	    TEST(test_a_record_that_does_not_parse_is_empty),
	    TEST(test_a_record_out_of_order_is_sorted),
	    TEST(test_write_leaves_no_temporary_file),
	};

	return cmocka_run_group_tests_name("verified-migrations", tests, NULL, NULL);
}
