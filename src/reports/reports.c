/* reports.c - incident report versions, indicators, diffs, deadlines, counts and proposals. */
#include "reports/reports.h"

#include "registry/csv.h"
#include "store/criteria.h"
#include "util/addr.h"
#include "util/datefmt.h"
#include "util/timefmt.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUMMARY_MAX 20000
#define TEXT_MAX 2000
#define TECHNIQUES_MAX 200
#define INDICATORS_MAX 1000
#define LINKS_MAX 1000

static const char *const kinds[] = {"statutory", "voluntary", NULL};
/* CISA NCISS functional impact levels, as ids. */
static const char *const impacts[] = {"no_impact", "no_impact_to_services", "minimal_non_critical",
                                      "minimal_critical", "significant_non_critical", "denial_non_critical",
                                      "significant_critical", "denial_critical", "unknown", NULL};
/* US-CERT / CISA attack vector taxonomy, as ids. */
static const char *const vectors[] = {"attrition", "web", "email", "external_media", "impersonation",
                                      "improper_usage", "loss_or_theft", "supply_chain", "unknown",
                                      "other", NULL};
static const char *const fields[] = {"kind", "aware_at", "detected_at", "earliest_activity_at",
                                     "functional_impact", "attack_vector", "attack_techniques",
                                     "indicators", "summary", "contact", "reported_for",
                                     "affected_assets", "unconfirmed", NULL};

static bool in_list(const char *const *list, const char *s)
{
    for (; s && *list; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

/* ---- indicators ---- */

static bool domain_ok(const char *d, char *out, size_t outlen)
{
    size_t n = strlen(d);
    if (n && d[n - 1] == '.')
        n--;
    if (n == 0 || n > 253 || n >= outlen)
        return false;
    size_t label = 0, labels = 1, last_start = 0;
    bool digits_only = true;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)d[i];
        if (c == '.') {
            if (label == 0 || d[i - 1] == '-')
                return false;
            label = 0;
            labels++;
            last_start = i + 1;
            digits_only = true;
            out[i] = '.';
            continue;
        }
        if (!(isalnum(c) || c == '-') || (label == 0 && c == '-') || ++label > 63)
            return false;
        digits_only &= isdigit(c) != 0;
        out[i] = (char)tolower(c);
    }
    out[n] = '\0';
    return label > 0 && d[n - 1] != '-' && labels >= 2 && !digits_only && n - last_start >= 2;
}

