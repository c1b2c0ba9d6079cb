/* Fuzz target: DATABASE_URL to libpq parameters (pgconn_target_from_url in
 * pg-target.c, on top of url.c).
 *
 * Input: a mode byte, a split byte, then text. Mode 1 makes the URL
 * "postgresql://A:SECRET@B" from the text split in two, mode 2
 * "postgres://" + text, mode 0 takes the text as it is.
 *
 * Properties: a failure leaves the target cleared and says why in a message
 * terminated within its buffer, logged on one line, without the secret; a
 * success gives NULL-terminated keyword and value lists of one length,
 * each keyword once, never host, hostaddr or port (added per attempt),
 * always sslmode (one of libpq's), gssencmode and the application name,
 * names PostgreSQL accepts (at most 63 bytes), at least one host with a port
 * from 1 to 65535; the planted password, when it lies in the authority
 * (elsewhere it is no password: "?host=/a:b@c" is a folder), reaches libpq
 * as the password and nowhere else, and no message or display shows it;
 * relative certificate paths become absolute. */
#include "check.h"

#include "pg-target.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERROR_SIZE 512

static const char *const sslmodes[] = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"};

static void check_cleared(const struct pg_target *target)
{
	static const struct pg_target zero;

	if (memcmp(target, &zero, sizeof(zero)) != 0)
		fuzz_fail("a failed or released target is not cleared");
}

static void check_target(const char *url, const struct pg_target *target, bool planted)
{
	size_t count = 0;
	const char *sslmode = pgconn_target_value(target, "sslmode");
	const char *password = pgconn_target_value(target, "password");
	bool known_mode = false;

	while (target->keywords[count])
		count++;
	if (target->values[count])
		fuzz_fail("keywords and values of '%s' differ in length", url);
	for (size_t i = 0; i < count; i++) {
		if (!target->values[i])
			fuzz_fail("keyword %s of '%s' has no value", target->keywords[i], url);
		if (!strcmp(target->keywords[i], "host") || !strcmp(target->keywords[i], "hostaddr") ||
		    !strcmp(target->keywords[i], "port"))
			fuzz_fail("'%s' gives libpq %s", url, target->keywords[i]);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(target->keywords[i], target->keywords[j]))
				fuzz_fail("'%s' gives libpq %s twice", url, target->keywords[i]);
		if (planted && strcmp(target->keywords[i], "password") != 0 && strstr(target->values[i], FUZZ_SECRET))
			fuzz_fail("the password of '%s' is in %s", url, target->keywords[i]);
	}
	for (size_t i = 0; sslmode && i < sizeof(sslmodes) / sizeof(sslmodes[0]); i++)
		known_mode = known_mode || !strcmp(sslmode, sslmodes[i]);
	if (!known_mode || !pgconn_target_value(target, "gssencmode") ||
	    !pgconn_target_value(target, "fallback_application_name"))
		fuzz_fail("'%s' lacks a valid sslmode, gssencmode or application name", url);
	if (strlen(target->dbname) > 63 || strlen(target->user) > 63)
		fuzz_fail("'%s' gives a name over 63 bytes", url);
	if (target->host_count == 0 || !target->display || !target->schema)
		fuzz_fail("'%s' gives no host, display or schema", url);
	for (size_t i = 0; i < target->host_count; i++) {
		long port = strtol(target->hosts[i].port, NULL, 10);

		if (!target->hosts[i].name || port < 1 || port > 65535)
			fuzz_fail("host %zu of '%s' has no name or port %s", i, url, target->hosts[i].port);
	}
	check_logged(target->display);
	if (planted) {
		check_no_secret("display", target->display);
		if (!password || !strstr(password, FUZZ_SECRET))
			fuzz_fail("the password of '%s' is not libpq's password", url);
		if (strstr(target->dbname, FUZZ_SECRET) || strstr(target->user, FUZZ_SECRET) ||
		    strstr(target->schema, FUZZ_SECRET))
			fuzz_fail("the password of '%s' is in the user, database or schema", url);
	}
}

static void check_paths(struct pg_target *target)
{
	const char *root;

	if (pgconn_target_resolve_paths(target, "/base") < 0)
		fuzz_fail("pgconn_target_resolve_paths failed");
	root = pgconn_target_value(target, "sslrootcert");
	if (root && root[0] != '/' && strcmp(root, "system") != 0)
		fuzz_fail("sslrootcert '%s' is still relative", root);
}

/* Whether the planted ":SECRET@" lies in the URL's authority. */
static bool in_authority(const char *url, size_t at)
{
	const char *authority = strstr(url, "://");

	return authority && at >= (size_t)(authority + 3 - url) &&
	       at < (size_t)(authority + 3 - url) + strcspn(authority + 3, "/?#");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *url = NULL, *error;
	struct pg_target target;
	bool planted = false;
	size_t split;
	int n;

	if (size < 2 || fuzz_mentions_secret(data, size))
		return 0;
	text = strndup((const char *)data + 2, size - 2);
	split = strlen(text) * data[1] / 256;
	if (data[0] % 3 == 1) {
		n = asprintf(&url, "postgresql://%.*s:%s@%s", (int)split, text, FUZZ_SECRET, text + split);
		planted = in_authority(url, strlen("postgresql://") + split);
	} else {
		n = asprintf(&url, "%s%s", data[0] % 3 == 2 ? "postgres://" : "", text);
	}
	if (n < 0)
		abort();
	error = malloc(ERROR_SIZE);
	error[0] = '\0';
	if (pgconn_target_from_url(url, &target, error, ERROR_SIZE) < 0) {
		check_terminated("error", error, ERROR_SIZE);
		if (!error[0])
			fuzz_fail("'%s' failed without a message", url);
		if (planted)
			check_no_secret("error", error);
		check_logged(error);
		check_cleared(&target);
	} else {
		check_target(url, &target, planted);
		check_paths(&target);
	}
	pgconn_target_release(&target);
	pgconn_target_release(&target);
	check_cleared(&target);
	free(error);
	free(url);
	free(text);
	return 0;
}
