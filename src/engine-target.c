#include "engine-target.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>
#include <unistd.h>

/* Prisma's fallback when no libssl is found. */
#define DEFAULT_LIBSSL "1.1.x"
/* os-release is a few hundred bytes; the linker's cache some hundred KiB. */
#define OS_RELEASE_MAX (64 * 1024)
#define LD_CACHE_MAX   (8 * 1024 * 1024)

/* What Prisma derives from os-release: the distro its engines are built
 * for, and the family whose library folders hold libssl. */
enum distro_family { FAMILY_NONE, FAMILY_MUSL, FAMILY_DEBIAN, FAMILY_RHEL, FAMILY_ARCH, FAMILY_NIXOS };

struct distro {
	const char *target; /* "musl", "debian", "rhel", "arm", "nixos"; NULL unknown */
	enum distro_family family;
};

/* Reads root/path whole (at most max bytes) into a malloc'd, NUL-ended
 * buffer; NULL when it cannot be read. */
static char *read_under(const char *root, const char *path, size_t max, size_t *len)
{
	char full[PATH_MAX];
	char *data;
	size_t used = 0;
	ssize_t got;
	int fd;

	snprintf(full, sizeof(full), "%s%s", root, path);
	if ((fd = open(full, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	if (!(data = malloc(max + 1))) {
		close(fd);
		return NULL;
	}
	while (used < max && (got = read(fd, data + used, max - used)) > 0)
		used += (size_t)got;
	close(fd);
	data[used] = '\0';
	*len = used;
	return data;
}

/* The value of KEY= on a line of os-release as Prisma's /^KEY="?([^"\n]*)"?$/im
 * reads it: the first line that matches, the key in any case, the value
 * lowercased. "" when no line matches. */
static void os_release_value(const char *text, const char *key, char *out, size_t size)
{
	size_t key_len = strlen(key);

	out[0] = '\0';
	for (const char *line = text; *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : line + strlen(line)) {
		const char *p = line, *value;
		size_t n;

		if (strncasecmp(p, key, key_len) != 0 || p[key_len] != '=')
			continue;
		p += key_len + 1;
		if (*p == '"')
			p++;
		value = p;
		n = strcspn(p, "\"\n");
		p += n;
		if (*p == '"')
			p++;
		if (*p != '\n' && *p != '\0')
			continue;
		if (n >= size)
			n = size - 1;
		for (size_t i = 0; i < n; i++)
			out[i] = (char)(value[i] >= 'A' && value[i] <= 'Z' ? value[i] + ('a' - 'A') : value[i]);
		out[n] = '\0';
		return;
	}
}

static struct distro parse_distro(const char *id, const char *id_like)
{
	if (strcmp(id, "alpine") == 0)
		return (struct distro){"musl", FAMILY_MUSL};
	if (strcmp(id, "raspbian") == 0)
		return (struct distro){"arm", FAMILY_DEBIAN};
	if (strcmp(id, "nixos") == 0)
		return (struct distro){"nixos", FAMILY_NIXOS};
	if (strcmp(id, "debian") == 0 || strcmp(id, "ubuntu") == 0)
		return (struct distro){"debian", FAMILY_DEBIAN};
	if (strcmp(id, "rhel") == 0 || strcmp(id, "centos") == 0 || strcmp(id, "fedora") == 0)
		return (struct distro){"rhel", FAMILY_RHEL};
	/* ID_LIKE is matched as a substring, as Prisma does ("ubuntu debian"). */
	if (strstr(id_like, "debian") || strstr(id_like, "ubuntu"))
		return (struct distro){"debian", FAMILY_DEBIAN};
	if (strcmp(id, "arch") == 0 || strstr(id_like, "arch"))
		return (struct distro){"debian", FAMILY_ARCH};
	if (strstr(id_like, "centos") || strstr(id_like, "fedora") || strstr(id_like, "rhel") ||
	    strstr(id_like, "suse"))
		return (struct distro){"rhel", FAMILY_RHEL};
	return (struct distro){NULL, FAMILY_NONE};
}

/* "libssl.so.3" -> "3.0.x", "libssl.so.1.1" -> "1.1.x", "libssl.so.10" ->
 * "1.0.x" (the first digit, then an optional .digit, as Prisma reads it);
 * false for a name without libssl.so.<digit> or a version Prisma has no
 * engines for (2.x). */
static bool parse_libssl(const char *name, char out[8])
{
	const char *p = strstr(name, "libssl.so.");

	while (p && !(p[10] >= '0' && p[10] <= '9'))
		p = strstr(p + 1, "libssl.so.");
	if (!p)
		return false;
	p += 10;
	if (*p == '1') {
		char minor = p[1] == '.' && p[2] >= '0' && p[2] <= '9' ? p[2] : '0';

		if (minor != '0' && minor != '1')
			return false;
		snprintf(out, 8, "1.%c.x", minor);
		return true;
	}
	if (*p >= '3' && *p <= '9') {
		snprintf(out, 8, "3.0.x");
		return true;
	}
	return false;
}

/* A libssl file name Prisma takes: libssl.so.<something>, not libssl.so.0. */
static bool is_libssl_name(const char *name)
{
	return strncmp(name, "libssl.so.", 10) == 0 && strncmp(name, "libssl.so.0", 11) != 0;
}

/* The first libssl file of root/dir by name (Node's readdir is sorted),
 * parsed. */
static bool libssl_in_folder(const char *root, const char *dir, char out[8])
{
	char full[PATH_MAX];
	char first[NAME_MAX + 1] = "";
	const struct dirent *entry;
	DIR *folder;

	snprintf(full, sizeof(full), "%s%s", root, dir);
	if (!(folder = opendir(full)))
		return false;
	while ((entry = readdir(folder))) {
		if (is_libssl_name(entry->d_name) && (!first[0] || strcmp(entry->d_name, first) < 0))
			snprintf(first, sizeof(first), "%s", entry->d_name);
	}
	closedir(folder);
	return first[0] && parse_libssl(first, out);
}

/* Prisma's `ldconfig -p | ... | grep libssl | sort | grep -v libssl.so.0`,
 * read from the cache file itself: the smallest file name in it that holds
 * libssl.so.<digit> and not libssl.so.0. */
static bool libssl_in_ld_cache(const char *root, char out[8])
{
	size_t len = 0;
	char *cache = read_under(root, "/etc/ld.so.cache", LD_CACHE_MAX, &len);
	const char *first = NULL;
	char scratch[8];
	bool found;

	if (!cache)
		return false;
	for (size_t i = 0; i < len;) {
		const char *text = cache + i;
		size_t n = strnlen(text, len - i);
		const char *base = memrchr(text, '/', n);

		base = base ? base + 1 : text;
		if (strstr(base, "libssl") && !strstr(base, "libssl.so.0") && parse_libssl(base, scratch) &&
		    (!first || strcmp(base, first) < 0))
			first = base;
		i += n + 1;
	}
	found = first && parse_libssl(first, out);
	free(cache);
	return found;
}

static void find_libssl(const char *root, enum distro_family family, const char *machine, struct engine_target *target)
{
	static const char *const generic[] = {"/lib64", "/usr/lib64", "/lib", "/usr/lib"};
	static const char *const musl[] = {"/lib", "/usr/lib"};
	static const char *const rhel[] = {"/lib64", "/usr/lib64"};
	char debian_dirs[2][96];
	const char *debian[2] = {debian_dirs[0], debian_dirs[1]};
	const char *const *specific = NULL;
	size_t count = 0;

	if (family == FAMILY_MUSL) {
		specific = musl;
		count = 2;
	} else if (family == FAMILY_DEBIAN) {
		snprintf(debian_dirs[0], sizeof(debian_dirs[0]), "/usr/lib/%s-linux-gnu", machine);
		snprintf(debian_dirs[1], sizeof(debian_dirs[1]), "/lib/%s-linux-gnu", machine);
		specific = debian;
		count = 2;
	} else if (family == FAMILY_RHEL) {
		specific = rhel;
		count = 2;
	}
	for (size_t i = 0; i < count; i++) {
		if (libssl_in_folder(root, specific[i], target->libssl)) {
			snprintf(target->libssl_by, sizeof(target->libssl_by), "%s", specific[i]);
			return;
		}
	}
	if (libssl_in_ld_cache(root, target->libssl)) {
		snprintf(target->libssl_by, sizeof(target->libssl_by), "/etc/ld.so.cache");
		return;
	}
	for (size_t i = 0; i < sizeof(generic) / sizeof(generic[0]); i++) {
		if (libssl_in_folder(root, generic[i], target->libssl)) {
			snprintf(target->libssl_by, sizeof(target->libssl_by), "%s", generic[i]);
			return;
		}
	}
	target->libssl[0] = '\0';
	snprintf(target->libssl_by, sizeof(target->libssl_by), "not found");
}

/* Node's process.arch for uname's machine: x64, arm64, arm, or the machine
 * itself. */
static const char *node_arch(const char *machine)
{
	if (strcmp(machine, "x86_64") == 0 || strcmp(machine, "amd64") == 0)
		return "x64";
	if (strcmp(machine, "aarch64") == 0 || strcmp(machine, "arm64") == 0 || strncmp(machine, "armv8", 5) == 0)
		return "arm64";
	if (strncmp(machine, "arm", 3) == 0)
		return "arm";
	return machine;
}

void engine_target_detect(const char *root, const char *machine, struct engine_target *target)
{
	struct utsname uts;
	char id_like[128] = "";
	char *os_release;
	size_t len = 0;
	const char *arch, *libssl;
	struct distro distro;

	*target = (struct engine_target){0};
	if (!root || strcmp(root, "/") == 0)
		root = "";
	if (!machine)
		machine = uname(&uts) == 0 ? uts.machine : "x86_64";
	snprintf(target->machine, sizeof(target->machine), "%s", machine);
	if ((os_release = read_under(root, "/etc/os-release", OS_RELEASE_MAX, &len))) {
		os_release_value(os_release, "ID", target->distro, sizeof(target->distro));
		os_release_value(os_release, "ID_LIKE", id_like, sizeof(id_like));
		free(os_release);
	}
	distro = parse_distro(target->distro, id_like);
	find_libssl(root, distro.family, target->machine, target);
	libssl = target->libssl[0] ? target->libssl : DEFAULT_LIBSSL;
	arch = node_arch(target->machine);
	if (distro.target && strcmp(distro.target, "nixos") == 0)
		snprintf(target->name, sizeof(target->name), "linux-nixos");
	else if (strcmp(arch, "arm64") == 0)
		snprintf(target->name, sizeof(target->name), "%s-openssl-%s",
		         distro.family == FAMILY_MUSL ? "linux-musl-arm64" : "linux-arm64", libssl);
	else if (strcmp(arch, "arm") == 0)
		snprintf(target->name, sizeof(target->name), "linux-arm-openssl-%s", libssl);
	else if (distro.family == FAMILY_MUSL)
		/* Prisma's musl engines for OpenSSL 1.x carry no suffix. */
		snprintf(target->name, sizeof(target->name), "%s",
		         !target->libssl[0] || target->libssl[0] == '1' ? "linux-musl" : "linux-musl-openssl-3.0.x");
	else
		snprintf(target->name, sizeof(target->name), "%s-openssl-%s", distro.target ? distro.target : "debian",
		         libssl);
}
