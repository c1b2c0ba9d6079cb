#include "log.h"

#include "fdio.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_PREFIX   "prisma-entrypoint: "
#define LOG_LINE_MAX 4096

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

/* The length of the valid UTF-8 sequence at p (1 to 4), or 0 when the bytes
 * there are not one: a stray continuation byte, a truncated sequence, an
 * overlong form, a surrogate, or a code point past U+10FFFF. */
static size_t utf8_length(const unsigned char *p)
{
	size_t length;
	unsigned long code;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		length = 2, code = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		length = 3, code = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		length = 4, code = p[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < length; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		code = code << 6 | (p[i] & 0x3f);
	}
	if ((length == 3 && code < 0x800) || (length == 4 && code < 0x10000) || code > 0x10ffff ||
	    (code >= 0xd800 && code <= 0xdfff))
		return 0;
	return length;
}

/* Appends text to line[*used..size) as a JSON string body; truncates rather
 * than overflow, always leaving room for the closing characters. Bytes that
 * are not UTF-8 become U+FFFD, so the line is always valid JSON. */
static void append_json_string(char *line, size_t size, size_t *used, const char *text)
{
	static const char hex[] = "0123456789abcdef";
	const size_t reserve = 8; /* room for the escape in progress and `"}\n` */

	for (const unsigned char *p = (const unsigned char *)text; *p;) {
		char esc[7];
		size_t esc_len = 0, take = 1;

		switch (*p) {
		case '"':
		case '\\':
			esc[0] = '\\';
			esc[1] = (char)*p;
			esc_len = 2;
			break;
		case '\n':
			memcpy(esc, "\\n", 2);
			esc_len = 2;
			break;
		case '\t':
			memcpy(esc, "\\t", 2);
			esc_len = 2;
			break;
		default:
			take = utf8_length(p);
			if (*p < 0x20) {
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[*p >> 4];
				esc[5] = hex[*p & 0xf];
				esc_len = 6;
			} else if (take == 0) {
				memcpy(esc, "\\ufffd", 6);
				esc_len = 6;
				take = 1;
			} else {
				memcpy(esc, p, take);
				esc_len = take;
			}
		}
		if (*used + esc_len + reserve > size)
			return;
		memcpy(line + *used, esc, esc_len);
		*used += esc_len;
		p += take;
	}
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
	append_json_string(line, size, &used, message);
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
