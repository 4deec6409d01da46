/* cryptopan.h - Crypto-PAn keyed prefix-preserving pseudonymization of IPv4 and IPv6 addresses. */
#ifndef MM_CRYPTOPAN_H
#define MM_CRYPTOPAN_H

#include <stdint.h>

#include "util/addr.h"
#include "util/error.h"

#define MM_CRYPTOPAN_KEY_LEN 32

/* Xu, Fan, Ammar, Moon, "Prefix-preserving IP address anonymization"
 * (2002): the first 16 key bytes are the AES-128 key, the last 16 are
 * encrypted to form the pad. IPv6 uses the same construction over 128 bits
 * (as in the widely used Go and Python implementations), so two addresses
 * sharing a k-bit prefix have pseudonyms sharing exactly a k-bit prefix.
 *
 * An instance holds an OpenSSL cipher context: it is NOT thread-safe; give
 * each worker its own. The key material is wiped on free. */
struct mm_cryptopan;

int mm_cryptopan_new(struct mm_cryptopan **out, const uint8_t key[MM_CRYPTOPAN_KEY_LEN],
                     struct mm_err *err);
/* Pseudonymize in into out (same family). in and out may alias. */
void mm_cryptopan_anonymize(struct mm_cryptopan *cp, const struct mm_addr *in, struct mm_addr *out);
/* Invert a pseudonym (needs the key): used only by re-identification. */
void mm_cryptopan_deanonymize(struct mm_cryptopan *cp, const struct mm_addr *in, struct mm_addr *out);
void mm_cryptopan_free(struct mm_cryptopan *cp);

/* Read a key file: exactly 64 hex digits (surrounding whitespace allowed).
 * Refuses (MM_EPERM) a file that group or others may read or write, as ssh
 * does for private keys; errors name the path. */
int mm_key_file_read(const char *path, uint8_t key[MM_CRYPTOPAN_KEY_LEN], struct mm_err *err);

#endif
