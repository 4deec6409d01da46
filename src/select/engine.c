/* engine.c - the selection workers: flow tracking, route and criteria decisions, pseudonymization, batching. */
#include "select/engine.h"

#include "net/capture.h"
#include "select/cryptopan.h"
#include "select/flow_table.h"
#include "util/timefmt.h"

#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_RECORDS 1024
#define BATCH_CRITERIA 8192
#define FRAG_SLOTS 4096
#define FRAG_TIMEOUT_NS (30 * MM_NS_PER_SEC)
/* Incremental expiry: the whole table is swept SWEEPS_PER_IDLE times per
 * idle timeout of packet time, each sweep in SWEEP_STEPS steps. A flow thus
 * leaves the table at most a quarter timeout after it went idle; with one
 * sweep per timeout, flows idle for up to twice the timeout stayed, and
 * the table had to hold (and grow for) about twice the live flows. */
#define SWEEP_STEPS 64
#define SWEEPS_PER_IDLE 4
/* Packets decoded ahead of their lookup, so their flow slots' cache misses overlap. */
#define PACKET_BATCH 16

/* The ports of an IPv4/IPv6 datagram's first fragment, so its later
 * fragments (which carry no transport header) join the same flow. */
struct frag_entry {
    uint8_t src[16], dst[16];
    uint32_t id;
    uint8_t proto, family, used;
    uint16_t src_port, dst_port;
    int64_t ts_ns;
};

/* What decoding counts; kept apart from the flow counters because several
 * workers decode a file's blocks and only verified blocks may count. */
struct decode_counts {
    uint64_t packets, bytes_captured, bytes_wire, not_ip;
    uint64_t malformed[MM_DECODE_REASON_COUNT];
};

static void add_decode_counts(struct mm_select_stats *s, struct decode_counts *c)
{
    s->packets += c->packets;
    s->bytes_captured += c->bytes_captured;
    s->bytes_wire += c->bytes_wire;
    s->not_ip += c->not_ip;
    for (int i = 0; i < MM_DECODE_REASON_COUNT; i++)
        s->malformed[i] += c->malformed[i];
    memset(c, 0, sizeof *c);
}

struct engine {
    const struct mm_select_options *opt;
    struct mm_flow_hash_key hash_key; /* keys the flow hashes (from the policy's secret) */
    cpu_set_t allowed; /* the CPUs this process may use, for --pin */
    int ncpus;
    const struct mm_policy *policy;
    uint32_t *rank;               /* criterion index -> position in id order */
    pthread_mutex_t deliver_lock; /* guards the first delivery error */
    atomic_int abort;             /* a delivery failed: every worker stops */
    struct mm_err deliver_err;
    int deliver_rc;
};

struct worker {
    struct engine *eng;
    struct mm_flow_hash_key hash_key; /* the engine's, kept next to the hot fields */
    unsigned id;
    const struct mm_policy *policy;
    struct mm_flow_table *flows;
    struct mm_cryptopan *cp;
    struct mm_select_stats stats;
    struct decode_counts decoded; /* folded into stats when the worker finishes */
    struct frag_entry *frags;
    int64_t idle_ns, active_ns;
    int64_t next_sweep_ns;
    size_t nbatch, npool;
    struct mm_record batch[BATCH_RECORDS];
    uint32_t pool[BATCH_CRITERIA];
    int rc;
    struct mm_err err;
};

static int64_t monotonic_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * MM_NS_PER_SEC + t.tv_nsec;
}

/* With opt->pin, thread number `slot` runs only on the slot-th CPU the
 * process may use (modulo their count): a packet worker that the kernel
 * moves between cores loses its cache and its flow table's hot lines. */
static void pin_thread(const struct engine *e, unsigned slot)
{
    if (!e->opt->pin || e->ncpus == 0)
        return;
    int want = (int)(slot % (unsigned)e->ncpus), seen = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &e->allowed) && seen++ == want) {
            cpu_set_t one;
            CPU_ZERO(&one);
            CPU_SET(cpu, &one);
            (void)pthread_setaffinity_np(pthread_self(), sizeof one, &one);
            return;
        }
}

/* The calling thread works too (one worker; the live reader): it gets its
 * CPU for the run and its old mask back after. */
static void unpin_thread(const struct engine *e)
{
    if (e->opt->pin && e->ncpus > 0)
        (void)pthread_setaffinity_np(pthread_self(), sizeof e->allowed, &e->allowed);
}

/* ---- statistics ---- */

int mm_select_stats_init(struct mm_select_stats *s, size_t ncriteria)
{
    memset(s, 0, sizeof *s);
    s->ncriteria = ncriteria;
    s->selected_per_criterion = calloc(ncriteria + 1, sizeof *s->selected_per_criterion);
    return s->selected_per_criterion ? 0 : MM_ENOMEM;
}

void mm_select_stats_fini(struct mm_select_stats *s)
{
    free(s->selected_per_criterion);
    s->selected_per_criterion = NULL;
}

void mm_select_stats_add(struct mm_select_stats *d, const struct mm_select_stats *s)
{
    d->packets += s->packets;
    d->bytes_captured += s->bytes_captured;
    d->bytes_wire += s->bytes_wire;
    d->not_ip += s->not_ip;
    for (int i = 0; i < MM_DECODE_REASON_COUNT; i++)
        d->malformed[i] += s->malformed[i];
    d->fragments_unmatched += s->fragments_unmatched;
    for (int i = 0; i < MM_DIR_COUNT; i++)
        d->flows_seen[i] += s->flows_seen[i];
    d->discarded_domestic_to_domestic += s->discarded_domestic_to_domestic;
    d->discarded_route_direction += s->discarded_route_direction;
    d->discarded_no_criterion += s->discarded_no_criterion;
    d->flows_selected += s->flows_selected;
    d->flows_evicted += s->flows_evicted;
    d->kernel_dropped += s->kernel_dropped;
    for (size_t i = 0; i < d->ncriteria && i < s->ncriteria; i++)
        d->selected_per_criterion[i] += s->selected_per_criterion[i];
}

size_t mm_select_policy_memory(const struct mm_policy *p)
{
    return mm_prefix_map_memory(p->criteria_map) + mm_prefix_map_memory(p->domestic_map);
}

/* ---- delivery ---- */

