/* digest.h - SHA-256 of buffers and files as lowercase hex (OpenSSL). */
#ifndef MM_DIGEST_H
#define MM_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define MM_SHA256_HEX_LEN 64

/* hex must hold MM_SHA256_HEX_LEN + 1 bytes. */
void mm_sha256_hex(const void *data, size_t len, char hex[MM_SHA256_HEX_LEN + 1]);
int mm_sha256_file_hex(const char *path, char hex[MM_SHA256_HEX_LEN + 1], struct mm_err *err);
void mm_hex_encode(const uint8_t *in, size_t len, char *out);
/* HMAC-SHA-256 of msg under key (a key derivation: one secret, many uses). */
void mm_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t len, uint8_t out[32]);

#endif
