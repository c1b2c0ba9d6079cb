/* status: whether the database is usable, the generated client current and
 * the migrations applied, read the way run decides (client-inputs.h,
 * migrate-plan.h): one attempt and one login, nothing written, no Node.
 * One line per item for people, or one JSON object (--json); the exit code
 * tells in sync, out of sync, failed migration and database not usable
 * apart, for a compose healthcheck or a Makefile target. */
#include "command.h"
#include "exit-codes.h"
#include "json-string.h"
#include "log.h"
#include "loop.h"
#include "migrate-plan.h"
#include "migrate-push.h"
#include "phases.h"
#include "url.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#define LINE_MAX_CHARS (2 * PATH_MAX + 256)

enum database_state {
	DATABASE_READY,
	DATABASE_NOT_REACHABLE, /* the wait would try again: refused connection, no answer, starting up */
	DATABASE_REFUSED,       /* the wait would stop: wrong password, missing database, ... */
	DATABASE_UNCHECKED,     /* no database-url, or not PostgreSQL */
};

enum migrations_state {
	MIGRATIONS_UP_TO_DATE,
	MIGRATIONS_PENDING,
	MIGRATIONS_APPLYING, /* a deploy holds Prisma's lock and has started one */
	MIGRATIONS_FAILED,
	MIGRATIONS_BASELINE, /* tables but no history: deploy would stop (P3005) */
	MIGRATIONS_UNKNOWN,
	MIGRATIONS_NOT_USED,
	MIGRATIONS_PUSHED,       /* migrate-mode = push: the push record vouches for the schema */
	MIGRATIONS_PUSH_PENDING, /* migrate-mode = push: the next start pushes */
};

/* Everything status found out, for either output. */
struct status_report {
	enum database_state database;
	char server_version[64];           /* READY */
	char database_why[LINE_MAX_CHARS]; /* not READY */
	struct client_inputs client;       /* its status: current or stale */
	char client_why[LINE_MAX_CHARS];   /* stale */
	enum migrations_state migrations;
	struct migrate_plan plan;            /* the folder, for the pending names */
	bool folder_read;                    /* plan.folder is to be released */
	struct migrate_rows rows;            /* the rows read, for the pending names */
	const struct migration_row *failed;  /* FAILED: the first failed row */
	size_t applied;                      /* UP_TO_DATE */
	size_t pending;                      /* PENDING */
	char migrations_why[LINE_MAX_CHARS]; /* FAILED: why it failed; APPLYING: its name; UNKNOWN, NOT_USED, PUSH* */
	/* The history, when the rows were read: applied migrations the folder
	 * lacks, applied ones whose migration.sql changed since (into rows). */
	size_t unknown;
	const char *unknown_shown[MIGRATIONS_SHOWN];
	size_t edited;
	const char *edited_shown[MIGRATIONS_SHOWN];
};

static const char *const database_names[] = {
    [DATABASE_READY] = "ready",
    [DATABASE_NOT_REACHABLE] = "not-reachable",
    [DATABASE_REFUSED] = "refused",
    [DATABASE_UNCHECKED] = "unchecked",
};

static const char *const migrations_names[] = {
    [MIGRATIONS_UP_TO_DATE] = "up-to-date",     [MIGRATIONS_PENDING] = "pending",
    [MIGRATIONS_APPLYING] = "applying",         [MIGRATIONS_FAILED] = "failed",
    [MIGRATIONS_BASELINE] = "baseline-needed",  [MIGRATIONS_UNKNOWN] = "unknown",
    [MIGRATIONS_NOT_USED] = "not-used",         [MIGRATIONS_PUSHED] = "pushed",
    [MIGRATIONS_PUSH_PENDING] = "push-pending",
};

/* The migrations' state from the plan when there is nothing to read: not
 * used, or READY (read them). Returns 0, or an exit code after logging why. */
