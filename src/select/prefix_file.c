/* prefix_file.c - reading address lists: plain prefix-per-line and RIR delegated statistics. */
#include "select/prefix_file.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Both entry points feed one line at a time into the same parser, so a file
 * is streamed (never loaded whole) and a buffer behaves exactly like a file.
 * Input is untrusted: lines are capped, NUL bytes and other binary garbage
 * are errors, and text quoted back in an error is truncated and escaped. */

#define LINE_MAX_BYTES 4096
#define QUOTE_MAX 40
#define FILE_CHUNK 65536

enum mode { MODE_UNKNOWN, MODE_PLAIN, MODE_DELEGATED };

struct reader {
    const char *name;
    const char *country;
    mm_prefix_cb cb;
    void *ctx;
    struct mm_err *err;
    unsigned long lineno;
    enum mode mode;
};

/* Quote at most QUOTE_MAX bytes of s for an error message: printable ASCII
 * as is, anything else as \xNN, "..." when cut. */
static void quote(char *dst, size_t dstlen, const char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && i < QUOTE_MAX && o + 5 < dstlen; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'')
            dst[o++] = (char)c;
        else
            o += (size_t)snprintf(dst + o, dstlen - o, "\\x%02x", c);
    }
    if (n > QUOTE_MAX && o + 4 <= dstlen) {
        memcpy(dst + o, "...", 3);
        o += 3;
    }
    dst[o] = '\0';
}

static int fail(struct reader *r, const char *what, const char *s, size_t n)
{
    char q[QUOTE_MAX * 4 + 8];
    quote(q, sizeof q, s, n);
    return mm_err_set(r->err, MM_EFORMAT, "%s:%lu: %s: '%s'", r->name, r->lineno, what, q);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Copy s[0..n) into buf as a C string; false if it does not fit or holds a NUL. */
static bool to_cstr(char *buf, size_t buflen, const char *s, size_t n)
{
    if (n >= buflen || memchr(s, '\0', n))
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return true;
}

static bool field_is(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && memcmp(s, word, n) == 0;
}

static int parse_plain(struct reader *r, const char *tok, size_t n)
{
    char buf[64];
    struct mm_prefix p;
    if (!to_cstr(buf, sizeof buf, tok, n))
        return fail(r, "not an address or prefix", tok, n);
    if (mm_prefix_parse(buf, &p) != 0) {
        /* "10.0.0.1/8" parses as an address and a length: say what is wrong. */
        char *slash = strchr(buf, '/');
        struct mm_addr a;
        if (slash) {
            *slash = '\0';
            if (mm_addr_parse(buf, &a) == 0 && is_digit(slash[1]) && strlen(slash + 1) <= 3 &&
                (unsigned)atoi(slash + 1) <= mm_addr_bits(&a))
                return fail(r, "host bits set beyond the prefix length", tok, n);
        }
        return fail(r, "not an address or prefix", tok, n);
    }
    return r->cb(r->ctx, &p);
}

/* One row of a delegated file: registry|cc|type|start|value|date|status[|...]. */
static int parse_delegated(struct reader *r, const char *line, size_t len)
{
    const char *f[8];
    size_t fl[8], nf = 0;
    const char *p = line, *end = line + len;
    while (nf < 8) {
        const char *bar = memchr(p, '|', (size_t)(end - p));
        f[nf] = p;
        fl[nf] = (size_t)((bar ? bar : end) - p);
        nf++;
        if (!bar)
            break;
        p = bar + 1;
    }
    if (nf >= 1 && fl[0] > 0) {
        bool version = true; /* "2|apnic|20260214|...": digits in the first field */
        for (size_t i = 0; i < fl[0]; i++)
            version = version && is_digit(f[0][i]);
        if (version)
            return 0;
    }
    if (nf >= 6 && field_is(f[5], fl[5], "summary"))
        return 0;
    if (nf < 7)
        return fail(r, "malformed delegated row", line, len);
    bool v4 = field_is(f[2], fl[2], "ipv4"), v6 = field_is(f[2], fl[2], "ipv6");
    if (!v4 && !v6)
        return 0; /* asn rows */
    if (strlen(r->country) != fl[1] || strncasecmp(f[1], r->country, fl[1]) != 0)
        return 0;
    /* Extended files also list available and reserved space; only what is
     * in use by the country counts. */
    if (!field_is(f[6], fl[6], "allocated") && !field_is(f[6], fl[6], "assigned"))
        return 0;

    char addr[64];
    if (v6) {
        /* value is the prefix length: "start/value" */
        struct mm_prefix pfx;
        if (fl[3] + 1 + fl[4] >= sizeof addr || !to_cstr(addr, sizeof addr, f[3], fl[3]))
            return fail(r, "bad IPv6 row", line, len);
        size_t n = fl[3];
        addr[n++] = '/';
        if (!to_cstr(addr + n, sizeof addr - n, f[4], fl[4]) || mm_prefix_parse(addr, &pfx) != 0 ||
            pfx.addr.family != 6)
            return fail(r, "bad IPv6 row", line, len);
        return r->cb(r->ctx, &pfx);
    }
    struct mm_addr start;
    if (!to_cstr(addr, sizeof addr, f[3], fl[3]) || mm_addr_parse(addr, &start) != 0 ||
        start.family != 4)
        return fail(r, "bad IPv4 row", line, len);
    uint64_t count = 0;
    if (fl[4] == 0 || fl[4] > 10)
        return fail(r, "bad IPv4 address count", line, len);
    for (size_t i = 0; i < fl[4]; i++) {
        if (!is_digit(f[4][i]))
            return fail(r, "bad IPv4 address count", line, len);
        count = count * 10 + (uint64_t)(f[4][i] - '0');
    }
    uint32_t first = (uint32_t)start.bytes[0] << 24 | (uint32_t)start.bytes[1] << 16 |
                     (uint32_t)start.bytes[2] << 8 | start.bytes[3];
    if (count == 0 || first + count - 1 > UINT32_MAX)
        return fail(r, "IPv4 address count out of range", line, len);
    return mm_prefix_cover_range_v4(first, (uint32_t)(first + count - 1), r->cb, r->ctx);
}

/* One line without its '\n'. */
static int feed_line(struct reader *r, const char *line, size_t len)
{
    r->lineno++;
    if (len > LINE_MAX_BYTES)
        return mm_err_set(r->err, MM_EFORMAT, "%s:%lu: line longer than %d bytes", r->name,
                          r->lineno, LINE_MAX_BYTES);
    if (r->lineno == 1 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
        line += 3; /* UTF-8 byte order mark */
        len -= 3;
    }
    while (len && is_blank(*line)) {
        line++;
        len--;
    }
    while (len && is_blank(line[len - 1]))
        len--;
    if (len == 0 || *line == '#' || *line == ';')
        return 0;
    if (r->mode == MODE_UNKNOWN) {
        /* The first significant line decides: a delegated file opens with
         * its version line, "2|apnic|...". */
        size_t d = 0;
        while (d < len && is_digit(line[d]))
            d++;
        r->mode = d > 0 && d < len && line[d] == '|' ? MODE_DELEGATED : MODE_PLAIN;
        if (r->mode == MODE_DELEGATED && !r->country)
            return mm_err_set(r->err, MM_EINVAL,
                              "%s:%lu: an RIR delegated file needs a country code to select rows",
                              r->name, r->lineno);
    }
    if (r->mode == MODE_DELEGATED)
        return parse_delegated(r, line, len);
    size_t n = 0;
    while (n < len && !is_blank(line[n]) && line[n] != '#' && line[n] != ';')
        n++;
    return parse_plain(r, line, n);
}

int mm_prefix_text_read(const char *text, size_t len, const char *name, const char *country,
                        mm_prefix_cb cb, void *ctx, struct mm_err *err)
{
    struct reader r = {name ? name : "(text)", country, cb, ctx, err, 0, MODE_UNKNOWN};
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        int rc = feed_line(&r, p, (size_t)(line_end - p));
        if (rc != 0)
            return rc;
        p = nl ? nl + 1 : end;
    }
    return 0;
}

