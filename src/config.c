#include "config.h"

#include "fdio.h"
#include "log.h"
#include "redact.h"
#include "spell.h"
#include "value.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ENV_NAME_MAX    128
#define CONFIG_FILE_MAX (1024 * 1024) /* bytes: far more than any settings file */

static char *xstrdup(const char *text)
{
	char *copy = strdup(text);

	if (!copy) {
		log_error("out of memory");
		abort();
	}
	return copy;
}

void config_errors_add(struct config_errors *errors, bool usage, const char *fmt, ...)
{
	va_list ap;
	char *message = NULL;
	char **grown;

	va_start(ap, fmt);
	if (vasprintf(&message, fmt, ap) < 0)
		message = NULL;
	va_end(ap);
	grown = realloc(errors->messages, (errors->count + 1) * sizeof(*grown));
	if (!message || !grown) {
		log_error("out of memory");
		abort();
	}
	errors->messages = grown;
	errors->messages[errors->count++] = message;
	errors->usage = errors->usage || usage;
}

void config_errors_release(struct config_errors *errors)
{
	for (size_t i = 0; i < errors->count; i++)
		free(errors->messages[i]);
	free(errors->messages);
	*errors = (struct config_errors){0};
}

void setting_env_name(const struct setting *setting, char *out, size_t out_size)
{
	/* Not snprintf: this runs for every setting on every start, and
	 * snprintf was a sixth of the start's instructions. */
	size_t used = strlen(CONFIG_ENV_PREFIX) < out_size ? strlen(CONFIG_ENV_PREFIX) : out_size - 1;

	if (out_size == 0)
		return;
	memcpy(out, CONFIG_ENV_PREFIX, used);
	for (const char *p = setting->name; *p && used + 1 < out_size; p++)
		out[used++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
	out[used < out_size ? used : out_size - 1] = '\0';
}

bool setting_is_secret(const struct setting *setting)
{
	return setting->type == SETTING_TYPE_SECRET_URL;
}

bool setting_has_negation(const struct setting *setting)
{
	return setting->type == SETTING_TYPE_BOOL && strncmp(setting->name, "no-", 3) != 0;
}

static void value_clear(struct setting_value *value)
{
	free(value->text);
	free(value->origin);
	*value = (struct setting_value){0};
}

/* What a value of type (the row's, or its items') must look like. */
static const char *type_expectation(const struct setting *setting, enum setting_type type, char *buf, size_t size)
{
	char low[32], high[32];
	size_t used = 0;

	switch (type) {
	case SETTING_TYPE_DURATION:
		value_format_duration(setting->min, low, sizeof(low));
		value_format_duration(setting->max, high, sizeof(high));
		snprintf(buf, size, "a duration such as 500ms, 2s or 1m, from %s to %s", low, high);
		return buf;
	case SETTING_TYPE_INTEGER:
		snprintf(buf, size, "a whole number from %lld to %lld", setting->min, setting->max);
		return buf;
	case SETTING_TYPE_BOOL:
		return "true or false";
	case SETTING_TYPE_CHOICE:
		used = (size_t)snprintf(buf, size, "one of");
		for (int i = 0; setting->choices[i] && used < size; i++)
			used += (size_t)snprintf(buf + used, size - used, "%s %s", i ? "," : "", setting->choices[i]);
		return buf;
	case SETTING_TYPE_URL:
		used = (size_t)snprintf(buf, size, "a URL starting");
		for (int i = 0; setting->choices[i] && used < size; i++)
			used += (size_t)snprintf(buf + used, size - used, "%s %s://",
			                         i == 0                    ? ""
			                         : setting->choices[i + 1] ? ","
			                                                   : " or",
			                         setting->choices[i]);
		return buf;
	case SETTING_TYPE_PATH:
		return "a file path";
	case SETTING_TYPE_TEXT:
		return "some text";
	case SETTING_TYPE_SECRET_URL:
		return "a URL";
	case SETTING_TYPE_LIST:
		return "a comma-separated list";
	}
	return "a value";
}

/* Checks text as one value of type, a scalar type; 0 with value->parsed
 * filled, or -1. */
static int parse_scalar(const struct setting *setting, enum setting_type type, const char *text,
                        struct setting_value *value)
{
	int scheme;

	switch (type) {
	case SETTING_TYPE_DURATION:
		if (value_parse_duration_ms(text, &value->parsed.duration_ms) != 0)
			return -1;
		return value->parsed.duration_ms >= setting->min && value->parsed.duration_ms <= setting->max ? 0 : -1;
	case SETTING_TYPE_INTEGER:
		return value_parse_integer(text, setting->min, setting->max, &value->parsed.number);
	case SETTING_TYPE_BOOL:
		return value_parse_bool(text, &value->parsed.flag);
	case SETTING_TYPE_CHOICE:
		return value_parse_choice(text, setting->choices, &value->parsed.choice);
	case SETTING_TYPE_URL:
		return value_parse_url_scheme(text, setting->choices, &scheme);
	case SETTING_TYPE_PATH:
	case SETTING_TYPE_TEXT:
	case SETTING_TYPE_SECRET_URL:
		return *text ? 0 : -1;
	case SETTING_TYPE_LIST:
		break; /* lists hold no lists */
	}
	return -1;
}

#define LIST_SEPARATORS ", \t\n"

/* The next item of a list: *item and *len, *text moved past it; false when
 * no item is left. */
static bool next_item(const char **text, const char **item, size_t *len)
{
	*text += strspn(*text, LIST_SEPARATORS);
	*item = *text;
	*len = strcspn(*text, LIST_SEPARATORS);
	*text += *len;
	return *len > 0;
}

/* Checks every item of a list value, each bad one its own error, so that
 * all of them are reported together. Returns 0 or -1. */
static int check_items(const struct setting *setting, const char *text, const char *origin,
                       struct config_errors *errors)
{
	const char *item;
	size_t len;
	int status = 0;

	while (next_item(&text, &item, &len)) {
		struct setting_value ignored = {0};
		char *copy = strndup(item, len);

		if (!copy) {
			log_error("out of memory");
			abort();
		}
		if (parse_scalar(setting, setting->item_type, copy, &ignored) != 0) {
			char expectation[160], shown[512];

			if (setting->credentials)
				redact_secrets(copy, shown, sizeof(shown));
			else
				snprintf(shown, sizeof(shown), "%s", copy);
			config_errors_add(
			    errors, false, "%s: invalid %s item '%s': expected %s", origin ? origin : "default",
			    setting->name, shown,
			    type_expectation(setting, setting->item_type, expectation, sizeof(expectation)));
			status = -1;
		}
		free(copy);
	}
	return status;
}

int config_set(struct config *config, enum setting_id id, const char *text, enum setting_source source,
               const char *origin, struct config_errors *errors)
{
	const struct setting *setting = &settings_table[id];
	struct setting_value parsed = {0};
	int ok;

	if (setting->type == SETTING_TYPE_LIST && *text) {
		if (check_items(setting, text, origin, errors) != 0)
			return -1;
		ok = 0;
	} else {
		ok = parse_scalar(setting, setting->type, text, &parsed);
	}
	if (ok != 0) {
		char expectation[160];
		const char *shown = setting_is_secret(setting) ? "(hidden)" : text;

		config_errors_add(errors, false, "%s: invalid %s '%s': expected %s", origin ? origin : "default",
		                  setting->name, shown,
		                  type_expectation(setting, setting->type, expectation, sizeof(expectation)));
		return -1;
	}
	/* Within one layer a list grows: --wait a --wait b waits for both. */
	if (setting->type == SETTING_TYPE_LIST && config->values[id].text && config->values[id].source == source &&
	    source != SOURCE_DEFAULT) {
		char *joined = NULL;

		if (asprintf(&joined, "%s,%s", config->values[id].text, text) < 0) {
			log_error("out of memory");
			abort();
		}
		free(config->values[id].text);
		config->values[id].text = joined;
		return 0;
	}
	value_clear(&config->values[id]);
	parsed.text = xstrdup(text);
	parsed.source = source;
	parsed.origin = origin ? xstrdup(origin) : NULL;
	config->values[id] = parsed;
	return 0;
}

size_t config_list(const struct config *config, enum setting_id id, char ***items)
{
	const char *text = config->values[id].text ? config->values[id].text : "";
	const char *item;
	size_t count = 0, len;

	*items = NULL;
	while (next_item(&text, &item, &len)) {
		char **grown = realloc(*items, (count + 2) * sizeof(*grown));

		if (!grown) {
			log_error("out of memory");
			abort();
		}
		*items = grown;
		(*items)[count] = strndup(item, len);
		if (!(*items)[count]) {
			log_error("out of memory");
			abort();
		}
		(*items)[++count] = NULL;
	}
	return count;
}

void config_list_free(char **items)
{
	for (size_t i = 0; items && items[i]; i++)
		free(items[i]);
	free(items);
}

void config_init(struct config *config)
{
	struct config_errors ignored = {0};

	*config = (struct config){0};
	for (int id = 0; id < SETTING_COUNT; id++)
		if (settings_table[id].default_text)
			config_set(config, id, settings_table[id].default_text, SOURCE_DEFAULT, NULL, &ignored);
	/* The table's defaults are tested to be valid; nothing to report. */
	config_errors_release(&ignored);
}

void config_release(struct config *config)
{
	for (int id = 0; id < SETTING_COUNT; id++)
		value_clear(&config->values[id]);
}

/* ---- the INI layer ---- */

struct ini_context {
	struct config *config;
	struct config_errors *errors;
	const char *path;
	FILE *file;
	int line;
	bool line_indented;
	int section_line; /* where the current [section] header is */
	char previous_key[64];
	char unknown_section[64]; /* reported once, not for each of its keys */
};

static void check_section_header(struct ini_context *ctx, const char *name_start);

/* inih's reader: fgets that counts lines, so that errors can name them. A
 * line longer than inih's fixed buffer is consumed whole and reported. */
static char *ini_read_line(char *buf, int size, void *stream)
{
	struct ini_context *ctx = stream;
	size_t len;

	if (!fgets(buf, size, ctx->file))
		return NULL;
	ctx->line++;
	ctx->line_indented = buf[0] == ' ' || buf[0] == '\t';
	if (buf[strspn(buf, " \t")] == '[')
		check_section_header(ctx, buf + strspn(buf, " \t") + 1);
	len = strlen(buf);
	if (len > 0 && buf[len - 1] != '\n' && !feof(ctx->file)) {
		int c;

		while ((c = fgetc(ctx->file)) != EOF && c != '\n')
			;
		config_errors_add(ctx->errors, false, "%s:%d: line longer than %d characters", ctx->path, ctx->line,
		                  size - 2);
		buf[0] = '\0';
	}
	return buf;
}

static int setting_in_section(const char *section, const char *name)
{
	for (int id = 0; id < SETTING_COUNT; id++)
		if (settings_table[id].section && strcmp(settings_table[id].section, section) == 0 &&
		    strcmp(settings_table[id].name, name) == 0)
			return id;
	return -1;
}

static int setting_named(const char *name)
{
	for (int id = 0; id < SETTING_COUNT; id++)
		if (strcmp(settings_table[id].name, name) == 0)
			return id;
	return -1;
}

static bool is_section(const char *section)
{
	for (int id = 0; id < SETTING_COUNT; id++)
		if (settings_table[id].section && strcmp(settings_table[id].section, section) == 0)
			return true;
	return false;
}

static void report_unknown_key(struct ini_context *ctx, const char *section, const char *name)
{
	const char *keys[SETTING_COUNT] = {0};
	const char *guess;
	int elsewhere = setting_named(name);

	if (elsewhere >= 0 && settings_table[elsewhere].section) {
		config_errors_add(ctx->errors, false, "%s:%d: '%s' belongs in section [%s], not [%s]", ctx->path,
		                  ctx->line, name, settings_table[elsewhere].section, section);
		return;
	}
	if (elsewhere >= 0) {
		config_errors_add(ctx->errors, false, "%s:%d: '%s' cannot be set in a config file", ctx->path,
		                  ctx->line, name);
		return;
	}
	for (int id = 0; id < SETTING_COUNT; id++)
		keys[id] = settings_table[id].section ? settings_table[id].name : NULL;
	guess = spell_closest(name, keys, SETTING_COUNT);
	if (guess && setting_named(guess) >= 0 && strcmp(settings_table[setting_named(guess)].section, section))
		config_errors_add(ctx->errors, false, "%s:%d: unknown key '%s' in [%s] (did you mean '%s' in [%s]?)",
		                  ctx->path, ctx->line, name, section, guess,
		                  settings_table[setting_named(guess)].section);
	else if (guess)
		config_errors_add(ctx->errors, false, "%s:%d: unknown key '%s' in [%s] (did you mean '%s'?)", ctx->path,
		                  ctx->line, name, section, guess);
	else
		config_errors_add(ctx->errors, false, "%s:%d: unknown key '%s' in [%s]", ctx->path, ctx->line, name,
		                  section);
}

static void report_unknown_section(struct ini_context *ctx, const char *section)
{
	const char *sections[SETTING_COUNT] = {0};
	const char *guess;

	if (strcmp(ctx->unknown_section, section) == 0)
		return;
	snprintf(ctx->unknown_section, sizeof(ctx->unknown_section), "%s", section);
	for (int id = 0; id < SETTING_COUNT; id++)
		sections[id] = settings_table[id].section;
	guess = spell_closest(section, sections, SETTING_COUNT);
	if (guess)
		config_errors_add(ctx->errors, false, "%s:%d: unknown section [%s] (did you mean [%s]?)", ctx->path,
		                  ctx->section_line, section, guess);
	else
		config_errors_add(ctx->errors, false, "%s:%d: unknown section [%s]", ctx->path, ctx->section_line,
		                  section);
}

/* An unknown section is reported at its header, even when it holds no key. */
static void check_section_header(struct ini_context *ctx, const char *name_start)
{
	size_t len = strcspn(name_start, "]\r\n");
	char name[64];

	ctx->section_line = ctx->line;
	if (name_start[len] != ']')
		return; /* inih reports the malformed header */
	name_start += strspn(name_start, " \t");
	len = strcspn(name_start, "]\r\n");
	while (len > 0 && (name_start[len - 1] == ' ' || name_start[len - 1] == '\t'))
		len--;
	if (len >= sizeof(name))
		snprintf(name, sizeof(name), "%.*s...", (int)sizeof(name) - 4, name_start);
	else
		snprintf(name, sizeof(name), "%.*s", (int)len, name_start);
	if (!is_section(name))
		report_unknown_section(ctx, name);
}

static int ini_handle_pair(void *user, const char *section, const char *name, const char *value)
{
	struct ini_context *ctx = user;
	char origin[4096 + 16];
	size_t len = strlen(value);
	char *unquoted;
	bool continuation;
	int id;

	/* inih reads an indented line after a key as more of that key's value
	 * (multi-line values); no setting takes one, so say what happened. */
	continuation = ctx->line_indented && strcmp(ctx->previous_key, name) == 0;
	snprintf(ctx->previous_key, sizeof(ctx->previous_key), "%s", name);
	if (continuation) {
		config_errors_add(ctx->errors, false,
		                  "%s:%d: indented line read as a continuation of '%s': remove the indentation",
		                  ctx->path, ctx->line, name);
		return 1;
	}

	if (*section == '\0') {
		int known = setting_named(name);

		if (known >= 0 && settings_table[known].section)
			config_errors_add(ctx->errors, false, "%s:%d: '%s' must be inside section [%s]", ctx->path,
			                  ctx->line, name, settings_table[known].section);
		else
			report_unknown_key(ctx, "(no section)", name);
		return 1;
	}
	/* Reported once, at its header (check_section_header). */
	if (!is_section(section))
		return 1;
	id = setting_in_section(section, name);
	if (id < 0) {
		report_unknown_key(ctx, section, name);
		return 1;
	}
	/* Accept "value" in double quotes, as many INI dialects do. */
	if (len >= 2 && value[0] == '"' && value[len - 1] == '"')
		unquoted = strndup(value + 1, len - 2);
	else
		unquoted = strdup(value);
	if (!unquoted) {
		log_error("out of memory");
		abort();
	}
	snprintf(origin, sizeof(origin), "%s:%d", ctx->path, ctx->line);
	config_set(ctx->config, id, unquoted, SOURCE_FILE, origin, ctx->errors);
	free(unquoted);
	return 1;
}

/* Opens path for reading when it is a regular file of at most
 * CONFIG_FILE_MAX bytes, so that --config /dev/zero cannot keep the start
 * reading nor a FIFO keep it waiting; else NULL with the error added, what
 * naming the file ("config file", "DATABASE_URL_FILE"). */
static FILE *open_regular_file(const char *path, const char *what, struct config_errors *errors)
{
	struct stat st;
	FILE *file;
	int fd;

	switch (fdio_open_regular(AT_FDCWD, path, CONFIG_FILE_MAX, &fd, &st)) {
	case FDIO_OPENED:
		break;
	case FDIO_FAILED:
		config_errors_add(errors, false, "%s '%s' cannot be read: %s", what, path, strerror(errno));
		return NULL;
	case FDIO_NOT_REGULAR:
		config_errors_add(errors, false, "%s '%s' is not a regular file", what, path);
		return NULL;
	case FDIO_TOO_LARGE:
		config_errors_add(errors, false, "%s '%s' is %lld bytes, more than a settings file holds (%d)", what,
		                  path, (long long)st.st_size, CONFIG_FILE_MAX);
		return NULL;
	}
	if (!(file = fdopen(fd, "r"))) {
		config_errors_add(errors, false, "%s '%s' cannot be read: %s", what, path, strerror(errno));
		close(fd);
		return NULL;
	}
	return file;
}

/* Whether the open file is INI text at all: neither UTF-16 nor holding a
 * NUL byte (which fgets would take for the end of a line). Reads it
 * through once, at most CONFIG_FILE_MAX bytes, and rewinds it. */
static bool is_text_file(FILE *file, const char *path, struct config_errors *errors)
{
	int c, line = 1, first = EOF;

	for (long read = 0; read <= CONFIG_FILE_MAX && (c = getc(file)) != EOF; read++) {
		if (read == 0)
			first = c;
		if (read == 1 && ((first == 0xff && c == 0xfe) || (first == 0xfe && c == 0xff))) {
			config_errors_add(errors, false, "config file '%s' is UTF-16 text: save it as UTF-8", path);
			return false;
		}
		if (c == '\0') {
			config_errors_add(errors, false,
			                  "%s:%d: a NUL byte: not a text file (UTF-16? save it as UTF-8)", path, line);
			return false;
		}
		line += c == '\n';
	}
	rewind(file);
	return !ferror(file);
}

static void load_file(struct config *config, const char *path, struct config_errors *errors)
{
	struct ini_context ctx = {.config = config, .errors = errors, .path = path};
	int result;

	ctx.file = open_regular_file(path, "config file", errors);
	if (!ctx.file)
		return;
	if (!is_text_file(ctx.file, path, errors)) {
		fclose(ctx.file);
		return;
	}
	result = ini_parse_stream(ini_read_line, &ctx, ini_handle_pair, &ctx);
	if (result > 0)
		config_errors_add(errors, false, "%s:%d: not a 'key = value' line or a [section] header", path, result);
	else if (result != 0 || ferror(ctx.file))
		config_errors_add(errors, false, "cannot read config file '%s': %s", path, strerror(errno));
	fclose(ctx.file);
}

/* ---- the environment layer ---- */

static const char *env_lookup(char *const *envp, const char *name)
{
	size_t len = strlen(name);

	for (char *const *entry = envp; *entry; entry++)
		if (strncmp(*entry, name, len) == 0 && (*entry)[len] == '=')
			return *entry + len + 1;
	return NULL;
}

/* Reads a Docker-secrets file: its content minus one trailing newline. */
static char *read_secret_file(const char *path, const char *variable, struct config_errors *errors)
{
	FILE *file = open_regular_file(path, variable, errors);
	char *content = NULL;
	size_t size = 0;
	ssize_t len;

	if (!file)
		return NULL;
	len = getdelim(&content, &size, '\0', file);
	fclose(file);
	if (len < 0) {
		free(content);
		return xstrdup("");
	}
	if (len > 0 && content[len - 1] == '\n')
		content[--len] = '\0';
	if (len > 0 && content[len - 1] == '\r')
		content[--len] = '\0';
	return content;
}

/* One variable and its _FILE variant; empty values count as unset, the way
 * compose files write "VAR=" to mean nothing. */
static void load_env_variable(struct config *config, enum setting_id id, const char *name, char *const *envp,
                              struct config_errors *errors)
{
	char file_name[ENV_NAME_MAX + sizeof(CONFIG_FILE_SUFFIX)];
	const char *direct = env_lookup(envp, name);
	const char *path = NULL;

	if (direct && !*direct)
		direct = NULL;
	if (setting_is_secret(&settings_table[id])) {
		snprintf(file_name, sizeof(file_name), "%s%s", name, CONFIG_FILE_SUFFIX);
		path = env_lookup(envp, file_name);
		if (path && !*path)
			path = NULL;
	}
	if (direct && path) {
		config_errors_add(errors, false, "both %s and %s are set: use one", name, file_name);
		return;
	}
	if (direct) {
		config_set(config, id, direct, SOURCE_ENV, name, errors);
	} else if (path) {
		char origin[ENV_NAME_MAX + 4096];
		char *content = read_secret_file(path, file_name, errors);

		if (!content)
			return;
		snprintf(origin, sizeof(origin), "%s (%s)", file_name, path);
		config_set(config, id, content, SOURCE_ENV, origin, errors);
		free(content);
	}
}

static bool is_known_variable(const char *name, size_t len)
{
	char known[ENV_NAME_MAX];

	for (int id = 0; id < SETTING_COUNT; id++) {
		setting_env_name(&settings_table[id], known, sizeof(known));
		if (strlen(known) == len && strncmp(known, name, len) == 0)
			return true;
		if (setting_is_secret(&settings_table[id]) && len == strlen(known) + strlen(CONFIG_FILE_SUFFIX) &&
		    strncmp(known, name, strlen(known)) == 0 &&
		    strncmp(name + strlen(known), CONFIG_FILE_SUFFIX, strlen(CONFIG_FILE_SUFFIX)) == 0)
			return true;
	}
	return false;
}

/* A mistyped PRISMA_ENTRYPOINT_ variable would silently do nothing: say so. */
static void check_unknown_variables(char *const *envp, struct config_errors *errors)
{
	char names[SETTING_COUNT][ENV_NAME_MAX];
	const char *candidates[SETTING_COUNT];

	/* Compared without the shared prefix, which would make every name look
	 * close to every other. */
	for (int id = 0; id < SETTING_COUNT; id++) {
		setting_env_name(&settings_table[id], names[id], sizeof(names[id]));
		candidates[id] = names[id] + strlen(CONFIG_ENV_PREFIX);
	}
	for (char *const *entry = envp; *entry; entry++) {
		const char *eq = strchr(*entry, '=');
		size_t len = eq ? (size_t)(eq - *entry) : strlen(*entry);
		char name[ENV_NAME_MAX];
		const char *guess;

		if (strncmp(*entry, CONFIG_ENV_PREFIX, strlen(CONFIG_ENV_PREFIX)) != 0 ||
		    is_known_variable(*entry, len))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)len, *entry);
		guess = spell_closest(name + strlen(CONFIG_ENV_PREFIX), candidates, SETTING_COUNT);
		if (guess)
			config_errors_add(errors, false, "unknown variable %s (did you mean %s%s?)", name,
			                  CONFIG_ENV_PREFIX, guess);
		else
			config_errors_add(errors, false, "unknown variable %s", name);
	}
}

