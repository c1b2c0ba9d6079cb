#include "verified-migrations.h"

#include "fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define HEADER           "# prisma-entrypoint: migration.sql files that matched their checksum (a cache: deleting it is safe)\n"
#define CHECKSUM_HEX_LEN 64
/* The trailing characters mkostemp() requires to be X. */
#define TEMP_UNIQUE_CHARS 6

static int64_t ns_of(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct verified_migration *)a)->name, ((const struct verified_migration *)b)->name);
}

void verified_migrations_release(struct verified_migrations *record)
{
	free(record->entries);
	free(record->text);
	*record = (struct verified_migrations){0};
}

/* Appends entry. Returns 0, or -1 with errno ENOMEM. */
static int append(struct verified_migrations *record, const struct verified_migration *entry)
{
	if (record->count == record->capacity) {
		size_t grown = record->capacity ? 2 * record->capacity : 64;
		struct verified_migration *entries = realloc(record->entries, grown * sizeof(*entries));

		if (!entries)
			return -1;
		record->entries = entries;
		record->capacity = grown;
	}
	record->entries[record->count++] = *entry;
	return 0;
}

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* A decimal number of at most 19 digits (no overflow; signed: within
 * int64_t) ending at a space;
 * *text moves past the space. */
static bool parse_number(const char **text, bool is_signed, uint64_t *value)
{
	const char *p = *text;
	bool negative = is_signed && *p == '-';
	const char *digits = p + negative;
	uint64_t n = 0;

	for (p = digits; *p >= '0' && *p <= '9'; p++)
		n = n * 10 + (uint64_t)(*p - '0');
	if (p == digits || p - digits > 19 || *p != ' ' || (is_signed && n > INT64_MAX))
		return false;
	*value = negative ? (uint64_t)(-(int64_t)n) : n;
	*text = p + 1;
	return true;
}

/* One line (without its '\n') into entry, its name pointing into line.
 * Returns whether it is one. */
static bool parse_line(char *line, struct verified_migration *entry)
{
	const char *p = line + CHECKSUM_HEX_LEN + 1;
	uint64_t mtime;
	uint64_t ctime;

	for (size_t i = 0; i < CHECKSUM_HEX_LEN; i++)
		if (!is_lower_hex(line[i]))
			return false;
	if (line[CHECKSUM_HEX_LEN] != ' ')
		return false;
	memcpy(entry->checksum, line, CHECKSUM_HEX_LEN);
	entry->checksum[CHECKSUM_HEX_LEN] = '\0';
	if (!parse_number(&p, false, &entry->size) || !parse_number(&p, true, &mtime) ||
	    !parse_number(&p, true, &ctime) || !parse_number(&p, false, &entry->inode))
		return false;
	entry->mtime_ns = (int64_t)mtime;
	entry->ctime_ns = (int64_t)ctime;
	if (!*p || strchr(p, '/') || p[0] == '.')
		return false;
	entry->name = p;
	return true;
}

int verified_migrations_read(const char *path, struct verified_migrations *record)
{
	char error[PATH_MAX + 64];
	struct stat st;
	char *text;
	char *line;
	size_t len;

	*record = (struct verified_migrations){0};
	if (fdio_read_regular_at(AT_FDCWD, path, VERIFIED_RECORD_MAX, &text, &len, &st, error, sizeof(error)) !=
	    FDIO_OPENED)
		return 0;
	if (strlen(text) != len || len < strlen(HEADER) || strncmp(text, HEADER, strlen(HEADER)) != 0 ||
	    text[len - 1] != '\n') {
		free(text);
		return 0;
	}
	for (line = text + strlen(HEADER); *line;) {
		char *end = strchr(line, '\n');
		struct verified_migration entry;

		*end = '\0';
		if (!parse_line(line, &entry)) {
			/* Torn or edited by hand: none of it is trusted. */
			verified_migrations_release(record);
			free(text);
			return 0;
		}
		if (append(record, &entry) < 0) {
			verified_migrations_release(record);
			free(text);
			errno = ENOMEM;
			return -1;
		}
		line = end + 1;
	}
	record->text = text;
	/* Written sorted: sorted again only when edited out of order. */
	for (size_t i = 1; i < record->count; i++)
		if (strcmp(record->entries[i - 1].name, record->entries[i].name) > 0) {
			qsort(record->entries, record->count, sizeof(*record->entries), by_name);
			break;
		}
	return 0;
}

