/* Shared by the unit tests: making and removing a temporary directory tree. */
#ifndef PE_TEST_TREE_H
#define PE_TEST_TREE_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

static int tree_remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Makes a new, empty directory /tmp/pe-test-NAME-?????? and writes its path
 * into dir. Returns 0, or -1. */
static inline int tree_make(char *dir, size_t size, const char *name)
{
	int n = snprintf(dir, size, "/tmp/pe-test-%s-XXXXXX", name);

	return n > 0 && (size_t)n < size && mkdtemp(dir) ? 0 : -1;
}

/* Removes dir and everything below it. Returns 0, or -1. */
static inline int tree_remove(const char *dir)
{
	return nftw(dir, tree_remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 ? -1 : 0;
}

#endif
