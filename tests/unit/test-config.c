/* Unit tests for config.c and settings-table.c: the settings table, values
 * and their layers (default, INI file, environment, flag), printing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testlib.h"

#include "config.h"
#include "value.h"

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A NULL-terminated environment for config_load. */
#define ENV(...) ((char *const[]){__VA_ARGS__, NULL})
#define NO_ENV   ((char *const[]){NULL})

/* Every test runs in a fresh temporary directory of its own, which is the
 * current directory, so that ./prisma-entrypoint.ini is under its control. */
struct fixture {
	char dir[64];
	char old_cwd[PATH_MAX];
	struct config config;
	struct config_errors errors;
};

static int setup(void **state)
{
	struct fixture *fx = FIXTURE_TREE_NEW(struct fixture, "config");

	if (!fx)
		return -1;
	if (!getcwd(fx->old_cwd, sizeof(fx->old_cwd)) || chdir(fx->dir) < 0) {
		fixture_tree_free(fx, fx->dir);
		return -1;
	}
	config_init(&fx->config);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	int rc = 0;

	config_release(&fx->config);
	config_errors_release(&fx->errors);
	if (chdir(fx->old_cwd) < 0)
		rc = -1;
	return fixture_tree_free(fx, fx->dir) < 0 ? -1 : rc;
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

static void dump_errors(const struct config_errors *errors)
{
	for (size_t i = 0; i < errors->count; i++)
		print_message("  error %zu: %s\n", i, errors->messages[i]);
}

static void assert_no_errors(const struct config_errors *errors)
{
	if (errors->count != 0) {
		dump_errors(errors);
		fail_msg("%zu unexpected error(s)", errors->count);
	}
}

static void assert_error_count(const struct config_errors *errors, size_t count)
{
	if (errors->count != count) {
		dump_errors(errors);
		fail_msg("%zu error(s), expected %zu", errors->count, count);
	}
}

/* The one error that contains every given fragment (NULL-terminated list). */
static const char *find_error_v(const struct config_errors *errors, const char *const *fragments)
{
	for (size_t i = 0; i < errors->count; i++) {
		bool all = true;

		for (const char *const *f = fragments; *f && all; f++)
			all = strstr(errors->messages[i], *f) != NULL;
		if (all)
			return errors->messages[i];
	}
	dump_errors(errors);
	for (const char *const *f = fragments; *f; f++)
		print_message("  wanted: %s\n", *f);
	fail_msg("no error contains all the wanted fragments");
	return NULL;
}

#define assert_error(errors, ...) find_error_v((errors), (const char *const[]){__VA_ARGS__, NULL})

static void assert_value(const struct config *config, enum setting_id id, const char *text, enum setting_source source,
                         const char *origin)
{
	const struct setting_value *value = &config->values[id];

	if (!text) {
		assert_null(value->text);
		return;
	}
	if (!value->text)
		fail_msg("%s is unset, expected '%s'", settings_table[id].name, text);
	assert_string_equal(value->text, text);
	assert_int_equal(value->source, source);
	if (origin) {
		if (!value->origin)
			fail_msg("%s has no origin, expected '%s'", settings_table[id].name, origin);
		assert_string_equal(value->origin, origin);
	} else {
		assert_null(value->origin);
	}
}

static char *print_config(const struct config *config)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);

	assert_non_null(out);
	config_print(config, out);
	assert_int_equal(fclose(out), 0);
	return text;
}

/* ---- the table and its defaults ---- */

static void test_table_rows(void **state)
{
	(void)state;
	for (int id = 0; id < SETTING_COUNT; id++) {
		const struct setting *s = &settings_table[id];

		assert_non_null(s->name);
		assert_non_null(s->placeholder);
		assert_non_null(s->help);
		enum setting_type item = s->type == SETTING_TYPE_LIST ? s->item_type : s->type;

		/* A list's items are of a scalar type; choices name the values of
		 * a choice and the schemes of a URL, nothing else. */
		assert_int_not_equal(item, SETTING_TYPE_LIST);
		assert_int_equal(item == SETTING_TYPE_CHOICE || item == SETTING_TYPE_URL, s->choices != NULL);
		/* Ranges: a duration's within what value.c can hold. */
		if (item == SETTING_TYPE_DURATION)
			assert_true(s->min >= 0 && s->max <= VALUE_DURATION_MAX_MS);
		if (item == SETTING_TYPE_DURATION || item == SETTING_TYPE_INTEGER)
			assert_true(s->min < s->max);
		else
			assert_true(s->min == 0 && s->max == 0);
		for (int other = 0; other < id; other++)
			assert_string_not_equal(s->name, settings_table[other].name);
	}
	/* Rows of one section are adjacent, so printing groups them. */
	for (int id = 0; id < SETTING_COUNT; id++) {
		for (int later = id + 2; later < SETTING_COUNT; later++) {
			const char *a = settings_table[id].section, *b = settings_table[later].section;

			if (a && b && strcmp(a, b) == 0)
				for (int between = id + 1; between < later; between++)
					assert_true(settings_table[between].section &&
					            strcmp(settings_table[between].section, a) == 0);
		}
	}
}

static void test_choice_enums_match_table(void **state)
{
	const char *const *levels = settings_table[SETTING_LOG_LEVEL].choices;
	const char *const *formats = settings_table[SETTING_LOG_FORMAT].choices;
	const char *const *targets = settings_table[SETTING_SIGNAL_TARGET].choices;

	(void)state;
	assert_string_equal(levels[CHOICE_LOG_QUIET], "quiet");
	assert_string_equal(levels[CHOICE_LOG_INFO], "info");
	assert_string_equal(levels[CHOICE_LOG_VERBOSE], "verbose");
	assert_string_equal(levels[CHOICE_LOG_DEBUG], "debug");
	assert_null(levels[CHOICE_LOG_DEBUG + 1]);
	assert_string_equal(formats[CHOICE_LOG_TEXT], "text");
	assert_string_equal(formats[CHOICE_LOG_JSON], "json");
	assert_null(formats[CHOICE_LOG_JSON + 1]);
	assert_string_equal(targets[CHOICE_SIGNAL_AUTO], "auto");
	assert_string_equal(targets[CHOICE_SIGNAL_CHILD], "child");
	assert_string_equal(targets[CHOICE_SIGNAL_GROUP], "group");
	assert_null(targets[CHOICE_SIGNAL_GROUP + 1]);
}

static void test_every_default_parses(void **state)
{
	struct fixture *fx = *state;

	for (int id = 0; id < SETTING_COUNT; id++) {
		struct config fresh = {0};

		if (!settings_table[id].default_text)
			continue;
		if (config_set(&fresh, id, settings_table[id].default_text, SOURCE_DEFAULT, NULL, &fx->errors) != 0)
			fail_msg("default '%s' of %s does not parse", settings_table[id].default_text,
			         settings_table[id].name);
		config_release(&fresh);
	}
	assert_no_errors(&fx->errors);
}

static void test_init_gives_defaults(void **state)
{
	struct fixture *fx = *state;
	const struct config *c = &fx->config;

	for (int id = 0; id < SETTING_COUNT; id++)
		assert_value(c, id, settings_table[id].default_text, SOURCE_DEFAULT, NULL);
	assert_null(config_text(c, SETTING_CONFIG));
	assert_null(config_text(c, SETTING_DATABASE_URL));
	assert_string_equal(config_text(c, SETTING_STOP_TIMEOUT), "8s");
	assert_int_equal(config_duration_ms(c, SETTING_STOP_TIMEOUT), 8000);
	assert_int_equal(config_choice(c, SETTING_LOG_LEVEL), CHOICE_LOG_INFO);
	assert_int_equal(config_choice(c, SETTING_LOG_FORMAT), CHOICE_LOG_TEXT);
	assert_int_equal(config_choice(c, SETTING_SIGNAL_TARGET), CHOICE_SIGNAL_AUTO);
	assert_false(config_bool(c, SETTING_EXEC));
}

static void test_init_twice_is_clean(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(
	    config_set(&fx->config, SETTING_STOP_TIMEOUT, "1s", SOURCE_FLAG, "--stop-timeout", &fx->errors), 0);
	config_release(&fx->config);
	config_init(&fx->config);
	assert_value(&fx->config, SETTING_STOP_TIMEOUT, "8s", SOURCE_DEFAULT, NULL);
}

