/* Unit tests for output-relay.c: a child's output copied through a pipe with a
 * prefix before every line, driven by the loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "log.h"
#include "loop.h"
#include "output-relay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Each test: a loop, a pipe whose read end goes to the relay, and a file
 * that takes the relay's output. */
struct fixture {
	struct loop loop;
	struct relay relay;
	int write_fd; /* the child's end of the pipe, -1 once closed */
	int read_fd;  /* handed to the relay */
	FILE *out;    /* where the relay writes */
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	sigset_t none;
	int fds[2];

	if (!fx)
		return -1;
	sigemptyset(&none);
	fx->out = tmpfile();
	if (!fx->out || loop_init(&fx->loop, &none) < 0 || pipe2(fds, O_CLOEXEC) < 0) {
		free(fx);
		return -1;
	}
	fx->read_fd = fds[0];
	fx->write_fd = fds[1];
	fx->relay.fd = -1;
	/* A pipe's writer sees SIGPIPE: not these tests' concern. */
	signal(SIGPIPE, SIG_IGN);
	alarm(10);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	alarm(0);
	relay_finish(&fx->relay, &fx->loop);
	if (fx->write_fd >= 0)
		close(fx->write_fd);
	/* The next test's file may get the same descriptor: it starts at a
	 * line's start. */
	log_relay_end_line(fileno(fx->out));
	fclose(fx->out);
	loop_release(&fx->loop);
	free(fx);
	return 0;
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

static void start(struct fixture *fx, const char *prefix)
{
	assert_int_equal(relay_start(&fx->relay, &fx->loop, fx->read_fd, fileno(fx->out), prefix, "prisma"), 0);
}

static void feed(struct fixture *fx, const char *text)
{
	size_t len = strlen(text);

	assert_int_equal(write(fx->write_fd, text, len), (ssize_t)len);
}

static void close_writer(struct fixture *fx)
{
	assert_int_equal(close(fx->write_fd), 0);
	fx->write_fd = -1;
}

static void stop_loop(struct loop *loop, void *arg)
{
	(void)arg;
	loop_stop(loop);
}

/* Runs the loop for ms: what was written before is in the pipe, so the
 * relay reads it in the first round. */
static void pump(struct fixture *fx, int64_t ms)
{
	assert_true(loop_add_timer(&fx->loop, ms, stop_loop, NULL) >= 0);
	assert_int_equal(loop_run(&fx->loop), 0);
}

struct until_closed {
	const struct relay *relay;
};

static void check_closed(struct loop *loop, void *arg)
{
	const struct until_closed *until = arg;

	if (until->relay->fd < 0)
		loop_stop(loop);
	else
		assert_true(loop_add_timer(loop, 5, check_closed, arg) >= 0);
}

/* Runs the loop until the relay has seen the end of the pipe. */
static void run_until_closed(struct fixture *fx)
{
	struct until_closed until = {&fx->relay};

	assert_true(loop_add_timer(&fx->loop, 0, check_closed, &until) >= 0);
	assert_int_equal(loop_run(&fx->loop), 0);
	assert_int_equal(fx->relay.fd, -1);
}

/* What the relay wrote so far, in a buffer the caller frees. */
static char *output(const struct fixture *fx)
{
	int fd = fileno(fx->out);
	off_t size = lseek(fd, 0, SEEK_END);
	char *text;

	assert_true(size >= 0);
	text = malloc((size_t)size + 1);
	assert_non_null(text);
	assert_int_equal(pread(fd, text, (size_t)size, 0), (ssize_t)size);
	text[size] = '\0';
	return text;
}

static void assert_output(const struct fixture *fx, const char *expected)
{
	char *text = output(fx);
	bool same = strcmp(text, expected) == 0;

	if (!same)
		print_message("expected: \"%s\"\nactual:   \"%s\"\n", expected, text);
	free(text);
	assert_true(same);
}

/* ---- relay_start ---- */

static void test_start_watches_non_blocking(void **state)
{
	struct fixture *fx = *state;

	start(fx, "[p] ");
	assert_int_equal(fx->relay.fd, fx->read_fd);
	assert_true(fcntl(fx->read_fd, F_GETFL) & O_NONBLOCK);
	assert_int_equal(fx->loop.watch_count, 1);
	assert_int_equal(fx->loop.watches[0].fd, fx->read_fd);
	assert_false(log_relay_mid_line(fileno(fx->out)));
}

/* The loop has no room: the relay gives the fd back closed. */
static void test_start_failure_closes_fd(void **state)
{
	struct fixture *fx = *state;
	int spare[2];

	assert_int_equal(pipe2(spare, O_CLOEXEC), 0);
	for (int i = 0; i < LOOP_MAX_WATCHES; i++)
		assert_int_equal(loop_watch_fd(&fx->loop, spare[0], POLLIN, NULL, NULL), 0);
	errno = 0;
	assert_int_equal(relay_start(&fx->relay, &fx->loop, fx->read_fd, fileno(fx->out), "[p] ", "prisma"), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(fx->relay.fd, -1);
	assert_int_equal(fcntl(fx->read_fd, F_GETFD), -1);
	assert_int_equal(errno, EBADF);
	close(spare[0]);
	close(spare[1]);
	/* relay_finish on it does nothing. */
	fx->loop.watch_count = 0;
	relay_finish(&fx->relay, &fx->loop);
	assert_output(fx, "");
}

/* ---- lines and prefixes ---- */

static void test_prefix_before_every_line(void **state)
{
	struct fixture *fx = *state;

	start(fx, "[prisma] ");
	feed(fx, "one\n");
	pump(fx, 20);
	assert_output(fx, "[prisma] one\n");
	feed(fx, "two\n");
	pump(fx, 20);
	assert_output(fx, "[prisma] one\n[prisma] two\n");
}

static void test_several_lines_in_one_chunk(void **state)
{
	struct fixture *fx = *state;

	start(fx, "> ");
	feed(fx, "a\nbb\n\nccc\n");
	pump(fx, 20);
	/* An empty line gets its prefix too. */
	assert_output(fx, "> a\n> bb\n> \n> ccc\n");
}

/* Bytes pass as they come: a line's start shows before its end arrives,
 * and the prefix is not repeated when the rest comes. */
static void test_partial_lines(void **state)
{
	struct fixture *fx = *state;

	start(fx, "> ");
	feed(fx, "Downloading");
	pump(fx, 20);
	assert_output(fx, "> Downloading");
	assert_true(log_relay_mid_line(fileno(fx->out)));
	feed(fx, "...");
	pump(fx, 20);
	assert_output(fx, "> Downloading...");
	feed(fx, " done\nnext");
	pump(fx, 20);
	assert_output(fx, "> Downloading... done\n> next");
	feed(fx, "\n");
	pump(fx, 20);
	assert_output(fx, "> Downloading... done\n> next\n");
	assert_false(log_relay_mid_line(fileno(fx->out)));
}

static void test_empty_prefix_passes_bytes_untouched(void **state)
{
	struct fixture *fx = *state;

	start(fx, "");
	feed(fx, "a\n\nb");
	pump(fx, 20);
	feed(fx, "c\n");
	pump(fx, 20);
	assert_output(fx, "a\n\nbc\n");
}

static void test_null_prefix_is_empty(void **state)
{
	struct fixture *fx = *state;

	start(fx, NULL);
	feed(fx, "x\ny");
	close_writer(fx);
	run_until_closed(fx);
	assert_output(fx, "x\ny\n");
}

/* ---- the end ---- */

/* At the end of the pipe the relay finishes by itself: it stops watching,
 * closes the pipe, and ends a last partial line for the prefixed output. */
static void test_end_of_pipe_finishes(void **state)
{
	struct fixture *fx = *state;

	start(fx, "> ");
	feed(fx, "last line\nno newline");
	close_writer(fx);
	run_until_closed(fx);
	assert_int_equal(fx->loop.watch_count, 0);
	assert_int_equal(fcntl(fx->read_fd, F_GETFD), -1);
	assert_output(fx, "> last line\n> no newline\n");
	/* Finishing again changes nothing. */
	relay_finish(&fx->relay, &fx->loop);
	relay_finish(&fx->relay, &fx->loop);
	assert_output(fx, "> last line\n> no newline\n");
}

static void test_finish_drains_what_is_left(void **state)
{
	struct fixture *fx = *state;

	start(fx, "> ");
	feed(fx, "first\n");
	pump(fx, 20);
	/* Written but never seen by the loop. */
	feed(fx, "second\nthird");
	relay_finish(&fx->relay, &fx->loop);
	assert_output(fx, "> first\n> second\n> third\n");
	assert_int_equal(fx->relay.fd, -1);
	assert_int_equal(fx->loop.watch_count, 0);
	relay_finish(&fx->relay, &fx->loop);
	assert_output(fx, "> first\n> second\n> third\n");
}

/* No newline is added after a complete last line. */
static void test_finish_after_complete_line(void **state)
{
	struct fixture *fx = *state;

	start(fx, "> ");
	feed(fx, "done\n");
	relay_finish(&fx->relay, &fx->loop);
	assert_output(fx, "> done\n");
}

/* Without a prefix too, an unfinished last line is ended: what follows
 * (ours, the app's) starts a line of its own. */
static void test_finish_empty_prefix_ends_the_line(void **state)
{
	struct fixture *fx = *state;

	start(fx, "");
	feed(fx, "tail");
	relay_finish(&fx->relay, &fx->loop);
	assert_output(fx, "tail\n");
}

/* Nothing written at all: nothing out, not even a prefix. */
static void test_finish_with_nothing(void **state)
{
	struct fixture *fx = *state;

	start(fx, "> ");
	close_writer(fx);
	run_until_closed(fx);
	relay_finish(&fx->relay, &fx->loop);
	assert_output(fx, "");
}

/* A process that outlives the child may keep the pipe open: finishing must
 * not wait for it. */
static void test_finish_does_not_wait_for_open_writer(void **state)
{
	struct fixture *fx = *state;
	int64_t start_ms;

	start(fx, "> ");
	feed(fx, "partial");
	start_ms = loop_now_ms();
	relay_finish(&fx->relay, &fx->loop);
	assert_true(loop_now_ms() - start_ms < 500);
	assert_output(fx, "> partial\n");
	/* The writer is still open: its writes now fail, they do not block. */
	errno = 0;
	assert_int_equal(write(fx->write_fd, "x", 1), -1);
	assert_int_equal(errno, EPIPE);
}

/* More than a pipe holds, from another process: every line arrives, once,
 * with its prefix. */
static void test_large_output_from_child(void **state)
{
	enum { LINES = 20000 };
	struct fixture *fx = *state;
	char *text, *line, *save = NULL;
	int count = 0, status;
	pid_t pid;

	start(fx, "[p] ");
	fflush(stdout);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char buf[64];

		for (int i = 0; i < LINES; i++) {
			int len = snprintf(buf, sizeof(buf), "line %d of the child's output\n", i);

			/* Split lines across writes now and then. */
			if (i % 7 == 0) {
				if (write(fx->write_fd, buf, 3) != 3 ||
				    write(fx->write_fd, buf + 3, (size_t)len - 3) != len - 3)
					_exit(1);
			} else if (write(fx->write_fd, buf, (size_t)len) != len) {
				_exit(1);
			}
		}
		_exit(0);
	}
	close_writer(fx);
	run_until_closed(fx);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	text = output(fx);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char expected[64];

		snprintf(expected, sizeof(expected), "[p] line %d of the child's output", count);
		if (strcmp(line, expected) != 0) {
			print_message("line %d: \"%s\"\n", count, line);
			break;
		}
		count++;
	}
	free(text);
	assert_int_equal(count, LINES);
}

