/* Unit tests for schema-psl.c: the client generator and the datasource's
 * directUrl of Prisma schema text, from tables of schemas, without files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "schema-psl.h"
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

struct generator_case {
	const char *text;
	int found;
	bool js, output_given;
	const char *output; /* NULL: none */
};

static const struct generator_case generator_cases[] = {
    {"", 0, false, false, NULL},
    {"model A {\n  id Int @id\n}\n", 0, false, false, NULL},
    {"generator client {\n  provider = \"prisma-client-js\"\n}\n", 1, true, false, NULL},
    {"generator client {\n  provider = \"prisma-client-js\"\n  output = \"../generated\"\n}\n", 1, true, true,
     "../generated"},
    {"generator client {\n  provider = \"prisma-client\"\n  output   = \"./gen\"\n}\n", 1, false, true, "./gen"},
    /* an output that is not a plain string is given, but unknown */
    {"generator client {\n  provider = \"prisma-client-js\"\n  output = env(\"OUT\")\n}\n", 1, true, true, NULL},
    /* other generators first, the client's one wins */
    {"generator erd {\n  provider = \"prisma-erd-generator\"\n  output = \"erd.svg\"\n}\n"
     "generator client {\n  provider = \"prisma-client-js\"\n}\n",
     1, true, false, NULL},
    /* comments and strings are not blocks */
    {"// generator client { provider = \"prisma-client-js\" }\nmodel A { id Int @id }\n", 0, false, false, NULL},
    {"generator client {\n  provider = \"prisma-client-js\" // output = \"x\"\n}\n", 1, true, false, NULL},
    /* escapes in the output string */
    {"generator client {\n  provider = \"prisma-client\"\n  output = \"a\\\"b\"\n}\n", 1, false, true, "a\"b"},
    /* a provider nested deeper than the block's own settings does not count */
    {"generator client {\n  config = { provider = \"prisma-client-js\" }\n}\n", 0, false, false, NULL},
};

static void test_client_generator(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(generator_cases); i++) {
		const struct generator_case *c = &generator_cases[i];
		struct schema_generator generator;
		int found = schema_client_generator(c->text, strlen(c->text), &generator);

		EXPECT_SHOWING(found == c->found, "case %zu: found %d, expected %d", i, found, c->found);
		EXPECT_SHOWING(generator.js == c->js && generator.output_given == c->output_given,
		               "case %zu: js %d output_given %d", i, generator.js, generator.output_given);
		if (c->output)
			EXPECT_SHOWING(generator.output && strcmp(generator.output, c->output) == 0,
			               "case %zu: output '%s', expected '%s'", i,
			               generator.output ? generator.output : "(none)", c->output);
		else
			EXPECT_SHOWING(!generator.output, "case %zu: output '%s', expected none", i, generator.output);
		free(generator.output);
		free(generator.engine_type);
	}
}

struct direct_url_case {
	const char *text;
	int found;
	const char *value;    /* NULL: none */
	const char *env_name; /* NULL: none */
};

static const struct direct_url_case direct_url_cases[] = {
    {"datasource db {\n  provider = \"postgresql\"\n  url = env(\"DATABASE_URL\")\n}\n", 0, NULL, NULL},
    {"datasource db {\n  provider  = \"postgresql\"\n  url       = env(\"DATABASE_URL\")\n  directUrl = "
     "env(\"DIRECT_URL\")\n}\n",
     1, NULL, "DIRECT_URL"},
    {"datasource db {\n  directUrl = \"postgresql://u:p@db:5432/app\"\n}\n", 1, "postgresql://u:p@db:5432/app", NULL},
    /* given, but neither a string nor env("...") */
    {"datasource db {\n  directUrl = env(NAME)\n}\n", 1, NULL, NULL},
    /* commented out; in another block; in a generator */
    {"datasource db {\n  // directUrl = env(\"DIRECT_URL\")\n  url = env(\"DATABASE_URL\")\n}\n", 0, NULL, NULL},
    {"generator client {\n  directUrl = env(\"X\")\n}\ndatasource db {\n  url = env(\"DATABASE_URL\")\n}\n", 0, NULL,
     NULL},
    {"model A {\n  id Int @id\n}\ndatasource db {\n  directUrl = env(\"POOL_DIRECT\")\n}\n", 1, NULL, "POOL_DIRECT"},
    /* cut short */
    {"datasource db {\n  directUrl = env(", 1, NULL, NULL},
};

/* The client generator's engineType, a plain string only, and only its own. */
static void test_engine_type(void **state)
{
	static const struct {
		const char *text;
		const char *engine_type; /* NULL: none */
	} cases[] = {
	    {"generator client {\n  provider = \"prisma-client-js\"\n}\n", NULL},
	    {"generator client {\n  provider = \"prisma-client-js\"\n  engineType = \"binary\"\n}\n", "binary"},
	    {"generator client {\n  engineType = \"client\"\n  provider = \"prisma-client\"\n  output = \"g\"\n}\n",
	     "client"},
	    {"generator client {\n  provider = \"prisma-client-js\"\n  engineType = env(\"X\")\n}\n", NULL},
	    /* another generator's engineType is not the client's */
	    {"generator other {\n  provider = \"x\"\n  engineType = \"binary\"\n}\n"
	     "generator client {\n  provider = \"prisma-client-js\"\n}\n",
	     NULL},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct schema_generator generator;

		assert_int_equal(schema_client_generator(cases[i].text, strlen(cases[i].text), &generator), 1);
		if (cases[i].engine_type)
			EXPECT_SHOWING(
			    generator.engine_type && strcmp(generator.engine_type, cases[i].engine_type) == 0,
			    "case %zu: engineType %s", i, generator.engine_type ? generator.engine_type : "(none)");
		else
			EXPECT_SHOWING(!generator.engine_type, "case %zu: engineType %s, expected none", i,
			               generator.engine_type);
		free(generator.output);
		free(generator.engine_type);
	}
}

static void test_datasource_direct_url(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(direct_url_cases); i++) {
		const struct direct_url_case *c = &direct_url_cases[i];
		struct schema_url_ref ref;
		int found = schema_datasource_direct_url(c->text, strlen(c->text), &ref);

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
	const char *text = "generator client {\n  provider = \"prisma-client\"\n  output = \"./gen\"\n}\n";
	size_t len = strlen(text);

	(void)state;
	for (size_t cut = 0; cut <= len; cut++) {
		char *copy = malloc(cut ? cut : 1);
		struct schema_generator generator;

		memcpy(copy, text, cut);
		assert_in_range(schema_client_generator(copy, cut, &generator), 0, 1);
		free(generator.output);
		free(generator.engine_type);
		free(copy);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_client_generator),
	    cmocka_unit_test(test_cut_anywhere),
	    cmocka_unit_test(test_datasource_direct_url),
	    cmocka_unit_test(test_engine_type),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
