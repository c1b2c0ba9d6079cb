/* libcrypto's function table, shared by the files that take SHA-256 digests
 * (schema-digest.c: the client's inputs; migration-checksum.c: a migration
 * against its checksum; install-state.c: package.json and the lockfile), the
 * only ones that include this header.
 *
 * Loaded on first use (dynlib.h): call cryptolib_load() before any
 * cryptolib.NAME(...); it returns 0, or -1 with a one-line reason in error,
 * and a failed load is retried on the next call. */
#ifndef PE_CRYPTO_LIB_H
#define PE_CRYPTO_LIB_H

#include "dynlib.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

/* clang-format off */
#define CRYPTOLIB_FUNCTIONS(X) \
	X(EVP_MD_CTX_new) \
	X(EVP_MD_CTX_free) \
	X(EVP_sha256) \
	X(EVP_MD_fetch) \
	X(EVP_MD_free) \
	X(EVP_DigestInit_ex) \
	X(EVP_DigestUpdate) \
	X(EVP_DigestFinal_ex) \
	X(OpenSSL_version)
/* clang-format on */

DYNLIB_DECLARE(cryptolib, cryptolib_load, CRYPTOLIB_FUNCTIONS)

#endif
