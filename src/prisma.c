#include "prisma.h"

#include "fdio.h"
#include "log.h"
#include "output-relay.h"
#include "value.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

#define LOCAL_CLI     "node_modules/.bin/prisma"
#define MAX_VERSIONS  64
#define VERSION_CHARS 32

static bool is_executable_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The regular file at path, open for reading its first line, or NULL: a FIFO
 * in its place must not keep the start waiting. */
static FILE *open_for_first_line(const char *path)
{
	struct stat st;
	FILE *file;
	int fd;

	/* Only a line is read: any size will do. */
	if (fdio_open_regular(AT_FDCWD, path, INT64_MAX, &fd, &st) != FDIO_OPENED)
		return NULL;
	if (!(file = fdopen(fd, "re")))
		close(fd);
	return file;
}

/* ---- Node versions installed by nvm ---- */

struct nvm_versions {
	char names[MAX_VERSIONS][VERSION_CHARS]; /* "v20.11.1", best first */
	int numbers[MAX_VERSIONS][3];
	size_t count;
};

static bool parse_version(const char *name, int numbers[3])
{
	char tail;

	return sscanf(name, "v%d.%d.%d%c", &numbers[0], &numbers[1], &numbers[2], &tail) == 3;
}

static int compare_versions_descending(const int *a, const int *b)
{
	for (int i = 0; i < 3; i++)
		if (a[i] != b[i])
			return a[i] > b[i] ? -1 : 1;
	return 0;
}

/* alias/default holds what `nvm alias default` was given: "20", "v20.11",
 * "v20.11.1", or a name such as "node" or an lts/ alias (taken as the newest). */
static bool matches_default(const char *version, const char *wanted)
{
	size_t len;

	if (*wanted == 'v')
		wanted++;
	len = strlen(wanted);
	if (len == 0 || strspn(wanted, "0123456789.") != len)
		return false;
	return strncmp(version + 1, wanted, len) == 0 && (version[1 + len] == '\0' || version[1 + len] == '.');
}

static void read_default_alias(const char *nvm_dir, char *wanted, size_t size)
{
	char path[PATH_MAX];
	FILE *file;

	*wanted = '\0';
	snprintf(path, sizeof(path), "%s/alias/default", nvm_dir);
	file = open_for_first_line(path);
	if (!file)
		return;
	if (fgets(wanted, (int)size, file))
		wanted[strcspn(wanted, " \t\r\n")] = '\0';
	fclose(file);
}

/* The versions under $NVM_DIR/versions/node, in the order nvm would pick
 * them: those matching the default alias first, each group newest first. */
static void list_nvm_versions(const char *nvm_dir, struct nvm_versions *versions)
{
	char path[PATH_MAX];
	char wanted[VERSION_CHARS];
	DIR *dir;
	struct dirent *entry;

	versions->count = 0;
	snprintf(path, sizeof(path), "%s/versions/node", nvm_dir);
	dir = opendir(path);
	if (!dir)
		return;
	while ((entry = readdir(dir)) && versions->count < MAX_VERSIONS) {
		size_t i = versions->count;
		size_t length = strlen(entry->d_name);

		if (length < VERSION_CHARS && parse_version(entry->d_name, versions->numbers[i])) {
			memcpy(versions->names[i], entry->d_name, length + 1);
			versions->count++;
		}
	}
	closedir(dir);
	read_default_alias(nvm_dir, wanted, sizeof(wanted));
	/* Insertion sort: a handful of entries. */
	for (size_t i = 1; i < versions->count; i++) {
		for (size_t j = i; j > 0; j--) {
			bool a_default = matches_default(versions->names[j - 1], wanted);
			bool b_default = matches_default(versions->names[j], wanted);
			int order = compare_versions_descending(versions->numbers[j - 1], versions->numbers[j]);

			if (a_default > b_default || (a_default == b_default && order <= 0))
				break;
			char name[VERSION_CHARS];
			int numbers[3];

			memcpy(name, versions->names[j], VERSION_CHARS);
			memcpy(numbers, versions->numbers[j], sizeof(numbers));
			memcpy(versions->names[j], versions->names[j - 1], VERSION_CHARS);
			memcpy(versions->numbers[j], versions->numbers[j - 1], sizeof(numbers));
			memcpy(versions->names[j - 1], name, VERSION_CHARS);
			memcpy(versions->numbers[j - 1], numbers, sizeof(numbers));
		}
	}
}

/* The first $NVM_DIR/versions/node/<version>/bin/<program>, best version first. */
static bool find_in_nvm(const char *nvm_dir, const char *program, char *out, size_t out_size)
{
	struct nvm_versions versions;

	list_nvm_versions(nvm_dir, &versions);
	for (size_t i = 0; i < versions.count; i++)
		if ((size_t)snprintf(out, out_size, "%s/versions/node/%s/bin/%s", nvm_dir, versions.names[i], program) <
		        out_size &&
		    is_executable_file(out))
			return true;
	return false;
}

