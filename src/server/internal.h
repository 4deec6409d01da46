/* internal.h - what the server's own files (http.c, router.c, auth.c, static.c, pool.c) share;
 * handlers use api.h only. */
#ifndef MM_SERVER_INTERNAL_H
#define MM_SERVER_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/api.h"
#include "store/store.h"

/* ---- store connections (pool.c) ----
 * SQLite connections are never used by two threads at once: a request takes
 * one from the pool for as long as it runs and gives it back. The pool opens
 * connections lazily, up to max; get() waits when all are busy. Thread-safe. */
struct mm_store_pool;
int mm_store_pool_new(const char *path, size_t max, struct mm_store_pool **out, struct mm_err *err);
int mm_store_pool_get(struct mm_store_pool *p, struct mm_store **out, struct mm_err *err);
/* Give a connection back (any open transaction is rolled back first). */
void mm_store_pool_put(struct mm_store_pool *p, struct mm_store *s);
/* Close every connection; all must have been given back. */
void mm_store_pool_free(struct mm_store_pool *p);

/* ---- routing (router.c) ---- */
struct mm_route_match {
    const struct mm_api_route *route;
    const char *params[MM_API_MAX_PATH_PARAMS]; /* point into the scratch copy given to find */
    size_t nparams;
    char allow[64]; /* on 405: the methods that would match, for the Allow header */
};
/* Match method and path against every route table. scratch (at least
 * strlen(path) + 1 bytes) receives a copy of path that params point into.
 * Returns 0 with m->route set, 404 when no pattern matches, 405 when a
 * pattern matches with another method. */
int mm_route_find(const char *method, const char *path, char *scratch, struct mm_route_match *m);
/* {"error": {...}} as mm_api_error builds it; new reference. */
json_t *mm_api_error_json(int status, const char *pointer, const char *message);
/* The audit outcome for a final status: "ok", "denied", "refused", "error". */
const char *mm_api_outcome(int status);

/* ---- authentication (auth.c) ---- */
/* Authenticate the Authorization header's bearer token and check action for
 * the user's role. 0 with *user filled when allowed; otherwise the HTTP
 * status (401 no/unknown token, 403 role not allowed, 500 store failure)
 * with *msg set to a message for the client, after writing the denial to
 * the audit log (object: "METHOD /path") while holding write_mu (may be NULL). */
int mm_auth_request(struct mm_store *st, const char *authorization, enum mm_action action,
                    const char *object, pthread_mutex_t *write_mu, struct mm_user *user, const char **msg,
                    struct mm_err *err);
/* Append one audit entry for an API request. */
int mm_auth_audit(struct mm_store *st, const struct mm_user *user, enum mm_action action, const char *object,
                  int64_t count, const char *outcome, struct mm_err *err);

/* ---- static files (static.c) ---- */
/* Resolve the decoded URL path under root (a realpath) and open the file:
 * "/" and directories serve their index.html; never a listing; "..", ".",
 * backslashes, NUL and anything whose realpath leaves root are refused.
 * 0 with *fd (the caller closes it), *size and *content_type; or 404/400. */
int mm_static_open(const char *root, const char *url_path, int *fd, uint64_t *size,
                   const char **content_type);

#endif
