/* registry.c - asset documents, deadlines, versions, import/export and the overdue list. */
#include "registry/registry.h"

#include "registry/cpe.h"
#include "registry/csv.h"
#include "util/datefmt.h"
#include "util/timefmt.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX 200
#define LONG_TEXT_MAX 2000
#define OPERATORS_MAX 1000

void mm_problem_add(json_t *problems, const char *prefix, const char *field, const char *fmt, ...)
{
    char msg[400], ptr[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(ptr, sizeof ptr, "%s%s%s", prefix ? prefix : "", field ? "/" : "", field ? field : "");
    json_t *p = json_pack("{s:s, s:s}", "pointer", ptr, "message", msg);
    if (p && field)
        json_object_set_new(p, "field", json_string(field));
    json_array_append_new(problems, p);
}

int mm_actor_for_user(struct mm_store *s, const struct mm_user *u, struct mm_actor *out,
                      struct mm_err *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", u->name);
    out->role = u->role;
    int rc = mm_scope_for_user(s, u, &out->scope, err);
    if (rc)
        return rc;
    if (out->scope.kind == MM_SCOPE_ORG || out->scope.kind == MM_SCOPE_SECTORS)
        return mm_store_org_get(s, out->scope.org_id, &out->org, err);
    return 0;
}

/* ---- organizations ---- */

int mm_org_check(const struct mm_org *o, const struct mm_cp_settings *cfg, struct mm_err *err)
{
    size_t n = strlen(o->name);
    if (n == 0 || n > MM_ORG_NAME_MAX)
        return mm_err_set(err, MM_EFORMAT, "name: 1 to %d characters", MM_ORG_NAME_MAX);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)o->name[i] < 0x20 || o->name[i] == 0x7f)
            return mm_err_set(err, MM_EFORMAT, "name: no control characters");
    if (!mm_utf8_valid(o->name, n))
        return mm_err_set(err, MM_EFORMAT, "name: not UTF-8");
    switch (o->type) {
    case MM_ORG_OPERATOR:
        if (o->nsectors != 1)
            return mm_err_set(err, MM_EFORMAT, "sectors: an operator has exactly one sector");
        break;
    case MM_ORG_SUPPLIER:
        if (o->nsectors != 0)
            return mm_err_set(err, MM_EFORMAT, "sectors: a supplier has no sector");
        break;
    case MM_ORG_MINISTRY:
        if (o->nsectors == 0)
            return mm_err_set(err, MM_EFORMAT, "sectors: a ministry oversees at least one sector");
        break;
    default: return mm_err_set(err, MM_EFORMAT, "type: operator, supplier or ministry");
    }
    for (size_t i = 0; i < o->nsectors; i++)
        if (!mm_strlist_has(&cfg->sectors, o->sectors[i]))
            return mm_err_set(err, MM_EFORMAT, "sectors: unknown sector '%s' (see the sectors setting)",
                              o->sectors[i]);
    return 0;
}

json_t *mm_org_json(const struct mm_org *o)
{
    json_t *sec = json_array();
    for (size_t i = 0; i < o->nsectors; i++)
        json_array_append_new(sec, json_string(o->sectors[i]));
    return json_pack("{s:I, s:s, s:s, s:o}", "id", (json_int_t)o->id, "name", o->name, "type",
                     mm_org_type_name(o->type), "sectors", sec);
}

/* ---- asset documents ---- */

/* Keys the API adds to a version; accepted (and ignored) in input so a GET result can be PUT. */
static const char *const read_only_keys[] = {"id", "version", "filed_at", "filed_by", "filer_org",
                                             "effective_at", "due_at", "forwarded_to_cabinet_office_at",
                                             "forwarded_by", NULL};
static const char *const cloud_forms[] = {"IaaS", "PaaS", "SaaS", "none", NULL};

static bool in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

static bool text_ok(const char *s, size_t max, bool multiline)
{
    size_t n = strlen(s);
    if (n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && !(multiline && (c == '\n' || c == '\r' || c == '\t'))) || c == 0x7f)
            return false;
    }
    return true;
}

/* A string field: absent, null and "" leave it out; required ones must be there. */
static void take_text(const json_t *in, json_t *out, const char *key, size_t max, bool required,
                      bool multiline, const char *prefix, json_t *problems)
{
    json_t *v = json_object_get(in, key);
    if (!v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0)) {
        if (required)
            mm_problem_add(problems, prefix, key, "required");
        return;
    }
    if (!json_is_string(v) || !text_ok(json_string_value(v), max, multiline)) {
        mm_problem_add(problems, prefix, key, "a string of up to %zu characters without control characters",
                       max);
        return;
    }
    json_object_set(out, key, v);
}

