/* Unit tests for lockfile.c: creating the lock file and its folders, taking
 * the lock from two open file descriptions and from other processes, and
 * waiting for it on the loop (lock_wait() with lockfile_take) until it is
 * free or a stop signal comes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testlib.h"

#include "lockfile.h"
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct fixture {
	char dir[64];
	char path[PATH_MAX]; /* dir/locks/generate.lock */
	char error[512];
	struct lockfile first;
	struct lockfile second;
	pid_t holder; /* a forked lock holder, or -1 */
	/* For lock_wait: the loop and the signals it reads. */
	struct loop loop;
	sigset_t signals;
	sigset_t old_mask;
};

static int setup(void **state)
{
	struct fixture *fx = FIXTURE_TREE_NEW(struct fixture, "lockfile");

	if (!fx)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/locks/generate.lock", fx->dir);
	fx->first = (struct lockfile)LOCKFILE_INIT;
	fx->second = (struct lockfile)LOCKFILE_INIT;
	fx->holder = -1;
	/* As main does: the stop signals blocked before the loop exists, so
	 * that they queue for its signalfd. */
	if (test_loop_open(&fx->loop, &fx->signals, &fx->old_mask) < 0) {
		free(fx);
		return -1;
	}
	alarm(10);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	alarm(0);
	if (fx->holder > 0) {
		kill(fx->holder, SIGKILL);
		while (waitpid(fx->holder, NULL, 0) < 0 && errno == EINTR)
			;
	}
	lockfile_release(&fx->first);
	lockfile_release(&fx->second);
	test_loop_close(&fx->loop, &fx->signals, &fx->old_mask);
	return fixture_tree_free(fx, fx->dir);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

/* ---- a lock holder in another process ---- */

/* Forks a process that opens path, takes the lock, reports on a pipe, then
 * keeps it for hold_ms (< 0: until killed) and exits; or, when go_fd is not
 * NULL, until *go_fd is closed. Returns once the lock is held. */
static pid_t fork_holder(const char *path, long hold_ms, int *go_fd)
{
	int fds[2], go[2] = {-1, -1};
	char ready = 0;
	pid_t pid;
	ssize_t n;

	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	if (go_fd)
		assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct lockfile lock = LOCKFILE_INIT;
		char error[512];

		close(fds[0]);
		if (go_fd)
			close(go[1]);
		if (lockfile_open(&lock, path, NULL, error, sizeof(error)) < 0 || lockfile_try(&lock) != 1)
			_exit(1);
		if (write(fds[1], "L", 1) != 1)
			_exit(2);
		if (go_fd) {
			while (read(go[0], &ready, 1) != 0)
				;
			_exit(0);
		}
		if (hold_ms < 0)
			for (;;)
				pause();
		sleep_ms(hold_ms);
		/* Exits holding it: the kernel releases it with the process. */
		_exit(0);
	}
	close(fds[1]);
	if (go_fd) {
		close(go[0]);
		*go_fd = go[1];
	}
	do
		n = read(fds[0], &ready, 1);
	while (n < 0 && errno == EINTR);
	close(fds[0]);
	assert_int_equal(n, 1);
	assert_int_equal(ready, 'L');
	return pid;
}

static int wait_status(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		assert_int_equal(errno, EINTR);
	return status;
}

/* ---- lockfile_open ---- */

