#include "schema.h"

#include "schema-js.h"
#include "schema-json.h"
#include "schema-psl.h"
#include "schema-read.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <search.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_CLIENT_OUTPUT "node_modules/.prisma/client"

const char *const schema_config_names[] = {
    "prisma.config.ts",   "prisma.config.js",   "prisma.config.mjs",  "prisma.config.cjs",
    "prisma.config.mts",  "prisma.config.cts",  ".config/prisma.ts",  ".config/prisma.js",
    ".config/prisma.mjs", ".config/prisma.cjs", ".config/prisma.mts", ".config/prisma.cts",
};
const size_t schema_config_name_count = sizeof(schema_config_names) / sizeof(schema_config_names[0]);

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

void schema_direct_urls_release(struct schema_direct_urls *urls)
{
	schema_url_ref_release(&urls->datasource);
	free(urls->datasource_file);
	schema_url_ref_release(&urls->config);
	free(urls->config_file);
	memset(urls, 0, sizeof(*urls));
}

int schema_direct_urls_copy(struct schema_direct_urls *to, const struct schema_direct_urls *from)
{
	memset(to, 0, sizeof(*to));
	if (schema_url_ref_copy(&to->datasource, &from->datasource) < 0 ||
	    schema_url_ref_copy(&to->config, &from->config) < 0 ||
	    (from->datasource_file && !(to->datasource_file = strdup(from->datasource_file))) ||
	    (from->config_file && !(to->config_file = strdup(from->config_file)))) {
		schema_direct_urls_release(to);
		return -1;
	}
	return 0;
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
	free(inputs->tsconfig_file);
	free(inputs->generator_engine_type);
	schema_direct_urls_release(&inputs->direct_urls);
	for (size_t i = 0; i < inputs->kept_count; i++) {
		free(inputs->kept[i].path);
		free(inputs->kept[i].data);
	}
	free(inputs->kept);
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
static int read_names(DIR *dir, const char *folder, struct file_list *names, struct schema_reader *buf, char *error,
                      size_t error_size)
{
	const struct dirent *entry;
	int status = 0;

	while ((errno = 0, entry = readdir(dir))) {
		if (schema_reader_stopped(buf)) {
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
                       struct schema_reader *buf, char *error, size_t error_size)
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

		if (schema_reader_stopped(buf)) {
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

/* Looks through one schema file (text, at path file) for a client
 * generator. Returns 1 when it has one, with *output set to its location
 * (malloc'd; NULL when it has no plain output and needs one) and
 * *engine_type to its engineType (malloc'd; NULL when absent); 0 when the
 * file has none; -1 when out of memory. */
static int find_client_generator(const struct schema_reader *text, const char *file, char **output, bool *typescript,
                                 char **engine_type)
{
	struct schema_generator generator;
	int found = schema_client_generator(text->data, text->len, &generator);

	*output = NULL;
	if (found <= 0)
		return found;
	*typescript = !generator.js;
	*engine_type = generator.engine_type;
	if (generator.output) {
		char *dir = path_dirname(file);

		if (dir)
			*output = path_resolve(dir, generator.output);
		free(dir);
		free(generator.output);
		return *output ? 1 : -1;
	}
	/* prisma-client-js without output writes to node_modules; prisma-client
	 * requires an output, and one that is not a plain string is unknown. */
	if (generator.js && !generator.output_given)
		return (*output = copy_text(DEFAULT_CLIENT_OUTPUT, strlen(DEFAULT_CLIENT_OUTPUT))) ? 1 : -1;
	return 1;
}

/* ---- finding ------------------------------------------------------------ */

/* The "version" of a package.json under node_modules, or NULL. */
static int read_version(int base, const char *path, char **version, struct schema_reader *buf, char *error,
                        size_t error_size)
{
	static const char *const key[] = {"version"};

	*version = NULL;
	if (schema_read_file(base, path, buf, error, error_size) < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	return schema_json_string(path, buf->data, buf->len, key, 1, version, error, error_size);
}

int schema_major_version(const char *version)
{
	return version && *version >= '0' && *version <= '9' ? atoi(version) : -1;
}

/* Keeps the bytes of path just read into buf for schema_digest(), within
 * SCHEMA_KEPT_MAX; not kept (too much, out of memory) it is read again there. */
static void keep_file(struct schema_inputs *inputs, const char *path, const struct schema_reader *buf)
{
	struct schema_kept_file file = {0};
	struct schema_kept_file *grown;

	if (buf->len > SCHEMA_KEPT_MAX - inputs->kept_bytes)
		return;
	file.path = copy_text(path, strlen(path));
	file.data = copy_text(buf->data, buf->len);
	file.len = buf->len;
	grown = file.path && file.data ? realloc(inputs->kept, (inputs->kept_count + 1) * sizeof(*grown)) : NULL;
	if (!grown) {
		free(file.path);
		free(file.data);
		return;
	}
	inputs->kept = grown;
	inputs->kept[inputs->kept_count++] = file;
	inputs->kept_bytes += buf->len;
}

/* Fills inputs->files from inputs->schema_path (a file or a folder) and
 * inputs->generator_output from their generator blocks. */
static int collect_files(int base, struct schema_inputs *inputs, const struct stat *st, struct schema_reader *buf,
                         char *error, size_t error_size)
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

	bool generator_found = false;
	for (size_t i = 0; i < list.count && !(generator_found && inputs->direct_urls.datasource.given); i++) {
		if (schema_read_file(base, list.items[i], buf, error, error_size) < 0)
			return -1;
		keep_file(inputs, list.items[i], buf);
		int found = generator_found
		                ? 1
		                : find_client_generator(buf, list.items[i], &inputs->generator_output,
		                                        &inputs->generator_typescript, &inputs->generator_engine_type);
		if (found < 0) {
			set_oom(error, error_size);
			return -1;
		}
		generator_found = found > 0;
		if (inputs->direct_urls.datasource.given)
			continue;
		found = schema_datasource_direct_url(buf->data, buf->len, &inputs->direct_urls.datasource);
		if (found < 0 || (found > 0 && !(inputs->direct_urls.datasource_file =
		                                     copy_text(list.items[i], strlen(list.items[i]))))) {
			set_oom(error, error_size);
			return -1;
		}
	}
	return 0;
fail:
	list_release_items(&list);
	return -1;
}

/* Takes path (malloc'd, from rule) as the schema when it exists: a file or,
 * for rules other than the defaults, a folder. Returns 1 taken, 0 absent
 * (path freed), -1 with error. */
static int take_schema(int base, struct schema_inputs *inputs, char *path, enum schema_rule rule,
                       struct schema_reader *buf, char *error, size_t error_size)
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

/* The names probed in the working directory when nothing says where the
 * schema is: the config file names (schema_config_names), then the default
 * schemas, 14 in all. */
#define DEFAULT_SCHEMA_ROOT      "schema.prisma"
#define DEFAULT_SCHEMA_PRISMA    "prisma/schema.prisma"
#define PROBE_DEFAULT_ROOT       12
#define PROBE_DEFAULT_PRISMA_DIR 13

static const char *probed_path(size_t i)
{
	return i < schema_config_name_count ? schema_config_names[i]
	                                    : (i == PROBE_DEFAULT_ROOT ? DEFAULT_SCHEMA_ROOT : DEFAULT_SCHEMA_PRISMA);
}

/* After the first probed name that is not there, one readdir of the
 * working directory says which of the others may be: in a folder with
 * none of them, one listing instead of 14 stat() calls. A name whose first
 * component is listed (compared without case: a case-insensitive bind
 * mount finds Prisma.config.ts where prisma.config.ts is asked for) is
 * still stat()ed, so what is found is what probing every name found; a
 * folder that cannot be listed has every name probed. */
struct probe_filter {
	bool missed; /* a probed name was not there: the next probe reads the listing */
	bool tried;  /* the listing was asked for (once) */
	bool listed; /* it was read, and present says which names may be there */
	uint32_t present;
};
_Static_assert(sizeof(schema_config_names) / sizeof(schema_config_names[0]) == PROBE_DEFAULT_ROOT,
               "the default schemas follow the config file names");

static bool component_matches(const char *entry, const char *path)
{
	size_t len = strcspn(path, "/");

	return strlen(entry) == len && strncasecmp(entry, path, len) == 0;
}

static void probe_filter_list(int base, struct probe_filter *filter, struct schema_reader *buf)
{
	int fd = openat(base, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	const struct dirent *entry;
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;

	if (!dir) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((errno = 0, entry = readdir(dir)) && !schema_reader_stopped(buf))
		for (size_t i = 0; i <= PROBE_DEFAULT_PRISMA_DIR; i++)
			if (component_matches(entry->d_name, probed_path(i)))
				filter->present |= UINT32_C(1) << i;
	filter->listed = !entry && errno == 0;
	closedir(dir);
}

/* Whether probed name i may be there: false only when the listing says it
 * is not. */
static bool may_exist(int base, struct probe_filter *filter, size_t i, struct schema_reader *buf)
{
	if (filter->missed && !filter->tried) {
		filter->tried = true;
		probe_filter_list(base, filter, buf);
	}
	return !filter->listed || (filter->present & (UINT32_C(1) << i));
}

/* The Prisma config file: sets inputs->config_file, and *schema to its
 * `schema` when it has one. */
static int read_config_file(int base, struct schema_inputs *inputs, char **schema, struct probe_filter *filter,
                            struct schema_reader *buf, char *error, size_t error_size)
{
	bool need_schema = schema != NULL;

	struct stat st;

	if (need_schema)
		*schema = NULL;
	for (size_t i = 0; i < schema_config_name_count; i++) {
		int found = may_exist(base, filter, i, buf) ? stat_at(base, schema_config_names[i], &st) : 0;

		if (found == 0)
			filter->missed = true;
		if (found == 0 || (found > 0 && !S_ISREG(st.st_mode)))
			continue;
		if (found < 0) {
			snprintf(error, error_size, "cannot read %s: %s", schema_config_names[i], strerror(errno));
			return -1;
		}
		if (schema_read_file(base, schema_config_names[i], buf, error, error_size) < 0)
			return -1;
		keep_file(inputs, schema_config_names[i], buf);
		if (!(inputs->config_file = copy_text(schema_config_names[i], strlen(schema_config_names[i])))) {
			set_oom(error, error_size);
			return -1;
		}
		int given = schema_config_direct_url(buf->data, buf->len, &inputs->direct_urls.config);
		if (given < 0 || (given > 0 && !(inputs->direct_urls.config_file = copy_text(
		                                     schema_config_names[i], strlen(schema_config_names[i]))))) {
			set_oom(error, error_size);
			return -1;
		}
		if (!need_schema)
			return 0;
		char *value;
		int status = schema_config_value(buf->data, buf->len, &value);
		if (status < 0) {
			snprintf(error, error_size,
			         "%s computes the schema's path (`schema` is not a plain string literal), and "
			         "prisma-entrypoint does not run the config file: give the path with --schema PATH, "
			         "PRISMA_ENTRYPOINT_SCHEMA=PATH or `schema = PATH` under [prisma]",
			         schema_config_names[i]);
			return -1;
		}
		if (status > 0) {
			char *dir = path_dirname(schema_config_names[i]);

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
static int read_package_schema(int base, char **schema, struct schema_reader *buf, char *error, size_t error_size)
{
	static const char *const key[] = {"prisma", "schema"};
	char *value;

	*schema = NULL;
	if (schema_read_file(base, "package.json", buf, error, error_size) < 0)
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

static int find_in(int base, const char *configured, struct schema_inputs *inputs, struct schema_reader *buf,
                   char *error, size_t error_size)
{
	struct probe_filter filter = {0};
	char *path = NULL;

	if (read_version(base, "node_modules/prisma/package.json", &inputs->prisma_version, buf, error, error_size) <
	        0 ||
	    read_version(base, "node_modules/@prisma/client/package.json", &inputs->client_version, buf, error,
	                 error_size) < 0)
		return -1;
	/* The config file counts in the digest even when the schema comes from
	 * the setting, so it is always looked for; its `schema` is then unused. */
	if (configured && !*configured)
		configured = NULL;
	if (read_config_file(base, inputs, configured ? NULL : &path, &filter, buf, error, error_size) < 0)
		return -1;
	if (configured) {
		return take_schema(base, inputs, path_resolve("", configured), SCHEMA_FROM_SETTING, buf, error,
		                   error_size);
	}
	if (path)
		return take_schema(base, inputs, path, SCHEMA_FROM_CONFIG_FILE, buf, error, error_size);
	if (schema_major_version(inputs->prisma_version) < 7) {
		if (read_package_schema(base, &path, buf, error, error_size) < 0)
			return -1;
		if (path)
			return take_schema(base, inputs, path, SCHEMA_FROM_PACKAGE_JSON, buf, error, error_size);
	}
	if (may_exist(base, &filter, PROBE_DEFAULT_ROOT, buf)) {
		int found = take_schema(base, inputs, copy_text(DEFAULT_SCHEMA_ROOT, strlen(DEFAULT_SCHEMA_ROOT)),
		                        SCHEMA_DEFAULT_ROOT, buf, error, error_size);
		if (found != 0)
			return found;
		filter.missed = true;
	}
	if (!may_exist(base, &filter, PROBE_DEFAULT_PRISMA_DIR, buf))
		return 0;
	return take_schema(base, inputs, copy_text(DEFAULT_SCHEMA_PRISMA, strlen(DEFAULT_SCHEMA_PRISMA)),
	                   SCHEMA_DEFAULT_PRISMA_DIR, buf, error, error_size);
}

/* Sets inputs->tsconfig_file to the nearest tsconfig.json above the
 * prisma-client generator's output folder, as the generator looks for it
 * (get-tsconfig's findUp from the output folder, which need not exist yet,
 * up to /). Above base, the folders are named "..", "../..": the walk ends
 * where a folder is its own parent. A file that cannot be looked at counts
 * as absent, as in the generator. Returns 0, or -1 when out of memory. */
static int find_tsconfig(int base, struct schema_inputs *inputs)
{
	char *dir = copy_text(inputs->generator_output, strlen(inputs->generator_output));

	if (!dir)
		return -1;
	/* A bound on the folders looked at, never reached before /. */
	for (int depth = 0; depth < PATH_MAX / 2; depth++) {
		char *candidate = path_resolve(dir, "tsconfig.json");
		char *parent;
		struct stat st, parent_st;
		bool top;

		if (!candidate) {
			free(dir);
			return -1;
		}
		if (stat_at(base, candidate, &st) > 0 && S_ISREG(st.st_mode)) {
			inputs->tsconfig_file = candidate;
			free(dir);
			return 0;
		}
		free(candidate);
		if (!(parent = path_resolve(dir, ".."))) {
			free(dir);
			return -1;
		}
		/* "/" is its own parent by name; "../.." at the top by inode. */
		top = strcmp(parent, dir) == 0 || (strncmp(dir, "..", 2) == 0 && stat_at(base, dir, &st) > 0 &&
		                                   stat_at(base, parent, &parent_st) > 0 &&
		                                   st.st_dev == parent_st.st_dev && st.st_ino == parent_st.st_ino);
		free(dir);
		dir = parent;
		if (top) {
			free(dir);
			return 0;
		}
	}
	free(dir);
	return 0;
}

int schema_find(const char *base_dir, const char *configured, struct schema_inputs *inputs, struct schema_stop *stop,
                char *error, size_t error_size)
{
	struct schema_reader buf = {.stop = stop};
	int base, found;

	memset(inputs, 0, sizeof(*inputs));
	base = open(base_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (base < 0) {
		snprintf(error, error_size, "cannot open the working directory %s: %s", base_dir, strerror(errno));
		return -1;
	}
	found = find_in(base, configured, inputs, &buf, error, error_size);
	if (found == 1 && inputs->generator_typescript && inputs->generator_output && find_tsconfig(base, inputs) < 0) {
		set_oom(error, error_size);
		found = -1;
	}
	close(base);
	schema_reader_release(&buf);
	if (found == 1 && !(inputs->base_dir = copy_text(base_dir, strlen(base_dir)))) {
		set_oom(error, error_size);
		found = -1;
	}
	/* A stop heard anywhere ends the look, even one that went on to an
	 * answer: the listing of the names to probe hears it and only stops
	 * listing, leaving the probes after it to say "nothing here". */
	if (stop && stop->stopped)
		found = -1;
	if (found != 1)
		schema_inputs_release(inputs);
	if (found < 0 && stop && stop->stopped)
		return SCHEMA_STOPPED;
	return found;
}
