#include "exit-codes.h"

#define STR_(x) #x
#define STR(x)  STR_(x)

const struct exit_code_doc exit_code_docs[] = {
    {"0-255", "the app's own exit status, passed through"},
    {"128+N", "the app died of signal N (143 SIGTERM, 137 SIGKILL, 130 SIGINT); also prisma-entrypoint "
              "itself when signal N stopped it before the app started, or killed its phases' child "
              "(\"the phases were killed by SIGKILL\": the out-of-memory killer?)"},
    {STR(EXIT_STATUS_OUT_OF_SYNC), "status: out of sync: the generated client is stale (or missing), or "
                                   "migrations are pending (or being applied right now); each line says which"},
    {STR(EXIT_STATUS_FAILED_MIGRATION), "status: a failed migration blocks every later deploy; the line names it "
                                        "and the prisma migrate resolve command (or: tables but no migration "
                                        "history, a baseline is needed)"},
    {STR(EXIT_STATUS_DATABASE_UNUSABLE),
     "status: the database is not usable (not reachable, refused: wrong password, missing database, ...), or "
     "it cannot be told whether migrations are pending (database-url not set, not PostgreSQL, "
     "_prisma_migrations unreadable)"},
    {STR(EXIT_USAGE), "usage error: unknown option, no command to run"},
    {STR(EXIT_UNAVAILABLE),
     "a dependency refused for good: wrong password, unknown role, rejected by pg_hba.conf, "
     "missing database (unless migrations will create it), TLS refused; the message says what to fix"},
    {STR(EXIT_UNAVAILABLE), "restart: nothing to restart: no prisma-entrypoint supervises an app in this "
                            "container (with exec = true the app replaced it), or it ended "
                            "before the restart did"},
    {STR(EXIT_OS_ERROR), "the system refused a resource prisma-entrypoint needs (fork, signalfd)"},
    {STR(EXIT_CANT_CREATE), "the generate record or its lock file (or, migrate-mode = push, the push record "
                            "beside it) cannot be read or written (read-only folder, a file or folder in the "
                            "way); set generate-record to a writable place"},
    {STR(EXIT_NO_PERMISSION), "restart: only root and the user the supervisor runs as may ask for a restart"},
    {STR(EXIT_CONFIG), "configuration error: INI file, environment variable or setting value (every error is "
                       "listed); a missing or unreadable Prisma schema (or, install = auto, package.json or lockfile); "
                       "no Prisma CLI found, or one that cannot "
                       "be run; migrations made for another database (migration_lock.toml's provider against "
                       "database-url: the message names both); migrate-mode = push without database-url; "
                       "migrate-mode = wait or migrate-engine = native "
                       "with a database that is not PostgreSQL; migrate-engine = native through a connection "
                       "pooler with no direct URL; seed = once with no seed command configured, a "
                       "seed command whose program is not installed (named), or a database that is not "
                       "PostgreSQL; a user setting naming no such user or group, another user when not "
                       "run as root, or a switch of user the container refuses"},
    {STR(EXIT_GENERATE), "prisma generate failed: its output above says why; the app was not started, and no "
                         "generate record vouches for what it may have written; or the generated client has no "
                         "query engine for this platform (Prisma 6, engineType library or binary) with no-generate "
                         "set, or after a generate: the line names the binaryTargets entry to add"},
    {STR(EXIT_MIGRATE), "migrations: a migration failed earlier and blocks every later deploy (the message names "
                        "it and the prisma migrate resolve command; in every migrate-mode), prisma migrate deploy "
                        "failed (its output above says why), the database has applied migrations the folder "
                        "lacks and unknown-migrations = error (named, before anything is applied), or its schema "
                        "has tables but no _prisma_migrations (Prisma's P3005: the line says how to baseline), "
                        "or migrate-engine = native could not apply a migration (the line names it, the line of "
                        "migration.sql and the server's error; a missing migration.sql stops it before anything "
                        "is applied), or baseline = auto found differences between the database and the schema "
                        "(or could not compare them: nothing recorded), or migrate-mode = push: prisma db push "
                        "failed (its output above says why), or would lose data and push-accept-data-loss is "
                        "false (Prisma's warnings above, nothing pushed, nothing recorded); the app was not "
                        "started"},
    {STR(EXIT_SEED), "seed = once: prisma db seed failed (its output above says why; the database still owes "
                     "the seed, and the next start, in any container, runs it again), or its record in the "
                     "database's prisma_entrypoint schema cannot be read or written; the app was not started"},
    {STR(EXIT_INSTALL), "install = auto: the frozen install (npm ci, pnpm install --frozen-lockfile, yarn install "
                        "--immutable or --frozen-lockfile) failed (its output above says why: often a lockfile "
                        "that does not match package.json), or its package manager is not in PATH, or the "
                        "install record cannot be written; no install record was written and the app was not "
                        "started"},
    {"73-83", "restart: generate, migrate, seed or install failed after the app was stopped, with the "
              "code a start would have; the app stays down (the container stays up) until "
              "the next restart or, in watch mode, the next edit"},
    {STR(EXIT_TIMEOUT), "the database or another dependency was not ready within wait-timeout; one line per "
                        "dependency says what was last seen; migrate-mode = wait: migrations still pending after "
                        "wait-timeout (the line names them); the migrate lock still held, or another process's "
                        "deploy still at work, migrate-lock-timeout (else wait-timeout) after the wait for it "
                        "began (the line names the holder)"},
    {STR(EXIT_CANNOT_EXECUTE), "the command was found but cannot be executed (permissions, format)"},
    {STR(EXIT_NOT_FOUND), "the command was not found (or its #! interpreter is missing)"},
};

const unsigned exit_code_doc_count = sizeof(exit_code_docs) / sizeof(exit_code_docs[0]);
