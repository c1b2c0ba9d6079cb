/* The migrate phase: `prisma migrate deploy` only when the database lacks a
 * migration of the migrations folder, as read natively from
 * _prisma_migrations; one process at a time per database. */
#include "phases.h"

#include "exit-codes.h"
#include "log.h"
#include "migrations.h"
#include "pgconn.h"
#include "prisma.h"
#include "url.h"
#include "value.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The advisory lock that lets one start at a time check and migrate a
 * database ("pe-m"). Not Prisma's own key (72707369): prisma migrate deploy
 * takes that one itself, and would wait for us if we held it. */
#define MIGRATE_LOCK_KEY 0x70652d6dLL
/* Prisma's own: held by a prisma migrate deploy while it works. */
#define PRISMA_LOCK_KEY 72707369LL
/* How often a waiting start tries the lock, and says it still waits. */
#define LOCK_POLL_MS     100
#define LOCK_PROGRESS_MS 5000
#define LINE_MAX_CHARS   (2 * PATH_MAX + 256)

/* What the phase found out about the migrations. */
struct migrate_plan {
	char schema_path[PATH_MAX];
	char folder_path[PATH_MAX];
	struct migrations_folder folder;
};

/* Puts the schema's path into plan, from known when the generate phase looked
 * for it, else looking now. Returns 1 found, 0 none, or an exit code (> 1)
 * after logging why (quiet: 0, silently). */
static int find_schema(const struct config *config, const struct phase_schema *known, struct migrate_plan *plan,
                       bool quiet)
{
	struct schema_stop stop = {.should_stop = phase_stop_pending};
	struct schema_inputs schema;
	char error[LINE_MAX_CHARS];
	char cwd[PATH_MAX];
	int found;

	if (known && known->searched) {
		if (known->path)
			snprintf(plan->schema_path, sizeof(plan->schema_path), "%s", known->path);
		return known->path != NULL;
	}
	if (!getcwd(cwd, sizeof(cwd))) {
		if (!quiet)
			log_error("cannot read the working directory: %s", strerror(errno));
		return quiet ? 0 : EXIT_OS_ERROR;
	}
	found = schema_find(cwd, config_text(config, SETTING_SCHEMA), &schema, &stop, error, sizeof(error));
	if (found == SCHEMA_STOPPED)
		return quiet ? 0 : phase_report_stopped("looking for the prisma schema");
	if (found < 0) {
		if (!quiet)
			log_error("%s", error);
		return quiet ? 0 : EXIT_CONFIG;
	}
	if (found == 1) {
		snprintf(plan->schema_path, sizeof(plan->schema_path), "%s", schema.schema_path);
		schema_inputs_release(&schema);
	}
	return found;
}

/* Fills the plan. Returns 1 when migrations are enabled (not no-migrate, a
 * schema, a migrations folder with migrations in it; release plan->folder
 * then), 0 when not, or an exit code (> 1) after logging why; quiet logs
 * nothing, and takes errors for "not enabled". */
static int find_migrations(const struct config *config, const struct phase_schema *known, struct migrate_plan *plan,
                           bool quiet)
{
	const char *configured = config_text(config, SETTING_MIGRATIONS);
	char error[LINE_MAX_CHARS];
	int found;

	if (config_bool(config, SETTING_NO_MIGRATE)) {
		if (!quiet)
			log_verbose("migrate skipped: no-migrate is set");
		return 0;
	}
	found = find_schema(config, known, plan, quiet);
	if (found != 1)
		return found;
	found = migrations_folder_find(configured, plan->schema_path, plan->folder_path, sizeof(plan->folder_path));
	if (found < 0) {
		if (!quiet)
			log_error("the migrations folder's path is too long: %s", strerror(errno));
		return quiet ? 0 : EXIT_CONFIG;
	}
	if (found == 0 && configured && configured[0] && !quiet) {
		log_error("the migrations folder %s (the migrations setting) does not exist or is not a folder",
		          configured);
		return EXIT_CONFIG;
	}
	if (found == 0) {
		if (!quiet)
			log_verbose("no migrations folder next to %s or in ./prisma: migrate skipped",
			            plan->schema_path);
		return 0;
	}
	if (migrations_folder_read(plan->folder_path, &plan->folder, error, sizeof(error)) < 0) {
		if (!quiet)
			log_error("%s", error);
		return quiet ? 0 : EXIT_CONFIG;
	}
	if (plan->folder.count == 0) {
		if (!quiet)
			log_info("no migrations in %s: migrate skipped", plan->folder_path);
		migrations_folder_release(&plan->folder);
		return 0;
	}
	return 1;
}

