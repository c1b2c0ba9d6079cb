/* The phases in order, each on the same loop: what run does before the app,
 * sync does alone, and a restart does again between two runs of the app. */
#include "phases.h"

#include "child.h"
#include "exit-codes.h"
#include "log.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* After a stop signal, how much longer than stop-timeout the phases' child
 * gets to end by itself before SIGKILL: it gives the Prisma CLI stop-timeout
 * and then waits up to 2 s for it to vanish (child.c). */
#define PHASES_STOP_MARGIN_MS 3000

/* The child's name (comm: at most 15 bytes). */
#define PHASES_PROCESS_NAME "pe-phases"

/* 0 when stop is 0, else 128+stop after one line. */
static int stopped_by(int stop, const char *next)
{
	char name[32];

	if (!stop)
		return 0;
	log_info("stopped by %s before %s", proc_signal_name(stop, name, sizeof(name)), next);
	return EXIT_SIGNAL_BASE + stop;
}

/* 0, or 128+N when stop signal N is pending. */
static int stopped_before(const char *next)
{
	return stopped_by(proc_pending_stop_signal(), next);
}

int phase_sequence(const struct invocation *invocation, struct loop *loop, bool wait, const char *next)
{
	struct phase_schema schema = {0};
	struct phase_connection connection = {0};
	int status = 0;

	/* A seed that cannot run is named before anything runs: not after a
	 * wait, a generate and a deploy that would each be done for nothing. */
	status = phase_seed_check(invocation);
	/* A stop request that came while no phase was reading signals ends the
	 * sequence before the next phase. */
	if (status == 0 && wait && !config_bool(&invocation->config, SETTING_NO_WAIT))
		status = phase_wait(invocation, loop, &connection);
	if (status == 0)
		status = stopped_before(next);
	if (status == 0)
		status = phase_generate(invocation, loop, &schema);
	if (status == 0)
		status = stopped_before(next);
	if (status == 0)
		status = phase_migrate(invocation, loop, &schema, &connection);
	phase_connection_release(&connection);
	phase_schema_release(&schema);
	if (status == 0)
		status = stopped_before(next);
	return status;
}

/* What the phases' child is to do, and where its last error goes. */
struct sequence_child {
	const struct invocation *invocation;
	bool wait;
	const char *next;
	int error_fd; /* the write end of a pipe: log_last_error() at the end */
	pid_t parent; /* the supervisor */
};

/* In the child: the sequence on a loop of its own (the parent's loop is the
 * parent's; only its descriptors were copied). */
static int sequence_in_child(void *arg)
{
	const struct sequence_child *run = arg;
	const char *last_error;
	struct loop loop;
	int status;

	/* What `top` and `ps -o comm` show for it, beside the app. */
	prctl(PR_SET_NAME, PHASES_PROCESS_NAME);
	/* What the Prisma CLI leaves in its group comes here when the CLI ends
	 * (as it came to this program before the fork; the attribute is not
	 * inherited): the runner then hears each end (SIGCHLD) instead of
	 * waiting out the 2 s after SIGKILL for a reap by PID 1. */
	prctl(PR_SET_CHILD_SUBREAPER, 1UL, 0UL, 0UL, 0UL);
	/* A supervisor killed outright (not PID 1: then the kernel ends the
	 * namespace) leaves no start running on without it: its end stops the
	 * phases as a stop signal would, the Prisma CLI included. SIGTERM is
	 * blocked here and read by the loop; a supervisor gone before this line
	 * is caught by the parent check. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != run->parent)
		kill(getpid(), SIGTERM);
	if (loop_init(&loop, &run->invocation->signals->blocked) < 0) {
		log_error("cannot create the signal descriptor: %s", strerror(errno));
		status = EXIT_OS_ERROR;
	} else {
		status = phase_sequence(run->invocation, &loop, run->wait, run->next);
		loop_release(&loop);
	}
	last_error = log_last_error();
	/* Shorter than a pipe's buffer: this never blocks. */
	if (*last_error && write(run->error_fd, last_error, strlen(last_error)) < 0)
		log_debug("cannot pass the last error on: %s", strerror(errno));
	close(run->error_fd);
	return status;
}

