/* scope_sqlite.h - the SQL predicate that applies a struct mm_scope to an object's link table;
 * shared by orgs_sqlite.c, registry_sqlite.c and reports_sqlite.c, never included elsewhere. */
#ifndef MM_SCOPE_SQLITE_H
#define MM_SCOPE_SQLITE_H

#include <sqlite3.h>

#include "store/orgs.h"

/* True when the object whose id is idexpr is visible: link is the link table
 * (asset_orgs, incident_orgs), key its object column. Binds :sk (kind) and :so (org id).
 * The subqueries do not refer to the outer row, so SQLite runs each once per
 * statement (an ephemeral index) instead of once per row: a list over 100,000
 * assets costs one scan, not 100,000 subqueries. */
#define MM_SCOPE_SQL(link, key, idexpr)                                                            \
    "(:sk = 1 OR (:sk = 2 AND " idexpr " IN (SELECT l." key " FROM " link " l"                     \
    " WHERE l.org_id = :so)) OR (:sk = 3 AND " idexpr " IN (SELECT l." key " FROM " link " l"      \
    " JOIN orgs o ON o.id = l.org_id JOIN org_sectors os ON os.org_id = o.id"                      \
    " JOIN org_sectors ms ON ms.org_id = :so AND ms.sector = os.sector"                            \
    " WHERE o.type = 'operator' OR o.id = :so)))"

static inline void mm_scope_bind(sqlite3_stmt *st, const struct mm_scope *scope)
{
    int i = sqlite3_bind_parameter_index(st, ":sk");
    if (i)
        sqlite3_bind_int(st, i, scope ? (int)scope->kind : MM_SCOPE_ALL);
    if ((i = sqlite3_bind_parameter_index(st, ":so")))
        sqlite3_bind_int64(st, i, scope ? scope->org_id : 0);
}

#endif
