#include "migrate-verdict.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

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

void migrate_names_list(const char *const *shown, size_t count, char *out, size_t size)
{
	size_t used = 0;

	if (size == 0)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < count && i < MIGRATIONS_SHOWN && used < size; i++) {
		int n = snprintf(out + used, size - used, "%s%s", i ? ", " : "", shown[i]);

		used += n > 0 ? (size_t)n : 0;
	}
	if (count > MIGRATIONS_SHOWN && used < size)
		snprintf(out + used, size - used, " and %zu more", count - MIGRATIONS_SHOWN);
}

/* The verdict before the policy's wait: DEPLOY, SKIP, UNREAD, BUSY, BLOCKED
 * or UNKNOWN, with its reason. */
static enum migrate_verdict judge_deploy(const struct migrate_reading *reading, const struct migrate_policy *policy,
                                         char *reason, size_t reason_size)
{
	const struct migrations_status *compared = &reading->compared;

	if (!reading->read) {
		snprintf(reason, reason_size, "the migrations table could not be read");
		return MIGRATE_UNREAD;
	}
	if (!reading->table_found && reading->schema_tables > 0) {
		snprintf(reason, reason_size, "%zu table%s (%s%s) but no _prisma_migrations", reading->schema_tables,
		         reading->schema_tables == 1 ? "" : "s", reading->schema_tables_shown,
		         reading->schema_tables > 3 ? ", ..." : "");
		return MIGRATE_BASELINE;
	}
	if (compared->failed && reading->prisma_busy) {
		snprintf(reason, reason_size, "%s", compared->first_failed->name);
		return MIGRATE_BUSY;
	}
	if (compared->failed) {
		migrate_failure_reason(compared->first_failed->logs, reason, reason_size);
		return MIGRATE_BLOCKED;
	}
	if (compared->unknown && policy->unknown_is_error) {
		char names[1024];

		migrate_names_list(compared->unknown_shown, compared->unknown, names, sizeof(names));
		snprintf(reason, reason_size, "%zu applied migration%s not in the migrations folder: %s",
		         compared->unknown, compared->unknown == 1 ? "" : "s", names);
		return MIGRATE_UNKNOWN;
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

enum migrate_verdict migrate_judge(const struct migrate_reading *reading, const struct migrate_policy *policy,
                                   char *reason, size_t reason_size)
{
	enum migrate_verdict verdict;

	if (reason_size > 0)
		reason[0] = '\0';
	verdict = judge_deploy(reading, policy, reason, reason_size);
	if (!policy->wait)
		return verdict;
	switch (verdict) {
	case MIGRATE_BUSY:
		snprintf(reason, reason_size, "migration %s is being applied", reading->compared.first_failed->name);
		return MIGRATE_WAIT;
	case MIGRATE_DEPLOY:
	case MIGRATE_UNREAD:
		return MIGRATE_WAIT;
	case MIGRATE_SKIP:
	case MIGRATE_BLOCKED:
	case MIGRATE_UNKNOWN:
	case MIGRATE_BASELINE:
	case MIGRATE_WAIT:
		break;
	}
	return verdict;
}

/* A kind of database: the providers of migration_lock.toml made for it, and
 * the URL schemes that name it. */
struct database_kind {
	const char *name;
	const char *providers[4];
	const char *schemes[4];
};

static const struct database_kind database_kinds[] = {
    {"PostgreSQL", {"postgresql", "postgres", "cockroachdb"}, {"postgresql", "postgres", "prisma+postgres"}},
    {"MySQL", {"mysql"}, {"mysql"}},
    {"SQLite", {"sqlite"}, {"file"}},
    {"SQL Server", {"sqlserver"}, {"sqlserver"}},
    {"MongoDB", {"mongodb"}, {"mongodb", "mongodb+srv"}},
};

static bool in_list(const char *const *list, const char *word, size_t len)
{
	for (size_t i = 0; i < 4 && list[i]; i++)
		if (strlen(list[i]) == len && strncasecmp(list[i], word, len) == 0)
			return true;
	return false;
}

bool migrate_provider_fits(const char *provider, const char *url, const char **url_kind)
{
	size_t scheme_len = strcspn(url, ":");
	const struct database_kind *named = NULL;
	bool known_provider = false;

	*url_kind = NULL;
	if (!url[scheme_len])
		return true;
	for (size_t i = 0; i < sizeof(database_kinds) / sizeof(database_kinds[0]); i++) {
		if (in_list(database_kinds[i].schemes, url, scheme_len))
			named = &database_kinds[i];
		if (in_list(database_kinds[i].providers, provider, strlen(provider)))
			known_provider = true;
	}
	if (!named || !known_provider || in_list(named->providers, provider, strlen(provider)))
		return true;
	*url_kind = named->name;
	return false;
}
