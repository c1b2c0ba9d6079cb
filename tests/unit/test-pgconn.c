/* Unit tests for pg-target.c and pg-probe.c: Prisma URLs as libpq parameters, and the probe
 * against closed ports, silent listeners and a small fake server that speaks
 * just enough of the PostgreSQL protocol (no PostgreSQL needed; the real
 * server is the integration suite's). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testlib.h"

#include "pg-probe.h"
#include "pg-session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Always added: Prisma never uses GSSAPI encryption, and the server should
 * see who is knocking. */
#define DEFAULTS "gssencmode=disable|fallback_application_name=prisma-entrypoint"

/* ---- translation ---- */

static const struct {
	const char *url;
	const char *pairs; /* '|'-separated keyword=value, DEFAULTS added unless gssencmode is listed */
	const char *display;
	const char *dbname;
	const char *user;
	const char *schema;
	bool identity_dropped;
} good[] = {
    /* Prisma's documentation, PostgreSQL connector. */
    {"postgresql://janedoe:mypassword@localhost:5432/mydb?schema=sample",
     "user=janedoe|password=mypassword|dbname=mydb|sslmode=prefer", "localhost:5432", "mydb", "janedoe", "sample",
     false},
    {"postgresql://USER:PASSWORD@db.example.com:5432/DATABASE?schema=myschema&connection_limit=5&socket_timeout=3",
     "user=USER|password=PASSWORD|dbname=DATABASE|sslmode=prefer", "db.example.com:5432", "DATABASE", "USER",
     "myschema", false},
    {"postgresql://USER:PASSWORD@localhost/database?host=/var/run/postgresql/",
     "user=USER|password=PASSWORD|dbname=database|sslmode=prefer", "/var/run/postgresql", "database", "USER", "public",
     false},
    {"postgresql://USER:PASSWORD@db:5432/DATABASE?sslidentity=client-identity.p12&sslpassword=mypassword&sslcert="
     "rootca.cert",
     "user=USER|password=PASSWORD|dbname=DATABASE|sslmode=prefer", "db:5432", "DATABASE", "USER", "public", true},
    /* Prisma's special-characters example: p@$$w0rd. */
    {"postgresql://johndoe:p%40%24%24w0rd@localhost:5432/mydb",
     "user=johndoe|password=p@$$w0rd|dbname=mydb|sslmode=prefer", "localhost:5432", "mydb", "johndoe", "public", false},
    /* Every character that would end a component, encoded. */
    {"postgres://app:a%40b%3Ac%2Fd%23e%3Ff%20g@db/app", "user=app|password=a@b:c/d#e?f g|dbname=app|sslmode=prefer",
     "db:5432", "app", "app", "public", false},
    /* Hosted databases as their dashboards print them. */
    {"postgresql://alex:AbC123dEf@ep-cool-darkness-123456.us-east-2.aws.neon.tech/dbname?sslmode=require",
     "user=alex|password=AbC123dEf|dbname=dbname|sslmode=require",
     "ep-cool-darkness-123456.us-east-2.aws.neon.tech:5432", "dbname", "alex", "public", false},
    {"postgres://postgres.abcdefghij:pw@aws-0-eu-central-1.pooler.supabase.com:6543/"
     "postgres?pgbouncer=true&connection_limit=1",
     "user=postgres.abcdefghij|password=pw|dbname=postgres|sslmode=prefer",
     "aws-0-eu-central-1.pooler.supabase.com:6543", "postgres", "postgres.abcdefghij", "public", false},
    /* Every Prisma-only parameter is dropped. */
    {"postgresql://u:p@db/app?schema=s&connection_limit=5&pool_timeout=0&pgbouncer=false&statement_cache_size=0&"
     "socket_timeout=3&connect_timeout=10&max_connection_lifetime=60&max_idle_connection_lifetime=0&sslidentity=id."
     "p12&sslpassword=pkcs&sslaccept=accept_invalid_certs",
     "user=u|password=p|dbname=app|sslmode=prefer", "db:5432", "app", "u", "s", true},
    /* What libpq knows passes through. */
    {"postgresql://u:p@db/app?application_name=web&options=-c%20statement_timeout%3D5000&channel_binding=require&"
     "keepalives=1&target_session_attrs=read-write",
     "user=u|password=p|dbname=app|sslmode=prefer|application_name=web|options=-c statement_timeout=5000|"
     "channel_binding=require|keepalives=1|target_session_attrs=read-write",
     "db:5432", "app", "u", "public", false},
    /* '+' is a space in a query value, as Prisma reads it. */
    {"postgresql://u:p@db/app?options=-c+search_path%3Dapp",
     "user=u|password=p|dbname=app|sslmode=prefer|options=-c "
     "search_path=app",
     "db:5432", "app", "u", "public", false},
    {"postgresql://u:p@db/app?gssencmode=prefer",
     "user=u|password=p|dbname=app|sslmode=prefer|gssencmode=prefer|"
     "fallback_application_name=prisma-entrypoint",
     "db:5432", "app", "u", "public", false},
    /* TLS: sslmode kept; sslcert is the root certificate, given to libpq
     * when something verifies it. */
    {"postgresql://u:p@db/app?sslmode=disable", "user=u|password=p|dbname=app|sslmode=disable", "db:5432", "app", "u",
     "public", false},
    {"postgresql://u:p@db/app?sslmode=verify-full&sslcert=ca.pem",
     "user=u|password=p|dbname=app|sslmode=verify-full|sslrootcert=ca.pem", "db:5432", "app", "u", "public", false},
    {"postgresql://u:p@db/app?sslmode=verify-ca&sslrootcert=/etc/ca.pem",
     "user=u|password=p|dbname=app|sslmode=verify-ca|sslrootcert=/etc/ca.pem", "db:5432", "app", "u", "public", false},
    {"postgresql://u:p@db/app?sslmode=require&sslcert=ca.pem", "user=u|password=p|dbname=app|sslmode=require",
     "db:5432", "app", "u", "public", false},
    {"postgresql://u:p@db/app?sslmode=require&sslaccept=strict&sslcert=../ca.pem",
     "user=u|password=p|dbname=app|sslmode=verify-full|sslrootcert=../ca.pem", "db:5432", "app", "u", "public", false},
    /* Prisma reads any other sslaccept value as strict. */
    {"postgresql://u:p@db/app?sslmode=require&sslaccept=yes&sslcert=ca.pem",
     "user=u|password=p|dbname=app|sslmode=verify-full|sslrootcert=ca.pem", "db:5432", "app", "u", "public", false},
    {"postgresql://u:p@db/app?sslaccept=strict&sslcert=ca.pem",
     "user=u|password=p|dbname=app|sslmode=prefer|sslrootcert=ca.pem", "db:5432", "app", "u", "public", false},
    /* Hosts: IPv6, several, defaults. */
    {"postgresql://u:p@[::1]:5433/app", "user=u|password=p|dbname=app|sslmode=prefer", "[::1]:5433", "app", "u",
     "public", false},
    {"postgresql://u:p@h1:5432,h2:5433,[2001:db8::2]/app", "user=u|password=p|dbname=app|sslmode=prefer",
     "h1:5432,h2:5433,[2001:db8::2]:5432", "app", "u", "public", false},
    {"postgresql://u:p@db/app", "user=u|password=p|dbname=app|sslmode=prefer", "db:5432", "app", "u", "public", false},
    {"postgresql:///app", "dbname=app|sslmode=prefer", "localhost:5432", "app", "", "public", false},
    {"postgresql://u@/app?host=%2Ftmp%2Fpg&sslmode=disable", "user=u|dbname=app|sslmode=disable", "/tmp/pg", "app", "u",
     "public", false},
    {"postgresql://u@localhost:6000/app?host=/run/pg", "user=u|dbname=app|sslmode=prefer", "/run/pg/.s.PGSQL.6000",
     "app", "u", "public", false},
    {"postgresql://u:p@ignored/app?host=other.example", "user=u|password=p|dbname=app|sslmode=prefer",
     "other.example:5432", "app", "u", "public", false},
    /* No database: Prisma's "postgres"; an empty one: the server's choice, the user's name. */
    {"postgresql://u:p@db:5432", "user=u|password=p|dbname=postgres|sslmode=prefer", "db:5432", "postgres", "u",
     "public", false},
    {"postgresql://u:p@db:5432/", "user=u|password=p|dbname=u|sslmode=prefer", "db:5432", "u", "u", "public", false},
    {"postgresql://u:p@db/my%20db", "user=u|password=p|dbname=my db|sslmode=prefer", "db:5432", "my db", "u", "public",
     false},
    /* Query keywords Prisma does not read are not read here either. */
    {"postgresql://u:p@db/app?password=other&user=x&dbname=y&port=1&hostaddr=10.0.0.1",
     "user=u|password=p|dbname=app|sslmode=prefer", "db:5432", "app", "u", "public", false},
    /* The last of repeated parameters wins. */
    {"postgresql://u:p@db/app?sslmode=disable&sslmode=require&schema=a&schema=b",
     "user=u|password=p|dbname=app|sslmode=require", "db:5432", "app", "u", "b", false},
    {"POSTGRESQL://u:p@db/app", "user=u|password=p|dbname=app|sslmode=prefer", "db:5432", "app", "u", "public", false},
};

