/* record_writer.h - the sensor's store sink: batches of records inserted by a thread of their own,
 * so selection never waits on SQLite. */
#ifndef MM_RECORD_WRITER_H
#define MM_RECORD_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "select/engine.h"
#include "store/store.h"

struct mm_record_writer;

/* Start the writer thread. From now until finish, the store connection s
 * belongs to the writer: the caller must not use it. */
int mm_record_writer_start(struct mm_store *s, int64_t run_id, const struct mm_policy *p,
                           struct mm_record_writer **out, struct mm_err *err);
/* Copy a batch into the queue (waits while the queue is full). A batch is
 * never split across transactions; batches queued together share one. Returns the first insert error, if one happened. */
int mm_record_writer_put(struct mm_record_writer *w, const struct mm_record *recs, size_t n,
                         struct mm_err *err);
/* Insert what is queued, stop the thread and free the writer; *stored is
 * the number of records committed. Returns the first insert error. */
int mm_record_writer_finish(struct mm_record_writer *w, uint64_t *stored, struct mm_err *err);

#endif