static void flush_batch(struct worker *w)
{
    if (w->nbatch == 0)
        return;
    struct engine *e = w->eng;
    if (!atomic_load(&e->abort)) {
        struct mm_err derr;
        mm_err_clear(&derr);
        int rc = e->opt->deliver(e->opt->deliver_ctx, w->id, w->batch, w->nbatch, &derr);
        if (rc) {
            pthread_mutex_lock(&e->deliver_lock);
            if (!e->deliver_rc) {
                e->deliver_rc = rc;
                e->deliver_err = derr;
            }
            pthread_mutex_unlock(&e->deliver_lock);
            atomic_store(&e->abort, 1);
        }
    }
    w->nbatch = 0;
    w->npool = 0;
}

/* ---- criteria ---- */

/* The sets of a flow's two endpoints in a prefix map (set[0]: src). */
static void endpoint_sets(const struct mm_prefix_map *m, const struct mm_flow *f, uint32_t set[2])
{
    struct mm_addr src = {.family = f->family}, dst = {.family = f->family};
    memcpy(src.bytes, f->src, 16);
    memcpy(dst.bytes, f->dst, 16);
    mm_prefix_map_lookup2(m, &src, &dst, set);
}

/* Does an endpoint in criteria set `set` match an active criterion at time
 * t? Also lowers *recheck to the next time the answer could change. */
static bool endpoint_matches(const struct worker *w, uint32_t set, uint8_t proto, uint16_t port,
                             int64_t t, int64_t *recheck)
{
    if (set == 0)
        return false;
    size_t n;
    const uint32_t *idx = mm_prefix_map_set(w->policy->criteria_map, set, &n);
    bool match = false;
    for (size_t i = 0; i < n; i++) {
        const struct mm_criterion *c = &w->policy->criteria[idx[i]];
        if (!mm_criterion_accepts(c, proto, port))
            continue;
        if (t < c->not_before_ns) {
            if (c->not_before_ns < *recheck)
                *recheck = c->not_before_ns;
        } else if (t < c->not_after_ns) {
            match = true;
            if (c->not_after_ns < *recheck)
                *recheck = c->not_after_ns;
        }
    }
    return match;
}

/* Append to out the criteria of set matching the endpoint at t; returns the new count. */
static size_t collect_criteria(const struct worker *w, uint32_t set, uint8_t proto, uint16_t port,
                               int64_t t, uint32_t *out, size_t nout, size_t cap)
{
    size_t n = 0;
    const uint32_t *idx = set ? mm_prefix_map_set(w->policy->criteria_map, set, &n) : NULL;
    for (size_t i = 0; i < n && nout < cap; i++) {
        const struct mm_criterion *c = &w->policy->criteria[idx[i]];
        if (!mm_criterion_accepts(c, proto, port) || !mm_criterion_active(c, t))
            continue;
        bool dup = false;
        for (size_t j = 0; j < nout; j++)
            dup |= out[j] == idx[i];
        if (!dup)
            out[nout++] = idx[i];
    }
    return nout;
}

static void decide(struct worker *w, struct mm_flow *f)
{
    f->recheck_ns = INT64_MAX;
    if (f->direction == MM_DIR_DOMESTIC_TO_DOMESTIC) {
        f->verdict = MM_VERDICT_DOMESTIC_TO_DOMESTIC;
        w->stats.discarded_domestic_to_domestic++;
        return;
    }
    if (f->direction != mm_route_allowed_direction(w->policy->route)) {
        f->verdict = MM_VERDICT_ROUTE_DIRECTION;
        w->stats.discarded_route_direction++;
        return;
    }
    int64_t t = f->first_ns;
    uint32_t set[2];
    endpoint_sets(w->policy->criteria_map, f, set);
    f->src_match = endpoint_matches(w, set[0], f->proto, f->src_port, t, &f->recheck_ns);
    f->dst_match = endpoint_matches(w, set[1], f->proto, f->dst_port, t, &f->recheck_ns);
    if (f->src_match || f->dst_match) {
        f->verdict = MM_VERDICT_SELECTED;
    } else {
        f->verdict = MM_VERDICT_NO_CRITERION;
        w->stats.discarded_no_criterion++;
    }
}

/* ---- flow pieces ---- */

