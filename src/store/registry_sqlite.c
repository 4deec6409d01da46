/* registry_sqlite.c - assets, their immutable versions and links in the SQLite backend. */
#include "store/registry.h"

#include "store/scope_sqlite.h"
#include "store/sqlite_internal.h"
#include "util/datefmt.h"
#include "util/timefmt.h"

#include <stdio.h>
#include <string.h>

#define VERSION_COLS                                                                               \
    "v.asset_id, v.version, v.filed_at, v.filed_by, v.filer_org, v.effective_at, v.due_at,"        \
    " v.forwarded_at, v.forwarded_by, v.doc"

static void bind_opt_time(sqlite3_stmt *st, int idx, int64_t ns)
{
    if (ns == MM_TIME_NONE)
        sqlite3_bind_null(st, idx);
    else
        sqlite3_bind_int64(st, idx, ns);
}

static int64_t col_opt_time(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL ? MM_TIME_NONE : sqlite3_column_int64(st, col);
}

static json_t *date_or_null(int64_t ns)
{
    if (ns == MM_TIME_NONE)
        return json_null();
    char buf[MM_DATE_TEXT_MAX];
    mm_date_format(ns, buf, sizeof buf);
    return json_string(buf);
}

/* A version row (VERSION_COLS) as the API shows it. NULL when out of memory or the stored
 * document is not an object. */
static json_t *version_json(sqlite3_stmt *st)
{
    const char *doc = (const char *)sqlite3_column_text(st, 9);
    json_t *o = doc ? json_loads(doc, 0, NULL) : NULL;
    if (!json_is_object(o)) {
        json_decref(o);
        return NULL;
    }
    char ts[MM_TIME_TEXT_MAX];
    json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, 0)));
    json_object_set_new(o, "version", json_integer(sqlite3_column_int(st, 1)));
    mm_time_format_us(sqlite3_column_int64(st, 2), ts, sizeof ts);
    json_object_set_new(o, "filed_at", json_string(ts));
    json_object_set_new(o, "filed_by", json_string((const char *)sqlite3_column_text(st, 3)));
    json_object_set_new(o, "filer_org", json_integer(sqlite3_column_int64(st, 4)));
    json_object_set_new(o, "effective_at", date_or_null(sqlite3_column_int64(st, 5)));
    json_object_set_new(o, "due_at", date_or_null(col_opt_time(st, 6)));
    json_object_set_new(o, "forwarded_to_cabinet_office_at", date_or_null(col_opt_time(st, 7)));
    const unsigned char *fb = sqlite3_column_text(st, 8);
    json_object_set_new(o, "forwarded_by", fb ? json_string((const char *)fb) : json_null());
    return o;
}

static int insert_version(struct mm_store *s, int64_t id, int version, int64_t filer_org,
                          const struct mm_asset_filing *f, const char *actor, int64_t now,
                          struct mm_err *err)
{
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s,
                            "INSERT INTO asset_versions(asset_id, version, filed_at, filed_by, filer_org,"
                            " effective_at, due_at, exempt, receiving_ministry, doc)"
                            " VALUES(?,?,?,?,?,?,?,?,?,?)",
                            &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, version);
    sqlite3_bind_int64(st, 3, now);
    mm_sql_bind_text(st, 4, actor);
    sqlite3_bind_int64(st, 5, filer_org);
    sqlite3_bind_int64(st, 6, f->effective_at_ns);
    bind_opt_time(st, 7, f->due_at_ns);
    sqlite3_bind_int(st, 8, f->exempt);
    if (f->receiving_ministry)
        sqlite3_bind_int64(st, 9, f->receiving_ministry);
    mm_sql_bind_text(st, 10, f->doc_json);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = mm_sql_fail(s, "insert asset version", err);
    sqlite3_finalize(st);
    if (rc)
        return rc;
    /* The links follow the newest version; older versions keep theirs in their documents. */
    if ((rc = mm_sql_prepare(s, "DELETE FROM asset_orgs WHERE asset_id = ?", &st, err)))
        return rc;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = mm_sql_fail(s, "unlink asset", err);
    sqlite3_finalize(st);
    if (rc || (rc = mm_sql_prepare(s, "INSERT OR IGNORE INTO asset_orgs(asset_id, org_id) VALUES(?,?)",
                                   &st, err)))
        return rc;
    for (size_t i = 0; i < f->norgs && !rc; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, f->orgs[i]);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = mm_sql_fail(s, "link asset", err);
    }
    sqlite3_finalize(st);
    return rc;
}

