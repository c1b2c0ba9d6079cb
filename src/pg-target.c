#include "pg-target.h"

#include "pg-lib.h"
#include "pooler.h"
#include "url.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define DEFAULT_PORT     "5432"
#define DEFAULT_DBNAME   "postgres" /* Prisma's, where libpq would take the user name */
#define DEFAULT_SCHEMA   "public"
#define PG_NAME_MAX      63  /* NAMEDATALEN - 1: the longest database or role name */
#define SHOWN_URL_MAX    160 /* of a URL in a message, before "..." */
#define APPLICATION_NAME "prisma-entrypoint"
#define REDACTED_SIZE    1024

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
	PQconninfoOption *options = pglib.PQconndefaults();
	bool known = false;

	if (!options)
		return true; /* out of memory: PQconninfoParse below still checks */
	for (const PQconninfoOption *option = options; option->keyword; option++)
		if (strcmp(option->keyword, keyword) == 0)
			known = true;
	pglib.PQconninfoFree(options);
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
		} else if (pglib.PQlibVersion() >= 160000) {
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
	parsed = pglib.PQconninfoParse(conninfo, &message);
	free(conninfo);
	if (!parsed) {
		if (message)
			message[strcspn(message, "\n")] = '\0';
		build_fail(build, "libpq rejects it: %s", message ? message : "out of memory");
		pglib.PQfreemem(message);
		return -1;
	}
	pglib.PQconninfoFree(parsed);
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

int pgconn_target_for_database(const struct pg_target *from, const char *dbname, struct pg_target *to)
{
	struct pairs pairs = {0};
	bool copied = true;

	*to = (struct pg_target){
	    .identity_dropped = from->identity_dropped,
	    .pooled = from->pooled,
	    .dbname = strdup(dbname),
	    .user = strdup(from->user),
	    .schema = strdup(from->schema),
	    .display = strdup(from->display),
	    .hosts = calloc(from->host_count, sizeof(*from->hosts)),
	};
	for (size_t i = 0; copied && from->keywords[i]; i++)
		copied = pairs_set(&pairs, from->keywords[i], from->values[i]) == 0;
	copied = copied && pairs_set(&pairs, "dbname", dbname) == 0;
	to->keywords = pairs.keywords;
	to->values = pairs.values;
	for (size_t i = 0; copied && to->hosts && i < from->host_count; i++) {
		to->hosts[i] = from->hosts[i];
		copied = (to->hosts[i].name = strdup(from->hosts[i].name)) != NULL;
		to->host_count = i + 1;
	}
	if (!copied || !to->dbname || !to->user || !to->schema || !to->display || !to->hosts) {
		pgconn_target_release(to);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

int pgconn_library_version(char *out, size_t out_size)
{
	int version;

	if (pglib_load(out, out_size) < 0)
		return -1;
	/* 150018 is 15.18: major * 10000 + minor since PostgreSQL 10. */
	version = pglib.PQlibVersion();
	snprintf(out, out_size, "libpq %d.%d", version / 10000, version % 10000);
	return 0;
}

int pgconn_target_from_url(const char *text, struct pg_target *target, char *error, size_t error_size)
{
	struct build build = {.url = text, .error = error, .error_size = error_size};
	struct url url;
	const char *dbname;

	*target = (struct pg_target){0};
	if (pglib_load(error, error_size) < 0)
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
	target->pooled = pooler_url_looks_pooled(text, NULL, 0);
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

int pgconn_target_params(const struct pg_target *target, const char *host, const char *hostaddr, const char *port,
                         char ***keywords, char ***values)
{
	struct pairs pairs = {0};

	for (size_t i = 0; target->keywords && target->keywords[i]; i++)
		if (pairs_set(&pairs, target->keywords[i], target->values[i]) < 0)
			goto oom;
	if (pairs_set(&pairs, "host", host) < 0 || (hostaddr && pairs_set(&pairs, "hostaddr", hostaddr) < 0) ||
	    pairs_set(&pairs, "port", port) < 0)
		goto oom;
	*keywords = pairs.keywords;
	*values = pairs.values;
	return 0;
oom:
	pairs_release(&pairs);
	errno = ENOMEM;
	return -1;
}

void pgconn_params_free(char **keywords, char **values)
{
	struct pairs pairs = {keywords, values, 0};

	while (keywords && keywords[pairs.count])
		pairs.count++;
	pairs_release(&pairs);
}
