/* sign.c - Ed25519 key generation, signing and verification over OpenSSL EVP; keys in PEM files. */
#include "util/sign.h"

#include "util/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SIGNED_FILE_MAX (64u << 20)

/* Create path exclusively with mode and hand back a stdio stream. */
static FILE *create_exclusive(const char *path, mode_t mode, struct mm_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        if (errno == EEXIST)
            mm_err_set(err, MM_ECONFLICT, "%s: exists already; remove it first to make a new key",
                       path);
        else
            mm_err_set(err, MM_EIO, "%s: cannot create: %s", path, strerror(errno));
        return NULL;
    }
    /* The umask may have narrowed mode; make it exact. */
    if (fchmod(fd, mode) != 0) {
        mm_err_set(err, MM_EIO, "%s: cannot set permissions: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return NULL;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        mm_err_set(err, MM_ENOMEM, "%s: out of memory", path);
        close(fd);
        unlink(path);
    }
    return f;
}

int mm_sign_keygen(const char *key_path, const char *pub_path, struct mm_err *err)
{
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
    FILE *kf = NULL, *pf = NULL;
    bool made_key = false, made_pub = false;
    int rc = 0;
    if (!ctx || EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_keygen(ctx, &pkey) <= 0) {
        rc = mm_err_set(err, MM_ECRYPTO, "cannot generate an Ed25519 key");
        goto out;
    }
    if (!(kf = create_exclusive(key_path, 0600, err))) {
        rc = err ? err->code : MM_EIO;
        goto out;
    }
    made_key = true;
    if (!(pf = create_exclusive(pub_path, 0644, err))) {
        rc = err ? err->code : MM_EIO;
        goto out;
    }
    made_pub = true;
    if (PEM_write_PrivateKey(kf, pkey, NULL, NULL, 0, NULL, NULL) != 1) {
        rc = mm_err_set(err, MM_EIO, "%s: cannot write the private key", key_path);
        goto out;
    }
    if (PEM_write_PUBKEY(pf, pkey) != 1) {
        rc = mm_err_set(err, MM_EIO, "%s: cannot write the public key", pub_path);
        goto out;
    }
out:
    if (kf && (fflush(kf) != 0 || fsync(fileno(kf)) != 0) && !rc)
        rc = mm_err_set(err, MM_EIO, "%s: write failed: %s", key_path, strerror(errno));
    if (pf && fflush(pf) != 0 && !rc)
        rc = mm_err_set(err, MM_EIO, "%s: write failed: %s", pub_path, strerror(errno));
    if (kf)
        fclose(kf);
    if (pf)
        fclose(pf);
    if (rc) {
        if (made_key)
            unlink(key_path);
        if (made_pub)
            unlink(pub_path);
    }
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

/* Read an Ed25519 key from a PEM file: the private key (owner-only file) or the public one. */
static int read_key(const char *path, bool private_key, EVP_PKEY **out, struct mm_err *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return mm_err_set(err, MM_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return mm_err_set(err, MM_EINVAL, "%s: not a regular file", path);
    }
    /* Checked on the open descriptor, so the file cannot be swapped in between. */
    if (private_key && (st.st_mode & 077)) {
        close(fd);
        return mm_err_set(err, MM_EPERM,
                          "%s: permissions %04o are too open; a signing key must be readable by "
                          "its owner only (chmod 600)",
                          path, (unsigned)(st.st_mode & 07777));
    }
    FILE *f = fdopen(fd, "r");
    if (!f) {
        close(fd);
        return mm_err_set(err, MM_ENOMEM, "%s: out of memory", path);
    }
    EVP_PKEY *pkey = private_key ? PEM_read_PrivateKey(f, NULL, NULL, NULL)
                                 : PEM_read_PUBKEY(f, NULL, NULL, NULL);
    fclose(f);
    if (!pkey)
        return mm_err_set(err, MM_EFORMAT, "%s: not a PEM %s key", path,
                          private_key ? "private" : "public");
    if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
        EVP_PKEY_free(pkey);
        return mm_err_set(err, MM_EFORMAT, "%s: not an Ed25519 key", path);
    }
    *out = pkey;
    return 0;
}