static void bind_current(sqlite3_stmt *st, int first, const struct mm_asset_filing *f, int64_t now)
{
    mm_sql_bind_text(st, first, f->category);
    mm_sql_bind_text(st, first + 1, f->vendor);
    mm_sql_bind_text(st, first + 2, f->product);
    mm_sql_bind_text(st, first + 3, f->cpe);
    sqlite3_bind_int(st, first + 4, f->exempt);
    sqlite3_bind_int64(st, first + 5, f->in_service_from_ns);
    bind_opt_time(st, first + 6, f->retired_at_ns);
    sqlite3_bind_int64(st, first + 7, now);
}

#define IN_TX_BEGIN(s, err, rc)                                                                    \
    bool own_ = !(s)->in_tx;                                                                       \
    int rc = own_ ? mm_store_begin((s), (err)) : 0;                                                \
    if (rc)                                                                                        \
        return rc;
#define IN_TX_END(s, err, rc)                                                                      \
    if (own_) {                                                                                    \
        if (rc == 0)                                                                               \
            rc = mm_store_commit((s), (err));                                                      \
        else                                                                                       \
            mm_store_rollback(s);                                                                  \
    }                                                                                              \
    return rc;

int mm_store_asset_create(struct mm_store *s, int64_t filer_org, const struct mm_asset_filing *f,
                          const char *actor, int64_t now_ns, int64_t *id, struct mm_err *err)
{
    IN_TX_BEGIN(s, err, rc)
    sqlite3_stmt *st;
    if ((rc = mm_sql_prepare(s,
                             "INSERT INTO assets(filer_org, created_at, version, category, vendor, product,"
                             " cpe, exempt, in_service_from, retired_at, updated_at)"
                             " VALUES(?,?,1,?,?,?,?,?,?,?,?)",
                             &st, err)))
        goto out;
    sqlite3_bind_int64(st, 1, filer_org);
    sqlite3_bind_int64(st, 2, now_ns);
    bind_current(st, 3, f, now_ns);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = mm_sql_fail(s, "insert asset", err);
    else
        *id = sqlite3_last_insert_rowid(s->db);
    sqlite3_finalize(st);
    if (!rc)
        rc = insert_version(s, *id, 1, filer_org, f, actor, now_ns, err);
out:
    IN_TX_END(s, err, rc)
}

int mm_store_asset_add_version(struct mm_store *s, int64_t id, int64_t filer_org,
                               const struct mm_asset_filing *f, const char *actor, int64_t now_ns,
                               int *version, struct mm_err *err)
{
    IN_TX_BEGIN(s, err, rc)
    sqlite3_stmt *st;
    if ((rc = mm_sql_prepare(s,
                             "UPDATE assets SET version = version + 1, category = ?, vendor = ?,"
                             " product = ?, cpe = ?, exempt = ?, in_service_from = ?, retired_at = ?,"
                             " updated_at = ? WHERE id = ? RETURNING version",
                             &st, err)))
        goto out;
    bind_current(st, 1, f, now_ns);
    sqlite3_bind_int64(st, 9, id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        *version = sqlite3_column_int(st, 0);
    else if (step == SQLITE_DONE)
        rc = mm_err_set(err, MM_ENOTFOUND, "no asset %lld", (long long)id);
    else
        rc = mm_sql_fail(s, "update asset", err);
    sqlite3_finalize(st);
    if (!rc)
        rc = insert_version(s, id, *version, filer_org, f, actor, now_ns, err);
out:
    IN_TX_END(s, err, rc)
}

int mm_store_asset_visible(struct mm_store *s, const struct mm_scope *scope, int64_t id,
                           struct mm_err *err)
{
    static const char *const forms[4] =
        MM_SCOPED_SQL("SELECT 1 FROM assets a WHERE a.id = :id AND ", "asset_orgs", "asset_id", "a.id", "");
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s, mm_scoped_sql(forms, scope), &st, err);
    if (rc)
        return rc;
    mm_scope_bind(st, scope);
    sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":id"), id);
    int step = sqlite3_step(st);
    if (step == SQLITE_DONE)
        rc = mm_err_set(err, MM_ENOTFOUND, "no asset %lld", (long long)id);
    else if (step != SQLITE_ROW)
        rc = mm_sql_fail(s, "look up asset", err);
    sqlite3_finalize(st);
    return rc;
}

