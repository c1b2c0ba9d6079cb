#include "migration-lock.h"

#include "fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Bytes: Prisma's file is three lines. */
#define MIGRATION_LOCK_MAX (64 * 1024)

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* The quoted string after "=" in the rest of a provider line (p to end).
 * Returns 1 with it in provider, 0 when it is not one that fits. */
static int quoted_value(const char *p, const char *end, char *provider, size_t provider_size)
{
	const char *close;
	char quote;

	p = skip_blanks(p, end);
	if (p == end || *p != '=')
		return 0;
	p = skip_blanks(p + 1, end);
	quote = p < end ? *p : '\0';
	if (quote != '"' && quote != '\'')
		return 0;
	close = memchr(p + 1, quote, (size_t)(end - p - 1));
	if (!close || (size_t)(close - p - 1) >= provider_size)
		return 0;
	snprintf(provider, provider_size, "%.*s", (int)(close - p - 1), p + 1);
	return 1;
}

int migration_lock_parse(const char *text, char *provider, size_t provider_size)
{
	bool in_table = false;

	for (const char *line = text; *line;) {
		const char *end = line + strcspn(line, "\n");
		const char *p = skip_blanks(line, end);

		if (p < end && *p == '[')
			in_table = true;
		else if (!in_table && (size_t)(end - p) > 8 && strncmp(p, "provider", 8) == 0 &&
		         *skip_blanks(p + 8, end) == '=')
			return quoted_value(p + 8, end, provider, provider_size);
		line = *end ? end + 1 : end;
	}
	return 0;
}

int migration_lock_read(const char *folder_path, char *provider, size_t provider_size, char *error, size_t error_size)
{
	char path[PATH_MAX];
	char *text;
	size_t len;
	int status;

	if (snprintf(path, sizeof(path), "%s/%s", folder_path, MIGRATION_LOCK_FILE) >= (int)sizeof(path)) {
		snprintf(error, error_size, "the path of %s in %s is too long", MIGRATION_LOCK_FILE, folder_path);
		return -1;
	}
	if (fdio_read_regular(path, MIGRATION_LOCK_MAX, &text, &len, error, error_size) != FDIO_OPENED)
		return errno == ENOENT ? 0 : -1;
	status = migration_lock_parse(text, provider, provider_size);
	free(text);
	return status;
}
