/* The command table: one const entry per subcommand, each in its own
 * cmd-*.c file. The dispatcher (main.c) does the shared set-up: blocking
 * signals, the command line, the settings, logging. */
#ifndef PE_COMMAND_H
#define PE_COMMAND_H

#include "config.h"
#include "proc.h"
#include "user.h"

#include <stdbool.h>

struct command;

struct invocation {
	const struct command *command;
	struct config config;
	const struct proc_signals *signals;
	/* run and sync (phase_user_resolve()): who the Prisma CLI and the app
	 * run as; NULL: as this process. */
	const struct user *user;
	char **args; /* the arguments after the command and its options */
	int arg_count;
	unsigned given_flags; /* bit i: command->flags[i] was given; read it with invocation_flag() */
	int verbosity;        /* how many -v, for commands that read no settings */
};

#define COMMAND_ARGS_ANY (-1)

/* How many arguments the command takes after its name and options (tmux's
 * .args): the dispatcher rejects any other count, in one line with the
 * usage exit code, before the command runs. */
struct command_args {
	int lower;
	int upper; /* COMMAND_ARGS_ANY: no bound */
	/* Too few: what is missing, as in "no command to run"; NULL: the count. */
	const char *missing;
	/* Too many: where such values go instead, as in "set the schema with
	 * --schema PATH"; NULL: nothing to add. */
	const char *instead;
};

/* A flag only this command takes, without a value, after its name. */
struct command_flag {
	const char *name; /* "check" for --check */
	const char *help;
};

struct command {
	const char *name;
	const char *usage; /* the synopsis after "prisma-entrypoint " */
	const char *summary;
	/* false: the command reads its own arguments and needs no settings
	 * (help and version work whatever the configuration says). */
	bool uses_settings;
	struct command_args args;
	const struct command_flag *flags; /* ends with a NULL name; NULL: none */
	int (*exec)(struct invocation *invocation);
};

extern const struct command command_run;
extern const struct command command_sync;
extern const struct command command_restart;
extern const struct command command_wait;
extern const struct command command_hash;
extern const struct command command_status;
extern const struct command command_config;
extern const struct command command_help;
extern const struct command command_version;

/* In the order --help lists them; run first, as the default. */
extern const struct command *const commands[];
extern const unsigned command_count;

const struct command *command_find(const char *name);

/* Whether count arguments fit command->args; when not, logs one line
 * naming the command, what is wrong and what to do. */
bool command_args_fit(const struct command *command, char *const *args, int count);

/* Whether the invoked command's own flag called name was given. name must
 * be one of the command's flags (anything else is a bug, and aborts). */
bool invocation_flag(const struct invocation *invocation, const char *name);

/* Prints the usage synopsis of every command to out. */
void command_print_usage(FILE *out);

#endif
