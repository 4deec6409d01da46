/* store.h - the holding agency's store: one interface over the embedded SQLite backend
 * (a PostgreSQL backend implements the same functions). */
#ifndef MM_STORE_H
#define MM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/authz.h"
#include "select/engine.h"
#include "util/error.h"

/* The schema version this program writes. A store of a newer version is
 * refused; an older one must be migrated (`mamori migrate`) first. */
#define MM_STORE_SCHEMA_VERSION 2

struct mm_store; /* opaque; one connection; not shared between threads */

enum { MM_STORE_CREATE = 1 };

/* Open (and with MM_STORE_CREATE, create and migrate) the store at path.
 * Sets WAL mode, secure_delete, foreign_keys and a busy timeout. Refuses a
 * store whose schema is newer than this program's, or (without CREATE) older
 * or uninitialized, with a message saying what to run. */
int mm_store_open(const char *path, int flags, struct mm_store **out, struct mm_err *err);
/* Run pending migrations; *from and *to report the versions. */
int mm_store_migrate(const char *path, int *from, int *to, struct mm_err *err);
void mm_store_close(struct mm_store *s);
const char *mm_store_path(const struct mm_store *s);

/* Transactions (BEGIN IMMEDIATE: the writer lock is taken at once, and
 * SQLITE_BUSY is retried up to the busy timeout). Not nestable. */
int mm_store_begin(struct mm_store *s, struct mm_err *err);
int mm_store_commit(struct mm_store *s, struct mm_err *err);
void mm_store_rollback(struct mm_store *s);

/* ---- users and tokens ---- */

struct mm_user {
    int64_t id;
    char name[128];
    enum mm_role role;
    char org[128];
};

int mm_store_user_count(struct mm_store *s, int64_t *count, struct mm_err *err);
/* Add a user; the store keeps only the token's SHA-256. MM_ECONFLICT when
 * the name exists. */
int mm_store_user_add(struct mm_store *s, const char *name, enum mm_role role, const char *org,
                      const char *token_sha256_hex, const char *created_by, struct mm_err *err);
/* Look a user up by the clear token (hashed here). MM_EDENIED when unknown. */
int mm_store_user_by_token(struct mm_store *s, const char *token, struct mm_user *out,
                           struct mm_err *err);
typedef int (*mm_user_cb)(void *ctx, const struct mm_user *u);
int mm_store_user_list(struct mm_store *s, mm_user_cb cb, void *ctx, struct mm_err *err);

/* ---- audit log: append-only, hash-chained ---- */

struct mm_audit_entry {
    int64_t seq;     /* assigned on append */
    int64_t at_ns;   /* 0: now */
    const char *actor, *role, *action;
    const char *purpose; /* may be NULL */
    const char *reason;  /* may be NULL */
    const char *object;  /* the object or filter, as text (JSON); never record content */
    int64_t count;       /* records touched */
    const char *outcome; /* "ok", "denied", "refused", "error" */
    char prev_sha256[65], sha256[65]; /* filled on append and on listing */
};

/* Append one entry (inside the caller's transaction when one is open, so an
 * action and its audit entry commit together; otherwise in its own). */
int mm_store_audit_append(struct mm_store *s, struct mm_audit_entry *e, struct mm_err *err);
/* Walk the chain from the first entry. 0 when intact; MM_EVERIFY with
 * *bad_seq set to the first bad entry (err says what is wrong) otherwise.
 * expect_head (may be NULL) is a head anchored outside the system earlier:
 * it must appear in the chain, which catches removal of the newest entries. */
int mm_store_audit_verify(struct mm_store *s, const char *expect_head, int64_t *bad_seq,
                          int64_t *entries, struct mm_err *err);
int mm_store_audit_head(struct mm_store *s, char head[65], int64_t *entries, struct mm_err *err);
typedef int (*mm_audit_cb)(void *ctx, const struct mm_audit_entry *e);
int mm_store_audit_list(struct mm_store *s, int64_t from_ns, int64_t to_ns, mm_audit_cb cb, void *ctx,
                        struct mm_err *err);

/* ---- selection runs and records ---- */

/* Start a run of the sensor under a policy; inputs describes the sources. */
int mm_store_run_begin(struct mm_store *s, const struct mm_policy *p, const char *inputs,
                       int64_t *run_id, struct mm_err *err);
/* Insert a batch of records in one transaction (the caller's, when one is
 * open: then it commits or rolls back the whole). Each record keeps its
 * fields, the policy id, version and route, and its erasure deadline
 * (last_seen + the policy's retention_days). */
int mm_store_records_insert(struct mm_store *s, int64_t run_id, const struct mm_policy *p,
                            const struct mm_record *recs, size_t n, struct mm_err *err);
/* Close a run with its status ("done", "failed") and the --stats counters. */
int mm_store_run_finish(struct mm_store *s, int64_t run_id, const char *status,
                        const char *stats_json, struct mm_err *err);

#endif