static void test_env_names(void **state)
{
	static const struct {
		enum setting_id id;
		const char *name;
	} cases[] = {
	    {SETTING_CONFIG, "PRISMA_ENTRYPOINT_CONFIG"},
	    {SETTING_LOG_LEVEL, "PRISMA_ENTRYPOINT_LOG_LEVEL"},
	    {SETTING_LOG_FORMAT, "PRISMA_ENTRYPOINT_LOG_FORMAT"},
	    {SETTING_STOP_TIMEOUT, "PRISMA_ENTRYPOINT_STOP_TIMEOUT"},
	    {SETTING_USER, "PRISMA_ENTRYPOINT_USER"},
	    {SETTING_SIGNAL_TARGET, "PRISMA_ENTRYPOINT_SIGNAL_TARGET"},
	    {SETTING_EXEC, "PRISMA_ENTRYPOINT_EXEC"},
	    {SETTING_WATCH, "PRISMA_ENTRYPOINT_WATCH"},
	    {SETTING_WATCH_POLL, "PRISMA_ENTRYPOINT_WATCH_POLL"},
	    {SETTING_WATCH_DEBOUNCE, "PRISMA_ENTRYPOINT_WATCH_DEBOUNCE"},
	    {SETTING_DATABASE_URL, "PRISMA_ENTRYPOINT_DATABASE_URL"},
	    {SETTING_DIRECT_URL, "PRISMA_ENTRYPOINT_DIRECT_URL"},
	    {SETTING_WAIT, "PRISMA_ENTRYPOINT_WAIT"},
	    {SETTING_NO_WAIT, "PRISMA_ENTRYPOINT_NO_WAIT"},
	    {SETTING_WAIT_TIMEOUT, "PRISMA_ENTRYPOINT_WAIT_TIMEOUT"},
	    {SETTING_ATTEMPT_TIMEOUT, "PRISMA_ENTRYPOINT_ATTEMPT_TIMEOUT"},
	    {SETTING_BACKOFF_MAX, "PRISMA_ENTRYPOINT_BACKOFF_MAX"},
	    {SETTING_HTTP_STATUS, "PRISMA_ENTRYPOINT_HTTP_STATUS"},
	    {SETTING_HTTP_CA_FILE, "PRISMA_ENTRYPOINT_HTTP_CA_FILE"},
	    {SETTING_HTTP_INSECURE, "PRISMA_ENTRYPOINT_HTTP_INSECURE"},
	    {SETTING_SCHEMA, "PRISMA_ENTRYPOINT_SCHEMA"},
	    {SETTING_PRISMA_CLI, "PRISMA_ENTRYPOINT_PRISMA_CLI"},
	    {SETTING_PRISMA_OUTPUT_PREFIX, "PRISMA_ENTRYPOINT_PRISMA_OUTPUT_PREFIX"},
	    {SETTING_NO_GENERATE, "PRISMA_ENTRYPOINT_NO_GENERATE"},
	    {SETTING_FORCE_GENERATE, "PRISMA_ENTRYPOINT_FORCE_GENERATE"},
	    {SETTING_GENERATE_RECORD, "PRISMA_ENTRYPOINT_GENERATE_RECORD"},
	    {SETTING_GENERATE_FAILURE, "PRISMA_ENTRYPOINT_GENERATE_FAILURE"},
	    {SETTING_INSTALL, "PRISMA_ENTRYPOINT_INSTALL"},
	    {SETTING_NO_MIGRATE, "PRISMA_ENTRYPOINT_NO_MIGRATE"},
	    {SETTING_MIGRATE_MODE, "PRISMA_ENTRYPOINT_MIGRATE_MODE"},
	    {SETTING_UNKNOWN_MIGRATIONS, "PRISMA_ENTRYPOINT_UNKNOWN_MIGRATIONS"},
	    {SETTING_MIGRATIONS, "PRISMA_ENTRYPOINT_MIGRATIONS"},
	    {SETTING_DEPLOY_LINGER, "PRISMA_ENTRYPOINT_DEPLOY_LINGER"},
	    {SETTING_MIGRATE_ENGINE, "PRISMA_ENTRYPOINT_MIGRATE_ENGINE"},
	    {SETTING_SEED, "PRISMA_ENTRYPOINT_SEED"},
	    {SETTING_MIGRATE_LOCK_TIMEOUT, "PRISMA_ENTRYPOINT_MIGRATE_LOCK_TIMEOUT"},
	    {SETTING_BASELINE, "PRISMA_ENTRYPOINT_BASELINE"},
	    {SETTING_PUSH_ACCEPT_DATA_LOSS, "PRISMA_ENTRYPOINT_PUSH_ACCEPT_DATA_LOSS"},
	};

	(void)state;
	assert_int_equal(sizeof(cases) / sizeof(cases[0]), SETTING_COUNT);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[128];

		memset(name, 'x', sizeof(name));
		setting_env_name(&settings_table[cases[i].id], name, sizeof(name));
		assert_string_equal(name, cases[i].name);
	}
}

static void test_env_name_small_buffer(void **state)
{
	char name[12];

	(void)state;
	memset(name, 'x', sizeof(name));
	setting_env_name(&settings_table[SETTING_STOP_TIMEOUT], name, 10);
	assert_string_equal(name, "PRISMA_EN");
	assert_int_equal(name[10], 'x');
	setting_env_name(&settings_table[SETTING_EXEC], name, 1);
	assert_string_equal(name, "");
}

static void test_only_the_urls_are_secret(void **state)
{
	(void)state;
	for (int id = 0; id < SETTING_COUNT; id++)
		assert_int_equal(setting_is_secret(&settings_table[id]),
		                 id == SETTING_DATABASE_URL || id == SETTING_DIRECT_URL);
}

/* ---- config_set ---- */

static void test_set_stores_value_source_origin(void **state)
{
	struct fixture *fx = *state;
	struct config *c = &fx->config;

	assert_int_equal(
	    config_set(c, SETTING_STOP_TIMEOUT, "1.5s", SOURCE_ENV, "PRISMA_ENTRYPOINT_STOP_TIMEOUT", &fx->errors), 0);
	assert_value(c, SETTING_STOP_TIMEOUT, "1.5s", SOURCE_ENV, "PRISMA_ENTRYPOINT_STOP_TIMEOUT");
	assert_int_equal(config_duration_ms(c, SETTING_STOP_TIMEOUT), 1500);

	assert_int_equal(config_set(c, SETTING_EXEC, "YES", SOURCE_FLAG, "--exec", &fx->errors), 0);
	assert_true(config_bool(c, SETTING_EXEC));
	assert_value(c, SETTING_EXEC, "YES", SOURCE_FLAG, "--exec");

	assert_int_equal(config_set(c, SETTING_LOG_LEVEL, "debug", SOURCE_FILE, "a.ini:2", &fx->errors), 0);
	assert_int_equal(config_choice(c, SETTING_LOG_LEVEL), CHOICE_LOG_DEBUG);
	assert_int_equal(config_set(c, SETTING_SIGNAL_TARGET, "group", SOURCE_FILE, "a.ini:3", &fx->errors), 0);
	assert_int_equal(config_choice(c, SETTING_SIGNAL_TARGET), CHOICE_SIGNAL_GROUP);
	assert_int_equal(config_set(c, SETTING_LOG_FORMAT, "json", SOURCE_FILE, "a.ini:4", &fx->errors), 0);
	assert_int_equal(config_choice(c, SETTING_LOG_FORMAT), CHOICE_LOG_JSON);
	assert_int_equal(
	    config_set(c, SETTING_DATABASE_URL, "postgres://u:p@h/d", SOURCE_ENV, "DATABASE_URL", &fx->errors), 0);
	assert_string_equal(config_text(c, SETTING_DATABASE_URL), "postgres://u:p@h/d");
	assert_int_equal(config_set(c, SETTING_CONFIG, "some.ini", SOURCE_FLAG, "--config", &fx->errors), 0);
	assert_string_equal(config_text(c, SETTING_CONFIG), "some.ini");
	assert_no_errors(&fx->errors);
}

static void test_later_set_wins(void **state)
{
	struct fixture *fx = *state;
	struct config *c = &fx->config;

	assert_int_equal(config_set(c, SETTING_STOP_TIMEOUT, "2s", SOURCE_FILE, "a.ini:1", &fx->errors), 0);
	assert_int_equal(
	    config_set(c, SETTING_STOP_TIMEOUT, "3s", SOURCE_ENV, "PRISMA_ENTRYPOINT_STOP_TIMEOUT", &fx->errors), 0);
	assert_int_equal(config_set(c, SETTING_STOP_TIMEOUT, "250ms", SOURCE_FLAG, "--stop-timeout", &fx->errors), 0);
	assert_value(c, SETTING_STOP_TIMEOUT, "250ms", SOURCE_FLAG, "--stop-timeout");
	assert_int_equal(config_duration_ms(c, SETTING_STOP_TIMEOUT), 250);
	assert_no_errors(&fx->errors);
}

