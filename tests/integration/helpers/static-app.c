/*
 * static-app: a tiny program for container tests, built with `gcc -static -O2` so that it runs in a
 * FROM scratch image next to prisma-entrypoint. It only uses raw write(2) for output so that every
 * line reaches `podman logs` at once, whatever the buffering of a pipe or a log file.
 *
 * Modes (first argument; default "wait"):
 *   wait             print a ready line, then wait for signals: SIGTERM -> exit 42, SIGINT -> exit 43,
 *                    SIGHUP/SIGUSR1/SIGUSR2 -> print "static-app: got <NAME>" and keep waiting
 *   ignore-term      like wait, but SIGTERM is ignored (to see the supervisor's SIGKILL after its
 *                    stop-timeout)
 *   exit N           print the ready line, exit with status N at once
 *   raise N          print the ready line, die of signal N (default action restored first)
 *   orphans N        make N orphans that outlive their parent, wait for them to be re-parented and
 *                    exit, then count zombies in /proc: exit 0 when there are none, 3 otherwise
 *
 * The ready line reads: "static-app: ready mode=<m> pid=<p> ppid=<pp> pid1=<comm of PID 1>".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof buf - 2)
		n = sizeof buf - 2;
	buf[n++] = '\n';
	for (int off = 0; off < n;) {
		ssize_t w = write(STDOUT_FILENO, buf + off, (size_t)(n - off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += (int)w;
	}
}

static void read_comm(pid_t pid, char *out, size_t len)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	snprintf(out, len, "?");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, out, len - 1);
	close(fd);
	if (n <= 0) {
		snprintf(out, len, "?");
		return;
	}
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

static void ready(const char *mode)
{
	char comm[64];
	read_comm(1, comm, sizeof comm);
	say("static-app: ready mode=%s pid=%d ppid=%d pid1=%s", mode, (int)getpid(), (int)getppid(), comm);
}

static int parse_int(const char *s, int lo, int hi)
{
	char *end;
	errno = 0;
	long v = s ? strtol(s, &end, 10) : 0;
	if (!s || errno || *end || end == s || v < lo || v > hi) {
		say("static-app: bad number '%s' (want %d..%d)", s ? s : "", lo, hi);
		exit(2);
	}
	return (int)v;
}

static void nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static const char *signame(int sig)
{
	switch (sig) {
	case SIGHUP:
		return "SIGHUP";
	case SIGINT:
		return "SIGINT";
	case SIGTERM:
		return "SIGTERM";
	case SIGUSR1:
		return "SIGUSR1";
	case SIGUSR2:
		return "SIGUSR2";
	default:
		return "signal";
	}
}

static int wait_for_signals(int ignore_term)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	if (ignore_term)
		signal(SIGTERM, SIG_IGN);
	else
		sigaddset(&set, SIGTERM);
	/* Take the signals synchronously: no handler, no async-signal-safety questions. */
	sigprocmask(SIG_BLOCK, &set, NULL);
	ready(ignore_term ? "ignore-term" : "wait");
	for (;;) {
		int sig = sigwaitinfo(&set, NULL);
		if (sig < 0) {
			if (errno == EINTR)
				continue;
			say("static-app: sigwaitinfo: %s", strerror(errno));
			return 1;
		}
		say("static-app: got %s", signame(sig));
		if (sig == SIGTERM)
			return 42;
		if (sig == SIGINT)
			return 43;
	}
}

/* Zombies visible in /proc (our PID namespace): state 'Z' in /proc/<pid>/stat. */
static int count_zombies(void)
{
	DIR *d = opendir("/proc");
	if (!d) {
		say("static-app: cannot open /proc: %s", strerror(errno));
		return -1;
	}
	int zombies = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		char path[300], buf[512];
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		/* "pid (comm) S ..." : comm may hold spaces or parens, so look after the last ')'. */
		char *p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'Z') {
			zombies++;
			say("static-app: zombie pid=%s", e->d_name);
		}
	}
	closedir(d);
	return zombies;
}

static int make_orphans(int n)
{
	ready("orphans");
	for (int i = 0; i < n; i++) {
		pid_t mid = fork();
		if (mid < 0) {
			say("static-app: fork: %s", strerror(errno));
			return 1;
		}
		if (mid == 0) {
			pid_t leaf = fork();
			if (leaf == 0) {
				/* Outlive our parent, then exit: only the init can reap us. */
				nap_ms(200);
				_exit(0);
			}
			_exit(leaf < 0 ? 1 : 0);
		}
		int st;
		while (waitpid(mid, &st, 0) < 0 && errno == EINTR)
			;
	}
	/* The orphans exit ~200 ms from now; give the init time to reap them. */
	nap_ms(1200);
	int z = count_zombies();
	say("static-app: zombies=%d", z);
	return z == 0 ? 0 : 3;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "wait";
	const char *arg = argc > 2 ? argv[2] : NULL;

	if (strcmp(mode, "wait") == 0)
		return wait_for_signals(0);
	if (strcmp(mode, "ignore-term") == 0)
		return wait_for_signals(1);
	if (strcmp(mode, "exit") == 0) {
		int code = parse_int(arg, 0, 255);
		ready("exit");
		return code;
	}
	if (strcmp(mode, "raise") == 0) {
		int sig = parse_int(arg, 1, 64);
		ready("raise");
		signal(sig, SIG_DFL);
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(sig);
		say("static-app: still alive after signal %d", sig);
		return 1;
	}
	if (strcmp(mode, "orphans") == 0)
		return make_orphans(parse_int(arg, 1, 1000));
	say("static-app: unknown mode '%s'", mode);
	return 2;
}
