/* test_prefix_map.c - prefix map: nesting, duplicates, boundaries, brute-force check, memory. */
#include "harness.h"

#include "select/prefix_map.h"

#include <stdbool.h>
#include <stdlib.h>

static struct mm_prefix pfx(const char *text)
{
    struct mm_prefix p;
    if (mm_prefix_parse(text, &p) != 0) {
        fprintf(stderr, "  bad test prefix %s\n", text);
        abort();
    }
    return p;
}

static struct mm_addr addr(const char *text)
{
    struct mm_addr a;
    if (mm_addr_parse(text, &a) != 0) {
        fprintf(stderr, "  bad test address %s\n", text);
        abort();
    }
    return a;
}

static void add(struct mm_prefix_map_builder *b, const char *text, uint32_t value)
{
    struct mm_prefix p = pfx(text);
    if (mm_prefix_map_builder_add(b, &p, value) != 0)
        abort();
}

static struct mm_prefix_map *build(struct mm_prefix_map_builder *b)
{
    struct mm_prefix_map *m = NULL;
    struct mm_err err;
    mm_err_clear(&err);
    if (mm_prefix_map_build(b, &m, &err) != 0) {
        fprintf(stderr, "  build failed: %s\n", err.msg);
        abort();
    }
    return m;
}

/* The values covering text as "1,2,3" ("" when none), for readable asserts. */
static const char *values_at(const struct mm_prefix_map *m, const char *text)
{
    static char out[256];
    struct mm_addr a = addr(text);
    size_t n;
    const uint32_t *v = mm_prefix_map_set(m, mm_prefix_map_lookup(m, &a), &n);
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && o < sizeof out - 16; i++)
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%u", i ? "," : "", v[i]);
    return out;
}

TEST(prefix_map_nested)
{
    struct mm_prefix_map_builder *b = mm_prefix_map_builder_new();
    add(b, "10.1.2.3/32", 3);
    add(b, "10.0.0.0/8", 1);
    add(b, "10.1.0.0/16", 2);
    ASSERT_EQ(mm_prefix_map_builder_count(b), 3);
    struct mm_prefix_map *m = build(b);
    ASSERT_STR_EQ(values_at(m, "10.1.2.3"), "1,2,3");
    ASSERT_STR_EQ(values_at(m, "10.1.2.2"), "1,2");
    ASSERT_STR_EQ(values_at(m, "10.1.2.4"), "1,2");
    ASSERT_STR_EQ(values_at(m, "10.1.0.0"), "1,2");
    ASSERT_STR_EQ(values_at(m, "10.1.255.255"), "1,2");
    ASSERT_STR_EQ(values_at(m, "10.2.0.0"), "1");
    ASSERT_STR_EQ(values_at(m, "10.0.255.255"), "1");
    ASSERT_STR_EQ(values_at(m, "10.0.0.0"), "1");
    ASSERT_STR_EQ(values_at(m, "10.255.255.255"), "1");
    ASSERT_STR_EQ(values_at(m, "11.0.0.0"), "");
    ASSERT_STR_EQ(values_at(m, "9.255.255.255"), "");
    /* The same values through a different nesting order give the same set id. */
    struct mm_addr a = addr("10.5.5.5"), c = addr("10.200.0.1");
    ASSERT_EQ(mm_prefix_map_lookup(m, &a), mm_prefix_map_lookup(m, &c));
    mm_prefix_map_free(m);
    mm_prefix_map_builder_free(b);
}

