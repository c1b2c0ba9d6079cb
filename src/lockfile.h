/* A lock file that lets one process at a time do something, across
 * containers: two containers started from one bind-mounted project share the
 * file, and flock() locks are kept by the kernel they share. A lock goes away
 * with its holder, however that ends, so a crashed holder never blocks the
 * next start. The file itself stays (deleting it would race with a waiter). */
#ifndef PE_LOCKFILE_H
#define PE_LOCKFILE_H

#include "file-owner.h"
#include "lock-wait.h"

#include <stdbool.h>
#include <stddef.h>

struct lockfile {
	int fd; /* -1 when closed */
	bool held;
};

#define LOCKFILE_INIT                                                                                                  \
	{                                                                                                              \
		.fd = -1                                                                                               \
	}

/* Opens (creating) the lock file at path, and the folders leading to it.
 * The folders it makes and the file are given to owner where their folder
 * belongs to it (file_owner_give(); NULL: left as made; a refusal is not an
 * error: the lock works as well). Returns 0, or -1 with errno and a one-line
 * error naming what could not be created. */
int lockfile_open(struct lockfile *lock, const char *path, const struct file_owner *owner, char *error,
                  size_t error_size);

/* The same with a folder as the lock (made when missing, never removed):
 * for what must hold across a tool that empties the folder the lock file
 * would be in (npm ci removes everything in node_modules, the lock file of
 * the generate record included, but not node_modules itself). */
int lockfile_open_folder(struct lockfile *lock, const char *path, const struct file_owner *owner, char *error,
                         size_t error_size);

/* Takes the lock without waiting. Returns 1 taken, 0 held by another
 * process, -1 with errno. */
int lockfile_try(struct lockfile *lock);

/* lockfile_try() as a lock_wait() try (lock-wait.h): arg is the struct
 * lockfile; TAKEN, HELD, or FAILED with errno. */
enum lock_try lockfile_take(void *lock);

/* Whether processes started from now on inherit the lock (0, or -1 with
 * errno). A held flock belongs to the open file, so a child that inherits
 * it holds the lock too, until it and its own children have exited, even
 * when this process is killed first. */
int lockfile_inherit(struct lockfile *lock, bool inherit);

/* Releases the lock, if held, and closes the file; safe when never opened. */
void lockfile_release(struct lockfile *lock);

#endif
