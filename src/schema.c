#include "schema.h"

#include "dynlib.h"
#include "fdio.h"
#include "schema-js.h"
#include "schema-json.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <search.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* libcrypto, loaded on first use (see dynlib.h). */
/* clang-format off */
#define EVP_FUNCTIONS(X) \
	X(EVP_MD_CTX_new) \
	X(EVP_MD_CTX_free) \
	X(EVP_sha256) \
	X(EVP_DigestInit_ex) \
	X(EVP_DigestUpdate) \
	X(EVP_DigestFinal_ex) \
	X(OpenSSL_version)
/* clang-format on */
DYNLIB_DEFINE(evp, evp_load, "libcrypto.so.3", EVP_FUNCTIONS)

#define DEFAULT_CLIENT_OUTPUT "node_modules/.prisma/client"
/* Bytes: far more than any schema or package.json; a bound on what a start reads. */
#define SCHEMA_FILE_MAX (16 * 1024 * 1024)
#define DIGEST_FORMAT   "prisma-entrypoint schema digest 1"

static const char *const config_names[] = {
    "prisma.config.ts",   "prisma.config.js",   "prisma.config.mjs",  "prisma.config.cjs",
    "prisma.config.mts",  "prisma.config.cts",  ".config/prisma.ts",  ".config/prisma.js",
    ".config/prisma.mjs", ".config/prisma.cjs", ".config/prisma.mts", ".config/prisma.cts",
};

const char *schema_rule_name(enum schema_rule rule)
{
	switch (rule) {
	case SCHEMA_FROM_SETTING:
		return "the schema setting";
	case SCHEMA_FROM_CONFIG_FILE:
		return "prisma.config.ts";
	case SCHEMA_FROM_PACKAGE_JSON:
		return "package.json prisma.schema";
	case SCHEMA_DEFAULT_ROOT:
		return "./schema.prisma";
	case SCHEMA_DEFAULT_PRISMA_DIR:
		return "./prisma/schema.prisma";
	}
	return "?";
}

void schema_inputs_release(struct schema_inputs *inputs)
{
	free(inputs->base_dir);
	free(inputs->schema_path);
	free(inputs->config_file);
	for (size_t i = 0; i < inputs->file_count; i++)
		free(inputs->files[i]);
	free(inputs->files);
	free(inputs->prisma_version);
	free(inputs->client_version);
	free(inputs->generator_output);
	memset(inputs, 0, sizeof(*inputs));
}

/* ---- small helpers ---------------------------------------------------- */

static char *copy_text(const char *text, size_t len)
{
	char *copy = malloc(len + 1);

	if (copy) {
		memcpy(copy, text, len);
		copy[len] = '\0';
	}
	return copy;
}

static void set_oom(char *error, size_t error_size)
{
	snprintf(error, error_size, "out of memory");
}

/* The lexical normalization of dir/rel (rel alone when absolute or dir is
 * empty), as Node's path.resolve() does it: no "." components, "x/.." pairs
 * removed, no trailing slash; "." for nothing. Leading ".." components of a
 * relative path stay; ".." at the root of an absolute path is dropped. */
static char *path_resolve(const char *dir, const char *rel)
{
	size_t dir_len = rel[0] == '/' ? 0 : strlen(dir);
	size_t total = dir_len + 1 + strlen(rel);
	char *joined = malloc(total + 1);
	char *out = malloc(total + 2);

	if (!joined || !out) {
		free(joined);
		free(out);
		return NULL;
	}
	snprintf(joined, total + 1, "%.*s%s%s", (int)dir_len, dir, dir_len ? "/" : "", rel);

	bool absolute = joined[0] == '/';
	size_t len = 0, fixed = 0; /* fixed: the prefix of leading ".." that cannot be removed */
	if (absolute)
		out[len++] = '/', fixed = 1;
	for (const char *p = joined; *p;) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* empty or "." */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (len > fixed) {
				while (len > fixed && out[len - 1] != '/')
					len--;
				if (len > fixed)
					len--; /* the slash before the removed component */
				else if (len == fixed && absolute)
					len = 1;
			} else if (!absolute) {
				if (len)
					out[len++] = '/';
				memcpy(out + len, "..", 2);
				len += 2;
				fixed = len;
			}
		} else {
			if (len && out[len - 1] != '/')
				out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	if (len == 0)
		out[len++] = '.';
	out[len] = '\0';
	free(joined);
	return out;
}