static void test_set_rejects_bad_values(void **state)
{
	static const struct {
		enum setting_id id;
		const char *text;
		const char *origin;
		const char *fragments[3];
	} cases[] = {
	    {SETTING_STOP_TIMEOUT, "soon", "PRISMA_ENTRYPOINT_STOP_TIMEOUT", {"stop-timeout", "'soon'", "duration"}},
	    {SETTING_STOP_TIMEOUT, "-1s", "--stop-timeout", {"stop-timeout", "'-1s'", NULL}},
	    {SETTING_STOP_TIMEOUT, "99999999999h", "a.ini:9", {"stop-timeout", "99999999999h", NULL}},
	    {SETTING_EXEC, "maybe", "--exec", {"exec", "'maybe'", "true or false"}},
	    {SETTING_LOG_LEVEL, "loud", "a.ini:2", {"log-level", "'loud'", "quiet, info, verbose, debug"}},
	    {SETTING_LOG_FORMAT, "xml", "PRISMA_ENTRYPOINT_LOG_FORMAT", {"log-format", "text, json", NULL}},
	    {SETTING_SIGNAL_TARGET, "Group", "--signal-target", {"signal-target", "child, group", NULL}},
	    {SETTING_CONFIG, "", "--config", {"config", NULL, NULL}},
	    {SETTING_DATABASE_URL, "", "DATABASE_URL", {"database-url", NULL, NULL}},
	    {SETTING_STOP_TIMEOUT, "169h", "--stop-timeout", {"stop-timeout", "'169h'", "from 0s to 168h"}},
	    {SETTING_HTTP_STATUS, "", "--http-status", {"http-status", "comma-separated list", NULL}},
	    {SETTING_HTTP_STATUS, "200,2xx", "--http-status", {"http-status item '2xx'", "from 100 to 599", NULL}},
	    {SETTING_HTTP_STATUS, "99", "a.ini:4", {"http-status item '99'", "from 100 to 599", NULL}},
	    {SETTING_HTTP_STATUS, "600", "PRISMA_ENTRYPOINT_HTTP_STATUS", {"'600'", "from 100 to 599", NULL}},
	    {SETTING_HTTP_STATUS, "+200", "--http-status", {"'+200'", NULL, NULL}},
	    {SETTING_WAIT, "db:5432", "--wait", {"wait item", "tcp://, http://, https://, unix:// or file://", NULL}},
	    {SETTING_WAIT, "redis://:hunter2@cache", "--wait", {"wait item 'redis://:****@cache'", "tcp://", NULL}},
	    /* Not a URL: hidden whole, as it could be a bare password. */
	    {SETTING_WAIT, "tcp:db:5432", "--wait", {"wait item '****'", NULL, NULL}},
	};
	struct fixture *fx = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config_errors errors = {0};
		const char *message;

		if (config_set(&fx->config, cases[i].id, cases[i].text, SOURCE_ENV, cases[i].origin, &errors) != -1)
			fail_msg("%s = '%s' was accepted", settings_table[cases[i].id].name, cases[i].text);
		assert_error_count(&errors, 1);
		message = errors.messages[0];
		/* The error starts with where the value came from. */
		if (strncmp(message, cases[i].origin, strlen(cases[i].origin)) != 0)
			fail_msg("'%s' does not start with '%s'", message, cases[i].origin);
		for (size_t f = 0; f < 3 && cases[i].fragments[f]; f++)
			if (!strstr(message, cases[i].fragments[f]))
				fail_msg("'%s' does not mention '%s'", message, cases[i].fragments[f]);
		assert_null(strchr(message, '\n'));
		assert_false(errors.usage);
		config_errors_release(&errors);
		/* The value is left as it was. */
		assert_value(&fx->config, cases[i].id, settings_table[cases[i].id].default_text, SOURCE_DEFAULT, NULL);
	}
}

/* Every item of a list is checked, and every bad one is its own error, so
 * that all of them are reported together; none is kept. */
static void test_set_checks_every_list_item(void **state)
{
	struct fixture *fx = *state;
	char **items;

	assert_int_equal(config_set(&fx->config, SETTING_HTTP_STATUS, "200, abc,99 600\t204", SOURCE_FLAG,
	                            "--http-status", &fx->errors),
	                 -1);
	assert_error_count(&fx->errors, 3);
	assert_error(&fx->errors, "--http-status: invalid http-status item 'abc'");
	assert_error(&fx->errors, "item '99'");
	assert_error(&fx->errors, "item '600'");
	assert_value(&fx->config, SETTING_HTTP_STATUS, NULL, SOURCE_DEFAULT, NULL);
	config_errors_release(&fx->errors);

	assert_int_equal(config_set(&fx->config, SETTING_HTTP_STATUS, "100, 599 204", SOURCE_ENV, "X", &fx->errors), 0);
	assert_int_equal(config_list(&fx->config, SETTING_HTTP_STATUS, &items), 3);
	config_list_free(items);
	/* Schemes in any case, as the wait phase reads them; the rest is the
	 * wait phase's to read. */
	assert_int_equal(config_set(&fx->config, SETTING_WAIT, "HTTP://a, Tcp://b:1 unix:///s,file://x,https://",
	                            SOURCE_ENV, "X", &fx->errors),
	                 0);
	assert_no_errors(&fx->errors);
	/* Separators alone: no item, nothing to check, as before. */
	assert_int_equal(config_set(&fx->config, SETTING_WAIT, " , ", SOURCE_FLAG, "--wait", &fx->errors), 0);
	assert_no_errors(&fx->errors);
}

static void test_set_keeps_previous_value_on_error(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(config_set(&fx->config, SETTING_STOP_TIMEOUT, "2s", SOURCE_FILE, "a.ini:3", &fx->errors), 0);
	assert_int_equal(config_set(&fx->config, SETTING_STOP_TIMEOUT, "2x", SOURCE_ENV, "X", &fx->errors), -1);
	assert_value(&fx->config, SETTING_STOP_TIMEOUT, "2s", SOURCE_FILE, "a.ini:3");
	assert_int_equal(config_duration_ms(&fx->config, SETTING_STOP_TIMEOUT), 2000);
	assert_error_count(&fx->errors, 1);
}

static void test_set_error_without_origin(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(config_set(&fx->config, SETTING_EXEC, "nah", SOURCE_DEFAULT, NULL, &fx->errors), -1);
	assert_error_count(&fx->errors, 1);
	assert_non_null(strstr(fx->errors.messages[0], "nah"));
}

static void test_set_secret_error_hides_value(void **state)
{
	struct fixture *fx = *state;
	struct config_errors errors = {0};

	/* Whatever makes a secret invalid, its text never shows in the error. */
	assert_int_equal(config_set(&fx->config, SETTING_DATABASE_URL, "", SOURCE_ENV, "DATABASE_URL", &errors), -1);
	assert_error_count(&errors, 1);
	assert_non_null(strstr(errors.messages[0], "DATABASE_URL"));
	config_errors_release(&errors);
}

static void test_errors_collect(void **state)
{
	struct config_errors errors = {0};

	(void)state;
	config_errors_add(&errors, false, "first %d", 1);
	assert_false(errors.usage);
	config_errors_add(&errors, true, "second %s", "two");
	config_errors_add(&errors, false, "third");
	assert_int_equal(errors.count, 3);
	assert_true(errors.usage);
	assert_string_equal(errors.messages[0], "first 1");
	assert_string_equal(errors.messages[1], "second two");
	assert_string_equal(errors.messages[2], "third");
	config_errors_release(&errors);
	assert_int_equal(errors.count, 0);
	assert_null(errors.messages);
	assert_false(errors.usage);
}

/* ---- the INI layer ---- */

static void test_file_values_land(void **state)
{
	struct fixture *fx = *state;
	struct config *c = &fx->config;

	write_text("a.ini", "; a comment\n"
	                    "[log]\n"
	                    "log-level = debug\n"
	                    "log-format=json\n"
	                    "\n"
	                    "# another comment\n"
	                    "[run]\n"
	                    "   stop-timeout   =   2s   \n"
	                    "signal-target = group\n"
	                    "exec = on\n"
	                    "[database]\n"
	                    "database-url = postgres://u:p@db:5432/app?schema=public\n");
	config_load(c, "a.ini", NO_ENV, &fx->errors);
	assert_no_errors(&fx->errors);
	assert_value(c, SETTING_CONFIG, "a.ini", SOURCE_FLAG, "--config");
	assert_value(c, SETTING_LOG_LEVEL, "debug", SOURCE_FILE, "a.ini:3");
	assert_value(c, SETTING_LOG_FORMAT, "json", SOURCE_FILE, "a.ini:4");
	assert_value(c, SETTING_STOP_TIMEOUT, "2s", SOURCE_FILE, "a.ini:8");
	assert_value(c, SETTING_SIGNAL_TARGET, "group", SOURCE_FILE, "a.ini:9");
	assert_value(c, SETTING_EXEC, "on", SOURCE_FILE, "a.ini:10");
	assert_value(c, SETTING_DATABASE_URL, "postgres://u:p@db:5432/app?schema=public", SOURCE_FILE, "a.ini:12");
	assert_int_equal(config_choice(c, SETTING_LOG_LEVEL), CHOICE_LOG_DEBUG);
	assert_int_equal(config_choice(c, SETTING_LOG_FORMAT), CHOICE_LOG_JSON);
	assert_int_equal(config_duration_ms(c, SETTING_STOP_TIMEOUT), 2000);
	assert_int_equal(config_choice(c, SETTING_SIGNAL_TARGET), CHOICE_SIGNAL_GROUP);
	assert_true(config_bool(c, SETTING_EXEC));
}

