/* reports_sqlite.c - incidents and their immutable report versions in the SQLite backend. */
#include "store/reports.h"

#include "store/scope_sqlite.h"
#include "store/sqlite_internal.h"
#include "util/timefmt.h"

#include <stdio.h>
#include <string.h>

static int link_orgs(struct mm_store *s, int64_t id, const int64_t *orgs, size_t n,
                     struct mm_err *err)
{
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s, "INSERT OR IGNORE INTO incident_orgs(incident_id, org_id) VALUES(?,?)",
                            &st, err);
    for (size_t i = 0; i < n && !rc; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, orgs[i]);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = mm_sql_fail(s, "link incident", err);
    }
    sqlite3_finalize(st);
    return rc;
}

static int insert_version(struct mm_store *s, int64_t id, int version,
                          const struct mm_incident_filing *f, const char *actor, int64_t now,
                          struct mm_err *err)
{
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s,
                            "INSERT INTO incident_versions(incident_id, version, stage, submitted_at,"
                            " submitted_by, doc) VALUES(?,?,?,?,?,?)",
                            &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, version);
    mm_sql_bind_text(st, 3, f->stage);
    sqlite3_bind_int64(st, 4, now);
    mm_sql_bind_text(st, 5, actor);
    mm_sql_bind_text(st, 6, f->doc_json);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = mm_sql_fail(s, "insert report version", err);
    sqlite3_finalize(st);
    return rc ? rc : link_orgs(s, id, f->orgs, f->norgs, err);
}

int mm_store_incident_create(struct mm_store *s, int64_t reporter_org,
                             const struct mm_incident_filing *f, const char *actor, int64_t now_ns,
                             int64_t *id, struct mm_err *err)
{
    bool own = !s->in_tx;
    int rc = own ? mm_store_begin(s, err) : 0;
    if (rc)
        return rc;
    sqlite3_stmt *st;
    if ((rc = mm_sql_prepare(s,
                             "INSERT INTO incidents(reporter_org, kind, aware_at, created_at,"
                             " latest_version, final_at, updated_at) VALUES(?,?,?,?,1,?,?)",
                             &st, err)))
        goto out;
    sqlite3_bind_int64(st, 1, reporter_org);
    mm_sql_bind_text(st, 2, f->kind);
    sqlite3_bind_int64(st, 3, f->aware_at_ns);
    sqlite3_bind_int64(st, 4, now_ns);
    if (strcmp(f->stage, "final") == 0)
        sqlite3_bind_int64(st, 5, now_ns);
    sqlite3_bind_int64(st, 6, now_ns);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = mm_sql_fail(s, "insert incident", err);
    else
        *id = sqlite3_last_insert_rowid(s->db);
    sqlite3_finalize(st);
    if (!rc)
        rc = insert_version(s, *id, 1, f, actor, now_ns, err);
    if (!rc)
        rc = link_orgs(s, *id, &reporter_org, 1, err);
out:
    if (own) {
        if (rc == 0)
            rc = mm_store_commit(s, err);
        else
            mm_store_rollback(s);
    }
    return rc;
}

int mm_store_incident_add_version(struct mm_store *s, int64_t id, const struct mm_incident_filing *f,
                                  const char *actor, int64_t now_ns, int *version,
                                  struct mm_err *err)
{
    bool own = !s->in_tx;
    int rc = own ? mm_store_begin(s, err) : 0;
    if (rc)
        return rc;
    sqlite3_stmt *st;
    if ((rc = mm_sql_prepare(s, "SELECT latest_version, final_at FROM incidents WHERE id = ?", &st, err)))
        goto out;
    sqlite3_bind_int64(st, 1, id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        if (sqlite3_column_type(st, 1) != SQLITE_NULL)
            rc = mm_err_set(err, MM_ECONFLICT, "incident %lld is closed: it has a final report",
                            (long long)id);
        *version = sqlite3_column_int(st, 0) + 1;
    } else if (step == SQLITE_DONE) {
        rc = mm_err_set(err, MM_ENOTFOUND, "no incident %lld", (long long)id);
    } else {
        rc = mm_sql_fail(s, "read incident", err);
    }
    sqlite3_finalize(st);
    if (rc)
        goto out;
    if ((rc = mm_sql_prepare(s,
                             "UPDATE incidents SET latest_version = ?, updated_at = ?,"
                             " final_at = CASE WHEN ? THEN ? ELSE final_at END WHERE id = ?",
                             &st, err)))
        goto out;
    sqlite3_bind_int(st, 1, *version);
    sqlite3_bind_int64(st, 2, now_ns);
    sqlite3_bind_int(st, 3, strcmp(f->stage, "final") == 0);
    sqlite3_bind_int64(st, 4, now_ns);
    sqlite3_bind_int64(st, 5, id);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = mm_sql_fail(s, "update incident", err);
    sqlite3_finalize(st);
    if (!rc)
        rc = insert_version(s, id, *version, f, actor, now_ns, err);
out:
    if (own) {
        if (rc == 0)
            rc = mm_store_commit(s, err);
        else
            mm_store_rollback(s);
    }
    return rc;
}

