/* record_json.h - the record contract as JSON Lines, and the run's counters as a JSON object. */
#ifndef MM_RECORD_JSON_H
#define MM_RECORD_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "select/engine.h"

/* Longest line mm_record_format_json can need without criteria ids. */
#define MM_RECORD_JSON_BASE_MAX 640

/* Write one record as a single JSON object followed by '\n', with exactly
 * the contract's keys: policy_id, route, direction, proto, src_addr,
 * src_port, src_pseudonymized, dst_addr, dst_port, dst_pseudonymized,
 * packets, bytes, tcp_flags, first_seen, last_seen, criteria. Returns the
 * length, or 0 when cap is too small (nothing useful is written then). */
size_t mm_record_format_json(const struct mm_policy *policy, const struct mm_record *r, char *buf,
                             size_t cap);

/* The counters of a run, for --stats and the store's run log. The caller
 * owns the returned reference (json_decref). NULL on allocation failure. */
json_t *mm_select_stats_json(const struct mm_select_stats *s, const struct mm_policy *policy,
                             unsigned workers);

#endif
