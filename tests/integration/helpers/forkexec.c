/*
 * forkexec: run a command as a child and wait for it, touching nothing else.
 *
 *     forkexec CMD [ARGS...]
 *
 * fork(), execvp(CMD) in the child, waitpid() in the parent; exits with the child's status (or
 * 128+N when it died of signal N). No signal mask, disposition, process group or file descriptor
 * is changed, so CMD (a grandchild of whoever started forkexec) shows in /proc/self/status exactly
 * the signal state forkexec inherited. Shells are no use for this: dash clears the signal mask at
 * start-up and execs a lone command without forking.
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: forkexec CMD [ARGS...]\n");
		return 64;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("forkexec: fork");
		return 71;
	}
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		perror("forkexec: exec");
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0) {
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
