/* migrate-mode = push (development): `prisma db push --skip-generate` when
 * the schema changed since the last successful push to the database, as a
 * record keyed by the database's identity says; never --accept-data-loss
 * unless push-accept-data-loss says so. */
#ifndef PE_MIGRATE_PUSH_H
#define PE_MIGRATE_PUSH_H

#include "migrate-plan.h"

/* Pushes plan's schema to the database (url: the URL migrations use) when
 * its inputs changed since the last push recorded for that database, under
 * a lock next to the record. Returns 0, or an exit code after one line:
 * EXIT_MIGRATE when the push failed or would lose data (nothing recorded),
 * 128+N when stopped. */
int migrate_push(const struct invocation *invocation, struct loop *loop, const struct migrate_plan *plan,
                 const char *url);

enum push_state {
	PUSH_CURRENT, /* the record vouches for these schema inputs (and the SQLite file exists) */
	PUSH_PENDING, /* no record, another schema, or no SQLite file: the next start pushes */
};

/* For status: whether the next start would push, without writing anything
 * or taking the lock; why gets one line ("the schema changed since the last
 * push", "schema unchanged since the last prisma db push to DATABASE").
 * Returns 0, or an exit code after one line. */
int migrate_push_state(const struct config *config, const struct migrate_plan *plan, const char *url,
                       enum push_state *state, char *why, size_t why_size);

#endif
