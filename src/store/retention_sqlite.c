/* retention_sqlite.c - erasure at the deadline, holds and the integrity check on the SQLite backend.
 *
 * Why erased bytes are gone: the store runs with PRAGMA secure_delete = ON, so SQLite overwrites
 * deleted cells, freed index entries and pages put on the freelist with zeros. In WAL mode those
 * zeroed pages first land in the log and the main file still holds the old images, and the log
 * itself holds the page images the inserts wrote; a checkpoint(TRUNCATE) copies the zeroed pages
 * into the main file and cuts the log to zero bytes. tests/integration/test_retention.sh greps every
 * store file for the erased addresses and timestamps to prove it. */
#include "store/retention.h"

#include "store/sqlite_internal.h"
#include "util/timefmt.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WAL_TRUNCATE_BUDGET_NS (10 * MM_NS_PER_SEC)

/* A record past its deadline is kept only while an approved hold whose
 * `until` is later than as_of (?1) covers it. */
#define HELD                                                                                       \
    "EXISTS (SELECT 1 FROM record_holds rh JOIN holds h ON h.id = rh.hold_id"                      \
    " WHERE rh.record_id = records.id AND h.status = 'approved' AND h.until > ?1)"

/* Run sql with ?1 bound to v; read up to three integer columns of the first
 * row (NULL reads as 0), or with ncols 0 report the rows changed in out[0]. */
static int exec_i64(struct mm_store *s, const char *sql, int64_t v, int64_t *out, int ncols,
                    const char *what, struct mm_err *err)
{
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s, sql, &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, v);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        for (int i = 0; i < ncols; i++)
            out[i] = sqlite3_column_int64(st, i);
    } else if (step == SQLITE_DONE) {
        if (ncols == 0)
            out[0] = sqlite3_changes64(s->db);
    } else {
        rc = mm_sql_fail(s, what, err);
    }
    sqlite3_finalize(st);
    return rc;
}

static char *erase_object(const struct mm_erase_result *r)
{
    char as_of[MM_TIME_TEXT_MAX], first[MM_TIME_TEXT_MAX], last[MM_TIME_TEXT_MAX];
    mm_time_format_us(r->as_of_ns, as_of, sizeof as_of);
    mm_time_format_us(r->first_seen_min_ns, first, sizeof first);
    mm_time_format_us(r->last_seen_max_ns, last, sizeof last);
    json_t *o = json_pack("{s:s, s:I, s:I, s:I}", "as_of", as_of, "records", (json_int_t)r->records,
                          "held", (json_int_t)r->held, "holds_expired", (json_int_t)r->holds_expired);
    if (o && r->records > 0) {
        json_object_set_new(o, "first_seen_min", json_string(first));
        json_object_set_new(o, "last_seen_max", json_string(last));
    }
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}

