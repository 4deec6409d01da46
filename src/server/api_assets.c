/* api_assets.c - /api/v1/assets and /api/v1/registry: the asset registry's thin HTTP handlers
 * over src/registry/ (docs/registry.md). */
#include "server/api_cp.h"

#include "util/datefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool asset_id(const struct mm_api_request *req, struct mm_api_response *res, int64_t *id)
{
    if (mm_api_param_id(req, 0, id) != 0) {
        mm_api_error(res, 404, NULL, "no such asset");
        return false;
    }
    return true;
}

/* POST /api/v1/assets -> 201 {"id", "version": 1} */
static void asset_create(const struct mm_api_request *req, struct mm_api_response *res)
{
    mm_cp_create(req, res, "asset", "/api/v1/assets", mm_registry_create);
}

/* PUT /api/v1/assets/{id}: a new version -> {"id", "version"} */
static void asset_update(const struct mm_api_request *req, struct mm_api_response *res)
{
    int64_t id;
    int version = 0;
    if (asset_id(req, res, &id) && mm_cp_new_version(req, res, "asset", id, mm_registry_update, &version))
        res->json = json_pack("{s:I, s:i}", "id", (json_int_t)id, "version", version);
}

/* The reads of one asset: its id, ?as_of=RFC3339 (MM_TIME_NONE when absent) and the caller. */
static bool asset_read_start(const struct mm_api_request *req, struct mm_api_response *res, int64_t *id,
                             int64_t *as_of, struct mm_actor *a)
{
    const struct mm_cp_settings *cfg;
    return asset_id(req, res, id) && mm_cp_query_time(req, res, "as_of", as_of) &&
           mm_cp_start(req, res, &cfg, a);
}

static void asset_read_audit(const struct mm_api_request *req, struct mm_api_response *res, int64_t id)
{
    char object[64];
    snprintf(object, sizeof object, "asset:%lld", (long long)id);
    mm_cp_audit_read(req, res, object, 1);
}

/* GET /api/v1/assets/{id}[?as_of=RFC3339] */
static void asset_get(const struct mm_api_request *req, struct mm_api_response *res)
{
    struct mm_actor a;
    int64_t id, as_of;
    if (!asset_read_start(req, res, &id, &as_of, &a))
        return;
    struct mm_err err;
    mm_err_clear(&err);
    json_t *doc;
    if (mm_store_asset_get(req->store, &a.scope, id, as_of, &doc, &err) != 0) {
        mm_api_error_from(res, &err, NULL);
        return;
    }
    res->json = doc;
    asset_read_audit(req, res, id);
}

/* GET /api/v1/assets/{id}/history[?as_of=RFC3339]: every version, or the one in force then. */
static void asset_history(const struct mm_api_request *req, struct mm_api_response *res)
{
    struct mm_actor a;
    int64_t id, as_of;
    if (!asset_read_start(req, res, &id, &as_of, &a))
        return;
    struct mm_err err;
    mm_err_clear(&err);
    json_t *out;
    int rc = as_of == MM_TIME_NONE ? mm_store_asset_history(req->store, &a.scope, id, &out, &err)
                                   : mm_store_asset_get(req->store, &a.scope, id, as_of, &out, &err);
    if (rc) {
        mm_api_error_from(res, &err, NULL);
        return;
    }
    res->json = as_of == MM_TIME_NONE ? json_pack("{s:I, s:o}", "id", (json_int_t)id, "versions", out)
                                      : json_pack("{s:I, s:s, s:o}", "id", (json_int_t)id, "as_of",
                                                  mm_api_query(req, "as_of"), "version", out);
    asset_read_audit(req, res, id);
}

static bool query_bool(const struct mm_api_request *req, struct mm_api_response *res, const char *name,
                       int *out)
{
    const char *v = mm_api_query(req, name);
    *out = -1;
    if (!v)
        return true;
    if (!strcmp(v, "true") || !strcmp(v, "1"))
        *out = 1;
    else if (!strcmp(v, "false") || !strcmp(v, "0"))
        *out = 0;
    else {
        mm_api_error(res, 400, NULL, "query parameter %s: true or false", name);
        return false;
    }
    return true;
}

