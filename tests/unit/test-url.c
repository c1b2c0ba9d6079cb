/* Unit tests for url.c: components, host lists, decoding, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testlib.h"

#include "url.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HOSTS  4
#define MAX_PARAMS 8

struct expected_host {
	const char *name;
	unsigned port;
	bool ipv6;
};

struct expected_param {
	const char *name;
	const char *value;
};

static const struct {
	const char *text;
	const char *scheme;
	const char *user;     /* NULL: none */
	const char *password; /* NULL: none */
	struct expected_host hosts[MAX_HOSTS];
	const char *path;
	struct expected_param params[MAX_PARAMS];
} good[] = {
    {"postgresql://janedoe:mypassword@localhost:5432/mydb?schema=sample",
     "postgresql",
     "janedoe",
     "mypassword",
     {{"localhost", 5432, false}},
     "/mydb",
     {{"schema", "sample"}}},
    /* Prisma's own example of a password that needs encoding: p@$$w0rd. */
    {"postgresql://johndoe:p%40%24%24w0rd@localhost:5432/mydb",
     "postgresql",
     "johndoe",
     "p@$$w0rd",
     {{"localhost", 5432, false}},
     "/mydb",
     {{0}}},
    /* Every character that ends a component, encoded. */
    {"postgres://us%3Aer%40x:a%40b%3Ac%2Fd%23e%3Ff%25g%20h+i@db/app",
     "postgres",
     "us:er@x",
     "a@b:c/d#e?f%g h+i",
     {{"db", 0, false}},
     "/app",
     {{0}}},
    /* An unencoded '@' in the password: the last '@' ends the user information. */
    {"postgresql://app:p@ss@w@rd@db:5433/app", "postgresql", "app", "p@ss@w@rd", {{"db", 5433, false}}, "/app", {{0}}},
    /* The first ':' splits user and password; the others belong to the password. */
    {"postgresql://app:a:b:c@db/app", "postgresql", "app", "a:b:c", {{"db", 0, false}}, "/app", {{0}}},
    /* Unencoded characters Prisma's URL parser would have encoded for the user. */
    {"postgresql://app:a!$&'()*+,;=[]{}|\\^~\"<> `b@db/app",
     "postgresql",
     "app",
     "a!$&'()*+,;=[]{}|\\^~\"<> `b",
     {{"db", 0, false}},
     "/app",
     {{0}}},
    {"postgresql://us\xc3\xa9r:p\xc3\xa4ss@db/app",
     "postgresql",
     "us\xc3\xa9r",
     "p\xc3\xa4ss",
     {{"db", 0, false}},
     "/app",
     {{0}}},
    {"postgresql://app@db/app", "postgresql", "app", NULL, {{"db", 0, false}}, "/app", {{0}}},
    {"postgresql://app:@db/app", "postgresql", "app", "", {{"db", 0, false}}, "/app", {{0}}},
    {"postgresql://[::1]:5432/app", "postgresql", NULL, NULL, {{"::1", 5432, true}}, "/app", {{0}}},
    {"postgresql://u:p@[2001:db8:1234::ffff]/app",
     "postgresql",
     "u",
     "p",
     {{"2001:db8:1234::ffff", 0, true}},
     "/app",
     {{0}}},
    {"postgresql://[fe80::1%25eth0]:6000/x", "postgresql", NULL, NULL, {{"fe80::1%eth0", 6000, true}}, "/x", {{0}}},
    {"postgresql://u:p@h1:5432,h2:5433,[::1],h4/app?target_session_attrs=read-write",
     "postgresql",
     "u",
     "p",
     {{"h1", 5432, false}, {"h2", 5433, false}, {"::1", 0, true}, {"h4", 0, false}},
     "/app",
     {{"target_session_attrs", "read-write"}}},
    {"postgresql:///app?host=/var/run/postgresql",
     "postgresql",
     NULL,
     NULL,
     {{0}},
     "/app",
     {{"host", "/var/run/postgresql"}}},
    {"postgresql://u@/app?host=%2Fvar%2Frun%2Fpostgresql",
     "postgresql",
     "u",
     NULL,
     {{0}},
     "/app",
     {{"host", "/var/run/postgresql"}}},
    /* No path, an empty path, a path with encoded characters. */
    {"postgresql://db", "postgresql", NULL, NULL, {{"db", 0, false}}, "", {{0}}},
    {"postgresql://db:5432", "postgresql", NULL, NULL, {{"db", 5432, false}}, "", {{0}}},
    {"postgresql://db/", "postgresql", NULL, NULL, {{"db", 0, false}}, "/", {{0}}},
    {"postgresql://db/my%20db%2Fx", "postgresql", NULL, NULL, {{"db", 0, false}}, "/my db/x", {{0}}},
    /* Dot segments stay: they are not a file system path. */
    {"postgresql://db/../x", "postgresql", NULL, NULL, {{"db", 0, false}}, "/../x", {{0}}},
    {"postgresql://db?sslmode=require", "postgresql", NULL, NULL, {{"db", 0, false}}, "", {{"sslmode", "require"}}},
    /* Query decoding: '+' is a space, repeats kept, empty pieces skipped,
     * a bare name has an empty value, bad escapes stay as written. */
    {"postgresql://db/x?options=-c+search_path%3Dapp&a=1&&a=2&flag&e=&bad=%zz&%73chema=s",
     "postgresql",
     NULL,
     NULL,
     {{"db", 0, false}},
     "/x",
     {{"options", "-c search_path=app"},
      {"a", "1"},
      {"a", "2"},
      {"flag", ""},
      {"e", ""},
      {"bad", "%zz"},
      {"schema", "s"}}},
    /* The fragment is ignored. */
    {"postgresql://db/x?a=1#frag", "postgresql", NULL, NULL, {{"db", 0, false}}, "/x", {{"a", "1"}}},
    {"PostgreSQL://DB.example.com/x", "postgresql", NULL, NULL, {{"DB.example.com", 0, false}}, "/x", {{0}}},
    {"mysql://root:pw@127.0.0.1:3306/app", "mysql", "root", "pw", {{"127.0.0.1", 3306, false}}, "/app", {{0}}},
    {"tcp://cache:6379", "tcp", NULL, NULL, {{"cache", 6379, false}}, "", {{0}}},
    {"file:///var/lib/app.db", "file", NULL, NULL, {{0}}, "/var/lib/app.db", {{0}}},
};

