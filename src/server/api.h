/* api.h - the contract between `mamori serve` (HTTP, routing, auth, audit) and the thin API
 * handlers of the domain modules (src/server/api_*.c). A handler sees one authenticated,
 * authorized, size-checked, parsed request and fills in one response; it never touches HTTP.
 *
 * What the server does BEFORE a handler runs (see docs/api.md "Conventions"):
 *   - matches the route (method + pattern; "{name}" matches one non-empty path segment);
 *   - authenticates `Authorization: Bearer <token>` (401 otherwise) and checks the route's
 *     action in the ONE authorization table, src/auth/authz.h (403 otherwise; both audited);
 *   - enforces the body size limit (413), the content type (415: POST/PUT/PATCH need
 *     application/json unless the route has MM_API_RAW_BODY) and parses JSON with jansson
 *     (JSON_REJECT_DUPLICATES; malformed JSON or invalid UTF-8 is 400 with pointer "").
 * What it does AFTER:
 *   - serializes res->json (or sends res->body), frees both;
 *   - writes ONE audit entry for the request (actor, role, action = the route's action name,
 *     object = "METHOD /path", outcome from the status) unless the handler wrote its own with
 *     mm_api_audit() (do that when a write and its audit entry must commit in one transaction).
 *
 * Threads: handlers run concurrently on the server's worker threads. req->store is a
 * connection private to the calling thread for the duration of the call: use it freely
 * (transactions included), never keep it, never share it. Handlers keep no mutable globals.
 *
 * Ownership: everything in *req is borrowed for the call. Everything put in *res (json, body,
 * header values) is owned by the server after the handler returns and freed by it.
 */
#ifndef MM_SERVER_API_H
#define MM_SERVER_API_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/authz.h"
#include "store/store.h"
#include "util/error.h"

#define MM_API_MAX_PATH_PARAMS 4
#define MM_API_MAX_HEADERS 4

struct mm_api_request {
    const char *method;  /* "GET", "POST", ... */
    const char *path;    /* decoded path, without the query string: "/api/v1/assets/12" */
    const char *path_params[MM_API_MAX_PATH_PARAMS]; /* the "{...}" segments, in pattern order */
    size_t npath_params;
    const char *body;          /* raw body, NUL-terminated for convenience; NULL when empty */
    size_t body_len;           /* <= the server's body limit */
    const char *content_type;  /* media type only, lower case, no parameters ("text/csv"); or NULL */
    json_t *json;              /* parsed JSON body (borrowed; do not decref), or NULL when no body
                                  or the route has MM_API_RAW_BODY */
    struct mm_store *store;    /* this thread's store connection (see "Threads" above) */
    const struct mm_user *user; /* the token's user: name, role, org; NULL only on MM_API_PUBLIC routes */
    enum mm_action action;     /* the route's action (already allowed for user->role) */
    int64_t now_ns;            /* when the request arrived (UTC, ns since the epoch) */
    void *impl;                /* the server's; do not touch */
};

struct mm_api_response {
    int status;        /* HTTP status; 0 means 200 (or 204 when there is no json and no body) */
    json_t *json;      /* a JSON document to send (the server decrefs it), or NULL */
    char *body;        /* or: raw bytes from malloc (the server frees them) ... */
    size_t body_len;
    const char *content_type; /* ... with this type (a string literal), e.g. "text/csv; charset=utf-8" */
    /* Extra headers ("Location", "Content-Disposition"): set with mm_api_header(). */
    struct {
        const char *name; /* a string literal */
        char *value;      /* malloc'd by mm_api_header */
    } headers[MM_API_MAX_HEADERS];
    size_t nheaders;
    bool audited; /* set by mm_api_audit(): the server then writes no entry of its own */
};

/* A handler: read *req, fill *res. Errors go through mm_api_error(). */
typedef void (*mm_api_handler)(const struct mm_api_request *req, struct mm_api_response *res);

