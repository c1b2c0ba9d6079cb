/* Checked parsing of setting values: durations, booleans, choices, whole
 * numbers in a range, URL schemes.
 * Each parser returns 0 and stores the value, or -1 leaving *out untouched. */
#ifndef PE_VALUE_H
#define PE_VALUE_H

#include <stdbool.h>
#include <stddef.h>

/* Largest accepted duration: one week, far beyond any sensible timeout and
 * far below overflow in millisecond arithmetic. */
#define VALUE_DURATION_MAX_MS (7LL * 24 * 3600 * 1000)

/* "500ms", "2s", "1.5s", "1m", "1h"; a bare number is seconds. */
int value_parse_duration_ms(const char *text, long long *out);

/* true/false, yes/no, on/off, 1/0, case-insensitive. */
int value_parse_bool(const char *text, bool *out);

/* Index of text in the NULL-terminated choices list (case-sensitive). */
int value_parse_choice(const char *text, const char *const *choices, int *out);

/* A whole number from min to max, in decimal digits with an optional
 * leading '-' (nothing else: no sign '+', no spaces, no "0x"). */
int value_parse_integer(const char *text, long long min, long long max, long long *out);

/* Index of the scheme of text ("HTTP://x" has scheme "http") in the
 * NULL-terminated schemes list, lowercase; the scheme must be followed by
 * "://". Nothing after that is looked at. */
int value_parse_url_scheme(const char *text, const char *const *schemes, int *out);

/* Writes a duration back in the shortest exact unit ("8s", "500ms", "2m"). */
void value_format_duration(long long ms, char *out, size_t out_size);

#endif
