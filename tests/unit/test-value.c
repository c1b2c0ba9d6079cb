/* Unit tests for value.c: durations, booleans, choices, whole numbers, URL schemes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testlib.h"

#include "value.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* A value the parsers never produce, to see that a rejection leaves *out alone. */
#define UNTOUCHED (-424242LL)

static void test_duration_accepts(void **state)
{
	static const struct {
		const char *text;
		long long ms;
	} cases[] = {
	    {"500ms", 500},
	    {"2s", 2000},
	    {"1.5s", 1500},
	    {"0.25s", 250},
	    {"1m", 60000},
	    {"1.5m", 90000},
	    {"1h", 3600000},
	    {"3", 3000},
	    {"1.5", 1500},
	    {"0", 0},
	    {"0s", 0},
	    {"0ms", 0},
	    {"007s", 7000},
	    {"168h", VALUE_DURATION_MAX_MS},
	    {"10080m", VALUE_DURATION_MAX_MS},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		long long ms = UNTOUCHED;

		if (value_parse_duration_ms(cases[i].text, &ms) != 0)
			fail_msg("'%s' was rejected", cases[i].text);
		if (ms != cases[i].ms)
			fail_msg("'%s' parsed as %lld ms, expected %lld", cases[i].text, ms, cases[i].ms);
	}
}

static void test_duration_rejects(void **state)
{
	static const char *const cases[] = {
	    "",     "abc",         "5x",    "-1s",          "+1s",
	    "1.s",  ".5s",         "1..5s", "99999999999h", "99999999999999999999999999",
	    "169h", "604800001ms", " 2s",   "2s ",          "2 s",
	    "2S",   "s",           "ms",    "1sm",          "1e3",
	    "0x10",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		long long ms = UNTOUCHED;

		if (value_parse_duration_ms(cases[i], &ms) == 0)
			fail_msg("'%s' was accepted as %lld ms", cases[i], ms);
		if (ms != UNTOUCHED)
			fail_msg("rejecting '%s' changed the output to %lld", cases[i], ms);
	}
}

static void test_bool_accepts(void **state)
{
	static const struct {
		const char *text;
		bool value;
	} cases[] = {
	    {"true", true}, {"false", false}, {"yes", true}, {"no", false},  {"on", true},
	    {"off", false}, {"1", true},      {"0", false},  {"TRUE", true}, {"False", false},
	    {"YeS", true},  {"NO", false},    {"On", true},  {"OFF", false},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		bool value = !cases[i].value;

		if (value_parse_bool(cases[i].text, &value) != 0)
			fail_msg("'%s' was rejected", cases[i].text);
		if (value != cases[i].value)
			fail_msg("'%s' parsed as %d", cases[i].text, value);
	}
}

static void test_bool_rejects(void **state)
{
	static const char *const cases[] = {"maybe", "", "2", "-1", "y", "n", "tru", "true ", " yes", "onn", "00"};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		bool yes = true, no = false;

		if (value_parse_bool(cases[i], &yes) == 0 || value_parse_bool(cases[i], &no) == 0)
			fail_msg("'%s' was accepted", cases[i]);
		if (!yes || no)
			fail_msg("rejecting '%s' changed the output", cases[i]);
	}
}

static void test_choice(void **state)
{
	static const char *const choices[] = {"quiet", "info", "verbose", "debug", NULL};
	int index = -1;

	(void)state;
	assert_int_equal(value_parse_choice("quiet", choices, &index), 0);
	assert_int_equal(index, 0);
	assert_int_equal(value_parse_choice("info", choices, &index), 0);
	assert_int_equal(index, 1);
	assert_int_equal(value_parse_choice("debug", choices, &index), 0);
	assert_int_equal(index, 3);

	index = 77;
	assert_int_equal(value_parse_choice("Info", choices, &index), -1); /* case-sensitive */
	assert_int_equal(value_parse_choice("", choices, &index), -1);
	assert_int_equal(value_parse_choice("inf", choices, &index), -1);
	assert_int_equal(value_parse_choice("info ", choices, &index), -1);
	assert_int_equal(value_parse_choice("trace", choices, &index), -1);
	assert_int_equal(index, 77);
}

static void test_choice_empty_list(void **state)
{
	static const char *const none[] = {NULL};
	int index = 5;

	(void)state;
	assert_int_equal(value_parse_choice("anything", none, &index), -1);
	assert_int_equal(index, 5);
}