static int64_t take_date(const json_t *in, json_t *out, const char *key, bool required,
                         const char *prefix, json_t *problems)
{
    json_t *v = json_object_get(in, key);
    int64_t ns;
    if (!v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0)) {
        if (required)
            mm_problem_add(problems, prefix, key, "required (a date YYYY-MM-DD)");
        return MM_TIME_NONE;
    }
    if (!json_is_string(v) || mm_date_parse(json_string_value(v), &ns) != 0) {
        mm_problem_add(problems, prefix, key, "a date YYYY-MM-DD");
        return MM_TIME_NONE;
    }
    json_object_set(out, key, v);
    return ns;
}

static bool positive_id(const json_t *v) { return json_is_integer(v) && json_integer_value(v) > 0; }

int mm_asset_normalize(const json_t *in, const struct mm_cp_settings *cfg, const char *prefix,
                       json_t *problems, json_t **out)
{
    *out = NULL;
    if (!json_is_object(in)) {
        mm_problem_add(problems, prefix, NULL, "an asset is a JSON object");
        return MM_EFORMAT;
    }
    size_t before = json_array_size(problems);
    json_t *doc = json_object();
    static const char *const known[] = {"name", "category", "vendor", "product", "product_version",
                                        "cpe", "role", "connected_to_specified_facility", "managed_by",
                                        "cloud_form", "in_service_from", "retired_at", "exemption",
                                        "receiving_ministry", "operators", "changed_at", NULL};
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)in, key, v) {
        if (!in_list(known, key) && !in_list(read_only_keys, key))
            mm_problem_add(problems, prefix, key, "unknown field");
    }
    take_text(in, doc, "name", TEXT_MAX, false, false, prefix, problems);
    v = json_object_get(in, "category");
    if (!json_is_string(v) || !mm_strlist_has(&cfg->categories, json_string_value(v)))
        mm_problem_add(problems, prefix, "category", "required: one of the categories setting (%s, ...)",
                       cfg->categories.n ? cfg->categories.items[0] : "");
    else
        json_object_set(doc, "category", v);
    take_text(in, doc, "vendor", TEXT_MAX, true, false, prefix, problems);
    take_text(in, doc, "product", TEXT_MAX, true, false, prefix, problems);
    take_text(in, doc, "product_version", TEXT_MAX, false, false, prefix, problems);
    v = json_object_get(in, "cpe");
    if (v && !json_is_null(v) && !(json_is_string(v) && json_string_length(v) == 0)) {
        struct mm_err e;
        mm_err_clear(&e);
        if (!json_is_string(v))
            mm_problem_add(problems, prefix, "cpe", "a CPE 2.3 formatted string");
        else if (mm_cpe_validate(json_string_value(v), &e) != 0)
            mm_problem_add(problems, prefix, "cpe", "%s", e.msg);
        else
            json_object_set(doc, "cpe", v);
    }
    take_text(in, doc, "role", LONG_TEXT_MAX, false, true, prefix, problems);
    v = json_object_get(in, "connected_to_specified_facility");
    if (v && !json_is_null(v) && !json_is_boolean(v))
        mm_problem_add(problems, prefix, "connected_to_specified_facility", "true or false");
    json_object_set_new(doc, "connected_to_specified_facility", json_boolean(json_is_true(v)));
    v = json_object_get(in, "managed_by");
    if (!v || json_is_null(v) || (json_is_string(v) && strcmp(json_string_value(v), "self") == 0))
        json_object_set_new(doc, "managed_by", json_string("self"));
    else if (positive_id(v))
        json_object_set(doc, "managed_by", v);
    else
        mm_problem_add(problems, prefix, "managed_by", "\"self\" or a supplier organization's id");
    v = json_object_get(in, "cloud_form");
    if (!v || json_is_null(v))
        json_object_set_new(doc, "cloud_form", json_string("none"));
    else if (json_is_string(v) && in_list(cloud_forms, json_string_value(v)))
        json_object_set(doc, "cloud_form", v);
    else
        mm_problem_add(problems, prefix, "cloud_form", "IaaS, PaaS, SaaS or none");
    int64_t from = take_date(in, doc, "in_service_from", true, prefix, problems);
    int64_t retired = take_date(in, doc, "retired_at", false, prefix, problems);
    if (from != MM_TIME_NONE && retired != MM_TIME_NONE && retired < from)
        mm_problem_add(problems, prefix, "retired_at", "before in_service_from");
    take_date(in, doc, "changed_at", false, prefix, problems);
    v = json_object_get(in, "exemption");
    if (v && !json_is_null(v)) {
        json_t *reason = json_object_get(v, "reason");
        char sub[300];
        snprintf(sub, sizeof sub, "%s/exemption", prefix);
        if (!json_is_object(v) || json_object_size(v) != 2 || !json_is_true(json_object_get(v, "custom_product")))
            mm_problem_add(problems, sub, "custom_product",
                           "an exemption is {\"custom_product\": true, \"reason\": \"...\"}");
        else if (!json_is_string(reason) || json_string_length(reason) == 0 ||
                 !text_ok(json_string_value(reason), LONG_TEXT_MAX, true))
            mm_problem_add(problems, sub, "reason", "required: why the product is exempt (up to %d characters)",
                           LONG_TEXT_MAX);
        else
            json_object_set(doc, "exemption", v);
    }
    v = json_object_get(in, "receiving_ministry");
    if (v && !json_is_null(v)) {
        if (positive_id(v))
            json_object_set(doc, "receiving_ministry", v);
        else
            mm_problem_add(problems, prefix, "receiving_ministry", "a ministry organization's id");
    }
    v = json_object_get(in, "operators");
    if (v && !json_is_null(v)) {
        size_t i;
        json_t *e;
        bool ok = json_is_array(v) && json_array_size(v) <= OPERATORS_MAX;
        json_array_foreach(v, i, e) ok = ok && positive_id(e);
        if (ok)
            json_object_set(doc, "operators", v);
        else
            mm_problem_add(problems, prefix, "operators", "an array of up to %d operator organization ids",
                           OPERATORS_MAX);
    }
    if (json_array_size(problems) != before) {
        json_decref(doc);
        return MM_EFORMAT;
    }
    *out = doc;
    return 0;
}

