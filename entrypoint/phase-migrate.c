/* The migrate phase: `prisma migrate deploy` only when the database lacks a
 * migration of the migrations folder, as read natively from
 * _prisma_migrations; one process at a time per database. In wait mode
 * (migrate-mode = wait) another process deploys: this one reads the rows
 * until every migration is applied. */
#include "phases.h"

#include "engine-files.h"
#include "engine-target.h"
#include "exit-codes.h"
#include "log.h"
#include "migrate-baseline.h"
#include "migrate-native.h"
#include "migrate-plan.h"
#include "migrate-push.h"
#include "pooler.h"
#include "prisma.h"
#include "url.h"
#include "value.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The advisory lock that lets one start at a time check and migrate a
 * database ("pe-m"). Not Prisma's own key (72707369): prisma migrate deploy
 * takes that one itself, and would wait for us if we held it. */
#define MIGRATE_LOCK_KEY 0x70652d6dLL
#define LINE_MAX_CHARS   (2 * PATH_MAX + 256)

/* Says what a plan that is not READY means; returns 0 (nothing to migrate)
 * or an exit code. */
static int report_plan(const struct config *config, enum plan_found found, const struct migrate_plan *plan)
{
	switch (found) {
	case PLAN_READY:
	case PLAN_NO_SCHEMA:
		break;
	case PLAN_NO_MIGRATE:
		log_verbose("migrate skipped: %s",
		            config_bool(config, SETTING_NO_MIGRATE) ? "no-migrate is set" : "migrate-mode is off");
		if (config_bool(config, SETTING_NO_MIGRATE) &&
		    config->values[SETTING_MIGRATE_MODE].source != SOURCE_DEFAULT &&
		    config_choice(config, SETTING_MIGRATE_MODE) != CHOICE_MIGRATE_OFF)
			log_warning(
			    "no-migrate = true and migrate-mode = %s (%s) disagree: no-migrate wins, migrate is off",
			    config_text(config, SETTING_MIGRATE_MODE), config->values[SETTING_MIGRATE_MODE].origin);
		break;
	case PLAN_NO_FOLDER:
		log_verbose("no migrations folder next to %s or in ./prisma: migrate skipped", plan->schema_path);
		break;
	case PLAN_NO_MIGRATIONS:
		log_info("no migrations in %s: migrate skipped", plan->folder_path);
		break;
	case PLAN_STOPPED:
		return phase_report_stopped("looking for the prisma schema");
	case PLAN_FAILED:
		log_error("%s", plan->error);
		return plan->exit_code;
	}
	return 0;
}

bool phase_migrate_creates_database(const void *arg, char *why, size_t why_size)
{
	const struct invocation *invocation = arg;
	struct migrate_plan plan = {0};

	enum migrate_mode_choice mode = migrate_plan_mode(&invocation->config);
	enum plan_found found;

	if (mode != CHOICE_MIGRATE_DEPLOY && mode != CHOICE_MIGRATE_PUSH)
		return false;
	found = migrate_plan_find(&invocation->config, NULL, &plan);
	if (found == PLAN_READY)
		migrations_folder_release(&plan.folder);
	if (mode == CHOICE_MIGRATE_PUSH &&
	    (found == PLAN_READY || found == PLAN_NO_FOLDER || found == PLAN_NO_MIGRATIONS)) {
		snprintf(why, why_size, "prisma db push creates it");
		return true;
	}
	if (found != PLAN_READY)
		return false;
	snprintf(why, why_size, "the migrate phase creates it and applies %s", plan.folder_path);
	return true;
}

/* For prisma_run(): whether the deploy's work shows as done in the database. */
struct deploy_progress {
	struct pg_session *session;
	const struct migrate_plan *plan;
};

static bool deploy_work_done(void *arg)
{
	const struct deploy_progress *progress = arg;

	return migrate_plan_deploy_done(progress->session, progress->plan);
}

/* A deploy through what looks like a transaction pooler, with no direct URL
 * to go around it: one warning before it runs. */
static void warn_if_pooled(const struct config *config, const struct migrate_plan *plan)
{
	const char *url = config_text(config, SETTING_DATABASE_URL);
	char why[320];

	if (plan->direct_url[0] || !pooler_url_looks_pooled(url, why, sizeof(why)))
		return;
	log_warning("database-url looks like a connection pooler's (%s) and no direct URL is set: prisma migrate "
	            "deploy through a transaction pooler can hang or fail (prepared statement \"s0\" already exists), "
	            "and the migrate lock is not taken through it (a session advisory lock would stay on a pooled "
	            "server connection, not on ours); set DIRECT_URL (or directUrl in the schema's datasource) to the "
	            "database's direct URL",
	            why);
}

/* Where the CLI of ./node_modules/.bin/prisma finds @prisma/engines: nested
 * under prisma when npm put it there, else hoisted. */
static const char *const engines_folders[] = {"node_modules/prisma/node_modules/@prisma/engines",
                                              "node_modules/@prisma/engines"};

/* Before a deploy through the CLI: whether @prisma/engines holds the schema
 * engine for this platform. Looked at only when it holds native schema
 * engines at all: none means a CLI that runs the schema engine as
 * WebAssembly through a driver adapter (prisma.config engine "js"), or one
 * whose engines were never downloaded (npm ci --ignore-scripts); either way
 * there is nothing to compare. Only a warning: online, the CLI downloads a
 * missing engine itself at start; offline, that download fails, and this
 * line says why before the CLI's own error. */