static int plan_migrations(const struct config *config, struct status_report *report, enum plan_found found)
{
	const struct migrate_plan *plan = &report->plan;

	report->migrations = MIGRATIONS_NOT_USED;
	switch (found) {
	case PLAN_READY:
		report->migrations = MIGRATIONS_UNKNOWN;
		report->folder_read = true;
		break;
	case PLAN_NO_MIGRATE:
		snprintf(report->migrations_why, sizeof(report->migrations_why), "%s",
		         config_bool(config, SETTING_NO_MIGRATE) ? "no-migrate is set" : "migrate-mode is off");
		break;
	case PLAN_NO_SCHEMA:
	case PLAN_NO_FOLDER:
		snprintf(report->migrations_why, sizeof(report->migrations_why), "no migrations folder");
		break;
	case PLAN_NO_MIGRATIONS:
		snprintf(report->migrations_why, sizeof(report->migrations_why), "no migrations in %s",
		         plan->folder_path);
		break;
	case PLAN_STOPPED:
		return phase_report_stopped("looking for the prisma schema");
	case PLAN_FAILED:
		log_error("%s", plan->error);
		return plan->exit_code;
	}
	return 0;
}

/* Connected: the migrations as the migrate phase judges them. Returns 0, or
 * an exit code after logging why. */
static int read_migrations(struct status_report *report, struct pg_session *session)
{
	static const struct migrate_policy judged_as_deploy = {0};
	struct migrate_reading reading;
	char error[LINE_MAX_CHARS];
	char reason[LINE_MAX_CHARS];

	if (migrate_plan_read(session, &report->plan, true, &reading, &report->rows, error, sizeof(error)) ==
	    PG_SESSION_STOPPED)
		return phase_report_stopped("reading the migrations table");
	report->applied = reading.compared.applied;
	report->pending = reading.compared.pending;
	report->unknown = reading.compared.unknown;
	memcpy(report->unknown_shown, reading.compared.unknown_shown, sizeof(report->unknown_shown));
	report->edited = reading.edited;
	memcpy(report->edited_shown, reading.edited_shown, sizeof(report->edited_shown));
	switch (migrate_judge(&reading, &judged_as_deploy, reason, sizeof(reason))) {
	case MIGRATE_SKIP:
		report->migrations = MIGRATIONS_UP_TO_DATE;
		break;
	case MIGRATE_DEPLOY:
		report->migrations = MIGRATIONS_PENDING;
		break;
	case MIGRATE_BUSY:
		report->migrations = MIGRATIONS_APPLYING;
		snprintf(report->migrations_why, sizeof(report->migrations_why), "%s", reason);
		break;
	case MIGRATE_BLOCKED:
		report->migrations = MIGRATIONS_FAILED;
		report->failed = reading.compared.first_failed;
		snprintf(report->migrations_why, sizeof(report->migrations_why), "%s", reason);
		break;
	case MIGRATE_BASELINE:
		report->migrations = MIGRATIONS_BASELINE;
		snprintf(report->migrations_why, sizeof(report->migrations_why), "%s", reason);
		break;
	case MIGRATE_UNREAD:
		report->migrations = MIGRATIONS_UNKNOWN;
		snprintf(report->migrations_why, sizeof(report->migrations_why),
		         "cannot read _prisma_migrations: %.4000s", error);
		break;
	case MIGRATE_WAIT:
	case MIGRATE_UNKNOWN:
		break; /* not under this policy */
	}
	return 0;
}

/* The migrations through a login of their own with the direct URL (the
 * URL the migrate phase uses, past a connection pooler). Returns 0, or an
 * exit code after logging why. */
static int read_migrations_direct(const struct config *config, struct status_report *report)
{
	struct pg_target target;
	struct pg_session *session = NULL;
	struct pg_session_params params = phase_session_params(config, &target);
	char error[LINE_MAX_CHARS];
	int status = 0;

	if (pgconn_target_from_url(report->plan.direct_url, &target, error, sizeof(error)) < 0) {
		log_error("the direct URL from %s: %s", report->plan.direct_url_origin, error);
		return EXIT_CONFIG;
	}
	switch (pgconn_session_open(&params, &session, error, sizeof(error))) {
	case PG_SESSION_OK:
		status = read_migrations(report, session);
		break;
	case PG_SESSION_STOPPED:
		status = phase_report_stopped("connecting with the direct URL");
		break;
	default:
		snprintf(report->migrations_why, sizeof(report->migrations_why),
		         "cannot connect with the direct URL from %.1000s: %.2000s", report->plan.direct_url_origin,
		         error);
		break;
	}
	pgconn_session_close(session);
	pgconn_target_release(&target);
	return status;
}

