/* report_sqlite.c - the transparency report's counts, read with SQL (json_extract/json_each over the
 * runs' statistics; the audit log and ledger by action and kind). */
#include "store/report.h"

#include "store/sqlite_internal.h"
#include "util/timefmt.h"

#include <string.h>

/* Every statement takes the period as ?1 (from, inclusive) and ?2 (to). */
static int prepare_period(struct mm_store *s, const char *sql, int64_t from, int64_t to, sqlite3_stmt **st,
                          struct mm_err *err)
{
    int rc = mm_sql_prepare(s, sql, st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(*st, 1, from);
    sqlite3_bind_int64(*st, 2, to);
    return 0;
}

/* Set keys[i] of obj to the i-th column of the statement's single row. */
static int row_into(struct mm_store *s, json_t *obj, const char *sql, int64_t from, int64_t to,
                    const char *const *keys, int nkeys, struct mm_err *err)
{
    sqlite3_stmt *st;
    int rc = prepare_period(s, sql, from, to, &st, err);
    if (rc)
        return rc;
    if (sqlite3_step(st) == SQLITE_ROW) {
        for (int i = 0; i < nkeys; i++)
            json_object_set_new(obj, keys[i], json_integer(sqlite3_column_int64(st, i)));
    } else {
        rc = mm_sql_fail(s, "report", err);
    }
    sqlite3_finalize(st);
    return rc;
}

/* obj[key] = {col0: col1, ...} over the statement's rows. */
static int grouped_into(struct mm_store *s, json_t *obj, const char *key, const char *sql, int64_t from,
                        int64_t to, struct mm_err *err)
{
    sqlite3_stmt *st;
    int rc = prepare_period(s, sql, from, to, &st, err);
    if (rc)
        return rc;
    json_t *g = json_object();
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *k = sqlite3_column_text(st, 0);
        json_object_set_new(g, k ? (const char *)k : "(none)", json_integer(sqlite3_column_int64(st, 1)));
    }
    if (step != SQLITE_DONE)
        rc = mm_sql_fail(s, "report", err);
    sqlite3_finalize(st);
    json_object_set_new(obj, key, g);
    return rc;
}

static int routes_into(struct mm_store *s, json_t *obj, int64_t from, int64_t to, struct mm_err *err)
{
    sqlite3_stmt *st;
    int rc = prepare_period(
        s,
        "SELECT route, count(*), sum(coalesce(json_extract(stats, '$.packets'), 0)),"
        " sum(coalesce(json_extract(stats, '$.flows'), 0)),"
        " sum(coalesce(json_extract(stats, '$.flows_selected'), 0))"
        " FROM runs WHERE started_at >= ?1 AND started_at < ?2 GROUP BY route ORDER BY route",
        from, to, &st, err);
    if (rc)
        return rc;
    json_t *routes = json_object();
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        json_object_set_new(routes, (const char *)sqlite3_column_text(st, 0),
                            json_pack("{s:I, s:I, s:I, s:I}", "runs", (json_int_t)sqlite3_column_int64(st, 1),
                                      "packets", (json_int_t)sqlite3_column_int64(st, 2), "flows",
                                      (json_int_t)sqlite3_column_int64(st, 3), "flows_selected",
                                      (json_int_t)sqlite3_column_int64(st, 4)));
    if (step != SQLITE_DONE)
        rc = mm_sql_fail(s, "report runs", err);
    sqlite3_finalize(st);
    json_object_set_new(obj, "routes", routes);
    return rc;
}

#define RUNS_EACH(path)                                                                            \
    "SELECT j.key, sum(j.value) FROM runs, json_each(runs.stats, '" path "') j"                    \
    " WHERE runs.stats IS NOT NULL AND runs.started_at >= ?1 AND runs.started_at < ?2"             \
    " GROUP BY j.key ORDER BY j.key"