static size_t split_pairs(const char *text, char out[][160], size_t max)
{
	size_t count = 0;

	while (*text && count < max) {
		size_t len = strcspn(text, "|");

		assert_true(len < 160);
		memcpy(out[count], text, len);
		out[count++][len] = '\0';
		text += len;
		if (*text == '|')
			text++;
	}
	return count;
}

static void check_good(size_t i)
{
	struct pg_target target;
	char error[512] = "";
	char expected[24][160];
	char combined[1024];
	size_t count;
	size_t actual = 0;

	if (pgconn_target_from_url(good[i].url, &target, error, sizeof(error)) != 0)
		fail_msg("'%s' was rejected: %s", good[i].url, error);
	snprintf(combined, sizeof(combined), "%s%s%s", good[i].pairs, strstr(good[i].pairs, "gssencmode") ? "" : "|",
	         strstr(good[i].pairs, "gssencmode") ? "" : DEFAULTS);
	count = split_pairs(combined, expected, ARRAY_LEN(expected));
	while (target.keywords[actual])
		actual++;
	for (size_t k = 0; k < actual; k++) {
		char pair[512];
		bool found = false;

		assert_non_null(target.values[k]);
		snprintf(pair, sizeof(pair), "%s=%s", target.keywords[k], target.values[k]);
		for (size_t e = 0; e < count; e++)
			found = found || strcmp(expected[e], pair) == 0;
		if (!found)
			fail_msg("'%s': unexpected %s", good[i].url, pair);
	}
	if (actual != count)
		fail_msg("'%s': %zu parameters, expected %zu (%s)", good[i].url, actual, count, combined);
	assert_null(target.values[actual]);
	assert_string_equal(target.display, good[i].display);
	assert_string_equal(target.dbname, good[i].dbname);
	assert_string_equal(target.user, good[i].user);
	assert_string_equal(target.schema, good[i].schema);
	assert_int_equal(target.identity_dropped, good[i].identity_dropped);
	assert_true(target.host_count >= 1);
	/* host, hostaddr and port come with each attempt. */
	assert_null(pgconn_target_value(&target, "host"));
	assert_null(pgconn_target_value(&target, "hostaddr"));
	assert_null(pgconn_target_value(&target, "port"));
	pgconn_target_release(&target);
	pgconn_target_release(&target);
}

static void test_translation_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(good); i++)
		check_good(i);
}

