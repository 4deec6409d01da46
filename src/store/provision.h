/* provision.h - information for provision (提供用選別後情報): a further-minimized package of selected
 * records for another agency, shaped by a provision profile, hashed, and recorded in the store. */
#ifndef MM_PROVISION_H
#define MM_PROVISION_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/records_query.h"
#include "store/store.h"

/* Which fields of a record a package keeps. Addresses and ports are never
 * listed fields: with indicator_endpoints, a side's address and port are kept
 * only when that side is an indicator (its *_pseudonymized is false). So no
 * profile can put a pseudonymized address into a package. */
#define MM_PROVISION_FIELD_MAP(X)                                                                  \
    X(POLICY_ID, "policy_id")                                                                      \
    X(ROUTE, "route")                                                                              \
    X(DIRECTION, "direction")                                                                      \
    X(PROTO, "proto")                                                                              \
    X(PACKETS, "packets")                                                                          \
    X(BYTES, "bytes")                                                                              \
    X(TCP_FLAGS, "tcp_flags")                                                                      \
    X(FIRST_SEEN, "first_seen")                                                                    \
    X(LAST_SEEN, "last_seen")                                                                      \
    X(CRITERIA, "criteria")

struct mm_provision_profile {
    char name[64];
    unsigned fields; /* bit i: field i of MM_PROVISION_FIELD_MAP */
    bool indicator_endpoints;
};

/* The built-in profile "default": the indicator side's address and port,
 * proto, direction, packets, bytes, tcp_flags, first_seen, last_seen, criteria. */
void mm_provision_profile_default(struct mm_provision_profile *p);
/* Read a profile file: {"name": "...", "fields": [...], "indicator_endpoints": bool}.
 * Unknown keys or fields (src_addr among them) are refused with MM_EFORMAT. */
int mm_provision_profile_load(const char *path, struct mm_provision_profile *p, struct mm_err *err);
/* The profile as JSON (for the manifest); caller owns it. */
json_t *mm_provision_profile_json(const struct mm_provision_profile *p);
/* The record reduced to the profile, keys in the contract's order; caller owns it. */
json_t *mm_provision_apply(const struct mm_provision_profile *p, const struct mm_stored_record *r);

struct mm_provision_request {
    const char *to_agency, *purpose, *reason;
    const struct mm_record_filter *filter;
    const struct mm_provision_profile *profile;
    const char *out_dir; /* created (0700); refused when it exists and is not empty */
    const char *actor, *role;
};

struct mm_provision_result {
    int64_t id, records;
    char records_sha256[65];
    char package_sha256[65]; /* SHA-256 of manifest.json, which holds records_sha256 */
};

/* Write out_dir/records.jsonl, manifest.json and manifest.sha256 (sha256sum
 * format), then record the package (a provisions row and an audit entry
 * holding its hash, never its content) in one transaction. On any failure the
 * files written are removed and nothing is recorded. */
int mm_provision_build(struct mm_store *s, const struct mm_provision_request *req,
                       struct mm_provision_result *res, struct mm_err *err);

#endif