static void load_env(struct config *config, char *const *envp, struct config_errors *errors)
{
	char name[ENV_NAME_MAX];

	for (int id = 0; id < SETTING_COUNT; id++) {
		if (id == SETTING_CONFIG)
			continue; /* read first, to find the file */
		/* The alias first, so that the product's own variable wins. */
		if (settings_table[id].env_alias)
			load_env_variable(config, id, settings_table[id].env_alias, envp, errors);
		setting_env_name(&settings_table[id], name, sizeof(name));
		load_env_variable(config, id, name, envp, errors);
	}
	check_unknown_variables(envp, errors);
}

/* Only variables with the product's prefix or a row's alias concern the
 * settings; filtering once keeps start-up cheap in large environments.
 * Returns the number kept in relevant (NULL-terminated). */
static size_t filter_environment(char *const *envp, char **relevant, size_t capacity)
{
	size_t count = 0;

	for (char *const *entry = envp; *entry && count + 1 < capacity; entry++) {
		bool keep = strncmp(*entry, CONFIG_ENV_PREFIX, strlen(CONFIG_ENV_PREFIX)) == 0;

		for (int id = 0; id < SETTING_COUNT && !keep; id++)
			keep = settings_table[id].env_alias &&
			       strncmp(*entry, settings_table[id].env_alias, strlen(settings_table[id].env_alias)) == 0;
		if (keep)
			relevant[count++] = *entry;
	}
	relevant[count] = NULL;
	return count;
}

