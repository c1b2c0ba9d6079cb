#include "migrate-native.h"

#include "exit-codes.h"
#include "fdio.h"
#include "log.h"
#include "loop.h"
#include "migration-checksum.h"
#include "pg-apply.h"
#include "phases.h"
#include "value.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A pending migration, read before anything is applied. */
struct pending_migration {
	const char *name; /* points into the plan's folder */
	char *script;
	char checksum[65];
};

static void pending_release(struct pending_migration *pending, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(pending[i].script);
	free(pending);
}

/* Reads each pending migration's migration.sql, in the folder's order.
 * Returns 0 with *pending (release it), or an exit code after saying why. */
static int read_pending(struct pg_session *session, const struct migrate_plan *plan, struct pending_migration **pending,
                        size_t *count)
{
	const struct migrations_folder *folder = &plan->folder;
	struct migration_row *rows = NULL;
	struct migration_lookup applied;
	struct migration_checksummer checksummer;
	size_t row_count = 0;
	bool found;
	char error[MIGRATE_PLAN_LINE_MAX];
	enum pg_session_status status =
	    pgconn_session_migrations(session, &rows, &row_count, &found, error, sizeof(error));

	*pending = NULL;
	*count = 0;
	if (status == PG_SESSION_STOPPED)
		return phase_report_stopped("reading the migrations table");
	if (status != PG_SESSION_OK) {
		log_error("cannot read _prisma_migrations to apply the migrations (%s): the app was not started",
		          error);
		return EXIT_MIGRATE;
	}
	if ((folder->count && !(*pending = calloc(folder->count, sizeof(**pending)))) ||
	    migration_lookup_init(&applied, rows, row_count) < 0) {
		free(*pending);
		*pending = NULL;
		migration_rows_free(rows, row_count);
		log_error("cannot apply the migrations: %s", strerror(ENOMEM));
		return EXIT_OS_ERROR;
	}
	if (migration_checksummer_init(&checksummer, error, sizeof(error)) < 0) {
		log_error("cannot apply the migrations: %s", error);
		free(*pending);
		*pending = NULL;
		migration_lookup_release(&applied);
		migration_rows_free(rows, row_count);
		return EXIT_MIGRATE;
	}
	for (size_t i = 0; i < folder->count; i++) {
		struct pending_migration *next = &(*pending)[*count];
		char path[MIGRATE_PLAN_LINE_MAX];
		size_t len;

		if (!migrations_is_pending(&applied, folder->names[i]))
			continue;
		next->name = folder->names[i];
		snprintf(path, sizeof(path), "%s/%s/migration.sql", plan->folder_path, folder->names[i]);
		if (fdio_read_regular(path, MIGRATION_FILE_MAX, &next->script, &len, error, sizeof(error)) !=
		    FDIO_OPENED) {
			log_error(
			    "migration %s cannot be applied: %s (Prisma's P3015): nothing was applied and the app was "
			    "not started",
			    next->name, error);
			goto failed;
		}
		(*count)++;
		if (memchr(next->script, '\0', len)) {
			log_error(
			    "migration %s cannot be applied: %s holds a NUL byte, which PostgreSQL does not take: "
			    "nothing was applied and the app was not started",
			    next->name, path);
			goto failed;
		}
		if (migration_checksum_of(&checksummer, next->script, len, next->checksum, error, sizeof(error)) < 0) {
			log_error("migration %s cannot be applied: %s", next->name, error);
			goto failed;
		}
	}
	migration_checksummer_release(&checksummer);
	migration_lookup_release(&applied);
	migration_rows_free(rows, row_count);
	return 0;
failed:
	migration_checksummer_release(&checksummer);
	migration_lookup_release(&applied);
	migration_rows_free(rows, row_count);
	pending_release(*pending, *count);
	*pending = NULL;
	*count = 0;
	return EXIT_MIGRATE;
}

