/* Settings: the table that describes them, and their four layers.
 *
 * Every setting is one row of settings_table (settings-table.c). Its names
 * derive from the row's name: the setting stop-timeout is the flag
 * --stop-timeout, the variable PRISMA_ENTRYPOINT_STOP_TIMEOUT and the key
 * stop-timeout in its INI section. Values are layered, lowest first: the
 * default, the INI file, the environment, the command line. Errors are
 * collected in a struct config_errors so that all of them can be reported at
 * once. */
#ifndef PE_CONFIG_H
#define PE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CONFIG_ENV_PREFIX   "PRISMA_ENTRYPOINT_"
#define CONFIG_DEFAULT_FILE "prisma-entrypoint.ini"
/* Suffix of the Docker-secrets variant of a secret's variable. */
#define CONFIG_FILE_SUFFIX "_FILE"

enum setting_id {
	SETTING_CONFIG,
	SETTING_LOG_LEVEL,
	SETTING_LOG_FORMAT,
	SETTING_STOP_TIMEOUT,
	SETTING_SIGNAL_TARGET,
	SETTING_EXEC,
	SETTING_USER,
	SETTING_WATCH,
	SETTING_WATCH_POLL,
	SETTING_WATCH_DEBOUNCE,
	SETTING_DATABASE_URL,
	SETTING_DIRECT_URL,
	SETTING_WAIT,
	SETTING_NO_WAIT,
	SETTING_WAIT_TIMEOUT,
	SETTING_ATTEMPT_TIMEOUT,
	SETTING_BACKOFF_MAX,
	SETTING_HTTP_STATUS,
	SETTING_HTTP_CA_FILE,
	SETTING_HTTP_INSECURE,
	SETTING_SCHEMA,
	SETTING_PRISMA_CLI,
	SETTING_PRISMA_OUTPUT_PREFIX,
	SETTING_NO_GENERATE,
	SETTING_FORCE_GENERATE,
	SETTING_GENERATE_RECORD,
	SETTING_GENERATE_FAILURE,
	SETTING_INSTALL,
	SETTING_NO_MIGRATE,
	SETTING_MIGRATE_MODE,
	SETTING_UNKNOWN_MIGRATIONS,
	SETTING_MIGRATIONS,
	SETTING_DEPLOY_LINGER,
	SETTING_MIGRATE_ENGINE,
	SETTING_SEED,
	SETTING_MIGRATE_LOCK_TIMEOUT,
	SETTING_BASELINE,
	SETTING_PUSH_ACCEPT_DATA_LOSS,
	SETTING_COUNT
};

enum setting_type {
	SETTING_TYPE_PATH,
	SETTING_TYPE_TEXT,
	SETTING_TYPE_SECRET_URL, /* printed with its password redacted */
	SETTING_TYPE_DURATION,   /* from min to max milliseconds */
	SETTING_TYPE_BOOL,
	SETTING_TYPE_CHOICE,
	SETTING_TYPE_INTEGER, /* a whole number from min to max */
	/* scheme://... with one of the row's choices as its scheme (in any
	 * case); the rest is read where the URL is used. */
	SETTING_TYPE_URL,
	/* Items of item_type, comma- or space-separated, each checked as that
	 * type; a repeated flag or key adds to the list. */
	SETTING_TYPE_LIST,
};

struct setting {
	const char *name;
	const char *section;   /* INI section; NULL: not settable in the INI file */
	const char *env_alias; /* a conventional second variable, e.g. DATABASE_URL */
	char short_flag;       /* 0 when none */
	enum setting_type type;
	enum setting_type item_type; /* SETTING_TYPE_LIST: the type of each item (never a list) */
	/* SETTING_TYPE_CHOICE: the values; SETTING_TYPE_URL: the schemes
	 * ("tcp" for tcp://). NULL-terminated. */
	const char *const *choices;
	long long min, max;       /* DURATION (milliseconds) and INTEGER: the range, both included */
	const char *default_text; /* NULL: unset by default */
	const char *placeholder;  /* the value's name in usage text */
	const char *help;
	/* Values may hold passwords (URLs): printed only through
	 * redact_secrets(), each item of a list on its own. */
	bool credentials;
};