int mm_store_erase(struct mm_store *s, const struct mm_erase_options *opt, struct mm_erase_result *r,
                   struct mm_err *err)
{
    memset(r, 0, sizeof *r);
    r->as_of_ns = opt->as_of_ns ? opt->as_of_ns : mm_time_now_ns();
    char *object = NULL;
    int rc = mm_store_begin(s, err);
    if (rc)
        return rc;
    int64_t v[3] = {0, 0, 0};
    if (opt->dry_run) {
        if ((rc = exec_i64(s,
                           "SELECT count(*) FROM holds WHERE status IN ('requested','approved')"
                           " AND until <= ?1",
                           r->as_of_ns, v, 1, "count expired holds", err)))
            goto fail;
        r->holds_expired = v[0];
    } else {
        /* Expired holds first, so they keep nothing below. */
        if ((rc = exec_i64(s,
                           "DELETE FROM record_holds WHERE hold_id IN (SELECT id FROM holds"
                           " WHERE status IN ('requested','approved') AND until <= ?1)",
                           r->as_of_ns, v, 0, "unlink expired holds", err)) ||
            (rc = exec_i64(s,
                           "UPDATE holds SET status = 'expired' WHERE status IN ('requested','approved')"
                           " AND until <= ?1",
                           r->as_of_ns, v, 0, "expire holds", err)))
            goto fail;
        r->holds_expired = v[0];
    }
    if ((rc = exec_i64(s,
                       "SELECT count(*), min(first_seen), max(last_seen) FROM records"
                       " WHERE erase_after <= ?1 AND NOT " HELD,
                       r->as_of_ns, v, 3, "count records to erase", err)))
        goto fail;
    r->records = v[0];
    r->first_seen_min_ns = v[1];
    r->last_seen_max_ns = v[2];
    if ((rc = exec_i64(s, "SELECT count(*) FROM records WHERE erase_after <= ?1 AND " HELD, r->as_of_ns,
                       v, 1, "count held records", err)))
        goto fail;
    r->held = v[0];
    if (!opt->dry_run) {
        /* record_holds rows go with their records (ON DELETE CASCADE). */
        if ((rc = exec_i64(s, "DELETE FROM records WHERE erase_after <= ?1 AND NOT " HELD, r->as_of_ns, v,
                           0, "erase records", err)))
            goto fail;
        if (v[0] != r->records) {
            rc = mm_err_set(err, MM_ESTORE, "%s: erased %lld records but counted %lld", s->path,
                            (long long)v[0], (long long)r->records);
            goto fail;
        }
    }
    if (!(object = erase_object(r))) {
        rc = mm_err_set(err, MM_ENOMEM, "out of memory");
        goto fail;
    }
    struct mm_audit_entry e = {.actor = opt->actor,
                               .role = opt->role,
                               .action = "records.erase",
                               .reason = "retention",
                               .object = object,
                               .count = r->records,
                               .outcome = opt->dry_run ? "dry_run" : "ok"};
    if ((rc = mm_store_audit_append(s, &e, err)))
        goto fail;
    free(object);
    if ((rc = mm_store_commit(s, err)))
        return rc;
    if (opt->dry_run)
        return 0;
    r->committed = true;
    if ((rc = mm_store_wal_truncate(s, err)))
        return rc;
    r->wal_truncated = true;
    return 0;
fail:
    free(object);
    mm_store_rollback(s);
    return rc;
}

