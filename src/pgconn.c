#include "pgconn.h"

#include "dynlib.h"
#include "log.h"
#include "loop.h"
#include "resolve.h"
#include "url.h"

#include <ctype.h>
#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* libpq, loaded on first use (see dynlib.h): one slot per function used. */
/* clang-format off */
#define PQ_FUNCTIONS(X) \
	X(PQclear) \
	X(PQconndefaults) \
	X(PQconnectPoll) \
	X(PQconnectStartParams) \
	X(PQconninfoFree) \
	X(PQconninfoParse) \
	X(PQconsumeInput) \
	X(PQerrorMessage) \
	X(PQfinish) \
	X(PQflush) \
	X(PQescapeIdentifier) \
	X(PQfreemem) \
	X(PQgetResult) \
	X(PQgetvalue) \
	X(PQisBusy) \
	X(PQlibVersion) \
	X(PQntuples) \
	X(PQresultErrorField) \
	X(PQresultErrorMessage) \
	X(PQresultStatus) \
	X(PQsendQuery) \
	X(PQsendQueryParams) \
	X(PQsetErrorVerbosity) \
	X(PQsetnonblocking) \
	X(PQsocket) \
	X(PQstatus)
/* clang-format on */
DYNLIB_DEFINE(pq, pq_load, "libpq.so.5", PQ_FUNCTIONS)

#define DEFAULT_PORT     "5432"
#define DEFAULT_DBNAME   "postgres" /* Prisma's, where libpq would take the user name */
#define DEFAULT_SCHEMA   "public"
#define PG_NAME_MAX      63  /* NAMEDATALEN - 1: the longest database or role name */
#define SHOWN_URL_MAX    160 /* of a URL in a message, before "..." */
#define APPLICATION_NAME "prisma-entrypoint"
#define REDACTED_SIZE    1024
#define MESSAGE_SIZE     512
#define SQLSTATE_CHARS   "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

/* ---- translation ------------------------------------------------------ */

/* What Prisma does with a query parameter. Facts from Prisma's PostgreSQL
 * connector documentation (Connection URL > Arguments, Configuring an SSL
 * connection, Connecting via sockets) and from the query-engine parser it
 * describes (quaint's PostgresUrl). */
enum param_kind {
	PARAM_LIBPQ,     /* not Prisma's: passed to libpq if libpq knows it */
	PARAM_SCHEMA,    /* search path for Prisma's queries: kept in target->schema */
	PARAM_NUMBER,    /* Prisma-only whole number; Prisma rejects anything else */
	PARAM_BOOL,      /* Prisma-only true/false */
	PARAM_DROP,      /* Prisma-only, nothing to check */
	PARAM_IDENTITY,  /* sslidentity: a PKCS#12 client certificate, which libpq cannot read */
	PARAM_SSLACCEPT, /* strict | accept_invalid_certs: mapped onto sslmode below */
	PARAM_SSLCERT,   /* the server's root certificate: libpq's sslrootcert */
	PARAM_HOST,      /* socket directory, or a host name, instead of the URL's hosts */
	PARAM_IGNORED,   /* libpq target keywords Prisma takes from the URL itself, never the query */
};

static const struct {
	const char *name;
	enum param_kind kind;
} prisma_params[] = {
    {"schema", PARAM_SCHEMA},
    {"connection_limit", PARAM_NUMBER},
    {"pool_timeout", PARAM_NUMBER},
    {"statement_cache_size", PARAM_NUMBER},
    {"socket_timeout", PARAM_NUMBER},
    /* The probe's attempts are timed by the caller; libpq's
     * connect_timeout would not apply to a non-blocking connection anyway. */
    {"connect_timeout", PARAM_NUMBER},
    /* Parsed by quaint although the documentation does not list them. */
    {"max_connection_lifetime", PARAM_NUMBER},
    {"max_idle_connection_lifetime", PARAM_NUMBER},
    {"pgbouncer", PARAM_BOOL},
    {"sslidentity", PARAM_IDENTITY},
    /* The PKCS#12 file's password: libpq's sslpassword of the same name
     * decrypts a PEM key instead, and there is no key without sslidentity. */
    {"sslpassword", PARAM_DROP},
    {"sslaccept", PARAM_SSLACCEPT},
    {"sslcert", PARAM_SSLCERT},
    /* Listed by the documentation with libpq's meaning. */
    {"sslrootcert", PARAM_SSLCERT},
    {"host", PARAM_HOST},
    {"hostaddr", PARAM_IGNORED},
    {"port", PARAM_IGNORED},
    {"dbname", PARAM_IGNORED},
    {"user", PARAM_IGNORED},
    {"password", PARAM_IGNORED},
};

/* libpq 15's accepted values for the keywords whose values it checks only
 * when connecting; checked here so that a bad URL is a configuration error
 * at once, not a failed attempt. */
static const struct {
	const char *keyword;
	const char *values[7];
} enum_params[] = {
    {"sslmode", {"disable", "allow", "prefer", "require", "verify-ca", "verify-full", NULL}},
    {"gssencmode", {"disable", "prefer", "require", NULL}},
    {"channel_binding", {"disable", "prefer", "require", NULL}},
    {"target_session_attrs", {"any", "read-write", "read-only", "primary", "standby", "prefer-standby", NULL}},
};

/* Keyword/value pairs while the target is built. */
struct pairs {
	char **keywords;
	char **values;
	size_t count;
};

struct build {
	const char *url;
	char *error;
	size_t error_size;
	struct pairs pairs;
	const char *sslmode;   /* borrowed from the parsed URL */
	const char *sslaccept; /* idem */
	const char *root_cert; /* idem */
	const char *query_host;
};

