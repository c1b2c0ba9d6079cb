/* Reading the files of a Prisma project for the schema's discovery and its
 * digest: each file whole, at most SCHEMA_FILE_MAX bytes, regular files only
 * (a FIFO or /dev/zero in a file's place is an error, never a read that waits
 * or runs forever), and a stop check asked before every read and every folder
 * entry of a walk, so that a stop request ends a long look at once. */
#ifndef PE_SCHEMA_READ_H
#define PE_SCHEMA_READ_H

#include "schema.h"

#include <stdbool.h>
#include <stddef.h>

/* Bytes: far more than any schema or package.json; a bound on what a start reads. */
#define SCHEMA_FILE_MAX (16 * 1024 * 1024)

/* The bytes of the file read last (owned; NUL after them), and the stop
 * check (borrowed; NULL: never stop). Zero it, set stop, release with
 * schema_reader_release(). */
struct schema_reader {
	char *data;
	size_t len, cap;
	struct schema_stop *stop;
};

/* Whether a stop was requested; records it in the stop for the caller. */
bool schema_reader_stopped(struct schema_reader *reader);

/* Reads the regular file at path (relative to dirfd) into reader, replacing
 * its contents: the size fstat() reports (bytes appended meanwhile are not
 * read). Returns 0, or -1 with a one-line error and errno kept from open()
 * (ENOENT for a file that does not exist; ECANCELED when stopped). */
int schema_read_file(int dirfd, const char *path, struct schema_reader *reader, char *error, size_t error_size);

void schema_reader_release(struct schema_reader *reader);

#endif
