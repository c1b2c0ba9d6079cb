/* Whether node_modules is in sync with the lockfile (install-state.h), with
 * SHA-256 from libcrypto (crypto-lib.h), which the generate phase loads
 * anyway for the schema's digest. */
#include "install-state.h"

#include "crypto-lib.h"
#include "generate-record.h"
#include "schema-read.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIGEST_FORMAT "prisma-entrypoint install digest 1"
#define PACKAGE_JSON  "package.json"
#define NODE_MODULES  "node_modules"

static const char *const npm_args[] = {"ci", NULL};
static const char *const pnpm_args[] = {"install", "--frozen-lockfile", NULL};
static const char *const yarn_berry_args[] = {"install", "--immutable", NULL};
static const char *const yarn_classic_args[] = {"install", "--frozen-lockfile", NULL};

/* In the order npm, then the others, would pick them when several are there:
 * npm reads npm-shrinkwrap.json before package-lock.json. */
static const struct install_lockfile lockfiles[] = {
    {"npm-shrinkwrap.json", "npm", npm_args, NODE_MODULES "/.package-lock.json", "npm's"},
    {"package-lock.json", "npm", npm_args, NODE_MODULES "/.package-lock.json", "npm's"},
    {"pnpm-lock.yaml", "pnpm", pnpm_args, NODE_MODULES "/.pnpm/lock.yaml", "pnpm's"},
    {"yarn.lock", "yarn", yarn_berry_args, NODE_MODULES "/.yarn-state.yml", "yarn's"},
};
static const struct install_lockfile yarn_classic = {"yarn.lock", "yarn", yarn_classic_args,
                                                     NODE_MODULES "/.yarn-integrity", "yarn's"};

/* A tag byte, the length as 8 bytes big-endian, the bytes: no two inputs
 * run together into the same stream. */
