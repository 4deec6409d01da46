/* api_reports.c - /api/v1/reports: incident reports' thin HTTP handlers over src/reports/
 * (docs/reports.md). */
#include "server/api_cp.h"

#include "reports/reports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool report_id(const struct mm_api_request *req, struct mm_api_response *res, int64_t *id)
{
    if (mm_api_param_id(req, 0, id) != 0) {
        mm_api_error(res, 404, NULL, "no such report");
        return false;
    }
    return true;
}

static void derive_all(json_t *incident)
{
    size_t i;
    json_t *v;
    mm_report_derive(json_object_get(incident, "report"));
    json_array_foreach(json_object_get(incident, "versions"), i, v) mm_report_derive(json_object_get(v, "report"));
}

/* POST /api/v1/reports: a new incident with its initial report -> 201 {"id", "version": 1} */
static void report_create(const struct mm_api_request *req, struct mm_api_response *res)
{
    mm_cp_create(req, res, "report", "/api/v1/reports", mm_report_create);
}

/* POST /api/v1/reports/{id}/versions {"stage": "update"|"final", ...} -> 201 {"id", "version"} */
static void report_add_version(const struct mm_api_request *req, struct mm_api_response *res)
{
    int64_t id;
    int version = 0;
    if (!report_id(req, res, &id) ||
        !mm_cp_new_version(req, res, "report", id, mm_report_add_version, &version))
        return;
    res->status = 201;
    res->json = json_pack("{s:I, s:i, s:s}", "id", (json_int_t)id, "version", version, "stage",
                          json_string_value(json_object_get(req->json, "stage")));
}

/* GET /api/v1/reports/{id}: the incident with every version */
static void report_get(const struct mm_api_request *req, struct mm_api_response *res)
{
    const struct mm_cp_settings *cfg;
    struct mm_actor a;
    int64_t id;
    if (!report_id(req, res, &id) || !mm_cp_start(req, res, &cfg, &a))
        return;
    struct mm_err err;
    mm_err_clear(&err);
    json_t *inc;
    if (mm_store_incident_get(req->store, &a.scope, id, true, &inc, &err) != 0) {
        mm_api_error_from(res, &err, NULL);
        return;
    }
    /* "report": the latest version's document, for convenience. */
    json_t *vs = json_object_get(inc, "versions");
    json_t *last = json_array_get(vs, json_array_size(vs) - 1);
    json_object_set(inc, "report", json_object_get(last, "report"));
    json_object_set(inc, "stage", json_object_get(last, "stage"));
    res->json = json_deep_copy(inc);
    json_decref(inc);
    derive_all(res->json);
    char object[64];
    snprintf(object, sizeof object, "report:%lld", (long long)id);
    mm_cp_audit_read(req, res, object, 1);
}

/* GET /api/v1/reports/{id}/diff?from=N&to=M */
static void report_diff(const struct mm_api_request *req, struct mm_api_response *res)
{
    const struct mm_cp_settings *cfg;
    struct mm_actor a;
    int64_t id, from, to;
    if (!report_id(req, res, &id) || !mm_cp_query_int(req, res, "from", 1, 1000000, 1, &from) ||
        !mm_cp_query_int(req, res, "to", 1, 1000000, 0, &to) || !mm_cp_start(req, res, &cfg, &a))
        return;
    struct mm_err err;
    mm_err_clear(&err);
    json_t *inc, *out = NULL;
    if (mm_store_incident_get(req->store, &a.scope, id, true, &inc, &err) != 0) {
        mm_api_error_from(res, &err, NULL);
        return;
    }
    if (to == 0)
        to = json_integer_value(json_object_get(inc, "latest_version"));
    int rc = mm_report_diff(inc, (int)from, (int)to, &out, &err);
    json_decref(inc);
    if (rc) {
        mm_api_error_from(res, &err, NULL);
        return;
    }
    json_object_set_new(out, "id", json_integer(id));
    res->json = out;
    char object[64];
    snprintf(object, sizeof object, "report:%lld", (long long)id);
    mm_cp_audit_read(req, res, object, 1);
}

