/* store_sqlite.c - the embedded SQLite backend: opening, versioned migrations, transactions, users,
 * selection runs and record inserts. */
#include "store/sqlite_internal.h"
#include "store/scope_sqlite.h"

#include "util/digest.h"
#include "util/timefmt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BUSY_TIMEOUT_MS 10000

/* Migration N takes the schema from version N-1 to N. Never edit a
 * released migration: add the next one. */
static const char *const migrations[] = {
    /* 1: the holding agency's store */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;"
    "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    "  role TEXT NOT NULL CHECK(role IN ('analyst','committee','operator','supplier','ministry',"
    "  'council_member','admin')), org TEXT, token_sha256 TEXT NOT NULL UNIQUE,"
    "  created_at INTEGER NOT NULL, created_by TEXT NOT NULL) STRICT;"
    "CREATE TABLE runs(id INTEGER PRIMARY KEY, policy_id TEXT NOT NULL, policy_version INTEGER NOT NULL,"
    "  route TEXT NOT NULL, inputs TEXT NOT NULL, started_at INTEGER NOT NULL, finished_at INTEGER,"
    "  status TEXT NOT NULL DEFAULT 'running', stats TEXT) STRICT;"
    "CREATE TABLE records(id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id),"
    "  policy_id TEXT NOT NULL, policy_version INTEGER NOT NULL, route TEXT NOT NULL,"
    "  direction TEXT NOT NULL, proto INTEGER NOT NULL, src_addr TEXT NOT NULL, src_port INTEGER NOT NULL,"
    "  src_pseudonymized INTEGER NOT NULL, dst_addr TEXT NOT NULL, dst_port INTEGER NOT NULL,"
    "  dst_pseudonymized INTEGER NOT NULL, packets INTEGER NOT NULL, bytes INTEGER NOT NULL,"
    "  tcp_flags INTEGER NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
    "  criteria TEXT NOT NULL, erase_after INTEGER NOT NULL) STRICT;"
    "CREATE INDEX records_by_erase_after ON records(erase_after);"
    "CREATE INDEX records_by_first_seen ON records(first_seen);"
    "CREATE TABLE holds(id INTEGER PRIMARY KEY, filter TEXT NOT NULL, until INTEGER NOT NULL,"
    "  reason TEXT NOT NULL, requested_by TEXT NOT NULL, requested_at INTEGER NOT NULL,"
    "  approved_by TEXT, approved_at INTEGER, status TEXT NOT NULL DEFAULT 'requested') STRICT;"
    "CREATE TABLE record_holds(record_id INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,"
    "  hold_id INTEGER NOT NULL REFERENCES holds(id) ON DELETE CASCADE,"
    "  PRIMARY KEY(record_id, hold_id)) STRICT, WITHOUT ROWID;"
    "CREATE TABLE criteria(id TEXT PRIMARY KEY, status TEXT NOT NULL CHECK(status IN"
    "  ('proposed','approved','rejected','revoked','expired')), match TEXT, feed BLOB,"
    "  feed_sha256 TEXT, feed_entries INTEGER, proto TEXT, ports TEXT, not_before INTEGER,"
    "  not_after INTEGER, source_kind TEXT NOT NULL, source_ref TEXT NOT NULL,"
    "  legal_basis TEXT NOT NULL, proposed_by TEXT NOT NULL, proposed_at INTEGER NOT NULL,"
    "  decided_by TEXT, decided_at INTEGER, decision_reason TEXT) STRICT;"
    "CREATE TABLE ledger(id INTEGER PRIMARY KEY, at INTEGER NOT NULL, kind TEXT NOT NULL,"
    "  subject TEXT NOT NULL, actor TEXT NOT NULL, legal_basis TEXT, reason TEXT) STRICT;"
    "CREATE TABLE agreements(id TEXT PRIMARY KEY, party TEXT NOT NULL, contractors TEXT NOT NULL,"
    "  scope TEXT NOT NULL, starts_at INTEGER NOT NULL, ends_at INTEGER NOT NULL,"
    "  created_by TEXT NOT NULL, created_at INTEGER NOT NULL) STRICT;"
    "CREATE TABLE policies(id TEXT NOT NULL, version INTEGER NOT NULL, route TEXT NOT NULL,"
    "  agreement_id TEXT, issued_at INTEGER NOT NULL, issued_by TEXT NOT NULL, sha256 TEXT NOT NULL,"
    "  PRIMARY KEY(id, version)) STRICT;"
    "CREATE TABLE provisions(id INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL,"
    "  to_agency TEXT NOT NULL, purpose TEXT NOT NULL, reason TEXT NOT NULL, filter TEXT NOT NULL,"
    "  records INTEGER NOT NULL, package_sha256 TEXT NOT NULL) STRICT;"
    "CREATE TABLE audit(seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, actor TEXT NOT NULL,"
    "  role TEXT NOT NULL, action TEXT NOT NULL, purpose TEXT, reason TEXT, object TEXT,"
    "  count INTEGER NOT NULL, outcome TEXT NOT NULL, prev_sha256 TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL) STRICT;"
    /* The log is append-only for anyone using SQL; editing the file itself
     * is caught by the hash chain. */
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN"
    "  SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN"
    "  SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    /* 2: organizations, the asset registry and incident reports (docs/registry.md,
     * docs/reports.md). Versions are immutable: only a filing's forwarding
     * bookkeeping may be set, once. */
    "CREATE TABLE orgs(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    "  type TEXT NOT NULL CHECK(type IN ('operator','supplier','ministry')),"
    "  created_at INTEGER NOT NULL, created_by TEXT NOT NULL) STRICT;"
    "CREATE TABLE org_sectors(org_id INTEGER NOT NULL REFERENCES orgs(id), sector TEXT NOT NULL,"
    "  PRIMARY KEY(org_id, sector)) STRICT, WITHOUT ROWID;"
    "CREATE INDEX org_sectors_by_sector ON org_sectors(sector, org_id);"
    "CREATE TABLE assets(id INTEGER PRIMARY KEY, filer_org INTEGER NOT NULL REFERENCES orgs(id),"
    "  created_at INTEGER NOT NULL, version INTEGER NOT NULL, category TEXT NOT NULL, vendor TEXT,"
    "  product TEXT, cpe TEXT, exempt INTEGER NOT NULL, in_service_from INTEGER NOT NULL,"
    "  retired_at INTEGER, updated_at INTEGER NOT NULL) STRICT;"
    "CREATE TABLE asset_versions(asset_id INTEGER NOT NULL REFERENCES assets(id),"
    "  version INTEGER NOT NULL, filed_at INTEGER NOT NULL, filed_by TEXT NOT NULL,"
    "  filer_org INTEGER NOT NULL, effective_at INTEGER NOT NULL, due_at INTEGER,"
    "  exempt INTEGER NOT NULL, receiving_ministry INTEGER, doc TEXT NOT NULL,"
    "  forwarded_at INTEGER, forwarded_by TEXT, PRIMARY KEY(asset_id, version)) STRICT;"
    "CREATE INDEX asset_versions_by_effective ON asset_versions(asset_id, effective_at);"
    "CREATE TRIGGER asset_versions_immutable BEFORE UPDATE ON asset_versions"
    "  WHEN OLD.forwarded_at IS NOT NULL OR NEW.asset_id IS NOT OLD.asset_id"
    "  OR NEW.version IS NOT OLD.version OR NEW.filed_at IS NOT OLD.filed_at"
    "  OR NEW.doc IS NOT OLD.doc OR NEW.due_at IS NOT OLD.due_at"
    "  OR NEW.effective_at IS NOT OLD.effective_at OR NEW.filer_org IS NOT OLD.filer_org BEGIN"
    "  SELECT RAISE(ABORT, 'asset versions are immutable'); END;"
    "CREATE TRIGGER asset_versions_no_delete BEFORE DELETE ON asset_versions BEGIN"
    "  SELECT RAISE(ABORT, 'asset versions are immutable'); END;"
    "CREATE TABLE asset_orgs(asset_id INTEGER NOT NULL REFERENCES assets(id),"
    "  org_id INTEGER NOT NULL REFERENCES orgs(id), PRIMARY KEY(asset_id, org_id)) STRICT, WITHOUT ROWID;"
    "CREATE INDEX asset_orgs_by_org ON asset_orgs(org_id, asset_id);"
    "CREATE TABLE incidents(id INTEGER PRIMARY KEY, reporter_org INTEGER NOT NULL REFERENCES orgs(id),"
    "  kind TEXT NOT NULL CHECK(kind IN ('statutory','voluntary')), aware_at INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL, latest_version INTEGER NOT NULL, final_at INTEGER,"
    "  updated_at INTEGER NOT NULL) STRICT;"
    "CREATE INDEX incidents_by_aware_at ON incidents(aware_at);"
    "CREATE TABLE incident_versions(incident_id INTEGER NOT NULL REFERENCES incidents(id),"
    "  version INTEGER NOT NULL, stage TEXT NOT NULL CHECK(stage IN ('initial','update','final')),"
    "  submitted_at INTEGER NOT NULL, submitted_by TEXT NOT NULL, doc TEXT NOT NULL,"
    "  PRIMARY KEY(incident_id, version)) STRICT;"
    "CREATE TRIGGER incident_versions_no_update BEFORE UPDATE ON incident_versions BEGIN"
    "  SELECT RAISE(ABORT, 'report versions are immutable'); END;"
    "CREATE TRIGGER incident_versions_no_delete BEFORE DELETE ON incident_versions BEGIN"
    "  SELECT RAISE(ABORT, 'report versions are immutable'); END;"
    "CREATE TABLE incident_orgs(incident_id INTEGER NOT NULL REFERENCES incidents(id),"
    "  org_id INTEGER NOT NULL REFERENCES orgs(id), PRIMARY KEY(incident_id, org_id)) STRICT,"
    "  WITHOUT ROWID;"
    "CREATE INDEX incident_orgs_by_org ON incident_orgs(org_id, incident_id);",
};
#define NMIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))
_Static_assert(NMIGRATIONS == MM_STORE_SCHEMA_VERSION, "one migration per schema version");

int mm_sql_fail(struct mm_store *s, const char *what, struct mm_err *err)
{
    int code = sqlite3_errcode(s->db);
    return mm_err_set(err, code == SQLITE_BUSY || code == SQLITE_LOCKED ? MM_ECONFLICT : MM_ESTORE,
                      "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

int mm_sql_prepare(struct mm_store *s, const char *sql, sqlite3_stmt **st, struct mm_err *err)
{
    if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
        return mm_sql_fail(s, "prepare", err);
    return 0;
}

int mm_sql_page(struct mm_store *s, const struct mm_sql_page *q, json_t **items, int64_t *total,
                struct mm_err *err)
{
    *items = NULL;
    json_t *arr = json_array();
    int rc = arr ? 0 : mm_err_set(err, MM_ENOMEM, "out of memory listing %ss", q->noun);
    for (int pass = 0; pass < 2 && !rc; pass++) {
        sqlite3_stmt *st;
        const char *const *forms = pass == 0 ? q->count_forms : q->page_forms;
        if ((rc = mm_sql_prepare(s, mm_scoped_sql(forms, q->scope), &st, err)))
            break;
        mm_scope_bind(st, q->scope);
        q->bind(st, q->ctx);
        if (pass == 1) {
            sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":limit"), q->limit);
            sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":offset"), q->offset);
        }
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            if (pass == 0) {
                *total = sqlite3_column_int64(st, 0);
                continue;
            }
            json_t *v = q->row(st);
            if (!v) {
                rc = mm_err_set(err, MM_ESTORE, "%s %lld: stored document unreadable", q->noun,
                                (long long)sqlite3_column_int64(st, 0));
                break;
            }
            json_array_append_new(arr, v);
        }
        if (!rc && step != SQLITE_DONE) {
            char what[64];
            snprintf(what, sizeof what, "list %ss", q->noun);
            rc = mm_sql_fail(s, what, err);
        }
        sqlite3_finalize(st);
    }
    if (rc)
        json_decref(arr);
    else
        *items = arr;
    return rc;
}

