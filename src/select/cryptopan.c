/* cryptopan.c - Crypto-PAn prefix-preserving pseudonymization over OpenSSL AES-128-ECB. */
#include "select/cryptopan.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The construction (Xu et al. 2002, and the reference C++ code): with
 * pad = AES_k(key[16..31]), bit i of the one-time pad is the most
 * significant bit of AES_k(B_i), where B_i is the 128-bit block made of the
 * first i bits of the original address followed by bits i..127 of pad. An
 * IPv4 address occupies the first 32 bits of the block (the rest is always
 * pad), an IPv6 address all 128. The pseudonym is address XOR otp.
 *
 * Block B_i depends only on the original address, so anonymizing builds all
 * 32 (or 128) blocks first and encrypts them in a single EVP call, which lets
 * AES-NI pipeline them: several times faster than one call per bit.
 * Deanonymizing cannot batch: B_i needs original bits that are only known
 * once bits 0..i-1 have been recovered. */

#define BLOCK 16

struct mm_cryptopan {
    EVP_CIPHER_CTX *ctx; /* keyed once with key[0..15]; holds the schedule */
    uint8_t pad[BLOCK];
    uint8_t in[128 * BLOCK]; /* scratch, per instance (instances are single-threaded) */
    uint8_t out[128 * BLOCK];
};

static bool encrypt_blocks(struct mm_cryptopan *cp, const uint8_t *in, uint8_t *out, size_t nblocks)
{
    int outl = 0;
    return EVP_EncryptUpdate(cp->ctx, out, &outl, in, (int)(nblocks * BLOCK)) == 1 &&
           (size_t)outl == nblocks * BLOCK;
}

int mm_cryptopan_new(struct mm_cryptopan **out, const uint8_t key[MM_CRYPTOPAN_KEY_LEN],
                     struct mm_err *err)
{
    *out = NULL;
    struct mm_cryptopan *cp = calloc(1, sizeof *cp);
    if (!cp)
        return mm_err_set(err, MM_ENOMEM, "crypto-pan: out of memory");
    cp->ctx = EVP_CIPHER_CTX_new();
    if (!cp->ctx || EVP_EncryptInit_ex(cp->ctx, EVP_aes_128_ecb(), NULL, key, NULL) != 1 ||
        EVP_CIPHER_CTX_set_padding(cp->ctx, 0) != 1 || !encrypt_blocks(cp, key + 16, cp->pad, 1)) {
        mm_cryptopan_free(cp);
        return mm_err_set(err, MM_ECRYPTO, "crypto-pan: cannot set up AES-128-ECB");
    }
    *out = cp;
    return 0;
}

/* B_i = (addr & mask_i) | (pad & ~mask_i), mask_i = the first i bits. */
static void make_block(const struct mm_cryptopan *cp, const uint8_t addr[BLOCK], unsigned i,
                       uint8_t block[BLOCK])
{
    unsigned full = i / 8, rest = i % 8;
    memcpy(block, addr, full);
    memcpy(block + full, cp->pad + full, BLOCK - full);
    if (rest) {
        uint8_t mask = (uint8_t)(0xffu << (8 - rest));
        block[full] = (uint8_t)((addr[full] & mask) | (cp->pad[full] & ~mask));
    }
}

static void fail_closed(const struct mm_addr *in, struct mm_addr *out)
{
    /* AES-ECB on a valid context does not fail in practice; if it ever does,
     * hand back the unspecified address rather than the real one. */
    uint8_t family = in->family;
    memset(out, 0, sizeof *out);
    out->family = family;
}

void mm_cryptopan_anonymize(struct mm_cryptopan *cp, const struct mm_addr *in, struct mm_addr *out)
{
    if (in->family != 4 && in->family != 6) {
        *out = *in;
        return;
    }
    unsigned bits = mm_addr_bits(in);
    uint8_t addr[BLOCK];
    memcpy(addr, in->bytes, BLOCK);
    for (unsigned i = 0; i < bits; i++)
        make_block(cp, addr, i, cp->in + i * BLOCK);
    if (!encrypt_blocks(cp, cp->in, cp->out, bits)) {
        fail_closed(in, out);
        return;
    }
    uint8_t otp[BLOCK] = {0};
    for (unsigned i = 0; i < bits; i++)
        otp[i / 8] |= (uint8_t)((cp->out[i * BLOCK] >> 7) << (7 - i % 8));
    out->family = in->family;
    for (unsigned j = 0; j < BLOCK; j++)
        out->bytes[j] = (uint8_t)(addr[j] ^ otp[j]);
}