int mm_prefix_file_read(const char *path, const char *country, mm_prefix_cb cb, void *ctx,
                        struct mm_err *err)
{
    struct reader r = {path, country, cb, ctx, err, 0, MODE_UNKNOWN};
    int rc = 0;
    char *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return mm_err_set(err, MM_EIO, "%s: cannot open: %s", path, strerror(errno));
    buf = malloc(FILE_CHUNK);
    if (!buf) {
        rc = mm_err_set(err, MM_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    /* buf[0..have) holds the unfinished tail of the previous chunk; the
     * chunk is far larger than a line may be, so a full buffer without a
     * newline is always a line over the cap. */
    size_t have = 0;
    for (;;) {
        size_t got = fread(buf + have, 1, FILE_CHUNK - have, f);
        if (got == 0 && ferror(f)) {
            rc = mm_err_set(err, MM_EIO, "%s: read error: %s", path, strerror(errno));
            goto out;
        }
        have += got;
        bool eof = got == 0;
        char *p = buf, *end = buf + have;
        char *nl;
        while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
            if ((rc = feed_line(&r, p, (size_t)(nl - p))) != 0)
                goto out;
            p = nl + 1;
        }
        have = (size_t)(end - p);
        if (have > LINE_MAX_BYTES) {
            /* feed_line reports the over-long line with its number */
            rc = feed_line(&r, p, have);
            goto out;
        }
        if (eof) {
            if (have)
                rc = feed_line(&r, p, have);
            goto out;
        }
        memmove(buf, p, have);
    }
out:
    free(buf);
    fclose(f);
    return rc;
}

int mm_prefix_cover_range_v4(uint32_t first, uint32_t last, mm_prefix_cb cb, void *ctx)
{
    if (first > last)
        return MM_EINVAL;
    uint64_t cur = first, end = (uint64_t)last + 1;
    while (cur < end) {
        /* The largest aligned block starting at cur that stays in range. */
        unsigned host = cur ? (unsigned)__builtin_ctz((uint32_t)cur) : 32;
        while (cur + (1ull << host) > end)
            host--;
        struct mm_prefix p;
        memset(&p, 0, sizeof p);
        p.addr.family = 4;
        p.addr.bytes[0] = (uint8_t)(cur >> 24);
        p.addr.bytes[1] = (uint8_t)(cur >> 16);
        p.addr.bytes[2] = (uint8_t)(cur >> 8);
        p.addr.bytes[3] = (uint8_t)cur;
        p.len = (uint8_t)(32 - host);
        int rc = cb(ctx, &p);
        if (rc != 0)
            return rc;
        cur += 1ull << host;
    }
    return 0;
}