int mm_sql_exec(struct mm_store *s, const char *sql, struct mm_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int code = sqlite3_errcode(s->db);
        mm_err_set(err, code == SQLITE_BUSY ? MM_ECONFLICT : MM_ESTORE, "%s: %s", s->path,
                   msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return code == SQLITE_BUSY ? MM_ECONFLICT : MM_ESTORE;
    }
    return 0;
}

void mm_sql_bind_text(sqlite3_stmt *st, int idx, const char *text)
{
    if (text)
        sqlite3_bind_text(st, idx, text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, idx);
}

const char *mm_store_path(const struct mm_store *s) { return s->path; }

static int schema_version(struct mm_store *s, int *version, struct mm_err *err)
{
    sqlite3_stmt *st;
    *version = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &st,
                           NULL) != SQLITE_OK)
        return 0; /* no meta table: an empty, uninitialized store */
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *version = atoi((const char *)sqlite3_column_text(st, 0));
    else if (rc != SQLITE_DONE)
        rc = mm_sql_fail(s, "read schema version", err);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : MM_ESTORE;
}

static int run_migrations(struct mm_store *s, int *from, int *to, struct mm_err *err)
{
    int v;
    int rc = mm_store_begin(s, err);
    if (rc)
        return rc;
    if ((rc = schema_version(s, &v, err)))
        goto fail;
    *from = v;
    if (v > MM_STORE_SCHEMA_VERSION) {
        rc = mm_err_set(err, MM_EUNSUPPORTED,
                        "%s: schema version %d is newer than this mamori understands (%d); "
                        "use a newer mamori",
                        s->path, v, MM_STORE_SCHEMA_VERSION);
        goto fail;
    }
    for (; v < MM_STORE_SCHEMA_VERSION; v++) {
        if ((rc = mm_sql_exec(s, migrations[v], err)))
            goto fail;
        char sql[160];
        snprintf(sql, sizeof sql,
                 "INSERT INTO meta(key, value) VALUES('schema_version', '%d') "
                 "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                 v + 1);
        if ((rc = mm_sql_exec(s, sql, err)))
            goto fail;
    }
    *to = v;
    return mm_store_commit(s, err);
fail:
    mm_store_rollback(s);
    return rc;
}

static int open_db(const char *path, bool create, struct mm_store **out, struct mm_err *err)
{
    *out = NULL;
    struct stat stbuf;
    if (!create && stat(path, &stbuf) != 0)
        return mm_err_set(err, MM_ENOTFOUND, "%s: no store here (create it with 'mamori init --store %s')",
                          path, path);
    struct mm_store *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        return mm_err_set(err, MM_ENOMEM, "out of memory");
    }
    /* The store holds selected communications information: owner-only files. */
    mode_t old = umask(077);
    int rc = sqlite3_open_v2(path, &s->db,
                             SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) |
                                 SQLITE_OPEN_NOMUTEX,
                             NULL);
    umask(old);
    if (rc != SQLITE_OK) {
        mm_err_set(err, MM_ESTORE, "%s: cannot open: %s", path, s->db ? sqlite3_errmsg(s->db) : "?");
        mm_store_close(s);
        return MM_ESTORE;
    }
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(s->db, 0);
    if ((rc = mm_sql_exec(s,
                          "PRAGMA journal_mode = WAL; PRAGMA secure_delete = ON;"
                          "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                          err))) {
        mm_store_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

int mm_store_open(const char *path, int flags, struct mm_store **out, struct mm_err *err)
{
    struct mm_store *s;
    int rc = open_db(path, flags & MM_STORE_CREATE, &s, err);
    if (rc)
        return rc;
    int v;
    if ((rc = schema_version(s, &v, err)))
        goto fail;
    if (flags & MM_STORE_CREATE) {
        int from, to;
        if ((rc = run_migrations(s, &from, &to, err)))
            goto fail;
    } else if (v == 0) {
        rc = mm_err_set(err, MM_ENOTFOUND, "%s: not a mamori store (run 'mamori init --store %s')", path,
                        path);
        goto fail;
    } else if (v > MM_STORE_SCHEMA_VERSION) {
        rc = mm_err_set(err, MM_EUNSUPPORTED,
                        "%s: schema version %d is newer than this mamori understands (%d); "
                        "use a newer mamori",
                        path, v, MM_STORE_SCHEMA_VERSION);
        goto fail;
    } else if (v < MM_STORE_SCHEMA_VERSION) {
        rc = mm_err_set(err, MM_EUNSUPPORTED,
                        "%s: schema version %d is older than this mamori's (%d); run 'mamori migrate "
                        "--store %s'",
                        path, v, MM_STORE_SCHEMA_VERSION, path);
        goto fail;
    }
    *out = s;
    return 0;
fail:
    mm_store_close(s);
    return rc;
}

int mm_store_migrate(const char *path, int *from, int *to, struct mm_err *err)
{
    struct mm_store *s;
    int rc = open_db(path, false, &s, err);
    if (rc)
        return rc;
    rc = run_migrations(s, from, to, err);
    mm_store_close(s);
    return rc;
}

void mm_store_close(struct mm_store *s)
{
    if (!s)
        return;
    sqlite3_close_v2(s->db);
    free(s->path);
    free(s);
}

int mm_store_begin(struct mm_store *s, struct mm_err *err)
{
    int rc = mm_sql_exec(s, "BEGIN IMMEDIATE", err);
    if (rc == 0)
        s->in_tx = true;
    return rc;
}

int mm_store_commit(struct mm_store *s, struct mm_err *err)
{
    int rc = mm_sql_exec(s, "COMMIT", err);
    if (rc)
        mm_store_rollback(s);
    s->in_tx = false;
    return rc;
}

void mm_store_rollback(struct mm_store *s)
{
    if (sqlite3_get_autocommit(s->db) == 0)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    s->in_tx = false;
}

/* ---- users ---- */

int mm_store_user_count(struct mm_store *s, int64_t *count, struct mm_err *err)
{
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s, "SELECT count(*) FROM users", &st, err);
    if (rc)
        return rc;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *count = sqlite3_column_int64(st, 0);
    } else {
        rc = mm_sql_fail(s, "count users", err);
    }
    sqlite3_finalize(st);
    return rc;
}

int mm_store_user_add(struct mm_store *s, const char *name, enum mm_role role, const char *org,
                      const char *token_sha256_hex, const char *created_by, struct mm_err *err)
{
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s,
                            "INSERT INTO users(name, role, org, token_sha256, created_at, created_by) "
                            "VALUES(?, ?, ?, ?, ?, ?)",
                            &st, err);
    if (rc)
        return rc;
    mm_sql_bind_text(st, 1, name);
    mm_sql_bind_text(st, 2, mm_role_name(role));
    mm_sql_bind_text(st, 3, org);
    mm_sql_bind_text(st, 4, token_sha256_hex);
    sqlite3_bind_int64(st, 5, mm_time_now_ns());
    mm_sql_bind_text(st, 6, created_by);
    int step = sqlite3_step(st);
    if (step == SQLITE_CONSTRAINT)
        rc = mm_err_set(err, MM_ECONFLICT, "user '%s' exists already", name);
    else if (step != SQLITE_DONE)
        rc = mm_sql_fail(s, "add user", err);
    sqlite3_finalize(st);
    return rc;
}