static json_t *ts_json(int64_t ns)
{
    char buf[MM_TIME_TEXT_MAX];
    mm_time_format_us(ns, buf, sizeof buf);
    return json_string(buf);
}

#define INCIDENT_COLS "i.id, i.reporter_org, i.kind, i.aware_at, i.created_at, i.latest_version, i.final_at"

static json_t *incident_json(sqlite3_stmt *st)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, 0)));
    json_object_set_new(o, "reporter_org", json_integer(sqlite3_column_int64(st, 1)));
    json_object_set_new(o, "kind", json_string((const char *)sqlite3_column_text(st, 2)));
    bool closed = sqlite3_column_type(st, 6) != SQLITE_NULL;
    json_object_set_new(o, "status", json_string(closed ? "closed" : "open"));
    json_object_set_new(o, "aware_at", ts_json(sqlite3_column_int64(st, 3)));
    json_object_set_new(o, "created_at", ts_json(sqlite3_column_int64(st, 4)));
    json_object_set_new(o, "latest_version", json_integer(sqlite3_column_int(st, 5)));
    json_object_set_new(o, "final_at", closed ? ts_json(sqlite3_column_int64(st, 6)) : json_null());
    return o;
}

/* Versions of one incident (all, or only the latest) into o. */
static int add_versions(struct mm_store *s, int64_t id, bool all, json_t *o, struct mm_err *err)
{
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s,
                            all ? "SELECT version, stage, submitted_at, submitted_by, doc FROM incident_versions"
                                  " WHERE incident_id = ? ORDER BY version"
                                : "SELECT version, stage, submitted_at, submitted_by, doc FROM incident_versions"
                                  " WHERE incident_id = ? ORDER BY version DESC LIMIT 1",
                            &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    json_t *arr = json_array();
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *doc = json_loads((const char *)sqlite3_column_text(st, 4), 0, NULL);
        if (!json_is_object(doc)) {
            json_decref(doc);
            rc = mm_err_set(err, MM_ESTORE, "incident %lld: stored report unreadable", (long long)id);
            break;
        }
        if (!all) {
            json_object_set_new(o, "stage", json_string((const char *)sqlite3_column_text(st, 1)));
            json_object_set_new(o, "report", doc);
            continue;
        }
        json_t *v = json_object();
        json_object_set_new(v, "version", json_integer(sqlite3_column_int(st, 0)));
        json_object_set_new(v, "stage", json_string((const char *)sqlite3_column_text(st, 1)));
        json_object_set_new(v, "submitted_at", ts_json(sqlite3_column_int64(st, 2)));
        json_object_set_new(v, "submitted_by", json_string((const char *)sqlite3_column_text(st, 3)));
        json_object_set_new(v, "report", doc);
        json_array_append_new(arr, v);
    }
    if (!rc && step != SQLITE_DONE)
        rc = mm_sql_fail(s, "read report versions", err);
    sqlite3_finalize(st);
    if (all && !rc)
        json_object_set_new(o, "versions", arr);
    else
        json_decref(arr);
    return rc;
}

int mm_store_incident_get(struct mm_store *s, const struct mm_scope *scope, int64_t id,
                          bool with_versions, json_t **out, struct mm_err *err)
{
    *out = NULL;
    static const char *const forms[4] = MM_SCOPED_SQL(
        "SELECT " INCIDENT_COLS " FROM incidents i WHERE i.id = :id AND ", "incident_orgs", "incident_id",
        "i.id", "");
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s, mm_scoped_sql(forms, scope), &st, err);
    if (rc)
        return rc;
    mm_scope_bind(st, scope);
    sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":id"), id);
    int step = sqlite3_step(st);
    json_t *o = NULL;
    if (step == SQLITE_ROW)
        o = incident_json(st);
    else if (step == SQLITE_DONE)
        rc = mm_err_set(err, MM_ENOTFOUND, "no incident %lld", (long long)id);
    else
        rc = mm_sql_fail(s, "read incident", err);
    sqlite3_finalize(st);
    if (!rc)
        rc = add_versions(s, id, with_versions, o, err);
    if (rc)
        json_decref(o);
    else
        *out = o;
    return rc;
}

