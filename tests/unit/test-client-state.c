/* Unit tests for client-state.c: whether the generated client matches its
 * inputs (record and generated files), and how that is said. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testlib.h"

#include "client-state.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define HEX_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEX_B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

struct fixture {
	char dir[64];
	char record[PATH_MAX];
	char output[PATH_MAX];
	char error[512];
	struct client_status status;
};

static int setup(void **state)
{
	struct fixture *fx = FIXTURE_TREE_NEW(struct fixture, "client-state");

	if (!fx)
		return -1;
	snprintf(fx->record, sizeof(fx->record), "%s/record", fx->dir);
	snprintf(fx->output, sizeof(fx->output), "%s/client", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	return fixture_tree_free(fx, fx->dir);
}

static void write_record(const struct fixture *fx, const char *hex)
{
	char text[128];

	snprintf(text, sizeof(text), "digest %s\nschema prisma/schema.prisma\n", hex);
	write_text(fx->record, text);
}

static void add_output_file(const struct fixture *fx, const char *name)
{
	char path[PATH_MAX + 64];

	mkdir(fx->output, 0755);
	snprintf(path, sizeof(path), "%s/%s", fx->output, name);
	write_text(path, "x\n");
}

static void test_no_record(void **state)
{
	struct fixture *fx = *state;

	add_output_file(fx, "schema.prisma");
	assert_int_equal(
	    client_state_check(HEX_A, fx->record, fx->output, false, &fx->status, fx->error, sizeof(fx->error)), 0);
	assert_int_equal(fx->status.state, CLIENT_NO_RECORD);
	assert_string_equal(fx->status.recorded, "");
}

static void test_changed(void **state)
{
	struct fixture *fx = *state;

	write_record(fx, HEX_B);
	add_output_file(fx, "schema.prisma");
	assert_int_equal(
	    client_state_check(HEX_A, fx->record, fx->output, false, &fx->status, fx->error, sizeof(fx->error)), 0);
	assert_int_equal(fx->status.state, CLIENT_CHANGED);
	assert_string_equal(fx->status.recorded, HEX_B);
}

static void test_current(void **state)
{
	struct fixture *fx = *state;

	write_record(fx, HEX_A);
	add_output_file(fx, "index.js");
	add_output_file(fx, "schema.prisma");
	assert_int_equal(
	    client_state_check(HEX_A, fx->record, fx->output, false, &fx->status, fx->error, sizeof(fx->error)), 0);
	assert_int_equal(fx->status.state, CLIENT_CURRENT);
}

static void test_output_missing(void **state)
{
	struct fixture *fx = *state;

	write_record(fx, HEX_A);
	assert_int_equal(
	    client_state_check(HEX_A, fx->record, fx->output, false, &fx->status, fx->error, sizeof(fx->error)), 0);
	assert_int_equal(fx->status.state, CLIENT_OUTPUT_MISSING);
}

/* Without a client generator there are no generated files to look for. */
static void test_no_output_to_look_for(void **state)
{
	struct fixture *fx = *state;

	write_record(fx, HEX_A);
	assert_int_equal(client_state_check(HEX_A, fx->record, NULL, false, &fx->status, fx->error, sizeof(fx->error)),
	                 0);
	assert_int_equal(fx->status.state, CLIENT_CURRENT);
}

static void test_unreadable_record_is_an_error(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(mkdir(fx->record, 0755), 0);
	assert_int_equal(
	    client_state_check(HEX_A, fx->record, fx->output, false, &fx->status, fx->error, sizeof(fx->error)), -1);
	assert_non_null(strstr(fx->error, fx->record));
}

static void test_output_present_empty_folder(void **state)
{
	struct fixture *fx = *state;

	assert_false(client_output_present(fx->output, false));
	assert_int_equal(mkdir(fx->output, 0755), 0);
	assert_false(client_output_present(fx->output, false));
}

/* What @prisma/client's postinstall writes when it cannot generate. */
static void test_output_present_placeholders_only(void **state)
{
	struct fixture *fx = *state;
	static const char *const placeholders[] = {"index.js",  "index.d.ts", "edge.js",
	                                           "edge.d.ts", "default.js", "default.d.ts",
	                                           "wasm.js",   "wasm.d.ts",  "index-browser.js"};

	for (size_t i = 0; i < sizeof(placeholders) / sizeof(placeholders[0]); i++)
		add_output_file(fx, placeholders[i]);
	assert_false(client_output_present(fx->output, false));
	add_output_file(fx, "schema.prisma");
	assert_true(client_output_present(fx->output, false));
}

/* The prisma-client generator's output has other names altogether. */
static void test_output_present_other_generator(void **state)
{
	struct fixture *fx = *state;

	add_output_file(fx, "client.ts");
	assert_true(client_output_present(fx->output, false));
}

/* prisma-client: its entry point client.ts, not whatever else is in the
 * folder (models/ left from an interrupted generate, a .gitkeep). */