static void test_hosts(void **state)
{
	struct pg_target target;
	char error[512];

	(void)state;
	assert_int_equal(
	    pgconn_target_from_url("postgresql://u:p@h1,[::1]:5433,10.0.0.7:6000/app", &target, error, sizeof(error)),
	    0);
	assert_int_equal(target.host_count, 3);
	assert_string_equal(target.hosts[0].name, "h1");
	assert_string_equal(target.hosts[0].port, "5432");
	assert_false(target.hosts[0].is_socket);
	assert_string_equal(target.hosts[1].name, "::1");
	assert_string_equal(target.hosts[1].port, "5433");
	assert_string_equal(target.hosts[2].name, "10.0.0.7");
	assert_string_equal(target.hosts[2].port, "6000");
	pgconn_target_release(&target);

	assert_int_equal(pgconn_target_from_url("postgresql://u@localhost/app?host=/var/run/postgresql", &target, error,
	                                        sizeof(error)),
	                 0);
	assert_int_equal(target.host_count, 1);
	assert_string_equal(target.hosts[0].name, "/var/run/postgresql");
	assert_string_equal(target.hosts[0].port, "5432");
	assert_true(target.hosts[0].is_socket);
	pgconn_target_release(&target);
}

static const struct {
	const char *url;
	const char *reason;
} bad[] = {
    {"mysql://root:secret@db:3306/app", "starts with postgresql:// or postgres://"},
    {"sqlserver://db:1433;database=app;user=sa;password=secret", "starts with postgresql:// or postgres://"},
    {"file:./dev.db", "starts with postgresql:// or postgres://"},
    {"postgresql:app", "starts with postgresql:// or postgres://"},
    {"postgresql//u:secret@db/app", "starts with postgresql:// or postgres://"},
    {"postgresqlx://u:secret@db/app", "starts with postgresql:// or postgres://"},
    {"postgresql://u:secret@db/app?foo=bar", "unknown parameter 'foo'"},
    {"postgresql://u:secret@db/app?sslmod=require", "unknown parameter 'sslmod'"},
    {"postgresql://u:secret@db/app?sslmode=bogus", "invalid sslmode value 'bogus'"},
    {"postgresql://u:secret@db/app?channel_binding=always", "invalid channel_binding value"},
    {"postgresql://u:secret@db/app?target_session_attrs=writable", "invalid target_session_attrs value"},
    {"postgresql://u:secret@db/app?connection_limit=ten", "connection_limit must be a whole number"},
    {"postgresql://u:secret@db/app?pool_timeout=-1", "pool_timeout must be a whole number"},
    {"postgresql://u:secret@db/app?pgbouncer=yes", "pgbouncer must be true or false"},
    {"postgresql://u:secret@db:99999/app", "port is not a number from 1 to 65535"},
    {"postgresql://u:secret@db:5432,/app", "empty host"},
    {"postgresql://u:secret@[::1/app", "IPv6"},
    {"postgresql://u:secret@db/app?host=/a,b", "comma"},
    /* Unencoded '/', '?' or '#' in the password. */
    {"postgresql://u:12/secret@db:5432/app", "percent-encode"},
    {"postgresql://u:12?secret@db:5432/app", "percent-encode"},
    {"postgresql://u:12#secret@db:5432/app", "percent-encode"},
    {"postgresql://u:se/cret@db:5432/app", "percent-encode"},
    {"postgresql://u:secret@db/app?a=%00", "%00"},
    /* names PostgreSQL would cut to 63 bytes, or refuse in the startup packet */
    {"postgresql://u:secret@db/d123456789012345678901234567890123456789012345678901234567890123",
     "the database name is 64 bytes long: PostgreSQL names have at most 63"},
    {"postgresql://u123456789012345678901234567890123456789012345678901234567890123:secret@db/app",
     "the user name is 64 bytes long"},
    {"postgresql://u:secret@db/%C3%A912345678901234567890123456789012345678901234567890123456789012",
     "the database name is 64 bytes long"},
    /* not a URL: shown only through the redactor */
    {"host=db user=app password=secret dbname=app", "'host=db user=app password=**** dbname=app'"},
    {"secret", "invalid URL '****'"},
    {"sec:ret", "invalid URL '****'"},
};

/* The maintenance database's target: the same server, user, password and
 * parameters, another database. */
static void test_target_for_another_database(void **state)
{
	struct pg_target target, other;
	char error[512];

	(void)state;
	assert_int_equal(pgconn_target_from_url("postgresql://u:secret@h1,[::1]:5433/app?schema=s&sslmode=require",
	                                        &target, error, sizeof(error)),
	                 0);
	assert_int_equal(pgconn_target_for_database(&target, "postgres", &other), 0);
	pgconn_target_release(&target);
	assert_string_equal(other.dbname, "postgres");
	assert_string_equal(pgconn_target_value(&other, "dbname"), "postgres");
	assert_string_equal(pgconn_target_value(&other, "password"), "secret");
	assert_string_equal(pgconn_target_value(&other, "sslmode"), "require");
	assert_string_equal(other.user, "u");
	assert_string_equal(other.schema, "s");
	assert_int_equal(other.host_count, 2);
	assert_string_equal(other.hosts[1].name, "::1");
	assert_string_equal(other.hosts[1].port, "5433");
	pgconn_target_release(&other);
}

static void test_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct pg_target target;
		char error[512] = "";

		if (pgconn_target_from_url(bad[i].url, &target, error, sizeof(error)) != -1)
			fail_msg("'%s' was accepted", bad[i].url);
		if (!strstr(error, bad[i].reason))
			fail_msg("'%s': message '%s' does not say '%s'", bad[i].url, error, bad[i].reason);
		if (strncmp(error, "invalid URL", 11) != 0)
			fail_msg("'%s': message '%s' does not start with 'invalid URL'", bad[i].url, error);
		if (strstr(error, "secret") || strstr(error, "cret"))
			fail_msg("'%s': message '%s' shows the password", bad[i].url, error);
		if (strchr(error, '\n'))
			fail_msg("'%s': message '%s' is not one line", bad[i].url, error);
		assert_null(target.keywords);
		assert_null(target.display);
		pgconn_target_release(&target);
	}
}

static void test_error_message_exact(void **state)
{
	struct pg_target target;
	char error[512];

	(void)state;
	assert_int_equal(pgconn_target_from_url("postgresql://app:hunter2@db:5432/app?schema=x&poolsize=3", &target,
	                                        error, sizeof(error)),
	                 -1);
	assert_string_equal(error, "invalid URL 'postgresql://app:****@db:5432/app?schema=x&poolsize=3': unknown "
	                           "parameter 'poolsize' (neither Prisma nor libpq knows it)");
}

