#include "lockfile.h"

#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkdir -p for the folders leading to path; on failure, failed names the
 * folder that could not be made. */
static int make_parents(const char *path, char *failed, size_t failed_size)
{
	char folder[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(folder)) {
		errno = ENAMETOOLONG;
		snprintf(failed, failed_size, "%s", path);
		return -1;
	}
	memcpy(folder, path, len + 1);
	for (char *slash = strchr(folder + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(folder, 0755) < 0 && errno != EEXIST) {
			snprintf(failed, failed_size, "%s", folder);
			return -1;
		}
		*slash = '/';
	}
	return 0;
}

int lockfile_open(struct lockfile *lock, const char *path, char *error, size_t error_size)
{
	char failed[PATH_MAX];

	lock->held = false;
	if (make_parents(path, failed, sizeof(failed)) < 0) {
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

struct lock_wait {
	struct lockfile *lock;
	int64_t poll_ms;
	int64_t deadline_ms; /* monotonic; 0: none */
	int result;
	int error;
	int stop_signal;
	int timer;
};

static void on_poll(struct loop *loop, void *arg)
{
	struct lock_wait *wait = arg;

	wait->timer = -1;
	wait->result = lockfile_try(wait->lock);
	wait->error = errno;
	if (wait->result == 0 && wait->deadline_ms && loop_now_ms() >= wait->deadline_ms) {
		wait->result = -1;
		wait->error = ETIMEDOUT;
	}
	if (wait->result != 0)
		loop_stop(loop);
	else if ((wait->timer = loop_add_timer(loop, wait->poll_ms, on_poll, wait)) < 0) {
		wait->result = -1;
		wait->error = errno;
		loop_stop(loop);
	}
}

static void on_signal(struct loop *loop, const struct signalfd_siginfo *info, void *arg)
{
	struct lock_wait *wait = arg;

	if (proc_is_stop_signal((int)info->ssi_signo)) {
		wait->stop_signal = (int)info->ssi_signo;
		loop_stop(loop);
	}
}

int lockfile_wait(struct lockfile *lock, struct loop *loop, int64_t poll_ms, int64_t timeout_ms, int *stop_signal)
{
	struct lock_wait wait = {
	    .lock = lock, .poll_ms = poll_ms, .deadline_ms = timeout_ms > 0 ? loop_now_ms() + timeout_ms : 0};

	*stop_signal = 0;
	wait.timer = loop_add_timer(loop, 0, on_poll, &wait);
	if (wait.timer < 0)
		return -1;
	loop_on_signal(loop, on_signal, &wait);
	if (loop_run(loop) < 0) {
		wait.result = -1;
		wait.error = errno;
	}
	loop_on_signal(loop, NULL, NULL);
	loop_cancel_timer(loop, wait.timer);
	if (wait.stop_signal) {
		*stop_signal = wait.stop_signal;
		return 0;
	}
	errno = wait.error;
	return wait.result;
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
