#include "pg-error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQLSTATE_CHARS "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

/* Replaces every copy of the password in the message with "****". No
 * server or libpq message quotes a password; this is the belt to those
 * braces. Passwords shorter than 4 characters would mask ordinary words. */
static void scrub(struct pg_error *error, const char *password)
{
	size_t len = password ? strlen(password) : 0;
	char out[PG_ERROR_MESSAGE_SIZE];
	size_t used = 0;

	if (len < 4 || !strstr(error->message, password))
		return;
	for (const char *p = error->message; *p && used + 1 < sizeof(out);) {
		if (strncmp(p, password, len) == 0) {
			for (const char *mask = "****"; *mask && used + 1 < sizeof(out); mask++)
				out[used++] = *mask;
			p += len;
		} else {
			out[used++] = *p++;
		}
	}
	out[used] = '\0';
	memcpy(error->message, out, used + 1);
}

/* text with every copy of password replaced by "****" (malloc'd), for
 * take_error() to work on: in the message, a copy cut at its end or with
 * its first letter lowercased would no longer be found. NULL when out of
 * memory. */
static char *without_password(const char *text, const char *password)
{
	size_t len = password ? strlen(password) : 0;
	char *out = NULL;
	size_t size;
	FILE *stream;

	if (len < 4 || !strstr(text, password))
		return strdup(text);
	if (!(stream = open_memstream(&out, &size)))
		return NULL;
	for (const char *p = text; *p;) {
		if (strncmp(p, password, len) == 0) {
			fputs("****", stream);
			p += len;
		} else {
			fputc(*p++, stream);
		}
	}
	if (fclose(stream) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static bool contains(const char *text, const char *needle)
{
	return strcasestr(text, needle) != NULL;
}

/* Skips "FATAL:  " and the SQLSTATE after it ("FATAL:  28P01: "), keeping
 * the code. Severity words may be translated; the code is not. */
static const char *skip_severity(struct pg_error *error, const char *line)
{
	const char *colon = strstr(line, ":  ");
	const char *code;

	if (!colon || colon - line > 20 || (size_t)(colon - line) > strcspn(line, "\n"))
		return line;
	code = colon + 3;
	if (strspn(code, SQLSTATE_CHARS) == 5 && strncmp(code + 5, ": ", 2) == 0) {
		memcpy(error->sqlstate, code, 5);
		error->sqlstate[5] = '\0';
		return code + 7;
	}
	return code;
}

/* What follows "connection to server ... failed: " in one of libpq's
 * paragraphs, or the text itself when it has no such prefix. */
static const char *paragraph_body(const char *paragraph, const char **socket, size_t *socket_len)
{
	const char *failed = strstr(paragraph, " failed: ");

	if (strncmp(paragraph, "connection to server ", 21) != 0 || !failed ||
	    failed > paragraph + strcspn(paragraph, "\n"))
		return paragraph;
	if (socket && strncmp(paragraph, "connection to server on socket \"", 32) == 0) {
		*socket = paragraph + 32;
		*socket_len = strcspn(*socket, "\"");
	}
	return failed + 9;
}

static bool line_is(const char *line, size_t len, const char *text)
{
	return len == strlen(text) && strncasecmp(line, text, len) == 0;
}

/* The first line of text, without trailing spaces and full stops. */
size_t pg_error_line_length(const char *text)
{
	size_t len = strcspn(text, "\n");

	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '.' || text[len - 1] == '\r'))
		len--;
	return len;
}

/* libpq's text looks like
 * 'connection to server at "db" (10.0.0.5), port 5432 failed: FATAL:  28P01:
 * password authentication failed for user "app"\nLOCATION: ...' with one
 * such paragraph per host and per try. The last one tells what ended the
 * attempt; an earlier TLS failure is kept too, since with sslmode=prefer
 * libpq then tries without TLS, and that second refusal would hide it. */