static void sort_by_rank(const uint32_t *rank, uint32_t *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint32_t x = v[i];
        size_t j = i;
        while (j > 0 && rank[v[j - 1]] > rank[x]) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

/* A piece ends: emit it when selected. Only selected flows are ever
 * pseudonymized (Crypto-PAn costs 32-128 AES blocks), never per packet. */
static void end_piece(struct worker *w, const struct mm_flow *f)
{
    if (f->verdict != MM_VERDICT_SELECTED)
        return;
    if (w->nbatch == BATCH_RECORDS || w->npool + 2 * w->policy->ncriteria > BATCH_CRITERIA)
        flush_batch(w);
    struct mm_record *r = &w->batch[w->nbatch];
    uint32_t *crit = &w->pool[w->npool];
    size_t cap = BATCH_CRITERIA - w->npool, n = 0;
    uint32_t set[2];
    endpoint_sets(w->policy->criteria_map, f, set);
    n = collect_criteria(w, set[0], f->proto, f->src_port, f->first_ns, crit, n, cap);
    n = collect_criteria(w, set[1], f->proto, f->dst_port, f->first_ns, crit, n, cap);
    if (n == 0)
        return; /* cannot happen: the verdict was computed the same way */
    sort_by_rank(w->eng->rank, crit, n);
    w->npool += n;
    r->criteria = crit;
    r->ncriteria = (uint32_t)n;
    r->direction = (enum mm_direction)f->direction;
    r->proto = f->proto;
    r->tcp_flags = f->tcp_flags;
    r->src.family = r->dst.family = f->family;
    memcpy(r->src.bytes, f->src, 16);
    memcpy(r->dst.bytes, f->dst, 16);
    r->src_pseudonymized = !f->src_match;
    r->dst_pseudonymized = !f->dst_match;
    if (r->src_pseudonymized)
        mm_cryptopan_anonymize(w->cp, &r->src, &r->src);
    if (r->dst_pseudonymized)
        mm_cryptopan_anonymize(w->cp, &r->dst, &r->dst);
    r->src_port = f->src_port;
    r->dst_port = f->dst_port;
    r->packets = f->packets;
    r->bytes = f->bytes;
    r->first_ns = f->first_ns;
    r->last_ns = f->last_ns;
    w->nbatch++;
    w->stats.flows_selected++;
    for (size_t i = 0; i < n; i++)
        w->stats.selected_per_criterion[crit[i]]++;
}

static void start_piece(struct worker *w, struct mm_flow *f, int64_t ts, bool keep_direction)
{
    f->packets = f->bytes = 0;
    f->tcp_flags = 0;
    f->first_ns = f->last_ns = ts;
    if (!keep_direction) {
        uint32_t set[2];
        endpoint_sets(w->policy->domestic_map, f, set);
        bool sd = set[0] != 0, dd = set[1] != 0;
        f->direction = sd ? (dd ? MM_DIR_DOMESTIC_TO_DOMESTIC : MM_DIR_DOMESTIC_TO_FOREIGN)
                          : (dd ? MM_DIR_FOREIGN_TO_DOMESTIC : MM_DIR_FOREIGN_TO_FOREIGN);
    }
    w->stats.flows_seen[f->direction]++;
    decide(w, f);
}

static void drain_one(void *ctx, const struct mm_flow *f) { end_piece(ctx, f); }

struct sweep_ctx {
    struct worker *w;
    int64_t now;
};

static bool expire_one(void *ctx, const struct mm_flow *f)
{
    struct sweep_ctx *s = ctx;
    if (s->now - f->last_ns <= s->w->idle_ns)
        return false;
    end_piece(s->w, f);
    return true;
}

/* One step of the incremental expiry: 1/SWEEP_STEPS of the table. */
static void sweep(struct worker *w, int64_t now)
{
    struct sweep_ctx s = {w, now};
    mm_flow_table_sweep(w->flows, mm_flow_table_capacity(w->flows) / SWEEP_STEPS + 1, expire_one, &s);
}

static int64_t sweep_interval_ns(const struct worker *w)
{
    return w->idle_ns / (SWEEP_STEPS * SWEEPS_PER_IDLE);
}

static void maybe_sweep(struct worker *w, int64_t now)
{
    if (now < w->next_sweep_ns)
        return;
    if (w->next_sweep_ns != INT64_MIN)
        sweep(w, now);
    w->next_sweep_ns = now + sweep_interval_ns(w);
}

/* Later fragments carry no ports: recover them from the first fragment. */
static bool frag_ports(struct worker *w, struct mm_packet_facts *p, int64_t ts)
{
    uint64_t h = mm_flow_shard_hash(&w->hash_key, p) ^ (p->frag_id * 0x9e3779b97f4a7c15ULL) ^ p->proto;
    struct frag_entry *e = &w->frags[(h >> 20) & (FRAG_SLOTS - 1)];
    if (p->frag == MM_FRAG_FIRST) {
        memcpy(e->src, p->src.bytes, 16);
        memcpy(e->dst, p->dst.bytes, 16);
        e->id = p->frag_id;
        e->proto = p->proto;
        e->family = p->src.family;
        e->src_port = p->src_port;
        e->dst_port = p->dst_port;
        e->ts_ns = ts;
        e->used = 1;
        return true;
    }
    if (e->used && e->id == p->frag_id && e->proto == p->proto && e->family == p->src.family &&
        memcmp(e->src, p->src.bytes, 16) == 0 && memcmp(e->dst, p->dst.bytes, 16) == 0 &&
        ts - e->ts_ns <= FRAG_TIMEOUT_NS) {
        p->src_port = e->src_port;
        p->dst_port = e->dst_port;
        return true;
    }
    w->stats.fragments_unmatched++;
    return false;
}

/* The per-packet path: no allocation, one hash probe, counters. */
static void worker_packet(struct worker *w, int64_t ts, struct mm_packet_facts *p, uint64_t h)
{
    maybe_sweep(w, ts);
    bool reversed = false;
    struct mm_flow *f = mm_flow_table_find(w->flows, h, p, &reversed);
    if (f) {
        bool idle = ts - f->last_ns > w->idle_ns;
        if (idle || ts - f->first_ns >= w->active_ns || ts >= f->recheck_ns) {
            end_piece(w, f);
            if (idle && reversed) {
                /* A new flow: its initiator is this packet's sender. */
                mm_flow_table_remove(w->flows, f);
                f = NULL;
            } else {
                start_piece(w, f, ts, !idle);
            }
        }
    }
    if (!f) {
        f = mm_flow_table_insert(w->flows, h);
        if (!f) {
            struct mm_flow *victim = mm_flow_table_victim(w->flows, h);
            end_piece(w, victim);
            w->stats.flows_evicted++;
            mm_flow_table_remove(w->flows, victim);
            f = mm_flow_table_insert(w->flows, h);
        }
        mm_flow_set_key(f, p);
        start_piece(w, f, ts, false);
        reversed = false;
    }
    f->packets++;
    f->bytes += p->ip_len;
    f->tcp_flags |= p->tcp_flags;
    if (ts > f->last_ns)
        f->last_ns = ts;
    if (ts < f->first_ns)
        f->first_ns = ts;
}

/* ---- workers ---- */

static int worker_init(struct worker *w, struct engine *e, unsigned id, size_t max_flows)
{
    memset(w, 0, sizeof *w);
    w->eng = e;
    w->hash_key = e->hash_key;
    w->id = id;
    w->policy = e->policy;
    w->idle_ns = e->policy->flow_idle_timeout_ns;
    w->active_ns = e->policy->flow_active_timeout_ns;
    w->next_sweep_ns = INT64_MIN;
    w->flows = mm_flow_table_new(max_flows);
    w->frags = calloc(FRAG_SLOTS, sizeof *w->frags);
    if (!w->flows || !w->frags)
        return mm_err_set(&w->err, MM_ENOMEM, "cannot allocate a flow table of %zu flows", max_flows);
    int rc = mm_cryptopan_new(&w->cp, e->policy->pseudonymization_key, &w->err);
    if (rc)
        return rc;
    return mm_select_stats_init(&w->stats, e->policy->ncriteria);
}

static void worker_fini(struct worker *w)
{
    mm_flow_table_free(w->flows);
    mm_cryptopan_free(w->cp);
    free(w->frags);
    mm_select_stats_fini(&w->stats);
}

static void worker_finish(struct worker *w)
{
    add_decode_counts(&w->stats, &w->decoded);
    mm_flow_table_drain(w->flows, drain_one, w);
    flush_batch(w);
}

/* Decode a captured frame and count it (each packet is decoded, and so
 * counted, exactly once). Returns true when p holds an IP packet. */
static bool admit(struct decode_counts *count, const struct mm_packet *pkt, struct mm_packet_facts *p)
{
    enum mm_decode_reason why = mm_decode(pkt->linktype, pkt->data, pkt->caplen, p);
    count->packets++;
    count->bytes_captured += pkt->caplen;
    count->bytes_wire += pkt->wirelen;
    if (why == MM_DECODE_NOT_IP)
        count->not_ip++;
    else if (why != MM_DECODE_OK)
        count->malformed[why]++;
    return why == MM_DECODE_OK;
}

/* Later fragments get their ports from the datagram's first fragment
 * before they are hashed; false when the packet joins no flow. */
static inline bool packet_ready(struct worker *w, int64_t ts, struct mm_packet_facts *p,
                                uint64_t *hash)
{
    if (__builtin_expect(p->frag != MM_FRAG_NONE, 0) && !frag_ports(w, p, ts))
        return false;
    *hash = mm_flow_hash(&w->hash_key, p);
    return true;
}

/* A window of packets whose flow slots are being prefetched: each packet's
 * slot is prefetched when it enters and looked up PACKET_BATCH packets
 * later, so the cache misses overlap, and the prefetches stay spread out
 * instead of coming in bursts. */
struct lookahead {
    unsigned head, queued;
    int64_t ts[PACKET_BATCH];
    uint64_t hash[PACKET_BATCH];
    struct mm_packet_facts *facts[PACKET_BATCH]; /* each packet's, where they are */
    struct mm_packet_facts own[PACKET_BATCH];    /* for a reader that decodes here */
};

/* Where a reader may decode the next packet's facts (they stay valid until
 * that packet has been looked up). */
static inline struct mm_packet_facts *lookahead_slot(struct lookahead *la)
{
    return &la->own[la->head % PACKET_BATCH];
}

/* Admit the packet whose facts are at p (unless it joins no flow; p must
 * stay valid until it is looked up); look up the oldest once the window is
 * full. */
static inline void lookahead_push(struct worker *w, struct lookahead *la,
                                  struct mm_packet_facts *p, int64_t ts)
{
    unsigned k = la->head % PACKET_BATCH;
    if (!packet_ready(w, ts, p, &la->hash[k]))
        return;
    la->facts[k] = p;
    la->ts[k] = ts;
    mm_flow_table_prefetch(w->flows, la->hash[k]);
    la->head++;
    if (++la->queued == PACKET_BATCH) {
        unsigned old = la->head % PACKET_BATCH;
        worker_packet(w, la->ts[old], la->facts[old], la->hash[old]);
        la->queued--;
    }
}

static void lookahead_drain(struct worker *w, struct lookahead *la)
{
    for (; la->queued > 0; la->queued--) {
        unsigned old = (la->head - la->queued) % PACKET_BATCH;
        worker_packet(w, la->ts[old], la->facts[old], la->hash[old]);
    }
}

/* One worker over the capture files: read, decode and track in one loop. */
static void single_worker_run(struct worker *w, const char *const *paths, size_t npaths)
{
    struct lookahead la = {0};
    for (size_t i = 0; i < npaths && w->rc == 0 && !atomic_load(&w->eng->abort); i++) {
        struct mm_capture *cap = NULL;
        w->rc = mm_capture_open_sequential(&cap, paths[i], 0, &w->err);
        if (w->rc)
            break;
        struct mm_packet pkt;
        int st = MM_CAPTURE_END;
        while (!atomic_load(&w->eng->abort) &&
               (st = mm_capture_next(cap, &pkt, &w->err)) == MM_CAPTURE_PACKET) {
            struct mm_packet_facts *p = lookahead_slot(&la);
            if (admit(&w->decoded, &pkt, p))
                lookahead_push(w, &la, p, pkt.ts_ns);
        }
        if (st < 0)
            w->rc = st;
        mm_capture_close(cap);
    }
    lookahead_drain(w, &la);
    worker_finish(w);
}

/* ---- several workers over capture files: each packet read and decoded once ----
 *
 * The input is cut into blocks, numbered in file order. A worker with
 * nothing to process claims the next block, reads and decodes it, and
 * sorts the header facts by shard into the block's slot. Every worker then
 * takes, block by block in order, the facts of its own shard, so each flow
 * still sees its packets in capture order. BLOCK_SLOTS bounds how far
 * decoding runs ahead of the slowest worker.
 *
 * A classic pcap file is cut into byte ranges (chunks), so that reading
 * the file, too, happens on every core. A pcap has no sync markers: the
 * worker decoding a chunk finds where its first record starts by looking
 * for a plausible run of record headers. That is a guess, so before a
 * block may be processed, the first worker to reach it checks that the
 * previous chunk's last record ends exactly where this one's first
 * begins; if not (crafted payloads can imitate headers), it decodes the
 * chunk again from the right offset. Blocks count their packets and carry
 * their read error, and only checked blocks count or fail the run: the
 * outcome is that of reading the files in order. A pcapng file is read in
 * order instead (its interface blocks change how later records read):
 * under a lock, BLOCK_PACKETS records at a time. */

#define CHUNK_BYTES (256u << 10)
#define MAX_CHUNK_BYTES (16u << 20) /* a slot has room for a range of 16-byte records */
#define BLOCK_PACKETS 2048
#define BLOCK_SLOTS 8
#define NO_RECORD UINT64_MAX

enum block_kind { BLOCK_CHUNK, BLOCK_WALKED, BLOCK_FAILED };

struct shard_facts {
    uint32_t n;
    int64_t *ts;
    struct mm_packet_facts *facts;
};

struct block_slot {
    _Alignas(64) atomic_llong ready_seq; /* decoded; -1 none */
    atomic_llong checked_seq;            /* checked and counted: may be processed */
    atomic_bool check_taken;             /* a worker is checking it */
    atomic_uint consumed;                /* workers done with it */
    /* Set by the claim. */
    long long seq;
    enum block_kind kind;
    const struct mm_capture *cap;
    uint64_t start, end; /* a chunk's byte range */
    bool file_start;     /* the chunk starts at the file's first record */
    /* Set by decoding. */
    uint64_t first_rec, next_rec; /* a chunk's first record and the one after its last */
    struct decode_counts counts;
    int rc; /* the read error that ends this block, if any */
    struct mm_err err;
    struct shard_facts *shard; /* one per worker */
};

struct file_stream {
    pthread_mutex_t lock;
    const char *const *paths;
    size_t npaths, next_path;
    struct mm_capture **caps; /* kept open (mapped) until every block is decoded */
    struct mm_capture *cur;
    bool cur_split;     /* cur is read in chunks */
    uint64_t next_off;  /* cur's next chunk */
    long long next_claim;
    bool ended; /* nothing more to claim */
    uint64_t chain_end; /* where the last checked chunk's records end */
    uint64_t rechecked;  /* chunks decoded again because the guessed start was wrong */
    int rc;
    struct mm_err err;
    atomic_llong total_blocks; /* -1 until known */
    unsigned nworkers;
    const struct mm_flow_hash_key *hash_key;
    uint64_t chunk_bytes;
    uint32_t capacity; /* facts per shard per block */
    struct block_slot slots[BLOCK_SLOTS];
};

static int stream_init(struct file_stream *fs, const struct engine *e, const char *const *paths,
                       size_t npaths, unsigned n, uint64_t chunk_bytes)
{
    memset(fs, 0, sizeof *fs);
    fs->hash_key = &e->hash_key;
    pthread_mutex_init(&fs->lock, NULL);
    fs->paths = paths;
    fs->npaths = npaths;
    fs->nworkers = n;
    fs->chunk_bytes = chunk_bytes ? chunk_bytes : CHUNK_BYTES;
    if (fs->chunk_bytes > MAX_CHUNK_BYTES)
        fs->chunk_bytes = MAX_CHUNK_BYTES;
    /* A chunk holds at most one record per 16 bytes (the smallest record
     * header), plus the one that starts before it and runs into it. */
    uint64_t most = fs->chunk_bytes / 16 + 2;
    fs->capacity = (uint32_t)(most > BLOCK_PACKETS ? most : BLOCK_PACKETS);
    atomic_init(&fs->total_blocks, -1);
    fs->caps = calloc(npaths + 1, sizeof *fs->caps);
    if (!fs->caps)
        return MM_ENOMEM;
    for (unsigned i = 0; i < BLOCK_SLOTS; i++) {
        struct block_slot *b = &fs->slots[i];
        atomic_init(&b->ready_seq, -1);
        atomic_init(&b->checked_seq, -1);
        atomic_init(&b->check_taken, false);
        atomic_init(&b->consumed, n);
        if (!(b->shard = calloc(n, sizeof *b->shard)))
            return MM_ENOMEM;
        for (unsigned k = 0; k < n; k++) {
            b->shard[k].ts = calloc(fs->capacity, sizeof *b->shard[k].ts);
            b->shard[k].facts = calloc(fs->capacity, sizeof *b->shard[k].facts);
            if (!b->shard[k].ts || !b->shard[k].facts)
                return MM_ENOMEM;
        }
    }
    return 0;
}

static void stream_fini(struct file_stream *fs)
{
    for (unsigned i = 0; i < BLOCK_SLOTS; i++) {
        for (unsigned k = 0; fs->slots[i].shard && k < fs->nworkers; k++) {
            free(fs->slots[i].shard[k].ts);
            free(fs->slots[i].shard[k].facts);
        }
        free(fs->slots[i].shard);
    }
    for (size_t i = 0; fs->caps && i < fs->npaths; i++)
        mm_capture_close(fs->caps[i]);
    free(fs->caps);
    pthread_mutex_destroy(&fs->lock);
}

/* Under the lock: no more blocks after `total` (the lower bound wins). */
static void stream_cut(struct file_stream *fs, long long total)
{
    long long t = atomic_load(&fs->total_blocks);
    if (t < 0 || total < t)
        atomic_store(&fs->total_blocks, total);
    fs->ended = true;
}

/* Under the lock: make fs->cur the next file to read; false at the end of
 * the input or when a file cannot be opened (b then carries the error). */
static bool stream_next_file(struct file_stream *fs, struct block_slot *b)
{
    if (fs->next_path == fs->npaths)
        return false;
    size_t i = fs->next_path++;
    if ((b->rc = mm_capture_open_file(&fs->caps[i], fs->paths[i], &b->err))) {
        b->kind = BLOCK_FAILED;
        return false;
    }
    fs->cur = fs->caps[i];
    fs->cur_split = mm_capture_splittable(fs->cur);
    fs->next_off = mm_capture_offset(fs->cur);
    return true;
}

/* Walk up to BLOCK_PACKETS records of an in-order file into pkts. */
static unsigned stream_walk(struct file_stream *fs, struct block_slot *b, struct mm_packet *pkts)
{
    unsigned n = 0;
    b->kind = BLOCK_WALKED;
    while (n < BLOCK_PACKETS) {
        int st = mm_capture_next(fs->cur, &pkts[n], &b->err);
        if (st == MM_CAPTURE_PACKET) {
            n++;
        } else {
            fs->cur = NULL;
            b->rc = st < 0 ? st : 0;
            break;
        }
    }
    return n;
}

/* Claim the next block: a chunk's byte range (cheap), or a walked block of
 * an in-order file. Returns its slot, or NULL when there is none to claim
 * now. Walked records go to pkts, their count to *npkts. */
static struct block_slot *stream_claim(struct file_stream *fs, struct mm_packet *pkts, unsigned *npkts)
{
    struct block_slot *b = NULL;
    *npkts = 0;
    pthread_mutex_lock(&fs->lock);
    struct block_slot *slot = &fs->slots[fs->next_claim % BLOCK_SLOTS];
    if (fs->ended || atomic_load_explicit(&slot->consumed, memory_order_acquire) < fs->nworkers)
        goto out;
    slot->rc = 0;
    slot->kind = BLOCK_CHUNK;
    mm_err_clear(&slot->err);
    if (!fs->cur && !stream_next_file(fs, slot)) {
        if (slot->kind != BLOCK_FAILED) {
            stream_cut(fs, fs->next_claim);
            goto out;
        }
    } else if (fs->cur_split) {
        uint64_t size = mm_capture_size(fs->cur);
        slot->cap = fs->cur;
        slot->start = fs->next_off;
        slot->file_start = slot->start == mm_capture_offset(fs->cur);
        slot->end = size - slot->start > fs->chunk_bytes ? slot->start + fs->chunk_bytes : size;
        fs->next_off = slot->end;
        if (slot->end == size)
            fs->cur = NULL;
    } else {
        *npkts = stream_walk(fs, slot, pkts);
    }
    /* A failure known now ends the claiming (one found later, in a chunk,
     * ends it when the chunk is checked). */
    if (slot->kind != BLOCK_CHUNK && slot->rc)
        fs->ended = true;
    b = slot;
    b->seq = fs->next_claim++;
    atomic_store_explicit(&b->check_taken, false, memory_order_relaxed);
    atomic_store_explicit(&b->consumed, 0, memory_order_relaxed);
out:
    pthread_mutex_unlock(&fs->lock);
    return b;
}

static void shard_add(struct file_stream *fs, struct block_slot *b, const struct mm_packet *pkt,
                      const struct mm_packet_facts *p)
{
    struct shard_facts *sf = &b->shard[mm_flow_shard(fs->hash_key, p, fs->nworkers)];
    sf->ts[sf->n] = pkt->ts_ns;
    sf->facts[sf->n] = *p;
    sf->n++;
}

static void block_reset(struct file_stream *fs, struct block_slot *b)
{
    for (unsigned s = 0; s < fs->nworkers; s++)
        b->shard[s].n = 0;
    memset(&b->counts, 0, sizeof b->counts);
}

/* Decode the records of a chunk that start in [from, end). */
static void decode_chunk(struct file_stream *fs, struct block_slot *b, uint64_t from)
{
    block_reset(fs, b);
    b->rc = 0;
    mm_err_clear(&b->err);
    b->first_rec = b->next_rec = from;
    if (from == NO_RECORD)
        return;
    /* One call maps the chunk's page tables instead of a fault per few pages. */
    if (from < b->end)
        mm_capture_prefault(b->cap, from, b->end - from);
    uint64_t off = from;
    while (off < b->end) {
        struct mm_packet pkt;
        struct mm_packet_facts p;
        int st = mm_capture_read_at(b->cap, &off, &pkt, &b->err);
        if (st != MM_CAPTURE_PACKET) {
            b->rc = st < 0 ? st : 0;
            break;
        }
        if (admit(&b->counts, &pkt, &p))
            shard_add(fs, b, &pkt, &p);
    }
    b->next_rec = off;
}

static void stream_decode(struct file_stream *fs, struct block_slot *b, const struct mm_packet *pkts,
                          unsigned n)
{
    if (b->kind == BLOCK_CHUNK) {
        uint64_t from = b->file_start ? b->start : mm_capture_resync(b->cap, b->start, b->end);
        decode_chunk(fs, b, from);
    } else {
        block_reset(fs, b);
        for (unsigned i = 0; i < n; i++) {
            struct mm_packet_facts p;
            if (admit(&b->counts, &pkts[i], &p))
                shard_add(fs, b, &pkts[i], &p);
        }
    }
    atomic_store_explicit(&b->ready_seq, b->seq, memory_order_release);
}

/* The first worker to reach a decoded block checks it before anyone may
 * process it: the chunk's first record must be where the previous chunk
 * ended. Checks happen one at a time in block order (a worker checks
 * block k only after processing k - 1), so chain_end needs no lock. */
static void stream_check(struct file_stream *fs, struct worker *w, struct block_slot *b)
{
    if (b->kind == BLOCK_CHUNK) {
        if (!b->file_start && b->first_rec != fs->chain_end) {
            fs->rechecked++;
            decode_chunk(fs, b, fs->chain_end);
        }
        fs->chain_end = b->next_rec;
    }
    add_decode_counts(&w->stats, &b->counts);
    if (b->rc) {
        pthread_mutex_lock(&fs->lock);
        if (!fs->rc) {
            fs->rc = b->rc;
            fs->err = b->err;
        }
        stream_cut(fs, b->seq + 1);
        pthread_mutex_unlock(&fs->lock);
    }
    atomic_store_explicit(&b->checked_seq, b->seq, memory_order_release);
}

/* This worker's packets of one decoded block, through the same lookahead
 * window as the single-worker loop. */
static void stream_process(struct worker *w, struct shard_facts *sf)
{
    struct lookahead la;
    la.head = la.queued = 0;
    for (uint32_t i = 0; i < sf->n; i++)
        lookahead_push(w, &la, &sf->facts[i], sf->ts[i]);
    lookahead_drain(w, &la);
}

/* Nothing to do: another worker is still decoding the block this one
 * needs next, which takes tens of microseconds. A sleep costs more than
 * that to wake from (timer slack, and more under a hypervisor), so spin
 * first; sleep only when the wait runs long (a worker descheduled, or a
 * core shared with other work). */
#define SPIN_NS (500 * 1000)

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

static void stream_wait(int64_t *idle_since)
{
    int64_t now = monotonic_ns();
    if (*idle_since == 0)
        *idle_since = now;
    if (now - *idle_since < SPIN_NS) {
        for (int i = 0; i < 32; i++)
            cpu_relax();
        return;
    }
    struct timespec pause = {0, 50000};
    nanosleep(&pause, NULL);
}

struct stream_worker {
    struct worker *w;
    struct file_stream *fs;
    struct mm_packet pkts[BLOCK_PACKETS];
};

static void *stream_worker_main(void *arg)
{
    struct stream_worker *sw = arg;
    struct worker *w = sw->w;
    struct file_stream *fs = sw->fs;
    long long next = 0;
    int64_t idle_since = 0;
    pin_thread(w->eng, w->id);
    while (!atomic_load(&w->eng->abort)) {
        long long total = atomic_load(&fs->total_blocks);
        if (total >= 0 && next >= total)
            break;
        struct block_slot *slot = &fs->slots[next % BLOCK_SLOTS];
        if (atomic_load_explicit(&slot->checked_seq, memory_order_acquire) == next) {
            stream_process(w, &slot->shard[w->id]);
            atomic_fetch_add_explicit(&slot->consumed, 1, memory_order_release);
            next++;
            idle_since = 0;
            continue;
        }
        if (atomic_load_explicit(&slot->ready_seq, memory_order_acquire) == next &&
            !atomic_exchange_explicit(&slot->check_taken, true, memory_order_acq_rel)) {
            stream_check(fs, w, slot);
            continue;
        }
        unsigned n;
        struct block_slot *b = stream_claim(fs, sw->pkts, &n);
        if (b) {
            stream_decode(fs, b, sw->pkts, n);
            idle_since = 0;
        } else {
            stream_wait(&idle_since);
        }
    }
    worker_finish(w);
    return NULL;
}

static int cmp_criterion_id(const void *a, const void *b)
{
    return strcmp((*(const struct mm_criterion *const *)a)->id, (*(const struct mm_criterion *const *)b)->id);
}

static int engine_init(struct engine *e, const struct mm_select_options *opt, struct mm_err *err)
{
    memset(e, 0, sizeof *e);
    e->opt = opt;
    e->policy = opt->policy;
    size_t n = opt->policy->ncriteria;
    e->rank = calloc(n + 1, sizeof *e->rank);
    const struct mm_criterion **by_id = calloc(n + 1, sizeof *by_id);
    if (!e->rank || !by_id) {
        free(e->rank);
        free(by_id);
        return mm_err_set(err, MM_ENOMEM, "out of memory");
    }
    /* rank[i] = the position of criteria[i].id in id order (ids are unique):
     * sorted, not counted pairwise (a policy may hold many thousands). */
    for (size_t i = 0; i < n; i++)
        by_id[i] = &opt->policy->criteria[i];
    qsort(by_id, n, sizeof *by_id, cmp_criterion_id);
    for (size_t i = 0; i < n; i++)
        e->rank[by_id[i] - opt->policy->criteria] = (uint32_t)i;
    free(by_id);
    mm_flow_hash_key_derive(&e->hash_key, opt->policy->pseudonymization_key);
    pthread_mutex_init(&e->deliver_lock, NULL);
    if (opt->pin && pthread_getaffinity_np(pthread_self(), sizeof e->allowed, &e->allowed) == 0)
        e->ncpus = CPU_COUNT(&e->allowed);
    return 0;
}

static void engine_fini(struct engine *e)
{
    pthread_mutex_destroy(&e->deliver_lock);
    free(e->rank);
}

/* The first error wins: a worker's input error, else a delivery error. */
static int collect(struct engine *e, struct worker *ws, unsigned n, struct mm_select_stats *stats,
                   struct mm_err *err)
{
    int rc = 0;
    for (unsigned i = 0; i < n; i++) {
        mm_select_stats_add(stats, &ws[i].stats);
        if (!rc && ws[i].rc) {
            rc = ws[i].rc;
            mm_err_set(err, rc, "%s", ws[i].err.msg);
        }
    }
    if (!rc && e->deliver_rc) {
        rc = e->deliver_rc;
        mm_err_set(err, rc, "%s", e->deliver_err.msg);
    }
    return rc;
}

/* Initialize n workers sharing max_flows; *inited counts those to finish
 * with worker_fini, failed one included. */
static int workers_init(struct engine *e, struct worker *ws, unsigned n, unsigned *inited,
                        struct mm_err *err)
{
    size_t per_worker = e->opt->max_flows / n ? e->opt->max_flows / n : 1;
    for (*inited = 0; *inited < n;) {
        int rc = worker_init(&ws[*inited], e, *inited, per_worker);
        (*inited)++;
        if (rc)
            return mm_err_set(err, rc, "%s", ws[*inited - 1].err.msg);
    }
    return 0;
}

int mm_select_run_files(const struct mm_select_options *opt, const char *const *paths, size_t npaths,
                        struct mm_select_stats *stats, struct mm_err *err)
{
    int64_t started_ns = monotonic_ns();
    unsigned n = opt->workers ? opt->workers : 1;
    if (n > 256)
        return mm_err_set(err, MM_EINVAL, "at most 256 workers");
    struct engine e;
    int rc = engine_init(&e, opt, err);
    if (rc)
        return rc;
    struct worker *ws = calloc(n, sizeof *ws);
    pthread_t *tids = calloc(n, sizeof *tids);
    struct stream_worker *sws = NULL;
    struct file_stream fs = {0};
    unsigned started = 0, inited = 0;
    if (!ws || !tids) {
        rc = mm_err_set(err, MM_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = workers_init(&e, ws, n, &inited, err)))
        goto out;
    if (n == 1) {
        pin_thread(&e, 0);
        single_worker_run(&ws[0], paths, npaths);
        unpin_thread(&e);
    } else {
        if (!(sws = calloc(n, sizeof *sws)) || stream_init(&fs, &e, paths, npaths, n, opt->file_chunk_bytes) != 0) {
            rc = mm_err_set(err, MM_ENOMEM, "out of memory for %u workers", n);
            goto out;
        }
        for (; started < n; started++) {
            sws[started].w = &ws[started];
            sws[started].fs = &fs;
            if (pthread_create(&tids[started], NULL, stream_worker_main, &sws[started]) != 0) {
                atomic_store(&e.abort, 1);
                rc = mm_err_set(err, MM_ENOMEM, "cannot start worker thread %u", started);
                break;
            }
        }
        for (unsigned i = 0; i < started; i++)
            pthread_join(tids[i], NULL);
        if (rc)
            goto out;
        /* An input error belongs to the stream; it wins like a worker's would. */
        if (fs.rc)
            mm_err_set(err, fs.rc, "%s", fs.err.msg);
        stats->chunks_redecoded += fs.rechecked;
    }
    int crc = collect(&e, ws, n, stats, err);
    rc = n > 1 && fs.rc ? fs.rc : crc;
    stats->elapsed_ns = monotonic_ns() - started_ns;
out:
    if (sws)
        stream_fini(&fs);
    free(sws);
    for (unsigned i = 0; i < inited; i++)
        worker_fini(&ws[i]);
    free(ws);
    free(tids);
    engine_fini(&e);
    return rc;
}

/* ---- live capture: one reader, N workers joined by single-producer rings ---- */

#define RING_SLOTS 32768 /* per worker; a power of two */
#define LIVE_FLUSH_NS (1 * MM_NS_PER_SEC)

enum ring_kind { RING_PACKET, RING_TICK, RING_END };

/* Only decoded header facts cross threads: the payload never leaves the
 * capture buffer. */
struct ring_item {
    int64_t ts_ns;
    uint8_t kind;
    struct mm_packet_facts facts;
};

struct ring {
    _Alignas(64) atomic_size_t head; /* written by the reader */
    _Alignas(64) atomic_size_t tail; /* written by the worker */
    struct ring_item *items;
};

struct live_worker {
    struct worker *w;
    struct ring ring;
};

static void ring_push(struct ring *r, const struct ring_item *it, volatile sig_atomic_t *stop)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    /* Full: wait for the worker (the kernel buffers meanwhile, and counts
     * what it must drop). */
    while (head - atomic_load_explicit(&r->tail, memory_order_acquire) >= RING_SLOTS) {
        if (*stop && it->kind != RING_END)
            return;
        struct timespec pause = {0, 20000};
        nanosleep(&pause, NULL);
    }
    r->items[head & (RING_SLOTS - 1)] = *it;
    atomic_store_explicit(&r->head, head + 1, memory_order_release);
}