int mm_store_asset_get(struct mm_store *s, const struct mm_scope *scope, int64_t id,
                       int64_t as_of_ns, json_t **out, struct mm_err *err)
{
    *out = NULL;
    int rc = mm_store_asset_visible(s, scope, id, err);
    if (rc)
        return rc;
    sqlite3_stmt *st;
    if (as_of_ns == MM_TIME_NONE)
        rc = mm_sql_prepare(s,
                            "SELECT " VERSION_COLS " FROM asset_versions v JOIN assets a ON a.id = v.asset_id"
                            " AND a.version = v.version WHERE v.asset_id = ?",
                            &st, err);
    else
        rc = mm_sql_prepare(s,
                            "SELECT " VERSION_COLS " FROM asset_versions v WHERE v.asset_id = ?"
                            " AND v.effective_at <= ? ORDER BY v.effective_at DESC, v.version DESC LIMIT 1",
                            &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    if (as_of_ns != MM_TIME_NONE)
        sqlite3_bind_int64(st, 2, as_of_ns);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        if (!(*out = version_json(st)))
            rc = mm_err_set(err, MM_ESTORE, "asset %lld: stored document unreadable", (long long)id);
    } else if (step == SQLITE_DONE) {
        rc = mm_err_set(err, MM_ENOTFOUND, "asset %lld had no version in force then", (long long)id);
    } else {
        rc = mm_sql_fail(s, "read asset", err);
    }
    sqlite3_finalize(st);
    return rc;
}

int mm_store_asset_history(struct mm_store *s, const struct mm_scope *scope, int64_t id,
                           json_t **out, struct mm_err *err)
{
    *out = NULL;
    int rc = mm_store_asset_visible(s, scope, id, err);
    if (rc)
        return rc;
    sqlite3_stmt *st;
    if ((rc = mm_sql_prepare(s,
                             "SELECT " VERSION_COLS " FROM asset_versions v WHERE v.asset_id = ?"
                             " ORDER BY v.version",
                             &st, err)))
        return rc;
    sqlite3_bind_int64(st, 1, id);
    json_t *arr = json_array();
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *v = version_json(st);
        if (!v) {
            rc = mm_err_set(err, MM_ESTORE, "asset %lld: stored document unreadable", (long long)id);
            break;
        }
        json_array_append_new(arr, v);
    }
    if (!rc && step != SQLITE_DONE)
        rc = mm_sql_fail(s, "read asset history", err);
    sqlite3_finalize(st);
    if (rc)
        json_decref(arr);
    else
        *out = arr;
    return rc;
}

/* Follows the scope test. */
#define ASSET_FILTERS                                                                              \
    " AND (:cat IS NULL OR a.category = :cat) AND (:vendor IS NULL OR a.vendor = :vendor)"         \
    " AND (:product IS NULL OR a.product = :product)"                                              \
    " AND (:cpe IS NULL OR substr(a.cpe, 1, length(:cpe)) = :cpe)"                                 \
    " AND (:org = 0 OR EXISTS(SELECT 1 FROM asset_orgs x WHERE x.asset_id = a.id AND x.org_id = :org))" \
    " AND (:exempt < 0 OR a.exempt = :exempt)"                                                     \
    " AND (:retired < 0 OR (a.retired_at IS NOT NULL AND a.retired_at <= :now) = :retired)"        \
    " AND a.id > :after"

