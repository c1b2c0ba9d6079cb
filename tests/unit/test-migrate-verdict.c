/* Unit tests for migrate-verdict.c: the migrate phase's verdict on what it
 * read (DEPLOY, SKIP, UNREAD, BUSY, BLOCKED) and why a failed migration
 * failed, read from the logs Prisma leaves in its row; both from tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "migrate-verdict.h"

#include <stdio.h>
#include <string.h>

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* ---- migrate_judge ---- */

static const struct migration_row failed_row = {.name = "20240102000000_add_age",
                                                .logs = "Database error:\nERROR: column \"age\" already exists\n"};
static const struct migration_row failed_row_no_logs = {.name = "20240102000000_add_age", .logs = ""};

struct judge_case {
	const char *name;
	struct migrate_reading reading;
	enum migrate_verdict verdict;
	const char *reason;
};

static const struct judge_case judge_cases[] = {
    {"rows not read", {.read = false, .table_found = true}, MIGRATE_UNREAD, "the migrations table could not be read"},
    {"not read: nothing else counts",
     {.read = false, .prisma_busy = true, .compared = {.failed = 1, .first_failed = &failed_row}},
     MIGRATE_UNREAD,
     "the migrations table could not be read"},
    {"no table yet, one pending",
     {.read = true, .table_found = false, .compared = {.pending = 1, .first_pending = "20240101000000_init"}},
     MIGRATE_DEPLOY,
     "1 migration pending, no _prisma_migrations table yet"},
    {"no table yet, three pending",
     {.read = true, .compared = {.pending = 3, .first_pending = "20240101000000_init"}},
     MIGRATE_DEPLOY,
     "3 migrations pending, no _prisma_migrations table yet"},
    {"one pending",
     {.read = true, .table_found = true, .compared = {.applied = 1, .pending = 1, .first_pending = "2024_b"}},
     MIGRATE_DEPLOY,
     "1 migration pending, first 2024_b"},
    {"two pending",
     {.read = true, .table_found = true, .compared = {.pending = 2, .first_pending = "2024_a"}},
     MIGRATE_DEPLOY,
     "2 migrations pending, first 2024_a"},
    {"up to date", {.read = true, .table_found = true, .compared = {.applied = 4}}, MIGRATE_SKIP, ""},
    {"empty table, nothing in the folder applied or pending", {.read = true, .table_found = true}, MIGRATE_SKIP, ""},
    {"Prisma's lock held: busy, not failed",
     {.read = true, .table_found = true, .prisma_busy = true, .compared = {.failed = 1, .first_failed = &failed_row}},
     MIGRATE_BUSY,
     "20240102000000_add_age"},
    {"busy beats pending",
     {.read = true,
      .table_found = true,
      .prisma_busy = true,
      .compared = {.pending = 2, .first_pending = "x", .failed = 1, .first_failed = &failed_row}},
     MIGRATE_BUSY,
     "20240102000000_add_age"},
    {"Prisma's lock held, nothing failed: its lock alone changes nothing",
     {.read = true, .table_found = true, .prisma_busy = true, .compared = {.pending = 1, .first_pending = "2024_a"}},
     MIGRATE_DEPLOY,
     "1 migration pending, first 2024_a"},
    {"failed: blocked, the reason from its logs",
     {.read = true, .table_found = true, .compared = {.failed = 1, .first_failed = &failed_row}},
     MIGRATE_BLOCKED,
     "ERROR: column \"age\" already exists"},
    {"blocked beats pending",
     {.read = true,
      .table_found = true,
      .compared = {.pending = 1, .first_pending = "x", .failed = 2, .first_failed = &failed_row}},
     MIGRATE_BLOCKED,
     "ERROR: column \"age\" already exists"},
    {"failed with empty logs: blocked, no reason",
     {.read = true, .table_found = true, .compared = {.failed = 1, .first_failed = &failed_row_no_logs}},
     MIGRATE_BLOCKED,
     ""},
};

static void test_judge_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(judge_cases); i++) {
		const struct judge_case *c = &judge_cases[i];
		char reason[512];
		enum migrate_verdict verdict;

		memset(reason, 'x', sizeof(reason));
		verdict = migrate_judge(&c->reading, reason, sizeof(reason));
		if (verdict != c->verdict || strcmp(reason, c->reason) != 0)
			fail_msg("%s: verdict %d, reason '%s'; expected %d, '%s'", c->name, (int)verdict, reason,
			         (int)c->verdict, c->reason);
	}
}

