/* The `user` setting: who the Prisma CLI and the app run as.
 *
 * A container starts as root while the bind-mounted project belongs to the
 * host's user: whatever the children write there (node_modules/.prisma, the
 * app's files) would belong to root on the host. With a user, the children
 * switch to it between fork and exec (proc_user_apply(): setgroups, setgid,
 * setuid, as gosu does) while this process stays root, as an init needs no
 * more than that but keeps reaping and signalling whatever its children are.
 *
 * Everything is looked up here, before the first phase: names through the
 * system's user and group databases (getpwnam, getgrnam; /etc/passwd and
 * /etc/group in a container, with glibc and musl, static builds included),
 * the supplementary groups with getgrouplist, and the switch is tried once in
 * a child of its own, so that a missing user or a refused switch is one
 * configuration error before the wait rather than a failure after it. */
#ifndef PE_USER_H
#define PE_USER_H

#include "proc.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct user {
	/* false: nothing to switch (the setting is unset, or names this
	 * process's own uid and gid); ids are then not to be applied. */
	bool switching;
	struct proc_user ids; /* what proc_spawn() and proc_exec() apply */
	char *name;           /* from the passwd entry; NULL when the uid has none */
	char *home;           /* the entry's home folder, else "/" */
	/* owned storage behind ids */
	gid_t *groups;
	char *env_vars[3];
	const char *env[4];
};

#define USER_OWNER "owner"

/* Resolves spec: a name, a uid, name:group, uid:gid (either side a name or
 * a number), or "owner": the owner and group of the working directory. A
 * name must exist; a uid need not (then no supplementary groups, HOME "/"
 * and the gid 0 unless given, as docker run --user and gosu do). spec NULL:
 * no switch. Not root: only this process's own uid and gid are accepted (no
 * switch). Root: the switch is tried in a throwaway child. Returns 0, or -1
 * with one line in error (what, why, what to do; it starts with "cannot run
 * as user 'SPEC'"). Release with user_release() either way. */
int user_resolve(const char *spec, struct user *user, char *error, size_t error_size);

/* "uid 1000 'node', gid 1000, groups 1000,27, HOME /home/node". */
void user_describe(const struct user *user, char *out, size_t out_size);

void user_release(struct user *user);

#endif