/* ---- our lines and relayed ones ---- */

/* Runs fn with stderr on the relay's output file, as with 2>&1. */
static void with_stderr_on_output(struct fixture *fx, void (*fn)(struct fixture *))
{
	int saved = dup(STDERR_FILENO);

	assert_true(saved >= 0);
	assert_int_equal(dup2(fileno(fx->out), STDERR_FILENO), STDERR_FILENO);
	fn(fx);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
}

static void log_between_halves(struct fixture *fx)
{
	feed(fx, "abc");
	pump(fx, 20);
	log_info("our line");
	feed(fx, "def\n");
	pump(fx, 20);
}

/* A line of ours while a relayed line is unfinished ends that line first;
 * the rest comes on a line of its own, with its prefix. */
static void test_our_line_never_continues_a_relayed_one(void **state)
{
	struct fixture *fx = *state;

	start(fx, "> ");
	with_stderr_on_output(fx, log_between_halves);
	assert_output(fx, "> abc\nprisma-entrypoint: our line\n> def\n");
}

static void test_our_line_never_continues_a_relayed_one_without_prefix(void **state)
{
	struct fixture *fx = *state;

	start(fx, NULL);
	with_stderr_on_output(fx, log_between_halves);
	assert_output(fx, "abc\nprisma-entrypoint: our line\ndef\n");
}