/* The folder part of a relative or absolute path: "" for "schema.prisma". */
static char *path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return copy_text("", 0);
	if (slash == path)
		return copy_text("/", 1);
	return copy_text(path, (size_t)(slash - path));
}

/* The bytes of the file read last, and the stop check every read and every
 * folder entry asks first. */
struct buffer {
	char *data;
	size_t len, cap;
	struct schema_stop *stop; /* NULL: never stop */
};

/* Whether a stop was requested; records it in the stop for the caller. */
static bool stop_requested(struct buffer *buf)
{
	struct schema_stop *stop = buf->stop;

	if (stop && stop->should_stop && !stop->stopped && stop->should_stop(stop->arg))
		stop->stopped = true;
	return stop && stop->stopped;
}

/* Reads the regular file at path (relative to dirfd), at most
 * SCHEMA_FILE_MAX bytes, into buf, replacing its contents: the size fstat()
 * reports (bytes appended meanwhile are not read). A NUL follows the bytes.
 * Returns 0, or -1 with a one-line error and errno kept from open() (ENOENT
 * for a file that does not exist). */
static int read_file_at(int dirfd, const char *path, struct buffer *buf, char *error, size_t error_size)
{
	struct stat st;
	size_t want;
	int fd;

	if (stop_requested(buf)) {
		snprintf(error, error_size, "stopped while reading %s", path);
		errno = ECANCELED;
		return -1;
	}
	switch (fdio_open_regular(dirfd, path, SCHEMA_FILE_MAX, &fd, &st)) {
	case FDIO_OPENED:
		break;
	case FDIO_FAILED: {
		int failure = errno;

		snprintf(error, error_size, "cannot read %s: %s", path, strerror(failure));
		errno = failure;
		return -1;
	}
	case FDIO_NOT_REGULAR:
		snprintf(error, error_size, "cannot read %s: not a regular file", path);
		errno = EINVAL;
		return -1;
	case FDIO_TOO_LARGE:
		snprintf(error, error_size, "cannot read %s: %lld bytes, more than the %d MiB prisma-entrypoint reads",
		         path, (long long)st.st_size, SCHEMA_FILE_MAX >> 20);
		errno = EFBIG;
		return -1;
	}
	want = (size_t)st.st_size + 1;
	if (buf->cap < want) {
		char *data = realloc(buf->data, want);

		if (!data) {
			set_oom(error, error_size);
			close(fd);
			errno = ENOMEM;
			return -1;
		}
		buf->data = data;
		buf->cap = want;
	}
	buf->len = 0;
	while (buf->len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf->data + buf->len, (size_t)st.st_size - buf->len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(error, error_size, "cannot read %s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break; /* shrunk meanwhile: what is there */
		buf->len += (size_t)n;
	}
	buf->data[buf->len] = '\0';
	close(fd);
	return 0;
}

/* 1 when path exists (following links) and fills st; 0 when it does not;
 * -1 on another error, with errno. */
static int stat_at(int dirfd, const char *path, struct stat *st)
{
	if (fstatat(dirfd, path, st, 0) == 0)
		return 1;
	return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
}

/* ---- folders ------------------------------------------------------------ */

struct file_list {
	char **items;
	size_t count, cap;
};

static int list_add(struct file_list *list, char *item)
{
	if (!item)
		return -1;
	if (list->count == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 16;
		char **items = realloc(list->items, cap * sizeof(*items));

		if (!items) {
			free(item);
			return -1;
		}
		list->items = items;
		list->cap = cap;
	}
	list->items[list->count++] = item;
	return 0;
}

static void list_release_items(struct file_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i]);
	free(list->items);
	*list = (struct file_list){0};
}

