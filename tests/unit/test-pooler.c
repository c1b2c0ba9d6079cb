/* Unit tests for pooler.c: which URLs look like a transaction pooler's, and
 * the reason given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pooler.h"

#include <stdbool.h>
#include <string.h>

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

static const struct {
	const char *url;
	const char *why; /* NULL: does not look pooled */
} cases[] = {
    {"postgresql://u:p@db:5432/app", NULL},
    {"postgresql://u:p@db/app?pgbouncer=true", "pgbouncer=true"},
    {"postgresql://u:p@db/app?schema=s&pgbouncer=true&connection_limit=1", "pgbouncer=true"},
    {"postgresql://u:p@db/app?pgbouncer=false", NULL},
    /* Supabase: 6543 is Supavisor's transaction port; 5432 on the same host
     * is its session mode, which keeps session state */
    {"postgresql://postgres.ref:p@aws-0-eu-central-1.pooler.supabase.com:6543/postgres", "port 6543"},
    {"postgresql://postgres.ref:p@aws-0-eu-central-1.pooler.supabase.com:5432/postgres", NULL},
    {"postgresql://postgres.ref:p@aws-0-eu-central-1.pooler.supabase.com/postgres", NULL},
    {"postgresql://postgres.ref:p@aws-0-eu-central-1.pooler.supabase.com:6000/postgres",
     "host aws-0-eu-central-1.pooler.supabase.com"},
    {"postgresql://postgres:p@db.ref.supabase.co:5432/postgres", NULL},
    /* Neon: the pooled endpoint's host has -pooler after the endpoint id */
    {"postgresql://u:p@ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech/neondb?sslmode=require",
     "host ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech"},
    {"postgresql://u:p@ep-cool-darkness-123456.us-east-2.aws.neon.tech/neondb?sslmode=require", NULL},
    {"postgres://u:p@10.0.0.5:6543/app", "port 6543"},
    /* any host of a list */
    {"postgresql://u:p@db1:5432,db2:6543/app", "port 6543"},
    /* a password with the words in it is not a host */
    {"postgresql://u:-pooler.x@db/app", NULL},
    {"not a url", NULL},
    {"", NULL},
};

static void test_looks_pooled(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		char why[256] = "stale";
		bool pooled = pooler_url_looks_pooled(cases[i].url, why, sizeof(why));

		if (pooled != (cases[i].why != NULL))
			fail_msg("%s: looks pooled %d", cases[i].url, pooled);
		if (strcmp(why, cases[i].why ? cases[i].why : "") != 0)
			fail_msg("%s: why '%s', not '%s'", cases[i].url, why, cases[i].why ? cases[i].why : "");
	}
}

static void test_null_url(void **state)
{
	char why[8] = "stale";

	(void)state;
	assert_false(pooler_url_looks_pooled(NULL, why, sizeof(why)));
	assert_string_equal(why, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_looks_pooled),
	    cmocka_unit_test(test_null_url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