static void test_resolve_paths(void **state)
{
	struct pg_target target;
	char error[512];

	(void)state;
	assert_int_equal(pgconn_target_from_url("postgresql://u:p@db/app?sslmode=verify-full&sslcert=certs/ca.pem",
	                                        &target, error, sizeof(error)),
	                 0);
	assert_int_equal(pgconn_target_resolve_paths(&target, "/app/prisma"), 0);
	assert_string_equal(pgconn_target_value(&target, "sslrootcert"), "/app/prisma/certs/ca.pem");
	/* Absolute paths stay. */
	assert_int_equal(pgconn_target_resolve_paths(&target, "/elsewhere"), 0);
	assert_string_equal(pgconn_target_value(&target, "sslrootcert"), "/app/prisma/certs/ca.pem");
	pgconn_target_release(&target);
}

/* ---- a fake PostgreSQL server ---- */

enum fake_act {
	ACT_SILENT,      /* reads the startup packet, never answers */
	ACT_CLOSE,       /* closes after the startup packet */
	ACT_ERROR,       /* answers the startup packet with an ErrorResponse */
	ACT_READY,       /* trusts the client and answers SELECT 1 */
	ACT_PASSWORD,    /* asks for a cleartext password, then READY or 28P01 */
	ACT_QUERY_ERROR, /* trusts the client and answers SELECT 1 with an ErrorResponse */
};

struct script {
	enum fake_act act;
	const char *code;
	const char *message;
	const char *password; /* ACT_PASSWORD: the one it accepts */
};

struct fake {
	pid_t pid;
	char port[8];
	char dir[64]; /* for a unix socket server */
};

static bool read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static void write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n <= 0)
			_exit(3);
		p += n;
		len -= (size_t)n;
	}
}

static void put_message(int fd, char type, const void *body, size_t len)
{
	uint32_t size = htonl((uint32_t)(len + 4));

	write_full(fd, &type, 1);
	write_full(fd, &size, 4);
	write_full(fd, body, len);
}

static void put_int32_message(int fd, char type, uint32_t value)
{
	value = htonl(value);
	put_message(fd, type, &value, 4);
}

static void put_error(int fd, const char *code, const char *message)
{
	char body[2048]; /* more than a probe's message holds */
	int len = snprintf(body, sizeof(body), "SFATAL%cVFATAL%cC%s%cM%s%c", 0, 0, code, 0, message, 0);

	body[len] = '\0';
	put_message(fd, 'E', body, (size_t)len + 1);
}

/* The startup packet, after answering 'N' to SSL and GSS requests. */
static bool read_startup(int fd)
{
	for (;;) {
		uint32_t size;
		char body[1024];

		if (!read_full(fd, &size, 4))
			return false;
		size = ntohl(size);
		if (size < 8 || size - 4 > sizeof(body) || !read_full(fd, body, size - 4))
			return false;
		if (size == 8 &&
		    (memcmp(body, "\x04\xd2\x16\x2f", 4) == 0 || memcmp(body, "\x04\xd2\x16\x30", 4) == 0)) {
			write_full(fd, "N", 1);
			continue;
		}
		return true;
	}
}

/* One message from the client: its type, and its body in buf. */
static bool read_message(int fd, char *type, char *buf, size_t size)
{
	uint32_t len;

	if (!read_full(fd, type, 1) || !read_full(fd, &len, 4))
		return false;
	len = ntohl(len);
	if (len < 4 || len - 4 >= size || !read_full(fd, buf, len - 4))
		return false;
	buf[len - 4] = '\0';
	return true;
}

static void serve_ready(int fd)
{
	static const char row_description[] = {
	    0, 1, '?', 'c', 'o', 'l', 'u', 'm', 'n',        '?',        0,          0,          0, 0, 0,
	    0, 0, 0,   0,   0,   23,  0,   4,   (char)0xff, (char)0xff, (char)0xff, (char)0xff, 0, 0};
	static const char data_row[] = {0, 1, 0, 0, 0, 1, '1'};
	char type;
	char buf[1024];

	put_int32_message(fd, 'R', 0);
	put_message(fd, 'Z', "I", 1);
	if (!read_message(fd, &type, buf, sizeof(buf)) || type != 'Q' || strcmp(buf, "SELECT 1") != 0)
		_exit(4);
	put_message(fd, 'T', row_description, sizeof(row_description));
	put_message(fd, 'D', data_row, sizeof(data_row));
	put_message(fd, 'C', "SELECT 1", 9);
	put_message(fd, 'Z', "I", 1);
	/* Until the client's Terminate or close. */
	while (read_message(fd, &type, buf, sizeof(buf)) && type != 'X')
		;
}

static void serve_query_error(int fd, const struct script *script)
{
	char type;
	char buf[1024];

	put_int32_message(fd, 'R', 0);
	put_message(fd, 'Z', "I", 1);
	if (!read_message(fd, &type, buf, sizeof(buf)) || type != 'Q')
		_exit(4);
	put_error(fd, script->code, script->message);
	put_message(fd, 'Z', "I", 1);
	while (read_message(fd, &type, buf, sizeof(buf)) && type != 'X')
		;
}

static void serve(int fd, const struct script *script)
{
	char type;
	char buf[1024];

	if (!read_startup(fd))
		_exit(2);
	switch (script->act) {
	case ACT_SILENT:
		pause();
		break;
	case ACT_CLOSE:
		break;
	case ACT_ERROR:
		put_error(fd, script->code, script->message);
		break;
	case ACT_READY:
		serve_ready(fd);
		break;
	case ACT_QUERY_ERROR:
		serve_query_error(fd, script);
		break;
	case ACT_PASSWORD:
		put_int32_message(fd, 'R', 3);
		if (!read_message(fd, &type, buf, sizeof(buf)) || type != 'p')
			_exit(5);
		if (strcmp(buf, script->password) == 0)
			serve_ready(fd);
		else
			put_error(fd, "28P01", "password authentication failed for user \"app\"");
		break;
	}
}