static bool stat_is(const struct verified_migration *entry, const struct stat *st)
{
	return entry->size == (uint64_t)st->st_size && entry->mtime_ns == ns_of(&st->st_mtim) &&
	       entry->ctime_ns == ns_of(&st->st_ctim) && entry->inode == (uint64_t)st->st_ino;
}

const struct verified_migration *verified_migrations_vouch(const struct verified_migrations *record, const char *name,
                                                           const struct stat *st, const char *checksum)
{
	struct verified_migration key = {.name = name};
	const struct verified_migration *found;

	if (!record->count)
		return NULL;
	found = bsearch(&key, record->entries, record->count, sizeof(*record->entries), by_name);
	/* Several lines of one name (a name applied twice, with two
	 * checksums): any of them may vouch. */
	while (found && found > record->entries && strcmp(found[-1].name, name) == 0)
		found--;
	for (; found && found < record->entries + record->count && strcmp(found->name, name) == 0; found++)
		if (stat_is(found, st) && strcasecmp(found->checksum, checksum) == 0)
			return found;
	return NULL;
}

int verified_migrations_keep(struct verified_migrations *record, const struct verified_migration *line)
{
	if (append(record, line) < 0) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

int verified_migrations_add(struct verified_migrations *record, const char *name, const struct stat *st,
                            const char *checksum, const struct timespec *now)
{
	struct verified_migration entry = {
	    .name = name,
	    .size = (uint64_t)st->st_size,
	    .mtime_ns = ns_of(&st->st_mtim),
	    .ctime_ns = ns_of(&st->st_ctim),
	    .inode = (uint64_t)st->st_ino,
	};
	int64_t settled = ns_of(now) - VERIFIED_RACY_MARGIN_NS;

	if (entry.mtime_ns >= settled || entry.ctime_ns >= settled || name[0] == '.' || strpbrk(name, "/\n"))
		return 0;
	for (size_t i = 0; i < CHECKSUM_HEX_LEN; i++) {
		char c = checksum[i];

		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!is_lower_hex(c))
			return 0;
		entry.checksum[i] = c;
	}
	if (checksum[CHECKSUM_HEX_LEN])
		return 0;
	entry.checksum[CHECKSUM_HEX_LEN] = '\0';
	if (append(record, &entry) < 0) {
		errno = ENOMEM;
		return -1;
	}
	return 1;
}

/* For fdio_make_parents(): a folder made on the way is given to owner, as
 * the lock files' folders are. */
static void give_folder(void *arg, const char *folder)
{
	file_owner_give(arg, -1, folder);
}

int verified_migrations_write(const char *path, struct verified_migrations *record, const struct file_owner *owner)
{
	char failed[PATH_MAX];
	char temp[PATH_MAX];
	int temp_len = snprintf(temp, sizeof(temp), "%s.tmp-", path);
	FILE *file;
	int fd;
	int saved;

	if (temp_len < 0 || (size_t)temp_len + TEMP_UNIQUE_CHARS >= sizeof(temp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memset(temp + temp_len, 'X', TEMP_UNIQUE_CHARS);
	temp[temp_len + TEMP_UNIQUE_CHARS] = '\0';
	if (fdio_make_parents(path, give_folder, (void *)owner, failed, sizeof(failed)) < 0)
		return -1;
	if ((fd = mkostemp(temp, O_CLOEXEC)) < 0)
		return -1;
	file_owner_give(owner, fd, path);
	if (fchmod(fd, 0644) < 0 || !(file = fdopen(fd, "w"))) {
		saved = errno;
		close(fd);
		unlink(temp);
		errno = saved;
		return -1;
	}
	if (record->count)
		qsort(record->entries, record->count, sizeof(*record->entries), by_name);
	fputs(HEADER, file);
	for (size_t i = 0; i < record->count; i++) {
		const struct verified_migration *e = &record->entries[i];

		fprintf(file, "%s %" PRIu64 " %" PRId64 " %" PRId64 " %" PRIu64 " %s\n", e->checksum, e->size,
		        e->mtime_ns, e->ctime_ns, e->inode, e->name);
	}
	saved = ferror(file) ? (errno ? errno : EIO) : 0;
	if (fclose(file) != 0 && !saved)
		saved = errno;
	if (!saved && rename(temp, path) < 0)
		saved = errno;
	if (saved) {
		unlink(temp);
		errno = saved;
		return -1;
	}
	return 0;
}
