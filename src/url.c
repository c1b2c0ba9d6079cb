#include "url.h"

#include "curl-lib.h"
#include "log.h"
#include "redact.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* curl_url is given neutral schemes, so that none of its scheme-specific
 * rules (default ports, file:// paths) applies, and a placeholder host for the
 * URL whose hosts were taken out. */
#define HOST_PREFIX   "x-host://"
#define REST_PREFIX   "x-url://"
#define PLACEHOLDER   "placeholder"
#define CURL_FLAGS    (CURLU_NON_SUPPORT_SCHEME | CURLU_PATH_AS_IS | CURLU_ALLOW_SPACE)
#define REDACTED_SIZE 1024

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *url_decode(const char *text, size_t len, bool plus_is_space)
{
	char *out = malloc(len + 1);
	size_t used = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		int hi = text[i] == '%' && i + 2 < len ? hex_value(text[i + 1]) : -1;
		int lo = hi >= 0 ? hex_value(text[i + 2]) : -1;

		if (hi >= 0 && lo >= 0) {
			if (hi == 0 && lo == 0) {
				free(out);
				errno = EINVAL;
				return NULL;
			}
			out[used++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			out[used++] = plus_is_space && text[i] == '+' ? ' ' : text[i];
		}
	}
	out[used] = '\0';
	return out;
}

void url_release(struct url *url)
{
	free(url->scheme);
	free(url->user);
	free(url->password);
	for (size_t i = 0; i < url->host_count; i++)
		free(url->hosts[i].name);
	free(url->hosts);
	free(url->path);
	for (size_t i = 0; i < url->param_count; i++) {
		free(url->params[i].name);
		free(url->params[i].value);
	}
	free(url->params);
	*url = (struct url){0};
}

const char *url_param(const struct url *url, const char *name)
{
	const char *value = NULL;

	for (size_t i = 0; i < url->param_count; i++)
		if (strcmp(url->params[i].name, name) == 0)
			value = url->params[i].value;
	return value;
}

/* Where the parse stands; error messages need the original text. */
struct parse {
	const char *text;
	char *error;
	size_t error_size;
	const char *authority; /* just after "://" */
	size_t authority_len;
};

bool url_has_scheme(const char *text, const char *scheme)
{
	size_t len = strlen(scheme);

	return strncasecmp(text, scheme, len) == 0 && text[len] == ':';
}

/* Appends one part of a path to out (len bytes so far, "/" when empty),
 * resolving "." and "..". Returns the new length, or -1 when it does not fit. */
static long path_push(char *out, size_t out_size, size_t len, const char *part, size_t part_len)
{
	if (part_len == 0 || (part_len == 1 && part[0] == '.'))
		return (long)len;
	if (part_len == 2 && part[0] == '.' && part[1] == '.') {
		while (len > 1 && out[len - 1] != '/')
			len--;
		if (len > 1)
			len--; /* the slash before the part removed */
		out[len] = '\0';
		return (long)len;
	}
	if (len + (len > 1) + part_len + 1 > out_size)
		return -1;
	if (len > 1)
		out[len++] = '/';
	memcpy(out + len, part, part_len);
	len += part_len;
	out[len] = '\0';
	return (long)len;
}

/* Appends every part of path to out. */
static long path_push_all(char *out, size_t out_size, long len, const char *path)
{
	while (len >= 0 && *path) {
		size_t part_len = strcspn(path, "/");

		len = path_push(out, out_size, (size_t)len, path, part_len);
		path += part_len;
		path += strspn(path, "/");
	}
	return len;
}

int url_sqlite_path(const char *url, const char *base_dir, char *out, size_t out_size, char *error, size_t error_size)
{
	const char *path;
	size_t path_len;
	char *copy;
	long len;

	if (!url_has_scheme(url, "file")) {
		snprintf(error, error_size, "not a file: URL");
		return -1;
	}
	path = url + strlen("file:");
	if (strncmp(path, "//", 2) == 0)
		path += 2; /* file:///data/dev.db */
	path_len = strcspn(path, "?#");
	if (path_len == 0) {
		snprintf(error, error_size, "the file: URL names no file");
		return -1;
	}
	if (out_size < 2) {
		snprintf(error, error_size, "the SQLite file's path is too long");
		return -1;
	}
	copy = strndup(path, path_len);
	if (!copy) {
		snprintf(error, error_size, "%s", strerror(errno));
		return -1;
	}
	strcpy(out, "/");
	len = 1;
	if (copy[0] != '/')
		len = path_push_all(out, out_size, len, base_dir ? base_dir : "/");
	len = path_push_all(out, out_size, len, copy);
	free(copy);
	if (len < 0) {
		snprintf(error, error_size, "the SQLite file's path is too long");
		return -1;
	}
	return 0;
}

void url_for_message(const char *text, char *out, size_t out_size)
{
	redact_secrets(text, out, out_size);
	/* One line, whatever the URL holds. */
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

static int fail(struct parse *parse, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct parse *parse, const char *fmt, ...)
{
	char redacted[REDACTED_SIZE];
	char reason[256];
	va_list ap;
	bool at_later;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	url_for_message(parse->text, redacted, sizeof(redacted));
	/* An '@' after the end of the authority is most often a password with
	 * an unencoded '/', '?' or '#' that ended the authority early. */
	at_later = parse->authority && strchr(parse->authority + parse->authority_len, '@');
	snprintf(parse->error, parse->error_size, "invalid URL '%s': %s%s", redacted, reason,
	         at_later ? " (if the password holds '/', '?' or '#', percent-encode them as %2F, %3F and %23)" : "");
	return -1;
}

static const char *curl_reason(CURLUcode code)
{
	switch (code) {
	case CURLUE_BAD_PORT_NUMBER:
		return "port is not a number from 1 to 65535";
	case CURLUE_BAD_IPV6:
		return "malformed IPv6 address (write it in brackets, as in [::1]:5432)";
	case CURLUE_BAD_HOSTNAME:
		return "invalid host name";
	case CURLUE_BAD_LOGIN:
	case CURLUE_BAD_USER:
	case CURLUE_BAD_PASSWORD:
		return "invalid user name or password";
	case CURLUE_BAD_PATH:
		return "invalid characters in the path";
	case CURLUE_BAD_QUERY:
		return "invalid characters in the query";
	case CURLUE_OUT_OF_MEMORY:
		return "out of memory";
	default:
		return "malformed URL";
	}
}

/* Appends one host ("name", "name:port", "[v6]:port") parsed by curl_url. */
static int add_host(struct parse *parse, struct url *url, const char *item, size_t len)
{
	struct url_host host = {0};
	struct url_host *grown;
	char *text = NULL;
	char *name = NULL;
	char *port = NULL;
	char *zone = NULL;
	CURLU *handle;
	CURLUcode code;
	int rc = -1;

	if (len == 0)
		return fail(parse, "empty host in the host list");
	if (item[0] != '[' && memchr(item, ':', len) && memchr(item, ':', len) != memrchr(item, ':', len))
		return fail(parse, "an IPv6 address needs brackets, as in [::1]:5432");
	if (item[0] == ':')
		return fail(parse, "port without a host");
	handle = curllib.curl_url();
	if (!handle || asprintf(&text, HOST_PREFIX "%.*s/", (int)len, item) < 0) {
		curllib.curl_url_cleanup(handle);
		return fail(parse, "out of memory");
	}
	code = curllib.curl_url_set(handle, CURLUPART_URL, text, CURL_FLAGS);
	if (code == CURLUE_OK)
		code = curllib.curl_url_get(handle, CURLUPART_HOST, &name, CURLU_URLDECODE);
	if (code != CURLUE_OK) {
		fail(parse, "%s", curl_reason(code));
		goto out;
	}
	code = curllib.curl_url_get(handle, CURLUPART_PORT, &port, 0);
	if (code == CURLUE_OK) {
		char *end;
		unsigned long value = strtoul(port, &end, 10);

		if (*end != '\0' || value < 1 || value > 65535) {
			fail(parse, "%s", curl_reason(CURLUE_BAD_PORT_NUMBER));
			goto out;
		}
		host.port = (unsigned)value;
	} else if (code != CURLUE_NO_PORT) {
		fail(parse, "%s", curl_reason(code));
		goto out;
	}
	if (name[0] == '[') {
		size_t name_len = strlen(name);

		host.ipv6 = true;
		memmove(name, name + 1, name_len - 1);
		name[name_len - 2] = '\0';
		if (curllib.curl_url_get(handle, CURLUPART_ZONEID, &zone, 0) == CURLUE_OK) {
			if (asprintf(&host.name, "%s%%%s", name, zone) < 0)
				host.name = NULL;
		} else {
			host.name = strdup(name);
		}
	} else {
		host.name = strdup(name);
	}
	grown = host.name ? realloc(url->hosts, (url->host_count + 1) * sizeof(*grown)) : NULL;
	if (!grown) {
		free(host.name);
		fail(parse, "out of memory");
		goto out;
	}
	url->hosts = grown;
	url->hosts[url->host_count++] = host;
	rc = 0;
out:
	curllib.curl_free(name);
	curllib.curl_free(port);
	curllib.curl_free(zone);
	free(text);
	curllib.curl_url_cleanup(handle);
	return rc;
}

/* Splits the host list at its commas; brackets protect IPv6 literals. */
static int parse_hosts(struct parse *parse, struct url *url, const char *list, size_t len)
{
	size_t start = 0;
	bool in_brackets = false;

	if (len == 0)
		return 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && list[i] == '[')
			in_brackets = true;
		else if (i < len && list[i] == ']')
			in_brackets = false;
		if (i == len || (list[i] == ',' && !in_brackets)) {
			if (add_host(parse, url, list + start, i - start) < 0)
				return -1;
			start = i + 1;
		}
	}
	return 0;
}

