#include "cmdline.h"

#include "spell.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* getopt_long values: settings are OPT_SETTING + id, their negations
 * OPT_NEGATED + id; the rest are plain options. */
enum {
	OPT_SETTING = 1000,
	OPT_NEGATED = 2000,
	OPT_PRINT_CONFIG = 3000,
	OPT_VERSION,
	OPT_OWN_FLAG = 4000, /* + index in the command's flags: after the others, so none is one of them */
	OPT_HELP = 'h',
	OPT_QUIET = 'q',
	OPT_VERBOSE = 'v',
};

#define NEGATED_NAME_MAX 64
#define MAX_OWN_FLAGS    8
#define MAX_OPTIONS      (2 * SETTING_COUNT + 8 + MAX_OWN_FLAGS)

struct option_set {
	struct option options[MAX_OPTIONS];
	char negated_names[SETTING_COUNT][NEGATED_NAME_MAX];
	char short_options[64];
};

static void build_options(struct option_set *set, const struct command *command)
{
	size_t count = 0;
	size_t shorts = (size_t)snprintf(set->short_options, sizeof(set->short_options), "+:hqv");

	/* The command's own flags first: getopt_long takes the first option of
	 * a name, so `status --wait` is status's flag, not the wait setting
	 * (which still goes before the command's name). */
	for (int i = 0; command && command->flags && command->flags[i].name && i < MAX_OWN_FLAGS; i++)
		set->options[count++] = (struct option){command->flags[i].name, no_argument, NULL, OPT_OWN_FLAG + i};

	for (int id = 0; id < SETTING_COUNT; id++) {
		const struct setting *setting = &settings_table[id];

		if (setting->type == SETTING_TYPE_BOOL)
			set->options[count++] =
			    (struct option){setting->name, optional_argument, NULL, OPT_SETTING + id};
		else
			set->options[count++] =
			    (struct option){setting->name, required_argument, NULL, OPT_SETTING + id};
		if (setting_has_negation(setting)) {
			snprintf(set->negated_names[id], NEGATED_NAME_MAX, "no-%s", setting->name);
			set->options[count++] =
			    (struct option){set->negated_names[id], no_argument, NULL, OPT_NEGATED + id};
		}
		if (setting->short_flag)
			shorts += (size_t)snprintf(set->short_options + shorts, sizeof(set->short_options) - shorts,
			                           "%c:", setting->short_flag);
	}
	set->options[count++] = (struct option){"help", no_argument, NULL, OPT_HELP};
	set->options[count++] = (struct option){"quiet", no_argument, NULL, OPT_QUIET};
	set->options[count++] = (struct option){"verbose", no_argument, NULL, OPT_VERBOSE};
	set->options[count++] = (struct option){"version", no_argument, NULL, OPT_VERSION};
	set->options[count++] = (struct option){"print-config", no_argument, NULL, OPT_PRINT_CONFIG};
	set->options[count] = (struct option){0};
}

static int setting_for_short(int c)
{
	for (int id = 0; id < SETTING_COUNT; id++)
		if (settings_table[id].short_flag && settings_table[id].short_flag == c)
			return id;
	return -1;
}

static void add_flag(struct cmdline *cmdline, enum setting_id id, const char *text, const char *origin,
                     struct config_errors *errors)
{
	if (cmdline->flag_count == CMDLINE_MAX_FLAGS) {
		config_errors_add(errors, true, "too many options");
		return;
	}
	if (id == SETTING_CONFIG)
		cmdline->config_path = text;
	else
		cmdline->flags[cmdline->flag_count++] = (struct flag_value){id, text, origin};
}

static void report_unknown(const struct option_set *set, const char *arg, int short_opt, struct config_errors *errors)
{
	const char *names[MAX_OPTIONS];
	size_t count = 0;
	char word[128];
	const char *guess;

	if (short_opt) {
		config_errors_add(errors, true, "unknown option '-%c'", short_opt);
		return;
	}
	snprintf(word, sizeof(word), "%.*s", (int)strcspn(arg + 2, "="), arg + 2);
	for (; set->options[count].name; count++)
		names[count] = set->options[count].name;
	guess = spell_closest(word, names, count);
	if (guess)
		config_errors_add(errors, true, "unknown option '--%s' (did you mean '--%s'?)", word, guess);
	else
		config_errors_add(errors, true, "unknown option '--%s'", word);
}