void mm_cryptopan_deanonymize(struct mm_cryptopan *cp, const struct mm_addr *in,
                              struct mm_addr *out)
{
    if (in->family != 4 && in->family != 6) {
        *out = *in;
        return;
    }
    unsigned bits = mm_addr_bits(in);
    uint8_t orig[BLOCK] = {0}, block[BLOCK], enc[BLOCK];
    for (unsigned i = 0; i < bits; i++) {
        /* Bits 0..i-1 of orig are already recovered; later ones are masked off. */
        make_block(cp, orig, i, block);
        if (!encrypt_blocks(cp, block, enc, 1)) {
            fail_closed(in, out);
            return;
        }
        unsigned otp_bit = enc[0] >> 7;
        unsigned anon_bit = (in->bytes[i / 8] >> (7 - i % 8)) & 1u;
        orig[i / 8] |= (uint8_t)((otp_bit ^ anon_bit) << (7 - i % 8));
    }
    out->family = in->family;
    memcpy(out->bytes, orig, BLOCK);
    OPENSSL_cleanse(orig, sizeof orig);
    OPENSSL_cleanse(block, sizeof block);
}

void mm_cryptopan_free(struct mm_cryptopan *cp)
{
    if (!cp)
        return;
    EVP_CIPHER_CTX_free(cp->ctx); /* cleanses the key schedule */
    OPENSSL_cleanse(cp, sizeof *cp);
    free(cp);
}

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int mm_key_file_read(const char *path, uint8_t key[MM_CRYPTOPAN_KEY_LEN], struct mm_err *err)
{
    /* Room for the key, generous whitespace, and one byte to notice a longer file. */
    char buf[1024];
    uint8_t tmp[MM_CRYPTOPAN_KEY_LEN];
    size_t n = 0;
    int rc = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return mm_err_set(err, MM_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = mm_err_set(err, MM_EIO, "%s: cannot stat: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = mm_err_set(err, MM_EINVAL, "%s: not a regular file", path);
        goto out;
    }
    /* Checked on the open descriptor, so the file cannot be swapped in between. */
    if (st.st_mode & 077) {
        rc = mm_err_set(err, MM_EPERM,
                        "%s: permissions %04o are too open; the key must be readable by its "
                        "owner only (chmod 600)",
                        path, (unsigned)(st.st_mode & 07777));
        goto out;
    }
    for (;;) {
        ssize_t r = read(fd, buf + n, sizeof buf - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = mm_err_set(err, MM_EIO, "%s: read error: %s", path, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n == sizeof buf) {
            rc = mm_err_set(err, MM_EFORMAT, "%s: too long for a key file (expected 64 hex digits)",
                            path);
            goto out;
        }
    }
    size_t pos = 0;
    while (pos < n && is_space((unsigned char)buf[pos]))
        pos++;
    for (size_t i = 0; i < 2 * MM_CRYPTOPAN_KEY_LEN; i++, pos++) {
        int v = pos < n ? hex_value((unsigned char)buf[pos]) : -1;
        if (v < 0) {
            rc = mm_err_set(err, MM_EFORMAT, "%s: expected 64 hex digits", path);
            goto out;
        }
        tmp[i / 2] = (uint8_t)(i % 2 ? tmp[i / 2] | v : v << 4);
    }
    while (pos < n && is_space((unsigned char)buf[pos]))
        pos++;
    if (pos != n) {
        rc = mm_err_set(err, MM_EFORMAT, "%s: expected 64 hex digits and nothing else", path);
        goto out;
    }
    memcpy(key, tmp, MM_CRYPTOPAN_KEY_LEN);
out:
    OPENSSL_cleanse(buf, sizeof buf);
    OPENSSL_cleanse(tmp, sizeof tmp);
    close(fd);
    return rc;
}
