#include "value.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int value_parse_duration_ms(const char *text, long long *out)
{
	static const struct {
		const char *suffix;
		long long ms;
	} units[] = {{"ms", 1}, {"s", 1000}, {"m", 60 * 1000}, {"h", 3600 * 1000}, {"", 1000}};
	long long whole = 0, frac = 0, frac_scale = 1;
	const char *p = text;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		whole = whole * 10 + (*p - '0');
		if (whole > VALUE_DURATION_MAX_MS)
			return -1;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		for (; isdigit((unsigned char)*p); p++) {
			/* Digits past milliseconds of an hour cannot matter. */
			if (frac_scale < 1000000000LL) {
				frac = frac * 10 + (*p - '0');
				frac_scale *= 10;
			}
		}
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(p, units[i].suffix) != 0)
			continue;
		if (whole > VALUE_DURATION_MAX_MS / units[i].ms)
			return -1;
		long long ms = whole * units[i].ms + frac * units[i].ms / frac_scale;
		if (ms > VALUE_DURATION_MAX_MS)
			return -1;
		*out = ms;
		return 0;
	}
	return -1;
}

int value_parse_bool(const char *text, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

int value_parse_choice(const char *text, const char *const *choices, int *out)
{
	for (int i = 0; choices[i]; i++) {
		if (strcmp(text, choices[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return -1;
}

int value_parse_integer(const char *text, long long min, long long max, long long *out)
{
	const char *digits = text + (*text == '-');
	long long number;

	/* strtoll alone would also take spaces, '+' and nothing at all. */
	if (!*digits || digits[strspn(digits, "0123456789")])
		return -1;
	errno = 0;
	number = strtoll(text, NULL, 10);
	if (errno == ERANGE || number < min || number > max)
		return -1;
	*out = number;
	return 0;
}

int value_parse_url_scheme(const char *text, const char *const *schemes, int *out)
{
	for (int i = 0; schemes[i]; i++) {
		size_t len = strlen(schemes[i]);

		if (strncasecmp(text, schemes[i], len) == 0 && strncmp(text + len, "://", 3) == 0) {
			*out = i;
			return 0;
		}
	}
	return -1;
}

void value_format_duration(long long ms, char *out, size_t out_size)
{
	if (ms != 0 && ms % (3600 * 1000) == 0)
		snprintf(out, out_size, "%lldh", ms / (3600 * 1000));
	else if (ms != 0 && ms % (60 * 1000) == 0)
		snprintf(out, out_size, "%lldm", ms / (60 * 1000));
	else if (ms % 1000 == 0)
		snprintf(out, out_size, "%llds", ms / 1000);
	else
		snprintf(out, out_size, "%lldms", ms);
}