/* Says how applying one migration went; 0 when it was applied. */
static int report_applied(enum pg_apply_result result, const struct pending_migration *migration,
                          const struct migrate_plan *plan, const struct pg_apply_failure *failure, const char *error,
                          int64_t started_ms)
{
	char took[32];
	char where[64] = "";
	char code[32] = "";
	char stopped[MIGRATE_PLAN_LINE_MAX];

	switch (result) {
	case PG_APPLY_DONE:
		value_format_duration(loop_now_ms() - started_ms, took, sizeof(took));
		log_info("migration %s applied in %s", migration->name, took);
		return 0;
	case PG_APPLY_FAILED:
		if (failure->line > 0)
			snprintf(where, sizeof(where), " at line %ld", failure->line);
		if (failure->sqlstate[0])
			snprintf(code, sizeof(code), " (SQLSTATE %s)", failure->sqlstate);
		log_error(
		    "migration %s failed%s of %s/%s/migration.sql: %s%s: the app was not started; it is recorded as "
		    "failed and blocks later deploys: repair the database, then run `prisma migrate resolve "
		    "--rolled-back %s` (or --applied %s if it was completed by hand)",
		    migration->name, where, plan->folder_path, migration->name, failure->message, code, migration->name,
		    migration->name);
		return EXIT_MIGRATE;
	case PG_APPLY_STOPPED:
		return phase_report_stopped("applying a migration (it was cancelled and not recorded; the next start "
		                            "applies it)");
	case PG_APPLY_STOPPED_UNSURE:
		snprintf(stopped, sizeof(stopped),
		         "applying migration %s, after its row was written or while it was committed: the next start "
		         "may find it applied, or started but not finished (exit 81 with the way out)",
		         migration->name);
		return phase_report_stopped(stopped);
	case PG_APPLY_LOST:
		break;
	}
	log_error("applying migration %s failed: %s: the app was not started", migration->name, error);
	return EXIT_MIGRATE;
}

int migrate_native_apply(struct pg_session *session, const struct migrate_plan *plan)
{
	struct pending_migration *pending;
	size_t count;
	char error[MIGRATE_PLAN_LINE_MAX];
	int64_t started_ms = loop_now_ms();
	int status = read_pending(session, plan, &pending, &count);
	enum pg_session_status prepared;

	if (status != 0)
		return status;
	prepared = count ? pgconn_apply_prepare(session, error, sizeof(error)) : PG_SESSION_OK;
	if (prepared == PG_SESSION_STOPPED)
		status = phase_report_stopped("preparing to apply the migrations");
	else if (prepared != PG_SESSION_OK) {
		log_error("cannot make _prisma_migrations ready (%s): nothing was applied and the app was not started",
		          error);
		status = EXIT_MIGRATE;
	}
	for (size_t i = 0; i < count && status == 0; i++) {
		struct pg_apply_migration migration = {
		    .name = pending[i].name, .script = pending[i].script, .checksum = pending[i].checksum};
		struct pg_apply_failure failure;
		int64_t applying_ms = loop_now_ms();
		enum pg_apply_result result;

		log_verbose("applying migration %s", pending[i].name);
		result = pgconn_apply_migration(session, &migration, &failure, error, sizeof(error));
		status = report_applied(result, &pending[i], plan, &failure, error, applying_ms);
	}
	if (status == 0) {
		char took[32];

		value_format_duration(loop_now_ms() - started_ms, took, sizeof(took));
		log_info("%zu migration%s applied natively in %s (migrate-engine = native)", count,
		         count == 1 ? "" : "s", took);
	}
	pending_release(pending, count);
	return status;
}

int migrate_native_record_applied(struct pg_session *session, const struct migrate_plan *plan)
{
	struct pending_migration *pending;
	struct pg_apply_migration *list = NULL;
	size_t count;
	char error[MIGRATE_PLAN_LINE_MAX];
	enum pg_session_status recorded;
	int status = read_pending(session, plan, &pending, &count);

	if (status != 0)
		return status;
	if (count && !(list = calloc(count, sizeof(*list)))) {
		pending_release(pending, count);
		log_error("cannot record the baseline: %s", strerror(ENOMEM));
		return EXIT_OS_ERROR;
	}
	for (size_t i = 0; i < count; i++)
		list[i] = (struct pg_apply_migration){
		    .name = pending[i].name, .script = pending[i].script, .checksum = pending[i].checksum};
	recorded = pgconn_apply_prepare(session, error, sizeof(error));
	if (recorded == PG_SESSION_OK)
		recorded = pgconn_apply_record_applied(session, list, count, error, sizeof(error));
	if (recorded == PG_SESSION_STOPPED) {
		status = phase_report_stopped("recording the baseline (nothing was recorded)");
	} else if (recorded != PG_SESSION_OK) {
		log_error("cannot record the baseline in _prisma_migrations (%s): nothing was recorded and the app was "
		          "not started",
		          error);
		status = EXIT_MIGRATE;
	}
	free(list);
	pending_release(pending, count);
	return status;
}
