/* Fuzz target: setting values (value.c).
 *
 * Input: the text of a value; its first 8 bytes are also read as a number
 * of milliseconds to format.
 *
 * Properties: a duration is accepted only in the documented shape (digits,
 * an optional fraction, an optional unit ms, s, m or h), is at most
 * VALUE_DURATION_MAX_MS, and formats back to text that parses to the same
 * value; a rejected value leaves the output untouched; booleans and choices
 * are accepted only from their lists; formatting always terminates within
 * its buffer, cut short or not. */
#include "check.h"

#include "config.h"
#include "value.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define UNTOUCHED (-12345LL)

/* digits [. digits] [ms|s|m|h] */
static bool duration_shaped(const char *text)
{
	size_t n = strspn(text, "0123456789");

	if (n == 0)
		return false;
	text += n;
	if (*text == '.') {
		n = strspn(text + 1, "0123456789");
		if (n == 0)
			return false;
		text += 1 + n;
	}
	return !*text || !strcmp(text, "ms") || !strcmp(text, "s") || !strcmp(text, "m") || !strcmp(text, "h");
}

static void check_format(long long ms)
{
	static const size_t sizes[] = {1, 2, 4, 8, 32};
	char text[32];
	long long again = UNTOUCHED;

	value_format_duration(ms, text, sizeof(text));
	check_terminated("formatted duration", text, sizeof(text));
	if (value_parse_duration_ms(text, &again) < 0 || again != ms)
		fuzz_fail("%lld ms formats as '%s', which parses as %lld", ms, text, again);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *cut = malloc(sizes[i]);

		value_format_duration(ms, cut, sizes[i]);
		check_terminated("cut formatted duration", cut, sizes[i]);
		if (strncmp(cut, text, strlen(cut)) != 0)
			fuzz_fail("'%s' is not a prefix of '%s'", cut, text);
		free(cut);
	}
}

static void check_duration(const char *text)
{
	long long ms = UNTOUCHED;

	if (value_parse_duration_ms(text, &ms) < 0) {
		if (ms != UNTOUCHED)
			fuzz_fail("rejected duration '%s' changed the output", text);
		return;
	}
	if (!duration_shaped(text))
		fuzz_fail("'%s' accepted as a duration", text);
	if (ms < 0 || ms > VALUE_DURATION_MAX_MS)
		fuzz_fail("'%s' accepted as %lld ms, out of range", text, ms);
	check_format(ms);
}

static void check_bool(const char *text)
{
	static const char *const words[] = {"true", "yes", "on", "1", "false", "no", "off", "0"};
	bool listed = false, value = false;
	int status;

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(text, words[i]) == 0)
			listed = true, value = i < 4;
	bool out = !value;
	status = value_parse_bool(text, &out);
	if ((status == 0) != listed || (listed && out != value) || (!listed && out != !value))
		fuzz_fail("boolean '%s': status %d, value %d", text, status, out);
}

static void check_choices(const char *text)
{
	for (int id = 0; id < SETTING_COUNT; id++) {
		const char *const *choices = settings_table[id].choices;
		int index = -1;

		if (settings_table[id].type != SETTING_TYPE_CHOICE)
			continue;
		if (value_parse_choice(text, choices, &index) == 0) {
			if (index < 0 || strcmp(choices[index], text) != 0)
				fuzz_fail("choice '%s' of %s taken as %d", text, settings_table[id].name, index);
		} else if (index != -1) {
			fuzz_fail("rejected choice '%s' changed the output", text);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = strndup((const char *)data, size);
	uint64_t bits = 0;

	check_duration(text);
	check_bool(text);
	check_choices(text);
	memcpy(&bits, data, size < sizeof(bits) ? size : sizeof(bits));
	check_format((long long)(bits % (uint64_t)(VALUE_DURATION_MAX_MS + 1)));
	free(text);
	return 0;
}