bool phase_migrate_creates_database(const void *arg, char *why, size_t why_size)
{
	const struct invocation *invocation = arg;
	struct migrate_plan plan = {0};

	if (find_migrations(&invocation->config, NULL, &plan, true) != 1)
		return false;
	migrations_folder_release(&plan.folder);
	snprintf(why, why_size, "prisma migrate deploy creates it, from %s", plan.folder_path);
	return true;
}

static bool stop_requested(void *arg)
{
	(void)arg;
	return proc_pending_stop_signal() != 0;
}

/* Runs prisma migrate deploy; 0 when it succeeded, else an exit code. */
static int deploy(const struct invocation *invocation, struct loop *loop, const struct migrate_plan *plan,
                  const char *reason)
{
	const struct config *config = &invocation->config;
	const char *args[] = {"migrate", "deploy", "--schema", plan->schema_path, NULL};
	struct prisma_run_params params = {
	    .loop = loop,
	    .signals = invocation->signals,
	    .args = args,
	    .database_url = config_text(config, SETTING_DATABASE_URL),
	    .output_prefix = config_text(config, SETTING_PRISMA_OUTPUT_PREFIX),
	    .stop_timeout_ms = config_duration_ms(config, SETTING_STOP_TIMEOUT),
	};
	struct child_result result;
	struct prisma_cli cli;
	char error[LINE_MAX_CHARS];
	char signal_name[32];
	char took[32];

	if (prisma_locate(config_text(config, SETTING_PRISMA_CLI), &cli, error, sizeof(error)) < 0) {
		log_error("%s", error);
		return EXIT_CONFIG;
	}
	params.cli = &cli;
	log_info("running prisma migrate deploy: %s", reason);
	log_verbose("running %s migrate deploy --schema %s (found by %s)", cli.program, plan->schema_path,
	            cli.found_by);
	prisma_run(&params, &result);
	if (result.stop_signal) {
		log_info("stopped by %s during prisma migrate deploy: the app was not started; a migration it was "
		         "applying may show as failed on the next start",
		         proc_signal_name(result.stop_signal, signal_name, sizeof(signal_name)));
		return EXIT_SIGNAL_BASE + result.stop_signal;
	}
	switch (result.outcome) {
	case CHILD_LOOP_FAILED:
		log_error("running prisma migrate deploy failed: %s", strerror(result.status));
		return EXIT_OS_ERROR;
	case CHILD_SPAWN_FAILED:
		return phase_report_spawn_failure(&result, &cli);
	case CHILD_SIGNALED:
		log_error("prisma migrate deploy was killed by %s: the app was not started",
		          proc_signal_name(result.status, signal_name, sizeof(signal_name)));
		return EXIT_MIGRATE;
	case CHILD_EXITED:
		break;
	}
	if (result.status != 0) {
		log_error("prisma migrate deploy failed (exit status %d): the app was not started; its output above "
		          "says why",
		          result.status);
		return EXIT_MIGRATE;
	}
	value_format_duration(result.elapsed_ms, took, sizeof(took));
	log_info("prisma migrate deploy finished in %s", took);
	return 0;
}

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

/* Why a failed migration failed, from its logs: the database's message
 * (Prisma writes it after "Database error:"), else the first line that is
 * not boilerplate. "" when there is none. */
static void failure_reason(const char *logs, char *out, size_t size)
{
	bool after_database_error = false;

	out[0] = '\0';
	for (const char *line = logs; *line; line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != '\0')) {
		const char *text = line + strspn(line, " \t");
		size_t len = strcspn(text, "\r\n");

		if (len == 0)
			continue;
		if (after_database_error || !is_boilerplate(text, len)) {
			snprintf(out, size, "%.*s", (int)(len < 300 ? len : 300), text);
			return;
		}
		after_database_error = strncmp(text, "Database error:", 15) == 0 && len == 15;
	}
}

/* The outcome of comparing: deploy (0), skip, deploy although the rows could
 * not be read, wait for a deploy in progress, or an exit code (> 0). */
enum { COMPARED_DEPLOY = 0, COMPARED_SKIP = -1, COMPARED_UNREAD = -2, COMPARED_BUSY = -3 };

/* prisma_busy: Prisma's lock is held, so an unfinished row may be a
 * migration being applied right now, not a failed one. */
