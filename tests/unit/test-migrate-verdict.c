/* Unit tests for migrate-verdict.c: the migrate phase's verdict on what it
 * read (DEPLOY, SKIP, UNREAD, BUSY, BLOCKED, and under the settings' policy
 * WAIT and UNKNOWN), why a failed migration failed, read from the logs Prisma
 * leaves in its row, the names on one line, and whether a migrations folder's
 * provider fits the URL; all from tables. */
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
	struct migrate_policy policy; /* zero: deploy mode, unknown migrations a warning */
};

#define DEPLOY_MODE                                                                                                    \
	{                                                                                                              \
		.wait = false                                                                                          \
	}
#define WAIT_MODE                                                                                                      \
	{                                                                                                              \
		.wait = true                                                                                           \
	}
#define UNKNOWN_ERROR                                                                                                  \
	{                                                                                                              \
		.unknown_is_error = true                                                                               \
	}
#define WAIT_AND_STRICT                                                                                                \
	{                                                                                                              \
		.wait = true, .unknown_is_error = true                                                                 \
	}

static const struct judge_case judge_cases[] = {
    {"rows not read",
     {.read = false, .table_found = true},
     MIGRATE_UNREAD,
     "the migrations table could not be read",
     DEPLOY_MODE},
    {"not read: nothing else counts",
     {.read = false, .prisma_busy = true, .compared = {.failed = 1, .first_failed = &failed_row}},
     MIGRATE_UNREAD,
     "the migrations table could not be read",
     DEPLOY_MODE},
    {"no table yet, one pending",
     {.read = true, .table_found = false, .compared = {.pending = 1, .first_pending = "20240101000000_init"}},
     MIGRATE_DEPLOY,
     "1 migration pending, no _prisma_migrations table yet",
     DEPLOY_MODE},
    {"no table yet, three pending",
     {.read = true, .compared = {.pending = 3, .first_pending = "20240101000000_init"}},
     MIGRATE_DEPLOY,
     "3 migrations pending, no _prisma_migrations table yet",
     DEPLOY_MODE},
    {"no table, but tables in the schema: a baseline first (P3005)",
     {.read = true,
      .schema_tables = 2,
      .schema_tables_shown = "Post, User",
      .compared = {.pending = 1, .first_pending = "20240101000000_init"}},
     MIGRATE_BASELINE,
     "2 tables (Post, User) but no _prisma_migrations",
     DEPLOY_MODE},
    {"more tables than shown",
     {.read = true, .schema_tables = 7, .schema_tables_shown = "A, B, C", .compared = {.pending = 1}},
     MIGRATE_BASELINE,
     "7 tables (A, B, C, ...) but no _prisma_migrations",
     DEPLOY_MODE},
    {"baseline needed in wait mode too: waiting would not help",
     {.read = true, .schema_tables = 1, .schema_tables_shown = "User", .compared = {.pending = 1}},
     MIGRATE_BASELINE,
     "1 table (User) but no _prisma_migrations",
     WAIT_MODE},
    {"tables beside _prisma_migrations: the usual case",
     {.read = true,
      .table_found = true,
      .schema_tables = 0,
      .compared = {.applied = 1, .pending = 1, .first_pending = "2024_b"}},
     MIGRATE_DEPLOY,
     "1 migration pending, first 2024_b",
     DEPLOY_MODE},
    {"one pending",
     {.read = true, .table_found = true, .compared = {.applied = 1, .pending = 1, .first_pending = "2024_b"}},
     MIGRATE_DEPLOY,
     "1 migration pending, first 2024_b",
     DEPLOY_MODE},
    {"two pending",
     {.read = true, .table_found = true, .compared = {.pending = 2, .first_pending = "2024_a"}},
     MIGRATE_DEPLOY,
     "2 migrations pending, first 2024_a",
     DEPLOY_MODE},
    {"up to date", {.read = true, .table_found = true, .compared = {.applied = 4}}, MIGRATE_SKIP, "", DEPLOY_MODE},
    {"empty table, nothing in the folder applied or pending",
     {.read = true, .table_found = true},
     MIGRATE_SKIP,
     "",
     DEPLOY_MODE},
    {"Prisma's lock held: busy, not failed",
     {.read = true, .table_found = true, .prisma_busy = true, .compared = {.failed = 1, .first_failed = &failed_row}},
     MIGRATE_BUSY,
     "20240102000000_add_age",
     DEPLOY_MODE},
    {"busy beats pending",
     {.read = true,
      .table_found = true,
      .prisma_busy = true,
      .compared = {.pending = 2, .first_pending = "x", .failed = 1, .first_failed = &failed_row}},
     MIGRATE_BUSY,
     "20240102000000_add_age",
     DEPLOY_MODE},
    {"Prisma's lock held, nothing failed: its lock alone changes nothing",
     {.read = true, .table_found = true, .prisma_busy = true, .compared = {.pending = 1, .first_pending = "2024_a"}},
     MIGRATE_DEPLOY,
     "1 migration pending, first 2024_a",
     DEPLOY_MODE},
    {"failed: blocked, the reason from its logs",
     {.read = true, .table_found = true, .compared = {.failed = 1, .first_failed = &failed_row}},
     MIGRATE_BLOCKED,
     "ERROR: column \"age\" already exists",
     DEPLOY_MODE},
    {"blocked beats pending",
     {.read = true,
      .table_found = true,
      .compared = {.pending = 1, .first_pending = "x", .failed = 2, .first_failed = &failed_row}},
     MIGRATE_BLOCKED,
     "ERROR: column \"age\" already exists",
     DEPLOY_MODE},
    {"failed with empty logs: blocked, no reason",
     {.read = true, .table_found = true, .compared = {.failed = 1, .first_failed = &failed_row_no_logs}},
     MIGRATE_BLOCKED,
     "",
     DEPLOY_MODE},

    /* unknown applied migrations: a warning unless the policy makes them an error */
    {"unknown, warned: up to date",
     {.read = true, .table_found = true, .compared = {.applied = 1, .unknown = 1, .unknown_shown = {"2099_new"}}},
     MIGRATE_SKIP,
     "",
     DEPLOY_MODE},
    {"unknown, warned: pending still deploys",
     {.read = true, .table_found = true, .compared = {.pending = 1, .first_pending = "2024_a", .unknown = 2}},
     MIGRATE_DEPLOY,
     "1 migration pending, first 2024_a",
     DEPLOY_MODE},
    {"unknown, error: before anything is applied",
     {.read = true,
      .table_found = true,
      .compared = {.pending = 1, .first_pending = "2024_a", .unknown = 1, .unknown_shown = {"2099_new"}}},
     MIGRATE_UNKNOWN,
     "1 applied migration not in the migrations folder: 2099_new",
     UNKNOWN_ERROR},
    {"unknown, error: the first three and a count",
     {.read = true, .table_found = true, .compared = {.unknown = 5, .unknown_shown = {"2099_a", "2099_b", "2099_c"}}},
     MIGRATE_UNKNOWN,
     "5 applied migrations not in the migrations folder: 2099_a, 2099_b, 2099_c and 2 more",
     UNKNOWN_ERROR},
    {"unknown, error: a failed migration is told first",
     {.read = true, .table_found = true, .compared = {.failed = 1, .first_failed = &failed_row, .unknown = 1}},
     MIGRATE_BLOCKED,
     "ERROR: column \"age\" already exists",
     UNKNOWN_ERROR},
    {"no unknown, error policy: nothing changes",
     {.read = true, .table_found = true, .compared = {.applied = 2}},
     MIGRATE_SKIP,
     "",
     UNKNOWN_ERROR},

    /* wait mode: never DEPLOY; wait while anything is pending, unreadable or being applied */
    {"wait: pending",
     {.read = true, .table_found = true, .compared = {.applied = 1, .pending = 2, .first_pending = "2024_b"}},
     MIGRATE_WAIT,
     "2 migrations pending, first 2024_b",
     WAIT_MODE},
    {"wait: no table yet",
     {.read = true, .compared = {.pending = 1, .first_pending = "2024_a"}},
     MIGRATE_WAIT,
     "1 migration pending, no _prisma_migrations table yet",
     WAIT_MODE},
    {"wait: not read", {.read = false}, MIGRATE_WAIT, "the migrations table could not be read", WAIT_MODE},
    {"wait: being applied by the Job",
     {.read = true, .table_found = true, .prisma_busy = true, .compared = {.failed = 1, .first_failed = &failed_row}},
     MIGRATE_WAIT,
     "migration 20240102000000_add_age is being applied",
     WAIT_MODE},
    {"wait: failed stops at once, as in deploy mode",
     {.read = true, .table_found = true, .compared = {.pending = 1, .failed = 1, .first_failed = &failed_row}},
     MIGRATE_BLOCKED,
     "ERROR: column \"age\" already exists",
     WAIT_MODE},
    {"wait: all applied", {.read = true, .table_found = true, .compared = {.applied = 3}}, MIGRATE_SKIP, "", WAIT_MODE},
    {"wait: all applied, unknown warned",
     {.read = true, .table_found = true, .compared = {.applied = 3, .unknown = 1, .unknown_shown = {"2099_x"}}},
     MIGRATE_SKIP,
     "",
     WAIT_MODE},
    {"wait, unknown error: stops even while pending",
     {.read = true,
      .table_found = true,
      .compared = {.pending = 1, .first_pending = "2024_a", .unknown = 1, .unknown_shown = {"2099_x"}}},
     MIGRATE_UNKNOWN,
     "1 applied migration not in the migrations folder: 2099_x",
     WAIT_AND_STRICT},
};

