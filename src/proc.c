#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* proc_signal_children(): how many children it signals and reaps at most,
 * and how long it waits for them to end. */
#define PROC_SIGNALLED_MAX     64
#define PROC_SIGNALLED_WAIT_MS 1000

extern char **environ;

static const int fault_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS};

/* Whose dispositions are saved at start and restored in every child. */
static const int changed_signals[PROC_CHANGED_SIGNALS] = {SIGTTIN, SIGTTOU, SIGSEGV, SIGBUS, SIGFPE,
                                                          SIGILL,  SIGABRT, SIGTRAP, SIGSYS};

bool proc_is_stop_signal(int signo)
{
	return signo == SIGTERM || signo == SIGINT || signo == SIGQUIT;
}

int proc_pending_stop_signal(void)
{
	sigset_t pending;

	/* The lowest pending one, as a walk from 1 would find it (asked between
	 * steps of every long job: not a walk over every signal). */
	static const int stop_signals[] = {SIGINT, SIGQUIT, SIGTERM};

	if (sigpending(&pending) < 0)
		return 0;
	for (size_t i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		if (sigismember(&pending, stop_signals[i]))
			return stop_signals[i];
	return 0;
}

bool proc_is_fault_signal(int signo)
{
	for (size_t i = 0; i < sizeof(fault_signals) / sizeof(fault_signals[0]); i++)
		if (fault_signals[i] == signo)
			return true;
	return false;
}

int proc_signals_block(struct proc_signals *signals)
{
	struct sigaction ignore = {.sa_handler = SIG_IGN};

	for (size_t i = 0; i < PROC_CHANGED_SIGNALS; i++)
		if (sigaction(changed_signals[i], NULL, &signals->original_actions[i]) < 0)
			return -1;
	sigfillset(&signals->blocked);
	/* A fault raised by our own code must kill us, not wait in a queue. */
	for (size_t i = 0; i < sizeof(fault_signals) / sizeof(fault_signals[0]); i++)
		sigdelset(&signals->blocked, fault_signals[i]);
	if (sigprocmask(SIG_SETMASK, &signals->blocked, &signals->original_mask) < 0)
		return -1;
	/* Ignored and blocked: a blocked signal is still queued (so one sent by
	 * kill(1) is forwarded), while the terminal driver treats it as ignored
	 * and lets this process touch the terminal from the background. */
	if (sigaction(SIGTTIN, &ignore, NULL) < 0 || sigaction(SIGTTOU, &ignore, NULL) < 0)
		return -1;
	return 0;
}

void proc_signals_restore(const struct proc_signals *signals)
{
	for (size_t i = 0; i < PROC_CHANGED_SIGNALS; i++)
		sigaction(changed_signals[i], &signals->original_actions[i], NULL);
	sigprocmask(SIG_SETMASK, &signals->original_mask, NULL);
}

int proc_find_program(const char *name, char *out, size_t out_size)
{
	const char *path = getenv("PATH");
	bool found_unexecutable = false;

	if (!*name) {
		errno = ENOENT;
		return -1;
	}
	if (strchr(name, '/')) {
		if ((size_t)snprintf(out, out_size, "%s", name) >= out_size) {
			errno = ENAMETOOLONG;
			return -1;
		}
		return 0;
	}
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (path) {
		const char *end = strchr(path, ':');
		size_t dir_len = end ? (size_t)(end - path) : strlen(path);
		struct stat st;

		/* An empty entry means the current directory, as in execvp. */
		if ((size_t)snprintf(out, out_size, "%.*s%s%s", (int)dir_len, path, dir_len ? "/" : "", name) <
		        out_size &&
		    stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(out, X_OK) == 0)
				return 0;
			found_unexecutable = true;
		}
		path = end ? end + 1 : NULL;
	}
	errno = found_unexecutable ? EACCES : ENOENT;
	return -1;
}

/* Makes fd the child's target descriptor. The given descriptors are
 * close-on-exec and their dup2 copies are not; but when fd already is the
 * target (this process started with it closed), dup2 changes nothing. */
static int redirect(int fd, int target)
{
	if (fd < 0)
		return 0;
	if (fd == target)
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, target) < 0 ? -1 : 0;
}