static int judge(const struct migrations_status status, bool table_found, bool after_wait, bool prisma_busy,
                 char *reason, size_t reason_size)
{
	if (status.failed && prisma_busy) {
		snprintf(reason, reason_size, "%s", status.first_failed->name);
		return COMPARED_BUSY;
	}
	if (status.failed) {
		char why[320];

		failure_reason(status.first_failed->logs, why, sizeof(why));
		log_error("migration %s failed earlier%s%s%s and blocks every later prisma migrate deploy: the app was "
		          "not started; repair the database, then run `prisma migrate resolve --rolled-back %s` (or "
		          "--applied %s if it was completed by hand)",
		          status.first_failed->name, why[0] ? " (" : "", why, why[0] ? ")" : "",
		          status.first_failed->name, status.first_failed->name);
		return EXIT_MIGRATE;
	}
	if (status.pending == 0) {
		if (after_wait)
			log_info("migrations were applied by another process meanwhile (%zu applied): migrate skipped",
			         status.applied);
		else
			log_info("database is up to date (%zu migration%s applied, none pending): migrate skipped",
			         status.applied, status.applied == 1 ? "" : "s");
		return COMPARED_SKIP;
	}
	if (!table_found)
		snprintf(reason, reason_size, "%zu migration%s pending, no _prisma_migrations table yet",
		         status.pending, status.pending == 1 ? "" : "s");
	else
		snprintf(reason, reason_size, "%zu migration%s pending, first %s", status.pending,
		         status.pending == 1 ? "" : "s", status.first_pending);
	return COMPARED_DEPLOY;
}

/* Reads the rows and judges them. */
static int read_and_judge(struct pg_session *session, const struct migrate_plan *plan, bool after_wait, char *reason,
                          size_t reason_size)
{
	struct migration_row *rows;
	size_t count;
	bool found;
	char error[LINE_MAX_CHARS];
	enum pg_session_status status = pgconn_session_migrations(session, &rows, &count, &found, error, sizeof(error));
	struct migrations_status compared;
	bool prisma_busy = false;
	int verdict;

	if (status == PG_SESSION_STOPPED)
		return phase_report_stopped("reading the migrations table");
	if (status != PG_SESSION_OK) {
		log_warning("cannot read _prisma_migrations (%s): running prisma migrate deploy to find out", error);
		snprintf(reason, reason_size, "the migrations table could not be read");
		return COMPARED_UNREAD;
	}
	migrations_compare(&plan->folder, rows, count, &compared);
	if (compared.failed) {
		status = pgconn_session_lock_held(session, PRISMA_LOCK_KEY, &prisma_busy, error, sizeof(error));
		if (status == PG_SESSION_STOPPED) {
			migration_rows_free(rows, count);
			return phase_report_stopped("reading the migrations table");
		}
	}
	verdict = judge(compared, found, after_wait, prisma_busy, reason, reason_size);
	migration_rows_free(rows, count);
	return verdict;
}

/* A wait that says so now and then. */
struct patience {
	int64_t started;
	int64_t next_progress;
};

static int report_stop_waiting(const char *what)
{
	char during[LINE_MAX_CHARS + 32];

	snprintf(during, sizeof(during), "waiting for %s", what);
	return phase_report_stopped(during);
}

/* Sleeps LOCK_POLL_MS, saying every LOCK_PROGRESS_MS that it still waits
 * for what. Returns 0, or an exit code when a stop signal came. */
static int pause_waiting(struct patience *patience, const char *what)
{
	if (loop_now_ms() >= patience->next_progress) {
		char waited_for[32];

		value_format_duration(loop_now_ms() - patience->started, waited_for, sizeof(waited_for));
		log_info("still waiting for %s after %s", what, waited_for);
		patience->next_progress += LOCK_PROGRESS_MS;
	}
	for (int slept = 0; slept < LOCK_POLL_MS; slept += 20) {
		if (stop_requested(NULL))
			return report_stop_waiting(what);
		poll(NULL, 0, 20);
	}
	return 0;
}

/* Takes the migrate lock, waiting while another start holds it. Returns 0
 * with the lock (or without, after a warning, when it cannot be taken), or
 * an exit code. */
static int take_lock(struct pg_session *session, const struct pg_target *target)
{
	struct patience patience = {loop_now_ms(), loop_now_ms() + LOCK_PROGRESS_MS};
	char what[LINE_MAX_CHARS];
	char error[LINE_MAX_CHARS];
	int status = 0;

	if (target->pgbouncer) {
		/* Through a transaction pooler, a session lock would stay on a
		 * pooled server connection after ours is gone. */
		log_verbose("pgbouncer=true: deploying without the migrate lock");
		return 0;
	}
	snprintf(what, sizeof(what), "the migrate lock (database \"%.255s\")", target->dbname);
	for (bool waited = false; status == 0; waited = true) {
		bool locked;
		enum pg_session_status tried =
		    pgconn_session_try_lock(session, MIGRATE_LOCK_KEY, &locked, error, sizeof(error));

		if (tried == PG_SESSION_STOPPED)
			return report_stop_waiting(what);
		if (tried != PG_SESSION_OK) {
			log_warning("cannot take the migrate lock (%s): running prisma migrate deploy without it",
			            error);
			return 0;
		}
		if (locked)
			return 0;
		if (!waited)
			log_info("another process is migrating database \"%s\": waiting for it", target->dbname);
		status = pause_waiting(&patience, what);
	}
	return status;
}