/* ---- finding the CLI ---- */

/* A `#!/usr/bin/env node` script (also `env -S node ...`) needs node in PATH. */
static bool runs_with_env_node(const char *program)
{
	char line[256];
	FILE *file = open_for_first_line(program);
	bool env = false;
	bool node = false;

	if (!file)
		return false;
	if (fgets(line, sizeof(line), file) && strncmp(line, "#!", 2) == 0) {
		for (char *word = strtok(line + 2, " \t\r\n"); word; word = strtok(NULL, " \t\r\n")) {
			size_t len = strlen(word);

			if (!env)
				env = len >= 3 && strcmp(word + len - 3, "env") == 0 &&
				      (len == 3 || word[len - 4] == '/');
			else if (strcmp(word, "node") == 0)
				node = true;
			if (!env)
				break;
		}
	}
	fclose(file);
	return env && node;
}

/* For a CLI that needs `node` from PATH: nothing to do when PATH has one;
 * else node next to the CLI, else under $NVM_DIR. */
static int find_node(struct prisma_cli *cli, char *error, size_t error_size)
{
	char path[PATH_MAX];
	const char *nvm_dir = getenv("NVM_DIR");
	const char *search = getenv("PATH");
	char *slash;

	cli->node_dir[0] = '\0';
	if (!runs_with_env_node(cli->program) || proc_find_program("node", path, sizeof(path)) == 0)
		return 0;
	snprintf(path, sizeof(path), "%s", cli->program);
	slash = strrchr(path, '/');
	if (slash) {
		snprintf(slash + 1, sizeof(path) - (size_t)(slash + 1 - path), "node");
		if (is_executable_file(path)) {
			*slash = '\0';
			snprintf(cli->node_dir, sizeof(cli->node_dir), "%s", path);
			return 0;
		}
	}
	if (nvm_dir && *nvm_dir && find_in_nvm(nvm_dir, "node", path, sizeof(path))) {
		*strrchr(path, '/') = '\0';
		snprintf(cli->node_dir, sizeof(cli->node_dir), "%s", path);
		return 0;
	}
	snprintf(error, error_size,
	         "the prisma CLI %s (found by %s) runs with '#!/usr/bin/env node', but there is no node in PATH (%s) "
	         "nor under $NVM_DIR (%s): install Node.js, or put its bin folder in PATH",
	         cli->program, cli->found_by, search ? search : "unset", nvm_dir && *nvm_dir ? nvm_dir : "unset");
	return -1;
}

static int locate_configured(const char *configured, struct prisma_cli *cli, char *error, size_t error_size)
{
	const char *search = getenv("PATH");

	cli->found_by = "the prisma-cli setting";
	/* A path is taken as it is by proc_find_program(): check it exists. */
	if (strchr(configured, '/') && access(configured, F_OK) < 0) {
		snprintf(error, error_size, "prisma-cli '%s' not found: %s", configured, strerror(errno));
		return -1;
	}
	if (proc_find_program(configured, cli->program, sizeof(cli->program)) < 0) {
		if (strchr(configured, '/'))
			snprintf(error, error_size, "prisma-cli '%s' not found: %s", configured, strerror(errno));
		else if (errno == EACCES)
			snprintf(error, error_size, "prisma-cli '%s' found in PATH but not executable", configured);
		else
			snprintf(error, error_size, "prisma-cli '%s' not found in PATH (%s)", configured,
			         search ? search : "unset");
		return -1;
	}
	if (!is_executable_file(cli->program)) {
		snprintf(error, error_size, "prisma-cli '%s' is not an executable file (chmod +x?)", cli->program);
		return -1;
	}
	return 0;
}

