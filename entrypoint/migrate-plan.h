/* The migrations as the settings say where to find them, and how the
 * database's _prisma_migrations compares with them; for the migrate phase
 * and status. Nothing here logs: the callers say what the outcome means. */
#ifndef PE_MIGRATE_PLAN_H
#define PE_MIGRATE_PLAN_H

#include "config.h"
#include "file-owner.h"
#include "migrate-verdict.h"
#include "migrations.h"
#include "pg-session.h"
#include "phases.h"
#include "prisma.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define MIGRATE_PLAN_LINE_MAX (2 * PATH_MAX + 256)

/* Prisma's own advisory lock key: prisma migrate deploy holds it while it
 * applies migrations; the native engine takes it too. */
#define PRISMA_LOCK_KEY      72707369LL
#define MIGRATE_PLAN_URL_MAX 4096

/* What looking for the migrations found out. */
struct migrate_plan {
	char schema_path[PATH_MAX];
	int prisma_major; /* the installed prisma's major version (node_modules/prisma), -1: unknown */
	/* The direct URL migrations go through (past a connection pooler):
	 * the direct-url setting (DIRECT_URL), else the schema's directUrl,
	 * else the config file's datasource.directUrl; "" when none, then
	 * database-url serves. */
	char direct_url[MIGRATE_PLAN_URL_MAX];
	char direct_url_origin[PATH_MAX + 128]; /* "DIRECT_URL", "directUrl in prisma/schema.prisma", ... */
	/* The variable the schema or the config file reads directUrl from
	 * ("DIRECT_URL"), "" when none: the CLI must find the direct URL there. */
	char direct_url_variable[256];
	/* A directUrl that is given but cannot be used here: why ("" when none). */
	char direct_url_problem[MIGRATE_PLAN_LINE_MAX];
	char folder_path[PATH_MAX];
	struct migrations_folder folder;
	/* The verified-migrations record (verified-migrations.h): next to the
	 * generate record, one per migrations folder ("" when none). Read
	 * whenever checksums are; written only when record_write is set (the
	 * migrate phase, not status), given to record_owner when owned. */
	char record_path[PATH_MAX];
	bool record_write;
	bool record_owned;
	struct file_owner record_owner;
	char error[MIGRATE_PLAN_LINE_MAX]; /* PLAN_FAILED: why */
	int exit_code;                     /* PLAN_FAILED: what to exit with */
};

/* What looking for the migrations came to. Only READY leaves the folder to
 * release. */
enum plan_found {
	PLAN_READY,         /* a schema, and a migrations folder with migrations in it */
	PLAN_NO_MIGRATE,    /* migrate-mode = off, or the no-migrate setting */
	PLAN_NO_SCHEMA,     /* no prisma schema, and none configured */
	PLAN_NO_FOLDER,     /* no migrations folder next to the schema or in ./prisma */
	PLAN_NO_MIGRATIONS, /* a migrations folder with nothing in it */
	PLAN_STOPPED,       /* a stop signal is pending: it came while looking for the schema */
	PLAN_FAILED,        /* plan->error and plan->exit_code */
};

/* migrate-mode, with no-migrate = true as off whatever migrate-mode says. */
enum migrate_mode_choice migrate_plan_mode(const struct config *config);

/* The URL migrations use: the plan's direct URL, else database-url (NULL
 * when unset). */
const char *migrate_plan_url(const struct config *config, const struct migrate_plan *plan);

/* The variable, besides DATABASE_URL, under which the CLI is given the direct
 * URL: the one the schema or config file reads directUrl from, so that the
 * direct-url setting wins there too; NULL when none. */
const char *migrate_plan_url_variable(const struct migrate_plan *plan);

/* The file a SQLite file: URL names, resolved as Prisma resolves it
 * (url_sqlite_path()): Prisma 7 (the version in node_modules/prisma) from
 * the folder of the Prisma config file (prisma/prisma#28514; the working
 * directory without one); Prisma 6 from the folder of the schema file (or
 * the schema folder), but with a driver adapter (`engine: "js"` in the
 * config file: the adapter opens the path itself, checked with
 * @prisma/adapter-libsql 6.19) and without a schema (inputs NULL) from the
 * working directory. Returns 0, or -1 with a one-line error. */
int migrate_plan_sqlite_file(const char *url, const struct schema_inputs *inputs, char *out, size_t out_size,
                             char *error, size_t error_size);

/* How the migrate phase runs the Prisma CLI with args (deploy, diff, db
 * push): the CLI located as the prisma-cli setting says (into *cli, which
 * params points to), the URL migrations use as DATABASE_URL (and under the
 * directUrl variable), the settings' output prefix and stop timeout.
 * Returns 0, or -1 with a one-line error when no CLI is found. */
int migrate_plan_cli_params(const struct invocation *invocation, struct loop *loop, const struct migrate_plan *plan,
                            const char *const *args, struct prisma_cli *cli, struct prisma_run_params *params,
                            char *error, size_t error_size);

/* For a CLI that lingers after its work (deploy, db push): unless
 * deploy-linger is 0, it is stopped deploy-linger after work_done(arg) first
 * says its work is done, and *lingered says so (prisma.h). */
void migrate_plan_cli_linger(const struct config *config, struct prisma_run_params *params,
                             bool (*work_done)(void *arg), void *arg, bool *lingered);

/* Whether the migrations folder was made for the kind of database url names
 * (its migration_lock.toml's provider; a missing file fits). Returns 0, or
 * an exit code with error saying which provider and which database. */
int migrate_plan_check_provider(const struct migrate_plan *plan, const char *url, char *error, size_t error_size);

/* Fills the plan, the schema's path and what it says of a direct URL from
 * known when a phase before looked for it (NULL: look now). READY when
 * migrations are enabled (not no-migrate, a schema, a migrations folder with
 * migrations in it; release plan->folder then). */
enum plan_found migrate_plan_find(const struct config *config, const struct phase_schema *known,
                                  struct migrate_plan *plan);

/* The rows a reading compared; they outlive it for reading->compared's
 * first_failed. */
struct migrate_rows {
	struct migration_row *rows;
	size_t count;
};

/* Reads _prisma_migrations through session into reading: the folder against
 * the rows and, when a row failed, whether Prisma's lock is held (a deploy at
 * work); with checksums, also which applied migrations' migration.sql
 * changed since (reading->edited; files that cannot be read are not
 * counted; files the plan's record vouches for by their stat are not
 * read). Returns STOPPED, or OK with reading->read telling whether the rows
 * were read (false: error says why). Release rows with migrate_rows_release()
 * either way. */
enum pg_session_status migrate_plan_read(struct pg_session *session, const struct migrate_plan *plan, bool checksums,
                                         struct migrate_reading *reading, struct migrate_rows *rows, char *error,
                                         size_t error_size);

void migrate_rows_release(struct migrate_rows *rows);

/* Whether a deploy's work shows as done in the database: every migration of
 * the folder finished in _prisma_migrations, none failed, and nobody holds
 * Prisma's advisory lock. A read that fails says not done. */
bool migrate_plan_deploy_done(struct pg_session *session, const struct migrate_plan *plan);

#endif