static void test_file_partial_keeps_defaults(void **state)
{
	struct fixture *fx = *state;

	write_text("a.ini", "[run]\nexec = yes\nexec = no\n");
	config_load(&fx->config, "a.ini", NO_ENV, &fx->errors);
	assert_no_errors(&fx->errors);
	/* The last of repeated keys wins. */
	assert_value(&fx->config, SETTING_EXEC, "no", SOURCE_FILE, "a.ini:3");
	assert_value(&fx->config, SETTING_STOP_TIMEOUT, "8s", SOURCE_DEFAULT, NULL);
	assert_value(&fx->config, SETTING_LOG_LEVEL, "info", SOURCE_DEFAULT, NULL);
	assert_null(config_text(&fx->config, SETTING_DATABASE_URL));
}

static void test_file_quoted_values(void **state)
{
	struct fixture *fx = *state;

	write_text("a.ini", "[run]\n"
	                    "stop-timeout = \"500ms\"\n"
	                    "signal-target = \"group\"\n"
	                    "[database]\n"
	                    "database-url = \"postgres://u:p@h/d\"\n"
	                    "[prisma]\n"
	                    "prisma-output-prefix = \"[prisma] \"\n");
	config_load(&fx->config, "a.ini", NO_ENV, &fx->errors);
	assert_no_errors(&fx->errors);
	/* Quotes keep the spaces at a value's ends, which INI otherwise trims. */
	assert_string_equal(config_text(&fx->config, SETTING_PRISMA_OUTPUT_PREFIX), "[prisma] ");
	assert_value(&fx->config, SETTING_STOP_TIMEOUT, "500ms", SOURCE_FILE, "a.ini:2");
	assert_int_equal(config_duration_ms(&fx->config, SETTING_STOP_TIMEOUT), 500);
	assert_int_equal(config_choice(&fx->config, SETTING_SIGNAL_TARGET), CHOICE_SIGNAL_GROUP);
	assert_string_equal(config_text(&fx->config, SETTING_DATABASE_URL), "postgres://u:p@h/d");
}

static void test_file_inline_comment(void **state)
{
	struct fixture *fx = *state;

	write_text("a.ini", "[run]\nstop-timeout = 3s ; three seconds\n");
	config_load(&fx->config, "a.ini", NO_ENV, &fx->errors);
	assert_no_errors(&fx->errors);
	assert_string_equal(config_text(&fx->config, SETTING_STOP_TIMEOUT), "3s");
}

static void test_file_with_bom_and_crlf(void **state)
{
	struct fixture *fx = *state;

	write_text("a.ini", "\xef\xbb\xbf[run]\r\nexec = true\r\nstop-timeout = 1m\r\n");
	config_load(&fx->config, "a.ini", NO_ENV, &fx->errors);
	assert_no_errors(&fx->errors);
	assert_value(&fx->config, SETTING_EXEC, "true", SOURCE_FILE, "a.ini:2");
	assert_int_equal(config_duration_ms(&fx->config, SETTING_STOP_TIMEOUT), 60000);
}

static void test_file_bad_value(void **state)
{
	struct fixture *fx = *state;

	write_text("a.ini", "[run]\nexec = yes\nstop-timeout = soon\n");
	config_load(&fx->config, "a.ini", NO_ENV, &fx->errors);
	assert_error_count(&fx->errors, 1);
	assert_error(&fx->errors, "a.ini:3", "stop-timeout", "soon");
	assert_value(&fx->config, SETTING_STOP_TIMEOUT, "8s", SOURCE_DEFAULT, NULL);
	assert_true(config_bool(&fx->config, SETTING_EXEC));
}

static void test_file_unknown_section(void **state)
{
	struct fixture *fx = *state;

	write_text("a.ini", "[rnu]\n"
	                    "exec = yes\n"
	                    "stop-timeout = 1s\n"
	                    "[servers]\n"
	                    "port = 80\n"
	                    "[run]\n"
	                    "signal-target = group\n");
	config_load(&fx->config, "a.ini", NO_ENV, &fx->errors);
	/* One error per unknown section, not one per key. */
	assert_error_count(&fx->errors, 2);
	/* Reported at the header's line. */
	assert_error(&fx->errors, "a.ini:1", "unknown section", "[rnu]", "did you mean [run]");
	assert_null(strstr(assert_error(&fx->errors, "a.ini:4", "unknown section", "[servers]"), "did you mean"));
	/* Nothing under an unknown section is applied; the rest is. */
	assert_false(config_bool(&fx->config, SETTING_EXEC));
	assert_int_equal(config_duration_ms(&fx->config, SETTING_STOP_TIMEOUT), 8000);
	assert_int_equal(config_choice(&fx->config, SETTING_SIGNAL_TARGET), CHOICE_SIGNAL_GROUP);
}

static void test_file_empty_unknown_section(void **state)
{
	struct fixture *fx = *state;

	write_text("a.ini", "[run]\nexec = yes\n[ lgo ]\n");
	config_load(&fx->config, "a.ini", NO_ENV, &fx->errors);
	assert_error_count(&fx->errors, 1);
	assert_error(&fx->errors, "a.ini:3", "unknown section", "[lgo]", "did you mean [log]");
}

static void test_file_unknown_key(void **state)
{
	struct fixture *fx = *state;

	write_text("a.ini", "[run]\n"
	                    "stop-timout = 1s\n"
	                    "[log]\n"
	                    "log-levl = debug\n"
	                    "colour = yes\n");
	config_load(&fx->config, "a.ini", NO_ENV, &fx->errors);
	assert_error_count(&fx->errors, 3);
	assert_error(&fx->errors, "a.ini:2", "unknown key 'stop-timout'", "did you mean 'stop-timeout'");
	assert_error(&fx->errors, "a.ini:4", "unknown key 'log-levl'", "did you mean 'log-level'");
	assert_null(strstr(assert_error(&fx->errors, "a.ini:5", "unknown key 'colour'"), "did you mean"));
	assert_value(&fx->config, SETTING_STOP_TIMEOUT, "8s", SOURCE_DEFAULT, NULL);
	assert_value(&fx->config, SETTING_LOG_LEVEL, "info", SOURCE_DEFAULT, NULL);
}

static void test_file_typo_in_wrong_section(void **state)
{
	struct fixture *fx = *state;

	write_text("a.ini", "[log]\nstop-timout = 1s\n");
	config_load(&fx->config, "a.ini", NO_ENV, &fx->errors);
	assert_error_count(&fx->errors, 1);
	assert_error(&fx->errors, "a.ini:2", "stop-timout", "stop-timeout", "[run]");
}

static void test_file_key_in_wrong_section(void **state)
{
	struct fixture *fx = *state;

	write_text("a.ini", "[log]\nstop-timeout = 1s\n[run]\nlog-level = debug\n");
	config_load(&fx->config, "a.ini", NO_ENV, &fx->errors);
	assert_error_count(&fx->errors, 2);
	assert_error(&fx->errors, "a.ini:2", "'stop-timeout'", "[run]", "[log]");
	assert_error(&fx->errors, "a.ini:4", "'log-level'", "[log]", "[run]");
	assert_value(&fx->config, SETTING_STOP_TIMEOUT, "8s", SOURCE_DEFAULT, NULL);
	assert_value(&fx->config, SETTING_LOG_LEVEL, "info", SOURCE_DEFAULT, NULL);
}

static void test_file_key_outside_sections(void **state)
{
	struct fixture *fx = *state;

	write_text("a.ini", "exec = yes\nport = 80\n[run]\nstop-timeout = 1s\n");
	config_load(&fx->config, "a.ini", NO_ENV, &fx->errors);
	assert_error_count(&fx->errors, 2);
	assert_error(&fx->errors, "a.ini:1", "'exec'", "[run]");
	assert_error(&fx->errors, "a.ini:2", "'port'");
	assert_false(config_bool(&fx->config, SETTING_EXEC));
	assert_value(&fx->config, SETTING_STOP_TIMEOUT, "1s", SOURCE_FILE, "a.ini:4");
}

static void test_file_config_key_not_allowed(void **state)
{
	struct fixture *fx = *state;

	write_text("other.ini", "[run]\nexec = yes\n");
	write_text("a.ini", "[run]\nconfig = other.ini\n");
	config_load(&fx->config, "a.ini", NO_ENV, &fx->errors);
	assert_error_count(&fx->errors, 1);
	assert_error(&fx->errors, "a.ini:2", "'config'");
	assert_value(&fx->config, SETTING_CONFIG, "a.ini", SOURCE_FLAG, "--config");
	assert_false(config_bool(&fx->config, SETTING_EXEC));
}