int mm_indicator_check(const char *type, const char *value, char *out, size_t outlen,
                       struct mm_err *err)
{
    size_t n = strlen(value);
    if (n == 0 || n > MM_INDICATOR_MAX || outlen <= n)
        return mm_err_set(err, MM_EFORMAT, "1 to %d characters", MM_INDICATOR_MAX);
    if (!strcmp(type, "ipv4") || !strcmp(type, "ipv6")) {
        struct mm_prefix p;
        if (mm_prefix_parse(value, &p) != 0 || p.addr.family != (type[3] == '4' ? 4 : 6))
            return mm_err_set(err, MM_EFORMAT, "not an %s address or prefix (host bits must be zero)", type);
        if (p.len == mm_addr_bits(&p.addr))
            mm_addr_format(&p.addr, out, outlen);
        else
            mm_prefix_format(&p, out, outlen);
        return 0;
    }
    size_t hex = !strcmp(type, "sha256") ? 64 : !strcmp(type, "sha1") ? 40 : !strcmp(type, "md5") ? 32 : 0;
    if (hex) {
        if (n != hex)
            return mm_err_set(err, MM_EFORMAT, "%s is %zu hexadecimal digits", type, hex);
        for (size_t i = 0; i < n; i++) {
            if (!isxdigit((unsigned char)value[i]))
                return mm_err_set(err, MM_EFORMAT, "%s is %zu hexadecimal digits", type, hex);
            out[i] = (char)tolower((unsigned char)value[i]);
        }
        out[n] = '\0';
        return 0;
    }
    if (!strcmp(type, "domain")) {
        if (!domain_ok(value, out, outlen))
            return mm_err_set(err, MM_EFORMAT, "not a domain name (letters, digits, hyphens; two labels or more)");
        return 0;
    }
    if (!strcmp(type, "email")) {
        const char *at = strrchr(value, '@');
        size_t local = at ? (size_t)(at - value) : 0;
        if (!at || local == 0 || local > 64 || n > 254 || value[0] == '.' || at[-1] == '.' ||
            strstr(value, ".."))
            return mm_err_set(err, MM_EFORMAT, "not an e-mail address");
        for (size_t i = 0; i < local; i++)
            if (!isalnum((unsigned char)value[i]) && !strchr("!#$%&'*+-/=?^_`{|}~.", value[i]))
                return mm_err_set(err, MM_EFORMAT, "not an e-mail address");
        memcpy(out, value, local + 1);
        if (!domain_ok(at + 1, out + local + 1, outlen - local - 1))
            return mm_err_set(err, MM_EFORMAT, "not an e-mail address: bad domain");
        return 0;
    }
    if (!strcmp(type, "url")) {
        size_t i = 0;
        while (i < n && (isalnum((unsigned char)value[i]) || strchr("+.-", value[i])))
            i++;
        if (i == 0 || !isalpha((unsigned char)value[0]) || strncmp(value + i, "://", 3) != 0 ||
            i + 3 >= n || value[i + 3] == '/')
            return mm_err_set(err, MM_EFORMAT, "not an absolute URL (scheme://host...)");
        for (size_t k = 0; k < n; k++)
            if ((unsigned char)value[k] <= 0x20 || (unsigned char)value[k] >= 0x7f)
                return mm_err_set(err, MM_EFORMAT, "a URL has no spaces or non-ASCII bytes (percent-encode them)");
        memcpy(out, value, n + 1);
        return 0;
    }
    return mm_err_set(err, MM_EFORMAT, "type: ipv4, ipv6, domain, url, sha256, sha1, md5 or email");
}

/* ---- versions ---- */

static void set_or_del(json_t *doc, const char *key, json_t *v)
{
    if (v)
        json_object_set_new(doc, key, v);
    else
        json_object_del(doc, key);
}

