#include "user.h"

#include "value.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* (uid_t)-1 means "unchanged" to the kernel: never an id of its own. */
#define ID_MAX 4294967294LL

/* The parts of a passwd entry kept, copied: the next lookup overwrites it. */
struct entry {
	char *name;
	char *home;
	gid_t gid;
};

static int is_number(const char *text, long long *number)
{
	return value_parse_integer(text, 0, ID_MAX, number) == 0;
}

static int keep_entry(const struct passwd *pw, struct entry *entry)
{
	entry->gid = pw->pw_gid;
	entry->name = strdup(pw->pw_name);
	entry->home = strdup(pw->pw_dir && *pw->pw_dir ? pw->pw_dir : "/");
	return entry->name && entry->home ? 0 : -1;
}

/* getpwnam and friends return NULL with errno 0 (or ENOENT, ESRCH, EBADF,
 * EPERM, as implementations differ) for "no such entry". */
static const char *lookup_failure(int error)
{
	if (error == 0 || error == ENOENT || error == ESRCH || error == EBADF || error == EPERM)
		return NULL;
	return strerror(error);
}

/* The user part of spec: a name that must exist, or a uid that may. */
static int find_user(const char *spec, const char *part, uid_t *uid, struct entry *entry, char *error,
                     size_t error_size)
{
	long long number;
	struct passwd *pw;

	errno = 0;
	if (is_number(part, &number)) {
		*uid = (uid_t)number;
		pw = getpwuid(*uid);
	} else {
		pw = getpwnam(part);
		if (!pw) {
			const char *why = lookup_failure(errno);

			snprintf(error, error_size,
			         "cannot run as user '%s': no user named '%s'%s%s%s; create it in the image (useradd "
			         "%s), or give numeric ids (user = 1000:1000), or user = owner for the owner of the "
			         "working directory",
			         spec, part, why ? " (the user database cannot be read: " : " in /etc/passwd",
			         why ? why : "", why ? ")" : "", part);
			return -1;
		}
		*uid = pw->pw_uid;
	}
	if (pw && keep_entry(pw, entry) < 0) {
		snprintf(error, error_size, "cannot run as user '%s': %s", spec, strerror(ENOMEM));
		return -1;
	}
	return 0;
}

static int find_group(const char *spec, const char *part, gid_t *gid, char *error, size_t error_size)
{
	long long number;
	struct group *gr;

	if (is_number(part, &number)) {
		*gid = (gid_t)number;
		return 0;
	}
	errno = 0;
	gr = getgrnam(part);
	if (!gr) {
		const char *why = lookup_failure(errno);

		snprintf(error, error_size,
		         "cannot run as user '%s': no group named '%s'%s%s%s; create it in the image (groupadd %s), or "
		         "give a numeric gid after the ':'",
		         spec, part, why ? " (the group database cannot be read: " : " in /etc/group", why ? why : "",
		         why ? ")" : "", part);
		return -1;
	}
	*gid = gr->gr_gid;
	return 0;
}

/* The owner and group of the working directory: the bind-mounted project's
 * owner on the host. */
static int find_owner(uid_t *uid, gid_t *gid, struct entry *entry, char *error, size_t error_size)
{
	struct stat st;
	struct passwd *pw;

	if (stat(".", &st) < 0) {
		snprintf(error, error_size,
		         "cannot run as user '" USER_OWNER "': cannot read the working directory: %s", strerror(errno));
		return -1;
	}
	*uid = st.st_uid;
	*gid = st.st_gid;
	pw = getpwuid(*uid);
	if (pw && keep_entry(pw, entry) < 0) {
		snprintf(error, error_size, "cannot run as user '" USER_OWNER "': %s", strerror(ENOMEM));
		return -1;
	}
	return 0;
}

/* The supplementary groups: the user's from /etc/group when it has a name
 * (gid included), else gid alone. */
static int find_groups(struct user *user)
{
	int count = 16;

	if (!user->name) {
		user->groups = malloc(sizeof(user->groups[0]));
		if (!user->groups)
			return -1;
		user->groups[0] = user->ids.gid;
		user->ids.group_count = 1;
		return 0;
	}
	for (;;) {
		int wanted = count;
		gid_t *groups = realloc(user->groups, (size_t)count * sizeof(groups[0]));

		if (!groups)
			return -1;
		user->groups = groups;
		if (getgrouplist(user->name, user->ids.gid, groups, &wanted) >= 0) {
			user->ids.group_count = (size_t)wanted;
			return 0;
		}
		/* Too small: wanted says how many there are (glibc); musl
		 * leaves it, so grow anyway. */
		count = wanted > count ? wanted : count * 2;
		if (count > 65536)
			return -1;
	}
}

/* "NAME=value" in *out, or NULL (asprintf leaves it undefined on failure). */
static int make_var(char **out, const char *name, const char *value)
{
	if (asprintf(out, "%s=%s", name, value) < 0) {
		*out = NULL;
		return -1;
	}
	return 0;
}

