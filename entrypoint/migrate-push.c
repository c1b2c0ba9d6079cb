/* migrate-mode = push (migrate-push.h). The record lives next to the
 * generate record, one file per database (push-<hash of its identity>), so
 * one project pushed to two databases (schema.prisma against PostgreSQL,
 * schema.sqlite.prisma against a file) keeps one record for each. */
#include "migrate-push.h"

#include "exit-codes.h"
#include "generate-record.h"
#include "lockfile.h"
#include "log.h"
#include "output-watch.h"
#include "pg-target.h"
#include "schema.h"
#include "url.h"
#include "value.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINE_MAX_CHARS (2 * PATH_MAX + 256)

static const struct record_kind push_record = {
    .what = "push record",
    .comment = "schema inputs of the last successful prisma db push to this database",
    .label = "database",
};

/* What prisma db push (6.19) prints, in the order of output_watch.phrases. */
enum push_phrase { PUSH_IN_SYNC, PUSH_ALREADY_IN_SYNC, PUSH_DATA_LOSS, PUSH_ACCEPT_FLAG, PUSH_UNEXECUTABLE };

static bool push_work_done(void *arg)
{
	const struct output_watch *watch = arg;

	return watch->seen[PUSH_IN_SYNC] || watch->seen[PUSH_ALREADY_IN_SYNC];
}

/* The database's identity, without its password: "postgresql db:5432/app
 * schema public", "sqlite /app/prisma/dev.db", or the URL redacted. For
 * SQLite, *sqlite_file is the file (else ""). */
static int database_identity(const char *url, const struct schema_inputs *inputs, char *identity, size_t size,
                             char *sqlite_file, size_t file_size)
{
	char error[LINE_MAX_CHARS];

	sqlite_file[0] = '\0';
	if (url_has_scheme(url, "postgresql") || url_has_scheme(url, "postgres")) {
		struct pg_target target;

		if (pgconn_target_from_url(url, &target, error, sizeof(error)) < 0) {
			log_error("%s", error);
			return EXIT_CONFIG;
		}
		snprintf(identity, size, "postgresql %s/%s schema %s", target.display, target.dbname, target.schema);
		pgconn_target_release(&target);
		return 0;
	}
	if (url_has_scheme(url, "file")) {
		if (migrate_plan_sqlite_file(url, inputs, sqlite_file, file_size, error, sizeof(error)) < 0) {
			log_error("database-url: %s", error);
			return EXIT_CONFIG;
		}
		snprintf(identity, size, "sqlite %s", sqlite_file);
		return 0;
	}
	url_for_message(url, identity, size);
	return 0;
}

/* node_modules/.cache/prisma-entrypoint/push-<16 hex digits of the identity's FNV-1a hash>. */
static void record_path_for(const struct config *config, const char *identity, char *path, size_t size)
{
	char folder[PATH_MAX];
	uint64_t hash = 14695981039346656037ull;

	for (const unsigned char *p = (const unsigned char *)identity; *p; p++)
		hash = (hash ^ *p) * 1099511628211ull;
	snprintf(folder, sizeof(folder), "%s", config_text(config, SETTING_GENERATE_RECORD));
	snprintf(path, size, "%s/push-%016llx", dirname(folder), (unsigned long long)hash);
}

/* The schema's inputs (the generate phase's: the .prisma files, the config
 * file, the prisma versions) and their digest. */
static int schema_inputs_digest(const struct migrate_plan *plan, struct schema_inputs *inputs, char hex[65])
{
	struct schema_stop stop = {.should_stop = phase_stop_pending};
	char error[LINE_MAX_CHARS];
	int found;

	found = schema_find(".", plan->schema_path, inputs, &stop, error, sizeof(error));
	if (found == 1)
		found = schema_digest(inputs, NULL, hex, &stop, error, sizeof(error)) == 0 ? 1
		        : stop.stopped                                                     ? SCHEMA_STOPPED
		                                                                           : -1;
	if (found == SCHEMA_STOPPED)
		return phase_report_stopped("reading the prisma schema");
	if (found != 1) {
		log_error("migrate-mode = push: cannot read the schema %s: %s", plan->schema_path, error);
		return EXIT_CONFIG;
	}
	return 0;
}

