/* criteria_sqlite.c - the committee's registers on SQLite: criteria, ledger, agreements, policies.
 */
#include "store/criteria.h"
#include "store/sqlite_internal.h"

#include "util/timefmt.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* rc = call, inside the caller's transaction or, when none is open, its own. */
#define IN_TX(s, err, rc, call)                                                                    \
    do {                                                                                           \
        bool own_ = !(s)->in_tx;                                                                   \
        (rc) = own_ ? mm_store_begin((s), (err)) : 0;                                              \
        if ((rc) == 0)                                                                             \
            (rc) = (call);                                                                         \
        if (own_ && (rc) == 0)                                                                     \
            (rc) = mm_store_commit((s), (err));                                                    \
        else if (own_)                                                                             \
            mm_store_rollback(s);                                                                  \
    } while (0)

static void bind_time(sqlite3_stmt *st, int idx, int64_t ns, int64_t unbounded)
{
    if (ns == unbounded)
        sqlite3_bind_null(st, idx);
    else
        sqlite3_bind_int64(st, idx, ns);
}

static int64_t column_time(sqlite3_stmt *st, int idx, int64_t unbounded)
{
    return sqlite3_column_type(st, idx) == SQLITE_NULL ? unbounded : sqlite3_column_int64(st, idx);
}

static const char *column_text(sqlite3_stmt *st, int idx)
{
    return (const char *)sqlite3_column_text(st, idx);
}

static int ledger_add(struct mm_store *s, int64_t at, const char *kind, const char *subject,
                      const char *actor, const char *legal_basis, const char *reason,
                      struct mm_err *err)
{
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s,
                            "INSERT INTO ledger(at, kind, subject, actor, legal_basis, reason) "
                            "VALUES(?, ?, ?, ?, ?, ?)",
                            &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, at);
    mm_sql_bind_text(st, 2, kind);
    mm_sql_bind_text(st, 3, subject);
    mm_sql_bind_text(st, 4, actor);
    mm_sql_bind_text(st, 5, legal_basis);
    mm_sql_bind_text(st, 6, reason);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = mm_sql_fail(s, "add ledger row", err);
    sqlite3_finalize(st);
    return rc;
}

/* ---- criteria ---- */

