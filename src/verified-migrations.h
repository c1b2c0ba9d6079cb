/* The verified-migrations record: which applied migrations' migration.sql
 * was last found to match which checksum, keyed by the file's stat (size,
 * mtime, ctime, inode), so that a start with thousands of applied
 * migrations stats their files instead of reading and hashing every one for
 * the "changed since it was applied" warning (the way git's index spares
 * hashing unchanged files).
 *
 *   # prisma-entrypoint: migration.sql files that matched their checksum (a cache: deleting it is safe)
 *   <checksum> <size> <mtime ns> <ctime ns> <inode> <migration name>
 *
 * Each line is a fact on its own: the file of that name, with exactly that
 * stat, hashed (or its LF or CRLF variant) to that checksum. A start still
 * compares the checksum with the database's row every time, so a database
 * reset or another database needs nothing of the record; any change to the
 * file (a write changes mtime and ctime, a replacement the inode) makes it
 * hashed again. st_dev is left out: overlayfs gives every container's mount
 * another one, which would make each new container hash everything.
 *
 * A record that is missing, unreadable or malformed anywhere is an empty one:
 * everything is hashed, nothing is said. It is replaced by rename (a reader
 * sees the old one or the new one); it is not fsync'd: a record torn by a
 * power cut does not parse, and is then ignored. */
#ifndef PE_VERIFIED_MIGRATIONS_H
#define PE_VERIFIED_MIGRATIONS_H

#include "file-owner.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

/* A file changed within this long before it was read may change again
 * within the same timestamp tick (coarse kernel clocks, 2 s on FAT) without
 * its stat showing it: it is not vouched for until a later start reads it
 * again. */
#define VERIFIED_RACY_MARGIN_NS (2LL * 1000 * 1000 * 1000)

/* The largest record read (5000 migrations take about 700 KB). */
#define VERIFIED_RECORD_MAX (64 * 1024 * 1024)

struct verified_migration {
	const char *name; /* into the record's text once read; else the caller's (verified_migrations_add()) */
	uint64_t size;
	int64_t mtime_ns;
	int64_t ctime_ns;
	uint64_t inode;
	char checksum[65]; /* lowercase hex */
};

struct verified_migrations {
	struct verified_migration *entries; /* sorted by name once read */
	size_t count;
	size_t capacity;
	char *text; /* the record as read: the names point into it */
};

/* Reads the record at path into record: empty when there is none or it
 * cannot be used (never an error: the record only spares work). Returns 0,
 * or -1 with errno ENOMEM (record empty). */
int verified_migrations_read(const char *path, struct verified_migrations *record);

/* The line of record that says the migration name's migration.sql, with
 * stat st, matched checksum (hex, either case); NULL when none does. */
const struct verified_migration *verified_migrations_vouch(const struct verified_migrations *record, const char *name,
                                                           const struct stat *st, const char *checksum);

/* Adds a line another record vouched with (its name must outlive record).
 * Returns 0, or -1 with errno ENOMEM. */
int verified_migrations_keep(struct verified_migrations *record, const struct verified_migration *line);

/* Adds that name's migration.sql, with stat st, matches checksum, unless it
 * changed less than VERIFIED_RACY_MARGIN_NS before now (or after it). name
 * is not copied: it must outlive the record. Returns 1 added, 0 not, or -1
 * with errno ENOMEM. */
int verified_migrations_add(struct verified_migrations *record, const char *name, const struct stat *st,
                            const char *checksum, const struct timespec *now);

/* Replaces the record at path with record (sorted first), making the
 * folders leading to it: a temporary file in its folder, renamed over it;
 * given to owner as generate-record.h does. Returns 0, or -1 with errno
 * (nothing left behind; the old record as it was). */
int verified_migrations_write(const char *path, struct verified_migrations *record, const struct file_owner *owner);

void verified_migrations_release(struct verified_migrations *record);

#endif