static bool text_ok(const json_t *v, size_t max)
{
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > max)
        return false;
    for (const char *p = json_string_value(v); *p; p++)
        if (((unsigned char)*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t') || *p == 0x7f)
            return false;
    return true;
}

/* Check one given field; returns the normalized value (new reference) or NULL with a problem. */
static json_t *check_field(struct mm_store *s, const struct mm_cp_settings *cfg,
                           const struct mm_actor *a, const char *key, json_t *v, json_t *problems,
                           int *rc, struct mm_err *err)
{
    if (!strcmp(key, "aware_at") || !strcmp(key, "detected_at") || !strcmp(key, "earliest_activity_at")) {
        int64_t ns;
        if (!json_is_string(v) || mm_time_parse_rfc3339(json_string_value(v), &ns) != 0) {
            mm_problem_add(problems, "", key, "an RFC 3339 time with a zone, e.g. 2026-11-20T09:00:00+09:00");
            return NULL;
        }
        char buf[MM_TIME_TEXT_MAX];
        mm_time_format_us(ns, buf, sizeof buf);
        return json_string(buf);
    }
    if (!strcmp(key, "kind") || !strcmp(key, "functional_impact") || !strcmp(key, "attack_vector")) {
        const char *const *list = key[0] == 'k' ? kinds : key[0] == 'f' ? impacts : vectors;
        if (!json_is_string(v) || !in_list(list, json_string_value(v))) {
            char all[400];
            size_t n = 0;
            for (size_t i = 0; list[i]; i++)
                n += (size_t)snprintf(all + n, n < sizeof all ? sizeof all - n : 0, "%s%s", i ? ", " : "", list[i]);
            mm_problem_add(problems, "", key, "one of: %s", all);
            return NULL;
        }
        return json_incref(v);
    }
    if (!strcmp(key, "summary") || !strcmp(key, "contact")) {
        size_t max = key[0] == 's' ? SUMMARY_MAX : 500;
        if (!text_ok(v, max)) {
            mm_problem_add(problems, "", key, "text of 1 to %zu characters", max);
            return NULL;
        }
        return json_incref(v);
    }
    if (!json_is_array(v)) {
        mm_problem_add(problems, "", key, "an array");
        return NULL;
    }
    json_t *out = json_array();
    size_t i;
    json_t *e;
    char sub[64];
    snprintf(sub, sizeof sub, "/%s", key);
    size_t before = json_array_size(problems);
    if (!strcmp(key, "attack_techniques")) {
        if (json_array_size(v) > TECHNIQUES_MAX)
            mm_problem_add(problems, "", key, "at most %d techniques", TECHNIQUES_MAX);
        json_array_foreach(v, i, e) {
            char idx[24];
            snprintf(idx, sizeof idx, "%zu", i);
            if (!cfg->attack_ids.n)
                mm_problem_add(problems, sub, idx, "the ATT&CK id list (etc/attack-techniques.txt) is not installed");
            else if (!json_is_string(e) || !mm_strlist_has(&cfg->attack_ids, json_string_value(e)))
                mm_problem_add(problems, sub, idx, "not a MITRE ATT&CK technique id (e.g. T1566 or T1566.001)");
            else
                json_array_append(out, e);
        }
    } else if (!strcmp(key, "indicators")) {
        if (json_array_size(v) > INDICATORS_MAX)
            mm_problem_add(problems, "", key, "at most %d indicators", INDICATORS_MAX);
        json_array_foreach(v, i, e) {
            char idx[80], norm[MM_INDICATOR_MAX + 1];
            snprintf(idx, sizeof idx, "/%s/%zu", key, i);
            json_t *t = json_object_get(e, "type"), *val = json_object_get(e, "value");
            struct mm_err ie;
            mm_err_clear(&ie);
            if (!json_is_object(e) || json_object_size(e) != 2 || !json_is_string(t) || !json_is_string(val))
                mm_problem_add(problems, idx, NULL, "an indicator is {\"type\": ..., \"value\": ...}");
            else if (mm_indicator_check(json_string_value(t), json_string_value(val), norm, sizeof norm, &ie))
                mm_problem_add(problems, idx, strncmp(ie.msg, "type:", 5) ? "value" : "type", "%s", ie.msg);
            else
                json_array_append_new(out, json_pack("{s:O, s:s}", "type", t, "value", norm));
        }
    } else if (!strcmp(key, "unconfirmed")) {
        json_array_foreach(v, i, e) {
            char idx[24];
            snprintf(idx, sizeof idx, "%zu", i);
            if (!json_is_string(e) || !in_list(fields, json_string_value(e)) || !strcmp(json_string_value(e), "kind"))
                mm_problem_add(problems, sub, idx, "the name of a report field");
            else
                json_array_append(out, e);
        }
    } else { /* reported_for, affected_assets: ids */
        bool assets = key[0] == 'a';
        if (json_array_size(v) > LINKS_MAX)
            mm_problem_add(problems, "", key, "at most %d ids", LINKS_MAX);
        json_array_foreach(v, i, e) {
            char idx[24];
            snprintf(idx, sizeof idx, "%zu", i);
            json_int_t id = json_is_integer(e) ? json_integer_value(e) : 0;
            if (id <= 0) {
                mm_problem_add(problems, sub, idx, "an id");
                continue;
            }
            struct mm_err le;
            mm_err_clear(&le);
            int r;
            if (assets) {
                r = mm_store_asset_visible(s, &a->scope, id, &le);
                if (r == MM_ENOTFOUND)
                    mm_problem_add(problems, sub, idx, "no asset %lld among your registered assets", (long long)id);
            } else {
                struct mm_org o;
                r = mm_store_org_get(s, id, &o, &le);
                if (r == MM_ENOTFOUND || (!r && o.type != MM_ORG_OPERATOR)) {
                    mm_problem_add(problems, sub, idx, "organization %lld is not an operator", (long long)id);
                    r = 0;
                } else if (!r && a->org.type == MM_ORG_OPERATOR && id != a->org.id) {
                    mm_problem_add(problems, sub, idx, "an operator reports for itself only");
                }
            }
            if (r && r != MM_ENOTFOUND) {
                *rc = mm_err_set(err, r, "%s", le.msg);
                break;
            }
            json_array_append(out, e);
        }
    }
    if (json_array_size(problems) != before || *rc) {
        json_decref(out);
        return NULL;
    }
    return out;
}

int mm_report_build(struct mm_store *s, const struct mm_cp_settings *cfg, const struct mm_actor *a,
                    const json_t *body, const json_t *prev, json_t *problems, json_t **out,
                    struct mm_err *err)
{
    *out = NULL;
    if (!json_is_object(body)) {
        mm_problem_add(problems, "", NULL, "a report is a JSON object");
        return MM_EFORMAT;
    }
    int rc = 0;
    size_t before = json_array_size(problems);
    json_t *doc = prev ? json_deep_copy(prev) : json_object();
    json_t *stage = json_object_get(body, "stage");
    if (!prev && stage && !(json_is_string(stage) && !strcmp(json_string_value(stage), "initial")))
        mm_problem_add(problems, "", "stage", "a new incident starts with stage \"initial\"");
    if (prev && !(json_is_string(stage) && (!strcmp(json_string_value(stage), "update") ||
                                            !strcmp(json_string_value(stage), "final"))))
        mm_problem_add(problems, "", "stage", "required: \"update\" or \"final\"");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)body, key, v) {
        if (!strcmp(key, "stage"))
            continue;
        if (!in_list(fields, key)) {
            mm_problem_add(problems, "", key, "unknown field");
            continue;
        }
        if (prev && !strcmp(key, "kind")) {
            if (!json_equal(v, json_object_get(prev, "kind")))
                mm_problem_add(problems, "", key, "the kind of an incident does not change");
            continue;
        }
        if (json_is_null(v)) {
            set_or_del(doc, key, NULL);
            continue;
        }
        json_t *n = check_field(s, cfg, a, key, v, problems, &rc, err);
        if (rc)
            break;
        if (n)
            set_or_del(doc, key, n);
    }
    if (!rc && a->org.type == MM_ORG_OPERATOR)
        json_object_set_new(doc, "reported_for", json_pack("[I]", (json_int_t)a->org.id));
    static const char *const required[] = {"kind", "aware_at", "summary", "contact", NULL};
    for (size_t i = 0; !rc && required[i]; i++)
        if (!json_object_get(doc, required[i]) && !json_object_get(body, required[i]))
            mm_problem_add(problems, "", required[i], "required");
    if (rc || json_array_size(problems) != before) {
        json_decref(doc);
        return rc ? rc : MM_EFORMAT;
    }
    *out = doc;
    return 0;
}