/* Runs prisma db push; 0 when it succeeded, else an exit code. The push is
 * done when Prisma says the database is in sync: a CLI that lingers then is
 * stopped deploy-linger later, its work counted, as for migrate deploy. */
static int run_push(const struct invocation *invocation, struct loop *loop, const struct migrate_plan *plan,
                    const char *database)
{
	const struct config *config = &invocation->config;
	bool accept = config_bool(config, SETTING_PUSH_ACCEPT_DATA_LOSS);
	/* Prisma 7's db push never generates, and rejects --skip-generate;
	 * before it, the generate phase has done that work already. */
	const char *skip_generate = plan->prisma_major >= 7 ? NULL : "--skip-generate";
	const char *args[8] = {"db", "push", "--schema", plan->schema_path};
	size_t argc = 4;
	struct prisma_run_params params;
	struct output_watch watch = {.phrases = {[PUSH_IN_SYNC] = "Your database is now in sync",
	                                         [PUSH_ALREADY_IN_SYNC] = "already in sync with the Prisma schema",
	                                         [PUSH_DATA_LOSS] = "There might be data loss",
	                                         [PUSH_ACCEPT_FLAG] = "Use the --accept-data-loss flag",
	                                         [PUSH_UNEXECUTABLE] = "changes that cannot be executed"}};
	struct child_result result;
	struct prisma_cli cli;
	char error[LINE_MAX_CHARS];
	char how[64];
	char took[32];
	bool lingered = false;
	int ended;

	if (skip_generate)
		args[argc++] = skip_generate;
	if (accept)
		args[argc++] = "--accept-data-loss";
	args[argc] = NULL;
	if (migrate_plan_cli_params(invocation, loop, plan, args, &cli, &params, error, sizeof(error)) < 0) {
		log_error("%s", error);
		return EXIT_CONFIG;
	}
	params.unattended = true; /* on a terminal, a push that would lose data would ask instead of stopping */
	params.on_output = output_watch_feed;
	params.on_output_arg = &watch;
	migrate_plan_cli_linger(config, &params, push_work_done, &watch, &lingered);
	log_verbose("running %s db push --schema %s%s%s (found by %s)", cli.program, plan->schema_path,
	            skip_generate ? " --skip-generate" : "", accept ? " --accept-data-loss" : "", cli.found_by);
	prisma_run(&params, &result);
	value_format_duration(result.elapsed_ms, took, sizeof(took));
	if (lingered && !result.received_stop && result.outcome != CHILD_LOOP_FAILED) {
		log_info("prisma db push finished in %s (the database was in sync; it was stopped after lingering for "
		         "deploy-linger)",
		         took);
		return 0;
	}
	ended = phase_cli_ended(&result, &cli, "prisma db push", "the database may have part of the schema's changes",
	                        how, sizeof(how));
	if (ended == PHASE_CLI_FAILED && !accept && (watch.seen[PUSH_DATA_LOSS] || watch.seen[PUSH_ACCEPT_FLAG])) {
		log_error(
		    "prisma db push would lose data in %s (its warnings above): nothing was pushed and the app was "
		    "not started; keep the data (undo the schema change, or move the data first), or set "
		    "push-accept-data-loss = true to let the push drop it",
		    database);
		return EXIT_MIGRATE;
	}
	if (ended == PHASE_CLI_FAILED) {
		log_error("prisma db push failed (%s): the app was not started; its output above says why%s", how,
		          watch.seen[PUSH_UNEXECUTABLE] ? " (a change it cannot make to a table that has rows)" : "");
		return EXIT_MIGRATE;
	}
	if (ended != 0)
		return ended;
	log_info("prisma db push finished in %s", took);
	return 0;
}

/* Takes the lock next to the record, waiting while another start pushes. */
static int take_lock(const struct invocation *invocation, struct loop *loop, struct lockfile *lock,
                     const char *record_path)
{
	char lock_path[PATH_MAX + 8];
	char cannot_open[PATH_MAX + 64];
	const struct phase_lock_text text = {
	    .cannot_open = cannot_open,
	    .advice = "set generate-record to a writable place",
	    .holder = "pushing the schema",
	    .doing = "pushing",
	};
	struct file_owner owner;

	snprintf(lock_path, sizeof(lock_path), "%s.lock", record_path);
	snprintf(cannot_open, sizeof(cannot_open), "cannot write the push record %s", record_path);
	return phase_take_file_lock(lock, loop, lock_path, lockfile_open, phase_file_owner(invocation, &owner), &text,
	                            NULL);
}

