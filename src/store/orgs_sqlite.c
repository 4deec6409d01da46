/* orgs_sqlite.c - organizations and user scopes in the SQLite backend. */
#include "store/orgs.h"

#include "store/scope_sqlite.h"
#include "store/sqlite_internal.h"

#include <stdio.h>
#include <string.h>

static const char *const org_type_names[] = {
#define MM_ORG_TYPE_STR_(name, str) str,
    MM_ORG_TYPE_MAP(MM_ORG_TYPE_STR_)
#undef MM_ORG_TYPE_STR_
};

const char *mm_org_type_name(enum mm_org_type t)
{
    return (unsigned)t < MM_ORG_TYPE_COUNT ? org_type_names[t] : "?";
}

int mm_org_type_parse(const char *name, enum mm_org_type *out)
{
    for (int i = 0; name && i < MM_ORG_TYPE_COUNT; i++)
        if (strcmp(name, org_type_names[i]) == 0) {
            *out = (enum mm_org_type)i;
            return 0;
        }
    return MM_EINVAL;
}

int mm_store_org_add(struct mm_store *s, const struct mm_org *o, const char *actor, int64_t now_ns,
                     int64_t *id, struct mm_err *err)
{
    sqlite3_stmt *st = NULL;
    bool own = !s->in_tx;
    int rc = own ? mm_store_begin(s, err) : 0;
    if (rc)
        return rc;
    if ((rc = mm_sql_prepare(s, "INSERT INTO orgs(name, type, created_at, created_by) VALUES(?,?,?,?)",
                             &st, err)))
        goto out;
    mm_sql_bind_text(st, 1, o->name);
    mm_sql_bind_text(st, 2, mm_org_type_name(o->type));
    sqlite3_bind_int64(st, 3, now_ns);
    mm_sql_bind_text(st, 4, actor);
    int step = sqlite3_step(st);
    if (step == SQLITE_CONSTRAINT) {
        rc = mm_err_set(err, MM_ECONFLICT, "organization '%s' exists already", o->name);
        goto out;
    }
    if (step != SQLITE_DONE) {
        rc = mm_sql_fail(s, "add organization", err);
        goto out;
    }
    *id = sqlite3_last_insert_rowid(s->db);
    sqlite3_finalize(st);
    if ((rc = mm_sql_prepare(s, "INSERT OR IGNORE INTO org_sectors(org_id, sector) VALUES(?,?)", &st,
                             err)))
        goto out;
    for (size_t i = 0; i < o->nsectors; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, *id);
        mm_sql_bind_text(st, 2, o->sectors[i]);
        if (sqlite3_step(st) != SQLITE_DONE) {
            rc = mm_sql_fail(s, "add organization sector", err);
            goto out;
        }
    }
out:
    sqlite3_finalize(st);
    if (own) {
        if (rc == 0)
            rc = mm_store_commit(s, err);
        else
            mm_store_rollback(s);
    }
    return rc;
}

static int read_sectors(struct mm_store *s, struct mm_org *o, struct mm_err *err)
{
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s, "SELECT sector FROM org_sectors WHERE org_id = ? ORDER BY sector", &st,
                            err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, o->id);
    o->nsectors = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW && o->nsectors < MM_ORG_SECTORS_MAX)
        snprintf(o->sectors[o->nsectors++], sizeof o->sectors[0], "%s",
                 (const char *)sqlite3_column_text(st, 0));
    if (step != SQLITE_DONE && step != SQLITE_ROW)
        rc = mm_sql_fail(s, "read organization sectors", err);
    sqlite3_finalize(st);
    return rc;
}

static void read_org_row(sqlite3_stmt *st, struct mm_org *o)
{
    memset(o, 0, sizeof *o);
    o->id = sqlite3_column_int64(st, 0);
    snprintf(o->name, sizeof o->name, "%s", (const char *)sqlite3_column_text(st, 1));
    if (mm_org_type_parse((const char *)sqlite3_column_text(st, 2), &o->type) != 0)
        o->type = MM_ORG_TYPE_COUNT;
}

