/* The migrations and the database's rows (migrate-plan.h). */
#include "migrate-plan.h"

#include "exit-codes.h"
#include "migration-checksum.h"
#include "migration-lock.h"
#include "migration-scan.h"
#include "schema-js.h"
#include "url.h"
#include "verified-migrations.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static enum plan_found plan_failed(struct migrate_plan *plan, int exit_code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum plan_found plan_failed(struct migrate_plan *plan, int exit_code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(plan->error, sizeof(plan->error), fmt, ap);
	va_end(ap);
	plan->exit_code = exit_code;
	return PLAN_FAILED;
}

/* A directUrl the schema or config file (where) gives, into the plan:
 * its string, or the variable it names, read from the environment as
 * Prisma reads it. */
static void take_direct_url(struct migrate_plan *plan, const struct schema_url_ref *ref, const char *key,
                            const char *where)
{
	const char *value;

	if (ref->text && strlen(ref->text) >= sizeof(plan->direct_url)) {
		snprintf(plan->direct_url_problem, sizeof(plan->direct_url_problem), "%s in %s is over %zu bytes long",
		         key, where, sizeof(plan->direct_url) - 1);
		return;
	}
	if (ref->text) {
		snprintf(plan->direct_url, sizeof(plan->direct_url), "%s", ref->text);
		snprintf(plan->direct_url_origin, sizeof(plan->direct_url_origin), "%s in %s", key, where);
		return;
	}
	if (!ref->env_name) {
		snprintf(plan->direct_url_problem, sizeof(plan->direct_url_problem),
		         "%s in %s is neither a string nor env(\"NAME\"), so it cannot be read without running it", key,
		         where);
		return;
	}
	snprintf(plan->direct_url_variable, sizeof(plan->direct_url_variable), "%s", ref->env_name);
	value = getenv(ref->env_name);
	if (!value || !value[0]) {
		snprintf(plan->direct_url_problem, sizeof(plan->direct_url_problem),
		         "%s in %s reads the variable %.255s, which is not set", key, where, ref->env_name);
		return;
	}
	if (strlen(value) >= sizeof(plan->direct_url)) {
		snprintf(plan->direct_url_problem, sizeof(plan->direct_url_problem),
		         "%s in %s reads the variable %.255s, which is over %zu bytes long", key, where, ref->env_name,
		         sizeof(plan->direct_url) - 1);
		return;
	}
	snprintf(plan->direct_url, sizeof(plan->direct_url), "%s", value);
	snprintf(plan->direct_url_origin, sizeof(plan->direct_url_origin), "%s in %s (%.255s)", key, where,
	         ref->env_name);
}

/* The direct URL, in Prisma's order after the setting: the schema's
 * datasource (Prisma 6), then the config file (Prisma 7). With the setting,
 * the variable the schema or config reads is still noted: the CLI is given
 * the setting's URL under that name too. */
static void find_direct_url(const struct config *config, const struct schema_direct_urls *urls,
                            struct migrate_plan *plan)
{
	const char *setting = config_text(config, SETTING_DIRECT_URL);
	const struct schema_url_ref *variable_ref = urls->datasource.env_name ? &urls->datasource : &urls->config;

	plan->direct_url[0] = plan->direct_url_origin[0] = plan->direct_url_variable[0] = '\0';
	plan->direct_url_problem[0] = '\0';
	if (setting && setting[0] && strlen(setting) >= sizeof(plan->direct_url)) {
		snprintf(plan->direct_url_problem, sizeof(plan->direct_url_problem),
		         "direct-url is over %zu bytes long", sizeof(plan->direct_url) - 1);
	} else if (setting && setting[0]) {
		snprintf(plan->direct_url, sizeof(plan->direct_url), "%s", setting);
		snprintf(plan->direct_url_origin, sizeof(plan->direct_url_origin), "%s",
		         config->values[SETTING_DIRECT_URL].origin ? config->values[SETTING_DIRECT_URL].origin
		                                                   : "direct-url");
		if (variable_ref->env_name)
			snprintf(plan->direct_url_variable, sizeof(plan->direct_url_variable), "%s",
			         variable_ref->env_name);
	} else if (urls->datasource.given) {
		take_direct_url(plan, &urls->datasource, "directUrl", urls->datasource_file);
	} else if (urls->config.given) {
		take_direct_url(plan, &urls->config, "datasource.directUrl", urls->config_file);
	}
}

const char *migrate_plan_url(const struct config *config, const struct migrate_plan *plan)
{
	return plan->direct_url[0] ? plan->direct_url : config_text(config, SETTING_DATABASE_URL);
}

