/* File descriptors without stdio: writing all of a buffer (what the log, the
 * relay of the Prisma CLI's output and the generate record share), and
 * opening a file a start reads whole (settings, secrets, the record, the
 * schema and the package.json files around it) so that no such read can
 * wait or run forever. */
#ifndef PE_FDIO_H
#define PE_FDIO_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Writes all len bytes, resuming after interruptions and short writes.
 * Returns 0, or -1 with errno. */
int fdio_write_all(int fd, const void *data, size_t len);

enum fdio_open_result {
	FDIO_OPENED,
	FDIO_FAILED,      /* open() or fstat() failed: errno says why */
	FDIO_NOT_REGULAR, /* a folder, FIFO, socket or device: /dev/zero, a pipe */
	FDIO_TOO_LARGE,   /* a regular file over max_bytes */
};

/* Opens path (relative to dirfd; AT_FDCWD for the working directory) for
 * reading, only when it is a regular file of at most max_bytes, filling *st
 * and *fd (close-on-exec, blocking reads). The open itself never waits: a
 * FIFO nobody writes to is refused, not waited on. On another result *fd is
 * -1 and nothing stays open. */
enum fdio_open_result fdio_open_regular(int dirfd, const char *path, off_t max_bytes, int *fd, struct stat *st);

/* Reads path (relative to the working directory) whole, through
 * fdio_open_regular(): *data (malloc'd, NUL-terminated; free it) and *len.
 * Returns FDIO_OPENED, or another result with a one-line reason in error
 * ("cannot read PATH: too large"); FDIO_FAILED keeps errno (ENOENT for a
 * missing file). */
enum fdio_open_result fdio_read_regular(const char *path, off_t max_bytes, char **data, size_t *len, char *error,
                                        size_t error_size);

/* The same relative to dirfd, also filling *stat_out with the file's
 * stat as it was opened (before the read): what a record of files already
 * read keys them by. */
enum fdio_open_result fdio_read_regular_at(int dirfd, const char *path, off_t max_bytes, char **data, size_t *len,
                                           struct stat *stat_out, char *error, size_t error_size);

/* mkdir -p for the folders leading to path (the lock files, the install
 * record after an install emptied node_modules). Returns 0, or -1 with errno
 * and failed naming the folder that could not be made. */
int fdio_make_parents(const char *path, void (*made)(void *arg, const char *folder), void *arg, char *failed,
                      size_t failed_size);

#endif
