/* retention.h - erasure of selected records at their deadline, holds that extend it with the
 * committee's approval, and the store's crash-safety check. Backend-agnostic: the CLI calls these
 * now, the server will call mm_store_erase on a timer. */
#ifndef MM_RETENTION_H
#define MM_RETENTION_H

#include <stdbool.h>
#include <stdint.h>

#include "store/records_query.h"
#include "store/store.h"

struct mm_erase_options {
    int64_t as_of_ns;  /* erase records whose erase_after <= this (0: now) */
    bool dry_run;      /* count and audit only; change nothing */
    const char *actor; /* who asked, for the audit entry ("retention timer" when automatic) */
    const char *role;
};

struct mm_erase_result {
    int64_t as_of_ns;
    int64_t records;           /* erased (or, dry run, that would be) */
    int64_t held;              /* past their deadline but kept by an approved hold */
    int64_t holds_expired;     /* holds ended because their `until` passed */
    int64_t first_seen_min_ns; /* range of what was erased; 0 when records == 0 */
    int64_t last_seen_max_ns;
    bool committed;            /* the deletion and its audit entry are durable */
    bool wal_truncated;        /* the write-ahead log was checkpointed and truncated to zero */
};

/* Erase every record whose erase_after <= as_of unless an approved hold
 * whose `until` is later covers it; end holds whose `until` has passed
 * (status 'expired', their record links removed). The deletion and ONE audit
 * entry (action records.erase, reason "retention", counts and the first/last
 * seen range as times, never content; outcome "ok" or "dry_run") commit in
 * one transaction. Then, unless a dry run, the write-ahead log is
 * checkpointed and truncated, so the freed (zeroed, secure_delete) pages
 * reach the main file and no pre-erasure page image survives in the log.
 *
 * Returns 0; MM_ECONFLICT with r->committed set when the erasure committed
 * but readers kept the log from being truncated within the busy timeout (run
 * again later: the next erase or checkpoint finishes it); another code with
 * r->committed false when nothing changed. Must not be called inside a
 * transaction. */
int mm_store_erase(struct mm_store *s, const struct mm_erase_options *opt, struct mm_erase_result *r,
                   struct mm_err *err);

/* Checkpoint the write-ahead log into the main file and truncate it,
 * retrying while readers hold it, up to the busy timeout. MM_ECONFLICT when
 * it could not finish. */
int mm_store_wal_truncate(struct mm_store *s, struct mm_err *err);

/* ---- holds ---- */

/* Request a hold (status 'requested') over the records f selects, until
 * until_ns. The caller audits (and may wrap this in its transaction). */
int mm_store_hold_request(struct mm_store *s, const struct mm_record_filter *f, int64_t until_ns,
                          const char *reason, const char *requested_by, int64_t *hold_id,
                          struct mm_err *err);

/* Approve hold hold_id: status 'approved', a ledger row (kind
 * 'hold_approval', subject the hold id), and links to every record its
 * filter selects now. *linked reports how many. MM_ENOTFOUND when there is
 * no such hold; MM_ECONFLICT when it is not in status 'requested' or its
 * `until` has passed. Must be called inside the caller's transaction (with
 * its audit entry). */
int mm_store_hold_approve(struct mm_store *s, int64_t hold_id, const char *approved_by,
                          const char *reason, int64_t *linked, struct mm_err *err);

/* ---- crash safety ---- */

/* PRAGMA integrity_check and foreign_key_check. 0 when both are clean;
 * MM_EVERIFY with the first problem in err otherwise. */
int mm_store_check(struct mm_store *s, struct mm_err *err);

#endif
