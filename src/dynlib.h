/* Shared libraries loaded on first use.
 *
 * libpq and libcurl bring some thirty shared libraries with them (Kerberos,
 * LDAP, OpenSSL, HTTP/2, ...). Linked the usual way, every container start
 * would pay for loading and relocating them, about 12 million instructions,
 * even when there is no database to wait for; the plain supervisor needs
 * none of them. The modules that use such a library (pgconn.c for libpq,
 * url.c for libcurl) load it through here the first time they need it. */
#ifndef PE_DYNLIB_H
#define PE_DYNLIB_H

#include <stddef.h>

/* Loads soname once and fills slots[i] with the address of names[i].
 * Returns 0, or -1 with a one-line reason in error ("cannot load libpq.so.5:
 * ..."); a failed load is retried on the next call. */
int dynlib_load(const char *soname, const char *const *names, void **slots, size_t count, char *error,
                size_t error_size);

#endif