/* A live worker's step on its own wall-clock tick: expire idle flows and
 * hand finished records on. */
static void live_tick(struct worker *w, int64_t now)
{
    if (now >= w->next_sweep_ns) {
        sweep(w, now);
        w->next_sweep_ns = now + sweep_interval_ns(w);
    }
    flush_batch(w);
}

/* Bytes each of n live workers may fault in for its table up front. */
static size_t presize_budget(unsigned n)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0)
        return 0;
    return (size_t)pages / 4 / n * (size_t)page;
}

static void *live_worker_main(void *arg)
{
    struct live_worker *lw = arg;
    struct worker *w = lw->w;
    struct ring *r = &lw->ring;
    pin_thread(w->eng, w->id + 1); /* the reader has the first CPU */
    for (;;) {
        size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
        if (tail == atomic_load_explicit(&r->head, memory_order_acquire)) {
            struct timespec pause = {0, 50000};
            nanosleep(&pause, NULL);
            continue;
        }
        struct ring_item *it = &r->items[tail & (RING_SLOTS - 1)];
        bool end = it->kind == RING_END;
        if (it->kind == RING_PACKET) {
            uint64_t h;
            if (packet_ready(w, it->ts_ns, &it->facts, &h))
                worker_packet(w, it->ts_ns, &it->facts, h);
        } else if (it->kind == RING_TICK) {
            live_tick(w, it->ts_ns);
        }
        atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
        if (end)
            break;
    }
    worker_finish(w);
    return NULL;
}