/* Forks a server for one connection on listener. */
static void fake_fork(struct fake *fake, int listener, const struct script *script)
{
	fake->pid = fork();
	assert_true(fake->pid >= 0);
	if (fake->pid == 0) {
		int fd;

		alarm(20);
		fd = accept(listener, NULL, NULL);
		if (fd < 0)
			_exit(1);
		serve(fd, script);
		close(fd);
		_exit(0);
	}
	close(listener);
}

static void fake_start_tcp(struct fake *fake, const struct script *script)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(addr);
	int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	*fake = (struct fake){0};
	assert_true(listener >= 0);
	assert_int_equal(bind(listener, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(listener, 4), 0);
	assert_int_equal(getsockname(listener, (struct sockaddr *)&addr, &len), 0);
	snprintf(fake->port, sizeof(fake->port), "%u", ntohs(addr.sin_port));
	fake_fork(fake, listener, script);
}

/* DIR/.s.PGSQL.5432 in a new temporary directory. */
static void fake_start_unix(struct fake *fake, const struct script *script)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	*fake = (struct fake){0};
	assert_int_equal(tree_make(fake->dir, sizeof(fake->dir), "pgconn"), 0);
	snprintf(fake->port, sizeof(fake->port), "5432");
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/.s.PGSQL.5432", fake->dir);
	assert_true(listener >= 0);
	assert_int_equal(bind(listener, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(listener, 4), 0);
	fake_fork(fake, listener, script);
}

/* Waits for a server that ends by itself once the client hangs up, and
 * returns its exit status (0: it saw what it expected). */
