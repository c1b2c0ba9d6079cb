/* Unit tests for log.c: text and JSON lines on stderr. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testlib.h"

#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- capturing stderr ---- */

struct capture {
	FILE *file;
	int saved_stderr;
};

/* Between capture_begin and capture_end, fd 2 is a temporary file: no
 * assertion may run there, or cmocka's own report would vanish into it. */
static void capture_begin(struct capture *capture)
{
	fflush(stderr);
	capture->file = tmpfile();
	assert_non_null(capture->file);
	capture->saved_stderr = dup(STDERR_FILENO);
	assert_true(capture->saved_stderr >= 0);
	assert_int_equal(dup2(fileno(capture->file), STDERR_FILENO), STDERR_FILENO);
}

/* Restores stderr and returns what was written to it (malloc'd). */
static char *capture_end(struct capture *capture)
{
	int fd = fileno(capture->file);
	size_t size = 0, used = 0;
	char *text = NULL;
	ssize_t n;

	dup2(capture->saved_stderr, STDERR_FILENO);
	close(capture->saved_stderr);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	do {
		if (used + 4096 + 1 > size) {
			size = size * 2 + 4096 + 1;
			text = realloc(text, size);
			assert_non_null(text);
		}
		n = read(fd, text + used, size - used - 1);
		assert_true(n >= 0);
		used += (size_t)n;
	} while (n > 0);
	text[used] = '\0';
	fclose(capture->file);
	return text;
}

static size_t count_lines(const char *text)
{
	size_t lines = 0;

	for (; *text; text++)
		lines += *text == '\n';
	return lines;
}

/* ---- the state the program starts with, recorded before any test ---- */

static bool initial_enabled[LOG_DEBUG + 1];
static char *initial_output;

static void record_initial_state(void)
{
	struct capture capture;

	for (int severity = LOG_ERROR; severity <= LOG_DEBUG; severity++)
		initial_enabled[severity] = log_enabled((enum log_severity)severity);
	capture_begin(&capture);
	log_info("before setup");
	initial_output = capture_end(&capture);
}

static void test_defaults_before_setup(void **state)
{
	(void)state;
	assert_true(initial_enabled[LOG_ERROR]);
	assert_true(initial_enabled[LOG_WARNING]);
	assert_true(initial_enabled[LOG_INFO]);
	assert_false(initial_enabled[LOG_VERBOSE]);
	assert_false(initial_enabled[LOG_DEBUG]);
	assert_string_equal(initial_output, "prisma-entrypoint: before setup\n");
}

/* ---- text lines ---- */

static void log_one_of_each(void)
{
	log_error("e %d", 1);
	log_warning("w %d", 2);
	log_info("i %d", 3);
	log_verbose("v %d", 4);
	log_debug("d %d", 5);
}

static char *capture_each_at(enum log_level level, enum log_format format)
{
	struct capture capture;

	log_setup(level, format);
	capture_begin(&capture);
	log_one_of_each();
	return capture_end(&capture);
}

