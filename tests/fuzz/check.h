/* The properties the fuzz harnesses assert, shared by all of them. Every
 * check abort()s with a line on stderr when its property does not hold, so
 * that libFuzzer keeps the input as a crash. */
#ifndef PE_FUZZ_CHECK_H
#define PE_FUZZ_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/* The password a harness plants where the parser must take it for one. No
 * four bytes of it in a row form an English word, so fixed message text
 * cannot hold a window of it by chance. A capital then a small letter, as
 * in a word that starts a sentence. */
#define FUZZ_SECRET "Qz7x9Kw3vJ"

/* A window this long of FUZZ_SECRET, in any case, counts as showing it. */
#define FUZZ_SECRET_WINDOW 4

void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Whether data holds a window of FUZZ_SECRET in any case. Harnesses skip
 * such inputs: the secret in an output can then only come from where the
 * harness planted it. */
bool fuzz_mentions_secret(const void *data, size_t size);

/* text shows no window of FUZZ_SECRET. what names the output. */
void check_no_secret(const char *what, const char *text);

/* A NUL within the size bytes of buf. */
void check_terminated(const char *what, const char *buf, size_t size);

/* No '\n', '\r' nor any other byte below 0x20 in text. */
void check_one_line(const char *what, const char *text);

/* message, logged as an error in text and in JSON, is one line each: the
 * text line holds no control character, the JSON line is a valid JSON
 * object whose "msg" is message (when message is valid UTF-8 and short
 * enough not to be cut). */
void check_logged(const char *message);

/* Whether text[0..len) is one valid JSON value (RFC 8259, UTF-8) and
 * nothing else. When msg is not NULL and the value is an object, its "msg"
 * member, decoded, is copied there (msg_size bytes, terminated). */
bool json_valid(const char *text, size_t len, char *msg, size_t msg_size);

/* Whether text is valid UTF-8. */
bool utf8_valid(const char *text, size_t len);

/* A temporary folder for the files a harness writes for every input, in
 * memory where there is a /dev/shm, named after target; removed with all it
 * holds when the process exits. Fails the run when it cannot be made. */
const char *fuzz_temp_root(const char *target);

/* Removes dir and everything under it (links are removed, not followed). */
void fuzz_remove_tree(const char *dir);

#endif
