/* test_flow_table.c - flow table: symmetric hashing, spread of structured keys, growth and removal. */
#include <stdlib.h>

#include "harness.h"
#include "select/flow_table.h"

/* A fixed key for the tests; the engine derives one from the policy's secret. */
static const struct mm_flow_hash_key key = {
    {0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL}};

static struct mm_packet_facts v4_flow(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                                      uint8_t proto)
{
    struct mm_packet_facts p;
    memset(&p, 0, sizeof p);
    p.src.family = p.dst.family = 4;
    for (int i = 0; i < 4; i++) {
        p.src.bytes[i] = (uint8_t)(src >> (24 - 8 * i));
        p.dst.bytes[i] = (uint8_t)(dst >> (24 - 8 * i));
    }
    p.src_port = sport;
    p.dst_port = dport;
    p.proto = proto;
    return p;
}

static struct mm_packet_facts v6_flow(uint32_t host, uint16_t sport)
{
    struct mm_packet_facts p;
    memset(&p, 0, sizeof p);
    p.src.family = p.dst.family = 6;
    p.src.bytes[0] = p.dst.bytes[0] = 0x20;
    p.src.bytes[1] = p.dst.bytes[1] = 0x01;
    p.src.bytes[2] = p.dst.bytes[2] = 0x0d;
    p.src.bytes[3] = p.dst.bytes[3] = 0xb8;
    for (int i = 0; i < 4; i++)
        p.src.bytes[12 + i] = (uint8_t)(host >> (24 - 8 * i));
    p.dst.bytes[15] = 1;
    p.src_port = sport;
    p.dst_port = 443;
    p.proto = 6;
    return p;
}

static struct mm_packet_facts reversed(struct mm_packet_facts p)
{
    struct mm_packet_facts r = p;
    r.src = p.dst;
    r.dst = p.src;
    r.src_port = p.dst_port;
    r.dst_port = p.src_port;
    return r;
}

/* Insert p's flow under hash, marked with `mark` in its packet count;
 * false when the table refuses it. */
static bool add_flow(struct mm_flow_table *t, const struct mm_packet_facts *p, uint64_t hash,
                     uint32_t mark)
{
    struct mm_flow *f = mm_flow_table_insert(t, hash);
    if (!f)
        return false;
    mm_flow_set_key(f, p);
    f->packets = mark;
    return true;
}

TEST(flow_hash_is_symmetric_and_keyed_by_the_whole_key)
{
    struct mm_packet_facts p = v4_flow(0xc6336407, 51000, 0xcb00710a, 443, 6);
    struct mm_packet_facts r = reversed(p);
    ASSERT_U64_EQ(mm_flow_hash(&key, &p), mm_flow_hash(&key, &r));
    ASSERT_U64_EQ(mm_flow_shard_hash(&key, &p), mm_flow_shard_hash(&key, &r));
    /* The shard hash ignores ports (later fragments have none). */
    struct mm_packet_facts other_ports = v4_flow(0xc6336407, 1, 0xcb00710a, 2, 17);
    ASSERT_U64_EQ(mm_flow_shard_hash(&key, &p), mm_flow_shard_hash(&key, &other_ports));
    /* The flow hash changes with every part of the key. */
    struct mm_packet_facts q = p;
    q.proto = 17;
    ASSERT_TRUE(mm_flow_hash(&key, &q) != mm_flow_hash(&key, &p));
    q = p;
    q.src_port++;
    ASSERT_TRUE(mm_flow_hash(&key, &q) != mm_flow_hash(&key, &p));
    q = p;
    q.dst.bytes[3] ^= 1;
    ASSERT_TRUE(mm_flow_hash(&key, &q) != mm_flow_hash(&key, &p));
    /* Swapping ports alone (not addresses) is another flow. */
    q = p;
    q.src_port = p.dst_port;
    q.dst_port = p.src_port;
    ASSERT_TRUE(mm_flow_hash(&key, &q) != mm_flow_hash(&key, &p));
    ASSERT_TRUE(mm_flow_hash(&key, &p) != 0);
}

/* The key is HMAC-SHA-256 of a fixed label under the policy's secret
 * (known answer computed with Python's hmac module), and it matters: the
 * same flow hashes differently under another secret, symmetric under both. */
TEST(flow_hash_key_comes_from_the_secret)
{
    uint8_t secret[32];
    for (int i = 0; i < 32; i++)
        secret[i] = (uint8_t)i;
    struct mm_flow_hash_key k;
    mm_flow_hash_key_derive(&k, secret);
    ASSERT_U64_EQ(k.k[0], 0x69db749c53ebffb8ULL);
    ASSERT_U64_EQ(k.k[1], 0x2d467ad5057124fbULL);
    ASSERT_U64_EQ(k.k[2], 0x41440857ba8ab153ULL);
    ASSERT_U64_EQ(k.k[3], 0x2ddfed6031ae22a1ULL);
    secret[31] ^= 1;
    struct mm_flow_hash_key other;
    mm_flow_hash_key_derive(&other, secret);
    struct mm_packet_facts p = v4_flow(0xc6336407, 51000, 0xcb00710a, 443, 6), r = reversed(p);
    ASSERT_TRUE(mm_flow_hash(&k, &p) != mm_flow_hash(&other, &p));
    ASSERT_U64_EQ(mm_flow_hash(&other, &p), mm_flow_hash(&other, &r));
    ASSERT_TRUE(mm_flow_shard_hash(&k, &p) != mm_flow_shard_hash(&other, &p));
}