/* Parses options from argv[1..argc) and returns the index of the first
 * argument that is not one; *after_dashdash tells whether "--" ended them. */
static int parse_options(int argc, char **argv, struct cmdline *cmdline, const struct option_set *set,
                         const struct command **requested, struct config_errors *errors, int *after_dashdash)
{
	int c;

	optind = 0; /* glibc: a full re-initialisation, for the second pass */
	opterr = 0;
	while ((c = getopt_long(argc, argv, set->short_options, set->options, NULL)) != -1) {
		const char *arg = argv[optind - 1];

		if (c >= OPT_NEGATED && c < OPT_NEGATED + SETTING_COUNT) {
			add_flag(cmdline, c - OPT_NEGATED, "false", settings_table[c - OPT_NEGATED].name, errors);
		} else if (c >= OPT_SETTING && c < OPT_SETTING + SETTING_COUNT) {
			const struct setting *setting = &settings_table[c - OPT_SETTING];

			add_flag(cmdline, c - OPT_SETTING, optarg ? optarg : "true", setting->name, errors);
		} else if (setting_for_short(c) >= 0) {
			add_flag(cmdline, setting_for_short(c), optarg, settings_table[setting_for_short(c)].name,
			         errors);
		} else if (c == OPT_QUIET) {
			add_flag(cmdline, SETTING_LOG_LEVEL, "quiet", "quiet", errors);
		} else if (c == OPT_VERBOSE) {
			add_flag(cmdline, SETTING_LOG_LEVEL, ++cmdline->verbosity > 1 ? "debug" : "verbose", "verbose",
			         errors);
		} else if (c == OPT_HELP) {
			*requested = &command_help;
		} else if (c == OPT_VERSION) {
			*requested = &command_version;
		} else if (c == OPT_PRINT_CONFIG) {
			*requested = &command_config;
		} else if (c >= OPT_OWN_FLAG && c < OPT_OWN_FLAG + MAX_OWN_FLAGS) {
			cmdline->given_flags |= 1u << (c - OPT_OWN_FLAG);
		} else if (c == ':') {
			config_errors_add(errors, true, "option '%s' needs a value", arg);
		} else {
			report_unknown(set, arg, optopt, errors);
		}
	}
	*after_dashdash = optind > 1 && strcmp(argv[optind - 1], "--") == 0;
	return optind;
}

void cmdline_parse(int argc, char **argv, struct cmdline *cmdline, struct config_errors *errors)
{
	static struct option_set set;
	const struct command *requested = NULL;
	const struct command *named = NULL;
	int after_dashdash = 0;
	int first;

	*cmdline = (struct cmdline){0};
	build_options(&set, NULL);
	first = parse_options(argc, argv, cmdline, &set, &requested, errors, &after_dashdash);
	if (first < argc && !after_dashdash)
		named = command_find(argv[first]);
	if (named && named->uses_settings) {
		/* The command's name stands in for argv[0] in a second pass,
		 * which also knows the command's own flags. */
		int next;

		build_options(&set, named);
		next = parse_options(argc - first, argv + first, cmdline, &set, &requested, errors, &after_dashdash);

		first += next;
	} else if (named) {
		first++;
		/* help and version read their own arguments, but --help and
		 * --version still work after them, as everywhere (help --help
		 * too, which then ignores the rest like any --help). */
		for (int i = first; i < argc && !requested; i++) {
			if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
				requested = &command_help;
			else if (strcmp(argv[i], "--version") == 0)
				requested = &command_version;
		}
	}
	cmdline->command = requested ? requested : named ? named : &command_run;
	cmdline->args = argv + first;
	cmdline->arg_count = argc - first;
	/* "--help" and friends ignore what follows them. */
	if (requested)
		cmdline->arg_count = 0;
}

/* The setting a long flag names ("no-wait", "log-level", "no-exec"), or -1;
 * *negated tells a "no-" form of a boolean. */