int proc_user_apply(const struct proc_user *user)
{
	if (setgroups(user->group_count, user->groups) < 0 || setgid(user->gid) < 0 || setuid(user->uid) < 0)
		return -1;
	return 0;
}

int proc_user_try(const struct proc_user *user)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(proc_user_apply(user) < 0 ? errno & 0xff : 0);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	errno = WIFEXITED(status) ? WEXITSTATUS(status) : EPERM;
	return -1;
}

static bool names_variable(const char *var, const char *name)
{
	size_t len = strlen(name);

	return strncmp(var, name, len) == 0 && var[len] == '=';
}

static bool replaced_by_user(const char *var)
{
	return names_variable(var, "HOME") || names_variable(var, "USER") || names_variable(var, "LOGNAME");
}

/* base (NULL: environ) with user's HOME, USER and LOGNAME in place of its
 * own. Made before fork: malloc is not safe after it. The array is the
 * caller's to free; its strings are base's and user's. NULL: ENOMEM. */
static char **user_environment(char *const *base, const struct proc_user *user)
{
	size_t count = 0;
	size_t extra = 0;
	size_t used = 0;
	char **vars;

	if (!base)
		base = environ;
	while (base[count])
		count++;
	while (user->env[extra])
		extra++;
	vars = calloc(count + extra + 1, sizeof(vars[0]));
	if (!vars)
		return NULL;
	for (size_t i = 0; i < count; i++)
		if (!replaced_by_user(base[i]))
			vars[used++] = base[i];
	for (size_t i = 0; i < extra; i++)
		vars[used++] = (char *)user->env[i];
	vars[used] = NULL;
	return vars;
}

/* What the child sends back over its error pipe when it cannot exec. */
struct spawn_error {
	enum proc_failure failed;
	int error;
};

/* In the child, between fork and exec: async-signal-safe calls only. */
static void exec_in_child(const struct proc_child *child, const char *program, char *const *envp, int error_pipe)
{
	struct spawn_error report = {.failed = PROC_FAILED_EXEC};

	if (child->new_process_group)
		setpgid(0, 0);
	/* SIGTTOU is still blocked here, so taking the foreground from the
	 * background cannot stop us. Failure only means no terminal to take. */
	if (child->take_terminal)
		tcsetpgrp(STDIN_FILENO, getpid());
	if (redirect(child->stdout_fd, STDOUT_FILENO) < 0 || redirect(child->stderr_fd, STDERR_FILENO) < 0)
		report.error = errno;
	else if (child->user && proc_user_apply(child->user) < 0) {
		report.failed = PROC_FAILED_USER;
		report.error = errno;
	} else {
		proc_signals_restore(child->signals);
		execve(program, (char *const *)child->argv, envp);
		report.error = errno;
	}
	while (write(error_pipe, &report, sizeof(report)) < 0 && errno == EINTR)
		;
	_exit(127);
}

/* In the child, instead of exec: the part of this program it is to run. Not
 * async-signal-safe, nor need it be: this program has no threads. exit(),
 * not _exit(): what the function leaves is checked and flushed as at the end
 * of any run (stdio was flushed before fork, so nothing is written twice). */
static void call_in_child(const struct proc_child *child, int error_pipe)
{
	close(error_pipe);
	if (child->new_process_group)
		setpgid(0, 0);
	if (child->take_terminal)
		tcsetpgrp(STDIN_FILENO, getpid());
	exit(child->function(child->function_arg));
}

