/* install = auto, at the start of the generate phase: the lockfile's frozen
 * install (npm ci, ...) exactly when package.json or the lockfile changed
 * since the last install, or node_modules is empty; and, in any mode, a
 * word when node_modules is an empty volume hiding the image's. */
#include "phases.h"

#include "exit-codes.h"
#include "fdio.h"
#include "generate-record.h"
#include "install-state.h"
#include "lockfile.h"
#include "log.h"
#include "prisma.h"
#include "value.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for a line that quotes a path or two. */
#define LINE_MAX_CHARS (2 * PATH_MAX + 256)
#define RECORD_NAME    "install-record"

static const struct record_kind install_record = {
    .what = "install record",
    .comment = "package.json and the lockfile of the last install it ran",
    .label = "lockfile",
};

/* The install record lives next to the generate record: by default inside
 * node_modules, so that a volume emptied or replaced takes it along. */
static void install_record_path(const char *generate_record, char *out, size_t size)
{
	const char *slash = strrchr(generate_record, '/');

	if (slash)
		snprintf(out, size, "%.*s/" RECORD_NAME, (int)(slash - generate_record), generate_record);
	else
		snprintf(out, size, RECORD_NAME);
}

/* Why an install runs, for the line that says so. */
static void describe(int state, const struct install_lockfile *lockfile, enum node_modules_state node_modules,
                     const char *record_path, char *out, size_t size)
{
	switch (state) {
	case INSTALL_NOT_INSTALLED:
		snprintf(out, size, "node_modules is %s", node_modules == NODE_MODULES_MISSING ? "missing" : "empty");
		break;
	case INSTALL_CHANGED:
		snprintf(out, size, "package.json or %s changed since the last install", lockfile->name);
		break;
	default:
		snprintf(out, size, "no install record at %s, and %s %s is missing or older than %s or package.json",
		         record_path, lockfile->installed_who, lockfile->installed, lockfile->name);
		break;
	}
}

static bool in_sync(int state)
{
	return state == INSTALL_IN_SYNC || state == INSTALL_IN_SYNC_BY_MANAGER;
}

static int check(const struct install_lockfile *lockfile, const char *hex, const char *record_path, int *state)
{
	char error[LINE_MAX_CHARS];

	*state = install_state_check(lockfile, hex, record_path, install_node_modules_state(), error, sizeof(error));
	if (*state < 0) {
		log_error("%s: remove it, or set generate-record to a writable place", error);
		return EXIT_CANT_CREATE;
	}
	return 0;
}

/* Takes node_modules itself, then the generate lock, and looks again: the
 * other start may have been installing these very files. node_modules first
 * because npm ci empties it, the generate lock's file with it: a start that
 * came during an install would make a new lock file (and its folders, which
 * fails npm's removal of them with ENOTEMPTY), take it at once, and install
 * too; node_modules stays, and so does a lock on it, and nothing is written
 * into it before that lock is held. Generate takes only the second: no
 * cycle. */
static int take_locks(struct lockfile locks[2], struct loop *loop, const char *generate_record,
                      const struct install_lockfile *lockfile, const char *hex, const char *record_path,
                      const struct file_owner *owner, int *state)
{
	char lock_path[PATH_MAX];
	struct phase_lock_text text = {
	    .cannot_open = "cannot install",
	    .advice = "set generate-record to a writable place",
	    .holder = "installing into node_modules",
	    .doing = "installing",
	};
	int status;

	snprintf(lock_path, sizeof(lock_path), "%s.lock", generate_record);
	status = phase_take_file_lock(&locks[0], loop, "node_modules", lockfile_open_folder, owner, &text, NULL);
	text.holder = "installing or generating";
	if (status == 0)
		status = phase_take_file_lock(&locks[1], loop, lock_path, lockfile_open, owner, &text, NULL);
	if (status != 0)
		return status;
	return check(lockfile, hex, record_path, state);
}

/* With the lock held: the frozen install, then the record of what it
 * installed. */
