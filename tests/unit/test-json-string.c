/* Unit tests for json-string.c: escapes from a table, and truncation that
 * keeps room for the caller and never splits an escape or a character. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testlib.h"

#include "json-string.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *text;
	const char *expected;
} cases[] = {
    {"", ""},
    {"plain words", "plain words"},
    {"relation \"User\" does not exist", "relation \\\"User\\\" does not exist"},
    {"C:\\path", "C:\\\\path"},
    {"two\nlines\tand a tab", "two\\nlines\\tand a tab"},
    {"bell\a and escape\x1b", "bell\\u0007 and escape\\u001b"},
    {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
    /* not UTF-8: a stray continuation byte, a truncated sequence, an overlong '/', a surrogate */
    {"a\x80z", "a\\ufffdz"},
    {"a\xc3", "a\\ufffd"},
    {"\xc0\xaf", "\\ufffd\\ufffd"},
    {"\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd"},
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[256];
		size_t used = 0;

		json_string_append(out, sizeof(out), &used, cases[i].text, 0);
		if (used != strlen(cases[i].expected) || memcmp(out, cases[i].expected, used) != 0)
			fail_msg("case %zu: got '%.*s', expected '%s'", i, (int)used, out, cases[i].expected);
	}
}

/* Appending goes on from *used; what is there stays. */
static void test_appends(void **state)
{
	char out[64] = "{\"a\":\"";
	size_t used = strlen(out);

	(void)state;
	json_string_append(out, sizeof(out), &used, "x\"y", 0);
	assert_int_equal(used, strlen("{\"a\":\"x\\\"y"));
	assert_memory_equal(out, "{\"a\":\"x\\\"y", used);
}

/* A full buffer: the text is cut before the escape or character that does
 * not fit, and keep bytes stay free. */
static void test_truncation_keeps_room(void **state)
{
	(void)state;
	for (size_t size = 0; size < 24; size++) {
		char out[32];
		size_t used = 0;

		memset(out, '#', sizeof(out));
		json_string_append(out, size, &used, "ab\"\xe2\x82\xac\ncd", 3);
		assert_true(used + 3 <= size || used == 0);
		assert_memory_equal(out, "ab\\\"\xe2\x82\xac\\ncd", used);
		/* never half an escape or half a character */
		assert_true(used == 0 || used == 1 || used == 2 || used == 4 || used == 7 || used == 9 || used == 10 ||
		            used == 11);
		assert_int_equal(out[used], '#');
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_appends),
	    cmocka_unit_test(test_truncation_keeps_room),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
