/* One row per setting: names, type (a list's items have one too), range,
 * default and help. Parsing and checking, --help, `help settings` and the README's
 * settings section are all generated from this table. Rows of one INI section
 * stay together so that printed configuration groups them. */
#include "config.h"

#include "value.h"

#include <stddef.h>

static const char *const log_levels[] = {"quiet", "info", "verbose", "debug", NULL};
static const char *const log_formats[] = {"text", "json", NULL};
static const char *const signal_targets[] = {"auto", "child", "group", NULL};
static const char *const generate_failures[] = {"exit", "warn", NULL};
static const char *const migrate_modes[] = {"deploy", "wait", "off", "push", NULL};
static const char *const unknown_migrations_actions[] = {"warn", "error", NULL};
static const char *const migrate_engines[] = {"prisma", "native", NULL};
static const char *const seed_modes[] = {"off", "once", NULL};
static const char *const baseline_modes[] = {"off", "auto", NULL};
static const char *const install_modes[] = {"off", "auto", NULL};
/* What the wait phase can wait for (src/wait.c). */
static const char *const wait_schemes[] = {"tcp", "http", "https", "unix", "file", NULL};

const struct setting settings_table[SETTING_COUNT] = {
    [SETTING_CONFIG] =
        {
            .name = "config",
            .short_flag = 'c',
            .type = SETTING_TYPE_PATH,
            .placeholder = "FILE",
            .help = "INI file to read settings from",
        },
    [SETTING_LOG_LEVEL] =
        {
            .name = "log-level",
            .section = "log",
            .type = SETTING_TYPE_CHOICE,
            .choices = log_levels,
            .default_text = "info",
            .placeholder = "LEVEL",
            .help = "how much to log on stderr; warnings and errors always show (-q quiet, -v verbose, -vv debug)",
        },
    [SETTING_LOG_FORMAT] =
        {
            .name = "log-format",
            .section = "log",
            .type = SETTING_TYPE_CHOICE,
            .choices = log_formats,
            .default_text = "text",
            .placeholder = "FORMAT",
            .help = "text lines prefixed 'prisma-entrypoint:', or one JSON object per line",
        },
    [SETTING_STOP_TIMEOUT] =
        {
            .name = "stop-timeout",
            .section = "run",
            .type = SETTING_TYPE_DURATION,
            .min = 0,
            .max = VALUE_DURATION_MAX_MS,
            .default_text = "8s",
            .placeholder = "DURATION",
            .help = "grace period after a forwarded SIGTERM, SIGINT or SIGQUIT, and for processes left "
                    "behind by the app, before SIGKILL",
        },
    [SETTING_SIGNAL_TARGET] =
        {
            .name = "signal-target",
            .section = "run",
            .type = SETTING_TYPE_CHOICE,
            .choices = signal_targets,
            .default_text = "auto",
            .placeholder = "TARGET",
            .help = "forward signals to the app only (child), or to the app's whole process group (group); auto: "
                    "child, but for a package-manager launcher (npm, npx, yarn, pnpm, node --run) the script it "
                    "runs, so that a stop ends with the script's own status",
        },
    [SETTING_EXEC] =
        {
            .name = "exec",
            .section = "run",
            .type = SETTING_TYPE_BOOL,
            .default_text = "false",
            .placeholder = "BOOL",
            .help = "replace prisma-entrypoint with the app instead of supervising it (when another init, "
                    "such as compose 'init: true', is PID 1)",
        },
    [SETTING_USER] =
        {
            .name = "user",
            .section = "run",
            .type = SETTING_TYPE_TEXT,
            .placeholder = "USER",
            .help = "run the Prisma CLI and the app as USER (a name, a uid, name:group, uid:gid, or 'owner': the "
                    "owner of the working directory) while prisma-entrypoint stays root; default: as itself",
        },
    [SETTING_WATCH] =
        {
            .name = "watch",
            .section = "run",
            .type = SETTING_TYPE_BOOL,
            .default_text = "false",
            .placeholder = "BOOL",
            .help = "development: when the schema files, the Prisma config file or the migrations change, "
                    "restart the app as the restart command does (stop, generate and migrate as needed, start)",
        },
    [SETTING_WATCH_POLL] =
        {
            .name = "watch-poll",
            .section = "run",
            .type = SETTING_TYPE_DURATION,
            .min = 0,
            .max = VALUE_DURATION_MAX_MS,
            .default_text = "0",
            .placeholder = "DURATION",
            .help = "look at the watched files every DURATION instead of using inotify (bind mounts whose "
                    "changes never reach the container as events); 0: inotify",
        },
    [SETTING_WATCH_DEBOUNCE] =
        {
            .name = "watch-debounce",
            .section = "run",
            .type = SETTING_TYPE_DURATION,
            .min = 0,
            .max = 60000,
            .default_text = "150ms",
            .placeholder = "DURATION",
            .help = "how long the watched files must stay unchanged after a change before the restart (one "
                    "restart per burst of edits)",
        },
    [SETTING_DATABASE_URL] =
        {
            .name = "database-url",
            .section = "database",
            .env_alias = "DATABASE_URL",
            .type = SETTING_TYPE_SECRET_URL,
            .placeholder = "URL",
            .help = "the database URL as Prisma reads it; DATABASE_URL is read too, the prefixed variable wins",
            .credentials = true,
        },
    [SETTING_DIRECT_URL] =
        {
            .name = "direct-url",
            .section = "database",
            .env_alias = "DIRECT_URL",
            .type = SETTING_TYPE_SECRET_URL,
            .placeholder = "URL",
            .help = "the database's direct URL, past any connection pooler, for migrations (locks, the "
                    "_prisma_migrations read, prisma migrate deploy); DIRECT_URL is read too; unset: the "
                    "schema's directUrl, else the Prisma config's datasource.directUrl, else database-url",
            .credentials = true,
        },
    [SETTING_WAIT] =
        {
            .name = "wait",
            .section = "wait",
            .type = SETTING_TYPE_LIST,
            .item_type = SETTING_TYPE_URL,
            .choices = wait_schemes,
            .placeholder = "URL",
            .help = "also wait for these before the app starts: tcp://host:port, http(s)://..., unix:///path, "
                    "file:///path (repeat the flag, or a comma-separated list)",
            .credentials = true,
        },
    [SETTING_NO_WAIT] =
        {
            .name = "no-wait",
            .section = "wait",
            .type = SETTING_TYPE_BOOL,
            .default_text = "false",
            .placeholder = "BOOL",
            .help = "run the app without waiting for the database or anything else",
        },
    [SETTING_WAIT_TIMEOUT] =
        {
            .name = "wait-timeout",
            .section = "wait",
            .type = SETTING_TYPE_DURATION,
            .min = 0,
            .max = VALUE_DURATION_MAX_MS,
            .default_text = "60s",
            .placeholder = "DURATION",
            .help = "one deadline for all dependencies together; 0 waits forever",
        },
    [SETTING_ATTEMPT_TIMEOUT] =
        {
            .name = "attempt-timeout",
            .section = "wait",
            .type = SETTING_TYPE_DURATION,
            .min = 0,
            .max = VALUE_DURATION_MAX_MS,
            .default_text = "5s",
            .placeholder = "DURATION",
            .help = "how long one connection attempt may take before it counts as no response",
        },
    [SETTING_BACKOFF_MAX] =
        {
            .name = "backoff-max",
            .section = "wait",
            .type = SETTING_TYPE_DURATION,
            .min = 0,
            .max = VALUE_DURATION_MAX_MS,
            .default_text = "100ms",
            .placeholder = "DURATION",
            .help = "the longest pause between attempts; pauses start at 10ms and grow by half each time, "
                    "with 20% jitter; a closed PostgreSQL port is probed every backoff-max (+0-10%)",
        },
    [SETTING_HTTP_STATUS] =
        {
            .name = "http-status",
            .section = "wait",
            .type = SETTING_TYPE_LIST,
            .item_type = SETTING_TYPE_INTEGER,
            .min = 100,
            .max = 599,
            .placeholder = "CODES",
            .help = "HTTP statuses that count as ready for http:// and https:// waits (default: any 2xx)",
        },
    [SETTING_HTTP_CA_FILE] =
        {
            .name = "http-ca-file",
            .section = "wait",
            .type = SETTING_TYPE_PATH,
            .placeholder = "FILE",
            .help = "CA certificates (PEM) to verify https:// waits with, instead of the system's",
        },
    [SETTING_HTTP_INSECURE] =
        {
            .name = "http-insecure",
            .section = "wait",
            .type = SETTING_TYPE_BOOL,
            .default_text = "false",
            .placeholder = "BOOL",
            .help = "do not verify certificates of https:// waits",
        },
    [SETTING_SCHEMA] =
        {
            .name = "schema",
            .section = "prisma",
            .type = SETTING_TYPE_PATH,
            .placeholder = "PATH",
            .help = "the Prisma schema file or folder; default: found as Prisma finds it (prisma.config.*, "
                    "package.json, ./schema.prisma, ./prisma/schema.prisma)",
        },
    [SETTING_PRISMA_CLI] =
        {
            .name = "prisma-cli",
            .section = "prisma",
            .type = SETTING_TYPE_PATH,
            .placeholder = "PATH",
            .help = "the Prisma CLI to run; default: ./node_modules/.bin/prisma, else prisma in PATH, else "
                    "one under $NVM_DIR",
        },
    [SETTING_PRISMA_OUTPUT_PREFIX] =
        {
            .name = "prisma-output-prefix",
            .section = "prisma",
            .type = SETTING_TYPE_TEXT,
            .placeholder = "TEXT",
            .help = "put TEXT before every line the Prisma CLI prints (default: its output passes through as it "
                    "is)",
        },
    [SETTING_NO_GENERATE] =
        {
            .name = "no-generate",
            .section = "generate",
            .type = SETTING_TYPE_BOOL,
            .default_text = "false",
            .placeholder = "BOOL",
            .help = "never run prisma generate (the client is generated some other way)",
        },
    [SETTING_FORCE_GENERATE] =
        {
            .name = "force-generate",
            .section = "generate",
            .type = SETTING_TYPE_BOOL,
            .default_text = "false",
            .placeholder = "BOOL",
            .help = "run prisma generate even when the client is current (unless another start generated it "
                    "while this one waited for the lock)",
        },
    [SETTING_GENERATE_RECORD] =
        {
            .name = "generate-record",
            .section = "generate",
            .type = SETTING_TYPE_PATH,
            .default_text = "node_modules/.cache/prisma-entrypoint/generate-record",
            .placeholder = "FILE",
            .help = "where the digest of the last successful generate is kept (FILE.lock next to it), relative "
                    "to the working directory",
        },
    [SETTING_GENERATE_FAILURE] =
        {
            .name = "generate-failure",
            .section = "generate",
            .type = SETTING_TYPE_CHOICE,
            .choices = generate_failures,
            .default_text = "exit",
            .placeholder = "ACTION",
            .help = "when prisma generate fails: exit without starting the app, or warn loudly and start it "
                    "anyway (development only)",
        },
    [SETTING_INSTALL] =
        {
            .name = "install",
            .section = "generate",
            .type = SETTING_TYPE_CHOICE,
            .choices = install_modes,
            .default_text = "off",
            .placeholder = "MODE",
            .help = "auto: before generate, when package.json or the lockfile changed since the last install "
                    "(or node_modules is empty), run the lockfile's frozen install (npm ci, pnpm install "
                    "--frozen-lockfile, yarn install --immutable or --frozen-lockfile); off: never install",
        },
    [SETTING_NO_MIGRATE] =
        {
            .name = "no-migrate",
            .section = "migrate",
            .type = SETTING_TYPE_BOOL,
            .default_text = "false",
            .placeholder = "BOOL",
            .help = "never run prisma migrate deploy (migrations are applied some other way); a missing "
                    "database then fails the wait; true is migrate-mode = off, whatever migrate-mode says",
        },
    [SETTING_MIGRATE_MODE] =
        {
            .name = "migrate-mode",
            .section = "migrate",
            .type = SETTING_TYPE_CHOICE,
            .choices = migrate_modes,
            .default_text = "deploy",
            .placeholder = "MODE",
            .help = "deploy: run prisma migrate deploy when migrations are pending; wait: never run it, wait "
                    "(within wait-timeout) until another process (a Job, an initContainer) has applied every "
                    "migration of the folder; off: leave the database alone (as no-migrate); push (development): "
                    "run prisma db push --skip-generate when the schema changed since the last push to that "
                    "database, no migrations",
        },
    [SETTING_UNKNOWN_MIGRATIONS] =
        {
            .name = "unknown-migrations",
            .section = "migrate",
            .type = SETTING_TYPE_CHOICE,
            .choices = unknown_migrations_actions,
            .default_text = "warn",
            .placeholder = "ACTION",
            .help = "when the database has applied migrations the migrations folder lacks (an older image on "
                    "a newer database): warn and go on, or stop with exit code 81 before anything is applied",
        },
    [SETTING_MIGRATIONS] =
        {
            .name = "migrations",
            .section = "migrate",
            .type = SETTING_TYPE_PATH,
            .placeholder = "DIR",
            .help = "the migrations folder; default: migrations next to the schema, else ./prisma/migrations "
                    "(set it when prisma.config.* gives migrations.path)",
        },
    [SETTING_DEPLOY_LINGER] =
        {
            .name = "deploy-linger",
            .section = "migrate",
            .type = SETTING_TYPE_DURATION,
            .min = 0,
            .max = VALUE_DURATION_MAX_MS,
            .default_text = "2s",
            .placeholder = "DURATION",
            .help = "how long prisma migrate deploy may stay after its work is done (every migration finished "
                    "in _prisma_migrations, Prisma's lock released; for prisma db push, its 'database is now "
                    "in sync') before it is stopped and its work counted as done; 0: wait for it to exit",
        },
    [SETTING_MIGRATE_ENGINE] =
        {
            .name = "migrate-engine",
            .section = "migrate",
            .type = SETTING_TYPE_CHOICE,
            .choices = migrate_engines,
            .default_text = "prisma",
            .placeholder = "ENGINE",
            .help = "what applies pending migrations: prisma (prisma migrate deploy) or native (each "
                    "migration.sql applied over libpq and recorded in _prisma_migrations as Prisma records it, "
                    "no Node; PostgreSQL only)",
        },
    [SETTING_SEED] =
        {
            .name = "seed",
            .section = "migrate",
            .type = SETTING_TYPE_CHOICE,
            .choices = seed_modes,
            .default_text = "off",
            .placeholder = "WHEN",
            .help = "once: run prisma db seed (the seed command of prisma.config.* or package.json) once per "
                    "database, under the migrate lock, after the start that applied its first migration; "
                    "recorded in the database (schema prisma_entrypoint), so replicas and new containers agree; "
                    "a failed seed is run again by the next start (PostgreSQL only)",
        },
    [SETTING_MIGRATE_LOCK_TIMEOUT] =
        {
            .name = "migrate-lock-timeout",
            .section = "migrate",
            .type = SETTING_TYPE_DURATION,
            .min = 0,
            .max = VALUE_DURATION_MAX_MS,
            .default_text = "0",
            .placeholder = "DURATION",
            .help = "how long a start may wait for the migrate lock (or the create lock of a database that does "
                    "not exist yet) and for another process's deploy holding Prisma's lock, before it exits "
                    "with code 124 naming the holder; 0: wait-timeout",
        },
    [SETTING_BASELINE] =
        {
            .name = "baseline",
            .section = "migrate",
            .type = SETTING_TYPE_CHOICE,
            .choices = baseline_modes,
            .default_text = "off",
            .placeholder = "WHEN",
            .help = "a database with tables but no _prisma_migrations (Prisma's P3005): off stops with exit code "
                    "81 and the steps; auto records every migration of the folder as applied (as prisma migrate "
                    "resolve --applied does) when prisma migrate diff finds no difference between the database "
                    "and the schema, else stops",
        },
    [SETTING_PUSH_ACCEPT_DATA_LOSS] =
        {
            .name = "push-accept-data-loss",
            .section = "migrate",
            .type = SETTING_TYPE_BOOL,
            .default_text = "false",
            .placeholder = "BOOL",
            .help = "migrate-mode = push: pass --accept-data-loss to prisma db push (a change that drops a "
                    "column or a table with data goes through); false: such a push stops with exit code 81 and "
                    "Prisma's warnings, nothing changed",
        },
};