static void warn_if_schema_engine_missing(void)
{
	struct engine_presence presence;
	struct engine_target target;
	const char *folder = NULL;

	for (size_t i = 0; i < sizeof(engines_folders) / sizeof(engines_folders[0]) && !folder; i++)
		if (access(engines_folders[i], F_OK) == 0)
			folder = engines_folders[i];
	if (!folder)
		return;
	engine_target_detect("/", NULL, &target);
	engine_schema_check(folder, target.name, getenv("PRISMA_SCHEMA_ENGINE_BINARY"), &presence);
	if (presence.present || presence.others_count == 0) {
		log_verbose("schema engine for %s: %s", target.name,
		            presence.present ? presence.file : "no native schema engine installed, none looked for");
		return;
	}
	log_warning("the Prisma CLI has no schema engine for this platform, %s (%s is missing; %s holds %s): "
	            "node_modules was installed on another platform (a host, or a build stage of another base "
	            "image); prisma migrate deploy downloads it from binaries.prisma.sh and fails offline. Install "
	            "node_modules in this image, or set PRISMA_SCHEMA_ENGINE_BINARY",
	            target.name, presence.file, folder, presence.others);
}

/* Runs prisma migrate deploy; 0 when it succeeded, else an exit code. With a
 * session to the database, a deploy that has done its work but lingers is
 * stopped deploy-linger later and counts as done.
 *
 * The CLI is given the URL migrations use (the direct URL when there is
 * one) as DATABASE_URL. With Prisma's native engine, migrate deploy connects
 * with the schema's directUrl when it has one and with its url otherwise,
 * which is env("DATABASE_URL") in nearly every schema; a driver adapter in
 * prisma.config connects with whatever the config reads, DATABASE_URL again
 * in the common setups. So a direct URL given only as DIRECT_URL or the
 * direct-url setting, with no directUrl in the schema, still takes the CLI
 * past the pooler. Only the CLI's environment changes: the app keeps the
 * pooled DATABASE_URL. */
static int deploy(const struct invocation *invocation, struct loop *loop, const struct migrate_plan *plan,
                  struct pg_session *session, const char *reason)
{
	const struct config *config = &invocation->config;
	const char *args[] = {"migrate", "deploy", "--schema", plan->schema_path, NULL};
	struct prisma_run_params params;
	struct deploy_progress progress = {session, plan};
	struct child_result result;
	struct prisma_cli cli;
	char error[LINE_MAX_CHARS];
	char how[64];
	char took[32];
	bool lingered = false;
	int ended;

	if (config_choice(config, SETTING_MIGRATE_ENGINE) == CHOICE_MIGRATE_ENGINE_NATIVE) {
		/* Only with a session to the database: the CLI's fallbacks
		 * (it may create the database, or find out itself) are not
		 * native's. */
		log_error("migrate-engine = native cannot apply the migrations: %s, and it applies them only over a "
		          "connection to the database: the app was not started",
		          reason);
		return EXIT_MIGRATE;
	}
	if (migrate_plan_cli_params(invocation, loop, plan, args, &cli, &params, error, sizeof(error)) < 0) {
		log_error("%s", error);
		return EXIT_CONFIG;
	}
	/* Whether its work is done is read through the session. */
	if (session)
		migrate_plan_cli_linger(config, &params, deploy_work_done, &progress, &lingered);
	warn_if_pooled(config, plan);
	warn_if_schema_engine_missing();
	log_info("running prisma migrate deploy: %s (migrations from %s)", reason, plan->folder_path);
	log_verbose("running %s migrate deploy --schema %s (found by %s)", cli.program, plan->schema_path,
	            cli.found_by);
	prisma_run(&params, &result);
	if (lingered && !result.received_stop && result.outcome != CHILD_LOOP_FAILED) {
		value_format_duration(result.elapsed_ms, took, sizeof(took));
		log_info("prisma migrate deploy finished in %s (its work was done; it was stopped after lingering "
		         "for deploy-linger)",
		         took);
		return 0;
	}
	ended = phase_cli_ended(&result, &cli, "prisma migrate deploy",
	                        "a migration it was applying may show as failed on the next start", how, sizeof(how));
	if (ended == PHASE_CLI_FAILED) {
		log_error("prisma migrate deploy failed (%s): the app was not started; its output above says why", how);
		return EXIT_MIGRATE;
	}
	if (ended != 0)
		return ended;
	value_format_duration(result.elapsed_ms, took, sizeof(took));
	log_info("prisma migrate deploy finished in %s", took);
	return 0;
}

/* Says what a verdict means, while the rows are there: SKIP as up to date
 * (after_wait: as done by another process meanwhile), BLOCKED with the failed
 * migration and how to repair it. Returns 0, or EXIT_MIGRATE for BLOCKED. */
static int report_verdict(enum migrate_verdict verdict, const struct migrate_reading *reading, bool after_wait,
                          const char *reason)
{
	const struct migrations_status *compared = &reading->compared;

	switch (verdict) {
	case MIGRATE_SKIP:
		if (after_wait)
			log_info("migrations were applied by another process meanwhile (%zu applied): migrate skipped",
			         compared->applied);
		else
			log_info("database is up to date (%zu migration%s applied, none pending): migrate skipped",
			         compared->applied, compared->applied == 1 ? "" : "s");
		break;
	case MIGRATE_BLOCKED:
		if (!compared->first_failed->logs[0]) {
			/* Prisma writes logs when a script fails: none means the
			 * process applying it was killed, and some of the script's
			 * statements may be in the database (the CLI commits them
			 * one by one in some setups). */
			log_error(
			    "migration %s was started but never finished (no error was recorded: the process applying "
			    "it was killed?) and blocks every later prisma migrate deploy: the app was not started; "
			    "check which of its changes the database has: all of them, run `prisma migrate resolve "
			    "--applied %s`; none, run `prisma migrate resolve --rolled-back %s`; some, finish or undo "
			    "them by hand first",
			    compared->first_failed->name, compared->first_failed->name, compared->first_failed->name);
			return EXIT_MIGRATE;
		}
		log_error("migration %s failed earlier%s%s%s and blocks every later prisma migrate deploy: the app was "
		          "not started; repair the database, then run `prisma migrate resolve --rolled-back %s` (or "
		          "--applied %s if it was completed by hand)",
		          compared->first_failed->name, reason[0] ? " (" : "", reason, reason[0] ? ")" : "",
		          compared->first_failed->name, compared->first_failed->name);
		return EXIT_MIGRATE;
	case MIGRATE_UNKNOWN:
		log_error(
		    "the database has %s (an older image on a newer database?) and unknown-migrations = error: the "
		    "app was not started; run the image that has them, or set unknown-migrations = warn",
		    reason);
		return EXIT_MIGRATE;
	case MIGRATE_BASELINE:
		log_error(
		    "the database's schema has %s, so prisma migrate deploy would stop (P3005): the app was not "
		    "started; baseline it: for each migration whose changes the database already has, run `prisma "
		    "migrate resolve --applied NAME` (the first in the folder is %s; see "
		    "https://pris.ly/d/migrate-baseline)",
		    reason, compared->first_pending ? compared->first_pending : "?");
		return EXIT_MIGRATE;
	case MIGRATE_DEPLOY:
	case MIGRATE_UNREAD:
	case MIGRATE_BUSY:
	case MIGRATE_WAIT:
		break;
	}
	return 0;
}

