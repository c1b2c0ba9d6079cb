/* seed = once: `prisma db seed` once per database, run by the migrate phase
 * under its lock (phase-migrate.c decides when), recorded in the database
 * (pg-session.h: table prisma_entrypoint.seed) so that replicas and new
 * containers agree; and, before anything runs, the check that the seed
 * command and the program it starts are there. */
#include "phases.h"

#include "exit-codes.h"
#include "log.h"
#include "migrate-plan.h"
#include "prisma.h"
#include "seed-command.h"
#include "url.h"
#include "value.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LINE_MAX_CHARS (2 * PATH_MAX + 256)

bool phase_seed_wanted(const struct invocation *invocation)
{
	return config_choice(&invocation->config, SETTING_SEED) == CHOICE_SEED_ONCE &&
	       migrate_plan_mode(&invocation->config) == CHOICE_MIGRATE_DEPLOY;
}

/* The seed command of the working directory; 0, or an exit code after one
 * line (none configured, not readable). */
static int find_command(struct seed_command *seed)
{
	char error[LINE_MAX_CHARS];
	struct schema_stop stop = {.should_stop = phase_stop_pending};
	int found = seed_command_find(".", seed, &stop, error, sizeof(error));

	if (found == SCHEMA_STOPPED)
		return phase_report_stopped("reading the seed command");
	if (found < 0) {
		log_error("seed = once: %s", error);
		return EXIT_CONFIG;
	}
	if (!seed->command) {
		log_error(
		    "seed = once, but no seed command is configured: set migrations.seed in prisma.config.ts (a "
		    "plain string, such as \"tsx prisma/seed.ts\") or \"prisma\": {\"seed\": ...} in package.json, "
		    "or set seed = off");
		return EXIT_CONFIG;
	}
	return 0;
}

int phase_seed_check(const struct invocation *invocation)
{
	const struct config *config = &invocation->config;
	const char *url = config_text(config, SETTING_DATABASE_URL);
	struct seed_command seed;
	char program[256];
	char path[PATH_MAX];
	int status;

	if (config_choice(config, SETTING_SEED) != CHOICE_SEED_ONCE)
		return 0;
	if (!phase_seed_wanted(invocation) && migrate_plan_mode(config) == CHOICE_MIGRATE_PUSH) {
		log_warning(
		    "seed = once seeds after the migrations are deployed, and migrate-mode = push deploys none: "
		    "the seed is not run (run prisma db seed yourself, or use migrate-mode = deploy)");
		return 0;
	}
	if (!phase_seed_wanted(invocation)) {
		log_verbose("seed = once: migrate-mode is %s: the process that deploys the migrations seeds",
		            migrate_plan_mode(config) == CHOICE_MIGRATE_WAIT ? "wait" : "off");
		return 0;
	}
	if (!url || !(url_has_scheme(url, "postgresql") || url_has_scheme(url, "postgres"))) {
		log_error("seed = once records the seed in the database, which it can only do on PostgreSQL "
		          "(database-url %s): set seed = off",
		          url && url[0] ? "names another database" : "is not set");
		return EXIT_CONFIG;
	}
	if ((status = find_command(&seed)) != 0)
		return status;
	seed_command_program(seed.command, program, sizeof(program));
	if (seed_command_locate(".", program, path, sizeof(path)) < 0) {
		log_error("seed = once: the seed command `%s` needs `%s`, which is not installed (a devDependency left "
		          "out of the image?); looked in ./node_modules/.bin and PATH",
		          seed.command, program);
		seed_command_release(&seed);
		return EXIT_CONFIG;
	}
	log_verbose("seed = once: seed command `%s` (from %s), %s found at %s", seed.command, seed.from, program, path);
	seed_command_release(&seed);
	return 0;
}

int phase_seed_read(struct pg_session *session, const char *dbname, enum pg_seed_state *state, char *when,
                    size_t when_size)
{
	char error[LINE_MAX_CHARS];
	enum pg_session_status read = pgconn_session_seed_state(session, state, when, when_size, error, sizeof(error));

	if (read == PG_SESSION_STOPPED)
		return phase_report_stopped("reading the seed record");
	if (read != PG_SESSION_OK) {
		log_error(
		    "seed = once: cannot read the seed record of database \"%.255s\" (prisma_entrypoint.seed): %s; "
		    "the app was not started",
		    dbname, error);
		return EXIT_SEED;
	}
	return 0;
}