static int file_version(struct mm_store *s, const struct mm_actor *a, int64_t id, json_t *doc,
                        const char *stage, int64_t now_ns, int64_t *id_out, int *version,
                        struct mm_err *err)
{
    int rc = 0;
    json_t *rf = json_object_get(doc, "reported_for");
    size_t n = json_array_size(rf);
    int64_t *orgs = calloc(n + 1, sizeof *orgs);
    char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    if (!orgs || !text) {
        rc = mm_err_set(err, MM_ENOMEM, "out of memory");
        goto out;
    }
    orgs[0] = a->org.id;
    for (size_t i = 0; i < n; i++)
        orgs[i + 1] = json_integer_value(json_array_get(rf, i));
    int64_t aware = 0;
    mm_time_parse_rfc3339(json_string_value(json_object_get(doc, "aware_at")), &aware);
    struct mm_incident_filing f = {.kind = json_string_value(json_object_get(doc, "kind")),
                                   .aware_at_ns = aware,
                                   .stage = stage,
                                   .doc_json = text,
                                   .orgs = orgs,
                                   .norgs = n + 1};
    if (id)
        rc = mm_store_incident_add_version(s, id, &f, a->name, now_ns, version, err);
    else
        rc = mm_store_incident_create(s, a->org.id, &f, a->name, now_ns, id_out, err);
out:
    free(orgs);
    free(text);
    return rc;
}

