/* addr.h - IPv4/IPv6 addresses and prefixes: one representation, text parsing and RFC 5952 output. */
#ifndef MM_ADDR_H
#define MM_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An IPv4 address lives in bytes[0..3], the rest zero, so both families
 * compare and hash the same way. */
struct mm_addr {
    uint8_t family; /* 4 or 6 */
    uint8_t bytes[16];
};

struct mm_prefix {
    struct mm_addr addr; /* host bits are zero */
    uint8_t len;         /* 0..32 or 0..128 */
};

#define MM_ADDR_TEXT_MAX 46 /* INET6_ADDRSTRLEN */

/* Parse "192.0.2.1" or "2001:db8::1". Returns 0 or MM_EFORMAT. */
int mm_addr_parse(const char *text, struct mm_addr *out);
/* Parse an address or "addr/len". A bare address is a host prefix. Host
 * bits set beyond len are refused (MM_EFORMAT): "10.0.0.1/8" is a typo the
 * committee should see, not something to guess about. */
int mm_prefix_parse(const char *text, struct mm_prefix *out);
/* Write the standard text form (RFC 5952 for IPv6) into buf (>= MM_ADDR_TEXT_MAX). */
void mm_addr_format(const struct mm_addr *addr, char *buf, size_t buflen);
void mm_prefix_format(const struct mm_prefix *p, char *buf, size_t buflen);
bool mm_prefix_contains(const struct mm_prefix *p, const struct mm_addr *a);
int mm_addr_cmp(const struct mm_addr *a, const struct mm_addr *b);
/* Address width in bits: 32 or 128. */
static inline unsigned mm_addr_bits(const struct mm_addr *a) { return a->family == 4 ? 32u : 128u; }

#endif