void config_load(struct config *config, const char *flag_config, char *const *envp, struct config_errors *errors)
{
	char *relevant[256];
	char name[ENV_NAME_MAX];
	const char *env_config;

	filter_environment(envp, relevant, sizeof(relevant) / sizeof(relevant[0]));
	setting_env_name(&settings_table[SETTING_CONFIG], name, sizeof(name));
	env_config = env_lookup(relevant, name);
	if (flag_config)
		config_set(config, SETTING_CONFIG, flag_config, SOURCE_FLAG, "--config", errors);
	else if (env_config && *env_config)
		config_set(config, SETTING_CONFIG, env_config, SOURCE_ENV, name, errors);
	else if (access(CONFIG_DEFAULT_FILE, F_OK) == 0)
		config_set(config, SETTING_CONFIG, CONFIG_DEFAULT_FILE, SOURCE_DEFAULT, NULL, errors);
	if (config_text(config, SETTING_CONFIG))
		load_file(config, config_text(config, SETTING_CONFIG), errors);
	load_env(config, relevant, errors);
}

const char *config_text(const struct config *config, enum setting_id id)
{
	return config->values[id].text;
}

long long config_duration_ms(const struct config *config, enum setting_id id)
{
	return config->values[id].parsed.duration_ms;
}

bool config_bool(const struct config *config, enum setting_id id)
{
	return config->values[id].parsed.flag;
}

