/* Fuzz target: settings (config.c, settings-table.c): the INI file, the
 * environment, and `config`'s listing.
 *
 * Input: a flags byte, then the INI file's text, then "\n%%env%%\n" and
 * environment entries ("NAME=value") separated by NUL bytes. The flags
 * plant FUZZ_SECRET as a password: bit 0 in DATABASE_URL, bit 1 in the INI
 * file's database-url (first in the file), bit 2 in a --wait URL of
 * PRISMA_ENTRYPOINT_WAIT, bit 3 in the file DATABASE_URL_FILE names; bits
 * 4-5 choose the URL's shape.
 *
 * Properties: no error and no line of the listing shows the secret; every
 * error, logged, is one line (valid JSON in JSON); the listing names every
 * setting that has a section exactly once, its lines end with '\n' and hold
 * no other control character, and it shows a credential-bearing value
 * exactly as redact_secrets() shows it (item by item for a list, control
 * characters escaped); durations are within their bounds. */
#include "check.h"

#include "config.h"
#include "redact.h"
#include "value.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ENV  64
#define ENV_MARK "\n%%env%%\n"

static const char *const shapes[][2] = {
    {"postgresql://app", "db:5432/app?schema=public"},
    {"app", "db/app"},
    {"sqlserver://db:1433;user=sa;password=x", ""},
    {"mysql://root", "db:3306/app;x=1"},
};

static char dir[64];

/* name in the temporary folder. */
static const char *in_dir(const char *name)
{
	static char path[2][128];
	static int next;

	next = !next;
	snprintf(path[next], sizeof(path[next]), "%s/%s", dir, name);
	return path[next];
}

