/* The command table: one const entry per subcommand, each in its own
 * cmd-*.c file. The dispatcher (main.c) does the shared set-up: blocking
 * signals, the command line, the settings, logging. */
#ifndef PE_COMMAND_H
#define PE_COMMAND_H

#include "config.h"
#include "proc.h"

#include <stdbool.h>

struct invocation {
	struct config config;
	const struct proc_signals *signals;
	char **args; /* the arguments after the command and its options */
	int arg_count;
	unsigned own_flags; /* bit i: the command's own_flags[i] was given */
	int verbosity;      /* how many -v, for commands that read no settings */
};

struct command {
	const char *name;
	const char *usage; /* the synopsis after "prisma-entrypoint " */
	const char *summary;
	/* false: the command reads its own arguments and needs no settings
	 * (help and version work whatever the configuration says). */
	bool uses_settings;
	/* Flags only this command takes (without a value, after its name):
	 * NULL-terminated pairs of name and help, e.g. {"check", "..."}. */
	const char *const (*own_flags)[2];
	int (*exec)(struct invocation *invocation);
};

extern const struct command command_run;
extern const struct command command_wait;
extern const struct command command_hash;
extern const struct command command_config;
extern const struct command command_help;
extern const struct command command_version;

/* In the order --help lists them; run first, as the default. */
extern const struct command *const commands[];
extern const unsigned command_count;

const struct command *command_find(const char *name);

/* Prints the usage synopsis of every command to out. */
void command_print_usage(FILE *out);

#endif
