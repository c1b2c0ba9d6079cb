#include "check.h"

#include "log.h"

#include <ctype.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINE_MAX_ 16384

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("property violated: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static bool holds_window(const char *text, size_t len)
{
	static const char secret[] = FUZZ_SECRET;
	const size_t windows = strlen(secret) - FUZZ_SECRET_WINDOW + 1;

	/* By hand, byte by byte: this runs over every output of every input. */
	for (size_t i = 0; i + FUZZ_SECRET_WINDOW <= len; i++)
		for (size_t j = 0; j < windows; j++) {
			size_t k = 0;

			while (k < FUZZ_SECRET_WINDOW &&
			       tolower((unsigned char)text[i + k]) == tolower((unsigned char)secret[j + k]))
				k++;
			if (k == FUZZ_SECRET_WINDOW)
				return true;
		}
	return false;
}

bool fuzz_mentions_secret(const void *data, size_t size)
{
	return holds_window(data, size);
}

void check_no_secret(const char *what, const char *text)
{
	if (holds_window(text, strlen(text)))
		fuzz_fail("%s shows the secret: %s", what, text);
}

void check_terminated(const char *what, const char *buf, size_t size)
{
	if (!memchr(buf, '\0', size))
		fuzz_fail("%s is not terminated within its %zu bytes", what, size);
}

void check_one_line(const char *what, const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if (*p < 0x20)
			fuzz_fail("%s holds control character 0x%02x at %zu: %s", what, *p,
			          (size_t)(p - (const unsigned char *)text), text);
}

/* ---- JSON ---------------------------------------------------------------- */

struct json {
	const unsigned char *p, *end;
	int depth;
};

static size_t utf8_sequence(const unsigned char *p, const unsigned char *end)
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
	if ((size_t)(end - p) < length)
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

bool utf8_valid(const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text, *end = p + len;

	while (p < end) {
		size_t n = utf8_sequence(p, end);

		if (n == 0)
			return false;
		p += n;
	}
	return true;
}

static void skip_ws(struct json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static void put(char *out, size_t size, size_t *used, const void *bytes, size_t len)
{
	if (!out || *used + len + 1 > size)
		return;
	memcpy(out + *used, bytes, len);
	*used += len;
	out[*used] = '\0';
}

static int hex4(const unsigned char *p)
{
	int value = 0;

	for (int i = 0; i < 4; i++) {
		if (!isxdigit(p[i]))
			return -1;
		value = value * 16 + (isdigit(p[i]) ? p[i] - '0' : tolower(p[i]) - 'a' + 10);
	}
	return value;
}

/* A string at j->p, decoded into out when out is not NULL. */
static bool json_string(struct json *j, char *out, size_t size)
{
	size_t used = 0;

	if (out && size)
		out[0] = '\0';
	if (j->p >= j->end || *j->p != '"')
		return false;
	for (j->p++; j->p < j->end;) {
		unsigned char c = *j->p;

		if (c == '"') {
			j->p++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			const char *at;

			if (j->end - j->p < 2)
				return false;
			if (j->p[1] == 'u') {
				int code;
				char utf8[4];
				size_t n;

				if (j->end - j->p < 6 || (code = hex4(j->p + 2)) < 0 ||
				    (code >= 0xd800 && code <= 0xdfff))
					return false; /* the log never writes surrogates */
				if (code < 0x80)
					utf8[0] = (char)code, n = 1;
				else if (code < 0x800)
					utf8[0] = (char)(0xc0 | code >> 6), utf8[1] = (char)(0x80 | (code & 0x3f)),
					n = 2;
				else
					utf8[0] = (char)(0xe0 | code >> 12),
					utf8[1] = (char)(0x80 | ((code >> 6) & 0x3f)),
					utf8[2] = (char)(0x80 | (code & 0x3f)), n = 3;
				put(out, size, &used, utf8, n);
				j->p += 6;
				continue;
			}
			if (!j->p[1] || !(at = strchr(from, j->p[1])))
				return false;
			put(out, size, &used, to + (at - from), 1);
			j->p += 2;
			continue;
		}
		size_t n = utf8_sequence(j->p, j->end);
		if (n == 0)
			return false;
		put(out, size, &used, j->p, n);
		j->p += n;
	}
	return false;
}

static bool json_number(struct json *j)
{
	const unsigned char *start;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p >= j->end || !isdigit(*j->p))
		return false;
	if (*j->p == '0')
		j->p++;
	else
		while (j->p < j->end && isdigit(*j->p))
			j->p++;
	if (j->p < j->end && *j->p == '.') {
		start = ++j->p;
		while (j->p < j->end && isdigit(*j->p))
			j->p++;
		if (j->p == start)
			return false;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		start = j->p;
		while (j->p < j->end && isdigit(*j->p))
			j->p++;
		if (j->p == start)
			return false;
	}
	return true;
}

static bool json_value(struct json *j, char *msg, size_t msg_size);

static bool json_members(struct json *j, bool object, char *msg, size_t msg_size)
{
	const char close = object ? '}' : ']';

	j->p++;
	skip_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return true;
	}
	for (;;) {
		bool is_msg = false;

		skip_ws(j);
		if (object) {
			char key[8];

			if (!json_string(j, key, sizeof(key)))
				return false;
			is_msg = strcmp(key, "msg") == 0;
			skip_ws(j);
			if (j->p >= j->end || *j->p++ != ':')
				return false;
			skip_ws(j);
		}
		if (is_msg && j->p < j->end && *j->p == '"') {
			if (!json_string(j, msg, msg_size))
				return false;
		} else if (!json_value(j, NULL, 0)) {
			return false;
		}
		skip_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			j->p++;
			return true;
		}
		return false;
	}
}

