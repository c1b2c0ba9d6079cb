#include "redact.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Parameter names whose values are secrets, matched as the whole name or
 * its end ("sslpassword", "db_password", "auth_token"). */
static const char *const secret_names[] = {
    "password", "passwd", "pwd", "secret", "token", "api_key", "apikey", "access_key", "accesskey", "credentials",
};

#define MAX_RANGES 64
#define NAME_MAX_  128
#define MAX_PASSES 8

struct range {
	size_t start, end; /* [start, end) of the text, hidden */
};

struct ranges {
	struct range items[MAX_RANGES];
	size_t count;
	bool overflow; /* too many to track: everything after the last is hidden */
};

/* An empty range hides that the value was empty. */
static void add_range(struct ranges *ranges, size_t start, size_t end)
{
	if (start > end)
		return;
	if (ranges->count == MAX_RANGES) {
		ranges->overflow = true;
		return;
	}
	ranges->items[ranges->count++] = (struct range){start, end};
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Whether text[0..len), percent-decoded, names a secret. */
static bool is_secret_name(const char *text, size_t len)
{
	char name[NAME_MAX_];
	size_t used = 0;

	for (size_t i = 0; i < len && used < sizeof(name); i++) {
		if (text[i] == '%' && i + 2 < len && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
			name[used++] = (char)(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
			i += 2;
		} else {
			name[used++] = text[i];
		}
	}
	/* A name too long to decode is taken for a secret's: more hidden, not less. */
	if (used == sizeof(name))
		return true;
	for (size_t i = 0; i < sizeof(secret_names) / sizeof(secret_names[0]); i++) {
		size_t n = strlen(secret_names[i]);

		if (used >= n && strncasecmp(name + used - n, secret_names[i], n) == 0)
			return true;
	}
	return false;
}

static bool is_separator(char c)
{
	return c == '?' || c == '&' || c == ';' || isspace((unsigned char)c);
}

/* Where the value starting at text[start] ends: at the first '&', ';', '#'
 * or white space after its closing quote or brace, if it has one. */
static size_t value_end(const char *text, size_t start)
{
	size_t i = start;

	if (text[i] == '\'') {
		for (i++; text[i] && text[i] != '\''; i++)
			if (text[i] == '\\' && text[i + 1])
				i++;
		if (text[i])
			i++;
	} else if (text[i] == '{') {
		/* sqlserver doubles a '}' inside braces: "{a}}b}" is a}b. */
		for (i++; text[i]; i++) {
			if (text[i] == '}' && text[i + 1] == '}') {
				i++;
			} else if (text[i] == '}') {
				i++;
				break;
			}
		}
	}
	/* Text stuck to the closing quote or brace goes too: left after the
	 * REDACTED, it would read as part of an unquoted value, which a second
	 * redaction would hide ("'a'b" would be "****b", then "****"). */
	while (text[i] && text[i] != '&' && text[i] != ';' && text[i] != '#' && !isspace((unsigned char)text[i]))
		i++;
	return i;
}

/* The value of every secret-named parameter. */
static void find_parameters(const char *text, struct ranges *ranges)
{
	size_t i = 0;

	while (text[i]) {
		size_t name_start = i, equals;

		if (i > 0 && !is_separator(text[i - 1])) {
			i++;
			continue;
		}
		equals = name_start + strcspn(text + name_start, "=?&;# \t\r\n\v\f");
		if (text[equals] != '=' || equals == name_start) {
			i = equals > i ? equals : i + 1;
			continue;
		}
		if (is_secret_name(text + name_start, equals - name_start)) {
			size_t end = value_end(text, equals + 1);

			add_range(ranges, equals + 1, end);
			i = end > equals + 1 ? end : equals + 1;
		} else {
			i = equals + 1;
		}
	}
}

static size_t scheme_length(const char *text)
{
	size_t len;

	if (!isalpha((unsigned char)text[0]))
		return 0;
	len = strspn(text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");
	return text[len] == ':' ? len : 0;
}

/* "scheme://..." or Prisma's SQLite "file:...": a URL, whose parts are shown
 * but for its secrets. Anything else without a '=' is a bare secret. */
static bool is_url(const char *text)
{
	size_t scheme = scheme_length(text);

	return scheme && (strncmp(text + scheme, "://", 3) == 0 || strncasecmp(text, "file:", strlen("file:")) == 0);
}

/* The password of the user information: from the first ':' after the
 * scheme's "//" (or the start) to the last '@'. */
static void find_user_information(const char *text, struct ranges *ranges)
{
	size_t scheme = scheme_length(text);
	size_t start = scheme && strncmp(text + scheme, "://", 3) == 0 ? scheme + 3 : 0;
	const char *at = strrchr(text + start, '@');
	const char *colon;

	if (!at)
		return;
	colon = memchr(text + start, ':', (size_t)(at - text - (ptrdiff_t)start));
	if (colon)
		add_range(ranges, (size_t)(colon + 1 - text), (size_t)(at - text));
}

/* Whether text has a '=' that no range hides. Without one, text that is not
 * a URL is a bare secret, hidden whole: "u:pa=ss@h" shown as "u:****@h"
 * would be one when redacted again. */
static bool has_shown_equals(const char *text, const struct ranges *ranges)
{
	for (const char *equals = strchr(text, '='); equals; equals = strchr(equals + 1, '=')) {
		size_t at = (size_t)(equals - text);
		bool hidden = false;

		for (size_t i = 0; i < ranges->count && !hidden; i++)
			hidden = at >= ranges->items[i].start && at < ranges->items[i].end;
		if (!hidden)
			return true;
	}
	return false;
}

static int by_start(const struct range *a, const struct range *b)
{
	return a->start < b->start ? -1 : a->start > b->start;
}

static void sort_ranges(struct ranges *ranges)
{
	/* Insertion sort: a handful of ranges. */
	for (size_t i = 1; i < ranges->count; i++)
		for (size_t j = i; j > 0 && by_start(&ranges->items[j - 1], &ranges->items[j]) > 0; j--) {
			struct range swap = ranges->items[j];

			ranges->items[j] = ranges->items[j - 1];
			ranges->items[j - 1] = swap;
		}
}

/* Appends text[0..len) to out[*used..size), keeping out terminated. */
static void append(char *out, size_t size, size_t *used, const char *text, size_t len)
{
	if (*used + 1 >= size)
		return;
	if (len > size - *used - 1)
		len = size - *used - 1;
	memcpy(out + *used, text, len);
	*used += len;
	out[*used] = '\0';
}

/* One pass of redact_secrets(). */
static void redact_once(const char *text, char *out, size_t out_size)
{
	struct ranges ranges = {.count = 0};
	size_t length = strlen(text);
	size_t used = 0, at = 0;

	if (out_size == 0)
		return;
	out[0] = '\0';
	find_user_information(text, &ranges);
	find_parameters(text, &ranges);
	if (ranges.overflow && ranges.count > 0)
		ranges.items[ranges.count - 1].end = length;
	if (length > 0 && !is_url(text) && !has_shown_equals(text, &ranges)) {
		append(out, out_size, &used, REDACTED, strlen(REDACTED));
		return;
	}
	sort_ranges(&ranges);
	for (size_t i = 0; i < ranges.count; i++) {
		const struct range *hide = &ranges.items[i];

		if (hide->start < at && hide->end <= at)
			continue; /* inside the one before */
		if (hide->start > at)
			append(out, out_size, &used, text + at, hide->start - at);
		/* Already redacted text stays as it is. */
		if (hide->start >= at)
			append(out, out_size, &used, REDACTED, strlen(REDACTED));
		at = hide->end;
	}
	append(out, out_size, &used, text + at, length - at);
}

/* The size of a pass's output buffer for text: every range may add a
 * REDACTED in place of nothing. */
static size_t pass_size(const char *text)
{
	return strlen(text) + (MAX_RANGES + 1) * strlen(REDACTED) + 1;
}

void redact_secrets(const char *text, char *out, size_t out_size)
{
	/* A pass can leave text that the next reads otherwise: a '#' or '@'
	 * that ended a value is gone when another range hides it, and what
	 * follows REDACTED then reads as more of the value. Passes repeat until
	 * one changes nothing, so that redacting redacted text changes nothing;
	 * each pass only hides more. */
	char *done = malloc(pass_size(text));
	size_t used = 0;

	if (out_size == 0) {
		free(done);
		return;
	}
	out[0] = '\0';
	if (done)
		redact_once(text, done, pass_size(text));
	for (int pass = 0; done && pass < MAX_PASSES; pass++) {
		char *next = malloc(pass_size(done));

		if (next)
			redact_once(done, next, pass_size(done));
		if (next && strcmp(next, done) == 0) {
			append(out, out_size, &used, done, strlen(done));
			free(next);
			free(done);
			return;
		}
		free(done);
		done = next;
	}
	free(done);
	/* Out of memory, or no rest: everything is hidden. */
	append(out, out_size, &used, REDACTED, strlen(REDACTED));
}