/* Puts the schema's path and the direct URL into plan, from known when the
 * generate phase looked for them, else looking now. Returns READY (found),
 * NO_SCHEMA, STOPPED or FAILED. */
static enum plan_found find_schema(const struct config *config, const struct phase_schema *known,
                                   struct migrate_plan *plan)
{
	struct schema_stop stop = {.should_stop = phase_stop_pending};
	struct schema_inputs schema;
	char error[MIGRATE_PLAN_LINE_MAX];
	char cwd[PATH_MAX];
	int found;

	if (known && known->searched) {
		if (!known->path)
			return PLAN_NO_SCHEMA;
		snprintf(plan->schema_path, sizeof(plan->schema_path), "%s", known->path);
		find_direct_url(config, &known->direct_urls, plan);
		plan->prisma_major = known->prisma_major;
		return PLAN_READY;
	}
	if (!getcwd(cwd, sizeof(cwd)))
		return plan_failed(plan, EXIT_OS_ERROR, "cannot read the working directory: %s", strerror(errno));
	found = schema_find(cwd, config_text(config, SETTING_SCHEMA), &schema, &stop, error, sizeof(error));
	if (found == SCHEMA_STOPPED)
		return PLAN_STOPPED;
	if (found < 0)
		return plan_failed(plan, EXIT_CONFIG, "%s", error);
	if (found == 0)
		return PLAN_NO_SCHEMA;
	snprintf(plan->schema_path, sizeof(plan->schema_path), "%s", schema.schema_path);
	find_direct_url(config, &schema.direct_urls, plan);
	plan->prisma_major = schema_major_version(schema.prisma_version);
	schema_inputs_release(&schema);
	return PLAN_READY;
}

enum migrate_mode_choice migrate_plan_mode(const struct config *config)
{
	if (config_bool(config, SETTING_NO_MIGRATE))
		return CHOICE_MIGRATE_OFF;
	return (enum migrate_mode_choice)config_choice(config, SETTING_MIGRATE_MODE);
}

int migrate_plan_check_provider(const struct migrate_plan *plan, const char *url, char *error, size_t error_size)
{
	char provider[64];
	const char *url_kind;
	int found = migration_lock_read(plan->folder_path, provider, sizeof(provider), error, error_size);

	if (found < 0)
		return EXIT_CONFIG;
	if (found == 0 || migrate_provider_fits(provider, url, &url_kind))
		return 0;
	snprintf(error, error_size,
	         "the migrations in %s were made for provider \"%s\" (its %s), but database-url names a %s "
	         "database (a %.*s: URL): prisma migrate deploy would refuse them (P3019); point database-url at the "
	         "database the migrations were made for, or ship the migrations made for %s",
	         plan->folder_path, provider, MIGRATION_LOCK_FILE, url_kind, (int)strcspn(url, ":"), url, url_kind);
	return EXIT_CONFIG;
}

/* The "changed since it was applied" check of one read: its files scanned
 * while the rows are read (migration-scan.h). */
struct edit_check {
	struct migration_checksummer checksummer;
	struct migration_scan scan;
	struct timespec now;
	int dir_fd;
};

/* Starts the check: false when there is none (no libcrypto, as for a file
 * that cannot be read, or no folder to open). */
