/* scope_sqlite.h - the SQL forms that apply a struct mm_scope to an object's link table;
 * shared by the SQLite backend (store_sqlite.c, orgs, registry, reports), never included elsewhere. */
#ifndef MM_SCOPE_SQLITE_H
#define MM_SCOPE_SQLITE_H

#include <sqlite3.h>

#include "store/orgs.h"

/* Which objects a scope sees, as a test on the object id idexpr: link is the
 * link table (asset_orgs, incident_orgs), key its object column; binds :so
 * (the user's organization). A statement comes in one form per scope kind
 * (MM_SCOPED_SQL), each with its own test spelled out, so SQLite plans each:
 * the ORG form walks the organization's index and costs what that
 * organization holds. (One form with the kinds OR'ed together and chosen by
 * a bound parameter scanned every row: an operator's page of 50 assets out
 * of 100,000 cost 46 ms, 13 ms when it held only 100 of them.) */
#define MM_SCOPE_ORG_TEST(link, key, idexpr)                                                       \
    idexpr " IN (SELECT l." key " FROM " link " l WHERE l.org_id = :so)"
#define MM_SCOPE_SECTORS_TEST(link, key, idexpr)                                                   \
    idexpr " IN (SELECT l." key " FROM " link " l JOIN orgs o ON o.id = l.org_id"                  \
    " JOIN org_sectors os ON os.org_id = o.id"                                                     \
    " JOIN org_sectors ms ON ms.org_id = :so AND ms.sector = os.sector"                            \
    " WHERE o.type = 'operator' OR o.id = :so)"

/* The four forms of head <scope test> tail, indexed by enum mm_scope_kind:
 * NONE sees nothing, ALL everything. */
#define MM_SCOPED_SQL(head, link, key, idexpr, tail)                                               \
    {                                                                                              \
        head "0" tail, head "1" tail, head MM_SCOPE_ORG_TEST(link, key, idexpr) tail,              \
            head MM_SCOPE_SECTORS_TEST(link, key, idexpr) tail                                     \
    }

/* The form for scope; a NULL scope (the system itself) sees everything. */
static inline const char *mm_scoped_sql(const char *const forms[4], const struct mm_scope *scope)
{
    unsigned kind = scope ? (unsigned)scope->kind : MM_SCOPE_ALL;
    return forms[kind < 4 ? kind : MM_SCOPE_NONE];
}

/* Binds :so and, for statements that test the kind in SQL (the short
 * organization list), :sk. */
static inline void mm_scope_bind(sqlite3_stmt *st, const struct mm_scope *scope)
{
    int i = sqlite3_bind_parameter_index(st, ":sk");
    if (i)
        sqlite3_bind_int(st, i, scope ? (int)scope->kind : MM_SCOPE_ALL);
    if ((i = sqlite3_bind_parameter_index(st, ":so")))
        sqlite3_bind_int64(st, i, scope ? scope->org_id : 0);
}

#endif