static void read_user(sqlite3_stmt *st, struct mm_user *u)
{
    memset(u, 0, sizeof *u);
    u->id = sqlite3_column_int64(st, 0);
    snprintf(u->name, sizeof u->name, "%s", (const char *)sqlite3_column_text(st, 1));
    if (mm_role_parse((const char *)sqlite3_column_text(st, 2), &u->role) != 0)
        u->role = MM_ROLE_COUNT; /* an unknown role grants nothing */
    const unsigned char *org = sqlite3_column_text(st, 3);
    snprintf(u->org, sizeof u->org, "%s", org ? (const char *)org : "");
}

int mm_store_user_by_token(struct mm_store *s, const char *token, struct mm_user *out, struct mm_err *err)
{
    char hex[65];
    mm_sha256_hex(token, strlen(token), hex);
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s, "SELECT id, name, role, org FROM users WHERE token_sha256 = ?", &st, err);
    if (rc)
        return rc;
    mm_sql_bind_text(st, 1, hex);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        read_user(st, out);
    else if (step == SQLITE_DONE)
        rc = mm_err_set(err, MM_EDENIED, "unknown token");
    else
        rc = mm_sql_fail(s, "look up token", err);
    sqlite3_finalize(st);
    return rc;
}

int mm_store_user_list(struct mm_store *s, mm_user_cb cb, void *ctx, struct mm_err *err)
{
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s, "SELECT id, name, role, org FROM users ORDER BY id", &st, err);
    if (rc)
        return rc;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct mm_user u;
        read_user(st, &u);
        if ((rc = cb(ctx, &u)))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = mm_sql_fail(s, "list users", err);
    sqlite3_finalize(st);
    return rc;
}