static void test_judge_reason_truncated(void **state)
{
	const struct migrate_reading reading = {
	    .read = true, .table_found = true, .compared = {.pending = 12, .first_pending = "20240101000000_init"}};
	char reason[8];

	(void)state;
	assert_int_equal(migrate_judge(&reading, reason, sizeof(reason)), MIGRATE_DEPLOY);
	assert_string_equal(reason, "12 migr");
}

/* ---- migrate_failure_reason ---- */

/* What Prisma writes into logs when a migration fails (shortened). */
#define PRISMA_HEAD                                                                                                    \
	"A migration failed to apply. New migrations cannot be applied before the error is recovered from. Read "      \
	"more about how to resolve migration issues in a production database: https://pris.ly/d/migrate-resolve\n"     \
	"\n"                                                                                                           \
	"Migration name: 20240102000000_add_age\n"                                                                     \
	"\n"

#define BACKTRACE                                                                                                      \
	"   0: sql_schema_connector::apply_migration::apply_script\n"                                                  \
	"           with migration_name=\"20240102000000_add_age\"\n"                                                  \
	"             at schema-engine/connectors/sql-schema-connector/src/apply_migration.rs:106\n"                   \
	"   1: schema_core::commands::apply_migrations::Applying migration\n"

struct reason_case {
	const char *name;
	const char *logs;
	const char *reason;
};

static const struct reason_case reason_cases[] = {
    {"NULL logs", NULL, ""},
    {"empty logs", "", ""},
    {"blank lines only", "\n  \n\t\n\r\n", ""},
    {"Prisma's layout: the line after 'Database error:'",
     PRISMA_HEAD "Database error code: 42701\n\nDatabase error:\nERROR: column \"age\" of relation \"User\" already "
                 "exists\n\nDbError { severity: \"ERROR\", code: SqlState(E42701) }\n\n" BACKTRACE,
     "ERROR: column \"age\" of relation \"User\" already exists"},
    {"after 'Database error:', blank lines are skipped",
     "Database error:\n\n   \nERROR: syntax error at or near \"TABEL\"\n", "ERROR: syntax error at or near \"TABEL\""},
    {"after 'Database error:', even boilerplate is the reason", "Database error:\nMigration name: odd\n",
     "Migration name: odd"},
    {"a 'Database error: ...' line with text is boilerplate", "Database error: see below\nthe real cause\n",
     "the real cause"},
    {"no database error: the first line that is not boilerplate",
     PRISMA_HEAD "external connector error\nP1017 Server has closed the connection.\n",
     "P1017 Server has closed the connection."},
    {"backtrace frames are skipped", BACKTRACE, "with migration_name=\"20240102000000_add_age\""},
    {"a number without a colon is text", "42 is the answer\n", "42 is the answer"},
    {"a colon first is text", ": odd\n", ": odd"},
    {"leading blanks dropped, CRLF ends the line", "  \tsomething broke\r\nmore\r\n", "something broke"},
    {"no newline at the end", "Migration name: x\nlast words", "last words"},
    {"boilerplate only", PRISMA_HEAD "Database error code: 42P01\n" BACKTRACE "   2: frame\n",
     "with migration_name=\"20240102000000_add_age\""},
};

static void test_failure_reason_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(reason_cases); i++) {
		const struct reason_case *c = &reason_cases[i];
		char out[512];

		memset(out, 'x', sizeof(out));
		migrate_failure_reason(c->logs, out, sizeof(out));
		if (strcmp(out, c->reason) != 0)
			fail_msg("%s: '%s', expected '%s'", c->name, out, c->reason);
	}
}

/* A long database message is cut at 300 bytes; a small buffer cuts it more. */
static void test_failure_reason_cut(void **state)
{
	char logs[1024];
	char out[512];
	char small[16];

	(void)state;
	memset(logs, 'e', sizeof(logs) - 1);
	logs[sizeof(logs) - 1] = '\0';
	migrate_failure_reason(logs, out, sizeof(out));
	assert_int_equal(strlen(out), 300);
	migrate_failure_reason(logs, small, sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	migrate_failure_reason("anything", out, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_judge_table),
	    cmocka_unit_test(test_judge_reason_truncated),
	    cmocka_unit_test(test_failure_reason_table),
	    cmocka_unit_test(test_failure_reason_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
