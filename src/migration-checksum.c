#include "migration-checksum.h"

#include "crypto-lib.h"
#include "fdio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

int migration_checksummer_init(struct migration_checksummer *checksummer, char *error, size_t error_size)
{
	*checksummer = (struct migration_checksummer){0};
	if (cryptolib_load(error, error_size) < 0)
		return -1;
	if (!(checksummer->ctx = cryptolib.EVP_MD_CTX_new()) ||
	    !(checksummer->sha256 = cryptolib.EVP_MD_fetch(NULL, "SHA256", NULL))) {
		snprintf(error, error_size, "SHA-256 is not available from libcrypto");
		migration_checksummer_release(checksummer);
		return -1;
	}
	return 0;
}

void migration_checksummer_release(struct migration_checksummer *checksummer)
{
	if (checksummer->ctx)
		cryptolib.EVP_MD_CTX_free(checksummer->ctx);
	if (checksummer->sha256)
		cryptolib.EVP_MD_free(checksummer->sha256);
	*checksummer = (struct migration_checksummer){0};
}

/* SHA-256 of data as 64 lowercase hex digits. Returns 0, or -1 with error. */
static int sha256_hex(struct migration_checksummer *checksummer, const char *data, size_t len, char hex[65],
                      char *error, size_t error_size)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned md_len = 0;

	if (cryptolib.EVP_DigestInit_ex(checksummer->ctx, checksummer->sha256, NULL) != 1 ||
	    cryptolib.EVP_DigestUpdate(checksummer->ctx, data, len) != 1 ||
	    cryptolib.EVP_DigestFinal_ex(checksummer->ctx, md, &md_len) != 1 || md_len != 32) {
		snprintf(error, error_size, "SHA-256 failed");
		return -1;
	}
	/* By hand, not snprintf: 32 calls of it cost more than the digest. */
	for (unsigned i = 0; i < md_len; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0xf];
	}
	hex[2 * md_len] = '\0';
	return 0;
}

/* The script with every line end written as crlf ("\r\n") or not ("\n").
 * Returns the copy (free it) and its length, or NULL. */
static char *with_line_ends(const char *script, size_t len, bool crlf, size_t *out_len)
{
	char *out = malloc(2 * len + 1);
	size_t n = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (script[i] == '\r' && i + 1 < len && script[i + 1] == '\n')
			continue;
		if (script[i] == '\n' && crlf)
			out[n++] = '\r';
		out[n++] = script[i];
	}
	*out_len = n;
	return out;
}

int migration_checksum_of(struct migration_checksummer *checksummer, const char *script, size_t len, char hex[65],
                          char *error, size_t error_size)
{
	return sha256_hex(checksummer, script, len, hex, error, error_size);
}

int migration_checksum_matches(struct migration_checksummer *checksummer, const char *script, size_t len,
                               const char *checksum, bool *matches, char *error, size_t error_size)
{
	char hex[65];

	*matches = false;
	if (sha256_hex(checksummer, script, len, hex, error, error_size) < 0)
		return -1;
	*matches = strcasecmp(hex, checksum) == 0;
	for (int crlf = 0; crlf <= 1 && !*matches; crlf++) {
		size_t variant_len;
		char *variant = with_line_ends(script, len, crlf, &variant_len);
		int status;

		if (!variant) {
			snprintf(error, error_size, "%s", strerror(ENOMEM));
			return -1;
		}
		status = sha256_hex(checksummer, variant, variant_len, hex, error, error_size);
		free(variant);
		if (status < 0)
			return -1;
		*matches = strcasecmp(hex, checksum) == 0;
	}
	return 0;
}

int migration_checksum_file_matches(struct migration_checksummer *checksummer, const char *path, const char *checksum,
                                    bool *matches, char *error, size_t error_size)
{
	struct stat st;

	return migration_checksum_file_matches_at(checksummer, AT_FDCWD, path, checksum, matches, &st, error,
	                                          error_size);
}

int migration_checksum_file_matches_at(struct migration_checksummer *checksummer, int dirfd, const char *path,
                                       const char *checksum, bool *matches, struct stat *st, char *error,
                                       size_t error_size)
{
	char *script;
	size_t len;
	int status;

	*matches = false;
	if (fdio_read_regular_at(dirfd, path, MIGRATION_FILE_MAX, &script, &len, st, error, error_size) != FDIO_OPENED)
		return -1;
	status = migration_checksum_matches(checksummer, script, len, checksum, matches, error, error_size);
	free(script);
	return status;
}