static void test_integer(void **state)
{
	static const struct {
		const char *text;
		long long min, max, value;
	} accepted[] = {
	    {"100", 100, 599, 100},
	    {"599", 100, 599, 599},
	    {"0204", 100, 599, 204},
	    {"-5", -10, 10, -5},
	    {"0", 0, 0, 0},
	    {"9223372036854775807", 0, LLONG_MAX, LLONG_MAX},
	    {"-9223372036854775808", LLONG_MIN, 0, LLONG_MIN},
	};
	static const struct {
		const char *text;
		long long min, max;
	} rejected[] = {
	    {"99", 100, 599},   {"600", 100, 599},
	    {"", 100, 599},     {"-", -10, 10},
	    {"2xx", 100, 599},  {"+200", 100, 599},
	    {" 200", 100, 599}, {"200 ", 100, 599},
	    {"0x1f", 0, 100},   {"-5", 0, 10},
	    {"1e3", 0, 5000},   {"9223372036854775808", 0, LLONG_MAX},
	    {"--5", -10, 10},   {"99999999999999999999999", 100, 599},
	};
	long long out;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(accepted); i++) {
		out = UNTOUCHED;
		if (value_parse_integer(accepted[i].text, accepted[i].min, accepted[i].max, &out) != 0)
			fail_msg("'%s' was rejected", accepted[i].text);
		assert_int_equal(out, accepted[i].value);
	}
	for (size_t i = 0; i < ARRAY_LEN(rejected); i++) {
		out = UNTOUCHED;
		if (value_parse_integer(rejected[i].text, rejected[i].min, rejected[i].max, &out) == 0)
			fail_msg("'%s' was accepted in %lld..%lld", rejected[i].text, rejected[i].min, rejected[i].max);
		assert_int_equal(out, UNTOUCHED);
	}
}

static void test_url_scheme(void **state)
{
	static const char *const schemes[] = {"tcp", "http", "https", NULL};
	int index = 77;

	(void)state;
	assert_int_equal(value_parse_url_scheme("tcp://db:5432", schemes, &index), 0);
	assert_int_equal(index, 0);
	assert_int_equal(value_parse_url_scheme("HTTPS://x", schemes, &index), 0);
	assert_int_equal(index, 2);
	assert_int_equal(value_parse_url_scheme("Http://", schemes, &index), 0);
	assert_int_equal(index, 1);

	index = 77;
	assert_int_equal(value_parse_url_scheme("db:5432", schemes, &index), -1);
	assert_int_equal(value_parse_url_scheme("tcp:db:5432", schemes, &index), -1);
	assert_int_equal(value_parse_url_scheme("tcp:/db", schemes, &index), -1);
	assert_int_equal(value_parse_url_scheme("tcpx://db", schemes, &index), -1);
	assert_int_equal(value_parse_url_scheme("redis://c", schemes, &index), -1);
	assert_int_equal(value_parse_url_scheme(" tcp://db:1", schemes, &index), -1);
	assert_int_equal(value_parse_url_scheme("", schemes, &index), -1);
	assert_int_equal(index, 77);
}

static void test_format_duration(void **state)
{
	static const struct {
		long long ms;
		const char *text;
	} cases[] = {
	    {0, "0s"},       {1, "1ms"},       {500, "500ms"},  {1000, "1s"},       {1500, "1500ms"},
	    {8000, "8s"},    {59000, "59s"},   {60000, "1m"},   {90000, "90s"},     {120000, "2m"},
	    {3600000, "1h"}, {5400000, "90m"}, {7200000, "2h"}, {3601000, "3601s"}, {VALUE_DURATION_MAX_MS, "168h"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char text[32];

		value_format_duration(cases[i].ms, text, sizeof(text));
		assert_string_equal(text, cases[i].text);
	}
}

static void test_format_duration_round_trips(void **state)
{
	static const long long cases[] = {0,
	                                  1,
	                                  2,
	                                  999,
	                                  1000,
	                                  1001,
	                                  1500,
	                                  8000,
	                                  59999,
	                                  60000,
	                                  61000,
	                                  90000,
	                                  3599999,
	                                  3600000,
	                                  3660000,
	                                  86400000,
	                                  86401000,
	                                  VALUE_DURATION_MAX_MS - 1,
	                                  VALUE_DURATION_MAX_MS};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char text[32];
		long long back = UNTOUCHED;

		value_format_duration(cases[i], text, sizeof(text));
		if (value_parse_duration_ms(text, &back) != 0)
			fail_msg("%lld ms formatted as '%s', which does not parse", cases[i], text);
		if (back != cases[i])
			fail_msg("%lld ms formatted as '%s', which parses as %lld", cases[i], text, back);
	}
}

static void test_format_duration_small_buffer(void **state)
{
	char text[4];

	(void)state;
	memset(text, 'x', sizeof(text));
	value_format_duration(123456, text, sizeof(text)); /* "123456ms" */
	assert_int_equal(text[3], '\0');
	assert_string_equal(text, "123");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_duration_accepts),
	    cmocka_unit_test(test_duration_rejects),
	    cmocka_unit_test(test_bool_accepts),
	    cmocka_unit_test(test_bool_rejects),
	    cmocka_unit_test(test_choice),
	    cmocka_unit_test(test_choice_empty_list),
	    cmocka_unit_test(test_integer),
	    cmocka_unit_test(test_url_scheme),
	    cmocka_unit_test(test_format_duration),
	    cmocka_unit_test(test_format_duration_round_trips),
	    cmocka_unit_test(test_format_duration_small_buffer),
	};

	return cmocka_run_group_tests_name("value", tests, NULL, NULL);
}