static int install(const struct invocation *invocation, struct loop *loop, const struct install_lockfile *lockfile,
                   const char *hex, const char *record_path, struct lockfile locks[2], const char *reason)
{
	struct prisma_cli manager = {.found_by = "PATH"};
	struct file_owner owner;
	const char *args[4] = {NULL};
	struct prisma_run_params params = {
	    .loop = loop,
	    .signals = invocation->signals,
	    .cli = &manager,
	    .name = lockfile->program,
	    .args = args,
	    .output_prefix = config_text(&invocation->config, SETTING_PRISMA_OUTPUT_PREFIX),
	    .stop_timeout_ms = config_duration_ms(&invocation->config, SETTING_STOP_TIMEOUT),
	    .user = phase_child_user(invocation),
	};
	char command[64];
	char error[LINE_MAX_CHARS];
	char failed[PATH_MAX];
	char how[64];
	char took[32];
	struct child_result result;
	const char *search = getenv("PATH");
	bool inherited[2];
	int ended;

	snprintf(command, sizeof(command), "%s", lockfile->program);
	for (size_t i = 0; i < sizeof(args) / sizeof(args[0]) - 1 && lockfile->args[i]; i++) {
		args[i] = lockfile->args[i];
		snprintf(command + strlen(command), sizeof(command) - strlen(command), " %s", args[i]);
	}
	if (proc_find_program(lockfile->program, manager.program, sizeof(manager.program)) < 0) {
		log_error("cannot install the packages of %s: '%s' is not in PATH (%s); install it in the image, or "
		          "set install = off and install them some other way; the app was not started",
		          lockfile->name, lockfile->program, search ? search : "unset");
		return EXIT_INSTALL;
	}
	/* A record goes only after an install that finished: one interrupted
	 * leaves node_modules half old, half new. */
	if (record_remove_as(install_record.what, record_path, error, sizeof(error)) < 0) {
		log_error("%s: %s was not run; set generate-record to a writable place", error, command);
		return EXIT_CANT_CREATE;
	}
	log_info("installing the packages of %s: %s; running %s", lockfile->name, reason, command);
	log_verbose("running %s (found in PATH)", manager.program);
	/* The install holds the locks with us, as prisma generate does: if we
	 * are killed, the next start waits for it to be done. */
	for (int i = 0; i < 2; i++)
		inherited[i] = locks[i].held && lockfile_inherit(&locks[i], true) == 0;
	prisma_run(&params, &result);
	for (int i = 0; i < 2; i++)
		if (inherited[i])
			lockfile_inherit(&locks[i], false);
	if (result.outcome == CHILD_SPAWN_FAILED) {
		log_error("cannot run %s (%s): %s; the app was not started", command, manager.program,
		          strerror(result.status));
		return result.failed == PROC_FAILED_FORK ? EXIT_OS_ERROR : EXIT_INSTALL;
	}
	ended = phase_cli_ended(&result, &manager, command, "no install record was written", how, sizeof(how));
	if (ended == PHASE_CLI_FAILED) {
		log_error("%s failed (%s): the app was not started, no install record was written, and the next start "
		          "installs again; fix the error above (a lockfile that does not match package.json: run the "
		          "install on the host and commit the lockfile)",
		          command, how);
		return EXIT_INSTALL;
	}
	if (ended != 0)
		return ended;
	/* The install emptied node_modules, and the record's folder with it. */
	if (fdio_make_parents(record_path, NULL, NULL, failed, sizeof(failed)) < 0)
		snprintf(error, sizeof(error), "cannot write the install record %s: cannot create the folder %s: %s",
		         record_path, failed, strerror(errno));
	else if (record_write_as(&install_record, record_path, hex, lockfile->name,
	                         phase_file_owner(invocation, &owner), error, sizeof(error)) == 0)
		error[0] = '\0';
	if (error[0]) {
		log_error("%s: the packages were installed but not recorded, and the app was not started; set "
		          "generate-record to a writable place",
		          error);
		return EXIT_INSTALL;
	}
	value_format_duration(result.elapsed_ms, took, sizeof(took));
	log_info("packages of %s installed in %s", lockfile->name, took);
	return 0;
}

int phase_install(const struct invocation *invocation, struct loop *loop)
{
	const struct config *config = &invocation->config;
	const char *generate_record = config_text(config, SETTING_GENERATE_RECORD);
	enum node_modules_state node_modules = install_node_modules_state();
	struct schema_stop stop = {.should_stop = phase_stop_pending};
	struct lockfile locks[2] = {LOCKFILE_INIT, LOCKFILE_INIT};
	struct file_owner owner;
	struct install_lockfile lockfile;
	char record_path[PATH_MAX];
	char error[LINE_MAX_CHARS];
	char reason[LINE_MAX_CHARS];
	char hex[65];
	int state;
	int status;

	if (config_choice(config, SETTING_INSTALL) == CHOICE_INSTALL_OFF) {
		if (node_modules == NODE_MODULES_EMPTY_MOUNT)
			log_warning(
			    "'node_modules' is an empty volume mounted over the image's: the app will not find "
			    "its packages; set install = auto (PRISMA_ENTRYPOINT_INSTALL=auto) to install them at "
			    "start, or install them in the image at this path, or remove the volume");
		return 0;
	}
	error[0] = '\0';
	status = install_lockfile_find(&lockfile, hex, &stop, error, sizeof(error));
	if (status < 0 && stop.stopped)
		return phase_report_stopped("reading the lockfile");
	if (status < 0) {
		log_error("%s", error);
		return EXIT_CONFIG;
	}
	if (status == 0) {
		log_info("no package.json with a lockfile (package-lock.json, npm-shrinkwrap.json, pnpm-lock.yaml, "
		         "yarn.lock) here: install skipped");
		return 0;
	}
	if (node_modules == NODE_MODULES_EMPTY_MOUNT)
		log_info("'node_modules' is an empty volume mounted over the image's: installing the packages of %s "
		         "into it",
		         lockfile.name);
	install_record_path(generate_record, record_path, sizeof(record_path));
	status = check(&lockfile, hex, record_path, &state);
	if (status != 0)
		return status;
	if (in_sync(state)) {
		log_info("node_modules is in sync with %s (%s): install skipped", lockfile.name,
		         state == INSTALL_IN_SYNC ? "install record" : lockfile.installed_who);
		return 0;
	}
	describe(state, &lockfile, node_modules, record_path, reason, sizeof(reason));
	status = take_locks(locks, loop, generate_record, &lockfile, hex, record_path,
	                    phase_file_owner(invocation, &owner), &state);
	if (status == 0 && in_sync(state))
		log_info("packages of %s were installed by another process meanwhile: install skipped", lockfile.name);
	else if (status == 0)
		status = install(invocation, loop, &lockfile, hex, record_path, locks, reason);
	lockfile_release(&locks[1]);
	lockfile_release(&locks[0]);
	return status;
}
