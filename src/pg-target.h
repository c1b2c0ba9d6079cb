/* PostgreSQL URLs written for Prisma, read as libpq connection parameters
 * (struct pg_target), as Prisma's engine reads them.
 *
 * Uses libpq (pg-lib.h) only to ask what it accepts (PQconninfoParse,
 * PQconndefaults): nothing here connects. A target owns all its strings;
 * no message made here shows the password. */
#ifndef PE_PG_TARGET_H
#define PE_PG_TARGET_H

#include <stdbool.h>
#include <stddef.h>

/* Where a URL says the server is: a host name or address with a TCP port, or
 * a unix socket directory (from "?host=/path"), whose socket file is
 * DIR/.s.PGSQL.PORT. */
struct pg_host {
	char *name;     /* "db", "10.0.0.5", "::1" (no brackets), or "/var/run/postgresql" */
	char port[8];   /* "5432" when the URL gives none */
	bool is_socket; /* name is a socket directory */
};

/* A postgresql:// URL as libpq connection parameters. Everything is owned by
 * the struct and freed by pgconn_target_release(). */
struct pg_target {
	/* NULL-terminated, the same length: every parameter but host, hostaddr
	 * and port, which pgconn_probe_start() adds per attempt. values holds
	 * the password: never print it. */
	char **keywords;
	char **values;
	struct pg_host *hosts; /* at least one */
	size_t host_count;
	char *dbname;  /* as the server is asked for it */
	char *user;    /* "" when the URL names none (libpq then uses the OS user) */
	char *schema;  /* Prisma's ?schema=, "public" by default */
	char *display; /* "db:5432", "[::1]:5433", "/var/run/postgresql", comma-joined; no password */
	/* The URL carries sslidentity (Prisma's PKCS#12 client certificate),
	 * which libpq cannot present: a server that demands a client certificate
	 * rejects the probe although the app may connect. */
	bool identity_dropped;
	/* The URL looks like a transaction pooler's (pooler.h: ?pgbouncer=true,
	 * a Neon or Supabase pooler host, port 6543): session state (an advisory
	 * lock) would outlive our connection, on a pooled server connection. */
	bool pooled;
};

/* libpq's version ("libpq 15.18") in out: 0; or -1 with why it cannot be
 * loaded. */
int pgconn_library_version(char *out, size_t out_size);

/* Translates a postgresql:// or postgres:// URL, written for Prisma, into
 * libpq parameters:
 * - credentials, host list, IPv6 literals and database percent-decoded; no
 *   port means 5432, no database means "postgres" (as Prisma does);
 * - ?host=/dir selects a unix socket directory (?host=name a TCP host), in
 *   place of the URL's hosts;
 * - Prisma-only parameters are dropped (schema is kept in target->schema),
 *   Prisma's sslcert and sslaccept are mapped onto libpq's sslrootcert and
 *   sslmode (see pg-target.c for why), other parameters libpq knows are kept;
 * - a parameter neither Prisma nor libpq knows is an error.
 * Returns 0, or -1 with target cleared and a one-line message in error that
 * shows the URL with its password redacted. Any other scheme is an error:
 * the caller deals with mysql://, sqlserver:// and file: itself. */
int pgconn_target_from_url(const char *url, struct pg_target *target, char *error, size_t error_size);

/* A copy of from that names database dbname instead (the server's
 * maintenance database, to wait for or create the one the URL names).
 * Returns 0, or -1 with errno ENOMEM and *to cleared. */
int pgconn_target_for_database(const struct pg_target *from, const char *dbname, struct pg_target *to);

/* Frees everything; a cleared target may be released again. */
void pgconn_target_release(struct pg_target *target);

/* The value given to libpq for keyword, or NULL. */
const char *pgconn_target_value(const struct pg_target *target, const char *keyword);

/* Prisma resolves certificate paths relative to the folder of the schema
 * file; libpq would take them relative to the working directory. Makes a
 * relative sslrootcert absolute under base_dir. Returns 0, or -1 with errno
 * ENOMEM. */
int pgconn_target_resolve_paths(struct pg_target *target, const char *base_dir);

/* The target's parameters with host, hostaddr (NULL: none) and port added,
 * as the NULL-terminated arrays PQconnectStartParams() takes, in
 * *keywords and *values (malloc'd, the password among them): free them
 * with pgconn_params_free(). Returns 0, or -1 with errno ENOMEM and nothing
 * to free. */
int pgconn_target_params(const struct pg_target *target, const char *host, const char *hostaddr, const char *port,
                         char ***keywords, char ***values);

/* Frees what pgconn_target_params() made, wiping the values. */
void pgconn_params_free(char **keywords, char **values);

#endif