static void test_text_prefix_and_labels(void **state)
{
	struct capture capture;
	char *text;

	(void)state;
	log_setup(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	capture_begin(&capture);
	log_info("started %s (pid %d)", "node", 42);
	log_warning("careful: %s", "x");
	log_error("broken");
	text = capture_end(&capture);
	assert_string_equal(text, "prisma-entrypoint: started node (pid 42)\n"
	                          "prisma-entrypoint: warning: careful: x\n"
	                          "prisma-entrypoint: error: broken\n");
	free(text);
}

static void test_text_levels(void **state)
{
	char *text;

	(void)state;
	text = capture_each_at(LOG_LEVEL_QUIET, LOG_FORMAT_TEXT);
	assert_string_equal(text, "prisma-entrypoint: error: e 1\n"
	                          "prisma-entrypoint: warning: w 2\n");
	free(text);

	text = capture_each_at(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	assert_string_equal(text, "prisma-entrypoint: error: e 1\n"
	                          "prisma-entrypoint: warning: w 2\n"
	                          "prisma-entrypoint: i 3\n");
	free(text);

	text = capture_each_at(LOG_LEVEL_VERBOSE, LOG_FORMAT_TEXT);
	assert_string_equal(text, "prisma-entrypoint: error: e 1\n"
	                          "prisma-entrypoint: warning: w 2\n"
	                          "prisma-entrypoint: i 3\n"
	                          "prisma-entrypoint: v 4\n");
	free(text);

	text = capture_each_at(LOG_LEVEL_DEBUG, LOG_FORMAT_TEXT);
	assert_string_equal(text, "prisma-entrypoint: error: e 1\n"
	                          "prisma-entrypoint: warning: w 2\n"
	                          "prisma-entrypoint: i 3\n"
	                          "prisma-entrypoint: v 4\n"
	                          "prisma-entrypoint: d 5\n");
	free(text);
	log_setup(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
}

static void test_enabled(void **state)
{
	static const struct {
		enum log_level level;
		bool expected[LOG_DEBUG + 1]; /* error, warning, info, verbose, debug */
	} cases[] = {
	    {LOG_LEVEL_QUIET, {true, true, false, false, false}},
	    {LOG_LEVEL_INFO, {true, true, true, false, false}},
	    {LOG_LEVEL_VERBOSE, {true, true, true, true, false}},
	    {LOG_LEVEL_DEBUG, {true, true, true, true, true}},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		log_setup(cases[i].level, LOG_FORMAT_TEXT);
		for (int severity = LOG_ERROR; severity <= LOG_DEBUG; severity++)
			if (log_enabled((enum log_severity)severity) != cases[i].expected[severity])
				fail_msg("level %d, severity %d: enabled is %d", cases[i].level, severity,
				         !cases[i].expected[severity]);
	}
	log_setup(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
}

static void test_text_long_message_is_one_line(void **state)
{
	struct capture capture;
	char *big = malloc(10000);
	char *text;

	(void)state;
	assert_non_null(big);
	memset(big, 'a', 9999);
	big[9999] = '\0';
	log_setup(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	capture_begin(&capture);
	log_info("%s", big);
	log_info("next");
	text = capture_end(&capture);
	assert_int_equal(count_lines(text), 2);
	assert_true(strncmp(text, "prisma-entrypoint: aaaa", 23) == 0);
	assert_non_null(strstr(text, "a\nprisma-entrypoint: next\n"));
	assert_true(strlen(text) > 4000);
	free(text);
	free(big);
}

static void test_errno_preserved(void **state)
{
	struct capture capture;
	char *text;
	int seen_after_info, seen_after_hidden;

	(void)state;
	log_setup(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	capture_begin(&capture);
	errno = EXDEV;
	log_info("message");
	seen_after_info = errno;
	errno = ENOTTY;
	log_debug("hidden");
	seen_after_hidden = errno;
	text = capture_end(&capture);
	assert_int_equal(seen_after_info, EXDEV);
	assert_int_equal(seen_after_hidden, ENOTTY);
	free(text);
}

static void call_vmessage(enum log_severity severity, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void call_vmessage(enum log_severity severity, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmessage(severity, fmt, ap);
	va_end(ap);
}

static void test_vmessage(void **state)
{
	struct capture capture;
	char *text;

	(void)state;
	log_setup(LOG_LEVEL_QUIET, LOG_FORMAT_TEXT);
	capture_begin(&capture);
	call_vmessage(LOG_WARNING, "%s=%d", "x", 7);
	call_vmessage(LOG_INFO, "hidden");
	text = capture_end(&capture);
	assert_string_equal(text, "prisma-entrypoint: warning: x=7\n");
	free(text);
	log_setup(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
}

/* ---- JSON lines ---- */

/* Checks one line `{"time":"YYYY-MM-DDTHH:MM:SS.mmmZ","level":"L","msg":"M"}`
 * (without its newline) and returns a pointer to the start of M, or fails. */
static const char *check_json_line(const char *line, size_t len, const char *level)
{
	static const char time_pattern[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	const char *p = line;
	char middle[64];

	if (len < 2 || strncmp(line, "{\"time\":\"", 9) != 0)
		fail_msg("line does not start with {\"time\":\": %.*s", (int)len, line);
	p += 9;
	for (size_t i = 0; i < sizeof(time_pattern) - 1; i++) {
		bool ok = time_pattern[i] == 'd' ? isdigit((unsigned char)p[i]) : p[i] == time_pattern[i];

		if (!ok)
			fail_msg("bad timestamp in %.*s", (int)len, line);
	}
	p += sizeof(time_pattern) - 1;
	snprintf(middle, sizeof(middle), "\",\"level\":\"%s\",\"msg\":\"", level);
	if (strncmp(p, middle, strlen(middle)) != 0)
		fail_msg("expected level %s in %.*s", level, (int)len, line);
	p += strlen(middle);
	if (strncmp(line + len - 2, "\"}", 2) != 0)
		fail_msg("line does not end with \"}: %.*s", (int)len, line);
	return p;
}

/* The message part of a captured single JSON line, as written (escaped). */
static void assert_json_message(const char *text, const char *level, const char *expected_msg)
{
	const char *newline = strchr(text, '\n');
	const char *msg;
	size_t len;

	assert_non_null(newline);
	assert_int_equal(newline[1], '\0');
	len = (size_t)(newline - text);
	msg = check_json_line(text, len, level);
	if (strlen(expected_msg) != (size_t)(text + len - 2 - msg) ||
	    strncmp(msg, expected_msg, strlen(expected_msg)) != 0)
		fail_msg("message is %.*s, expected %s", (int)(text + len - 2 - msg), msg, expected_msg);
}

static void test_json_line(void **state)
{
	struct capture capture;
	char *text;

	(void)state;
	log_setup(LOG_LEVEL_INFO, LOG_FORMAT_JSON);
	capture_begin(&capture);
	log_info("started %s (pid %d)", "node", 42);
	text = capture_end(&capture);
	log_setup(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	assert_json_message(text, "info", "started node (pid 42)");
	/* No text prefix in JSON. */
	assert_null(strstr(text, "prisma-entrypoint:"));
	free(text);
}

static void test_json_levels(void **state)
{
	static const char *const names[] = {"error", "warning", "info", "verbose", "debug"};
	char *text = capture_each_at(LOG_LEVEL_DEBUG, LOG_FORMAT_JSON);
	const char *line = text;

	(void)state;
	log_setup(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	assert_int_equal(count_lines(text), 5);
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		const char *end = strchr(line, '\n');
		const char *msg = check_json_line(line, (size_t)(end - line), names[i]);

		assert_int_equal(msg[0], names[i][0]);
		line = end + 1;
	}
	free(text);
}

static void test_json_quiet(void **state)
{
	char *text = capture_each_at(LOG_LEVEL_QUIET, LOG_FORMAT_JSON);
	const char *second;

	(void)state;
	log_setup(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	assert_int_equal(count_lines(text), 2);
	second = strchr(text, '\n') + 1;
	check_json_line(text, (size_t)(second - 1 - text), "error");
	check_json_line(second, strlen(second) - 1, "warning");
	free(text);
}

static void test_json_escapes(void **state)
{
	struct capture capture;
	char *text;

	(void)state;
	log_setup(LOG_LEVEL_INFO, LOG_FORMAT_JSON);
	capture_begin(&capture);
	log_warning("say \"hi\" to C:\\dir\nnext\tcol\rcr\x01\x1f end");
	text = capture_end(&capture);
	log_setup(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	assert_json_message(text, "warning", "say \\\"hi\\\" to C:\\\\dir\\nnext\\tcol\\u000dcr\\u0001\\u001f end");
	free(text);
}

static void test_json_keeps_utf8(void **state)
{
	struct capture capture;
	char *text;

	(void)state;
	log_setup(LOG_LEVEL_INFO, LOG_FORMAT_JSON);
	capture_begin(&capture);
	log_info("caf\xc3\xa9 \xe2\x9c\x93");
	text = capture_end(&capture);
	log_setup(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	assert_json_message(text, "info", "caf\xc3\xa9 \xe2\x9c\x93");
	free(text);
}

/* A message far longer than a line, made of characters that each need a
 * six-character escape: truncated, but still one complete JSON object. */
/* Bytes that are not UTF-8 (a percent-decoded %FF in a database name)
 * become U+FFFD: the line stays valid JSON. */
static void test_json_replaces_invalid_utf8(void **state)
{
	static const struct {
		const char *message;
		const char *expected;
	} cases[] = {
	    {"db\xff\xfe", "db\\ufffd\\ufffd"},
	    {"a\xc3", "a\\ufffd"},                                            /* truncated sequence */
	    {"\xc0\xaf", "\\ufffd\\ufffd"},                                   /* overlong '/' */
	    {"\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd"},                        /* a surrogate */
	    {"\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd"},             /* past U+10FFFF */
	    {"\x80x", "\\ufffdx"},                                            /* stray continuation byte */
	    {"caf\xc3\xa9 \xf0\x9f\x90\x98", "caf\xc3\xa9 \xf0\x9f\x90\x98"}, /* valid: kept */
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct capture capture;
		char *text;

		log_setup(LOG_LEVEL_INFO, LOG_FORMAT_JSON);
		capture_begin(&capture);
		log_info("%s", cases[i].message);
		text = capture_end(&capture);
		log_setup(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
		assert_json_message(text, "info", cases[i].expected);
		free(text);
	}
}

/* A value with control characters (a percent-decoded newline) cannot
 * forge a second line. */
static void test_text_escapes_control_characters(void **state)
{
	struct capture capture;
	char *text;

	(void)state;
	log_setup(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	capture_begin(&capture);
	log_error("database \"%s\" does not exist", "app\nprisma-entrypoint: ready\t\x1b[31m\x7f");
	text = capture_end(&capture);
	assert_string_equal(text,
	                    "prisma-entrypoint: error: database \"app\\nprisma-entrypoint: ready\\t\\x1b[31m\\x7f\" "
	                    "does not exist\n");
	free(text);
}

static void test_json_long_message_stays_valid(void **state)
{
	struct capture capture;
	char *big = malloc(5000);
	char *text;
	const char *msg;
	size_t len, msg_len;

	(void)state;
	assert_non_null(big);
	memset(big, '\x01', 4999);
	big[4999] = '\0';
	log_setup(LOG_LEVEL_INFO, LOG_FORMAT_JSON);
	capture_begin(&capture);
	log_info("%s", big);
	text = capture_end(&capture);
	log_setup(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	assert_int_equal(count_lines(text), 1);
	len = strlen(text) - 1;
	assert_int_equal(text[len], '\n');
	msg = check_json_line(text, len, "info");
	msg_len = (size_t)(text + len - 2 - msg);
	assert_true(msg_len > 1000);
	assert_int_equal(msg_len % 6, 0);
	for (size_t i = 0; i < msg_len; i += 6)
		if (strncmp(msg + i, "\\u0001", 6) != 0)
			fail_msg("broken escape at offset %zu: %.6s", i, msg + i);
	free(text);
	free(big);
}

static void test_json_long_quotes_stay_valid(void **state)
{
	struct capture capture;
	char *big = malloc(5000);
	char *text;
	const char *msg;
	size_t len, msg_len;

	(void)state;
	assert_non_null(big);
	memset(big, '"', 4999);
	big[4999] = '\0';
	log_setup(LOG_LEVEL_INFO, LOG_FORMAT_JSON);
	capture_begin(&capture);
	log_info("%s", big);
	text = capture_end(&capture);
	log_setup(LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	assert_int_equal(count_lines(text), 1);
	len = strlen(text) - 1;
	msg = check_json_line(text, len, "info");
	msg_len = (size_t)(text + len - 2 - msg);
	assert_int_equal(msg_len % 2, 0);
	for (size_t i = 0; i < msg_len; i += 2)
		if (strncmp(msg + i, "\\\"", 2) != 0)
			fail_msg("broken escape at offset %zu", i);
	free(text);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_before_setup),
	    cmocka_unit_test(test_text_prefix_and_labels),
	    cmocka_unit_test(test_text_levels),
	    cmocka_unit_test(test_enabled),
	    cmocka_unit_test(test_text_long_message_is_one_line),
	    cmocka_unit_test(test_errno_preserved),
	    cmocka_unit_test(test_vmessage),
	    cmocka_unit_test(test_json_line),
	    cmocka_unit_test(test_json_replaces_invalid_utf8),
	    cmocka_unit_test(test_text_escapes_control_characters),
	    cmocka_unit_test(test_json_levels),
	    cmocka_unit_test(test_json_quiet),
	    cmocka_unit_test(test_json_escapes),
	    cmocka_unit_test(test_json_keeps_utf8),
	    cmocka_unit_test(test_json_long_message_stays_valid),
	    cmocka_unit_test(test_json_long_quotes_stay_valid),
	};
	int failed;

	record_initial_state();
	failed = cmocka_run_group_tests_name("log", tests, NULL, NULL);
	free(initial_output);
	return failed;
}