/* ---- runs and records ---- */

int mm_store_run_begin(struct mm_store *s, const struct mm_policy *p, const char *inputs,
                       int64_t *run_id, struct mm_err *err)
{
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s,
                            "INSERT INTO runs(policy_id, policy_version, route, inputs, started_at) "
                            "VALUES(?, ?, ?, ?, ?)",
                            &st, err);
    if (rc)
        return rc;
    mm_sql_bind_text(st, 1, p->policy_id);
    sqlite3_bind_int64(st, 2, p->policy_version);
    mm_sql_bind_text(st, 3, mm_route_name(p->route));
    mm_sql_bind_text(st, 4, inputs);
    sqlite3_bind_int64(st, 5, mm_time_now_ns());
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = mm_sql_fail(s, "start run", err);
    else
        *run_id = sqlite3_last_insert_rowid(s->db);
    sqlite3_finalize(st);
    return rc;
}

int mm_store_run_finish(struct mm_store *s, int64_t run_id, const char *status, const char *stats_json,
                        struct mm_err *err)
{
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s, "UPDATE runs SET finished_at = ?, status = ?, stats = ? WHERE id = ?", &st,
                            err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, mm_time_now_ns());
    mm_sql_bind_text(st, 2, status);
    mm_sql_bind_text(st, 3, stats_json);
    sqlite3_bind_int64(st, 4, run_id);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = mm_sql_fail(s, "finish run", err);
    sqlite3_finalize(st);
    return rc;
}