static void test_open_creates_folders_and_file(void **state)
{
	struct fixture *fx = *state;
	char folder[PATH_MAX];
	struct stat st;

	assert_int_equal(lockfile_open(&fx->first, fx->path, NULL, fx->error, sizeof(fx->error)), 0);
	assert_true(fx->first.fd >= 0);
	assert_false(fx->first.held);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	snprintf(folder, sizeof(folder), "%s/locks", fx->dir);
	assert_int_equal(stat(folder, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* Close-on-exec: no child inherits (and keeps) the lock. */
	assert_true(fcntl(fx->first.fd, F_GETFD) & FD_CLOEXEC);
}

static void test_open_creates_deep_folders(void **state)
{
	struct fixture *fx = *state;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/a/b//c/d/x.lock", fx->dir);
	assert_int_equal(lockfile_open(&fx->first, path, NULL, fx->error, sizeof(fx->error)), 0);
	assert_int_equal(access(path, F_OK), 0);
}

static void test_open_existing_file_keeps_content(void **state)
{
	struct fixture *fx = *state;
	char path[PATH_MAX], content[16] = "";
	FILE *file;

	snprintf(path, sizeof(path), "%s/existing.lock", fx->dir);
	file = fopen(path, "w");
	assert_non_null(file);
	fputs("keep", file);
	assert_int_equal(fclose(file), 0);
	assert_int_equal(lockfile_open(&fx->first, path, NULL, fx->error, sizeof(fx->error)), 0);
	file = fopen(path, "r");
	assert_non_null(file);
	assert_non_null(fgets(content, sizeof(content), file));
	fclose(file);
	assert_string_equal(content, "keep");
}

static void test_open_relative_path(void **state)
{
	struct fixture *fx = *state;
	char old_cwd[PATH_MAX], path[PATH_MAX];
	int rc;

	assert_non_null(getcwd(old_cwd, sizeof(old_cwd)));
	assert_int_equal(chdir(fx->dir), 0);
	rc = lockfile_open(&fx->first, "rel/x.lock", NULL, fx->error, sizeof(fx->error));
	assert_int_equal(chdir(old_cwd), 0);
	assert_int_equal(rc, 0);
	snprintf(path, sizeof(path), "%s/rel/x.lock", fx->dir);
	assert_int_equal(access(path, F_OK), 0);
}

/* A regular file where a folder should be: the file cannot be made. */
static void test_open_parent_is_a_file(void **state)
{
	struct fixture *fx = *state;
	char file_path[PATH_MAX], path[PATH_MAX];
	FILE *file;

	snprintf(file_path, sizeof(file_path), "%s/locks", fx->dir);
	file = fopen(file_path, "w");
	assert_non_null(file);
	assert_int_equal(fclose(file), 0);

	errno = 0;
	assert_int_equal(lockfile_open(&fx->first, fx->path, NULL, fx->error, sizeof(fx->error)), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_int_equal(fx->first.fd, -1);
	assert_one_line(fx->error);
	assert_non_null(strstr(fx->error, fx->path));
	assert_non_null(strstr(fx->error, strerror(ENOTDIR)));

	/* Deeper: the folder below the file is the one that cannot be made. */
	snprintf(path, sizeof(path), "%s/locks/sub/generate.lock", fx->dir);
	errno = 0;
	assert_int_equal(lockfile_open(&fx->second, path, NULL, fx->error, sizeof(fx->error)), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_one_line(fx->error);
	assert_non_null(strstr(fx->error, "folder"));
	snprintf(path, sizeof(path), "%s/locks/sub", fx->dir);
	assert_non_null(strstr(fx->error, path));
	assert_non_null(strstr(fx->error, strerror(ENOTDIR)));
}

static void test_open_path_is_a_directory(void **state)
{
	struct fixture *fx = *state;

	errno = 0;
	assert_int_equal(lockfile_open(&fx->first, fx->dir, NULL, fx->error, sizeof(fx->error)), -1);
	assert_int_equal(errno, EISDIR);
	assert_one_line(fx->error);
	assert_non_null(strstr(fx->error, fx->dir));
}

static void test_release_never_opened_and_twice(void **state)
{
	struct fixture *fx = *state;
	struct lockfile lock = LOCKFILE_INIT;

	lockfile_release(&lock);
	assert_int_equal(lock.fd, -1);
	assert_int_equal(lockfile_open(&fx->first, fx->path, NULL, fx->error, sizeof(fx->error)), 0);
	assert_int_equal(lockfile_try(&fx->first), 1);
	lockfile_release(&fx->first);
	assert_int_equal(fx->first.fd, -1);
	assert_false(fx->first.held);
	lockfile_release(&fx->first);
	assert_int_equal(fx->first.fd, -1);
}

/* ---- lockfile_try ---- */

/* Two open file descriptions of one file are two contenders, even in one
 * process (flock, unlike fcntl locks). */
static void test_try_two_descriptions(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(lockfile_open(&fx->first, fx->path, NULL, fx->error, sizeof(fx->error)), 0);
	assert_int_equal(lockfile_open(&fx->second, fx->path, NULL, fx->error, sizeof(fx->error)), 0);
	assert_int_equal(lockfile_try(&fx->first), 1);
	assert_true(fx->first.held);
	assert_int_equal(lockfile_try(&fx->second), 0);
	assert_false(fx->second.held);
	/* Taking it again through the holder's own description is fine. */
	assert_int_equal(lockfile_try(&fx->first), 1);
	lockfile_release(&fx->first);
	assert_int_equal(lockfile_try(&fx->second), 1);
	assert_true(fx->second.held);
}

static void test_try_closed_file_fails(void **state)
{
	struct lockfile lock = LOCKFILE_INIT;

	(void)state;
	errno = 0;
	assert_int_equal(lockfile_try(&lock), -1);
	assert_int_equal(errno, EBADF);
	assert_false(lock.held);
}

static void test_lock_of_other_process_until_it_exits(void **state)
{
	struct fixture *fx = *state;
	int go_fd;

	fx->holder = fork_holder(fx->path, 0, &go_fd);
	assert_int_equal(lockfile_open(&fx->first, fx->path, NULL, fx->error, sizeof(fx->error)), 0);
	assert_int_equal(lockfile_try(&fx->first), 0);
	/* It ends by itself, still holding the lock. */
	close(go_fd);
	assert_true(WIFEXITED(wait_status(fx->holder)));
	fx->holder = -1;
	assert_int_equal(lockfile_try(&fx->first), 1);
}

/* A crashed holder (SIGKILL) never blocks the next start. */
static void test_lock_of_killed_process_is_released(void **state)
{
	struct fixture *fx = *state;
	int status;

	fx->holder = fork_holder(fx->path, -1, NULL);
	assert_int_equal(lockfile_open(&fx->first, fx->path, NULL, fx->error, sizeof(fx->error)), 0);
	assert_int_equal(lockfile_try(&fx->first), 0);
	assert_int_equal(kill(fx->holder, SIGKILL), 0);
	status = wait_status(fx->holder);
	fx->holder = -1;
	assert_true(WIFSIGNALED(status));
	assert_int_equal(lockfile_try(&fx->first), 1);
}

/* ---- lock_wait() with lockfile_take ---- */

/* Waits for lock, trying every poll_ms, with no progress line in the test's
 * time. */
static enum lock_wait_outcome wait_for(struct fixture *fx, struct lockfile *lock, int64_t poll_ms,
                                       struct lock_wait_result *result)
{
	struct lock_wait_params params = {
	    .loop = &fx->loop,
	    .try_lock = lockfile_take,
	    .arg = lock,
	    .what = "the test's lock",
	    .poll_ms = poll_ms,
	    .progress_ms = 60000,
	};

	lock_wait(&params, result);
	return result->outcome;
}

static int pending_timers(const struct loop *loop)
{
	int count = 0;

	for (int i = 0; i < LOOP_MAX_TIMERS; i++)
		count += loop->timers[i].deadline_ms != 0;
	return count;
}

static void test_wait_free_lock(void **state)
{
	struct fixture *fx = *state;
	struct lock_wait_result result;
	int64_t start;

	assert_int_equal(lockfile_open(&fx->first, fx->path, NULL, fx->error, sizeof(fx->error)), 0);
	start = loop_now_ms();
	assert_int_equal(wait_for(fx, &fx->first, 1000, &result), LOCK_WAIT_TAKEN);
	assert_true(loop_now_ms() - start < 500);
	assert_false(result.waited);
	assert_int_equal(result.tries, 1);
	assert_true(fx->first.held);
	assert_int_equal(pending_timers(&fx->loop), 0);
	assert_null(fx->loop.on_signal);
}

static void test_wait_until_holder_exits(void **state)
{
	struct fixture *fx = *state;
	struct lock_wait_result result;
	int64_t start, waited;
	int status;

	assert_int_equal(lockfile_open(&fx->first, fx->path, NULL, fx->error, sizeof(fx->error)), 0);
	start = loop_now_ms();
	fx->holder = fork_holder(fx->path, 100, NULL);
	assert_int_equal(wait_for(fx, &fx->first, 10, &result), LOCK_WAIT_TAKEN);
	waited = loop_now_ms() - start;
	assert_true(result.waited);
	assert_true(result.tries > 1);
	assert_true(fx->first.held);
	/* Not before the holder let go, and soon after (polled every 10 ms). */
	assert_in_range(waited, 90, 2000);
	status = wait_status(fx->holder);
	fx->holder = -1;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(pending_timers(&fx->loop), 0);
	assert_null(fx->loop.on_signal);
}

static void send_self(struct loop *loop, void *arg)
{
	(void)loop;
	kill(getpid(), *(const int *)arg);
}

static void test_wait_stopped_by_sigterm(void **state)
{
	static const int sigusr1 = SIGUSR1, sigterm = SIGTERM;
	struct fixture *fx = *state;
	struct lock_wait_result result;
	int64_t start, waited;
	sigset_t pending;

	fx->holder = fork_holder(fx->path, -1, NULL);
	assert_int_equal(lockfile_open(&fx->first, fx->path, NULL, fx->error, sizeof(fx->error)), 0);
	/* Another signal first: read from the signalfd and ignored. */
	assert_true(loop_add_timer(&fx->loop, 30, send_self, (void *)&sigusr1) >= 0);
	assert_true(loop_add_timer(&fx->loop, 80, send_self, (void *)&sigterm) >= 0);
	start = loop_now_ms();
	assert_int_equal(wait_for(fx, &fx->first, 20, &result), LOCK_WAIT_STOPPED);
	waited = loop_now_ms() - start;
	assert_int_equal(result.stop_signal, SIGTERM);
	assert_false(fx->first.held);
	assert_in_range(waited, 70, 2000);
	/* Both signals were taken from the signalfd, none is left pending. */
	assert_int_equal(sigpending(&pending), 0);
	assert_false(sigismember(&pending, SIGTERM));
	assert_false(sigismember(&pending, SIGUSR1));
	assert_int_equal(pending_timers(&fx->loop), 0);
	assert_null(fx->loop.on_signal);
	/* The holder still has it. */
	assert_int_equal(lockfile_try(&fx->first), 0);
}

/* A stop signal that arrived before the wait began ends it too. */
static void test_wait_stopped_by_pending_sigint(void **state)
{
	struct fixture *fx = *state;
	struct lock_wait_result result;

	fx->holder = fork_holder(fx->path, -1, NULL);
	assert_int_equal(lockfile_open(&fx->first, fx->path, NULL, fx->error, sizeof(fx->error)), 0);
	assert_int_equal(kill(getpid(), SIGINT), 0);
	assert_int_equal(wait_for(fx, &fx->first, 20, &result), LOCK_WAIT_STOPPED);
	assert_int_equal(result.stop_signal, SIGINT);
	assert_false(fx->first.held);
}

static void test_wait_on_closed_file_fails(void **state)
{
	struct fixture *fx = *state;
	struct lockfile lock = LOCKFILE_INIT;
	struct lock_wait_result result;

	assert_int_equal(wait_for(fx, &lock, 20, &result), LOCK_WAIT_FAILED);
	assert_int_equal(result.error, EBADF);
	assert_false(result.waited);
	assert_int_equal(pending_timers(&fx->loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TEST(test_open_creates_folders_and_file),
	    TEST(test_open_creates_deep_folders),
	    TEST(test_open_existing_file_keeps_content),
	    TEST(test_open_relative_path),
	    TEST(test_open_parent_is_a_file),
	    TEST(test_open_path_is_a_directory),
	    TEST(test_release_never_opened_and_twice),
	    TEST(test_try_two_descriptions),
	    TEST(test_try_closed_file_fails),
	    TEST(test_lock_of_other_process_until_it_exits),
	    TEST(test_lock_of_killed_process_is_released),
	    TEST(test_wait_free_lock),
	    TEST(test_wait_until_holder_exits),
	    TEST(test_wait_stopped_by_sigterm),
	    TEST(test_wait_stopped_by_pending_sigint),
	    TEST(test_wait_on_closed_file_fails),
	};

	return cmocka_run_group_tests_name("lockfile", tests, NULL, NULL);
}
