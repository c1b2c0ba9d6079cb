/* libcurl's function table, shared by the two files that use libcurl: url.c
 * (its URL API) and http.c (transfers). Only they include this header.
 *
 * The table is loaded on first use (dynlib.h): call curllib_load() before
 * any curllib.NAME(...); it returns 0, or -1 with a one-line reason in error
 * ("cannot load libcurl.so.4: ..."), and a failed load is retried on the next
 * call. In the static build the linker fills the table and curllib_load()
 * always succeeds. curllib_load() does not call curl_global_init(): http.c,
 * which needs it, does that once itself. */
#ifndef PE_CURL_LIB_H
#define PE_CURL_LIB_H

#include "dynlib.h"

/* curl.h turns curl_easy_setopt() and friends into type-checking macros
 * that cannot be called through function pointers; http.c's typed wrappers
 * set_long(), set_text() and set_pointer() check instead. */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

/* One slot per function either file uses. */
/* clang-format off */
#define CURLLIB_FUNCTIONS(X) \
	X(curl_free) \
	X(curl_url) \
	X(curl_url_cleanup) \
	X(curl_url_get) \
	X(curl_url_set) \
	X(curl_global_init) \
	X(curl_easy_init) \
	X(curl_easy_cleanup) \
	X(curl_easy_setopt) \
	X(curl_easy_getinfo) \
	X(curl_easy_strerror) \
	X(curl_multi_init) \
	X(curl_multi_cleanup) \
	X(curl_multi_setopt) \
	X(curl_multi_add_handle) \
	X(curl_multi_remove_handle) \
	X(curl_multi_socket_action) \
	X(curl_multi_info_read) \
	X(curl_version)
/* clang-format on */
DYNLIB_DECLARE(curllib, curllib_load, CURLLIB_FUNCTIONS)

#endif