static bool json_value(struct json *j, char *msg, size_t msg_size)
{
	static const char *const words[] = {"true", "false", "null"};
	bool ok;

	skip_ws(j);
	if (j->p >= j->end)
		return false;
	switch (*j->p) {
	case '{':
	case '[':
		if (++j->depth > 64)
			return false;
		ok = json_members(j, *j->p == '{', msg, msg_size);
		j->depth--;
		return ok;
	case '"':
		return json_string(j, NULL, 0);
	default:
		break;
	}
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i]);

		if ((size_t)(j->end - j->p) >= n && memcmp(j->p, words[i], n) == 0) {
			j->p += n;
			return true;
		}
	}
	return json_number(j);
}

bool json_valid(const char *text, size_t len, char *msg, size_t msg_size)
{
	struct json j = {(const unsigned char *)text, (const unsigned char *)text + len, 0};

	if (msg && msg_size)
		msg[0] = '\0';
	if (!json_value(&j, msg, msg_size))
		return false;
	skip_ws(&j);
	return j.p == j.end;
}

/* ---- the log ------------------------------------------------------------- */

/* What one log_message() call writes to stderr, read back from a memfd put
 * in stderr's place for the call. */
static size_t logged(enum log_format format, const char *message, char *out, size_t out_size)
{
	static int memfd = -1;
	int saved;
	ssize_t n;

	if (memfd < 0 && (memfd = memfd_create("fuzz-log", MFD_CLOEXEC)) < 0)
		fuzz_fail("memfd_create failed");
	if (ftruncate(memfd, 0) < 0 || lseek(memfd, 0, SEEK_SET) < 0 || (saved = dup(STDERR_FILENO)) < 0 ||
	    dup2(memfd, STDERR_FILENO) < 0)
		fuzz_fail("cannot capture stderr");
	log_setup(LOG_LEVEL_INFO, format);
	log_message(LOG_ERROR, "%s", message);
	log_setup(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(memfd, out, out_size - 1, 0);
	if (n < 0)
		fuzz_fail("cannot read the captured stderr");
	out[n] = '\0';
	return (size_t)n;
}

/* The log cuts a message longer than this (LOG_LINE_MAX in log.c, less the
 * room of the JSON fields around it). */
#define MESSAGE_UNCUT 3000

void check_logged(const char *message)
{
	static char line[LINE_MAX_], msg[LINE_MAX_];
	size_t len = logged(LOG_FORMAT_TEXT, message, line, sizeof(line));

	if (len == 0 || line[len - 1] != '\n' || memchr(line, '\n', len - 1))
		fuzz_fail("text log line is not one line: %s", line);
	line[len - 1] = '\0';
	check_one_line("text log line", line);
	if (strchr(line, 0x7f))
		fuzz_fail("text log line holds DEL: %s", line);

	len = logged(LOG_FORMAT_JSON, message, line, sizeof(line));
	if (len == 0 || line[len - 1] != '\n' || memchr(line, '\n', len - 1))
		fuzz_fail("JSON log line is not one line: %s", line);
	if (!json_valid(line, len - 1, msg, sizeof(msg)))
		fuzz_fail("JSON log line is not valid JSON: %s", line);
	if (strlen(message) < MESSAGE_UNCUT && utf8_valid(message, strlen(message)) && strcmp(msg, message) != 0)
		fuzz_fail("JSON log line's msg is not the message: %s", line);
}

static char temp_root[64];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void fuzz_remove_tree(const char *dir)
{
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void remove_temp_root(void)
{
	fuzz_remove_tree(temp_root);
}

const char *fuzz_temp_root(const char *target)
{
	snprintf(temp_root, sizeof(temp_root), "%s/pe-fuzz-%s-XXXXXX",
	         access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", target);
	if (!mkdtemp(temp_root))
		fuzz_fail("cannot make a temporary folder");
	atexit(remove_temp_root);
	return temp_root;
}