static int need_filer(const struct mm_actor *a, struct mm_err *err)
{
    if (a->org.id == 0 || (a->org.type != MM_ORG_OPERATOR && a->org.type != MM_ORG_SUPPLIER))
        return mm_err_set(err, MM_EDENIED, "only an operator or a supplier organization files reports");
    return 0;
}

int mm_report_create(struct mm_store *s, const struct mm_cp_settings *cfg, const struct mm_actor *a,
                     const json_t *body, int64_t now_ns, int64_t *id, json_t *problems,
                     struct mm_err *err)
{
    int rc = need_filer(a, err);
    json_t *doc = NULL;
    if (!rc)
        rc = mm_report_build(s, cfg, a, body, NULL, problems, &doc, err);
    if (!rc)
        rc = file_version(s, a, 0, doc, "initial", now_ns, id, NULL, err);
    json_decref(doc);
    return rc;
}

int mm_report_add_version(struct mm_store *s, const struct mm_cp_settings *cfg,
                          const struct mm_actor *a, int64_t id, const json_t *body, int64_t now_ns,
                          int *version, json_t *problems, struct mm_err *err)
{
    json_t *cur;
    int rc = mm_store_incident_get(s, &a->scope, id, false, &cur, err);
    if (rc)
        return rc;
    json_t *doc = NULL;
    if (json_integer_value(json_object_get(cur, "reporter_org")) != a->org.id || need_filer(a, err))
        rc = mm_err_set(err, MM_EDENIED, "only the organization that filed incident %lld adds to it",
                        (long long)id);
    else if (!strcmp(json_string_value(json_object_get(cur, "status")), "closed"))
        rc = mm_err_set(err, MM_ECONFLICT, "incident %lld is closed: it has a final report", (long long)id);
    if (!rc)
        rc = mm_report_build(s, cfg, a, body, json_object_get(cur, "report"), problems, &doc, err);
    if (!rc)
        rc = file_version(s, a, id, doc, json_string_value(json_object_get(body, "stage")), now_ns, NULL,
                          version, err);
    json_decref(doc);
    json_decref(cur);
    return rc;
}

void mm_report_derive(json_t *doc)
{
    int64_t aware, earliest;
    json_t *a = json_object_get(doc, "aware_at"), *e = json_object_get(doc, "earliest_activity_at");
    if (json_is_string(a) && json_is_string(e) && mm_time_parse_rfc3339(json_string_value(a), &aware) == 0 &&
        mm_time_parse_rfc3339(json_string_value(e), &earliest) == 0)
        json_object_set_new(doc, "dwell_seconds", json_integer((aware - earliest) / MM_NS_PER_SEC));
}

static const json_t *version_doc(const json_t *incident, int v)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(incident, "versions"), i, e) {
        if (json_integer_value(json_object_get(e, "version")) == v)
            return json_object_get(e, "report");
    }
    return NULL;
}

