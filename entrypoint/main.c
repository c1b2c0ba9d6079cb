/* prisma-entrypoint: the composition root.
 *
 * The whole flow of a start is: block signals, read the command line and the
 * settings, check the argument count against the command's entry, then hand
 * over to the command (cmd-*.c). Exit codes are chosen only in this
 * directory (exit-codes.h). */
#include "cmdline.h"
#include "command.h"
#include "config.h"
#include "exit-codes.h"
#include "log.h"
#include "proc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

extern char **environ;

static void setup_logging(const struct config *config)
{
	static const enum log_level levels[] = {
	    [CHOICE_LOG_QUIET] = LOG_LEVEL_QUIET,
	    [CHOICE_LOG_INFO] = LOG_LEVEL_INFO,
	    [CHOICE_LOG_VERBOSE] = LOG_LEVEL_VERBOSE,
	    [CHOICE_LOG_DEBUG] = LOG_LEVEL_DEBUG,
	};

	log_setup(levels[config_choice(config, SETTING_LOG_LEVEL)],
	          config_choice(config, SETTING_LOG_FORMAT) == CHOICE_LOG_JSON ? LOG_FORMAT_JSON : LOG_FORMAT_TEXT);
}

/* The settings' layers: defaults, INI file, environment, then flags. */
static void load_settings(struct config *config, const struct cmdline *cmdline, struct config_errors *errors)
{
	config_init(config);
	config_load(config, cmdline->config_path, environ, errors);
	for (size_t i = 0; i < cmdline->flag_count; i++) {
		char origin[96];

		snprintf(origin, sizeof(origin), "--%s", cmdline->flags[i].origin);
		config_set(config, cmdline->flags[i].id, cmdline->flags[i].text, SOURCE_FLAG, origin, errors);
	}
}

int main(int argc, char **argv)
{
	struct proc_signals signals;
	struct invocation invocation = {.signals = &signals};
	struct config_errors errors = {0};
	struct cmdline cmdline;
	int status;

	/* First of all: a signal that arrives from now on waits in the queue
	 * until a phase reads it; none can be lost or kill us half-way. */
	if (proc_signals_block(&signals) < 0) {
		log_error("cannot block signals: %s", strerror(errno));
		return EXIT_OS_ERROR;
	}
	cmdline_parse(argc, argv, &cmdline, &errors);
	if (cmdline.command->uses_settings)
		load_settings(&invocation.config, &cmdline, &errors);
	/* Even the errors follow the log settings that were valid. */
	if (cmdline.command->uses_settings)
		setup_logging(&invocation.config);
	if (errors.count) {
		for (size_t i = 0; i < errors.count; i++)
			log_error("%s", errors.messages[i]);
		status = errors.usage ? EXIT_USAGE : EXIT_CONFIG;
		if (errors.usage)
			fprintf(stderr, "Try 'prisma-entrypoint --help' for more information.\n");
		config_errors_release(&errors);
		config_release(&invocation.config);
		return status;
	}
	invocation.command = cmdline.command;
	invocation.args = cmdline.args;
	invocation.arg_count = cmdline.arg_count;
	invocation.given_flags = cmdline.given_flags;
	invocation.verbosity = cmdline.verbosity;
	if (command_args_fit(cmdline.command, cmdline.args, cmdline.arg_count))
		status = cmdline.command->exec(&invocation);
	else
		status = EXIT_USAGE;
	config_release(&invocation.config);
	return status;
}