static int fake_wait(struct fake *fake)
{
	int status = 0;

	assert_int_equal(waitpid(fake->pid, &status, 0), fake->pid);
	if (fake->dir[0])
		tree_remove(fake->dir);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Stops a server that may still be waiting. */
static void fake_stop(struct fake *fake)
{
	kill(fake->pid, SIGKILL);
	fake_wait(fake);
}

/* A loopback port nothing listens on. */
static void closed_port(char *port, size_t size)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
	snprintf(port, size, "%u", ntohs(addr.sin_port));
	close(fd);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Drives the probe as the wait phase's loop would, for at most limit_ms. */
static enum pg_probe_state drive(struct pg_probe *probe, int limit_ms)
{
	int64_t deadline = now_ms() + limit_ms;
	enum pg_probe_state state = pgconn_probe_advance(probe);

	while (state == PG_PROBE_RUNNING) {
		struct pollfd pfd = {.fd = pgconn_probe_fd(probe), .events = pgconn_probe_events(probe)};
		int64_t left = deadline - now_ms();
		int ready;

		assert_true(pfd.fd >= 0);
		assert_true(pfd.events != 0);
		if (left <= 0)
			return state;
		ready = poll(&pfd, 1, (int)left);
		assert_true(ready >= 0);
		if (ready == 0)
			return state;
		state = pgconn_probe_advance(probe);
	}
	assert_int_equal(pgconn_probe_state(probe), state);
	return state;
}

static void make_target(struct pg_target *target, const char *url)
{
	char error[512];

	if (pgconn_target_from_url(url, target, error, sizeof(error)) != 0)
		fail_msg("%s", error);
}

/* Runs one probe of url against 127.0.0.1:port. */
static struct pg_probe *probe_tcp(const struct pg_target *target, const char *port, enum pg_probe_state *state)
{
	struct pg_endpoint endpoint = {.host = "db", .hostaddr = "127.0.0.1", .port = port};
	struct pg_probe *probe = pgconn_probe_start(target, &endpoint, 1);

	assert_non_null(probe);
	*state = drive(probe, 5000);
	return probe;
}

static void test_probe_refused(void **state)
{
	struct pg_target target;
	struct pg_probe *probe;
	enum pg_probe_state result;
	char port[8];

	(void)state;
	make_target(&target, "postgresql://app:hunter2@db/app");
	closed_port(port, sizeof(port));
	probe = probe_tcp(&target, port, &result);
	assert_int_equal(result, PG_PROBE_TRANSIENT);
	assert_string_equal(pgconn_probe_message(probe), "connection refused");
	assert_string_equal(pgconn_probe_sqlstate(probe), "");
	assert_string_equal(pgconn_probe_advice(probe), "");
	assert_int_equal(pgconn_probe_fd(probe), -1);
	assert_int_equal(pgconn_probe_events(probe), 0);
	/* Advancing a finished probe changes nothing. */
	assert_int_equal(pgconn_probe_advance(probe), PG_PROBE_TRANSIENT);
	pgconn_probe_free(probe);
	pgconn_target_release(&target);
}

static void test_probe_silent_server_stays_running(void **state)
{
	static const struct script script = {.act = ACT_SILENT};
	struct pg_target target;
	struct pg_endpoint endpoint = {.host = "db", .hostaddr = "127.0.0.1"};
	struct pg_probe *probe;
	struct fake fake;
	int64_t started;

	(void)state;
	make_target(&target, "postgresql://app:hunter2@db/app");
	fake_start_tcp(&fake, &script);
	endpoint.port = fake.port;
	probe = pgconn_probe_start(&target, &endpoint, 1);
	assert_non_null(probe);
	started = now_ms();
	assert_int_equal(drive(probe, 300), PG_PROBE_RUNNING);
	/* drive() returned on its own limit: nothing blocked. */
	assert_true(now_ms() - started < 2000);
	assert_true(pgconn_probe_fd(probe) >= 0);
	assert_int_equal(pgconn_probe_events(probe), POLLIN);
	assert_string_equal(pgconn_probe_message(probe), "");
	/* The caller's attempt timeout: freed mid-attempt. */
	pgconn_probe_free(probe);
	fake_stop(&fake);
	pgconn_target_release(&target);
}

/* A listener whose accept queue is full: connect(2) stays in progress, as
 * with an address that drops packets. advance() called too early, again and
 * again, must neither block nor take the connection for made. */
static void test_probe_connect_in_progress_never_blocks(void **state)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(addr);
	int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int filler = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct pg_target target;
	struct pg_endpoint endpoint = {.host = "db", .hostaddr = "127.0.0.1"};
	struct pg_probe *probe;
	char port[8];
	int64_t started;

	(void)state;
	assert_true(listener >= 0 && filler >= 0);
	assert_int_equal(bind(listener, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(listener, 0), 0);
	assert_int_equal(getsockname(listener, (struct sockaddr *)&addr, &len), 0);
	assert_int_equal(connect(filler, (struct sockaddr *)&addr, sizeof(addr)), 0);
	snprintf(port, sizeof(port), "%u", ntohs(addr.sin_port));
	endpoint.port = port;
	make_target(&target, "postgresql://app:hunter2@db/app");
	probe = pgconn_probe_start(&target, &endpoint, 1);
	assert_non_null(probe);
	started = now_ms();
	for (int i = 0; i < 50; i++)
		assert_int_equal(pgconn_probe_advance(probe), PG_PROBE_RUNNING);
	assert_int_equal(drive(probe, 300), PG_PROBE_RUNNING);
	assert_true(now_ms() - started < 2000);
	assert_int_equal(pgconn_probe_events(probe), POLLOUT);
	pgconn_probe_free(probe);
	pgconn_target_release(&target);
	close(filler);
	close(listener);
}

static void test_probe_ready(void **state)
{
	static const struct script script = {.act = ACT_READY};
	struct pg_target target;
	struct pg_probe *probe;
	struct fake fake;
	enum pg_probe_state result;

	(void)state;
	make_target(&target, "postgresql://app@db/app");
	fake_start_tcp(&fake, &script);
	probe = probe_tcp(&target, fake.port, &result);
	assert_int_equal(result, PG_PROBE_READY);
	assert_string_equal(pgconn_probe_message(probe), "");
	assert_string_equal(pgconn_probe_sqlstate(probe), "");
	assert_string_equal(pgconn_probe_advice(probe), "");
	pgconn_probe_free(probe);
	assert_int_equal(fake_wait(&fake), 0);
	pgconn_target_release(&target);
}

static void test_probe_password_arrives_decoded(void **state)
{
	static const struct script script = {.act = ACT_PASSWORD, .password = "p@ss/w:rd#x?y"};
	struct pg_target target;
	struct pg_probe *probe;
	struct fake fake;
	enum pg_probe_state result;

	(void)state;
	make_target(&target, "postgresql://app:p%40ss%2Fw%3Ard%23x%3Fy@db:5432/app");
	fake_start_tcp(&fake, &script);
	probe = probe_tcp(&target, fake.port, &result);
	assert_int_equal(result, PG_PROBE_READY);
	pgconn_probe_free(probe);
	assert_int_equal(fake_wait(&fake), 0);
	pgconn_target_release(&target);
}

static void test_probe_wrong_password(void **state)
{
	static const struct script script = {.act = ACT_PASSWORD, .password = "right"};
	struct pg_target target;
	struct pg_probe *probe;
	struct fake fake;
	enum pg_probe_state result;

	(void)state;
	make_target(&target, "postgresql://app:wrong@db/app");
	fake_start_tcp(&fake, &script);
	probe = probe_tcp(&target, fake.port, &result);
	assert_int_equal(result, PG_PROBE_PERMANENT);
	assert_string_equal(pgconn_probe_message(probe), "password authentication failed for user \"app\" (28P01)");
	assert_string_equal(pgconn_probe_sqlstate(probe), "28P01");
	assert_non_null(strstr(pgconn_probe_advice(probe), "check the password in DATABASE_URL"));
	assert_non_null(strstr(pgconn_probe_advice(probe), "POSTGRES_PASSWORD"));
	pgconn_probe_free(probe);
	fake_stop(&fake);
	pgconn_target_release(&target);
}

static const struct {
	const char *code;
	const char *server_message;
	enum pg_probe_state state;
	const char *message;
	const char *advice; /* a part of it; NULL: none */
} server_errors[] = {
    {"57P03", "the database system is starting up", PG_PROBE_TRANSIENT, "the database system is starting up (57P03)",
     NULL},
    {"57P03", "the database system is not yet accepting connections", PG_PROBE_TRANSIENT,
     "the database system is not yet accepting connections (57P03)", NULL},
    {"57P03", "the database system is in recovery mode", PG_PROBE_TRANSIENT,
     "the database system is in recovery mode (57P03)", NULL},
    {"57P03", "the database system is shutting down", PG_PROBE_TRANSIENT,
     "the database system is shutting down (57P03)", NULL},
    {"57P01", "terminating connection due to administrator command", PG_PROBE_TRANSIENT,
     "terminating connection due to administrator command (57P01)", NULL},
    {"53300", "sorry, too many clients already", PG_PROBE_TRANSIENT, "sorry, too many clients already (53300)", NULL},
    {"53300", "remaining connection slots are reserved for non-replication superuser connections", PG_PROBE_TRANSIENT,
     "remaining connection slots are reserved for non-replication superuser connections (53300)", NULL},
    {"08P01", "invalid length of startup packet", PG_PROBE_TRANSIENT, "invalid length of startup packet (08P01)", NULL},
    {"28P01", "password authentication failed for user \"app\"", PG_PROBE_PERMANENT,
     "password authentication failed for user \"app\" (28P01)", "password"},
    {"28000", "role \"app\" does not exist", PG_PROBE_PERMANENT, "role \"app\" does not exist (28000)", "user name"},
    {"28000", "no pg_hba.conf entry for host \"10.0.0.9\", user \"app\", database \"app\", no encryption",
     PG_PROBE_PERMANENT,
     "no pg_hba.conf entry for host \"10.0.0.9\", user \"app\", database \"app\", no encryption (28000)",
     /* sslmode=prefer against a server without TLS: TLS is not the fix */
     "pg_hba.conf"},
    {"28000", "no pg_hba.conf entry for host \"10.0.0.9\", user \"app\", database \"app\", SSL encryption",
     PG_PROBE_PERMANENT,
     "no pg_hba.conf entry for host \"10.0.0.9\", user \"app\", database \"app\", SSL encryption (28000)",
     "sslmode=disable"},
    {"28000", "pg_hba.conf rejects connection for host \"10.0.0.9\", user \"app\", database \"app\"",
     PG_PROBE_PERMANENT, "pg_hba.conf rejects connection for host \"10.0.0.9\", user \"app\", database \"app\" (28000)",
     "pg_hba.conf"},
    {"28000", "connection requires a valid client certificate", PG_PROBE_PERMANENT,
     "connection requires a valid client certificate (28000)", "client certificate"},
    {"28000", "role \"app\" is not permitted to log in", PG_PROBE_PERMANENT,
     "role \"app\" is not permitted to log in (28000)", "user"},
    {"3D000", "database \"app\" does not exist", PG_PROBE_PERMANENT, "database \"app\" does not exist (3D000)",
     "create the database"},
    {"42501", "permission denied for database \"app\"", PG_PROBE_PERMANENT,
     "permission denied for database \"app\" (42501)", "CONNECT"},
    {"XX000", "something odd", PG_PROBE_TRANSIENT, "something odd (XX000); not recognised, retrying", NULL},
};

static void test_probe_server_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(server_errors); i++) {
		struct script script = {
		    .act = ACT_ERROR, .code = server_errors[i].code, .message = server_errors[i].server_message};
		struct pg_target target;
		struct pg_probe *probe;
		struct fake fake;
		enum pg_probe_state result;

		make_target(&target, "postgresql://app:hunter2@db/app");
		fake_start_tcp(&fake, &script);
		probe = probe_tcp(&target, fake.port, &result);
		if (result != server_errors[i].state)
			fail_msg("%s: state %d, expected %d (%s)", server_errors[i].code, result,
			         server_errors[i].state, pgconn_probe_message(probe));
		assert_string_equal(pgconn_probe_message(probe), server_errors[i].message);
		assert_string_equal(pgconn_probe_sqlstate(probe), server_errors[i].code);
		if (server_errors[i].advice) {
			if (!strstr(pgconn_probe_advice(probe), server_errors[i].advice))
				fail_msg("%s: advice '%s' does not say '%s'", server_errors[i].code,
				         pgconn_probe_advice(probe), server_errors[i].advice);
		} else {
			assert_string_equal(pgconn_probe_advice(probe), "");
		}
		pgconn_probe_free(probe);
		fake_stop(&fake);
		pgconn_target_release(&target);
	}
}

