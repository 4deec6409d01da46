/* record_writer.c - a bounded queue of record batches drained into the store by one thread. */
#include "store/record_writer.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Batches waiting at most; beyond this the sensor waits (backpressure). */
#define QUEUE_DEPTH 16

struct batch {
    struct mm_record *recs;
    uint32_t *criteria;
    size_t n;
};

struct mm_record_writer {
    struct mm_store *store;
    int64_t run_id;
    const struct mm_policy *policy;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    struct batch queue[QUEUE_DEPTH];
    size_t head, count; /* ring of queued batches */
    int closing;
    int rc;             /* first insert error */
    struct mm_err err;
    uint64_t stored;
};

static void batch_free(struct batch *b)
{
    free(b->recs);
    free(b->criteria);
    memset(b, 0, sizeof *b);
}

/* Insert batches [0, n) of the queue in one transaction: when the sensor
 * runs ahead (as at the end of input, when every open flow ends at once),
 * queued batches share a commit instead of paying one each. */
static int insert_queued(struct mm_record_writer *w, struct batch *batches, size_t n, struct mm_err *err)
{
    int rc = mm_store_begin(w->store, err);
    for (size_t i = 0; i < n && !rc; i++)
        rc = mm_store_records_insert(w->store, w->run_id, w->policy, batches[i].recs, batches[i].n, err);
    if (!rc)
        return mm_store_commit(w->store, err);
    mm_store_rollback(w->store);
    return rc;
}

static void *writer_main(void *arg)
{
    struct mm_record_writer *w = arg;
    struct batch taken[QUEUE_DEPTH];
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (w->count == 0 && !w->closing)
            pthread_cond_wait(&w->changed, &w->lock);
        if (w->count == 0)
            break;
        size_t n = w->count, records = 0;
        for (size_t i = 0; i < n; i++) {
            taken[i] = w->queue[(w->head + i) % QUEUE_DEPTH];
            records += taken[i].n;
        }
        pthread_mutex_unlock(&w->lock);
        struct mm_err err;
        mm_err_clear(&err);
        int rc = w->rc ? w->rc : insert_queued(w, taken, n, &err);
        for (size_t i = 0; i < n; i++)
            batch_free(&taken[i]);
        pthread_mutex_lock(&w->lock);
        if (rc && !w->rc) {
            w->rc = rc;
            w->err = err;
        } else if (!rc) {
            w->stored += records;
        }
        w->head = (w->head + n) % QUEUE_DEPTH;
        w->count -= n;
        pthread_cond_broadcast(&w->changed);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int mm_record_writer_start(struct mm_store *s, int64_t run_id, const struct mm_policy *p,
                           struct mm_record_writer **out, struct mm_err *err)
{
    struct mm_record_writer *w = calloc(1, sizeof *w);
    if (!w)
        return mm_err_set(err, MM_ENOMEM, "out of memory");
    w->store = s;
    w->run_id = run_id;
    w->policy = p;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->changed, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->changed);
        free(w);
        return mm_err_set(err, MM_ENOMEM, "cannot start the store writer thread");
    }
    *out = w;
    return 0;
}

int mm_record_writer_put(struct mm_record_writer *w, const struct mm_record *recs, size_t n,
                         struct mm_err *err)
{
    size_t ncrit = 0;
    for (size_t i = 0; i < n; i++)
        ncrit += recs[i].ncriteria;
    struct batch b = {.recs = malloc(n * sizeof *recs), .criteria = malloc((ncrit + 1) * sizeof(uint32_t)), .n = n};
    if (!b.recs || !b.criteria) {
        batch_free(&b);
        return mm_err_set(err, MM_ENOMEM, "out of memory queueing records for the store");
    }
    /* The records' criteria point into the engine's batch memory, which is
     * reused as soon as this returns: copy them. */
    memcpy(b.recs, recs, n * sizeof *recs);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(b.criteria + k, recs[i].criteria, recs[i].ncriteria * sizeof(uint32_t));
        b.recs[i].criteria = b.criteria + k;
        k += recs[i].ncriteria;
    }
    pthread_mutex_lock(&w->lock);
    while (w->count == QUEUE_DEPTH && !w->rc)
        pthread_cond_wait(&w->changed, &w->lock);
    int rc = w->rc;
    if (rc) {
        mm_err_set(err, rc, "%s", w->err.msg);
        pthread_mutex_unlock(&w->lock);
        batch_free(&b);
        return rc;
    }
    w->queue[(w->head + w->count) % QUEUE_DEPTH] = b;
    w->count++;
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
    return 0;
}

int mm_record_writer_finish(struct mm_record_writer *w, uint64_t *stored, struct mm_err *err)
{
    pthread_mutex_lock(&w->lock);
    w->closing = 1;
    pthread_cond_broadcast(&w->changed);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    int rc = w->rc;
    if (rc)
        mm_err_set(err, rc, "%s", w->err.msg);
    *stored = w->stored;
    for (size_t i = 0; i < w->count; i++)
        batch_free(&w->queue[(w->head + i) % QUEUE_DEPTH]);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->changed);
    free(w);
    return rc;
}
