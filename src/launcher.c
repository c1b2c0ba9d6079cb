#include "launcher.h"

#include <string.h>

static const char *const launcher_names[] = {"npm", "npx", "yarn", "yarnpkg", "pnpm", "pnpx"};

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

bool launcher_is_package_manager(const char *const *argv)
{
	const char *name = base_name(argv[0]);

	for (size_t i = 0; i < sizeof(launcher_names) / sizeof(launcher_names[0]); i++)
		if (strcmp(name, launcher_names[i]) == 0)
			return true;
	if (strcmp(name, "node") != 0 && strcmp(name, "nodejs") != 0)
		return false;
	/* node's own options come before the script; --run takes its place. */
	for (size_t i = 1; argv[i] && argv[i][0] == '-'; i++)
		if (strcmp(argv[i], "--run") == 0 || strncmp(argv[i], "--run=", 6) == 0)
			return true;
	return false;
}