/* Traffic is structured: one client walking its source ports, a /16 of
 * hosts calling one server, a scan across ports, IPv6 hosts numbered in
 * order. Each pattern must spread over home slots like random keys would:
 * n keys into 2n slots leave about 1 - e^-0.5 = 39.3% of slots used, and
 * no slot is home to many keys. Sharding across two or three workers stays even. */
TEST(flow_hash_spreads_structured_keys)
{
    enum { N = 65536, SLOTS = 2 * N };
    uint16_t *homes = calloc(SLOTS, sizeof *homes);
    ASSERT_TRUE(homes != NULL);
    for (int pattern = 0; pattern < 4; pattern++) {
        memset(homes, 0, SLOTS * sizeof *homes);
        size_t used = 0, worst = 0, shard1 = 0, shard3[3] = {0};
        for (uint32_t i = 0; i < N; i++) {
            struct mm_packet_facts p;
            switch (pattern) {
            case 0: p = v4_flow(0x0a000001, (uint16_t)i, 0xcb00710a, 443, 6); break;
            case 1: p = v4_flow(0xc0a80000 + i, 40000, 0xcb00710a, 443, 6); break;
            case 2: p = v4_flow(0xc6336407, 40000, 0xcb00710a, (uint16_t)i, 6); break;
            default: p = v6_flow(i, 40000); break;
            }
            uint64_t h = mm_flow_hash(&key, &p);
            uint16_t *c = &homes[h & (SLOTS - 1)];
            used += *c == 0;
            (*c)++;
            if (*c > worst)
                worst = *c;
            shard1 += mm_flow_shard(&key, &p, 2);
            shard3[mm_flow_shard(&key, &p, 3)]++;
        }
        if (used < SLOTS * 0.385 || used > SLOTS * 0.400 || worst > 10)
            MM_FAIL_("pattern %d: %zu of %d home slots used, at most %zu keys on one", pattern, used,
                     SLOTS, worst);
        /* Patterns 0 and 2 are one address pair: one shard by design. */
        if (pattern == 1 || pattern == 3) {
            ASSERT_TRUE(shard1 > N * 0.48 && shard1 < N * 0.52);
            for (int k = 0; k < 3; k++)
                ASSERT_TRUE(shard3[k] > N * 0.31 && shard3[k] < N * 0.36);
        }
    }
    free(homes);
}

/* Many flows: the table grows several times; every flow is found in both
 * directions; removing half (backward shifts) leaves the rest findable. */
TEST(flow_table_grows_finds_and_removes)
{
    enum { N = 300000 };
    struct mm_flow_table *t = mm_flow_table_new(N);
    ASSERT_TRUE(t != NULL);
    size_t first_capacity = mm_flow_table_capacity(t);
    for (uint32_t i = 0; i < N; i++) {
        struct mm_packet_facts p = v4_flow(0x0a000000 + i / 7, (uint16_t)(1024 + i % 7), 0xcb00710a, 80, 6);
        ASSERT_TRUE(add_flow(t, &p, mm_flow_hash(&key, &p), i));
    }
    ASSERT_EQ(mm_flow_table_count(t), N);
    ASSERT_TRUE(mm_flow_table_capacity(t) >= first_capacity * 4);
    /* A full table refuses the next flow (the caller evicts). */
    struct mm_packet_facts extra = v4_flow(0x01020304, 1, 0x05060708, 2, 17);
    ASSERT_TRUE(mm_flow_table_insert(t, mm_flow_hash(&key, &extra)) == NULL);
    for (uint32_t i = 0; i < N; i++) {
        struct mm_packet_facts p = v4_flow(0x0a000000 + i / 7, (uint16_t)(1024 + i % 7), 0xcb00710a, 80, 6);
        struct mm_packet_facts r = reversed(p);
        bool rev = true;
        struct mm_flow *f = mm_flow_table_find(t, mm_flow_hash(&key, &p), &p, &rev);
        if (!f || f->packets != i || rev)
            MM_FAIL_("flow %u not found forward", i);
        f = mm_flow_table_find(t, mm_flow_hash(&key, &r), &r, &rev);
        if (!f || f->packets != i || !rev)
            MM_FAIL_("flow %u not found reversed", i);
        if (i % 2 == 0)
            mm_flow_table_remove(t, f);
    }
    ASSERT_EQ(mm_flow_table_count(t), N / 2);
    for (uint32_t i = 0; i < N; i++) {
        struct mm_packet_facts p = v4_flow(0x0a000000 + i / 7, (uint16_t)(1024 + i % 7), 0xcb00710a, 80, 6);
        bool rev;
        struct mm_flow *f = mm_flow_table_find(t, mm_flow_hash(&key, &p), &p, &rev);
        if (i % 2 == 0 ? f != NULL : (!f || f->packets != i))
            MM_FAIL_("after removals, flow %u is %s", i, f ? "present" : "missing");
    }
    mm_flow_table_free(t);
}