static void test_file_syntax_error(void **state)
{
	struct fixture *fx = *state;

	write_text("a.ini", "[run]\nexec = yes\nthis is not a setting\nstop-timeout = 4s\n");
	config_load(&fx->config, "a.ini", NO_ENV, &fx->errors);
	assert_error_count(&fx->errors, 1);
	assert_error(&fx->errors, "a.ini:3");
	/* The lines around it still count. */
	assert_true(config_bool(&fx->config, SETTING_EXEC));
	assert_value(&fx->config, SETTING_STOP_TIMEOUT, "4s", SOURCE_FILE, "a.ini:4");
}

static void test_file_bad_section_header(void **state)
{
	struct fixture *fx = *state;

	write_text("a.ini", "[run\nexec = yes\n");
	config_load(&fx->config, "a.ini", NO_ENV, &fx->errors);
	assert_true(fx->errors.count >= 1);
	assert_error(&fx->errors, "a.ini:1");
}

static void test_file_long_line(void **state)
{
	struct fixture *fx = *state;
	char content[1024];
	char url[400];
	size_t used;

	/* 250 characters: past inih's 200-byte line buffer. */
	snprintf(url, sizeof(url), "postgres://u:p@h/%0*d", 250 - 32, 0);
	used = (size_t)snprintf(content, sizeof(content), "[database]\ndatabase-url = %s\n[run]\nexec = yes\n", url);
	assert_true(used < sizeof(content));
	write_text("a.ini", content);
	config_load(&fx->config, "a.ini", NO_ENV, &fx->errors);
	assert_error_count(&fx->errors, 1);
	assert_error(&fx->errors, "a.ini:2", "longer than");
	/* No part of the long line becomes a value, and line numbers after it
	 * stay right. */
	assert_null(config_text(&fx->config, SETTING_DATABASE_URL));
	assert_value(&fx->config, SETTING_EXEC, "yes", SOURCE_FILE, "a.ini:4");
}

static void test_file_long_last_line_without_newline(void **state)
{
	struct fixture *fx = *state;
	char content[1024];

	snprintf(content, sizeof(content), "[run]\nexec = yes\n[database]\ndatabase-url = postgres://h/%0*d", 300, 0);
	write_text("a.ini", content);
	config_load(&fx->config, "a.ini", NO_ENV, &fx->errors);
	assert_error_count(&fx->errors, 1);
	assert_error(&fx->errors, "a.ini:4", "longer than");
	assert_null(config_text(&fx->config, SETTING_DATABASE_URL));
}

static void test_file_line_just_under_the_limit(void **state)
{
	struct fixture *fx = *state;
	char line[256];
	char content[512];
	int prefix = (int)strlen("database-url = postgres://h/");

	/* 190 characters: fits. */
	snprintf(line, sizeof(line), "database-url = postgres://h/%0*d", 190 - prefix, 0);
	assert_int_equal(strlen(line), 190);
	snprintf(content, sizeof(content), "[database]\n%s\n", line);
	write_text("a.ini", content);
	config_load(&fx->config, "a.ini", NO_ENV, &fx->errors);
	assert_no_errors(&fx->errors);
	assert_string_equal(config_text(&fx->config, SETTING_DATABASE_URL), line + strlen("database-url = "));
}

static void test_file_several_errors_all_reported(void **state)
{
	struct fixture *fx = *state;

	write_text("a.ini", "[run]\n"
	                    "stop-timeout = soon\n"
	                    "exec = yes\n"
	                    "[rnu]\n"
	                    "x = 1\n"
	                    "[log]\n"
	                    "log-levl = info\n"
	                    "garbage line\n"
	                    "log-format = yaml\n"
	                    "[database]\n"
	                    "database-url = postgres://h/d\n");
	config_load(&fx->config, "a.ini", NO_ENV, &fx->errors);
	assert_error_count(&fx->errors, 5);
	assert_error(&fx->errors, "a.ini:2", "stop-timeout", "soon");
	assert_error(&fx->errors, "a.ini:4", "[rnu]");
	assert_error(&fx->errors, "a.ini:7", "log-levl", "log-level");
	assert_error(&fx->errors, "a.ini:8");
	assert_error(&fx->errors, "a.ini:9", "log-format", "yaml");
	assert_true(config_bool(&fx->config, SETTING_EXEC));
	assert_string_equal(config_text(&fx->config, SETTING_DATABASE_URL), "postgres://h/d");
}

static void test_file_missing(void **state)
{
	struct fixture *fx = *state;

	config_load(&fx->config, "missing.ini", NO_ENV, &fx->errors);
	assert_error_count(&fx->errors, 1);
	assert_error(&fx->errors, "missing.ini", "No such file");
}

static void test_file_is_a_directory(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(mkdir("dir.ini", 0700), 0);
	config_load(&fx->config, "dir.ini", NO_ENV, &fx->errors);
	assert_error_count(&fx->errors, 1);
	assert_error(&fx->errors, "dir.ini");
}

static void test_file_error_does_not_stop_env(void **state)
{
	struct fixture *fx = *state;

	config_load(&fx->config, "missing.ini", ENV("PRISMA_ENTRYPOINT_EXEC=true", "PRISMA_ENTRYPOINT_LOG_LEVEL=loud"),
	            &fx->errors);
	assert_error_count(&fx->errors, 2);
	assert_error(&fx->errors, "missing.ini");
	assert_error(&fx->errors, "PRISMA_ENTRYPOINT_LOG_LEVEL", "loud");
	assert_true(config_bool(&fx->config, SETTING_EXEC));
}

/* ---- which file ---- */

static void test_file_from_flag_beats_env(void **state)
{
	struct fixture *fx = *state;

	write_text("flag.ini", "[run]\nstop-timeout = 1s\n");
	write_text("env.ini", "[run]\nstop-timeout = 2s\nexec = yes\n");
	write_text("prisma-entrypoint.ini", "[log]\nlog-level = debug\n");
	config_load(&fx->config, "flag.ini", ENV("PRISMA_ENTRYPOINT_CONFIG=env.ini"), &fx->errors);
	assert_no_errors(&fx->errors);
	assert_value(&fx->config, SETTING_CONFIG, "flag.ini", SOURCE_FLAG, "--config");
	assert_value(&fx->config, SETTING_STOP_TIMEOUT, "1s", SOURCE_FILE, "flag.ini:2");
	assert_false(config_bool(&fx->config, SETTING_EXEC));
	assert_value(&fx->config, SETTING_LOG_LEVEL, "info", SOURCE_DEFAULT, NULL);
}

static void test_file_from_env(void **state)
{
	struct fixture *fx = *state;

	write_text("env.ini", "[run]\nstop-timeout = 2s\n");
	write_text("prisma-entrypoint.ini", "[log]\nlog-level = debug\n");
	config_load(&fx->config, NULL, ENV("PATH=/bin", "PRISMA_ENTRYPOINT_CONFIG=env.ini"), &fx->errors);
	assert_no_errors(&fx->errors);
	assert_value(&fx->config, SETTING_CONFIG, "env.ini", SOURCE_ENV, "PRISMA_ENTRYPOINT_CONFIG");
	assert_value(&fx->config, SETTING_STOP_TIMEOUT, "2s", SOURCE_FILE, "env.ini:2");
	assert_value(&fx->config, SETTING_LOG_LEVEL, "info", SOURCE_DEFAULT, NULL);
}

static void test_file_from_env_missing(void **state)
{
	struct fixture *fx = *state;

	config_load(&fx->config, NULL, ENV("PRISMA_ENTRYPOINT_CONFIG=nowhere.ini"), &fx->errors);
	assert_error_count(&fx->errors, 1);
	assert_error(&fx->errors, "nowhere.ini");
}

static void test_file_default_in_cwd(void **state)
{
	struct fixture *fx = *state;

	write_text("prisma-entrypoint.ini", "[log]\nlog-level = debug\n");
	config_load(&fx->config, NULL, ENV("PATH=/bin"), &fx->errors);
	assert_no_errors(&fx->errors);
	assert_string_equal(config_text(&fx->config, SETTING_CONFIG), "prisma-entrypoint.ini");
	assert_value(&fx->config, SETTING_LOG_LEVEL, "debug", SOURCE_FILE, "prisma-entrypoint.ini:2");
}

static void test_file_default_when_env_empty(void **state)
{
	struct fixture *fx = *state;

	write_text("prisma-entrypoint.ini", "[run]\nexec = yes\n");
	config_load(&fx->config, NULL, ENV("PRISMA_ENTRYPOINT_CONFIG="), &fx->errors);
	assert_no_errors(&fx->errors);
	assert_string_equal(config_text(&fx->config, SETTING_CONFIG), "prisma-entrypoint.ini");
	assert_true(config_bool(&fx->config, SETTING_EXEC));
}

static void test_no_file_at_all(void **state)
{
	struct fixture *fx = *state;

	config_load(&fx->config, NULL, NO_ENV, &fx->errors);
	assert_no_errors(&fx->errors);
	assert_null(config_text(&fx->config, SETTING_CONFIG));
	for (int id = 0; id < SETTING_COUNT; id++)
		assert_value(&fx->config, id, settings_table[id].default_text, SOURCE_DEFAULT, NULL);
}