/* GET /api/v1/assets?category=&vendor=&product=&cpe=&org=&exempt=&retired=&limit=&offset=&cursor= */
static void asset_list(const struct mm_api_request *req, struct mm_api_response *res)
{
    const struct mm_cp_settings *cfg;
    struct mm_actor a;
    struct mm_asset_filter f = {.category = mm_api_query(req, "category"),
                                .vendor = mm_api_query(req, "vendor"),
                                .product = mm_api_query(req, "product"),
                                .cpe_prefix = mm_api_query(req, "cpe")};
    if (!mm_cp_query_int(req, res, "limit", 1, 1000, 100, &f.limit) ||
        !mm_cp_query_int(req, res, "offset", 0, INT64_MAX / 2, 0, &f.offset) ||
        !mm_cp_query_int(req, res, "cursor", 0, INT64_MAX, 0, &f.after_id) ||
        !mm_cp_query_int(req, res, "org", 0, INT64_MAX, 0, &f.org) || !query_bool(req, res, "exempt", &f.exempt) ||
        !query_bool(req, res, "retired", &f.retired) || !mm_cp_start(req, res, &cfg, &a))
        return;
    struct mm_err err;
    mm_err_clear(&err);
    json_t *items;
    int64_t total = 0;
    if (mm_store_asset_list(req->store, &a.scope, &f, &items, &total, &err) != 0) {
        mm_api_error_from(res, &err, NULL);
        return;
    }
    size_t n = json_array_size(items);
    res->json = mm_cp_page(items, total, f.limit, f.offset);
    json_t *filter = json_pack("{s:s?, s:s?, s:s?, s:s?, s:I}", "category", f.category, "vendor", f.vendor,
                               "product", f.product, "cpe", f.cpe_prefix, "org", (json_int_t)f.org);
    char *object = filter ? json_dumps(filter, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(filter);
    mm_cp_audit_read(req, res, object ? object : "assets", (int64_t)n);
    free(object);
}

/* POST /api/v1/assets/import (text/csv or application/json; raw body) -> 201 {"imported", "ids"} */
static void asset_import(const struct mm_api_request *req, struct mm_api_response *res)
{
    const struct mm_cp_settings *cfg;
    struct mm_actor a;
    if (!mm_cp_start(req, res, &cfg, &a))
        return;
    const char *ct = req->content_type;
    if (!ct || (strcmp(ct, "text/csv") && strcmp(ct, "application/json"))) {
        mm_api_error(res, 415, NULL, "import takes text/csv or application/json");
        return;
    }
    struct mm_err err;
    mm_err_clear(&err);
    json_t *problems = json_array(), *ids = NULL;
    int rc = mm_registry_import(req->store, cfg, &a, req->body ? req->body : "", req->body_len, ct, req->now_ns,
                                &ids, problems, &err);
    if (rc) {
        mm_cp_fail(res, rc, &err, problems);
        json_decref(problems);
        return;
    }
    json_decref(problems);
    res->status = 201;
    res->json = json_pack("{s:I, s:o}", "imported", (json_int_t)json_array_size(ids), "ids", ids);
    /* The import committed on its own; its audit entry follows at once. */
    char object[64];
    snprintf(object, sizeof object, "assets:import(%zu)", json_array_size(json_object_get(res->json, "ids")));
    mm_cp_audit_read(req, res, object, (int64_t)json_array_size(json_object_get(res->json, "ids")));
}

/* GET /api/v1/assets/export?format=csv|json */
static void asset_export(const struct mm_api_request *req, struct mm_api_response *res)
{
    const struct mm_cp_settings *cfg;
    struct mm_actor a;
    const char *format = mm_api_query(req, "format");
    bool csv = !format || !strcmp(format, "csv");
    if (format && !csv && strcmp(format, "json")) {
        mm_api_error(res, 400, NULL, "query parameter format: csv or json");
        return;
    }
    if (!mm_cp_start(req, res, &cfg, &a))
        return;
    struct mm_err err;
    mm_err_clear(&err);
    char *out;
    size_t len;
    if (mm_registry_export(req->store, &a.scope, csv, &out, &len, &err) != 0) {
        mm_api_error_from(res, &err, NULL);
        return;
    }
    res->body = out;
    res->body_len = len;
    res->content_type = csv ? "text/csv; charset=utf-8" : "application/json";
    mm_api_header(res, "Content-Disposition", "attachment; filename=\"assets.%s\"", csv ? "csv" : "json");
    mm_cp_audit_read(req, res, csv ? "assets:export(csv)" : "assets:export(json)", 0);
}

/* POST /api/v1/assets/{id}/forward {"version"?, "forwarded_at"?: "YYYY-MM-DD"} (ministry) */
static void asset_forward(const struct mm_api_request *req, struct mm_api_response *res)
{
    const struct mm_cp_settings *cfg;
    struct mm_actor a;
    int64_t id;
    if (!asset_id(req, res, &id) || !mm_cp_start(req, res, &cfg, &a))
        return;
    json_t *b = req->json, *v = json_object_get(b, "version"), *at = json_object_get(b, "forwarded_at");
    int64_t when = req->now_ns - (req->now_ns % MM_NS_PER_DAY);
    if (b && !json_is_object(b)) {
        mm_api_error(res, 400, "", "the body must be a JSON object");
        return;
    }
    if (v && !(json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) < 1000000)) {
        mm_api_error(res, 400, "/version", "a version number");
        return;
    }
    if (at && !(json_is_string(at) && mm_date_parse(json_string_value(at), &when) == 0)) {
        mm_api_error(res, 400, "/forwarded_at", "a date YYYY-MM-DD");
        return;
    }
    struct mm_err err;
    mm_err_clear(&err);
    int version = 0;
    char object[64];
    snprintf(object, sizeof object, "asset:%lld", (long long)id);
    int rc = mm_cp_tx_begin(req, &err);
    if (!rc) {
        rc = mm_registry_forward(req->store, &a, id, v ? (int)json_integer_value(v) : 0, when, &version, &err);
        rc = mm_cp_tx_end(req, res, rc, object, 1, &err);
    }
    if (rc) {
        mm_api_error_from(res, &err, NULL);
        return;
    }
    char date[16];
    mm_date_format(when, date, sizeof date);
    res->json = json_pack("{s:I, s:i, s:s}", "id", (json_int_t)id, "version", version,
                          "forwarded_to_cabinet_office_at", date);
}

