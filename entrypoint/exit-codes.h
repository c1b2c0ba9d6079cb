/* Every exit code prisma-entrypoint chooses itself. Apart from these, the
 * app's own status passes through, and 128+N reports that it died of signal N.
 * The codes avoid those apps commonly use (sysexits.h and the shell's). */
#ifndef PE_EXIT_CODES_H
#define PE_EXIT_CODES_H

/* status, which runs no app: */
#define EXIT_STATUS_OUT_OF_SYNC       10 /* stale client, or migrations pending or being applied */
#define EXIT_STATUS_FAILED_MIGRATION  11 /* a failed migration blocks deploys */
#define EXIT_STATUS_DATABASE_UNUSABLE 12 /* not reachable, refused, or its migrations cannot be read */

#define EXIT_USAGE          64  /* bad command line */
#define EXIT_UNAVAILABLE    69  /* a dependency refused for good (wrong password, ...) */
#define EXIT_OS_ERROR       71  /* the system refused: no process, no signalfd */
#define EXIT_CANT_CREATE    73  /* the generate record or its lock cannot be written */
#define EXIT_NO_PERMISSION  77  /* restart: only root and the supervisor's user may ask */
#define EXIT_CONFIG         78  /* bad settings: INI file, environment, values; migrations for another database; user */
#define EXIT_GENERATE       80  /* prisma generate failed, or the client lacks this platform's engine */
#define EXIT_MIGRATE        81  /* a failed migration blocks deploys, deploy failed, unknown migrations refused */
#define EXIT_SEED           82  /* seed = once: prisma db seed failed, or its record cannot be read or written */
#define EXIT_INSTALL        83  /* install = auto: the package manager's frozen install failed or cannot run */
#define EXIT_TIMEOUT        124 /* dependencies not ready (or migrations not applied, wait mode) before wait-timeout */
#define EXIT_CANNOT_EXECUTE 126 /* CMD found but not executable */
#define EXIT_NOT_FOUND      127 /* CMD not found */
#define EXIT_SIGNAL_BASE    128 /* + N: the app, or prisma-entrypoint before it, ended by signal N */

struct exit_code_doc {
	const char *code;
	const char *meaning;
};

/* For `help exit-codes` and the README, in the order shown there. */
extern const struct exit_code_doc exit_code_docs[];
extern const unsigned exit_code_doc_count;

#endif