int prisma_locate(const char *configured, struct prisma_cli *cli, char *error, size_t error_size)
{
	const char *nvm_dir = getenv("NVM_DIR");
	const char *search = getenv("PATH");
	char nvm_note[PATH_MAX + 64];

	*cli = (struct prisma_cli){0};
	if (configured && *configured) {
		if (locate_configured(configured, cli, error, error_size) < 0)
			return -1;
	} else if (is_executable_file(LOCAL_CLI)) {
		snprintf(cli->program, sizeof(cli->program), "%s", LOCAL_CLI);
		cli->found_by = "./" LOCAL_CLI;
	} else if (access(LOCAL_CLI, F_OK) == 0) {
		/* Another prisma from PATH could be another version: say so. */
		snprintf(error, error_size,
		         "./" LOCAL_CLI
		         " exists but is not executable: chmod +x it, reinstall prisma, or set prisma-cli");
		return -1;
	} else if (proc_find_program("prisma", cli->program, sizeof(cli->program)) == 0) {
		cli->found_by = "PATH";
	} else if (nvm_dir && *nvm_dir && find_in_nvm(nvm_dir, "prisma", cli->program, sizeof(cli->program))) {
		cli->found_by = "$NVM_DIR";
	} else {
		if (nvm_dir && *nvm_dir)
			snprintf(nvm_note, sizeof(nvm_note), "%s/versions/node/*/bin/prisma (none)", nvm_dir);
		else
			snprintf(nvm_note, sizeof(nvm_note), "$NVM_DIR (unset)");
		snprintf(error, error_size,
		         "prisma CLI not found: looked for the prisma-cli setting (unset), ./" LOCAL_CLI
		         " (missing), prisma in PATH (%s), %s; install it (npm install --save-dev prisma), or set "
		         "prisma-cli, or --no-generate if the client is generated elsewhere",
		         search ? search : "unset", nvm_note);
		return -1;
	}
	return find_node(cli, error, error_size);
}

/* ---- running it ---- */

struct child_env {
	char **vars;    /* NULL-terminated, for execve */
	char *owned[3]; /* the strings made here */
};

static bool names(const char *var, const char *name)
{
	size_t len = strlen(name);

	return strncmp(var, name, len) == 0 && var[len] == '=';
}

/* Prisma reads these as on when non-empty: an empty one is as good as unset
 * (and with CHECKPOINT_DISABLE= it would fork a telemetry process). */
static bool is_empty(const char *var, const char *name)
{
	return names(var, name) && var[strlen(name) + 1] == '\0';
}

static bool is_set(const char *name)
{
	const char *value = getenv(name);

	return value && *value;
}

static void child_env_release(struct child_env *env)
{
	free(env->vars);
	for (size_t i = 0; i < sizeof(env->owned) / sizeof(env->owned[0]); i++)
		free(env->owned[i]);
}

/* This process's environment with Prisma's update check and banner off
 * (unless set), CI=1 when unattended (whatever CI was: CI=false would let
 * Prisma prompt on a terminal), DATABASE_URL (and url_variable) as configured, and
 * path_first and NVM's node in PATH. */
static int child_env_build(const struct prisma_run_params *params, struct child_env *env)
{
	const char *path = getenv("PATH");
	size_t count = 0;
	size_t used = 0;

	*env = (struct child_env){0};
	while (environ[count])
		count++;
	env->vars = calloc(count + 7, sizeof(env->vars[0]));
	if (!env->vars)
		return -1;
	if (params->database_url && asprintf(&env->owned[0], "DATABASE_URL=%s", params->database_url) < 0) {
		env->owned[0] = NULL;
		return -1;
	}
	if ((params->cli->node_dir[0] || params->path_first) &&
	    asprintf(&env->owned[1], "PATH=%s%s%s%s%s", params->path_first ? params->path_first : "",
	             params->path_first && params->cli->node_dir[0] ? ":" : "", params->cli->node_dir,
	             path && *path ? ":" : "", path ? path : "") < 0) {
		env->owned[1] = NULL;
		return -1;
	}
	if (params->database_url && params->url_variable &&
	    asprintf(&env->owned[2], "%s=%s", params->url_variable, params->database_url) < 0) {
		env->owned[2] = NULL;
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		if ((env->owned[0] && names(environ[i], "DATABASE_URL")) ||
		    (env->owned[2] && names(environ[i], params->url_variable)) ||
		    (env->owned[1] && names(environ[i], "PATH")) || is_empty(environ[i], "CHECKPOINT_DISABLE") ||
		    is_empty(environ[i], "PRISMA_HIDE_UPDATE_MESSAGE") ||
		    (params->unattended && names(environ[i], "CI")))
			continue;
		env->vars[used++] = environ[i];
	}
	for (size_t i = 0; i < sizeof(env->owned) / sizeof(env->owned[0]); i++)
		if (env->owned[i])
			env->vars[used++] = env->owned[i];
	if (!is_set("CHECKPOINT_DISABLE"))
		env->vars[used++] = (char *)"CHECKPOINT_DISABLE=1";
	if (!is_set("PRISMA_HIDE_UPDATE_MESSAGE"))
		env->vars[used++] = (char *)"PRISMA_HIDE_UPDATE_MESSAGE=1";
	if (params->unattended)
		env->vars[used++] = (char *)"CI=1";
	env->vars[used] = NULL;
	return 0;
}

static void close_pair(int fds[2])
{
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	fds[0] = fds[1] = -1;
}

/* Watching for a CLI that lingers after its work (prisma_run_params.work_done). */
struct linger_watch {
	const struct prisma_run_params *params;
	struct child *cli;
	int timer;
	bool work_seen_done;
};