void pg_error_read(struct pg_error *error, const char *raw, const char *sqlstate, const char *password)
{
	char *clean = without_password(raw, password);
	const char *text = clean ? clean : raw;
	const char *last = text;
	const char *tls_failure = NULL;
	const char *socket = NULL;
	size_t socket_len = 0;
	const char *line;
	size_t len;

	for (const char *p = text; (p = strstr(p, "connection to server ")); p++) {
		if (p != text && p[-1] != '\n')
			continue;
		if (last != p) {
			const char *body = paragraph_body(last, NULL, NULL);
			size_t body_len = strcspn(body, "\n");

			if (memmem(body, body_len, "SSL error", 9) || memmem(body, body_len, "certificate", 11))
				tls_failure = body;
		}
		last = p;
	}
	line = skip_severity(error, paragraph_body(last, &socket, &socket_len));
	/* The server's field is taken only when it is what a SQLSTATE is: it
	 * goes into the one-line message as it is. */
	if (sqlstate && strlen(sqlstate) == 5 && strspn(sqlstate, SQLSTATE_CHARS) == 5 && !error->sqlstate[0])
		snprintf(error->sqlstate, sizeof(error->sqlstate), "%s", sqlstate);
	len = pg_error_line_length(line);
	if (socket && line_is(line, len, "No such file or directory"))
		snprintf(error->message, sizeof(error->message), "socket %.*s does not exist", (int)socket_len, socket);
	else if (line_is(line, len, "fe_sendauth: no password supplied"))
		snprintf(error->message, sizeof(error->message), "the server asks for a password and the URL has none");
	else if (tls_failure && memmem(line, len, "no encryption", 13))
		snprintf(error->message, sizeof(error->message), "%.*s, and the server refuses unencrypted connections",
		         (int)pg_error_line_length(tls_failure), tls_failure);
	else if (len == 0)
		snprintf(error->message, sizeof(error->message), "connection failed");
	else
		snprintf(error->message, sizeof(error->message), "%.*s", (int)len, line);
	/* strerror()'s "Connection refused" reads as plain words in lowercase;
	 * leave "SSL error" and the like alone. */
	if (isupper((unsigned char)error->message[0]) && islower((unsigned char)error->message[1]))
		error->message[0] = (char)tolower((unsigned char)error->message[0]);
	for (char *p = error->message; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	if (error->sqlstate[0]) {
		size_t used = strlen(error->message);

		snprintf(error->message + used, sizeof(error->message) - used, " (%s)", error->sqlstate);
	}
	scrub(error, password);
	free(clean);
}

/* The rules, in the order they are tried. Transient: the server is not there
 * yet, or is starting, stopping, recovering or full. Permanent: waiting will
 * not change the answer (credentials, pg_hba.conf, database name, TLS
 * settings). */
static const struct pg_error_rule rules[] = {
    {"28P01",
     NULL,
     {NULL},
     PG_WHEN_ALWAYS,
     PG_ERROR_PERMANENT,
     "check the password in DATABASE_URL; with the official postgres image, POSTGRES_PASSWORD is only "
     "applied when its data volume is first created: a persisted volume keeps the password it was made with "
     "(change it there with ALTER ROLE, or recreate the volume)"},
    /* 28xxx: the server refused the login. */
    {"28",
     NULL,
     {"unencrypted connections"},
     PG_WHEN_ALWAYS,
     PG_ERROR_PERMANENT,
     "the server's certificate was not accepted and the server requires TLS: check sslcert and sslaccept in "
     "DATABASE_URL"},
    /* Refused without TLS: TLS is the fix only when it was not tried
     * (sslmode disable or allow). With prefer, libpq tries TLS first when
     * the server has it, so a lone "no encryption" refusal means the server
     * has no TLS. */
    {"28",
     NULL,
     {"no encryption"},
     PG_WHEN_TLS_OFF,
     PG_ERROR_PERMANENT,
     "the server's pg_hba.conf admits this connection only with TLS: set sslmode=require in DATABASE_URL"},
    {"28",
     NULL,
     {"no encryption"},
     PG_WHEN_ALWAYS,
     PG_ERROR_PERMANENT,
     "the server's pg_hba.conf admits no such connection: change pg_hba.conf, or the user or database in "
     "DATABASE_URL"},
    {"28",
     NULL,
     {"pg_hba.conf", "encryption"},
     PG_WHEN_ALWAYS,
     PG_ERROR_PERMANENT,
     "the server refuses encrypted connections from here: set sslmode=disable in DATABASE_URL, or change "
     "pg_hba.conf"},
    {"28",
     NULL,
     {"certificate"},
     PG_WHEN_IDENTITY_DROPPED,
     PG_ERROR_PERMANENT,
     "the server wants a client certificate, and the sslidentity (PKCS#12) in DATABASE_URL cannot be used by "
     "this check"},
    {"28",
     NULL,
     {"certificate"},
     PG_WHEN_ALWAYS,
     PG_ERROR_PERMANENT,
     "the server wants a client certificate: use Prisma's sslidentity in DATABASE_URL"},
    {"28",
     NULL,
     {"pg_hba.conf"},
     PG_WHEN_ALWAYS,
     PG_ERROR_PERMANENT,
     "the server's pg_hba.conf admits no such connection: add an entry for this host, user and database"},
    {"28",
     NULL,
     {"role", "does not exist"},
     PG_WHEN_ALWAYS,
     PG_ERROR_PERMANENT,
     "check the user name in DATABASE_URL, or create the role"},
    {"28", NULL, {NULL}, PG_WHEN_ALWAYS, PG_ERROR_PERMANENT, "check the user and password in DATABASE_URL"},
    {"3D000",
     NULL,
     {NULL},
     PG_WHEN_ALWAYS,
     PG_ERROR_PERMANENT,
     "create the database, or correct its name in DATABASE_URL"},
    {"42501", NULL, {NULL}, PG_WHEN_ALWAYS, PG_ERROR_PERMANENT, "grant CONNECT on the database to the user"},
    /* A connection pooler's own refusals. PgBouncer sends every error of
     * its own as 08P01, the class of a broken connection, and a server's
     * refusal of its login the same way: without these rules a wrong
     * password would be retried until wait-timeout, each attempt a failed
     * login against a pooler that may block the client (or its address)
     * for failing too often. Supavisor (Supabase) sends XX000. */
    /* "password authentication failed", "SASL authentication failed" */
    {"08P01",
     NULL,
     {"authentication failed"},
     PG_WHEN_ALWAYS,
     PG_ERROR_PERMANENT,
     "the connection pooler refused the login: check the password in DATABASE_URL, and the pooler's auth_file "
     "(or auth_query) for this user"},
    {"08P01",
     NULL,
     {"no such user"},
     PG_WHEN_ALWAYS,
     PG_ERROR_PERMANENT,
     "the connection pooler knows no such user: check the user in DATABASE_URL, and the pooler's auth_file"},
    /* The server's 3D000, passed on by PgBouncer as 08P01; and PgBouncer's
     * own, for a name its [databases] section does not have. */
    {"08P01",
     NULL,
     {"database", "does not exist"},
     PG_WHEN_ALWAYS,
     PG_ERROR_PERMANENT,
     "create the database, or correct its name in DATABASE_URL"},
    {"08P01",
     NULL,
     {"no such database"},
     PG_WHEN_ALWAYS,
     PG_ERROR_PERMANENT,
     "the connection pooler has no such database: check the database in DATABASE_URL, and the pooler's "
     "[databases] section"},
    /* PgBouncer's own back-off after its login to the server failed: it
     * answers at once, without touching the server, until
     * server_login_retry (15 s) has passed; a server still starting (a
     * compose start) ends it, so it is waited for like the server itself. */
    {"08P01", NULL, {"server login has been failing"}, PG_WHEN_ALWAYS, PG_ERROR_TRANSIENT, NULL},
    {"XX000",
     NULL,
     {"tenant or user not found"},
     PG_WHEN_ALWAYS,
     PG_ERROR_PERMANENT,
     "the connection pooler knows no such tenant or user: Supabase's pooler URLs name the user as "
     "postgres.PROJECT_REF; copy the URL from the dashboard's Connect dialog"},
    {"XX000",
     NULL,
     {"authentication failed"},
     PG_WHEN_ALWAYS,
     PG_ERROR_PERMANENT,
     "the connection pooler refused the login: check the user and password in DATABASE_URL"},
    /* 57P01-57P03: shutting down, crashed, starting up, recovering (the
     * official image restarts once after its init scripts); 53xxx: too many
     * connections, out of memory or disk; 08xxx: connection exceptions. */
    {"57P0", NULL, {NULL}, PG_WHEN_ALWAYS, PG_ERROR_TRANSIENT, NULL},
    {"53", NULL, {NULL}, PG_WHEN_ALWAYS, PG_ERROR_TRANSIENT, NULL},
    {"08", NULL, {NULL}, PG_WHEN_ALWAYS, PG_ERROR_TRANSIENT, NULL},
    /* No SQLSTATE: libpq's own words, or the system's. */
    {"",
     NULL,
     {"server does not support SSL"},
     PG_WHEN_ALWAYS,
     PG_ERROR_PERMANENT,
     "the server does not offer TLS: use sslmode=prefer or disable in DATABASE_URL, or turn ssl on in the "
     "server"},
    {"",
     NULL,
     {"root certificate file"},
     PG_WHEN_ALWAYS,
     PG_ERROR_PERMANENT,
     "give the server's CA certificate as sslcert=PATH in DATABASE_URL (the file must exist), or use "
     "sslmode=require"},
    {"", "socket ", {"does not exist"}, PG_WHEN_ALWAYS, PG_ERROR_TRANSIENT, NULL},
    /* Before the TLS words: "SSL SYSCALL error: EOF detected" is a server
     * going away, not a certificate problem. */
    {"", NULL, {"connection refused"}, PG_WHEN_ALWAYS, PG_ERROR_TRANSIENT, NULL},
    {"", NULL, {"timed out"}, PG_WHEN_ALWAYS, PG_ERROR_TRANSIENT, NULL},
    {"", NULL, {"unreachable"}, PG_WHEN_ALWAYS, PG_ERROR_TRANSIENT, NULL},
    {"", NULL, {"no route to host"}, PG_WHEN_ALWAYS, PG_ERROR_TRANSIENT, NULL},
    {"", NULL, {"network is down"}, PG_WHEN_ALWAYS, PG_ERROR_TRANSIENT, NULL},
    {"", NULL, {"reset by peer"}, PG_WHEN_ALWAYS, PG_ERROR_TRANSIENT, NULL},
    {"", NULL, {"server closed the connection unexpectedly"}, PG_WHEN_ALWAYS, PG_ERROR_TRANSIENT, NULL},
    {"", NULL, {"connection to server was lost"}, PG_WHEN_ALWAYS, PG_ERROR_TRANSIENT, NULL},
    {"", NULL, {"could not receive data"}, PG_WHEN_ALWAYS, PG_ERROR_TRANSIENT, NULL},
    {"", NULL, {"could not send data"}, PG_WHEN_ALWAYS, PG_ERROR_TRANSIENT, NULL},
    {"", NULL, {"broken pipe"}, PG_WHEN_ALWAYS, PG_ERROR_TRANSIENT, NULL},
    {"", NULL, {"eof detected"}, PG_WHEN_ALWAYS, PG_ERROR_TRANSIENT, NULL},
    {"", NULL, {"unexpected eof"}, PG_WHEN_ALWAYS, PG_ERROR_TRANSIENT, NULL},
    {"", NULL, {"ssl syscall error"}, PG_WHEN_ALWAYS, PG_ERROR_TRANSIENT, NULL},
    {"", NULL, {"resource temporarily unavailable"}, PG_WHEN_ALWAYS, PG_ERROR_TRANSIENT, NULL},
    {"", NULL, {"cannot assign requested address"}, PG_WHEN_ALWAYS, PG_ERROR_TRANSIENT, NULL},
    {"", NULL, {"could not translate host name"}, PG_WHEN_ALWAYS, PG_ERROR_TRANSIENT, NULL},
    {"", NULL, {"name resolution"}, PG_WHEN_ALWAYS, PG_ERROR_TRANSIENT, NULL},
    {"",
     NULL,
     {"certificate"},
     PG_WHEN_ALWAYS,
     PG_ERROR_PERMANENT,
     "the server's certificate was not accepted: check sslcert and sslmode in DATABASE_URL"},
    {"",
     NULL,
     {"SSL error"},
     PG_WHEN_ALWAYS,
     PG_ERROR_PERMANENT,
     "the server's certificate was not accepted: check sslcert and sslmode in DATABASE_URL"},
    {"", NULL, {"asks for a password"}, PG_WHEN_ALWAYS, PG_ERROR_PERMANENT, "put the password in DATABASE_URL"},
    {"",
     NULL,
     {"channel binding"},
     PG_WHEN_ALWAYS,
     PG_ERROR_PERMANENT,
     "the server does not do channel binding here: set channel_binding=prefer in DATABASE_URL"},
};

static bool rule_applies(const struct pg_error_rule *rule, const char *message, const char *sqlstate,
                         const struct pg_error_context *context)
{
	if (rule->code[0] ? strncmp(sqlstate, rule->code, strlen(rule->code)) != 0 : sqlstate[0] != '\0')
		return false;
	if (rule->starts && strncmp(message, rule->starts, strlen(rule->starts)) != 0)
		return false;
	for (size_t i = 0; i < sizeof(rule->words) / sizeof(rule->words[0]); i++)
		if (rule->words[i] && !contains(message, rule->words[i]))
			return false;
	switch (rule->when) {
	case PG_WHEN_TLS_OFF:
		return context->tls_off;
	case PG_WHEN_IDENTITY_DROPPED:
		return context->identity_dropped;
	case PG_WHEN_ALWAYS:
		break;
	}
	return true;
}

const struct pg_error_rule *pg_error_rule_for(const char *message, const char *sqlstate,
                                              const struct pg_error_context *context)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rule_applies(&rules[i], message, sqlstate, context))
			return &rules[i];
	return NULL;
}

