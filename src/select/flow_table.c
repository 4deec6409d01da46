/* flow_table.c - linear probing: in-place doubling, backward-shift deletion, approximate-LRU victims. */
#include "select/flow_table.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util/digest.h"

/* The table starts small and doubles as flows arrive, up to the capacity
 * max_flows needs, inside a region of that full size reserved up front
 * (address space only). Doubling happens in place (grow), so the only new
 * memory it touches is the new half: fresh pages cost a page fault and a
 * cleared page each, and on a virtual machine far more. A second region of
 * the same size is the fallback for the rare case grow cannot handle in
 * place, and the target of mm_flow_table_presize. Memory follows the flows
 * actually live, and growing never calls malloc. */
struct mm_flow_table {
    struct mm_flow *slots;       /* the live region */
    struct mm_flow *spare;       /* the other region (zero wherever it is mapped) */
    struct mm_flow *wrapped;     /* WRAP_SLOTS flows: see grow */
    size_t region_bytes;         /* each region's reserved size */
    size_t mask;                 /* capacity - 1; capacity is a power of two */
    size_t max_mask;             /* the capacity max_flows needs, minus 1 */
    size_t count, max_flows;
    size_t sweep_cursor;
};

#define INITIAL_SLOTS 65536
/* Room for the flows that sit at the start of the table because their
 * probe run wrapped around its end; a longer run than this (rare at three
 * quarters full) makes grow rehash into the spare region instead. */
#define WRAP_SLOTS 1024

/* Victim search window for a full table. */
#define VICTIM_WINDOW 16

void mm_flow_hash_key_derive(struct mm_flow_hash_key *key, const uint8_t secret[32])
{
    static const char label[] = "mamori flow hash key v1";
    uint8_t d[32];
    mm_hmac_sha256(secret, 32, label, sizeof label - 1, d);
    memcpy(key->k, d, sizeof key->k);
    key->k[3] |= 1;
}

static void *reserve(size_t bytes)
{
    void *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                     -1, 0);
    if (mem == MAP_FAILED)
        return NULL;
    /* Each packet probes a random slot: with 4 KiB pages nearly every
     * lookup would also miss the TLB. */
    madvise(mem, bytes, MADV_HUGEPAGE);
    return mem;
}

struct mm_flow_table *mm_flow_table_new(size_t max_flows)
{
    if (max_flows == 0)
        return NULL;
    size_t cap = 16;
    while (cap < max_flows + max_flows / 3 + 1)
        cap <<= 1;
    struct mm_flow_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->region_bytes = cap * sizeof *t->slots;
    t->slots = reserve(t->region_bytes);
    t->spare = reserve(t->region_bytes);
    t->wrapped = malloc(WRAP_SLOTS * sizeof *t->wrapped);
    if (!t->slots || !t->spare || !t->wrapped) {
        mm_flow_table_free(t);
        return NULL;
    }
    t->max_mask = cap - 1;
    t->mask = (cap < INITIAL_SLOTS ? cap : INITIAL_SLOTS) - 1;
    t->max_flows = max_flows;
    return t;
}

void mm_flow_table_free(struct mm_flow_table *t)
{
    if (!t)
        return;
    if (t->slots)
        munmap(t->slots, t->region_bytes);
    if (t->spare)
        munmap(t->spare, t->region_bytes);
    free(t->wrapped);
    free(t);
}

/* The first empty slot of slots (capacity mask + 1) from hash's home. */
static inline struct mm_flow *first_empty(struct mm_flow *slots, size_t mask, uint64_t hash)
{
    size_t i = hash & mask;
    while (slots[i].hash != 0)
        i = (i + 1) & mask;
    return &slots[i];
}

