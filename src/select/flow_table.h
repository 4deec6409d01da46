/* flow_table.h - a fixed-capacity open-addressing table of bidirectional flows, one per worker. */
#ifndef MM_FLOW_TABLE_H
#define MM_FLOW_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "net/decode.h"

/* What the selection decided about a flow piece. */
enum mm_verdict {
    MM_VERDICT_SELECTED = 1,
    MM_VERDICT_DOMESTIC_TO_DOMESTIC,
    MM_VERDICT_ROUTE_DIRECTION,
    MM_VERDICT_NO_CRITERION,
};

/* One flow piece. src is the initiator (sender of the first packet seen).
 * Only header facts live here; there is no room for payload by design. */
struct mm_flow {
    uint64_t hash; /* symmetric key hash; 0 marks an empty slot */
    uint8_t src[16], dst[16];
    uint16_t src_port, dst_port;
    uint8_t proto, family, tcp_flags, verdict;
    uint8_t direction;
    uint8_t src_match, dst_match; /* endpoint matched an active criterion */
    uint8_t reserved_;
    uint64_t packets, bytes;
    int64_t first_ns, last_ns;
    int64_t recheck_ns; /* a criterion starts or ends here: the piece ends */
};

struct mm_flow_table;

/* A table holding at most max_flows flows (>= 1). Its address space is
 * reserved up front; it starts with 64K slots and doubles in place (no
 * malloc) as flows arrive, so memory follows the live flows. Pointers to
 * flows are invalidated by mm_flow_table_insert and mm_flow_table_remove. */
struct mm_flow_table *mm_flow_table_new(size_t max_flows);
void mm_flow_table_free(struct mm_flow_table *t);
/* Grow now to the capacity max_flows needs, or the largest that fits in
 * max_bytes, and fault its pages in, so the packet path never stops to
 * rehash or to take page faults: for a live link, where such a pause
 * overflows the kernel's buffer and drops packets. Costs that memory from
 * the start (the caller bounds it: faulting in more than the machine has
 * gets a process killed, not an error). Returns 0, or -1 when the pages
 * could not be faulted in (the table still works, growing as usual). */
int mm_flow_table_presize(struct mm_flow_table *t, size_t max_bytes);

/* ---- hashing the flow key (inline: it runs for every packet) ----
 *
 * The hashes are keyed with a secret: with a public hash, anyone who knows
 * the code can craft addresses whose flows all land in one probe run (or,
 * for the multiply below, hash to 0 whatever the rest of the key), and every
 * lookup of that worker then crawls: a sensor on a hostile link must not be
 * that easy to stall. The engine derives the secret from the policy's
 * pseudonymization key (mm_flow_hash_key_derive): unknown outside, and the
 * same for every run of one policy, so records come out in the same order. */
struct mm_flow_hash_key {
    uint64_t k[4]; /* k[0], k[1], k[2]: masks; k[3]: odd multiplier */
};

/* The key for a secret of 32 bytes. */
void mm_flow_hash_key_derive(struct mm_flow_hash_key *key, const uint8_t secret[32]);

static inline uint64_t mm_flow_load64_(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* A 64x64 -> 128-bit product folded to 64 bits: one multiply mixes well
 * (it replaced three murmur finalizers, about 60 instructions per packet,
 * 6% of the selection's instructions), but it is 0 when either factor is 0,
 * which is one reason the factors are masked with the secret. */
static inline uint64_t mm_flow_mum_(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* One endpoint. An IPv4 address fills bytes 0-3 only, so the port in bits
 * 32-47 keeps (address, port) pairs distinct. */
static inline uint64_t mm_flow_endpoint_hash_(const struct mm_flow_hash_key *key, const uint8_t a[16],
                                              uint16_t port)
{
    return mm_flow_mum_(mm_flow_load64_(a) ^ ((uint64_t)port << 32) ^ key->k[0],
                        mm_flow_load64_(a + 8) ^ key->k[1]);
}

/* The symmetric hash of the packet's flow key: the same for both
 * directions (the endpoints' hashes are added), never 0. */
static inline uint64_t mm_flow_hash(const struct mm_flow_hash_key *key, const struct mm_packet_facts *p)
{
    uint64_t sum = mm_flow_endpoint_hash_(key, p->src.bytes, p->src_port) +
                   mm_flow_endpoint_hash_(key, p->dst.bytes, p->dst_port);
    uint64_t h = mm_flow_mum_(sum ^ ((uint64_t)p->proto << 8 | p->src.family) ^ key->k[2], key->k[3]);
    return h ? h : 1;
}

/* A symmetric hash of the address pair only, for sharding packets (and the
 * later fragments of a datagram, which have no ports) across workers. */
static inline uint64_t mm_flow_shard_hash(const struct mm_flow_hash_key *key,
                                          const struct mm_packet_facts *p)
{
    uint64_t sum = mm_flow_endpoint_hash_(key, p->src.bytes, 0) + mm_flow_endpoint_hash_(key, p->dst.bytes, 0);
    return mm_flow_mum_(sum ^ key->k[2], key->k[3]);
}

/* Which of n workers owns the packet's flow: the top half of its shard
 * hash scaled to [0, n) by a multiply (a 64-bit divide per packet cost
 * about 40 cycles). */
static inline unsigned mm_flow_shard(const struct mm_flow_hash_key *key, const struct mm_packet_facts *p,
                                     unsigned n)
{
    return (unsigned)(((mm_flow_shard_hash(key, p) >> 32) * n) >> 32);
}

/* Start loading the home slot of hash into the cache, so a batch of
 * lookups overlaps its memory latency. */
void mm_flow_table_prefetch(const struct mm_flow_table *t, uint64_t hash);
/* Find the flow of p (either direction); *reversed is set when p travels
 * responder -> initiator. NULL when absent. */
struct mm_flow *mm_flow_table_find(struct mm_flow_table *t, uint64_t hash,
                                   const struct mm_packet_facts *p, bool *reversed);
/* Claim an empty slot for a new flow with this hash (growing the table
 * first when it is three quarters full); the caller fills it.
 * Returns NULL when the table holds max_flows flows already: evict first. */
struct mm_flow *mm_flow_table_insert(struct mm_flow_table *t, uint64_t hash);
/* Give a newly inserted flow the key of p (p's sender is the initiator). */
void mm_flow_set_key(struct mm_flow *f, const struct mm_packet_facts *p);
/* Remove a flow. Pointers to other flows may move (backward-shift deletion). */
void mm_flow_table_remove(struct mm_flow_table *t, struct mm_flow *f);
/* Least recently seen flow among the few following hash's home slot: the
 * approximate-LRU victim when the table is full. */
struct mm_flow *mm_flow_table_victim(struct mm_flow_table *t, uint64_t hash);
size_t mm_flow_table_count(const struct mm_flow_table *t);
size_t mm_flow_table_capacity(const struct mm_flow_table *t);

/* Visit nslots slots starting at the table's sweep cursor (wrapping), and
 * remove each flow for which done(ctx, flow) returns true (done may read the
 * flow, e.g. to emit it). Used to expire idle flows incrementally. */
void mm_flow_table_sweep(struct mm_flow_table *t, size_t nslots,
                         bool (*done)(void *ctx, const struct mm_flow *f), void *ctx);

/* Call each(ctx, flow) for every flow, then empty the table (end of input). */
void mm_flow_table_drain(struct mm_flow_table *t, void (*each)(void *ctx, const struct mm_flow *f),
                         void *ctx);

#endif