static int propose(struct mm_store *s, const struct mm_criterion_proposal *p,
                   const struct mm_criterion_checked *chk, const char *actor, int64_t now,
                   struct mm_err *err)
{
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(
        s,
        "INSERT INTO criteria(id, status, match, feed, feed_sha256, feed_entries, proto, ports,"
        " not_before, not_after, source_kind, source_ref, legal_basis, proposed_by, proposed_at)"
        " VALUES(?, 'proposed', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &st, err);
    if (rc)
        return rc;
    mm_sql_bind_text(st, 1, p->id);
    mm_sql_bind_text(st, 2, p->match);
    if (p->feed) {
        sqlite3_bind_blob64(st, 3, p->feed, p->feed_len, SQLITE_STATIC);
        mm_sql_bind_text(st, 4, chk->feed_sha256);
        sqlite3_bind_int64(st, 5, chk->feed_entries);
    }
    mm_sql_bind_text(st, 6, p->proto);
    mm_sql_bind_text(st, 7, chk->ports[0] ? chk->ports : NULL);
    bind_time(st, 8, p->not_before_ns, INT64_MIN);
    bind_time(st, 9, p->not_after_ns, INT64_MAX);
    mm_sql_bind_text(st, 10, p->source_kind);
    mm_sql_bind_text(st, 11, p->source_ref);
    mm_sql_bind_text(st, 12, p->legal_basis);
    mm_sql_bind_text(st, 13, actor);
    sqlite3_bind_int64(st, 14, now);
    int step = sqlite3_step(st);
    if (step == SQLITE_CONSTRAINT)
        rc = mm_err_set(err, MM_ECONFLICT, "criterion '%s' exists already", p->id);
    else if (step != SQLITE_DONE)
        rc = mm_sql_fail(s, "add criterion", err);
    sqlite3_finalize(st);
    if (!rc)
        rc = ledger_add(s, now, "criterion_request", p->id, actor, p->legal_basis, NULL, err);
    return rc;
}

int mm_criteria_propose(struct mm_store *s, const struct mm_criterion_proposal *p,
                        const char *actor, int64_t now_ns, struct mm_err *err)
{
    struct mm_criterion_checked *chk = malloc(sizeof *chk);
    if (!chk)
        return mm_err_set(err, MM_ENOMEM, "out of memory");
    int rc = mm_criteria_check_proposal(p, chk, err);
    if (rc == 0)
        IN_TX(s, err, rc, propose(s, p, chk, actor, now_ns, err));
    free(chk);
    return rc;
}

/* The stored status, with 'expired' derived for an approved criterion past its not_after. */
static enum mm_criterion_status effective_status(const char *stored, int64_t not_after, int64_t now)
{
    for (int i = 0; i < MM_CRIT_STATUS_COUNT; i++)
        if (strcmp(stored, mm_criterion_status_name((enum mm_criterion_status)i)) == 0) {
            if (i == MM_CRIT_APPROVED && not_after <= now)
                return MM_CRIT_EXPIRED;
            return (enum mm_criterion_status)i;
        }
    return MM_CRIT_STATUS_COUNT;
}

static int decide(struct mm_store *s, const char *id, enum mm_criterion_decision d,
                  const char *actor, const char *reason, int64_t now, struct mm_err *err)
{
    static const struct {
        const char *verb, *status, *ledger_kind;
        enum mm_criterion_status from;
    } rules[] = {
        [MM_DECIDE_APPROVE] = {"approve", "approved", "criterion_approval", MM_CRIT_PROPOSED},
        [MM_DECIDE_REJECT] = {"reject", "rejected", "criterion_rejection", MM_CRIT_PROPOSED},
        [MM_DECIDE_REVOKE] = {"revoke", "revoked", "criterion_revocation", MM_CRIT_APPROVED},
    };
    if ((unsigned)d >= sizeof rules / sizeof rules[0])
        return mm_err_set(err, MM_EINVAL, "unknown decision");
    int rc = 0;
    if (!reason || !*reason)
        return mm_err_set(err, MM_EFORMAT, "a reason is required");
    if (strlen(reason) > MM_CRITERION_TEXT_MAX)
        return mm_err_set(err, MM_EFORMAT, "reason: longer than %d bytes", MM_CRITERION_TEXT_MAX);
    sqlite3_stmt *st;
    if ((rc = mm_sql_prepare(s, "SELECT status, not_after, legal_basis FROM criteria WHERE id = ?",
                             &st, err)))
        return rc;
    mm_sql_bind_text(st, 1, id);
    int step = sqlite3_step(st);
    char legal_basis[MM_CRITERION_TEXT_MAX + 1] = "";
    if (step == SQLITE_DONE) {
        rc = mm_err_set(err, MM_ENOTFOUND, "no criterion '%s'", id);
    } else if (step != SQLITE_ROW) {
        rc = mm_sql_fail(s, "read criterion", err);
    } else {
        int64_t not_after = column_time(st, 1, INT64_MAX);
        enum mm_criterion_status cur = effective_status(column_text(st, 0), not_after, now);
        snprintf(legal_basis, sizeof legal_basis, "%s", column_text(st, 2));
        if (cur != rules[d].from)
            rc = mm_err_set(err, MM_ECONFLICT, "criterion '%s' is %s; only a %s one can be %s", id,
                            mm_criterion_status_name(cur), mm_criterion_status_name(rules[d].from),
                            rules[d].status);
        else if (d == MM_DECIDE_APPROVE && not_after <= now)
            rc = mm_err_set(err, MM_ECONFLICT,
                            "criterion '%s' ends before now (not_after has passed); propose it "
                            "again with a later not_after",
                            id);
    }
    sqlite3_finalize(st);
    if (rc)
        return rc;
    if ((rc = mm_sql_prepare(s,
                             "UPDATE criteria SET status = ?, decided_by = ?, decided_at = ?,"
                             " decision_reason = ? WHERE id = ?",
                             &st, err)))
        return rc;
    mm_sql_bind_text(st, 1, rules[d].status);
    mm_sql_bind_text(st, 2, actor);
    sqlite3_bind_int64(st, 3, now);
    mm_sql_bind_text(st, 4, reason);
    mm_sql_bind_text(st, 5, id);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = mm_sql_fail(s, "record decision", err);
    sqlite3_finalize(st);
    if (!rc)
        rc = ledger_add(s, now, rules[d].ledger_kind, id, actor, legal_basis, reason, err);
    return rc;
}

int mm_criteria_decide(struct mm_store *s, const char *id, enum mm_criterion_decision d,
                       const char *actor, const char *reason, int64_t now_ns, struct mm_err *err)
{
    int rc;
    IN_TX(s, err, rc, decide(s, id, d, actor, reason, now_ns, err));
    return rc;
}

int mm_criteria_list(struct mm_store *s, int64_t now_ns, int flags, mm_criterion_cb cb, void *ctx,
                     struct mm_err *err)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT id, status, match, %s, feed_sha256, feed_entries, proto, ports, not_before,"
             " not_after, source_kind, source_ref, legal_basis, proposed_by, proposed_at,"
             " decided_by, decided_at, decision_reason FROM criteria%s ORDER BY id",
             (flags & MM_CRITERIA_WITH_FEED) ? "feed" : "NULL",
             (flags & MM_CRITERIA_IN_FORCE)
                 ? " WHERE status = 'approved' AND (not_after IS NULL OR not_after > ?1)"
                 : "");
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s, sql, &st, err);
    if (rc)
        return rc;
    if (flags & MM_CRITERIA_IN_FORCE)
        sqlite3_bind_int64(st, 1, now_ns);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct mm_criterion_info c = {
            .id = column_text(st, 0),
            .match = column_text(st, 2),
            .feed = sqlite3_column_blob(st, 3),
            .feed_len = (size_t)sqlite3_column_bytes(st, 3),
            .feed_sha256 = column_text(st, 4),
            .feed_entries = sqlite3_column_int64(st, 5),
            .proto = column_text(st, 6),
            .ports = column_text(st, 7),
            .not_before_ns = column_time(st, 8, INT64_MIN),
            .not_after_ns = column_time(st, 9, INT64_MAX),
            .source_kind = column_text(st, 10),
            .source_ref = column_text(st, 11),
            .legal_basis = column_text(st, 12),
            .proposed_by = column_text(st, 13),
            .proposed_at_ns = sqlite3_column_int64(st, 14),
            .decided_by = column_text(st, 15),
            .decided_at_ns = sqlite3_column_int64(st, 16),
            .reason = column_text(st, 17),
        };
        c.status = effective_status(column_text(st, 1), c.not_after_ns, now_ns);
        if ((rc = cb(ctx, &c)))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = mm_sql_fail(s, "list criteria", err);
    sqlite3_finalize(st);
    return rc;
}

