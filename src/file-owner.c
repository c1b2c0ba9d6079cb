#include "file-owner.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int file_owner_give(const struct file_owner *owner, int fd, const char *path)
{
	char copy[PATH_MAX];
	struct stat folder;

	if (!owner)
		return 0;
	if ((size_t)snprintf(copy, sizeof(copy), "%s", path) >= sizeof(copy)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* dirname() of "record" is ".": the working directory. */
	if (stat(dirname(copy), &folder) < 0)
		return -1;
	if (folder.st_uid != owner->uid)
		return 0;
	if (fd >= 0)
		return fchown(fd, owner->uid, owner->gid);
	return fchownat(AT_FDCWD, path, owner->uid, owner->gid, AT_SYMLINK_NOFOLLOW);
}
