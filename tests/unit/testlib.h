/* Shared by the unit tests: a temporary tree for a fixture, file writers,
 * expectations that show context when they fail, the stop signals blocked as
 * main blocks them, and a scenario run in a forked process that reports back
 * over a pipe. Header only (static inline): each test includes what it uses. */
#ifndef PE_TESTLIB_H
#define PE_TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Fails the test with "expected: COND" after printing the context the
 * printf-style arguments give, when cond is false. */
#define EXPECT_SHOWING(cond, ...)                                                                                      \
	do {                                                                                                           \
		if (!(cond)) {                                                                                         \
			print_message(__VA_ARGS__);                                                                    \
			fail_msg("expected: %s", #cond);                                                               \
		}                                                                                                      \
	} while (0)

/* ---- a temporary tree ---- */

static inline int tree_remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Makes a new, empty directory /tmp/pe-test-NAME-?????? and writes its path
 * into dir. Returns 0, or -1. */
static inline int tree_make(char *dir, size_t size, const char *name)
{
	int n = snprintf(dir, size, "/tmp/pe-test-%s-XXXXXX", name);

	return n > 0 && (size_t)n < size && mkdtemp(dir) ? 0 : -1;
}

/* Removes dir and everything below it. Returns 0, or -1. */
static inline int tree_remove(const char *dir)
{
	return nftw(dir, tree_remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 ? -1 : 0;
}

static inline void *fixture_tree_alloc(size_t size, size_t dir_offset, size_t dir_size, const char *name)
{
	char *fx = calloc(1, size);

	if (fx && tree_make(fx + dir_offset, dir_size, name) < 0) {
		free(fx);
		return NULL;
	}
	return fx;
}

/* A zeroed struct of TYPE whose char array member `dir` holds a new
 * temporary tree (tree_make with NAME), or NULL. */
#define FIXTURE_TREE_NEW(type, name)                                                                                   \
	((type *)fixture_tree_alloc(sizeof(type), offsetof(type, dir), sizeof(((type *)0)->dir), (name)))

/* Removes the tree dir and frees fx. Returns 0, or -1 when the tree could not
 * be removed. */
static inline int fixture_tree_free(void *fx, const char *dir)
{
	int rc = tree_remove(dir);

	free(fx);
	return rc;
}

/* ---- files and time ---- */

/* Writes text to path (created or truncated), or fails the test. */
static inline void write_text(const char *path, const char *text)
{
	FILE *file = fopen(path, "w");

	assert_non_null(file);
	assert_true(fputs(text, file) >= 0);
	assert_int_equal(fclose(file), 0);
}

static inline void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* An error message: not empty, one line. */
static inline void assert_one_line(const char *error)
{
	assert_true(error[0] != '\0');
	assert_null(strchr(error, '\n'));
}

/* ---- the stop signals, blocked as main blocks them ---- */

/* Fills signals with SIGTERM, SIGINT, SIGQUIT and SIGUSR1 and blocks them
 * (the old mask into old_mask), so that they queue for a loop's signalfd
 * made afterwards. Returns 0, or -1. */
static inline int stop_signals_block(sigset_t *signals, sigset_t *old_mask)
{
	sigemptyset(signals);
	sigaddset(signals, SIGTERM);
	sigaddset(signals, SIGINT);
	sigaddset(signals, SIGQUIT);
	sigaddset(signals, SIGUSR1);
	return sigprocmask(SIG_BLOCK, signals, old_mask) < 0 ? -1 : 0;
}

/* Takes every pending one of signals: nothing sent by a failed test may stay
 * pending when they are unblocked. */
static inline void signals_drain(const sigset_t *signals)
{
	struct timespec no_wait = {0, 0};

	while (sigtimedwait(signals, NULL, &no_wait) > 0)
		;
}

/* Drains signals, then restores old_mask. */
static inline void stop_signals_restore(const sigset_t *signals, const sigset_t *old_mask)
{
	signals_drain(signals);
	sigprocmask(SIG_SETMASK, old_mask, NULL);
}

/* ---- a loop, as main makes one ---- */

/* Blocks the stop signals (stop_signals_block()), then makes loop read them,
 * as main does: signals blocked before the loop exists queue for its
 * signalfd. Returns 0, or -1 with the mask as it was. */
static inline int test_loop_open(struct loop *loop, sigset_t *signals, sigset_t *old_mask)
{
	if (stop_signals_block(signals, old_mask) < 0)
		return -1;
	if (loop_init(loop, signals) < 0) {
		stop_signals_restore(signals, old_mask);
		return -1;
	}
	return 0;
}

static inline void test_loop_close(struct loop *loop, const sigset_t *signals, const sigset_t *old_mask)
{
	loop_release(loop);
	stop_signals_restore(signals, old_mask);
}

static inline void test_loop_time_up(struct loop *loop, void *arg)
{
	(void)arg;
	loop_stop(loop);
}

/* Serves loop for ms milliseconds (a timer ends the run), or fails the test. */
static inline void test_loop_serve(struct loop *loop, int ms)
{
	assert_true(loop_add_timer(loop, ms, test_loop_time_up, NULL) >= 0);
	assert_int_equal(loop_run(loop), 0);
}

/* ---- a scenario in a forked process ---- */

/* Forks; the child runs body(arg, report_fd, log_fd), which writes its report
 * (report_size bytes) to report_fd and its log to log_fd, and must _exit(0).
 * The parent zeroes report, reads it (killing the child when nothing comes
 * within limit_ms), reaps the child and puts what it logged into log (ended
 * by a NUL). The test fails, showing the log, when the report is short or the
 * child did not exit 0; who names the process in that message. */
static inline void fork_and_report(void (*body)(const void *arg, int report_fd, int log_fd), const void *arg,
                                   void *report, size_t report_size, char *log, size_t log_size, int limit_ms,
                                   const char *who)
{
	FILE *log_file = tmpfile();
	struct pollfd pfd;
	int fds[2], status;
	size_t used = 0, log_len;
	pid_t pid;

	assert_non_null(log_file);
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		body(arg, fds[1], fileno(log_file));
		_exit(70);
	}
	close(fds[1]);
	memset(report, 0, report_size);
	pfd = (struct pollfd){.fd = fds[0], .events = POLLIN};
	while (used < report_size) {
		int ready = poll(&pfd, 1, limit_ms);
		ssize_t n;

		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		n = read(fds[0], (char *)report + used, report_size - used);
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	rewind(log_file);
	log_len = fread(log, 1, log_size - 1, log_file);
	log[log_len] = '\0';
	fclose(log_file);
	if (used != report_size || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		print_message("%s log:\n%s", who, log);
		fail_msg("the %s process failed (%s, wait status 0x%x)", who,
		         used == report_size ? "reported" : "no report: hung or crashed", (unsigned)status);
	}
}

#endif
