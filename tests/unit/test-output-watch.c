/* Unit tests for output-watch.c: phrases found in a child's output as it
 * comes, whole or split between reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "output-watch.h"

#include <string.h>

static struct output_watch push_watch(void)
{
	return (struct output_watch){.phrases = {"Your database is now in sync", "There might be data loss"}};
}

static void test_phrase_in_one_read(void **state)
{
	struct output_watch watch = push_watch();
	const char *out = "\n\xf0\x9f\x9a\x80  Your database is now in sync with your Prisma schema. Done in 5ms\n";

	(void)state;
	output_watch_feed(&watch, out, strlen(out));
	assert_true(watch.seen[0]);
	assert_false(watch.seen[1]);
}

static void test_phrase_split_at_every_byte(void **state)
{
	const char *out = "noise\n\xe2\x9a\xa0\xef\xb8\x8f  There might be data loss when applying the changes:\n";
	size_t len = strlen(out);

	(void)state;
	for (size_t cut = 0; cut <= len; cut++) {
		struct output_watch watch = push_watch();

		output_watch_feed(&watch, out, cut);
		output_watch_feed(&watch, out + cut, len - cut);
		assert_true(watch.seen[1]);
		assert_false(watch.seen[0]);
	}
}

static void test_phrase_fed_byte_by_byte_after_long_output(void **state)
{
	struct output_watch watch = push_watch();
	char noise[10000];
	const char *tail = "Your database is now in sync";

	(void)state;
	memset(noise, 'x', sizeof(noise));
	output_watch_feed(&watch, noise, sizeof(noise));
	for (const char *p = tail; *p; p++)
		output_watch_feed(&watch, p, 1);
	assert_true(watch.seen[0]);
}

static void test_nothing_seen_in_other_output(void **state)
{
	struct output_watch watch = push_watch();
	const char *out = "Your database is now in syn\nc";

	(void)state;
	output_watch_feed(&watch, out, strlen(out));
	output_watch_feed(&watch, "", 0);
	assert_false(watch.seen[0]);
	assert_false(watch.seen[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_phrase_in_one_read),
	    cmocka_unit_test(test_phrase_split_at_every_byte),
	    cmocka_unit_test(test_phrase_fed_byte_by_byte_after_long_output),
	    cmocka_unit_test(test_nothing_seen_in_other_output),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