int phase_seed_owe(struct pg_session *session, const char *dbname)
{
	char error[LINE_MAX_CHARS];
	enum pg_session_status owed = pgconn_session_seed_owe(session, error, sizeof(error));

	if (owed == PG_SESSION_STOPPED)
		return phase_report_stopped("recording the seed as owed");
	if (owed != PG_SESSION_OK) {
		log_error(
		    "seed = once: cannot record in database \"%.255s\" that it is to be seeded (schema "
		    "prisma_entrypoint, table seed): %s; the URL's user needs the CREATE privilege on the database, "
		    "or set seed = off; nothing was applied",
		    dbname, error);
		return EXIT_SEED;
	}
	log_verbose("seed = once: database \"%.255s\" gets its first migration from this start: it is owed its seed",
	            dbname);
	return 0;
}

/* Records the run's outcome (failure NULL: done); 0, or EXIT_SEED when the
 * record cannot be written. */
static int settle(struct pg_session *session, const char *dbname, const char *failure)
{
	char error[LINE_MAX_CHARS];

	if (pgconn_session_seed_settle(session, failure, error, sizeof(error)) == PG_SESSION_OK)
		return 0;
	log_error("seed = once: cannot record in database \"%.255s\" that its seed %s: %s; the app was not started",
	          dbname, failure ? "failed" : "ran", error);
	return EXIT_SEED;
}

int phase_seed_run(const struct invocation *invocation, struct loop *loop, struct pg_session *session,
                   const char *dbname, const char *owed_since)
{
	const struct config *config = &invocation->config;
	static const char *const args[] = {"db", "seed", NULL};
	char bin[PATH_MAX];
	char cwd[PATH_MAX - 32];
	struct prisma_run_params params = {
	    .loop = loop,
	    .signals = invocation->signals,
	    .user = phase_child_user(invocation),
	    .args = args,
	    .database_url = config_text(config, SETTING_DATABASE_URL),
	    .output_prefix = config_text(config, SETTING_PRISMA_OUTPUT_PREFIX),
	    .stop_timeout_ms = config_duration_ms(config, SETTING_STOP_TIMEOUT),
	};
	struct seed_command seed;
	struct child_result result;
	struct prisma_cli cli;
	char error[LINE_MAX_CHARS];
	char failure[128];
	int status;

	if (prisma_locate(config_text(config, SETTING_PRISMA_CLI), &cli, error, sizeof(error)) < 0) {
		log_error("%s", error);
		return EXIT_CONFIG;
	}
	if ((status = find_command(&seed)) != 0)
		return status;
	/* Absolute: the CLI's PATH must hold whatever folder it runs in. */
	if (getcwd(cwd, sizeof(cwd))) {
		snprintf(bin, sizeof(bin), "%s/node_modules/.bin", cwd);
		params.path_first = bin;
	}
	params.cli = &cli;
	log_info("running prisma db seed: database \"%.255s\" is owed its seed (since %s): `%s` from %s", dbname,
	         owed_since, seed.command, seed.from);
	seed_command_release(&seed);
	prisma_run(&params, &result);
	status = phase_cli_ended(&result, &cli, "prisma db seed",
	                         "the database still owes its seed, and the next start runs it again", failure,
	                         sizeof(failure));
	if (status == 0) {
		char took[32];

		value_format_duration(result.elapsed_ms, took, sizeof(took));
		log_info("prisma db seed finished in %s: database \"%.255s\" is seeded, and no start seeds it again",
		         took, dbname);
		return settle(session, dbname, NULL);
	}
	if (status != PHASE_CLI_FAILED)
		return status;
	status = settle(session, dbname, failure);
	if (status != 0)
		return status;
	log_error("prisma db seed failed (%s): the app was not started; its output above says why; database "
	          "\"%.255s\" still owes its seed, and the next start (in any container) runs it again",
	          failure, dbname);
	return EXIT_SEED;
}
