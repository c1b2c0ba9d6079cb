#include "schema-js.h"

#include "scan.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum js_token { JS_END, JS_WORD, JS_STRING, JS_TEMPLATE, JS_PUNCT };

/* A character of an identifier or a number; any byte of a UTF-8 sequence
 * counts, as JavaScript takes Unicode letters. */
static bool is_identifier_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$' ||
	       (unsigned char)c >= 0x80;
}

struct js_lexer {
	const char *p, *end;
	const char *start; /* of the last token */
	size_t len;
};

/* The next token, skipping spaces and comments. A string token's text
 * includes its quotes. */
static enum js_token js_next(struct js_lexer *lex)
{
	const char *p = lex->p, *end = lex->end;

	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v'))
			p++;
		if (scan_at_pair(p, end, "//")) {
			while (p < end && *p != '\n')
				p++;
		} else if (scan_at_pair(p, end, "/*")) {
			const char *close = memmem(p + 2, (size_t)(end - p - 2), "*/", 2);
			p = close ? close + 2 : end;
		} else {
			break;
		}
	}
	lex->start = p;
	if (p >= end) {
		lex->p = p;
		lex->len = 0;
		return JS_END;
	}
	enum js_token kind;
	if (*p == '"' || *p == '\'' || *p == '`') {
		char quote = *p;

		for (p++; p < end && *p != quote; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			else if (*p == '\n' && quote != '`')
				break;
		}
		if (p < end)
			p++;
		kind = quote == '`' ? JS_TEMPLATE : JS_STRING;
	} else if (is_identifier_char(*p)) {
		p = scan_while(p, end, is_identifier_char);
		kind = JS_WORD;
	} else {
		p++;
		kind = JS_PUNCT;
	}
	lex->p = p;
	lex->len = (size_t)(p - lex->start);
	return kind;
}

static bool js_is(const struct js_lexer *lex, enum js_token kind, enum js_token want, const char *text)
{
	return kind == want && lex->len == strlen(text) && memcmp(lex->start, text, lex->len) == 0;
}

/* The value of a string literal token (quotes included, len >= 1) when it
 * is plain: terminated, no ${} in a template, only the escapes \\ \' \" \`
 * \/ and no line break. Malloc'd; NULL when not plain (or no memory). */
static char *js_plain_string(const char *text, size_t len)
{
	char quote = text[0];
	char *value;
	char *o;

	if (len < 2 || text[len - 1] != quote)
		return NULL;
	if (!(value = malloc(len)))
		return NULL;
	o = value;
	for (size_t i = 1; i < len - 1; i++) {
		char c = text[i];

		if (c == '\n' || c == '\r' || (c == '$' && quote == '`' && text[i + 1] == '{'))
			goto not_plain;
		if (c == '\\') {
			c = text[++i];
			if (!strchr("\\'\"`/", c) || c == '\0')
				goto not_plain;
		}
		*o++ = c;
	}
	*o = '\0';
	return value;
not_plain:
	free(value);
	return NULL;
}

int schema_config_value(const char *text, size_t len, char **value)
{
	return config_string_value(text, len, "schema", value);
}

int config_string_value(const char *text, size_t len, const char *name, char **value)
{
	struct js_lexer lex = {.p = text, .end = text + len};
	bool after_open = false; /* the previous token is '{' or ',' */
	size_t name_len = strlen(name);
	enum js_token kind;

	*value = NULL;
	while ((kind = js_next(&lex)) != JS_END) {
		bool key =
		    after_open && (js_is(&lex, kind, JS_WORD, name) || (kind == JS_STRING && lex.len == name_len + 2 &&
		                                                        memcmp(lex.start + 1, name, name_len) == 0));

		after_open = js_is(&lex, kind, JS_PUNCT, "{") || js_is(&lex, kind, JS_PUNCT, ",");
		if (!key)
			continue;
		struct js_lexer ahead = lex;
		enum js_token next = js_next(&ahead);
		bool shorthand = js_is(&ahead, next, JS_PUNCT, ",") || js_is(&ahead, next, JS_PUNCT, "}");
		if (shorthand && kind == JS_WORD)
			return -1; /* { schema }: a variable */
		if (!js_is(&ahead, next, JS_PUNCT, ":"))
			continue; /* "schema" in a list, say */
		next = js_next(&ahead);
		if (next != JS_STRING && next != JS_TEMPLATE)
			return -1;
		const char *literal = ahead.start;
		size_t literal_len = ahead.len;
		/* "a" + b, "a".trim(), "a" as X: not a plain literal. */
		enum js_token after = js_next(&ahead);
		if (!(after == JS_END || js_is(&ahead, after, JS_PUNCT, ",") || js_is(&ahead, after, JS_PUNCT, "}")))
			return -1;
		*value = js_plain_string(literal, literal_len);
		return *value ? 1 : -1;
	}
	return 0;
}
