/* registry.h - the asset registry's domain logic (特定重要電子計算機の届出): validating and
 * normalizing asset documents, linking suppliers' shared systems to operators, deadlines,
 * versions, the overdue list, bulk import (all-or-nothing) and export. No HTTP here: callers
 * (src/server/api_assets.c, tests) hand in parsed JSON and get JSON and problem lists back.
 *
 * Problems: a JSON array the caller creates; each bad field adds
 *   {"pointer": "/cpe", "field": "cpe", "message": "..."}   (+ "row" for imports)
 * and the function returns MM_EFORMAT. Other failures return their code with err set.
 * Thread-safety: as the store handle (one per thread); settings are only read. */
#ifndef MM_REGISTRY_H
#define MM_REGISTRY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "registry/settings.h"
#include "store/orgs.h"
#include "store/registry.h"

/* Who acts: the user, its organization and what it sees. */
struct mm_actor {
    char name[128];
    enum mm_role role;
    struct mm_scope scope;
    struct mm_org org; /* org.id 0 when the user has no (valid) organization */
};
int mm_actor_for_user(struct mm_store *s, const struct mm_user *u, struct mm_actor *out,
                      struct mm_err *err);

/* Add a problem. pointer is prefix + "/" + field (field may be NULL: the prefix itself). */
void mm_problem_add(json_t *problems, const char *prefix, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- organizations ---- */

/* Check an organization against the rules (operator: one sector; ministry: one or more;
 * supplier: none; sectors from settings; name 1-100 printable characters). */
int mm_org_check(const struct mm_org *o, const struct mm_cp_settings *cfg, struct mm_err *err);
/* An organization as JSON: {"id", "name", "type", "sectors": [...]}. */
json_t *mm_org_json(const struct mm_org *o);

/* ---- assets ---- */

/* Syntax and settings checks of an asset document (no store access). *out gets the
 * normalized document (new reference) when there were no problems. prefix is the pointer of
 * the document in the request ("" for the body, "/3" for an import row). */
int mm_asset_normalize(const json_t *in, const struct mm_cp_settings *cfg, const char *prefix,
                       json_t *problems, json_t **out);

/* The day a filing is due (UTC midnight; on time through the end of that day), or
 * MM_TIME_NONE when it is not due (exempt; retired before it was due):
 *   version 1, in service before enforcement_date: enforcement_date + existing_grace_months;
 *   version 1, in service from enforcement_date on: in_service_from + change_due_days;
 *   a later version: effective_at (its changed_at) + change_due_days. */
int64_t mm_asset_due_at(const struct mm_cp_settings *cfg, int version, int64_t in_service_from_ns,
                        int64_t effective_at_ns, int64_t retired_at_ns, bool exempt);

/* Create an asset from a request body, filed by actor's organization. */
int mm_registry_create(struct mm_store *s, const struct mm_cp_settings *cfg,
                       const struct mm_actor *a, const json_t *body, int64_t now_ns, int64_t *id,
                       json_t *problems, struct mm_err *err);
/* File a new version of asset id (only its filer may; MM_ENOTFOUND outside the actor's scope,
 * MM_EDENIED for another organization that sees it). */
int mm_registry_update(struct mm_store *s, const struct mm_cp_settings *cfg,
                       const struct mm_actor *a, int64_t id, const json_t *body, int64_t now_ns,
                       int *version, json_t *problems, struct mm_err *err);
/* Import many assets: CSV (a header row naming the columns of docs/registry.md) or a JSON array
 * of asset documents, by content_type ("text/csv" or "application/json"). Every row is checked
 * before anything is stored; one problem anywhere stores nothing (MM_EFORMAT, every problem in
 * problems with its "row": CSV rows counted as a spreadsheet does, the header being row 1;
 * JSON elements from 1). On success, *ids (new reference) lists the new asset ids. One
 * transaction, which the caller must not have opened. */
int mm_registry_import(struct mm_store *s, const struct mm_cp_settings *cfg,
                       const struct mm_actor *a, const char *data, size_t len,
                       const char *content_type, int64_t now_ns, json_t **ids, json_t *problems,
                       struct mm_err *err);
/* Export the current versions in scope as CSV (same columns as import, after "id") or a JSON
 * array. *out is malloc'd. */
int mm_registry_export(struct mm_store *s, const struct mm_scope *scope, bool csv, char **out,
                       size_t *len, struct mm_err *err);
/* The CSV columns, in order (NULL-terminated). */
extern const char *const mm_asset_csv_columns[];

/* Record that the receiving ministry forwarded version (0: the current one) to the Cabinet
 * Office on forwarded_at_ns. Only a ministry that sees the asset, and the version's receiving
 * ministry when one is named (MM_EDENIED otherwise). *version_out gets the version. */
int mm_registry_forward(struct mm_store *s, const struct mm_actor *a, int64_t id, int version,
                        int64_t forwarded_at_ns, int *version_out, struct mm_err *err);

/* Overdue filings in scope at now_ns (docs/registry.md "Overdue"): {"asset_id", "version",
 * "reason": filed_late|not_forwarded|forwarded_late, "due_at", "filed_at", "forward_due_at",
 * "forwarded_at", "filer_org", "receiving_ministry"}. */
int mm_registry_overdue(struct mm_store *s, const struct mm_cp_settings *cfg,
                        const struct mm_scope *scope, int64_t now_ns, json_t **items,
                        struct mm_err *err);

#endif
