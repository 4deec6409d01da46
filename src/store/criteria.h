/* criteria.h - the committee's control over selection: the criteria lifecycle, the approval ledger,
 * the party agreement register and issued policies. Backend-agnostic; SQLite in criteria_sqlite.c.
 */
#ifndef MM_CRITERIA_H
#define MM_CRITERIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "select/policy.h"
#include "store/store.h"
#include "util/error.h"

/* Every function here runs inside the caller's transaction when one is open
 * (mm_store_begin), so a change, its ledger row and its audit entry commit
 * together; without one, each call is its own transaction. Times are
 * nanoseconds since the epoch; now_ns is passed in so that tests (and one
 * command) see one consistent instant. Not thread-safe (one store handle). */

/* ---- criteria ---- */

/* proposed --approve--> approved --revoke--> revoked
 *          --reject---> rejected
 * approved --(not_after passes)--> expired: derived when read, never an
 * action; an expired criterion is shown and counted as expired and is left
 * out of every policy issued after that. */
#define MM_CRITERION_STATUS_MAP(X)                                                                 \
    X(PROPOSED, "proposed")                                                                        \
    X(APPROVED, "approved")                                                                        \
    X(REJECTED, "rejected")                                                                        \
    X(REVOKED, "revoked")                                                                          \
    X(EXPIRED, "expired")

enum mm_criterion_status {
#define MM_CRIT_STATUS_ENUM_(name, str) MM_CRIT_##name,
    MM_CRITERION_STATUS_MAP(MM_CRIT_STATUS_ENUM_)
#undef MM_CRIT_STATUS_ENUM_
        MM_CRIT_STATUS_COUNT
};
const char *mm_criterion_status_name(enum mm_criterion_status st);

/* Where a proposed criterion comes from. */
#define MM_SOURCE_KINDS "incident_report, feed, product or other"
bool mm_source_kind_valid(const char *kind);

#define MM_FEED_MAX_BYTES (64u << 20)
#define MM_CRITERION_TEXT_MAX 4096 /* source_ref, legal_basis, reasons */

struct mm_criterion_proposal {
    const char *id;    /* the policy criterion id charset, 1-64 characters */
    const char *match; /* an address or prefix; NULL for a feed */
    const char *feed;  /* a feed's bytes (plain address list); NULL for match */
    size_t feed_len;
    const char *feed_name;   /* names the feed in messages */
    const char *proto;       /* tcp, udp, sctp, icmp or NULL (any) */
    const char *ports;       /* "80,443" or NULL (any); not with icmp */
    int64_t not_before_ns;   /* INT64_MIN: unbounded */
    int64_t not_after_ns;    /* INT64_MAX: unbounded */
    const char *source_kind; /* MM_SOURCE_KINDS */
    const char *source_ref;  /* the incident report, feed or product it comes from */
    const char *legal_basis; /* the article or agreement */
};

/* Validate a proposal (everything the policy loader would refuse later is
 * refused now; a feed must hold at least one address) and add it as
 * 'proposed' with a 'criterion_request' ledger row. MM_EFORMAT names the
 * bad field; MM_ECONFLICT when the id exists. */
int mm_criteria_propose(struct mm_store *s, const struct mm_criterion_proposal *p,
                        const char *actor, int64_t now_ns, struct mm_err *err);

enum mm_criterion_decision { MM_DECIDE_APPROVE, MM_DECIDE_REJECT, MM_DECIDE_REVOKE };

/* The committee's decision with its reason (required). approve and reject
 * take a 'proposed' criterion (approve refuses one whose not_after has
 * passed); revoke takes an 'approved' one that has not expired. Writes the
 * ledger row (criterion_approval, criterion_rejection, criterion_revocation)
 * with the actor and time. MM_ENOTFOUND for an unknown id, MM_ECONFLICT
 * (saying the current status) for a decision its status does not allow. */
int mm_criteria_decide(struct mm_store *s, const char *id, enum mm_criterion_decision d,
                       const char *actor, const char *reason, int64_t now_ns, struct mm_err *err);

/* A criterion as stored. Pointers are valid only during the callback. */
struct mm_criterion_info {
    const char *id;
    enum mm_criterion_status status; /* EXPIRED derived at now_ns */
    const char *match;               /* NULL for a feed */
    const void *feed;                /* with MM_CRITERIA_WITH_FEED, else NULL */
    size_t feed_len;
    const char *feed_sha256; /* NULL for match */
    int64_t feed_entries;
    const char *proto;                   /* NULL: any */
    const char *ports;                   /* "80,443" (sorted, unique) or NULL: any */
    int64_t not_before_ns, not_after_ns; /* INT64_MIN / INT64_MAX: unbounded */
    const char *source_kind, *source_ref, *legal_basis;
    const char *proposed_by;
    int64_t proposed_at_ns;
    const char *decided_by; /* NULL while proposed */
    int64_t decided_at_ns;
    const char *reason;
};

