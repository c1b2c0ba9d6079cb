/* The generate record: the digest of the inputs of the last successful
 * `prisma generate`, kept in a small text file so that the next start can
 * tell whether the generated client still matches its schema.
 *
 *   # prisma-entrypoint: inputs of the last successful prisma generate
 *   digest 3f5c...(64 hex digits)
 *   schema prisma/schema.prisma
 *
 * Only the digest line decides; the rest is for people. The file is replaced
 * atomically, so a reader sees the old record or the new one, never a part. */
#ifndef PE_GENERATE_RECORD_H
#define PE_GENERATE_RECORD_H

#include "file-owner.h"

#include <stddef.h>

/* Reads the digest recorded at path into hex (64 lowercase hex digits and a
 * NUL). Returns 1 found; 0 no record (no file, or a file without a valid
 * digest line: both mean "generate"); -1 with a one-line error when the file
 * exists but cannot be read. */
int record_read(const char *path, char hex[65], char *error, size_t error_size);

/* Replaces the record at path: a temporary file in the same folder (which
 * must exist), written, fsync'd, renamed over path, then the folder fsync'd.
 * The file is given to owner before the rename when the folder belongs to it
 * (file_owner_give(); NULL: left to this process; a refusal is not an error).
 * Returns 0, or -1 with a one-line error; on failure the old record (if any)
 * is left as it was and no temporary file remains. */
int record_write(const char *path, const char *hex, const char *schema_path, const struct file_owner *owner,
                 char *error, size_t error_size);

/* Removes the record at path for good: unlinked, then the folder fsync'd, so
 * that a crash or power cut after this cannot bring the record back to vouch
 * for files written since. Returns 0 (also when there was none), or -1 with a
 * one-line error (the record may still be there). */
int record_remove(const char *path, char *error, size_t error_size);

/* The same record format for another record (the install record: the
 * digest of package.json and the lockfile of the last install): what names
 * it in messages ("install record"), comment is its first line after
 * "# prisma-entrypoint: ", and label/value the line after the digest. */
struct record_kind {
	const char *what;
	const char *comment;
	const char *label;
};

int record_read_as(const char *what, const char *path, char hex[65], char *error, size_t error_size);
int record_write_as(const struct record_kind *kind, const char *path, const char *hex, const char *value,
                    const struct file_owner *owner, char *error, size_t error_size);
int record_remove_as(const char *what, const char *path, char *error, size_t error_size);

#endif