static int make_env(struct user *user)
{
	size_t used = 0;

	if (make_var(&user->env_vars[0], "HOME", user->home) < 0)
		return -1;
	if (user->name && (make_var(&user->env_vars[1], "USER", user->name) < 0 ||
	                   make_var(&user->env_vars[2], "LOGNAME", user->name) < 0))
		return -1;
	for (size_t i = 0; i < 3; i++)
		if (user->env_vars[i])
			user->env[used++] = user->env_vars[i];
	user->env[used] = NULL;
	user->ids.env = user->env;
	return 0;
}

static void describe_ids(const struct user *user, char *out, size_t out_size)
{
	if (user->name)
		snprintf(out, out_size, "uid %lu '%s', gid %lu", (unsigned long)user->ids.uid, user->name,
		         (unsigned long)user->ids.gid);
	else
		snprintf(out, out_size, "uid %lu, gid %lu", (unsigned long)user->ids.uid, (unsigned long)user->ids.gid);
}

/* Not root, asked for other ids than this process's own. */
static void report_unprivileged(const char *spec, const struct user *user, char *error, size_t error_size)
{
	char ids[256];

	describe_ids(user, ids, sizeof(ids));
	snprintf(error, error_size,
	         "cannot run as user '%s' (%s): prisma-entrypoint runs as uid %lu, gid %lu, not as root, and only "
	         "root can switch users; start the container as root (the image's USER, compose 'user:') or unset "
	         "user",
	         spec, ids, (unsigned long)geteuid(), (unsigned long)getegid());
}

int user_resolve(const char *spec, struct user *user, char *error, size_t error_size)
{
	struct entry entry = {0};
	char *user_part = NULL;
	char *group_part;
	bool owner;
	int status = -1;

	*user = (struct user){0};
	if (!spec)
		return 0;
	owner = strcmp(spec, USER_OWNER) == 0;
	if (owner) {
		if (find_owner(&user->ids.uid, &user->ids.gid, &entry, error, error_size) < 0)
			goto out;
	} else {
		user_part = strdup(spec);
		if (!user_part) {
			snprintf(error, error_size, "cannot run as user '%s': %s", spec, strerror(ENOMEM));
			goto out;
		}
		group_part = strchr(user_part, ':');
		if (group_part)
			*group_part++ = '\0';
		if (!*user_part || (group_part && !*group_part)) {
			snprintf(error, error_size,
			         "cannot run as user '%s': expected a name or uid, optionally followed by ':' and a "
			         "group or gid (node, 1000, node:staff, 1000:1000), or '" USER_OWNER "'",
			         spec);
			goto out;
		}
		if (find_user(spec, user_part, &user->ids.uid, &entry, error, error_size) < 0)
			goto out;
		/* As docker run --user and gosu: the entry's group, else gid 0. */
		user->ids.gid = entry.name ? entry.gid : 0;
		if (group_part && find_group(spec, group_part, &user->ids.gid, error, error_size) < 0)
			goto out;
	}
	user->name = entry.name;
	user->home = entry.home ? entry.home : strdup("/");
	entry.name = entry.home = NULL;
	if (!user->home || find_groups(user) < 0 || make_env(user) < 0) {
		snprintf(error, error_size, "cannot run as user '%s': %s", spec, strerror(ENOMEM));
		goto out;
	}
	user->ids.groups = user->groups;
	/* Already that user (a non-root image started as its owner): nothing to do. */
	if (user->ids.uid == geteuid() && user->ids.gid == getegid()) {
		status = 0;
		goto out;
	}
	if (geteuid() != 0) {
		report_unprivileged(spec, user, error, error_size);
		goto out;
	}
	if (proc_user_try(&user->ids) < 0) {
		char ids[256];

		describe_ids(user, ids, sizeof(ids));
		snprintf(error, error_size,
		         "cannot run as user '%s' (%s): the switch failed here: %s; the container may lack "
		         "CAP_SETUID/CAP_SETGID (cap_drop), or its user namespace map no such id; allow them, or start "
		         "the container as that user and unset user",
		         spec, ids, strerror(errno));
		goto out;
	}
	user->switching = true;
	status = 0;
out:
	free(user_part);
	free(entry.name);
	free(entry.home);
	return status;
}

void user_describe(const struct user *user, char *out, size_t out_size)
{
	char ids[256];
	size_t used;

	describe_ids(user, ids, sizeof(ids));
	used = (size_t)snprintf(out, out_size, "%s, groups ", ids);
	for (size_t i = 0; i < user->ids.group_count && used < out_size; i++)
		used += (size_t)snprintf(out + used, out_size - used, "%s%lu", i ? "," : "",
		                         (unsigned long)user->groups[i]);
	if (used < out_size)
		snprintf(out + used, out_size - used, ", HOME %s", user->home);
}

void user_release(struct user *user)
{
	free(user->name);
	free(user->home);
	free(user->groups);
	for (size_t i = 0; i < 3; i++)
		free(user->env_vars[i]);
	*user = (struct user){0};
}
