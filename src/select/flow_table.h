/* flow_table.h - a fixed-capacity open-addressing table of bidirectional flows, one per worker. */
#ifndef MM_FLOW_TABLE_H
#define MM_FLOW_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
 * reserved up front; it starts with 64K slots and doubles (rehashing, no
 * malloc) as flows arrive, so memory follows the live flows. Pointers to
 * flows are invalidated by mm_flow_table_insert and mm_flow_table_remove. */
struct mm_flow_table *mm_flow_table_new(size_t max_flows);
void mm_flow_table_free(struct mm_flow_table *t);
/* Grow now to the capacity max_flows needs and fault its pages in, so the
 * packet path never stops to rehash or to take page faults: for a live
 * link, where such a pause overflows the kernel's buffer and drops
 * packets. Costs the full table's memory from the start. Returns 0, or -1
 * when the pages could not be faulted in (the table still works, growing
 * as usual). */
int mm_flow_table_presize(struct mm_flow_table *t);

/* The symmetric hash of the packet's flow key: the same for both directions. */
uint64_t mm_flow_hash(const struct mm_packet_facts *p);
/* A symmetric hash of the address pair only, for sharding packets (and the
 * later fragments of a datagram, which have no ports) across workers. */
uint64_t mm_flow_shard_hash(const struct mm_packet_facts *p);

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
