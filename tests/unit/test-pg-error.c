/* Unit tests for pg-error.c: PostgreSQL's and libpq's error text read as one
 * line, and the verdict from the table of rules, each rule with its advice;
 * from tables: every rule of the table decides at least one case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pg-error.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

#define AT       "connection to server at \"db\" (10.0.0.5), port 5432 failed: "
#define PASSWORD "s3cret-pw"

#define TLS_ADVICE "the server's certificate was not accepted: check sslcert and sslmode in DATABASE_URL"

struct error_case {
	const char *text;
	const char *sqlstate; /* the server's field; NULL: none */
	bool tls_off;
	bool identity_dropped;
	const char *message;
	enum pg_error_verdict verdict;
	const char *advice; /* exact; NULL: "" */
};

/* The 28P01 advice, volume note included. */
#define PASSWORD_ADVICE                                                                                                \
	"check the password in DATABASE_URL; with the official postgres image, POSTGRES_PASSWORD is only applied "     \
	"when "                                                                                                        \
	"its data volume is first created: a persisted volume keeps the password it was made with (change it there "   \
	"with ALTER ROLE, or recreate the volume)"

static const struct error_case error_cases[] = {
    /* SQLSTATE in libpq's verbose text */
    {AT "FATAL:  28P01: password authentication failed for user \"app\"\nLOCATION:  auth_failed, auth.c:323\n", NULL,
     false, false, "password authentication failed for user \"app\" (28P01)", PG_ERROR_PERMANENT, PASSWORD_ADVICE},
    {AT "SSL error: certificate verify failed\n" AT "FATAL:  28000: no pg_hba.conf entry for host \"10.0.0.9\", "
        "user \"app\", database \"app\", no encryption\n",
     NULL, false, false, "SSL error: certificate verify failed, and the server refuses unencrypted connections (28000)",
     PG_ERROR_PERMANENT,
     "the server's certificate was not accepted and the server requires TLS: check sslcert and sslaccept in "
     "DATABASE_URL"},
    /* SQLSTATE from the server's field */
    {"no pg_hba.conf entry for host \"10.0.0.9\", user \"app\", database \"app\", no encryption", "28000", true, false,
     "no pg_hba.conf entry for host \"10.0.0.9\", user \"app\", database \"app\", no encryption (28000)",
     PG_ERROR_PERMANENT,
     "the server's pg_hba.conf admits this connection only with TLS: set sslmode=require in DATABASE_URL"},
    {"no pg_hba.conf entry for host \"10.0.0.9\", user \"app\", database \"app\", no encryption", "28000", false, false,
     "no pg_hba.conf entry for host \"10.0.0.9\", user \"app\", database \"app\", no encryption (28000)",
     PG_ERROR_PERMANENT,
     "the server's pg_hba.conf admits no such connection: change pg_hba.conf, or the user or database in "
     "DATABASE_URL"},
    {"no pg_hba.conf entry for host \"10.0.0.9\", user \"app\", database \"app\", SSL encryption", "28000", false,
     false, "no pg_hba.conf entry for host \"10.0.0.9\", user \"app\", database \"app\", SSL encryption (28000)",
     PG_ERROR_PERMANENT,
     "the server refuses encrypted connections from here: set sslmode=disable in DATABASE_URL, or change "
     "pg_hba.conf"},
    {"connection requires a valid client certificate", "28000", false, true,
     "connection requires a valid client certificate (28000)", PG_ERROR_PERMANENT,
     "the server wants a client certificate, and the sslidentity (PKCS#12) in DATABASE_URL cannot be used by this "
     "check"},
    {"connection requires a valid client certificate", "28000", false, false,
     "connection requires a valid client certificate (28000)", PG_ERROR_PERMANENT,
     "the server wants a client certificate: use Prisma's sslidentity in DATABASE_URL"},
    {"pg_hba.conf rejects connection for host \"10.0.0.9\", user \"app\", database \"app\"", "28000", false, false,
     "pg_hba.conf rejects connection for host \"10.0.0.9\", user \"app\", database \"app\" (28000)", PG_ERROR_PERMANENT,
     "the server's pg_hba.conf admits no such connection: add an entry for this host, user and database"},
    {"role \"app\" does not exist", "28000", false, false, "role \"app\" does not exist (28000)", PG_ERROR_PERMANENT,
     "check the user name in DATABASE_URL, or create the role"},
    {"role \"app\" is not permitted to log in", "28000", false, false,
     "role \"app\" is not permitted to log in (28000)", PG_ERROR_PERMANENT,
     "check the user and password in DATABASE_URL"},
    {"database \"app\" does not exist", "3D000", false, false, "database \"app\" does not exist (3D000)",
     PG_ERROR_PERMANENT, "create the database, or correct its name in DATABASE_URL"},
    {"permission denied for database \"app\"", "42501", false, false, "permission denied for database \"app\" (42501)",
     PG_ERROR_PERMANENT, "grant CONNECT on the database to the user"},
    {AT "FATAL:  57P03: the database system is starting up\n", NULL, false, false,
     "the database system is starting up (57P03)", PG_ERROR_TRANSIENT, NULL},
    {"sorry, too many clients already", "53300", false, false, "sorry, too many clients already (53300)",
     PG_ERROR_TRANSIENT, NULL},
    {"invalid length of startup packet", "08P01", false, false, "invalid length of startup packet (08P01)",
     PG_ERROR_TRANSIENT, NULL},
    /* Connection poolers: PgBouncer 1.18 (as run in tests/integration/test_poolers.py), which sends its own
     * refusals and the server's as 08P01, older PgBouncers, Supavisor */
    {AT "FATAL:  SASL authentication failed\n", "08P01", false, false, "SASL authentication failed (08P01)",
     PG_ERROR_PERMANENT,
     "the connection pooler refused the login: check the password in DATABASE_URL, and the pooler's auth_file (or "
     "auth_query) for this user"},
    {AT "FATAL:  password authentication failed\n", "08P01", false, false, "password authentication failed (08P01)",
     PG_ERROR_PERMANENT,
     "the connection pooler refused the login: check the password in DATABASE_URL, and the pooler's auth_file (or "
     "auth_query) for this user"},
    {"no such user", "08P01", false, false, "no such user (08P01)", PG_ERROR_PERMANENT,
     "the connection pooler knows no such user: check the user in DATABASE_URL, and the pooler's auth_file"},
    {"database \"nodb\" does not exist", "08P01", false, false, "database \"nodb\" does not exist (08P01)",
     PG_ERROR_PERMANENT, "create the database, or correct its name in DATABASE_URL"},
    {"no such database: nodb", "08P01", false, false, "no such database: nodb (08P01)", PG_ERROR_PERMANENT,
     "the connection pooler has no such database: check the database in DATABASE_URL, and the pooler's "
     "[databases] section"},
    {"server login has been failing, try again later (server_login_retry)", "08P01", false, false,
     "server login has been failing, try again later (server_login_retry) (08P01)", PG_ERROR_TRANSIENT, NULL},
    {"Tenant or user not found", "XX000", false, false, "tenant or user not found (XX000)", PG_ERROR_PERMANENT,
     "the connection pooler knows no such tenant or user: Supabase's pooler URLs name the user as "
     "postgres.PROJECT_REF; copy the URL from the dashboard's Connect dialog"},
    {"Authentication error, reason: \"password authentication failed for user\"", "XX000", false, false,
     "authentication error, reason: \"password authentication failed for user\" (XX000)", PG_ERROR_PERMANENT,
     "the connection pooler refused the login: check the user and password in DATABASE_URL"},
    {"pool is busy", "08P01", false, false, "pool is busy (08P01)", PG_ERROR_TRANSIENT, NULL},
    /* No SQLSTATE: libpq's and the system's words */
    {AT "server does not support SSL, but SSL was required\n", NULL, false, false,
     "server does not support SSL, but SSL was required", PG_ERROR_PERMANENT,
     "the server does not offer TLS: use sslmode=prefer or disable in DATABASE_URL, or turn ssl on in the server"},
    {AT "root certificate file \"/app/ca.pem\" does not exist\nEither provide the file or change sslmode.\n", NULL,
     false, false, "root certificate file \"/app/ca.pem\" does not exist", PG_ERROR_PERMANENT,
     "give the server's CA certificate as sslcert=PATH in DATABASE_URL (the file must exist), or use "
     "sslmode=require"},
    {"connection to server on socket \"/run/postgresql/.s.PGSQL.5432\" failed: No such file or directory\n\tIs the "
     "server running locally and accepting connections on that socket?\n",
     NULL, false, false, "socket /run/postgresql/.s.PGSQL.5432 does not exist", PG_ERROR_TRANSIENT, NULL},
    {AT "Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?\n", NULL, false,
     false, "connection refused", PG_ERROR_TRANSIENT, NULL},
    {AT "Connection timed out\n", NULL, false, false, "connection timed out", PG_ERROR_TRANSIENT, NULL},
    {AT "Network is unreachable\n", NULL, false, false, "network is unreachable", PG_ERROR_TRANSIENT, NULL},
    {AT "No route to host\n", NULL, false, false, "no route to host", PG_ERROR_TRANSIENT, NULL},
    {AT "Network is down\n", NULL, false, false, "network is down", PG_ERROR_TRANSIENT, NULL},
    {AT "Connection reset by peer\n", NULL, false, false, "connection reset by peer", PG_ERROR_TRANSIENT, NULL},
    {AT "server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally\n", NULL,
     false, false, "server closed the connection unexpectedly", PG_ERROR_TRANSIENT, NULL},
    {"connection to server was lost", NULL, false, false, "connection to server was lost", PG_ERROR_TRANSIENT, NULL},
    {"could not receive data from server: Bad file descriptor", NULL, false, false,
     "could not receive data from server: Bad file descriptor", PG_ERROR_TRANSIENT, NULL},
    {"could not send data to server: Socket is not connected", NULL, false, false,
     "could not send data to server: Socket is not connected", PG_ERROR_TRANSIENT, NULL},
    {"Broken pipe", NULL, false, false, "broken pipe", PG_ERROR_TRANSIENT, NULL},
    /* a server going away, not a certificate problem */
    {AT "SSL SYSCALL error: EOF detected\n", NULL, false, false, "SSL SYSCALL error: EOF detected", PG_ERROR_TRANSIENT,
     NULL},
    {AT "SSL error: unexpected eof while reading\n", NULL, false, false, "SSL error: unexpected eof while reading",
     PG_ERROR_TRANSIENT, NULL},
    {AT "SSL SYSCALL error: Success\n", NULL, false, false, "SSL SYSCALL error: Success", PG_ERROR_TRANSIENT, NULL},
    {"Resource temporarily unavailable", NULL, false, false, "resource temporarily unavailable", PG_ERROR_TRANSIENT,
     NULL},
    {"Cannot assign requested address", NULL, false, false, "cannot assign requested address", PG_ERROR_TRANSIENT,
     NULL},
    {"could not translate host name \"db\" to address: Name or service not known", NULL, false, false,
     "could not translate host name \"db\" to address: Name or service not known", PG_ERROR_TRANSIENT, NULL},
    {"could not resolve \"db\": Temporary failure in name resolution", NULL, false, false,
     "could not resolve \"db\": Temporary failure in name resolution", PG_ERROR_TRANSIENT, NULL},
    {AT "server certificate for \"db\" does not match host name \"x\"\n", NULL, false, false,
     "server certificate for \"db\" does not match host name \"x\"", PG_ERROR_PERMANENT, TLS_ADVICE},
    {AT "SSL error: wrong version number\n", NULL, false, false, "SSL error: wrong version number", PG_ERROR_PERMANENT,
     TLS_ADVICE},
    {AT "fe_sendauth: no password supplied\n", NULL, false, false,
     "the server asks for a password and the URL has none", PG_ERROR_PERMANENT, "put the password in DATABASE_URL"},
    {AT "channel binding is required, but server did not offer an authentication method that supports channel "
        "binding\n",
     NULL, false, false,
     "channel binding is required, but server did not offer an authentication method that supports channel binding",
     PG_ERROR_PERMANENT, "the server does not do channel binding here: set channel_binding=prefer in DATABASE_URL"},
    /* No rule: retried, and the message says so */
    {"something odd", "XX000", false, false, "something odd (XX000); not recognised, retrying", PG_ERROR_TRANSIENT,
     NULL},
    {"something odd", NULL, false, false, "something odd; not recognised, retrying", PG_ERROR_TRANSIENT, NULL},
    /* With a SQLSTATE, the words of the rules without one do not count */
    {"connection refused", "42P01", false, false, "connection refused (42P01); not recognised, retrying",
     PG_ERROR_TRANSIENT, NULL},
    /* Reading: the password never shows, control characters become spaces,
     * a malformed SQLSTATE field is left out */
    {AT "FATAL:  28P01: password authentication failed for user \"" PASSWORD "\"\n", NULL, false, false,
     "password authentication failed for user \"****\" (28P01)", PG_ERROR_PERMANENT, PASSWORD_ADVICE},
    {"role \"a\tb\" does not exist", "28000", false, false, "role \"a b\" does not exist (28000)", PG_ERROR_PERMANENT,
     "check the user name in DATABASE_URL, or create the role"},
    {"something odd", "28P0\n", false, false, "something odd; not recognised, retrying", PG_ERROR_TRANSIENT, NULL},
    {"", NULL, false, false, "connection failed; not recognised, retrying", PG_ERROR_TRANSIENT, NULL},
};

