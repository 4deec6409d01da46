/* authz.h - roles and the one authorization table (role x action) that the CLI and the server share. */
#ifndef MM_AUTHZ_H
#define MM_AUTHZ_H

#include <stdbool.h>

/* The roles of MISSION.md. */
#define MM_ROLE_MAP(X)                                                                             \
    X(ANALYST, "analyst")                                                                          \
    X(COMMITTEE, "committee")                                                                      \
    X(OPERATOR, "operator")                                                                        \
    X(SUPPLIER, "supplier")                                                                        \
    X(MINISTRY, "ministry")                                                                        \
    X(COUNCIL_MEMBER, "council_member")                                                            \
    X(ADMIN, "admin")

enum mm_role {
#define MM_ROLE_ENUM_(name, str) MM_ROLE_##name,
    MM_ROLE_MAP(MM_ROLE_ENUM_)
#undef MM_ROLE_ENUM_
    MM_ROLE_COUNT
};

#define R_(name) (1u << MM_ROLE_##name)
#define R_ALL_ ((1u << MM_ROLE_COUNT) - 1u)
/* Every protected action and the roles allowed to take it. This table is
 * the whole authorization policy: nothing else grants access.
 *   action name          roles                                    */
#define MM_ACTION_MAP(X)                                                                           \
    X(USER_ADD, "user.add", R_(ADMIN))                                                             \
    X(USER_LIST, "user.list", R_(ADMIN))                                                           \
    X(RECORDS_WRITE, "records.write", R_(ANALYST))                                                 \
    X(RECORDS_QUERY, "records.query", R_(ANALYST) | R_(COMMITTEE))                                 \
    X(RECORDS_PROVIDE, "records.provide", R_(ANALYST))                                             \
    X(RECORDS_ERASE, "records.erase", R_(ADMIN))                                                   \
    X(HOLD_REQUEST, "hold.request", R_(ANALYST))                                                   \
    X(HOLD_APPROVE, "hold.approve", R_(COMMITTEE))                                                 \
    X(REIDENTIFY_APPROVE, "reidentify.approve", R_(COMMITTEE))                                     \
    X(REIDENTIFY, "reidentify", R_(ANALYST))                                                       \
    X(CRITERIA_PROPOSE, "criteria.propose", R_(ANALYST))                                           \
    X(CRITERIA_DECIDE, "criteria.decide", R_(COMMITTEE))                                           \
    X(CRITERIA_REVOKE, "criteria.revoke", R_(COMMITTEE))                                           \
    X(CRITERIA_LIST, "criteria.list", R_(ANALYST) | R_(COMMITTEE))                                 \
    X(POLICY_ISSUE, "policy.issue", R_(COMMITTEE))                                                 \
    X(AGREEMENT_WRITE, "agreement.write", R_(COMMITTEE) | R_(ANALYST))                             \
    X(AGREEMENT_READ, "agreement.read", R_(COMMITTEE) | R_(ANALYST))                               \
    X(AUDIT_READ, "audit.read", R_(COMMITTEE) | R_(ADMIN))                                         \
    X(STORE_CHECK, "store.check", R_(ADMIN) | R_(COMMITTEE))                                       \
    X(REPORT_TRANSPARENCY, "report.transparency", R_(COMMITTEE) | R_(ANALYST) | R_(ADMIN))        \
    /* organizations, the asset registry and incident reports: what each role  */                \
    /* sees of the objects is narrowed further by organization (store/orgs.h). */                \
    X(ORG_ADD, "org.add", R_(ADMIN))                                                               \
    X(ORG_LIST, "org.list",                                                                        \
      R_(ADMIN) | R_(ANALYST) | R_(COMMITTEE) | R_(OPERATOR) | R_(SUPPLIER) | R_(MINISTRY))         \
    X(ASSET_WRITE, "asset.write", R_(OPERATOR) | R_(SUPPLIER))                                     \
    X(ASSET_READ, "asset.read",                                                                    \
      R_(ANALYST) | R_(COMMITTEE) | R_(OPERATOR) | R_(SUPPLIER) | R_(MINISTRY))                    \
    X(ASSET_FORWARD, "asset.forward", R_(MINISTRY))                                                \
    X(INCIDENT_FILE, "incident.file", R_(OPERATOR) | R_(SUPPLIER))                                 \
    X(INCIDENT_READ, "incident.read",                                                              \
      R_(ANALYST) | R_(COMMITTEE) | R_(OPERATOR) | R_(SUPPLIER) | R_(MINISTRY))                    \
    X(INCIDENT_STATS, "incident.stats", R_(ANALYST) | R_(COMMITTEE) | R_(MINISTRY))                \
    X(INCIDENT_PROPOSE, "incident.propose_criteria", R_(ANALYST))        \
    X(ME_READ, "me.read", R_ALL_)

enum mm_action {
#define MM_ACTION_ENUM_(name, str, roles) MM_ACT_##name,
    MM_ACTION_MAP(MM_ACTION_ENUM_)
#undef MM_ACTION_ENUM_
    MM_ACT_COUNT
};

const char *mm_role_name(enum mm_role r);
/* 0 and *out on success, MM_EINVAL for an unknown name. */
int mm_role_parse(const char *name, enum mm_role *out);
const char *mm_action_name(enum mm_action a);
bool mm_authz_allowed(enum mm_role r, enum mm_action a);

#endif