/* The history's warnings, once per start: applied migrations the folder
 * lacks (unless unknown-migrations = error made them an error), applied
 * migrations whose migration.sql changed since. */
static void report_history(const struct migrate_reading *reading, const struct migrate_plan *plan,
                           const struct migrate_policy *policy)
{
	const struct migrations_status *compared = &reading->compared;
	char names[LINE_MAX_CHARS];

	if (compared->unknown && !policy->unknown_is_error) {
		migrate_names_list(compared->unknown_shown, compared->unknown, names, sizeof(names));
		log_warning("the database has %zu applied migration%s that %s does not have: %s (an older image on a "
		            "newer database?); prisma migrate deploy ignores them; unknown-migrations = error refuses "
		            "to start instead",
		            compared->unknown, compared->unknown == 1 ? "" : "s", plan->folder_path, names);
	}
	if (reading->edited) {
		char paths[MIGRATIONS_SHOWN][PATH_MAX];
		const char *shown[MIGRATIONS_SHOWN];

		for (size_t i = 0; i < reading->edited && i < MIGRATIONS_SHOWN; i++) {
			snprintf(paths[i], sizeof(paths[i]), "%.2000s/%.1000s/migration.sql", plan->folder_path,
			         reading->edited_shown[i]);
			shown[i] = paths[i];
		}
		migrate_names_list(shown, reading->edited, names, sizeof(names));
		log_warning("%s changed since %s applied (its SHA-256 is not the checksum in _prisma_migrations): "
		            "prisma migrate deploy never applies a migration again; put the change in a new migration, "
		            "or restore the file",
		            names, reading->edited == 1 ? "it was" : "they were");
	}
}

/* How one read of the rows goes. */
struct migrate_read {
	struct pg_session *session;
	const struct migrate_plan *plan;
	struct migrate_policy policy;
	bool first;      /* the start's first read: the history's checks and warnings */
	bool native;     /* migrate-engine = native: no prisma migrate deploy to fall back on */
	bool after_wait; /* SKIP: applied by another process meanwhile */
	/* Out: the verdict (never BLOCKED nor UNKNOWN) and its reason; the
	 * pending migrations; why the rows could not be read ("" when read). */
	enum migrate_verdict verdict;
	char reason[LINE_MAX_CHARS];
	size_t pending;
	bool history_empty; /* read, and no migration applied, failed or unknown (rolled back ones aside) */
	char pending_names[LINE_MAX_CHARS];
	char unread[LINE_MAX_CHARS];
};

/* Reads the rows and judges them (migrate_judge()). Returns 0 with the
 * verdict, or an exit code after logging why (BLOCKED; UNKNOWN; a stop
 * signal). */
static int read_and_judge(struct migrate_read *read)
{
	struct migrate_rows rows;
	struct migrate_reading reading;
	enum pg_session_status status = migrate_plan_read(read->session, read->plan, read->first, &reading, &rows,
	                                                  read->unread, sizeof(read->unread));
	int exit_code;

	if (status == PG_SESSION_STOPPED) {
		migrate_rows_release(&rows);
		return phase_report_stopped("reading the migrations table");
	}
	if (reading.read)
		read->unread[0] = '\0';
	else if (!read->policy.wait && !read->native)
		log_warning("cannot read _prisma_migrations (%s): running prisma migrate deploy to find out",
		            read->unread);
	read->verdict = migrate_judge(&reading, &read->policy, read->reason, sizeof(read->reason));
	read->pending = reading.compared.pending;
	read->history_empty =
	    reading.read && reading.compared.applied + reading.compared.failed + reading.compared.unknown == 0;
	migrate_names_list(reading.compared.pending_shown, reading.compared.pending, read->pending_names,
	                   sizeof(read->pending_names));
	if (read->first)
		report_history(&reading, read->plan, &read->policy);
	exit_code = read->verdict == MIGRATE_BASELINE && read->policy.baseline_auto
	                ? 0
	                : report_verdict(read->verdict, &reading, read->after_wait, read->reason);
	migrate_rows_release(&rows);
	return exit_code;
}

/* When a wait that starts now and may last timeout_ms (wait-timeout; 0:
 * forever) ends, for lock_wait_params.deadline_ms. */
static int64_t wait_deadline(int64_t timeout_ms)
{
	return timeout_ms > 0 ? loop_now_ms() + timeout_ms : 0;
}

/* How long a wait for a lock may last, and the setting that says so (named
 * in the line that ends it). */
struct lock_limit {
	int64_t timeout_ms; /* 0: forever */
	const char *setting;
};

/* migrate-lock-timeout when set, else wait-timeout: the lock waits of a
 * start (ours, and another deploy's hold on Prisma's lock). */
static struct lock_limit lock_limit(const struct config *config)
{
	int64_t lock_timeout_ms = config_duration_ms(config, SETTING_MIGRATE_LOCK_TIMEOUT);

