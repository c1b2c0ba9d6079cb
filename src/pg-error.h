/* PostgreSQL's and libpq's error text read for the user: one line of plain
 * words with the SQLSTATE, and a verdict from a table of rules: transient
 * (wait and try again) or permanent, with advice on what to change.
 *
 * Pure: no libpq, no I/O, no allocation that outlives a call; the results
 * live in the caller's struct pg_error, and advice points at static text.
 * The probe (pg-probe.c) reads every failed attempt through here. No message
 * made here holds the password it is given, however the text quotes it. */
#ifndef PE_PG_ERROR_H
#define PE_PG_ERROR_H

#include <stdbool.h>
#include <stddef.h>

#define PG_ERROR_MESSAGE_SIZE 512

enum pg_error_verdict {
	PG_ERROR_TRANSIENT, /* the server is not there yet, or is starting, stopping, recovering or full */
	PG_ERROR_PERMANENT, /* waiting will not change the answer: see advice */
};

/* What the text alone does not say. */
struct pg_error_context {
	bool tls_off;          /* sslmode disable or allow: TLS is not tried first */
	bool identity_dropped; /* the URL's sslidentity could not be given to libpq */
};

/* One rule: it applies when every condition given holds; the first that
 * applies decides. */
enum pg_error_when { PG_WHEN_ALWAYS, PG_WHEN_TLS_OFF, PG_WHEN_IDENTITY_DROPPED };

struct pg_error_rule {
	/* "28P01" the SQLSTATE itself, "28" or "57P0" its first characters;
	 * "" only when the server sent no SQLSTATE. */
	const char *code;
	const char *starts;   /* the message starts with it (NULL: any) */
	const char *words[2]; /* the message holds them, in any case (NULL: none) */
	enum pg_error_when when;
	enum pg_error_verdict verdict;
	const char *advice; /* permanent rules only */
};

struct pg_error {
	char message[PG_ERROR_MESSAGE_SIZE]; /* "" until read */
	char sqlstate[6];                    /* "" when there is none */
	enum pg_error_verdict verdict;       /* set by pg_error_classify() and pg_error_at_start() */
	const char *advice;                  /* "" unless permanent */
	const struct pg_error_rule *rule;    /* the rule that decided; NULL: none did */
};

/* Sets error's message and SQLSTATE from libpq's text (one "connection to
 * server ... failed: ..." paragraph per host and try; the last decides, an
 * earlier TLS failure is kept) or a server's primary message, and the
 * server's SQLSTATE field (NULL: none; taken only when it is five digits
 * and capitals). The message is one line, starts in lowercase where the
 * text is plain words, ends with " (SQLSTATE)" when there is one, and shows
 * every copy of password (NULL: none; ignored when shorter than 4) as
 * "****". Start from a zeroed struct pg_error: a SQLSTATE an earlier read
 * took is kept when this text carries none. */
void pg_error_read(struct pg_error *error, const char *text, const char *sqlstate, const char *password);

/* The first rule of the table that applies to message and sqlstate in
 * context, or NULL. */
const struct pg_error_rule *pg_error_rule_for(const char *message, const char *sqlstate,
                                              const struct pg_error_context *context);

/* The verdict on what pg_error_read() took: the rule's, or transient with
 * "; not recognised, retrying" added to the message when no rule applies. */
void pg_error_classify(struct pg_error *error, const struct pg_error_context *context);

/* For a configuration error found before any network traffic: reads text
 * as pg_error_read() does; the verdict is permanent, with advice. */
void pg_error_at_start(struct pg_error *error, const char *text, const char *password);

/* Whether error says the database the URL names does not exist: the
 * server's 3D000, or the same refusal passed on by a connection pooler
 * (PgBouncer sends it as 08P01), so that a start that creates the database
 * can tell it from other refusals. */
bool pg_error_is_missing_database(const struct pg_error *error);

/* The table, for tests: *count rules. */
const struct pg_error_rule *pg_error_rules(size_t *count);

/* The length of text's first line without trailing spaces and full stops. */
size_t pg_error_line_length(const char *text);

#endif
