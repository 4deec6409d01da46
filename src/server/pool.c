/* pool.c - a small pool of store connections for the server's worker threads (one SQLite
 * connection is never used by two threads at once). */
#include "server/internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct mm_store_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *path;
    struct mm_store **idle; /* cap = max */
    size_t nidle, open, max;
};

int mm_store_pool_new(const char *path, size_t max, struct mm_store_pool **out, struct mm_err *err)
{
    *out = NULL;
    struct mm_store_pool *p = calloc(1, sizeof *p);
    if (!p || !(p->path = strdup(path)) || !(p->idle = calloc(max ? max : 1, sizeof *p->idle))) {
        if (p)
            free(p->path);
        free(p);
        return mm_err_set(err, MM_ENOMEM, "store pool: out of memory");
    }
    p->max = max ? max : 1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    *out = p;
    return 0;
}

int mm_store_pool_get(struct mm_store_pool *p, struct mm_store **out, struct mm_err *err)
{
    *out = NULL;
    pthread_mutex_lock(&p->mu);
    while (p->nidle == 0 && p->open >= p->max)
        pthread_cond_wait(&p->cv, &p->mu);
    if (p->nidle > 0) {
        *out = p->idle[--p->nidle];
        pthread_mutex_unlock(&p->mu);
        return 0;
    }
    p->open++; /* reserve the slot, open outside the lock */
    pthread_mutex_unlock(&p->mu);
    int rc = mm_store_open(p->path, 0, out, err);
    if (rc) {
        pthread_mutex_lock(&p->mu);
        p->open--;
        pthread_cond_signal(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    return rc;
}

void mm_store_pool_put(struct mm_store_pool *p, struct mm_store *s)
{
    if (!s)
        return;
    mm_store_rollback(s);
    pthread_mutex_lock(&p->mu);
    p->idle[p->nidle++] = s;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void mm_store_pool_free(struct mm_store_pool *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nidle; i++)
        mm_store_close(p->idle[i]);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->idle);
    free(p->path);
    free(p);
}
