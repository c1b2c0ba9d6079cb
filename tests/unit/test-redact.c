/* Unit tests for redact.c: every shape of credential, from a table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testlib.h"

#include "redact.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *text;
	const char *expected;
} cases[] = {
    /* a URL's password */
    {"postgresql://user:secret@db.example.com:5432/app?schema=public",
     "postgresql://user:****@db.example.com:5432/app?schema=public"},
    {"postgres://u:p@h/d", "postgres://u:****@h/d"},
    {"mysql://root:hunter2@localhost:3306", "mysql://root:****@localhost:3306"},
    {"postgres://user:@host/db", "postgres://user:****@host/db"},
    {"redis://:PW@cache:6379", "redis://:****@cache:6379"},
    {"http://u:PW@h/health", "http://u:****@h/health"},
    {"tcp://u:PW@db:5432", "tcp://u:****@db:5432"},
    {"unix://u:PW@/run/x.sock", "unix://u:****@/run/x.sock"},
    {"file://u:PW@/tmp/ready", "file://u:****@/tmp/ready"},
    /* unencoded '@', ':', '/', '?', '#' in the password */
    {"postgres://user:p@ss@host/db", "postgres://user:****@host/db"},
    {"postgres://user:a@b@c@host:5432/db", "postgres://user:****@host:5432/db"},
    {"postgres://user:pa:ss@host/db", "postgres://user:****@host/db"},
    {"postgresql://u:pa@ss#word@db/app", "postgresql://u:****@db/app"},
    {"postgresql://u:pa@ss?word@db/app", "postgresql://u:****@db/app"},
    {"postgres://user:pa/ss@host/db", "postgres://user:****@host/db"},
    {"postgres://user:p@a/b@host/db", "postgres://user:****@host/db"},
    /* percent-encoded passwords */
    {"postgresql://u:p%40ss%23w@db/app", "postgresql://u:****@db/app"},
    {"postgresql://u:%0Aforged@db/app", "postgresql://u:****@db/app"},
    /* no password */
    {"postgres://user@host:5432/db", "postgres://user@host:5432/db"},
    {"postgres://host:5432/db", "postgres://host:5432/db"},
    {"https://pg.test:8443/health", "https://pg.test:8443/health"},
    {"file:./dev.db", "file:./dev.db"},
    /* an '@' after the host: too much hidden rather than too little */
    {"postgres://user:pw@host/db?opt=a@b", "postgres://user:****@b"},
    {"postgres://host/db?user=a:b@c", "postgres://host/db?user=a:****@c"},
    /* secret parameters, whatever the case and however encoded */
    {"postgres://user@host/db?password=x@y", "postgres://user@host/db?password=****"},
    {"postgres://h/db?sslmode=require&password=abc&x=1", "postgres://h/db?sslmode=require&password=****&x=1"},
    {"postgres://u:p@h/db?sslidentity=id.p12&sslpassword=pw&x=1",
     "postgres://u:****@h/db?sslidentity=id.p12&sslpassword=****&x=1"},
    {"postgres://h/db?PassWord=abc", "postgres://h/db?PassWord=****"},
    {"postgres://h/db?pass%77ord=abc&x=1", "postgres://h/db?pass%77ord=****&x=1"},
    {"postgres://h/db?password=a%26b", "postgres://h/db?password=****"},
    {"postgres://h/db?password=abc#frag", "postgres://h/db?password=****#frag"},
    {"prisma://accelerate.prisma-data.net/?api_key=KEY123", "prisma://accelerate.prisma-data.net/?api_key=****"},
    /* sqlserver's ;key=value form, braces included */
    {"sqlserver://db:1433;database=app;user=sa;password=PW;encrypt=true",
     "sqlserver://db:1433;database=app;user=sa;password=****;encrypt=true"},
    {"sqlserver://db:1433;password={p;w}}d};trustServerCertificate=true",
     "sqlserver://db:1433;password=****;trustServerCertificate=true"},
    /* libpq's keyword form */
    {"host=db user=app password=PW dbname=app", "host=db user=app password=**** dbname=app"},
    {"host=db password='a b\\' c' dbname=app", "host=db password=**** dbname=app"},
    /* text stuck to a closing quote or brace is hidden with the value */
    {"host=db password='a'b dbname=app", "host=db password=**** dbname=app"},
    {"sqlserver://db;password={a}b;encrypt=true", "sqlserver://db;password=****;encrypt=true"},
    /* a bare secret */
    {"hunter2", "****"},
    {"pa:ss", "****"},
    {"user:secret@host", "****"},
    {"user:pa=ss@host", "****"},
    {"u:x pwd=s@h?a=1", "****"},
    /* a '#' that ended a value, hidden by the password's range */
    {"secret=a:b#c@h", "secret=****"},
    {"not a url", "****"},
    {"", ""},
    /* already redacted: unchanged */
    {"postgres://u:****@h/d?password=****", "postgres://u:****@h/d?password=****"},
    {"****", "****"},
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char out[512];

		memset(out, 'x', sizeof(out));
		redact_secrets(cases[i].text, out, sizeof(out));
		if (strcmp(out, cases[i].expected) != 0)
			fail_msg("'%s' redacted to '%s', expected '%s'", cases[i].text, out, cases[i].expected);
	}
}

/* Redacting what was redacted changes nothing. */
static void test_idempotent(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char once[512], twice[512];

		redact_secrets(cases[i].text, once, sizeof(once));
		redact_secrets(once, twice, sizeof(twice));
		if (strcmp(once, twice) != 0)
			fail_msg("'%s': once '%s', twice '%s'", cases[i].text, once, twice);
	}
}

/* A buffer too small cuts the redacted text; it never shows more of it. */
static void test_small_buffers(void **state)
{
	static const char text[] = "postgres://user:secret@host/db?password=other";
	static const char redacted[] = "postgres://user:****@host/db?password=****";

	(void)state;
	for (size_t size = 1; size <= sizeof(redacted) + 4; size++) {
		char out[sizeof(redacted) + 8];

		memset(out, 'x', sizeof(out));
		redact_secrets(text, out, size);
		if (strlen(out) != (size - 1 < strlen(redacted) ? size - 1 : strlen(redacted)))
			fail_msg("size %zu: '%s' has the wrong length", size, out);
		if (strncmp(out, redacted, strlen(out)) != 0)
			fail_msg("size %zu: '%s' is not a prefix of the redacted text", size, out);
	}
	redact_secrets(text, NULL, 0); /* nothing written */
}

/* More secret parameters than are tracked one by one: the rest is hidden. */
static void test_many_parameters(void **state)
{
	char text[4096] = "postgres://h/db?";
	char out[8192];

	(void)state;
	for (int i = 0; i < 100; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "password=s%02d&", i);
	redact_secrets(text, out, sizeof(out));
	for (int i = 0; i < 100; i++) {
		char secret[8];

		snprintf(secret, sizeof(secret), "s%02d", i);
		if (strstr(out, secret))
			fail_msg("'%s' shows %s", out, secret);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_idempotent),
	    cmocka_unit_test(test_small_buffers),
	    cmocka_unit_test(test_many_parameters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