static int build_fail(struct build *build, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int build_fail(struct build *build, const char *fmt, ...)
{
	char redacted[REDACTED_SIZE];
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	url_for_message(build->url, redacted, sizeof(redacted));
	/* The reason must fit in the message, whatever the URL's length. */
	if (strlen(redacted) > SHOWN_URL_MAX)
		memcpy(redacted + SHOWN_URL_MAX - 3, "...", 4);
	snprintf(build->error, build->error_size, "invalid URL '%s': %s", redacted, reason);
	return -1;
}

static void pairs_release(struct pairs *pairs)
{
	for (size_t i = 0; i < pairs->count; i++) {
		free(pairs->keywords[i]);
		if (pairs->values[i])
			explicit_bzero(pairs->values[i], strlen(pairs->values[i]));
		free(pairs->values[i]);
	}
	free(pairs->keywords);
	free(pairs->values);
	*pairs = (struct pairs){0};
}

static ssize_t pairs_find(const struct pairs *pairs, const char *keyword)
{
	for (size_t i = 0; i < pairs->count; i++)
		if (strcmp(pairs->keywords[i], keyword) == 0)
			return (ssize_t)i;
	return -1;
}

/* Sets keyword to value, replacing an earlier value: the last one wins, in
 * Prisma as in libpq. Returns 0, or -1 (ENOMEM). The arrays keep room for
 * their NULL terminators. */
static int pairs_set(struct pairs *pairs, const char *keyword, const char *value)
{
	ssize_t at = pairs_find(pairs, keyword);
	char *copy = strdup(value);
	char **keywords;
	char **values;

	if (!copy)
		return -1;
	if (at >= 0) {
		explicit_bzero(pairs->values[at], strlen(pairs->values[at]));
		free(pairs->values[at]);
		pairs->values[at] = copy;
		return 0;
	}
	keywords = realloc(pairs->keywords, (pairs->count + 2) * sizeof(*keywords));
	if (keywords)
		pairs->keywords = keywords;
	values = keywords ? realloc(pairs->values, (pairs->count + 2) * sizeof(*values)) : NULL;
	if (values)
		pairs->values = values;
	if (!values || !(pairs->keywords[pairs->count] = strdup(keyword))) {
		free(copy);
		return -1;
	}
	pairs->values[pairs->count++] = copy;
	pairs->keywords[pairs->count] = NULL;
	pairs->values[pairs->count] = NULL;
	return 0;
}

static bool libpq_knows(const char *keyword)
{
	PQconninfoOption *options = pq.PQconndefaults();
	bool known = false;

	if (!options)
		return true; /* out of memory: PQconninfoParse below still checks */
	for (const PQconninfoOption *option = options; option->keyword; option++)
		if (strcmp(option->keyword, keyword) == 0)
			known = true;
	pq.PQconninfoFree(options);
	return known;
}

/* Rust's str::parse for the unsigned integers Prisma reads. */
static bool is_whole_number(const char *text)
{
	if (*text == '+')
		text++;
	return *text && strspn(text, "0123456789") == strlen(text);
}

static int take_param(struct build *build, struct pg_target *target, const struct url_param *param)
{
	enum param_kind kind = PARAM_LIBPQ;

	for (size_t i = 0; i < sizeof(prisma_params) / sizeof(prisma_params[0]); i++)
		if (strcmp(prisma_params[i].name, param->name) == 0)
			kind = prisma_params[i].kind;
	switch (kind) {
	case PARAM_SCHEMA:
		free(target->schema);
		target->schema = strdup(param->value);
		return target->schema ? 0 : build_fail(build, "out of memory");
	case PARAM_NUMBER:
		if (!is_whole_number(param->value))
			return build_fail(build, "%s must be a whole number, not '%s'", param->name, param->value);
		return 0;
	case PARAM_BOOL:
		if (strcmp(param->value, "true") != 0 && strcmp(param->value, "false") != 0)
			return build_fail(build, "%s must be true or false, not '%s'", param->name, param->value);
		if (strcmp(param->name, "pgbouncer") == 0)
			target->pgbouncer = strcmp(param->value, "true") == 0;
		return 0;
	case PARAM_DROP:
	case PARAM_IGNORED:
		return 0;
	case PARAM_IDENTITY:
		target->identity_dropped = true;
		return 0;
	case PARAM_SSLACCEPT:
		build->sslaccept = param->value;
		return 0;
	case PARAM_SSLCERT:
		/* quaint reads sslcert; sslrootcert is only documented. */
		if (strcmp(param->name, "sslcert") == 0 || !build->root_cert)
			build->root_cert = param->value;
		return 0;
	case PARAM_HOST:
		build->query_host = param->value;
		return 0;
	case PARAM_LIBPQ:
		break;
	}
	if (!libpq_knows(param->name))
		return build_fail(build, "unknown parameter '%s' (neither Prisma nor libpq knows it)", param->name);
	if (strcmp(param->name, "sslmode") == 0)
		build->sslmode = param->value;
	else if (pairs_set(&build->pairs, param->name, param->value) < 0)
		return build_fail(build, "out of memory");
	return 0;
}

/* TLS. Prisma's engine reads sslmode as disable, prefer (the default) or
 * require, and verifies the server's certificate only with sslaccept=strict:
 * its default, accept_invalid_certs, bypasses the check, and sslcert is the
 * root certificate to verify against (the documentation calls it the server
 * certificate; relative paths are resolved from the schema's folder). strict checks
 * the certificate chain and the host name. libpq's sslmode says both at once:
 * require encrypts without checking (unless a root certificate is at hand,
 * which makes it verify-ca), verify-full checks chain and host name.
 *
 * The probe must succeed where the app will and fail where it will fail, so:
 * - sslaccept=strict with sslmode=require (or verify-ca) becomes verify-full,
 *   with sslcert as sslrootcert; without sslcert Prisma uses the system's
 *   trust store, libpq >= 16 too with sslrootcert=system; an older libpq has
 *   no such thing and stays at require (the app still checks);
 * - sslaccept=strict with prefer (or no sslmode) stays prefer: encryption is
 *   optional in both, and libpq checks the chain against sslrootcert when the
 *   server offers TLS (it cannot check the host name unless TLS is required);
 * - with accept_invalid_certs (explicit or default) sslcert is not given to
 *   libpq under prefer and require, since libpq would then verify what Prisma
 *   does not; sslmode=verify-ca and verify-full are libpq's own words and keep
 *   their meaning, with sslcert (or sslrootcert) as the root certificate.
 * Prisma reads any other sslmode value as prefer; libpq's values are kept as
 * libpq reads them, since a user who wrote verify-full asked for the check. */
static int apply_tls(struct build *build)
{
	const char *mode = build->sslmode;
	/* Prisma: anything but accept_invalid_certs is strict. */
	bool strict = build->sslaccept && strcmp(build->sslaccept, "accept_invalid_certs") != 0;
	bool verify = mode && (strcmp(mode, "verify-ca") == 0 || strcmp(mode, "verify-full") == 0);
	const char *root = build->root_cert;

	if (strict && mode && (strcmp(mode, "require") == 0 || strcmp(mode, "verify-ca") == 0)) {
		if (root) {
			mode = "verify-full";
		} else if (pq.PQlibVersion() >= 160000) {
			mode = "verify-full";
			root = "system";
		}
		verify = strcmp(mode, "verify-full") == 0;
	}
	/* Always set: libpq would otherwise take PGSSLMODE from the
	 * environment, which Prisma ignores. prefer is both defaults. */
	if (!mode)
		mode = "prefer";
	if (pairs_set(&build->pairs, "sslmode", mode) < 0)
		return build_fail(build, "out of memory");
	if (root && (strict || verify) && pairs_set(&build->pairs, "sslrootcert", root) < 0)
		return build_fail(build, "out of memory");
	return 0;
}

static int check_enums(struct build *build)
{
	for (size_t i = 0; i < sizeof(enum_params) / sizeof(enum_params[0]); i++) {
		ssize_t at = pairs_find(&build->pairs, enum_params[i].keyword);
		bool valid = false;

		if (at < 0)
			continue;
		for (const char *const *value = enum_params[i].values; *value; value++)
			if (strcmp(*value, build->pairs.values[at]) == 0)
				valid = true;
		if (!valid)
			return build_fail(build, "invalid %s value '%s'", enum_params[i].keyword,
			                  build->pairs.values[at]);
	}
	return 0;
}

/* Lets libpq judge the keywords and their syntax: the pairs, but the
 * password, as a conninfo string with every value quoted. */
static int check_with_libpq(struct build *build)
{
	char *conninfo = NULL;
	size_t size;
	FILE *stream = open_memstream(&conninfo, &size);
	PQconninfoOption *parsed;
	char *message = NULL;

	if (!stream)
		return build_fail(build, "out of memory");
	for (size_t i = 0; i < build->pairs.count; i++) {
		if (strcmp(build->pairs.keywords[i], "password") == 0)
			continue;
		fprintf(stream, "%s='", build->pairs.keywords[i]);
		for (const char *p = build->pairs.values[i]; *p; p++) {
			if (*p == '\\' || *p == '\'')
				fputc('\\', stream);
			fputc(*p, stream);
		}
		fputs("' ", stream);
	}
	if (fclose(stream) != 0) {
		free(conninfo);
		return build_fail(build, "out of memory");
	}
	parsed = pq.PQconninfoParse(conninfo, &message);
	free(conninfo);
	if (!parsed) {
		if (message)
			message[strcspn(message, "\n")] = '\0';
		build_fail(build, "libpq rejects it: %s", message ? message : "out of memory");
		pq.PQfreemem(message);
		return -1;
	}
	pq.PQconninfoFree(parsed);
	return 0;
}

static int add_host(struct pg_target *target, const char *name, size_t len, unsigned port, bool is_socket)
{
	struct pg_host *grown = realloc(target->hosts, (target->host_count + 1) * sizeof(*grown));
	struct pg_host *host;

	if (!grown)
		return -1;
	target->hosts = grown;
	host = &target->hosts[target->host_count];
	*host = (struct pg_host){.is_socket = is_socket};
	snprintf(host->port, sizeof(host->port), "%hu", (unsigned short)(port ? port : 5432u));
	host->name = strndup(name, len);
	if (!host->name)
		return -1;
	target->host_count++;
	return 0;
}

/* ?host=: a directory means a unix socket (Prisma's documentation: "the
 * value of this parameter then must point to the directory that contains the
 * socket"), anything else a host name. */
static int take_query_host(struct build *build, struct pg_target *target, const char *value, unsigned port)
{
	bool is_socket = value[0] == '/';
	size_t len = strlen(value);

	/* "/var/run/postgresql/" as in Prisma's own example. */
	while (is_socket && len > 1 && value[len - 1] == '/')
		len--;
	if (memchr(value, ',', len))
		return build_fail(build, "?host= holds a comma, which libpq would read as a list");
	return add_host(target, value, len, port, is_socket) < 0 ? build_fail(build, "out of memory") : 0;
}

/* Hosts as Prisma finds them: ?host= first, then the URL's hosts, then
 * localhost. The port is the URL's (the socket's too), else 5432. */
static int take_hosts(struct build *build, struct pg_target *target, const struct url *url)
{
	if (build->query_host && build->query_host[0])
		return take_query_host(build, target, build->query_host, url->host_count > 0 ? url->hosts[0].port : 0);
	if (url->host_count == 0)
		return add_host(target, "localhost", 9, 0, false) < 0 ? build_fail(build, "out of memory") : 0;
	for (size_t i = 0; i < url->host_count; i++)
		if (add_host(target, url->hosts[i].name, strlen(url->hosts[i].name), url->hosts[i].port, false) < 0)
			return build_fail(build, "out of memory");
	return 0;
}

static char *make_display(const struct pg_target *target)
{
	char *text = NULL;
	size_t size;
	FILE *stream = open_memstream(&text, &size);

	if (!stream)
		return NULL;
	for (size_t i = 0; i < target->host_count; i++) {
		const struct pg_host *host = &target->hosts[i];

		if (i > 0)
			fputc(',', stream);
		if (host->is_socket && strcmp(host->port, DEFAULT_PORT) == 0)
			fputs(host->name, stream);
		else if (host->is_socket)
			fprintf(stream, "%s/.s.PGSQL.%s", host->name, host->port);
		else if (strchr(host->name, ':'))
			fprintf(stream, "[%s]:%s", host->name, host->port);
		else
			fprintf(stream, "%s:%s", host->name, host->port);
	}
	if (fclose(stream) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* A password with an unencoded '/', '?' or '#' ends the authority early:
 * "postgresql://app:12/34@db/x" reads as host "app", port 12. Prisma would
 * try to connect there; the '@' that follows, before any '=' of a query
 * parameter, gives it away. */
static int check_stray_at(struct build *build)
{
	const char *authority = strstr(build->url, "://") + 3;
	const char *rest = authority + strcspn(authority, "/?#");
	const char *at = strchr(rest, '@');

	if (at && !memchr(rest, '=', (size_t)(at - rest)))
		return build_fail(build,
		                  "'@' after the host: if the password holds '/', '?' or '#', "
		                  "percent-encode them as %%2F, %%3F and %%23 (and '@' in a database name as %%40)");
	return 0;
}

void pgconn_target_release(struct pg_target *target)
{
	struct pairs pairs = {target->keywords, target->values, 0};

	while (target->keywords && target->keywords[pairs.count])
		pairs.count++;
	pairs_release(&pairs);
	for (size_t i = 0; i < target->host_count; i++)
		free(target->hosts[i].name);
	free(target->hosts);
	free(target->dbname);
	free(target->user);
	free(target->schema);
	free(target->display);
	*target = (struct pg_target){0};
}

int pgconn_library_version(char *out, size_t out_size)
{
	int version;

	if (pq_load(out, out_size) < 0)
		return -1;
	/* 150018 is 15.18: major * 10000 + minor since PostgreSQL 10. */
	version = pq.PQlibVersion();
	snprintf(out, out_size, "libpq %d.%d", version / 10000, version % 10000);
	return 0;
}

int pgconn_target_from_url(const char *text, struct pg_target *target, char *error, size_t error_size)
{
	struct build build = {.url = text, .error = error, .error_size = error_size};
	struct url url;
	const char *dbname;

	*target = (struct pg_target){0};
	if (pq_load(error, error_size) < 0)
		return -1;
	if ((!url_has_scheme(text, "postgresql") && !url_has_scheme(text, "postgres")) ||
	    strncmp(text + strcspn(text, ":"), "://", 3) != 0) {
		char shown[REDACTED_SIZE];

		url_for_message(text, shown, sizeof(shown));
		snprintf(error, error_size,
		         "invalid URL '%s': a PostgreSQL URL starts with postgresql:// or postgres://", shown);
		return -1;
	}
	if (check_stray_at(&build) < 0)
		return -1;
	if (url_parse(text, &url, error, error_size) < 0)
		return -1;
	/* Prisma takes the first path segment as the database; no path at all
	 * means "postgres", an empty one leaves the choice to the server (the
	 * user's name), as libpq does without dbname. */
	dbname = url.path[0] == '/' ? url.path + 1 : NULL;
	target->user = strdup(url.user ? url.user : "");
	target->schema = strdup(DEFAULT_SCHEMA);
	if (!dbname)
		target->dbname = strdup(DEFAULT_DBNAME);
	else if (dbname[0] == '\0')
		target->dbname = strdup(url.user && url.user[0] ? url.user : "");
	else
		target->dbname = strndup(dbname, strcspn(dbname, "/"));
	if (!target->user || !target->schema || !target->dbname) {
		build_fail(&build, "out of memory");
		goto fail;
	}
	/* The server cuts a longer name to its first 63 bytes and would look
	 * for another database or role; a very long one makes the startup
	 * packet invalid, which reads like a server that went away. */
	if (strlen(target->dbname) > PG_NAME_MAX || strlen(target->user) > PG_NAME_MAX) {
		bool user = strlen(target->user) > PG_NAME_MAX;

		build_fail(&build, "the %s name is %zu bytes long: PostgreSQL names have at most %d",
		           user ? "user" : "database", strlen(user ? target->user : target->dbname), PG_NAME_MAX);
		goto fail;
	}
	for (size_t i = 0; i < url.param_count; i++)
		if (take_param(&build, target, &url.params[i]) < 0)
			goto fail;
	if (target->user[0] && pairs_set(&build.pairs, "user", target->user) < 0)
		goto oom;
	if (url.password && pairs_set(&build.pairs, "password", url.password) < 0)
		goto oom;
	if (target->dbname[0] && pairs_set(&build.pairs, "dbname", target->dbname) < 0)
		goto oom;
	if (apply_tls(&build) < 0)
		goto fail;
	/* GSSAPI encryption is tried first by default when libpq has it; Prisma
	 * never uses it. */
	if (pairs_find(&build.pairs, "gssencmode") < 0 && pairs_set(&build.pairs, "gssencmode", "disable") < 0)
		goto oom;
	if (pairs_set(&build.pairs, "fallback_application_name", APPLICATION_NAME) < 0)
		goto oom;
	if (check_enums(&build) < 0 || check_with_libpq(&build) < 0 || take_hosts(&build, target, &url) < 0)
		goto fail;
	target->display = make_display(target);
	if (!target->display)
		goto oom;
	target->keywords = build.pairs.keywords;
	target->values = build.pairs.values;
	if (url.password)
		explicit_bzero(url.password, strlen(url.password));
	url_release(&url);
	return 0;
oom:
	build_fail(&build, "out of memory");
fail:
	pairs_release(&build.pairs);
	if (url.password)
		explicit_bzero(url.password, strlen(url.password));
	url_release(&url);
	pgconn_target_release(target);
	return -1;
}

const char *pgconn_target_value(const struct pg_target *target, const char *keyword)
{
	for (size_t i = 0; target->keywords && target->keywords[i]; i++)
		if (strcmp(target->keywords[i], keyword) == 0)
			return target->values[i];
	return NULL;
}

int pgconn_target_resolve_paths(struct pg_target *target, const char *base_dir)
{
	for (size_t i = 0; target->keywords && target->keywords[i]; i++) {
		char *path;

		if (strcmp(target->keywords[i], "sslrootcert") != 0 || target->values[i][0] == '/' ||
		    strcmp(target->values[i], "system") == 0)
			continue;
		if (asprintf(&path, "%s/%s", base_dir, target->values[i]) < 0) {
			errno = ENOMEM;
			return -1;
		}
		free(target->values[i]);
		target->values[i] = path;
	}
	return 0;
}

/* ---- probe ------------------------------------------------------------ */

enum probe_step { STEP_CONNECTING, STEP_QUERYING, STEP_DONE };

struct pg_probe {
	PGconn *conn;
	enum probe_step step;
	enum pg_probe_state state;
	PostgresPollingStatusType polling; /* what PQconnectPoll asked for last */
	bool flushing;                     /* the query is not all sent yet */
	bool answered;                     /* SELECT 1 gave its row */
	bool identity_dropped;
	bool tls_refused_too; /* pg_hba.conf also rejected the attempt with TLS */
	bool tls_off;         /* sslmode disable or allow: TLS is not tried first */
	char *password;       /* to keep it out of messages, whatever libpq says */
	char message[MESSAGE_SIZE];
	char sqlstate[6];
	const char *advice;
};

/* Joins one field of every endpoint with commas; NULL fields are empty. */
static char *join_field(const struct pg_endpoint *endpoints, size_t count, size_t field, bool *bad_comma)
{
	char *text = NULL;
	size_t size;
	FILE *stream = open_memstream(&text, &size);

	if (!stream)
		return NULL;
	for (size_t i = 0; i < count; i++) {
		const char *fields[] = {endpoints[i].host, endpoints[i].hostaddr, endpoints[i].port};
		const char *value = fields[field] ? fields[field] : "";

		if (strchr(value, ','))
			*bad_comma = true;
		fprintf(stream, "%s%s", i > 0 ? "," : "", value);
	}
	if (fclose(stream) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

static enum pg_probe_state finish(struct pg_probe *probe, enum pg_probe_state state, const char *advice)
{
	probe->step = STEP_DONE;
	probe->state = state;
	probe->advice = state == PG_PROBE_PERMANENT && advice ? advice : "";
	return state;
}

/* Replaces every copy of the password in the message with "****". No
 * server or libpq message quotes a password; this is the belt to those
 * braces. Passwords shorter than 4 characters would mask ordinary words. */
static void scrub(struct pg_probe *probe)
{
	size_t len = probe->password ? strlen(probe->password) : 0;
	char out[MESSAGE_SIZE];
	size_t used = 0;

	if (len < 4 || !strstr(probe->message, probe->password))
		return;
	for (const char *p = probe->message; *p && used + 1 < sizeof(out);) {
		if (strncmp(p, probe->password, len) == 0) {
			for (const char *mask = "****"; *mask && used + 1 < sizeof(out); mask++)
				out[used++] = *mask;
			p += len;
		} else {
			out[used++] = *p++;
		}
	}
	out[used] = '\0';
	memcpy(probe->message, out, used + 1);
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
static const char *skip_severity(struct pg_probe *probe, const char *line)
{
	const char *colon = strstr(line, ":  ");
	const char *code;

	if (!colon || colon - line > 20 || (size_t)(colon - line) > strcspn(line, "\n"))
		return line;
	code = colon + 3;
	if (strspn(code, SQLSTATE_CHARS) == 5 && strncmp(code + 5, ": ", 2) == 0) {
		memcpy(probe->sqlstate, code, 5);
		probe->sqlstate[5] = '\0';
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
static size_t line_length(const char *text)
{
	size_t len = strcspn(text, "\n");

	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '.' || text[len - 1] == '\r'))
		len--;
	return len;
}

/* Sets message and sqlstate from libpq's text, which looks like
 * 'connection to server at "db" (10.0.0.5), port 5432 failed: FATAL:  28P01:
 * password authentication failed for user "app"\nLOCATION: ...' with one
 * such paragraph per host and per try. The last one tells what ended the
 * attempt; an earlier TLS failure is kept too, since with sslmode=prefer
 * libpq then tries without TLS, and that second refusal would hide it. */
static void take_error(struct pg_probe *probe, const char *raw, const char *sqlstate)
{
	char *clean = without_password(raw, probe->password);
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
			if (memmem(body, body_len, "SSL encryption", 14))
				probe->tls_refused_too = true;
		}
		last = p;
	}
	line = skip_severity(probe, paragraph_body(last, &socket, &socket_len));
	/* The server's field is taken only when it is what a SQLSTATE is: it
	 * goes into the one-line message as it is. */
	if (sqlstate && strlen(sqlstate) == 5 && strspn(sqlstate, SQLSTATE_CHARS) == 5 && !probe->sqlstate[0])
		snprintf(probe->sqlstate, sizeof(probe->sqlstate), "%s", sqlstate);
	len = line_length(line);
	if (socket && line_is(line, len, "No such file or directory"))
		snprintf(probe->message, sizeof(probe->message), "socket %.*s does not exist", (int)socket_len, socket);
	else if (line_is(line, len, "fe_sendauth: no password supplied"))
		snprintf(probe->message, sizeof(probe->message), "the server asks for a password and the URL has none");
	else if (tls_failure && memmem(line, len, "no encryption", 13))
		snprintf(probe->message, sizeof(probe->message), "%.*s, and the server refuses unencrypted connections",
		         (int)line_length(tls_failure), tls_failure);
	else if (len == 0)
		snprintf(probe->message, sizeof(probe->message), "connection failed");
	else
		snprintf(probe->message, sizeof(probe->message), "%.*s", (int)len, line);
	/* strerror()'s "Connection refused" reads as plain words in lowercase;
	 * leave "SSL error" and the like alone. */
	if (isupper((unsigned char)probe->message[0]) && islower((unsigned char)probe->message[1]))
		probe->message[0] = (char)tolower((unsigned char)probe->message[0]);
	for (char *p = probe->message; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	if (probe->sqlstate[0]) {
		size_t used = strlen(probe->message);

		snprintf(probe->message + used, sizeof(probe->message) - used, " (%s)", probe->sqlstate);
	}
	scrub(probe);
	free(clean);
}

static const char *const transient_words[] = {
    "connection refused",
    "timed out",
    "unreachable",
    "no route to host",
    "network is down",
    "reset by peer",
    "server closed the connection unexpectedly",
    "connection to server was lost",
    "could not receive data",
    "could not send data",
    "broken pipe",
    "eof detected",
    "unexpected eof",
    "ssl syscall error",
    "resource temporarily unavailable",
    "cannot assign requested address",
    "could not translate host name",
    "name resolution",
};

/* The probe's verdict on message and sqlstate. Transient: the server is
 * not there yet, or is starting, stopping, recovering or full. Permanent:
 * waiting will not change the answer (credentials, pg_hba.conf, database
 * name, TLS settings). Anything else is retried, and the message says that it
 * was not recognised. */
static enum pg_probe_state classify(struct pg_probe *probe)
{
	const char *state = probe->sqlstate;
	const char *text = probe->message;

	if (state[0]) {
		if (strcmp(state, "28P01") == 0)
			return finish(probe, PG_PROBE_PERMANENT, "check the password in DATABASE_URL");
		if (strncmp(state, "28", 2) == 0) {
			if (contains(text, "unencrypted connections"))
				return finish(
				    probe, PG_PROBE_PERMANENT,
				    "the server's certificate was not accepted and the server requires TLS: check "
				    "sslcert and sslaccept in DATABASE_URL");
			/* With sslmode=prefer both tries may be refused: then
			 * TLS is not what is missing. */
			/* Refused without TLS: TLS is the fix only when it was not
			 * tried (sslmode disable or allow). With prefer, libpq tries
			 * TLS first when the server has it, so a lone "no
			 * encryption" refusal means the server has no TLS. */
			if (contains(text, "no encryption") && probe->tls_off)
				return finish(probe, PG_PROBE_PERMANENT,
				              "the server's pg_hba.conf admits this connection only with TLS: set "
				              "sslmode=require in DATABASE_URL");
			if (contains(text, "no encryption"))
				return finish(
				    probe, PG_PROBE_PERMANENT,
				    "the server's pg_hba.conf admits no such connection: change pg_hba.conf, or "
				    "the user or database in DATABASE_URL");
			if (contains(text, "pg_hba.conf") && contains(text, "encryption"))
				return finish(
				    probe, PG_PROBE_PERMANENT,
				    "the server refuses encrypted connections from here: set sslmode=disable in "
				    "DATABASE_URL, or change pg_hba.conf");
			if (contains(text, "certificate"))
				return finish(
				    probe, PG_PROBE_PERMANENT,
				    probe->identity_dropped
				        ? "the server wants a client certificate, and the sslidentity (PKCS#12) in "
				          "DATABASE_URL cannot be used by this check"
				        : "the server wants a client certificate: use Prisma's sslidentity in "
				          "DATABASE_URL");
			if (contains(text, "pg_hba.conf"))
				return finish(
				    probe, PG_PROBE_PERMANENT,
				    "the server's pg_hba.conf admits no such connection: add an entry for this "
				    "host, user and database");
			if (contains(text, "role") && contains(text, "does not exist"))
				return finish(probe, PG_PROBE_PERMANENT,
				              "check the user name in DATABASE_URL, or create the role");
			return finish(probe, PG_PROBE_PERMANENT, "check the user and password in DATABASE_URL");
		}
		if (strcmp(state, "3D000") == 0)
			return finish(probe, PG_PROBE_PERMANENT,
			              "create the database, or correct its name in DATABASE_URL");
		if (strcmp(state, "42501") == 0)
			return finish(probe, PG_PROBE_PERMANENT, "grant CONNECT on the database to the user");
		/* 57P01-57P03: shutting down, crashed, starting up, recovering
		 * (the official image restarts once after its init scripts);
		 * 53xxx: too many connections, out of memory or disk; 08xxx:
		 * connection exceptions. */
		if (strncmp(state, "57P0", 4) == 0 || strncmp(state, "53", 2) == 0 || strncmp(state, "08", 2) == 0)
			return finish(probe, PG_PROBE_TRANSIENT, NULL);
	} else {
		if (contains(text, "server does not support SSL"))
			return finish(probe, PG_PROBE_PERMANENT,
			              "the server does not offer TLS: use sslmode=prefer or disable in DATABASE_URL, "
			              "or turn ssl on in the server");
		if (contains(text, "root certificate file"))
			return finish(probe, PG_PROBE_PERMANENT,
			              "give the server's CA certificate as sslcert=PATH in DATABASE_URL (the file must "
			              "exist), or use sslmode=require");
		if (strncmp(text, "socket ", 7) == 0 && contains(text, "does not exist"))
			return finish(probe, PG_PROBE_TRANSIENT, NULL);
		/* Before the TLS words: "SSL SYSCALL error: EOF detected" is a
		 * server going away, not a certificate problem. */
		for (size_t i = 0; i < sizeof(transient_words) / sizeof(transient_words[0]); i++)
			if (contains(text, transient_words[i]))
				return finish(probe, PG_PROBE_TRANSIENT, NULL);
		if (contains(text, "certificate") || contains(text, "SSL error"))
			return finish(probe, PG_PROBE_PERMANENT,
			              "the server's certificate was not accepted: check sslcert and sslmode in "
			              "DATABASE_URL");
		if (contains(text, "asks for a password"))
			return finish(probe, PG_PROBE_PERMANENT, "put the password in DATABASE_URL");
		if (contains(text, "channel binding"))
			return finish(probe, PG_PROBE_PERMANENT,
			              "the server does not do channel binding here: set channel_binding=prefer in "
			              "DATABASE_URL");
	}
	{
		size_t used = strlen(probe->message);

		snprintf(probe->message + used, sizeof(probe->message) - used, "; not recognised, retrying");
	}
	return finish(probe, PG_PROBE_TRANSIENT, NULL);
}

static enum pg_probe_state fail_from_conn(struct pg_probe *probe)
{
	take_error(probe, pq.PQerrorMessage(probe->conn), NULL);
	return classify(probe);
}

/* Configuration errors found before any network traffic. */
static enum pg_probe_state fail_at_start(struct pg_probe *probe, const char *message)
{
	take_error(probe, message, NULL);
	/* libpq takes a missing user name from the system's user database,
	 * which a FROM scratch or distroless image may not have. */
	if (strstr(message, "could not look up local user"))
		return finish(probe, PG_PROBE_PERMANENT,
		              "the URL names no user and this system has no entry for the current user (no "
		              "/etc/passwd?): put the user in DATABASE_URL, postgresql://USER:PASSWORD@HOST/DB");
	return finish(probe, PG_PROBE_PERMANENT, "fix DATABASE_URL");
}

struct pg_probe *pgconn_probe_start(const struct pg_target *target, const struct pg_endpoint *endpoints, size_t count)
{
	struct pg_probe *probe = calloc(1, sizeof(*probe));
	struct pairs pairs = {0};
	bool bad_comma = false;
	bool any_address = false;
	char *hosts = NULL;
	char *addresses = NULL;
	char *ports = NULL;
	const char *password;

	char load_error[256];

	if (!probe)
		return NULL;
	if (pq_load(load_error, sizeof(load_error)) < 0) {
		probe->advice = "";
		take_error(probe, load_error, NULL);
		finish(probe, PG_PROBE_PERMANENT, "install libpq (Debian: libpq5)");
		return probe;
	}
	probe->state = PG_PROBE_RUNNING;
	probe->advice = "";
	probe->polling = PGRES_POLLING_WRITING;
	probe->identity_dropped = target->identity_dropped;
	{
		const char *sslmode = pgconn_target_value(target, "sslmode");

		probe->tls_off = sslmode && (strcmp(sslmode, "disable") == 0 || strcmp(sslmode, "allow") == 0);
	}
	password = pgconn_target_value(target, "password");
	if (password && !(probe->password = strdup(password)))
		goto oom;
	if (count == 0) {
		fail_at_start(probe, "no address to connect to");
		return probe;
	}
	for (size_t i = 0; i < count; i++)
		any_address = any_address || endpoints[i].hostaddr;
	hosts = join_field(endpoints, count, 0, &bad_comma);
	addresses = join_field(endpoints, count, 1, &bad_comma);
	ports = join_field(endpoints, count, 2, &bad_comma);
	if (!hosts || !addresses || !ports)
		goto oom;
	if (bad_comma) {
		fail_at_start(probe,
		              "a host name, socket directory or port holds a comma, which libpq would read as a list");
		goto out;
	}
	for (size_t i = 0; target->keywords && target->keywords[i]; i++)
		if (pairs_set(&pairs, target->keywords[i], target->values[i]) < 0)
			goto oom;
	if (pairs_set(&pairs, "host", hosts) < 0 || (any_address && pairs_set(&pairs, "hostaddr", addresses) < 0) ||
	    pairs_set(&pairs, "port", ports) < 0)
		goto oom;
	probe->conn =
	    pq.PQconnectStartParams((const char *const *)pairs.keywords, (const char *const *)pairs.values, 0);
	if (!probe->conn)
		goto oom;
	/* Verbose puts the code first in every server message ("FATAL:
	 * 28P01: password authentication failed ..."); PQERRORS_SQLSTATE would
	 * leave the code alone, without the words. */
	pq.PQsetErrorVerbosity(probe->conn, PQERRORS_VERBOSE);
	/* libpq rejects bad parameters here, and a missing socket file too:
	 * connect(2) on a unix socket fails at once. Only the latter names a
	 * server. */
	if (pq.PQstatus(probe->conn) == CONNECTION_BAD) {
		if (strstr(pq.PQerrorMessage(probe->conn), "connection to server "))
			probe->state = fail_from_conn(probe);
		else
			fail_at_start(probe, pq.PQerrorMessage(probe->conn));
	}
out:
	pairs_release(&pairs);
	free(hosts);
	free(addresses);
	free(ports);
	return probe;
oom:
	pairs_release(&pairs);
	free(hosts);
	free(addresses);
	free(ports);
	pgconn_probe_free(probe);
	errno = ENOMEM;
	return NULL;
}

int pgconn_probe_fd(const struct pg_probe *probe)
{
	if (probe->step == STEP_DONE || !probe->conn)
		return -1;
	return pq.PQsocket(probe->conn);
}

short pgconn_probe_events(const struct pg_probe *probe)
{
	switch (probe->step) {
	case STEP_CONNECTING:
		return probe->polling == PGRES_POLLING_READING ? POLLIN : POLLOUT;
	case STEP_QUERYING:
		return probe->flushing ? POLLIN | POLLOUT : POLLIN;
	case STEP_DONE:
		break;
	}
	return 0;
}

static enum pg_probe_state start_query(struct pg_probe *probe)
{
	int flushed;

	probe->step = STEP_QUERYING;
	if (pq.PQsetnonblocking(probe->conn, 1) != 0 || !pq.PQsendQuery(probe->conn, "SELECT 1"))
		return fail_from_conn(probe);
	flushed = pq.PQflush(probe->conn);
	if (flushed < 0)
		return fail_from_conn(probe);
	probe->flushing = flushed == 1;
	return PG_PROBE_RUNNING;
}

/* Reads what the server sent; READY once the query's results are all in. */
static enum pg_probe_state continue_query(struct pg_probe *probe)
{
	if (probe->flushing) {
		int flushed = pq.PQflush(probe->conn);

		if (flushed < 0)
			return fail_from_conn(probe);
		probe->flushing = flushed == 1;
	}
	if (!pq.PQconsumeInput(probe->conn))
		return fail_from_conn(probe);
	while (!pq.PQisBusy(probe->conn)) {
		PGresult *result = pq.PQgetResult(probe->conn);

		if (!result) {
			if (probe->answered)
				return finish(probe, PG_PROBE_READY, NULL);
			if (!probe->message[0])
				take_error(probe, "SELECT 1 returned no row", NULL);
			return classify(probe);
		}
		if (pq.PQresultStatus(result) == PGRES_TUPLES_OK && pq.PQntuples(result) == 1) {
			probe->answered = true;
		} else if (!probe->message[0]) {
			const char *primary = pq.PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);

			take_error(probe, primary ? primary : pq.PQresultErrorMessage(result),
			           pq.PQresultErrorField(result, PG_DIAG_SQLSTATE));
			probe->answered = false;
		}
		pq.PQclear(result);
	}
	return PG_PROBE_RUNNING;
}

static bool socket_ready(const struct pg_probe *probe)
{
	struct pollfd pfd = {.fd = pgconn_probe_fd(probe), .events = pgconn_probe_events(probe)};

	return pfd.fd < 0 || poll(&pfd, 1, 0) != 0;
}

enum pg_probe_state pgconn_probe_advance(struct pg_probe *probe)
{
	enum pg_probe_state state = probe->state;

	switch (probe->step) {
	case STEP_CONNECTING:
		/* PQconnectPoll must only run once the socket is ready: called
		 * early, it takes a connect(2) still in progress for a
		 * connection made. */
		if (!socket_ready(probe))
			break;
		probe->polling = pq.PQconnectPoll(probe->conn);
		if (probe->polling == PGRES_POLLING_FAILED)
			state = fail_from_conn(probe);
		else if (probe->polling == PGRES_POLLING_OK)
			state = start_query(probe);
		if (state == PG_PROBE_RUNNING && probe->step == STEP_QUERYING)
			state = continue_query(probe);
		break;
	case STEP_QUERYING:
		state = continue_query(probe);
		break;
	case STEP_DONE:
		break;
	}
	probe->state = state;
	return state;
}

enum pg_probe_state pgconn_probe_state(const struct pg_probe *probe)
{
	return probe->state;
}

const char *pgconn_probe_message(const struct pg_probe *probe)
{
	return probe->state == PG_PROBE_READY ? "" : probe->message;
}

const char *pgconn_probe_sqlstate(const struct pg_probe *probe)
{
	return probe->sqlstate;
}

const char *pgconn_probe_advice(const struct pg_probe *probe)
{
	return probe->advice;
}

void pgconn_probe_free(struct pg_probe *probe)
{
	if (!probe)
		return;
	if (probe->conn)
		pq.PQfinish(probe->conn);
	if (probe->password) {
		explicit_bzero(probe->password, strlen(probe->password));
		free(probe->password);
	}
	free(probe);
}

/* ---- session ---------------------------------------------------------- */

/* How often a blocking call looks at should_stop while it waits. */
#define SESSION_STOP_POLL_MS 50

struct pg_session {
	struct pg_probe *probe; /* ready: its connection is the session's */
	const struct pg_target *target;
	int64_t timeout_ms;
	pg_stop_fn *should_stop;
	void *stop_arg;
};

/* Waits up to the deadline for events on fd, SESSION_STOP_POLL_MS at a
 * time. Returns OK when fd is ready, STOPPED, or FAILED when the deadline
 * passed or poll() failed. */
static enum pg_session_status await_socket(const struct pg_session *session, int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = events};
		int64_t left = deadline - loop_now_ms();
		int ready;

		if (session->should_stop && session->should_stop(session->stop_arg))
			return PG_SESSION_STOPPED;
		if (left <= 0) {
			errno = ETIMEDOUT;
			return PG_SESSION_FAILED;
		}
		ready = poll(&pfd, 1, (int)(left < SESSION_STOP_POLL_MS ? left : SESSION_STOP_POLL_MS));
		if (ready > 0)
			return PG_SESSION_OK;
		if (ready < 0 && errno != EINTR)
			return PG_SESSION_FAILED;
	}
}

/* Where a session connects: socket folders as they are, host names resolved
 * here, asking should_stop while a lookup runs (libpq's own lookup would
 * block, deaf to a stop request, as long as the resolver takes). */
#define SESSION_MAX_ENDPOINTS 16

struct session_endpoints {
	struct pg_endpoint items[SESSION_MAX_ENDPOINTS];
	char addresses[SESSION_MAX_ENDPOINTS][64];
	size_t count;
};

static enum pg_session_status resolve_endpoints(const struct pg_session *session, struct session_endpoints *out,
                                                int64_t deadline, char *error, size_t error_size)
{
	const struct pg_target *target = session->target;
	char why[256] = "";

	out->count = 0;
	for (size_t i = 0; i < target->host_count && out->count < SESSION_MAX_ENDPOINTS; i++) {
		const struct pg_host *host = &target->hosts[i];
		struct resolve_request *request;
		const struct addrinfo *addresses;
		const char *failure;
		enum pg_session_status status;

		if (host->is_socket) {
			out->items[out->count++] = (struct pg_endpoint){.host = host->name, .port = host->port};
			continue;
		}
		if (!(request = resolve_start(host->name, host->port))) {
			snprintf(error, error_size, "cannot connect to %s: cannot resolve '%s': %s", target->display,
			         host->name, strerror(errno));
			return PG_SESSION_FAILED;
		}
		status = await_socket(session, resolve_fd(request), POLLIN, deadline);
		if (status != PG_SESSION_OK) {
			if (status == PG_SESSION_FAILED)
				snprintf(error, error_size, "cannot connect to %s: no answer in time resolving '%s'",
				         target->display, host->name);
			resolve_release(request);
			return status;
		}
		if (resolve_result(request, &addresses, &failure) < 0)
			snprintf(why, sizeof(why), "'%s': %s", host->name, failure);
		for (; addresses && out->count < SESSION_MAX_ENDPOINTS; addresses = addresses->ai_next) {
			size_t n = out->count++;

			resolve_numeric(addresses, out->addresses[n], sizeof(out->addresses[n]));
			out->items[n] = (struct pg_endpoint){host->name, out->addresses[n], host->port};
		}
		resolve_release(request);
	}
	if (out->count == 0) {
		snprintf(error, error_size, "cannot connect to %s: %s", target->display, why);
		return PG_SESSION_FAILED;
	}
	return PG_SESSION_OK;
}

enum pg_session_status pgconn_session_open(const struct pg_session_params *params, struct pg_session **out, char *error,
                                           size_t error_size)
{
	const struct pg_target *target = params->target;
	struct session_endpoints *endpoints = calloc(1, sizeof(*endpoints));
	struct pg_session *session = calloc(1, sizeof(*session));
	int64_t deadline = loop_now_ms() + params->timeout_ms;
	enum pg_session_status status = PG_SESSION_FAILED;
	enum pg_probe_state state;

	*out = NULL;
	if (!endpoints || !session)
		goto oom;
	*session = (struct pg_session){.target = target,
	                               .timeout_ms = params->timeout_ms,
	                               .should_stop = params->should_stop,
	                               .stop_arg = params->stop_arg};
	status = resolve_endpoints(session, endpoints, deadline, error, error_size);
	if (status != PG_SESSION_OK)
		goto out;
	status = PG_SESSION_FAILED;
	if (!(session->probe = pgconn_probe_start(target, endpoints->items, endpoints->count)))
		goto oom;
	while ((state = pgconn_probe_advance(session->probe)) == PG_PROBE_RUNNING) {
		status = await_socket(session, pgconn_probe_fd(session->probe), pgconn_probe_events(session->probe),
		                      deadline);
		if (status == PG_SESSION_STOPPED)
			goto out;
		if (status == PG_SESSION_FAILED) {
			snprintf(error, error_size, "cannot connect to %s: %s", target->display,
			         errno == ETIMEDOUT ? "no answer in time" : strerror(errno));
			goto out;
		}
	}
	if (state == PG_PROBE_READY) {
		free(endpoints);
		*out = session;
		return PG_SESSION_OK;
	}
	status =
	    strcmp(pgconn_probe_sqlstate(session->probe), "3D000") == 0 ? PG_SESSION_NO_DATABASE : PG_SESSION_FAILED;
	snprintf(error, error_size, "cannot connect to %s: %s", target->display, pgconn_probe_message(session->probe));
	goto out;
oom:
	snprintf(error, error_size, "cannot connect to %s: %s", target->display, strerror(ENOMEM));
	status = PG_SESSION_FAILED;
out:
	free(endpoints);
	pgconn_session_close(session);
	return status;
}

/* Sends sql with its text parameters and waits for its one result. Returns
 * OK with *result to PQclear, or STOPPED, or FAILED with error set. */
static enum pg_session_status session_query(struct pg_session *session, const char *sql, int count,
                                            const char *const *values, PGresult **result, char *error,
                                            size_t error_size)
{
	PGconn *conn;
	int64_t deadline = loop_now_ms() + session->timeout_ms;
	enum pg_session_status status;
	int flushing;

	*result = NULL;
	if (!session->probe) {
		snprintf(error, error_size, "the connection was closed after a query got no answer in time");
		return PG_SESSION_FAILED;
	}
	conn = session->probe->conn;
	if (!pq.PQsendQueryParams(conn, sql, count, NULL, values, NULL, NULL, 0))
		goto lost;
	/* While the query is not all sent, the server may talk too: libpq
	 * wants that read before it can send more. */
	while ((flushing = pq.PQflush(conn)) == 1) {
		if ((status = await_socket(session, pq.PQsocket(conn), POLLIN | POLLOUT, deadline)) != PG_SESSION_OK)
			goto waited;
		if (!pq.PQconsumeInput(conn))
			goto lost;
	}
	if (flushing < 0)
		goto lost;
	for (;;) {
		PGresult *next;

		while (pq.PQisBusy(conn)) {
			if ((status = await_socket(session, pq.PQsocket(conn), POLLIN, deadline)) != PG_SESSION_OK)
				goto waited;
			if (!pq.PQconsumeInput(conn))
				goto lost;
		}
		if (!(next = pq.PQgetResult(conn)))
			break;
		if (*result)
			pq.PQclear(next);
		else
			*result = next;
	}
	if (*result &&
	    (pq.PQresultStatus(*result) == PGRES_TUPLES_OK || pq.PQresultStatus(*result) == PGRES_COMMAND_OK))
		return PG_SESSION_OK;
	if (*result) {
		const char *primary = pq.PQresultErrorField(*result, PG_DIAG_MESSAGE_PRIMARY);
		const char *sqlstate = pq.PQresultErrorField(*result, PG_DIAG_SQLSTATE);

		snprintf(error, error_size, "%s (%s)", primary ? primary : "query failed",
		         sqlstate ? sqlstate : "no SQLSTATE");
		pq.PQclear(*result);
		*result = NULL;
		return PG_SESSION_FAILED;
	}
lost:
	snprintf(error, error_size, "%.*s", (int)line_length(pq.PQerrorMessage(conn)), pq.PQerrorMessage(conn));
	return PG_SESSION_FAILED;
waited:
	if (status == PG_SESSION_FAILED)
		snprintf(error, error_size, "%s", errno == ETIMEDOUT ? "no answer in time" : strerror(errno));
	if (*result)
		pq.PQclear(*result);
	*result = NULL;
	/* The query may still be running: the connection cannot take another
	 * one, and closing it ends the query (and any lock) on the server. */
	pgconn_probe_free(session->probe);
	session->probe = NULL;
	return status;
}

enum pg_session_status pgconn_session_migrations(struct pg_session *session, struct migration_row **rows, size_t *count,
                                                 bool *found, char *error, size_t error_size)
{
	static const char exists_sql[] = "SELECT to_regclass(format('%I._prisma_migrations', $1::text)) IS NOT NULL";
	const char *schema = session->target->schema;
	PGresult *result;
	enum pg_session_status status;
	char *table;
	char *sql = NULL;
	int n;

	*rows = NULL;
	*count = 0;
	*found = false;
	status = session_query(session, exists_sql, 1, &schema, &result, error, error_size);
	if (status != PG_SESSION_OK)
		return status;
	*found = pq.PQntuples(result) == 1 && strcmp(pq.PQgetvalue(result, 0, 0), "t") == 0;
	pq.PQclear(result);
	if (!*found)
		return PG_SESSION_OK;
	table = pq.PQescapeIdentifier(session->probe->conn, schema, strlen(schema));
	if (!table || asprintf(&sql,
	                       "SELECT migration_name, finished_at IS NOT NULL, rolled_back_at IS NOT NULL, "
	                       "coalesce(logs, '') FROM %s._prisma_migrations ORDER BY started_at, migration_name",
	                       table) < 0) {
		if (table)
			pq.PQfreemem(table);
		snprintf(error, error_size, "%s", strerror(ENOMEM));
		return PG_SESSION_FAILED;
	}
	pq.PQfreemem(table);
	status = session_query(session, sql, 0, NULL, &result, error, error_size);
	free(sql);
	if (status != PG_SESSION_OK)
		return status;
	n = pq.PQntuples(result);
	if (n > 0 && !(*rows = calloc((size_t)n, sizeof(**rows)))) {
		pq.PQclear(result);
		snprintf(error, error_size, "%s", strerror(ENOMEM));
		return PG_SESSION_FAILED;
	}
	for (int i = 0; i < n; i++) {
		struct migration_row *row = &(*rows)[i];

		row->name = strdup(pq.PQgetvalue(result, i, 0));
		row->finished = strcmp(pq.PQgetvalue(result, i, 1), "t") == 0;
		row->rolled_back = strcmp(pq.PQgetvalue(result, i, 2), "t") == 0;
		row->logs = strdup(pq.PQgetvalue(result, i, 3));
		*count = (size_t)i + 1;
		if (!row->name || !row->logs) {
			pq.PQclear(result);
			migration_rows_free(*rows, *count);
			*rows = NULL;
			*count = 0;
			snprintf(error, error_size, "%s", strerror(ENOMEM));
			return PG_SESSION_FAILED;
		}
	}
	pq.PQclear(result);
	return PG_SESSION_OK;
}

enum pg_session_status pgconn_session_try_lock(struct pg_session *session, int64_t key, bool *locked, char *error,
                                               size_t error_size)
{
	char key_text[24];
	const char *values[] = {key_text};
	PGresult *result;
	enum pg_session_status status;

	snprintf(key_text, sizeof(key_text), "%lld", (long long)key);
	*locked = false;
	status =
	    session_query(session, "SELECT pg_try_advisory_lock($1::bigint)", 1, values, &result, error, error_size);
	if (status != PG_SESSION_OK)
		return status;
	*locked = pq.PQntuples(result) == 1 && strcmp(pq.PQgetvalue(result, 0, 0), "t") == 0;
	pq.PQclear(result);
	return PG_SESSION_OK;
}

enum pg_session_status pgconn_session_lock_held(struct pg_session *session, int64_t key, bool *held, char *error,
                                                size_t error_size)
{
	/* pg_locks shows a bigint advisory key as classid (high half) and
	 * objid (low half), with objsubid 1. */
	static const char sql[] =
	    "SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE "
	    "d.datname = current_database() AND l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted AND "
	    "l.classid = ($1::bigint >> 32)::oid AND l.objid = ($1::bigint & 4294967295)::oid)";
	char key_text[24];
	const char *values[] = {key_text};
	PGresult *result;
	enum pg_session_status status;

	snprintf(key_text, sizeof(key_text), "%lld", (long long)key);
	*held = false;
	status = session_query(session, sql, 1, values, &result, error, error_size);
	if (status != PG_SESSION_OK)
		return status;
	*held = pq.PQntuples(result) == 1 && strcmp(pq.PQgetvalue(result, 0, 0), "t") == 0;
	pq.PQclear(result);
	return PG_SESSION_OK;
}

void pgconn_session_close(struct pg_session *session)
{
	if (!session)
		return;
	pgconn_probe_free(session->probe);
	free(session);
}