static void test_empty_flag_config(void **state)
{
	struct fixture *fx = *state;

	config_load(&fx->config, "", NO_ENV, &fx->errors);
	assert_error_count(&fx->errors, 1);
	assert_error(&fx->errors, "--config");
}

/* ---- the environment layer ---- */

static void test_env_values(void **state)
{
	struct fixture *fx = *state;
	struct config *c = &fx->config;

	config_load(c, NULL,
	            ENV("HOME=/root", "PRISMA_ENTRYPOINT_LOG_LEVEL=verbose", "PRISMA_ENTRYPOINT_LOG_FORMAT=json",
	                "PRISMA_ENTRYPOINT_STOP_TIMEOUT=500ms", "PRISMA_ENTRYPOINT_SIGNAL_TARGET=group",
	                "PRISMA_ENTRYPOINT_EXEC=Yes", "PRISMA_OTHER_THING=1", "DATABASE_URLS=x"),
	            &fx->errors);
	assert_no_errors(&fx->errors);
	assert_value(c, SETTING_LOG_LEVEL, "verbose", SOURCE_ENV, "PRISMA_ENTRYPOINT_LOG_LEVEL");
	assert_value(c, SETTING_LOG_FORMAT, "json", SOURCE_ENV, "PRISMA_ENTRYPOINT_LOG_FORMAT");
	assert_value(c, SETTING_STOP_TIMEOUT, "500ms", SOURCE_ENV, "PRISMA_ENTRYPOINT_STOP_TIMEOUT");
	assert_value(c, SETTING_SIGNAL_TARGET, "group", SOURCE_ENV, "PRISMA_ENTRYPOINT_SIGNAL_TARGET");
	assert_value(c, SETTING_EXEC, "Yes", SOURCE_ENV, "PRISMA_ENTRYPOINT_EXEC");
	assert_int_equal(config_choice(c, SETTING_LOG_LEVEL), CHOICE_LOG_VERBOSE);
	assert_int_equal(config_duration_ms(c, SETTING_STOP_TIMEOUT), 500);
	assert_true(config_bool(c, SETTING_EXEC));
	assert_null(config_text(c, SETTING_DATABASE_URL));
}

static void test_env_bad_value_names_variable(void **state)
{
	struct fixture *fx = *state;

	config_load(&fx->config, NULL, ENV("PRISMA_ENTRYPOINT_STOP_TIMEOUT=5x", "PRISMA_ENTRYPOINT_EXEC=maybe"),
	            &fx->errors);
	assert_error_count(&fx->errors, 2);
	assert_error(&fx->errors, "PRISMA_ENTRYPOINT_STOP_TIMEOUT", "'5x'");
	assert_error(&fx->errors, "PRISMA_ENTRYPOINT_EXEC", "'maybe'");
	assert_value(&fx->config, SETTING_STOP_TIMEOUT, "8s", SOURCE_DEFAULT, NULL);
}

static void test_env_alias(void **state)
{
	struct fixture *fx = *state;

	config_load(&fx->config, NULL, ENV("DATABASE_URL=postgres://a/x"), &fx->errors);
	assert_no_errors(&fx->errors);
	assert_value(&fx->config, SETTING_DATABASE_URL, "postgres://a/x", SOURCE_ENV, "DATABASE_URL");
}

static void test_env_prefixed_beats_alias(void **state)
{
	struct fixture *fx = *state;
	struct config other;

	config_load(&fx->config, NULL,
	            ENV("DATABASE_URL=postgres://a/x", "PRISMA_ENTRYPOINT_DATABASE_URL=postgres://b/y"), &fx->errors);
	assert_no_errors(&fx->errors);
	assert_value(&fx->config, SETTING_DATABASE_URL, "postgres://b/y", SOURCE_ENV, "PRISMA_ENTRYPOINT_DATABASE_URL");

	/* Whatever the order of the environment. */
	config_init(&other);
	config_load(&other, NULL, ENV("PRISMA_ENTRYPOINT_DATABASE_URL=postgres://b/y", "DATABASE_URL=postgres://a/x"),
	            &fx->errors);
	assert_no_errors(&fx->errors);
	assert_string_equal(config_text(&other, SETTING_DATABASE_URL), "postgres://b/y");
	config_release(&other);
}

static void test_env_empty_is_unset(void **state)
{
	struct fixture *fx = *state;

	write_text("a.ini", "[run]\nstop-timeout = 2s\n");
	config_load(&fx->config, "a.ini",
	            ENV("PRISMA_ENTRYPOINT_STOP_TIMEOUT=", "PRISMA_ENTRYPOINT_EXEC=", "PRISMA_ENTRYPOINT_DATABASE_URL=",
	                "DATABASE_URL=postgres://a/x", "PRISMA_ENTRYPOINT_DATABASE_URL_FILE="),
	            &fx->errors);
	assert_no_errors(&fx->errors);
	assert_value(&fx->config, SETTING_STOP_TIMEOUT, "2s", SOURCE_FILE, "a.ini:2");
	assert_value(&fx->config, SETTING_EXEC, "false", SOURCE_DEFAULT, NULL);
	assert_value(&fx->config, SETTING_DATABASE_URL, "postgres://a/x", SOURCE_ENV, "DATABASE_URL");
}

static void test_env_secret_file(void **state)
{
	struct fixture *fx = *state;
	const struct setting_value *value = &fx->config.values[SETTING_DATABASE_URL];

	write_text("secret", "postgres://u:s3cret@db/app\n");
	config_load(&fx->config, NULL, ENV("PRISMA_ENTRYPOINT_DATABASE_URL_FILE=secret"), &fx->errors);
	assert_no_errors(&fx->errors);
	assert_string_equal(value->text, "postgres://u:s3cret@db/app");
	assert_int_equal(value->source, SOURCE_ENV);
	assert_non_null(value->origin);
	assert_non_null(strstr(value->origin, "PRISMA_ENTRYPOINT_DATABASE_URL_FILE"));
}

static void test_env_secret_file_alias_and_crlf(void **state)
{
	struct fixture *fx = *state;

	write_text("secret", "postgres://u:p@db/app\r\n");
	config_load(&fx->config, NULL, ENV("DATABASE_URL_FILE=secret"), &fx->errors);
	assert_no_errors(&fx->errors);
	assert_string_equal(config_text(&fx->config, SETTING_DATABASE_URL), "postgres://u:p@db/app");
	assert_non_null(strstr(fx->config.values[SETTING_DATABASE_URL].origin, "DATABASE_URL_FILE"));
}

static void test_env_secret_file_without_newline(void **state)
{
	struct fixture *fx = *state;

	write_text("secret", "postgres://h/d");
	config_load(&fx->config, NULL, ENV("PRISMA_ENTRYPOINT_DATABASE_URL_FILE=secret"), &fx->errors);
	assert_no_errors(&fx->errors);
	assert_string_equal(config_text(&fx->config, SETTING_DATABASE_URL), "postgres://h/d");
}

static void test_env_prefixed_file_beats_alias(void **state)
{
	struct fixture *fx = *state;

	write_text("secret", "postgres://b/y\n");
	config_load(&fx->config, NULL, ENV("DATABASE_URL=postgres://a/x", "PRISMA_ENTRYPOINT_DATABASE_URL_FILE=secret"),
	            &fx->errors);
	assert_no_errors(&fx->errors);
	assert_string_equal(config_text(&fx->config, SETTING_DATABASE_URL), "postgres://b/y");
}

static void test_env_secret_file_missing(void **state)
{
	struct fixture *fx = *state;

	config_load(&fx->config, NULL, ENV("PRISMA_ENTRYPOINT_DATABASE_URL_FILE=/nonexistent/secret"), &fx->errors);
	assert_error_count(&fx->errors, 1);
	assert_error(&fx->errors, "PRISMA_ENTRYPOINT_DATABASE_URL_FILE", "/nonexistent/secret");
	assert_null(config_text(&fx->config, SETTING_DATABASE_URL));
}

static void test_env_variable_and_file_conflict(void **state)
{
	struct fixture *fx = *state;

	write_text("secret", "postgres://b/y\n");
	config_load(&fx->config, NULL,
	            ENV("PRISMA_ENTRYPOINT_DATABASE_URL=postgres://a/x", "PRISMA_ENTRYPOINT_DATABASE_URL_FILE=secret"),
	            &fx->errors);
	assert_error_count(&fx->errors, 1);
	assert_error(&fx->errors, "PRISMA_ENTRYPOINT_DATABASE_URL ", "PRISMA_ENTRYPOINT_DATABASE_URL_FILE");
	assert_null(config_text(&fx->config, SETTING_DATABASE_URL));
}

static void test_env_alias_and_file_conflict(void **state)
{
	struct fixture *fx = *state;

	write_text("secret", "postgres://b/y\n");
	config_load(&fx->config, NULL, ENV("DATABASE_URL=postgres://a/x", "DATABASE_URL_FILE=secret"), &fx->errors);
	assert_error_count(&fx->errors, 1);
	assert_error(&fx->errors, "DATABASE_URL ", "DATABASE_URL_FILE");
}