int config_choice(const struct config *config, enum setting_id id)
{
	return config->values[id].parsed.choice;
}

static const char *source_label(const struct setting_value *value)
{
	switch (value->source) {
	case SOURCE_FILE:
		return "file";
	case SOURCE_ENV:
		return "env";
	case SOURCE_FLAG:
		return "flag";
	case SOURCE_DEFAULT:
		break;
	}
	return "default";
}

/* text redacted for printing; a list item by item, since a password may
 * hold anything but the ',' that separates the items. */
static void redact_items(const struct setting *setting, const char *text, char *out, size_t out_size)
{
	size_t used = 0;

	out[0] = '\0';
	if (setting->type != SETTING_TYPE_LIST) {
		redact_secrets(text, out, out_size);
		return;
	}
	while (used + 1 < out_size) {
		size_t len = strcspn(text, ",");
		char *item = strndup(text, len);

		if (!item) {
			snprintf(out, out_size, REDACTED);
			return;
		}
		redact_secrets(item, out + used, out_size - used);
		free(item);
		used += strlen(out + used);
		if (!text[len])
			break;
		text += len + 1;
		used += (size_t)snprintf(out + used, out_size - used, ",");
	}
}

/* text on the line being written: control characters are shown escaped, as
 * in log lines, so that a value from the environment ("x\n[wait]\nno-wait =
 * true") cannot add lines that would read back as settings. */