int mm_store_records_insert(struct mm_store *s, int64_t run_id, const struct mm_policy *p,
                            const struct mm_record *recs, size_t n, struct mm_err *err)
{
    sqlite3_stmt *st = NULL;
    bool own_tx = !s->in_tx;
    int rc = own_tx ? mm_store_begin(s, err) : 0;
    if (rc)
        return rc;
    rc = mm_sql_prepare(
        s,
        "INSERT INTO records(run_id, policy_id, policy_version, route, direction, proto, src_addr,"
        " src_port, src_pseudonymized, dst_addr, dst_port, dst_pseudonymized, packets, bytes,"
        " tcp_flags, first_seen, last_seen, criteria, erase_after)"
        " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        &st, err);
    if (rc)
        goto fail;
    const int64_t retention_ns = (int64_t)p->retention_days * 86400 * MM_NS_PER_SEC;
    for (size_t i = 0; i < n; i++) {
        const struct mm_record *r = &recs[i];
        char src[MM_ADDR_TEXT_MAX], dst[MM_ADDR_TEXT_MAX], crit[8192];
        mm_addr_format(&r->src, src, sizeof src);
        mm_addr_format(&r->dst, dst, sizeof dst);
        size_t len = 0;
        crit[len++] = '[';
        for (uint32_t k = 0; k < r->ncriteria && len + MM_CRITERION_ID_MAX + 4 < sizeof crit; k++)
            len += (size_t)snprintf(crit + len, sizeof crit - len, "%s\"%s\"", k ? "," : "",
                                    p->criteria[r->criteria[k]].id);
        crit[len++] = ']';
        crit[len] = '\0';
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_text(st, 2, p->policy_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, p->policy_version);
        sqlite3_bind_text(st, 4, mm_route_name(p->route), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, mm_direction_name(r->direction), -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 6, r->proto);
        sqlite3_bind_text(st, 7, src, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 8, r->src_port);
        sqlite3_bind_int(st, 9, r->src_pseudonymized);
        sqlite3_bind_text(st, 10, dst, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 11, r->dst_port);
        sqlite3_bind_int(st, 12, r->dst_pseudonymized);
        sqlite3_bind_int64(st, 13, (int64_t)r->packets);
        sqlite3_bind_int64(st, 14, (int64_t)r->bytes);
        sqlite3_bind_int(st, 15, r->tcp_flags);
        sqlite3_bind_int64(st, 16, r->first_ns);
        sqlite3_bind_int64(st, 17, r->last_ns);
        sqlite3_bind_text(st, 18, crit, (int)len, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 19, r->last_ns + retention_ns);
        if (sqlite3_step(st) != SQLITE_DONE) {
            rc = mm_sql_fail(s, "insert record", err);
            goto fail;
        }
    }
    sqlite3_finalize(st);
    return own_tx ? mm_store_commit(s, err) : 0;
fail:
    sqlite3_finalize(st);
    if (own_tx)
        mm_store_rollback(s);
    return rc;
}
