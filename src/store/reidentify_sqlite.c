/* reidentify_sqlite.c - re-identification approvals and their single use, as ledger rows (SQLite). */
#include "store/reidentify.h"

#include "store/sqlite_internal.h"
#include "util/timefmt.h"

#include <stdio.h>
#include <string.h>

static int ledger_add(struct mm_store *s, const char *kind, const char *subject, const char *actor,
                      const char *reason, int64_t *id, struct mm_err *err)
{
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s, "INSERT INTO ledger(at, kind, subject, actor, reason) VALUES(?, ?, ?, ?, ?)",
                            &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, mm_time_now_ns());
    mm_sql_bind_text(st, 2, kind);
    mm_sql_bind_text(st, 3, subject);
    mm_sql_bind_text(st, 4, actor);
    mm_sql_bind_text(st, 5, reason);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = mm_sql_fail(s, "write ledger", err);
    else if (id)
        *id = sqlite3_last_insert_rowid(s->db);
    sqlite3_finalize(st);
    return rc;
}

int mm_store_reidentify_approve(struct mm_store *s, const struct mm_addr *pseudonym, const char *actor,
                                const char *reason, int64_t *approval_id, struct mm_err *err)
{
    char text[MM_ADDR_TEXT_MAX];
    mm_addr_format(pseudonym, text, sizeof text);
    return ledger_add(s, "reidentify_approval", text, actor, reason, approval_id, err);
}

int mm_store_reidentify_use(struct mm_store *s, int64_t approval_id, const struct mm_addr *pseudonym,
                            const char *actor, const char *reason, struct mm_err *err)
{
    if (!s->in_tx)
        return mm_err_set(err, MM_EINVAL, "re-identification must run inside a transaction");
    char text[MM_ADDR_TEXT_MAX], id[32];
    mm_addr_format(pseudonym, text, sizeof text);
    snprintf(id, sizeof id, "%lld", (long long)approval_id);
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s,
                            "SELECT subject, (SELECT count(*) FROM ledger u WHERE u.kind = 'reidentification'"
                            " AND u.subject = ?2) FROM ledger WHERE id = ?1 AND kind = 'reidentify_approval'",
                            &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, approval_id);
    mm_sql_bind_text(st, 2, id);
    int step = sqlite3_step(st);
    if (step == SQLITE_DONE)
        rc = mm_err_set(err, MM_EDENIED, "there is no re-identification approval %s", id);
    else if (step != SQLITE_ROW)
        rc = mm_sql_fail(s, "read approval", err);
    else if (strcmp((const char *)sqlite3_column_text(st, 0), text) != 0)
        rc = mm_err_set(err, MM_EDENIED, "approval %s is for another pseudonym", id);
    else if (sqlite3_column_int64(st, 1) > 0)
        rc = mm_err_set(err, MM_EDENIED, "approval %s was used already (approvals are single use)", id);
    sqlite3_finalize(st);
    return rc ? rc : ledger_add(s, "reidentification", id, actor, reason, NULL, err);
}
