#include "fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fdio_write_all(int fd, const void *data, size_t len)
{
	const char *next = data;

	while (len > 0) {
		ssize_t n = write(fd, next, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		/* write() returns 0 only for len 0; never loop on it. */
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		next += n;
		len -= (size_t)n;
	}
	return 0;
}

enum fdio_open_result fdio_open_regular(int dirfd, const char *path, off_t max_bytes, int *fd, struct stat *st)
{
	/* O_NONBLOCK: opening a FIFO for reading waits for a writer without
	 * it. O_NOCTTY: a terminal in the file's place must not become ours. */
	int opened = openat(dirfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	enum fdio_open_result result = FDIO_OPENED;

	*fd = -1;
	if (opened < 0)
		return FDIO_FAILED;
	if (fstat(opened, st) < 0)
		result = FDIO_FAILED;
	else if (!S_ISREG(st->st_mode))
		result = FDIO_NOT_REGULAR;
	else if (st->st_size > max_bytes)
		result = FDIO_TOO_LARGE;
	else if (fcntl(opened, F_SETFL, 0) < 0) /* blocking reads again */
		result = FDIO_FAILED;
	if (result != FDIO_OPENED) {
		int saved = errno;

		close(opened);
		errno = saved;
		return result;
	}
	*fd = opened;
	return FDIO_OPENED;
}

enum fdio_open_result fdio_read_regular(const char *path, off_t max_bytes, char **data, size_t *len, char *error,
                                        size_t error_size)
{
	struct stat st;

	return fdio_read_regular_at(AT_FDCWD, path, max_bytes, data, len, &st, error, error_size);
}

enum fdio_open_result fdio_read_regular_at(int dirfd, const char *path, off_t max_bytes, char **data, size_t *len,
                                           struct stat *stat_out, char *error, size_t error_size)
{
	enum fdio_open_result opened;
	struct stat st;
	size_t got = 0;
	int fd;

	*data = NULL;
	*len = 0;
	opened = fdio_open_regular(dirfd, path, max_bytes, &fd, &st);
	if (opened != FDIO_OPENED) {
		int saved = errno;

		snprintf(error, error_size, "cannot read %s: %s", path,
		         opened == FDIO_FAILED      ? strerror(saved)
		         : opened == FDIO_TOO_LARGE ? "too large"
		                                    : "not a regular file");
		errno = saved;
		return opened;
	}
	if (!(*data = malloc((size_t)st.st_size + 1))) {
		close(fd);
		snprintf(error, error_size, "cannot read %s: %s", path, strerror(ENOMEM));
		errno = ENOMEM;
		return FDIO_FAILED;
	}
	errno = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, *data + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got < (size_t)st.st_size) {
		int saved = errno ? errno : EIO;

		snprintf(error, error_size, "cannot read %s: %s", path, errno ? strerror(errno) : "it shrank");
		free(*data);
		*data = NULL;
		errno = saved;
		return FDIO_FAILED;
	}
	(*data)[got] = '\0';
	*len = got;
	*stat_out = st;
	return FDIO_OPENED;
}

int fdio_make_parents(const char *path, void (*made)(void *arg, const char *folder), void *arg, char *failed,
                      size_t failed_size)
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
		if (mkdir(folder, 0755) == 0) {
			if (made)
				made(arg, folder);
		} else if (errno != EEXIST) {
			snprintf(failed, failed_size, "%s", folder);
			return -1;
		}
		*slash = '/';
	}
	return 0;
}