/* ---- ledger ---- */

int mm_store_ledger_counts(struct mm_store *s, int64_t from_ns, int64_t to_ns,
                           struct mm_ledger_counts *out, struct mm_err *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s,
                            "SELECT kind, count(*) FROM ledger WHERE at >= ? AND at < ? "
                            "GROUP BY kind",
                            &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, from_ns);
    sqlite3_bind_int64(st, 2, to_ns);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *kind = column_text(st, 0);
        int64_t n = sqlite3_column_int64(st, 1);
        if (strcmp(kind, "criterion_request") == 0)
            out->requests = n;
        else if (strcmp(kind, "criterion_approval") == 0)
            out->approvals = n;
        else if (strcmp(kind, "criterion_rejection") == 0)
            out->rejections = n;
        else if (strcmp(kind, "criterion_revocation") == 0)
            out->revocations = n;
        else if (strcmp(kind, "policy_issue") == 0)
            out->policy_issues = n;
    }
    if (step != SQLITE_DONE)
        rc = mm_sql_fail(s, "count ledger rows", err);
    sqlite3_finalize(st);
    return rc;
}

/* ---- agreements ---- */

static int agreement_add(struct mm_store *s, const struct mm_agreement *a, const char *contractors,
                         const char *scope, const char *actor, int64_t now, struct mm_err *err)
{
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s,
                            "INSERT INTO agreements(id, party, contractors, scope, starts_at,"
                            " ends_at, created_by, created_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
                            &st, err);
    if (rc)
        return rc;
    mm_sql_bind_text(st, 1, a->id);
    mm_sql_bind_text(st, 2, a->party);
    mm_sql_bind_text(st, 3, contractors);
    mm_sql_bind_text(st, 4, scope);
    sqlite3_bind_int64(st, 5, a->starts_at_ns);
    sqlite3_bind_int64(st, 6, a->ends_at_ns);
    mm_sql_bind_text(st, 7, actor);
    sqlite3_bind_int64(st, 8, now);
    int step = sqlite3_step(st);
    if (step == SQLITE_CONSTRAINT)
        rc = mm_err_set(err, MM_ECONFLICT, "agreement '%s' exists already", a->id);
    else if (step != SQLITE_DONE)
        rc = mm_sql_fail(s, "add agreement", err);
    sqlite3_finalize(st);
    return rc;
}