enum {
    MM_API_PUBLIC = 1u << 0,   /* no token needed (health only); action is ignored, nothing audited */
    MM_API_RAW_BODY = 1u << 1, /* any content type; body not parsed (CSV import): check it yourself */
};

struct mm_api_route {
    const char *method;  /* "GET", "POST", "PUT", "PATCH", "DELETE" */
    const char *pattern; /* "/api/v1/assets/{id}/history": literal segments and "{name}" segments */
    enum mm_action action;
    mm_api_handler handler;
    unsigned flags; /* MM_API_* */
};

/* ---- route tables ----
 * Each domain module defines ONE table, terminated by an all-zero row {0}:
 *
 *     const struct mm_api_route mm_api_routes_assets[] = {
 *         {"POST", "/api/v1/assets", MM_ACT_ASSET_WRITE, api_asset_create, 0},
 *         {"GET", "/api/v1/assets/{id}", MM_ACT_ASSET_READ, api_asset_get, 0},
 *         {0},
 *     };
 *
 * router.c refers to them weakly (#pragma weak), so the server links, and the router skips a
 * table, before a module exists; the mamori binary links the core library whole (CMake
 * WHOLE_ARCHIVE) so a table that is defined is always picked up. (Other binaries that link the
 * archive normally, like mamori-unit, see a module's table only if they name it themselves.) The router tries the tables in the order below and the
 * rows in table order; the first row whose method and pattern match wins (put literal
 * segments like "/api/v1/reports/overdue" before "/api/v1/reports/{id}"). A path that matches
 * a pattern with another method is 405. A new module adds its table here and to
 * mm_api_route_tables() in router.c. */
extern const struct mm_api_route mm_api_routes_server[];  /* router.c: health, me, audit head */
extern const struct mm_api_route mm_api_routes_orgs[];    /* api_orgs.c */
extern const struct mm_api_route mm_api_routes_assets[];  /* api_assets.c: /assets, /registry */
extern const struct mm_api_route mm_api_routes_reports[]; /* api_reports.c */

/* ---- helpers for handlers (thread-safe) ---- */

/* The decoded query parameter name (first occurrence), or NULL when absent or given without a
 * value ("?a"). */
const char *mm_api_query(const struct mm_api_request *req, const char *name);

/* Path parameter i as a positive int64 id. 0, or MM_EINVAL when it is not one (answer 404). */
int mm_api_param_id(const struct mm_api_request *req, size_t i, int64_t *out);

/* Set an error response: status and
 *   {"error": {"status": 400, "message": "...", "pointer": "/indicators/2/value"}}
 * pointer is an RFC 6901 JSON pointer into the request body naming the bad field ("" for the
 * whole body; NULL for no pointer, e.g. on 404). Replaces any json/body already set. Messages
 * are for people; never put another organization's data or record content in them. */
void mm_api_error(struct mm_api_response *res, int status, const char *pointer, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Map a store/domain error to a response: MM_EINVAL/MM_EFORMAT 400, MM_ENOTFOUND 404,
 * MM_EDENIED 403, MM_ECONFLICT 409, MM_EFULL 413, anything else 500 (whose detail goes to
 * the server log, not to the client). pointer as for mm_api_error. */
void mm_api_error_from(struct mm_api_response *res, const struct mm_err *err, const char *pointer);

/* Add a response header (value copied). 0, or MM_EFULL past MM_API_MAX_HEADERS. */
int mm_api_header(struct mm_api_response *res, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Write this request's audit entry now, through req->store (so inside the handler's open
 * transaction when there is one), and mark res->audited. object: JSON or text naming what was
 * touched (NULL: "METHOD /path"); count: objects touched; outcome: "ok", "denied", "refused",
 * "error". 0, or an error code with err set. */
int mm_api_audit(const struct mm_api_request *req, struct mm_api_response *res, const char *object,
                 int64_t count, const char *outcome, struct mm_err *err);

/* ---- for the server itself ---- */

/* The route tables in router order (NULL entries for modules not linked in); *n set. */
const struct mm_api_route *const *mm_api_route_tables(size_t *n);

#endif