	if (lock_timeout_ms > 0)
		return (struct lock_limit){lock_timeout_ms, "migrate-lock-timeout"};
	return (struct lock_limit){config_duration_ms(config, SETTING_WAIT_TIMEOUT), "wait-timeout"};
}

/* Trying an advisory lock, for lock_wait(): while it is held, the announce
 * and the progress lines name the holder, read again every progress line. */
struct migrate_lock_try {
	struct pg_session *session;
	int64_t key;
	const char *what;     /* "the migrate lock (database "app")" */
	const char *announce; /* "another process is migrating database "app"" */
	char what_holder[LINE_MAX_CHARS + 512];
	char announce_holder[LINE_MAX_CHARS + 512];
	int64_t holder_read_ms;
	char error[LINE_MAX_CHARS]; /* FAILED: why */
};

static void read_holder(struct migrate_lock_try *try)
{
	char holder[512];
	char error[LINE_MAX_CHARS];
	bool found = false;

	try->holder_read_ms = loop_now_ms();
	if (pgconn_session_lock_holder(try->session, try->key, &found, holder, sizeof(holder), error, sizeof(error)) !=
	        PG_SESSION_OK ||
	    !found)
		return;
	snprintf(try->what_holder, sizeof(try->what_holder), "%s, held by %s", try->what, holder);
	snprintf(try->announce_holder, sizeof(try->announce_holder), "%s (held by %s): waiting for it", try->announce,
	         holder);
}

static enum lock_try try_migrate_lock(void *arg)
{
	struct migrate_lock_try *try = arg;
	bool locked = false;
	enum pg_session_status tried =
	    pgconn_session_try_lock(try->session, try->key, &locked, try->error, sizeof(try->error));

	if (tried == PG_SESSION_STOPPED)
		return LOCK_TRY_STOPPED;
	if (tried != PG_SESSION_OK)
		return LOCK_TRY_FAILED;
	if (locked)
		return LOCK_TRY_TAKEN;
	/* Read again in time for the next progress line. */
	if (try->holder_read_ms == 0 ||
	    loop_now_ms() - try->holder_read_ms >= LOCK_WAIT_PROGRESS_MS - LOCK_WAIT_POLL_MS)
		read_holder(try);
	return LOCK_TRY_HELD;
}

/* Takes advisory lock key through session, waiting while another start
 * holds it ("ANNOUNCE (held by pid 42, ...): waiting for it" once, then
 * "still waiting for WHAT, held by ..."). Returns 0 with the lock (or
 * without, after a warning, when it cannot be taken), or an exit code. */
static int take_advisory_lock(struct pg_session *session, struct loop *loop, int64_t key, const char *what,
                              const char *announce, struct lock_limit limit)
{
	struct migrate_lock_try try = {.session = session, .key = key, .what = what, .announce = announce};
	struct lock_wait_params params = {.try_lock = try_migrate_lock,
	                                  .arg = &try,
	                                  .announce = try.announce_holder,
	                                  .what = try.what_holder,
	                                  .deadline_ms = wait_deadline(limit.timeout_ms)};
	struct lock_wait_result result;
	int status;

	/* Until the holder is known (it may have gone by then). */
	snprintf(try.what_holder, sizeof(try.what_holder), "%s", what);
	snprintf(try.announce_holder, sizeof(try.announce_holder), "%s: waiting for it", announce);
	status = phase_lock_wait(&params, loop, what, &result);
	if (status == 0 && result.outcome == LOCK_WAIT_TIMED_OUT) {
		char waited[32];

		value_format_duration(limit.timeout_ms, waited, sizeof(waited));
		log_error("%s still held after %s (%s): the app was not started", try.what_holder, waited,
		          limit.setting);
		return EXIT_TIMEOUT;
	}
	if (status == 0 && result.outcome == LOCK_WAIT_FAILED)
		log_warning("cannot take %s (%s): migrating without it", what,
		            try.error[0] ? try.error : strerror(result.error));
	return status;
}

/* Takes the migrate lock in the database, waiting while another start holds
 * it. Returns 0 with the lock (or without it: see take_advisory_lock()), or
 * an exit code. */
static int take_lock(struct pg_session *session, struct loop *loop, const struct pg_target *target,
                     struct lock_limit limit)
{
	char what[LINE_MAX_CHARS];
	char announce[LINE_MAX_CHARS];

	if (target->pooled) {
		/* Through a transaction pooler, a session lock would stay on a
		 * pooled server connection after ours is gone. */
		log_verbose("the URL looks like a connection pooler's: deploying without the migrate lock");
		return 0;
	}
	snprintf(what, sizeof(what), "the migrate lock (database \"%.255s\")", target->dbname);
	snprintf(announce, sizeof(announce), "another process is migrating database \"%.255s\"", target->dbname);
	return take_advisory_lock(session, loop, MIGRATE_LOCK_KEY, what, announce, limit);
}

/* Reading the rows again while another process migrates, for lock_wait():
 * until no deploy is at work (deploy mode), or until every migration is
 * applied (wait mode; deadline_ms > 0: not after it). */
struct rows_watch {
	struct migrate_read *read;
	enum migrate_verdict waiting_while; /* BUSY or WAIT */
	int64_t deadline_ms;
	/* Not NULL: after a read that failed, connect again with these (the
	 * server may have restarted during a long wait). */
	const struct pg_session_params *reconnect;
	bool timed_out;
	int exit_code; /* FAILED: from read_and_judge(), reported */
};

static enum lock_try try_rows_again(void *arg)
{
	struct rows_watch *watch = arg;
	struct migrate_read *read = watch->read;

	if (watch->reconnect && read->unread[0]) {
		enum pg_session_status opened;

		pgconn_session_close(read->session);
		read->session = NULL;
		opened = pgconn_session_open(watch->reconnect, &read->session, read->unread, sizeof(read->unread));
		if (opened == PG_SESSION_STOPPED)
			return LOCK_TRY_STOPPED;
		if (opened != PG_SESSION_OK)
			return LOCK_TRY_HELD;
	}
	watch->exit_code = read_and_judge(read);
	if (watch->exit_code != 0)
		return LOCK_TRY_FAILED;
	return watch->read->verdict == watch->waiting_while ? LOCK_TRY_HELD : LOCK_TRY_TAKEN;
}

