/* engine.h - automatic selection: packets in, de-identified flow records and counters out. */
#ifndef MM_ENGINE_H
#define MM_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/decode.h"
#include "select/policy.h"
#include "util/addr.h"
#include "util/error.h"

/* One selected flow piece, ready to leave the sensor. Non-indicator
 * endpoints are already pseudonymized; nothing else of the packets remains. */
struct mm_record {
    enum mm_direction direction;
    uint8_t proto;
    uint8_t tcp_flags;
    bool src_pseudonymized, dst_pseudonymized;
    struct mm_addr src, dst;
    uint16_t src_port, dst_port;
    uint64_t packets, bytes;
    int64_t first_ns, last_ns;
    uint32_t ncriteria;
    const uint32_t *criteria; /* indexes into policy->criteria, sorted by criterion id */
};

/* Counters of one run. Every count is of flow pieces except the packet
 * ones. selected_per_criterion has policy->ncriteria entries. */
struct mm_select_stats {
    uint64_t packets, bytes_captured, bytes_wire;
    uint64_t not_ip;
    uint64_t malformed[MM_DECODE_REASON_COUNT]; /* [OK] and [NOT_IP] stay 0 */
    uint64_t fragments_unmatched;               /* later fragment whose first was never seen */
    uint64_t flows_seen[MM_DIR_COUNT];
    uint64_t discarded_domestic_to_domestic, discarded_route_direction, discarded_no_criterion;
    uint64_t flows_selected;  /* records emitted */
    uint64_t flows_evicted;   /* ended early because the flow table was full */
    uint64_t kernel_dropped;  /* live capture only */
    uint64_t chunks_redecoded; /* several workers: a chunk's guessed first record was wrong */
    int64_t elapsed_ns;       /* wall time of the run, set by mm_select_run_*() */
    size_t ncriteria;
    uint64_t *selected_per_criterion;
};

int mm_select_stats_init(struct mm_select_stats *s, size_t ncriteria);
void mm_select_stats_fini(struct mm_select_stats *s);
/* Add every counter of src into dst (same ncriteria). */
void mm_select_stats_add(struct mm_select_stats *dst, const struct mm_select_stats *src);

/* Receives finished records in batches. Workers call it concurrently, each
 * with its own id (0 .. workers-1); calls with the same id never overlap, so
 * a sink can keep per-worker buffers and lock only what workers share. A
 * nonzero return stops the run and is returned by mm_select_run_*(). */
typedef int (*mm_record_deliver_fn)(void *ctx, unsigned worker, const struct mm_record *recs, size_t n,
                                    struct mm_err *err);

struct mm_select_options {
    const struct mm_policy *policy;
    unsigned workers;   /* >= 1; each owns a flow table and a shard of the flows */
    size_t max_flows;   /* over all workers */
    mm_record_deliver_fn deliver;
    void *deliver_ctx;
    /* Several workers read a classic pcap file in byte ranges of this size
     * (0: the default, 256 KiB); tests make it small. */
    size_t file_chunk_bytes;
    /* Pin each working thread to its own CPU (of those the process may use). */
    bool pin;
    /* Live capture stops (cleanly, flushing flows) when this becomes nonzero. */
    volatile sig_atomic_t *stop;
};

/* Read the capture files in order as one stream (flows continue across
 * files). On a corrupt or truncated file the run stops: flows seen so far are
 * still ended and delivered, then the file error is returned (err names the
 * file and offset). Stats are filled in either case. */
int mm_select_run_files(const struct mm_select_options *opt, const char *const *paths, size_t npaths,
                        struct mm_select_stats *stats, struct mm_err *err);

/* Live capture until *opt->stop becomes nonzero. Idle flows expire by the
 * wall clock when no packet arrives. */
int mm_select_run_live(const struct mm_select_options *opt, const char *iface,
                       struct mm_select_stats *stats, struct mm_err *err);

/* Bytes of the policy's address structures (criteria and domestic maps). */
size_t mm_select_policy_memory(const struct mm_policy *p);

#endif