int64_t mm_asset_due_at(const struct mm_cp_settings *cfg, int version, int64_t in_service_from_ns,
                        int64_t effective_at_ns, int64_t retired_at_ns, bool exempt)
{
    if (exempt)
        return MM_TIME_NONE;
    int64_t due;
    if (version > 1)
        due = effective_at_ns + cfg->change_due_days * MM_NS_PER_DAY;
    else if (in_service_from_ns < cfg->enforcement_date_ns)
        due = mm_date_add_months(cfg->enforcement_date_ns, (int)cfg->existing_grace_months);
    else
        due = in_service_from_ns + cfg->change_due_days * MM_NS_PER_DAY;
    if (version == 1 && retired_at_ns != MM_TIME_NONE && retired_at_ns <= due &&
        retired_at_ns <= cfg->enforcement_date_ns)
        return MM_TIME_NONE; /* gone before the duty began */
    return due;
}

static int64_t day_of(int64_t ns) { return ns - (((ns % MM_NS_PER_DAY) + MM_NS_PER_DAY) % MM_NS_PER_DAY); }

static int64_t doc_date(const json_t *doc, const char *key)
{
    int64_t ns;
    json_t *v = json_object_get(doc, key);
    return json_is_string(v) && mm_date_parse(json_string_value(v), &ns) == 0 ? ns : MM_TIME_NONE;
}

/* A checked org of the given type, or a problem. */
static bool org_of_type(struct mm_store *s, int64_t id, enum mm_org_type type, struct mm_org *out,
                        const char *prefix, const char *field, json_t *problems, int *rc,
                        struct mm_err *err)
{
    struct mm_err local;
    mm_err_clear(&local);
    int r = mm_store_org_get(s, id, out, &local);
    if (r == MM_ENOTFOUND || (r == 0 && out->type != type)) {
        mm_problem_add(problems, prefix, field, "organization %lld is not a %s", (long long)id,
                       mm_org_type_name(type));
        return false;
    }
    if (r) {
        *rc = mm_err_set(err, r, "%s", local.msg);
        return false;
    }
    return true;
}

/* Store-dependent checks of a normalized document, and the filing built from it. orgs gets
 * the linked organizations (caller frees). */
