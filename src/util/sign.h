/* sign.h - Ed25519 keys (PEM) and detached signatures over exact file bytes (OpenSSL EVP). */
#ifndef MM_SIGN_H
#define MM_SIGN_H

#include <stddef.h>

#include "util/error.h"

/* A signature file holds the 64-byte Ed25519 signature (RFC 8032, "pure"
 * Ed25519: the message itself is signed, not a digest of it) as standard
 * base64 (RFC 4648, with padding: 88 characters) and one newline. Nothing
 * else: no comment line, no key id. */
#define MM_SIG_BYTES 64
#define MM_SIG_TEXT_LEN 88
#define MM_SIG_FILE_MAX 1024 /* a longer .sig file is malformed */

/* Write a new key pair: key_path gets the private key (PKCS#8 PEM, created
 * with mode 0600), pub_path the public key (SubjectPublicKeyInfo PEM, 0644).
 * Neither file may exist already (MM_ECONFLICT): a signing key is never
 * overwritten by accident. */
int mm_sign_keygen(const char *key_path, const char *pub_path, struct mm_err *err);

/* Sign msg with the private key in key_path; sig_text gets the base64 text
 * (NUL-terminated, no newline). The key file must be readable by its owner
 * only (MM_EPERM otherwise) and must hold an Ed25519 key. */
int mm_sign_buffer(const char *key_path, const void *msg, size_t len,
                   char sig_text[MM_SIG_TEXT_LEN + 1], struct mm_err *err);

/* Check sig_text (the contents of a signature file: base64, surrounding
 * whitespace allowed) over msg with the public key in pub_path. 0 when it
 * verifies; MM_EVERIFY when it does not (err names msg_name); MM_EFORMAT for
 * a malformed signature (err names sig_name); MM_EIO/MM_EFORMAT for an
 * unreadable or non-Ed25519 key (err names pub_path). */
int mm_sign_verify_buffer(const char *pub_path, const void *msg, size_t len, const char *msg_name,
                          const char *sig_text, size_t sig_len, const char *sig_name,
                          struct mm_err *err);

/* Whole-file forms. mm_sign_file signs path's bytes into sig_path (replaced
 * atomically, mode 0644). mm_sign_verify_file checks path against sig_path (a
 * missing signature file is MM_EVERIFY); with msg_out it hands back the very
 * bytes it verified (NUL-terminated; the caller frees them), so a caller that
 * parses them cannot be fooled by the file changing after the check. Files
 * are capped at 64 MiB. */
int mm_sign_file(const char *key_path, const char *path, const char *sig_path, struct mm_err *err);
int mm_sign_verify_file(const char *pub_path, const char *path, const char *sig_path,
                        char **msg_out, size_t *len_out, struct mm_err *err);

#endif
