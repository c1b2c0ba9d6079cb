/* Unit tests for schema-js.c: a Prisma config file's datasource.directUrl,
 * from a table of config texts, without files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "schema-js.h"
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

struct direct_url_case {
	const char *text;
	int found;
	const char *value;    /* NULL: none */
	const char *env_name; /* NULL: none */
};

#define HEAD                                                                                                           \
	"import { defineConfig, env } from \"prisma/config\";\nexport default defineConfig({\n  schema: \"prisma\",\n"

static const struct direct_url_case cases[] = {
    {HEAD "  datasource: { url: env(\"DATABASE_URL\") },\n});\n", 0, NULL, NULL},
    {HEAD "  datasource: {\n    url: env(\"DATABASE_URL\"),\n    directUrl: env(\"DIRECT_URL\"),\n  },\n});\n", 1, NULL,
     "DIRECT_URL"},
    {HEAD "  datasource: { url: env('DATABASE_URL'), directUrl: process.env.DIRECT_DATABASE_URL },\n});\n", 1, NULL,
     "DIRECT_DATABASE_URL"},
    {HEAD "  datasource: { directUrl: 'postgresql://u:p@db:5432/app' }\n});\n", 1, "postgresql://u:p@db:5432/app",
     NULL},
    /* given, but not something read without running the file */
    {HEAD "  datasource: { directUrl: process.env.A ?? process.env.B },\n});\n", 1, NULL, NULL},
    {HEAD "  datasource: { directUrl: `postgresql://${host}/app` },\n});\n", 1, NULL, NULL},
    {HEAD "  datasource: { directUrl: env(name) },\n});\n", 1, NULL, NULL},
    /* not in the datasource object, or nested deeper in it, or in a comment */
    {HEAD "  directUrl: env(\"X\"),\n  datasource: { url: env(\"DATABASE_URL\") },\n});\n", 0, NULL, NULL},
    {HEAD "  datasource: { options: { directUrl: env(\"X\") } },\n});\n", 0, NULL, NULL},
    {HEAD "  datasource: {\n    // directUrl: env(\"X\"),\n    url: env(\"DATABASE_URL\"),\n  },\n});\n", 0, NULL,
     NULL},
    /* cut short */
    {HEAD "  datasource: { directUrl: env(", 1, NULL, NULL},
};

static void test_config_direct_url(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const struct direct_url_case *c = &cases[i];
		struct schema_url_ref ref;
		int found = schema_config_direct_url(c->text, strlen(c->text), &ref);

		EXPECT_SHOWING(found == c->found && ref.given == (c->found == 1), "case %zu: found %d, expected %d", i,
		               found, c->found);
		EXPECT_SHOWING((!c->value && !ref.text) || (c->value && ref.text && strcmp(ref.text, c->value) == 0),
		               "case %zu: value '%s'", i, ref.text ? ref.text : "(none)");
		EXPECT_SHOWING((!c->env_name && !ref.env_name) ||
		                   (c->env_name && ref.env_name && strcmp(ref.env_name, c->env_name) == 0),
		               "case %zu: env '%s'", i, ref.env_name ? ref.env_name : "(none)");
		schema_url_ref_release(&ref);
	}
}

/* Text that ends anywhere (a file cut short) is read without reading past it. */
static void test_cut_anywhere(void **state)
{
	const char *text = cases[1].text;
	size_t len = strlen(text);

	(void)state;
	for (size_t cut = 0; cut <= len; cut++) {
		char *copy = malloc(cut ? cut : 1);
		struct schema_url_ref ref;

		memcpy(copy, text, cut);
		assert_in_range(schema_config_direct_url(copy, cut, &ref), 0, 1);
		schema_url_ref_release(&ref);
		free(copy);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_config_direct_url),
	    cmocka_unit_test(test_cut_anywhere),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
