/* audit.c - the append-only audit log: every entry carries the SHA-256 of the one before, so any
 * edit, removal, insertion or reordering breaks the chain. */
#include "store/sqlite_internal.h"

#include "util/digest.h"
#include "util/timefmt.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

static json_t *str_or_null(const char *s) { return s ? json_string(s) : json_null(); }

/* The entry's hash: SHA-256 over the previous hash, a newline and the
 * entry's fields as canonical JSON (sorted keys, compact). */
static int entry_hash(const struct mm_audit_entry *e, const char *prev, char out[65])
{
    json_t *o = json_object();
    if (!o)
        return MM_ENOMEM;
    json_object_set_new(o, "seq", json_integer(e->seq));
    json_object_set_new(o, "at", json_integer(e->at_ns));
    json_object_set_new(o, "actor", str_or_null(e->actor));
    json_object_set_new(o, "role", str_or_null(e->role));
    json_object_set_new(o, "action", str_or_null(e->action));
    json_object_set_new(o, "purpose", str_or_null(e->purpose));
    json_object_set_new(o, "reason", str_or_null(e->reason));
    json_object_set_new(o, "object", str_or_null(e->object));
    json_object_set_new(o, "count", json_integer(e->count));
    json_object_set_new(o, "outcome", str_or_null(e->outcome));
    char *text = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(o);
    if (!text)
        return MM_ENOMEM;
    size_t plen = strlen(prev), tlen = strlen(text);
    char *buf = malloc(plen + 1 + tlen);
    if (!buf) {
        free(text);
        return MM_ENOMEM;
    }
    memcpy(buf, prev, plen);
    buf[plen] = '\n';
    memcpy(buf + plen + 1, text, tlen);
    mm_sha256_hex(buf, plen + 1 + tlen, out);
    free(buf);
    free(text);
    return 0;
}

static int meta_get(struct mm_store *s, const char *key, char *out, size_t outlen, struct mm_err *err)
{
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s, "SELECT value FROM meta WHERE key = ?", &st, err);
    if (rc)
        return rc;
    mm_sql_bind_text(st, 1, key);
    out[0] = '\0';
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        snprintf(out, outlen, "%s", (const char *)sqlite3_column_text(st, 0));
    else if (step != SQLITE_DONE)
        rc = mm_sql_fail(s, "read meta", err);
    sqlite3_finalize(st);
    return rc;
}

static int meta_set(struct mm_store *s, const char *key, const char *value, struct mm_err *err)
{
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s,
                            "INSERT INTO meta(key, value) VALUES(?, ?) "
                            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                            &st, err);
    if (rc)
        return rc;
    mm_sql_bind_text(st, 1, key);
    mm_sql_bind_text(st, 2, value);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = mm_sql_fail(s, "write meta", err);
    sqlite3_finalize(st);
    return rc;
}

int mm_store_audit_head(struct mm_store *s, char head[65], int64_t *entries, struct mm_err *err)
{
    char count[32];
    int rc = meta_get(s, "audit_head", head, 65, err);
    if (!rc)
        rc = meta_get(s, "audit_count", count, sizeof count, err);
    if (rc)
        return rc;
    if (head[0] == '\0')
        snprintf(head, 65, "%s", GENESIS);
    *entries = atoll(count);
    return 0;
}

int mm_store_audit_append(struct mm_store *s, struct mm_audit_entry *e, struct mm_err *err)
{
    bool own_tx = !s->in_tx;
    int rc = own_tx ? mm_store_begin(s, err) : 0;
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    int64_t entries;
    if ((rc = mm_store_audit_head(s, e->prev_sha256, &entries, err)))
        goto fail;
    e->seq = entries + 1;
    if (e->at_ns == 0)
        e->at_ns = mm_time_now_ns();
    if ((rc = entry_hash(e, e->prev_sha256, e->sha256))) {
        mm_err_set(err, rc, "out of memory hashing an audit entry");
        goto fail;
    }
    if ((rc = mm_sql_prepare(s,
                             "INSERT INTO audit(seq, at, actor, role, action, purpose, reason, object,"
                             " count, outcome, prev_sha256, sha256) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
                             &st, err)))
        goto fail;
    sqlite3_bind_int64(st, 1, e->seq);
    sqlite3_bind_int64(st, 2, e->at_ns);
    mm_sql_bind_text(st, 3, e->actor);
    mm_sql_bind_text(st, 4, e->role);
    mm_sql_bind_text(st, 5, e->action);
    mm_sql_bind_text(st, 6, e->purpose);
    mm_sql_bind_text(st, 7, e->reason);
    mm_sql_bind_text(st, 8, e->object);
    sqlite3_bind_int64(st, 9, e->count);
    mm_sql_bind_text(st, 10, e->outcome);
    mm_sql_bind_text(st, 11, e->prev_sha256);
    mm_sql_bind_text(st, 12, e->sha256);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = mm_sql_fail(s, "append audit entry", err);
        goto fail;
    }
    char count[32];
    snprintf(count, sizeof count, "%" PRId64, e->seq);
    if ((rc = meta_set(s, "audit_head", e->sha256, err)) || (rc = meta_set(s, "audit_count", count, err)))
        goto fail;
    sqlite3_finalize(st);
    return own_tx ? mm_store_commit(s, err) : 0;
