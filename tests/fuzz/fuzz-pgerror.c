/* Fuzz target: reading PostgreSQL's and libpq's error text (pg_error_read,
 * pg_error_classify and pg_error_at_start in pg-error.c).
 *
 * Input: a flags byte (bit 0: sslmode disable or allow, bit 1: sslidentity
 * dropped, bit 2: the server gave a SQLSTATE field, the next 5 bytes, bit 3:
 * the probe starts with a configuration error), then the error text, in
 * which every "%PW%" becomes the URL's password, FUZZ_SECRET.
 *
 * Properties: the message is not empty, terminated within its buffer, one
 * line, and never shows the password however the text quotes it; the
 * SQLSTATE is empty or five digits and capitals; the verdict is transient
 * or permanent, with advice exactly when permanent, and follows the
 * SQLSTATE classes (28: permanent, 57P0x, 53, 08: transient); the same text
 * gives the same verdict again. */
#include "check.h"

#include "pg-error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* text with every "%PW%" replaced by the password. */
static char *with_password(const char *text)
{
	char *out = NULL;
	size_t size;
	FILE *stream = open_memstream(&out, &size);

	for (const char *p = text; *p;) {
		if (strncmp(p, "%PW%", 4) == 0) {
			fputs(FUZZ_SECRET, stream);
			p += 4;
		} else {
			fputc(*p++, stream);
		}
	}
	fclose(stream);
	return out;
}

static enum pg_error_verdict run(struct pg_error *error, uint8_t flags, const char *text, const char *sqlstate)
{
	const struct pg_error_context context = {.tls_off = flags & 1, .identity_dropped = flags & 2};

	*error = (struct pg_error){0};
	if (flags & 8) {
		pg_error_at_start(error, text, FUZZ_SECRET);
		return error->verdict;
	}
	pg_error_read(error, text, sqlstate, FUZZ_SECRET);
	pg_error_classify(error, &context);
	return error->verdict;
}

static void check_verdict(const struct pg_error *error, enum pg_error_verdict state, bool at_start)
{
	const char *code = error->sqlstate;

	check_terminated("message", error->message, sizeof(error->message));
	check_terminated("SQLSTATE", error->sqlstate, sizeof(error->sqlstate));
	if (!error->message[0])
		fuzz_fail("empty message");
	check_one_line("message", error->message);
	check_no_secret("message", error->message);
	check_logged(error->message);
	if (code[0] && (strlen(code) != 5 || strspn(code, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 5))
		fuzz_fail("SQLSTATE '%s' is not five digits and capitals", code);
	if (state != PG_ERROR_TRANSIENT && state != PG_ERROR_PERMANENT)
		fuzz_fail("verdict %d for '%s'", state, error->message);
	if ((state == PG_ERROR_PERMANENT) != (error->advice && error->advice[0] != '\0'))
		fuzz_fail("verdict %d with advice '%s'", state, error->advice ? error->advice : "(null)");
	if (error->rule &&
	    (error->rule->verdict != state || (state == PG_ERROR_PERMANENT && error->rule->advice != error->advice)))
		fuzz_fail("the verdict is not its rule's");
	/* A configuration error is permanent whatever the text says. */
	if (at_start) {
		if (state != PG_ERROR_PERMANENT)
			fuzz_fail("a configuration error is not permanent");
		return;
	}
	if (!strncmp(code, "28", 2) && state != PG_ERROR_PERMANENT)
		fuzz_fail("SQLSTATE %s is not permanent", code);
	if ((!strncmp(code, "57P0", 4) || !strncmp(code, "53", 2) || !strncmp(code, "08", 2)) &&
	    state != PG_ERROR_TRANSIENT)
		fuzz_fail("SQLSTATE %s is not transient", code);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pg_error first, second;
	char sqlstate[6] = "";
	enum pg_error_verdict state;
	uint8_t flags;
	char *raw, *text;

	if (size < 1 || fuzz_mentions_secret(data, size))
		return 0;
	flags = data[0];
	data++, size--;
	if (flags & 4) {
		size_t n = size < 5 ? size : 5;

		memcpy(sqlstate, data, n);
		sqlstate[n] = '\0';
		data += n, size -= n;
	}
	raw = strndup((const char *)data, size);
	text = with_password(raw);
	state = run(&first, flags, text, flags & 4 ? sqlstate : NULL);
	check_verdict(&first, state, flags & 8);
	if (run(&second, flags, text, flags & 4 ? sqlstate : NULL) != state ||
	    strcmp(first.message, second.message) != 0 || strcmp(first.sqlstate, second.sqlstate) != 0)
		fuzz_fail("the same text gave another verdict");
	free(text);
	free(raw);
	return 0;
}
