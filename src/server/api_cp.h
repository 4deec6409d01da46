/* api_cp.h - what the control plane's handlers (api_orgs.c, api_assets.c, api_reports.c) share:
 * settings and the acting organization for a request, problem lists as error responses,
 * audited writes in one transaction, query parameter parsing. */
#ifndef MM_API_CP_H
#define MM_API_CP_H

#include "registry/registry.h"
#include "server/api.h"

/* The settings and the actor of req; false (with res set to an error) when unavailable. */
bool mm_cp_start(const struct mm_api_request *req, struct mm_api_response *res,
                 const struct mm_cp_settings **cfg, struct mm_actor *a);
/* Answer a failure: with problems (MM_EFORMAT and a non-empty list) a 400 whose "error" names
 * the first problem's pointer and whose "error.errors" lists every problem; else from err. */
void mm_cp_fail(struct mm_api_response *res, int rc, const struct mm_err *err, json_t *problems);
/* Read an integer query parameter in [min, max] (absent: def). false with res set (400). */
bool mm_cp_query_int(const struct mm_api_request *req, struct mm_api_response *res, const char *name,
                     int64_t min, int64_t max, int64_t def, int64_t *out);
/* An RFC 3339 query parameter (absent: MM_TIME_NONE); false with res set (400). */
bool mm_cp_query_time(const struct mm_api_request *req, struct mm_api_response *res, const char *name,
                      int64_t *out);
/* Audit a successful read of object ("asset:12", or a filter as JSON) touching count objects. */
void mm_cp_audit_read(const struct mm_api_request *req, struct mm_api_response *res,
                      const char *object, int64_t count);
/* Open the write transaction; commit it with its audit entry (object, count) when rc is 0, or
 * roll back. Returns the final rc (err set). */
int mm_cp_tx_begin(const struct mm_api_request *req, struct mm_err *err);
int mm_cp_tx_end(const struct mm_api_request *req, struct mm_api_response *res, int rc,
                 const char *object, int64_t count, struct mm_err *err);
/* The domain's write functions (registry and reports share these shapes). */
typedef int (*mm_cp_create_fn)(struct mm_store *s, const struct mm_cp_settings *cfg,
                               const struct mm_actor *a, const json_t *body, int64_t now_ns,
                               int64_t *id, json_t *problems, struct mm_err *err);
typedef int (*mm_cp_version_fn)(struct mm_store *s, const struct mm_cp_settings *cfg,
                                const struct mm_actor *a, int64_t id, const json_t *body,
                                int64_t now_ns, int *version, json_t *problems, struct mm_err *err);
/* Create an object ("asset", "report") from the request body in one audited transaction; answers
 * 201 {"id", "version": 1} with Location "<collection>/<id>", or the problems. */
void mm_cp_create(const struct mm_api_request *req, struct mm_api_response *res, const char *kind,
                  const char *collection, mm_cp_create_fn create);
/* Add a version to object id in one audited transaction. Returns true with *version set (the
 * caller answers), or false with the error answered. */
bool mm_cp_new_version(const struct mm_api_request *req, struct mm_api_response *res,
                       const char *kind, int64_t id, mm_cp_version_fn add, int *version);
/* {"items": items, "total", "limit", "offset", "next": the cursor for the next page (the last
 * id, as a string) or null}. items stolen. */
json_t *mm_cp_page(json_t *items, int64_t total, int64_t limit, int64_t offset);

#endif
