/* api_orgs.c - /api/v1/orgs (organizations) and /api/v1/settings (the lists the portal offers). */
#include "server/api_cp.h"

#include "util/datefmt.h"

#include <stdio.h>
#include <string.h>

/* POST /api/v1/orgs {"name", "type", "sectors": [...]} (admin) -> 201 {"id"} */
static void org_create(const struct mm_api_request *req, struct mm_api_response *res)
{
    const struct mm_cp_settings *cfg;
    struct mm_actor a;
    if (!mm_cp_start(req, res, &cfg, &a))
        return;
    json_t *b = req->json, *name = json_object_get(b, "name"), *type = json_object_get(b, "type"),
           *sectors = json_object_get(b, "sectors");
    struct mm_org o = {0};
    if (!json_is_object(b)) {
        mm_api_error(res, 400, "", "the body must be a JSON object");
        return;
    }
    const char *key;
    json_t *v;
    json_object_foreach(b, key, v) {
        if (strcmp(key, "name") && strcmp(key, "type") && strcmp(key, "sectors")) {
            char ptr[160];
            snprintf(ptr, sizeof ptr, "/%s", key);
            mm_api_error(res, 400, ptr, "unknown field");
            return;
        }
    }
    if (!json_is_string(name) || json_string_length(name) > MM_ORG_NAME_MAX) {
        mm_api_error(res, 400, "/name", "name: 1 to %d characters", MM_ORG_NAME_MAX);
        return;
    }
    snprintf(o.name, sizeof o.name, "%s", json_string_value(name));
    if (!json_is_string(type) || mm_org_type_parse(json_string_value(type), &o.type) != 0) {
        mm_api_error(res, 400, "/type", "type: operator, supplier or ministry");
        return;
    }
    if (sectors && !json_is_null(sectors)) {
        size_t i;
        json_t *s;
        if (!json_is_array(sectors) || json_array_size(sectors) > MM_ORG_SECTORS_MAX) {
            mm_api_error(res, 400, "/sectors", "sectors: an array of up to %d sector ids", MM_ORG_SECTORS_MAX);
            return;
        }
        json_array_foreach(sectors, i, s) {
            if (!json_is_string(s) || json_string_length(s) > MM_SECTOR_ID_MAX) {
                char ptr[40];
                snprintf(ptr, sizeof ptr, "/sectors/%zu", i);
                mm_api_error(res, 400, ptr, "a sector id");
                return;
            }
            snprintf(o.sectors[o.nsectors++], sizeof o.sectors[0], "%s", json_string_value(s));
        }
    }
    struct mm_err err;
    mm_err_clear(&err);
    int rc = mm_org_check(&o, cfg, &err);
    if (rc) {
        const char *ptr = !strncmp(err.msg, "sectors", 7) ? "/sectors" : !strncmp(err.msg, "name", 4) ? "/name" : "/type";
        mm_api_error(res, 400, ptr, "%s", err.msg);
        return;
    }
    int64_t id = 0;
    char object[64];
    rc = mm_cp_tx_begin(req, &err);
    if (!rc) {
        rc = mm_store_org_add(req->store, &o, req->user->name, req->now_ns, &id, &err);
        snprintf(object, sizeof object, "org:%lld", (long long)id);
        rc = mm_cp_tx_end(req, res, rc, object, 1, &err);
    }
    if (rc) {
        mm_api_error_from(res, &err, err.code == MM_ECONFLICT ? "/name" : NULL);
        return;
    }
    res->status = 201;
    res->json = json_pack("{s:I}", "id", (json_int_t)id);
    mm_api_header(res, "Location", "/api/v1/orgs/%lld", (long long)id);
}

static int add_org(void *ctx, const struct mm_org *o)
{
    json_array_append_new(ctx, mm_org_json(o));
    return 0;
}

/* GET /api/v1/orgs: the organizations the caller may know of (store/orgs.h). */
static void org_list(const struct mm_api_request *req, struct mm_api_response *res)
{
    struct mm_err err;
    mm_err_clear(&err);
    struct mm_scope scope;
    if (mm_scope_for_user(req->store, req->user, &scope, &err) != 0) {
        mm_api_error_from(res, &err, NULL);
        return;
    }
    if (req->user->role == MM_ROLE_ADMIN)
        scope.kind = MM_SCOPE_ALL;
    json_t *items = json_array();
    if (mm_store_org_list(req->store, &scope, add_org, items, &err) != 0) {
        json_decref(items);
        mm_api_error_from(res, &err, NULL);
        return;
    }
    res->json = json_pack("{s:o}", "items", items);
    mm_cp_audit_read(req, res, "orgs", (int64_t)json_array_size(json_object_get(res->json, "items")));
}

static json_t *list_json(const struct mm_strlist *l)
{
    json_t *a = json_array();
    for (size_t i = 0; i < l->n; i++)
        json_array_append_new(a, json_string(l->items[i]));
    return a;
}

/* GET /api/v1/settings: sectors, categories and deadlines (no secrets in them). */
static void settings_get(const struct mm_api_request *req, struct mm_api_response *res)
{
    struct mm_err err;
    mm_err_clear(&err);
    const struct mm_cp_settings *cfg = mm_cp_settings_shared(&err);
    if (!cfg) {
        mm_api_error_from(res, &err, NULL);
        return;
    }
    char date[16];
    mm_date_format(cfg->enforcement_date_ns, date, sizeof date);
    res->json = json_pack("{s:o, s:o, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:[ssss]}", "sectors",
                          list_json(&cfg->sectors), "categories", list_json(&cfg->categories),
                          "enforcement_date", date, "existing_grace_months", (json_int_t)cfg->existing_grace_months,
                          "change_due_days", (json_int_t)cfg->change_due_days, "forward_due_days",
                          (json_int_t)cfg->forward_due_days, "report_initial_hours",
                          (json_int_t)cfg->report_initial_hours, "report_final_days",
                          (json_int_t)cfg->report_final_days, "import_max_rows", (json_int_t)cfg->import_max_rows,
                          "cloud_forms", "IaaS", "PaaS", "SaaS", "none");
}

const struct mm_api_route mm_api_routes_orgs[] = {
    {"POST", "/api/v1/orgs", MM_ACT_ORG_ADD, org_create, 0},
    {"GET", "/api/v1/orgs", MM_ACT_ORG_LIST, org_list, 0},
    {"GET", "/api/v1/settings", MM_ACT_ORG_LIST, settings_get, 0},
    {0},
};
