#include "schema-psl.h"

#include "scan.h"

#include <stdlib.h>
#include <string.h>

enum psl_token { PSL_END, PSL_WORD, PSL_STRING, PSL_PUNCT };

/* A character of a name (generator, provider) or a bare value. */
static bool is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* The next token of a Prisma schema, skipping spaces and // comments. */
static enum psl_token psl_next(const char **pp, const char *end, const char **start, size_t *len)
{
	const char *p = *pp;

	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			p++;
		if (scan_at_pair(p, end, "//")) {
			while (p < end && *p != '\n')
				p++;
			continue;
		}
		break;
	}
	*start = p;
	enum psl_token kind = PSL_PUNCT;
	if (p >= end) {
		kind = PSL_END;
	} else if (*p == '"') {
		for (p++; p < end && *p != '"' && *p != '\n'; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
		}
		if (p < end && *p == '"')
			p++;
		kind = PSL_STRING;
	} else if (is_word_char(*p)) {
		p = scan_while(p, end, is_word_char);
		kind = PSL_WORD;
	} else {
		p++;
	}
	*len = (size_t)(p - *start);
	*pp = p;
	return kind;
}

static bool psl_is(const char *start, size_t len, const char *text)
{
	return len == strlen(text) && memcmp(start, text, len) == 0;
}

/* The contents of a string token, \" and \\ unescaped; malloc'd. */
static char *psl_string(const char *start, size_t len)
{
	char *value = malloc(len + 1);
	char *o = value;

	if (!value)
		return NULL;
	for (size_t i = 1; i < len && start[i] != '"'; i++) {
		if (start[i] == '\\' && i + 1 < len)
			i++;
		*o++ = start[i];
	}
	*o = '\0';
	return value;
}

int schema_client_generator(const char *text, size_t text_len, struct schema_generator *generator)
{
	const char *p = text, *end = text + text_len;
	const char *start, *prev_start[2] = {"", ""};
	size_t len, prev_len[2] = {0, 0};
	enum psl_token kind, prev[2] = {PSL_END, PSL_END};
	int depth = 0;
	bool in_generator = false, client = false, client_js = false, output_plain = false, output_other = false;
	const char *output_start = NULL, *engine_start = NULL;
	size_t output_len = 0, engine_len = 0;

	*generator = (struct schema_generator){0};
	while ((kind = psl_next(&p, end, &start, &len)) != PSL_END) {
		bool assigned =
		    in_generator && depth == 1 && prev[0] == PSL_PUNCT && *prev_start[0] == '=' && prev[1] == PSL_WORD;

		if (assigned && psl_is(prev_start[1], prev_len[1], "provider")) {
			client = kind == PSL_STRING && psl_is(start, len, "\"prisma-client\"");
			client_js = kind == PSL_STRING && psl_is(start, len, "\"prisma-client-js\"");
		} else if (assigned && psl_is(prev_start[1], prev_len[1], "output")) {
			output_plain = kind == PSL_STRING;
			output_other = !output_plain;
			output_start = start;
			output_len = len;
		} else if (assigned && psl_is(prev_start[1], prev_len[1], "engineType") && kind == PSL_STRING) {
			engine_start = start;
			engine_len = len;
		}
		if (kind == PSL_PUNCT && (*start == '{' || *start == '(' || *start == '[')) {
			if (*start == '{' && depth == 0 && prev[0] == PSL_WORD && prev[1] == PSL_WORD &&
			    psl_is(prev_start[1], prev_len[1], "generator")) {
				in_generator = true;
				client = client_js = output_plain = output_other = false;
				engine_start = NULL;
			}
			depth++;
		} else if (kind == PSL_PUNCT && (*start == '}' || *start == ')' || *start == ']')) {
			if (depth > 0)
				depth--;
			if (in_generator && depth == 0) {
				in_generator = false;
				if (client || client_js)
					break;
			}
		}
		prev[1] = prev[0], prev_start[1] = prev_start[0], prev_len[1] = prev_len[0];
		prev[0] = kind, prev_start[0] = start, prev_len[0] = len;
	}
	if (!client && !client_js)
		return 0;
	generator->js = client_js;
	generator->output_given = output_plain || output_other;
	if (output_plain && !(generator->output = psl_string(output_start, output_len)))
		return -1;
	if (engine_start && !(generator->engine_type = psl_string(engine_start, engine_len))) {
		free(generator->output);
		generator->output = NULL;
		return -1;
	}
	return 1;
}

void schema_url_ref_release(struct schema_url_ref *ref)
{
	free(ref->text);
	free(ref->env_name);
	*ref = (struct schema_url_ref){0};
}

int schema_url_ref_copy(struct schema_url_ref *to, const struct schema_url_ref *from)
{
	*to = (struct schema_url_ref){.given = from->given};
	if ((from->text && !(to->text = strdup(from->text))) ||
	    (from->env_name && !(to->env_name = strdup(from->env_name)))) {
		schema_url_ref_release(to);
		return -1;
	}
	return 0;
}

/* The value after `directUrl =`, from its first token (kind, start, len) on:
 * a string, or env("NAME"). */
static int read_url_value(const char **pp, const char *end, enum psl_token kind, const char *start, size_t len,
                          struct schema_url_ref *ref)
{
	const char *name_start;
	size_t name_len;

	ref->given = true;
	if (kind == PSL_STRING)
		return (ref->text = psl_string(start, len)) ? 1 : -1;
	if (kind != PSL_WORD || !psl_is(start, len, "env"))
		return 1;
	if (psl_next(pp, end, &start, &len) != PSL_PUNCT || *start != '(' ||
	    psl_next(pp, end, &name_start, &name_len) != PSL_STRING || psl_next(pp, end, &start, &len) != PSL_PUNCT ||
	    *start != ')')
		return 1;
	return (ref->env_name = psl_string(name_start, name_len)) ? 1 : -1;
}

int schema_datasource_direct_url(const char *text, size_t text_len, struct schema_url_ref *ref)
{
	const char *p = text, *end = text + text_len;
	const char *start, *prev_start[2] = {"", ""};
	size_t len, prev_len[2] = {0, 0};
	enum psl_token kind, prev[2] = {PSL_END, PSL_END};
	int depth = 0;
	bool in_datasource = false;

	*ref = (struct schema_url_ref){0};
	while ((kind = psl_next(&p, end, &start, &len)) != PSL_END) {
		if (in_datasource && depth == 1 && prev[0] == PSL_PUNCT && *prev_start[0] == '=' &&
		    prev[1] == PSL_WORD && psl_is(prev_start[1], prev_len[1], "directUrl"))
			return read_url_value(&p, end, kind, start, len, ref);
		if (kind == PSL_PUNCT && (*start == '{' || *start == '(' || *start == '[')) {
			if (*start == '{' && depth == 0 && prev[0] == PSL_WORD && prev[1] == PSL_WORD &&
			    psl_is(prev_start[1], prev_len[1], "datasource"))
				in_datasource = true;
			depth++;
		} else if (kind == PSL_PUNCT && (*start == '}' || *start == ')' || *start == ']')) {
			if (depth > 0)
				depth--;
			if (in_datasource && depth == 0)
				return 0; /* one datasource per schema */
		}
		prev[1] = prev[0], prev_start[1] = prev_start[0], prev_len[1] = prev_len[0];
		prev[0] = kind, prev_start[0] = start, prev_len[0] = len;
	}
	return 0;
}