static int add_param(struct url *url, const char *piece, size_t len)
{
	const char *equals = memchr(piece, '=', len);
	size_t name_len = equals ? (size_t)(equals - piece) : len;
	struct url_param param;
	struct url_param *grown;

	param.name = url_decode(piece, name_len, true);
	param.value = equals ? url_decode(equals + 1, len - name_len - 1, true) : strdup("");
	grown = param.name && param.value ? realloc(url->params, (url->param_count + 1) * sizeof(*grown)) : NULL;
	if (!grown) {
		int saved = param.name && param.value ? ENOMEM : errno;

		free(param.name);
		free(param.value);
		errno = saved;
		return -1;
	}
	url->params = grown;
	url->params[url->param_count++] = param;
	return 0;
}

static int parse_query(struct parse *parse, struct url *url, const char *query)
{
	while (*query) {
		size_t len = strcspn(query, "&");

		if (len > 0 && add_param(url, query, len) < 0)
			return fail(parse, "%s", errno == EINVAL ? "the query holds %00" : "out of memory");
		query += len;
		if (*query == '&')
			query++;
	}
	return 0;
}

/* Decodes a part curl_url returned undecoded; NULL stays NULL. */
static int decode_part(struct parse *parse, const char *raw, char **out, const char *what)
{
	*out = NULL;
	if (!raw)
		return 0;
	*out = url_decode(raw, strlen(raw), false);
	if (*out)
		return 0;
	if (errno == EINVAL)
		return fail(parse, "the %s holds %%00", what);
	return fail(parse, "out of memory");
}

