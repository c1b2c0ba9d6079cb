/* Shared libraries loaded on first use.
 *
 * libpq and libcurl bring some thirty shared libraries with them (Kerberos,
 * LDAP, OpenSSL, HTTP/2, ...). Linked the usual way, every container start
 * would pay for loading and relocating them, about 12 million instructions,
 * even when there is no database to wait for; the plain supervisor needs
 * none of them. Each library has one table, shared by the files that use it
 * (pg-lib.[ch]: libpq for the pg-*.c files; curl-lib.[ch]: libcurl for url.c
 * and http.c; schema-digest.c: libcrypto), loaded through here the first
 * time one of them needs it. */
#ifndef PE_DYNLIB_H
#define PE_DYNLIB_H

#include <stdbool.h>
#include <stddef.h>

/* Loads soname once and fills slots[i] with the address of names[i].
 * Returns 0, or -1 with a one-line reason in error ("cannot load libpq.so.5:
 * ..."); a failed load is retried on the next call. */
int dynlib_load(const char *soname, const char *const *names, void **slots, size_t count, char *error,
                size_t error_size);

/* Defines, for the functions listed by LIST(X) (X(name) for each), a table
 * `static struct {...} var` with one pointer per function, typed like the
 * function, and `static int load(char *error, size_t error_size)` that
 * fills it from soname on its first successful call; 0, or -1 with the
 * reason. Calls then go through var.name(...).
 *
 * The static flavour (PE_STATIC, `make static`) has the libraries linked
 * in: the same table is filled by the linker and load() always succeeds,
 * so the modules read the same in both flavours. */
#ifdef PE_STATIC
#define DYNLIB_TABLE_CONST_ const
#define DYNLIB_INIT_(LIST)  = {LIST(DYNLIB_BIND_)}
#define DYNLIB_LOAD_BODY_(var, soname, LIST)                                                                           \
	{                                                                                                              \
		(void)error;                                                                                           \
		(void)error_size;                                                                                      \
		return 0;                                                                                              \
	}
#define DYNLIB_BIND_(name) .name = name,
#define DYNLIB_LINKED      true
#else
#define DYNLIB_TABLE_CONST_
#define DYNLIB_INIT_(LIST)
#define DYNLIB_LOAD_BODY_(var, soname, LIST)                                                                           \
	{                                                                                                              \
		static const char *const names[] = {LIST(DYNLIB_NAME_)};                                               \
		static bool loaded;                                                                                    \
                                                                                                                       \
		if (!loaded)                                                                                           \
			loaded = dynlib_load(soname, names, (void **)&var, sizeof(names) / sizeof(names[0]), error,    \
			                     error_size) == 0;                                                         \
		return loaded ? 0 : -1;                                                                                \
	}
#define DYNLIB_LINKED false
#endif
#define DYNLIB_DEFINE(var, load, soname, LIST)                                                                         \
	static DYNLIB_TABLE_CONST_ struct {                                                                            \
		LIST(DYNLIB_SLOT_)                                                                                     \
	} var DYNLIB_INIT_(LIST);                                                                                      \
	static int load(char *error, size_t error_size) DYNLIB_LOAD_BODY_(var, soname, LIST)

/* The same table shared by several files: DYNLIB_DECLARE(var, load, LIST) in
 * a header declares `struct var##_table`, the table `var` (extern) and
 * `int load(char *error, size_t error_size)`; DYNLIB_DEFINE_SHARED(var,
 * load, soname, LIST) in one .c file defines them, as DYNLIB_DEFINE does. */
#define DYNLIB_DEFINE_SHARED(var, load, soname, LIST)                                                                  \
	DYNLIB_TABLE_CONST_ struct var##_table var DYNLIB_INIT_(LIST);                                                 \
	int load(char *error, size_t error_size) DYNLIB_LOAD_BODY_(var, soname, LIST)
#define DYNLIB_DECLARE(var, load, LIST)                                                                                \
	struct var##_table {                                                                                           \
		LIST(DYNLIB_SLOT_)                                                                                     \
	};                                                                                                             \
	extern DYNLIB_TABLE_CONST_ struct var##_table var;                                                             \
	int load(char *error, size_t error_size);
#define DYNLIB_SLOT_(name) __typeof__(&name) name;
#define DYNLIB_NAME_(name) #name,

#endif