static void put_one_line(const char *text, FILE *out)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p == '\n')
			fputs("\\n", out);
		else if (*p == '\t')
			fputs("\\t", out);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
}

static void print_value(const struct setting *setting, const struct setting_value *value, FILE *out)
{
	char shown[4096];

	if (!value->text) {
		fprintf(out, "; %s is not set\n", setting->name);
		return;
	}
	if (setting->credentials)
		redact_items(setting, value->text, shown, sizeof(shown));
	else
		snprintf(shown, sizeof(shown), "%s", value->text);
	fprintf(out, "%s = ", setting->name);
	put_one_line(shown, out);
	fprintf(out, " ; %s", source_label(value));
	if (value->origin) {
		fputc(' ', out);
		put_one_line(value->origin, out);
	}
	fputc('\n', out);
}

void config_print(const struct config *config, FILE *out)
{
	const char *section = NULL;
	const struct setting_value *file = &config->values[SETTING_CONFIG];

	fprintf(out, "; prisma-entrypoint effective settings; after each value, where it came from\n");
	if (file->text) {
		fputs("; config file: ", out);
		put_one_line(file->text, out);
		fprintf(out, " (%s%s", source_label(file), file->origin ? " " : "");
		put_one_line(file->origin ? file->origin : "", out);
		fputs(")\n", out);
	} else
		fprintf(out, "; config file: none\n");
	for (int id = 0; id < SETTING_COUNT; id++) {
		const struct setting *setting = &settings_table[id];

		if (!setting->section)
			continue;
		if (!section || strcmp(section, setting->section) != 0) {
			section = setting->section;
			fprintf(out, "\n[%s]\n", section);
		}
		print_value(setting, &config->values[id], out);
	}
}
