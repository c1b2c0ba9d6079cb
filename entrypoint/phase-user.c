/* The user setting, unpacked before the first phase: who the Prisma CLI and
 * the app run as, and who gets the files written for them. */
#include "phases.h"

#include "exit-codes.h"
#include "log.h"

#include <limits.h>
#include <stdio.h>

int phase_user_resolve(struct invocation *invocation, struct user *user)
{
	const char *spec = config_text(&invocation->config, SETTING_USER);
	char error[PATH_MAX + 512];
	char described[512];

	invocation->user = NULL;
	if (user_resolve(spec, user, error, sizeof(error)) < 0) {
		log_error("%s", error);
		return EXIT_CONFIG;
	}
	if (!spec)
		return 0;
	if (!user->switching) {
		log_verbose("user '%s' is this process's own user: nothing to switch", spec);
		return 0;
	}
	user_describe(user, described, sizeof(described));
	log_info("the prisma CLI and the app run as user '%s': %s", spec, described);
	invocation->user = user;
	return 0;
}

const struct proc_user *phase_child_user(const struct invocation *invocation)
{
	return invocation->user ? &invocation->user->ids : NULL;
}

const struct file_owner *phase_file_owner(const struct invocation *invocation, struct file_owner *storage)
{
	if (!invocation->user)
		return NULL;
	*storage = (struct file_owner){.uid = invocation->user->ids.uid, .gid = invocation->user->ids.gid};
	return storage;
}