/* One attempt at the database, as the wait makes it, and on success the
 * migrations through the same login, or through the direct URL when the
 * migrate phase would use one. Returns 0, or an exit code after logging
 * why. */
static int check_database(const struct config *config, struct status_report *report)
{
	const char *url = config_text(config, SETTING_DATABASE_URL);
	struct pg_target target;
	struct pg_session *session = NULL;
	struct pg_session_params params = phase_session_params(config, &target);
	char error[LINE_MAX_CHARS];
	enum pg_session_status opened;
	int status = 0;

	report->database = DATABASE_UNCHECKED;
	if (!url || !url[0]) {
		snprintf(report->database_why, sizeof(report->database_why), "database-url is not set");
		return 0;
	}
	if (!url_has_scheme(url, "postgresql") && !url_has_scheme(url, "postgres")) {
		snprintf(report->database_why, sizeof(report->database_why), "only PostgreSQL databases are checked");
		return 0;
	}
	if (pgconn_target_from_url(url, &target, error, sizeof(error)) < 0) {
		log_error("%s", error);
		return EXIT_CONFIG;
	}
	opened = pgconn_session_open(&params, &session, report->database_why, sizeof(report->database_why));
	switch (opened) {
	case PG_SESSION_OK:
		report->database = DATABASE_READY;
		report->database_why[0] = '\0';
		pgconn_session_server_version(session, report->server_version, sizeof(report->server_version));
		if (report->migrations == MIGRATIONS_UNKNOWN && report->plan.direct_url[0] &&
		    strcmp(report->plan.direct_url, url) != 0)
			status = read_migrations_direct(config, report);
		else if (report->migrations == MIGRATIONS_UNKNOWN)
			status = read_migrations(report, session);
		break;
	case PG_SESSION_NO_DATABASE:
	case PG_SESSION_REFUSED:
		report->database = DATABASE_REFUSED;
		break;
	case PG_SESSION_FAILED:
		report->database = DATABASE_NOT_REACHABLE;
		break;
	case PG_SESSION_STOPPED:
		status = phase_report_stopped("connecting to the database");
		break;
	}
	pgconn_session_close(session);
	pgconn_target_release(&target);
	return status;
}

/* The exit code for what was found: the database first (nothing else can
 * be vouched for without it), then a failed migration, then anything stale
 * or pending. */
static int report_exit_code(const struct status_report *report)
{
	if (report->database == DATABASE_NOT_REACHABLE || report->database == DATABASE_REFUSED ||
	    report->migrations == MIGRATIONS_UNKNOWN)
		return EXIT_STATUS_DATABASE_UNUSABLE;
	if (report->migrations == MIGRATIONS_FAILED || report->migrations == MIGRATIONS_BASELINE)
		return EXIT_STATUS_FAILED_MIGRATION;
	if (report->client.status.state != CLIENT_CURRENT || report->migrations == MIGRATIONS_PENDING ||
	    report->migrations == MIGRATIONS_APPLYING || report->migrations == MIGRATIONS_PUSH_PENDING)
		return EXIT_STATUS_OUT_OF_SYNC;
	return 0;
}

static const char *exit_code_name(int exit_code)
{
	switch (exit_code) {
	case EXIT_STATUS_DATABASE_UNUSABLE:
		return "database-unusable";
	case EXIT_STATUS_FAILED_MIGRATION:
		return "failed-migration";
	case EXIT_STATUS_OUT_OF_SYNC:
		return "out-of-sync";
	}
	return "in-sync";
}

/* The pending migration names, in the order deploy applies them, separated
 * by between (each put through print_name). */
