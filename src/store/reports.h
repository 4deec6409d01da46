/* reports.h - the incident report store (特定侵害事象等の報告): incidents and their immutable,
 * numbered versions (initial, update..., final), linked to the reporter and the operators
 * reported for. Backend-agnostic; SQLite in reports_sqlite.c. src/reports/ validates.
 *
 * Every function runs inside the caller's transaction when one is open, else in its own.
 * Not thread-safe (one store handle). JSON results are new references the caller decrefs. */
#ifndef MM_STORE_REPORTS_H
#define MM_STORE_REPORTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/orgs.h"
#include "store/registry.h"

struct mm_incident_filing {
    const char *kind;     /* statutory, voluntary (creation only) */
    int64_t aware_at_ns;  /* creation only: the deadline clock */
    const char *stage;    /* initial, update, final */
    const char *doc_json; /* the full document as of this version (a JSON object) */
    const int64_t *orgs;  /* organizations to link (reporter, reported_for); links only grow */
    size_t norgs;
};

int mm_store_incident_create(struct mm_store *s, int64_t reporter_org,
                             const struct mm_incident_filing *f, const char *actor, int64_t now_ns,
                             int64_t *id, struct mm_err *err);
/* Add the next version. MM_ENOTFOUND for an unknown incident; MM_ECONFLICT when it is closed
 * (has a final version). *version gets the new number. */
int mm_store_incident_add_version(struct mm_store *s, int64_t id, const struct mm_incident_filing *f,
                                  const char *actor, int64_t now_ns, int *version,
                                  struct mm_err *err);

/* An incident: {"id", "reporter_org", "kind", "status": open|closed, "aware_at", "created_at",
 * "latest_version", "final_at", "versions": [{"version", "stage", "submitted_at",
 * "submitted_by", "report": {document}}...]} (versions only with with_versions; otherwise
 * "report" holds the latest document). MM_ENOTFOUND outside scope. */
int mm_store_incident_get(struct mm_store *s, const struct mm_scope *scope, int64_t id,
                          bool with_versions, json_t **out, struct mm_err *err);

struct mm_incident_filter {
    const char *kind;   /* NULL: any */
    const char *status; /* open, closed, NULL: any */
    const char *sector; /* an operator linked to it is in this sector; NULL: any */
    int64_t org;        /* reporter or reported for; 0: any */
    int64_t aware_from_ns, aware_to_ns; /* MM_TIME_NONE: unbounded */
    int64_t after_id;
    int64_t limit, offset;
};
/* Incidents in id order, each as mm_store_incident_get without versions. */
int mm_store_incident_list(struct mm_store *s, const struct mm_scope *scope,
                           const struct mm_incident_filter *f, json_t **items, int64_t *total,
                           struct mm_err *err);

/* One incident's deadline and counting facts. */
struct mm_incident_info {
    int64_t id, reporter_org;
    const char *kind;
    int64_t aware_at_ns, created_at_ns, final_at_ns; /* final: MM_TIME_NONE while open */
    const char *sectors; /* the linked operators' sectors, comma-separated, sorted, unique */
};
typedef int (*mm_incident_cb)(void *ctx, const struct mm_incident_info *i);
/* Every incident in scope (kind NULL: both kinds), by id; pointers valid during the call. */
int mm_store_incident_rows(struct mm_store *s, const struct mm_scope *scope, const char *kind,
                           mm_incident_cb cb, void *ctx, struct mm_err *err);

#endif
