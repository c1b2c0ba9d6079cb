#include "log.h"

#include "resident.h"

#include "fdio.h"
#include "json-string.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOG_PREFIX "prisma-entrypoint: "
/* Room format_json() keeps after the message for `"}\n`, with slack. */
#define LOG_JSON_KEEP 8

/* The only mutable state: set once by log_setup() from the main thread. */
static enum log_level current_level = LOG_LEVEL_INFO;
static enum log_format current_format = LOG_FORMAT_TEXT;
/* The last error logged: see log_last_error(). */
static char last_error[LOG_LINE_MAX];
/* Descriptors below this one are tracked for unfinished relayed lines
 * (stdout, stderr, and what the tests relay to). */
#define LOG_TRACKED_FDS 16
static bool relay_mid_line[LOG_TRACKED_FDS];

static const char *const severity_names[] = {
    [LOG_ERROR] = "error",     [LOG_WARNING] = "warning", [LOG_INFO] = "info",
    [LOG_VERBOSE] = "verbose", [LOG_DEBUG] = "debug",
};

void log_setup(enum log_level level, enum log_format format)
{
	current_level = level;
	current_format = format;
}

STAYS_RESIDENT bool log_enabled(enum log_severity severity)
{
	switch (severity) {
	case LOG_ERROR:
	case LOG_WARNING:
		return true;
	case LOG_INFO:
		return current_level >= LOG_LEVEL_INFO;
	case LOG_VERBOSE:
		return current_level >= LOG_LEVEL_VERBOSE;
	case LOG_DEBUG:
		return current_level >= LOG_LEVEL_DEBUG;
	}
	return false;
}

/* Nowhere to report a failed write to stderr: the line is lost. */
static void write_stderr(const char *buf, size_t len)
{
	(void)fdio_write_all(STDERR_FILENO, buf, len);
}

/* source: NULL for our own lines; else the relayed child's name. */
static size_t format_json(char *line, size_t size, enum log_severity severity, const char *source, const char *message)
{
	struct timespec now;
	struct tm utc;
	char stamp[40];
	size_t used;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &utc);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &utc);
	used = (size_t)snprintf(line, size, "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\",", stamp, now.tv_nsec / 1000000L,
	                        severity_names[severity]);
	if (source) {
		used += (size_t)snprintf(line + used, size - used, "\"source\":\"");
		json_string_append(line, size, &used, source, LOG_JSON_KEEP);
		used += (size_t)snprintf(line + used, size - used, "\",");
	}
	used += (size_t)snprintf(line + used, size - used, "\"msg\":\"");
	json_string_append(line, size, &used, message, LOG_JSON_KEEP);
	memcpy(line + used, "\"}\n", 3);
	return used + 3;
}

static size_t format_text(char *line, size_t size, enum log_severity severity, const char *message)
{
	const char *label = "";
	size_t used;
	int n;

	if (severity == LOG_ERROR)
		label = "error: ";
	else if (severity == LOG_WARNING)
		label = "warning: ";
	n = snprintf(line, size, LOG_PREFIX "%s", label);
	if (n < 0)
		return 0;
	used = (size_t)n;
	/* One event, one line: control characters that a value brought in (a
	 * percent-decoded newline, an environment value) are shown escaped. */
	for (const unsigned char *p = (const unsigned char *)message; *p && used + 5 < size; p++) {
		if (*p == '\n')
			used += (size_t)snprintf(line + used, size - used, "\\n");
		else if (*p == '\t')
			used += (size_t)snprintf(line + used, size - used, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			used += (size_t)snprintf(line + used, size - used, "\\x%02x", *p);
		else
			line[used++] = (char)*p;
	}
	line[used++] = '\n';
	return used;
}

static bool same_file(int fd, int other)
{
	struct stat a;
	struct stat b;

	return fstat(fd, &a) == 0 && fstat(other, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Our line must start a line wherever it shows: the relayed line left
 * unfinished on stderr, or on stdout when that is the same file, ends first.
 * Its rest then comes on a line of its own. */
static void end_relayed_lines_on_stderr(void)
{
	for (int fd = 0; fd < LOG_TRACKED_FDS; fd++)
		if (relay_mid_line[fd] && (fd == STDERR_FILENO || same_file(fd, STDERR_FILENO)))
			log_relay_end_line(fd);
}

void log_relay_write(int fd, const char *data, size_t len)
{
	if (len == 0)
		return;
	(void)fdio_write_all(fd, data, len);
	if (fd >= 0 && fd < LOG_TRACKED_FDS)
		relay_mid_line[fd] = data[len - 1] != '\n';
}

bool log_relay_mid_line(int fd)
{
	return fd >= 0 && fd < LOG_TRACKED_FDS && relay_mid_line[fd];
}

void log_relay_end_line(int fd)
{
	if (log_relay_mid_line(fd))
		log_relay_write(fd, "\n", 1);
}

bool log_is_json(void)
{
	return current_format == LOG_FORMAT_JSON;
}

void log_relay_json_line(int fd, const char *source, const char *text, size_t len)
{
	char message[LOG_LINE_MAX];
	char line[LOG_LINE_MAX + 256];
	size_t line_len;

	/* A NUL in the child's output ends the text here: json_string_append
	 * reads a C string. */
	snprintf(message, sizeof(message), "%.*s", (int)(len < sizeof(message) ? len : sizeof(message) - 1), text);
	line_len = format_json(line, sizeof(line), LOG_INFO, source, message);
	if (fd == STDERR_FILENO || same_file(fd, STDERR_FILENO))
		end_relayed_lines_on_stderr();
	log_relay_write(fd, line, line_len);
}

void log_vmessage(enum log_severity severity, const char *fmt, va_list ap)
{
	char message[LOG_LINE_MAX];
	char line[LOG_LINE_MAX + 128];
	size_t len;
	int saved_errno = errno;

	if (!log_enabled(severity))
		return;
	vsnprintf(message, sizeof(message), fmt, ap);
	if (severity == LOG_ERROR)
		snprintf(last_error, sizeof(last_error), "%s", message);
	if (current_format == LOG_FORMAT_JSON)
		len = format_json(line, sizeof(line), severity, NULL, message);
	else
		len = format_text(line, sizeof(line), severity, message);
	end_relayed_lines_on_stderr();
	write_stderr(line, len);
	errno = saved_errno;
}

const char *log_last_error(void)
{
	return last_error;
}

void log_forget_errors(void)
{
	last_error[0] = '\0';
}

void log_set_last_error(const char *message)
{
	snprintf(last_error, sizeof(last_error), "%s", message);
}

void log_message(enum log_severity severity, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmessage(severity, fmt, ap);
	va_end(ap);
}
