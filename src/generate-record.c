#include "generate-record.h"

#include "fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The trailing characters mkostemp() requires to be X. */
#define TEMP_UNIQUE_CHARS 6

#define DIGEST_HEX_LEN   64
#define DIGEST_KEY       "digest "
#define RECORD_MAX_BYTES (1024 * 1024) /* far more than any record; a bound on what a start reads */

static bool is_digest(const char *text, size_t len)
{
	if (len != DIGEST_HEX_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\0' || !strchr("0123456789abcdef", text[i]))
			return false;
	return true;
}

int record_read(const char *path, char hex[65], char *error, size_t error_size)
{
	return record_read_as("generate record", path, hex, error, error_size);
}

int record_read_as(const char *what, const char *path, char hex[65], char *error, size_t error_size)
{
	char *line = NULL;
	size_t capacity = 0;
	struct stat st;
	FILE *file;
	ssize_t len;
	int found = 0;
	int fd;

	switch (fdio_open_regular(AT_FDCWD, path, RECORD_MAX_BYTES, &fd, &st)) {
	case FDIO_OPENED:
		break;
	case FDIO_FAILED:
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		snprintf(error, error_size, "cannot read the %s %s: %s", what, path, strerror(errno));
		return -1;
	case FDIO_NOT_REGULAR:
		snprintf(error, error_size, "the %s %s is not a regular file", what, path);
		return -1;
	case FDIO_TOO_LARGE:
		snprintf(error, error_size, "the %s %s is too large to be one", what, path);
		return -1;
	}
	if (!(file = fdopen(fd, "r"))) {
		snprintf(error, error_size, "cannot read the %s %s: %s", what, path, strerror(errno));
		close(fd);
		return -1;
	}
	while (!found && (len = getline(&line, &capacity, file)) >= 0) {
		size_t content = strcspn(line, "\r\n");

		if (strncmp(line, DIGEST_KEY, strlen(DIGEST_KEY)) == 0 &&
		    is_digest(line + strlen(DIGEST_KEY), content - strlen(DIGEST_KEY))) {
			memcpy(hex, line + strlen(DIGEST_KEY), DIGEST_HEX_LEN);
			hex[DIGEST_HEX_LEN] = '\0';
			found = 1;
		}
	}
	free(line);
	if (!found && ferror(file)) {
		snprintf(error, error_size, "cannot read the %s %s: %s", what, path, strerror(errno));
		fclose(file);
		return -1;
	}
	fclose(file);
	return found;
}

/* After a rename, the new name is only durable once the folder is synced. */
static int sync_folder(const char *path)
{
	char copy[PATH_MAX];
	int fd;
	int status;

	snprintf(copy, sizeof(copy), "%s", path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	status = fsync(fd);
	close(fd);
	return status;
}

int record_write(const char *path, const char *hex, const char *schema_path, const struct file_owner *owner,
                 char *error, size_t error_size)
{
	static const struct record_kind generate = {
	    .what = "generate record", .comment = "inputs of the last successful prisma generate", .label = "schema"};

	return record_write_as(&generate, path, hex, schema_path, owner, error, error_size);
}

int record_write_as(const struct record_kind *kind, const char *path, const char *hex, const char *value,
                    const struct file_owner *owner, char *error, size_t error_size)
{
	const char *what = kind->what;

	char temp[PATH_MAX];
	int temp_len;
	char content[PATH_MAX + 256];
	int content_len;
	int fd;
	const char *step;

	temp_len = snprintf(temp, sizeof(temp), "%s.tmp-", path);
	if (temp_len < 0 || (size_t)temp_len + TEMP_UNIQUE_CHARS >= sizeof(temp)) {
		snprintf(error, error_size, "cannot write the %s %s: path too long", what, path);
		return -1;
	}
	/* mkostemp() makes the name unique by replacing these. */
	memset(temp + temp_len, 'X', TEMP_UNIQUE_CHARS);
	temp[temp_len + TEMP_UNIQUE_CHARS] = '\0';
	content_len = snprintf(content, sizeof(content), "# prisma-entrypoint: %s\ndigest %s\n%s %s\n", kind->comment,
	                       hex, kind->label, value);
	if (content_len < 0 || (size_t)content_len >= sizeof(content)) {
		snprintf(error, error_size, "cannot write the %s %s: %s too long", what, path, kind->label);
		return -1;
	}
	fd = mkostemp(temp, O_CLOEXEC);
	if (fd < 0) {
		snprintf(error, error_size, "cannot write the %s %s: cannot create a file there: %s", what, path,
		         strerror(errno));
		return -1;
	}
	/* mkostemp makes it 0600; a record is not a secret, and another user
	 * (the app's) may need to read it. */
	/* Before the rename, so that the record appears with its owner. */
	file_owner_give(owner, fd, path);
	if (fchmod(fd, 0644) < 0)
		step = "chmod";
	else if (fdio_write_all(fd, content, (size_t)content_len) < 0)
		step = "write";
	else if (fsync(fd) < 0)
		step = "fsync";
	else
		step = NULL;
	if (close(fd) < 0 && !step)
		step = "close";
	if (!step && rename(temp, path) < 0)
		step = "rename";
	if (step) {
		int saved = errno;

		unlink(temp);
		snprintf(error, error_size, "cannot write the %s %s: %s failed: %s", what, path, step, strerror(saved));
		return -1;
	}
	/* The record is in place; a failed folder sync only weakens durability
	 * across a power cut, which regenerating on the next start would fix. */
	sync_folder(path);
	return 0;
}

int record_remove(const char *path, char *error, size_t error_size)
{
	return record_remove_as("generate record", path, error, error_size);
}

int record_remove_as(const char *what, const char *path, char *error, size_t error_size)
{
	if (unlink(path) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(error, error_size, "cannot remove the %s %s: %s", what, path, strerror(errno));
		return -1;
	}
	/* Until the folder is synced the removal may be lost in a crash, and the
	 * old record come back. EINVAL: a file system that cannot sync folders
	 * (some FUSE ones); nothing more can be done there. */
	if (sync_folder(path) < 0 && errno != EINVAL) {
		snprintf(error, error_size, "cannot remove the %s %s for good (syncing its folder failed): %s", what,
		         path, strerror(errno));
		return -1;
	}
	return 0;
}