static void test_judge_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(judge_cases); i++) {
		const struct judge_case *c = &judge_cases[i];
		char reason[512];
		enum migrate_verdict verdict;

		memset(reason, 'x', sizeof(reason));
		verdict = migrate_judge(&c->reading, &c->policy, reason, sizeof(reason));
		if (verdict != c->verdict || strcmp(reason, c->reason) != 0)
			fail_msg("%s: verdict %d, reason '%s'; expected %d, '%s'", c->name, (int)verdict, reason,
			         (int)c->verdict, c->reason);
	}
}

static void test_judge_reason_truncated(void **state)
{
	const struct migrate_reading reading = {
	    .read = true, .table_found = true, .compared = {.pending = 12, .first_pending = "20240101000000_init"}};
	const struct migrate_policy deploy_mode = {0};
	char reason[8];

	(void)state;
	assert_int_equal(migrate_judge(&reading, &deploy_mode, reason, sizeof(reason)), MIGRATE_DEPLOY);
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

/* ---- migrate_names_list ---- */

static void test_names_list(void **state)
{
	static const char *const shown[] = {"a", "b", "c"};
	static const struct {
		size_t count;
		const char *line;
	} cases[] = {
	    {0, ""}, {1, "a"}, {2, "a, b"}, {3, "a, b, c"}, {4, "a, b, c and 1 more"}, {40, "a, b, c and 37 more"}};
	char out[64];
	char small[5];

	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		migrate_names_list(shown, cases[i].count, out, sizeof(out));
		assert_string_equal(out, cases[i].line);
	}
	migrate_names_list(shown, 40, small, sizeof(small));
	assert_string_equal(small, "a, b");
	migrate_names_list(shown, 3, out, 0);
}

