/* The phases before the app, shared by the commands that run them: each
 * unpacks the settings into its component's plain parameters and turns the
 * outcome into 0 (go on) or an exit code; an int a phase function returns
 * means nothing else (decisions on the way are enums of their own). One file
 * per phase (phase-*.c); what they share is in phase-common.c, the client's
 * inputs (generate, hash and status) in client-inputs.c, the migrations and
 * the rows of _prisma_migrations (migrate and status) in migrate-plan.c. */
#ifndef PE_PHASES_H
#define PE_PHASES_H

#include "command.h"
#include "loop.h"
#include "client-inputs.h"
#include "file-owner.h"
#include "lock-wait.h"
#include "lockfile.h"
#include "pg-session.h"
#include "prisma.h"
#include "schema.h"

#include <stdbool.h>
#include <stddef.h>

/* Before anything runs (run, sync): resolves the user setting into *user,
 * and points invocation->user at it when the children are to switch. Returns
 * 0, or EXIT_CONFIG after one line (no such user or group, not root, the
 * switch refused here). *user is the caller's to release either way. */
int phase_user_resolve(struct invocation *invocation, struct user *user);

/* The user the phases' children run as (NULL: as this process), and the
 * owner to give the files written for them (NULL: none). */
const struct proc_user *phase_child_user(const struct invocation *invocation);
const struct file_owner *phase_file_owner(const struct invocation *invocation, struct file_owner *storage);

/* The wait's ready connection to database-url, kept for the migrate phase:
 * a start logs in once, not twice. */
struct phase_connection {
	struct pg_probe *probe; /* NULL: none */
	const char *url;        /* the URL it was made for (the configuration's text) */
};

void phase_connection_release(struct phase_connection *connection);

/* Waits for the database and the --wait dependencies. With keep (may be
 * NULL), the database's ready connection goes there when the migrate phase
 * may use it. */
int phase_wait(const struct invocation *invocation, struct loop *loop, struct phase_connection *keep);

/* The wait phase on a loop of its own, for the commands that wait first and
 * then do something without one (wait, status --wait). */
int phase_wait_alone(const struct invocation *invocation);

/* Where a phase found the schema, for the next one, so that a start looks for
 * it once (every container pays for the look, schema or not). */
struct phase_schema {
	bool searched;                         /* looked for, found or not */
	char *path;                            /* found: owned; NULL when there is none */
	struct schema_direct_urls direct_urls; /* found: what the schema and config file say; owned */
	int prisma_major;                      /* found: the installed prisma's major version; -1: unknown */
};

void phase_schema_release(struct phase_schema *schema);

/* install = auto: runs the lockfile's frozen install (npm ci, ...) when
 * package.json or the lockfile changed since the last install, or
 * node_modules is empty, under the generate lock; with install = off, only
 * warns about an empty volume over node_modules. Called first by
 * phase_generate(). */
int phase_install(const struct invocation *invocation, struct loop *loop);

/* Runs prisma generate when the client's inputs changed since the last
 * successful generate, or its output is missing. Fills *schema when it looked
 * for the schema. */
int phase_generate(const struct invocation *invocation, struct loop *loop, struct phase_schema *schema);

/* Runs prisma migrate deploy when the migrations folder has migrations the
 * database has not applied (read natively), one process at a time per
 * database; stops with a clear message when a failed migration blocks. */
int phase_migrate(const struct invocation *invocation, struct loop *loop, const struct phase_schema *schema,
                  struct phase_connection *connection);

/* seed = once, in deploy mode: the migrate phase seeds a database once. */
bool phase_seed_wanted(const struct invocation *invocation);

/* Before anything runs: with seed = once, a PostgreSQL database-url, a seed
 * command (prisma.config.* or package.json) and the program it starts
 * (./node_modules/.bin or PATH) must be there. Returns 0, or EXIT_CONFIG
 * after one line naming what is missing. */
int phase_seed_check(const struct invocation *invocation);

/* Under the migrate lock: the seed record of the session's database (called
 * dbname in messages). Returns 0 with *state and when (done at, or owed
 * since), or an exit code after one line. */
int phase_seed_read(struct pg_session *session, const char *dbname, enum pg_seed_state *state, char *when,
                    size_t when_size);

/* Under the migrate lock, before the deploy that applies the database's
 * first migration: records that it is owed its seed. 0, or an exit code. */
int phase_seed_owe(struct pg_session *session, const char *dbname);

/* Under the migrate lock, after the migrations: runs prisma db seed for a
 * database that owes it (since owed_since), and records the outcome: done,
 * or still owed after a failure (EXIT_SEED). */
int phase_seed_run(const struct invocation *invocation, struct loop *loop, struct pg_session *session,
                   const char *dbname, const char *owed_since);