int mm_report_diff(const json_t *incident, int from, int to, json_t **out, struct mm_err *err)
{
    const json_t *a = version_doc(incident, from), *b = version_doc(incident, to);
    if (!a || !b)
        return mm_err_set(err, MM_ENOTFOUND, "no version %d", a ? to : from);
    json_t *changes = json_array();
    for (size_t i = 0; fields[i]; i++) {
        json_t *x = json_object_get(a, fields[i]), *y = json_object_get(b, fields[i]);
        if ((x || y) && !(x && y && json_equal(x, y)))
            json_array_append_new(changes, json_pack("{s:s, s:O, s:O}", "field", fields[i], "from",
                                                     x ? x : json_null(), "to", y ? y : json_null()));
    }
    *out = json_pack("{s:i, s:i, s:o}", "from", from, "to", to, "changes", changes);
    return *out ? 0 : mm_err_set(err, MM_ENOMEM, "out of memory");
}

/* ---- deadlines and counts ---- */

struct overdue_ctx {
    const struct mm_cp_settings *cfg;
    int64_t now;
    bool include_due;
    json_t *items;
};

static void add_deadline(struct overdue_ctx *c, const struct mm_incident_info *ii, const char *stage,
                         int64_t due, int64_t submitted)
{
    const char *status = NULL;
    if (submitted != MM_TIME_NONE)
        status = submitted > due ? "late" : NULL;
    else
        status = c->now > due ? "overdue" : c->include_due ? "due" : NULL;
    if (!status)
        return;
    char d[MM_TIME_TEXT_MAX], sub[MM_TIME_TEXT_MAX];
    mm_time_format_us(due, d, sizeof d);
    if (submitted != MM_TIME_NONE)
        mm_time_format_us(submitted, sub, sizeof sub);
    json_array_append_new(c->items,
                          json_pack("{s:I, s:s, s:s, s:o, s:s, s:I}", "id", (json_int_t)ii->id, "stage", stage,
                                    "due_at", d, "submitted_at",
                                    submitted != MM_TIME_NONE ? json_string(sub) : json_null(), "status",
                                    status, "reporter_org", (json_int_t)ii->reporter_org));
}

static int overdue_one(void *vctx, const struct mm_incident_info *ii)
{
    struct overdue_ctx *c = vctx;
    add_deadline(c, ii, "initial", ii->aware_at_ns + c->cfg->report_initial_hours * 3600 * MM_NS_PER_SEC,
                 ii->created_at_ns);
    add_deadline(c, ii, "final", ii->aware_at_ns + c->cfg->report_final_days * MM_NS_PER_DAY, ii->final_at_ns);
    return 0;
}

int mm_report_overdue(struct mm_store *s, const struct mm_cp_settings *cfg,
                      const struct mm_scope *scope, int64_t now_ns, bool include_due,
                      json_t **items, struct mm_err *err)
{
    struct overdue_ctx c = {cfg, now_ns, include_due, json_array()};
    int rc = mm_store_incident_rows(s, scope, "statutory", overdue_one, &c, err);
    if (rc)
        json_decref(c.items);
    else
        *items = c.items;
    return rc;
}

struct stats_ctx {
    bool by_sector;
    json_t *counts; /* key -> {"statutory": n, "voluntary": n} */
};

static void bump(json_t *counts, const char *key, const char *kind)
{
    json_t *row = json_object_get(counts, key);
    if (!row) {
        row = json_pack("{s:i, s:i}", "statutory", 0, "voluntary", 0);
        json_object_set_new(counts, key, row);
    }
    json_object_set_new(row, kind, json_integer(json_integer_value(json_object_get(row, kind)) + 1));
}

static int stats_one(void *vctx, const struct mm_incident_info *ii)
{
    struct stats_ctx *c = vctx;
    if (!c->by_sector) {
        char week[16];
        mm_iso_week(ii->aware_at_ns, week, sizeof week);
        bump(c->counts, week, ii->kind);
        return 0;
    }
    if (!ii->sectors[0]) {
        bump(c->counts, "unknown", ii->kind);
        return 0;
    }
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", ii->sectors);
    for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        bump(c->counts, t, ii->kind);
    return 0;
}