/* GET /api/v1/reports?kind=&status=&sector=&org=&aware_from=&aware_to=&limit=&offset=&cursor= */
static void report_list(const struct mm_api_request *req, struct mm_api_response *res)
{
    const struct mm_cp_settings *cfg;
    struct mm_actor a;
    struct mm_incident_filter f = {.kind = mm_api_query(req, "kind"),
                                   .status = mm_api_query(req, "status"),
                                   .sector = mm_api_query(req, "sector")};
    if (f.kind && strcmp(f.kind, "statutory") && strcmp(f.kind, "voluntary")) {
        mm_api_error(res, 400, NULL, "query parameter kind: statutory or voluntary");
        return;
    }
    if (f.status && strcmp(f.status, "open") && strcmp(f.status, "closed")) {
        mm_api_error(res, 400, NULL, "query parameter status: open or closed");
        return;
    }
    if (!mm_cp_query_int(req, res, "limit", 1, 1000, 100, &f.limit) ||
        !mm_cp_query_int(req, res, "offset", 0, INT64_MAX / 2, 0, &f.offset) ||
        !mm_cp_query_int(req, res, "cursor", 0, INT64_MAX, 0, &f.after_id) ||
        !mm_cp_query_int(req, res, "org", 0, INT64_MAX, 0, &f.org) ||
        !mm_cp_query_time(req, res, "aware_from", &f.aware_from_ns) ||
        !mm_cp_query_time(req, res, "aware_to", &f.aware_to_ns) || !mm_cp_start(req, res, &cfg, &a))
        return;
    struct mm_err err;
    mm_err_clear(&err);
    json_t *items;
    int64_t total = 0;
    if (mm_store_incident_list(req->store, &a.scope, &f, &items, &total, &err) != 0) {
        mm_api_error_from(res, &err, NULL);
        return;
    }
    size_t i, n = json_array_size(items);
    json_t *it;
    json_array_foreach(items, i, it) mm_report_derive(json_object_get(it, "report"));
    res->json = mm_cp_page(items, total, f.limit, f.offset);
    json_t *filter = json_pack("{s:s?, s:s?, s:s?, s:I}", "kind", f.kind, "status", f.status, "sector", f.sector,
                               "org", (json_int_t)f.org);
    char *object = filter ? json_dumps(filter, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(filter);
    mm_cp_audit_read(req, res, object ? object : "reports", (int64_t)n);
    free(object);
}

/* GET /api/v1/reports/overdue[?include_due=true] */
static void report_overdue(const struct mm_api_request *req, struct mm_api_response *res)
{
    const struct mm_cp_settings *cfg;
    struct mm_actor a;
    if (!mm_cp_start(req, res, &cfg, &a))
        return;
    const char *inc = mm_api_query(req, "include_due");
    struct mm_err err;
    mm_err_clear(&err);
    json_t *items;
    if (mm_report_overdue(req->store, cfg, &a.scope, req->now_ns, inc && (!strcmp(inc, "true") || !strcmp(inc, "1")),
                          &items, &err) != 0) {
        mm_api_error_from(res, &err, NULL);
        return;
    }
    size_t n = json_array_size(items);
    res->json = json_pack("{s:o}", "items", items);
    mm_cp_audit_read(req, res, "reports:overdue", (int64_t)n);
}

/* GET /api/v1/reports/stats?by=week|sector[&kind=statutory|voluntary] */
static void report_stats(const struct mm_api_request *req, struct mm_api_response *res)
{
    const struct mm_cp_settings *cfg;
    struct mm_actor a;
    const char *by = mm_api_query(req, "by"), *kind = mm_api_query(req, "kind");
    if (by && strcmp(by, "week") && strcmp(by, "sector")) {
        mm_api_error(res, 400, NULL, "query parameter by: week or sector");
        return;
    }
    if (!mm_cp_start(req, res, &cfg, &a))
        return;
    struct mm_err err;
    mm_err_clear(&err);
    json_t *out;
    if (mm_report_stats(req->store, &a.scope, by && !strcmp(by, "sector"), kind, &out, &err) != 0) {
        mm_api_error_from(res, &err, NULL);
        return;
    }
    res->json = out;
    mm_cp_audit_read(req, res, "reports:stats", 0);
}

/* POST /api/v1/reports/{id}/propose-criteria [{"legal_basis": "..."}] (analyst) */
static void report_propose(const struct mm_api_request *req, struct mm_api_response *res)
{
    const struct mm_cp_settings *cfg;
    struct mm_actor a;
    int64_t id;
    if (!report_id(req, res, &id) || !mm_cp_start(req, res, &cfg, &a))
        return;
    json_t *lb = json_object_get(req->json, "legal_basis");
    if ((req->json && !json_is_object(req->json)) || (lb && (!json_is_string(lb) || json_string_length(lb) > 1000))) {
        mm_api_error(res, 400, lb ? "/legal_basis" : "", "{\"legal_basis\": \"...\"} (optional)");
        return;
    }
    struct mm_err err;
    mm_err_clear(&err);
    json_t *out = NULL;
    char object[64];
    snprintf(object, sizeof object, "report:%lld", (long long)id);
    int rc = mm_cp_tx_begin(req, &err);
    if (!rc) {
        rc = mm_report_propose_criteria(req->store, &a, id, json_string_value(lb), req->now_ns, &out, &err);
        rc = mm_cp_tx_end(req, res, rc, object, out ? (int64_t)json_array_size(json_object_get(out, "proposed")) : 0,
                          &err);
    }
    if (rc) {
        json_decref(out);
        mm_api_error_from(res, &err, NULL);
        return;
    }
    res->status = 201;
    res->json = out;
}

const struct mm_api_route mm_api_routes_reports[] = {
    {"GET", "/api/v1/reports/overdue", MM_ACT_INCIDENT_READ, report_overdue, 0},
    {"GET", "/api/v1/reports/stats", MM_ACT_INCIDENT_STATS, report_stats, 0},
    {"POST", "/api/v1/reports", MM_ACT_INCIDENT_FILE, report_create, 0},
    {"GET", "/api/v1/reports", MM_ACT_INCIDENT_READ, report_list, 0},
    {"GET", "/api/v1/reports/{id}", MM_ACT_INCIDENT_READ, report_get, 0},
    {"POST", "/api/v1/reports/{id}/versions", MM_ACT_INCIDENT_FILE, report_add_version, 0},
    {"GET", "/api/v1/reports/{id}/diff", MM_ACT_INCIDENT_READ, report_diff, 0},
    {"POST", "/api/v1/reports/{id}/propose-criteria", MM_ACT_INCIDENT_PROPOSE, report_propose, 0},
    {0},
};
