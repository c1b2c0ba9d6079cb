#include "migrate-verdict.h"

#include <stdio.h>
#include <string.h>

/* The longest reason shown from a failed migration's logs. */
#define REASON_MAX_SHOWN 300

/* Lines of a failed migration's logs that say nothing about the cause. */
static bool is_boilerplate(const char *line, size_t len)
{
	static const char *const starts[] = {
	    "A migration failed to apply", "Migration name:", "Database error code:", "Database error:",
	    "external connector error",
	};

	for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++)
		if (len >= strlen(starts[i]) && strncmp(line, starts[i], strlen(starts[i])) == 0)
			return true;
	/* a backtrace's frames: "0: sql_schema_connector::..." */
	const char *colon = memchr(line, ':', len);

	return colon && colon > line && strspn(line, "0123456789") == (size_t)(colon - line);
}

void migrate_failure_reason(const char *logs, char *out, size_t size)
{
	bool after_database_error = false;

	if (size == 0)
		return;
	out[0] = '\0';
	if (!logs)
		return;
	for (const char *line = logs; *line; line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != '\0')) {
		const char *text = line + strspn(line, " \t");
		size_t len = strcspn(text, "\r\n");

		if (len == 0)
			continue;
		if (after_database_error || !is_boilerplate(text, len)) {
			snprintf(out, size, "%.*s", (int)(len < REASON_MAX_SHOWN ? len : REASON_MAX_SHOWN), text);
			return;
		}
		after_database_error = strncmp(text, "Database error:", 15) == 0 && len == 15;
	}
}

enum migrate_verdict migrate_judge(const struct migrate_reading *reading, char *reason, size_t reason_size)
{
	const struct migrations_status *compared = &reading->compared;

	if (reason_size > 0)
		reason[0] = '\0';
	if (!reading->read) {
		snprintf(reason, reason_size, "the migrations table could not be read");
		return MIGRATE_UNREAD;
	}
	if (compared->failed && reading->prisma_busy) {
		snprintf(reason, reason_size, "%s", compared->first_failed->name);
		return MIGRATE_BUSY;
	}
	if (compared->failed) {
		migrate_failure_reason(compared->first_failed->logs, reason, reason_size);
		return MIGRATE_BLOCKED;
	}
	if (compared->pending == 0)
		return MIGRATE_SKIP;
	if (!reading->table_found)
		snprintf(reason, reason_size, "%zu migration%s pending, no _prisma_migrations table yet",
		         compared->pending, compared->pending == 1 ? "" : "s");
	else
		snprintf(reason, reason_size, "%zu migration%s pending, first %s", compared->pending,
		         compared->pending == 1 ? "" : "s", compared->first_pending);
	return MIGRATE_DEPLOY;
}
