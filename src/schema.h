/* The Prisma schema: where it is, what it covers, and a digest of everything
 * that changes the generated client.
 *
 * schema_find() looks for the schema the way the Prisma CLI does (6.19 and
 * 7.x) from a working directory; schema_digest() then hashes the files found
 * with SHA-256, so that the generate phase can tell whether the client
 * generated last time still matches. libcrypto is loaded on first use
 * (dynlib.h): linking it would cost every container start about 2.5 million
 * instructions of loading and relocation, digest or not.
 *
 * Every path in struct schema_inputs is relative to base_dir (or absolute,
 * when the setting or a config file gave an absolute path), lexically
 * normalized the way Node's path.resolve() does it ("./prisma/../x" is "x").
 * With base_dir ".", they open as they are. */
#ifndef PE_SCHEMA_H
#define PE_SCHEMA_H

#include "schema-psl.h"

#include <stdbool.h>
#include <stddef.h>

/* Where the schema came from, highest precedence first. */
enum schema_rule {
	SCHEMA_FROM_SETTING,       /* the schema setting (like prisma --schema) */
	SCHEMA_FROM_CONFIG_FILE,   /* `schema: "..."` in prisma.config.* or .config/prisma.* */
	SCHEMA_FROM_PACKAGE_JSON,  /* package.json "prisma": {"schema": "..."}; Prisma 6 only */
	SCHEMA_DEFAULT_ROOT,       /* ./schema.prisma */
	SCHEMA_DEFAULT_PRISMA_DIR, /* ./prisma/schema.prisma */
};

/* Prisma's direct URL (past a connection pooler, for migrations), as the
 * schema and the config file give it: directUrl in the datasource block
 * (Prisma 6), and datasource.directUrl in the config file. Not given when
 * absent. */
struct schema_direct_urls {
	struct schema_url_ref datasource;
	char *datasource_file; /* the .prisma file that holds it */
	struct schema_url_ref config;
	char *config_file; /* the config file that holds it */
};

/* The major version of a "version" string ("6.19.3": 6), -1 for NULL or one
 * that does not start with a digit. */
int schema_major_version(const char *version);

/* A deep copy; returns 0, or -1 when out of memory (to zeroed). */
int schema_direct_urls_copy(struct schema_direct_urls *to, const struct schema_direct_urls *from);

/* Frees what urls owns and zeroes it; safe on a zeroed one. */
void schema_direct_urls_release(struct schema_direct_urls *urls);

struct schema_inputs {
	char *base_dir;    /* the working directory given to schema_find() */
	char *schema_path; /* the file or folder, as found */
	enum schema_rule rule;
	char *config_file; /* the Prisma config file found (prisma.config.ts, ...), or NULL */
	char **files;      /* every .prisma file covered, sorted by path (byte order) */
	size_t file_count;
	/* "version" of node_modules/prisma/package.json and of
	 * node_modules/@prisma/client/package.json; NULL when not installed. */
	char *prisma_version;
	char *client_version;
	/* Where the client is generated: the `output` of the first generator
	 * block (files in order) whose provider is "prisma-client-js" or
	 * "prisma-client", relative to the folder of the file that holds it;
	 * node_modules/.prisma/client for prisma-client-js without output.
	 * NULL when there is no such generator, or when its output is not a
	 * plain string (env("...")) or missing (prisma-client requires one). */
	char *generator_output;
	/* That generator is "prisma-client" (TypeScript: client.ts and more),
	 * not "prisma-client-js". */
	bool generator_typescript;
	/* The prisma-client generator reads the nearest tsconfig.json above its
	 * output folder (the folder itself first, up to /; compilerOptions.module
	 * picks ESM or CommonJS): that file when there is one, relative to
	 * base_dir (as ../tsconfig.json and so on above it), else NULL. Only its
	 * own text counts: files it `extends` are not followed. */
	char *tsconfig_file;
	/* That generator's `engineType` ("library", "binary", "client"), a
	 * plain string; NULL when absent (Prisma 6's default is library). */
	char *generator_engine_type;
	struct schema_direct_urls direct_urls;
	/* The bytes schema_find() read of the config file and of the schema
	 * files it looked into, up to SCHEMA_KEPT_MAX in all, so that
	 * schema_digest() hashes exactly what was parsed without opening each
	 * file a second time; a file not kept is read again. */
	struct schema_kept_file *kept;
	size_t kept_count;
	size_t kept_bytes;
};

/* Bytes: the schema files and config file schema_find() keeps for the
 * digest; a project beyond it has its files read twice, as before. */
