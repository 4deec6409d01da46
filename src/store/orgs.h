/* orgs.h - organizations (operators, suppliers, ministries) and the scope that decides which
 * registry and report objects a user may see. Backend-agnostic; SQLite in orgs_sqlite.c. */
#ifndef MM_STORE_ORGS_H
#define MM_STORE_ORGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/error.h"

#define MM_ORG_TYPE_MAP(X)                                                                         \
    X(OPERATOR, "operator")                                                                        \
    X(SUPPLIER, "supplier")                                                                        \
    X(MINISTRY, "ministry")

enum mm_org_type {
#define MM_ORG_TYPE_ENUM_(name, str) MM_ORG_##name,
    MM_ORG_TYPE_MAP(MM_ORG_TYPE_ENUM_)
#undef MM_ORG_TYPE_ENUM_
        MM_ORG_TYPE_COUNT
};
const char *mm_org_type_name(enum mm_org_type t);
/* 0, or MM_EINVAL for an unknown name. */
int mm_org_type_parse(const char *name, enum mm_org_type *out);

#define MM_ORG_NAME_MAX 100
#define MM_ORG_SECTORS_MAX 32
#define MM_SECTOR_ID_MAX 63

/* An operator has exactly one sector, a ministry the sectors it oversees, a
 * supplier none (src/registry/org.c checks this before the store sees it). */
struct mm_org {
    int64_t id; /* assigned by mm_store_org_add */
    char name[MM_ORG_NAME_MAX + 1];
    enum mm_org_type type;
    size_t nsectors;
    char sectors[MM_ORG_SECTORS_MAX][MM_SECTOR_ID_MAX + 1];
};

/* Add a checked organization; *id gets its id. MM_ECONFLICT when the name exists. Inside the
 * caller's transaction when one is open. */
int mm_store_org_add(struct mm_store *s, const struct mm_org *o, const char *actor, int64_t now_ns,
                     int64_t *id, struct mm_err *err);
/* MM_ENOTFOUND when there is no such organization. */
int mm_store_org_get(struct mm_store *s, int64_t id, struct mm_org *out, struct mm_err *err);
int mm_store_org_by_name(struct mm_store *s, const char *name, struct mm_org *out, struct mm_err *err);

/* ---- scope: which organizations' objects a user sees ----
 * ALL      analyst, committee: everything.
 * ORG      operator, supplier: objects its organization is linked to (an asset it filed or that
 *          was filed for it; a report it filed or that was filed for it).
 * SECTORS  ministry: objects linked to an operator in one of the ministry's sectors (and its own).
 * NONE     anyone else (admin, council_member, a user without an organization): nothing.
 * An object outside the scope does not exist for the user (404, never 403). */
enum mm_scope_kind { MM_SCOPE_NONE = 0, MM_SCOPE_ALL = 1, MM_SCOPE_ORG = 2, MM_SCOPE_SECTORS = 3 };

struct mm_scope {
    enum mm_scope_kind kind;
    int64_t org_id; /* ORG, SECTORS: the user's organization */
    enum mm_org_type org_type;
};

/* The scope of a user: by role, and by the organization named in users.org. An operator,
 * supplier or ministry user whose organization is missing or of another type gets NONE. */
int mm_scope_for_user(struct mm_store *s, const struct mm_user *u, struct mm_scope *out,
                      struct mm_err *err);
/* A scope for acting as organization org (its own objects only). */
void mm_scope_of_org(const struct mm_org *org, struct mm_scope *out);

typedef int (*mm_org_cb)(void *ctx, const struct mm_org *o);
/* Organizations in id order that scope may know of: ALL every one; an operator itself; a
 * supplier itself and every operator (to file for them); a ministry itself and the operators
 * of its sectors; NULL scope: every one. A nonzero callback return stops and is returned. */
int mm_store_org_list(struct mm_store *s, const struct mm_scope *scope, mm_org_cb cb, void *ctx,
                      struct mm_err *err);

#endif