static void on_linger_timer(struct loop *loop, void *arg)
{
	struct linger_watch *watch = arg;
	const struct prisma_run_params *params = watch->params;

	watch->timer = -1;
	if (watch->cli->exited || watch->cli->result.stop_signal)
		return;
	if (watch->work_seen_done) {
		char grace[32];

		value_format_duration(params->linger_ms, grace, sizeof(grace));
		log_warning("%s finished its work %s ago but has not exited: stopping it (its work counts)",
		            watch->cli->name, grace);
		if (params->lingered)
			*params->lingered = true;
		child_stop(watch->cli, SIGTERM);
		return;
	}
	if (params->work_done(params->work_done_arg)) {
		log_verbose("%s has done its work: it has %lld ms to exit", watch->cli->name,
		            (long long)params->linger_ms);
		watch->work_seen_done = true;
		watch->timer = loop_add_timer(loop, params->linger_ms, on_linger_timer, watch);
		return;
	}
	watch->timer = loop_add_timer(loop, PRISMA_WORK_POLL_MS, on_linger_timer, watch);
}

int prisma_run(const struct prisma_run_params *params, struct child_result *result)
{
	struct child cli = CHILD_INIT;
	struct relay relays[2] = {{.fd = -1}, {.fd = -1}};
	int pipes[2][2] = {{-1, -1}, {-1, -1}};
	const char *argv[16];
	size_t argc = 0;
	struct child_env env;
	struct linger_watch linger = {.timer = -1};
	int rc;

	if (params->lingered)
		*params->lingered = false;
	argv[argc++] = params->cli->program;
	for (size_t i = 0; params->args[i]; i++) {
		if (argc == sizeof(argv) / sizeof(argv[0]) - 1) {
			*result = (struct child_result){
			    .outcome = CHILD_SPAWN_FAILED, .status = E2BIG, .failed = PROC_FAILED_EXEC};
			return -1;
		}
		argv[argc++] = params->args[i];
	}
	argv[argc] = NULL;
	if (child_env_build(params, &env) < 0) {
		child_env_release(&env);
		*result =
		    (struct child_result){.outcome = CHILD_SPAWN_FAILED, .status = ENOMEM, .failed = PROC_FAILED_FORK};
		return -1;
	}
	/* Always through relays: the CLI writing straight to our stderr would
	 * leave its unfinished lines for ours to continue ("Loading...prisma-
	 * entrypoint: ..."), and in JSON its lines would not be objects. */
	if (pipe2(pipes[0], O_CLOEXEC) < 0 || pipe2(pipes[1], O_CLOEXEC) < 0) {
		int saved = errno;

		close_pair(pipes[0]);
		close_pair(pipes[1]);
		child_env_release(&env);
		*result =
		    (struct child_result){.outcome = CHILD_SPAWN_FAILED, .status = saved, .failed = PROC_FAILED_FORK};
		return -1;
	}
	cli.argv = argv;
	cli.name = params->name ? params->name : "the prisma CLI";
	cli.signals = params->signals;
	cli.envp = env.vars;
	cli.user = params->user;
	cli.stdout_fd = pipes[0][1];
	cli.stderr_fd = pipes[1][1];
	/* A phase is stopped as a whole: only stop signals concern the CLI, and
	 * they reach everything it started (Node, its workers). What it leaves
	 * behind has nothing to finish once it is done. */
	cli.forward = CHILD_FORWARD_STOP;
	cli.signal_group = true;
	cli.leftovers = CHILD_LEFTOVERS_KILL;
	cli.stop_timeout_ms = params->stop_timeout_ms;
	if (child_start(&cli, params->loop) < 0) {
		close_pair(pipes[0]);
		close_pair(pipes[1]);
		child_env_release(&env);
		*result = cli.result;
		return -1;
	}
	child_env_release(&env);
	for (int i = 0; i < 2; i++) {
		close(pipes[i][1]);
		/* A relay that cannot start leaves that stream unread: the CLI
		 * would block on a full pipe, so close it and let writes fail. */
		if (relay_start(&relays[i], params->loop, pipes[i][0], i == 0 ? STDOUT_FILENO : STDERR_FILENO,
		                params->output_prefix, params->name ? params->name : "prisma") < 0)
			log_warning("cannot relay the output of %s: %s", cli.name, strerror(errno));
		relays[i].observe = params->on_output;
		relays[i].observe_arg = params->on_output_arg;
	}
	if (params->work_done) {
		linger.params = params;
		linger.cli = &cli;
		linger.timer = loop_add_timer(params->loop, PRISMA_WORK_POLL_MS, on_linger_timer, &linger);
	}
	rc = child_finish(&cli);
	loop_cancel_timer(params->loop, linger.timer);
	for (int i = 0; i < 2; i++)
		relay_finish(&relays[i], params->loop);
	*result = cli.result;
	return rc;
}