int mm_select_run_live(const struct mm_select_options *opt, const char *iface,
                       struct mm_select_stats *stats, struct mm_err *err)
{
    int64_t started_ns = monotonic_ns();
    unsigned n = opt->workers ? opt->workers : 1;
    if (n > 256)
        return mm_err_set(err, MM_EINVAL, "at most 256 workers");
    struct engine e;
    int rc = engine_init(&e, opt, err);
    if (rc)
        return rc;
    struct worker *ws = calloc(n, sizeof *ws);
    struct live_worker *lws = calloc(n, sizeof *lws);
    pthread_t *tids = calloc(n, sizeof *tids);
    struct mm_capture *cap = NULL;
    unsigned inited = 0, started = 0;
    struct mm_select_stats reader_stats;
    bool reader_stats_ok = mm_select_stats_init(&reader_stats, opt->policy->ncriteria) == 0;
    if (!ws || !lws || !tids || !reader_stats_ok) {
        rc = mm_err_set(err, MM_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = workers_init(&e, ws, n, &inited, err)))
        goto out;
    /* A live link cannot wait while a table rehashes or faults in pages:
     * the kernel drops what its buffer cannot hold meanwhile. So each table
     * starts at full size, within a quarter of the machine's memory over
     * all workers (best effort: beyond that, tables grow as usual). */
    size_t budget = presize_budget(n);
    for (unsigned i = 0; i < n; i++)
        (void)mm_flow_table_presize(ws[i].flows, budget);
    for (unsigned i = 0; i < n; i++) {
        lws[i].w = &ws[i];
        if (n > 1 && !(lws[i].ring.items = calloc(RING_SLOTS, sizeof(struct ring_item)))) {
            rc = mm_err_set(err, MM_ENOMEM, "out of memory for a worker ring");
            goto out;
        }
    }
    if ((rc = mm_capture_open_live(&cap, iface, 100, err)))
        goto out;
    for (; n > 1 && started < n; started++)
        if (pthread_create(&tids[started], NULL, live_worker_main, &lws[started]) != 0) {
            rc = mm_err_set(err, MM_ENOMEM, "cannot start worker thread %u", started);
            break;
        }
    /* The reader: worker 0's own packets when alone; otherwise it decodes,
     * counts (as worker 0 does for files) and hands each packet's facts to
     * the worker owning its shard. */
    struct worker *reader = &ws[0]; /* its flows, when it works alone */
    struct decode_counts reader_counts = {0};
    pin_thread(&e, 0);
    struct mm_packet pkt;
    struct ring_item item;
    struct mm_err cap_err;
    mm_err_clear(&cap_err);
    int64_t next_tick = mm_time_now_ns() + LIVE_FLUSH_NS;
    while (!rc && !*opt->stop && !atomic_load(&e.abort)) {
        int st = mm_capture_next(cap, &pkt, &cap_err);
        int64_t now = mm_time_now_ns();
        if (st == MM_CAPTURE_PACKET) {
            if (!admit(&reader_counts, &pkt, &item.facts))
                goto tick;
            if (n == 1) {
                uint64_t h;
                if (packet_ready(reader, pkt.ts_ns, &item.facts, &h))
                    worker_packet(reader, pkt.ts_ns, &item.facts, h);
            } else {
                item.kind = RING_PACKET;
                item.ts_ns = pkt.ts_ns;
                ring_push(&lws[mm_flow_shard(&e.hash_key, &item.facts, n)].ring, &item, opt->stop);
            }
        } else if (st != MM_CAPTURE_IDLE) {
            if (st < 0) {
                rc = st;
                mm_err_set(err, st, "%s", cap_err.msg);
            }
            break;
        }
    tick:
        /* Records must not wait for a busy link to fill a batch, and a
         * quiet link must still expire its flows: a wall-clock tick. */
        if (now >= next_tick || st == MM_CAPTURE_IDLE) {
            next_tick = now + LIVE_FLUSH_NS;
            if (n == 1) {
                live_tick(reader, now);
            } else {
                struct ring_item t = {.ts_ns = now, .kind = RING_TICK};
                for (unsigned i = 0; i < started; i++)
                    ring_push(&lws[i].ring, &t, opt->stop);
            }
        }
    }
    reader_stats.kernel_dropped = mm_capture_dropped(cap);
    if (n == 1) {
        worker_finish(&ws[0]);
    } else {
        struct ring_item end = {.kind = RING_END};
        for (unsigned i = 0; i < started; i++)
            ring_push(&lws[i].ring, &end, opt->stop);
        for (unsigned i = 0; i < started; i++)
            pthread_join(tids[i], NULL);
    }
    unpin_thread(&e);
    add_decode_counts(&reader_stats, &reader_counts);
    mm_select_stats_add(stats, &reader_stats);
    int crc = collect(&e, ws, n, stats, err);
    if (!rc)
        rc = crc;
    stats->elapsed_ns = monotonic_ns() - started_ns;
out:
    if (reader_stats_ok)
        mm_select_stats_fini(&reader_stats);
    mm_capture_close(cap);
    for (unsigned i = 0; i < inited; i++) {
        free(lws[i].ring.items);
        worker_fini(&ws[i]);
    }
    free(ws);
    free(lws);
    free(tids);
    engine_fini(&e);
    return rc;
}