#define IN_PERIOD(table) " FROM " table " WHERE at >= ?1 AND at < ?2"
#define LEDGER_COUNT(kind) "(SELECT count(*)" IN_PERIOD("ledger") " AND kind = '" kind "')"

int mm_store_report_transparency(struct mm_store *s, int64_t from_ns, int64_t to_ns, json_t **out,
                                 struct mm_err *err)
{
    *out = NULL;
    json_t *o = json_object(), *period = json_object(), *holds = json_object(), *crit = json_object();
    if (!o || !period || !holds || !crit) {
        json_decref(o);
        json_decref(period);
        json_decref(holds);
        json_decref(crit);
        return mm_err_set(err, MM_ENOMEM, "out of memory");
    }
    char t[MM_TIME_TEXT_MAX];
    mm_time_format_us(from_ns, t, sizeof t);
    json_object_set_new(period, "from", json_string(t));
    mm_time_format_us(to_ns, t, sizeof t);
    json_object_set_new(period, "to", json_string(t));
    json_object_set_new(o, "period", period);
    mm_time_format_us(mm_time_now_ns(), t, sizeof t);
    json_object_set_new(o, "generated_at", json_string(t));
    json_object_set_new(o, "holds", holds);
    json_object_set_new(o, "criteria", crit);

    static const char *const erased[] = {"records_erased", "erasures"};
    static const char *const refused[] = {"queries_refused", "records_returned"};
    static const char *const provided[] = {"provisions", "records_provided"};
    static const char *const reid[] = {"reidentify_approvals", "reidentifications"};
    static const char *const hold_keys[] = {"requested", "approved"};
    static const char *const crit_keys[] = {"requests", "approvals", "rejections"};
    int rc;
    if ((rc = routes_into(s, o, from_ns, to_ns, err)) ||
        (rc = grouped_into(s, o, "flows_discarded", RUNS_EACH("$.flows_discarded"), from_ns, to_ns, err)) ||
        (rc = grouped_into(s, o, "selected_per_criterion", RUNS_EACH("$.selected_per_criterion"), from_ns,
                           to_ns, err)) ||
        (rc = row_into(s, o,
                       "SELECT coalesce(sum(count), 0), count(*)" IN_PERIOD("audit")
                       " AND action = 'records.erase' AND outcome = 'ok'",
                       from_ns, to_ns, erased, 2, err)) ||
        (rc = grouped_into(s, o, "queries_per_purpose",
                           "SELECT purpose, count(*)" IN_PERIOD("audit")
                           " AND action = 'records.query' AND outcome = 'ok' GROUP BY purpose ORDER BY purpose",
                           from_ns, to_ns, err)) ||
        (rc = row_into(s, o,
                       "SELECT (SELECT count(*)" IN_PERIOD("audit")
                       " AND action = 'records.query' AND outcome = 'refused'),"
                       " (SELECT coalesce(sum(count), 0)" IN_PERIOD("audit")
                       " AND action = 'records.query' AND outcome = 'ok')",
                       from_ns, to_ns, refused, 2, err)) ||
        (rc = row_into(s, o, "SELECT count(*), coalesce(sum(records), 0)" IN_PERIOD("provisions"), from_ns,
                       to_ns, provided, 2, err)) ||
        (rc = row_into(s, o,
                       "SELECT " LEDGER_COUNT("reidentify_approval") ", " LEDGER_COUNT("reidentification"),
                       from_ns, to_ns, reid, 2, err)) ||
        (rc = row_into(s, holds,
                       "SELECT (SELECT count(*) FROM holds WHERE requested_at >= ?1 AND requested_at < ?2),"
                       " " LEDGER_COUNT("hold_approval"),
                       from_ns, to_ns, hold_keys, 2, err)) ||
        (rc = row_into(s, crit,
                       "SELECT " LEDGER_COUNT("criterion_request") ", " LEDGER_COUNT(
                           "criterion_approval") ", " LEDGER_COUNT("criterion_rejection"),
                       from_ns, to_ns, crit_keys, 3, err))) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return 0;
}