static void remove_dir(void)
{
	unlink(in_dir("settings.ini"));
	unlink(in_dir("secret"));
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* Memory, where there is a /dev/shm: files are written for every input. */
	snprintf(dir, sizeof(dir), "%s/pe-fuzz-settings-XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(dir))
		fuzz_fail("cannot make a temporary folder");
	atexit(remove_dir);
	return 0;
}

static void write_file(const char *path, const char *prefix, const void *data, size_t size)
{
	FILE *file = fopen(path, "w");

	if (!file)
		fuzz_fail("cannot write %s", path);
	fputs(prefix, file);
	fwrite(data, 1, size, file);
	fclose(file);
}

/* "name = " or "; name is not set" at the start of a line of listing. */
static size_t lines_naming(const char *listing, const char *name)
{
	size_t count = 0, len = strlen(name);

	for (const char *line = listing; *line; line += strcspn(line, "\n") + (line[strcspn(line, "\n")] != 0)) {
		if ((!strncmp(line, name, len) && !strncmp(line + len, " = ", 3)) ||
		    (!strncmp(line, "; ", 2) && !strncmp(line + 2, name, len) &&
		     !strncmp(line + 2 + len, " is not set", 11)))
			count++;
	}
	return count;
}

/* text with control characters escaped as the listing shows them. */
static void escape(const char *text, char *out, size_t size)
{
	size_t used = 0;

	for (const unsigned char *p = (const unsigned char *)text; *p && used + 5 < size; p++) {
		if (*p == '\n')
			used += (size_t)snprintf(out + used, size - used, "\\n");
		else if (*p == '\t')
			used += (size_t)snprintf(out + used, size - used, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			used += (size_t)snprintf(out + used, size - used, "\\x%02x", *p);
		else
			out[used++] = (char)*p;
	}
	out[used] = '\0';
}

/* The value as the listing must show it: redacted, a list item by item. */
static void expected_shown(const struct setting *setting, const char *text, char *out, size_t size)
{
	char *copy = strdup(text), *item = copy, *end;
	size_t used = 0;

	out[0] = '\0';
	if (setting->type != SETTING_TYPE_LIST) {
		redact_secrets(text, out, size);
		free(copy);
		return;
	}
	do {
		end = strchr(item, ',');
		if (end)
			*end = '\0';
		redact_secrets(item, out + used, size - used);
		used += strlen(out + used);
		if (end && used + 1 < size)
			out[used++] = ',', out[used] = '\0';
		if (end)
			item = end + 1;
	} while (end && used + 1 < size);
	free(copy);
}

static void check_listing(const struct config *config, const char *listing)
{
	char shown[32768], redacted[4096], expected[32768];

	check_no_secret("config listing", listing);
	for (const char *line = listing; *line; line += strcspn(line, "\n") + 1) {
		for (const char *p = line; *p != '\n'; p++)
			if (!*p || (unsigned char)*p < 0x20 || *p == 0x7f)
				fuzz_fail("listing line with control character 0x%02x:\n%s", (unsigned char)*p,
				          listing);
	}
	for (int id = 0; id < SETTING_COUNT; id++) {
		const struct setting *setting = &settings_table[id];
		const char *text = config_text(config, id);
		const char *line;
		size_t len = strlen(setting->name);

		if (!setting->section)
			continue;
		if (lines_naming(listing, setting->name) != 1)
			fuzz_fail("the listing names %s %zu times:\n%s", setting->name,
			          lines_naming(listing, setting->name), listing);
		if (setting->type == SETTING_TYPE_DURATION && text &&
		    (config_duration_ms(config, id) < 0 || config_duration_ms(config, id) > VALUE_DURATION_MAX_MS))
			fuzz_fail("%s is %lld ms", setting->name, config_duration_ms(config, id));
		if (!setting->credentials || !text)
			continue;
		for (line = listing; strncmp(line, setting->name, len) || strncmp(line + len, " = ", 3);)
			line += strcspn(line, "\n") + 1;
		line += len + 3;
		/* The last " ; " of the line: the value may hold one, the origins
		 * of these settings (variables, this harness's files) do not. */
		const char *end = line + strcspn(line, "\n"), *comment = NULL;
		for (const char *p = line; p + 3 <= end; p++)
			if (!strncmp(p, " ; ", 3))
				comment = p;
		snprintf(shown, sizeof(shown), "%.*s", (int)(comment ? comment - line : 0), line);
		expected_shown(setting, text, redacted, 4096);
		escape(redacted, expected, sizeof(expected));
		if (strcmp(shown, expected) != 0)
			fuzz_fail("%s is listed as '%s', redacted it is '%s'", setting->name, shown, expected);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *env[MAX_ENV + 8];
	char planted_env[3][256], planted_ini[256], planted_file[256];
	const char *const *shape;
	const char *text, *mark, *env_part;
	size_t ini_size, count = 0;
	struct config config;
	struct config_errors errors = {0};
	char *listing = NULL, *env_copy = NULL;
	size_t listing_size;
	FILE *stream;
	uint8_t flags;

	if (size < 1 || fuzz_mentions_secret(data, size))
		return 0;
	flags = data[0];
	text = (const char *)data + 1;
	size--;
	shape = shapes[(flags >> 4) % 4];
	mark = memmem(text, size, ENV_MARK, strlen(ENV_MARK));
	ini_size = mark ? (size_t)(mark - text) : size;
	snprintf(planted_ini, sizeof(planted_ini), "[database]\ndatabase-url = %s:%s@%s\n", shape[0], FUZZ_SECRET,
	         shape[1]);
	write_file(in_dir("settings.ini"), flags & 2 ? planted_ini : "", text, ini_size);
	snprintf(planted_file, sizeof(planted_file), "%s:%s@%s\n", shape[0], FUZZ_SECRET, shape[1]);
	write_file(in_dir("secret"), planted_file, "", 0);

	if (flags & 1)
		snprintf(planted_env[0], sizeof(planted_env[0]), "DATABASE_URL=%s:%s@%s", shape[0], FUZZ_SECRET,
		         shape[1]);
	if (flags & 4)
		snprintf(planted_env[1], sizeof(planted_env[1]),
		         "PRISMA_ENTRYPOINT_WAIT=http://h/health,tcp://u:%s@db:5432", FUZZ_SECRET);
	if (flags & 8)
		snprintf(planted_env[2], sizeof(planted_env[2]), "DATABASE_URL_FILE=%s/secret", dir);
	for (int i = 0; i < 3; i++)
		if (flags & (1 << (i == 0 ? 0 : i + 1)))
			env[count++] = planted_env[i];
	if (mark) {
		env_part = mark + strlen(ENV_MARK);
		env_copy = malloc(size - (size_t)(env_part - text) + 1);
		memcpy(env_copy, env_part, size - (size_t)(env_part - text));
		env_copy[size - (size_t)(env_part - text)] = '\0';
		for (char *p = env_copy; count < MAX_ENV && p < env_copy + (size - (size_t)(env_part - text));
		     p += strlen(p) + 1)
			if (*p)
				env[count++] = p;
	}
	env[count] = NULL;

	config_init(&config);
	config_load(&config, in_dir("settings.ini"), env, &errors);
	for (size_t i = 0; i < errors.count; i++) {
		check_no_secret("error", errors.messages[i]);
		check_logged(errors.messages[i]);
	}
	stream = open_memstream(&listing, &listing_size);
	config_print(&config, stream);
	fclose(stream);
	check_listing(&config, listing);
	free(listing);
	free(env_copy);
	config_errors_release(&errors);
	config_release(&config);
	return 0;
}
