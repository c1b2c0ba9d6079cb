#include "lockfile.h"

#include "fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* For fdio_make_parents(): a folder made on the way to the lock file is
 * given to the children's user, as the lock file is. */
static void give_folder(void *arg, const char *folder)
{
	file_owner_give(arg, -1, folder);
}

int lockfile_open(struct lockfile *lock, const char *path, const struct file_owner *owner, char *error,
                  size_t error_size)
{
	char failed[PATH_MAX];

	lock->held = false;
	if (fdio_make_parents(path, give_folder, (void *)owner, failed, sizeof(failed)) < 0) {
		int saved = errno;

		snprintf(error, error_size, "cannot create the folder %s: %s", failed, strerror(saved));
		errno = saved;
		return -1;
	}
	lock->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
	if (lock->fd < 0) {
		int saved = errno;

		snprintf(error, error_size, "cannot create the lock file %s: %s", path, strerror(saved));
		errno = saved;
		return -1;
	}
	file_owner_give(owner, lock->fd, path);
	return 0;
}

int lockfile_open_folder(struct lockfile *lock, const char *path, const struct file_owner *owner, char *error,
                         size_t error_size)
{
	lock->held = false;
	if (mkdir(path, 0755) == 0)
		file_owner_give(owner, -1, path);
	else if (errno != EEXIST) {
		int saved = errno;

		snprintf(error, error_size, "cannot create the folder %s: %s", path, strerror(saved));
		errno = saved;
		return -1;
	}
	lock->fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY);
	if (lock->fd < 0) {
		int saved = errno;

		snprintf(error, error_size, "cannot open the folder %s: %s", path, strerror(saved));
		errno = saved;
		return -1;
	}
	return 0;
}

int lockfile_try(struct lockfile *lock)
{
	if (flock(lock->fd, LOCK_EX | LOCK_NB) == 0) {
		lock->held = true;
		return 1;
	}
	if (errno == EWOULDBLOCK)
		return 0;
	return -1;
}

enum lock_try lockfile_take(void *lock)
{
	int taken = lockfile_try(lock);

	return taken > 0 ? LOCK_TRY_TAKEN : taken == 0 ? LOCK_TRY_HELD : LOCK_TRY_FAILED;
}

void lockfile_release(struct lockfile *lock)
{
	if (lock->fd >= 0) {
		if (lock->held)
			flock(lock->fd, LOCK_UN);
		close(lock->fd);
	}
	lock->fd = -1;
	lock->held = false;
}

int lockfile_inherit(struct lockfile *lock, bool inherit)
{
	return fcntl(lock->fd, F_SETFD, inherit ? 0 : FD_CLOEXEC);
}
