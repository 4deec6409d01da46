/* governance.h - what the committee's commands (criteria, agreement, policy) share in the CLI. */
#ifndef MM_CLI_GOVERNANCE_H
#define MM_CLI_GOVERNANCE_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/args.h"
#include "cli/session.h"

/* Exit code for a failed domain call: 2 for what the user can fix (bad
 * input, wrong state, unknown id, refused file), 1 for store or system
 * failures. */
int mm_gov_exit_code(int rc);

/* End a change made inside mm_store_begin. On rc == 0: append the audit
 * entry (outcome "ok") and commit, so the change and its entry land
 * together. Otherwise: roll back, print err, and append a "refused" (or
 * "error") entry whose object also carries the message. object is consumed.
 * Returns the exit code. */
int mm_gov_finish(struct mm_session *s, int rc, struct mm_err *err, const char *action,
                  const char *reason, json_t *object, int64_t count);

/* RFC 3339 text, or JSON null for an unbounded end (INT64_MIN/INT64_MAX). */
json_t *mm_gov_time_json(int64_t ns);

/* "80,443" (normalized, as stored) as a JSON array of integers; NULL text: []. */
json_t *mm_gov_ports_json(const char *ports);

/* A listing shown only once its audit entry is committed: rows go to a
 * memory stream (table) or a JSON array (json), and mm_gov_listing_close
 * audits, commits, then prints. */
struct mm_gov_listing {
    FILE *out;
    json_t *array; /* NULL for a table */
    int64_t n;     /* rows; the audit entry's count */
    char *buf;
    size_t len;
};
/* format is "table" or "json"; header is the table's first line. */
int mm_gov_listing_open(struct mm_gov_listing *l, const char *format, const char *header,
                        struct mm_err *err);
/* rc is the listing's result; object (consumed) describes it in the audit entry. */
int mm_gov_listing_close(struct mm_session *s, struct mm_gov_listing *l, int rc, struct mm_err *err,
                         const char *action, json_t *object);

#endif
