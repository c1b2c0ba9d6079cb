#include "schema-json.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 512

static const char *json_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* p at '"'; returns the position after the closing quote, or NULL. */
static const char *json_skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"')
			return p + 1;
		if (c < 0x20)
			return NULL;
		if (c == '\\') {
			if (++p >= end)
				return NULL;
			if (*p == 'u') {
				if (end - p < 5 || !is_hex(p[1]) || !is_hex(p[2]) || !is_hex(p[3]) || !is_hex(p[4]))
					return NULL;
				p += 4;
			} else if (!strchr("\"\\/bfnrt", *p) || *p == '\0') {
				return NULL;
			}
		}
	}
	return NULL;
}

/* p at a value (no leading space); returns the position after it, or NULL
 * when it is not valid JSON. */
static const char *json_skip_value(const char *p, const char *end, int depth)
{
	if (p >= end || depth > JSON_MAX_DEPTH)
		return NULL;
	if (*p == '"')
		return json_skip_string(p, end);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';

		p = json_ws(p + 1, end);
		if (p < end && *p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				if (p >= end || *p != '"' || !(p = json_skip_string(p, end)))
					return NULL;
				p = json_ws(p, end);
				if (p >= end || *p != ':')
					return NULL;
				p = json_ws(p + 1, end);
			}
			if (!(p = json_skip_value(p, end, depth + 1)))
				return NULL;
			p = json_ws(p, end);
			if (p < end && *p == close)
				return p + 1;
			if (p >= end || *p != ',')
				return NULL;
			p = json_ws(p + 1, end);
		}
	}
	static const char *const words[] = {"true", "false", "null"};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i]);

		if ((size_t)(end - p) >= n && memcmp(p, words[i], n) == 0)
			return p + n;
	}
	/* A number: -?digits(.digits)?([eE][+-]?digits)? */
	const char *start = p;
	if (p < end && *p == '-')
		p++;
	const char *digits = p;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	if (p == digits)
		return NULL;
	if (p < end && *p == '.') {
		digits = ++p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p == digits)
			return NULL;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		digits = p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p == digits)
			return NULL;
	}
	return p > start ? p : NULL;
}

static void put_utf8(char **out, unsigned long cp)
{
	char *o = *out;

	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xc0 | (cp >> 6));
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xe0 | (cp >> 12));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xf0 | (cp >> 18));
		*o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	*out = o;
}

/* Decodes the (already validated) JSON string at p; malloc'd, or NULL when
 * out of memory. A \u0000 ends the string early; lone surrogates become
 * U+FFFD. */
static char *json_decode_string(const char *p, const char *end)
{
	const char *close = json_skip_string(p, end);
	char *text = malloc((size_t)(close - p) + 1); /* UTF-8 never outgrows its escapes */
	char *o = text;

	if (!text)
		return NULL;
	for (p++; p < close - 1; p++) {
		if (*p != '\\') {
			*o++ = *p;
			continue;
		}
		p++;
		switch (*p) {
		case 'b':
			*o++ = '\b';
			break;
		case 'f':
			*o++ = '\f';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'u': {
			unsigned long cp = strtoul((char[]){p[1], p[2], p[3], p[4], '\0'}, NULL, 16);

			p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && close - p > 6 && p[1] == '\\' && p[2] == 'u') {
				unsigned long low = strtoul((char[]){p[3], p[4], p[5], p[6], '\0'}, NULL, 16);

				if (low >= 0xdc00 && low < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
					p += 6;
				}
			}
			if (cp >= 0xd800 && cp < 0xe000)
				cp = 0xfffd;
			put_utf8(&o, cp);
			break;
		}
		default: /* " \ / */
			*o++ = *p;
		}
	}
	*o = '\0';
	return text;
}

/* obj at '{' of a valid object: the value of its member key (the last one,
 * as JSON.parse keeps), or NULL. *oom is set when memory ran out. */
static const char *json_member(const char *obj, const char *end, const char *key, bool *oom)
{
	const char *found = NULL;
	const char *p = json_ws(obj + 1, end);

	while (p < end && *p == '"') {
		char *name = json_decode_string(p, end);

		if (!name) {
			*oom = true;
			return NULL;
		}
		p = json_ws(json_skip_string(p, end), end);
		p = json_ws(p + 1, end); /* ':' */
		if (strcmp(name, key) == 0)
			found = p;
		free(name);
		p = json_ws(json_skip_value(p, end, 0), end);
		if (*p == ',')
			p = json_ws(p + 1, end);
	}
	return found;
}

int schema_json_string(const char *name, const char *doc, size_t len, const char *const *path, size_t depth,
                       char **value, char *error, size_t error_size)
{
	const char *end = doc + len;
	const char *p = json_ws(doc, end);
	const char *after = json_skip_value(p, end, 0);
	bool oom = false;

	*value = NULL;
	if (!after || json_ws(after, end) != end) {
		snprintf(error, error_size, "%s is not valid JSON", name);
		return -1;
	}
	for (size_t i = 0; i < depth && p; i++) {
		if (*p != '{')
			return 0;
		p = json_member(p, end, path[i], &oom);
	}
	if (oom || (p && *p == '"' && !(*value = json_decode_string(p, end)))) {
		snprintf(error, error_size, "out of memory");
		return -1;
	}
	return 0;
}