/* Re-insert every flow into the spare region at capacity new_mask + 1. */
static void rehash(struct mm_flow_table *t, size_t new_mask)
{
    size_t old_cap = t->mask + 1;
    struct mm_flow *to = t->spare;
    for (size_t i = 0; i < old_cap; i++) {
        const struct mm_flow *f = &t->slots[i];
        if (f->hash != 0)
            *first_empty(to, new_mask, f->hash) = *f;
    }
    /* The old region's pages go back to the kernel (they read as zeros
     * when the table next grows into them). */
    madvise(t->slots, old_cap * sizeof *t->slots, MADV_DONTNEED);
    t->spare = t->slots;
    t->slots = to;
    t->mask = new_mask;
    t->sweep_cursor = 0;
}

/* Double the capacity in place. Every flow is taken out and placed again
 * under the new mask, in slot order, so that no placed flow's probe run
 * ever crosses a slot that is emptied later:
 * - First the flows at the start of the table that belong to a run which
 *   wrapped around the end are set aside: the `run` flows before the first
 *   empty slot e. No flow left has a run that wraps: it would cross slot e.
 * - Then slots e+1 .. C-1 in order. A flow whose new home is its old home
 *   h lands in [h, its old slot], all slots already processed; one whose
 *   new home is h + C lands in the new upper half, which holds only placed
 *   flows, or wraps into the emptied start of the table.
 * - Last the flows set aside, into what is now a complete table. */
static void grow(struct mm_flow_table *t)
{
    size_t cap = t->mask + 1, run = 0;
    while (t->slots[run].hash != 0) /* the table is at most 3/4 full */
        run++;
    if (run > WRAP_SLOTS) {
        rehash(t, 2 * t->mask + 1);
        return;
    }
    memcpy(t->wrapped, t->slots, run * sizeof *t->slots);
    for (size_t i = 0; i < run; i++)
        t->slots[i].hash = 0;
    t->mask = 2 * cap - 1;
    for (size_t i = run + 1; i < cap; i++) {
        if (t->slots[i].hash == 0)
            continue;
        struct mm_flow f = t->slots[i];
        t->slots[i].hash = 0;
        *first_empty(t->slots, t->mask, f.hash) = f;
    }
    for (size_t i = 0; i < run; i++)
        *first_empty(t->slots, t->mask, t->wrapped[i].hash) = t->wrapped[i];
    t->sweep_cursor = 0;
}

int mm_flow_table_presize(struct mm_flow_table *t, size_t max_bytes)
{
    size_t mask = t->mask;
    while (mask < t->max_mask && (2 * mask + 2) * sizeof *t->slots <= max_bytes)
        mask = 2 * mask + 1;
    if (mask > t->mask)
        rehash(t, mask);
    /* Write faults, so no page is left mapped to the shared zero page. */
    return madvise(t->slots, (t->mask + 1) * sizeof *t->slots, MADV_POPULATE_WRITE) == 0 ? 0 : -1;
}

void mm_flow_table_prefetch(const struct mm_flow_table *t, uint64_t hash)
{
    const struct mm_flow *f = &t->slots[hash & t->mask];
    __builtin_prefetch(f);
    __builtin_prefetch((const char *)f + 64);
    __builtin_prefetch((const char *)f + 128);
}

static inline bool same_endpoint(const uint8_t a[16], uint16_t ap, const uint8_t b[16], uint16_t bp)
{
    return ap == bp && memcmp(a, b, 16) == 0;
}

struct mm_flow *mm_flow_table_find(struct mm_flow_table *t, uint64_t hash,
                                   const struct mm_packet_facts *p, bool *reversed)
{
    for (size_t i = hash & t->mask;; i = (i + 1) & t->mask) {
        struct mm_flow *f = &t->slots[i];
        if (f->hash == 0)
            return NULL;
        if (f->hash != hash || f->proto != p->proto || f->family != p->src.family)
            continue;
        if (same_endpoint(f->src, f->src_port, p->src.bytes, p->src_port) &&
            same_endpoint(f->dst, f->dst_port, p->dst.bytes, p->dst_port)) {
            *reversed = false;
            return f;
        }
        if (same_endpoint(f->src, f->src_port, p->dst.bytes, p->dst_port) &&
            same_endpoint(f->dst, f->dst_port, p->src.bytes, p->src_port)) {
            *reversed = true;
            return f;
        }
    }
}

