/* Fuzz target: the schema readers (schema.c, schema-json.c, schema-js.c): prisma.config.*, package.json,
 * generator blocks, schema paths and folders, and the digest.
 *
 * Input: a flags byte, then the texts of files separated by "\n%%\n", in
 * this order: the Prisma config file (its name chosen by bits 0-2),
 * package.json, schema.prisma, prisma/schema.prisma, prisma/models/a.prisma,
 * node_modules/prisma/package.json, node_modules/@prisma/client/package.json;
 * then, with bit 3, the schema setting. Bit 4 adds a link from a schema
 * folder to its parent, bit 5 a dangling one. Each input gets a fresh
 * folder. Reads are confined to it: openat() is wrapped (the Makefile links
 * with --wrap=openat) to refuse absolute paths and "..", so that a schema
 * path of "/" cannot walk the machine.
 *
 * Properties: the result is -1 with a message (terminated, one line once
 * logged), 0 with nothing filled (and only when no schema file is there), or
 * 1 with the inputs filled: the working folder as given, a schema path,
 * files sorted in byte order without repeats, each normalized (no empty,
 * "." or ".." component; the generator's output may start with ".."), a folder's files all .prisma files, a file schema
 * its one file; the rule is the setting's when the setting is given; the
 * digest is 64 lowercase hex digits; finding and digesting again gives the
 * same; a directUrl found names its file, and is a string or a variable. */
#include "check.h"

#include "schema.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ERROR_SIZE 512
#define SEPARATOR  "\n%%\n"

static const char *const config_names[] = {
    "prisma.config.ts",  "prisma.config.js",  "prisma.config.mjs", "prisma.config.cjs",
    "prisma.config.mts", ".config/prisma.ts", ".config/prisma.js", ".config/prisma.cts",
};

static const char *const files[] = {
    NULL, /* the config file */
    "package.json",
    "schema.prisma",
    "prisma/schema.prisma",
    "prisma/models/a.prisma",
    "node_modules/prisma/package.json",
    "node_modules/@prisma/client/package.json",
};

static const char *root;

int __real_openat(int dirfd, const char *path, int flags, ...);

/* Absolute paths and ".." would leave the input's folder. */
int __wrap_openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (path[0] == '/' || !strcmp(path, "..") || !strncmp(path, "../", 3) || strstr(path, "/../") ||
	    (strlen(path) >= 3 && !strcmp(path + strlen(path) - 3, "/.."))) {
		errno = EACCES;
		return -1;
	}
	va_start(ap, flags);
	if (flags & (O_CREAT | O_TMPFILE))
		mode = va_arg(ap, mode_t);
	va_end(ap);
	return __real_openat(dirfd, path, flags, mode);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	root = fuzz_temp_root("schema");
	return 0;
}