/* ---- migrate_provider_fits ---- */

struct provider_case {
	const char *provider;
	const char *url;
	bool fits;
	const char *url_kind; /* when it does not fit */
};

static const struct provider_case provider_cases[] = {
    {"postgresql", "postgresql://u:p@db:5432/app", true, NULL},
    {"postgresql", "postgres://db/app", true, NULL},
    {"postgres", "postgresql://db/app", true, NULL},
    {"PostgreSQL", "POSTGRESQL://db/app", true, NULL},
    {"cockroachdb", "postgresql://db/app", true, NULL},
    {"postgresql", "prisma+postgres://accelerate.prisma-data.net/?api_key=x", true, NULL},
    {"mysql", "postgresql://db/app", false, "PostgreSQL"},
    {"sqlite", "postgres://db/app", false, "PostgreSQL"},
    {"sqlserver", "postgresql://db/app", false, "PostgreSQL"},
    {"postgresql", "mysql://db/app", false, "MySQL"},
    {"postgresql", "file:./dev.db", false, "SQLite"},
    {"sqlite", "file:./dev.db", true, NULL},
    {"mongodb", "mongodb+srv://cluster/app", true, NULL},
    {"postgresql", "sqlserver://db:1433;database=app", false, "SQL Server"},
    /* what this does not know is left to the CLI */
    {"newdb", "postgresql://db/app", true, NULL},
    {"postgresql", "weird://db/app", true, NULL},
    {"postgresql", "no scheme at all", true, NULL},
    {"", "postgresql://db/app", true, NULL},
};

static void test_provider_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(provider_cases); i++) {
		const struct provider_case *c = &provider_cases[i];
		const char *url_kind = "garbage";
		bool fits = migrate_provider_fits(c->provider, c->url, &url_kind);

		if (fits != c->fits ||
		    (c->url_kind ? !url_kind || strcmp(url_kind, c->url_kind) != 0 : url_kind != NULL))
			fail_msg("'%s' against '%s': fits %d (%s); expected %d (%s)", c->provider, c->url, fits,
			         url_kind ? url_kind : "NULL", c->fits, c->url_kind ? c->url_kind : "NULL");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_judge_table),          cmocka_unit_test(test_judge_reason_truncated),
	    cmocka_unit_test(test_failure_reason_table), cmocka_unit_test(test_failure_reason_cut),
	    cmocka_unit_test(test_names_list),           cmocka_unit_test(test_provider_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