TEST(prefix_map_duplicates_and_shared_sets)
{
    struct mm_prefix_map_builder *b = mm_prefix_map_builder_new();
    add(b, "192.0.2.0/24", 5);
    add(b, "192.0.2.0/24", 3);
    add(b, "192.0.2.0/24", 5);
    add(b, "198.51.100.0/24", 3);
    add(b, "198.51.100.0/24", 5);
    add(b, "198.51.100.7/32", 5); /* adds nothing new: still {3,5} */
    add(b, "203.0.113.0/25", 9);
    add(b, "203.0.113.128/25", 9); /* adjacent, same set: one interval */
    struct mm_prefix_map *m = build(b);
    ASSERT_STR_EQ(values_at(m, "192.0.2.77"), "3,5");
    ASSERT_STR_EQ(values_at(m, "198.51.100.7"), "3,5");
    struct mm_addr a = addr("192.0.2.1"), c = addr("198.51.100.7"), d = addr("198.51.100.8");
    uint32_t id = mm_prefix_map_lookup(m, &a);
    ASSERT_TRUE(id != 0);
    ASSERT_EQ(mm_prefix_map_lookup(m, &c), id);
    ASSERT_EQ(mm_prefix_map_lookup(m, &d), id);
    ASSERT_STR_EQ(values_at(m, "203.0.113.127"), "9");
    ASSERT_STR_EQ(values_at(m, "203.0.113.128"), "9");
    ASSERT_STR_EQ(values_at(m, "203.0.114.0"), "");
    size_t n = 99;
    ASSERT_TRUE(mm_prefix_map_set(m, 0, &n) == NULL);
    ASSERT_EQ(n, 0);
    ASSERT_TRUE(mm_prefix_map_set(m, 1000000, &n) == NULL);
    ASSERT_EQ(n, 0);
    mm_prefix_map_free(m);
    mm_prefix_map_builder_free(b);
}

TEST(prefix_map_families_are_separate)
{
    struct mm_prefix_map_builder *b = mm_prefix_map_builder_new();
    add(b, "1.2.3.0/24", 4);
    add(b, "102:300::/24", 6); /* the same leading bytes, the other family */
    struct mm_prefix_map *m = build(b);
    ASSERT_STR_EQ(values_at(m, "1.2.3.4"), "4");
    ASSERT_STR_EQ(values_at(m, "102:304::1"), "6");
    ASSERT_STR_EQ(values_at(m, "::ffff:1.2.3.4"), "");
    ASSERT_STR_EQ(values_at(m, "1.2.4.0"), "");
    struct mm_addr bogus = {0};
    bogus.family = 5;
    ASSERT_EQ(mm_prefix_map_lookup(m, &bogus), 0);
    mm_prefix_map_free(m);
    mm_prefix_map_builder_free(b);

    /* Bad input to add is refused, not stored. */
    b = mm_prefix_map_builder_new();
    struct mm_prefix p = pfx("10.0.0.0/8");
    p.len = 33;
    ASSERT_EQ(mm_prefix_map_builder_add(b, &p, 1), MM_EINVAL);
    p.addr.family = 0;
    p.len = 8;
    ASSERT_EQ(mm_prefix_map_builder_add(b, &p, 1), MM_EINVAL);
    ASSERT_EQ(mm_prefix_map_builder_count(b), 0);
    mm_prefix_map_builder_free(b);
}