/* The user information, the path and the query, parsed by curl_url from a URL
 * with a placeholder host. */
static int parse_rest(struct parse *parse, struct url *url, const char *userinfo, size_t userinfo_len)
{
	const char *rest = parse->authority + parse->authority_len;
	bool has_path = *rest == '/';
	char *text = NULL;
	size_t text_size;
	FILE *stream;
	char *user = NULL;
	char *password = NULL;
	char *path = NULL;
	char *query = NULL;
	CURLU *handle = NULL;
	CURLUcode code;
	int rc = -1;

	/* '@' in the user information was written by the user inside the
	 * password (the last '@' ends it); curl_url would stop at the first. */
	stream = open_memstream(&text, &text_size);
	if (!stream)
		return fail(parse, "out of memory");
	fputs(REST_PREFIX, stream);
	if (userinfo) {
		for (size_t i = 0; i < userinfo_len; i++) {
			if (userinfo[i] == '@')
				fputs("%40", stream);
			else
				fputc(userinfo[i], stream);
		}
		fputc('@', stream);
	}
	fputs(PLACEHOLDER, stream);
	fputs(rest, stream);
	if (fclose(stream) != 0 || !(handle = curllib.curl_url())) {
		free(text);
		return fail(parse, "out of memory");
	}
	code = curllib.curl_url_set(handle, CURLUPART_URL, text, CURL_FLAGS);
	if (code != CURLUE_OK) {
		fail(parse, "%s", curl_reason(code));
		goto out;
	}
	if (userinfo) {
		code = curllib.curl_url_get(handle, CURLUPART_USER, &user, 0);
		if (code != CURLUE_OK && code != CURLUE_NO_USER) {
			fail(parse, "%s", curl_reason(code));
			goto out;
		}
		code = curllib.curl_url_get(handle, CURLUPART_PASSWORD, &password, 0);
		if (code != CURLUE_OK && code != CURLUE_NO_PASSWORD) {
			fail(parse, "%s", curl_reason(code));
			goto out;
		}
	}
	if (curllib.curl_url_get(handle, CURLUPART_PATH, &path, 0) != CURLUE_OK ||
	    (code = curllib.curl_url_get(handle, CURLUPART_QUERY, &query, 0),
	     code != CURLUE_OK && code != CURLUE_NO_QUERY)) {
		fail(parse, "malformed URL");
		goto out;
	}
	if (decode_part(parse, user ? user : (userinfo ? "" : NULL), &url->user, "user name") < 0 ||
	    decode_part(parse, password, &url->password, "password") < 0 ||
	    decode_part(parse, has_path ? path : "", &url->path, "path") < 0)
		goto out;
	if (query && parse_query(parse, url, query) < 0)
		goto out;
	rc = 0;
out:
	curllib.curl_free(user);
	curllib.curl_free(password);
	curllib.curl_free(path);
	curllib.curl_free(query);
	curllib.curl_url_cleanup(handle);
	free(text);
	return rc;
}