/* Waits on loop, reading the rows again, while the verdict stays
 * watch->waiting_while. Returns 0 with the read's verdict (or the watch
 * timed out), or an exit code. */
static int watch_rows(struct rows_watch *watch, struct loop *loop, const char *announce, const char *what)
{
	struct lock_wait_params params = {.try_lock = try_rows_again,
	                                  .arg = watch,
	                                  .held = true,
	                                  .announce = announce,
	                                  .what = what,
	                                  .deadline_ms = watch->deadline_ms};
	struct lock_wait_result result;
	int status;

	watch->read->after_wait = true;
	status = phase_lock_wait(&params, loop, what, &result);
	watch->timed_out = result.outcome == LOCK_WAIT_TIMED_OUT;
	if (status != 0 || result.outcome == LOCK_WAIT_TAKEN || watch->timed_out)
		return status;
	if (watch->exit_code != 0)
		return watch->exit_code;
	log_error("waiting for %s failed: %s", what, strerror(result.error));
	return EXIT_OS_ERROR;
}

/* A deploy that does not take our lock (run by hand, or from CI) is applying
 * the migration named by read->reason: waits for it to end, reading the rows
 * again. Returns 0 with read->verdict (not BUSY), or an exit code. */
static int wait_for_deploy(struct migrate_read *read, struct loop *loop, struct lock_limit limit)
{
	struct rows_watch watch = {
	    .read = read, .waiting_while = MIGRATE_BUSY, .deadline_ms = wait_deadline(limit.timeout_ms)};
	char what[LINE_MAX_CHARS];
	char announce[LINE_MAX_CHARS];
	char waited[32];
	int status;

	snprintf(announce, sizeof(announce),
	         "migration %.255s is being applied by another process (it holds prisma's lock): waiting for it",
	         read->reason);
	snprintf(what, sizeof(what), "migration %.255s", read->reason);
	status = watch_rows(&watch, loop, announce, what);
	if (status != 0 || !watch.timed_out)
		return status;
	value_format_duration(limit.timeout_ms, waited, sizeof(waited));
	log_error("%s is still being applied by another process after %s (%s): the app was not started", what, waited,
	          limit.setting);
	return EXIT_TIMEOUT;
}

/* migrate-engine = native, holding the migrate lock with something to
 * apply: takes Prisma's lock too (a prisma migrate deploy started elsewhere
 * waits for it, as it would for another deploy), reads the rows once more
 * under it, and applies what is pending. */
static int apply_natively(struct migrate_read *read, struct loop *loop, const struct pg_target *target,
                          struct lock_limit limit)
{
	char what[LINE_MAX_CHARS];
	char announce[LINE_MAX_CHARS];
	char error[LINE_MAX_CHARS];
	int status;

	if (target->pooled) {
		/* The session's locks and search path would stay on whichever
		 * server connection the pooler gave each statement. */
		log_error("migrate-engine = native needs a direct connection to the database, and database-url looks "
		          "like a connection pooler's with no direct URL set: set DIRECT_URL (or directUrl in the "
		          "schema's datasource) to the database's direct URL; the app was not started");
		return EXIT_CONFIG;
	}
	log_info("applying migrations natively: %s", read->reason);
	snprintf(what, sizeof(what), "prisma's migrate lock (database \"%.255s\")", target->dbname);
	snprintf(announce, sizeof(announce),
	         "another process (prisma migrate deploy?) is migrating database \"%.255s\"", target->dbname);
	status = take_advisory_lock(read->session, loop, PRISMA_LOCK_KEY, what, announce, limit);
	if (status == 0) {
		read->after_wait = true;
		status = read_and_judge(read);
	}
	if (status != 0 || read->verdict == MIGRATE_SKIP)
		return status;
	if (read->verdict != MIGRATE_DEPLOY) {
		log_error("cannot apply the migrations natively: %s: the app was not started",
		          read->unread[0] ? read->unread : read->reason);
		return EXIT_MIGRATE;
	}
	status = migrate_native_apply(read->session, read->plan);
	/* Now, not when the session ends: a seed may follow, and a prisma
	 * migrate deploy elsewhere gives up on this lock after 10 s (P1002). */
	if (status == 0 && pgconn_session_unlock(read->session, PRISMA_LOCK_KEY, error, sizeof(error)) != PG_SESSION_OK)
		log_verbose("cannot let go of prisma's migrate lock (%s): it goes with the session", error);
	return status;
}

/* seed = once, after the migrations, with the migrate lock held when locked
 * (else taken here when the seed is owed, and the record read again under
 * it: another start may have seeded meanwhile). A database owes its seed
 * from the start that applied its first migration (migrate_connected()
 * records that before its deploy); one migrated before seed = once was set
 * owes none. */
static int settle_seed(const struct invocation *invocation, struct loop *loop, struct pg_session *session,
                       const struct pg_target *target, bool locked)
{
	enum pg_seed_state state;
	char when[64];
	int status;

	if (!phase_seed_wanted(invocation))
		return 0;
	status = phase_seed_read(session, target->dbname, &state, when, sizeof(when));
	if (status == 0 && state == PG_SEED_OWED && !locked) {
		status = take_lock(session, loop, target, lock_limit(&invocation->config));
		if (status == 0)
			status = phase_seed_read(session, target->dbname, &state, when, sizeof(when));
	}
	if (status != 0)
		return status;
	switch (state) {
	case PG_SEED_NONE:
		log_verbose("seed = once: database \"%.255s\" had its migrations applied before seed = once was set "
		            "(no seed is owed): not seeding it",
		            target->dbname);
		return 0;
	case PG_SEED_DONE:
		log_verbose("seed = once: database \"%.255s\" was seeded at %s: not seeding it again", target->dbname,
		            when);
		return 0;
	case PG_SEED_OWED:
		break;
	}
	return phase_seed_run(invocation, loop, session, target->dbname, when);
}