/* dir/name in path, with the folders it needs made. */
static void make_path(char *path, size_t size, const char *dir, const char *name)
{
	snprintf(path, size, "%s/%s", dir, name);
	for (char *slash = strchr(path + strlen(dir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0700);
		*slash = '/';
	}
}

static void write_file(const char *dir, const char *name, const char *data, size_t size)
{
	char path[512];
	FILE *file;

	make_path(path, sizeof(path), dir, name);
	if (!(file = fopen(path, "w")))
		fuzz_fail("cannot write %s", path);
	fwrite(data, 1, size, file);
	fclose(file);
}

static void make_link(const char *dir, const char *name, const char *target)
{
	char path[512];

	make_path(path, sizeof(path), dir, name);
	if (symlink(target, path) < 0)
		fuzz_fail("cannot make the link %s", path);
}

/* No empty or "." component, and ".." only leading a relative path when
 * leading_up (a generated client may be outside the project). */
static void check_normalized(const char *what, const char *path, bool leading_up)
{
	const char *p = path;
	bool leading = path[0] != '/';

	if (!path[0])
		fuzz_fail("%s is empty", what);
	if (!strcmp(path, ".") || !strcmp(path, "/"))
		return;
	if (*p == '/')
		p++;
	for (;;) {
		size_t n = strcspn(p, "/");
		bool up = n == 2 && p[0] == '.' && p[1] == '.';

		if (n == 0 || (n == 1 && p[0] == '.') || (up && !(leading && leading_up)))
			fuzz_fail("%s '%s' is not normalized", what, path);
		leading = leading && up;
		if (!p[n])
			break;
		p += n + 1;
	}
}

/* A directUrl is given with the file that holds it, as a string or a
 * variable's name, never both; not given, nothing is filled. */
static void check_direct_url(const char *what, const struct schema_url_ref *ref, const char *file)
{
	if (ref->given != (file != NULL))
		fuzz_fail("%s: given %d, file '%s'", what, ref->given, file ? file : "(none)");
	if (ref->text && ref->env_name)
		fuzz_fail("%s: both a string and a variable", what);
	if (!ref->given && (ref->text || ref->env_name))
		fuzz_fail("%s: not given, but filled", what);
}
static void check_found(const char *dir, const char *configured, const struct schema_inputs *inputs)
{
	struct stat st;
	char path[1024];

	if (!inputs->base_dir || strcmp(inputs->base_dir, dir) != 0 || !inputs->schema_path || inputs->file_count == 0)
		fuzz_fail("found, without a base folder, schema path or file");
	if (configured && configured[0] && inputs->rule != SCHEMA_FROM_SETTING)
		fuzz_fail("the schema setting is given, the rule is %s", schema_rule_name(inputs->rule));
	check_normalized("schema path", inputs->schema_path, false);
	snprintf(path, sizeof(path), "%s/%s", dir, inputs->schema_path);
	if (stat(path, &st) < 0)
		fuzz_fail("schema path '%s' does not exist", inputs->schema_path);
	for (size_t i = 0; i < inputs->file_count; i++) {
		size_t len = strlen(inputs->files[i]);

		check_normalized("schema file", inputs->files[i], false);
		if (i > 0 && strcmp(inputs->files[i - 1], inputs->files[i]) >= 0)
			fuzz_fail("schema files '%s' then '%s'", inputs->files[i - 1], inputs->files[i]);
		if (S_ISDIR(st.st_mode) && (len <= 7 || strcmp(inputs->files[i] + len - 7, ".prisma") != 0))
			fuzz_fail("'%s' in a schema folder is not a .prisma file", inputs->files[i]);
	}
	if (!S_ISDIR(st.st_mode) && (inputs->file_count != 1 || strcmp(inputs->files[0], inputs->schema_path) != 0))
		fuzz_fail("a schema file '%s' covers %zu files", inputs->schema_path, inputs->file_count);
	if (inputs->generator_output)
		check_normalized("generator output", inputs->generator_output, true);
	if (inputs->tsconfig_file) {
		size_t len = strlen(inputs->tsconfig_file);

		check_normalized("tsconfig", inputs->tsconfig_file, true);
		if (!inputs->generator_typescript || !inputs->generator_output)
			fuzz_fail("a tsconfig '%s' without a prisma-client generator's output", inputs->tsconfig_file);
		if (len < 13 || strcmp(inputs->tsconfig_file + len - 13, "tsconfig.json") != 0)
			fuzz_fail("the tsconfig '%s' is not a tsconfig.json", inputs->tsconfig_file);
	}
	check_direct_url("the datasource's directUrl", &inputs->direct_urls.datasource,
	                 inputs->direct_urls.datasource_file);
	check_direct_url("the config's datasource.directUrl", &inputs->direct_urls.config,
	                 inputs->direct_urls.config_file);
	if (inputs->direct_urls.config_file &&
	    (!inputs->config_file || strcmp(inputs->direct_urls.config_file, inputs->config_file) != 0))
		fuzz_fail("datasource.directUrl in '%s', the config file is '%s'", inputs->direct_urls.config_file,
		          inputs->config_file ? inputs->config_file : "(none)");
}

/* A stop that says yes at its calls_left-th question. */
struct counted_stop {
	int calls_left;
};

static bool stop_when_counted(void *arg)
{
	struct counted_stop *counted = arg;

	return --counted->calls_left < 0;
}

/* With a stop request at any point of the look: either the look ends
 * stopped, with nothing filled, or it was over before and found the same
 * as without one. */
static void check_stop_anywhere(const char *dir, const char *configured, int found_unstopped, int calls)
{
	static const struct schema_inputs zero;
	struct counted_stop counted = {.calls_left = calls};
	struct schema_stop stop = {.should_stop = stop_when_counted, .arg = &counted};
	struct schema_inputs inputs;
	char error[ERROR_SIZE];
	int found = schema_find(dir, configured, &inputs, &stop, error, sizeof(error));

	if (found == SCHEMA_STOPPED) {
		if (!stop.stopped || memcmp(&inputs, &zero, sizeof(zero)) != 0)
			fuzz_fail("stopped, but stop not set or inputs filled");
		return;
	}
	if (stop.stopped)
		fuzz_fail("stop said yes, the look returned %d", found);
	if (found != found_unstopped)
		fuzz_fail("a stop that never came changed the result: %d, not %d", found, found_unstopped);
	schema_inputs_release(&inputs);
}

static void check_digest(const char *dir, const char *configured, const struct schema_inputs *inputs)
{
	char hex[65], again[65], error[ERROR_SIZE];
	struct schema_inputs second;

	if (schema_digest(inputs, NULL, hex, NULL, error, sizeof(error)) < 0)
		fuzz_fail("no digest of what was found: %s", error);
	if (strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64)
		fuzz_fail("digest '%s'", hex);
	if (schema_find(dir, configured, &second, NULL, error, sizeof(error)) != 1)
		fuzz_fail("found once, not twice: %s", error);
	if (schema_digest(&second, NULL, again, NULL, error, sizeof(error)) < 0 || strcmp(hex, again) != 0)
		fuzz_fail("two digests of the same folder differ");
	schema_inputs_release(&second);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct schema_inputs zero;
	static unsigned serial;
	const char *text = (const char *)data + 1, *end = (const char *)data + size;
	char dir[128], *configured = NULL, *error;
	struct schema_inputs inputs;
	bool default_file = false;
	uint8_t flags;
	int found;

	if (size < 1 || fuzz_mentions_secret(data, size))
		return 0;
	flags = data[0];
	snprintf(dir, sizeof(dir), "%s/%u", root, serial++);
	if (mkdir(dir, 0700) < 0)
		fuzz_fail("cannot make %s", dir);
	for (size_t i = 0; text <= end; i++) {
		const char *next = memmem(text, (size_t)(end - text), SEPARATOR, strlen(SEPARATOR));
		size_t len = next ? (size_t)(next - text) : (size_t)(end - text);

		if (i < sizeof(files) / sizeof(files[0])) {
			write_file(dir, i == 0 ? config_names[flags & 7] : files[i], text, len);
			default_file = default_file || i == 2 || i == 3;
		} else if (flags & 8) {
			configured = strndup(text, len);
			configured[strcspn(configured, "\n")] = '\0';
			break;
		}
		if (!next)
			break;
		text = next + strlen(SEPARATOR);
	}
	if (flags & 16)
		make_link(dir, "prisma/models/up", "..");
	if (flags & 32)
		make_link(dir, "prisma/dangling.prisma", "nowhere");

	error = malloc(ERROR_SIZE);
	error[0] = '\0';
	found = schema_find(dir, configured, &inputs, NULL, error, ERROR_SIZE);
	if (found < 0) {
		check_terminated("error", error, ERROR_SIZE);
		if (!error[0])
			fuzz_fail("failed without a message");
		check_logged(error);
	} else if (found == 0) {
		if (memcmp(&inputs, &zero, sizeof(zero)) != 0)
			fuzz_fail("nothing found, inputs filled");
		if (default_file)
			fuzz_fail("schema.prisma is there, nothing found");
	} else if (found == 1) {
		check_found(dir, configured, &inputs);
		check_digest(dir, configured, &inputs);
	} else {
		fuzz_fail("schema_find returned %d", found);
	}
	schema_inputs_release(&inputs);
	if (memcmp(&inputs, &zero, sizeof(zero)) != 0)
		fuzz_fail("released inputs are not cleared");
	check_stop_anywhere(dir, configured, found, size > 1 ? data[size - 1] % 24 : 0);
	free(error);
	free(configured);
	fuzz_remove_tree(dir);
	return 0;
}