static int resolve(struct mm_store *s, const struct mm_cp_settings *cfg, const struct mm_actor *a,
                   json_t *doc, int version, int64_t now_ns, const char *prefix, json_t *problems,
                   struct mm_asset_filing *f, int64_t **orgs, struct mm_err *err)
{
    int rc = 0;
    size_t before = json_array_size(problems);
    *orgs = NULL;
    if (a->org.id == 0 || (a->org.type != MM_ORG_OPERATOR && a->org.type != MM_ORG_SUPPLIER))
        return mm_err_set(err, MM_EDENIED, "only an operator or a supplier organization files assets");
    json_t *ops = json_object_get(doc, "operators");
    size_t nops = json_array_size(ops);
    int64_t *list = calloc(nops + 1, sizeof *list);
    if (!list)
        return mm_err_set(err, MM_ENOMEM, "out of memory");
    size_t n = 0;
    list[n++] = a->org.id;
    if (a->org.type == MM_ORG_OPERATOR) {
        if (nops > 1 || (nops == 1 && json_integer_value(json_array_get(ops, 0)) != a->org.id))
            mm_problem_add(problems, prefix, "operators",
                           "an operator files for itself only; a supplier files for several operators");
        json_object_set_new(doc, "operators", json_pack("[I]", (json_int_t)a->org.id));
    } else {
        if (nops == 0)
            mm_problem_add(problems, prefix, "operators",
                           "required: the operators that use this supplier's system");
        for (size_t i = 0; i < nops && !rc; i++) {
            int64_t id = json_integer_value(json_array_get(ops, i));
            char sub[300];
            snprintf(sub, sizeof sub, "%s/operators", prefix);
            char idx[24];
            snprintf(idx, sizeof idx, "%zu", i);
            struct mm_org o;
            bool dup = false;
            for (size_t k = 1; k < n; k++)
                dup |= list[k] == id;
            if (dup)
                mm_problem_add(problems, sub, idx, "operator %lld is listed twice", (long long)id);
            else if (org_of_type(s, id, MM_ORG_OPERATOR, &o, sub, idx, problems, &rc, err))
                list[n++] = id;
        }
        json_t *mb = json_object_get(doc, "managed_by");
        if (json_is_string(mb)) /* a supplier's own system */
            json_object_set_new(doc, "managed_by", json_integer(a->org.id));
    }
    json_t *mb = json_object_get(doc, "managed_by");
    struct mm_org o;
    if (!rc && json_is_integer(mb) && json_integer_value(mb) != a->org.id)
        org_of_type(s, json_integer_value(mb), MM_ORG_SUPPLIER, &o, prefix, "managed_by", problems, &rc, err);
    json_t *rm = json_object_get(doc, "receiving_ministry");
    if (!rc && rm &&
        org_of_type(s, json_integer_value(rm), MM_ORG_MINISTRY, &o, prefix, "receiving_ministry", problems,
                    &rc, err) &&
        a->org.type == MM_ORG_OPERATOR) {
        bool oversees = false;
        for (size_t i = 0; i < o.nsectors; i++)
            oversees |= a->org.nsectors && strcmp(o.sectors[i], a->org.sectors[0]) == 0;
        if (!oversees)
            mm_problem_add(problems, prefix, "receiving_ministry", "ministry %lld does not oversee sector %s",
                           (long long)o.id, a->org.nsectors ? a->org.sectors[0] : "?");
    }
    if (rc || json_array_size(problems) != before) {
        free(list);
        return rc ? rc : MM_EFORMAT;
    }
    memset(f, 0, sizeof *f);
    f->category = json_string_value(json_object_get(doc, "category"));
    f->vendor = json_string_value(json_object_get(doc, "vendor"));
    f->product = json_string_value(json_object_get(doc, "product"));
    f->cpe = json_string_value(json_object_get(doc, "cpe"));
    f->exempt = json_object_get(doc, "exemption") != NULL;
    f->in_service_from_ns = doc_date(doc, "in_service_from");
    f->retired_at_ns = doc_date(doc, "retired_at");
    if (version == 1) {
        json_object_del(doc, "changed_at");
        f->effective_at_ns = f->in_service_from_ns;
    } else {
        int64_t changed = doc_date(doc, "changed_at");
        f->effective_at_ns = changed != MM_TIME_NONE ? changed : day_of(now_ns);
    }
    f->due_at_ns = mm_asset_due_at(cfg, version, f->in_service_from_ns, f->effective_at_ns,
                                   f->retired_at_ns, f->exempt);
    f->receiving_ministry = rm ? json_integer_value(rm) : 0;
    f->orgs = list;
    f->norgs = n;
    *orgs = list;
    return 0;
}

static int file_one(struct mm_store *s, const struct mm_cp_settings *cfg, const struct mm_actor *a,
                    const json_t *body, int64_t existing_id, int version, int64_t now_ns,
                    const char *prefix, json_t *problems, int64_t *id_out, int *version_out,
                    struct mm_err *err)
{
    json_t *doc;
    int rc = mm_asset_normalize(body, cfg, prefix, problems, &doc);
    if (rc)
        return rc;
    struct mm_asset_filing f;
    int64_t *orgs = NULL;
    char *text = NULL;
    if ((rc = resolve(s, cfg, a, doc, version, now_ns, prefix, problems, &f, &orgs, err)))
        goto out;
    if (!(text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS))) {
        rc = mm_err_set(err, MM_ENOMEM, "out of memory");
        goto out;
    }
    f.doc_json = text;
    if (existing_id)
        rc = mm_store_asset_add_version(s, existing_id, a->org.id, &f, a->name, now_ns, version_out, err);
    else
        rc = mm_store_asset_create(s, a->org.id, &f, a->name, now_ns, id_out, err);
out:
    free(text);
    free(orgs);
    json_decref(doc);
    return rc;
}

int mm_registry_create(struct mm_store *s, const struct mm_cp_settings *cfg,
                       const struct mm_actor *a, const json_t *body, int64_t now_ns, int64_t *id,
                       json_t *problems, struct mm_err *err)
{
    return file_one(s, cfg, a, body, 0, 1, now_ns, "", problems, id, NULL, err);
}

int mm_registry_update(struct mm_store *s, const struct mm_cp_settings *cfg,
                       const struct mm_actor *a, int64_t id, const json_t *body, int64_t now_ns,
                       int *version, json_t *problems, struct mm_err *err)
{
    json_t *cur;
    int rc = mm_store_asset_get(s, &a->scope, id, MM_TIME_NONE, &cur, err);
    if (rc)
        return rc;
    int64_t filer = json_integer_value(json_object_get(cur, "filer_org"));
    int next = (int)json_integer_value(json_object_get(cur, "version")) + 1;
    json_decref(cur);
    if (filer != a->org.id)
        return mm_err_set(err, MM_EDENIED, "only the organization that filed asset %lld may change it",
                          (long long)id);
    return file_one(s, cfg, a, body, id, next, now_ns, "", problems, NULL, version, err);
}