static void test_output_present_typescript_needs_its_entry_point(void **state)
{
	struct fixture *fx = *state;
	char path[PATH_MAX + 64];

	add_output_file(fx, ".gitkeep");
	snprintf(path, sizeof(path), "%s/models", fx->output);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_false(client_output_present(fx->output, true));
	assert_true(client_output_present(fx->output, false));
	snprintf(path, sizeof(path), "%s/client.ts", fx->output);
	assert_int_equal(mkdir(path, 0755), 0); /* a folder by that name is no entry point */
	assert_false(client_output_present(fx->output, true));
	add_output_file(fx, "client.js"); /* not one Prisma takes for a client */
	assert_false(client_output_present(fx->output, true));
	add_output_file(fx, "client.mts");
	assert_true(client_output_present(fx->output, true));
	write_record(fx, HEX_A);
	assert_int_equal(
	    client_state_check(HEX_A, fx->record, fx->output, true, &fx->status, fx->error, sizeof(fx->error)), 0);
	assert_int_equal(fx->status.state, CLIENT_CURRENT);
}

static void test_describe(void **state)
{
	struct fixture *fx = *state;
	struct client_status status = {.state = CLIENT_CHANGED};
	char line[512];

	memcpy(status.recorded, HEX_B, sizeof(status.recorded));
	client_state_describe(&status, HEX_A, fx->record, fx->output, line, sizeof(line));
	assert_string_equal(line, "the inputs changed since the last generate (fedcba987654, now 0123456789ab)");
	status.state = CLIENT_NO_RECORD;
	client_state_describe(&status, HEX_A, "node_modules/.cache/r", fx->output, line, sizeof(line));
	assert_string_equal(line, "no record of an earlier generate at node_modules/.cache/r");
	status.state = CLIENT_OUTPUT_MISSING;
	client_state_describe(&status, HEX_A, fx->record, "node_modules/.prisma/client", line, sizeof(line));
	assert_string_equal(line, "the generated client is missing at node_modules/.prisma/client");
	status.state = CLIENT_CURRENT;
	client_state_describe(&status, HEX_A, fx->record, NULL, line, sizeof(line));
	assert_string_equal(line, "the client matches its inputs (0123456789ab)");
	/* A small buffer truncates, NUL-terminated. */
	client_state_describe(&status, HEX_A, fx->record, NULL, line, 8);
	assert_int_equal(strlen(line), 7);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

/* ---- client_state_verdict: whether generate runs, from a table ---- */

struct verdict_case {
	const char *name;
	enum client_state state;
	const char *recorded;       /* what the record says now */
	const char *first_recorded; /* NULL: before the lock */
	bool waited;
	bool force;
	enum generate_verdict verdict;
};

static const struct verdict_case verdict_cases[] = {
    {"before the lock: current", CLIENT_CURRENT, HEX_A, NULL, false, false, GENERATE_CURRENT},
    {"before the lock: current, forced", CLIENT_CURRENT, HEX_A, NULL, false, true, GENERATE_RUN},
    {"before the lock: no record", CLIENT_NO_RECORD, "", NULL, false, false, GENERATE_RUN},
    {"before the lock: changed", CLIENT_CHANGED, HEX_B, NULL, false, false, GENERATE_RUN},
    {"before the lock: output missing", CLIENT_OUTPUT_MISSING, HEX_A, NULL, false, false, GENERATE_RUN},
    {"locked at once, still stale", CLIENT_CHANGED, HEX_B, HEX_B, false, false, GENERATE_RUN},
    {"locked after a wait, still stale", CLIENT_NO_RECORD, "", "", true, false, GENERATE_RUN},
    {"locked after a wait, now current", CLIENT_CURRENT, HEX_A, "", true, false, GENERATE_MEANWHILE},
    {"locked after a wait, now current, forced", CLIENT_CURRENT, HEX_A, HEX_A, true, true, GENERATE_MEANWHILE},
    {"locked at once, record written meanwhile", CLIENT_CURRENT, HEX_A, HEX_B, false, false, GENERATE_MEANWHILE},
    {"locked at once, current as first read (forced)", CLIENT_CURRENT, HEX_A, HEX_A, false, true, GENERATE_RUN},
    {"locked at once, output back, record as first read", CLIENT_CURRENT, HEX_A, HEX_A, false, false, GENERATE_RUN},
};

static void test_verdict_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(verdict_cases) / sizeof(verdict_cases[0]); i++) {
		const struct verdict_case *c = &verdict_cases[i];
		struct client_status status = {.state = c->state};
		enum generate_verdict verdict;

		snprintf(status.recorded, sizeof(status.recorded), "%s", c->recorded);
		verdict = client_state_verdict(&status, c->first_recorded, c->waited, c->force);
		if (verdict != c->verdict)
			fail_msg("%s: verdict %d, expected %d", c->name, (int)verdict, (int)c->verdict);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TEST(test_no_record),
	    TEST(test_changed),
	    TEST(test_current),
	    TEST(test_output_missing),
	    TEST(test_no_output_to_look_for),
	    TEST(test_unreadable_record_is_an_error),
	    TEST(test_output_present_empty_folder),
	    TEST(test_output_present_placeholders_only),
	    TEST(test_output_present_other_generator),
	    TEST(test_output_present_typescript_needs_its_entry_point),
	    TEST(test_describe),
	    cmocka_unit_test(test_verdict_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