static void print_pending(const struct status_report *report, const char *between, void (*print_name)(const char *name))
{
	const struct migrations_folder *folder = &report->plan.folder;
	struct migration_lookup applied;
	bool first = true;

	if (migration_lookup_init(&applied, report->rows.rows, report->rows.count) < 0) {
		print_name("(out of memory)"); /* stays a string in the JSON output */
		return;
	}
	for (size_t i = 0; i < folder->count; i++) {
		if (!migrations_is_pending(&applied, folder->names[i]))
			continue;
		if (!first)
			fputs(between, stdout);
		print_name(folder->names[i]);
		first = false;
	}
	migration_lookup_release(&applied);
}

static void print_plain(const char *text)
{
	fputs(text, stdout);
}

/* One "history:" line when the rows show applied migrations the folder lacks
 * or migration.sql files changed since they were applied; nothing else. */
static void print_history_text(const struct status_report *report)
{
	char names[LINE_MAX_CHARS];

	if (!report->unknown && !report->edited)
		return;
	printf("history:");
	if (report->unknown) {
		migrate_names_list(report->unknown_shown, report->unknown, names, sizeof(names));
		printf(" %zu applied migration%s not in %s (%s)%s", report->unknown, report->unknown == 1 ? "" : "s",
		       report->plan.folder_path, names, report->edited ? ";" : "");
	}
	if (report->edited) {
		migrate_names_list(report->edited_shown, report->edited, names, sizeof(names));
		printf(" %zu applied migration%s changed since (%s)", report->edited, report->edited == 1 ? "" : "s",
		       names);
	}
	printf("\n");
}

/* Whether the client's engine was judged: only for a client otherwise
 * current (client_inputs_check()) that holds engines of its kind. */
static bool engine_looked(const struct client_inputs *client)
{
	return client->engine_judged &&
	       (client->status.state == CLIENT_CURRENT || client->status.state == CLIENT_ENGINE_MISSING);
}

/* The line on the client's native engine and this platform's name. */
static void print_engine(const struct client_inputs *client)
{
	if (client->engine_kind == ENGINE_NONE) {
		printf("engine: client, none needed (this platform: %s)\n", client->target.name);
		return;
	}
	printf("engine: %s for %s", engine_kind_name(client->engine_kind), client->target.name);
	if (engine_looked(client) && client->engine.present)
		printf(": present\n");
	else if (engine_looked(client))
		printf(": missing (binaryTargets = [\"native\", \"%s\"])\n", client->target.name);
	else
		printf("\n");
}

static void print_text(const struct status_report *report)
{
	const char *name = report->failed ? report->failed->name : "";

	switch (report->database) {
	case DATABASE_READY:
		printf("database: ready (PostgreSQL %s)\n", report->server_version[0] ? report->server_version : "?");
		break;
	case DATABASE_NOT_REACHABLE:
		printf("database: not reachable: %s\n", report->database_why);
		break;
	case DATABASE_REFUSED:
		printf("database: refused: %s\n", report->database_why);
		break;
	case DATABASE_UNCHECKED:
		printf("database: not checked: %s\n", report->database_why);
		break;
	}
	if (report->client.status.state == CLIENT_CURRENT)
		printf("client: current (%s)\n", report->client.digest);
	else
		printf("client: stale: %s\n", report->client_why);
	print_engine(&report->client);
	switch (report->migrations) {
	case MIGRATIONS_UP_TO_DATE:
		printf("migrations: up to date (%zu applied)\n", report->applied);
		break;
	case MIGRATIONS_PENDING:
		printf("migrations: %zu pending (", report->pending);
		print_pending(report, ", ", print_plain);
		printf(")\n");
		break;
	case MIGRATIONS_APPLYING:
		printf("migrations: applying %s (a prisma migrate deploy holds Prisma's lock)\n",
		       report->migrations_why);
		break;
	case MIGRATIONS_FAILED:
		printf(
		    "migrations: failed: %s%s%s%s; repair the database, then run `prisma migrate resolve --rolled-back "
		    "%s` (or --applied %s if it was completed by hand)\n",
		    name, report->migrations_why[0] ? " (" : "", report->migrations_why,
		    report->migrations_why[0] ? ")" : "", name, name);
		break;
	case MIGRATIONS_BASELINE:
		printf(
		    "migrations: baseline needed: the schema has %s, so prisma migrate deploy would stop (P3005); run "
		    "`prisma migrate resolve --applied NAME` for each migration the database already has\n",
		    report->migrations_why);
		break;
	case MIGRATIONS_UNKNOWN:
		printf("migrations: unknown (%s)\n", report->migrations_why);
		break;
	case MIGRATIONS_NOT_USED:
		printf("migrations: not used (%s)\n", report->migrations_why);
		break;
	case MIGRATIONS_PUSHED:
		printf("migrations: pushed (migrate-mode = push: %s)\n", report->migrations_why);
		break;
	case MIGRATIONS_PUSH_PENDING:
		printf("migrations: push pending (migrate-mode = push: %s)\n", report->migrations_why);
		break;
	}
	print_history_text(report);
}

