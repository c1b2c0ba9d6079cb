/* The Prisma CLI: finding it, and running one of its commands as a child of
 * a phase (prisma generate, migrate deploy) on the child runner (child.h).
 *
 * The CLI runs in a process group of its own, so that a stop request reaches
 * everything it started (Node, its workers) and nothing it left behind
 * outlives the phase; on a terminal, that group has the foreground while it
 * runs. Its output comes through relays (output-relay.h) onto our stdout and
 * stderr: never mixed into a line of ours, with a prefix when one is asked
 * for, as JSON lines with log-format = json. */
#ifndef PE_PRISMA_H
#define PE_PRISMA_H

#include "child.h"
#include "loop.h"
#include "proc.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

struct prisma_cli {
	char program[PATH_MAX]; /* what to run: a path, absolute or relative to the working directory */
	const char *found_by;   /* "the prisma-cli setting", "./node_modules/.bin/prisma", "PATH", "$NVM_DIR" */
	/* A folder to put first in the CLI's PATH, or "": the `node` of an NVM
	 * installation, for a `#!/usr/bin/env node` CLI when no node is in PATH. */
	char node_dir[PATH_MAX];
};

/* Finds the CLI: configured (the prisma-cli setting: a path, or a name looked
 * up in PATH) when not NULL; else ./node_modules/.bin/prisma; else prisma in
 * PATH; else $NVM_DIR/versions/node/<version>/bin/prisma. Versions under
 * $NVM_DIR are tried in the order nvm would pick them: the alias/default
 * version (or version prefix) first, then the highest. When the CLI found is
 * a `#!/usr/bin/env node` script and PATH has no node, node_dir names an NVM
 * node's folder. Returns 0, or -1 with a one-line error that lists where it
 * looked and what to do. */
int prisma_locate(const char *configured, struct prisma_cli *cli, char *error, size_t error_size);

struct prisma_run_params {
	struct loop *loop;
	const struct proc_signals *signals; /* restored in the CLI */
	const struct proc_user *user;       /* the CLI runs as this user; NULL: as this process */
	const struct prisma_cli *cli;
	/* In messages; NULL: "the prisma CLI". The package manager's frozen
	 * install runs here too (cli then names npm, pnpm or yarn). */
	const char *name;
	const char *const *args;   /* after the program, NULL-terminated; more than 14: E2BIG */
	const char *database_url;  /* exported as DATABASE_URL when not NULL */
	const char *url_variable;  /* not NULL: database_url is exported under this name too */
	const char *output_prefix; /* NULL: none */
	/* A folder put first in the CLI's PATH, or NULL: the app's
	 * node_modules/.bin for prisma db seed, whose command (tsx, ts-node) is
	 * found as `npx prisma db seed` finds it. */
	const char *path_first;
	int64_t stop_timeout_ms; /* after a stop signal, before SIGKILL */
	/* The CLI must never ask: CI=1 in its environment, whatever CI was.
	 * On a terminal, Prisma prompts (db push: "Do you want to ignore the
	 * warning(s)?") unless it thinks it runs in CI. */
	bool unattended;
	/* A CLI that lingers after its work (prisma migrate deploy often does:
	 * an engine or a pool that keeps Node alive): while it runs, work_done
	 * is asked every PRISMA_WORK_POLL_MS whether its work is done as seen
	 * from outside (NULL: never asked). From the first yes it has linger_ms
	 * to exit by itself; then it is stopped as by SIGTERM, and *lingered
	 * (when not NULL) says so: its result is then the stop's, and its work
	 * counts, unlike after a stop signal received. */
	bool (*work_done)(void *arg);
	/* Called with each chunk of the CLI's output, stdout and stderr alike,
	 * as it is relayed (NULL: none): what it says of its work, for
	 * work_done and for the caller (output-watch.h). */
	void (*on_output)(void *arg, const char *data, size_t len);
	void *on_output_arg;
	void *work_done_arg;
	int64_t linger_ms;
	bool *lingered;
};

#define PRISMA_WORK_POLL_MS 200

/* Runs the CLI with args to its end, with CHECKPOINT_DISABLE=1 and
 * PRISMA_HIDE_UPDATE_MESSAGE=1 in its environment unless they are set. A
 * SIGTERM, SIGINT or SIGQUIT received meanwhile is passed to its process
 * group, SIGKILL follows after stop_timeout_ms; other signals are ignored;
 * what it leaves in its group is killed when it exits (child.h). Returns 0
 * when it ran (result says how it ended, and stop_signal whether it was
 * asked to stop: then its work must not count), -1 otherwise (result says
 * why: CHILD_SPAWN_FAILED, with E2BIG for too many args, or
 * CHILD_LOOP_FAILED). */
int prisma_run(const struct prisma_run_params *params, struct child_result *result);

#endif
