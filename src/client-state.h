/* Whether the generated Prisma client matches its inputs: the inputs' digest
 * against the generate record (generate-record.h), and the generated files still in
 * place (a reinstall of node_modules removes them, record or not). */
#ifndef PE_CLIENT_STATE_H
#define PE_CLIENT_STATE_H

#include <stdbool.h>
#include <stddef.h>

enum client_state {
	CLIENT_CURRENT,
	CLIENT_NO_RECORD,      /* never generated here, or the record was removed */
	CLIENT_CHANGED,        /* the inputs' digest differs from the record */
	CLIENT_OUTPUT_MISSING, /* the record matches, but the generated files are gone */
	CLIENT_ENGINE_MISSING, /* current, but without the native engine this platform needs (engine-files.h) */
};

struct client_status {
	enum client_state state;
	char recorded[65]; /* the recorded digest, "" without a record */
};

/* Compares digest with the record at record_path, then looks at the
 * generated files at output_path (NULL: no client generator to look for;
 * typescript: written by the prisma-client generator, see
 * client_output_present). Returns 0 with status filled, or -1 with a
 * one-line error when the record exists but cannot be read. */
int client_state_check(const char *digest, const char *record_path, const char *output_path, bool typescript,
                       struct client_status *status, char *error, size_t error_size);

/* True when the folder at path holds a generated client. prisma-client-js
 * (typescript false): something besides the placeholder files
 * @prisma/client's postinstall writes (index.js, default.js, ... that only
 * throw "did not initialize yet"). prisma-client (typescript true): its
 * entry point, a file named client.ts, client.mts, client.cts or
 * client.d.ts, as Prisma itself tells a generated client: the models/ and
 * internal/ beside it are no client without it. */
bool client_output_present(const char *path, bool typescript);

/* One line on why status is not current ("no record of an earlier generate
 * at PATH", ...), or that it is. */
void client_state_describe(const struct client_status *status, const char *digest, const char *record_path,
                           const char *output_path, char *out, size_t size);

/* Whether the generate phase runs prisma generate. */
enum generate_verdict {
	GENERATE_RUN,       /* the client is stale, or force-generate is set */
	GENERATE_CURRENT,   /* the client is current: nothing to do */
	GENERATE_MEANWHILE, /* current, and made by another process while this one looked or waited */
};

/* The verdict on status, read first before the generate lock (first_recorded
 * NULL), then again with it: first_recorded is then what the first read
 * found in the record, and waited tells whether the lock was held by
 * another process. Before the lock: CURRENT when current and not force,
 * else RUN. With it: MEANWHILE when current and (waited, or the record
 * changed since the first read), force or not (the other process's generate
 * is as good as this one's); else RUN. force counts before the lock only. */
enum generate_verdict client_state_verdict(const struct client_status *status, const char *first_recorded, bool waited,
                                           bool force);

#endif