static void test_probe_password_never_in_message(void **state)
{
	static const struct script script = {
	    .act = ACT_ERROR, .code = "XX000", .message = "odd: got hunter2secret from you"};
	struct pg_target target;
	struct pg_probe *probe;
	struct fake fake;
	enum pg_probe_state result;

	(void)state;
	make_target(&target, "postgresql://app:hunter2secret@db/app");
	fake_start_tcp(&fake, &script);
	probe = probe_tcp(&target, fake.port, &result);
	assert_int_equal(result, PG_PROBE_TRANSIENT);
	assert_null(strstr(pgconn_probe_message(probe), "hunter2"));
	assert_non_null(strstr(pgconn_probe_message(probe), "got **** from you"));
	pgconn_probe_free(probe);
	fake_stop(&fake);
	pgconn_target_release(&target);
}

/* The password is found in the server's text before the message is made
 * from it: once its first letter is lowercased ("Hunter2..." starting the
 * message) or it is cut at the message's end, a copy would be missed. */
static void test_probe_password_never_in_message_start_or_end(void **state)
{
	static const struct {
		const char *message;
		const char *shown;
	} cases[] = {
	    {"Hunter2secret is wrong", "unter2secret"},
	    {"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	     "xxxxxx Hunter2secret",
	     "Hunter"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const struct script script = {.act = ACT_QUERY_ERROR, .code = "XX000", .message = cases[i].message};
		struct pg_target target;
		struct pg_probe *probe;
		struct fake fake;
		enum pg_probe_state result;

		make_target(&target, "postgresql://app:Hunter2secret@db/app");
		fake_start_tcp(&fake, &script);
		probe = probe_tcp(&target, fake.port, &result);
		assert_int_equal(result, PG_PROBE_TRANSIENT);
		if (strstr(pgconn_probe_message(probe), cases[i].shown))
			fail_msg("'%s' shows '%s'", pgconn_probe_message(probe), cases[i].shown);
		pgconn_probe_free(probe);
		fake_stop(&fake);
		pgconn_target_release(&target);
	}
}

/* A SQLSTATE field that is not five digits or capitals (a broken or
 * hostile server) is no SQLSTATE: it would put a newline in the message. */
static void test_probe_malformed_sqlstate(void **state)
{
	static const struct script script = {.act = ACT_QUERY_ERROR, .code = "X\nY00", .message = "odd"};
	struct pg_target target;
	struct pg_probe *probe;
	struct fake fake;
	enum pg_probe_state result;

	(void)state;
	make_target(&target, "postgresql://app@db/app");
	fake_start_tcp(&fake, &script);
	probe = probe_tcp(&target, fake.port, &result);
	assert_int_equal(result, PG_PROBE_TRANSIENT);
	assert_string_equal(pgconn_probe_sqlstate(probe), "");
	assert_string_equal(pgconn_probe_message(probe), "odd; not recognised, retrying");
	pgconn_probe_free(probe);
	fake_stop(&fake);
	pgconn_target_release(&target);
}

static void test_probe_server_closes(void **state)
{
	static const struct script script = {.act = ACT_CLOSE};
	struct pg_target target;
	struct pg_probe *probe;
	struct fake fake;
	enum pg_probe_state result;

	(void)state;
	make_target(&target, "postgresql://app:hunter2@db/app");
	fake_start_tcp(&fake, &script);
	probe = probe_tcp(&target, fake.port, &result);
	assert_int_equal(result, PG_PROBE_TRANSIENT);
	assert_string_equal(pgconn_probe_message(probe), "server closed the connection unexpectedly");
	pgconn_probe_free(probe);
	fake_stop(&fake);
	pgconn_target_release(&target);
}

static void test_probe_tls_required_not_offered(void **state)
{
	static const struct script script = {.act = ACT_SILENT};
	struct pg_target target;
	struct pg_probe *probe;
	struct fake fake;
	enum pg_probe_state result;

	(void)state;
	make_target(&target, "postgresql://app:hunter2@db/app?sslmode=require");
	fake_start_tcp(&fake, &script);
	probe = probe_tcp(&target, fake.port, &result);
	assert_int_equal(result, PG_PROBE_PERMANENT);
	assert_string_equal(pgconn_probe_message(probe), "server does not support SSL, but SSL was required");
	assert_non_null(strstr(pgconn_probe_advice(probe), "sslmode"));
	pgconn_probe_free(probe);
	fake_stop(&fake);
	pgconn_target_release(&target);
}

/* libpq moves on to the next endpoint, on another socket. */
static void test_probe_next_endpoint(void **state)
{
	static const struct script script = {.act = ACT_READY};
	struct pg_target target;
	struct pg_endpoint endpoints[2] = {{.host = "a", .hostaddr = "127.0.0.1"},
	                                   {.host = "b", .hostaddr = "127.0.0.1"}};
	struct pg_probe *probe;
	struct fake fake;
	char port[8];

	(void)state;
	make_target(&target, "postgresql://app@a,b/app");
	closed_port(port, sizeof(port));
	fake_start_tcp(&fake, &script);
	endpoints[0].port = port;
	endpoints[1].port = fake.port;
	probe = pgconn_probe_start(&target, endpoints, 2);
	assert_non_null(probe);
	assert_int_equal(drive(probe, 5000), PG_PROBE_READY);
	pgconn_probe_free(probe);
	assert_int_equal(fake_wait(&fake), 0);
	pgconn_target_release(&target);
}

static void test_probe_unix_socket(void **state)
{
	static const struct script script = {.act = ACT_READY};
	struct pg_target target;
	struct pg_endpoint endpoint = {0};
	struct pg_probe *probe;
	struct fake fake;
	char url[256];

	(void)state;
	fake_start_unix(&fake, &script);
	snprintf(url, sizeof(url), "postgresql://app@localhost/app?host=%s", fake.dir);
	make_target(&target, url);
	assert_true(target.hosts[0].is_socket);
	endpoint.host = target.hosts[0].name;
	endpoint.port = target.hosts[0].port;
	probe = pgconn_probe_start(&target, &endpoint, 1);
	assert_non_null(probe);
	assert_int_equal(drive(probe, 5000), PG_PROBE_READY);
	pgconn_probe_free(probe);
	assert_int_equal(fake_wait(&fake), 0);
	pgconn_target_release(&target);
}

static void test_probe_missing_socket(void **state)
{
	struct pg_target target;
	struct pg_endpoint endpoint = {.host = "/nonexistent/pe-test", .port = "5432"};
	struct pg_probe *probe;

	(void)state;
	make_target(&target, "postgresql://app@localhost/app?host=/nonexistent/pe-test");
	probe = pgconn_probe_start(&target, &endpoint, 1);
	assert_non_null(probe);
	assert_int_equal(drive(probe, 5000), PG_PROBE_TRANSIENT);
	assert_string_equal(pgconn_probe_message(probe), "socket /nonexistent/pe-test/.s.PGSQL.5432 does not exist");
	pgconn_probe_free(probe);
	pgconn_target_release(&target);
}

static void test_probe_fails_at_start(void **state)
{
	char *keywords[] = {"sslmode", NULL};
	char *values[] = {"bogus", NULL};
	struct pg_target bad_target = {.keywords = keywords, .values = values};
	struct pg_target target;
	struct pg_endpoint endpoint = {.host = "db", .hostaddr = "127.0.0.1", .port = "5432"};
	struct pg_endpoint comma = {.host = "a,b", .hostaddr = "127.0.0.1", .port = "5432"};
	struct pg_probe *probe;

	(void)state;
	/* What libpq rejects before any traffic is permanent. */
	probe = pgconn_probe_start(&bad_target, &endpoint, 1);
	assert_non_null(probe);
	assert_int_equal(pgconn_probe_advance(probe), PG_PROBE_PERMANENT);
	assert_string_equal(pgconn_probe_message(probe), "invalid sslmode value: \"bogus\"");
	assert_int_equal(pgconn_probe_fd(probe), -1);
	pgconn_probe_free(probe);

	make_target(&target, "postgresql://app@db/app");
	probe = pgconn_probe_start(&target, &endpoint, 0);
	assert_non_null(probe);
	assert_int_equal(pgconn_probe_advance(probe), PG_PROBE_PERMANENT);
	assert_string_equal(pgconn_probe_message(probe), "no address to connect to");
	pgconn_probe_free(probe);

	probe = pgconn_probe_start(&target, &comma, 1);
	assert_non_null(probe);
	assert_int_equal(pgconn_probe_advance(probe), PG_PROBE_PERMANENT);
	assert_non_null(strstr(pgconn_probe_message(probe), "comma"));
	pgconn_probe_free(probe);
	pgconn_target_release(&target);
	pgconn_probe_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_translation_table),
	    cmocka_unit_test(test_hosts),
	    cmocka_unit_test(test_target_for_another_database),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_error_message_exact),
	    cmocka_unit_test(test_resolve_paths),
	    cmocka_unit_test(test_probe_refused),
	    cmocka_unit_test(test_probe_silent_server_stays_running),
	    cmocka_unit_test(test_probe_connect_in_progress_never_blocks),
	    cmocka_unit_test(test_probe_ready),
	    cmocka_unit_test(test_probe_password_arrives_decoded),
	    cmocka_unit_test(test_probe_wrong_password),
	    cmocka_unit_test(test_probe_server_errors),
	    cmocka_unit_test(test_probe_password_never_in_message),
	    cmocka_unit_test(test_probe_password_never_in_message_start_or_end),
	    cmocka_unit_test(test_probe_malformed_sqlstate),
	    cmocka_unit_test(test_probe_server_closes),
	    cmocka_unit_test(test_probe_tls_required_not_offered),
	    cmocka_unit_test(test_probe_next_endpoint),
	    cmocka_unit_test(test_probe_unix_socket),
	    cmocka_unit_test(test_probe_missing_socket),
	    cmocka_unit_test(test_probe_fails_at_start),
	};

	/* A server that closes first must not kill the test with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
