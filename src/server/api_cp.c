/* api_cp.c - shared helpers of the control plane's API handlers. */
#include "server/api_cp.h"

#include "store/registry.h"
#include "util/timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool mm_cp_start(const struct mm_api_request *req, struct mm_api_response *res,
                 const struct mm_cp_settings **cfg, struct mm_actor *a)
{
    struct mm_err err;
    mm_err_clear(&err);
    if (!(*cfg = mm_cp_settings_shared(&err))) {
        mm_api_error_from(res, &err, NULL);
        return false;
    }
    if (mm_actor_for_user(req->store, req->user, a, &err) != 0) {
        mm_api_error_from(res, &err, NULL);
        return false;
    }
    return true;
}

void mm_cp_fail(struct mm_api_response *res, int rc, const struct mm_err *err, json_t *problems)
{
    if (rc == MM_EFORMAT && json_array_size(problems) > 0) {
        json_t *first = json_array_get(problems, 0);
        const char *ptr = json_string_value(json_object_get(first, "pointer"));
        const char *msg = json_string_value(json_object_get(first, "message"));
        json_t *row = json_object_get(first, "row");
        if (row)
            mm_api_error(res, 400, ptr, "row %lld%s%s: %s (%zu problems)", (long long)json_integer_value(row),
                         json_object_get(first, "field") ? ", " : "",
                         json_object_get(first, "field") ? json_string_value(json_object_get(first, "field")) : "",
                         msg ? msg : "invalid", json_array_size(problems));
        else
            mm_api_error(res, 400, ptr ? ptr : "", "%s%s%s", ptr && *ptr ? ptr + 1 : "", ptr && *ptr ? ": " : "",
                         msg ? msg : "invalid");
        json_t *e = json_object_get(res->json, "error");
        if (e)
            json_object_set(e, "errors", problems);
        return;
    }
    struct mm_err local = *err;
    if (!local.code)
        local.code = rc;
    mm_api_error_from(res, &local, NULL);
}

bool mm_cp_query_int(const struct mm_api_request *req, struct mm_api_response *res, const char *name,
                     int64_t min, int64_t max, int64_t def, int64_t *out)
{
    const char *v = mm_api_query(req, name);
    if (!v) {
        *out = def;
        return true;
    }
    char *end;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end || x < min || x > max) {
        mm_api_error(res, 400, NULL, "query parameter %s: an integer from %lld to %lld", name, (long long)min,
                     (long long)max);
        return false;
    }
    *out = x;
    return true;
}

bool mm_cp_query_time(const struct mm_api_request *req, struct mm_api_response *res, const char *name,
                      int64_t *out)
{
    const char *v = mm_api_query(req, name);
    *out = MM_TIME_NONE;
    if (!v)
        return true;
    if (mm_time_parse_rfc3339(v, out) != 0) {
        mm_api_error(res, 400, NULL, "query parameter %s: an RFC 3339 time, e.g. 2026-11-20T09:00:00Z", name);
        return false;
    }
    return true;
}

void mm_cp_audit_read(const struct mm_api_request *req, struct mm_api_response *res,
                      const char *object, int64_t count)
{
    struct mm_err err;
    mm_err_clear(&err);
    if (mm_api_audit(req, res, object, count, "ok", &err) != 0) {
        /* An unaudited read is not answered. */
        mm_api_error_from(res, &err, NULL);
        res->audited = false;
    }
}

int mm_cp_tx_begin(const struct mm_api_request *req, struct mm_err *err)
{
    return mm_store_begin(req->store, err);
}

int mm_cp_tx_end(const struct mm_api_request *req, struct mm_api_response *res, int rc,
                 const char *object, int64_t count, struct mm_err *err)
{
    if (!rc)
        rc = mm_api_audit(req, res, object, count, "ok", err);
    if (!rc)
        rc = mm_store_commit(req->store, err);
    if (rc) {
        mm_store_rollback(req->store);
        res->audited = false; /* the entry was rolled back with the change */
    }
    return rc;
}

json_t *mm_cp_page(json_t *items, int64_t total, int64_t limit, int64_t offset)
{
    size_t n = json_array_size(items);
    json_t *last = n ? json_object_get(json_array_get(items, n - 1), "id") : NULL;
    char next[24];
    if (last)
        snprintf(next, sizeof next, "%lld", (long long)json_integer_value(last));
    return json_pack("{s:o, s:I, s:I, s:I, s:o}", "items", items, "total", (json_int_t)total, "limit",
                     (json_int_t)limit, "offset", (json_int_t)offset, "next",
                     last && offset + (int64_t)n < total ? json_string(next) : json_null());
}

void mm_cp_create(const struct mm_api_request *req, struct mm_api_response *res, const char *kind,
                  const char *collection, mm_cp_create_fn create)
{
    const struct mm_cp_settings *cfg;
    struct mm_actor a;
    if (!mm_cp_start(req, res, &cfg, &a))
        return;
    struct mm_err err;
    mm_err_clear(&err);
    json_t *problems = json_array();
    int64_t id = 0;
    char object[64];
    snprintf(object, sizeof object, "%s:?", kind);
    int rc = mm_cp_tx_begin(req, &err);
    if (!rc) {
        rc = create(req->store, cfg, &a, req->json, req->now_ns, &id, problems, &err);
        snprintf(object, sizeof object, "%s:%lld", kind, (long long)id);
        rc = mm_cp_tx_end(req, res, rc, object, 1, &err);
    }
    if (rc) {
        mm_cp_fail(res, rc, &err, problems);
    } else {
        res->status = 201;
        res->json = json_pack("{s:I, s:i}", "id", (json_int_t)id, "version", 1);
        mm_api_header(res, "Location", "%s/%lld", collection, (long long)id);
    }
    json_decref(problems);
}

bool mm_cp_new_version(const struct mm_api_request *req, struct mm_api_response *res,
                       const char *kind, int64_t id, mm_cp_version_fn add, int *version)
{
    const struct mm_cp_settings *cfg;
    struct mm_actor a;
    if (!mm_cp_start(req, res, &cfg, &a))
        return false;
    struct mm_err err;
    mm_err_clear(&err);
    json_t *problems = json_array();
    char object[64];
    snprintf(object, sizeof object, "%s:%lld", kind, (long long)id);
    int rc = mm_cp_tx_begin(req, &err);
    if (!rc) {
        rc = add(req->store, cfg, &a, id, req->json, req->now_ns, version, problems, &err);
        rc = mm_cp_tx_end(req, res, rc, object, 1, &err);
    }
    if (rc)
        mm_cp_fail(res, rc, &err, problems);
    json_decref(problems);
    return rc == 0;
}
