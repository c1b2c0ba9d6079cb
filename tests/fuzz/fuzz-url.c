/* Fuzz target: URL helpers (url.c) and redaction (redact.c).
 *
 * Input: a mode byte, a split byte, then text. Modes 1 and 2 plant
 * FUZZ_SECRET where it is a secret: at the split point of the text as
 * "A:SECRET@B" (user information), or as "A<sep><name>=SECRET B" (a secret
 * parameter after a separator).
 *
 * Properties: redaction never shows the planted secret, is idempotent,
 * always terminates its output within the buffer and, cut short, gives a
 * prefix of the uncut result; url_for_message is the redaction with control
 * characters replaced, one line; url_parse's errors are one line without
 * the secret, a failed parse leaves the url cleared, a successful one is
 * well formed and, when the planted user information lies in the
 * authority, holds the secret in the password and nowhere else;
 * url_decode undoes percent-encoding. */
#include "check.h"

#include "redact.h"
#include "url.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERROR_SIZE 512

static const char *const separators[] = {"?", "&", ";", " "};
static const char *const secret_params[] = {"password", "sslpassword", "api_key", "PassWord", "auth_token", "pwd"};

/* The text with the secret planted as mode says; *at is where the planted
 * '@' of mode 1 is, or -1. Returns a malloc'd string. */
static char *plant(uint8_t mode, const char *text, size_t split, ptrdiff_t *at)
{
	char *out = NULL;
	int n;

	*at = -1;
	switch (mode % 3) {
	case 1:
		n = asprintf(&out, "%.*s:%s@%s", (int)split, text, FUZZ_SECRET, text + split);
		*at = (ptrdiff_t)split + 1 + (ptrdiff_t)strlen(FUZZ_SECRET);
		break;
	case 2:
		n = asprintf(&out, "%.*s%s%s=%s%s", (int)split, text, separators[(mode >> 2) % 4],
		             secret_params[(mode >> 4) % 6], FUZZ_SECRET, text + split);
		break;
	default:
		n = asprintf(&out, "%s", text);
	}
	if (n < 0)
		abort();
	return out;
}

static void check_redaction(const char *text)
{
	size_t size = strlen(text) + 512; /* every hidden range may grow by "****" */
	char *full = malloc(size);
	char *again = malloc(size);
	char *message = malloc(size);
	const size_t cuts[] = {1, 2, 5, 17, strlen(text) / 2 + 1};

	redact_secrets(text, full, size);
	check_terminated("redaction", full, size);
	check_no_secret("redaction", full);
	redact_secrets(full, again, size);
	if (strcmp(full, again) != 0)
		fuzz_fail("redaction is not idempotent: '%s' then '%s'", full, again);
	/* Exactly sized buffers: ASan sees any write past them. */
	redact_secrets(text, NULL, 0);
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		char *cut = malloc(cuts[i]);

		redact_secrets(text, cut, cuts[i]);
		check_terminated("cut redaction", cut, cuts[i]);
		if (strlen(cut) != (strlen(full) < cuts[i] - 1 ? strlen(full) : cuts[i] - 1) ||
		    strncmp(cut, full, strlen(cut)) != 0)
			fuzz_fail("redaction cut to %zu bytes is not a prefix: '%s' of '%s'", cuts[i], cut, full);
		free(cut);
	}

	url_for_message(text, message, size);
	check_terminated("url_for_message", message, size);
	check_one_line("url_for_message", message);
	if (strchr(message, 0x7f))
		fuzz_fail("url_for_message holds DEL: %s", message);
	for (size_t i = 0; full[i]; i++)
		if (message[i] != ((unsigned char)full[i] < 0x20 || full[i] == 0x7f ? '?' : full[i]))
			fuzz_fail("url_for_message is not the redaction made one line: '%s' for '%s'", message, full);
	free(full);
	free(again);
	free(message);
}

static void check_cleared(const struct url *url)
{
	static const struct url zero;

	if (memcmp(url, &zero, sizeof(zero)) != 0)
		fuzz_fail("a failed url_parse left the url filled");
}

static bool holds_secret(const char *text)
{
	return text && strstr(text, FUZZ_SECRET);
}

