/* policy.h - the selection policy: route, domestic space, pseudonymization key, approved criteria. */
#ifndef MM_POLICY_H
#define MM_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "select/prefix_map.h"
#include "util/error.h"

/* Acquisition routes (取得の根拠) and the one direction each allows. */
enum mm_route { MM_ROUTE_PARTY_AGREEMENT, MM_ROUTE_TRANSIT, MM_ROUTE_INBOUND, MM_ROUTE_OUTBOUND };

/* Flow directions, initiator to responder. DOMESTIC_TO_DOMESTIC is never selected. */
enum mm_direction {
    MM_DIR_FOREIGN_TO_DOMESTIC,
    MM_DIR_FOREIGN_TO_FOREIGN,
    MM_DIR_DOMESTIC_TO_FOREIGN,
    MM_DIR_DOMESTIC_TO_DOMESTIC,
    MM_DIR_COUNT
};

const char *mm_route_name(enum mm_route r);
int mm_route_parse(const char *text, enum mm_route *out);
const char *mm_direction_name(enum mm_direction d);
enum mm_direction mm_route_allowed_direction(enum mm_route r);

#define MM_CRITERION_ID_MAX 64
#define MM_POLICY_ID_MAX 128

struct mm_criterion {
    char id[MM_CRITERION_ID_MAX + 1];
    uint8_t proto;          /* 0: any protocol */
    uint16_t nports;        /* 0: any port */
    uint16_t *ports;        /* sorted, unique; they apply to the matching endpoint */
    int64_t not_before_ns;  /* active from (inclusive), INT64_MIN when unbounded */
    int64_t not_after_ns;   /* active until (exclusive), INT64_MAX when unbounded */
    uint32_t entries;       /* addresses/prefixes it holds (1, or a feed's size) */
    char *match_file;       /* resolved path of a feed, or NULL */
    char sha256[65];        /* of the feed file, hex; empty for inline criteria */
};

struct mm_policy {
    char policy_id[MM_POLICY_ID_MAX + 1];
    uint32_t policy_version; /* 0 when the file does not say (unsigned, hand-written policies) */
    enum mm_route route;
    int64_t flow_idle_timeout_ns;
    int64_t flow_active_timeout_ns;
    uint32_t retention_days;
    uint8_t pseudonymization_key[32];
    size_t ncriteria;
    struct mm_criterion *criteria;
    /* address -> indexes into criteria[] of every criterion covering it */
    struct mm_prefix_map *criteria_map;
    /* address -> non-empty set when domestic (policy prefixes + special-purpose ranges) */
    struct mm_prefix_map *domestic_map;
    size_t domestic_entries;
};

/* Load and fully validate a policy file: JSON syntax, every field, every
 * referenced file (domestic prefixes, key with its permissions, feeds).
 * Relative paths resolve from the policy file's folder. Nothing is left half
 * loaded: on error *out is NULL and err says "FILE: JSON.PATH: what" or
 * "FILE:LINE: what". */
int mm_policy_load(const char *path, struct mm_policy **out, struct mm_err *err);
/* The same over a JSON text in memory; base_dir resolves relative paths and
 * name labels errors. */
int mm_policy_parse(const char *json, size_t len, const char *name, const char *base_dir,
                    struct mm_policy **out, struct mm_err *err);
/* Frees everything and wipes the key. */
void mm_policy_free(struct mm_policy *p);

/* Is the criterion active at packet time t? */
static inline bool mm_criterion_active(const struct mm_criterion *c, int64_t t)
{
    return t >= c->not_before_ns && t < c->not_after_ns;
}
/* Does the criterion accept this protocol and endpoint port (time aside)? */
bool mm_criterion_accepts(const struct mm_criterion *c, uint8_t proto, uint16_t port);

#endif
