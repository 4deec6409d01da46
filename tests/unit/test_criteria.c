/* test_criteria.c - the criteria state machine, the ledger counts and the agreement register on a
 * real SQLite store. */
#include "harness.h"

#include "store/criteria.h"

#include <stdlib.h>

#define NS 1000000000LL
#define T0 (1800000000LL * NS) /* 2027-01-15 */

static struct mm_store *new_store(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.db", mm_test_tmpdir(), name);
    struct mm_store *s = NULL;
    struct mm_err err;
    mm_err_clear(&err);
    if (mm_store_open(path, MM_STORE_CREATE, &s, &err) != 0)
        fprintf(stderr, "  %s\n", err.msg);
    return s;
}

static struct mm_criterion_proposal addr(const char *id, const char *match)
{
    return (struct mm_criterion_proposal){.id = id,
                                          .match = match,
                                          .not_before_ns = INT64_MIN,
                                          .not_after_ns = INT64_MAX,
                                          .source_kind = "incident_report",
                                          .source_ref = "IR-1",
                                          .legal_basis = "Art. 32(1)"};
}

struct seen {
    char ids[8][16];
    enum mm_criterion_status status[8];
    int n;
};

static int remember(void *ctx, const struct mm_criterion_info *c)
{
    struct seen *sn = ctx;
    if (sn->n < 8) {
        snprintf(sn->ids[sn->n], sizeof sn->ids[0], "%s", c->id);
        sn->status[sn->n++] = c->status;
    }
    return 0;
}

TEST(criteria_state_machine)
{
    struct mm_store *s = new_store("sm");
    ASSERT_TRUE(s != NULL);
    struct mm_err err;
    mm_err_clear(&err);
    struct mm_criterion_proposal a = addr("C-1", "198.51.100.7"), b = addr("C-2", "203.0.113.0/24");
    struct mm_criterion_proposal c = addr("C-3", "2001:db8::1");
    c.not_after_ns = T0 + 10 * NS;
    ASSERT_EQ(mm_criteria_propose(s, &a, "ana", T0, &err), 0);
    ASSERT_EQ(mm_criteria_propose(s, &b, "ana", T0, &err), 0);
    ASSERT_EQ(mm_criteria_propose(s, &c, "ana", T0, &err), 0);
    ASSERT_EQ(mm_criteria_propose(s, &a, "ana", T0, &err), MM_ECONFLICT);

    /* Only a proposed criterion can be approved or rejected, only an approved one revoked. */
    mm_err_clear(&err);
    ASSERT_EQ(mm_criteria_decide(s, "C-1", MM_DECIDE_REVOKE, "com", "r", T0, &err), MM_ECONFLICT);
    ASSERT_CONTAINS(err.msg, "is proposed");
    mm_err_clear(&err);
    ASSERT_EQ(mm_criteria_decide(s, "C-1", MM_DECIDE_APPROVE, "com", "", T0, &err), MM_EFORMAT);
    mm_err_clear(&err);
    ASSERT_EQ(mm_criteria_decide(s, "C-9", MM_DECIDE_APPROVE, "com", "r", T0, &err), MM_ENOTFOUND);
    mm_err_clear(&err);
    ASSERT_EQ(mm_criteria_decide(s, "C-1", MM_DECIDE_APPROVE, "com", "fits", T0 + NS, &err), 0);
    ASSERT_EQ(mm_criteria_decide(s, "C-1", MM_DECIDE_APPROVE, "com", "again", T0, &err),
              MM_ECONFLICT);
    mm_err_clear(&err);
    ASSERT_EQ(mm_criteria_decide(s, "C-1", MM_DECIDE_REJECT, "com", "late", T0, &err),
              MM_ECONFLICT);
    mm_err_clear(&err);
    ASSERT_EQ(mm_criteria_decide(s, "C-2", MM_DECIDE_REJECT, "com", "broad", T0 + NS, &err), 0);
    ASSERT_EQ(mm_criteria_decide(s, "C-2", MM_DECIDE_APPROVE, "com", "no", T0, &err), MM_ECONFLICT);
    mm_err_clear(&err);
    ASSERT_EQ(mm_criteria_decide(s, "C-3", MM_DECIDE_APPROVE, "com", "short", T0 + NS, &err), 0);
    ASSERT_EQ(mm_criteria_decide(s, "C-1", MM_DECIDE_REVOKE, "com", "done", T0 + 2 * NS, &err), 0);
    ASSERT_EQ(mm_criteria_decide(s, "C-1", MM_DECIDE_REVOKE, "com", "twice", T0, &err),
              MM_ECONFLICT);

    /* C-3 expires when its not_after passes: derived, and no longer revocable or in force. */
    struct seen before = {0}, after = {0}, in_force = {0};
    ASSERT_EQ(mm_criteria_list(s, T0 + 5 * NS, 0, remember, &before, &err), 0);
    ASSERT_EQ(before.n, 3);
    ASSERT_EQ(before.status[0], MM_CRIT_REVOKED);
    ASSERT_EQ(before.status[1], MM_CRIT_REJECTED);
    ASSERT_EQ(before.status[2], MM_CRIT_APPROVED);
    ASSERT_EQ(mm_criteria_list(s, T0 + 10 * NS, 0, remember, &after, &err), 0);
    ASSERT_EQ(after.status[2], MM_CRIT_EXPIRED);
    ASSERT_EQ(mm_criteria_list(s, T0 + 5 * NS, MM_CRITERIA_IN_FORCE, remember, &in_force, &err), 0);
    ASSERT_EQ(in_force.n, 1);
    ASSERT_STR_EQ(in_force.ids[0], "C-3");
    in_force.n = 0;
    ASSERT_EQ(mm_criteria_list(s, T0 + 10 * NS, MM_CRITERIA_IN_FORCE, remember, &in_force, &err),
              0);
    ASSERT_EQ(in_force.n, 0);
    mm_err_clear(&err);
    ASSERT_EQ(mm_criteria_decide(s, "C-3", MM_DECIDE_REVOKE, "com", "x", T0 + 11 * NS, &err),
              MM_ECONFLICT);
    ASSERT_CONTAINS(err.msg, "expired");

    /* A proposal already past its not_after cannot be approved. */
    struct mm_criterion_proposal d = addr("C-4", "192.0.2.1");
    d.not_after_ns = T0;
    mm_err_clear(&err);
    ASSERT_EQ(mm_criteria_propose(s, &d, "ana", T0 - NS, &err), 0);
    ASSERT_EQ(mm_criteria_decide(s, "C-4", MM_DECIDE_APPROVE, "com", "x", T0 + NS, &err),
              MM_ECONFLICT);

    /* Ledger counts by kind, within [from, to). */
    struct mm_ledger_counts n;
    mm_err_clear(&err);
    ASSERT_EQ(mm_store_ledger_counts(s, INT64_MIN, INT64_MAX, &n, &err), 0);
    ASSERT_EQ(n.requests, 4);
    ASSERT_EQ(n.approvals, 2);
    ASSERT_EQ(n.rejections, 1);
    ASSERT_EQ(n.revocations, 1);
    ASSERT_EQ(mm_store_ledger_counts(s, T0 + NS, T0 + 2 * NS, &n, &err), 0);
    ASSERT_EQ(n.requests, 0);
    ASSERT_EQ(n.approvals, 2);
    ASSERT_EQ(n.rejections, 1);
    ASSERT_EQ(n.revocations, 0);
    mm_store_close(s);
}