/* ---- import ---- */

const char *const mm_asset_csv_columns[] = {
    "name", "category", "vendor", "product", "product_version", "cpe", "role",
    "connected_to_specified_facility", "managed_by", "cloud_form", "in_service_from", "retired_at",
    "exemption_custom_product", "exemption_reason", "receiving_ministry", "operators", NULL};

static bool parse_bool(const char *t, bool *out)
{
    if (!strcasecmp(t, "true") || !strcmp(t, "1") || !strcasecmp(t, "yes"))
        *out = true;
    else if (!strcasecmp(t, "false") || !strcmp(t, "0") || !strcasecmp(t, "no"))
        *out = false;
    else
        return false;
    return true;
}

static bool parse_id(const char *t, json_int_t *out)
{
    if (!*t || strlen(t) > 18)
        return false;
    for (const char *p = t; *p; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    *out = strtoll(t, NULL, 10);
    return *out > 0;
}

struct csv_import {
    const struct mm_cp_settings *cfg;
    json_t *problems;
    json_t *rows; /* normalized-to-be JSON objects, one per data row, with "_row" */
    int col_of[32];   /* column index in the file -> mm_asset_csv_columns index, -1 ignored */
    size_t ncols;
    bool header_ok;
};

static void row_problem(json_t *problems, size_t row, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void row_problem(json_t *problems, size_t row, const char *field, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *p = json_pack("{s:I, s:s}", "row", (json_int_t)row, "message", msg);
    if (p && field)
        json_object_set_new(p, "field", json_string(field));
    json_array_append_new(problems, p);
}

static int csv_row(void *ctx, const struct mm_csv_record *r)
{
    struct csv_import *ci = ctx;
    if (r->number == 1) {
        static const char *const ignored[] = {"id", "version", "filed_at", "filed_by", "filer_org",
                                              "effective_at", "due_at", "forwarded_to_cabinet_office_at",
                                              "forwarded_by", NULL};
        ci->ncols = r->nfields;
        ci->header_ok = r->nfields <= 32;
        if (!ci->header_ok) {
            row_problem(ci->problems, 1, NULL, "more than 32 columns");
            return 0;
        }
        unsigned seen = 0;
        for (size_t i = 0; i < r->nfields; i++) {
            ci->col_of[i] = -1;
            int k;
            for (k = 0; mm_asset_csv_columns[k]; k++)
                if (strcmp(r->fields[i], mm_asset_csv_columns[k]) == 0)
                    break;
            if (mm_asset_csv_columns[k]) {
                if (seen & (1u << k)) {
                    row_problem(ci->problems, 1, r->fields[i], "column named twice");
                    ci->header_ok = false;
                }
                seen |= 1u << k;
                ci->col_of[i] = k;
            } else if (!in_list(ignored, r->fields[i])) {
                row_problem(ci->problems, 1, r->fields[i], "unknown column");
                ci->header_ok = false;
            }
        }
        static const char *const required[] = {"category", "vendor", "product", "in_service_from", NULL};
        for (int q = 0; required[q]; q++) {
            int k = 0;
            while (strcmp(mm_asset_csv_columns[k], required[q]) != 0)
                k++;
            if (!(seen & (1u << k))) {
                row_problem(ci->problems, 1, required[q], "required column missing");
                ci->header_ok = false;
            }
        }
        return 0;
    }
    if (!ci->header_ok)
        return 0;
    if ((int64_t)json_array_size(ci->rows) >= ci->cfg->import_max_rows) {
        row_problem(ci->problems, r->number, NULL, "more than %lld rows (import_max_rows)",
                    (long long)ci->cfg->import_max_rows);
        return MM_EFULL;
    }
    if (r->nfields != ci->ncols) {
        row_problem(ci->problems, r->number, NULL, "%zu fields, the header has %zu", r->nfields, ci->ncols);
        json_array_append_new(ci->rows, json_null());
        return 0;
    }
    json_t *o = json_object();
    json_t *ex_flag = NULL, *ex_reason = NULL;
    bool bad = false;
    for (size_t i = 0; i < r->nfields; i++) {
        if (ci->col_of[i] < 0 || !r->fields[i][0])
            continue;
        const char *col = mm_asset_csv_columns[ci->col_of[i]], *t = r->fields[i];
        bool b;
        json_int_t id;
        if (!strcmp(col, "connected_to_specified_facility")) {
            if (parse_bool(t, &b))
                json_object_set_new(o, col, json_boolean(b));
            else
                row_problem(ci->problems, r->number, col, "true or false"), bad = true;
        } else if (!strcmp(col, "exemption_custom_product")) {
            if (parse_bool(t, &b))
                ex_flag = json_boolean(b);
            else
                row_problem(ci->problems, r->number, col, "true or false"), bad = true;
        } else if (!strcmp(col, "exemption_reason")) {
            ex_reason = json_string(t);
        } else if (!strcmp(col, "receiving_ministry")) {
            if (parse_id(t, &id))
                json_object_set_new(o, col, json_integer(id));
            else
                row_problem(ci->problems, r->number, col, "an organization id"), bad = true;
        } else if (!strcmp(col, "managed_by") && strcmp(t, "self") != 0) {
            if (parse_id(t, &id))
                json_object_set_new(o, col, json_integer(id));
            else
                row_problem(ci->problems, r->number, col, "self or a supplier organization id"), bad = true;
        } else if (!strcmp(col, "operators")) {
            json_t *arr = json_array();
            char buf[MM_CSV_FIELD_MAX];
            snprintf(buf, sizeof buf, "%s", t);
            for (char *save, *tok = strtok_r(buf, "; ", &save); tok; tok = strtok_r(NULL, "; ", &save)) {
                if (parse_id(tok, &id)) {
                    json_array_append_new(arr, json_integer(id));
                } else {
                    row_problem(ci->problems, r->number, col, "organization ids separated by ';'");
                    bad = true;
                    break;
                }
            }
            json_object_set_new(o, col, arr);
        } else {
            json_object_set_new(o, col, json_string(t));
        }
    }
    if (ex_flag || ex_reason) {
        json_t *ex = json_object();
        json_object_set_new(ex, "custom_product", ex_flag ? ex_flag : json_false());
        json_object_set_new(ex, "reason", ex_reason ? ex_reason : json_string(""));
        json_object_set_new(o, "exemption", ex);
    }
    if (bad) {
        json_decref(o);
        o = json_null();
    }
    json_array_append_new(ci->rows, o);
    return 0;
}

/* Move problems from a row's list into the import's, with the row number. */
static void adopt(json_t *problems, json_t *row_problems, size_t row)
{
    size_t i;
    json_t *p;
    json_array_foreach(row_problems, i, p) {
        json_object_set_new(p, "row", json_integer((json_int_t)row));
        json_array_append(problems, p);
    }
    json_array_clear(row_problems);
}


/* The JSON pointer prefix of import row i: a CSV row's fields are named
 * without one (the row number is reported apart), a JSON array's as "/i". */
static void row_pointer(char *buf, size_t len, bool csv, size_t i)
{
    if (csv)
        buf[0] = '\0';
    else
        snprintf(buf, len, "/%zu", i);
}

int mm_registry_import(struct mm_store *s, const struct mm_cp_settings *cfg,
                       const struct mm_actor *a, const char *data, size_t len,
                       const char *content_type, int64_t now_ns, json_t **ids, json_t *problems,
                       struct mm_err *err)
{
    *ids = NULL;
    json_t *rows = NULL;
    bool csv = content_type && strcmp(content_type, "text/csv") == 0;
    size_t first_row; /* the row number of rows[0] */
    int rc = 0;
    if (csv) {
        struct csv_import ci = {.cfg = cfg, .problems = problems, .rows = json_array()};
        struct mm_err perr;
        mm_err_clear(&perr);
        rc = mm_csv_parse(data, len, csv_row, &ci, &perr);
        if (rc && rc != MM_EFULL)
            row_problem(problems, 0, NULL, "%s", perr.msg);
        if (!ci.ncols && !rc)
            row_problem(problems, 1, NULL, "empty file: a header row is required");
        rows = ci.rows;
        first_row = 2;
        rc = 0;
    } else if (!content_type || strcmp(content_type, "application/json") == 0) {
        json_error_t je;
        rows = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
        if (!json_is_array(rows)) {
            row_problem(problems, 0, NULL, rows ? "a JSON array of assets is expected" : "malformed JSON: %s",
                        je.text);
            json_decref(rows);
            return MM_EFORMAT;
        }
        if ((int64_t)json_array_size(rows) > cfg->import_max_rows) {
            row_problem(problems, 0, NULL, "more than %lld rows (import_max_rows)", (long long)cfg->import_max_rows);
            json_decref(rows);
            return MM_EFORMAT;
        }
        first_row = 1;
    } else {
        return mm_err_set(err, MM_EUNSUPPORTED, "import takes text/csv or application/json");
    }
    /* Pass 1: check every row; nothing is stored while any problem exists. */
    json_t *row_problems = json_array();
    json_t *docs = json_array();
    for (size_t i = 0; i < json_array_size(rows) && !rc; i++) {
        json_t *in = json_array_get(rows, i);
        char prefix[32];
        row_pointer(prefix, sizeof prefix, csv, i);
        json_t *doc = NULL;
        if (!json_is_null(in) || !csv)
            mm_asset_normalize(in, cfg, prefix, row_problems, &doc);
        adopt(problems, row_problems, first_row + i);
        json_array_append_new(docs, doc ? doc : json_null());
    }
    /* Pass 2: store checks and storing, in one transaction that is rolled back on any problem. */
    if (!rc && json_array_size(problems) == 0 && (rc = mm_store_begin(s, err)) == 0) {
        *ids = json_array();
        for (size_t i = 0; i < json_array_size(docs) && !rc; i++) {
            char prefix[32];
            row_pointer(prefix, sizeof prefix, csv, i);
            int64_t id = 0;
            int r = file_one(s, cfg, a, json_array_get(docs, i), 0, 1, now_ns, prefix, row_problems, &id,
                             NULL, err);
            adopt(problems, row_problems, first_row + i);
            if (r && r != MM_EFORMAT)
                rc = r;
            else if (!r)
                json_array_append_new(*ids, json_integer(id));
        }
        if (!rc && json_array_size(problems) == 0) {
            rc = mm_store_commit(s, err);
        } else {
            mm_store_rollback(s);
        }
        if (rc || json_array_size(problems)) {
            json_decref(*ids);
            *ids = NULL;
        }
    }
    json_decref(row_problems);
    json_decref(docs);
    json_decref(rows);
    if (!rc && json_array_size(problems))
        rc = MM_EFORMAT;
    return rc;
}

/* ---- export ---- */

static int csv_put(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 65536;
        while (c < *len + n + 1)
            c *= 2;
        if (c > ((size_t)1 << 31))
            return MM_EFULL;
        char *nb = realloc(*buf, c);
        if (!nb)
            return MM_ENOMEM;
        *buf = nb;
        *cap = c;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = '\0';
    return 0;
}

static int csv_field(char **buf, size_t *len, size_t *cap, const char *s)
{
    /* Quote when needed; a leading =, +, - or @ is prefixed with ' so spreadsheets do not run it. */
    bool quote = strpbrk(s, ",\"\r\n") != NULL;
    bool formula = strchr("=+-@", s[0]) && s[0];
    int rc = 0;
    if (quote)
        rc = csv_put(buf, len, cap, "\"", 1);
    if (!rc && formula)
        rc = csv_put(buf, len, cap, "'", 1);
    for (const char *p = s; *p && !rc; p++)
        rc = *p == '"' ? csv_put(buf, len, cap, "\"\"", 2) : csv_put(buf, len, cap, p, 1);
    if (!rc && quote)
        rc = csv_put(buf, len, cap, "\"", 1);
    return rc;
}

static void cell_text(const json_t *asset, const char *col, char *out, size_t outlen)
{
    out[0] = '\0';
    json_t *v;
    if (!strcmp(col, "exemption_custom_product") || !strcmp(col, "exemption_reason")) {
        json_t *ex = json_object_get(asset, "exemption");
        if (!ex)
            return;
        v = json_object_get(ex, col[10] == 'c' ? "custom_product" : "reason");
    } else {
        v = json_object_get(asset, col);
    }
    if (json_is_string(v)) {
        snprintf(out, outlen, "%s", json_string_value(v));
    } else if (json_is_integer(v)) {
        snprintf(out, outlen, "%lld", (long long)json_integer_value(v));
    } else if (json_is_boolean(v)) {
        snprintf(out, outlen, "%s", json_is_true(v) ? "true" : "false");
    } else if (json_is_array(v)) {
        size_t i, n = 0;
        json_t *e;
        json_array_foreach(v, i, e) n += (size_t)snprintf(out + n, n < outlen ? outlen - n : 0, "%s%lld",
                                                         i ? ";" : "", (long long)json_integer_value(e));
    }
}

int mm_registry_export(struct mm_store *s, const struct mm_scope *scope, bool csv, char **out,
                       size_t *len, struct mm_err *err)
{
    *out = NULL;
    *len = 0;
    json_t *all = json_array();
    int rc = 0;
    struct mm_asset_filter f = {.exempt = -1, .retired = -1, .limit = 1000};
    for (;;) {
        json_t *items;
        int64_t total;
        if ((rc = mm_store_asset_list(s, scope, &f, &items, &total, err)))
            break;
        size_t n = json_array_size(items);
        if (n)
            f.after_id = json_integer_value(json_object_get(json_array_get(items, n - 1), "id"));
        json_array_extend(all, items);
        json_decref(items);
        if (n < (size_t)f.limit)
            break;
    }
    if (rc) {
        json_decref(all);
        return rc;
    }
    if (!csv) {
        *out = json_dumps(all, JSON_INDENT(1) | JSON_SORT_KEYS);
        json_decref(all);
        if (!*out)
            return mm_err_set(err, MM_ENOMEM, "out of memory");
        *len = strlen(*out);
        return 0;
    }
    char *buf = NULL;
    size_t cap = 0;
    rc = csv_put(&buf, len, &cap, "id", 2);
    for (int k = 0; mm_asset_csv_columns[k] && !rc; k++) {
        rc = csv_put(&buf, len, &cap, ",", 1);
        if (!rc)
            rc = csv_put(&buf, len, &cap, mm_asset_csv_columns[k], strlen(mm_asset_csv_columns[k]));
    }
    if (!rc)
        rc = csv_put(&buf, len, &cap, "\r\n", 2);
    size_t i;
    json_t *asset;
    char *cell = malloc(MM_CSV_FIELD_MAX);
    if (!cell)
        rc = MM_ENOMEM;
    json_array_foreach(all, i, asset) {
        if (rc)
            break;
        cell_text(asset, "id", cell, MM_CSV_FIELD_MAX);
        rc = csv_field(&buf, len, &cap, cell);
        for (int k = 0; mm_asset_csv_columns[k] && !rc; k++) {
            cell_text(asset, mm_asset_csv_columns[k], cell, MM_CSV_FIELD_MAX);
            rc = csv_put(&buf, len, &cap, ",", 1);
            if (!rc)
                rc = csv_field(&buf, len, &cap, cell);
        }
        if (!rc)
            rc = csv_put(&buf, len, &cap, "\r\n", 2);
    }
    free(cell);
    json_decref(all);
    if (rc) {
        free(buf);
        *len = 0;
        return mm_err_set(err, rc, "export: %s", mm_strerror(rc));
    }
    *out = buf;
    return 0;
}

/* ---- forwarding and overdue ---- */

int mm_registry_forward(struct mm_store *s, const struct mm_actor *a, int64_t id, int version,
                        int64_t forwarded_at_ns, int *version_out, struct mm_err *err)
{
    if (a->org.id == 0 || a->org.type != MM_ORG_MINISTRY)
        return mm_err_set(err, MM_EDENIED, "only a receiving ministry forwards filings");
    json_t *hist;
    int rc = mm_store_asset_history(s, &a->scope, id, &hist, err);
    if (rc)
        return rc;
    size_t n = json_array_size(hist);
    if (version == 0)
        version = (int)n;
    if (version < 1 || (size_t)version > n) {
        json_decref(hist);
        return mm_err_set(err, MM_ENOTFOUND, "asset %lld has no version %d", (long long)id, version);
    }
    json_t *rm = json_object_get(json_array_get(hist, (size_t)version - 1), "receiving_ministry");
    if (rm && json_integer_value(rm) != a->org.id)
        rc = mm_err_set(err, MM_EDENIED, "version %d names another receiving ministry", version);
    json_decref(hist);
    if (!rc)
        rc = mm_store_asset_forward(s, id, version, forwarded_at_ns, a->name, err);
    if (!rc)
        *version_out = version;
    return rc;
}

struct overdue_ctx {
    const struct mm_cp_settings *cfg;
    int64_t now;
    json_t *items;
};

static json_t *date_json(int64_t ns)
{
    if (ns == MM_TIME_NONE)
        return json_null();
    char b[MM_DATE_TEXT_MAX];
    mm_date_format(ns, b, sizeof b);
    return json_string(b);
}

static int overdue_one(void *vctx, const struct mm_filing_info *fi)
{
    struct overdue_ctx *c = vctx;
    if (fi->exempt || fi->due_at_ns == MM_TIME_NONE)
        return 0;
    /* Due and forwarding dates are inclusive days: late from the next midnight. */
    int64_t due_end = fi->due_at_ns + MM_NS_PER_DAY;
    int64_t fwd_due = day_of(fi->filed_at_ns) + c->cfg->forward_due_days * MM_NS_PER_DAY;
    const char *reason = NULL;
    if (fi->filed_at_ns >= due_end)
        reason = "filed_late";
    else if (fi->forwarded_at_ns == MM_TIME_NONE && c->now >= fwd_due + MM_NS_PER_DAY)
        reason = "not_forwarded";
    else if (fi->forwarded_at_ns != MM_TIME_NONE && fi->forwarded_at_ns > fwd_due)
        reason = "forwarded_late";
    if (!reason)
        return 0;
    char filed[MM_TIME_TEXT_MAX];
    mm_time_format_us(fi->filed_at_ns, filed, sizeof filed);
    json_t *o = json_pack("{s:I, s:i, s:s, s:o, s:s, s:o, s:o, s:I}", "asset_id", (json_int_t)fi->asset_id,
                          "version", fi->version, "reason", reason, "due_at", date_json(fi->due_at_ns),
                          "filed_at", filed, "forward_due_at", date_json(fwd_due), "forwarded_at",
                          date_json(fi->forwarded_at_ns), "filer_org", (json_int_t)fi->filer_org);
    if (!o)
        return MM_ENOMEM;
    json_object_set_new(o, "receiving_ministry",
                        fi->receiving_ministry ? json_integer(fi->receiving_ministry) : json_null());
    json_array_append_new(c->items, o);
    return 0;
}

int mm_registry_overdue(struct mm_store *s, const struct mm_cp_settings *cfg,
                        const struct mm_scope *scope, int64_t now_ns, json_t **items,
                        struct mm_err *err)
{
    struct overdue_ctx c = {cfg, now_ns, json_array()};
    int rc = mm_store_asset_filings(s, scope, overdue_one, &c, err);
    if (rc == MM_ENOMEM)
        mm_err_set(err, rc, "out of memory");
    if (rc)
        json_decref(c.items);
    else
        *items = c.items;
    return rc;
}
