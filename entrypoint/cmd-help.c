/* help: the usage text, and the settings and exit-code tables, as text or as
 * the Markdown the README embeds. */
#include "cmdline.h"
#include "command.h"
#include "config.h"
#include "exit-codes.h"
#include "log.h"
#include "value.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static void print_overview(void)
{
	command_print_usage(stdout);
	printf("\nRun CMD as a container's init: forward signals, reap zombies, stop with a grace period and\n"
	       "exit with CMD's own status.\n\ncommands:\n");
	for (unsigned i = 0; i < command_count; i++)
		printf("  %-9s %s\n", commands[i]->name, commands[i]->summary);
	printf("\noptions:\n");
	cmdline_print_options(stdout);
	printf("\nEvery option is also a variable " CONFIG_ENV_PREFIX "<NAME> and an INI key: see\n"
	       "'prisma-entrypoint help settings' and 'prisma-entrypoint help exit-codes'.\n");
}

static void print_command(const struct command *command)
{
	printf("usage: prisma-entrypoint %s\n%s\n", command->usage, command->summary);
	for (int i = 0; command->flags && command->flags[i].name; i++) {
		char flag[64];

		snprintf(flag, sizeof(flag), "--%s", command->flags[i].name);
		printf("%s  %-32s %s\n", i == 0 ? "\noptions of this command:\n" : "", flag, command->flags[i].help);
	}
}

/* The types whose Values column is their name alone. */
static const char *const plain_type_names[] = {
    [SETTING_TYPE_BOOL] = "boolean",
    [SETTING_TYPE_PATH] = "path",
    [SETTING_TYPE_TEXT] = "text",
    [SETTING_TYPE_SECRET_URL] = "URL, secret",
};

/* The Values column: the type, and its range or choices, from the row. */
static void describe_type(const struct setting *setting, enum setting_type type, char *out, size_t size)
{
	char low[32], high[32];
	size_t used;

	switch (type) {
	case SETTING_TYPE_DURATION:
		value_format_duration(setting->min, low, sizeof(low));
		value_format_duration(setting->max, high, sizeof(high));
		snprintf(out, size, "duration, %s to %s", low, high);
		return;
	case SETTING_TYPE_INTEGER:
		snprintf(out, size, "number from %lld to %lld", setting->min, setting->max);
		return;
	case SETTING_TYPE_BOOL:
	case SETTING_TYPE_PATH:
	case SETTING_TYPE_TEXT:
	case SETTING_TYPE_SECRET_URL:
		snprintf(out, size, "%s", plain_type_names[type]);
		return;
	case SETTING_TYPE_URL:
		used = (size_t)snprintf(out, size, "URL (");
		for (int i = 0; setting->choices[i] && used < size; i++)
			used +=
			    (size_t)snprintf(out + used, size - used, "%s%s://", i ? ", " : "", setting->choices[i]);
		if (used < size)
			snprintf(out + used, size - used, ")");
		return;
	case SETTING_TYPE_LIST:
		used = (size_t)snprintf(out, size, "list, each a ");
		if (used < size)
			describe_type(setting, setting->item_type, out + used, size - used);
		return;
	case SETTING_TYPE_CHOICE:
		used = 0;
		for (int i = 0; setting->choices[i] && used < size; i++)
			used += (size_t)snprintf(out + used, size - used, "%s%s", i ? ", " : "", setting->choices[i]);
		return;
	}
}

static void describe_variables(const struct setting *setting, bool markdown, char *out, size_t size)
{
	const char *quote = markdown ? "`" : "";
	char name[128];
	size_t used;

	setting_env_name(setting, name, sizeof(name));
	used = (size_t)snprintf(out, size, "%s%s%s", quote, name, quote);
	if (setting->env_alias && used < size)
		used += (size_t)snprintf(out + used, size - used, ", %s%s%s", quote, setting->env_alias, quote);
	if (setting_is_secret(setting) && used < size)
		snprintf(out + used, size - used, " (and %s_FILE%s)", markdown ? "`..." : "...", markdown ? "`" : "");
}

static void print_settings(bool markdown)
{
	if (markdown)
		printf("| Setting | INI | Environment | Flag | Values | Default | Meaning |\n"
		       "|---|---|---|---|---|---|---|\n");
	for (int id = 0; id < SETTING_COUNT; id++) {
		const struct setting *setting = &settings_table[id];
		char type[128], variables[256], ini[96], flag[64];
		const char *fallback = id == SETTING_CONFIG ? "./" CONFIG_DEFAULT_FILE " if present" : "unset";

		describe_type(setting, setting->type, type, sizeof(type));
		describe_variables(setting, markdown, variables, sizeof(variables));
		if (setting->section)
			snprintf(ini, sizeof(ini), markdown ? "`[%s] %s`" : "[%s] %s", setting->section, setting->name);
		else
			snprintf(ini, sizeof(ini), "-");
		if (setting_has_negation(setting))
			snprintf(flag, sizeof(flag), markdown ? "`--[no-]%s`" : "--[no-]%s", setting->name);
		else if (setting->short_flag)
			snprintf(flag, sizeof(flag), markdown ? "`--%s`, `-%c`" : "--%s, -%c", setting->name,
			         setting->short_flag);
		else
			snprintf(flag, sizeof(flag), markdown ? "`--%s`" : "--%s", setting->name);
		if (markdown)
			printf("| `%s` | %s | %s | %s | %s | %s%s%s | %s |\n", setting->name, ini, variables, flag,
			       type, setting->default_text ? "`" : "",
			       setting->default_text ? setting->default_text : fallback,
			       setting->default_text ? "`" : "", setting->help);
		else
			printf("%s (%s; default: %s)\n    INI: %s; environment: %s; flag: %s\n    %s\n\n",
			       setting->name, type, setting->default_text ? setting->default_text : fallback, ini,
			       variables, flag, setting->help);
	}
}

static void print_exit_codes(bool markdown)
{
	if (markdown)
		printf("| Code | Meaning |\n|---|---|\n");
	for (unsigned i = 0; i < exit_code_doc_count; i++) {
		if (markdown)
			printf("| %s | %s |\n", exit_code_docs[i].code, exit_code_docs[i].meaning);
		else
			printf("  %-6s %s\n", exit_code_docs[i].code, exit_code_docs[i].meaning);
	}
}

static int help_exec(struct invocation *invocation)
{
	bool markdown = false;
	const char *topic = NULL;

	for (int i = 0; i < invocation->arg_count; i++) {
		const char *arg = invocation->args[i];

		if (strcmp(arg, "--markdown") == 0) {
			markdown = true;
		} else if (!topic && arg[0] != '-') {
			topic = arg;
		} else {
			log_error("help: unexpected argument '%s'", arg);
			return EXIT_USAGE;
		}
	}
	if (!topic) {
		print_overview();
	} else if (strcmp(topic, "settings") == 0) {
		print_settings(markdown);
	} else if (strcmp(topic, "exit-codes") == 0) {
		print_exit_codes(markdown);
	} else if (command_find(topic)) {
		print_command(command_find(topic));
	} else {
		log_error("help: no topic '%s': try 'settings', 'exit-codes' or a command name", topic);
		return EXIT_USAGE;
	}
	return 0;
}

const struct command command_help = {
    .name = "help",
    .usage = "help [--markdown] [settings | exit-codes | COMMAND]",
    .summary = "this help, the settings table or the exit codes",
    .args = {0, 2, NULL, NULL},
    .exec = help_exec,
};