extern const struct setting settings_table[SETTING_COUNT];

/* Choice indexes, in the order of their rows' choices lists. */
enum log_level_choice { CHOICE_LOG_QUIET, CHOICE_LOG_INFO, CHOICE_LOG_VERBOSE, CHOICE_LOG_DEBUG };
enum log_format_choice { CHOICE_LOG_TEXT, CHOICE_LOG_JSON };
enum signal_target_choice { CHOICE_SIGNAL_AUTO, CHOICE_SIGNAL_CHILD, CHOICE_SIGNAL_GROUP };
enum generate_failure_choice { CHOICE_GENERATE_FAILURE_EXIT, CHOICE_GENERATE_FAILURE_WARN };
enum migrate_mode_choice { CHOICE_MIGRATE_DEPLOY, CHOICE_MIGRATE_WAIT, CHOICE_MIGRATE_OFF, CHOICE_MIGRATE_PUSH };
enum unknown_migrations_choice { CHOICE_UNKNOWN_MIGRATIONS_WARN, CHOICE_UNKNOWN_MIGRATIONS_ERROR };
enum migrate_engine_choice { CHOICE_MIGRATE_ENGINE_PRISMA, CHOICE_MIGRATE_ENGINE_NATIVE };
enum seed_choice { CHOICE_SEED_OFF, CHOICE_SEED_ONCE };
enum baseline_choice { CHOICE_BASELINE_OFF, CHOICE_BASELINE_AUTO };
enum install_choice { CHOICE_INSTALL_OFF, CHOICE_INSTALL_AUTO };

/* PRISMA_ENTRYPOINT_STOP_TIMEOUT for stop-timeout. */
void setting_env_name(const struct setting *setting, char *out, size_t out_size);
bool setting_is_secret(const struct setting *setting);
/* Booleans get a --no-NAME flag, unless their name is already a negation. */
bool setting_has_negation(const struct setting *setting);

enum setting_source { SOURCE_DEFAULT, SOURCE_FILE, SOURCE_ENV, SOURCE_FLAG };

struct setting_value {
	char *text; /* as given (trimmed, unquoted); NULL when unset; owned */
	union {
		long long duration_ms;
		long long number;
		bool flag;
		int choice;
	} parsed; /* scalar types only; a list's items are read with config_list() */
	enum setting_source source;
	char *origin; /* "file.ini:3", "PRISMA_ENTRYPOINT_X", "--x"; owned, NULL for defaults */
};

struct config {
	struct setting_value values[SETTING_COUNT];
};

struct config_errors {
	char **messages; /* owned, one line each, no trailing newline */
	size_t count;
	bool usage; /* at least one error is a command-line usage error */
};

void config_errors_add(struct config_errors *errors, bool usage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void config_errors_release(struct config_errors *errors);

/* Fills every setting with its default. */
void config_init(struct config *config);
void config_release(struct config *config);

/* Validates text for the setting and, when valid, stores it with its source;
 * otherwise adds one error naming origin. Returns 0 or -1. */
int config_set(struct config *config, enum setting_id id, const char *text, enum setting_source source,
               const char *origin, struct config_errors *errors);

/* The INI and environment layers. The INI file is flag_config when given,
 * else $PRISMA_ENTRYPOINT_CONFIG, else ./prisma-entrypoint.ini when it exists.
 * envp is the environment to read (NULL-terminated "NAME=value" strings). */
void config_load(struct config *config, const char *flag_config, char *const *envp, struct config_errors *errors);

const char *config_text(const struct config *config, enum setting_id id);
long long config_duration_ms(const struct config *config, enum setting_id id);
bool config_bool(const struct config *config, enum setting_id id);
int config_choice(const struct config *config, enum setting_id id);

/* Splits a list setting into items (NULL-terminated, owned by the caller:
 * config_list_free()). Returns the count. */
size_t config_list(const struct config *config, enum setting_id id, char ***items);
void config_list_free(char **items);

/* Writes the effective settings as an INI file, each value followed by a
 * comment naming where it came from; secrets redacted. */
void config_print(const struct config *config, FILE *out);

#endif
