/* Logging: one line per event on stderr, as text or as JSON lines.
 *
 * Every line is assembled in memory and written with a single write(2), so
 * lines from prisma-entrypoint never interleave with each other and show up in
 * container logs at once, whatever stdio buffering the process inherited. */
#ifndef PE_LOG_H
#define PE_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* How much to say. Warnings and errors are printed at every level. */
enum log_level { LOG_LEVEL_QUIET, LOG_LEVEL_INFO, LOG_LEVEL_VERBOSE, LOG_LEVEL_DEBUG };

enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

/* The severity of one message. */
enum log_severity { LOG_ERROR, LOG_WARNING, LOG_INFO, LOG_VERBOSE, LOG_DEBUG };

/* Process-wide, like stderr itself: set once after the settings are known.
 * Until then messages go out as text at info level. */
void log_setup(enum log_level level, enum log_format format);

bool log_enabled(enum log_severity severity);

void log_message(enum log_severity severity, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmessage(enum log_severity severity, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Output relayed from a child (the Prisma CLI, see output-relay.h) onto fd,
 * written here too, so that its lines and ours never share a line: a relayed
 * line left unfinished on stderr, or on a descriptor that is the same file
 * (2>&1, a terminal), is ended with a newline before our next line goes out.
 * Relayed output shows at every log level. */
void log_relay_write(int fd, const char *data, size_t len);

/* Whether a relayed line on fd is unfinished (no newline yet). */
bool log_relay_mid_line(int fd);

/* Ends the unfinished relayed line on fd, if there is one. */
void log_relay_end_line(int fd);

/* Whether lines go out as JSON (log-format = json). */
bool log_is_json(void);

/* JSON format: one relayed line (len bytes, no newline) as an object of its
 * own on fd, shaped as ours with a "source" ("prisma"):
 * {"time":"...","level":"info","source":"prisma","msg":"..."}. */
void log_relay_json_line(int fd, const char *source, const char *line, size_t len);

/* The longest line logged; a longer message is cut. */
#define LOG_LINE_MAX 4096

/* The last error logged (without prefix), "" when none since the start or
 * log_forget_errors(): for a summary told to someone who cannot see stderr
 * (a restart's requester). */
const char *log_last_error(void);
void log_forget_errors(void);

/* Takes message as the last error without logging it: the one a child that
 * is a part of this program logged (the phases run in a child, see
 * phases.h). */
void log_set_last_error(const char *message);

#define log_error(...)   log_message(LOG_ERROR, __VA_ARGS__)
#define log_warning(...) log_message(LOG_WARNING, __VA_ARGS__)
#define log_info(...)    log_message(LOG_INFO, __VA_ARGS__)
#define log_verbose(...) log_message(LOG_VERBOSE, __VA_ARGS__)
#define log_debug(...)   log_message(LOG_DEBUG, __VA_ARGS__)

#endif
