/* migrate-engine = native: the pending migrations of the folder applied over
 * the migrate phase's session (pg-apply.h), with no Prisma CLI. */
#ifndef PE_MIGRATE_NATIVE_H
#define PE_MIGRATE_NATIVE_H

#include "migrate-plan.h"
#include "pg-session.h"

/* Applies what is pending, in the folder's order, after reading every
 * pending migration.sql first (a missing one stops it before anything is
 * applied). The caller holds the migrate lock and Prisma's. Returns 0, or an
 * exit code after saying why. */
int migrate_native_apply(struct pg_session *session, const struct migrate_plan *plan);

/* Records every migration of the folder that has no row as applied, without
 * running it (a baseline: the database already has what they make), after
 * reading each migration.sql for its checksum. Returns 0, or an exit code
 * after saying why. */
int migrate_native_record_applied(struct pg_session *session, const struct migrate_plan *plan);

#endif