static void test_error_table(void **state)
{
	size_t rule_count;
	const struct pg_error_rule *rules = pg_error_rules(&rule_count);
	bool decided[64] = {false};

	(void)state;
	assert_true(rule_count <= COUNT(decided));
	for (size_t i = 0; i < COUNT(error_cases); i++) {
		const struct error_case *c = &error_cases[i];
		const struct pg_error_context context = {.tls_off = c->tls_off,
		                                         .identity_dropped = c->identity_dropped};
		struct pg_error error = {0};

		pg_error_read(&error, c->text, c->sqlstate, PASSWORD);
		pg_error_classify(&error, &context);
		if (strcmp(error.message, c->message) != 0)
			fail_msg("case %zu: message '%s', not '%s'", i, error.message, c->message);
		if (error.verdict != c->verdict)
			fail_msg("case %zu (%s): verdict %d, not %d", i, c->message, error.verdict, c->verdict);
		if (strcmp(error.advice, c->advice ? c->advice : "") != 0)
			fail_msg("case %zu (%s): advice '%s', not '%s'", i, c->message, error.advice,
			         c->advice ? c->advice : "");
		if (error.rule) {
			assert_true(error.rule >= rules && error.rule < rules + rule_count);
			decided[error.rule - rules] = true;
		}
	}
	for (size_t i = 0; i < rule_count; i++)
		if (!decided[i])
			fail_msg("rule %zu (%s, %s) decides no case of the table", i, rules[i].code,
			         rules[i].words[0] ? rules[i].words[0] : "any text");
}