static void test_env_unknown_variable(void **state)
{
	struct fixture *fx = *state;

	config_load(&fx->config, NULL,
	            ENV("PRISMA_ENTRYPOINT_STOP_TIMOUT=1s", "PRISMA_ENTRYPOINT_LOGLEVEL=debug",
	                "PRISMA_ENTRYPOINT_SOMETHING_ELSE_ENTIRELY=1"),
	            &fx->errors);
	assert_error_count(&fx->errors, 3);
	assert_error(&fx->errors, "PRISMA_ENTRYPOINT_STOP_TIMOUT", "did you mean PRISMA_ENTRYPOINT_STOP_TIMEOUT");
	assert_error(&fx->errors, "PRISMA_ENTRYPOINT_LOGLEVEL", "did you mean PRISMA_ENTRYPOINT_LOG_LEVEL");
	assert_error(&fx->errors, "PRISMA_ENTRYPOINT_SOMETHING_ELSE_ENTIRELY");
	/* The mistyped variable does nothing. */
	assert_value(&fx->config, SETTING_STOP_TIMEOUT, "8s", SOURCE_DEFAULT, NULL);
}

static void test_env_file_variant_only_for_secrets(void **state)
{
	struct fixture *fx = *state;

	write_text("t", "2s\n");
	config_load(&fx->config, NULL, ENV("PRISMA_ENTRYPOINT_STOP_TIMEOUT_FILE=t"), &fx->errors);
	assert_error_count(&fx->errors, 1);
	assert_error(&fx->errors, "PRISMA_ENTRYPOINT_STOP_TIMEOUT_FILE");
	assert_value(&fx->config, SETTING_STOP_TIMEOUT, "8s", SOURCE_DEFAULT, NULL);
}

static void test_env_known_names_are_not_unknown(void **state)
{
	struct fixture *fx = *state;

	write_text("a.ini", "");
	write_text("secret", "postgres://h/d\n");
	config_load(&fx->config, NULL,
	            ENV("PRISMA_ENTRYPOINT_CONFIG=a.ini", "PRISMA_ENTRYPOINT_LOG_LEVEL=info",
	                "PRISMA_ENTRYPOINT_LOG_FORMAT=text", "PRISMA_ENTRYPOINT_STOP_TIMEOUT=8s",
	                "PRISMA_ENTRYPOINT_SIGNAL_TARGET=child", "PRISMA_ENTRYPOINT_EXEC=false",
	                "PRISMA_ENTRYPOINT_DATABASE_URL_FILE=secret"),
	            &fx->errors);
	assert_no_errors(&fx->errors);
}

/* ---- precedence ---- */

/* A list grows within one layer and is replaced by a higher one. */
static void test_list_grows_within_a_layer(void **state)
{
	struct fixture *fx = *state;
	char **items;

	write_text("a.ini", "[wait]\nwait = tcp://a:1, unix:///s\nwait = file:///f\n");
	config_load(&fx->config, "a.ini", NO_ENV, &fx->errors);
	assert_int_equal(fx->errors.count, 0);
	assert_int_equal(config_list(&fx->config, SETTING_WAIT, &items), 3);
	assert_string_equal(items[0], "tcp://a:1");
	assert_string_equal(items[1], "unix:///s");
	assert_string_equal(items[2], "file:///f");
	assert_null(items[3]);
	config_list_free(items);
	assert_int_equal(config_set(&fx->config, SETTING_WAIT, "tcp://b:2", SOURCE_FLAG, "--wait", &fx->errors), 0);
	assert_int_equal(config_set(&fx->config, SETTING_WAIT, "tcp://c:3", SOURCE_FLAG, "--wait", &fx->errors), 0);
	assert_int_equal(config_list(&fx->config, SETTING_WAIT, &items), 2);
	assert_string_equal(items[0], "tcp://b:2");
	assert_string_equal(items[1], "tcp://c:3");
	config_list_free(items);
}

static void test_list_unset_is_empty(void **state)
{
	struct fixture *fx = *state;
	char **items;

	assert_int_equal(config_list(&fx->config, SETTING_WAIT, &items), 0);
	config_list_free(items);
}

static void test_precedence(void **state)
{
	struct fixture *fx = *state;
	struct config *c = &fx->config;

	write_text("a.ini", "[log]\n"
	                    "log-level = debug\n"
	                    "log-format = json\n"
	                    "[run]\n"
	                    "stop-timeout = 2s\n"
	                    "[database]\n"
	                    "database-url = postgres://file/db\n");
	config_load(c, "a.ini",
	            ENV("PRISMA_ENTRYPOINT_STOP_TIMEOUT=3s", "PRISMA_ENTRYPOINT_LOG_FORMAT=text",
	                "DATABASE_URL=postgres://env/db"),
	            &fx->errors);
	assert_no_errors(&fx->errors);
	/* default < file */
	assert_value(c, SETTING_LOG_LEVEL, "debug", SOURCE_FILE, "a.ini:2");
	assert_value(c, SETTING_SIGNAL_TARGET, "auto", SOURCE_DEFAULT, NULL);
	/* file < env, the alias included */
	assert_value(c, SETTING_LOG_FORMAT, "text", SOURCE_ENV, "PRISMA_ENTRYPOINT_LOG_FORMAT");
	assert_value(c, SETTING_STOP_TIMEOUT, "3s", SOURCE_ENV, "PRISMA_ENTRYPOINT_STOP_TIMEOUT");
	assert_value(c, SETTING_DATABASE_URL, "postgres://env/db", SOURCE_ENV, "DATABASE_URL");
	/* env < flag, which the caller sets last */
	assert_int_equal(config_set(c, SETTING_STOP_TIMEOUT, "4s", SOURCE_FLAG, "--stop-timeout", &fx->errors), 0);
	assert_value(c, SETTING_STOP_TIMEOUT, "4s", SOURCE_FLAG, "--stop-timeout");
	assert_int_equal(config_duration_ms(c, SETTING_STOP_TIMEOUT), 4000);
}

static void test_bad_env_keeps_file_value(void **state)
{
	struct fixture *fx = *state;

	write_text("a.ini", "[run]\nstop-timeout = 2s\n");
	config_load(&fx->config, "a.ini", ENV("PRISMA_ENTRYPOINT_STOP_TIMEOUT=later"), &fx->errors);
	assert_error_count(&fx->errors, 1);
	assert_value(&fx->config, SETTING_STOP_TIMEOUT, "2s", SOURCE_FILE, "a.ini:2");
}

/* ---- config_print ---- */

static void test_print_defaults(void **state)
{
	struct fixture *fx = *state;
	char *text = print_config(&fx->config);

	assert_non_null(strstr(text, "; config file: none\n"));
	assert_non_null(strstr(text, "\n[log]\nlog-level = info ; default\nlog-format = text ; default\n"));
	assert_non_null(strstr(text, "\n[run]\nstop-timeout = 8s ; default\n"));
	assert_non_null(strstr(text, "signal-target = auto ; default\n"));
	assert_non_null(strstr(text, "exec = false ; default\n"));
	assert_non_null(strstr(text, "\n[database]\n"));
	assert_non_null(strstr(text, "; database-url is not set\n"));
	/* config is not a file setting: not printed as a key. */
	assert_null(strstr(text, "\nconfig ="));
	/* Each section once. */
	assert_null(strstr(strstr(text, "[run]") + 1, "[run]"));
	assert_null(strstr(strstr(text, "[log]") + 1, "[log]"));
	/* Every non-empty line is a comment, a section header or a key line. */
	for (const char *line = text; *line;) {
		const char *end = strchr(line, '\n');

		assert_non_null(end);
		if (end > line && line[0] != ';' && line[0] != '[' && !strstr(line, " = "))
			fail_msg("unexpected line: %.*s", (int)(end - line), line);
		line = end + 1;
	}
	free(text);
}

static void test_print_sources_and_redaction(void **state)
{
	struct fixture *fx = *state;
	struct config *c = &fx->config;
	char *text;

	write_text("a.ini", "[run]\nstop-timeout = 2s\n");
	config_load(c, "a.ini",
	            ENV("PRISMA_ENTRYPOINT_LOG_LEVEL=debug", "DATABASE_URL=postgres://user:hunter2@db:5432/app"),
	            &fx->errors);
	assert_no_errors(&fx->errors);
	assert_int_equal(config_set(c, SETTING_EXEC, "true", SOURCE_FLAG, "--exec", &fx->errors), 0);
	text = print_config(c);
	assert_non_null(strstr(text, "; config file: a.ini (flag --config)\n"));
	assert_non_null(strstr(text, "stop-timeout = 2s ; file a.ini:2\n"));
	assert_non_null(strstr(text, "log-level = debug ; env PRISMA_ENTRYPOINT_LOG_LEVEL\n"));
	assert_non_null(strstr(text, "log-format = text ; default\n"));
	assert_non_null(strstr(text, "exec = true ; flag --exec\n"));
	assert_non_null(strstr(text, "database-url = postgres://user:****@db:5432/app ; env DATABASE_URL\n"));
	assert_null(strstr(text, "hunter2"));
	free(text);
}