fail:
    sqlite3_finalize(st);
    if (own_tx)
        mm_store_rollback(s);
    return rc;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

static void read_entry(sqlite3_stmt *st, struct mm_audit_entry *e)
{
    memset(e, 0, sizeof *e);
    e->seq = sqlite3_column_int64(st, 0);
    e->at_ns = sqlite3_column_int64(st, 1);
    e->actor = col_text(st, 2);
    e->role = col_text(st, 3);
    e->action = col_text(st, 4);
    e->purpose = col_text(st, 5);
    e->reason = col_text(st, 6);
    e->object = col_text(st, 7);
    e->count = sqlite3_column_int64(st, 8);
    e->outcome = col_text(st, 9);
    snprintf(e->prev_sha256, sizeof e->prev_sha256, "%s", col_text(st, 10) ? col_text(st, 10) : "");
    snprintf(e->sha256, sizeof e->sha256, "%s", col_text(st, 11) ? col_text(st, 11) : "");
}

#define AUDIT_COLUMNS                                                                              \
    "SELECT seq, at, actor, role, action, purpose, reason, object, count, outcome, prev_sha256,"   \
    " sha256 FROM audit"

int mm_store_audit_verify(struct mm_store *s, const char *expect_head, int64_t *bad_seq,
                          int64_t *entries, struct mm_err *err)
{
    sqlite3_stmt *st;
    /* Walk in physical rowid order, not by a trusted index, and check the
     * sequence numbers ourselves. */
    int rc = mm_sql_prepare(s, AUDIT_COLUMNS " ORDER BY rowid", &st, err);
    if (rc)
        return rc;
    char prev[65] = GENESIS, recomputed[65];
    int64_t expected = 1;
    bool head_seen = expect_head == NULL;
    *bad_seq = 0;
    *entries = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct mm_audit_entry e;
        read_entry(st, &e);
        if (e.seq != expected) {
            *bad_seq = expected;
            rc = mm_err_set(err, MM_EVERIFY, "audit entry %" PRId64 ": found entry %" PRId64
                            " where %" PRId64 " should be (entries removed, inserted or reordered)",
                            expected, e.seq, expected);
            break;
        }
        if (strcmp(e.prev_sha256, prev) != 0) {
            *bad_seq = e.seq;
            rc = mm_err_set(err, MM_EVERIFY,
                            "audit entry %" PRId64 ": does not follow the entry before it "
                            "(previous-hash mismatch)",
                            e.seq);
            break;
        }
        if (entry_hash(&e, prev, recomputed) != 0) {
            rc = mm_err_set(err, MM_ENOMEM, "out of memory");
            break;
        }
        if (strcmp(recomputed, e.sha256) != 0) {
            *bad_seq = e.seq;
            rc = mm_err_set(err, MM_EVERIFY, "audit entry %" PRId64 ": content was changed (hash mismatch)",
                            e.seq);
            break;
        }
        if (expect_head && strcmp(e.sha256, expect_head) == 0)
            head_seen = true;
        snprintf(prev, sizeof prev, "%s", e.sha256);
        expected++;
        (*entries)++;
    }
    if (!rc && step != SQLITE_DONE)
        rc = mm_sql_fail(s, "read audit log", err);
    sqlite3_finalize(st);
    if (rc)
        return rc;
    char head[65];
    int64_t count;
    if ((rc = mm_store_audit_head(s, head, &count, err)))
        return rc;
    if (count != *entries || strcmp(head, prev) != 0) {
        *bad_seq = *entries + 1;
        return mm_err_set(err, MM_EVERIFY,
                          "audit entry %" PRId64 ": the log ends after %" PRId64
                          " entries but the store recorded %" PRId64 " (newest entries removed)",
                          *entries + 1, *entries, count);
    }
    if (!head_seen) {
        *bad_seq = *entries + 1;
        return mm_err_set(err, MM_EVERIFY,
                          "the anchored head %s is not in the chain (entries removed or rewritten)",
                          expect_head);
    }
    return 0;
}

int mm_store_audit_list(struct mm_store *s, int64_t from_ns, int64_t to_ns, mm_audit_cb cb, void *ctx,
                        struct mm_err *err)
{
    sqlite3_stmt *st;
    int rc = mm_sql_prepare(s, AUDIT_COLUMNS " WHERE at >= ? AND at < ? ORDER BY seq", &st, err);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, from_ns);
    sqlite3_bind_int64(st, 2, to_ns);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct mm_audit_entry e;
        read_entry(st, &e);
        if ((rc = cb(ctx, &e)))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = mm_sql_fail(s, "list audit log", err);
    sqlite3_finalize(st);
    return rc;
}
