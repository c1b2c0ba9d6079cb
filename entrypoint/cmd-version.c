#include "command.h"
#include "dynlib.h"
#include "exit-codes.h"
#include "http.h"
#include "pg-target.h"
#include "log.h"
#include "schema.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#ifndef PE_VERSION
#error "PE_VERSION must be defined by the build"
#endif

/* The libraries a start may need, with what needs them and the Debian
 * package that holds each for the dynamic build. */
static const struct {
	const char *name;
	const char *package;
	const char *needed_for;
	int (*describe)(char *out, size_t out_size);
} libraries[] = {
    {"libpq", "libpq5", "waiting for PostgreSQL, the migrate phase", pgconn_library_version},
    {"libcurl", "libcurl4", "reading any database URL, http(s):// waits", http_library_version},
    {"libcrypto", "libssl3", "the generate phase, hash", schema_digest_library_version},
};

/* With -v: the build's flavour and, for each library, its version or why
 * it cannot be loaded. */
static void print_libraries(void)
{
	printf("build: %s\n", DYNLIB_LINKED ? "static (musl): libpq, libcurl, OpenSSL and inih are linked in"
	                                    : "dynamic: libpq, libcurl and libcrypto are loaded when first needed");
	for (size_t i = 0; i < sizeof(libraries) / sizeof(libraries[0]); i++) {
		char text[512];

		if (libraries[i].describe(text, sizeof(text)) == 0)
			printf("%s: %s\n", libraries[i].name, text);
		else
			printf("%s: not loadable, needed for %s: %s (Debian package %s)\n", libraries[i].name,
			       libraries[i].needed_for, text, libraries[i].package);
	}
}

static int version_exec(struct invocation *invocation)
{
	bool verbose = invocation->verbosity > 0;

	/* Like help, version reads its own arguments (it needs no settings). */
	for (int i = 0; i < invocation->arg_count; i++) {
		if (strcmp(invocation->args[i], "-v") != 0 && strcmp(invocation->args[i], "--verbose") != 0) {
			log_error("version: unexpected argument '%s' (it takes only -v)", invocation->args[i]);
			return EXIT_USAGE;
		}
		verbose = true;
	}
	printf("prisma-entrypoint %s\n", PE_VERSION);
	if (verbose)
		print_libraries();
	return 0;
}

const struct command command_version = {
    .name = "version",
    .usage = "version [-v]",
    .args = {0, COMMAND_ARGS_ANY, NULL, NULL},
    .summary = "print the version; with -v, how the binary was built and the version of each library it uses",
    .exec = version_exec,
};