/* The rules are consistent: advice exactly for the permanent ones. */
static void test_rules_have_advice(void **state)
{
	size_t count;
	const struct pg_error_rule *rules = pg_error_rules(&count);

	(void)state;
	for (size_t i = 0; i < count; i++) {
		bool advice = rules[i].advice && rules[i].advice[0];

		if (advice != (rules[i].verdict == PG_ERROR_PERMANENT))
			fail_msg("rule %zu (%s, %s): advice and verdict disagree", i, rules[i].code,
			         rules[i].words[0] ? rules[i].words[0] : "any text");
	}
}

/* Configuration errors found before any network traffic: always permanent. */
/* A missing database, as the server says it and as PgBouncer passes it on;
 * PgBouncer's own "no such database" is its configuration, not a database
 * to create. */
static void test_missing_database(void **state)
{
	static const struct {
		const char *text;
		const char *sqlstate;
		bool missing;
	} cases[] = {
	    {"database \"app\" does not exist", "3D000", true},
	    {AT "FATAL:  database \"app\" does not exist\n", "08P01", true},
	    {"no such database: app", "08P01", false},
	    {"role \"app\" does not exist", "28000", false},
	    {"database \"app\" does not exist", NULL, false},
	    {"password authentication failed for user \"app\"", "08P01", false},
	};

	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		struct pg_error error = {0};

		pg_error_read(&error, cases[i].text, cases[i].sqlstate, PASSWORD);
		if (pg_error_is_missing_database(&error) != cases[i].missing)
			fail_msg("case %zu (%s): missing database %d", i, error.message, !cases[i].missing);
	}
}

