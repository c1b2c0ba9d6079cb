/* Secrets out of everything printed: the one function that every message,
 * log line and `config` listing passes a credential-bearing value through.
 *
 * What can hold a credential: a URL's user information (postgresql://,
 * mysql://, redis://, http://...), query or ';'-separated parameters named
 * like a secret (libpq's password=, Prisma's sslpassword=, sqlserver's
 * ;password=, Prisma Accelerate's api_key=), libpq's keyword form
 * (host=db password=PW), and a value that is none of these (a bare secret).
 * When a value could be read two ways, more is hidden rather than less. */
#ifndef PE_REDACT_H
#define PE_REDACT_H

#include <stddef.h>

#define REDACTED "****"

/* Copies text into out (out_size bytes, always terminated, cut if need be)
 * with every secret replaced by REDACTED:
 * - user information: from the first ':' after "scheme://" (or the start)
 *   to the last '@' of the text, so a password holding unencoded '@', ':',
 *   '/', '?' or '#' is hidden whole;
 * - the value of every parameter whose name, percent-decoded and in any
 *   case, is or ends in one of the secret names (password, pwd, secret,
 *   token, api_key, apikey, ...), parameters starting after '?', '&', ';',
 *   white space or at the start; a value ends at '&', ';', '#' or white
 *   space, or is 'quoted' (libpq) or {braced} (sqlserver);
 * - text that is neither a URL ("scheme://...", or SQLite's "file:...") nor
 *   has a '=' is a bare secret: REDACTED alone.
 * Redacting redacted text changes nothing. */
void redact_secrets(const char *text, char *out, size_t out_size);

#endif