int mm_store_wal_truncate(struct mm_store *s, struct mm_err *err)
{
    const int64_t deadline = mm_time_now_ns() + WAL_TRUNCATE_BUDGET_NS;
    for (;;) {
        sqlite3_stmt *st;
        int rc = mm_sql_prepare(s, "PRAGMA wal_checkpoint(TRUNCATE)", &st, err);
        if (rc)
            return rc;
        int step = sqlite3_step(st);
        /* Row: busy (1 when it could not finish), log frames, checkpointed frames. */
        bool busy = step != SQLITE_ROW || sqlite3_column_int(st, 0) != 0;
        int code = sqlite3_errcode(s->db);
        sqlite3_finalize(st);
        if (step == SQLITE_ROW && !busy)
            return 0;
        if (step != SQLITE_ROW && step != SQLITE_BUSY && code != SQLITE_BUSY && code != SQLITE_LOCKED)
            return mm_err_set(err, MM_ESTORE, "%s: checkpoint: %s", s->path, sqlite3_errmsg(s->db));
        if (mm_time_now_ns() >= deadline)
            return mm_err_set(err, MM_ECONFLICT,
                              "%s: readers kept the write-ahead log from being checkpointed and "
                              "truncated within %d s",
                              s->path, (int)(WAL_TRUNCATE_BUDGET_NS / MM_NS_PER_SEC));
        struct timespec pause = {0, 50 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
}

/* ---- holds ---- */

int mm_store_hold_request(struct mm_store *s, const struct mm_record_filter *f, int64_t until_ns,
                          const char *reason, const char *requested_by, int64_t *hold_id,
                          struct mm_err *err)
{
    char *filter = mm_record_filter_to_text(f);
    if (!filter)
        return mm_err_set(err, MM_ENOMEM, "out of memory");
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s,
                            "INSERT INTO holds(filter, until, reason, requested_by, requested_at)"
                            " VALUES(?, ?, ?, ?, ?)",
                            &st, err);
    if (rc)
        goto out;
    mm_sql_bind_text(st, 1, filter);
    sqlite3_bind_int64(st, 2, until_ns);
    mm_sql_bind_text(st, 3, reason);
    mm_sql_bind_text(st, 4, requested_by);
    sqlite3_bind_int64(st, 5, mm_time_now_ns());
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = mm_sql_fail(s, "request hold", err);
    else
        *hold_id = sqlite3_last_insert_rowid(s->db);
    sqlite3_finalize(st);
out:
    free(filter);
    return rc;
}

struct link_ctx {
    struct mm_store *s;
    sqlite3_stmt *insert;
    int64_t hold_id, linked;
    struct mm_err *err;
};

static int link_record(void *ctx, const struct mm_stored_record *r)
{
    struct link_ctx *c = ctx;
    sqlite3_reset(c->insert);
    sqlite3_bind_int64(c->insert, 1, r->id);
    sqlite3_bind_int64(c->insert, 2, c->hold_id);
    if (sqlite3_step(c->insert) != SQLITE_DONE)
        return mm_sql_fail(c->s, "link held record", c->err);
    c->linked += sqlite3_changes64(c->s->db);
    return 0;
}

int mm_store_hold_approve(struct mm_store *s, int64_t hold_id, const char *approved_by,
                          const char *reason, int64_t *linked, struct mm_err *err)
{
    sqlite3_stmt *st = NULL;
    json_t *fj = NULL;
    struct link_ctx lc = {.s = s, .hold_id = hold_id, .err = err};
    int64_t now = mm_time_now_ns();
    *linked = 0;
    if (!s->in_tx)
        return mm_err_set(err, MM_EINVAL, "hold approval must run inside a transaction");
    int rc = mm_sql_prepare(s, "SELECT filter, until, status FROM holds WHERE id = ?", &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, hold_id);
    int step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        rc = mm_err_set(err, MM_ENOTFOUND, "no hold %lld", (long long)hold_id);
        goto out;
    }
    if (step != SQLITE_ROW) {
        rc = mm_sql_fail(s, "read hold", err);
        goto out;
    }
    const char *status = (const char *)sqlite3_column_text(st, 2);
    if (strcmp(status, "requested") != 0) {
        rc = mm_err_set(err, MM_ECONFLICT, "hold %lld is %s, not requested", (long long)hold_id, status);
        goto out;
    }
    if (sqlite3_column_int64(st, 1) <= now) {
        rc = mm_err_set(err, MM_ECONFLICT, "hold %lld: its 'until' has passed", (long long)hold_id);
        goto out;
    }
    json_error_t jerr;
    fj = json_loads((const char *)sqlite3_column_text(st, 0), 0, &jerr);
    struct mm_record_filter f;
    if ((rc = mm_record_filter_from_json(fj, &f, err)))
        goto out;
    sqlite3_finalize(st);
    st = NULL;
    if ((rc = mm_sql_prepare(s,
                             "UPDATE holds SET status = 'approved', approved_by = ?, approved_at = ?"
                             " WHERE id = ?",
                             &st, err)))
        goto out;
    mm_sql_bind_text(st, 1, approved_by);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, hold_id);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = mm_sql_fail(s, "approve hold", err);
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    char subject[32];
    snprintf(subject, sizeof subject, "%lld", (long long)hold_id);
    if ((rc = mm_sql_prepare(s,
                             "INSERT INTO ledger(at, kind, subject, actor, reason)"
                             " VALUES(?, 'hold_approval', ?, ?, ?)",
                             &st, err)))
        goto out;
    sqlite3_bind_int64(st, 1, now);
    mm_sql_bind_text(st, 2, subject);
    mm_sql_bind_text(st, 3, approved_by);
    mm_sql_bind_text(st, 4, reason);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = mm_sql_fail(s, "write ledger", err);
        goto out;
    }
    if ((rc = mm_sql_prepare(s, "INSERT OR IGNORE INTO record_holds(record_id, hold_id) VALUES(?, ?)",
                             &lc.insert, err)))
        goto out;
    rc = mm_store_records_query(s, &f, link_record, &lc, err);
    *linked = lc.linked;
out:
    sqlite3_finalize(lc.insert);
    sqlite3_finalize(st);
    json_decref(fj);
    return rc;
}

/* ---- crash safety ---- */

int mm_store_check(struct mm_store *s, struct mm_err *err)
{
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s, "PRAGMA integrity_check", &st, err);
    if (rc)
        return rc;
    int step = sqlite3_step(st);
    if (step != SQLITE_ROW)
        rc = mm_sql_fail(s, "integrity check", err);
    else if (strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0)
        rc = mm_err_set(err, MM_EVERIFY, "%s: integrity check: %s", s->path,
                        (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (rc || (rc = mm_sql_prepare(s, "PRAGMA foreign_key_check", &st, err)))
        return rc;
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = mm_err_set(err, MM_EVERIFY, "%s: foreign key check: a row of %s points at a missing %s",
                        s->path, (const char *)sqlite3_column_text(st, 0),
                        (const char *)sqlite3_column_text(st, 2));
    else if (step != SQLITE_DONE)
        rc = mm_sql_fail(s, "foreign key check", err);
    sqlite3_finalize(st);
    return rc;
}