/* Follows the scope test. */
#define INCIDENT_FILTERS                                                                           \
    " AND (:kind IS NULL OR i.kind = :kind)"                                                       \
    " AND (:status IS NULL OR (i.final_at IS NOT NULL) = (:status = 'closed'))"                    \
    " AND (:org = 0 OR EXISTS(SELECT 1 FROM incident_orgs x WHERE x.incident_id = i.id"            \
    "  AND x.org_id = :org))"                                                                      \
    " AND (:sector IS NULL OR EXISTS(SELECT 1 FROM incident_orgs x JOIN orgs o ON o.id = x.org_id" \
    "  AND o.type = 'operator' JOIN org_sectors os ON os.org_id = o.id AND os.sector = :sector"     \
    "  WHERE x.incident_id = i.id))"                                                               \
    " AND (:from IS NULL OR i.aware_at >= :from) AND (:to IS NULL OR i.aware_at < :to)"            \
    " AND i.id > :after"

static void bind_incident_filter(sqlite3_stmt *st, const void *ctx)
{
    const struct mm_incident_filter *f = ctx;
#define IDX_(n) sqlite3_bind_parameter_index(st, n)
    mm_sql_bind_text(st, IDX_(":kind"), f->kind);
    mm_sql_bind_text(st, IDX_(":status"), f->status);
    mm_sql_bind_text(st, IDX_(":sector"), f->sector);
    sqlite3_bind_int64(st, IDX_(":org"), f->org);
    if (f->aware_from_ns != MM_TIME_NONE)
        sqlite3_bind_int64(st, IDX_(":from"), f->aware_from_ns);
    if (f->aware_to_ns != MM_TIME_NONE)
        sqlite3_bind_int64(st, IDX_(":to"), f->aware_to_ns);
    sqlite3_bind_int64(st, IDX_(":after"), f->after_id);
#undef IDX_
}

int mm_store_incident_list(struct mm_store *s, const struct mm_scope *scope,
                           const struct mm_incident_filter *f, json_t **items, int64_t *total,
                           struct mm_err *err)
{
    *items = NULL;
    static const char *const count_forms[4] = MM_SCOPED_SQL(
        "SELECT count(*) FROM incidents i WHERE ", "incident_orgs", "incident_id", "i.id", INCIDENT_FILTERS);
    static const char *const page_forms[4] =
        MM_SCOPED_SQL("SELECT " INCIDENT_COLS " FROM incidents i WHERE ", "incident_orgs", "incident_id",
                      "i.id", INCIDENT_FILTERS " ORDER BY i.id LIMIT :limit OFFSET :offset");
    struct mm_sql_page q = {
        .count_forms = count_forms,
        .page_forms = page_forms,
        .scope = scope,
        .noun = "incident",
        .bind = bind_incident_filter,
        .row = incident_json,
        .ctx = f,
        .limit = f->limit,
        .offset = f->offset,
    };
    json_t *arr;
    int rc = mm_sql_page(s, &q, &arr, total, err);
    if (rc)
        return rc;
    for (size_t i = 0; !rc && i < json_array_size(arr); i++) {
        json_t *o = json_array_get(arr, i);
        rc = add_versions(s, json_integer_value(json_object_get(o, "id")), false, o, err);
    }
    if (rc)
        json_decref(arr);
    else
        *items = arr;
    return rc;
}

int mm_store_incident_rows(struct mm_store *s, const struct mm_scope *scope, const char *kind,
                           mm_incident_cb cb, void *ctx, struct mm_err *err)
{
    static const char *const forms[4] = MM_SCOPED_SQL(
        "SELECT i.id, i.reporter_org, i.kind, i.aware_at, i.created_at, i.final_at,"
        " (SELECT group_concat(sector, ',') FROM (SELECT DISTINCT os.sector FROM incident_orgs x"
        "   JOIN orgs o ON o.id = x.org_id AND o.type = 'operator'"
        "   JOIN org_sectors os ON os.org_id = o.id WHERE x.incident_id = i.id ORDER BY os.sector))"
        " FROM incidents i WHERE ",
        "incident_orgs", "incident_id", "i.id", " AND (:kind IS NULL OR i.kind = :kind) ORDER BY i.id");
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s, mm_scoped_sql(forms, scope), &st, err);
    if (rc)
        return rc;
    mm_scope_bind(st, scope);
    mm_sql_bind_text(st, sqlite3_bind_parameter_index(st, ":kind"), kind);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *sectors = sqlite3_column_text(st, 6);
        struct mm_incident_info ii = {
            .id = sqlite3_column_int64(st, 0),
            .reporter_org = sqlite3_column_int64(st, 1),
            .kind = (const char *)sqlite3_column_text(st, 2),
            .aware_at_ns = sqlite3_column_int64(st, 3),
            .created_at_ns = sqlite3_column_int64(st, 4),
            .final_at_ns = sqlite3_column_type(st, 5) == SQLITE_NULL ? MM_TIME_NONE
                                                                     : sqlite3_column_int64(st, 5),
            .sectors = sectors ? (const char *)sectors : "",
        };
        if ((rc = cb(ctx, &ii)))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = mm_sql_fail(s, "list incidents", err);
    sqlite3_finalize(st);
    return rc;
}