enum {
    MM_CRITERIA_WITH_FEED = 1, /* hand each feed's bytes to the callback */
    MM_CRITERIA_IN_FORCE = 2,  /* only approved criteria whose not_after is after now_ns */
};
typedef int (*mm_criterion_cb)(void *ctx, const struct mm_criterion_info *c);
/* Criteria in id order; a nonzero callback return stops and is returned. */
int mm_criteria_list(struct mm_store *s, int64_t now_ns, int flags, mm_criterion_cb cb, void *ctx,
                     struct mm_err *err);

/* ---- the approval ledger (Art. 61(2) counts) ---- */

struct mm_ledger_counts {
    int64_t requests;      /* criterion_request */
    int64_t approvals;     /* criterion_approval */
    int64_t rejections;    /* criterion_rejection */
    int64_t revocations;   /* criterion_revocation */
    int64_t policy_issues; /* policy_issue */
};
/* Count ledger rows with from_ns <= at < to_ns by kind. */
int mm_store_ledger_counts(struct mm_store *s, int64_t from_ns, int64_t to_ns,
                           struct mm_ledger_counts *out, struct mm_err *err);

/* ---- the party agreement register (not public) ---- */

struct mm_agreement {
    const char *id; /* the criterion id charset */
    const char *party;
    const char *const *contractors; /* who joined the agreement; may be empty */
    size_t ncontractors;
    const char *const *scope; /* addresses or prefixes the agreement covers; at least one */
    size_t nscope;
    int64_t starts_at_ns, ends_at_ns; /* in force for starts_at <= t < ends_at */
    /* filled when listing; ignored by mm_agreement_add */
    const char *created_by;
    int64_t created_at_ns;
};

/* Validate (id, party, every scope prefix, ends after starts) and add.
 * MM_EFORMAT names the bad field; MM_ECONFLICT when the id exists. */
int mm_agreement_add(struct mm_store *s, const struct mm_agreement *a, const char *actor,
                     int64_t now_ns, struct mm_err *err);
typedef int (*mm_agreement_cb)(void *ctx, const struct mm_agreement *a);
/* Agreements in id order; pointers are valid only during the callback. */
int mm_agreement_list(struct mm_store *s, mm_agreement_cb cb, void *ctx, struct mm_err *err);
/* 0 when agreement id is in force at now_ns; MM_ENOTFOUND for an unknown
 * id; MM_ECONFLICT, saying its dates, when it is not in force. */
int mm_agreement_in_force(struct mm_store *s, const char *id, int64_t now_ns, struct mm_err *err);

/* ---- issued policies ---- */

/* The version the next issue of policy_id gets: one more than the last. */
int mm_policy_next_version(struct mm_store *s, const char *policy_id, uint32_t *version,
                           struct mm_err *err);

struct mm_policy_issue {
    const char *policy_id;
    uint32_t version;
    enum mm_route route;
    const char *agreement_id; /* NULL unless party_agreement */
    int64_t issued_at_ns;
    const char *issued_by;
    const char *sha256; /* of the policy.json bytes that were signed */
};
/* Record an issue and its 'policy_issue' ledger row. MM_ECONFLICT when the
 * version was taken meanwhile. */
int mm_policy_record_issue(struct mm_store *s, const struct mm_policy_issue *pi,
                           struct mm_err *err);

/* ---- for backends: validation shared by every store implementation ---- */

#define MM_PORTS_MAX 1024
#define MM_PORTS_TEXT_MAX (MM_PORTS_MAX * 6 + 1)

struct mm_criterion_checked {
    char ports[MM_PORTS_TEXT_MAX]; /* normalized "80,443"; empty: any */
    char feed_sha256[65];          /* empty for match */
    int64_t feed_entries;          /* 1 for match */
};
int mm_criteria_check_proposal(const struct mm_criterion_proposal *p,
                               struct mm_criterion_checked *out, struct mm_err *err);
/* Validate an agreement; *contractors_json and *scope_json get JSON arrays
 * (the caller frees them). */
int mm_agreement_check(const struct mm_agreement *a, char **contractors_json, char **scope_json,
                       struct mm_err *err);
/* The criterion/policy id charset: 1-max characters of A-Z a-z 0-9 . _ : - */
bool mm_governance_id_valid(const char *id, size_t max);

#endif
