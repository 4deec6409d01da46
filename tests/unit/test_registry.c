/* test_registry.c - CPE 2.3 validation, the CSV reader, dates and deadlines, organizations and
 * scoping, asset versions and all-or-nothing import against a real SQLite store. */
#include "harness.h"

#include "registry/cpe.h"
#include "registry/csv.h"
#include "registry/registry.h"
#include "util/datefmt.h"

#include <sqlite3.h>
#include <stdlib.h>

TEST(cpe_known_answers)
{
    static const char *const good[] = {
        "cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*",
        "cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*",
        "cpe:2.3:o:linux:linux_kernel:5.10:*:*:*:*:*:*:*",
        "cpe:2.3:h:cisco:asr_1001-x:-:*:*:*:*:*:*:*",
        "cpe:2.3:a:foo\\:bar:big\\$money_2010:*:*:*:en-us:*:*:*:*",
        "cpe:2.3:a:acme:prod*:1.?:rc??:*:ja:*:*:*:*",
        "cpe:2.3:a:acme:prod:1\\!0\\*:*:*:es-419:*:*:*:*",
        "cpe:2.3:a:yokogawa:centum_vp:r6.01.10:*:*:*:*:*:*:*",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        struct mm_err err;
        mm_err_clear(&err);
        if (mm_cpe_validate(good[i], &err) != 0)
            MM_FAIL_("%s refused: %s", good[i], err.msg);
    }
    static const struct {
        const char *cpe, *why;
    } bad[] = {
        {"cpe:/a:microsoft:ie:8", "2.3:"},
        {"cpe:2.3:x:a:b:*:*:*:*:*:*:*:*", "part"},
        {"cpe:2.3:a:a:b:*:*:*:*:*:*:*", "13 components"},
        {"cpe:2.3:a:a:b:*:*:*:*:*:*:*:*:*", "more than 13"},
        {"cpe:2.3:a:ven*dor:b:*:*:*:*:*:*:*:*", "start or end"},
        {"cpe:2.3:a:vendor:pro duct:*:*:*:*:*:*:*:*", "quoted"},
        {"cpe:2.3:a:vendor:prod\\:*:*:*:*:*:*:*", "13 components"},
        {"cpe:2.3:a:vendor:prod\\_x:*:*:*:*:*:*:*:*", "backslash"},
        {"cpe:2.3:a::prod:*:*:*:*:*:*:*:*", "empty"},
        {"cpe:2.3:a:v:p:*:*:*:english:*:*:*:*", "language"},
        {"cpe:2.3:a:v:p:**:*:*:*:*:*:*:*", "wildcard"},
        {"cpe:2.3:a:v:p:1.0:*:*:*:*:*:*:*\\", "backslash"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct mm_err err;
        mm_err_clear(&err);
        if (mm_cpe_validate(bad[i].cpe, &err) == 0)
            MM_FAIL_("%s accepted", bad[i].cpe);
        ASSERT_CONTAINS(err.msg, bad[i].why);
    }
}

struct csv_rows {
    char out[2048];
    size_t n;
};

static int collect(void *ctx, const struct mm_csv_record *r)
{
    struct csv_rows *c = ctx;
    for (size_t i = 0; i < r->nfields; i++)
        c->n += (size_t)snprintf(c->out + c->n, sizeof c->out - c->n, "%s[%s]", i ? "" : "", r->fields[i]);
    c->n += (size_t)snprintf(c->out + c->n, sizeof c->out - c->n, "@%zu/%zu;", r->number, r->line);
    return 0;
}

static const char *csv(const char *data, int *rc)
{
    static struct csv_rows c;
    memset(&c, 0, sizeof c);
    struct mm_err err;
    mm_err_clear(&err);
    *rc = mm_csv_parse(data, strlen(data), collect, &c, &err);
    if (*rc)
        snprintf(c.out, sizeof c.out, "ERR %s", err.msg);
    return c.out;
}

TEST(csv_quotes_newlines_bom_crlf)
{
    int rc;
    ASSERT_STR_EQ(csv("a,b\r\n1,2\r\n", &rc), "[a][b]@1/1;[1][2]@2/2;");
    ASSERT_STR_EQ(csv("\xef\xbb\xbf" "a,b\n\"x,\"\"y\"\"\",\"two\r\nlines\"\n\n3,\n", &rc),
                  "[a][b]@1/1;[x,\"y\"][two\r\nlines]@2/2;[3][]@3/5;");
    ASSERT_STR_EQ(csv("a,b", &rc), "[a][b]@1/1;");
    ASSERT_STR_EQ(csv("\"\",x\r", &rc), "[][x]@1/1;");
    ASSERT_STR_EQ(csv("", &rc), "");
    ASSERT_CONTAINS(csv("a,\"b\n", &rc), "unterminated");
    ASSERT_EQ(rc, MM_EFORMAT);
    ASSERT_CONTAINS(csv("a,b\nx\"y,z\n", &rc), "row 2 (line 2): a quote inside");
    ASSERT_CONTAINS(csv("\"a\"b\n", &rc), "after a closing quote");
    ASSERT_CONTAINS(csv("a\n\xff\xfe\n", &rc), "not UTF-8");
    ASSERT_CONTAINS(csv("a\n\xed\xa0\x80\n", &rc), "not UTF-8"); /* a surrogate */
}

TEST(dates_and_deadlines)
{
    int64_t d;
    char buf[32];
    ASSERT_EQ(mm_date_parse("2026-10-01", &d), 0);
    ASSERT_EQ(mm_date_parse("2026-02-29", &d), MM_EFORMAT);
    ASSERT_EQ(mm_date_parse("2028-02-29", &d), 0);
    ASSERT_EQ(mm_date_parse("2026-10-01T00:00:00Z", &d), MM_EFORMAT);
    mm_date_parse("2026-08-31", &d);
    mm_date_format(mm_date_add_months(d, 6), buf, sizeof buf);
    ASSERT_STR_EQ(buf, "2027-02-28");
    mm_date_parse("2026-11-20", &d);
    mm_iso_week(d, buf, sizeof buf);
    ASSERT_STR_EQ(buf, "2026-W47");
    mm_date_parse("2027-01-01", &d); /* a Friday: ISO week 53 of 2026 */
    mm_iso_week(d, buf, sizeof buf);
    ASSERT_STR_EQ(buf, "2026-W53");

    struct mm_cp_settings cfg;
    struct mm_err err;
    mm_err_clear(&err);
    ASSERT_EQ(mm_cp_settings_init(&cfg, &err), 0);
    int64_t before, after, change, retired;
    mm_date_parse("2020-04-01", &before);
    mm_date_parse("2027-01-10", &after);
    mm_date_parse("2027-03-01", &change);
    mm_date_parse("2025-01-01", &retired);
    mm_date_format(mm_asset_due_at(&cfg, 1, before, before, MM_TIME_NONE, false), buf, sizeof buf);
    ASSERT_STR_EQ(buf, "2027-04-01");
    mm_date_format(mm_asset_due_at(&cfg, 1, after, after, MM_TIME_NONE, false), buf, sizeof buf);
    ASSERT_STR_EQ(buf, "2027-02-09");
    mm_date_format(mm_asset_due_at(&cfg, 3, before, change, MM_TIME_NONE, false), buf, sizeof buf);
    ASSERT_STR_EQ(buf, "2027-03-31");
    ASSERT_TRUE(mm_asset_due_at(&cfg, 1, before, before, MM_TIME_NONE, true) == MM_TIME_NONE);
    ASSERT_TRUE(mm_asset_due_at(&cfg, 1, before, before, retired, false) == MM_TIME_NONE);
    ASSERT_EQ(mm_cp_settings_set(&cfg, "change_due_days", "0", &err), MM_EFORMAT);
    ASSERT_EQ(mm_cp_settings_set(&cfg, "enforcement_date", "2027-04-01", &err), 0);
    mm_date_format(mm_asset_due_at(&cfg, 1, before, before, MM_TIME_NONE, false), buf, sizeof buf);
    ASSERT_STR_EQ(buf, "2027-10-01");
    mm_cp_settings_fini(&cfg);
}

TEST(settings_file)
{
    char path[512];
    snprintf(path, sizeof path, "%s/settings.conf", mm_test_tmpdir());
    FILE *f = fopen(path, "w");
    fputs("# test\nchange_due_days = 14\nsectors = electricity, finance\n", f);
    fclose(f);
    struct mm_cp_settings cfg;
    struct mm_err err;
    mm_err_clear(&err);
    ASSERT_EQ(mm_cp_settings_load(&cfg, path, &err), 0);
    ASSERT_EQ(cfg.change_due_days, 14);
    ASSERT_EQ(cfg.sectors.n, 2);
    ASSERT_TRUE(mm_strlist_has(&cfg.categories, "control_system"));
    mm_cp_settings_fini(&cfg);
    f = fopen(path, "w");
    fputs("change_due_days = 14\nnosuch = 1\n", f);
    fclose(f);
    ASSERT_EQ(mm_cp_settings_load(&cfg, path, &err), MM_EFORMAT);
    ASSERT_CONTAINS(err.msg, ":2: unknown setting 'nosuch'");
}

/* A store with three operators (two in finance), a supplier and two ministries. */
struct world {
    struct mm_store *s;
    struct mm_cp_settings cfg;
    int64_t op_e, op_f1, op_f2, sup, min_e, min_f;
};

static int64_t add_org(struct world *w, const char *name, enum mm_org_type t, const char *sector)
{
    struct mm_org o = {.type = t};
    snprintf(o.name, sizeof o.name, "%s", name);
    if (sector)
        snprintf(o.sectors[o.nsectors++], sizeof o.sectors[0], "%s", sector);
    int64_t id = 0;
    struct mm_err err;
    mm_err_clear(&err);
    if (mm_org_check(&o, &w->cfg, &err) || mm_store_org_add(w->s, &o, "test", 1, &id, &err))
        return 0;
    return id;
}

static bool world_open(struct world *w, const char *name)
{
    memset(w, 0, sizeof *w);
    char path[512];
    snprintf(path, sizeof path, "%s/%s.db", mm_test_tmpdir(), name);
    struct mm_err err;
    mm_err_clear(&err);
    if (mm_store_open(path, MM_STORE_CREATE, &w->s, &err) || mm_cp_settings_init(&w->cfg, &err))
        return false;
    w->op_e = add_org(w, "op-e", MM_ORG_OPERATOR, "electricity");
    w->op_f1 = add_org(w, "op-f1", MM_ORG_OPERATOR, "finance");
    w->op_f2 = add_org(w, "op-f2", MM_ORG_OPERATOR, "finance");
    w->sup = add_org(w, "sup", MM_ORG_SUPPLIER, NULL);
    w->min_e = add_org(w, "min-e", MM_ORG_MINISTRY, "electricity");
    w->min_f = add_org(w, "min-f", MM_ORG_MINISTRY, "finance");
    return w->op_e && w->op_f1 && w->op_f2 && w->sup && w->min_e && w->min_f;
}

static void world_close(struct world *w)
{
    mm_store_close(w->s);
    mm_cp_settings_fini(&w->cfg);
}

static void actor_of(struct world *w, int64_t org, struct mm_actor *a)
{
    memset(a, 0, sizeof *a);
    snprintf(a->name, sizeof a->name, "user-%lld", (long long)org);
    struct mm_err err;
    mm_err_clear(&err);
    mm_store_org_get(w->s, org, &a->org, &err);
    mm_scope_of_org(&a->org, &a->scope);
}

static int64_t make_asset(struct world *w, struct mm_actor *a, const char *json)
{
    json_t *body = json_loads(json, 0, NULL), *problems = json_array();
    int64_t id = 0;
    struct mm_err err;
    mm_err_clear(&err);
    int rc = mm_registry_create(w->s, &w->cfg, a, body, 1000, &id, problems, &err);
    if (rc) {
        char *p = json_dumps(problems, 0);
        fprintf(stderr, "  create: %d %s %s\n", rc, err.msg, p);
        free(p);
    }
    json_decref(body);
    json_decref(problems);
    return rc ? 0 : id;
}

TEST(org_rules_and_scoping)
{
    struct world w;
    ASSERT_TRUE(world_open(&w, "scope"));
    struct mm_org bad = {.type = MM_ORG_OPERATOR};
    snprintf(bad.name, sizeof bad.name, "x");
    struct mm_err err;
    mm_err_clear(&err);
    ASSERT_EQ(mm_org_check(&bad, &w.cfg, &err), MM_EFORMAT);
    ASSERT_EQ(add_org(&w, "op-e", MM_ORG_OPERATOR, "gas"), 0); /* name taken */

    struct mm_actor e, f1, f2, sup, me, mf;
    actor_of(&w, w.op_e, &e);
    actor_of(&w, w.op_f1, &f1);
    actor_of(&w, w.op_f2, &f2);
    actor_of(&w, w.sup, &sup);
    actor_of(&w, w.min_e, &me);
    actor_of(&w, w.min_f, &mf);
    int64_t own = make_asset(&w, &e, "{\"category\":\"server\",\"vendor\":\"v\",\"product\":\"p\",\"in_service_from\":\"2020-01-01\"}");
    char shared_json[256];
    snprintf(shared_json, sizeof shared_json,
             "{\"category\":\"cloud_service\",\"vendor\":\"s\",\"product\":\"saas\",\"in_service_from\":\"2020-01-01\","
             "\"operators\":[%lld,%lld]}",
             (long long)w.op_e, (long long)w.op_f1);
    int64_t shared = make_asset(&w, &sup, shared_json);
    ASSERT_TRUE(own > 0 && shared > 0);
    struct {
        struct mm_actor *who;
        int64_t asset;
        int expect;
    } cases[] = {
        {&e, own, 0},    {&f1, own, MM_ENOTFOUND},  {&sup, own, MM_ENOTFOUND}, {&me, own, 0},
        {&mf, own, MM_ENOTFOUND}, {&e, shared, 0}, {&f1, shared, 0}, {&f2, shared, MM_ENOTFOUND},
        {&sup, shared, 0}, {&me, shared, 0}, {&mf, shared, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mm_err_clear(&err);
        int rc = mm_store_asset_visible(w.s, &cases[i].who->scope, cases[i].asset, &err);
        if (rc != cases[i].expect)
            MM_FAIL_("case %zu: got %d, expected %d", i, rc, cases[i].expect);
    }
    struct mm_scope all = {.kind = MM_SCOPE_ALL}, none = {.kind = MM_SCOPE_NONE};
    ASSERT_EQ(mm_store_asset_visible(w.s, &all, own, &err), 0);
    ASSERT_EQ(mm_store_asset_visible(w.s, &none, own, &err), MM_ENOTFOUND);
    /* A user's scope comes from role and organization name; a mismatch sees nothing. */
    struct mm_user u = {.role = MM_ROLE_MINISTRY};
    snprintf(u.org, sizeof u.org, "op-e");
    struct mm_scope sc;
    ASSERT_EQ(mm_scope_for_user(w.s, &u, &sc, &err), 0);
    ASSERT_EQ(sc.kind, MM_SCOPE_NONE);
    u.role = MM_ROLE_OPERATOR;
    ASSERT_EQ(mm_scope_for_user(w.s, &u, &sc, &err), 0);
    ASSERT_EQ(sc.kind, MM_SCOPE_ORG);
    ASSERT_EQ(sc.org_id, w.op_e);
    world_close(&w);
}

TEST(asset_versions_as_of)
{
    struct world w;
    ASSERT_TRUE(world_open(&w, "versions"));
    struct mm_actor e, f1;
    actor_of(&w, w.op_e, &e);
    actor_of(&w, w.op_f1, &f1);
    int64_t id = make_asset(&w, &e, "{\"category\":\"server\",\"vendor\":\"v\",\"product\":\"p\",\"product_version\":\"1\","
                                     "\"in_service_from\":\"2020-01-01\"}");
    ASSERT_TRUE(id > 0);
    json_t *body = json_loads("{\"category\":\"server\",\"vendor\":\"v\",\"product\":\"p\",\"product_version\":\"2\","
                              "\"in_service_from\":\"2020-01-01\",\"changed_at\":\"2027-01-15\"}",
                              0, NULL);
    json_t *problems = json_array();
    struct mm_err err;
    mm_err_clear(&err);
    int version = 0;
    ASSERT_EQ(mm_registry_update(w.s, &w.cfg, &f1, id, body, 2000, &version, problems, &err), MM_ENOTFOUND);
    ASSERT_EQ(mm_registry_update(w.s, &w.cfg, &e, id, body, 2000, &version, problems, &err), 0);
    ASSERT_EQ(version, 2);
    json_decref(body);
    json_decref(problems);
    int64_t t;
    json_t *v;
    mm_date_parse("2026-06-01", &t);
    ASSERT_EQ(mm_store_asset_get(w.s, &e.scope, id, t, &v, &err), 0);
    ASSERT_STR_EQ(json_string_value(json_object_get(v, "product_version")), "1");
    json_decref(v);
    mm_date_parse("2027-01-15", &t);
    ASSERT_EQ(mm_store_asset_get(w.s, &e.scope, id, t, &v, &err), 0);
    ASSERT_STR_EQ(json_string_value(json_object_get(v, "product_version")), "2");
    ASSERT_STR_EQ(json_string_value(json_object_get(v, "due_at")), "2027-02-14");
    json_decref(v);
    mm_date_parse("2019-12-31", &t);
    ASSERT_EQ(mm_store_asset_get(w.s, &e.scope, id, t, &v, &err), MM_ENOTFOUND);
    /* Versions are immutable in the store itself. */
    sqlite3 *db;
    ASSERT_EQ(sqlite3_open(mm_store_path(w.s), &db), SQLITE_OK);
    ASSERT_TRUE(sqlite3_exec(db, "UPDATE asset_versions SET doc = '{}'", NULL, NULL, NULL) != SQLITE_OK);
    ASSERT_TRUE(sqlite3_exec(db, "DELETE FROM asset_versions", NULL, NULL, NULL) != SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "UPDATE asset_versions SET forwarded_at = 1 WHERE version = 1", NULL, NULL, NULL),
              SQLITE_OK); /* forwarding bookkeeping, once */
    ASSERT_TRUE(sqlite3_exec(db, "UPDATE asset_versions SET forwarded_at = 2 WHERE version = 1", NULL, NULL, NULL) !=
                SQLITE_OK);
    sqlite3_close(db);
    world_close(&w);
}

TEST(import_all_or_nothing)
{
    struct world w;
    ASSERT_TRUE(world_open(&w, "import"));
    struct mm_actor e;
    actor_of(&w, w.op_e, &e);
    const char *bad = "category,vendor,product,in_service_from,receiving_ministry\n"
                      "server,a,b,2020-01-01,\n"
                      "server,a,b,2020-01-01,99\n"       /* no such ministry: found in the store pass */
                      "toaster,a,b,2020-01-01,\n";        /* bad category: found in the first pass */
    json_t *problems = json_array(), *ids = NULL;
    struct mm_err err;
    mm_err_clear(&err);
    ASSERT_EQ(mm_registry_import(w.s, &w.cfg, &e, bad, strlen(bad), "text/csv", 1, &ids, problems, &err), MM_EFORMAT);
    ASSERT_EQ(json_array_size(problems), 1); /* the store pass runs only on a clean file */
    ASSERT_EQ(json_integer_value(json_object_get(json_array_get(problems, 0), "row")), 4);
    json_array_clear(problems);
    const char *bad2 = "category,vendor,product,in_service_from,receiving_ministry\n"
                       "server,a,b,2020-01-01,\n"
                       "server,a,b,2020-01-01,99\n";
    ASSERT_EQ(mm_registry_import(w.s, &w.cfg, &e, bad2, strlen(bad2), "text/csv", 1, &ids, problems, &err), MM_EFORMAT);
    ASSERT_EQ(json_integer_value(json_object_get(json_array_get(problems, 0), "row")), 3);
    struct mm_asset_filter f = {.exempt = -1, .retired = -1, .limit = 10};
    json_t *items;
    int64_t total = -1;
    ASSERT_EQ(mm_store_asset_list(w.s, &e.scope, &f, &items, &total, &err), 0);
    ASSERT_EQ(total, 0); /* row 2 was rolled back */
    json_decref(items);
    json_array_clear(problems);
    const char *hdr = "category,vendor,nosuch\n";
    ASSERT_EQ(mm_registry_import(w.s, &w.cfg, &e, hdr, strlen(hdr), "text/csv", 1, &ids, problems, &err), MM_EFORMAT);
    ASSERT_EQ(json_array_size(problems), 3); /* unknown column, product and in_service_from missing */
    json_array_clear(problems);
    const char *good = "[{\"category\":\"server\",\"vendor\":\"a\",\"product\":\"b\",\"in_service_from\":\"2020-01-01\"}]";
    ASSERT_EQ(mm_registry_import(w.s, &w.cfg, &e, good, strlen(good), "application/json", 1, &ids, problems, &err), 0);
    ASSERT_EQ(json_array_size(ids), 1);
    json_decref(ids);
    json_decref(problems);
    world_close(&w);
}
