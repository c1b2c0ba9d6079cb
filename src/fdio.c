#include "fdio.h"

#include <errno.h>
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