/* text as a JSON string, quotes included. */
static void print_json_string(const char *text)
{
	/* Every byte may become a six-byte escape. */
	char body[6 * LINE_MAX_CHARS + 8];
	size_t used = 0;

	json_string_append(body, sizeof(body), &used, text, 0);
	printf("\"%.*s\"", (int)used, body);
}

/* "unknown" and "edited" lists in the migrations object, each only when not
 * empty (the first MIGRATIONS_SHOWN names, and the count). */
static void print_history_json(const struct status_report *report)
{
	const struct {
		const char *key;
		size_t count;
		const char *const *shown;
	} lists[] = {{"unknown", report->unknown, report->unknown_shown},
	             {"edited", report->edited, report->edited_shown}};

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		if (!lists[i].count)
			continue;
		printf(",\"%s\":{\"count\":%zu,\"first\":[", lists[i].key, lists[i].count);
		for (size_t j = 0; j < lists[i].count && j < MIGRATIONS_SHOWN; j++) {
			if (j)
				printf(",");
			print_json_string(lists[i].shown[j]);
		}
		printf("]}");
	}
}

static void print_engine_json(const struct client_inputs *client)
{
	printf(",\"engine\":{\"type\":\"%s\",\"target\":", engine_kind_name(client->engine_kind));
	print_json_string(client->target.name);
	if (engine_looked(client))
		printf(",\"present\":%s", client->engine.present ? "true" : "false");
	printf("}");
}

static void print_json(const struct status_report *report, int exit_code)
{
	char resolve[LINE_MAX_CHARS];

	snprintf(resolve, sizeof(resolve), "prisma migrate resolve --rolled-back %s",
	         report->failed ? report->failed->name : "");
	printf("{\"status\":\"%s\",\"database\":{\"state\":\"%s\"", exit_code_name(exit_code),
	       database_names[report->database]);
	if (report->database == DATABASE_READY) {
		printf(",\"version\":");
		print_json_string(report->server_version);
	} else {
		printf(",\"reason\":");
		print_json_string(report->database_why);
	}
	if (report->client.status.state == CLIENT_CURRENT) {
		printf("},\"client\":{\"state\":\"current\",\"digest\":\"%s\"", report->client.digest);
	} else {
		printf("},\"client\":{\"state\":\"stale\",\"reason\":");
		print_json_string(report->client_why);
	}
	print_engine_json(&report->client);
	printf("}");
	printf(",\"migrations\":{\"state\":\"%s\"", migrations_names[report->migrations]);
	switch (report->migrations) {
	case MIGRATIONS_UP_TO_DATE:
		printf(",\"applied\":%zu", report->applied);
		break;
	case MIGRATIONS_PENDING:
		printf(",\"pending\":[");
		print_pending(report, ",", print_json_string);
		printf("]");
		break;
	case MIGRATIONS_APPLYING:
		printf(",\"migration\":");
		print_json_string(report->migrations_why);
		break;
	case MIGRATIONS_FAILED:
		printf(",\"migration\":");
		print_json_string(report->failed->name);
		printf(",\"reason\":");
		print_json_string(report->migrations_why);
		printf(",\"resolve\":");
		print_json_string(resolve);
		break;
	case MIGRATIONS_BASELINE:
	case MIGRATIONS_UNKNOWN:
	case MIGRATIONS_NOT_USED:
	case MIGRATIONS_PUSHED:
	case MIGRATIONS_PUSH_PENDING:
		printf(",\"reason\":");
		print_json_string(report->migrations_why);
		break;
	}
	print_history_json(report);
	printf("}}\n");
}

