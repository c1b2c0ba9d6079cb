/* Unit tests for spell.c: "did you mean" suggestions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testlib.h"

#include "spell.h"

#include <string.h>

static const char *const setting_names[] = {"config", "log-level",     "log-format",  "stop-timeout",
                                            "exec",   "signal-target", "database-url"};

static void assert_suggests(const char *word, const char *expected)
{
	const char *got = spell_closest(word, setting_names, ARRAY_LEN(setting_names));

	if (!expected && got)
		fail_msg("'%s' suggested '%s', expected nothing", word, got);
	if (expected && !got)
		fail_msg("'%s' suggested nothing, expected '%s'", word, expected);
	if (expected && strcmp(got, expected) != 0)
		fail_msg("'%s' suggested '%s', expected '%s'", word, got, expected);
}

static void test_typos_find_their_setting(void **state)
{
	(void)state;
	assert_suggests("stop-timout", "stop-timeout");
	assert_suggests("log-levl", "log-level");
	assert_suggests("log-lvel", "log-level");
	assert_suggests("log-fromat", "log-format"); /* adjacent swap */
	assert_suggests("stop_timeout", "stop-timeout");
	assert_suggests("databse-url", "database-url");
	assert_suggests("singal-target", "signal-target");
	assert_suggests("confg", "config");
}

static void test_case_insensitive(void **state)
{
	(void)state;
	assert_suggests("STOP-TIMEOUT", "stop-timeout");
	assert_suggests("Log-Levl", "log-level");
}

static void test_exact_match_is_its_own_suggestion(void **state)
{
	(void)state;
	assert_suggests("exec", "exec");
	assert_suggests("log-format", "log-format");
}

static void test_nothing_close(void **state)
{
	(void)state;
	assert_suggests("xyz", NULL);
	assert_suggests("", NULL);
	assert_suggests("completely-unrelated-name", NULL);
	assert_suggests("port", NULL);
}

static void test_null_candidates_are_skipped(void **state)
{
	static const char *const with_gaps[] = {NULL, "log-level", NULL, "stop-timeout", NULL};
	static const char *const only_null[] = {NULL, NULL};

	(void)state;
	assert_string_equal(spell_closest("stop-timout", with_gaps, ARRAY_LEN(with_gaps)), "stop-timeout");
	assert_string_equal(spell_closest("log-levl", with_gaps, ARRAY_LEN(with_gaps)), "log-level");
	assert_null(spell_closest("xyz", with_gaps, ARRAY_LEN(with_gaps)));
	assert_null(spell_closest("log-level", only_null, ARRAY_LEN(only_null)));
}

static void test_no_candidates(void **state)
{
	(void)state;
	assert_null(spell_closest("stop-timeout", setting_names, 0));
}

static void test_count_limits_the_candidates(void **state)
{
	(void)state;
	/* stop-timeout is the fourth name: with three candidates it is not seen. */
	assert_null(spell_closest("stop-timout", setting_names, 3));
	assert_string_equal(spell_closest("stop-timout", setting_names, 4), "stop-timeout");
}

static void test_closest_wins(void **state)
{
	static const char *const candidates[] = {"log-format", "log-level", "log-levels"};

	(void)state;
	assert_string_equal(spell_closest("log-levle", candidates, ARRAY_LEN(candidates)), "log-level");
	assert_string_equal(spell_closest("log-levelss", candidates, ARRAY_LEN(candidates)), "log-levels");
}

static void test_very_long_words(void **state)
{
	char long_word[200];

	(void)state;
	memset(long_word, 'a', sizeof(long_word) - 1);
	long_word[sizeof(long_word) - 1] = '\0';
	assert_null(spell_closest(long_word, setting_names, ARRAY_LEN(setting_names)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_typos_find_their_setting),
	    cmocka_unit_test(test_case_insensitive),
	    cmocka_unit_test(test_exact_match_is_its_own_suggestion),
	    cmocka_unit_test(test_nothing_close),
	    cmocka_unit_test(test_null_candidates_are_skipped),
	    cmocka_unit_test(test_no_candidates),
	    cmocka_unit_test(test_count_limits_the_candidates),
	    cmocka_unit_test(test_closest_wins),
	    cmocka_unit_test(test_very_long_words),
	};

	return cmocka_run_group_tests_name("spell", tests, NULL, NULL);
}
