#include "fdio.h"

#include <errno.h>
#include <fcntl.h>
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
