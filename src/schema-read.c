#include "schema-read.h"

#include "fdio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool schema_reader_stopped(struct schema_reader *reader)
{
	struct schema_stop *stop = reader->stop;

	if (stop && stop->should_stop && !stop->stopped && stop->should_stop(stop->arg))
		stop->stopped = true;
	return stop && stop->stopped;
}

int schema_read_file(int dirfd, const char *path, struct schema_reader *reader, char *error, size_t error_size)
{
	struct stat st;
	size_t want;
	int fd;

	if (schema_reader_stopped(reader)) {
		snprintf(error, error_size, "stopped while reading %s", path);
		errno = ECANCELED;
		return -1;
	}
	switch (fdio_open_regular(dirfd, path, SCHEMA_FILE_MAX, &fd, &st)) {
	case FDIO_OPENED:
		break;
	case FDIO_FAILED: {
		int failure = errno;

		snprintf(error, error_size, "cannot read %s: %s", path, strerror(failure));
		errno = failure;
		return -1;
	}
	case FDIO_NOT_REGULAR:
		snprintf(error, error_size, "cannot read %s: not a regular file", path);
		errno = EINVAL;
		return -1;
	case FDIO_TOO_LARGE:
		snprintf(error, error_size, "cannot read %s: %lld bytes, more than the %d MiB prisma-entrypoint reads",
		         path, (long long)st.st_size, SCHEMA_FILE_MAX >> 20);
		errno = EFBIG;
		return -1;
	}
	want = (size_t)st.st_size + 1;
	if (reader->cap < want) {
		char *data = realloc(reader->data, want);

		if (!data) {
			snprintf(error, error_size, "out of memory");
			close(fd);
			errno = ENOMEM;
			return -1;
		}
		reader->data = data;
		reader->cap = want;
	}
	reader->len = 0;
	while (reader->len < (size_t)st.st_size) {
		ssize_t n = read(fd, reader->data + reader->len, (size_t)st.st_size - reader->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(error, error_size, "cannot read %s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break; /* shrunk meanwhile: what is there */
		reader->len += (size_t)n;
	}
	reader->data[reader->len] = '\0';
	close(fd);
	return 0;
}

void schema_reader_release(struct schema_reader *reader)
{
	free(reader->data);
	reader->data = NULL;
	reader->len = reader->cap = 0;
}