static void test_at_start(void **state)
{
	static const struct {
		const char *text;
		const char *message;
		const char *advice;
	} cases[] = {
	    {"could not look up local user ID 1000: No such file or directory",
	     "could not look up local user ID 1000: No such file or directory",
	     "the URL names no user and this system has no entry for the current user (no /etc/passwd?): put the user "
	     "in DATABASE_URL, postgresql://USER:PASSWORD@HOST/DB"},
	    {"invalid sslmode value: \"bogus\"", "invalid sslmode value: \"bogus\"", "fix DATABASE_URL"},
	    {"no address to connect to", "no address to connect to", "fix DATABASE_URL"},
	    /* the words of a transient rule do not make it transient */
	    {AT "Connection refused\n", "connection refused", "fix DATABASE_URL"},
	};

	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		struct pg_error error = {0};

		pg_error_at_start(&error, cases[i].text, PASSWORD);
		assert_string_equal(error.message, cases[i].message);
		assert_int_equal(error.verdict, PG_ERROR_PERMANENT);
		assert_string_equal(error.advice, cases[i].advice);
	}
}

/* The first line, without trailing spaces, full stops and carriage returns. */
static void test_line_length(void **state)
{
	(void)state;
	assert_int_equal(pg_error_line_length("server closed the connection.\nmore"), 28);
	assert_int_equal(pg_error_line_length("refused . \r\n"), 7);
	assert_int_equal(pg_error_line_length(""), 0);
	assert_int_equal(pg_error_line_length("...\n"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_error_table),      cmocka_unit_test(test_rules_have_advice),
	    cmocka_unit_test(test_missing_database), cmocka_unit_test(test_at_start),
	    cmocka_unit_test(test_line_length),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
