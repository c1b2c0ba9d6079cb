/* Whether a database URL looks like one that goes through a transaction
 * pooler (PgBouncer, Supabase's Supavisor, Neon's pooler), where session
 * state does not last: a session advisory lock stays on whichever pooled
 * server connection ran it, and named prepared statements meet other
 * clients' ("prepared statement \"s0\" already exists"). Guessed from the URL
 * alone; nothing here connects.
 *
 * Pure: parses with url.h, allocates nothing that outlives a call. */
#ifndef PE_POOLER_H
#define PE_POOLER_H

#include <stdbool.h>
#include <stddef.h>

/* Whether url looks pooled: ?pgbouncer=true (Prisma's own flag for a
 * transaction pooler), a host holding "-pooler." (Neon's pooled endpoints),
 * a host holding "pooler.supabase.com" on any port but 5432 (Supavisor's
 * session mode, which keeps session state), or port 6543 (the transaction
 * port of Supabase's pooler). Writes the first reason found into why
 * ("pgbouncer=true", "port 6543", "host aws-0-eu.pooler.supabase.com"); a URL
 * that cannot be parsed does not look pooled. */
bool pooler_url_looks_pooled(const char *url, char *why, size_t why_size);

#endif