static void check_good(size_t i)
{
	struct url url;
	char error[256] = "";
	size_t hosts = 0;
	size_t params = 0;

	if (url_parse(good[i].text, &url, error, sizeof(error)) != 0)
		fail_msg("'%s' was rejected: %s", good[i].text, error);
	assert_string_equal(url.scheme, good[i].scheme);
	if (good[i].user)
		assert_string_equal(url.user, good[i].user);
	else
		assert_null(url.user);
	if (good[i].password)
		assert_string_equal(url.password, good[i].password);
	else
		assert_null(url.password);
	while (hosts < MAX_HOSTS && good[i].hosts[hosts].name)
		hosts++;
	if (url.host_count != hosts)
		fail_msg("'%s': %zu hosts, expected %zu", good[i].text, url.host_count, hosts);
	for (size_t h = 0; h < hosts; h++) {
		assert_string_equal(url.hosts[h].name, good[i].hosts[h].name);
		assert_int_equal(url.hosts[h].port, good[i].hosts[h].port);
		assert_int_equal(url.hosts[h].ipv6, good[i].hosts[h].ipv6);
	}
	assert_string_equal(url.path, good[i].path);
	while (params < MAX_PARAMS && good[i].params[params].name)
		params++;
	if (url.param_count != params)
		fail_msg("'%s': %zu parameters, expected %zu", good[i].text, url.param_count, params);
	for (size_t p = 0; p < params; p++) {
		assert_string_equal(url.params[p].name, good[i].params[p].name);
		assert_string_equal(url.params[p].value, good[i].params[p].value);
	}
	url_release(&url);
	/* Released twice is harmless. */
	url_release(&url);
	assert_null(url.scheme);
}

