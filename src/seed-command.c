#include "seed-command.h"

#include "proc.h"
#include "schema-js.h"
#include "schema-json.h"
#include "schema-read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void seed_command_release(struct seed_command *seed)
{
	free(seed->command);
	*seed = (struct seed_command){0};
}

/* The first config file Prisma would load, read into buf: 1, or 0 when
 * there is none, or -1. */
static int read_config_file(int base, const char **name, struct schema_reader *buf, char *error, size_t error_size)
{
	for (size_t i = 0; i < schema_config_name_count; i++) {
		struct stat st;

		if (fstatat(base, schema_config_names[i], &st, 0) < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue;
			snprintf(error, error_size, "cannot read %s: %s", schema_config_names[i], strerror(errno));
			return -1;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		if (schema_read_file(base, schema_config_names[i], buf, error, error_size) < 0)
			return -1;
		*name = schema_config_names[i];
		return 1;
	}
	return 0;
}

/* Whether the prisma installed in node_modules is 7 or later, which reads
 * no package.json. */
static bool prisma_7_or_later(int base, struct schema_reader *buf)
{
	static const char *const key[] = {"version"};
	char error[256];
	char *version = NULL;
	bool later;

	if (schema_read_file(base, "node_modules/prisma/package.json", buf, error, sizeof(error)) < 0 ||
	    schema_json_string("node_modules/prisma/package.json", buf->data, buf->len, key, 1, &version, error,
	                       sizeof(error)) < 0 ||
	    !version)
		return false;
	later = version[0] >= '0' && version[0] <= '9' && atoi(version) >= 7;
	free(version);
	return later;
}

static int find_in(int base, struct seed_command *seed, struct schema_reader *buf, char *error, size_t error_size)
{
	static const char *const key[] = {"prisma", "seed"};
	const char *config = NULL;
	int found = read_config_file(base, &config, buf, error, error_size);

	if (found < 0)
		return -1;
	if (found > 0) {
		found = config_string_value(buf->data, buf->len, "seed", &seed->command);
		if (found < 0) {
			snprintf(error, error_size,
			         "%s: `seed` is not a plain string literal, which prisma-entrypoint cannot evaluate; "
			         "write the command as one, or set seed = off",
			         config);
			return -1;
		}
		if (found > 0) {
			seed->from = config;
			return 0;
		}
	}
	if (prisma_7_or_later(base, buf))
		return 0;
	if (schema_read_file(base, "package.json", buf, error, error_size) < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	if (schema_json_string("package.json", buf->data, buf->len, key, 2, &seed->command, error, error_size) < 0)
		return -1;
	if (seed->command)
		seed->from = "package.json";
	return 0;
}

int seed_command_find(const char *base_dir, struct seed_command *seed, struct schema_stop *stop, char *error,
                      size_t error_size)
{
	struct schema_reader buf = {.stop = stop};
	int base = open(base_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int found;

	*seed = (struct seed_command){0};
	if (base < 0) {
		snprintf(error, error_size, "cannot open the working directory %s: %s", base_dir, strerror(errno));
		return -1;
	}
	found = find_in(base, seed, &buf, error, error_size);
	close(base);
	schema_reader_release(&buf);
	/* Prisma refuses an empty command as it does a missing one. */
	if (found == 0 && seed->command && !seed->command[strspn(seed->command, " ")])
		seed_command_release(seed);
	if (found < 0) {
		seed_command_release(seed);
		if (stop && stop->stopped)
			return SCHEMA_STOPPED;
	}
	return found;
}

void seed_command_program(const char *command, char *program, size_t program_size)
{
	size_t start = strspn(command, " ");
	size_t len = strcspn(command + start, " ");

	snprintf(program, program_size, "%.*s", (int)len, command + start);
}

static bool is_executable_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int seed_command_locate(const char *base_dir, const char *program, char *path, size_t path_size)
{
	int written;

	if (!program[0])
		return -1;
	if (strchr(program, '/')) {
		written = program[0] == '/' ? snprintf(path, path_size, "%s", program)
		                            : snprintf(path, path_size, "%s/%s", base_dir, program);
		return written >= 0 && (size_t)written < path_size && is_executable_file(path) ? 0 : -1;
	}
	written = snprintf(path, path_size, "%s/node_modules/.bin/%s", base_dir, program);
	if (written >= 0 && (size_t)written < path_size && is_executable_file(path))
		return 0;
	return proc_find_program(program, path, path_size) == 0 && is_executable_file(path) ? 0 : -1;
}