TEST(prefix_map_boundaries)
{
    struct mm_prefix_map_builder *b = mm_prefix_map_builder_new();
    add(b, "192.0.2.0/24", 1);
    add(b, "0.0.0.0/32", 2);
    add(b, "255.255.255.255/32", 3);
    add(b, "255.255.255.0/24", 4);
    add(b, "2001:db8::/32", 5);
    add(b, "::/128", 6);
    add(b, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", 7);
    add(b, "2001:db8:0:1::/64", 8);
    add(b, "2001:db8:0:1:8000::/65", 9);
    struct mm_prefix_map *m = build(b);
    ASSERT_STR_EQ(values_at(m, "192.0.1.255"), "");
    ASSERT_STR_EQ(values_at(m, "192.0.2.0"), "1");
    ASSERT_STR_EQ(values_at(m, "192.0.2.255"), "1");
    ASSERT_STR_EQ(values_at(m, "192.0.3.0"), "");
    ASSERT_STR_EQ(values_at(m, "0.0.0.0"), "2");
    ASSERT_STR_EQ(values_at(m, "0.0.0.1"), "");
    ASSERT_STR_EQ(values_at(m, "255.255.255.254"), "4");
    ASSERT_STR_EQ(values_at(m, "255.255.255.255"), "3,4");
    ASSERT_STR_EQ(values_at(m, "255.255.254.255"), "");
    ASSERT_STR_EQ(values_at(m, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff"), "");
    ASSERT_STR_EQ(values_at(m, "2001:db8::"), "5");
    ASSERT_STR_EQ(values_at(m, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"), "5");
    ASSERT_STR_EQ(values_at(m, "2001:db9::"), "");
    ASSERT_STR_EQ(values_at(m, "2001:db8:0:1::"), "5,8");
    ASSERT_STR_EQ(values_at(m, "2001:db8:0:1:7fff:ffff:ffff:ffff"), "5,8");
    ASSERT_STR_EQ(values_at(m, "2001:db8:0:1:8000::"), "5,8,9");
    ASSERT_STR_EQ(values_at(m, "2001:db8:0:1:ffff:ffff:ffff:ffff"), "5,8,9");
    ASSERT_STR_EQ(values_at(m, "2001:db8:0:2::"), "5");
    ASSERT_STR_EQ(values_at(m, "2001:db8:0:0:ffff:ffff:ffff:ffff"), "5");
    ASSERT_STR_EQ(values_at(m, "::"), "6");
    ASSERT_STR_EQ(values_at(m, "::1"), "");
    ASSERT_STR_EQ(values_at(m, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "7");
    ASSERT_STR_EQ(values_at(m, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"), "");
    mm_prefix_map_free(m);
    mm_prefix_map_builder_free(b);
}

TEST(prefix_map_default_routes_and_empty)
{
    struct mm_prefix_map_builder *b = mm_prefix_map_builder_new();
    struct mm_prefix_map *m = build(b);
    ASSERT_STR_EQ(values_at(m, "0.0.0.0"), "");
    ASSERT_STR_EQ(values_at(m, "255.255.255.255"), "");
    ASSERT_STR_EQ(values_at(m, "::"), "");
    ASSERT_STR_EQ(values_at(m, "ffff::1"), "");
    ASSERT_TRUE(mm_prefix_map_memory(m) > 0);
    mm_prefix_map_free(m);

    add(b, "0.0.0.0/0", 1);
    add(b, "::/0", 2);
    add(b, "128.0.0.0/1", 3);
    add(b, "8000::/1", 4);
    m = build(b);
    ASSERT_STR_EQ(values_at(m, "0.0.0.0"), "1");
    ASSERT_STR_EQ(values_at(m, "127.255.255.255"), "1");
    ASSERT_STR_EQ(values_at(m, "128.0.0.0"), "1,3");
    ASSERT_STR_EQ(values_at(m, "255.255.255.255"), "1,3");
    ASSERT_STR_EQ(values_at(m, "::"), "2");
    ASSERT_STR_EQ(values_at(m, "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "2");
    ASSERT_STR_EQ(values_at(m, "8000::"), "2,4");
    ASSERT_STR_EQ(values_at(m, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "2,4");
    mm_prefix_map_free(m);
    /* The builder is reusable after a build. */
    add(b, "10.0.0.0/8", 7);
    m = build(b);
    ASSERT_STR_EQ(values_at(m, "10.9.9.9"), "1,7");
    mm_prefix_map_free(m);
    mm_prefix_map_builder_free(b);
}

/* IPv6 entries packed into a small region make the index skip their shared
 * prefix; addresses below and above that region must still resolve. */
TEST(prefix_map_v6_concentrated)
{
    struct mm_prefix_map_builder *b = mm_prefix_map_builder_new();
    add(b, "2001:db8:0:1::1/128", 1);
    add(b, "2001:db8:0:1::5/128", 2);
    struct mm_prefix_map *m = build(b);
    ASSERT_STR_EQ(values_at(m, "::"), "");
    ASSERT_STR_EQ(values_at(m, "2001:db8:0:1::"), "");
    ASSERT_STR_EQ(values_at(m, "2001:db8:0:1::1"), "1");
    ASSERT_STR_EQ(values_at(m, "2001:db8:0:1::2"), "");
    ASSERT_STR_EQ(values_at(m, "2001:db8:0:1::5"), "2");
    ASSERT_STR_EQ(values_at(m, "2001:db8:0:1::6"), "");
    ASSERT_STR_EQ(values_at(m, "2001:db8:0:0:ffff::5"), "");
    ASSERT_STR_EQ(values_at(m, "2001:db8:0:2::5"), "");
    ASSERT_STR_EQ(values_at(m, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "");
    mm_prefix_map_free(m);

    add(b, "2001:db8:8000::/33", 3);
    add(b, "::/0", 4);
    m = build(b);
    ASSERT_STR_EQ(values_at(m, "::"), "4");
    ASSERT_STR_EQ(values_at(m, "2001:db8:0:1::1"), "1,4");
    ASSERT_STR_EQ(values_at(m, "2001:db8:7fff:ffff:ffff:ffff:ffff:ffff"), "4");
    ASSERT_STR_EQ(values_at(m, "2001:db8:8000::"), "3,4");
    ASSERT_STR_EQ(values_at(m, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"), "3,4");
    ASSERT_STR_EQ(values_at(m, "2001:db9::"), "4");
    ASSERT_STR_EQ(values_at(m, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "4");
    mm_prefix_map_free(m);
    mm_prefix_map_builder_free(b);
}

/* xorshift64*: reproducible test data without touching rand()'s global state. */
static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

struct ref_prefix {
    struct mm_prefix p;
    uint32_t value;
    uint64_t hi, lo, mask_hi, mask_lo; /* the prefix as two masked words */
};

static uint64_t word(const uint8_t *b)
{
    uint64_t w = 0;
    for (int i = 0; i < 8; i++)
        w = w << 8 | b[i];
    return w;
}

/* Random addresses confined to a small region (one /12 of IPv4, one /32 of
 * IPv6), so random prefixes nest and overlap a lot. */
static void random_addr(struct mm_addr *a, int family)
{
    memset(a, 0, sizeof *a);
    a->family = (uint8_t)family;
    uint64_t r = rng(), s = rng();
    if (family == 4) {
        uint32_t v = 0x0a000000u | (uint32_t)(r & 0x000fffffu);
        for (int i = 0; i < 4; i++)
            a->bytes[i] = (uint8_t)(v >> (24 - 8 * i));
        return;
    }
    a->bytes[0] = 0x20;
    a->bytes[1] = 0x01;
    a->bytes[2] = 0x0d;
    a->bytes[3] = 0xb8;
    /* Few distinct bits high up, so that deep IPv6 prefixes still overlap. */
    a->bytes[4] = (uint8_t)(r & 0x03);
    a->bytes[8] = (uint8_t)((r >> 8) & 0x81);
    for (int i = 12; i < 16; i++)
        a->bytes[i] = (uint8_t)(s >> (8 * (i - 12)));
    if (r & 0x10000)
        a->bytes[15] &= 0x0f;
}

static void mask_prefix(struct mm_prefix *p)
{
    unsigned bits = mm_addr_bits(&p->addr);
    for (unsigned i = p->len; i < bits; i++)
        p->addr.bytes[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
}

/* Sorted unique values of every reference prefix covering a, written to out. */
static size_t brute_force(const struct ref_prefix *ref, size_t n, const struct mm_addr *a,
                          uint32_t *out)
{
    bool seen[64] = {false};
    uint64_t hi = word(a->bytes), lo = word(a->bytes + 8);
    for (size_t i = 0; i < n; i++)
        if ((hi & ref[i].mask_hi) == ref[i].hi && (lo & ref[i].mask_lo) == ref[i].lo)
            seen[ref[i].value] = true;
    size_t k = 0;
    for (uint32_t v = 0; v < 64; v++)
        if (seen[v])
            out[k++] = v;
    return k;
}

/* The address just before or after a (wrapping), for boundary probes. */
static void step_addr(struct mm_addr *a, int dir)
{
    int last = a->family == 4 ? 3 : 15;
    for (int i = last; i >= 0; i--) {
        uint8_t old = a->bytes[i];
        a->bytes[i] = (uint8_t)(old + dir);
        if ((dir > 0 && old != 0xff) || (dir < 0 && old != 0x00))
            break;
    }
}

TEST(prefix_map_random_cross_check)
{
    enum { NPREFIX = 2000, NLOOKUP = 100000 };
    struct ref_prefix *ref = calloc(NPREFIX, sizeof *ref);
    struct mm_prefix_map_builder *b = mm_prefix_map_builder_new();
    for (size_t i = 0; i < NPREFIX; i++) {
        int family = i < NPREFIX / 2 ? 4 : 6; /* IPv4 first: brute force scans one half */
        random_addr(&ref[i].p.addr, family);
        uint64_t r = rng();
        ref[i].p.len = family == 4 ? (uint8_t)(8 + r % 25) : (uint8_t)(16 + r % 113);
        mask_prefix(&ref[i].p);
        unsigned len = ref[i].p.len;
        ref[i].mask_hi = len == 0 ? 0 : len >= 64 ? UINT64_MAX : UINT64_MAX << (64 - len);
        ref[i].mask_lo = len <= 64 ? 0 : len == 128 ? UINT64_MAX : UINT64_MAX << (128 - len);
        ref[i].hi = word(ref[i].p.addr.bytes);
        ref[i].lo = word(ref[i].p.addr.bytes + 8);
        ref[i].value = (uint32_t)((r >> 16) % 50);
        ASSERT_EQ(mm_prefix_map_builder_add(b, &ref[i].p, ref[i].value), 0);
    }
    struct mm_prefix_map *m = build(b);
    uint32_t expect[64];
    uint32_t prev_id = 0;
    uint32_t prev_set[64];
    size_t prev_n = 0;
    int failures = 0;
    for (size_t i = 0; i < NLOOKUP && failures < 5; i++) {
        struct mm_addr a;
        uint64_t r = rng();
        if (r % 3 == 0) {
            /* Probe at and around a prefix boundary: first, last, next, previous. */
            const struct ref_prefix *rp = &ref[(r >> 8) % NPREFIX];
            a = rp->p.addr;
            if (r & 0x10000) {
                unsigned bits = mm_addr_bits(&a);
                for (unsigned k = rp->p.len; k < bits; k++)
                    a.bytes[k / 8] |= (uint8_t)(0x80u >> (k % 8));
            }
            if (r & 0x20000)
                step_addr(&a, r & 0x40000 ? 1 : -1);
        } else if (r % 7 == 1) {
            /* Anywhere at all, mostly outside the populated region. */
            uint64_t x = rng(), y = rng();
            memset(&a, 0, sizeof a);
            a.family = r & 8 ? 6 : 4;
            for (int k = 0; k < 8; k++) {
                a.bytes[k] = (uint8_t)(x >> (8 * k));
                a.bytes[k + 8] = a.family == 6 ? (uint8_t)(y >> (8 * k)) : 0;
            }
            if (a.family == 4)
                memset(a.bytes + 4, 0, 12);
        } else {
            random_addr(&a, r & 1 ? 6 : 4);
        }
        size_t n = a.family == 4 ? brute_force(ref, NPREFIX / 2, &a, expect)
                                 : brute_force(ref + NPREFIX / 2, NPREFIX / 2, &a, expect);
        uint32_t id = mm_prefix_map_lookup(m, &a);
        size_t got_n;
        const uint32_t *got = mm_prefix_map_set(m, id, &got_n);
        bool same = got_n == n && (n == 0 || memcmp(got, expect, n * sizeof *got) == 0);
        if (!same) {
            char text[MM_ADDR_TEXT_MAX];
            mm_addr_format(&a, text, sizeof text);
            fprintf(stderr, "  %s: map gives %zu values, brute force %zu\n", text, got_n, n);
            failures++;
        }
        ASSERT_EQ(id == 0, n == 0);
        /* Interning: equal sets have equal ids, different sets different ids. */
        bool same_set = n == prev_n && memcmp(expect, prev_set, n * sizeof *expect) == 0;
        ASSERT_EQ(id == prev_id, same_set);
        prev_id = id;
        prev_n = n;
        memcpy(prev_set, expect, n * sizeof *expect);
    }
    ASSERT_EQ(failures, 0);
    mm_prefix_map_free(m);
    mm_prefix_map_builder_free(b);
    free(ref);
}

static int cmp_u32(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    return a < b ? -1 : a > b;
}

/* Entries that differ in every byte the build sorts on: addresses all over
 * IPv4 space, lengths 0..32, values spread over 32 bits, the same prefix
 * added with several values. Each prefix's first and last address must
 * answer exactly the values of the prefixes covering it. */
TEST(prefix_map_order_uses_every_key_byte)
{
    enum { NPREFIX = 3000 };
    struct mm_prefix *p = calloc(NPREFIX, sizeof *p);
    uint32_t *value = calloc(NPREFIX, sizeof *value);
    struct mm_prefix_map_builder *b = mm_prefix_map_builder_new();
    for (size_t i = 0; i < NPREFIX; i++) {
        uint64_t r = rng();
        if (i % 10 == 9) {
            p[i] = p[i - 1 - r % 5]; /* a duplicate prefix, its own value */
        } else {
            p[i].addr.family = 4;
            for (int k = 0; k < 4; k++)
                p[i].addr.bytes[k] = (uint8_t)(r >> (8 * k));
            p[i].len = (uint8_t)((r >> 32) % 33);
            mask_prefix(&p[i]);
        }
        value[i] = (uint32_t)(rng() >> 32);
        ASSERT_EQ(mm_prefix_map_builder_add(b, &p[i], value[i]), 0);
    }
    struct mm_prefix_map *m = build(b);
    uint32_t *expect = calloc(NPREFIX, sizeof *expect);
    int failures = 0;
    for (size_t i = 0; i < NPREFIX && failures < 5; i++) {
        for (int last = 0; last < 2; last++) {
            struct mm_addr a = p[i].addr;
            for (unsigned k = p[i].len; last && k < 32; k++)
                a.bytes[k / 8] |= (uint8_t)(0x80u >> (k % 8));
            uint32_t x = (uint32_t)(word(a.bytes) >> 32);
            size_t n = 0;
            for (size_t j = 0; j < NPREFIX; j++) {
                uint32_t mask = p[j].len == 0 ? 0 : UINT32_MAX << (32 - p[j].len);
                if ((x & mask) == (uint32_t)(word(p[j].addr.bytes) >> 32))
                    expect[n++] = value[j];
            }
            qsort(expect, n, sizeof *expect, cmp_u32);
            size_t uniq = 0;
            for (size_t j = 0; j < n; j++)
                if (uniq == 0 || expect[uniq - 1] != expect[j])
                    expect[uniq++] = expect[j];
            size_t got_n;
            const uint32_t *got = mm_prefix_map_set(m, mm_prefix_map_lookup(m, &a), &got_n);
            if (got_n != uniq || memcmp(got, expect, uniq * sizeof *got) != 0)
                failures++;
        }
    }
    ASSERT_EQ(failures, 0);
    mm_prefix_map_free(m);
    mm_prefix_map_builder_free(b);
    free(expect);
    free(value);
    free(p);
}

/* The budget case from the design: 1M IPv4 hosts, 100k IPv4 prefixes and
 * 100k IPv6 entries in well under 64 MiB. Values model criteria indexes. */
TEST(prefix_map_memory_budget)
{
    struct mm_prefix_map_builder *b = mm_prefix_map_builder_new();
    uint32_t *hosts = malloc(1000 * sizeof *hosts);
    struct mm_prefix p;
    for (uint32_t i = 0; i < 1000000; i++) {
        memset(&p, 0, sizeof p);
        p.addr.family = 4;
        p.len = 32;
        uint32_t v = (uint32_t)rng();
        if (i < 1000)
            hosts[i] = v;
        for (int k = 0; k < 4; k++)
            p.addr.bytes[k] = (uint8_t)(v >> (24 - 8 * k));
        ASSERT_EQ(mm_prefix_map_builder_add(b, &p, i % 8), 0);
    }
    for (uint32_t i = 0; i < 100000; i++) {
        memset(&p, 0, sizeof p);
        p.addr.family = 4;
        uint32_t v = (uint32_t)rng();
        for (int k = 0; k < 4; k++)
            p.addr.bytes[k] = (uint8_t)(v >> (24 - 8 * k));
        p.len = (uint8_t)(8 + rng() % 24);
        mask_prefix(&p);
        ASSERT_EQ(mm_prefix_map_builder_add(b, &p, 8 + i % 16), 0);
    }
    for (uint32_t i = 0; i < 100000; i++) {
        memset(&p, 0, sizeof p);
        p.addr.family = 6;
        uint64_t r = rng(), s = rng();
        p.addr.bytes[0] = 0x20;
        p.addr.bytes[1] = 0x01 + (uint8_t)(r & 3);
        for (int k = 2; k < 8; k++)
            p.addr.bytes[k] = (uint8_t)(r >> (8 * k));
        for (int k = 8; k < 16; k++)
            p.addr.bytes[k] = (uint8_t)(s >> (8 * (k - 8)));
        p.len = i % 2 ? 128 : (uint8_t)(32 + s % 33);
        mask_prefix(&p);
        ASSERT_EQ(mm_prefix_map_builder_add(b, &p, 24 + i % 8), 0);
    }
    ASSERT_EQ(mm_prefix_map_builder_count(b), 1200000);
    struct mm_prefix_map *m = build(b);
    size_t bytes = mm_prefix_map_memory(m);
    fprintf(stderr, "  # 1.2M-entry map: %.1f MiB\n", bytes / 1048576.0);
    ASSERT_TRUE(bytes < 64u * 1024 * 1024);
    /* Every sampled host finds its own value. */
    for (uint32_t i = 0; i < 1000; i++) {
        struct mm_addr a = {0};
        a.family = 4;
        for (int k = 0; k < 4; k++)
            a.bytes[k] = (uint8_t)(hosts[i] >> (24 - 8 * k));
        size_t n;
        const uint32_t *v = mm_prefix_map_set(m, mm_prefix_map_lookup(m, &a), &n);
        bool found = false;
        for (size_t k = 0; k < n; k++)
            found = found || v[k] == i % 8;
        ASSERT_TRUE(found);
    }
    mm_prefix_map_free(m);
    mm_prefix_map_builder_free(b);
    free(hosts);
}

/* Known answers on both index layouts: a large map (over 32,768 boundaries:
 * the 16-bit index with 16-bit starts) and a small one (a narrow index
 * with full starts). Hosts are spread over all of IPv4 space; every
 * seventh /16 is also covered by a prefix of its own. */
static void check_hosts_and_sixteens(uint32_t nhosts)
{
    struct mm_prefix_map_builder *b = mm_prefix_map_builder_new();
    for (uint32_t t = 0; t < 65536; t += 7) {
        struct mm_prefix p = {.addr = {.family = 4}, .len = 16};
        p.addr.bytes[0] = (uint8_t)(t >> 8);
        p.addr.bytes[1] = (uint8_t)t;
        ASSERT_EQ(mm_prefix_map_builder_add(b, &p, 100000 + t), 0);
    }
    uint32_t stride = 0xffffffffu / nhosts;
    for (uint32_t i = 0; i < nhosts; i++) {
        struct mm_prefix p = {.addr = {.family = 4}, .len = 32};
        uint32_t a = i * stride + 3;
        for (int k = 0; k < 4; k++)
            p.addr.bytes[k] = (uint8_t)(a >> (24 - 8 * k));
        ASSERT_EQ(mm_prefix_map_builder_add(b, &p, i % 1000), 0);
    }
    struct mm_prefix_map *m = build(b);
    int failures = 0;
    for (uint32_t i = 0; i < nhosts && failures < 5; i++) {
        for (uint32_t off = 0; off < 2; off++) {
            uint32_t a = i * stride + 3 + off; /* the host, then the address after it */
            struct mm_addr addr = {.family = 4};
            for (int k = 0; k < 4; k++)
                addr.bytes[k] = (uint8_t)(a >> (24 - 8 * k));
            uint32_t expect[2];
            size_t n = 0;
            if (off == 0)
                expect[n++] = i % 1000;
            if ((a >> 16) % 7 == 0)
                expect[n++] = 100000 + (a >> 16);
            size_t got_n;
            const uint32_t *got = mm_prefix_map_set(m, mm_prefix_map_lookup(m, &addr), &got_n);
            if (got_n != n || (n && memcmp(got, expect, n * sizeof *got) != 0))
                failures++;
        }
    }
    ASSERT_EQ(failures, 0);
    mm_prefix_map_free(m);
    mm_prefix_map_builder_free(b);
}

TEST(prefix_map_large_and_small_index_layouts)
{
    check_hosts_and_sixteens(60000); /* > 32,768 boundaries */
    check_hosts_and_sixteens(50);    /* about 19,000: full starts */
}