void pg_error_classify(struct pg_error *error, const struct pg_error_context *context)
{
	error->rule = pg_error_rule_for(error->message, error->sqlstate, context);
	if (error->rule) {
		error->verdict = error->rule->verdict;
		error->advice = error->rule->verdict == PG_ERROR_PERMANENT ? error->rule->advice : "";
		return;
	}
	/* Anything else is retried, and the message says that it was not
	 * recognised. */
	{
		size_t used = strlen(error->message);

		snprintf(error->message + used, sizeof(error->message) - used, "; not recognised, retrying");
	}
	error->verdict = PG_ERROR_TRANSIENT;
	error->advice = "";
}

void pg_error_at_start(struct pg_error *error, const char *text, const char *password)
{
	pg_error_read(error, text, NULL, password);
	error->rule = NULL;
	error->verdict = PG_ERROR_PERMANENT;
	/* libpq takes a missing user name from the system's user database,
	 * which a FROM scratch or distroless image may not have. */
	if (strstr(text, "could not look up local user"))
		error->advice = "the URL names no user and this system has no entry for the current user (no "
		                "/etc/passwd?): put the user in DATABASE_URL, postgresql://USER:PASSWORD@HOST/DB";
	else
		error->advice = "fix DATABASE_URL";
}

bool pg_error_is_missing_database(const struct pg_error *error)
{
	if (strcmp(error->sqlstate, "3D000") == 0)
		return true;
	return strcmp(error->sqlstate, "08P01") == 0 && strncmp(error->message, "database \"", 10) == 0 &&
	       contains(error->message, "\" does not exist");
}

const struct pg_error_rule *pg_error_rules(size_t *count)
{
	*count = sizeof(rules) / sizeof(rules[0]);
	return rules;
}
