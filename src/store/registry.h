/* registry.h - the asset registry's store (特定重要電子計算機の届出): assets, their immutable
 * versions (filings) and the organizations each is linked to. Backend-agnostic; SQLite in
 * registry_sqlite.c. Validation is src/registry/'s job: these functions store what they get.
 *
 * Every function runs inside the caller's transaction when one is open, else in its own.
 * Not thread-safe (one store handle). JSON results are new references the caller decrefs. */
#ifndef MM_STORE_REGISTRY_H
#define MM_STORE_REGISTRY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/orgs.h"

#define MM_TIME_NONE INT64_MIN /* an absent date */

/* One validated filing (version) of an asset. */
struct mm_asset_filing {
    const char *doc_json; /* the normalized asset document (a JSON object) */
    const char *category, *vendor, *product, *cpe; /* copies of doc fields for filtering */
    bool exempt;
    int64_t in_service_from_ns;
    int64_t retired_at_ns;      /* MM_TIME_NONE: in service */
    int64_t effective_at_ns;    /* when the described state took effect ("as of" queries) */
    int64_t due_at_ns;          /* when this filing was due; MM_TIME_NONE: not due (exempt) */
    int64_t receiving_ministry; /* 0: none */
    const int64_t *orgs;        /* every linked organization: the filer and the operators */
    size_t norgs;
};

/* Create an asset with version 1. */
int mm_store_asset_create(struct mm_store *s, int64_t filer_org, const struct mm_asset_filing *f,
                          const char *actor, int64_t now_ns, int64_t *id, struct mm_err *err);
/* Add the next version; links are replaced by f's. *version gets its number. MM_ENOTFOUND for
 * an unknown asset. */
int mm_store_asset_add_version(struct mm_store *s, int64_t id, int64_t filer_org,
                               const struct mm_asset_filing *f, const char *actor, int64_t now_ns,
                               int *version, struct mm_err *err);

/* One version as the API shows it: the document plus "id", "version", "filer_org",
 * "filed_at", "filed_by", "effective_at", "due_at", "forwarded_to_cabinet_office_at",
 * "forwarded_by". as_of_ns MM_TIME_NONE: the current version; otherwise the version with the
 * latest effective_at <= as_of_ns. MM_ENOTFOUND when the asset is outside scope or did not
 * exist then. */
int mm_store_asset_get(struct mm_store *s, const struct mm_scope *scope, int64_t id,
                       int64_t as_of_ns, json_t **out, struct mm_err *err);
/* Every version, oldest first, as a JSON array. MM_ENOTFOUND outside scope. */
int mm_store_asset_history(struct mm_store *s, const struct mm_scope *scope, int64_t id,
                           json_t **out, struct mm_err *err);

struct mm_asset_filter {
    const char *category, *vendor, *product; /* exact; NULL: any */
    const char *cpe_prefix;                  /* NULL: any */
    int64_t org;                             /* linked organization; 0: any */
    int exempt;                              /* -1 any, 0, 1 */
    int retired;                             /* -1 any, 0 in service, 1 retired */
    int64_t after_id;                        /* cursor: ids greater than this; 0: from the start */
    int64_t limit, offset;
};
/* Current versions in id order, scoped and filtered; *total counts every match. */
int mm_store_asset_list(struct mm_store *s, const struct mm_scope *scope,
                        const struct mm_asset_filter *f, json_t **items, int64_t *total,
                        struct mm_err *err);

/* Record that version of asset id was forwarded to the Cabinet Office on forwarded_at_ns.
 * MM_ENOTFOUND for an unknown version, MM_ECONFLICT when it was forwarded already. */
int mm_store_asset_forward(struct mm_store *s, int64_t id, int version, int64_t forwarded_at_ns,
                           const char *actor, struct mm_err *err);

/* One filing's deadline facts, for the overdue list. */
struct mm_filing_info {
    int64_t asset_id;
    int version;
    int64_t filer_org, receiving_ministry;
    int64_t filed_at_ns, due_at_ns, forwarded_at_ns; /* MM_TIME_NONE when absent */
    int64_t retired_at_ns;
    bool exempt;
};
typedef int (*mm_filing_cb)(void *ctx, const struct mm_filing_info *f);
/* Every filing in scope, by asset and version. */
int mm_store_asset_filings(struct mm_store *s, const struct mm_scope *scope, mm_filing_cb cb,
                           void *ctx, struct mm_err *err);

/* 0 when asset id exists within scope; MM_ENOTFOUND otherwise. */
int mm_store_asset_visible(struct mm_store *s, const struct mm_scope *scope, int64_t id,
                           struct mm_err *err);

#endif
