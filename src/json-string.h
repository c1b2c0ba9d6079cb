/* JSON string bodies, for the JSON log lines and status --json: escaped so
 * that the result is always valid JSON, whatever bytes the text holds. */
#ifndef PE_JSON_STRING_H
#define PE_JSON_STRING_H

#include <stddef.h>

/* Appends text to line[*used..size) as the body of a JSON string (no quotes
 * around it): '"' and '\\' and control characters escaped, bytes that are
 * not UTF-8 as U+FFFD. Truncates rather than overflow, at a character's
 * boundary, always leaving keep bytes free for what the caller closes the
 * line with; writes no NUL. */
void json_string_append(char *line, size_t size, size_t *used, const char *text, size_t keep);

#endif
