/* baseline = auto: a database with tables but no _prisma_migrations (Prisma's
 * P3005) is baselined, every migration of the folder recorded as applied,
 * only when `prisma migrate diff` finds no difference between the database
 * and the schema. */
#ifndef PE_MIGRATE_BASELINE_H
#define PE_MIGRATE_BASELINE_H

#include "command.h"
#include "loop.h"
#include "migrate-plan.h"
#include "pg-session.h"

/* Compares, and records the baseline when there is no difference; the
 * caller holds the migrate lock. what: what the database holds ("2 tables
 * (User, Post)"). Returns 0 when recorded, or an exit code after saying why
 * (differences, or a diff that could not compare: nothing recorded). */
int migrate_baseline(const struct invocation *invocation, struct loop *loop, struct pg_session *session,
                     const struct migrate_plan *plan, const char *what);

#endif