/* A deploy that ran without reading the database first cannot tell whether
 * it applied the first migration: seed = once says it did not seed. */
static int deployed_unread(const struct invocation *invocation, int status)
{
	if (status == 0 && phase_seed_wanted(invocation))
		log_warning(
		    "seed = once: the database could not be read before the deploy, so whether it owes its seed "
		    "is unknown: not seeded by this start");
	return status;
}

/* Connected: read the rows; when something is to be deployed, take the lock
 * and read them again, since another start may have migrated between the
 * first read and the lock, or while this one waited. Then seed = once. */
static int migrate_connected(const struct invocation *invocation, struct loop *loop, struct migrate_read *read,
                             const struct pg_target *target)
{
	struct lock_limit limit = lock_limit(&invocation->config);
	int status = read_and_judge(read);

	read->first = false;
	if (status != 0)
		return status;
	if (read->verdict == MIGRATE_SKIP)
		return settle_seed(invocation, loop, read->session, target, false);
	status = take_lock(read->session, loop, target, limit);
	if (status == 0 && read->verdict != MIGRATE_UNREAD) {
		read->after_wait = true;
		status = read_and_judge(read);
	}
	if (status == 0 && read->verdict == MIGRATE_BUSY)
		status = wait_for_deploy(read, loop, limit);
	if (status == 0 && read->verdict == MIGRATE_BASELINE) {
		status = migrate_baseline(invocation, loop, read->session, read->plan, read->reason);
		if (status == 0)
			status = read_and_judge(read);
	}
	if (status != 0)
		return status;
	if (read->verdict != MIGRATE_SKIP) {
		/* Recorded before the deploy: a deploy that fails half-way leaves
		 * rows, and the start that finishes it must still seed. */
		if (read->history_empty && phase_seed_wanted(invocation))
			status = phase_seed_owe(read->session, target->dbname);
		if (status == 0 && read->native && read->verdict == MIGRATE_UNREAD) {
			log_error(
			    "migrate-engine = native cannot read _prisma_migrations (%s), which it needs to apply the "
			    "migrations: the app was not started",
			    read->unread);
			status = EXIT_MIGRATE;
		} else if (status == 0 && read->native && read->verdict == MIGRATE_DEPLOY)
			status = apply_natively(read, loop, target, limit);
		else if (status == 0)
			status = deploy(invocation, loop, read->plan, read->session, read->reason);
		if (status != 0)
			return status;
	}
	return settle_seed(invocation, loop, read->session, target, true);
}

/* Wait mode, connected: read the rows until every migration of the folder is
 * applied, within wait-timeout, connecting again with params when a read
 * fails. Never deploys. read->session may be another one (or NULL) after. */
static int wait_connected(const struct invocation *invocation, struct loop *loop, struct migrate_read *read,
                          const struct pg_session_params *params)
{
	int64_t timeout_ms = config_duration_ms(&invocation->config, SETTING_WAIT_TIMEOUT);
	struct rows_watch watch = {.read = read, .waiting_while = MIGRATE_WAIT, .reconnect = params};
	char announce[LINE_MAX_CHARS];
	char waited[32];
	int status = read_and_judge(read);

	read->first = false;
	if (status != 0 || read->verdict != MIGRATE_WAIT)
		return status;
	watch.deadline_ms = wait_deadline(timeout_ms);
	snprintf(announce, sizeof(announce),
	         "migrate-mode = wait: %.1000s: waiting for another process (a migration Job, an initContainer) to "
	         "apply %s",
	         read->reason, read->pending == 1 ? "it" : "them");
	status = watch_rows(&watch, loop, announce, "the migrations to be applied by another process");
	if (status != 0 || !watch.timed_out)
		return status;
	value_format_duration(timeout_ms, waited, sizeof(waited));
	if (read->unread[0])
		log_error(
		    "migrate-mode = wait: _prisma_migrations still cannot be read after %s (wait-timeout): %s; the "
		    "app was not started",
		    waited, read->unread);
	else if (read->pending == 0)
		log_error("migrate-mode = wait: %s after %s (wait-timeout): the app was not started", read->reason,
		          waited);
	else
		log_error("migrate-mode = wait: %zu migration%s still pending after %s (wait-timeout): %s; did the "
		          "migration Job (or initContainer) run? the app was not started",
		          read->pending, read->pending == 1 ? "" : "s", waited, read->pending_names);
	return EXIT_TIMEOUT;
}

static enum pg_session_status open_session(const struct config *config, const struct pg_target *target,
                                           struct pg_session **session, char *error, size_t error_size)
{
	struct pg_session_params params = phase_session_params(config, target);

	return pgconn_session_open(&params, session, error, error_size);
}

/* The first read of a start through session, with the settings' policy. */
static struct migrate_read first_read(const struct config *config, struct pg_session *session,
                                      const struct migrate_plan *plan, bool wait_mode)
{
	return (struct migrate_read){
	    .session = session,
	    .plan = plan,
	    .policy = {.wait = wait_mode,
	               .unknown_is_error =
	                   config_choice(config, SETTING_UNKNOWN_MIGRATIONS) == CHOICE_UNKNOWN_MIGRATIONS_ERROR,
	               .baseline_auto = !wait_mode && config_choice(config, SETTING_BASELINE) == CHOICE_BASELINE_AUTO},
	    .first = true,
	    .native = config_choice(config, SETTING_MIGRATE_ENGINE) == CHOICE_MIGRATE_ENGINE_NATIVE,
	};
}

/* After status (0: done) of a deploy that created database target (it did
 * not exist when this start looked): with seed = once, the database owes
 * its seed, unless another start racing this one recorded it first. Seeds
 * it through a session of its own, under the migrate lock. */