/* JSON: every relayed line is an object of its own, gathered whole even when
 * a line of ours comes in the middle; the last one without a newline too. */
static void test_json_lines(void **state)
{
	struct fixture *fx = *state;
	char *text;
	char *first;
	char *second;
	char *third;
	char *fourth;

	log_setup(LOG_LEVEL_INFO, LOG_FORMAT_JSON);
	start(fx, "[p] ");
	with_stderr_on_output(fx, log_between_halves);
	feed(fx, "crlf\r\nsay \"hi\"\tend");
	close_writer(fx);
	run_until_closed(fx);
	log_setup(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	text = output(fx);
	first = strtok(text, "\n");
	second = strtok(NULL, "\n");
	third = strtok(NULL, "\n");
	fourth = strtok(NULL, "\n");
	assert_non_null(fourth);
	assert_null(strtok(NULL, "\n"));
	assert_non_null(strstr(first, "\"level\":\"info\",\"msg\":\"our line\"}"));
	assert_null(strstr(first, "source"));
	assert_non_null(strstr(second, "\"level\":\"info\",\"source\":\"prisma\",\"msg\":\"[p] abcdef\"}"));
	assert_non_null(strstr(third, "\"source\":\"prisma\",\"msg\":\"[p] crlf\"}"));
	assert_non_null(strstr(fourth, "\"msg\":\"[p] say \\\"hi\\\"\\tend\"}"));
	assert_true(strncmp(second, "{\"time\":\"", 9) == 0);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TEST(test_start_watches_non_blocking),
	    TEST(test_start_failure_closes_fd),
	    TEST(test_prefix_before_every_line),
	    TEST(test_several_lines_in_one_chunk),
	    TEST(test_partial_lines),
	    TEST(test_empty_prefix_passes_bytes_untouched),
	    TEST(test_null_prefix_is_empty),
	    TEST(test_end_of_pipe_finishes),
	    TEST(test_finish_drains_what_is_left),
	    TEST(test_finish_after_complete_line),
	    TEST(test_finish_empty_prefix_ends_the_line),
	    TEST(test_our_line_never_continues_a_relayed_one),
	    TEST(test_our_line_never_continues_a_relayed_one_without_prefix),
	    TEST(test_json_lines),
	    TEST(test_finish_with_nothing),
	    TEST(test_finish_does_not_wait_for_open_writer),
	    TEST(test_large_output_from_child),
	};

	return cmocka_run_group_tests_name("relay", tests, NULL, NULL);
}