/* migrate-mode = push: whether the next start would push (its record against
 * the schema), instead of the migrations. */
static int push_state(const struct config *config, struct status_report *report)
{
	enum push_state state;
	int status = migrate_push_state(config, &report->plan, migrate_plan_url(config, &report->plan), &state,
	                                report->migrations_why, sizeof(report->migrations_why));

	if (status == 0)
		report->migrations = state == PUSH_CURRENT ? MIGRATIONS_PUSHED : MIGRATIONS_PUSH_PENDING;
	return status;
}

/* Finds out everything; returns 0, or an exit code after logging why.
 * *schema_found: report->client is to be released. */
static int collect(const struct invocation *invocation, struct status_report *report, bool *schema_found)
{
	const struct config *config = &invocation->config;
	struct phase_schema known = {.searched = true};
	int status = client_inputs_find(config, &report->client, schema_found);

	if (status != 0)
		return status;
	if (!*schema_found)
		return client_inputs_report_none();
	status = client_inputs_check(&report->client);
	if (status != 0)
		return status;
	client_inputs_detect_target(&report->client);
	if (report->client.status.state != CLIENT_CURRENT)
		client_inputs_describe(&report->client, report->client_why, sizeof(report->client_why));
	known.path = report->client.schema.schema_path;
	known.direct_urls = report->client.schema.direct_urls; /* borrowed: report->client owns them */
	known.prisma_major = schema_major_version(report->client.schema.prisma_version);
	status = plan_migrations(config, report, migrate_plan_find(config, &known, &report->plan));
	if (status == 0 && migrate_plan_mode(config) == CHOICE_MIGRATE_PUSH && report->plan.schema_path[0])
		status = push_state(config, report);
	if (status == 0)
		status = check_database(config, report);
	if (status == 0 && report->migrations == MIGRATIONS_UNKNOWN && !report->migrations_why[0])
		snprintf(report->migrations_why, sizeof(report->migrations_why),
		         report->database == DATABASE_UNCHECKED ? "the database is not checked"
		                                                : "the database is not usable");
	return status;
}

static int status_exec(struct invocation *invocation)
{
	struct status_report report = {0};
	bool schema_found = false;
	int status = 0;

	if (invocation_flag(invocation, "wait"))
		status = phase_wait_alone(invocation);
	if (status == 0)
		status = collect(invocation, &report, &schema_found);
	if (status == 0) {
		status = report_exit_code(&report);
		if (invocation_flag(invocation, "json"))
			print_json(&report, status);
		else
			print_text(&report);
		fflush(stdout);
	}
	migrate_rows_release(&report.rows);
	if (report.folder_read)
		migrations_folder_release(&report.plan.folder);
	if (schema_found)
		client_inputs_release(&report.client);
	return status;
}

static const struct command_flag status_flags[] = {
    {"json", "one JSON object on one line instead of one line per item"},
    {"wait", "wait for the database as run does first (wait-timeout), then look once"},
    {NULL, NULL},
};

const struct command command_status = {
    .name = "status",
    .usage = "[OPTIONS] status [--json] [--wait]",
    .summary = "say whether the database is usable, the Prisma client current and the migrations applied, "
               "without writing anything or starting Node; the exit code tells which",
    .uses_settings = true,
    .args = {0, 0, NULL, NULL},
    .flags = status_flags,
    .exec = status_exec,
};