int proc_spawn(struct proc_child *child)
{
	char program[PATH_MAX];
	int error_pipe[2];
	struct spawn_error report;
	char **user_envp = NULL;
	char *const *envp = child->envp ? child->envp : environ;
	ssize_t n;

	child->failed = PROC_FAILED_NONE;
	child->pid = -1;
	/* Looked up before fork: getenv and stat need not be safe after it. */
	if (child->function) {
		fflush(NULL);
	} else if (proc_find_program(child->argv[0], program, sizeof(program)) < 0) {
		child->failed = PROC_FAILED_EXEC;
		return -1;
	}
	if (child->user && !child->function) {
		user_envp = user_environment(child->envp, child->user);
		if (!user_envp) {
			child->failed = PROC_FAILED_FORK;
			return -1;
		}
		envp = user_envp;
	}
	if (pipe2(error_pipe, O_CLOEXEC) < 0) {
		free(user_envp);
		child->failed = PROC_FAILED_FORK;
		return -1;
	}
	child->pid = fork();
	if (child->pid < 0) {
		int fork_errno = errno;

		close(error_pipe[0]);
		close(error_pipe[1]);
		free(user_envp);
		child->failed = PROC_FAILED_FORK;
		errno = fork_errno;
		return -1;
	}
	if (child->pid == 0 && child->function)
		call_in_child(child, error_pipe[1]);
	if (child->pid == 0)
		exec_in_child(child, program, envp, error_pipe[1]);
	free(user_envp);
	close(error_pipe[1]);
	/* Set the group from this side too, so that it exists as soon as
	 * fork returns here, whichever process runs first. */
	if (child->new_process_group)
		setpgid(child->pid, child->pid);
	do
		n = read(error_pipe[0], &report, sizeof(report));
	while (n < 0 && errno == EINTR);
	close(error_pipe[0]);
	if (n == (ssize_t)sizeof(report)) {
		while (waitpid(child->pid, NULL, 0) < 0 && errno == EINTR)
			;
		child->pid = -1;
		child->failed = report.failed;
		errno = report.error;
		return -1;
	}
	return 0;
}

bool proc_reap(pid_t watched, int *status, unsigned *others)
{
	bool found = false;

	*others = 0;
	for (;;) {
		int wait_status;
		pid_t pid = waitpid(-1, &wait_status, WNOHANG);

		if (pid < 0 && errno == EINTR)
			continue;
		if (pid <= 0)
			return found;
		if (pid == watched) {
			*status = wait_status;
			found = true;
		} else {
			(*others)++;
		}
	}
}

int proc_exec(const char *const *argv, const struct proc_signals *signals, const struct proc_user *user,
              enum proc_failure *failed)
{
	char program[PATH_MAX];
	char **user_envp = NULL;
	int exec_errno;

	if (failed)
		*failed = PROC_FAILED_EXEC;
	if (proc_find_program(argv[0], program, sizeof(program)) < 0)
		return -1;
	if (user) {
		user_envp = user_environment(NULL, user);
		if (!user_envp)
			return -1;
		if (proc_user_apply(user) < 0) {
			exec_errno = errno;
			free(user_envp);
			if (failed)
				*failed = PROC_FAILED_USER;
			errno = exec_errno;
			return -1;
		}
	}
	proc_signals_restore(signals);
	execve(program, (char *const *)argv, user_envp ? user_envp : environ);
	exec_errno = errno;
	sigprocmask(SIG_SETMASK, &signals->blocked, NULL);
	free(user_envp);
	errno = exec_errno;
	return -1;
}

/* The shells package managers run scripts with (dash is Debian's sh,
 * busybox Alpine's): a stop sent to one would end it by that signal, and
 * the launcher after it. */
static bool is_shell(const char *comm)
{
	static const char *const shells[] = {"sh", "dash", "bash", "ash", "busybox", "zsh"};

	for (size_t i = 0; i < sizeof(shells) / sizeof(shells[0]); i++)
		if (strcmp(comm, shells[i]) == 0)
			return true;
	return false;
}

/* From /proc/PID/stat: the name, the parent and the process group. */
static bool read_stat(pid_t pid, char *comm, size_t comm_size, pid_t *ppid, pid_t *pgrp)
{
	char path[64];
	char text[512];
	ssize_t n;
	int fd;
	const char *open_paren;
	const char *close_paren;
	int parent;
	int group;
	char state;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return false;
	text[n] = '\0';
	/* The name may hold spaces and parentheses: it ends at the last ')'. */
	open_paren = strchr(text, '(');
	close_paren = strrchr(text, ')');
	if (!open_paren || !close_paren || close_paren < open_paren ||
	    sscanf(close_paren + 1, " %c %d %d", &state, &parent, &group) != 3)
		return false;
	snprintf(comm, comm_size, "%.*s", (int)(close_paren - open_paren - 1), open_paren + 1);
	*ppid = parent;
	*pgrp = group;
	return state != 'Z';
}

