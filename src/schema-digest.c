/* The digest of the Prisma client's inputs (schema_digest() in schema.h),
 * with SHA-256 from libcrypto, loaded on first use (crypto-lib.h). */
#include "schema.h"

#include "crypto-lib.h"
#include "schema-read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DIGEST_FORMAT "prisma-entrypoint schema digest 1"

/* One field: a tag byte, the length as 8 bytes big-endian (all ones for an
 * absent value), the bytes. */
static int digest_field(EVP_MD_CTX *ctx, char tag, const void *data, size_t len)
{
	unsigned char head[9];
	uint64_t n = data ? (uint64_t)len : UINT64_MAX;

	head[0] = (unsigned char)tag;
	for (int i = 0; i < 8; i++)
		head[1 + i] = (unsigned char)(n >> (56 - 8 * i));
	if (cryptolib.EVP_DigestUpdate(ctx, head, sizeof(head)) != 1)
		return -1;
	return data && len ? (cryptolib.EVP_DigestUpdate(ctx, data, len) == 1 ? 0 : -1) : 0;
}

static int digest_text(EVP_MD_CTX *ctx, char tag, const char *text)
{
	return digest_field(ctx, tag, text, text ? strlen(text) : 0);
}

/* The bytes schema_find() kept of path, or NULL. */
static const struct schema_kept_file *kept_file(const struct schema_inputs *inputs, const char *path)
{
	for (size_t i = 0; i < inputs->kept_count; i++)
		if (strcmp(inputs->kept[i].path, path) == 0)
			return &inputs->kept[i];
	return NULL;
}

static int digest_file(EVP_MD_CTX *ctx, int base, char path_tag, char data_tag, const struct schema_inputs *inputs,
                       const char *path, struct schema_reader *buf, char *error, size_t error_size)
{
	const struct schema_kept_file *kept = kept_file(inputs, path);
	const char *data;
	size_t len;

	if (kept && schema_reader_stopped(buf)) {
		/* The check schema_read_file() makes before each file. */
		snprintf(error, error_size, "stopped while reading %s", path);
		return -1;
	} else if (kept) {
		data = kept->data;
		len = kept->len;
	} else if (schema_read_file(base, path, buf, error, error_size) < 0) {
		return -1;
	} else {
		data = buf->data;
		len = buf->len;
	}
	if (digest_text(ctx, path_tag, path) < 0 || digest_field(ctx, data_tag, data, len) < 0) {
		snprintf(error, error_size, "SHA-256 failed");
		return -1;
	}
	return 0;
}

int schema_digest_library_version(char *out, size_t out_size)
{
	if (cryptolib_load(out, out_size) < 0)
		return -1;
	snprintf(out, out_size, "%s", cryptolib.OpenSSL_version(OPENSSL_VERSION));
	return 0;
}

int schema_digest(const struct schema_inputs *inputs, const char *engine_target, char hex[65], struct schema_stop *stop,
                  char *error, size_t error_size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	struct schema_reader buf = {.stop = stop};
	EVP_MD_CTX *ctx;
	int base, status = -1;

	hex[0] = '\0';
	if (cryptolib_load(error, error_size) < 0)
		return -1;
	base = open(inputs->base_dir ? inputs->base_dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (base < 0) {
		snprintf(error, error_size, "cannot open the working directory %s: %s",
		         inputs->base_dir ? inputs->base_dir : ".", strerror(errno));
		return -1;
	}
	if (!(ctx = cryptolib.EVP_MD_CTX_new()) ||
	    cryptolib.EVP_DigestInit_ex(ctx, cryptolib.EVP_sha256(), NULL) != 1 ||
	    digest_text(ctx, 'H', DIGEST_FORMAT) < 0) {
		snprintf(error, error_size, "SHA-256 is not available");
		goto done;
	}
	for (size_t i = 0; i < inputs->file_count; i++) {
		if (digest_file(ctx, base, 'P', 'F', inputs, inputs->files[i], &buf, error, error_size) < 0)
			goto done;
	}
	if (inputs->config_file) {
		if (digest_file(ctx, base, 'C', 'c', inputs, inputs->config_file, &buf, error, error_size) < 0)
			goto done;
	} else if (digest_text(ctx, 'C', NULL) < 0) {
		goto hash_failed;
	}
	/* Only when there is one: digests of schemas without it stay as they
	 * were before it counted. */
	if (inputs->tsconfig_file &&
	    digest_file(ctx, base, 'T', 't', inputs, inputs->tsconfig_file, &buf, error, error_size) < 0)
		goto done;
	/* The platform only when the client needs its native engine, and last:
	 * the digests of every other client stay what they were. */
	if (digest_text(ctx, 'V', inputs->prisma_version) < 0 || digest_text(ctx, 'v', inputs->client_version) < 0 ||
	    (engine_target && digest_text(ctx, 'E', engine_target) < 0) ||
	    cryptolib.EVP_DigestFinal_ex(ctx, md, &md_len) != 1 || md_len != 32)
		goto hash_failed;
	for (unsigned int i = 0; i < md_len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	status = 0;
	goto done;
hash_failed:
	snprintf(error, error_size, "SHA-256 failed");
done:
	cryptolib.EVP_MD_CTX_free(ctx);
	close(base);
	schema_reader_release(&buf);
	if (status < 0 && stop && stop->stopped)
		return SCHEMA_STOPPED;
	return status;
}