static int org_one(struct mm_store *s, const char *sql, int64_t id, const char *name,
                   struct mm_org *out, struct mm_err *err)
{
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s, sql, &st, err);
    if (rc)
        return rc;
    if (name)
        mm_sql_bind_text(st, 1, name);
    else
        sqlite3_bind_int64(st, 1, id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        read_org_row(st, out);
    else if (step == SQLITE_DONE)
        rc = name ? mm_err_set(err, MM_ENOTFOUND, "no organization '%s'", name)
                  : mm_err_set(err, MM_ENOTFOUND, "no organization %lld", (long long)id);
    else
        rc = mm_sql_fail(s, "read organization", err);
    sqlite3_finalize(st);
    return rc ? rc : read_sectors(s, out, err);
}

int mm_store_org_get(struct mm_store *s, int64_t id, struct mm_org *out, struct mm_err *err)
{
    return org_one(s, "SELECT id, name, type FROM orgs WHERE id = ?", id, NULL, out, err);
}

int mm_store_org_by_name(struct mm_store *s, const char *name, struct mm_org *out, struct mm_err *err)
{
    return org_one(s, "SELECT id, name, type FROM orgs WHERE name = ?", 0, name, out, err);
}

void mm_scope_of_org(const struct mm_org *org, struct mm_scope *out)
{
    out->kind = org->type == MM_ORG_MINISTRY ? MM_SCOPE_SECTORS : MM_SCOPE_ORG;
    out->org_id = org->id;
    out->org_type = org->type;
}

int mm_scope_for_user(struct mm_store *s, const struct mm_user *u, struct mm_scope *out,
                      struct mm_err *err)
{
    memset(out, 0, sizeof *out);
    out->kind = MM_SCOPE_NONE;
    out->org_type = MM_ORG_TYPE_COUNT;
    enum mm_org_type want;
    switch (u->role) {
    case MM_ROLE_ANALYST:
    case MM_ROLE_COMMITTEE: out->kind = MM_SCOPE_ALL; return 0;
    case MM_ROLE_OPERATOR: want = MM_ORG_OPERATOR; break;
    case MM_ROLE_SUPPLIER: want = MM_ORG_SUPPLIER; break;
    case MM_ROLE_MINISTRY: want = MM_ORG_MINISTRY; break;
    default: return 0;
    }
    if (!u->org[0])
        return 0;
    struct mm_org org;
    struct mm_err local;
    mm_err_clear(&local);
    int rc = mm_store_org_by_name(s, u->org, &org, &local);
    if (rc == MM_ENOTFOUND)
        return 0;
    if (rc)
        return mm_err_set(err, rc, "%s", local.msg);
    if (org.type == want)
        mm_scope_of_org(&org, out);
    return 0;
}

int mm_store_org_list(struct mm_store *s, const struct mm_scope *scope, mm_org_cb cb, void *ctx,
                      struct mm_err *err)
{
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(
        s,
        "SELECT o.id, o.name, o.type FROM orgs o WHERE :sk = 1 OR (:sk IN (2, 3) AND o.id = :so)"
        " OR (:sk = 2 AND :st = 'supplier' AND o.type = 'operator')"
        " OR (:sk = 3 AND o.type = 'operator' AND EXISTS(SELECT 1 FROM org_sectors os"
        "  JOIN org_sectors ms ON ms.org_id = :so AND ms.sector = os.sector WHERE os.org_id = o.id))"
        " ORDER BY o.id",
        &st, err);
    if (rc)
        return rc;
    mm_scope_bind(st, scope);
    sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":st"),
                      scope ? mm_org_type_name(scope->org_type) : "", -1, SQLITE_STATIC);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct mm_org o;
        read_org_row(st, &o);
        if ((rc = read_sectors(s, &o, err)) || (rc = cb(ctx, &o)))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = mm_sql_fail(s, "list organizations", err);
    sqlite3_finalize(st);
    return rc;
}