/* A presized table keeps the flows it held and never grows again. */
TEST(flow_table_presize_keeps_flows_and_stops_growth)
{
    enum { N = 100000 };
    struct mm_flow_table *t = mm_flow_table_new(N);
    ASSERT_TRUE(t != NULL);
    struct mm_packet_facts early = v4_flow(0xc6336407, 51000, 0xcb00710a, 443, 6);
    ASSERT_TRUE(add_flow(t, &early, mm_flow_hash(&key, &early), 7));
    size_t small = mm_flow_table_capacity(t);
    ASSERT_EQ(mm_flow_table_presize(t, SIZE_MAX), 0);
    size_t full = mm_flow_table_capacity(t);
    ASSERT_TRUE(full > small && full >= N + N / 3);
    bool rev;
    struct mm_flow *f = mm_flow_table_find(t, mm_flow_hash(&key, &early), &early, &rev);
    ASSERT_TRUE(f != NULL && f->packets == 7);
    for (uint32_t i = 1; i < N; i++) {
        struct mm_packet_facts p = v4_flow(0x0a000000 + i, 1024, 0xcb00710a, 80, 17);
        ASSERT_TRUE(mm_flow_table_insert(t, mm_flow_hash(&key, &p)) != NULL);
    }
    ASSERT_EQ(mm_flow_table_capacity(t), full);
    mm_flow_table_free(t);

    /* Within a budget: the largest capacity that fits, and growth later. */
    t = mm_flow_table_new(N);
    ASSERT_EQ(mm_flow_table_presize(t, 3 * small * sizeof(struct mm_flow)), 0);
    ASSERT_EQ(mm_flow_table_capacity(t), 2 * small);
    mm_flow_table_free(t);
}

/* Growth with chosen hashes: the table lets a test pick each flow's home
 * slot, so it can build the runs that make growing in place delicate. */
static struct mm_packet_facts keyed(uint32_t i)
{
    return v4_flow(0x0a000000 + i, 1000, 0xcb00710a, 80, 6);
}

static bool add_with_hash(struct mm_flow_table *t, uint32_t i, uint64_t hash)
{
    struct mm_packet_facts p = keyed(i);
    return add_flow(t, &p, hash, i);
}

static size_t missing(struct mm_flow_table *t, const uint64_t *hash, uint32_t n)
{
    size_t lost = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct mm_packet_facts p = keyed(i);
        bool rev;
        struct mm_flow *f = mm_flow_table_find(t, hash[i], &p, &rev);
        lost += !f || f->packets != i;
    }
    return lost;
}

/* Fill the first table (64K slots) to the brink, with a run of `run` flows
 * homed near the end that wraps around into slot 0 and beyond; half of them
 * move to the upper half when the table doubles. Then grow it (twice), and
 * every flow must still be found; so must they after half are removed. */
static void grow_with_wrapping_run(uint32_t run)
{
    enum { FIRST = 65536, N = 49152 + 60000 };
    uint64_t *hash = calloc(N, sizeof *hash);
    struct mm_flow_table *t = mm_flow_table_new(1000000);
    ASSERT_TRUE(hash && t && mm_flow_table_capacity(t) == FIRST);
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (uint32_t i = 0; i < N; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        if (i < run)
            hash[i] = (x & ~(uint64_t)(FIRST - 1)) | (FIRST - 1 - i % 8); /* home 65528..65535 */
        else
            hash[i] = x | 1;
        if (!add_with_hash(t, i, hash[i]))
            MM_FAIL_("insert %u refused", i);
        if (i == 49150)
            ASSERT_EQ(mm_flow_table_capacity(t), FIRST); /* not grown yet */
    }
    ASSERT_TRUE(mm_flow_table_capacity(t) == 2 * FIRST || mm_flow_table_capacity(t) == 4 * FIRST);
    ASSERT_EQ(missing(t, hash, N), 0);
    for (uint32_t i = 0; i < N; i += 2) {
        struct mm_packet_facts p = keyed(i);
        bool rev;
        mm_flow_table_remove(t, mm_flow_table_find(t, hash[i], &p, &rev));
    }
    size_t lost = 0;
    for (uint32_t i = 1; i < N; i += 2) {
        struct mm_packet_facts p = keyed(i);
        bool rev;
        struct mm_flow *f = mm_flow_table_find(t, hash[i], &p, &rev);
        lost += !f || f->packets != i;
    }
    ASSERT_EQ(lost, 0);
    ASSERT_EQ(mm_flow_table_count(t), N / 2);
    mm_flow_table_free(t);
    free(hash);
}

TEST(flow_table_grows_in_place_across_a_wrapping_run)
{
    grow_with_wrapping_run(600); /* set aside during the growth */
}

TEST(flow_table_grows_past_a_long_wrapping_run)
{
    grow_with_wrapping_run(3000); /* too long to set aside: the other region */
}