static int compare_paths(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The folders a walk has entered, by device and inode: each is walked once,
 * however many links lead to it (folders that link to each other would
 * otherwise be walked once per path, factorially many). A search tree
 * (tsearch): a walk may enter tens of thousands of folders. */
struct folder_id {
	dev_t dev;
	ino_t ino;
};

struct visited {
	void *root;
};

static int compare_folder_ids(const void *a, const void *b)
{
	const struct folder_id *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* 1 when (dev, ino) was entered before, 0 when it is now recorded, -1 when
 * out of memory. */
static int visit(struct visited *visited, dev_t dev, ino_t ino)
{
	struct folder_id *id = malloc(sizeof(*id));
	struct folder_id *const *found;

	if (!id)
		return -1;
	*id = (struct folder_id){.dev = dev, .ino = ino};
	found = tsearch(id, &visited->root, compare_folder_ids);
	if (!found) {
		free(id);
		return -1;
	}
	if (*found != id) {
		free(id);
		return 1;
	}
	return 0;
}

static void visited_release(struct visited *visited)
{
	tdestroy(visited->root, free);
	visited->root = NULL;
}

/* A name Prisma takes: path.extname(name) is ".prisma" (not ".prisma" alone,
 * whose leading dot is no extension). */
static bool is_prisma_file_name(const char *name)
{
	size_t len = strlen(name);

	return len > 7 && strcmp(name + len - 7, ".prisma") == 0;
}

/* The names in folder (an open directory, closed here) but . and .., in
 * byte order, so that a folder reached by two paths is always entered by
 * the same one. */
static int read_names(DIR *dir, const char *folder, struct file_list *names, struct buffer *buf, char *error,
                      size_t error_size)
{
	const struct dirent *entry;
	int status = 0;

	while ((errno = 0, entry = readdir(dir))) {
		if (stop_requested(buf)) {
			snprintf(error, error_size, "stopped while reading the folder %s", folder);
			return -1;
		}
		if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		/* list_add() frees name when it fails, and takes NULL for a failed strdup. */
		if (list_add(names, strdup(entry->d_name)) < 0) {
			set_oom(error, error_size);
			status = -1;
			break;
		}
	}
	if (status == 0 && errno != 0) {
		snprintf(error, error_size, "cannot read the folder %s: %s", folder, strerror(errno));
		status = -1;
	}
	if (names->count > 1)
		qsort(names->items, names->count, sizeof(*names->items), compare_paths);
	return status;
}

/* Adds every .prisma file under folder (relative to base) to list. */
static int walk_folder(int base, const char *folder, struct visited *visited, struct file_list *list,
                       struct buffer *buf, char *error, size_t error_size)
{
	int fd = openat(base, folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct file_list names = {0};
	bool root = strcmp(folder, ".") == 0;
	struct stat st;
	DIR *dir;
	int status;

	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(error, error_size, "cannot read the folder %s: %s", folder, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	status = visit(visited, st.st_dev, st.st_ino);
	if (status != 0) {
		close(fd);
		if (status < 0)
			set_oom(error, error_size);
		return status < 0 ? -1 : 0; /* entered already, by another path */
	}
	if (!(dir = fdopendir(fd))) {
		snprintf(error, error_size, "cannot read the folder %s: %s", folder, strerror(errno));
		close(fd);
		return -1;
	}
	status = read_names(dir, folder, &names, buf, error, error_size);
	for (size_t i = 0; status == 0 && i < names.count; i++) {
		const char *name = names.items[i];
		size_t size = strlen(folder) + strlen(name) + 2;
		bool is_dir;
		char *path;

		if (stop_requested(buf)) {
			snprintf(error, error_size, "stopped while reading the folder %s", folder);
			status = -1;
			break;
		}
		if (fstatat(dirfd(dir), name, &st, 0) < 0)
			continue; /* a dangling link: Prisma skips it too */
		is_dir = S_ISDIR(st.st_mode);
		if (!is_dir && !(S_ISREG(st.st_mode) && is_prisma_file_name(name)))
			continue;
		if (!(path = malloc(size))) {
			set_oom(error, error_size);
			status = -1;
			break;
		}
		snprintf(path, size, "%s%s%s", root ? "" : folder, root ? "" : "/", name);
		if (is_dir) {
			status = walk_folder(base, path, visited, list, buf, error, error_size);
			free(path);
		} else if (list_add(list, path) < 0) {
			set_oom(error, error_size);
			status = -1;
		}
	}
	closedir(dir);
	list_release_items(&names);
	return status;
}

/* ---- generator blocks ----------------------------------------------------- */

/* Whether the two characters of pair start at p, before end. */
static bool at_pair(const char *p, const char *end, const char pair[2])
{
	return end - p >= 2 && p[0] == pair[0] && p[1] == pair[1];
}

enum psl_token { PSL_END, PSL_WORD, PSL_STRING, PSL_PUNCT };

/* The next token of a Prisma schema, skipping spaces and // comments. */
static enum psl_token psl_next(const char **pp, const char *end, const char **start, size_t *len)
{
	const char *p = *pp;

	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			p++;
		if (at_pair(p, end, "//")) {
			while (p < end && *p != '\n')
				p++;
			continue;
		}
		break;
	}
	*start = p;
	enum psl_token kind = PSL_PUNCT;
	if (p >= end) {
		kind = PSL_END;
	} else if (*p == '"') {
		for (p++; p < end && *p != '"' && *p != '\n'; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
		}
		if (p < end && *p == '"')
			p++;
		kind = PSL_STRING;
	} else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
	           *p == '-') {
		while (p < end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		                   *p == '_' || *p == '-'))
			p++;
		kind = PSL_WORD;
	} else {
		p++;
	}
	*len = (size_t)(p - *start);
	*pp = p;
	return kind;
}

static bool psl_is(const char *start, size_t len, const char *text)
{
	return len == strlen(text) && memcmp(start, text, len) == 0;
}

/* The contents of a string token, \" and \\ unescaped; malloc'd. */
static char *psl_string(const char *start, size_t len)
{
	char *value = malloc(len + 1);
	char *o = value;

	if (!value)
		return NULL;
	for (size_t i = 1; i < len && start[i] != '"'; i++) {
		if (start[i] == '\\' && i + 1 < len)
			i++;
		*o++ = start[i];
	}
	*o = '\0';
	return value;
}

/* Looks through one schema file (text, at path file) for a client
 * generator. Returns 1 when it has one, with *output set to its location
 * (malloc'd; NULL when it has no plain output and needs one); 0 when the
 * file has none; -1 when out of memory. */
static int find_client_generator(const struct buffer *text, const char *file, char **output)
{
	const char *p = text->data, *end = text->data + text->len;
	const char *start, *prev_start[2] = {"", ""};
	size_t len, prev_len[2] = {0, 0};
	enum psl_token kind, prev[2] = {PSL_END, PSL_END};
	int depth = 0;
	bool in_generator = false, client = false, client_js = false, output_plain = false, output_other = false;
	const char *output_start = NULL;
	size_t output_len = 0;

	*output = NULL;
	while ((kind = psl_next(&p, end, &start, &len)) != PSL_END) {
		bool assigned =
		    in_generator && depth == 1 && prev[0] == PSL_PUNCT && *prev_start[0] == '=' && prev[1] == PSL_WORD;

		if (assigned && psl_is(prev_start[1], prev_len[1], "provider")) {
			client = kind == PSL_STRING && psl_is(start, len, "\"prisma-client\"");
			client_js = kind == PSL_STRING && psl_is(start, len, "\"prisma-client-js\"");
		} else if (assigned && psl_is(prev_start[1], prev_len[1], "output")) {
			output_plain = kind == PSL_STRING;
			output_other = !output_plain;
			output_start = start;
			output_len = len;
		}
		if (kind == PSL_PUNCT && (*start == '{' || *start == '(' || *start == '[')) {
			if (*start == '{' && depth == 0 && prev[0] == PSL_WORD && prev[1] == PSL_WORD &&
			    psl_is(prev_start[1], prev_len[1], "generator")) {
				in_generator = true;
				client = client_js = output_plain = output_other = false;
			}
			depth++;
		} else if (kind == PSL_PUNCT && (*start == '}' || *start == ')' || *start == ']')) {
			if (depth > 0)
				depth--;
			if (in_generator && depth == 0) {
				in_generator = false;
				if (client || client_js)
					break;
			}
		}
		prev[1] = prev[0], prev_start[1] = prev_start[0], prev_len[1] = prev_len[0];
		prev[0] = kind, prev_start[0] = start, prev_len[0] = len;
	}
	if (!client && !client_js)
		return 0;
	if (output_plain) {
		char *value = psl_string(output_start, output_len);
		char *dir = path_dirname(file);

		if (value && dir)
			*output = path_resolve(dir, value);
		free(value);
		free(dir);
		return *output ? 1 : -1;
	}
	if (client_js && !output_other)
		return (*output = copy_text(DEFAULT_CLIENT_OUTPUT, strlen(DEFAULT_CLIENT_OUTPUT))) ? 1 : -1;
	return 1;
}

/* ---- finding ------------------------------------------------------------ */

/* The "version" of a package.json under node_modules, or NULL. */
static int read_version(int base, const char *path, char **version, struct buffer *buf, char *error, size_t error_size)
{
	static const char *const key[] = {"version"};

	*version = NULL;
	if (read_file_at(base, path, buf, error, error_size) < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	return schema_json_string(path, buf->data, buf->len, key, 1, version, error, error_size);
}

static int major_version(const char *version)
{
	return version && *version >= '0' && *version <= '9' ? atoi(version) : -1;
}

/* Fills inputs->files from inputs->schema_path (a file or a folder) and
 * inputs->generator_output from their generator blocks. */
static int collect_files(int base, struct schema_inputs *inputs, const struct stat *st, struct buffer *buf, char *error,
                         size_t error_size)
{
	struct file_list list = {0};
	const char *path = inputs->schema_path;

	if (S_ISDIR(st->st_mode)) {
		struct visited visited = {0};
		int walked = walk_folder(base, path, &visited, &list, buf, error, error_size);

		visited_release(&visited);
		if (walked < 0)
			goto fail;
		if (list.count == 0) {
			snprintf(error, error_size, "the schema folder %s (from %s) holds no .prisma file", path,
			         inputs->rule == SCHEMA_FROM_CONFIG_FILE ? inputs->config_file
			                                                 : schema_rule_name(inputs->rule));
			goto fail;
		}
		qsort(list.items, list.count, sizeof(list.items[0]), compare_paths);
	} else if (list_add(&list, copy_text(path, strlen(path))) < 0) {
		set_oom(error, error_size);
		goto fail;
	}
	inputs->files = list.items;
	inputs->file_count = list.count;

	for (size_t i = 0; i < list.count; i++) {
		if (read_file_at(base, list.items[i], buf, error, error_size) < 0)
			return -1;
		int found = find_client_generator(buf, list.items[i], &inputs->generator_output);
		if (found < 0) {
			set_oom(error, error_size);
			return -1;
		}
		if (found)
			break;
	}
	return 0;
fail:
	list_release_items(&list);
	return -1;
}

/* Takes path (malloc'd, from rule) as the schema when it exists: a file or,
 * for rules other than the defaults, a folder. Returns 1 taken, 0 absent
 * (path freed), -1 with error. */
static int take_schema(int base, struct schema_inputs *inputs, char *path, enum schema_rule rule, struct buffer *buf,
                       char *error, size_t error_size)
{
	bool is_default = rule == SCHEMA_DEFAULT_ROOT || rule == SCHEMA_DEFAULT_PRISMA_DIR;
	struct stat st;
	int found;

	if (!path) {
		set_oom(error, error_size);
		return -1;
	}
	found = stat_at(base, path, &st);
	if (found > 0 && !S_ISREG(st.st_mode) && (is_default || !S_ISDIR(st.st_mode)))
		found = is_default ? 0 : -2;
	if (found == 1) {
		inputs->schema_path = path;
		inputs->rule = rule;
		return collect_files(base, inputs, &st, buf, error, error_size) < 0 ? -1 : 1;
	}
	if (found == 0 && is_default) {
		free(path);
		return 0;
	}
	const char *from = rule == SCHEMA_FROM_CONFIG_FILE ? inputs->config_file : schema_rule_name(rule);
	if (found == 0)
		snprintf(error, error_size, "the schema %s (from %s) does not exist", path, from);
	else if (found == -2)
		snprintf(error, error_size, "the schema %s (from %s) is neither a file nor a folder", path, from);
	else
		snprintf(error, error_size, "cannot read the schema %s (from %s): %s", path, from, strerror(errno));
	free(path);
	return -1;
}

/* The Prisma config file: sets inputs->config_file, and *schema to its
 * `schema` when it has one. */
static int read_config_file(int base, struct schema_inputs *inputs, char **schema, struct buffer *buf, char *error,
                            size_t error_size)
{
	bool need_schema = schema != NULL;

	struct stat st;

	if (need_schema)
		*schema = NULL;
	for (size_t i = 0; i < sizeof(config_names) / sizeof(config_names[0]); i++) {
		int found = stat_at(base, config_names[i], &st);

		if (found == 0 || (found > 0 && !S_ISREG(st.st_mode)))
			continue;
		if (found < 0) {
			snprintf(error, error_size, "cannot read %s: %s", config_names[i], strerror(errno));
			return -1;
		}
		if (read_file_at(base, config_names[i], buf, error, error_size) < 0)
			return -1;
		if (!(inputs->config_file = copy_text(config_names[i], strlen(config_names[i])))) {
			set_oom(error, error_size);
			return -1;
		}
		if (!need_schema)
			return 0;
		char *value;
		int status = schema_config_value(buf->data, buf->len, &value);
		if (status < 0) {
			snprintf(error, error_size,
			         "%s: `schema` is not a plain string literal, which prisma-entrypoint cannot "
			         "evaluate; set the schema setting to the schema's path",
			         config_names[i]);
			return -1;
		}
		if (status > 0) {
			char *dir = path_dirname(config_names[i]);

			*schema = dir ? path_resolve(dir, value) : NULL;
			free(dir);
			free(value);
			if (!*schema) {
				set_oom(error, error_size);
				return -1;
			}
		}
		return 0;
	}
	return 0;
}

/* package.json "prisma"."schema", or NULL. */
static int read_package_schema(int base, char **schema, struct buffer *buf, char *error, size_t error_size)
{
	static const char *const key[] = {"prisma", "schema"};
	char *value;

	*schema = NULL;
	if (read_file_at(base, "package.json", buf, error, error_size) < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	if (schema_json_string("package.json", buf->data, buf->len, key, 2, &value, error, error_size) < 0)
		return -1;
	if (value) {
		*schema = path_resolve("", value);
		free(value);
		if (!*schema) {
			set_oom(error, error_size);
			return -1;
		}
	}
	return 0;
}

static int find_in(int base, const char *configured, struct schema_inputs *inputs, struct buffer *buf, char *error,
                   size_t error_size)
{
	char *path = NULL;
	int found;

	if (read_version(base, "node_modules/prisma/package.json", &inputs->prisma_version, buf, error, error_size) <
	        0 ||
	    read_version(base, "node_modules/@prisma/client/package.json", &inputs->client_version, buf, error,
	                 error_size) < 0)
		return -1;
	/* The config file counts in the digest even when the schema comes from
	 * the setting, so it is always looked for; its `schema` is then unused. */
	if (configured && !*configured)
		configured = NULL;
	if (read_config_file(base, inputs, configured ? NULL : &path, buf, error, error_size) < 0)
		return -1;
	if (configured) {
		return take_schema(base, inputs, path_resolve("", configured), SCHEMA_FROM_SETTING, buf, error,
		                   error_size);
	}
	if (path)
		return take_schema(base, inputs, path, SCHEMA_FROM_CONFIG_FILE, buf, error, error_size);
	if (major_version(inputs->prisma_version) < 7) {
		if (read_package_schema(base, &path, buf, error, error_size) < 0)
			return -1;
		if (path)
			return take_schema(base, inputs, path, SCHEMA_FROM_PACKAGE_JSON, buf, error, error_size);
	}
	found = take_schema(base, inputs, copy_text("schema.prisma", 13), SCHEMA_DEFAULT_ROOT, buf, error, error_size);
	if (found != 0)
		return found;
	return take_schema(base, inputs, copy_text("prisma/schema.prisma", 20), SCHEMA_DEFAULT_PRISMA_DIR, buf, error,
	                   error_size);
}

int schema_find(const char *base_dir, const char *configured, struct schema_inputs *inputs, struct schema_stop *stop,
                char *error, size_t error_size)
{
	struct buffer buf = {.stop = stop};
	int base, found;

	memset(inputs, 0, sizeof(*inputs));
	base = open(base_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (base < 0) {
		snprintf(error, error_size, "cannot open the working directory %s: %s", base_dir, strerror(errno));
		return -1;
	}
	found = find_in(base, configured, inputs, &buf, error, error_size);
	close(base);
	free(buf.data);
	if (found == 1 && !(inputs->base_dir = copy_text(base_dir, strlen(base_dir)))) {
		set_oom(error, error_size);
		found = -1;
	}
	if (found != 1)
		schema_inputs_release(inputs);
	if (found < 0 && stop && stop->stopped)
		return SCHEMA_STOPPED;
	return found;
}

/* ---- the digest ------------------------------------------------------------ */

/* One field: a tag byte, the length as 8 bytes big-endian (all ones for an
 * absent value), the bytes. */
static int digest_field(EVP_MD_CTX *ctx, char tag, const void *data, size_t len)
{
	unsigned char head[9];
	uint64_t n = data ? (uint64_t)len : UINT64_MAX;

	head[0] = (unsigned char)tag;
	for (int i = 0; i < 8; i++)
		head[1 + i] = (unsigned char)(n >> (56 - 8 * i));
	if (evp.EVP_DigestUpdate(ctx, head, sizeof(head)) != 1)
		return -1;
	return data && len ? (evp.EVP_DigestUpdate(ctx, data, len) == 1 ? 0 : -1) : 0;
}

static int digest_text(EVP_MD_CTX *ctx, char tag, const char *text)
{
	return digest_field(ctx, tag, text, text ? strlen(text) : 0);
}

static int digest_file(EVP_MD_CTX *ctx, int base, char path_tag, char data_tag, const char *path, struct buffer *buf,
                       char *error, size_t error_size)
{
	if (read_file_at(base, path, buf, error, error_size) < 0)
		return -1;
	if (digest_text(ctx, path_tag, path) < 0 || digest_field(ctx, data_tag, buf->data, buf->len) < 0) {
		snprintf(error, error_size, "SHA-256 failed");
		return -1;
	}
	return 0;
}

int schema_digest_library_version(char *out, size_t out_size)
{
	if (evp_load(out, out_size) < 0)
		return -1;
	snprintf(out, out_size, "%s", evp.OpenSSL_version(OPENSSL_VERSION));
	return 0;
}

int schema_digest(const struct schema_inputs *inputs, char hex[65], struct schema_stop *stop, char *error,
                  size_t error_size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	struct buffer buf = {.stop = stop};
	EVP_MD_CTX *ctx;
	int base, status = -1;

	hex[0] = '\0';
	if (evp_load(error, error_size) < 0)
		return -1;
	base = open(inputs->base_dir ? inputs->base_dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (base < 0) {
		snprintf(error, error_size, "cannot open the working directory %s: %s",
		         inputs->base_dir ? inputs->base_dir : ".", strerror(errno));
		return -1;
	}
	if (!(ctx = evp.EVP_MD_CTX_new()) || evp.EVP_DigestInit_ex(ctx, evp.EVP_sha256(), NULL) != 1 ||
	    digest_text(ctx, 'H', DIGEST_FORMAT) < 0) {
		snprintf(error, error_size, "SHA-256 is not available");
		goto done;
	}
	for (size_t i = 0; i < inputs->file_count; i++) {
		if (digest_file(ctx, base, 'P', 'F', inputs->files[i], &buf, error, error_size) < 0)
			goto done;
	}
	if (inputs->config_file) {
		if (digest_file(ctx, base, 'C', 'c', inputs->config_file, &buf, error, error_size) < 0)
			goto done;
	} else if (digest_text(ctx, 'C', NULL) < 0) {
		goto hash_failed;
	}
	if (digest_text(ctx, 'V', inputs->prisma_version) < 0 || digest_text(ctx, 'v', inputs->client_version) < 0 ||
	    evp.EVP_DigestFinal_ex(ctx, md, &md_len) != 1 || md_len != 32)
		goto hash_failed;
	for (unsigned int i = 0; i < md_len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	status = 0;
	goto done;
hash_failed:
	snprintf(error, error_size, "SHA-256 failed");
done:
	evp.EVP_MD_CTX_free(ctx);
	close(base);
	free(buf.data);
	if (status < 0 && stop && stop->stopped)
		return SCHEMA_STOPPED;
	return status;
}
