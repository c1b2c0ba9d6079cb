/* URLs taken apart: scheme, credentials, a list of hosts, path and query.
 *
 * The one user of libcurl's URL API (curl_url). Database URLs go beyond what
 * curl_url parses: libpq accepts several hosts ("h1:5432,h2:5433"), and users
 * write passwords with '@' in them. So the authority is split here, at its
 * last '@' and at the commas of its host list, and curl_url parses each host
 * and the rest of the URL.
 *
 * What a user wrote is read the way Prisma's engines (WHATWG URL rules)
 * read it: the authority ends at the first '/', '?' or '#'; the user
 * information ends at the last '@' in the authority and the password starts
 * at its first ':'. Components are percent-decoded; in the query, '+' also
 * stands for a space (application/x-www-form-urlencoded, as Prisma reads
 * query parameters). The fragment is ignored. */
#ifndef PE_URL_H
#define PE_URL_H

#include <stdbool.h>
#include <stddef.h>

struct url_host {
	char *name;    /* decoded; an IPv6 literal without brackets ("::1", "fe80::1%eth0") */
	unsigned port; /* 1..65535, 0 when the URL gives none */
	bool ipv6;     /* the URL wrote it as [IPv6] */
};

struct url_param {
	char *name;  /* decoded */
	char *value; /* decoded; "" for "?name" and "?name=" */
};

/* Every string is owned by the struct and freed by url_release(). */
struct url {
	char *scheme;             /* lowercase, never NULL */
	char *user;               /* NULL when the URL has no user information */
	char *password;           /* NULL when the user information has no ':' */
	struct url_host *hosts;   /* in the order written; none for "scheme:///path" */
	size_t host_count;        /* 0 when the authority names no host */
	char *path;               /* decoded, starting with '/'; "" when the URL has no path */
	struct url_param *params; /* in the order written, repeats kept */
	size_t param_count;
};

/* Parses text into url. Returns 0, or -1 with url cleared and a one-line
 * message in error (of error_size bytes) that shows text with its password
 * redacted, e.g. "invalid URL 'postgresql://app:****@db:99999/x': port
 * is not a number from 1 to 65535". Only "scheme://..." URLs are accepted. */
int url_parse(const char *text, struct url *url, char *error, size_t error_size);

/* Whether text starts with scheme (case-insensitive) followed by ':'. */
bool url_has_scheme(const char *text, const char *scheme);

/* text with its password redacted and control characters replaced, for a
 * one-line message; always terminated. */
void url_for_message(const char *text, char *out, size_t out_size);

/* The file a SQLite `file:` URL names, as an absolute path without "." or
 * ".." parts: "file:./dev.db", "file:dev.db", "file:/data/dev.db" and
 * "file:///data/dev.db" (its query, "?connection_limit=1", dropped). A
 * relative path is taken from base_dir (absolute; Prisma 6 reads it from the
 * schema file's folder, Prisma 7 and a driver adapter from the working
 * directory: the caller picks). Returns 0, or -1 with a one-line error (not
 * a file: URL, no path, too long). One resolver for the wait, the push
 * record and the messages, so that all of them name the same file. */
int url_sqlite_path(const char *url, const char *base_dir, char *out, size_t out_size, char *error, size_t error_size);

/* Frees every string of url and clears it; a cleared url may be released again. */
void url_release(struct url *url);

/* The value of the last parameter called name, or NULL. */
const char *url_param(const struct url *url, const char *name);

/* Decodes len bytes of text: %XX escapes, and '+' as a space when
 * plus_is_space. A '%' not followed by two hex digits stays as it is.
 * Returns a new string, or NULL (errno ENOMEM, or EINVAL for "%00", which a C
 * string cannot hold). */
char *url_decode(const char *text, size_t len, bool plus_is_space);

#endif