/* The child's last error, from the read end of its pipe, as this process's. */
static void take_last_error(int fd)
{
	char text[LOG_LINE_MAX];
	size_t used = 0;
	ssize_t n;

	while (used < sizeof(text) - 1 &&
	       ((n = read(fd, text + used, sizeof(text) - 1 - used)) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			used += (size_t)n;
	text[used] = '\0';
	if (used)
		log_set_last_error(text);
}

int phase_sequence_in_child(const struct invocation *invocation, struct loop *loop, bool wait, const char *next)
{
	struct sequence_child run = {.invocation = invocation, .wait = wait, .next = next, .parent = getpid()};
	struct child phases = CHILD_INIT;
	int error_pipe[2];
	int status;

	if (pipe2(error_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		log_error("cannot start the phases: %s", strerror(errno));
		return EXIT_OS_ERROR;
	}
	run.error_fd = error_pipe[1];
	phases.function = sequence_in_child;
	phases.function_arg = &run;
	phases.name = "the phases";
	phases.signals = invocation->signals;
	phases.forward = CHILD_FORWARD_STOP_TO_SELF;
	phases.leftovers = CHILD_LEFTOVERS_KILL;
	phases.stop_timeout_ms = config_duration_ms(&invocation->config, SETTING_STOP_TIMEOUT) + PHASES_STOP_MARGIN_MS;
	if (child_start(&phases, loop) < 0) {
		log_error("cannot start the phases: %s", strerror(phases.result.status));
		close(error_pipe[0]);
		close(error_pipe[1]);
		return EXIT_OS_ERROR;
	}
	close(error_pipe[1]);
	if (child_finish(&phases) < 0) {
		log_error("running the phases failed: %s", strerror(phases.result.status));
		/* The child was killed: what it ran goes too (below). */
		proc_signal_children(SIGKILL);
		close(error_pipe[0]);
		return EXIT_OS_ERROR;
	}
	take_last_error(error_pipe[0]);
	close(error_pipe[0]);
	if (phases.result.outcome == CHILD_SIGNALED) {
		char name[32];

		log_error("the phases were killed by %s", proc_signal_name(phases.result.status, name, sizeof(name)));
		/* Whatever the child ran (the Prisma CLI leads a group of its
		 * own) was re-parented here: it must not run on, unwatched.
		 * Nothing else is a child of this process while the phases
		 * run: the app has not started, or is down for a restart. */
		if (proc_signal_children(SIGKILL))
			log_verbose("killed what the phases had left running");
		return EXIT_SIGNAL_BASE + phases.result.status;
	}
	status = phases.result.status;
	/* A stop passed on as the child was ending, too late for it to see. */
	if (status == 0)
		status = stopped_by(phases.result.received_stop, next);
	if (status == 0)
		status = stopped_before(next);
	return status;
}

bool phase_sequence_has_work(const struct invocation *invocation)
{
	const struct config *config = &invocation->config;
	struct schema_stop stop = {.should_stop = phase_stop_pending};
	struct schema_inputs inputs;
	char error[2 * PATH_MAX];
	char **dependencies;
	struct stat st;
	size_t dependency_count;
	int found;

	if (config_text(config, SETTING_DATABASE_URL))
		return true;
	dependency_count = config_list(config, SETTING_WAIT, &dependencies);
	config_list_free(dependencies);
	/* A package.json: the install phase may compare it with its record. */
	if (dependency_count > 0 || stat("package.json", &st) == 0)
		return true;
	/* Found, an error to report, or stopped: the phases say it. */
	found = schema_find(".", config_text(config, SETTING_SCHEMA), &inputs, &stop, error, sizeof(error));
	schema_inputs_release(&inputs);
	return found != 0;
}