struct mm_flow *mm_flow_table_insert(struct mm_flow_table *t, uint64_t hash)
{
    if (t->count >= t->max_flows)
        return NULL;
    if (t->mask < t->max_mask && (t->count + 1) * 4 > (t->mask + 1) * 3)
        grow(t);
    t->count++;
    struct mm_flow *f = first_empty(t->slots, t->mask, hash);
    memset(f, 0, sizeof *f);
    f->hash = hash;
    return f;
}

void mm_flow_set_key(struct mm_flow *f, const struct mm_packet_facts *p)
{
    memcpy(f->src, p->src.bytes, 16);
    memcpy(f->dst, p->dst.bytes, 16);
    f->src_port = p->src_port;
    f->dst_port = p->dst_port;
    f->proto = p->proto;
    f->family = p->src.family;
}

/* Backward-shift deletion keeps every probe chain unbroken without tombstones. */
static void remove_at(struct mm_flow_table *t, size_t hole)
{
    size_t i = hole;
    for (;;) {
        i = (i + 1) & t->mask;
        struct mm_flow *f = &t->slots[i];
        if (f->hash == 0)
            break;
        size_t home = f->hash & t->mask;
        /* f may move into the hole only if its home is not inside (hole, i]. */
        bool home_between = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
        if (!home_between) {
            t->slots[hole] = *f;
            hole = i;
        }
    }
    t->slots[hole].hash = 0;
    t->count--;
}

void mm_flow_table_remove(struct mm_flow_table *t, struct mm_flow *f)
{
    remove_at(t, (size_t)(f - t->slots));
}

struct mm_flow *mm_flow_table_victim(struct mm_flow_table *t, uint64_t hash)
{
    struct mm_flow *best = NULL;
    size_t i = hash & t->mask;
    /* The table is full (count == max_flows < capacity), so occupied slots
     * exist; scan a window, extending past empty slots until one is seen. */
    for (size_t seen = 0, steps = 0; steps <= t->mask && (seen < VICTIM_WINDOW || !best);
         steps++, i = (i + 1) & t->mask) {
        struct mm_flow *f = &t->slots[i];
        if (f->hash == 0)
            continue;
        seen++;
        if (!best || f->last_ns < best->last_ns)
            best = f;
    }
    return best;
}

size_t mm_flow_table_count(const struct mm_flow_table *t) { return t->count; }
size_t mm_flow_table_capacity(const struct mm_flow_table *t) { return t->mask + 1; }

void mm_flow_table_sweep(struct mm_flow_table *t, size_t nslots,
                         bool (*done)(void *ctx, const struct mm_flow *f), void *ctx)
{
    size_t cap = t->mask + 1;
    if (nslots > cap)
        nslots = cap;
    size_t i = t->sweep_cursor;
    for (size_t n = 0; n < nslots; n++) {
        /* After a removal another flow may shift into slot i: look again,
         * bounded so a pathological chain cannot spin. */
        for (int again = 0; again < 64; again++) {
            struct mm_flow *f = &t->slots[i];
            if (f->hash == 0 || !done(ctx, f))
                break;
            remove_at(t, i);
        }
        i = (i + 1) & t->mask;
    }
    t->sweep_cursor = i;
}

void mm_flow_table_drain(struct mm_flow_table *t, void (*each)(void *ctx, const struct mm_flow *f),
                         void *ctx)
{
    for (size_t i = 0; i <= t->mask; i++) {
        if (t->slots[i].hash == 0)
            continue;
        each(ctx, &t->slots[i]);
        t->slots[i].hash = 0;
    }
    t->count = 0;
}