int mm_agreement_add(struct mm_store *s, const struct mm_agreement *a, const char *actor,
                     int64_t now_ns, struct mm_err *err)
{
    char *contractors, *scope;
    int rc = mm_agreement_check(a, &contractors, &scope, err);
    if (rc)
        return rc;
    IN_TX(s, err, rc, agreement_add(s, a, contractors, scope, actor, now_ns, err));
    free(contractors);
    free(scope);
    return rc;
}

int mm_agreement_list(struct mm_store *s, mm_agreement_cb cb, void *ctx, struct mm_err *err)
{
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s,
                            "SELECT id, party, contractors, scope, starts_at, ends_at, created_by,"
                            " created_at FROM agreements ORDER BY id",
                            &st, err);
    if (rc)
        return rc;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        /* The lists are stored as JSON arrays; hand them over as C arrays. */
        json_t *contractors = json_loads(column_text(st, 2), 0, NULL);
        json_t *scope = json_loads(column_text(st, 3), 0, NULL);
        size_t nc = json_array_size(contractors), ns = json_array_size(scope);
        const char **names = calloc(nc + ns + 1, sizeof *names);
        if (!names) {
            json_decref(contractors);
            json_decref(scope);
            rc = mm_err_set(err, MM_ENOMEM, "out of memory");
            break;
        }
        for (size_t i = 0; i < nc; i++)
            names[i] = json_string_value(json_array_get(contractors, i));
        for (size_t i = 0; i < ns; i++)
            names[nc + i] = json_string_value(json_array_get(scope, i));
        struct mm_agreement a = {.id = column_text(st, 0),
                                 .party = column_text(st, 1),
                                 .contractors = names,
                                 .ncontractors = nc,
                                 .scope = names + nc,
                                 .nscope = ns,
                                 .starts_at_ns = sqlite3_column_int64(st, 4),
                                 .ends_at_ns = sqlite3_column_int64(st, 5),
                                 .created_by = column_text(st, 6),
                                 .created_at_ns = sqlite3_column_int64(st, 7)};
        rc = cb(ctx, &a);
        free(names);
        json_decref(contractors);
        json_decref(scope);
        if (rc)
            break;
    }
    if (!rc && step != SQLITE_DONE && step != SQLITE_ROW)
        rc = mm_sql_fail(s, "list agreements", err);
    sqlite3_finalize(st);
    return rc;
}