static int digest_field(EVP_MD_CTX *ctx, char tag, const void *data, size_t len)
{
	unsigned char head[9];

	head[0] = (unsigned char)tag;
	for (int i = 0; i < 8; i++)
		head[1 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
	if (cryptolib.EVP_DigestUpdate(ctx, head, sizeof(head)) != 1)
		return -1;
	return len ? (cryptolib.EVP_DigestUpdate(ctx, data, len) == 1 ? 0 : -1) : 0;
}

/* Reads path into reader and adds it to ctx. 1 done, 0 no such file, -1 error. */
static int digest_file(EVP_MD_CTX *ctx, char tag, const char *path, struct schema_reader *reader, char *error,
                       size_t error_size)
{
	if (schema_read_file(AT_FDCWD, path, reader, error, error_size) < 0)
		return errno == ENOENT ? 0 : -1;
	if (digest_field(ctx, tag, path, strlen(path)) < 0 || digest_field(ctx, tag, reader->data, reader->len) < 0) {
		snprintf(error, error_size, "SHA-256 failed");
		return -1;
	}
	return 1;
}

static const struct install_lockfile *which_lockfile(void)
{
	for (size_t i = 0; i < sizeof(lockfiles) / sizeof(lockfiles[0]); i++)
		if (access(lockfiles[i].name, F_OK) == 0)
			return &lockfiles[i];
	return NULL;
}

int install_lockfile_find(struct install_lockfile *lockfile, char hex[65], struct schema_stop *stop, char *error,
                          size_t error_size)
{
	const struct install_lockfile *found = which_lockfile();
	struct schema_reader reader = {.stop = stop};
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	EVP_MD_CTX *ctx = NULL;
	int status = -1;
	int read;

	hex[0] = '\0';
	if (!found || access(PACKAGE_JSON, F_OK) < 0)
		return 0;
	*lockfile = *found;
	if (cryptolib_load(error, error_size) < 0)
		return -1;
	if (!(ctx = cryptolib.EVP_MD_CTX_new()) ||
	    cryptolib.EVP_DigestInit_ex(ctx, cryptolib.EVP_sha256(), NULL) != 1 ||
	    digest_field(ctx, 'H', DIGEST_FORMAT, strlen(DIGEST_FORMAT)) < 0) {
		snprintf(error, error_size, "SHA-256 is not available");
		goto done;
	}
	/* Between the look above and the read, either may have gone (a git
	 * checkout): nothing to install from, as if it had never been. */
	read = digest_file(ctx, 'P', PACKAGE_JSON, &reader, error, error_size);
	if (read > 0)
		read = digest_file(ctx, 'L', lockfile->name, &reader, error, error_size);
	if (read <= 0) {
		status = read;
		goto done;
	}
	/* yarn 2+ (berry) writes a __metadata block and takes --immutable;
	 * yarn 1 (classic) knows only --frozen-lockfile. */
	if (strcmp(lockfile->name, "yarn.lock") == 0 && !strstr(reader.data, "\n__metadata:"))
		*lockfile = yarn_classic;
	if (cryptolib.EVP_DigestFinal_ex(ctx, md, &md_len) != 1 || md_len != 32) {
		snprintf(error, error_size, "SHA-256 failed");
		goto done;
	}
	for (unsigned int i = 0; i < md_len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	status = 1;
done:
	if (ctx)
		cryptolib.EVP_MD_CTX_free(ctx);
	schema_reader_release(&reader);
	return status;
}

enum node_modules_state install_node_modules_state(void)
{
	struct stat here, st;
	struct dirent *entry;
	bool empty = true;
	DIR *dir;

	if (lstat(NODE_MODULES, &st) < 0 || !S_ISDIR(st.st_mode) || !(dir = opendir(NODE_MODULES)))
		return NODE_MODULES_MISSING;
	while (empty && (entry = readdir(dir)))
		empty = strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0;
	closedir(dir);
	if (!empty)
		return NODE_MODULES_FILLED;
	/* A volume (docker's anonymous `- /app/node_modules`, a tmpfs) is another
	 * file system than the folder it is mounted in: its device differs from
	 * its parent's. A bind mount of a folder of the same file system would
	 * not show, but an empty one of those is no hidden image either. */
	if (stat(".", &here) == 0 && here.st_dev != st.st_dev)
		return NODE_MODULES_EMPTY_MOUNT;
	return NODE_MODULES_EMPTY;
}

static bool newer_or_same(const struct stat *a, const struct stat *b)
{
	return a->st_mtim.tv_sec > b->st_mtim.tv_sec ||
	       (a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec >= b->st_mtim.tv_nsec);
}

/* Without a record of ours (node_modules installed by the image's build, or
 * before install = auto was set), the manager's own copy of what it
 * installed decides: npm writes node_modules/.package-lock.json, pnpm
 * node_modules/.pnpm/lock.yaml, yarn .yarn-state.yml (berry) or
 * .yarn-integrity (classic) at the end of every install that changed the
 * tree. Comparing its entries with the lockfile's would mean parsing two
 * formats per manager and knowing which entries an install leaves out
 * (optional packages of other platforms, dev ones under NODE_ENV=production);
 * comparing times is cheap and errs the right way: a lockfile or
 * package.json edited or pulled after that install is newer than the copy
 * (git writes the files it checks out), and a false "changed" costs one
 * install, after which our record decides. Only a file put back with an
 * older time (cp -p, an archive) would pass unseen. */
static bool installed_after_inputs(const struct install_lockfile *lockfile)
{
	struct stat installed, package_json, lock;

	return stat(lockfile->installed, &installed) == 0 && stat(PACKAGE_JSON, &package_json) == 0 &&
	       stat(lockfile->name, &lock) == 0 && newer_or_same(&installed, &package_json) &&
	       newer_or_same(&installed, &lock);
}

int install_state_check(const struct install_lockfile *lockfile, const char *hex, const char *record_path,
                        enum node_modules_state node_modules, char *error, size_t error_size)
{
	char recorded[65];
	int found;

	/* Before the record: a record kept outside node_modules (generate-record
	 * set elsewhere) outlives a volume that was emptied or replaced. */
	if (node_modules != NODE_MODULES_FILLED)
		return INSTALL_NOT_INSTALLED;
	found = record_read_as("install record", record_path, recorded, error, error_size);
	if (found < 0)
		return -1;
	if (found)
		return strcmp(recorded, hex) == 0 ? INSTALL_IN_SYNC : INSTALL_CHANGED;
	return installed_after_inputs(lockfile) ? INSTALL_IN_SYNC_BY_MANAGER : INSTALL_NO_RECORD;
}