/* Every value that can hold a credential is printed redacted: the wait
 * list item by item, and database URLs of every form. */
static void test_print_redacts_every_credential(void **state)
{
	static const struct {
		const char *database_url;
		const char *shown;
	} urls[] = {
	    {"postgresql://u:pa@ss#word@db/app", "postgresql://u:****@db/app"},
	    {"sqlserver://db:1433;user=sa;password=hunter2;encrypt=true",
	     "sqlserver://db:1433;user=sa;password=****;encrypt=true"},
	    {"prisma://accelerate.prisma-data.net/?api_key=hunter2",
	     "prisma://accelerate.prisma-data.net/?api_key=****"},
	    {"host=db user=app password=hunter2 dbname=app", "host=db user=app password=**** dbname=app"},
	    {"hunter2", "****"},
	};
	struct fixture *fx = *state;

	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		struct config c;
		char env_url[256], wanted[320];
		char *text;

		snprintf(env_url, sizeof(env_url), "DATABASE_URL=%s", urls[i].database_url);
		config_init(&c);
		config_load(
		    &c, NULL,
		    ENV(env_url, "PRISMA_ENTRYPOINT_WAIT=http://u:hunter2@h/health,tcp://db:5432,https://:hunter2@c"),
		    &fx->errors);
		assert_no_errors(&fx->errors);
		text = print_config(&c);
		snprintf(wanted, sizeof(wanted), "database-url = %s ; env DATABASE_URL\n", urls[i].shown);
		if (!strstr(text, wanted))
			fail_msg("no '%s' in:\n%s", wanted, text);
		assert_non_null(strstr(text, "wait = http://u:****@h/health,tcp://db:5432,https://:****@c ; env"));
		if (strstr(text, "hunter2"))
			fail_msg("a password in:\n%s", text);
		free(text);
		config_release(&c);
	}
}

static void test_print_config_file_from_env_and_default(void **state)
{
	struct fixture *fx = *state;
	struct config other;
	char *text;

	write_text("e.ini", "");
	config_load(&fx->config, NULL, ENV("PRISMA_ENTRYPOINT_CONFIG=e.ini"), &fx->errors);
	text = print_config(&fx->config);
	assert_non_null(strstr(text, "; config file: e.ini (env PRISMA_ENTRYPOINT_CONFIG)\n"));
	free(text);

	write_text("prisma-entrypoint.ini", "");
	config_init(&other);
	config_load(&other, NULL, NO_ENV, &fx->errors);
	text = print_config(&other);
	assert_non_null(strstr(text, "; config file: prisma-entrypoint.ini (default)\n"));
	free(text);
	config_release(&other);
	assert_no_errors(&fx->errors);
}

static void test_print_secret_from_file_variable(void **state)
{
	struct fixture *fx = *state;
	char *text;

	write_text("secret", "postgres://admin:topsecret@h/d\n");
	config_load(&fx->config, NULL, ENV("PRISMA_ENTRYPOINT_DATABASE_URL_FILE=secret"), &fx->errors);
	assert_no_errors(&fx->errors);
	text = print_config(&fx->config);
	assert_non_null(
	    strstr(text, "database-url = postgres://admin:****@h/d ; env PRISMA_ENTRYPOINT_DATABASE_URL_FILE"));
	assert_null(strstr(text, "topsecret"));
	free(text);
}

/* A value holding a newline stays on its line: it cannot add lines that
 * would read back as settings. */
static void test_print_value_on_one_line(void **state)
{
	struct fixture *fx = *state;
	char *text;

	config_load(&fx->config, NULL,
	            ENV("PRISMA_ENTRYPOINT_SCHEMA=x\n[wait]\nno-wait = true", "PRISMA_ENTRYPOINT_CONFIG=a\tb.ini"),
	            &fx->errors);
	text = print_config(&fx->config);
	assert_non_null(strstr(text, "\nschema = x\\n[wait]\\nno-wait = true ; env PRISMA_ENTRYPOINT_SCHEMA\n"));
	assert_non_null(strstr(text, "; config file: a\\tb.ini (env PRISMA_ENTRYPOINT_CONFIG)\n"));
	assert_null(strstr(text, "\nno-wait = true"));
	free(text);
}

/* What config_print writes reads back as the same settings. */
static void test_print_reads_back(void **state)
{
	struct fixture *fx = *state;
	struct config *c = &fx->config;
	struct config back;
	char *text;

	write_text("a.ini", "[run]\nstop-timeout = 1500ms\nsignal-target = group\n");
	config_load(c, "a.ini", ENV("PRISMA_ENTRYPOINT_LOG_FORMAT=json", "PRISMA_ENTRYPOINT_EXEC=yes"), &fx->errors);
	assert_int_equal(config_set(c, SETTING_LOG_LEVEL, "quiet", SOURCE_FLAG, "-q", &fx->errors), 0);
	assert_no_errors(&fx->errors);
	text = print_config(c);
	write_text("printed.ini", text);
	free(text);

	config_init(&back);
	config_load(&back, "printed.ini", NO_ENV, &fx->errors);
	assert_no_errors(&fx->errors);
	for (int id = 0; id < SETTING_COUNT; id++) {
		if (!settings_table[id].section)
			continue;
		if (!c->values[id].text) {
			assert_null(back.values[id].text);
			continue;
		}
		assert_non_null(back.values[id].text);
		assert_string_equal(back.values[id].text, c->values[id].text);
	}
	config_release(&back);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TEST(test_table_rows),
	    TEST(test_list_grows_within_a_layer),
	    TEST(test_list_unset_is_empty),
	    TEST(test_choice_enums_match_table),
	    TEST(test_every_default_parses),
	    TEST(test_init_gives_defaults),
	    TEST(test_init_twice_is_clean),
	    TEST(test_env_names),
	    TEST(test_env_name_small_buffer),
	    TEST(test_only_the_urls_are_secret),
	    TEST(test_set_stores_value_source_origin),
	    TEST(test_later_set_wins),
	    TEST(test_set_rejects_bad_values),
	    TEST(test_set_checks_every_list_item),
	    TEST(test_set_keeps_previous_value_on_error),
	    TEST(test_set_error_without_origin),
	    TEST(test_set_secret_error_hides_value),
	    TEST(test_errors_collect),
	    TEST(test_file_values_land),
	    TEST(test_file_partial_keeps_defaults),
	    TEST(test_file_quoted_values),
	    TEST(test_file_inline_comment),
	    TEST(test_file_with_bom_and_crlf),
	    TEST(test_file_bad_value),
	    TEST(test_file_unknown_section),
	    TEST(test_file_empty_unknown_section),
	    TEST(test_file_unknown_key),
	    TEST(test_file_typo_in_wrong_section),
	    TEST(test_file_key_in_wrong_section),
	    TEST(test_file_key_outside_sections),
	    TEST(test_file_config_key_not_allowed),
	    TEST(test_file_syntax_error),
	    TEST(test_file_bad_section_header),
	    TEST(test_file_long_line),
	    TEST(test_file_long_last_line_without_newline),
	    TEST(test_file_line_just_under_the_limit),
	    TEST(test_file_several_errors_all_reported),
	    TEST(test_file_missing),
	    TEST(test_file_is_a_directory),
	    TEST(test_file_error_does_not_stop_env),
	    TEST(test_file_from_flag_beats_env),
	    TEST(test_file_from_env),
	    TEST(test_file_from_env_missing),
	    TEST(test_file_default_in_cwd),
	    TEST(test_file_default_when_env_empty),
	    TEST(test_no_file_at_all),
	    TEST(test_empty_flag_config),
	    TEST(test_env_values),
	    TEST(test_env_bad_value_names_variable),
	    TEST(test_env_alias),
	    TEST(test_env_prefixed_beats_alias),
	    TEST(test_env_empty_is_unset),
	    TEST(test_env_secret_file),
	    TEST(test_env_secret_file_alias_and_crlf),
	    TEST(test_env_secret_file_without_newline),
	    TEST(test_env_prefixed_file_beats_alias),
	    TEST(test_env_secret_file_missing),
	    TEST(test_env_variable_and_file_conflict),
	    TEST(test_env_alias_and_file_conflict),
	    TEST(test_env_unknown_variable),
	    TEST(test_env_file_variant_only_for_secrets),
	    TEST(test_env_known_names_are_not_unknown),
	    TEST(test_precedence),
	    TEST(test_bad_env_keeps_file_value),
	    TEST(test_print_defaults),
	    TEST(test_print_sources_and_redaction),
	    TEST(test_print_redacts_every_credential),
	    TEST(test_print_config_file_from_env_and_default),
	    TEST(test_print_secret_from_file_variable),
	    TEST(test_print_value_on_one_line),
	    TEST(test_print_reads_back),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
