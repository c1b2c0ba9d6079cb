#include "client-state.h"

#include "generate-record.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* How many hex digits of a digest messages show. */
#define DIGEST_SHOWN 12

/* What @prisma/client's postinstall puts in node_modules/.prisma/client when
 * it cannot generate: placeholders, not a client. */
static const char *const placeholder_files[] = {
    "index.js",     "index.d.ts", "edge.js",   "edge.d.ts",        "default.js",
    "default.d.ts", "wasm.js",    "wasm.d.ts", "index-browser.js",
};

static bool is_placeholder(const char *name)
{
	for (size_t i = 0; i < sizeof(placeholder_files) / sizeof(placeholder_files[0]); i++)
		if (strcmp(name, placeholder_files[i]) == 0)
			return true;
	return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

/* The prisma-client generator's entry points: what Prisma itself looks for
 * before it writes into a folder that is not empty (it refuses one without
 * any: "doesn't look like a generated Prisma Client"). */
static const char *const typescript_entry_files[] = {"client.ts", "client.mts", "client.cts", "client.d.ts"};

static bool is_typescript_entry(DIR *dir, const char *name)
{
	struct stat st;

	for (size_t i = 0; i < sizeof(typescript_entry_files) / sizeof(typescript_entry_files[0]); i++)
		if (strcmp(name, typescript_entry_files[i]) == 0)
			return fstatat(dirfd(dir), name, &st, 0) == 0 && S_ISREG(st.st_mode);
	return false;
}

bool client_output_present(const char *path, bool typescript)
{
	DIR *dir = opendir(path);
	const struct dirent *entry;
	bool found = false;

	if (!dir)
		return false;
	while (!found && (entry = readdir(dir)))
		found = typescript ? is_typescript_entry(dir, entry->d_name) : !is_placeholder(entry->d_name);
	closedir(dir);
	return found;
}

int client_state_check(const char *digest, const char *record_path, const char *output_path, bool typescript,
                       struct client_status *status, char *error, size_t error_size)
{
	int found = record_read(record_path, status->recorded, error, error_size);

	if (found < 0)
		return -1;
	if (!found) {
		status->recorded[0] = '\0';
		status->state = CLIENT_NO_RECORD;
	} else if (strcmp(status->recorded, digest) != 0) {
		status->state = CLIENT_CHANGED;
	} else if (output_path && !client_output_present(output_path, typescript)) {
		status->state = CLIENT_OUTPUT_MISSING;
	} else {
		status->state = CLIENT_CURRENT;
	}
	return 0;
}

void client_state_describe(const struct client_status *status, const char *digest, const char *record_path,
                           const char *output_path, char *out, size_t size)
{
	switch (status->state) {
	case CLIENT_CURRENT:
		snprintf(out, size, "the client matches its inputs (%.*s)", DIGEST_SHOWN, digest);
		return;
	case CLIENT_NO_RECORD:
		snprintf(out, size, "no record of an earlier generate at %s", record_path);
		return;
	case CLIENT_CHANGED:
		snprintf(out, size, "the inputs changed since the last generate (%.*s, now %.*s)", DIGEST_SHOWN,
		         status->recorded, DIGEST_SHOWN, digest);
		return;
	case CLIENT_OUTPUT_MISSING:
		snprintf(out, size, "the generated client is missing at %s", output_path ? output_path : "(none)");
		return;
	case CLIENT_ENGINE_MISSING:
		snprintf(out, size, "the generated client at %s lacks this platform's query engine",
		         output_path ? output_path : "(none)");
		return;
	}
}

enum generate_verdict client_state_verdict(const struct client_status *status, const char *first_recorded, bool waited,
                                           bool force)
{
	if (status->state != CLIENT_CURRENT)
		return GENERATE_RUN;
	if (!first_recorded)
		return force ? GENERATE_RUN : GENERATE_CURRENT;
	if (waited || strcmp(first_recorded, status->recorded) != 0)
		return GENERATE_MEANWHILE;
	return GENERATE_RUN;
}