/* Connected: read the rows; when something is to be deployed, take the lock
 * and read them again, since another start may have migrated between the
 * first read and the lock, or while this one waited. */
static int migrate_connected(const struct invocation *invocation, struct loop *loop, const struct migrate_plan *plan,
                             struct pg_session *session, const struct pg_target *target)
{
	char reason[LINE_MAX_CHARS];
	int first = read_and_judge(session, plan, false, reason, sizeof(reason));
	int status;

	if (first != COMPARED_DEPLOY && first != COMPARED_UNREAD && first != COMPARED_BUSY)
		return first;
	status = take_lock(session, target);
	if (status != 0)
		return status;
	status = first == COMPARED_UNREAD ? first : read_and_judge(session, plan, true, reason, sizeof(reason));
	if (status == COMPARED_BUSY) {
		/* A deploy that does not take our lock (run by hand, or from
		 * CI) is applying a migration: wait for Prisma's lock. */
		struct patience patience = {loop_now_ms(), loop_now_ms() + LOCK_PROGRESS_MS};
		char what[LINE_MAX_CHARS];

		log_info("migration %s is being applied by another process (it holds prisma's lock): waiting for it",
		         reason);
		snprintf(what, sizeof(what), "migration %.255s", reason);
		while (status == COMPARED_BUSY && (status = pause_waiting(&patience, what)) == 0)
			status = read_and_judge(session, plan, true, reason, sizeof(reason));
	}
	if (status == COMPARED_DEPLOY || status == COMPARED_UNREAD)
		status = deploy(invocation, loop, plan, reason);
	return status;
}

/* PostgreSQL: read the rows natively, deploy only when something is pending,
 * holding the lock from the first read after it to the end of the deploy. */
static int migrate_postgres(const struct invocation *invocation, struct loop *loop, const struct migrate_plan *plan,
                            const char *url)
{
	const struct config *config = &invocation->config;
	struct pg_target target;
	struct pg_session *session = NULL;
	struct pg_session_params params = {
	    .target = &target,
	    .timeout_ms = config_duration_ms(config, SETTING_ATTEMPT_TIMEOUT),
	    .should_stop = stop_requested,
	};
	char error[LINE_MAX_CHARS];
	char reason[LINE_MAX_CHARS];
	enum pg_session_status opened;
	int status;

	if (pgconn_target_from_url(url, &target, error, sizeof(error)) < 0) {
		log_error("%s", error);
		return EXIT_CONFIG;
	}
	opened = pgconn_session_open(&params, &session, error, sizeof(error));
	if (opened == PG_SESSION_STOPPED) {
		status = phase_report_stopped("connecting to read the migrations");
	} else if (opened == PG_SESSION_NO_DATABASE) {
		snprintf(reason, sizeof(reason), "database \"%s\" does not exist yet, and deploy creates it",
		         target.dbname);
		status = deploy(invocation, loop, plan, reason);
	} else if (opened != PG_SESSION_OK) {
		log_warning("cannot read the migrations natively (%s): running prisma migrate deploy to find out",
		            error);
		status = deploy(invocation, loop, plan, "the database could not be checked");
	} else {
		status = migrate_connected(invocation, loop, plan, session, &target);
	}
	pgconn_session_close(session);
	pgconn_target_release(&target);
	return status == COMPARED_SKIP ? 0 : status;
}

int phase_migrate(const struct invocation *invocation, struct loop *loop, const struct phase_schema *schema)
{
	const struct config *config = &invocation->config;
	const char *url = config_text(config, SETTING_DATABASE_URL);
	struct migrate_plan plan = {0};
	int status = find_migrations(config, schema, &plan, false);

	if (status != 1)
		return status;
	if (!url || !url[0]) {
		status =
		    deploy(invocation, loop, &plan, "database-url is not set, so the database cannot be checked first");
	} else if (!url_has_scheme(url, "postgresql") && !url_has_scheme(url, "postgres")) {
		status = deploy(invocation, loop, &plan, "only PostgreSQL databases are checked first");
	} else {
		status = migrate_postgres(invocation, loop, &plan, url);
	}
	migrations_folder_release(&plan.folder);
	return status;
}
