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

/* A copy of a string token's plain value, or of an identifier; NULL when
 * not plain (or no memory: *oom). */
static char *token_text(const struct js_lexer *lex, enum js_token kind, bool *oom)
{
	char *value = NULL;

	if (kind == JS_STRING || kind == JS_TEMPLATE)
		value = js_plain_string(lex->start, lex->len);
	else if (kind == JS_WORD)
		value = strndup(lex->start, lex->len);
	*oom = !value && kind == JS_WORD;
	return value;
}

/* Whether the value just read ends there: at ',', '}' or the end. */
static bool value_ends(struct js_lexer lex)
{
	enum js_token after = js_next(&lex);

	return after == JS_END || js_is(&lex, after, JS_PUNCT, ",") || js_is(&lex, after, JS_PUNCT, "}");
}

/* The value after `directUrl:`; lex is before its first token. */
static int read_direct_url(struct js_lexer *lex, struct schema_url_ref *ref)
{
	enum js_token kind = js_next(lex);
	struct js_lexer name;
	enum js_token name_kind;
	bool oom = false;

	ref->given = true;
	if (kind == JS_STRING || kind == JS_TEMPLATE) {
		if (value_ends(*lex))
			ref->text = js_plain_string(lex->start, lex->len);
		return 1;
	}
	if (js_is(lex, kind, JS_WORD, "env")) {
		/* env("NAME") */
		if (!js_is(lex, js_next(lex), JS_PUNCT, "("))
			return 1;
		name_kind = js_next(lex);
		name = *lex;
		if (name_kind != JS_STRING || !js_is(lex, js_next(lex), JS_PUNCT, ")") || !value_ends(*lex))
			return 1;
	} else if (js_is(lex, kind, JS_WORD, "process")) {
		/* process.env.NAME */
		if (!js_is(lex, js_next(lex), JS_PUNCT, ".") || !js_is(lex, js_next(lex), JS_WORD, "env") ||
		    !js_is(lex, js_next(lex), JS_PUNCT, "."))
			return 1;
		name_kind = js_next(lex);
		name = *lex;
		if (name_kind != JS_WORD || !value_ends(*lex))
			return 1;
	} else {
		return 1;
	}
	ref->env_name = token_text(&name, name_kind, &oom);
	return oom ? -1 : 1;
}

int schema_config_direct_url(const char *text, size_t len, struct schema_url_ref *ref)
{
	struct js_lexer lex = {.p = text, .end = text + len};
	bool after_open = false;  /* the previous token is '{' or ',' */
	int datasource_depth = 0; /* inside the datasource object: its depth (1 directly in it) */
	enum js_token kind;

	*ref = (struct schema_url_ref){0};
	while ((kind = js_next(&lex)) != JS_END) {
		bool is_key_word = after_open && kind == JS_WORD;

		after_open = js_is(&lex, kind, JS_PUNCT, "{") || js_is(&lex, kind, JS_PUNCT, ",");
		if (datasource_depth > 0) {
			if (js_is(&lex, kind, JS_PUNCT, "{") || js_is(&lex, kind, JS_PUNCT, "(") ||
			    js_is(&lex, kind, JS_PUNCT, "["))
				datasource_depth++;
			else if (js_is(&lex, kind, JS_PUNCT, "}") || js_is(&lex, kind, JS_PUNCT, ")") ||
			         js_is(&lex, kind, JS_PUNCT, "]"))
				datasource_depth--;
			if (datasource_depth == 0)
				return 0;
			if (datasource_depth == 1 && is_key_word && js_is(&lex, kind, JS_WORD, "directUrl")) {
				struct js_lexer ahead = lex;

				if (js_is(&ahead, js_next(&ahead), JS_PUNCT, ":")) {
					lex = ahead;
					return read_direct_url(&lex, ref);
				}
			}
			continue;
		}
		if (is_key_word && js_is(&lex, kind, JS_WORD, "datasource")) {
			struct js_lexer ahead = lex;

			if (js_is(&ahead, js_next(&ahead), JS_PUNCT, ":") &&
			    js_is(&ahead, js_next(&ahead), JS_PUNCT, "{")) {
				lex = ahead;
				datasource_depth = 1;
				after_open = true;
			}
		}
	}
	return 0;
}