static void test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(good); i++)
		check_good(i);
}

static const struct {
	const char *text;
	const char *reason; /* a part of the message */
} bad[] = {
    {"", "not a URL"},
    {"file:./dev.db", "not a URL"},
    {"localhost:5432", "not a URL"},
    {"://u:secret@host", "not a URL"},
    {"1pg://u:secret@host", "not a URL"},
    {"postgresql://u:secret@db:99999/app", "port is not a number from 1 to 65535"},
    {"postgresql://u:secret@db:0/app", "port is not a number from 1 to 65535"},
    {"postgresql://u:secret@db:54x/app", "port is not a number from 1 to 65535"},
    {"postgresql://u:secret@db:-1/app", "port is not a number"},
    {"postgresql://u:secret@[::1/app", "IPv6"},
    {"postgresql://u:secret@[zz::1]/app", "IPv6"},
    {"postgresql://u:secret@::1/app", "IPv6 address needs brackets"},
    {"postgresql://u:secret@h1,,h2/app", "empty host in the host list"},
    {"postgresql://u:secret@h1,/app", "empty host in the host list"},
    {"postgresql://u:secret@:5432/app", "port without a host"},
    {"postgresql://u:secret@bad host/app", "invalid host name"},
    {"postgresql://u:secret@db/app\x01x", "invalid characters in the path"},
    {"postgresql://u:secret@db/app?a=%00", "%00"},
    {"postgresql://u:sec%00ret@db/app", "%00"},
    /* A password with an unencoded '/' ends the authority early. */
    {"postgresql://u:sec/ret@db:5432/app", "percent-encode them"},
    {"postgresql://u:sec#ret@db:5432/app", "percent-encode them"},
};

static void test_errors_redact_password(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct url url;
		char error[512] = "";

		if (url_parse(bad[i].text, &url, error, sizeof(error)) != -1)
			fail_msg("'%s' was accepted", bad[i].text);
		if (!strstr(error, bad[i].reason))
			fail_msg("'%s': message '%s' does not say '%s'", bad[i].text, error, bad[i].reason);
		if (strstr(error, "secret") || strstr(error, "sec%00ret") || strstr(error, "ret@"))
			fail_msg("'%s': message '%s' shows the password", bad[i].text, error);
		if (strncmp(error, "invalid URL '", 13) != 0)
			fail_msg("'%s': message '%s' does not quote the URL", bad[i].text, error);
		if (strchr(error, '\n') || strchr(error, '\x01'))
			fail_msg("'%s': message '%s' is not one line", bad[i].text, error);
		assert_null(url.scheme);
		assert_int_equal(url.host_count, 0);
		url_release(&url);
	}
}

static void test_error_shows_redacted_url(void **state)
{
	struct url url;
	char error[512];

	(void)state;
	assert_int_equal(url_parse("postgresql://app:hunter2@db:70000/app", &url, error, sizeof(error)), -1);
	assert_string_equal(error,
	                    "invalid URL 'postgresql://app:****@db:70000/app': port is not a number from 1 to 65535");
}

static void test_error_buffer_small(void **state)
{
	struct url url;
	char error[16];

	(void)state;
	memset(error, 'x', sizeof(error));
	assert_int_equal(url_parse("postgresql://app:hunter2@db:70000/app", &url, error, sizeof(error)), -1);
	assert_int_equal(strlen(error), sizeof(error) - 1);
	assert_null(strstr(error, "hunter2"));
}