static void bind_asset_filter(sqlite3_stmt *st, const void *ctx)
{
    const struct mm_asset_filter *f = ctx;
#define IDX_(n) sqlite3_bind_parameter_index(st, n)
    mm_sql_bind_text(st, IDX_(":cat"), f->category);
    mm_sql_bind_text(st, IDX_(":vendor"), f->vendor);
    mm_sql_bind_text(st, IDX_(":product"), f->product);
    mm_sql_bind_text(st, IDX_(":cpe"), f->cpe_prefix);
    sqlite3_bind_int64(st, IDX_(":org"), f->org);
    sqlite3_bind_int64(st, IDX_(":exempt"), f->exempt);
    sqlite3_bind_int64(st, IDX_(":retired"), f->retired);
    sqlite3_bind_int64(st, IDX_(":now"), mm_time_now_ns());
    sqlite3_bind_int64(st, IDX_(":after"), f->after_id);
#undef IDX_
}

int mm_store_asset_list(struct mm_store *s, const struct mm_scope *scope,
                        const struct mm_asset_filter *f, json_t **items, int64_t *total,
                        struct mm_err *err)
{
    static const char *const count_forms[4] = MM_SCOPED_SQL(
        "SELECT count(*) FROM assets a WHERE ", "asset_orgs", "asset_id", "a.id", ASSET_FILTERS);
    static const char *const page_forms[4] = MM_SCOPED_SQL(
        "SELECT " VERSION_COLS " FROM assets a JOIN asset_versions v ON v.asset_id = a.id"
        " AND v.version = a.version WHERE ",
        "asset_orgs", "asset_id", "a.id", ASSET_FILTERS " ORDER BY a.id LIMIT :limit OFFSET :offset");
    struct mm_sql_page q = {
        .count_forms = count_forms,
        .page_forms = page_forms,
        .scope = scope,
        .noun = "asset",
        .bind = bind_asset_filter,
        .row = version_json,
        .ctx = f,
        .limit = f->limit,
        .offset = f->offset,
    };
    return mm_sql_page(s, &q, items, total, err);
}

int mm_store_asset_forward(struct mm_store *s, int64_t id, int version, int64_t forwarded_at_ns,
                           const char *actor, struct mm_err *err)
{
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s,
                            "UPDATE asset_versions SET forwarded_at = ?, forwarded_by = ?"
                            " WHERE asset_id = ? AND version = ? AND forwarded_at IS NULL",
                            &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, forwarded_at_ns);
    mm_sql_bind_text(st, 2, actor);
    sqlite3_bind_int64(st, 3, id);
    sqlite3_bind_int(st, 4, version);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = mm_sql_fail(s, "record forwarding", err);
    else if (sqlite3_changes(s->db) == 0)
        rc = mm_err_set(err, MM_ECONFLICT,
                        "asset %lld version %d does not exist or was forwarded already",
                        (long long)id, version);
    sqlite3_finalize(st);
    return rc;
}

int mm_store_asset_filings(struct mm_store *s, const struct mm_scope *scope, mm_filing_cb cb,
                           void *ctx, struct mm_err *err)
{
    static const char *const forms[4] = MM_SCOPED_SQL(
        "SELECT v.asset_id, v.version, v.filer_org, v.receiving_ministry, v.filed_at, v.due_at,"
        " v.forwarded_at, a.retired_at, v.exempt FROM asset_versions v JOIN assets a ON a.id = v.asset_id"
        " WHERE ",
        "asset_orgs", "asset_id", "a.id", " ORDER BY v.asset_id, v.version");
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s, mm_scoped_sql(forms, scope), &st, err);
    if (rc)
        return rc;
    mm_scope_bind(st, scope);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct mm_filing_info fi = {
            .asset_id = sqlite3_column_int64(st, 0),
            .version = sqlite3_column_int(st, 1),
            .filer_org = sqlite3_column_int64(st, 2),
            .receiving_ministry = sqlite3_column_int64(st, 3),
            .filed_at_ns = sqlite3_column_int64(st, 4),
            .due_at_ns = col_opt_time(st, 5),
            .forwarded_at_ns = col_opt_time(st, 6),
            .retired_at_ns = col_opt_time(st, 7),
            .exempt = sqlite3_column_int(st, 8) != 0,
        };
        if ((rc = cb(ctx, &fi)))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = mm_sql_fail(s, "list filings", err);
    sqlite3_finalize(st);
    return rc;
}