static int seed_created_database(const struct invocation *invocation, struct loop *loop, const struct pg_target *target,
                                 int status)
{
	struct pg_session *session = NULL;
	enum pg_seed_state state = PG_SEED_NONE;
	char error[LINE_MAX_CHARS];
	enum pg_session_status opened;

	if (status != 0 || !phase_seed_wanted(invocation))
		return status;
	opened = open_session(&invocation->config, target, &session, error, sizeof(error));
	if (opened == PG_SESSION_STOPPED)
		return phase_report_stopped("connecting to seed the database");
	if (opened != PG_SESSION_OK) {
		log_error("seed = once: cannot connect to database \"%.255s\", which prisma migrate deploy created, to "
		          "seed it (%s): the app was not started",
		          target->dbname, error);
		return EXIT_SEED;
	}
	status = take_lock(session, loop, target, lock_limit(&invocation->config));
	if (status == 0) {
		char when[64];

		status = phase_seed_read(session, target->dbname, &state, when, sizeof(when));
	}
	if (status == 0 && state == PG_SEED_NONE)
		status = phase_seed_owe(session, target->dbname);
	if (status == 0)
		status = settle_seed(invocation, loop, session, target, true);
	pgconn_session_close(session);
	return status;
}

/* The lock a start holds in the server's maintenance database while it
 * creates and first migrates database dbname ("pe-c" and a hash of the name:
 * one lock per database). */
static int64_t create_lock_key(const char *dbname)
{
	uint32_t hash = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)dbname; *p; p++)
		hash = (hash ^ *p) * 16777619u;
	return (int64_t)(0x70652d63LL << 32 | hash);
}

/* A session to the server's maintenance database (postgres, else template1),
 * for a database that does not exist yet. Returns OK with *session, or why
 * not (error filled). */
static enum pg_session_status open_maintenance(const struct config *config, const struct pg_target *target,
                                               struct pg_target *maintenance, struct pg_session **session, char *error,
                                               size_t error_size)
{
	static const char *const names[] = {"postgres", "template1"};
	enum pg_session_status opened = PG_SESSION_FAILED;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (pgconn_target_for_database(target, names[i], maintenance) < 0) {
			snprintf(error, error_size, "%s", strerror(errno));
			return PG_SESSION_FAILED;
		}
		opened = open_session(config, maintenance, session, error, error_size);
		if (opened != PG_SESSION_NO_DATABASE)
			return opened;
		pgconn_target_release(maintenance);
	}
	return opened;
}

/* The database the URL names does not exist yet: one start at a time, under
 * a lock in the maintenance database held until its first deploy is done,
 * creates it and migrates it; the others wait for that, then find it up to
 * date. When it cannot be created here (no CREATEDB privilege, no
 * maintenance database), deploy runs, which creates it with Prisma's own
 * engine. */
static int migrate_missing_database(const struct invocation *invocation, struct loop *loop,
                                    const struct migrate_plan *plan, const struct pg_target *target)
{
	const struct config *config = &invocation->config;
	struct pg_target maintenance = {0};
	struct pg_session *admin = NULL;
	struct pg_session *session = NULL;
	char error[LINE_MAX_CHARS];
	char reason[LINE_MAX_CHARS];
	char what[LINE_MAX_CHARS];
	char announce[LINE_MAX_CHARS];
	enum pg_session_status opened;
	bool exists = false;
	int status;

	snprintf(reason, sizeof(reason), "database \"%.255s\" does not exist yet, and deploy creates it",
	         target->dbname);
	opened = open_maintenance(config, target, &maintenance, &admin, error, sizeof(error));
	if (opened == PG_SESSION_STOPPED) {
		pgconn_target_release(&maintenance);
		return phase_report_stopped("connecting to create the database");
	}
	if (opened != PG_SESSION_OK) {
		log_warning("cannot reach the server's maintenance database to create \"%.255s\" (%s): running prisma "
		            "migrate deploy, which creates it",
		            target->dbname, error);
		pgconn_target_release(&maintenance);
		return seed_created_database(invocation, loop, target, deploy(invocation, loop, plan, NULL, reason));
	}
	snprintf(what, sizeof(what), "the create lock (database \"%.255s\")", target->dbname);
	snprintf(announce, sizeof(announce), "another process is creating and migrating database \"%.255s\"",
	         target->dbname);
	status = take_advisory_lock(admin, loop, create_lock_key(target->dbname), what, announce, lock_limit(config));
	if (status == 0 &&
	    pgconn_session_database_exists(admin, target->dbname, &exists, error, sizeof(error)) != PG_SESSION_OK)
		exists = false;
	if (status == 0 && exists) {
		/* Another start created it and held this lock until its first
		 * deploy was done: nothing is left to wait for, and the next
		 * waiters need not queue behind this start's read (the migrate
		 * lock still guards a deploy). */
		pgconn_session_close(admin);
		admin = NULL;
	}
	if (status == 0 && !exists) {
		log_info("database \"%.255s\" does not exist yet: creating it", target->dbname);
		exists = pgconn_session_create_database(admin, target->dbname, error, sizeof(error)) == PG_SESSION_OK;
		if (!exists)
			log_warning(
			    "cannot create database \"%.255s\" (%s): running prisma migrate deploy, which creates it",
			    target->dbname, error);
	}
	if (status == 0) {
		opened = exists ? open_session(config, target, &session, error, sizeof(error)) : PG_SESSION_NO_DATABASE;
		if (opened == PG_SESSION_STOPPED)
			status = phase_report_stopped("connecting to read the migrations");
		else if (opened != PG_SESSION_OK)
			status = seed_created_database(invocation, loop, target,
			                               deploy(invocation, loop, plan, NULL, reason));
		else {
			struct migrate_read read = first_read(config, session, plan, false);

			status = migrate_connected(invocation, loop, &read, target);
			session = read.session;
		}
	}
	/* The create lock goes with the maintenance session: only now, after
	 * the first deploy, may the next start look. */
	pgconn_session_close(session);
	pgconn_session_close(admin);
	pgconn_target_release(&maintenance);
	return status;
}

