#include "run-restarts.h"

#include "exit-codes.h"
#include "log.h"
#include "migrations.h"
#include "phases.h"
#include "schema.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Between the two runs of the app: generate and migrate as a start does,
 * without the wait (the database was there a moment ago; migrate says so if
 * it is not), in a child as at the start. */
static int prepare(void *arg)
{
	struct run_restarts *run = arg;
	char next[PATH_MAX + 16];

	log_forget_errors();
	snprintf(next, sizeof(next), "%s started again", run->app);
	return phase_sequence_in_child(run->invocation, run->loop, false, next);
}

static void restarted(int status, pid_t pid, void *arg)
{
	struct run_restarts *run = arg;
	char message[CONTROL_LINE_MAX - 32];
	char name[32];

	if (status == 0) {
		snprintf(message, sizeof(message), "%s restarted (pid %d)", run->app, (int)pid);
		log_info("%s", message);
	} else if (status < 0) {
		snprintf(message, sizeof(message), "%s could not be started again: see the container's log", run->app);
		status = EXIT_OS_ERROR;
	} else if (status > EXIT_SIGNAL_BASE) {
		snprintf(message, sizeof(message), "stopped by %s during the restart: the container is stopping",
		         proc_signal_name(status - EXIT_SIGNAL_BASE, name, sizeof(name)));
	} else {
		const char *why = log_last_error();

		snprintf(message, sizeof(message), "%s%s%s is not running; fix it and restart again (exit %d)", why,
		         *why ? ": " : "", run->app, status);
	}
	if (run->listening)
		control_answer(&run->control, status, message);
}

static void on_request(uid_t uid, void *arg)
{
	struct run_restarts *run = arg;
	char why[64];

	/* Two requests at once make one restart: a later one joins it. */
	if (run->restarts.state == SUPERVISE_STOPPING || run->restarts.state == SUPERVISE_PREPARING) {
		log_info("restart asked for by uid %u: joins the restart under way", (unsigned)uid);
		return;
	}
	snprintf(why, sizeof(why), "asked for by uid %u", (unsigned)uid);
	supervise_restart(&run->restarts, why);
}

/* What watch mode looks at, found as the phases find it: the schema's files
 * (a schema folder: its .prisma files, new ones too), the Prisma config file,
 * the tsconfig.json the prisma-client generator reads, the migrations
 * folder. */
static void list_watched(struct watch_list *list, void *arg)
{
	const struct run_restarts *run = arg;
	const struct config *config = &run->invocation->config;
	struct schema_inputs inputs = {0};
	char error[PATH_MAX + 256];
	char cwd[PATH_MAX];
	char migrations[PATH_MAX];
	struct stat st;

	if (!getcwd(cwd, sizeof(cwd)) ||
	    schema_find(cwd, config_text(config, SETTING_SCHEMA), &inputs, NULL, error, sizeof(error)) != 1) {
		/* No schema now (a broken config file, a schema being moved):
		 * where one is usually made, so that its arrival is seen. */
		watch_list_add(list, "prisma", true, "prisma");
		watch_list_add(list, "schema.prisma", false, NULL);
		watch_list_add(list, "prisma.config.ts", false, NULL);
		schema_inputs_release(&inputs);
		return;
	}
	if (stat(inputs.schema_path, &st) == 0 && S_ISDIR(st.st_mode))
		watch_list_add(list, inputs.schema_path, true, "prisma");
	else
		watch_list_add(list, inputs.schema_path, false, NULL);
	if (inputs.config_file)
		watch_list_add(list, inputs.config_file, false, NULL);
	if (inputs.tsconfig_file)
		watch_list_add(list, inputs.tsconfig_file, false, NULL);
	if (migrations_folder_find(config_text(config, SETTING_MIGRATIONS), inputs.schema_path, migrations,
	                           sizeof(migrations)) == 1)
		watch_list_add(list, migrations, true, NULL);
	schema_inputs_release(&inputs);
}

static void on_change(const char *changed, void *arg)
{
	struct run_restarts *run = arg;
	char why[PATH_MAX + 16];

	snprintf(why, sizeof(why), "%s changed", changed);
	supervise_restart(&run->restarts, why);
}

void run_restarts_start(struct run_restarts *run, const struct invocation *invocation, const char *app,
                        struct loop *loop)
{
	const struct config *config = &invocation->config;
	char name[128];

	*run = (struct run_restarts){
	    .restarts = {.prepare = prepare, .restarted = restarted, .arg = run},
	    .invocation = invocation,
	    .app = app,
	    .loop = loop,
	};
	control_name(name, sizeof(name));
	if (control_listen(&run->control, loop, on_request, run) == 0) {
		run->listening = true;
		if (invocation->user)
			control_allow(&run->control, invocation->user->ids.uid);
		log_debug("restart requests: listening on %s", name);
	} else if (errno == EADDRINUSE) {
		log_verbose("restart requests go to the prisma-entrypoint that already listens on %s (one per PID "
		            "namespace)",
		            name);
	} else {
		log_warning("cannot listen for restart requests on %s: %s", name, strerror(errno));
	}
	if (!config_bool(config, SETTING_WATCH))
		return;
	run->watch = (struct watch){
	    .list = list_watched,
	    .on_change = on_change,
	    .arg = run,
	    .debounce_ms = config_duration_ms(config, SETTING_WATCH_DEBOUNCE),
	    .poll_ms = config_duration_ms(config, SETTING_WATCH_POLL),
	};
	if (watch_start(&run->watch, loop) == 0) {
		run->watching = true;
		log_info("watching the schema, the Prisma config file and the migrations: a change restarts %s", app);
	} else {
		log_warning("cannot watch the schema and the migrations: %s", strerror(errno));
	}
}

void run_restarts_stop(struct run_restarts *run)
{
	if (run->watching)
		watch_stop(&run->watch);
	if (run->listening)
		control_close(&run->control);
	run->watching = run->listening = false;
}
