/* records_query.h - reading stored selected records: the filter every reader shares (query, holds,
 * provision), the closed list of purposes, and the record contract rebuilt from a stored row. */
#ifndef MM_RECORDS_QUERY_H
#define MM_RECORDS_QUERY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"
#include "util/addr.h"

/* The purposes a read of selected records may serve. Anything else (criminal
 * investigation among them: comment 25) is refused; the refusal is audited
 * by the caller. */
#define MM_PURPOSE_MAP(X)                                                                          \
    X(DAMAGE_PREVENTION, "damage_prevention")                                                      \
    X(PROVISION, "provision")                                                                      \
    X(COMMITTEE_INSPECTION, "committee_inspection")

/* True when purpose is on the closed list. */
bool mm_purpose_allowed(const char *purpose);
/* "damage_prevention, provision, committee_inspection", for messages. */
const char *mm_purpose_list(void);

/* Which records a reader selects. Every part is optional; an unset part
 * matches everything. Times select records whose [first_seen, last_seen]
 * overlaps [from_ns, to_ns). An address matches src_addr or dst_addr as
 * stored (clear or pseudonymized text); a prefix likewise, evaluated per row
 * on the parsed address, so IPv4 and IPv6 prefixes of any length work. */
struct mm_record_filter {
    int64_t from_ns, to_ns;     /* INT64_MIN / INT64_MAX when unset */
    char criterion[64];         /* "" when unset */
    char direction[32];         /* "" when unset */
    bool has_addr, has_prefix;  /* at most one of them */
    struct mm_addr addr;
    struct mm_prefix prefix;
};

void mm_record_filter_init(struct mm_record_filter *f);
/* The filter as a JSON object (only the parts that are set; times as RFC 3339
 * text), for the audit log, hold rows and manifests. Caller owns it; NULL on
 * allocation failure. */
json_t *mm_record_filter_to_json(const struct mm_record_filter *f);
/* Compact text of the above; caller frees. NULL on allocation failure. */
char *mm_record_filter_to_text(const struct mm_record_filter *f);
/* Parse what mm_record_filter_to_json wrote (hold rows). MM_EFORMAT with detail. */
int mm_record_filter_from_json(const json_t *o, struct mm_record_filter *f, struct mm_err *err);

/* One stored record: the contract's fields plus the store's own. Strings
 * point into the statement and live only during the callback. */
struct mm_stored_record {
    int64_t id, run_id, erase_after_ns;
    const char *policy_id, *route, *direction;
    int proto;
    const char *src_addr, *dst_addr;
    int src_port, dst_port;
    bool src_pseudonymized, dst_pseudonymized;
    int64_t packets, bytes;
    int tcp_flags;
    int64_t first_seen_ns, last_seen_ns;
    const char *criteria_json; /* JSON array text of criterion ids */
};

/* Calls cb for each record matching f, in id order. A nonzero return from
 * cb stops the walk and is returned. Reads only; the caller audits the read. */
typedef int (*mm_stored_record_cb)(void *ctx, const struct mm_stored_record *r);
int mm_store_records_query(struct mm_store *s, const struct mm_record_filter *f, mm_stored_record_cb cb,
                           void *ctx, struct mm_err *err);

/* The record as a JSON object with exactly the record contract's keys in the
 * contract's order (as mm_record_format_json writes them); dumped with
 * JSON_COMPACT it is byte for byte the sensor's line. Caller owns it; NULL on
 * allocation failure or a corrupt criteria column. */
json_t *mm_stored_record_json(const struct mm_stored_record *r);

#endif