/* PostgreSQL: read the rows natively, deploy only when something is pending,
 * holding the lock from the first read after it to the end of the deploy; in
 * wait mode, read them until another process has applied everything. */
/* A session for url: over the wait's connection when it was made for the
 * same URL and still works, else a new login. */
static enum pg_session_status open_first_session(const struct pg_session_params *params, const char *url,
                                                 struct phase_connection *connection, struct pg_session **session,
                                                 char *error, size_t error_size)
{
	if (connection && connection->probe && connection->url && strcmp(connection->url, url) == 0) {
		struct pg_probe *probe = connection->probe;
		enum pg_session_status adopted;

		connection->probe = NULL;
		adopted = pgconn_session_adopt(params, probe, session, error, error_size);
		if (adopted != PG_SESSION_FAILED) {
			if (adopted == PG_SESSION_OK)
				log_verbose("reading the migrations through the wait's connection");
			return adopted;
		}
		log_verbose("the wait's connection no longer works (%s): connecting again", error);
	}
	return pgconn_session_open(params, session, error, error_size);
}

static int migrate_postgres(const struct invocation *invocation, struct loop *loop, const struct migrate_plan *plan,
                            const char *url, bool wait_mode, struct phase_connection *connection)
{
	const struct config *config = &invocation->config;
	struct pg_target target;
	struct pg_session_params params = phase_session_params(config, &target);
	struct pg_session *session = NULL;
	char error[LINE_MAX_CHARS];
	enum pg_session_status opened;
	int status;

	if (pgconn_target_from_url(url, &target, error, sizeof(error)) < 0) {
		log_error("%s", error);
		return EXIT_CONFIG;
	}
	opened = open_first_session(&params, url, connection, &session, error, sizeof(error));
	if (opened == PG_SESSION_STOPPED) {
		status = phase_report_stopped("connecting to read the migrations");
	} else if (opened != PG_SESSION_OK && wait_mode) {
		log_error("migrate-mode = wait: cannot read the migrations (%s): the app was not started", error);
		status = EXIT_UNAVAILABLE;
	} else if (opened == PG_SESSION_NO_DATABASE) {
		status = migrate_missing_database(invocation, loop, plan, &target);
	} else if (opened != PG_SESSION_OK) {
		log_warning("cannot read the migrations natively (%s): running prisma migrate deploy to find out",
		            error);
		status = deployed_unread(invocation,
		                         deploy(invocation, loop, plan, NULL, "the database could not be checked"));
	} else {
		struct migrate_read read = first_read(config, session, plan, wait_mode);

		status = wait_mode ? wait_connected(invocation, loop, &read, &params)
		                   : migrate_connected(invocation, loop, &read, &target);
		session = read.session;
	}
	pgconn_session_close(session);
	pgconn_target_release(&target);
	return status;
}

int phase_migrate(const struct invocation *invocation, struct loop *loop, const struct phase_schema *schema,
                  struct phase_connection *connection)
{
	const struct config *config = &invocation->config;
	struct migrate_plan plan = {0};
	enum plan_found found = migrate_plan_find(config, schema, &plan);
	const char *url = migrate_plan_url(config, &plan);
	bool wait_mode = migrate_plan_mode(config) == CHOICE_MIGRATE_WAIT;
	bool postgres = url && (url_has_scheme(url, "postgresql") || url_has_scheme(url, "postgres"));
	char error[LINE_MAX_CHARS];
	int status;

	/* The start's check keeps the verified-migrations record (status only
	 * reads it). */
	plan.record_write = true;
	plan.record_owned = phase_file_owner(invocation, &plan.record_owner) != NULL;

	if (migrate_plan_mode(config) == CHOICE_MIGRATE_PUSH &&
	    (found == PLAN_READY || found == PLAN_NO_FOLDER || found == PLAN_NO_MIGRATIONS)) {
		/* db push needs the schema only; migrations are not applied. */
		if (found == PLAN_READY) {
			log_verbose("migrate-mode = push: the migrations in %s are not applied", plan.folder_path);
			migrations_folder_release(&plan.folder);
		}
		return migrate_push(invocation, loop, &plan, url);
	}
	if (found != PLAN_READY)
		return report_plan(config, found, &plan);
	if (plan.direct_url_problem[0])
		log_warning("%s: migrations go through database-url; set DIRECT_URL (or direct-url) to the database's "
		            "direct URL",
		            plan.direct_url_problem);
	else if (plan.direct_url[0])
		log_verbose("migrations go through the direct URL from %s", plan.direct_url_origin);
	if (url && url[0] && (status = migrate_plan_check_provider(&plan, url, error, sizeof(error))) != 0) {
		log_error("%s", error);
	} else if (!wait_mode && !postgres &&
	           config_choice(config, SETTING_MIGRATE_ENGINE) == CHOICE_MIGRATE_ENGINE_NATIVE) {
		log_error("migrate-engine = native applies migrations on PostgreSQL only (database-url %s): use "
		          "migrate-engine = prisma",
		          url && url[0] ? "names another database" : "is not set");
		status = EXIT_CONFIG;
	} else if (wait_mode && !postgres) {
		log_error("migrate-mode = wait reads _prisma_migrations itself, which it can only do on PostgreSQL "
		          "(database-url %s): use migrate-mode = deploy or off",
		          url && url[0] ? "names another database" : "is not set");
		status = EXIT_CONFIG;
	} else if (!url || !url[0]) {
		status = deploy(invocation, loop, &plan, NULL,
		                "database-url is not set, so the database cannot be checked first");
	} else if (!postgres) {
		status = deploy(invocation, loop, &plan, NULL, "only PostgreSQL databases are checked first");
	} else {
		status = migrate_postgres(invocation, loop, &plan, url, wait_mode, connection);
	}
	migrations_folder_release(&plan.folder);
	return status;
}