int proc_signal_script(pid_t launcher, int signo)
{
	DIR *proc = opendir("/proc");
	struct dirent *entry;
	int signalled = 0;

	if (!proc)
		return 0;
	while ((entry = readdir(proc)) != NULL) {
		char comm[64];
		char *end;
		long number = strtol(entry->d_name, &end, 10);
		pid_t pid = (pid_t)number;
		pid_t ppid;
		pid_t pgrp;

		if (*end || number <= 0 || pid == launcher)
			continue;
		if (!read_stat(pid, comm, sizeof(comm), &ppid, &pgrp) || pgrp != launcher)
			continue;
		if (ppid == launcher && is_shell(comm))
			continue;
		if (kill(pid, signo) == 0)
			signalled++;
	}
	closedir(proc);
	return signalled;
}

/* Linux's signal names by number (glibc's sigabbrev_np() is not in musl). */
static const char *const signal_names[] = {
    [SIGHUP] = "HUP",       [SIGINT] = "INT",   [SIGQUIT] = "QUIT",   [SIGILL] = "ILL",   [SIGTRAP] = "TRAP",
    [SIGABRT] = "ABRT",     [SIGBUS] = "BUS",   [SIGFPE] = "FPE",     [SIGKILL] = "KILL", [SIGUSR1] = "USR1",
    [SIGSEGV] = "SEGV",     [SIGUSR2] = "USR2", [SIGPIPE] = "PIPE",   [SIGALRM] = "ALRM", [SIGTERM] = "TERM",
    [SIGSTKFLT] = "STKFLT", [SIGCHLD] = "CHLD", [SIGCONT] = "CONT",   [SIGSTOP] = "STOP", [SIGTSTP] = "TSTP",
    [SIGTTIN] = "TTIN",     [SIGTTOU] = "TTOU", [SIGURG] = "URG",     [SIGXCPU] = "XCPU", [SIGXFSZ] = "XFSZ",
    [SIGVTALRM] = "VTALRM", [SIGPROF] = "PROF", [SIGWINCH] = "WINCH", [SIGIO] = "IO",     [SIGPWR] = "PWR",
    [SIGSYS] = "SYS",
};

const char *proc_signal_name(int signo, char *buf, size_t size)
{
	const char *abbrev =
	    signo > 0 && (size_t)signo < sizeof(signal_names) / sizeof(signal_names[0]) ? signal_names[signo] : NULL;

	if (abbrev)
		snprintf(buf, size, "SIG%s", abbrev);
	else if (signo >= SIGRTMIN && signo <= SIGRTMAX)
		snprintf(buf, size, "SIGRTMIN+%d", signo - SIGRTMIN);
	else
		snprintf(buf, size, "signal %d", signo);
	return buf;
}

unsigned proc_signal_children(int signo)
{
	pid_t signalled[PROC_SIGNALLED_MAX];
	unsigned count = 0;
	unsigned left;
	char path[64];
	FILE *children;
	int child;

	/* One thread: its children are the process's. */
	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	children = fopen(path, "re");
	if (!children)
		return 0;
	while (fscanf(children, "%d", &child) == 1 && count < PROC_SIGNALLED_MAX)
		if (child > 0) {
			kill(-child, signo);
			kill(child, signo);
			signalled[count++] = child;
		}
	fclose(children);
	/* Reaped when they end within the bound (SIGKILL: at once, unless
	 * in uninterruptible sleep), so that no zombie outlives this process;
	 * the others are reaped by whoever adopts them. */
	left = count;
	for (int waited_ms = 0; left && waited_ms < PROC_SIGNALLED_WAIT_MS; waited_ms += 10) {
		for (unsigned i = 0; i < count; i++)
			if (signalled[i] > 0 && waitpid(signalled[i], NULL, WNOHANG) != 0) {
				signalled[i] = -1;
				left--;
			}
		if (left)
			usleep(10 * 1000);
	}
	return count;
}
