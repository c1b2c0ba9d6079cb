/* Unit tests for proc.c: program lookup, spawning, signal state, names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testlib.h"

#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- fixture: a temporary directory, PATH and cwd put back afterwards ---- */

struct fixture {
	char dir[64];
	char old_cwd[PATH_MAX];
	char *old_path;
};

static int setup(void **state)
{
	struct fixture *fx = FIXTURE_TREE_NEW(struct fixture, "proc");
	const char *path = getenv("PATH");

	if (!fx)
		return -1;
	if (!getcwd(fx->old_cwd, sizeof(fx->old_cwd))) {
		fixture_tree_free(fx, fx->dir);
		return -1;
	}
	fx->old_path = path ? strdup(path) : NULL;
	alarm(10);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	int rc = 0;

	alarm(0);
	if (fx->old_path)
		setenv("PATH", fx->old_path, 1);
	else
		unsetenv("PATH");
	free(fx->old_path);
	if (chdir(fx->old_cwd) < 0)
		rc = -1;
	return fixture_tree_free(fx, fx->dir) < 0 ? -1 : rc;
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

/* dir/name with the given content and mode; returns the path in out. */
static void make_file(const char *dir, const char *name, const char *content, mode_t mode, char *out, size_t size)
{
	FILE *file;

	assert_true((size_t)snprintf(out, size, "%s/%s", dir, name) < size);
	file = fopen(out, "w");
	assert_non_null(file);
	assert_true(fputs(content, file) >= 0);
	assert_int_equal(fclose(file), 0);
	assert_int_equal(chmod(out, mode), 0);
}

static void make_dir(const char *parent, const char *name, char *out, size_t size)
{
	assert_true((size_t)snprintf(out, size, "%s/%s", parent, name) < size);
	assert_int_equal(mkdir(out, 0755), 0);
}

/* A proc_signals that describes this process as it is: blocked and put
 * back at once, so that spawning with it changes nothing for the child. */
static void current_signals(struct proc_signals *signals)
{
	assert_int_equal(proc_signals_block(signals), 0);
	proc_signals_restore(signals);
}

/* The wait status of pid, or -1; no assertion, so usable in forked checks. */
static int wait_raw(pid_t pid)
{
	int status;
	pid_t got;

	while ((got = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	return got == pid ? status : -1;
}

static int wait_status(pid_t pid)
{
	int status = wait_raw(pid);

	assert_int_not_equal(status, -1);
	return status;
}

/* Runs argv with its stdout on a pipe; returns 0 with the output in out
 * and the wait status in *status, or -1 with errno from proc_spawn. No
 * cmocka assertion runs while stdout is redirected. */
static int spawn_capture(const char *const *argv, const struct proc_signals *signals, char *out, size_t size,
                         int *status)
{
	struct proc_child child = PROC_CHILD_INIT;
	int fds[2], saved, rc, spawn_errno;
	size_t used = 0;
	ssize_t n;

	fflush(stdout);
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	saved = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 10);
	dup2(fds[1], STDOUT_FILENO);
	close(fds[1]);
	child.argv = argv;
	child.signals = signals;
	rc = proc_spawn(&child);
	spawn_errno = errno;
	dup2(saved, STDOUT_FILENO);
	close(saved);
	while ((n = read(fds[0], out + used, size - 1 - used)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			used += (size_t)n;
	out[used] = '\0';
	close(fds[0]);
	if (rc < 0) {
		errno = spawn_errno;
		return -1;
	}
	*status = wait_raw(child.pid);
	return *status == -1 ? -1 : 0;
}

/* ---- forked checks: for tests that change process-wide signal state ---- */

/* In a forked child, cmocka's assertions must not run (they would jump back
 * into the child's copy of the test runner), so checks report a message. */
#define CHECK(cond)                                                                                                    \
	do {                                                                                                           \
		if (!(cond)) {                                                                                         \
			snprintf(failure, sizeof(failure), "%s:%d: check failed: %s", __FILE__, __LINE__, #cond);      \
			return failure;                                                                                \
		}                                                                                                      \
	} while (0)

static char failure[512];

/* Runs check in a child process and fails the test with its message. */
static void run_forked(const char *(*check)(void))
{
	char message[512] = "";
	int fds[2], status;
	size_t used = 0;
	ssize_t n;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const char *result;

		close(fds[0]);
		result = check();
		if (result && write(fds[1], result, strlen(result)) < 0)
			_exit(2);
		_exit(result ? 1 : 0);
	}
	close(fds[1]);
	while ((n = read(fds[0], message + used, sizeof(message) - 1 - used)) > 0)
		used += (size_t)n;
	message[used] = '\0';
	close(fds[0]);
	status = wait_status(pid);
	if (message[0])
		fail_msg("%s", message);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("forked check ended with wait status 0x%x", status);
}

/* ---- proc_find_program ---- */

static void test_find_with_slash_is_taken_as_is(void **state)
{
	char out[PATH_MAX];

	(void)state;
	assert_int_equal(proc_find_program("/bin/sh", out, sizeof(out)), 0);
	assert_string_equal(out, "/bin/sh");
	assert_int_equal(proc_find_program("./run.sh", out, sizeof(out)), 0);
	assert_string_equal(out, "./run.sh");
}

static void test_find_too_long(void **state)
{
	char out[4];

	(void)state;
	errno = 0;
	assert_int_equal(proc_find_program("/bin/sh", out, sizeof(out)), -1);
	assert_int_equal(errno, ENAMETOOLONG);
}

static void test_find_empty_name(void **state)
{
	char out[PATH_MAX];

	(void)state;
	errno = 0;
	assert_int_equal(proc_find_program("", out, sizeof(out)), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_find_in_path(void **state)
{
	struct fixture *fx = *state;
	char first[PATH_MAX], second[PATH_MAX], path[2 * PATH_MAX + 64], file[PATH_MAX], out[PATH_MAX];
	char expected[PATH_MAX];

	make_dir(fx->dir, "first", first, sizeof(first));
	make_dir(fx->dir, "second", second, sizeof(second));
	/* "tool": not executable in first, executable in second. */
	make_file(first, "tool", "#!/bin/sh\n", 0644, file, sizeof(file));
	make_file(second, "tool", "#!/bin/sh\n", 0755, expected, sizeof(expected));
	/* "both": executable in both, the first wins. */
	make_file(first, "both", "#!/bin/sh\n", 0755, file, sizeof(file));
	make_file(second, "both", "#!/bin/sh\n", 0755, out, sizeof(out));
	/* "plain": only a file without execute permission. */
	make_file(second, "plain", "data\n", 0644, file, sizeof(file));
	/* "subdir": a directory is not a program. */
	make_dir(first, "subdir", file, sizeof(file));
	snprintf(path, sizeof(path), "/nonexistent-dir:%s:%s", first, second);
	assert_int_equal(setenv("PATH", path, 1), 0);

	assert_int_equal(proc_find_program("tool", out, sizeof(out)), 0);
	assert_string_equal(out, expected);

	assert_int_equal(proc_find_program("both", out, sizeof(out)), 0);
	assert_true((size_t)snprintf(expected, sizeof(expected), "%s/both", first) < sizeof(expected));
	assert_string_equal(out, expected);

	errno = 0;
	assert_int_equal(proc_find_program("plain", out, sizeof(out)), -1);
	assert_int_equal(errno, EACCES);

	errno = 0;
	assert_int_equal(proc_find_program("missing", out, sizeof(out)), -1);
	assert_int_equal(errno, ENOENT);

	errno = 0;
	assert_int_equal(proc_find_program("subdir", out, sizeof(out)), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_find_empty_path_entry_is_cwd(void **state)
{
	struct fixture *fx = *state;
	char file[PATH_MAX], out[PATH_MAX];

	make_file(fx->dir, "here", "#!/bin/sh\n", 0755, file, sizeof(file));
	assert_int_equal(chdir(fx->dir), 0);

	assert_int_equal(setenv("PATH", "/nonexistent-dir::/also-nonexistent", 1), 0);
	assert_int_equal(proc_find_program("here", out, sizeof(out)), 0);
	assert_int_equal(access(out, X_OK), 0);
	assert_null(strchr(out, ':'));

	assert_int_equal(setenv("PATH", "/nonexistent-dir:", 1), 0);
	assert_int_equal(proc_find_program("here", out, sizeof(out)), 0);
	assert_int_equal(access(out, X_OK), 0);

	assert_int_equal(setenv("PATH", ":/nonexistent-dir", 1), 0);
	assert_int_equal(proc_find_program("here", out, sizeof(out)), 0);

	/* Without the empty entry, the current directory is not searched. */
	assert_int_equal(setenv("PATH", "/nonexistent-dir", 1), 0);
	errno = 0;
	assert_int_equal(proc_find_program("here", out, sizeof(out)), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_find_without_path(void **state)
{
	char out[PATH_MAX];

	(void)state;
	assert_int_equal(unsetenv("PATH"), 0);
	assert_int_equal(proc_find_program("sh", out, sizeof(out)), 0);
	assert_int_equal(out[0], '/');
	assert_int_equal(access(out, X_OK), 0);
}

/* ---- proc_spawn ---- */

static void test_spawn_missing_program(void **state)
{
	static const char *const in_path[] = {"pe-test-no-such-program", NULL};
	static const char *const by_path[] = {"/nonexistent-dir/program", NULL};
	struct proc_signals signals;
	struct proc_child child = PROC_CHILD_INIT;

	(void)state;
	current_signals(&signals);
	child.argv = in_path;
	child.signals = &signals;
	errno = 0;
	assert_int_equal(proc_spawn(&child), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(child.failed, PROC_FAILED_EXEC);
	assert_int_equal(child.pid, -1);

	child.argv = by_path;
	errno = 0;
	assert_int_equal(proc_spawn(&child), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(child.failed, PROC_FAILED_EXEC);
	assert_int_equal(child.pid, -1);
	/* No child is left behind. */
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void test_spawn_not_executable(void **state)
{
	struct fixture *fx = *state;
	struct proc_signals signals;
	struct proc_child child = PROC_CHILD_INIT;
	char file[PATH_MAX];
	const char *argv[] = {file, NULL};

	make_file(fx->dir, "data", "#!/bin/sh\nexit 0\n", 0644, file, sizeof(file));
	current_signals(&signals);
	child.argv = argv;
	child.signals = &signals;
	errno = 0;
	assert_int_equal(proc_spawn(&child), -1);
	assert_int_equal(errno, EACCES);
	assert_int_equal(child.failed, PROC_FAILED_EXEC);
	assert_int_equal(child.pid, -1);
}

static void test_spawn_not_executable_in_path(void **state)
{
	struct fixture *fx = *state;
	static const char *const argv[] = {"data", NULL};
	struct proc_signals signals;
	struct proc_child child = PROC_CHILD_INIT;
	char file[PATH_MAX];

	make_file(fx->dir, "data", "#!/bin/sh\nexit 0\n", 0644, file, sizeof(file));
	assert_int_equal(setenv("PATH", fx->dir, 1), 0);
	current_signals(&signals);
	child.argv = argv;
	child.signals = &signals;
	errno = 0;
	assert_int_equal(proc_spawn(&child), -1);
	assert_int_equal(errno, EACCES);
	assert_int_equal(child.failed, PROC_FAILED_EXEC);
}

static void test_spawn_exec_errors_come_back(void **state)
{
	struct fixture *fx = *state;
	struct proc_signals signals;
	struct proc_child child = PROC_CHILD_INIT;
	char file[PATH_MAX];
	const char *argv[] = {file, NULL};

	current_signals(&signals);
	child.argv = argv;
	child.signals = &signals;

	/* Executable, but neither a binary nor a #! script. */
	make_file(fx->dir, "script", "exit 0\n", 0755, file, sizeof(file));
	errno = 0;
	assert_int_equal(proc_spawn(&child), -1);
	assert_int_equal(errno, ENOEXEC);
	assert_int_equal(child.failed, PROC_FAILED_EXEC);

	/* A #! interpreter that does not exist. */
	make_file(fx->dir, "orphan", "#!/nonexistent-dir/interpreter\n", 0755, file, sizeof(file));
	errno = 0;
	assert_int_equal(proc_spawn(&child), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(child.failed, PROC_FAILED_EXEC);
	assert_int_equal(child.pid, -1);
}

static void test_spawn_exit_status(void **state)
{
	static const char *const argv[] = {"/bin/sh", "-c", "exit 3", NULL};
	struct proc_signals signals;
	struct proc_child child = PROC_CHILD_INIT;
	int status;

	(void)state;
	current_signals(&signals);
	child.argv = argv;
	child.signals = &signals;
	assert_int_equal(proc_spawn(&child), 0);
	assert_true(child.pid > 0);
	assert_int_equal(child.failed, PROC_FAILED_NONE);
	status = wait_status(child.pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3);
}

static void test_spawn_searches_path(void **state)
{
	struct fixture *fx = *state;
	static const char *const argv[] = {"pe-hello", NULL};
	struct proc_signals signals;
	char file[PATH_MAX], out[64];
	int status;

	make_file(fx->dir, "pe-hello", "#!/bin/sh\necho found\nexit 5\n", 0755, file, sizeof(file));
	assert_int_equal(setenv("PATH", fx->dir, 1), 0);
	current_signals(&signals);
	assert_int_equal(spawn_capture(argv, &signals, out, sizeof(out), &status), 0);
	assert_string_equal(out, "found\n");
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 5);
}

static void test_spawn_passes_argv_and_environment(void **state)
{
	static const char *const argv[] = {"sh",   "-c",      "printf '%s|%s|%s' \"$0\" \"$1\" \"$PE_TEST_VARIABLE\"",
	                                   "zero", "one two", NULL};
	struct proc_signals signals;
	char out[128];
	int status;

	(void)state;
	assert_int_equal(setenv("PE_TEST_VARIABLE", "from the parent", 1), 0);
	current_signals(&signals);
	assert_int_equal(spawn_capture(argv, &signals, out, sizeof(out), &status), 0);
	unsetenv("PE_TEST_VARIABLE");
	assert_string_equal(out, "zero|one two|from the parent");
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_spawn_new_process_group(void **state)
{
	static const char *const argv[] = {"sleep", "5", NULL};
	struct proc_signals signals;
	struct proc_child child = PROC_CHILD_INIT;
	int status;

	(void)state;
	current_signals(&signals);
	child.argv = argv;
	child.signals = &signals;
	child.new_process_group = true;
	assert_int_equal(proc_spawn(&child), 0);
	assert_int_equal(getpgid(child.pid), child.pid);
	assert_int_not_equal(getpgid(child.pid), getpgrp());
	kill(child.pid, SIGKILL);
	status = wait_status(child.pid);
	assert_true(WIFSIGNALED(status));
}

static void test_spawn_same_process_group(void **state)
{
	static const char *const argv[] = {"sleep", "5", NULL};
	struct proc_signals signals;
	struct proc_child child = PROC_CHILD_INIT;

	(void)state;
	current_signals(&signals);
	child.argv = argv;
	child.signals = &signals;
	assert_int_equal(proc_spawn(&child), 0);
	assert_int_equal(getpgid(child.pid), getpgrp());
	kill(child.pid, SIGKILL);
	wait_status(child.pid);
}

/* The group exists for the child itself too: it reports its own pgid. */
static void test_spawn_new_group_seen_by_child(void **state)
{
	static const char *const argv[] = {"cat", "/proc/self/stat", NULL};
	struct proc_signals signals;
	struct proc_child child = PROC_CHILD_INIT;
	char out[1024];
	int fds[2], saved, pid_field, ppid, pgid;
	ssize_t n;

	(void)state;
	current_signals(&signals);
	fflush(stdout);
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	saved = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 10);
	dup2(fds[1], STDOUT_FILENO);
	close(fds[1]);
	child.argv = argv;
	child.signals = &signals;
	child.new_process_group = true;
	n = proc_spawn(&child);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	assert_int_equal(n, 0);
	n = read(fds[0], out, sizeof(out) - 1);
	close(fds[0]);
	wait_status(child.pid);
	assert_true(n > 0);
	out[n] = '\0';
	/* "pid (comm) state ppid pgrp ..." */
	assert_int_equal(sscanf(out, "%d", &pid_field), 1);
	assert_non_null(strrchr(out, ')'));
	assert_int_equal(sscanf(strrchr(out, ')') + 2, "%*c %d %d", &ppid, &pgid), 2);
	assert_int_equal(pid_field, child.pid);
	assert_int_equal(ppid, getpid());
	assert_int_equal(pgid, child.pid);
}

/* ---- proc_spawn: envp, stdout_fd, stderr_fd ---- */

/* Everything from fd up to end of file (fd closed), or fails the test. */
static void read_to_end(int fd, char *out, size_t size)
{
	size_t used = 0;
	ssize_t n;

	while ((n = read(fd, out + used, size - 1 - used)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			used += (size_t)n;
	assert_int_equal(n, 0);
	out[used] = '\0';
	close(fd);
}

/* Runs argv with envp and its stdout on a pipe (stdout_fd); returns the
 * output and the wait status. */
static int spawn_with_output_fd(const char *const *argv, char *const *envp, char *out, size_t size)
{
	struct proc_signals signals;
	struct proc_child child = PROC_CHILD_INIT;
	int fds[2];

	current_signals(&signals);
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	child.argv = argv;
	child.signals = &signals;
	child.envp = envp;
	child.stdout_fd = fds[1];
	assert_int_equal(proc_spawn(&child), 0);
	close(fds[1]);
	read_to_end(fds[0], out, size);
	return wait_status(child.pid);
}

static void test_spawn_envp_is_the_whole_environment(void **state)
{
	static const char *const argv[] = {"/usr/bin/env", NULL};
	char *const envp[] = {"A=1", "B=two words", "EMPTY=", NULL};
	char out[256];
	int status;

	(void)state;
	assert_int_equal(setenv("PE_TEST_VARIABLE", "from the parent", 1), 0);
	status = spawn_with_output_fd(argv, envp, out, sizeof(out));
	unsetenv("PE_TEST_VARIABLE");
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(out, "A=1\nB=two words\nEMPTY=\n");
}

static void test_spawn_envp_empty(void **state)
{
	static const char *const argv[] = {"/usr/bin/env", NULL};
	char *const envp[] = {NULL};
	char out[256];
	int status;

	(void)state;
	status = spawn_with_output_fd(argv, envp, out, sizeof(out));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(out, "");
}

/* The program is looked up in this process's PATH, as execvpe does, not in
 * the PATH of envp (here: none). */
static void test_spawn_envp_lookup_uses_own_path(void **state)
{
	struct fixture *fx = *state;
	static const char *const argv[] = {"pe-hello", NULL};
	char *const envp[] = {"ONLY=this", NULL};
	char file[PATH_MAX], out[256];
	int status;

	make_file(fx->dir, "pe-hello", "#!/bin/sh\necho \"$ONLY|${PATH-unset}\"\n", 0755, file, sizeof(file));
	assert_int_equal(setenv("PATH", fx->dir, 1), 0);
	status = spawn_with_output_fd(argv, envp, out, sizeof(out));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* sh sets a default PATH of its own when none is given; what matters
	 * is that it is not this process's. */
	assert_non_null(strstr(out, "this|"));
	assert_null(strstr(out, fx->dir));
}

static void test_spawn_stdout_and_stderr_fds(void **state)
{
	static const char *const argv[] = {"sh", "-c", "echo out; echo err >&2; echo out2", NULL};
	struct proc_signals signals;
	struct proc_child child = PROC_CHILD_INIT;
	int out_fds[2], err_fds[2], status;
	char out[64], err[64];

	(void)state;
	current_signals(&signals);
	assert_int_equal(pipe2(out_fds, O_CLOEXEC), 0);
	assert_int_equal(pipe2(err_fds, O_CLOEXEC), 0);
	child.argv = argv;
	child.signals = &signals;
	child.stdout_fd = out_fds[1];
	child.stderr_fd = err_fds[1];
	assert_int_equal(proc_spawn(&child), 0);
	/* The caller's descriptors stay the caller's, close-on-exec as given. */
	assert_true(fcntl(out_fds[1], F_GETFD) & FD_CLOEXEC);
	close(out_fds[1]);
	close(err_fds[1]);
	read_to_end(out_fds[0], out, sizeof(out));
	read_to_end(err_fds[0], err, sizeof(err));
	status = wait_status(child.pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(out, "out\nout2\n");
	assert_string_equal(err, "err\n");
}

/* One descriptor for both, as 2>&1 would. */
static void test_spawn_stdout_and_stderr_same_fd(void **state)
{
	static const char *const argv[] = {"sh", "-c", "echo out; echo err >&2; echo out2", NULL};
	struct proc_signals signals;
	struct proc_child child = PROC_CHILD_INIT;
	int fds[2];
	char out[64];

	(void)state;
	current_signals(&signals);
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	child.argv = argv;
	child.signals = &signals;
	child.stdout_fd = fds[1];
	child.stderr_fd = fds[1];
	assert_int_equal(proc_spawn(&child), 0);
	close(fds[1]);
	read_to_end(fds[0], out, sizeof(out));
	wait_status(child.pid);
	assert_string_equal(out, "out\nerr\nout2\n");
}

/* The given descriptors are close-on-exec: in the child they exist only as
 * its stdout and stderr, not under their own numbers too. */
static void test_spawn_output_fds_not_leaked(void **state)
{
	static const char script[] =
	    "for fd in \"$@\"; do if [ -e /proc/$$/fd/$fd ]; then echo \"leaked $fd\"; fi; done; "
	    "echo checked";
	struct proc_signals signals;
	struct proc_child child = PROC_CHILD_INIT;
	int out_fds[2], err_fds[2];
	char out_num[16], err_num[16], out[256], err[64];
	const char *argv[] = {"sh", "-c", script, "sh", out_num, err_num, NULL};

	(void)state;
	current_signals(&signals);
	assert_int_equal(pipe2(out_fds, O_CLOEXEC), 0);
	assert_int_equal(pipe2(err_fds, O_CLOEXEC), 0);
	snprintf(out_num, sizeof(out_num), "%d", out_fds[1]);
	snprintf(err_num, sizeof(err_num), "%d", err_fds[1]);
	child.argv = argv;
	child.signals = &signals;
	child.stdout_fd = out_fds[1];
	child.stderr_fd = err_fds[1];
	assert_int_equal(proc_spawn(&child), 0);
	close(out_fds[1]);
	close(err_fds[1]);
	read_to_end(out_fds[0], out, sizeof(out));
	read_to_end(err_fds[0], err, sizeof(err));
	wait_status(child.pid);
	assert_string_equal(err, "");
	/* Not a count of /proc/self/fd: what the test runner leaks (make's
	 * jobserver pipe, say) would be counted too. */
	assert_string_equal(out, "checked\n");
}

/* The reader of the child's output sees the end of it as soon as the child
 * (and whatever it starts with its output elsewhere) is done: no copy of the
 * pipe's write end lingers in a grandchild. */
static void test_spawn_output_pipe_ends_with_child(void **state)
{
	static const char *const argv[] = {"sh", "-c", "echo hi; sleep 3 >/dev/null 2>&1 &", NULL};
	struct proc_signals signals;
	struct proc_child child = PROC_CHILD_INIT;
	int fds[2];
	char out[64];
	struct timespec start, end;
	long elapsed_ms;

	(void)state;
	current_signals(&signals);
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	child.argv = argv;
	child.signals = &signals;
	child.stdout_fd = fds[1];
	child.stderr_fd = fds[1];
	clock_gettime(CLOCK_MONOTONIC, &start);
	assert_int_equal(proc_spawn(&child), 0);
	close(fds[1]);
	read_to_end(fds[0], out, sizeof(out));
	clock_gettime(CLOCK_MONOTONIC, &end);
	wait_status(child.pid);
	elapsed_ms = (end.tv_sec - start.tv_sec) * 1000 + (end.tv_nsec - start.tv_nsec) / 1000000;
	assert_string_equal(out, "hi\n");
	assert_true(elapsed_ms < 2000);
}

/* A descriptor that cannot be made the child's stdout: reported like an
 * exec error, and nothing runs. */
static void test_spawn_bad_output_fd(void **state)
{
	static const char *const argv[] = {"sh", "-c", "exit 0", NULL};
	struct proc_signals signals;
	struct proc_child child = PROC_CHILD_INIT;

	(void)state;
	current_signals(&signals);
	child.argv = argv;
	child.signals = &signals;
	child.stdout_fd = 999;
	assert_int_equal(fcntl(999, F_GETFD), -1);
	errno = 0;
	assert_int_equal(proc_spawn(&child), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(child.failed, PROC_FAILED_EXEC);
	assert_int_equal(child.pid, -1);

	child.stdout_fd = -1;
	child.stderr_fd = 999;
	errno = 0;
	assert_int_equal(proc_spawn(&child), -1);
	assert_int_equal(errno, EBADF);
}

/* An exec failure leaves the caller's descriptor open: it is the caller's. */
static void test_spawn_exec_failure_keeps_output_fd(void **state)
{
	static const char *const argv[] = {"/nonexistent-dir/program", NULL};
	struct proc_signals signals;
	struct proc_child child = PROC_CHILD_INIT;
	int fds[2];
	char out[16];

	(void)state;
	current_signals(&signals);
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	child.argv = argv;
	child.signals = &signals;
	child.stdout_fd = fds[1];
	errno = 0;
	assert_int_equal(proc_spawn(&child), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(child.failed, PROC_FAILED_EXEC);
	assert_true(fcntl(fds[1], F_GETFD) >= 0);
	close(fds[1]);
	read_to_end(fds[0], out, sizeof(out));
	assert_string_equal(out, "");
}

/* SigBlk and SigIgn of a status file, as text. */
static int status_fields(const char *status, char *blk, char *ign, size_t size)
{
	const char *b = strstr(status, "SigBlk:"), *i = strstr(status, "SigIgn:");

	if (!b || !i)
		return -1;
	snprintf(blk, size, "%.*s", (int)strcspn(b, "\n"), b);
	snprintf(ign, size, "%.*s", (int)strcspn(i, "\n"), i);
	return 0;
}

static int read_own_status(char *out, size_t size)
{
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	size_t used = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while ((n = read(fd, out + used, size - 1 - used)) > 0)
		used += (size_t)n;
	out[used] = '\0';
	close(fd);
	return 0;
}

static void on_signal_noop(int signo)
{
	(void)signo;
}

/* The child gets the mask and SIGTTIN/SIGTTOU dispositions this process had
 * before proc_signals_block(), not the blocked ones. */
static const char *check_child_gets_original_signals(void)
{
	static const char *const argv[] = {"grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status", NULL};
	struct sigaction ignore = {.sa_handler = SIG_IGN}, dfl = {.sa_handler = SIG_DFL};
	struct sigaction handler = {.sa_handler = on_signal_noop};
	struct proc_signals signals;
	char before[4096], during[4096], out[1024];
	char blk_before[128], ign_before[128], blk_during[128], ign_during[128], blk_child[128], ign_child[128];
	sigset_t extra, now;
	int status;

	/* A mask and dispositions worth restoring: SIGUSR2 and SIGWINCH
	 * blocked, SIGTTOU and SIGSYS ignored, SIGTTIN default. */
	sigemptyset(&extra);
	sigaddset(&extra, SIGUSR2);
	sigaddset(&extra, SIGWINCH);
	CHECK(sigprocmask(SIG_BLOCK, &extra, NULL) == 0);
	CHECK(sigaction(SIGTTOU, &ignore, NULL) == 0);
	CHECK(sigaction(SIGTTIN, &dfl, NULL) == 0);
	CHECK(sigaction(SIGSYS, &ignore, NULL) == 0);
	CHECK(read_own_status(before, sizeof(before)) == 0);
	CHECK(status_fields(before, blk_before, ign_before, sizeof(blk_before)) == 0);

	CHECK(proc_signals_block(&signals) == 0);
	/* As the supervisor does: a handler for a fault signal. exec resets
	 * handlers to the default, but the child must get SIGSYS ignored. */
	CHECK(sigaction(SIGSYS, &handler, NULL) == 0);
	CHECK(read_own_status(during, sizeof(during)) == 0);
	CHECK(status_fields(during, blk_during, ign_during, sizeof(blk_during)) == 0);
	CHECK(strcmp(blk_during, blk_before) != 0); /* or the test proves nothing */
	CHECK(strcmp(ign_during, ign_before) != 0); /* SIGTTIN is ignored now */

	CHECK(spawn_capture(argv, &signals, out, sizeof(out), &status) == 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(status_fields(out, blk_child, ign_child, sizeof(blk_child)) == 0);
	CHECK(strcmp(blk_child, blk_before) == 0);
	CHECK(strcmp(ign_child, ign_before) == 0);

	/* This process is still blocked after the spawn. */
	CHECK(sigprocmask(SIG_BLOCK, NULL, &now) == 0);
	CHECK(sigismember(&now, SIGTERM));
	return NULL;
}

static void test_spawn_restores_original_signals(void **state)
{
	(void)state;
	run_forked(check_child_gets_original_signals);
}

static const char *check_take_terminal_without_terminal(void)
{
	static const char *const argv[] = {"sh", "-c", "exit 4", NULL};
	struct proc_signals signals;
	struct proc_child child = PROC_CHILD_INIT;
	int devnull = open("/dev/null", O_RDONLY), status;

	CHECK(devnull >= 0 && dup2(devnull, STDIN_FILENO) == STDIN_FILENO);
	CHECK(proc_signals_block(&signals) == 0);
	child.argv = argv;
	child.signals = &signals;
	child.new_process_group = true;
	child.take_terminal = true;
	CHECK(proc_spawn(&child) == 0);
	CHECK(waitpid(child.pid, &status, 0) == child.pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 4);
	return NULL;
}

static void test_spawn_take_terminal_without_terminal(void **state)
{
	(void)state;
	run_forked(check_take_terminal_without_terminal);
}

/* ---- proc_signals_block / proc_signals_restore ---- */

static const char *check_block_and_restore(void)
{
	struct proc_signals signals;
	struct sigaction action;
	sigset_t original, now, extra;

	sigemptyset(&extra);
	sigaddset(&extra, SIGUSR2);
	CHECK(sigprocmask(SIG_SETMASK, &extra, &original) == 0);
	CHECK(proc_signals_block(&signals) == 0);

	CHECK(sigprocmask(SIG_BLOCK, NULL, &now) == 0);
	for (int signo = 1; signo <= SIGRTMAX; signo++) {
		if (signo == SIGKILL || signo == SIGSTOP || (signo > 31 && signo < SIGRTMIN))
			continue;
		if (proc_is_fault_signal(signo)) {
			CHECK(!sigismember(&now, signo));
			CHECK(!sigismember(&signals.blocked, signo));
		} else {
			CHECK(sigismember(&now, signo));
			CHECK(sigismember(&signals.blocked, signo));
		}
	}
	CHECK(sigismember(&signals.original_mask, SIGUSR2));
	CHECK(!sigismember(&signals.original_mask, SIGTERM));
	CHECK(sigaction(SIGTTIN, NULL, &action) == 0 && action.sa_handler == SIG_IGN);
	CHECK(sigaction(SIGTTOU, NULL, &action) == 0 && action.sa_handler == SIG_IGN);

	proc_signals_restore(&signals);
	CHECK(sigprocmask(SIG_BLOCK, NULL, &now) == 0);
	CHECK(sigismember(&now, SIGUSR2));
	CHECK(!sigismember(&now, SIGTERM));
	CHECK(!sigismember(&now, SIGCHLD));
	CHECK(sigaction(SIGTTIN, NULL, &action) == 0 && action.sa_handler == SIG_DFL);
	CHECK(sigaction(SIGTTOU, NULL, &action) == 0 && action.sa_handler == SIG_DFL);
	return NULL;
}

static void test_block_and_restore(void **state)
{
	(void)state;
	run_forked(check_block_and_restore);
}

static void test_fault_signals(void **state)
{
	static const int faults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS};
	static const int others[] = {SIGTERM, SIGINT,  SIGQUIT, SIGHUP,  SIGCHLD,  SIGUSR1, SIGUSR2,
	                             SIGPIPE, SIGALRM, SIGKILL, SIGSTOP, SIGWINCH, 0,       -1};

	(void)state;
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		assert_true(proc_is_fault_signal(faults[i]));
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		assert_false(proc_is_fault_signal(others[i]));
	assert_false(proc_is_fault_signal(SIGRTMIN));
	assert_false(proc_is_fault_signal(SIGRTMAX));
}

/* ---- proc_exec ---- */

static const char *check_exec_failure_keeps_signals_blocked(void)
{
	static const char *const missing[] = {"/nonexistent-dir/program", NULL};
	static const char *const missing_in_path[] = {"pe-test-no-such-program", NULL};
	char file[] = "/tmp/pe-test-proc-data-XXXXXX";
	const char *not_executable[] = {file, NULL};
	struct proc_signals signals;
	sigset_t now;
	int fd, exec_errno, rc;

	CHECK(proc_signals_block(&signals) == 0);
	errno = 0;
	CHECK(proc_exec(missing, &signals, NULL, NULL) == -1);
	CHECK(errno == ENOENT);
	CHECK(sigprocmask(SIG_BLOCK, NULL, &now) == 0 && sigismember(&now, SIGTERM));
	errno = 0;
	CHECK(proc_exec(missing_in_path, &signals, NULL, NULL) == -1);
	CHECK(errno == ENOENT);
	CHECK(sigprocmask(SIG_BLOCK, NULL, &now) == 0 && sigismember(&now, SIGTERM));

	/* execve itself fails here: the mask is blocked again afterwards. */
	fd = mkstemp(file);
	CHECK(fd >= 0);
	CHECK(write(fd, "#!/bin/sh\n", 10) == 10);
	close(fd);
	CHECK(chmod(file, 0644) == 0);
	errno = 0;
	rc = proc_exec(not_executable, &signals, NULL, NULL);
	exec_errno = errno;
	unlink(file);
	CHECK(rc == -1);
	CHECK(exec_errno == EACCES);
	CHECK(sigprocmask(SIG_BLOCK, NULL, &now) == 0 && sigismember(&now, SIGTERM));
	return NULL;
}

static void test_exec_failure(void **state)
{
	(void)state;
	run_forked(check_exec_failure_keeps_signals_blocked);
}

static void test_exec_replaces_process_with_original_signals(void **state)
{
	static const char *const argv[] = {"sh", "-c", "grep -q '^SigBlk:[[:space:]]*0*$' /proc/self/status && exit 6",
	                                   NULL};
	struct proc_signals signals;
	sigset_t none;
	pid_t pid;
	int status;

	(void)state;
	fflush(stdout);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (proc_signals_block(&signals) < 0)
			_exit(90);
		proc_exec(argv, &signals, NULL, NULL);
		_exit(91);
	}
	status = wait_status(pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 6);
}

/* ---- proc_signal_name ---- */

static void test_signal_names(void **state)
{
	char buf[32];
	char expected[32];

	(void)state;
	assert_ptr_equal(proc_signal_name(SIGTERM, buf, sizeof(buf)), buf);
	assert_string_equal(buf, "SIGTERM");
	assert_string_equal(proc_signal_name(SIGKILL, buf, sizeof(buf)), "SIGKILL");
	assert_string_equal(proc_signal_name(SIGCHLD, buf, sizeof(buf)), "SIGCHLD");
	assert_string_equal(proc_signal_name(SIGUSR1, buf, sizeof(buf)), "SIGUSR1");
	assert_string_equal(proc_signal_name(SIGHUP, buf, sizeof(buf)), "SIGHUP");
	assert_string_equal(proc_signal_name(SIGRTMIN + 3, buf, sizeof(buf)), "SIGRTMIN+3");
	snprintf(expected, sizeof(expected), "SIGRTMIN+%d", SIGRTMAX - SIGRTMIN);
	assert_string_equal(proc_signal_name(SIGRTMAX, buf, sizeof(buf)), expected);
	assert_string_equal(proc_signal_name(99, buf, sizeof(buf)), "signal 99");
	assert_string_equal(proc_signal_name(0, buf, sizeof(buf)), "signal 0");
	assert_string_equal(proc_signal_name(-5, buf, sizeof(buf)), "signal -5");
	snprintf(expected, sizeof(expected), "signal %d", SIGRTMAX + 1);
	assert_string_equal(proc_signal_name(SIGRTMAX + 1, buf, sizeof(buf)), expected);
}

static void test_signal_name_small_buffer(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	assert_string_equal(proc_signal_name(SIGRTMIN + 3, buf, 5), "SIGR");
	assert_int_equal(buf[5], 'x');
}

/* The watched child and any other are reaped in one call, without blocking. */
static void test_reap_watched_and_others(void **state)
{
	pid_t watched;
	pid_t other;
	int status = -1;
	unsigned others = 99;
	siginfo_t info;

	(void)state;
	assert_false(proc_reap(12345678, &status, &others));
	assert_int_equal(others, 0);
	watched = fork();
	assert_true(watched >= 0);
	if (watched == 0)
		_exit(7);
	other = fork();
	assert_true(other >= 0);
	if (other == 0)
		_exit(0);
	/* Both ended, neither reaped: WNOWAIT leaves them for proc_reap. */
	assert_int_equal(waitid(P_PID, (id_t)watched, &info, WEXITED | WNOWAIT), 0);
	assert_int_equal(waitid(P_PID, (id_t)other, &info, WEXITED | WNOWAIT), 0);
	assert_true(proc_reap(watched, &status, &others));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 7);
	assert_int_equal(others, 1);
	/* Nothing left: a second call finds nothing. */
	assert_false(proc_reap(watched, &status, &others));
	assert_int_equal(others, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TEST(test_reap_watched_and_others),
	    TEST(test_find_with_slash_is_taken_as_is),
	    TEST(test_find_too_long),
	    TEST(test_find_empty_name),
	    TEST(test_find_in_path),
	    TEST(test_find_empty_path_entry_is_cwd),
	    TEST(test_find_without_path),
	    TEST(test_spawn_missing_program),
	    TEST(test_spawn_not_executable),
	    TEST(test_spawn_not_executable_in_path),
	    TEST(test_spawn_exec_errors_come_back),
	    TEST(test_spawn_exit_status),
	    TEST(test_spawn_searches_path),
	    TEST(test_spawn_passes_argv_and_environment),
	    TEST(test_spawn_new_process_group),
	    TEST(test_spawn_same_process_group),
	    TEST(test_spawn_new_group_seen_by_child),
	    TEST(test_spawn_envp_is_the_whole_environment),
	    TEST(test_spawn_envp_empty),
	    TEST(test_spawn_envp_lookup_uses_own_path),
	    TEST(test_spawn_stdout_and_stderr_fds),
	    TEST(test_spawn_stdout_and_stderr_same_fd),
	    TEST(test_spawn_output_fds_not_leaked),
	    TEST(test_spawn_output_pipe_ends_with_child),
	    TEST(test_spawn_bad_output_fd),
	    TEST(test_spawn_exec_failure_keeps_output_fd),
	    TEST(test_spawn_restores_original_signals),
	    TEST(test_spawn_take_terminal_without_terminal),
	    TEST(test_block_and_restore),
	    TEST(test_fault_signals),
	    TEST(test_exec_failure),
	    TEST(test_exec_replaces_process_with_original_signals),
	    TEST(test_signal_names),
	    TEST(test_signal_name_small_buffer),
	};

	return cmocka_run_group_tests_name("proc", tests, NULL, NULL);
}
