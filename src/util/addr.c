/* addr.c - address text conversion via inet_pton/inet_ntop, which already give RFC 5952 forms. */
#include "util/addr.h"

#include "util/error.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mm_addr_parse(const char *text, struct mm_addr *out)
{
    memset(out, 0, sizeof *out);
    if (strchr(text, ':')) {
        if (inet_pton(AF_INET6, text, out->bytes) != 1)
            return MM_EFORMAT;
        out->family = 6;
        return 0;
    }
    if (inet_pton(AF_INET, text, out->bytes) != 1)
        return MM_EFORMAT;
    out->family = 4;
    return 0;
}

int mm_prefix_parse(const char *text, struct mm_prefix *out)
{
    char buf[64];
    size_t n = strlen(text);
    if (n == 0 || n >= sizeof buf)
        return MM_EFORMAT;
    memcpy(buf, text, n + 1);
    char *slash = strchr(buf, '/');
    long len = -1;
    if (slash) {
        *slash = '\0';
        const char *digits = slash + 1;
        if (*digits < '0' || *digits > '9' || strlen(digits) > 3)
            return MM_EFORMAT;
        char *end;
        len = strtol(digits, &end, 10);
        if (*end != '\0')
            return MM_EFORMAT;
    }
    if (mm_addr_parse(buf, &out->addr) != 0)
        return MM_EFORMAT;
    long bits = (long)mm_addr_bits(&out->addr);
    if (len < 0)
        len = bits;
    if (len > bits)
        return MM_EFORMAT;
    out->len = (uint8_t)len;
    for (long i = len; i < bits; i++)
        if (out->addr.bytes[i / 8] & (0x80u >> (i % 8)))
            return MM_EFORMAT;
    return 0;
}

void mm_addr_format(const struct mm_addr *addr, char *buf, size_t buflen)
{
    if (!inet_ntop(addr->family == 4 ? AF_INET : AF_INET6, addr->bytes, buf, (socklen_t)buflen))
        snprintf(buf, buflen, "?");
}

void mm_prefix_format(const struct mm_prefix *p, char *buf, size_t buflen)
{
    char a[MM_ADDR_TEXT_MAX];
    mm_addr_format(&p->addr, a, sizeof a);
    snprintf(buf, buflen, "%s/%u", a, p->len);
}

bool mm_prefix_contains(const struct mm_prefix *p, const struct mm_addr *a)
{
    if (p->addr.family != a->family)
        return false;
    unsigned full = p->len / 8, rest = p->len % 8;
    if (memcmp(p->addr.bytes, a->bytes, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xffu << (8 - rest));
    return (p->addr.bytes[full] & mask) == (a->bytes[full] & mask);
}

int mm_addr_cmp(const struct mm_addr *a, const struct mm_addr *b)
{
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    return memcmp(a->bytes, b->bytes, 16);
}