static int setting_for_long(const char *name, size_t len, bool *negated)
{
	*negated = false;
	for (int id = 0; id < SETTING_COUNT; id++) {
		const char *own = settings_table[id].name;

		if (strlen(own) == len && strncmp(own, name, len) == 0)
			return id;
		if (setting_has_negation(&settings_table[id]) && len == strlen(own) + 3 &&
		    strncmp(name, "no-", 3) == 0 && strncmp(own, name + 3, len - 3) == 0) {
			*negated = true;
			return id;
		}
	}
	return -1;
}

/* "put it before '--', or set PRISMA_ENTRYPOINT_NO_WAIT=true in the environment" */
static void say_set_instead(int id, const char *value, char *how, size_t how_size)
{
	char variable[96];

	setting_env_name(&settings_table[id], variable, sizeof(variable));
	snprintf(how, how_size, "put it before '--', or set %s=%s in the environment", variable, value);
}

bool cmdline_looks_like_ours(const char *word, char *how, size_t how_size)
{
	static const char *const plain_flags[] = {"help", "quiet", "verbose", "version", "print-config"};
	const struct command *command = command_find(word);

	if (command) {
		snprintf(how, how_size,
		         "to run prisma-entrypoint's %s command instead, give it without '--' before it (docker run "
		         "--entrypoint prisma-entrypoint IMAGE %s)",
		         command->name, command->name);
		return true;
	}
	if (word[0] != '-' || word[1] == '\0')
		return false;
	if (word[1] == '-') {
		const char *name = word + 2;
		size_t len = strcspn(name, "=");
		bool negated;
		int id = setting_for_long(name, len, &negated);

		if (id >= 0) {
			const char *value = name[len] == '=' ? name + len + 1 : "VALUE";

			if (settings_table[id].type == SETTING_TYPE_BOOL && name[len] != '=')
				value = negated ? "false" : "true";
			say_set_instead(id, value, how, how_size);
			return true;
		}
		for (size_t i = 0; i < sizeof(plain_flags) / sizeof(plain_flags[0]); i++)
			if (strlen(plain_flags[i]) == len && strncmp(plain_flags[i], name, len) == 0) {
				snprintf(how, how_size, "put it before '--'");
				return true;
			}
		return false;
	}
	if (word[1] == 'q' || word[1] == 'v') {
		say_set_instead(SETTING_LOG_LEVEL,
		                word[1] == 'q'   ? "quiet"
		                : word[2] == 'v' ? "debug"
		                                 : "verbose",
		                how, how_size);
		return true;
	}
	if (word[1] == 'h') {
		snprintf(how, how_size, "put it before '--'");
		return true;
	}
	if (setting_for_short(word[1]) >= 0) {
		say_set_instead(setting_for_short(word[1]), word[2] ? word + 2 : "VALUE", how, how_size);
		return true;
	}
	return false;
}

void cmdline_print_options(FILE *out)
{
	for (int id = 0; id < SETTING_COUNT; id++) {
		const struct setting *setting = &settings_table[id];
		char flag[96];

		if (setting_has_negation(setting))
			snprintf(flag, sizeof(flag), "--[no-]%s", setting->name);
		else if (setting->type == SETTING_TYPE_BOOL)
			snprintf(flag, sizeof(flag), "--%s", setting->name);
		else
			snprintf(flag, sizeof(flag), "--%s %s", setting->name, setting->placeholder);
		char short_flag[8] = "    ";

		if (setting->short_flag)
			snprintf(short_flag, sizeof(short_flag), "-%c, ", setting->short_flag);
		fprintf(out, "  %s%-28s %s\n", short_flag, flag, setting->help);
	}
	static const char *const extras[][3] = {
	    {"-q, ", "--quiet", "same as --log-level quiet"},
	    {"-v, ", "--verbose", "same as --log-level verbose; twice for debug"},
	    {"    ", "--print-config", "same as the config command"},
	    {"-h, ", "--help", "this help"},
	    {"    ", "--version", "print the version"},
	};

	for (size_t i = 0; i < sizeof(extras) / sizeof(extras[0]); i++)
		fprintf(out, "  %s%-28s %s\n", extras[i][0], extras[i][1], extras[i][2]);
}