/* What a push looks at: the database, its record, the schema's digest. */
struct push_target {
	char identity[PATH_MAX + 64];
	char sqlite_file[PATH_MAX];
	char record_path[PATH_MAX];
	char digest[65];
};

static int find_target(const struct config *config, const struct migrate_plan *plan, const char *url,
                       struct push_target *target)
{
	struct schema_inputs inputs = {0};
	int status;

	if (!url || !url[0]) {
		log_error("migrate-mode = push needs database-url (DATABASE_URL)");
		return EXIT_CONFIG;
	}
	status = schema_inputs_digest(plan, &inputs, target->digest);
	if (status == 0)
		status = database_identity(url, &inputs, target->identity, sizeof(target->identity),
		                           target->sqlite_file, sizeof(target->sqlite_file));
	schema_inputs_release(&inputs);
	if (status == 0)
		record_path_for(config, target->identity, target->record_path, sizeof(target->record_path));
	return status;
}

/* Whether target's database has its schema, as its record says; reason
 * says why not (for "running prisma db push to ...: REASON"). */
static enum push_state judge(const struct push_target *target, char *reason, size_t reason_size)
{
	char recorded[65] = "";
	char error[LINE_MAX_CHARS];
	struct stat st;
	int found = record_read_as(push_record.what, target->record_path, recorded, error, sizeof(error));

	if (found < 0)
		log_warning("%s", error);
	if (target->sqlite_file[0] && stat(target->sqlite_file, &st) < 0) {
		snprintf(reason, reason_size, "the SQLite file %.4000s does not exist yet", target->sqlite_file);
		return PUSH_PENDING;
	}
	if (found == 1 && strcmp(recorded, target->digest) == 0) {
		snprintf(reason, reason_size, "schema unchanged since the last prisma db push to %s", target->identity);
		return PUSH_CURRENT;
	}
	snprintf(reason, reason_size, "%s",
	         found == 1 ? "the schema changed since the last push" : "no push recorded for this database yet");
	return PUSH_PENDING;
}

int migrate_push_state(const struct config *config, const struct migrate_plan *plan, const char *url,
                       enum push_state *state, char *why, size_t why_size)
{
	struct push_target target;
	int status = find_target(config, plan, url, &target);

	if (status == 0)
		*state = judge(&target, why, why_size);
	return status;
}

int migrate_push(const struct invocation *invocation, struct loop *loop, const struct migrate_plan *plan,
                 const char *url)
{
	const struct config *config = &invocation->config;
	struct lockfile lock = LOCKFILE_INIT;
	struct push_target target;
	struct file_owner owner;
	char error[LINE_MAX_CHARS];
	char reason[PATH_MAX + 256];
	int status = find_target(config, plan, url, &target);

	if (status != 0)
		return status;
	/* The record first, as generate does: a start with nothing to push
	 * writes nothing, not even a lock file (a read-only folder is fine). */
	if (judge(&target, reason, sizeof(reason)) == PUSH_CURRENT) {
		log_info("%s: push skipped", reason);
		return 0;
	}
	status = take_lock(invocation, loop, &lock, target.record_path);
	if (status != 0)
		goto done;
	/* Another start may have pushed while this one waited. */
	if (judge(&target, reason, sizeof(reason)) == PUSH_CURRENT) {
		log_info("%s: push skipped", reason);
		goto done;
	}
	log_info("running prisma db push to %s: %s", target.identity, reason);
	status = run_push(invocation, loop, plan, target.identity);
	if (status == 0 && record_write_as(&push_record, target.record_path, target.digest, target.identity,
	                                   phase_file_owner(invocation, &owner), error, sizeof(error)) < 0) {
		log_error("%s: the next start pushes again", error);
		status = EXIT_CANT_CREATE;
	}
done:
	lockfile_release(&lock);
	return status;
}
