#include "log.h"

#include "fdio.h"
#include "json-string.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_PREFIX   "prisma-entrypoint: "
#define LOG_LINE_MAX 4096
/* Room format_json() keeps after the message for `"}\n`, with slack. */
#define LOG_JSON_KEEP 8

/* The only mutable state: set once by log_setup() from the main thread. */
static enum log_level current_level = LOG_LEVEL_INFO;
static enum log_format current_format = LOG_FORMAT_TEXT;
/* The last error logged: see log_last_error(). */
static char last_error[LOG_LINE_MAX];

static const char *const severity_names[] = {
    [LOG_ERROR] = "error",     [LOG_WARNING] = "warning", [LOG_INFO] = "info",
    [LOG_VERBOSE] = "verbose", [LOG_DEBUG] = "debug",
};

void log_setup(enum log_level level, enum log_format format)
{
	current_level = level;
	current_format = format;
}

bool log_enabled(enum log_severity severity)
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

static size_t format_json(char *line, size_t size, enum log_severity severity, const char *message)
{
	struct timespec now;
	struct tm utc;
	char stamp[40];
	size_t used;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &utc);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &utc);
	used = (size_t)snprintf(line, size, "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\",\"msg\":\"", stamp,
	                        now.tv_nsec / 1000000L, severity_names[severity]);
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
		len = format_json(line, sizeof(line), severity, message);
	else
		len = format_text(line, sizeof(line), severity, message);
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

void log_message(enum log_severity severity, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmessage(severity, fmt, ap);
	va_end(ap);
}
