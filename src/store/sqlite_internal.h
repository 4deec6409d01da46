/* sqlite_internal.h - what the SQLite backend's files share; never included outside src/store. */
#ifndef MM_SQLITE_INTERNAL_H
#define MM_SQLITE_INTERNAL_H

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

#endif
