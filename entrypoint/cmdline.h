/* The command line: global options (one per setting, from the settings
 * table, plus -h, -q, -v, --version, --print-config), then an optional
 * command name, its options, and its arguments. */
#ifndef PE_CMDLINE_H
#define PE_CMDLINE_H

#include "command.h"
#include "config.h"

#include <stdbool.h>
#include <stddef.h>

#define CMDLINE_MAX_FLAGS 64

struct flag_value {
	enum setting_id id;
	const char *text;   /* points into argv or a literal */
	const char *origin; /* "--stop-timeout", "-q" */
};

struct cmdline {
	struct flag_value flags[CMDLINE_MAX_FLAGS]; /* in command-line order */
	size_t flag_count;
	const char *config_path; /* --config */
	const struct command *command;
	unsigned given_flags; /* see struct invocation */
	int verbosity;        /* how many -v */
	char **args;
	int arg_count;
};

/* Fills cmdline; usage errors go to errors (with errors->usage set). */
void cmdline_parse(int argc, char **argv, struct cmdline *cmdline, struct config_errors *errors);

/* Whether word, found where the app's command starts (after "--"), reads
 * like one of this program's options or commands ("-v", "--no-wait=1",
 * "wait"). When it does, fills how with what to do instead, for a warning:
 * "put it before '--', or set PRISMA_ENTRYPOINT_NO_WAIT". */
bool cmdline_looks_like_ours(const char *word, char *how, size_t how_size);

/* Prints the option list of --help. */
void cmdline_print_options(FILE *out);

#endif