int mm_agreement_in_force(struct mm_store *s, const char *id, int64_t now_ns, struct mm_err *err)
{
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s, "SELECT starts_at, ends_at FROM agreements WHERE id = ?", &st, err);
    if (rc)
        return rc;
    mm_sql_bind_text(st, 1, id);
    int step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        rc = mm_err_set(err, MM_ENOTFOUND, "no party agreement '%s' in the register", id);
    } else if (step != SQLITE_ROW) {
        rc = mm_sql_fail(s, "read agreement", err);
    } else {
        int64_t start = sqlite3_column_int64(st, 0), end = sqlite3_column_int64(st, 1);
        if (!(start <= now_ns && now_ns < end)) {
            char a[MM_TIME_TEXT_MAX], b[MM_TIME_TEXT_MAX];
            mm_time_format_us(start, a, sizeof a);
            mm_time_format_us(end, b, sizeof b);
            rc = mm_err_set(err, MM_ECONFLICT, "party agreement '%s' is not in force (%s to %s)",
                            id, a, b);
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* ---- policies ---- */

int mm_policy_next_version(struct mm_store *s, const char *policy_id, uint32_t *version,
                           struct mm_err *err)
{
    sqlite3_stmt *st;
    int rc =
        mm_sql_prepare(s, "SELECT coalesce(max(version), 0) FROM policies WHERE id = ?", &st, err);
    if (rc)
        return rc;
    mm_sql_bind_text(st, 1, policy_id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        int64_t v = sqlite3_column_int64(st, 0);
        if (v >= UINT32_MAX)
            rc = mm_err_set(err, MM_EFULL, "policy '%s' has run out of versions", policy_id);
        else
            *version = (uint32_t)v + 1;
    } else {
        rc = mm_sql_fail(s, "read policy version", err);
    }
    sqlite3_finalize(st);
    return rc;
}

static int record_issue(struct mm_store *s, const struct mm_policy_issue *pi, struct mm_err *err)
{
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s,
                            "INSERT INTO policies(id, version, route, agreement_id, issued_at,"
                            " issued_by, sha256) VALUES(?, ?, ?, ?, ?, ?, ?)",
                            &st, err);
    if (rc)
        return rc;
    mm_sql_bind_text(st, 1, pi->policy_id);
    sqlite3_bind_int64(st, 2, pi->version);
    mm_sql_bind_text(st, 3, mm_route_name(pi->route));
    mm_sql_bind_text(st, 4, pi->agreement_id);
    sqlite3_bind_int64(st, 5, pi->issued_at_ns);
    mm_sql_bind_text(st, 6, pi->issued_by);
    mm_sql_bind_text(st, 7, pi->sha256);
    int step = sqlite3_step(st);
    if (step == SQLITE_CONSTRAINT)
        rc = mm_err_set(err, MM_ECONFLICT, "policy '%s' version %" PRIu32 " was issued already",
                        pi->policy_id, pi->version);
    else if (step != SQLITE_DONE)
        rc = mm_sql_fail(s, "record policy", err);
    sqlite3_finalize(st);
    if (rc)
        return rc;
    char subject[MM_POLICY_ID_MAX + 16], basis[MM_CRITERION_ID_MAX + 32];
    snprintf(subject, sizeof subject, "%s v%" PRIu32, pi->policy_id, pi->version);
    snprintf(basis, sizeof basis, "%s%s%s", mm_route_name(pi->route), pi->agreement_id ? " " : "",
             pi->agreement_id ? pi->agreement_id : "");
    return ledger_add(s, pi->issued_at_ns, "policy_issue", subject, pi->issued_by, basis, NULL,
                      err);
}

int mm_policy_record_issue(struct mm_store *s, const struct mm_policy_issue *pi, struct mm_err *err)
{
    int rc;
    IN_TX(s, err, rc, record_issue(s, pi, err));
    return rc;
}
