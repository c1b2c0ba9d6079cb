#include "migrate-baseline.h"

#include "exit-codes.h"
#include "log.h"
#include "migrate-native.h"
#include "phases.h"
#include "prisma.h"

#include <stdio.h>

int migrate_baseline(const struct invocation *invocation, struct loop *loop, struct pg_session *session,
                     const struct migrate_plan *plan, const char *what)
{
	/* The database through the datasource the CLI reads (its url, from
	 * the environment), not --from-url: a URL in argv shows its password to
	 * every process that can read /proc. Prisma 7 renamed the options and
	 * reads the datasource from prisma.config. */
	const char *args6[] = {"migrate",
	                       "diff",
	                       "--from-schema-datasource",
	                       plan->schema_path,
	                       "--to-schema-datamodel",
	                       plan->schema_path,
	                       "--exit-code",
	                       NULL};
	const char *args7[] = {"migrate",     "diff", "--from-config-datasource", "--to-schema", plan->schema_path,
	                       "--exit-code", NULL};
	const char *const *args = plan->prisma_major >= 7 ? args7 : args6;
	struct prisma_run_params params;
	struct child_result result;
	struct prisma_cli cli;
	char error[MIGRATE_PLAN_LINE_MAX];
	char how[64];
	int ended;
	int status;

	if (migrate_plan_cli_params(invocation, loop, plan, args, &cli, &params, error, sizeof(error)) < 0) {
		log_error("baseline = auto needs the prisma CLI to compare the database with the schema: %s", error);
		return EXIT_CONFIG;
	}
	log_info("baseline = auto: the database's schema has %s: comparing it with %s "
	         "(prisma migrate diff)",
	         what, plan->schema_path);
	prisma_run(&params, &result);
	ended = phase_cli_ended(&result, &cli, "prisma migrate diff", "nothing was recorded", how, sizeof(how));
	if (ended == PHASE_CLI_FAILED && result.outcome == CHILD_EXITED && result.status == 2) {
		log_error("baseline = auto: prisma migrate diff found differences between the database and %s (its "
		          "output above): nothing was recorded and the app was not started; bring the database in line "
		          "with the schema, or baseline it by hand (prisma migrate resolve --applied NAME)",
		          plan->schema_path);
		return EXIT_MIGRATE;
	}
	if (ended == PHASE_CLI_FAILED) {
		log_error("baseline = auto: prisma migrate diff could not compare the database with %s (%s; its output "
		          "above says why): nothing was recorded and the app was not started",
		          plan->schema_path, how);
		return EXIT_MIGRATE;
	}
	if (ended != 0)
		return ended;
	if ((status = migrate_native_record_applied(session, plan)) != 0)
		return status;
	log_info("baseline = auto: no difference: the %zu migration%s of %s recorded as applied, as prisma migrate "
	         "resolve --applied records them",
	         plan->folder.count, plan->folder.count == 1 ? "" : "s", plan->folder_path);
	return 0;
}