static void check_parsed(const char *text, const struct url *url, ptrdiff_t at)
{
	const char *authority = strstr(text, "://");
	size_t authority_end;

	if (!url->scheme || !url->scheme[0])
		fuzz_fail("parsed url without a scheme: %s", text);
	for (const char *p = url->scheme; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789+-.", *p))
			fuzz_fail("scheme '%s' of '%s' is not lowercase letters, digits, '+', '-' or '.'", url->scheme,
			          text);
	if (url->password && !url->user)
		fuzz_fail("a password without a user: %s", text);
	if (!url->path || (url->path[0] && url->path[0] != '/'))
		fuzz_fail("path '%s' of '%s' does not start with '/'", url->path ? url->path : "(null)", text);
	for (size_t i = 0; i < url->host_count; i++)
		if (!url->hosts[i].name || url->hosts[i].port > 65535)
			fuzz_fail("host %zu of '%s' has no name or a port over 65535", i, text);
	for (size_t i = 0; i < url->param_count; i++) {
		const char *value = url_param(url, url->params[i].name);
		size_t last = i;

		for (size_t j = i; j < url->param_count; j++)
			if (strcmp(url->params[j].name, url->params[i].name) == 0)
				last = j;
		if (value != url->params[last].value)
			fuzz_fail("url_param('%s') is not its last value in '%s'", url->params[i].name, text);
	}
	if (at < 0 || !authority)
		return;
	/* The planted '@' inside the authority: the secret is the password's. */
	authority += 3;
	authority_end = (size_t)(authority - text) + strcspn(authority, "/?#");
	if ((size_t)at >= authority_end || at < authority - text)
		return;
	if (!holds_secret(url->password))
		fuzz_fail("the password of '%s' is '%s', without the secret", text,
		          url->password ? url->password : "(null)");
	if (holds_secret(url->user) || holds_secret(url->path))
		fuzz_fail("the secret of '%s' is in the user or path", text);
	for (size_t i = 0; i < url->host_count; i++)
		if (holds_secret(url->hosts[i].name))
			fuzz_fail("the secret of '%s' is in a host name", text);
	for (size_t i = 0; i < url->param_count; i++)
		if (holds_secret(url->params[i].name) || holds_secret(url->params[i].value))
			fuzz_fail("the secret of '%s' is in a parameter", text);
}

static void check_parse(const char *text, ptrdiff_t at)
{
	char *error = malloc(ERROR_SIZE);
	struct url url;

	error[0] = '\0';
	if (url_parse(text, &url, error, ERROR_SIZE) < 0) {
		check_terminated("url_parse error", error, ERROR_SIZE);
		check_one_line("url_parse error", error);
		check_no_secret("url_parse error", error);
		if (!error[0])
			fuzz_fail("url_parse failed without a message: %s", text);
		check_cleared(&url);
	} else {
		check_parsed(text, &url, at);
	}
	url_release(&url);
	url_release(&url);
	check_cleared(&url);
	free(error);
}

/* decode(encode(s)) == s, and decoding text without '%' or '+' changes nothing. */
static void check_decode(const char *text, size_t len)
{
	char *decoded = url_decode(text, len, len % 2);
	char *encoded, *again;

	if (!decoded) {
		if (errno != EINVAL)
			fuzz_fail("url_decode failed with errno %d", errno);
		return;
	}
	if (strlen(decoded) > len)
		fuzz_fail("url_decode made '%s' longer", text);
	if (!memchr(text, '%', len) && !memchr(text, '+', len) && strcmp(decoded, text) != 0)
		fuzz_fail("url_decode changed '%s' without any escape", text);
	encoded = malloc(3 * strlen(decoded) + 1);
	for (size_t i = 0; decoded[i]; i++)
		sprintf(encoded + 3 * i, "%%%02X", (unsigned char)decoded[i]);
	encoded[3 * strlen(decoded)] = '\0';
	again = url_decode(encoded, strlen(encoded), true);
	if (!again || strcmp(again, decoded) != 0)
		fuzz_fail("url_decode does not undo percent-encoding of '%s'", decoded);
	free(again);
	free(encoded);
	free(decoded);
}

/* A file: URL resolves to an absolute path without "." or ".." parts or
 * doubled slashes, within the buffer, or fails with a one-line error. */
static void check_sqlite_path(const char *input)
{
	char *url = malloc(strlen(input) + 6);
	char path[256];
	char error[ERROR_SIZE];

	sprintf(url, "file:%s", input);
	if (url_sqlite_path(url, "/app/prisma", path, sizeof(path), error, sizeof(error)) < 0) {
		check_one_line("url_sqlite_path error", error);
	} else {
		check_terminated("url_sqlite_path", path, sizeof(path));
		if (path[0] != '/' || strstr(path, "//") || strstr(path, "/./") || strstr(path, "/../") ||
		    (strlen(path) > 1 && path[strlen(path) - 1] == '/'))
			fuzz_fail("url_sqlite_path('%s') is '%s', not a normalized absolute path", url, path);
	}
	free(url);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *input, *text;
	ptrdiff_t at;
	size_t len;

	if (size < 2 || fuzz_mentions_secret(data, size))
		return 0;
	input = strndup((const char *)data + 2, size - 2);
	len = strlen(input);
	text = plant(data[0], input, len * data[1] / 256, &at);
	check_redaction(text);
	check_parse(text, at);
	check_decode(input, len);
	check_sqlite_path(input);
	if (url_has_scheme(text, "postgresql") != (strncasecmp(text, "postgresql:", 11) == 0))
		fuzz_fail("url_has_scheme disagrees on '%s'", text);
	free(text);
	free(input);
	return 0;
}
