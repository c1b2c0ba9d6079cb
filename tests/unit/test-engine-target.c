/* Unit tests for engine-target.c and engine-files.c: the platform's name as
 * Prisma 6 gives it, from made-up roots (os-release, library folders, the
 * linker's cache) and machines; and which engine a client needs and whether
 * a folder holds it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testlib.h"

#include "engine-files.h"
#include "engine-target.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct fixture {
	char dir[128];
};

static int setup(void **state)
{
	struct fixture *fx = FIXTURE_TREE_NEW(struct fixture, "engine-target");

	if (!fx)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	return fixture_tree_free(fx, fx->dir);
}

/* Makes every folder of path under root, then the file (text, or a
 * placeholder) when path does not end in '/'. */
static void put_under(const char *root, const char *path, const char *text)
{
	char full[PATH_MAX];

	snprintf(full, sizeof(full), "%s/%s", root, path);
	for (char *slash = strchr(full + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(full, 0755);
		*slash = '/';
	}
	if (full[strlen(full) - 1] != '/')
		write_text(full, text ? text : "x");
}

static void put(const struct fixture *fx, const char *path, const char *text)
{
	put_under(fx->dir, path, text);
}

struct target_case {
	const char *name;
	const char *os_release; /* NULL: no /etc/os-release */
	const char *files[4];   /* under the root */
	const char *machine;
	const char *expected;
	const char *libssl; /* expected libssl ("" none) */
};

static const struct target_case target_cases[] = {
    {"debian bookworm, OpenSSL 3",
     "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n",
     {"usr/lib/x86_64-linux-gnu/libssl.so.3"},
     "x86_64",
     "debian-openssl-3.0.x",
     "3.0.x"},
    {"debian bullseye, OpenSSL 1.1, in /lib",
     "ID=debian\n",
     {"lib/x86_64-linux-gnu/libssl.so.1.1"},
     "x86_64",
     "debian-openssl-1.1.x",
     "1.1.x"},
    {"ubuntu by ID_LIKE (mint)",
     "ID=linuxmint\nID_LIKE=\"ubuntu debian\"\n",
     {"usr/lib/x86_64-linux-gnu/libssl.so.3"},
     "x86_64",
     "debian-openssl-3.0.x",
     "3.0.x"},
    {"alpine 3.19, OpenSSL 3",
     "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\n",
     {"lib/libssl.so.3"},
     "x86_64",
     "linux-musl-openssl-3.0.x",
     "3.0.x"},
    {"alpine 3.16, OpenSSL 1.1: no suffix", "ID=alpine\n", {"lib/libssl.so.1.1"}, "x86_64", "linux-musl", "1.1.x"},
    {"alpine without libssl", "ID=alpine\n", {"lib/"}, "x86_64", "linux-musl", ""},
    {"alpine on arm64", "ID=alpine\n", {"usr/lib/libssl.so.3"}, "aarch64", "linux-musl-arm64-openssl-3.0.x", "3.0.x"},
    {"debian on arm64, OpenSSL 1.1",
     "ID=debian\n",
     {"usr/lib/aarch64-linux-gnu/libssl.so.1.1"},
     "aarch64",
     "linux-arm64-openssl-1.1.x",
     "1.1.x"},
    {"debian on arm64 with the x86-64 folder only (looks in the machine's)",
     "ID=debian\n",
     {"usr/lib/x86_64-linux-gnu/libssl.so.3"},
     "aarch64",
     "linux-arm64-openssl-1.1.x",
     ""},
    {"rhel 8, OpenSSL 1.1 in /usr/lib64",
     "ID=\"rhel\"\nID_LIKE=\"fedora\"\n",
     {"usr/lib64/libssl.so.1.1"},
     "x86_64",
     "rhel-openssl-1.1.x",
     "1.1.x"},
    {"amazon linux 2: rhel by ID_LIKE, libssl.so.10 is 1.0",
     "ID=\"amzn\"\nID_LIKE=\"centos rhel fedora\"\n",
     {"lib64/libssl.so.10"},
     "x86_64",
     "rhel-openssl-1.0.x",
     "1.0.x"},
    {"opensuse: rhel by ID_LIKE",
     "ID=\"opensuse-leap\"\nID_LIKE=\"suse opensuse\"\n",
     {"usr/lib64/libssl.so.3"},
     "x86_64",
     "rhel-openssl-3.0.x",
     "3.0.x"},
    {"two versions: the first by name",
     "ID=debian\n",
     {"usr/lib/x86_64-linux-gnu/libssl.so.3", "usr/lib/x86_64-linux-gnu/libssl.so.1.1"},
     "x86_64",
     "debian-openssl-1.1.x",
     "1.1.x"},
    {"libssl.so.0 and the dev link are skipped",
     "ID=debian\n",
     {"usr/lib/x86_64-linux-gnu/libssl.so.0.9.8", "usr/lib/x86_64-linux-gnu/libssl.so",
      "usr/lib/x86_64-linux-gnu/libssl.so.3"},
     "x86_64",
     "debian-openssl-3.0.x",
     "3.0.x"},
    {"unknown distro: debian's engines, libssl from the generic folders",
     "ID=gentoo\n",
     {"usr/lib64/libssl.so.3"},
     "x86_64",
     "debian-openssl-3.0.x",
     "3.0.x"},
    {"no os-release, no libssl: Prisma's defaults", NULL, {NULL}, "x86_64", "debian-openssl-1.1.x", ""},
    {"nixos", "ID=nixos\n", {NULL}, "x86_64", "linux-nixos", ""},
    {"arch: debian's engines", "ID=arch\n", {"usr/lib/libssl.so.3"}, "x86_64", "debian-openssl-3.0.x", "3.0.x"},
    {"32-bit arm",
     "ID=debian\n",
     {"usr/lib/armv7l-linux-gnu/libssl.so.3"},
     "armv7l",
     "linux-arm-openssl-3.0.x",
     "3.0.x"},
    {"a lowercase key and an uppercase value count, as in Prisma's /im regex",
     "id=\"Alpine\"\n",
     {"lib/libssl.so.3"},
     "x86_64",
     "linux-musl-openssl-3.0.x",
     "3.0.x"},
    {"OpenSSL 3.2's file is still 3.0.x",
     "ID=alpine\n",
     {"lib/libssl.so.3.2"},
     "x86_64",
     "linux-musl-openssl-3.0.x",
     "3.0.x"},
};

static void test_targets(void **state)
{
	struct fixture *fx = *state;

	for (size_t i = 0; i < ARRAY_LEN(target_cases); i++) {
		const struct target_case *c = &target_cases[i];
		char root[256];
		struct engine_target target;

		snprintf(root, sizeof(root), "%s/case%zu", fx->dir, i);
		mkdir(root, 0755);
		if (c->os_release)
			put_under(root, "etc/os-release", c->os_release);
		for (size_t f = 0; f < ARRAY_LEN(c->files) && c->files[f]; f++)
			put_under(root, c->files[f], NULL);
		engine_target_detect(root, c->machine, &target);
		EXPECT_SHOWING(strcmp(target.name, c->expected) == 0, "%s: %s, expected %s", c->name, target.name,
		               c->expected);
		EXPECT_SHOWING(strcmp(target.libssl, c->libssl) == 0, "%s: libssl '%s', expected '%s'", c->name,
		               target.libssl, c->libssl);
	}
}

/* The linker's cache is read for the names it holds when the distro's
 * folders have none. */
static void test_ld_cache(void **state)
{
	struct fixture *fx = *state;
	static const char cache[] = "ld.so-1.7.0\0glibc-ld.so.cache1.1\0libz.so.1\0/usr/lib/libz.so.1\0"
	                            "libssl3.so\0/usr/lib/libssl3.so\0libssl.so.3\0/opt/ssl/lib/libssl.so.3\0";
	struct engine_target target;
	char path[PATH_MAX];
	FILE *file;

	put(fx, "etc/os-release", "ID=debian\n");
	snprintf(path, sizeof(path), "%s/etc/ld.so.cache", fx->dir);
	assert_non_null(file = fopen(path, "w"));
	assert_int_equal(fwrite(cache, 1, sizeof(cache), file), sizeof(cache));
	assert_int_equal(fclose(file), 0);
	engine_target_detect(fx->dir, "x86_64", &target);
	assert_string_equal(target.name, "debian-openssl-3.0.x");
	assert_string_equal(target.libssl_by, "/etc/ld.so.cache");
	assert_string_equal(target.distro, "debian");
}

/* The real system answers something Prisma could name. */
static void test_this_system(void **state)
{
	struct engine_target target;

	(void)state;
	engine_target_detect("/", NULL, &target);
	assert_true(strstr(target.name, "linux-") == target.name || strstr(target.name, "-openssl-"));
	assert_true(target.machine[0]);
}

static void test_engine_kind(void **state)
{
	(void)state;
	assert_int_equal(engine_kind_of_client(NULL, NULL, 6), ENGINE_LIBRARY);
	assert_int_equal(engine_kind_of_client(NULL, NULL, -1), ENGINE_LIBRARY);
	assert_int_equal(engine_kind_of_client(NULL, "binary", 6), ENGINE_BINARY);
	assert_int_equal(engine_kind_of_client(NULL, "client", 6), ENGINE_NONE);
	assert_int_equal(engine_kind_of_client("library", "client", 6), ENGINE_LIBRARY);
	assert_int_equal(engine_kind_of_client("client", "library", 6), ENGINE_NONE);
	assert_int_equal(engine_kind_of_client("nonsense", "binary", 6), ENGINE_BINARY);
	assert_int_equal(engine_kind_of_client("library", "library", 7), ENGINE_NONE);
	assert_string_equal(engine_override_name(ENGINE_LIBRARY), "PRISMA_QUERY_ENGINE_LIBRARY");
	assert_string_equal(engine_override_name(ENGINE_BINARY), "PRISMA_QUERY_ENGINE_BINARY");
	assert_null(engine_override_name(ENGINE_NONE));
}

static void test_query_engine_presence(void **state)
{
	struct fixture *fx = *state;
	struct engine_presence presence;
	char folder[PATH_MAX], override[PATH_MAX];

	snprintf(folder, sizeof(folder), "%s/client", fx->dir);
	put(fx, "client/index.js", NULL);
	put(fx, "client/libquery_engine-debian-openssl-3.0.x.so.node", NULL);
	put(fx, "client/libquery_engine-darwin-arm64.dylib.node", NULL);
	put(fx, "client/query-engine-rhel-openssl-1.0.x", NULL);

	engine_query_check(folder, ENGINE_LIBRARY, "debian-openssl-3.0.x", NULL, &presence);
	assert_true(presence.present);
	assert_false(presence.by_override);
	assert_int_equal(presence.others_count, 1);
	assert_string_equal(presence.others, "darwin-arm64");

	engine_query_check(folder, ENGINE_LIBRARY, "linux-musl-openssl-3.0.x", NULL, &presence);
	assert_false(presence.present);
	assert_non_null(strstr(presence.file, "/client/libquery_engine-linux-musl-openssl-3.0.x.so.node"));
	assert_int_equal(presence.others_count, 2);

	engine_query_check(folder, ENGINE_BINARY, "rhel-openssl-1.0.x", NULL, &presence);
	assert_true(presence.present);
	engine_query_check(folder, ENGINE_BINARY, "debian-openssl-3.0.x", NULL, &presence);
	assert_false(presence.present);
	assert_string_equal(presence.others, "rhel-openssl-1.0.x");

	/* an override that exists counts; one that does not is passed over */
	snprintf(override, sizeof(override), "%s/elsewhere.so.node", fx->dir);
	engine_query_check(folder, ENGINE_LIBRARY, "linux-musl-openssl-3.0.x", override, &presence);
	assert_false(presence.present);
	put(fx, "elsewhere.so.node", NULL);
	engine_query_check(folder, ENGINE_LIBRARY, "linux-musl-openssl-3.0.x", override, &presence);
	assert_true(presence.present && presence.by_override);
	assert_string_equal(presence.file, override);

	/* a folder that is not there holds nothing */
	engine_query_check("/nonexistent/client", ENGINE_LIBRARY, "debian-openssl-3.0.x", NULL, &presence);
	assert_false(presence.present);
	assert_int_equal(presence.others_count, 0);
}

static void test_schema_engine_presence(void **state)
{
	struct fixture *fx = *state;
	struct engine_presence presence;
	char folder[PATH_MAX];

	snprintf(folder, sizeof(folder), "%s/engines", fx->dir);
	put(fx, "engines/package.json", NULL);
	engine_schema_check(folder, "debian-openssl-3.0.x", NULL, &presence);
	assert_false(presence.present);
	assert_int_equal(presence.others_count, 0);
	put(fx, "engines/schema-engine-linux-musl-openssl-3.0.x", NULL);
	put(fx, "engines/schema-engine-debian-openssl-3.0.x.gz", NULL);
	engine_schema_check(folder, "debian-openssl-3.0.x", NULL, &presence);
	assert_false(presence.present);
	assert_string_equal(presence.others, "linux-musl-openssl-3.0.x");
	put(fx, "engines/schema-engine-debian-openssl-3.0.x", NULL);
	engine_schema_check(folder, "debian-openssl-3.0.x", NULL, &presence);
	assert_true(presence.present);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TEST(test_targets),
	    TEST(test_ld_cache),
	    cmocka_unit_test(test_this_system),
	    cmocka_unit_test(test_engine_kind),
	    TEST(test_query_engine_presence),
	    TEST(test_schema_engine_presence),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