/* GET /api/v1/registry/overdue */
static void registry_overdue(const struct mm_api_request *req, struct mm_api_response *res)
{
    const struct mm_cp_settings *cfg;
    struct mm_actor a;
    if (!mm_cp_start(req, res, &cfg, &a))
        return;
    struct mm_err err;
    mm_err_clear(&err);
    json_t *items;
    if (mm_registry_overdue(req->store, cfg, &a.scope, req->now_ns, &items, &err) != 0) {
        mm_api_error_from(res, &err, NULL);
        return;
    }
    size_t n = json_array_size(items);
    res->json = json_pack("{s:o}", "items", items);
    mm_cp_audit_read(req, res, "registry:overdue", (int64_t)n);
}

const struct mm_api_route mm_api_routes_assets[] = {
    {"POST", "/api/v1/assets/import", MM_ACT_ASSET_WRITE, asset_import, MM_API_RAW_BODY},
    {"GET", "/api/v1/assets/export", MM_ACT_ASSET_READ, asset_export, 0},
    {"POST", "/api/v1/assets", MM_ACT_ASSET_WRITE, asset_create, 0},
    {"GET", "/api/v1/assets", MM_ACT_ASSET_READ, asset_list, 0},
    {"GET", "/api/v1/assets/{id}", MM_ACT_ASSET_READ, asset_get, 0},
    {"PUT", "/api/v1/assets/{id}", MM_ACT_ASSET_WRITE, asset_update, 0},
    {"GET", "/api/v1/assets/{id}/history", MM_ACT_ASSET_READ, asset_history, 0},
    {"POST", "/api/v1/assets/{id}/forward", MM_ACT_ASSET_FORWARD, asset_forward, 0},
    {"GET", "/api/v1/registry/overdue", MM_ACT_ASSET_READ, registry_overdue, 0},
    {0},
};
