/* Unit tests for schema.c: finding the Prisma schema (every rule and its
 * precedence, folders, config files, package.json), the generated client's
 * location, and the digest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testlib.h"

#include "schema.h"

#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Every test gets a fresh temporary directory: the project's working
 * directory, given to schema_find() as base_dir. */
struct fixture {
	char dir[64];
	struct schema_inputs inputs;
	char error[512];
};

static int setup(void **state)
{
	struct fixture *fx = FIXTURE_TREE_NEW(struct fixture, "schema");

	if (!fx)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	int rc = tree_remove(fx->dir);

	schema_inputs_release(&fx->inputs);
	free(fx);
	return rc;
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

/* Writes dir/rel with the given bytes, creating its folders. */
static void write_bytes(const struct fixture *fx, const char *rel, const char *data, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fx->dir, rel);
	for (char *slash = strchr(path + strlen(fx->dir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", path, strerror(errno));
		*slash = '/';
	}
	f = fopen(path, "wb");
	if (!f)
		fail_msg("cannot write %s: %s", path, strerror(errno));
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void write_file(const struct fixture *fx, const char *rel, const char *text)
{
	write_bytes(fx, rel, text, strlen(text));
}

static void make_dir(const struct fixture *fx, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", fx->dir, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static void make_link(const struct fixture *fx, const char *target, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", fx->dir, rel);
	assert_int_equal(symlink(target, path), 0);
}

/* schema_find() from the fixture's directory; the inputs of an earlier call
 * are released first. */
static int find(struct fixture *fx, const char *configured)
{
	schema_inputs_release(&fx->inputs);
	fx->error[0] = '\0';
	return schema_find(fx->dir, configured, &fx->inputs, NULL, fx->error, sizeof(fx->error));
}

static void assert_found(struct fixture *fx, const char *configured, enum schema_rule rule, const char *path)
{
	int found = find(fx, configured);

	if (found != 1)
		fail_msg("expected %s from %s, got %d: %s", path, schema_rule_name(rule), found, fx->error);
	assert_string_equal(fx->inputs.schema_path, path);
	assert_int_equal(fx->inputs.rule, rule);
	assert_string_equal(fx->inputs.base_dir, fx->dir);
}

static void assert_error(struct fixture *fx, const char *configured, const char *part)
{
	int found = find(fx, configured);

	if (found != -1)
		fail_msg("expected an error with '%s', got %d", part, found);
	if (!strstr(fx->error, part))
		fail_msg("error '%s' does not say '%s'", fx->error, part);
	assert_null(strchr(fx->error, '\n'));
	assert_null(fx->inputs.schema_path);
	assert_int_equal(fx->inputs.file_count, 0);
}

static void assert_files(const struct fixture *fx, const char *const *files, size_t count)
{
	if (fx->inputs.file_count != count)
		fail_msg("%zu files found, expected %zu", fx->inputs.file_count, count);
	for (size_t i = 0; i < count; i++)
		assert_string_equal(fx->inputs.files[i], files[i]);
}

static void digest(struct fixture *fx, char hex[65])
{
	if (schema_digest(&fx->inputs, NULL, hex, NULL, fx->error, sizeof(fx->error)) != 0)
		fail_msg("digest failed: %s", fx->error);
	assert_int_equal(strlen(hex), 64);
	assert_int_equal(strspn(hex, "0123456789abcdef"), 64);
}

static const char schema_text[] = "datasource db {\n"
                                  "  provider = \"postgresql\"\n"
                                  "  url      = env(\"DATABASE_URL\")\n"
                                  "}\n"
                                  "\n"
                                  "generator client {\n"
                                  "  provider = \"prisma-client-js\"\n"
                                  "}\n"
                                  "\n"
                                  "model User {\n"
                                  "  id    Int    @id @default(autoincrement())\n"
                                  "  email String @unique\n"
                                  "}\n";

/* ---- the rules and their precedence ------------------------------------ */

static void test_nothing_found(void **state)
{
	struct fixture *fx = *state;

	write_file(fx, "package.json", "{\"name\": \"app\", \"version\": \"1.0.0\"}");
	write_file(fx, "prisma/other.prisma", schema_text); /* not a default location */
	assert_int_equal(find(fx, NULL), 0);
	assert_null(fx->inputs.schema_path);
	assert_null(fx->inputs.base_dir);
	assert_null(fx->inputs.files);
	assert_int_equal(find(fx, ""), 0); /* an empty setting is no setting */
}

static void test_default_prisma_dir(void **state)
{
	struct fixture *fx = *state;
	static const char *const files[] = {"prisma/schema.prisma"};

	write_file(fx, "prisma/schema.prisma", schema_text);
	write_file(fx, "prisma/extra.prisma", "model Extra {\n id Int @id\n}\n"); /* a single file: not included */
	assert_found(fx, NULL, SCHEMA_DEFAULT_PRISMA_DIR, "prisma/schema.prisma");
	assert_files(fx, files, ARRAY_LEN(files));
	assert_null(fx->inputs.config_file);
	assert_null(fx->inputs.prisma_version);
	assert_null(fx->inputs.client_version);
}

static void test_default_root_before_prisma_dir(void **state)
{
	struct fixture *fx = *state;
	static const char *const files[] = {"schema.prisma"};

	write_file(fx, "prisma/schema.prisma", schema_text);
	write_file(fx, "schema.prisma", schema_text);
	assert_found(fx, NULL, SCHEMA_DEFAULT_ROOT, "schema.prisma");
	assert_files(fx, files, ARRAY_LEN(files));
}

static void test_default_locations_are_files_only(void **state)
{
	struct fixture *fx = *state;

	write_file(fx, "schema.prisma/a.prisma", schema_text); /* a folder named schema.prisma */
	assert_int_equal(find(fx, NULL), 0);
	write_file(fx, "prisma/schema.prisma", schema_text);
	assert_found(fx, NULL, SCHEMA_DEFAULT_PRISMA_DIR, "prisma/schema.prisma");
}

static void test_package_json_rule(void **state)
{
	struct fixture *fx = *state;
	static const char *const files[] = {"db/main.prisma"};

	write_file(fx, "schema.prisma", schema_text);
	write_file(fx, "db/main.prisma", schema_text);
	write_file(fx, "package.json",
	           "{\n"
	           "  \"name\": \"my-app\",\n"
	           "  \"version\": \"1.2.3\",\n"
	           "  \"scripts\": {\"build\": \"tsc -p . && echo \\\"done\\\"\", \"schema\": \"x\"},\n"
	           "  \"dependencies\": {\"@prisma/client\": \"^6.19.0\"},\n"
	           "  \"prisma\": {\n"
	           "    \"seed\": \"node prisma/seed.js\",\n"
	           "    \"schema\": \"./db/main.prisma\"\n"
	           "  }\n"
	           "}\n");
	assert_found(fx, NULL, SCHEMA_FROM_PACKAGE_JSON, "db/main.prisma");
	assert_files(fx, files, ARRAY_LEN(files));
	assert_string_equal(schema_rule_name(fx->inputs.rule), "package.json prisma.schema");
}

static void test_package_json_ignored_by_prisma_7(void **state)
{
	struct fixture *fx = *state;

	write_file(fx, "schema.prisma", schema_text);
	write_file(fx, "db/main.prisma", schema_text);
	write_file(fx, "package.json", "{\"prisma\": {\"schema\": \"db/main.prisma\"}}");
	write_file(fx, "node_modules/prisma/package.json", "{\"name\": \"prisma\", \"version\": \"7.0.1\"}");
	assert_found(fx, NULL, SCHEMA_DEFAULT_ROOT, "schema.prisma");
	assert_string_equal(fx->inputs.prisma_version, "7.0.1");
	write_file(fx, "node_modules/prisma/package.json", "{\"name\": \"prisma\", \"version\": \"6.19.0\"}");
	assert_found(fx, NULL, SCHEMA_FROM_PACKAGE_JSON, "db/main.prisma");
}

static void test_package_json_that_misses_the_schema(void **state)
{
	struct fixture *fx = *state;

	write_file(fx, "package.json", "{\"prisma\": {\"schema\": \"db/missing.prisma\"}}");
	write_file(fx, "schema.prisma", schema_text);
	assert_error(fx, NULL, "db/missing.prisma");
	assert_error(fx, NULL, "package.json prisma.schema");
}

/* The scan takes top-level keys only, and plain strings only. */
static void test_package_json_scan(void **state)
{
	struct fixture *fx = *state;

	write_file(fx, "schema.prisma", schema_text);
	/* "version" inside other objects, in strings and escaped keys first. */
	write_file(fx, "node_modules/prisma/package.json",
	           "{\r\n\t\"name\" : \"prisma\" ,\n"
	           "\t\"description\": \"not \\\"version\\\": \\\"1.0.0\\\", {\\\\\",\n"
	           "\t\"engines\": {\"node\": \">=18\", \"version\": \"0.0.1\"},\n"
	           "\t\"files\": [\"build\", {\"version\": \"0.0.2\"}, 1.5e3, -2, true, null],\n"
	           "\t\"versions\": \"0.0.3\",\n"
	           "\t\"version\"\n:\n\"6.19.0\"\n"
	           "}\n");
	/* Only nested: no version. */
	write_file(fx, "node_modules/@prisma/client/package.json",
	           "{\"name\": \"@prisma/client\", \"publishConfig\": {\"version\": \"9.9.9\"}}");
	assert_found(fx, NULL, SCHEMA_DEFAULT_ROOT, "schema.prisma");
	assert_string_equal(fx->inputs.prisma_version, "6.19.0");
	assert_null(fx->inputs.client_version);

	/* The last of repeated keys, escapes decoded; a non-string is none. */
	write_file(fx, "node_modules/@prisma/client/package.json",
	           "{\"version\": \"1.0.0\", \"v\\u0065rsion\": \"6.19.0-dev.\\u00e9\\ud83d\\ude00\"}");
	write_file(fx, "node_modules/prisma/package.json", "{\"version\": 6}");
	assert_found(fx, NULL, SCHEMA_DEFAULT_ROOT, "schema.prisma");
	assert_string_equal(fx->inputs.client_version, "6.19.0-dev.\xc3\xa9\xf0\x9f\x98\x80");
	assert_null(fx->inputs.prisma_version);

	/* prisma.schema must be a string inside the top-level "prisma" object. */
	write_file(fx, "package.json",
	           "{\"config\": {\"prisma\": {\"schema\": \"db/a.prisma\"}}, \"prisma\": "
	           "{\"seed\": {\"schema\": \"db/b.prisma\"}}}");
	assert_found(fx, NULL, SCHEMA_DEFAULT_ROOT, "schema.prisma");
	write_file(fx, "package.json", "{\"prisma\": \"schema\", \"schema\": \"db/c.prisma\"}");
	assert_found(fx, NULL, SCHEMA_DEFAULT_ROOT, "schema.prisma");
	write_file(fx, "package.json", "[\"prisma\"]");
	assert_found(fx, NULL, SCHEMA_DEFAULT_ROOT, "schema.prisma");
}

static void test_invalid_package_json(void **state)
{
	struct fixture *fx = *state;
	static const char *const broken[] = {
	    "",
	    "{\"prisma\": {\"schema\": \"x.prisma\"}",           /* unterminated */
	    "{\"prisma\": {\"schema\": \"x.prisma\"}} trailing", /* text after the end */
	    "{\"a\": 'single'}",
	    "{\"a\": \"bad \\x escape\"}",
	    "{\"a\": 1,}",
	    "{\"a\": 01x}",
	    "{\"a\": \"line\nbreak\"}",
	};

	write_file(fx, "schema.prisma", schema_text);
	for (size_t i = 0; i < ARRAY_LEN(broken); i++) {
		write_file(fx, "package.json", broken[i]);
		assert_error(fx, NULL, "package.json is not valid JSON");
	}
	write_file(fx, "package.json", "{}");
	write_file(fx, "node_modules/@prisma/client/package.json", "{\"version\": ");
	assert_error(fx, NULL, "node_modules/@prisma/client/package.json is not valid JSON");
}

static void test_setting_first(void **state)
{
	struct fixture *fx = *state;
	static const char *const files[] = {"custom/app.prisma"};

	write_file(fx, "schema.prisma", schema_text);
	write_file(fx, "custom/app.prisma", schema_text);
	write_file(fx, "package.json", "{\"prisma\": {\"schema\": \"schema.prisma\"}}");
	write_file(fx, "prisma.config.ts", "export default { schema: 'schema.prisma' }\n");
	assert_found(fx, "./custom/../custom/app.prisma", SCHEMA_FROM_SETTING, "custom/app.prisma");
	assert_files(fx, files, ARRAY_LEN(files));
	assert_string_equal(fx->inputs.config_file, "prisma.config.ts"); /* still in the digest */
	assert_string_equal(schema_rule_name(fx->inputs.rule), "the schema setting");
}

static void test_setting_that_does_not_exist(void **state)
{
	struct fixture *fx = *state;

	write_file(fx, "schema.prisma", schema_text);
	assert_error(fx, "prisma/missing.prisma", "prisma/missing.prisma");
	assert_error(fx, "prisma/missing.prisma", "does not exist");
	assert_error(fx, "prisma/missing.prisma", "the schema setting");
	assert_error(fx, "schema.prisma/x", "does not exist"); /* ENOTDIR */
}

static void test_setting_absolute(void **state)
{
	struct fixture *fx = *state;
	char path[PATH_MAX];

	write_file(fx, "elsewhere/s.prisma", schema_text);
	snprintf(path, sizeof(path), "%s/elsewhere/./s.prisma", fx->dir);
	assert_int_equal(find(fx, path), 1);
	snprintf(path, sizeof(path), "%s/elsewhere/s.prisma", fx->dir);
	assert_string_equal(fx->inputs.schema_path, path);
	assert_string_equal(fx->inputs.files[0], path);
}

static void test_config_file_rule(void **state)
{
	struct fixture *fx = *state;
	static const char *const files[] = {"db/schema.prisma"};

	write_file(fx, "schema.prisma", schema_text);
	write_file(fx, "db/schema.prisma", schema_text);
	write_file(fx, "package.json", "{\"prisma\": {\"schema\": \"schema.prisma\"}}");
	write_file(fx, "prisma.config.ts",
	           "import 'dotenv/config'\n"
	           "import { defineConfig, env } from 'prisma/config'\n"
	           "// schema: 'commented/out.prisma',\n"
	           "/* { schema: \"block/comment.prisma\" } */\n"
	           "const note = \"{ schema: 'in/a/string' }\"\n"
	           "export default defineConfig({\n"
	           "  migrations: { path: 'db/migrations', seed: `tsx db/seed.ts` },\n"
	           "  schema: 'db/schema.prisma',\n"
	           "  datasource: { url: env('DATABASE_URL') },\n"
	           "})\n");
	assert_found(fx, NULL, SCHEMA_FROM_CONFIG_FILE, "db/schema.prisma");
	assert_files(fx, files, ARRAY_LEN(files));
	assert_string_equal(fx->inputs.config_file, "prisma.config.ts");
	assert_string_equal(schema_rule_name(fx->inputs.rule), "prisma.config.ts");
}

static void test_config_file_variants(void **state)
{
	struct fixture *fx = *state;
	static const char *const extensions[] = {"ts", "js", "mjs", "cjs", "mts", "cts"};
	char name[PATH_MAX];

	write_file(fx, "prisma/schema.prisma", schema_text);
	write_file(fx, "db/a.prisma", schema_text);
	for (size_t i = 0; i < ARRAY_LEN(extensions); i++) {
		snprintf(name, sizeof(name), "prisma.config.%s", extensions[i]);
		write_file(fx, name, "module.exports = {\"schema\": \"db/a.prisma\"}\n");
		assert_found(fx, NULL, SCHEMA_FROM_CONFIG_FILE, "db/a.prisma");
		assert_string_equal(fx->inputs.config_file, name);
		snprintf(name, sizeof(name), "%s/prisma.config.%s", fx->dir, extensions[i]);
		assert_int_equal(unlink(name), 0);

		/* .config/prisma.EXT: relative to the .config folder. */
		snprintf(name, sizeof(name), ".config/prisma.%s", extensions[i]);
		write_file(fx, name, "export default {\n\tschema: `../db/a.prisma`,\n}\n");
		assert_found(fx, NULL, SCHEMA_FROM_CONFIG_FILE, "db/a.prisma");
		assert_string_equal(fx->inputs.config_file, name);
		snprintf(name, sizeof(name), "%s/.config/prisma.%s", fx->dir, extensions[i]);
		assert_int_equal(unlink(name), 0);
	}

	/* prisma.config.ts comes before .config/prisma.ts, and .ts before .js. */
	write_file(fx, ".config/prisma.ts", "export default { schema: '../prisma/schema.prisma' }");
	write_file(fx, "prisma.config.js", "export default { schema: 'db' }");
	write_file(fx, "prisma.config.ts", "export default { schema: 'db/a.prisma' }");
	assert_found(fx, NULL, SCHEMA_FROM_CONFIG_FILE, "db/a.prisma");
	assert_string_equal(fx->inputs.config_file, "prisma.config.ts");

	/* A config file without `schema`: the next rules, the file still noted. */
	write_file(fx, "prisma.config.ts",
	           "export default defineConfig({ migrations: { path: 'x' }, "
	           "schemaPath: 'db', obj: { 'schema-x': 1 }, list: ['schema', 'db'] })");
	assert_found(fx, NULL, SCHEMA_DEFAULT_PRISMA_DIR, "prisma/schema.prisma");
	assert_string_equal(fx->inputs.config_file, "prisma.config.ts");
}

static void test_config_file_not_a_literal(void **state)
{
	struct fixture *fx = *state;
	static const char *const configs[] = {
	    "import path from 'node:path'\nexport default defineConfig({ schema: path.join('prisma', 'schema') })",
	    "const schema = 'prisma/schema.prisma'\nexport default defineConfig({ schema })",
	    "const schema = 'prisma/schema.prisma'\nexport default defineConfig({ schema, migrations: {} })",
	    "export default { schema: `${dir}/schema.prisma` }",
	    "export default { schema: 'prisma/' + 'schema.prisma' }",
	    "export default { schema: process.env.PRISMA_SCHEMA ?? 'prisma' }",
	    "export default { schema: 'prisma\\nschema' }",
	    "export default { schema: 'unterminated }",
	};

	write_file(fx, "prisma/schema.prisma", schema_text);
	for (size_t i = 0; i < ARRAY_LEN(configs); i++) {
		write_file(fx, "prisma.config.ts", configs[i]);
		assert_error(fx, NULL,
		             "prisma.config.ts computes the schema's path (`schema` is not a plain string literal)");
		assert_error(fx, NULL, "give the path with --schema PATH, PRISMA_ENTRYPOINT_SCHEMA=PATH");
		/* With the setting, the config file's schema does not matter. */
		assert_found(fx, "prisma/schema.prisma", SCHEMA_FROM_SETTING, "prisma/schema.prisma");
	}
}

static void test_config_file_schema_that_does_not_exist(void **state)
{
	struct fixture *fx = *state;

	write_file(fx, "schema.prisma", schema_text);
	write_file(fx, ".config/prisma.mjs", "export default { schema: 'prisma/schema.prisma' }");
	assert_error(fx, NULL, "the schema .config/prisma/schema.prisma (from .config/prisma.mjs) does not exist");
}

/* ---- folders ------------------------------------------------------------- */

static void test_folder_schema(void **state)
{
	struct fixture *fx = *state;
	static const char *const files[] = {
	    "prisma/schema/.hidden.prisma",  "prisma/schema/Z.prisma",    "prisma/schema/a.prisma",
	    "prisma/schema/a/b/deep.prisma", "prisma/schema/a/c.prisma",  "prisma/schema/a_b.prisma",
	    "prisma/schema/linked/x.prisma", "prisma/schema/main.prisma", "prisma/schema/z-dir/file.prisma",
	};

	write_file(fx, "prisma/schema/main.prisma", schema_text);
	write_file(fx, "prisma/schema/a.prisma", "model A {\n id Int @id\n}\n");
	write_file(fx, "prisma/schema/a_b.prisma", "model AB {\n id Int @id\n}\n");
	write_file(fx, "prisma/schema/Z.prisma", "model Z {\n id Int @id\n}\n");
	write_file(fx, "prisma/schema/a/c.prisma", "model C {\n id Int @id\n}\n");
	write_file(fx, "prisma/schema/a/b/deep.prisma", "model D {\n id Int @id\n}\n");
	write_file(fx, "prisma/schema/z-dir/file.prisma", "model F {\n id Int @id\n}\n");
	write_file(fx, "prisma/schema/.hidden.prisma", "model H {\n id Int @id\n}\n");
	write_file(fx, "prisma/schema/.prisma", "not a schema file: no extension");
	write_file(fx, "prisma/schema/notes.md", "# notes");
	write_file(fx, "prisma/schema/x.prisma.bak", "old");
	write_file(fx, "prisma/schema/migrations/20240101000000_init/migration.sql", "CREATE TABLE a ();");
	write_file(fx, "shared/x.prisma", "model X {\n id Int @id\n}\n");
	make_link(fx, "../../shared", "prisma/schema/linked"); /* followed, as Prisma does */
	make_link(fx, "..", "prisma/schema/a/up");             /* a loop: skipped */
	make_link(fx, "missing.prisma", "prisma/schema/dangling.prisma");
	make_dir(fx, "prisma/schema/empty");

	assert_found(fx, "prisma/schema", SCHEMA_FROM_SETTING, "prisma/schema");
	assert_files(fx, files, ARRAY_LEN(files));

	/* Trailing slashes and "./" do not change the paths. */
	assert_found(fx, "./prisma/schema/", SCHEMA_FROM_SETTING, "prisma/schema");
	assert_files(fx, files, ARRAY_LEN(files));
}

/* Nine folders that each link to all the others: every folder is walked
 * once (by device and inode), not once per path to it, which was 986,000
 * files. The first path in name order wins, the same on every run. */
static void test_folder_links_are_walked_once(void **state)
{
	struct fixture *fx = *state;
	enum { FOLDERS = 9 };
	char first[FOLDERS * 8];
	char hex[65], again[65];

	write_file(fx, "prisma/schema/main.prisma", schema_text);
	for (int i = 0; i < FOLDERS; i++) {
		char rel[64], model[64];

		snprintf(rel, sizeof(rel), "prisma/schema/d%d/f%d.prisma", i, i);
		snprintf(model, sizeof(model), "model M%d {\n id Int @id\n}\n", i);
		write_file(fx, rel, model);
	}
	for (int i = 0; i < FOLDERS; i++)
		for (int j = 0; j < FOLDERS; j++) {
			char target[16], rel[64];

			if (i == j)
				continue;
			snprintf(target, sizeof(target), "../d%d", j);
			snprintf(rel, sizeof(rel), "prisma/schema/d%d/to_d%d", i, j);
			make_link(fx, target, rel);
		}
	assert_found(fx, "prisma/schema", SCHEMA_FROM_SETTING, "prisma/schema");
	assert_int_equal(fx->inputs.file_count, FOLDERS + 1);
	first[0] = '\0';
	for (int i = 0; i < FOLDERS; i++) {
		char name[16];
		int seen = 0;

		snprintf(name, sizeof(name), "/f%d.prisma", i);
		for (size_t k = 0; k < fx->inputs.file_count; k++)
			seen += strstr(fx->inputs.files[k], name) != NULL;
		if (seen != 1)
			fail_msg("%s is listed %d times", name + 1, seen);
	}
	assert_string_equal(fx->inputs.files[0], "prisma/schema/d0/f0.prisma");
	assert_string_equal(fx->inputs.files[1], "prisma/schema/d0/to_d1/f1.prisma");
	snprintf(first, sizeof(first), "%s", fx->inputs.files[2]);
	digest(fx, hex);
	assert_found(fx, "prisma/schema", SCHEMA_FROM_SETTING, "prisma/schema");
	assert_string_equal(fx->inputs.files[2], first);
	digest(fx, again);
	assert_string_equal(hex, again);
}

static void test_folder_from_config_and_root(void **state)
{
	struct fixture *fx = *state;
	static const char *const files[] = {"models/a.prisma", "models/b.prisma"};
	static const char *const root_files[] = {"b.prisma", "models/a.prisma", "models/b.prisma"};

	write_file(fx, "models/b.prisma", schema_text);
	write_file(fx, "models/a.prisma", "model A {\n id Int @id\n}\n");
	write_file(fx, "prisma.config.ts", "export default { schema: './models/' }");
	assert_found(fx, NULL, SCHEMA_FROM_CONFIG_FILE, "models");
	assert_files(fx, files, ARRAY_LEN(files));

	write_file(fx, "b.prisma", "model B {\n id Int @id\n}\n");
	assert_found(fx, ".", SCHEMA_FROM_SETTING, ".");
	assert_files(fx, root_files, ARRAY_LEN(root_files));
}

static void test_folder_without_schema_files(void **state)
{
	struct fixture *fx = *state;

	write_file(fx, "prisma/schema/readme.txt", "nothing here");
	assert_error(fx, "prisma/schema",
	             "the schema folder prisma/schema (from the schema setting) holds no .prisma file");
}

/* ---- the generated client's location ------------------------------------ */

static void assert_output(struct fixture *fx, const char *configured, const char *output)
{
	assert_int_equal(find(fx, configured), 1);
	if (!output && fx->inputs.generator_output)
		fail_msg("output %s, expected none", fx->inputs.generator_output);
	if (output && !fx->inputs.generator_output)
		fail_msg("no output, expected %s", output);
	if (output)
		assert_string_equal(fx->inputs.generator_output, output);
}

static void test_generator_output(void **state)
{
	struct fixture *fx = *state;

	write_file(fx, "prisma/schema.prisma", schema_text);
	assert_output(fx, NULL, "node_modules/.prisma/client");

	/* Relative to the folder of the file that holds the generator. */
	write_file(fx, "prisma/schema.prisma",
	           "// generator old { provider = \"prisma-client-js\" output = \"x\" }\n"
	           "datasource db {\n  provider = \"postgresql\"\n}\n"
	           "generator docs {\n  provider = \"prisma-docs-generator\"\n"
	           "  output   = \"../docs\"\n}\n"
	           "model generator {\n  id Int @id // output = \"no\"\n}\n"
	           "generator client {\n"
	           "  provider        = \"prisma-client\" // the new one\n"
	           "  // output = \"../commented\"\n"
	           "  previewFeatures = [\"views\"]\n"
	           "  binaryTargets   = [\"native\", \"debian-openssl-3.0.x\"]\n"
	           "  output          = \"../src/generated//prisma\"\n"
	           "}\n");
	assert_output(fx, NULL, "src/generated/prisma");

	/* prisma-client needs an output; env() is not a plain string. */
	write_file(fx, "prisma/schema.prisma", "generator client {\n  provider = \"prisma-client\"\n}\n");
	assert_output(fx, NULL, NULL);
	write_file(fx, "prisma/schema.prisma",
	           "generator client {\n  provider = \"prisma-client-js\"\n  output = env(\"CLIENT_OUT\")\n}\n");
	assert_output(fx, NULL, NULL);
	write_file(fx, "prisma/schema.prisma", "datasource db {\n  provider = \"sqlite\"\n}\n");
	assert_output(fx, NULL, NULL);
}

static void test_generator_output_in_a_folder_schema(void **state)
{
	struct fixture *fx = *state;

	write_file(fx, "prisma/schema/models/user.prisma", "model User {\n  id Int @id\n}\n");
	write_file(fx, "prisma/schema/config/generate.prisma",
	           "generator client {\n  output   = \"../../../generated/client\"\n"
	           "  provider = \"prisma-client-js\"\n}\n");
	write_file(fx, "prisma/schema/zz.prisma",
	           "generator second {\n  provider = \"prisma-client-js\"\n  output = \"later\"\n}\n");
	assert_output(fx, "prisma/schema", "generated/client");
}

/* The prisma-client generator reads the nearest tsconfig.json above its
 * output folder, the folder itself first; prisma-client-js reads none. */
static void test_tsconfig_nearest_to_the_output(void **state)
{
	struct fixture *fx = *state;
	static const char ts_schema[] = "generator client {\n  provider = \"prisma-client\"\n"
	                                "  output   = \"../src/generated/prisma\"\n}\n";

	write_file(fx, "prisma/schema.prisma", ts_schema);
	assert_int_equal(find(fx, NULL), 1);
	assert_true(fx->inputs.generator_typescript);
	assert_null(fx->inputs.tsconfig_file);
	write_file(fx, "tsconfig.json", "{}\n");
	write_file(fx, "prisma/tsconfig.json", "{}\n"); /* beside the schema: not on the way up */
	assert_int_equal(find(fx, NULL), 1);
	assert_string_equal(fx->inputs.tsconfig_file, "tsconfig.json");
	write_file(fx, "src/generated/tsconfig.json/x", "a folder by that name is no tsconfig\n");
	write_file(fx, "src/tsconfig.json", "{}\n");
	assert_int_equal(find(fx, NULL), 1);
	assert_string_equal(fx->inputs.tsconfig_file, "src/tsconfig.json");
	write_file(fx, "src/generated/prisma/tsconfig.json", "{}\n");
	assert_int_equal(find(fx, NULL), 1);
	assert_string_equal(fx->inputs.tsconfig_file, "src/generated/prisma/tsconfig.json");

	write_file(fx, "prisma/schema.prisma",
	           "generator client {\n  provider = \"prisma-client-js\"\n"
	           "  output   = \"../src/generated/prisma\"\n}\n");
	assert_int_equal(find(fx, NULL), 1);
	assert_false(fx->inputs.generator_typescript);
	assert_null(fx->inputs.tsconfig_file);
}

/* ---- the digest ----------------------------------------------------------- */

static void set_up_project(struct fixture *fx)
{
	write_file(fx, "prisma/schema/main.prisma", schema_text);
	write_file(fx, "prisma/schema/post.prisma", "model Post {\n  id Int @id\n}\n");
	write_file(fx, "prisma.config.ts", "export default { schema: 'prisma/schema' }\n");
	write_file(fx, "node_modules/prisma/package.json", "{\"version\": \"6.19.0\"}");
	write_file(fx, "node_modules/@prisma/client/package.json", "{\"version\": \"6.19.0\"}");
	write_file(fx, "src/server.js", "console.log('hi')\n");
}

/* Finds the project again and returns its digest in hex. */
static void refind_digest(struct fixture *fx, char hex[65])
{
	assert_int_equal(find(fx, NULL), 1);
	digest(fx, hex);
}

static void assert_digest_changes(struct fixture *fx, char before[65], const char *what)
{
	char after[65];

	refind_digest(fx, after);
	if (strcmp(before, after) == 0)
		fail_msg("the digest did not change with %s", what);
	memcpy(before, after, 65);
}

/* After the first name that is not there, one listing of the folder skips
 * the others; the names it lists are still looked at one by one, so names
 * that differ only in case (listed, not there as asked on a case-sensitive
 * file system) change nothing, and the last name probed is still found. */
static void test_probes_after_one_listing(void **state)
{
	struct fixture *fx = *state;

	write_file(fx, "Prisma.config.ts", "export default { schema: 'decoy.prisma' }");
	write_file(fx, "SCHEMA.prisma", schema_text);
	write_file(fx, "Prisma/schema.prisma", schema_text);
	for (int i = 0; i < 200; i++) {
		char name[64];

		snprintf(name, sizeof(name), "src/file-%d.js", i);
		write_file(fx, name + 4, "");
	}
	assert_int_equal(find(fx, NULL), 0);
	write_file(fx, "prisma/schema.prisma", schema_text);
	assert_found(fx, NULL, SCHEMA_DEFAULT_PRISMA_DIR, "prisma/schema.prisma");
	assert_null(fx->inputs.config_file);
	write_file(fx, ".config/prisma.cts", "export default { schema: 'x.prisma' }");
	write_file(fx, ".config/x.prisma", schema_text);
	assert_found(fx, NULL, SCHEMA_FROM_CONFIG_FILE, ".config/x.prisma");
	assert_string_equal(fx->inputs.config_file, ".config/prisma.cts");
}

static void test_digest_is_stable(void **state)
{
	struct fixture *fx = *state;
	char first[65], second[65];

	set_up_project(fx);
	refind_digest(fx, first);
	digest(fx, second);
	assert_string_equal(first, second);
	refind_digest(fx, second);
	assert_string_equal(first, second);
}

/* A schema whose generator and datasource (with its directUrl) schema_find()
 * finds in it, so that it reads no other file of the folder. */
static const char main_with_direct_url[] = "datasource db {\n"
                                           "  provider  = \"postgresql\"\n"
                                           "  url       = env(\"DATABASE_URL\")\n"
                                           "  directUrl = env(\"DIRECT_URL\")\n"
                                           "}\n"
                                           "\n"
                                           "generator client {\n"
                                           "  provider = \"prisma-client-js\"\n"
                                           "}\n";

/* The config file and the schema files schema_find() read are hashed as it
 * read them (each file opened once per start): an edit after the find
 * counts from the next find on, and the digest always describes what was
 * parsed. A file it did not read (post.prisma: the generator and the
 * datasource were found before it) is read by the digest. */
static void test_digest_hashes_what_find_read(void **state)
{
	struct fixture *fx = *state;
	char found[65], after_edit[65], edited[65];

	set_up_project(fx);
	write_file(fx, "prisma/schema/main.prisma", main_with_direct_url);
	refind_digest(fx, found);
	write_file(fx, "prisma.config.ts", "export default { schema: 'prisma/schema' } // edited\n");
	write_file(fx, "prisma/schema/main.prisma", "// edited\n");
	digest(fx, after_edit);
	assert_string_equal(found, after_edit);
	write_file(fx, "prisma/schema/main.prisma", main_with_direct_url);
	refind_digest(fx, edited);
	assert_string_not_equal(found, edited);

	write_file(fx, "prisma/schema/post.prisma", "model Post {\n  id Int @id\n}\n// edited\n");
	digest(fx, after_edit);
	assert_string_not_equal(edited, after_edit);
}

static void test_digest_sensitivity(void **state)
{
	struct fixture *fx = *state;
	char hex[65], same[65];
	char path[PATH_MAX], other[PATH_MAX];

	set_up_project(fx);
	refind_digest(fx, hex);

	write_file(fx, "src/server.js", "console.log('changed')\n");
	write_file(fx, "prisma/schema/notes.txt", "not a schema file");
	write_file(fx, "package.json", "{\"name\": \"app\"}");
	refind_digest(fx, same);
	assert_string_equal(hex, same);

	write_file(fx, "prisma/schema/post.prisma", "model Post {\n  id Int @id\n}\n\n");
	assert_digest_changes(fx, hex, "a byte of a schema file");
	snprintf(path, sizeof(path), "%s/prisma/schema/post.prisma", fx->dir);
	snprintf(other, sizeof(other), "%s/prisma/schema/posts.prisma", fx->dir);
	assert_int_equal(rename(path, other), 0);
	assert_digest_changes(fx, hex, "a file name");
	write_file(fx, "prisma/schema/comment.prisma", "");
	assert_digest_changes(fx, hex, "an empty file added");
	write_file(fx, "prisma.config.ts", "export default { schema: 'prisma/schema' } // edited\n");
	assert_digest_changes(fx, hex, "the config file");
	write_file(fx, "node_modules/prisma/package.json", "{\"version\": \"6.19.1\"}");
	assert_digest_changes(fx, hex, "the prisma version");
	write_file(fx, "node_modules/@prisma/client/package.json", "{\"version\": \"6.19.1\"}");
	assert_digest_changes(fx, hex, "the @prisma/client version");
	write_file(fx, "node_modules/@prisma/client/package.json", "{\"version\": \"\"}");
	assert_digest_changes(fx, hex, "an empty version");
	snprintf(path, sizeof(path), "%s/node_modules/@prisma/client/package.json", fx->dir);
	assert_int_equal(unlink(path), 0);
	assert_digest_changes(fx, hex, "@prisma/client uninstalled");
}

/* Bytes moving between a file name and its contents, or between two files,
 * make a different digest: every field is length-prefixed. */
static void test_digest_is_unambiguous(void **state)
{
	struct fixture *fx = *state;
	char one[65], two[65];

	write_file(fx, "s/a.prisma", "model A {}\nmodel B {}\n");
	write_file(fx, "s/b.prisma", "");
	assert_int_equal(find(fx, "s"), 1);
	digest(fx, one);
	write_file(fx, "s/a.prisma", "model A {}\n");
	write_file(fx, "s/b.prisma", "model B {}\n");
	assert_int_equal(find(fx, "s"), 1);
	digest(fx, two);
	assert_string_not_equal(one, two);
}

static void put_field(EVP_MD_CTX *ctx, char tag, const char *data, size_t len, int absent)
{
	unsigned char head[9] = {(unsigned char)tag};

	for (int i = 0; i < 8; i++)
		head[1 + i] = absent ? 0xff : (unsigned char)((uint64_t)len >> (56 - 8 * i));
	assert_int_equal(EVP_DigestUpdate(ctx, head, sizeof(head)), 1);
	if (!absent && len)
		assert_int_equal(EVP_DigestUpdate(ctx, data, len), 1);
}

/* The encoding, computed independently (libcrypto linked directly here). */
static void test_digest_encoding(void **state)
{
	struct fixture *fx = *state;
	static const char format[] = "prisma-entrypoint schema digest 1";
	static const char config[] = "export default {}\n";
	unsigned char md[32];
	unsigned int md_len = 0;
	char expected[65], hex[65];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	write_file(fx, "schema.prisma", schema_text);
	write_file(fx, "prisma.config.ts", config);
	write_file(fx, "node_modules/prisma/package.json", "{\"version\": \"6.19.0\"}");
	assert_found(fx, NULL, SCHEMA_DEFAULT_ROOT, "schema.prisma");
	digest(fx, hex);

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	put_field(ctx, 'H', format, strlen(format), 0);
	put_field(ctx, 'P', "schema.prisma", 13, 0);
	put_field(ctx, 'F', schema_text, strlen(schema_text), 0);
	put_field(ctx, 'C', "prisma.config.ts", 16, 0);
	put_field(ctx, 'c', config, strlen(config), 0);
	put_field(ctx, 'V', "6.19.0", 6, 0);
	put_field(ctx, 'v', NULL, 0, 1);
	assert_int_equal(EVP_DigestFinal_ex(ctx, md, &md_len), 1);
	EVP_MD_CTX_free(ctx);
	for (unsigned int i = 0; i < md_len; i++)
		snprintf(expected + 2 * i, 3, "%02x", md[i]);
	assert_string_equal(hex, expected);
}

/* The nearest tsconfig.json counts for prisma-client, as a T/t field after
 * the config file; without one, no field: the digest is as before. */
static void test_digest_of_the_tsconfig(void **state)
{
	struct fixture *fx = *state;
	static const char ts_schema[] =
	    "generator client {\n  provider = \"prisma-client\"\n  output = \"../gen\"\n}\n";
	static const char format[] = "prisma-entrypoint schema digest 1";
	static const char tsconfig[] = "{\"compilerOptions\": {\"module\": \"ESNext\"}}\n";
	unsigned char md[32];
	unsigned int md_len = 0;
	char expected[65], hex[65], before[65];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	write_file(fx, "prisma/schema.prisma", ts_schema);
	refind_digest(fx, before);
	write_file(fx, "tsconfig.json", tsconfig);
	assert_digest_changes(fx, before, "a tsconfig.json added");
	memcpy(hex, before, sizeof(hex));

	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	put_field(ctx, 'H', format, strlen(format), 0);
	put_field(ctx, 'P', "prisma/schema.prisma", 20, 0);
	put_field(ctx, 'F', ts_schema, strlen(ts_schema), 0);
	put_field(ctx, 'C', NULL, 0, 1);
	put_field(ctx, 'T', "tsconfig.json", 13, 0);
	put_field(ctx, 't', tsconfig, strlen(tsconfig), 0);
	put_field(ctx, 'V', NULL, 0, 1);
	put_field(ctx, 'v', NULL, 0, 1);
	assert_int_equal(EVP_DigestFinal_ex(ctx, md, &md_len), 1);
	EVP_MD_CTX_free(ctx);
	for (unsigned int i = 0; i < md_len; i++)
		snprintf(expected + 2 * i, 3, "%02x", md[i]);
	assert_string_equal(hex, expected);

	write_file(fx, "tsconfig.json", "{\"compilerOptions\": {\"module\": \"CommonJS\"}}\n");
	assert_digest_changes(fx, before, "an edit of the tsconfig.json");
	write_file(fx, "gen/tsconfig.json", tsconfig);
	assert_digest_changes(fx, before, "a nearer tsconfig.json");
	write_file(fx, "tsconfig.json", "{}\n");
	refind_digest(fx, hex);
	assert_string_equal(hex, before); /* no longer the nearest */
}

static void test_digest_of_an_unreadable_file(void **state)
{
	struct fixture *fx = *state;
	char hex[65];
	char path[PATH_MAX];

	/* post.prisma, which schema_find() had no need to read, is read by the digest. */
	set_up_project(fx);
	write_file(fx, "prisma/schema/main.prisma", main_with_direct_url);
	assert_int_equal(find(fx, NULL), 1);
	snprintf(path, sizeof(path), "%s/prisma/schema/post.prisma", fx->dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(schema_digest(&fx->inputs, NULL, hex, NULL, fx->error, sizeof(fx->error)), -1);
	assert_non_null(strstr(fx->error, "cannot read prisma/schema/post.prisma"));
}

static double elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) * 1e3 + (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

/* About 2 MB of schema in 200 files over 10 folders. The benchmark measures
 * for real (target: digest under 20 ms); this only catches the absurd. */
static void test_digest_of_a_large_schema(void **state)
{
	struct fixture *fx = *state;
	static const char model[] = "model Entity%04d_%03d {\n"
	                            "  id        Int      @id @default(autoincrement())\n"
	                            "  name      String   @db.VarChar(255)\n"
	                            "  createdAt DateTime @default(now())\n"
	                            "  updatedAt DateTime @updatedAt\n"
	                            "  // a comment to make the model a bit longer than it has to be\n"
	                            "}\n\n";
	const size_t files = 200, models = 48;
	char *text = malloc(16 * 1024);
	char name[64], hex[65], again[65];
	size_t total = 0;
	struct timespec start;

	assert_non_null(text);
	write_file(fx, "prisma/schema/main.prisma", schema_text);
	for (size_t f = 0; f < files; f++) {
		size_t len = 0;

		for (size_t m = 0; m < models; m++)
			len += (size_t)snprintf(text + len, 16 * 1024 - len, model, (int)f, (int)m);
		snprintf(name, sizeof(name), "prisma/schema/part%02zu/models%03zu.prisma", f % 10, f);
		write_bytes(fx, name, text, len);
		total += len;
	}
	free(text);
	assert_true(total > 2000 * 1000);

	clock_gettime(CLOCK_MONOTONIC, &start);
	assert_int_equal(find(fx, "prisma/schema"), 1);
	double find_ms = elapsed_ms(&start);
	assert_int_equal(fx->inputs.file_count, files + 1);
	clock_gettime(CLOCK_MONOTONIC, &start);
	digest(fx, hex);
	double digest_ms = elapsed_ms(&start);
	digest(fx, again);
	assert_string_equal(hex, again);
	print_message("    %.1f MB in %zu files: schema_find %.2f ms, schema_digest %.2f ms\n", (double)total / 1e6,
	              files + 1, find_ms, digest_ms);
	assert_true(digest_ms < 500);
	assert_true(find_ms < 500);
}

static void test_rule_names(void **state)
{
	(void)state;
	assert_string_equal(schema_rule_name(SCHEMA_FROM_SETTING), "the schema setting");
	assert_string_equal(schema_rule_name(SCHEMA_FROM_CONFIG_FILE), "prisma.config.ts");
	assert_string_equal(schema_rule_name(SCHEMA_FROM_PACKAGE_JSON), "package.json prisma.schema");
	assert_string_equal(schema_rule_name(SCHEMA_DEFAULT_ROOT), "./schema.prisma");
	assert_string_equal(schema_rule_name(SCHEMA_DEFAULT_PRISMA_DIR), "./prisma/schema.prisma");
}

/* A stop that says yes from its calls_left-th question on. */
struct counted_stop {
	int calls_left;
	int asked;
};

static bool stop_after(void *arg)
{
	struct counted_stop *counted = arg;

	counted->asked++;
	return --counted->calls_left < 0;
}

/* A long walk ends at the first question after the stop request, with
 * nothing found and no error taken for the schema's. */
static void test_a_stop_ends_the_walk(void **state)
{
	struct fixture *fx = *state;
	struct counted_stop counted = {.calls_left = 5};
	struct schema_stop stop = {.should_stop = stop_after, .arg = &counted};
	char rel[64];

	for (int i = 0; i < 40; i++) {
		snprintf(rel, sizeof(rel), "prisma/schema/m%02d/model.prisma", i);
		write_file(fx, rel, "model A { id Int @id }\n");
	}
	write_file(fx, "prisma/schema/main.prisma", schema_text);
	assert_int_equal(schema_find(fx->dir, "prisma/schema", &fx->inputs, &stop, fx->error, sizeof(fx->error)),
	                 SCHEMA_STOPPED);
	assert_true(stop.stopped);
	assert_int_equal(counted.asked, 6); /* not asked again once it said yes */
	assert_null(fx->inputs.schema_path);
	assert_int_equal(fx->inputs.file_count, 0);

	/* Without a stop the same walk finds all 41 files, asking every time. */
	counted = (struct counted_stop){.calls_left = 1000000};
	stop.stopped = false;
	assert_int_equal(schema_find(fx->dir, "prisma/schema", &fx->inputs, &stop, fx->error, sizeof(fx->error)), 1);
	assert_int_equal(fx->inputs.file_count, 41);
	assert_true(counted.asked > 41);
}

static void test_a_stop_ends_the_digest(void **state)
{
	struct fixture *fx = *state;
	struct counted_stop counted = {.calls_left = 0};
	struct schema_stop stop = {.should_stop = stop_after, .arg = &counted};
	char hex[65];

	write_file(fx, "schema.prisma", schema_text);
	assert_int_equal(find(fx, NULL), 1);
	assert_int_equal(schema_digest(&fx->inputs, NULL, hex, &stop, fx->error, sizeof(fx->error)), SCHEMA_STOPPED);
	assert_true(stop.stopped);
	assert_string_equal(hex, "");
}

/* Files a start reads whole must be regular files: a FIFO would keep it
 * waiting for a writer (alarm() turns that hang into a failure), /dev/zero
 * reading forever. */
static void test_files_that_are_not_regular(void **state)
{
	struct fixture *fx = *state;
	char path[PATH_MAX];

	write_file(fx, "schema.prisma", schema_text);
	snprintf(path, sizeof(path), "%s/package.json", fx->dir);
	assert_int_equal(mkfifo(path, 0644), 0);
	alarm(10);
	assert_error(fx, NULL, "cannot read package.json: not a regular file");
	assert_int_equal(unlink(path), 0);

	make_link(fx, "/dev/zero", "package.json");
	assert_error(fx, NULL, "cannot read package.json: not a regular file");
	assert_int_equal(unlink(path), 0);

	make_dir(fx, "node_modules");
	make_dir(fx, "node_modules/prisma");
	make_link(fx, "/dev/zero", "node_modules/prisma/package.json");
	assert_error(fx, NULL, "cannot read node_modules/prisma/package.json: not a regular file");

	snprintf(path, sizeof(path), "%s/node_modules/prisma/package.json", fx->dir);
	assert_int_equal(unlink(path), 0);

	/* A config file name that is not a file is passed over, as for a folder. */
	make_link(fx, "/dev/zero", "prisma.config.ts");
	assert_found(fx, NULL, SCHEMA_DEFAULT_ROOT, "schema.prisma");
	assert_null(fx->inputs.config_file);
	alarm(0);
}

/* Reads are bounded: a schema file over 16 MiB (sparse, so the test writes
 * nothing) is refused before it is read. */
static void test_files_too_large(void **state)
{
	struct fixture *fx = *state;
	char path[PATH_MAX];

	write_file(fx, "schema.prisma", schema_text);
	snprintf(path, sizeof(path), "%s/schema.prisma", fx->dir);
	assert_int_equal(truncate(path, 16 * 1024 * 1024 + 1), 0);
	assert_error(fx, NULL,
	             "cannot read schema.prisma: 16777217 bytes, more than the 16 MiB prisma-entrypoint reads");
	assert_int_equal(truncate(path, 16 * 1024 * 1024), 0);
	assert_int_equal(find(fx, NULL), 1);
}

/* Tens of thousands of folders are walked in about linear time (each
 * remembered in a search tree); this only catches the absurd. */
static void test_many_folders(void **state)
{
	struct fixture *fx = *state;
	struct timespec start;
	char rel[64];

	make_dir(fx, "schema");
	for (int i = 0; i < 20000; i++) {
		snprintf(rel, sizeof(rel), "schema/%05d", i);
		make_dir(fx, rel);
	}
	write_file(fx, "schema/19999/main.prisma", schema_text);
	clock_gettime(CLOCK_MONOTONIC, &start);
	assert_int_equal(find(fx, "schema"), 1);
	print_message("    20000 folders walked in %.1f ms\n", elapsed_ms(&start));
	assert_int_equal(fx->inputs.file_count, 1);
}

static void test_missing_base_dir(void **state)
{
	struct fixture *fx = *state;
	struct schema_inputs inputs;
	char error[256];

	(void)fx;
	assert_int_equal(schema_find("/nonexistent/pe-schema", NULL, &inputs, NULL, error, sizeof(error)), -1);
	assert_non_null(strstr(error, "/nonexistent/pe-schema"));
	schema_inputs_release(&inputs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TEST(test_nothing_found),
	    TEST(test_default_prisma_dir),
	    TEST(test_default_root_before_prisma_dir),
	    TEST(test_default_locations_are_files_only),
	    TEST(test_package_json_rule),
	    TEST(test_package_json_ignored_by_prisma_7),
	    TEST(test_package_json_that_misses_the_schema),
	    TEST(test_package_json_scan),
	    TEST(test_invalid_package_json),
	    TEST(test_setting_first),
	    TEST(test_setting_that_does_not_exist),
	    TEST(test_setting_absolute),
	    TEST(test_config_file_rule),
	    TEST(test_config_file_variants),
	    TEST(test_config_file_not_a_literal),
	    TEST(test_config_file_schema_that_does_not_exist),
	    TEST(test_folder_schema),
	    TEST(test_folder_links_are_walked_once),
	    TEST(test_folder_from_config_and_root),
	    TEST(test_folder_without_schema_files),
	    TEST(test_generator_output),
	    TEST(test_generator_output_in_a_folder_schema),
	    TEST(test_tsconfig_nearest_to_the_output),
	    TEST(test_digest_of_the_tsconfig),
	    TEST(test_probes_after_one_listing),
	    TEST(test_digest_is_stable),
	    TEST(test_digest_hashes_what_find_read),
	    TEST(test_digest_sensitivity),
	    TEST(test_digest_is_unambiguous),
	    TEST(test_digest_encoding),
	    TEST(test_digest_of_an_unreadable_file),
	    TEST(test_digest_of_a_large_schema),
	    TEST(test_rule_names),
	    TEST(test_missing_base_dir),
	    TEST(test_a_stop_ends_the_walk),
	    TEST(test_a_stop_ends_the_digest),
	    TEST(test_files_that_are_not_regular),
	    TEST(test_files_too_large),
	    TEST(test_many_folders),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