struct bad_proposal {
    const char *id, *match, *feed, *proto, *ports, *kind, *expect;
};

TEST(criteria_proposals_are_validated)
{
    struct mm_store *s = new_store("val");
    ASSERT_TRUE(s != NULL);
    static const struct bad_proposal cases[] = {
        {"bad id", "1.2.3.4", NULL, NULL, NULL, "feed", "id:"},
        {"C-1", "1.2.3.300", NULL, NULL, NULL, "feed", "not an address"},
        {"C-1", "10.0.0.1/8", NULL, NULL, NULL, "feed", "match"},
        {"C-1", NULL, NULL, NULL, NULL, "feed", "exactly one"},
        {"C-1", "1.2.3.4", "1.2.3.5\n", NULL, NULL, "feed", "exactly one"},
        {"C-1", NULL, "# only a comment\n", NULL, NULL, "feed", "holds no address"},
        {"C-1", NULL, "1.2.3.4\nnonsense\n", NULL, NULL, "feed", "f.txt:2"},
        {"C-1", "1.2.3.4", NULL, "gre", NULL, "feed", "proto"},
        {"C-1", "1.2.3.4", NULL, "icmp", "80", "feed", "ports"},
        {"C-1", "1.2.3.4", NULL, "tcp", "80,x", "feed", "ports"},
        {"C-1", "1.2.3.4", NULL, "tcp", "70000", "feed", "ports"},
        {"C-1", "1.2.3.4", NULL, NULL, NULL, "rumour", "source kind"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct mm_criterion_proposal p = addr(cases[i].id, cases[i].match);
        p.feed = cases[i].feed;
        p.feed_len = cases[i].feed ? strlen(cases[i].feed) : 0;
        p.feed_name = "f.txt";
        p.proto = cases[i].proto;
        p.ports = cases[i].ports;
        p.source_kind = cases[i].kind;
        struct mm_err err;
        mm_err_clear(&err);
        int rc = mm_criteria_propose(s, &p, "ana", T0, &err);
        if (rc == 0)
            fprintf(stderr, "  case %zu accepted\n", i);
        ASSERT_TRUE(rc != 0);
        ASSERT_CONTAINS(err.msg, cases[i].expect);
    }
    /* A good feed is one criterion with its hash and entry count; ports are normalized. */
    struct mm_criterion_proposal f = addr("F-1", NULL);
    f.feed = "198.51.100.1\n198.51.100.2 ; note\n2001:db8::/48\n";
    f.feed_len = strlen(f.feed);
    f.proto = "tcp";
    f.ports = "443,80,443";
    struct mm_err err;
    mm_err_clear(&err);
    ASSERT_EQ(mm_criteria_propose(s, &f, "ana", T0, &err), 0);
    struct mm_criterion_checked chk;
    ASSERT_EQ(mm_criteria_check_proposal(&f, &chk, &err), 0);
    ASSERT_EQ(chk.feed_entries, 3);
    ASSERT_STR_EQ(chk.ports, "80,443");
    ASSERT_EQ(strlen(chk.feed_sha256), 64);
    mm_store_close(s);
}

static int count_agreements(void *ctx, const struct mm_agreement *a)
{
    (*(int *)ctx)++;
    return a->nscope == 2 && a->ncontractors == 1 ? 0 : MM_EINVAL;
}

TEST(agreements_register_and_in_force)
{
    struct mm_store *s = new_store("ag");
    ASSERT_TRUE(s != NULL);
    const char *contractors[] = {"Sub KK"}, *scope[] = {"133.0.0.0/8", "2001:db8::/32"};
    struct mm_agreement a = {.id = "AG-1",
                             .party = "ISP KK",
                             .contractors = contractors,
                             .ncontractors = 1,
                             .scope = scope,
                             .nscope = 2,
                             .starts_at_ns = T0,
                             .ends_at_ns = T0 + 100 * NS};
    struct mm_err err;
    mm_err_clear(&err);
    ASSERT_EQ(mm_agreement_add(s, &a, "com", T0, &err), 0);
    ASSERT_EQ(mm_agreement_add(s, &a, "com", T0, &err), MM_ECONFLICT);
    struct mm_agreement bad = a;
    bad.id = "AG-2";
    bad.ends_at_ns = T0;
    mm_err_clear(&err);
    ASSERT_EQ(mm_agreement_add(s, &bad, "com", T0, &err), MM_EFORMAT);
    ASSERT_CONTAINS(err.msg, "end must be later");
    const char *bad_scope[] = {"133.0.0.1/8"};
    bad.ends_at_ns = T0 + NS;
    bad.scope = bad_scope;
    bad.nscope = 1;
    mm_err_clear(&err);
    ASSERT_EQ(mm_agreement_add(s, &bad, "com", T0, &err), MM_EFORMAT);
    ASSERT_CONTAINS(err.msg, "scope");
    int n = 0;
    ASSERT_EQ(mm_agreement_list(s, count_agreements, &n, &err), 0);
    ASSERT_EQ(n, 1);
    ASSERT_EQ(mm_agreement_in_force(s, "AG-1", T0, &err), 0);
    ASSERT_EQ(mm_agreement_in_force(s, "AG-1", T0 + 99 * NS, &err), 0);
    mm_err_clear(&err);
    ASSERT_EQ(mm_agreement_in_force(s, "AG-1", T0 + 100 * NS, &err), MM_ECONFLICT);
    mm_err_clear(&err);
    ASSERT_EQ(mm_agreement_in_force(s, "AG-1", T0 - 1, &err), MM_ECONFLICT);
    mm_err_clear(&err);
    ASSERT_EQ(mm_agreement_in_force(s, "AG-9", T0, &err), MM_ENOTFOUND);

    /* Policy versions count up per policy id; a taken version conflicts. */
    uint32_t v = 0;
    ASSERT_EQ(mm_policy_next_version(s, "p", &v, &err), 0);
    ASSERT_EQ(v, 1);
    struct mm_policy_issue pi = {.policy_id = "p",
                                 .version = 1,
                                 .route = MM_ROUTE_INBOUND,
                                 .issued_at_ns = T0,
                                 .issued_by = "com",
                                 .sha256 = "00"};
    ASSERT_EQ(mm_policy_record_issue(s, &pi, &err), 0);
    ASSERT_EQ(mm_policy_record_issue(s, &pi, &err), MM_ECONFLICT);
    ASSERT_EQ(mm_policy_next_version(s, "p", &v, &err), 0);
    ASSERT_EQ(v, 2);
    ASSERT_EQ(mm_policy_next_version(s, "other", &v, &err), 0);
    ASSERT_EQ(v, 1);
    struct mm_ledger_counts c;
    ASSERT_EQ(mm_store_ledger_counts(s, INT64_MIN, INT64_MAX, &c, &err), 0);
    ASSERT_EQ(c.policy_issues, 1);
    mm_store_close(s);
}
