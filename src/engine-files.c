#include "engine-files.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

enum engine_kind engine_kind_of_client(const char *env_type, const char *generator_type, int client_major)
{
	static const struct {
		const char *name;
		enum engine_kind kind;
	} kinds[] = {{"library", ENGINE_LIBRARY}, {"binary", ENGINE_BINARY}, {"client", ENGINE_NONE}};

	if (client_major >= 7)
		return ENGINE_NONE;
	for (size_t i = 0; env_type && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(env_type, kinds[i].name) == 0)
			return kinds[i].kind;
	for (size_t i = 0; generator_type && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(generator_type, kinds[i].name) == 0)
			return kinds[i].kind;
	return ENGINE_LIBRARY;
}

const char *engine_kind_name(enum engine_kind kind)
{
	return kind == ENGINE_LIBRARY ? "library" : kind == ENGINE_BINARY ? "binary" : "client";
}

const char *engine_override_name(enum engine_kind kind)
{
	return kind == ENGINE_LIBRARY  ? "PRISMA_QUERY_ENGINE_LIBRARY"
	       : kind == ENGINE_BINARY ? "PRISMA_QUERY_ENGINE_BINARY"
	                               : NULL;
}

/* The target in an engine file's name (prefix, target, one of the known
 * endings), or NULL when name is not such a file. */
static const char *target_of(const char *name, const char *prefix, char *out, size_t size)
{
	static const char *const endings[] = {".so.node", ".dylib.node", ".dll.node", ".exe", ".gz", ".sha256"};
	size_t prefix_len = strlen(prefix), len = strlen(name);

	if (strncmp(name, prefix, prefix_len) != 0 || len == prefix_len)
		return NULL;
	for (size_t i = 0; i < sizeof(endings) / sizeof(endings[0]); i++) {
		size_t end_len = strlen(endings[i]);

		if (len > prefix_len + end_len && strcmp(name + len - end_len, endings[i]) == 0) {
			if (i >= 4) /* a download's leftovers, not an engine */
				return NULL;
			len -= end_len;
			break;
		}
	}
	snprintf(out, size, "%.*s", (int)(len - prefix_len), name + prefix_len);
	return out;
}

static void look(const char *folder, const char *prefix, const char *suffix, const char *target, const char *override,
                 struct engine_presence *presence)
{
	struct stat st;
	DIR *dir;
	const struct dirent *entry;
	size_t used = 0;

	*presence = (struct engine_presence){0};
	if (override && *override && stat(override, &st) == 0 && S_ISREG(st.st_mode)) {
		presence->present = presence->by_override = true;
		snprintf(presence->file, sizeof(presence->file), "%s", override);
		return;
	}
	snprintf(presence->file, sizeof(presence->file), "%s/%s%s%s", folder, prefix, target, suffix);
	presence->present = stat(presence->file, &st) == 0 && S_ISREG(st.st_mode);
	if (!(dir = opendir(folder)))
		return;
	while ((entry = readdir(dir))) {
		char other[256];

		if (!target_of(entry->d_name, prefix, other, sizeof(other)) || strcmp(other, target) == 0)
			continue;
		presence->others_count++;
		if (used + strlen(other) + 3 < sizeof(presence->others))
			used += (size_t)snprintf(presence->others + used, sizeof(presence->others) - used, "%s%s",
			                         used ? ", " : "", other);
	}
	closedir(dir);
}

void engine_query_check(const char *folder, enum engine_kind kind, const char *target, const char *override,
                        struct engine_presence *presence)
{
	if (kind == ENGINE_BINARY)
		look(folder, "query-engine-", "", target, override, presence);
	else
		look(folder, "libquery_engine-", ".so.node", target, override, presence);
}

void engine_schema_check(const char *folder, const char *target, const char *override, struct engine_presence *presence)
{
	look(folder, "schema-engine-", "", target, override, presence);
}
