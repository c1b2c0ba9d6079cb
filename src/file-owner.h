/* Giving the files this process writes for its children's user to that user.
 *
 * With the `user` setting this process stays root while the phases' children
 * and the app run as the user (user.h); the files it writes itself (the
 * generate record, its lock file, the folders leading to them) are written as
 * root, then handed over: in a folder that belongs to the user they become the
 * user's, as they would had the user written them, so that the host's user
 * can edit or delete them in a bind-mounted project. Anywhere else (a root-owned
 * volume, /tmp) they stay as they are. */
#ifndef PE_FILE_OWNER_H
#define PE_FILE_OWNER_H

#include <sys/types.h>

struct file_owner {
	uid_t uid;
	gid_t gid;
};

/* When the folder holding path belongs to owner->uid, path (fd when it is
 * not -1, else path itself, not following a symbolic link) is given to
 * owner->uid and owner->gid. owner NULL: nothing to do. Returns 0 (also when
 * there was nothing to do), or -1 with errno. */
int file_owner_give(const struct file_owner *owner, int fd, const char *path);

#endif
