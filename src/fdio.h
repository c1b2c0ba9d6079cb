/* Writing to file descriptors without stdio: what the log, the relay of the
 * Prisma CLI's output and the generate record share. */
#ifndef PE_FDIO_H
#define PE_FDIO_H

#include <stddef.h>

/* Writes all len bytes, resuming after interruptions and short writes.
 * Returns 0, or -1 with errno. */
int fdio_write_all(int fd, const void *data, size_t len);

#endif