static void test_param_lookup_last_wins(void **state)
{
	struct url url;
	char error[256];

	(void)state;
	assert_int_equal(url_parse("postgresql://db/x?a=1&b=2&a=3", &url, error, sizeof(error)), 0);
	assert_string_equal(url_param(&url, "a"), "3");
	assert_string_equal(url_param(&url, "b"), "2");
	assert_null(url_param(&url, "c"));
	url_release(&url);
}

static void test_decode(void **state)
{
	static const struct {
		const char *in;
		bool plus;
		const char *out;
	} cases[] = {
	    {"", false, ""},
	    {"abc", false, "abc"},
	    {"a%20b", false, "a b"},
	    {"a+b", false, "a+b"},
	    {"a+b", true, "a b"},
	    {"%2B", true, "+"},
	    {"%41%42%43", false, "ABC"},
	    {"%e2%82%ac", false, "\xe2\x82\xac"},
	    {"100%", false, "100%"},
	    {"%4", false, "%4"},
	    {"%g1", false, "%g1"},
	    {"%%41", false, "%A"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *out = url_decode(cases[i].in, strlen(cases[i].in), cases[i].plus);

		assert_non_null(out);
		if (strcmp(out, cases[i].out) != 0)
			fail_msg("'%s' decoded to '%s', expected '%s'", cases[i].in, out, cases[i].out);
		free(out);
	}
}

static void test_decode_length_and_nul(void **state)
{
	char *out;

	(void)state;
	/* Only len bytes are read: a '%' at the end of the range stays. */
	out = url_decode("ab%41", 3, false);
	assert_string_equal(out, "ab%");
	free(out);
	errno = 0;
	assert_null(url_decode("a%00b", 5, false));
	assert_int_equal(errno, EINVAL);
}

/* SQLite file: URLs resolved as Prisma resolves them, from the folder the
 * caller names (the schema's for Prisma 6). */
static void test_sqlite_path(void **state)
{
	static const struct {
		const char *url;
		const char *base;
		const char *path;
	} cases[] = {
	    {"file:./dev.db", "/app/prisma", "/app/prisma/dev.db"},
	    {"file:dev.db", "/app/prisma", "/app/prisma/dev.db"},
	    {"file:../data/dev.db", "/app/prisma", "/app/data/dev.db"},
	    {"file:./dev.db?connection_limit=1", "/app/prisma", "/app/prisma/dev.db"},
	    {"file:/data/dev.db", "/app/prisma", "/data/dev.db"},
	    {"file:///data/./x/../dev.db", "/app", "/data/dev.db"},
	    {"FILE:./a//b.db", "/app/", "/app/a/b.db"},
	    {"file:../../../../x.db", "/app/prisma", "/x.db"},
	    {"file:./dev.db", "/", "/dev.db"},
	};
	char out[256];
	char error[128];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		if (url_sqlite_path(cases[i].url, cases[i].base, out, sizeof(out), error, sizeof(error)) < 0)
			fail_msg("%s: %s", cases[i].url, error);
		if (strcmp(out, cases[i].path) != 0)
			fail_msg("%s from %s resolved to '%s', expected '%s'", cases[i].url, cases[i].base, out,
			         cases[i].path);
	}
	assert_int_equal(url_sqlite_path("postgresql://h/db", "/app", out, sizeof(out), error, sizeof(error)), -1);
	assert_int_equal(url_sqlite_path("file:?mode=memory", "/app", out, sizeof(out), error, sizeof(error)), -1);
	assert_string_equal(error, "the file: URL names no file");
	assert_int_equal(url_sqlite_path("file:./a-long-name.db", "/app", out, 8, error, sizeof(error)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_table),
	    cmocka_unit_test(test_errors_redact_password),
	    cmocka_unit_test(test_error_shows_redacted_url),
	    cmocka_unit_test(test_error_buffer_small),
	    cmocka_unit_test(test_param_lookup_last_wins),
	    cmocka_unit_test(test_decode),
	    cmocka_unit_test(test_decode_length_and_nul),
	    cmocka_unit_test(test_sqlite_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