static bool edit_check_start(const struct migrate_plan *plan, struct edit_check *check)
{
	char error[MIGRATE_PLAN_LINE_MAX];

	if (migration_checksummer_init(&check->checksummer, error, sizeof(error)) < 0)
		return false;
	/* Files are opened relative to the folder: one path lookup each. */
	check->dir_fd = open(plan->folder_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (check->dir_fd < 0) {
		migration_checksummer_release(&check->checksummer);
		return false;
	}
	/* Before any file is looked at: what changed within the racy margin
	 * before this is hashed again next time. */
	clock_gettime(CLOCK_REALTIME, &check->now);
	migration_scan_start(&check->scan, &plan->folder, check->dir_fd, plan->record_path);
	return true;
}

static void edit_check_end(struct edit_check *check)
{
	migration_scan_release(&check->scan);
	close(check->dir_fd);
	migration_checksummer_release(&check->checksummer);
}

/* Whether the applied migration row's migration.sql, folder entry index,
 * still has its checksum: vouched for by the record when the scan's stat of
 * it is one that matched, else read and hashed. What matched goes into
 * verified; *fresh says whether that is news to the record. Returns 0 with
 * *matches, or -1 when the file cannot be read. */
static int check_applied(struct edit_check *check, long index, const struct migration_row *row,
                         struct verified_migrations *verified, bool *matches, bool *fresh)
{
	static const char file[] = "/migration.sql";
	const struct migration_scan *scan = &check->scan;
	char error[MIGRATE_PLAN_LINE_MAX];
	char path[PATH_MAX];
	size_t name_len = strlen(row->name);
	const struct verified_migration *line = NULL;
	struct stat st;

	/* Not snprintf: for thousands of migrations it is a measurable part. */
	if (name_len + sizeof(file) > sizeof(path))
		return -1;
	memcpy(path, row->name, name_len);
	memcpy(path + name_len, file, sizeof(file));
	*fresh = false;
	if (scan->known.count && scan->stats && scan->found[index])
		line = verified_migrations_vouch(&scan->known, row->name, &scan->stats[index], row->checksum);
	/* Out of memory: the record just ends up shorter. */
	if (line) {
		*matches = true;
		verified_migrations_keep(verified, line);
		return 0;
	}
	if (migration_checksum_file_matches_at(&check->checksummer, check->dir_fd, path, row->checksum, matches, &st,
	                                       error, sizeof(error)) < 0)
		return -1;
	*fresh = *matches && verified_migrations_add(verified, row->name, &st, row->checksum, &check->now) == 1;
	return 0;
}

/* Which applied migrations' migration.sql no longer has their checksum. */
static void find_edited(const struct migrate_plan *plan, const struct migrate_rows *rows,
                        struct migrate_reading *reading, struct edit_check *check)
{
	const struct verified_migrations *known = &check->scan.known;
	struct verified_migrations verified = {0};
	size_t news = 0;

	for (size_t i = 0; i < rows->count; i++) {
		const struct migration_row *row = &rows->rows[i];
		long index;
		bool matches;
		bool fresh;

		if (!row->finished || row->rolled_back || !row->checksum[0] ||
		    (index = migrations_folder_index(&plan->folder, row->name)) < 0)
			continue;
		if (check_applied(check, index, row, &verified, &matches, &fresh) < 0)
			continue;
		news += fresh;
		if (matches)
			continue;
		if (reading->edited < MIGRATIONS_SHOWN)
			reading->edited_shown[reading->edited] = row->name;
		reading->edited++;
	}
	/* Rewritten when a file was hashed and matched, or a line is no longer
	 * of use (the file changed, the migration is gone): a start that
	 * vouched for every file writes nothing. A cache: when it cannot be
	 * written, the next start hashes again. */
	if (plan->record_write && plan->record_path[0] && (news || verified.count != known->count))
		verified_migrations_write(plan->record_path, &verified,
		                          plan->record_owned ? &plan->record_owner : NULL);
	verified_migrations_release(&verified);
}

/* Where the verified-migrations record of the folder goes: next to the
 * generate record, verified-migrations-<16 hex digits of the FNV-1a hash of
 * the folder's absolute path>; "" when there is no knowing. */
static void find_record_path(const struct config *config, struct migrate_plan *plan)
{
	const char *generate_record = config_text(config, SETTING_GENERATE_RECORD);
	const char *slash = generate_record ? strrchr(generate_record, '/') : NULL;
	uint64_t hash = 14695981039346656037ull;
	char cwd[PATH_MAX] = "";

	plan->record_path[0] = '\0';
	plan->record_write = false;
	if (!generate_record || !generate_record[0] || (plan->folder_path[0] != '/' && !getcwd(cwd, sizeof(cwd))))
		return;
	if (plan->folder_path[0] != '/') {
		for (const unsigned char *p = (const unsigned char *)cwd; *p; p++)
			hash = (hash ^ *p) * 1099511628211ull;
		hash = (hash ^ '/') * 1099511628211ull;
	}
	for (const unsigned char *p = (const unsigned char *)plan->folder_path; *p; p++)
		hash = (hash ^ *p) * 1099511628211ull;
	if (snprintf(plan->record_path, sizeof(plan->record_path), "%.*sverified-migrations-%016llx",
	             slash ? (int)(slash - generate_record + 1) : 0, generate_record,
	             (unsigned long long)hash) >= (int)sizeof(plan->record_path))
		plan->record_path[0] = '\0';
}

enum plan_found migrate_plan_find(const struct config *config, const struct phase_schema *known,
                                  struct migrate_plan *plan)
{
	const char *configured = config_text(config, SETTING_MIGRATIONS);
	char error[MIGRATE_PLAN_LINE_MAX];
	enum plan_found schema;
	int found;

	if (migrate_plan_mode(config) == CHOICE_MIGRATE_OFF)
		return PLAN_NO_MIGRATE;
	schema = find_schema(config, known, plan);
	if (schema != PLAN_READY)
		return schema;
	found = migrations_folder_find(configured, plan->schema_path, plan->folder_path, sizeof(plan->folder_path));
	if (found < 0)
		return plan_failed(plan, EXIT_CONFIG, "the migrations folder's path is too long: %s", strerror(errno));
	if (found == 0 && configured && configured[0])
		return plan_failed(
		    plan, EXIT_CONFIG,
		    "the migrations folder %s (the migrations setting) does not exist or is not a folder", configured);
	if (found == 0)
		return PLAN_NO_FOLDER;
	if (migrations_folder_read(plan->folder_path, &plan->folder, error, sizeof(error)) < 0)
		return plan_failed(plan, EXIT_CONFIG, "%s", error);
	if (plan->folder.count == 0) {
		migrations_folder_release(&plan->folder);
		return PLAN_NO_MIGRATIONS;
	}
	find_record_path(config, plan);
	return PLAN_READY;
}

/* The rows, compared with the folder: reading->read when they were. */
static enum pg_session_status read_rows(struct pg_session *session, const struct migrate_plan *plan,
                                        struct migrate_reading *reading, struct migrate_rows *rows, char *error,
                                        size_t error_size)
{
	enum pg_session_status status;

	status =
	    pgconn_session_migrations(session, &rows->rows, &rows->count, &reading->table_found, error, error_size);
	if (status == PG_SESSION_STOPPED)
		return status;
	if (status != PG_SESSION_OK)
		return PG_SESSION_OK;
	if (!reading->table_found) {
		status = pgconn_session_schema_tables(session, &reading->schema_tables, reading->schema_tables_shown,
		                                      sizeof(reading->schema_tables_shown), error, error_size);
		if (status == PG_SESSION_STOPPED)
			return status;
		if (status != PG_SESSION_OK)
			return PG_SESSION_OK;
	}
	if (migrations_compare(&plan->folder, rows->rows, rows->count, &reading->compared) < 0) {
		snprintf(error, error_size, "cannot compare the migrations with the database's rows: %s",
		         strerror(errno));
		return PG_SESSION_OK;
	}
	reading->read = true;
	return PG_SESSION_OK;
}

/* One read of the rows, compared with the folder; see migrate_plan_read().
 * The files are scanned while the rows are read. */
static enum pg_session_status read_once(struct pg_session *session, const struct migrate_plan *plan, bool checksums,
                                        struct migrate_reading *reading, struct migrate_rows *rows, char *error,
                                        size_t error_size)
{
	struct edit_check check;
	bool checking = checksums && edit_check_start(plan, &check);
	enum pg_session_status status;

	*reading = (struct migrate_reading){0};
	*rows = (struct migrate_rows){0};
	status = read_rows(session, plan, reading, rows, error, error_size);
	if (checking) {
		migration_scan_finish(&check.scan);
		if (status == PG_SESSION_OK && reading->read)
			find_edited(plan, rows, reading, &check);
		edit_check_end(&check);
	}
	return status;
}

enum pg_session_status migrate_plan_read(struct pg_session *session, const struct migrate_plan *plan, bool checksums,
                                         struct migrate_reading *reading, struct migrate_rows *rows, char *error,
                                         size_t error_size)
{
	for (int attempt = 0;; attempt++) {
		char lock_error[MIGRATE_PLAN_LINE_MAX];
		enum pg_session_status status = read_once(session, plan, checksums, reading, rows, error, error_size);

		if (status != PG_SESSION_OK || !reading->read || !reading->compared.failed)
			return status;
		/* Prisma's lock held: an unfinished row may be a migration being
		 * applied right now, not a failed one. Not knowing leaves it
		 * failed. */
		status = pgconn_session_lock_held(session, PRISMA_LOCK_KEY, &reading->prisma_busy, lock_error,
		                                  sizeof(lock_error));
		if (status == PG_SESSION_STOPPED || reading->prisma_busy || attempt == 1)
			return status == PG_SESSION_STOPPED ? status : PG_SESSION_OK;
		/* Free now: a deploy that ended between the read and this look
		 * has finished its row too. One more read before calling it
		 * failed. */
		migrate_rows_release(rows);
	}
}

void migrate_rows_release(struct migrate_rows *rows)
{
	migration_rows_free(rows->rows, rows->count);
	*rows = (struct migrate_rows){0};
}

bool migrate_plan_deploy_done(struct pg_session *session, const struct migrate_plan *plan)
{
	struct migrate_reading reading;
	struct migrate_rows rows;
	char error[MIGRATE_PLAN_LINE_MAX];
	bool held = true;
	bool done = migrate_plan_read(session, plan, false, &reading, &rows, error, sizeof(error)) == PG_SESSION_OK &&
	            reading.read && reading.compared.pending == 0 && reading.compared.failed == 0 &&
	            pgconn_session_lock_held(session, PRISMA_LOCK_KEY, &held, error, sizeof(error)) == PG_SESSION_OK &&
	            !held;

	migrate_rows_release(&rows);
	return done;
}

const char *migrate_plan_url_variable(const struct migrate_plan *plan)
{
	if (!plan->direct_url[0] || !plan->direct_url_variable[0] ||
	    strcmp(plan->direct_url_variable, "DATABASE_URL") == 0)
		return NULL;
	return plan->direct_url_variable;
}

/* Whether the Prisma config file says engine: "js" (a driver adapter). */
static bool config_uses_adapter(const char *config_file)
{
	char text[64 * 1024];
	char *engine = NULL;
	size_t len;
	bool adapter;
	FILE *file = config_file ? fopen(config_file, "re") : NULL;

	if (!file)
		return false;
	len = fread(text, 1, sizeof(text), file);
	fclose(file);
	adapter = config_string_value(text, len, "engine", &engine) == 1 && strcmp(engine, "js") == 0;
	free(engine);
	return adapter;
}

int migrate_plan_sqlite_file(const char *url, const struct schema_inputs *inputs, char *out, size_t out_size,
                             char *error, size_t error_size)
{
	char base[PATH_MAX];
	char cwd[PATH_MAX];
	const char *schema_path = inputs ? inputs->schema_path : NULL;
	struct stat st;

	if (!getcwd(cwd, sizeof(cwd))) {
		snprintf(error, error_size, "cannot read the working directory: %s", strerror(errno));
		return -1;
	}
	if (schema_path && schema_major_version(inputs->prisma_version) >= 7 && inputs->config_file) {
		/* Prisma 7 resolves datasource paths from the config file's
		 * folder (prisma/prisma#28514): "." or ".config". */
		char *slash;
		bool absolute = inputs->config_file[0] == '/';

		if (snprintf(base, sizeof(base), "%s%s%s", absolute ? "" : cwd, absolute ? "" : "/",
		             inputs->config_file) >= (int)sizeof(base)) {
			snprintf(error, error_size, "the config file's path is too long");
			return -1;
		}
		slash = strrchr(base, '/');
		*slash = '\0';
	} else if (!schema_path || schema_major_version(inputs->prisma_version) >= 7 ||
	           config_uses_adapter(inputs->config_file))
		snprintf(base, sizeof(base), "%s", cwd);
	else if (snprintf(base, sizeof(base), "%s%s%s", schema_path[0] == '/' ? "" : cwd,
	                  schema_path[0] == '/' ? "" : "/", schema_path) >= (int)sizeof(base)) {
		snprintf(error, error_size, "the schema's path is too long");
		return -1;
	} else if (stat(base, &st) < 0 || !S_ISDIR(st.st_mode)) {
		char *slash = strrchr(base, '/');

		if (slash && slash != base)
			*slash = '\0';
	}
	return url_sqlite_path(url, base, out, out_size, error, error_size);
}

int migrate_plan_cli_params(const struct invocation *invocation, struct loop *loop, const struct migrate_plan *plan,
                            const char *const *args, struct prisma_cli *cli, struct prisma_run_params *params,
                            char *error, size_t error_size)
{
	const struct config *config = &invocation->config;

	*params = (struct prisma_run_params){
	    .loop = loop,
	    .signals = invocation->signals,
	    .user = phase_child_user(invocation),
	    .cli = cli,
	    .args = args,
	    .database_url = migrate_plan_url(config, plan),
	    .url_variable = migrate_plan_url_variable(plan),
	    .output_prefix = config_text(config, SETTING_PRISMA_OUTPUT_PREFIX),
	    .stop_timeout_ms = config_duration_ms(config, SETTING_STOP_TIMEOUT),
	};
	return prisma_locate(config_text(config, SETTING_PRISMA_CLI), cli, error, error_size);
}

void migrate_plan_cli_linger(const struct config *config, struct prisma_run_params *params,
                             bool (*work_done)(void *arg), void *arg, bool *lingered)
{
	if (config_duration_ms(config, SETTING_DEPLOY_LINGER) <= 0)
		return;
	params->work_done = work_done;
	params->work_done_arg = arg;
	params->linger_ms = config_duration_ms(config, SETTING_DEPLOY_LINGER);
	params->lingered = lingered;
}
