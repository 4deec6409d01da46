/* test_reports.c - indicators, report version chains and diffs, deadlines, counts and criteria
 * proposals against a real SQLite store; the shipped ATT&CK list equals what the script makes. */
#include "harness.h"

#include "reports/reports.h"
#include "store/criteria.h"
#include "util/timefmt.h"

#include <stdlib.h>

TEST(indicator_known_answers)
{
    static const struct {
        const char *type, *value, *normalized; /* NULL: refused */
    } cases[] = {
        {"ipv4", "198.51.100.7", "198.51.100.7"},
        {"ipv4", "198.51.100.0/24", "198.51.100.0/24"},
        {"ipv4", "198.51.100.1/24", NULL},
        {"ipv4", "2001:db8::1", NULL},
        {"ipv4", "256.1.1.1", NULL},
        {"ipv6", "2001:DB8:0:0::1", "2001:db8::1"},
        {"ipv6", "2001:db8::/32", "2001:db8::/32"},
        {"domain", "Evil.Example.COM.", "evil.example.com"},
        {"domain", "xn--eckwd4c7c.xn--zckzah", "xn--eckwd4c7c.xn--zckzah"},
        {"domain", "localhost", NULL},
        {"domain", "-bad.example", NULL},
        {"domain", "bad-.example", NULL},
        {"domain", "a..example", NULL},
        {"domain", "1.2.3.4", NULL},
        {"url", "https://evil.example/path?q=1", "https://evil.example/path?q=1"},
        {"url", "http://x", "http://x"},
        {"url", "evil.example/path", NULL},
        {"url", "https://evil.example/a b", NULL},
        {"url", "https:///nohost", NULL},
        {"sha256", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"sha256", "e3b0c442", NULL},
        {"sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
        {"md5", "d41d8cd98f00b204e9800998ecf8427e", "d41d8cd98f00b204e9800998ecf8427e"},
        {"md5", "d41d8cd98f00b204e9800998ecf8427g", NULL},
        {"email", "Phish.Er@Evil.Example", "Phish.Er@evil.example"},
        {"email", "no-at.example", NULL},
        {"email", "a..b@evil.example", NULL},
        {"email", "a@b", NULL},
        {"asn", "AS64500", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[MM_INDICATOR_MAX + 1];
        struct mm_err err;
        mm_err_clear(&err);
        int rc = mm_indicator_check(cases[i].type, cases[i].value, out, sizeof out, &err);
        if (cases[i].normalized && rc)
            MM_FAIL_("%s %s refused: %s", cases[i].type, cases[i].value, err.msg);
        if (!cases[i].normalized && !rc)
            MM_FAIL_("%s %s accepted as %s", cases[i].type, cases[i].value, out);
        if (cases[i].normalized)
            ASSERT_STR_EQ(out, cases[i].normalized);
    }
}

TEST(attack_list_matches_generator)
{
    const char *shared = mm_test_shared_data();
    if (!shared) {
        fprintf(stderr, "  skipped: no ../shared/data\n");
        return;
    }
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "sh scripts/gen-attack-ids.sh '%s/attack/techniques.tsv' | cmp -s - etc/attack-techniques.txt",
             shared);
    ASSERT_EQ(system(cmd), 0);
    struct mm_cp_settings cfg;
    struct mm_err err;
    mm_err_clear(&err);
    ASSERT_EQ(mm_cp_settings_init(&cfg, &err), 0);
    ASSERT_TRUE(cfg.attack_ids.n > 800);
    ASSERT_TRUE(mm_strlist_has(&cfg.attack_ids, "T1566.001"));
    ASSERT_TRUE(mm_strlist_has(&cfg.attack_ids, "T0800")); /* ICS */
    ASSERT_TRUE(!mm_strlist_has(&cfg.attack_ids, "T1186")); /* revoked */
    mm_cp_settings_fini(&cfg);
}

struct rworld {
    struct mm_store *s;
    struct mm_cp_settings cfg;
    struct mm_actor op, op2, sup, analyst;
};

static void mk_org(struct rworld *w, const char *name, enum mm_org_type t, const char *sector,
                   struct mm_actor *a)
{
    struct mm_org o = {.type = t};
    snprintf(o.name, sizeof o.name, "%s", name);
    if (sector)
        snprintf(o.sectors[o.nsectors++], sizeof o.sectors[0], "%s", sector);
    int64_t id = 0;
    struct mm_err err;
    mm_err_clear(&err);
    mm_store_org_add(w->s, &o, "t", 1, &id, &err);
    memset(a, 0, sizeof *a);
    snprintf(a->name, sizeof a->name, "%s-user", name);
    mm_store_org_get(w->s, id, &a->org, &err);
    mm_scope_of_org(&a->org, &a->scope);
}

static bool rworld_open(struct rworld *w, const char *name)
{
    memset(w, 0, sizeof *w);
    char path[512];
    snprintf(path, sizeof path, "%s/%s.db", mm_test_tmpdir(), name);
    struct mm_err err;
    mm_err_clear(&err);
    if (mm_store_open(path, MM_STORE_CREATE, &w->s, &err) || mm_cp_settings_init(&w->cfg, &err))
        return false;
    mk_org(w, "op", MM_ORG_OPERATOR, "electricity", &w->op);
    mk_org(w, "op2", MM_ORG_OPERATOR, "finance", &w->op2);
    mk_org(w, "sup", MM_ORG_SUPPLIER, NULL, &w->sup);
    snprintf(w->analyst.name, sizeof w->analyst.name, "ana");
    w->analyst.role = MM_ROLE_ANALYST;
    w->analyst.scope.kind = MM_SCOPE_ALL;
    return w->op.org.id && w->sup.org.id;
}

static int file(struct rworld *w, struct mm_actor *a, int64_t id, const char *json, int64_t *new_id, int *version,
                json_t *problems)
{
    json_t *body = json_loads(json, 0, NULL);
    struct mm_err err;
    mm_err_clear(&err);
    int rc = id ? mm_report_add_version(w->s, &w->cfg, a, id, body, 5, version, problems, &err)
                : mm_report_create(w->s, &w->cfg, a, body, 5, new_id, problems, &err);
    json_decref(body);
    return rc;
}

TEST(report_version_chain_and_diff)
{
    struct rworld w;
    ASSERT_TRUE(rworld_open(&w, "chain"));
    json_t *problems = json_array();
    int64_t id = 0;
    int v = 0;
    ASSERT_EQ(file(&w, &w.op, 0, "{\"kind\":\"statutory\",\"aware_at\":\"2026-11-20T09:00:00Z\",\"summary\":\"s\",\"contact\":\"c\"}",
                   &id, NULL, problems),
              0);
    ASSERT_EQ(file(&w, &w.op, 0, "{\"kind\":\"statutory\",\"summary\":\"s\",\"contact\":\"c\",\"stage\":\"final\"}", &id,
                   NULL, problems),
              MM_EFORMAT);
    ASSERT_EQ(json_array_size(problems), 2); /* stage, aware_at */
    json_array_clear(problems);
    ASSERT_EQ(file(&w, &w.op2, id, "{\"stage\":\"update\"}", NULL, &v, problems), MM_ENOTFOUND);
    ASSERT_EQ(file(&w, &w.op, id, "{\"summary\":\"no stage\"}", NULL, &v, problems), MM_EFORMAT);
    json_array_clear(problems);
    ASSERT_EQ(file(&w, &w.op, id, "{\"stage\":\"update\",\"kind\":\"voluntary\"}", NULL, &v, problems), MM_EFORMAT);
    json_array_clear(problems);
    ASSERT_EQ(file(&w, &w.op, id,
                   "{\"stage\":\"update\",\"functional_impact\":\"minimal_critical\",\"earliest_activity_at\":"
                   "\"2026-11-20T08:00:00+00:00\",\"unconfirmed\":[\"functional_impact\"]}",
                   NULL, &v, problems),
              0);
    ASSERT_EQ(v, 2);
    ASSERT_EQ(file(&w, &w.op, id, "{\"stage\":\"final\",\"unconfirmed\":[],\"earliest_activity_at\":null}", NULL, &v,
                   problems),
              0);
    ASSERT_EQ(v, 3);
    ASSERT_EQ(file(&w, &w.op, id, "{\"stage\":\"update\"}", NULL, &v, problems), MM_ECONFLICT);
    json_t *inc, *diff;
    struct mm_err err;
    mm_err_clear(&err);
    ASSERT_EQ(mm_store_incident_get(w.s, &w.op.scope, id, true, &inc, &err), 0);
    ASSERT_STR_EQ(json_string_value(json_object_get(inc, "status")), "closed");
    ASSERT_EQ(json_array_size(json_object_get(inc, "versions")), 3);
    json_t *v2 = json_object_get(json_array_get(json_object_get(inc, "versions"), 1), "report");
    ASSERT_STR_EQ(json_string_value(json_object_get(v2, "summary")), "s"); /* carried over */
    mm_report_derive(v2);
    ASSERT_EQ(json_integer_value(json_object_get(v2, "dwell_seconds")), 3600);
    ASSERT_EQ(mm_report_diff(inc, 1, 3, &diff, &err), 0);
    ASSERT_EQ(json_array_size(json_object_get(diff, "changes")), 2); /* functional_impact; unconfirmed [] */
    json_decref(diff);
    ASSERT_EQ(mm_report_diff(inc, 2, 3, &diff, &err), 0);
    ASSERT_EQ(json_array_size(json_object_get(diff, "changes")), 2); /* earliest_activity_at, unconfirmed */
    json_decref(diff);
    ASSERT_EQ(mm_report_diff(inc, 1, 9, &diff, &err), MM_ENOTFOUND);
    json_decref(inc);
    json_decref(problems);
    mm_store_close(w.s);
    mm_cp_settings_fini(&w.cfg);
}

TEST(report_deadlines_stats_proposals)
{
    struct rworld w;
    ASSERT_TRUE(rworld_open(&w, "deadlines"));
    json_t *problems = json_array();
    int64_t a = 0, b = 0, c = 0;
    char body[512];
    snprintf(body, sizeof body,
             "{\"kind\":\"statutory\",\"aware_at\":\"1970-01-01T00:00:00Z\",\"summary\":\"s\",\"contact\":\"c\","
             "\"reported_for\":[%lld,%lld],\"indicators\":[{\"type\":\"ipv4\",\"value\":\"203.0.113.9\"},"
             "{\"type\":\"domain\",\"value\":\"x.example\"},{\"type\":\"ipv6\",\"value\":\"2001:db8::/48\"}]}",
             (long long)w.op.org.id, (long long)w.op2.org.id);
    ASSERT_EQ(file(&w, &w.sup, 0, body, &a, NULL, problems), 0);
    ASSERT_EQ(file(&w, &w.op, 0, "{\"kind\":\"voluntary\",\"aware_at\":\"1970-01-01T00:00:00Z\",\"summary\":\"s\",\"contact\":\"c\"}",
                   &b, NULL, problems),
              0);
    snprintf(body, sizeof body, "{\"kind\":\"statutory\",\"aware_at\":\"1970-01-01T00:00:00Z\",\"summary\":\"s\",\"contact\":\"c\",\"reported_for\":[%lld]}",
             (long long)w.sup.org.id);
    ASSERT_EQ(file(&w, &w.sup, 0, body, &c, NULL, problems), MM_EFORMAT); /* a supplier is not an operator */
    json_decref(problems);
    struct mm_err err;
    mm_err_clear(&err);
    json_t *items;
    /* now: 4 days after aware_at: the initial (filed at 5 ns) is on time, the final is due. */
    ASSERT_EQ(mm_report_overdue(w.s, &w.cfg, &w.analyst.scope, 4 * 86400 * MM_NS_PER_SEC, false, &items, &err), 0);
    ASSERT_EQ(json_array_size(items), 0);
    json_decref(items);
    ASSERT_EQ(mm_report_overdue(w.s, &w.cfg, &w.analyst.scope, 4 * 86400 * MM_NS_PER_SEC, true, &items, &err), 0);
    ASSERT_EQ(json_array_size(items), 1); /* the voluntary report has no deadline */
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(items, 0), "status")), "due");
    json_decref(items);
    ASSERT_EQ(mm_report_overdue(w.s, &w.cfg, &w.op2.scope, 31 * 86400 * MM_NS_PER_SEC, false, &items, &err), 0);
    ASSERT_EQ(json_array_size(items), 1);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(items, 0), "status")), "overdue");
    json_decref(items);
    json_t *stats;
    ASSERT_EQ(mm_report_stats(w.s, &w.analyst.scope, true, NULL, &stats, &err), 0);
    char *text = json_dumps(json_object_get(stats, "rows"), JSON_COMPACT);
    ASSERT_STR_EQ(text, "[{\"key\":\"electricity\",\"statutory\":1,\"voluntary\":1,\"total\":2},"
                        "{\"key\":\"finance\",\"statutory\":1,\"voluntary\":0,\"total\":1}]");
    free(text);
    json_decref(stats);
    json_t *out;
    ASSERT_EQ(mm_report_propose_criteria(w.s, &w.analyst, a, NULL, 10, &out, &err), 0);
    ASSERT_EQ(json_array_size(json_object_get(out, "proposed")), 2);
    json_decref(out);
    ASSERT_EQ(mm_report_propose_criteria(w.s, &w.analyst, a, NULL, 10, &out, &err), 0);
    ASSERT_EQ(json_array_size(json_object_get(out, "skipped")), 2);
    json_decref(out);
    mm_store_close(w.s);
    mm_cp_settings_fini(&w.cfg);
}
