/* sqlite_internal.h - what the SQLite backend's files share; never included outside src/store. */
#ifndef MM_SQLITE_INTERNAL_H
#define MM_SQLITE_INTERNAL_H

#include <jansson.h>
#include <sqlite3.h>

#include "store/store.h"

struct mm_store {
    sqlite3 *db;
    char *path;
    bool in_tx;
};

/* Prepare sql; on failure set err with the statement's purpose and SQLite's message. */
int mm_sql_prepare(struct mm_store *s, const char *sql, sqlite3_stmt **st, struct mm_err *err);
/* Run statements without results. */
int mm_sql_exec(struct mm_store *s, const char *sql, struct mm_err *err);
/* Map a failed step/exec to an error with context. */
int mm_sql_fail(struct mm_store *s, const char *what, struct mm_err *err);
/* Bind a C string or NULL. */
void mm_sql_bind_text(sqlite3_stmt *st, int idx, const char *text);

/* One page of a filtered list, and how many match in all, as scope sees
 * them. count_forms count the matches and page_forms select them with
 * :limit and :offset, one form per scope kind (MM_SCOPED_SQL); the scope
 * and the page are bound here, and bind(st, ctx) sets the filter's
 * parameters, for both statements. row turns a row into JSON, or NULL when
 * the stored row is unreadable (its first column is the id named in the
 * error). */
struct mm_sql_page {
    const char *const *count_forms, *const *page_forms;
    const struct mm_scope *scope;
    const char *noun; /* "asset": for messages */
    void (*bind)(sqlite3_stmt *st, const void *ctx);
    json_t *(*row)(sqlite3_stmt *st);
    const void *ctx;
    int64_t limit, offset;
};
int mm_sql_page(struct mm_store *s, const struct mm_sql_page *q, json_t **items, int64_t *total,
                struct mm_err *err);

#endif
