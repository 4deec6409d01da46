/* digest.c - SHA-256 helpers over OpenSSL's EVP interface. */
#include "util/digest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

void mm_hex_encode(const uint8_t *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

void mm_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t len, uint8_t out[32])
{
    unsigned int outlen = 0;
    HMAC(EVP_sha256(), key, (int)key_len, msg, len, out, &outlen);
}

void mm_sha256_hex(const void *data, size_t len, char hex[MM_SHA256_HEX_LEN + 1])
{
    uint8_t md[32];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    mm_hex_encode(md, 32, hex);
}

int mm_sha256_file_hex(const char *path, char hex[MM_SHA256_HEX_LEN + 1], struct mm_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return mm_err_set(err, MM_EIO, "%s: cannot open: %s", path, strerror(errno));
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = MM_ENOMEM;
    if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
        goto out;
    uint8_t buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        EVP_DigestUpdate(ctx, buf, n);
    if (ferror(f)) {
        rc = mm_err_set(err, MM_EIO, "%s: read error", path);
        goto out;
    }
    uint8_t md[32];
    unsigned int mdlen = 0;
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    mm_hex_encode(md, 32, hex);
    rc = 0;
out:
    EVP_MD_CTX_free(ctx);
    fclose(f);
    return rc;
}