int mm_report_stats(struct mm_store *s, const struct mm_scope *scope, bool by_sector,
                    const char *kind, json_t **out, struct mm_err *err)
{
    if (kind && !in_list(kinds, kind))
        return mm_err_set(err, MM_EFORMAT, "kind: statutory or voluntary");
    struct stats_ctx c = {by_sector, json_object()};
    int rc = mm_store_incident_rows(s, scope, kind, stats_one, &c, err);
    if (rc) {
        json_decref(c.counts);
        return rc;
    }
    /* Rows sorted by key (weeks sort as text). */
    size_t n = json_object_size(c.counts), k = 0;
    const char **keys = calloc(n + 1, sizeof *keys);
    const char *key;
    json_t *v;
    json_object_foreach(c.counts, key, v) keys[k++] = key;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
            const char *t = keys[j];
            keys[j] = keys[j - 1];
            keys[j - 1] = t;
        }
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_object_get(c.counts, keys[i]);
        json_int_t st = json_integer_value(json_object_get(r, "statutory")),
                   vo = json_integer_value(json_object_get(r, "voluntary"));
        json_array_append_new(rows, json_pack("{s:s, s:I, s:I, s:I}", "key", keys[i], "statutory", st,
                                              "voluntary", vo, "total", st + vo));
    }
    free(keys);
    json_decref(c.counts);
    *out = json_pack("{s:s, s:o, s:o}", "by", by_sector ? "sector" : "week", "kind",
                     kind ? json_string(kind) : json_null(), "rows", rows);
    return *out ? 0 : mm_err_set(err, MM_ENOMEM, "out of memory");
}

int mm_report_propose_criteria(struct mm_store *s, const struct mm_actor *a, int64_t id,
                               const char *legal_basis, int64_t now_ns, json_t **out,
                               struct mm_err *err)
{
    json_t *inc;
    int rc = mm_store_incident_get(s, &a->scope, id, false, &inc, err);
    if (rc)
        return rc;
    json_t *proposed = json_array(), *skipped = json_array();
    char ref[40], basis[200];
    snprintf(ref, sizeof ref, "report:%lld", (long long)id);
    if (!legal_basis || !*legal_basis) {
        snprintf(basis, sizeof basis, "%s incident report %lld",
                 json_string_value(json_object_get(inc, "kind")), (long long)id);
        legal_basis = basis;
    }
    size_t i;
    json_t *ind;
    json_array_foreach(json_object_get(json_object_get(inc, "report"), "indicators"), i, ind) {
        const char *type = json_string_value(json_object_get(ind, "type"));
        const char *value = json_string_value(json_object_get(ind, "value"));
        if (!type || !value || (strcmp(type, "ipv4") && strcmp(type, "ipv6")))
            continue;
        char cid[64];
        snprintf(cid, sizeof cid, "ir%lld-%zu", (long long)id, i + 1);
        struct mm_criterion_proposal p = {.id = cid,
                                          .match = value,
                                          .not_before_ns = INT64_MIN,
                                          .not_after_ns = INT64_MAX,
                                          .source_kind = "incident_report",
                                          .source_ref = ref,
                                          .legal_basis = legal_basis};
        struct mm_err pe;
        mm_err_clear(&pe);
        int r = mm_criteria_propose(s, &p, a->name, now_ns, &pe);
        if (r == 0)
            json_array_append_new(proposed, json_pack("{s:s, s:s}", "id", cid, "match", value));
        else if (r == MM_ECONFLICT || r == MM_EFORMAT)
            json_array_append_new(skipped, json_pack("{s:s, s:s, s:s}", "id", cid, "match", value, "reason",
                                                     r == MM_ECONFLICT ? "proposed already" : pe.msg));
        else {
            rc = mm_err_set(err, r, "%s", pe.msg);
            break;
        }
    }
    json_decref(inc);
    if (rc) {
        json_decref(proposed);
        json_decref(skipped);
        return rc;
    }
    *out = json_pack("{s:o, s:o}", "proposed", proposed, "skipped", skipped);
    return 0;
}