int mm_sign_buffer(const char *key_path, const void *msg, size_t len,
                   char sig_text[MM_SIG_TEXT_LEN + 1], struct mm_err *err)
{
    EVP_PKEY *pkey;
    int rc = read_key(key_path, true, &pkey, err);
    if (rc)
        return rc;
    uint8_t sig[MM_SIG_BYTES];
    size_t siglen = sizeof sig;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestSignInit(ctx, NULL, NULL, NULL, pkey) != 1 ||
        EVP_DigestSign(ctx, sig, &siglen, msg, len) != 1 || siglen != MM_SIG_BYTES)
        rc = mm_err_set(err, MM_ECRYPTO, "%s: signing failed", key_path);
    else
        EVP_EncodeBlock((unsigned char *)sig_text, sig, MM_SIG_BYTES);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pkey); /* OpenSSL wipes private key material on free */
    return rc;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Decode exactly one base64 signature; anything else is malformed. */
static int decode_sig(const char *text, size_t len, const char *sig_name, uint8_t sig[MM_SIG_BYTES],
                      struct mm_err *err)
{
    while (len > 0 && is_space(text[len - 1]))
        len--;
    while (len > 0 && is_space(text[0])) {
        text++;
        len--;
    }
    uint8_t buf[MM_SIG_BYTES + 3];
    if (len != MM_SIG_TEXT_LEN || memchr(text, '\0', len) ||
        EVP_DecodeBlock(buf, (const unsigned char *)text, (int)len) != MM_SIG_BYTES + 2 ||
        text[len - 1] != '=' || text[len - 2] != '=')
        return mm_err_set(err, MM_EFORMAT,
                          "%s: not an Ed25519 signature (expected %d base64 characters)", sig_name,
                          MM_SIG_TEXT_LEN);
    /* Only the canonical encoding: the last character's two spare bits must
     * be zero, so one signature has exactly one text. */
    char again[MM_SIG_TEXT_LEN + 1];
    EVP_EncodeBlock((unsigned char *)again, buf, MM_SIG_BYTES);
    if (memcmp(again, text, MM_SIG_TEXT_LEN) != 0)
        return mm_err_set(err, MM_EFORMAT, "%s: not a canonical base64 Ed25519 signature",
                          sig_name);
    memcpy(sig, buf, MM_SIG_BYTES);
    return 0;
}

int mm_sign_verify_buffer(const char *pub_path, const void *msg, size_t len, const char *msg_name,
                          const char *sig_text, size_t sig_len, const char *sig_name,
                          struct mm_err *err)
{
    uint8_t sig[MM_SIG_BYTES];
    int rc = decode_sig(sig_text, sig_len, sig_name, sig, err);
    if (rc)
        return rc;
    EVP_PKEY *pkey;
    if ((rc = read_key(pub_path, false, &pkey, err)))
        return rc;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) != 1)
        rc = mm_err_set(err, MM_ECRYPTO, "%s: cannot set up verification", pub_path);
    else if (EVP_DigestVerify(ctx, sig, sizeof sig, msg, len) != 1)
        rc = mm_err_set(err, MM_EVERIFY,
                        "%s: the signature %s does not verify with the trusted key %s", msg_name,
                        sig_name, pub_path);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    return rc;
}

int mm_sign_file(const char *key_path, const char *path, const char *sig_path, struct mm_err *err)
{
    char *msg;
    size_t len;
    int rc = mm_file_read_all(path, SIGNED_FILE_MAX, &msg, &len, err);
    if (rc)
        return rc;
    char sig[MM_SIG_TEXT_LEN + 2];
    rc = mm_sign_buffer(key_path, msg, len, sig, err);
    free(msg);
    if (rc)
        return rc;
    sig[MM_SIG_TEXT_LEN] = '\n';
    return mm_file_write_atomic(sig_path, sig, MM_SIG_TEXT_LEN + 1, 0644, err);
}

int mm_sign_verify_file(const char *pub_path, const char *path, const char *sig_path,
                        char **msg_out, size_t *len_out, struct mm_err *err)
{
    char *msg = NULL, *sig = NULL;
    size_t len = 0, sig_len;
    int rc = mm_file_read_all(sig_path, MM_SIG_FILE_MAX, &sig, &sig_len, err);
    if (rc == MM_EIO && access(sig_path, F_OK) != 0) {
        mm_err_clear(err);
        rc = mm_err_set(err, MM_EVERIFY, "%s: no signature file %s", path, sig_path);
    }
    if (!rc)
        rc = mm_file_read_all(path, SIGNED_FILE_MAX, &msg, &len, err);
    if (!rc)
        rc = mm_sign_verify_buffer(pub_path, msg, len, path, sig, sig_len, sig_path, err);
    free(sig);
    if (rc || !msg_out) {
        free(msg);
        return rc;
    }
    *msg_out = msg;
    if (len_out)
        *len_out = len;
    return 0;
}