#define SCHEMA_KEPT_MAX (1024 * 1024)

struct schema_kept_file {
	char *path; /* as in files[] or config_file */
	char *data;
	size_t len;
};

/* Asked before every file schema_find() and schema_digest() read and every
 * folder entry they look at, so that a stop request (SIGTERM during a long
 * walk) is honoured at once: when should_stop(arg) returns true, they set
 * stopped and return SCHEMA_STOPPED. A NULL stop or should_stop: never. */
struct schema_stop {
	bool (*should_stop)(void *arg);
	void *arg;
	bool stopped;
};

#define SCHEMA_STOPPED (-2)

/* The Prisma config files the CLI looks for in the working directory, in its
 * order (prisma.config.ts, ..., .config/prisma.cts). */
extern const char *const schema_config_names[];
extern const size_t schema_config_name_count;

/* Finds the schema as Prisma would, from the working directory base_dir:
 *
 *   1. configured (the schema setting; relative to base_dir), unless NULL or "";
 *   2. `schema: "..."` in the first Prisma config file present in base_dir:
 *      prisma.config.{ts,js,mjs,cjs,mts,cts}, then .config/prisma.{same},
 *      relative to the config file's folder;
 *   3. package.json "prisma": {"schema": "..."}, relative to base_dir; skipped
 *      when the installed prisma is 7 or later, which ignores it;
 *   4. ./schema.prisma, 5. ./prisma/schema.prisma (files only, as in Prisma).
 *
 * Rules 1-3 may name a file or a folder; a folder means every .prisma file
 * under it, recursively. Symbolic links are followed, to files and to
 * folders, as Prisma does (a link back to a folder being walked is skipped);
 * files are listed by their path through the link, not the link's target.
 *
 * The config file is TypeScript or JavaScript and is not run: only a plain
 * string literal ("..." or '...', or `...` without ${}) is read as the value
 * of a `schema` key. Comments and other strings are skipped; any other value
 * (path.join(...), a variable, a template with ${}) is an error asking for
 * the schema setting. package.json is scanned, not fully parsed into a tree:
 * the document must be valid JSON, and only top-level keys with plain string
 * values are read ("prisma"."schema" is read inside the top-level "prisma"
 * object); a repeated key takes its last value, as JSON.parse does.
 *
 * inputs is filled on 1 and left zeroed otherwise. Returns 1 found; 0
 * nothing found and nothing configured (the caller skips the generate
 * phase); -1 with a one-line error: a configured schema that does not exist
 * (from any of rules 1-3), a folder without .prisma files, a config file
 * whose `schema` is not a plain string literal (unless configured is given:
 * the config file is then only hashed), an invalid package.json (the
 * project's, or prisma's or @prisma/client's), a file that cannot be read:
 * not a regular file (a FIFO, /dev/zero) or over 16 MiB included; or
 * SCHEMA_STOPPED. */
int schema_find(const char *base_dir, const char *configured, struct schema_inputs *inputs, struct schema_stop *stop,
                char *error, size_t error_size);

/* SHA-256 over everything that changes the generated client, in a stable and
 * unambiguous encoding (tagged, length-prefixed fields): each schema file's
 * path and bytes in order, the config file's path and bytes, tsconfig_file's
 * path and bytes when there is one (no field at all otherwise: digests
 * without one stay as they were), the prisma and @prisma/client versions (an
 * absent one differs from an empty one), and engine_target (the platform's
 * name, engine-target.h) when not NULL: a client that needs a native engine
 * is generated again on another platform. Files schema_find() kept are
 * hashed as it read them; the others are read again from base_dir, each at
 * once, and hashed as they are read.
 * Writes 64 lowercase hex digits and a NUL into hex. Returns 0, -1 with a
 * one-line error (a file that cannot be read, libcrypto not loadable), or
 * SCHEMA_STOPPED. */
int schema_digest(const struct schema_inputs *inputs, const char *engine_target, char hex[65], struct schema_stop *stop,
                  char *error, size_t error_size);

/* The version of the library that takes the digest ("OpenSSL 3.0.20 ...")
 * in out: 0; or -1 with why it cannot be loaded. */
int schema_digest_library_version(char *out, size_t out_size);

/* Frees everything inputs owns and zeroes it; safe on a zeroed struct. */
void schema_inputs_release(struct schema_inputs *inputs);

/* "the schema setting", "prisma.config.ts", "package.json prisma.schema",
 * "./schema.prisma", "./prisma/schema.prisma". */
const char *schema_rule_name(enum schema_rule rule);

#endif