int url_parse(const char *text, struct url *url, char *error, size_t error_size)
{
	struct parse parse = {.text = text, .error = error, .error_size = error_size};
	const char *separator = strstr(text, "://");
	size_t scheme_len = separator ? (size_t)(separator - text) : 0;
	const char *at;
	const char *hosts;

	*url = (struct url){0};
	if (curllib_load(error, error_size) < 0)
		return -1;
	if (scheme_len == 0 || !isalpha((unsigned char)text[0]) ||
	    strspn(text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.") != scheme_len)
		return fail(&parse, "not a URL of the form scheme://host/...");
	parse.authority = separator + 3;
	parse.authority_len = strcspn(parse.authority, "/?#");
	url->scheme = strndup(text, scheme_len);
	if (!url->scheme)
		return fail(&parse, "out of memory");
	for (char *p = url->scheme; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	at = memrchr(parse.authority, '@', parse.authority_len);
	hosts = at ? at + 1 : parse.authority;
	if (parse_hosts(&parse, url, hosts, (size_t)(parse.authority + parse.authority_len - hosts)) < 0 ||
	    parse_rest(&parse, url, at ? parse.authority : NULL, at ? (size_t)(at - parse.authority) : 0) < 0) {
		url_release(url);
		return -1;
	}
	return 0;
}
