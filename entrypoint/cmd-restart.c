/* restart: run inside the container (docker compose exec app
 * prisma-entrypoint restart), asks the prisma-entrypoint that supervises the
 * app there to restart it, and waits for the outcome. */
#include "command.h"
#include "control.h"
#include "exit-codes.h"
#include "log.h"
#include "loop.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct answer {
	char line[CONTROL_LINE_MAX];
	size_t length;
	bool ended; /* the supervisor closed the connection */
	int stop;   /* a stop signal this command received */
};

static void on_answer(struct loop *loop, int fd, short revents, void *arg)
{
	struct answer *answer = arg;
	ssize_t got;

	(void)revents;
	got = read(fd, answer->line + answer->length, sizeof(answer->line) - 1 - answer->length);
	if (got < 0 && errno == EINTR)
		return;
	if (got <= 0 || answer->length + (size_t)got == sizeof(answer->line) - 1) {
		answer->ended = true;
		loop_stop(loop);
	}
	if (got > 0)
		answer->length += (size_t)got;
	answer->line[answer->length] = '\0';
}

static void on_signal(struct loop *loop, const struct signalfd_siginfo *info, void *arg)
{
	struct answer *answer = arg;

	if (proc_is_stop_signal((int)info->ssi_signo)) {
		answer->stop = (int)info->ssi_signo;
		loop_stop(loop);
	}
}

/* The supervisor's one line: "ok MESSAGE", "failed CODE MESSAGE", "denied MESSAGE". */
static int report(char *line)
{
	line[strcspn(line, "\n")] = '\0';
	if (strncmp(line, "ok ", 3) == 0) {
		log_info("%s", line + 3);
		return 0;
	}
	if (strncmp(line, "denied ", 7) == 0) {
		log_error("restart refused: %s", line + 7);
		return EXIT_NO_PERMISSION;
	}
	if (strncmp(line, "failed ", 7) == 0) {
		char *end;
		long code = strtol(line + 7, &end, 10);
		if (end != line + 7 && *end == ' ' && code > 0 && code < 256) {
			log_error("restart failed: %s", end + 1);
			return (int)code;
		}
	}
	if (!*line) {
		log_error("the supervisor ended before the restart did (is the container stopping?)");
		return EXIT_UNAVAILABLE;
	}
	log_error("the supervisor answered something this version does not understand: '%.200s'", line);
	return EXIT_UNAVAILABLE;
}

static int ask(int fd, const struct invocation *invocation)
{
	struct answer answer = {0};
	struct loop loop;

	if (loop_init(&loop, &invocation->signals->blocked) < 0) {
		log_error("cannot create the signal descriptor: %s", strerror(errno));
		return EXIT_OS_ERROR;
	}
	loop_on_signal(&loop, on_signal, &answer);
	if (loop_watch_fd(&loop, fd, POLLIN, on_answer, &answer) < 0 || loop_run(&loop) < 0) {
		log_error("cannot wait for the supervisor's answer: %s", strerror(errno));
		loop_release(&loop);
		return EXIT_OS_ERROR;
	}
	loop_release(&loop);
	if (answer.stop) {
		char name[32];

		log_info("stopped by %s while waiting: the restart goes on without this command",
		         proc_signal_name(answer.stop, name, sizeof(name)));
		return EXIT_SIGNAL_BASE + answer.stop;
	}
	return report(answer.line);
}

static int restart_exec(struct invocation *invocation)
{
	char name[128];
	int fd, status;

	control_name(name, sizeof(name));
	fd = control_connect();
	if (fd < 0 && (errno == ECONNREFUSED || errno == ENOENT)) {
		log_error("nothing to restart: no prisma-entrypoint supervises an app in this container (none listens "
		          "on %s; with exec = true the app replaced it)",
		          name);
		return EXIT_UNAVAILABLE;
	}
	if (fd < 0) {
		log_error("cannot reach the supervisor on %s: %s", name, strerror(errno));
		return EXIT_OS_ERROR;
	}
	/* A refused requester may find the connection closed already (EPIPE,
	 * ECONNRESET): the supervisor's "denied" line is still there to read. */
	if (control_send_request(fd) < 0 && errno != EPIPE && errno != ECONNRESET) {
		log_error("cannot send the restart request on %s: %s", name, strerror(errno));
		close(fd);
		return EXIT_OS_ERROR;
	}
	log_verbose("restart asked for on %s: waiting for the outcome", name);
	status = ask(fd, invocation);
	close(fd);
	return status;
}

const struct command command_restart = {
    .name = "restart",
    .usage = "[OPTIONS] restart",
    .summary = "inside the container: have the prisma-entrypoint supervising the app stop it, generate and "
               "migrate as needed, and start it again; waits for the outcome",
    .uses_settings = true,
    .args = {0, 0, NULL, NULL},
    .exec = restart_exec,
};