/* Seed check (seed = once), wait (when wait is true and no-wait is not set),
 * generate and migrate, in that order; each returns 0 to go on. A stop signal pending between two of
 * them ends the sequence with "stopped by SIGTERM before NEXT" ("node
 * started"). Returns 0, or the exit code of the phase that ended it. */
int phase_sequence(const struct invocation *invocation, struct loop *loop, bool wait, const char *next);

/* phase_sequence() in a child of this process, for a PID 1 that supervises
 * next: what the phases load (libpq, libcurl, OpenSSL, the schema, the
 * migrations) dies with the child, and the supervisor stays as small as an
 * init without phases. The child gets its own loop; on loop, this process
 * passes stop signals on to it (it then ends as phase_sequence() does,
 * which has said why), reaps orphans, and keeps serving loop's other
 * watches. The child's last error becomes this process's (log_last_error()).
 * Returns as phase_sequence() does; 128+N too when the child was killed by
 * signal N, or stop signal N came as it ended. */
int phase_sequence_in_child(const struct invocation *invocation, struct loop *loop, bool wait, const char *next);

/* Whether the phases have anything to do beyond saying that there is no
 * schema: a database-url, a dependency to wait for, a package.json, or a
 * schema (or a schema setting, found or not). Without any, they load nothing
 * and run nothing: a start that only supervises (tini's job) forks no child
 * for them. Looks for the schema as the phases do, natively. */
bool phase_sequence_has_work(const struct invocation *invocation);

/* For the wait: whether the migrate phase will run and create a missing
 * database (not no-migrate, a schema and a migrations folder); why names the
 * folder. arg is the invocation. */
bool phase_migrate_creates_database(const void *invocation, char *why, size_t why_size);

/* For the synchronous reads of a phase (the schema walk): whether a stop
 * signal is pending; arg is unused. */
bool phase_stop_pending(void *arg);

/* Stop signal N ended the phase while doing what ("waiting for the generate
 * lock"): logs so and returns 128+N. */
int phase_report_stop(int stop_signal, const char *what);

/* The same for the stop signal that is pending (proc_pending_stop_signal()),
 * for a synchronous step that saw it ("reading the prisma schema"). */
int phase_report_stopped(const char *what);

/* Waits with lock_wait() on loop, at the phases' intervals (params: the
 * try, its arg, held, announce and what; loop and intervals are set here).
 * Returns 0 with result TAKEN or FAILED, or, stopped, 128+N after saying
 * "stopped by SIGTERM while waiting for WAITING_FOR". */
int phase_lock_wait(struct lock_wait_params *params, struct loop *loop, const char *waiting_for,
                    struct lock_wait_result *result);

/* What phase_take_file_lock() says about one lock. */
struct phase_lock_text {
	const char *cannot_open; /* "cannot write the generate record R": before ": <why>; <advice>" */
	const char *advice;      /* "set generate-record to a writable place" */
	const char *holder;      /* "generating the prisma client": "another process is HOLDER (lock P): waiting" */
	const char *doing;       /* "generating": "cannot lock P (...): DOING without the lock" */
};

/* Opens the lock at path with open_lock (lockfile_open, or
 * lockfile_open_folder) and takes it, waiting while another start holds it.
 * Returns 0 when it is held, or when this file system cannot lock at all
 * (ENOLCK on some network file systems: one warning, and better the work
 * done twice than not at all); else an exit code after one line:
 * EXIT_CANT_CREATE when it cannot be opened, or taking it failed after a
 * wait; 128+N when stopped. *waited (may be NULL): another start held it. */
int phase_take_file_lock(struct lockfile *lock, struct loop *loop, const char *path,
                         int (*open_lock)(struct lockfile *, const char *, const struct file_owner *, char *, size_t),
                         const struct file_owner *owner, const struct phase_lock_text *text, bool *waited);

/* A database session as every command makes one: attempt-timeout for the
 * login and each query, a stop signal heard while it waits. */
struct pg_session_params phase_session_params(const struct config *config, const struct pg_target *target);

/* The Prisma CLI could not be started (CHILD_SPAWN_FAILED): logs why and
 * returns the exit code. Not prisma's failure, so never "start anyway". */
int phase_report_spawn_failure(const struct child_result *result, const struct prisma_cli *cli);

/* How a run of the Prisma CLI (what: "prisma db seed") ended, as every phase
 * says it. A stop signal ("stopped by SIGTERM during WHAT: the app was not
 * started" and after_stop, when not NULL, after a semicolon), a loop or spawn
 * failure: logged here, and the exit code returned. An exit status 0: 0. Any
 * other end: PHASE_CLI_FAILED with how ("exit status 1", "killed by
 * SIGKILL"), for the caller's own line. */
#define PHASE_CLI_FAILED (-1)
int phase_cli_ended(const struct child_result *result, const struct prisma_cli *cli, const char *what,
                    const char *after_stop, char *how, size_t how_size);

#endif
