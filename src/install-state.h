/* Whether node_modules is in sync with the project's lockfile, decided
 * without running the package manager: which lockfile is in use (and so
 * which manager and which frozen install), the digest of package.json and
 * that lockfile, compared with the install record (generate-record.h's
 * format: the digest of what the last install run here installed), and
 * node_modules itself: missing, empty, or hidden by an empty volume. */
#ifndef PE_INSTALL_STATE_H
#define PE_INSTALL_STATE_H

#include "schema.h"

#include <stdbool.h>
#include <stddef.h>

/* The lockfile found, with what installs from it. */
struct install_lockfile {
	const char *name;          /* "package-lock.json", "pnpm-lock.yaml", ... */
	const char *program;       /* looked up in PATH: "npm", "pnpm", "yarn" */
	const char *const *args;   /* the frozen install, after the program; NULL-terminated */
	const char *installed;     /* the manager's own copy of what it installed, under node_modules */
	const char *installed_who; /* "npm's", for messages */
};

/* Finds the lockfile in the working directory, in the order the managers
 * themselves prefer (npm-shrinkwrap.json before package-lock.json), reads
 * it with package.json and takes the digest of both into hex. Returns 1
 * found, 0 no package.json or no lockfile (nothing to install from), -1
 * with a one-line error (unreadable file, SHA-256 unavailable; errno
 * ECANCELED when stop said so). */
int install_lockfile_find(struct install_lockfile *lockfile, char hex[65], struct schema_stop *stop, char *error,
                          size_t error_size);

enum node_modules_state {
	NODE_MODULES_MISSING,
	NODE_MODULES_EMPTY,
	/* empty, and a mount point: an anonymous volume over the image's node_modules */
	NODE_MODULES_EMPTY_MOUNT,
	NODE_MODULES_FILLED,
};

/* What ./node_modules is. */
enum node_modules_state install_node_modules_state(void);

enum install_state {
	INSTALL_IN_SYNC,            /* the record holds this digest */
	INSTALL_IN_SYNC_BY_MANAGER, /* no record; the manager's copy is newer than both files */
	INSTALL_NOT_INSTALLED,      /* node_modules missing or empty */
	INSTALL_NO_RECORD,          /* no record, and nothing else vouches for node_modules */
	INSTALL_CHANGED,            /* the record holds another digest */
};

/* Compares hex with the install record at record_path and node_modules
 * with lockfile. Returns the state, or -1 with a one-line error when the
 * record exists but cannot be read. */
int install_state_check(const struct install_lockfile *lockfile, const char *hex, const char *record_path,
                        enum node_modules_state node_modules, char *error, size_t error_size);

#endif
