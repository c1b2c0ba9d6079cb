/* The seed command as `prisma db seed` finds it, and whether the program it
 * starts is installed, read from the app's folder without running Node.
 *
 * Prisma 6.19 takes `migrations.seed` of the Prisma config file, else
 * package.json's "prisma": {"seed": ...} (the config wins when both are
 * set); Prisma 7 reads the config file only. The command is split at spaces
 * and spawned without a shell and without node_modules/.bin in PATH (execa,
 * preferLocal off): `npx prisma db seed` and npm scripts find `tsx` only
 * because npm puts node_modules/.bin first in PATH, which the seed run here
 * does too (prisma_run_params.path_first). */
#ifndef PE_SEED_COMMAND_H
#define PE_SEED_COMMAND_H

#include "schema.h"

#include <limits.h>
#include <stddef.h>

/* What seed_command_find() found. */
struct seed_command {
	char *command;    /* malloc'd; NULL when none is configured */
	const char *from; /* the config file's name (static) or "package.json" */
};

/* Looks in base_dir for the seed command. Returns 0 (command NULL when
 * there is none), -1 with a one-line error (the config's seed is not a plain
 * string literal, an unreadable file, invalid JSON), or SCHEMA_STOPPED. */
int seed_command_find(const char *base_dir, struct seed_command *seed, struct schema_stop *stop, char *error,
                      size_t error_size);

void seed_command_release(struct seed_command *seed);

/* The program a command starts: its first word ("tsx" for
 * "tsx prisma/seed.ts"), at most program_size - 1 bytes. */
void seed_command_program(const char *command, char *program, size_t program_size);

/* Where program is found as the seed run finds it: a path (with a '/')
 * relative to base_dir; else base_dir/node_modules/.bin/PROGRAM; else in
 * PATH. Returns 0 with path filled, or -1 when it is not there (or not
 * executable). */
int seed_command_locate(const char *base_dir, const char *program, char *path, size_t path_size);

#endif
