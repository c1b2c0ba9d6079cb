#include "json-string.h"

#include <string.h>

/* The length of the valid UTF-8 sequence at p (1 to 4), or 0 when the bytes
 * there are not one: a stray continuation byte, a truncated sequence, an
 * overlong form, a surrogate, or a code point past U+10FFFF. */
static size_t utf8_length(const unsigned char *p)
{
	size_t length;
	unsigned long code;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		length = 2, code = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		length = 3, code = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		length = 4, code = p[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < length; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		code = code << 6 | (p[i] & 0x3f);
	}
	if ((length == 3 && code < 0x800) || (length == 4 && code < 0x10000) || code > 0x10ffff ||
	    (code >= 0xd800 && code <= 0xdfff))
		return 0;
	return length;
}

void json_string_append(char *line, size_t size, size_t *used, const char *text, size_t keep)
{
	static const char hex[] = "0123456789abcdef";

	for (const unsigned char *p = (const unsigned char *)text; *p;) {
		char esc[7];
		size_t esc_len = 0, take = 1;

		switch (*p) {
		case '"':
		case '\\':
			esc[0] = '\\';
			esc[1] = (char)*p;
			esc_len = 2;
			break;
		case '\n':
			memcpy(esc, "\\n", 2);
			esc_len = 2;
			break;
		case '\t':
			memcpy(esc, "\\t", 2);
			esc_len = 2;
			break;
		default:
			take = utf8_length(p);
			if (*p < 0x20) {
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[*p >> 4];
				esc[5] = hex[*p & 0xf];
				esc_len = 6;
			} else if (take == 0) {
				memcpy(esc, "\\ufffd", 6);
				esc_len = 6;
				take = 1;
			} else {
				memcpy(esc, p, take);
				esc_len = take;
			}
		}
		if (*used + esc_len + keep > size)
			return;
		memcpy(line + *used, esc, esc_len);
		*used += esc_len;
		p += take;
	}
}
