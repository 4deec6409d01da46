/* report.h - the transparency report: what the system processed, selected, erased, read, provided
 * and re-identified in a period, from the store's run statistics, audit log and ledger. Counts only:
 * no record content, no address, no user name. */
#ifndef MM_REPORT_H
#define MM_REPORT_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

/* Build the report for [from_ns, to_ns) as a JSON object (caller owns it):
 *   period {from, to}, generated_at,
 *   routes {ROUTE: {runs, packets, flows, flows_selected}}  (runs started in the period),
 *   flows_discarded {REASON: n}, selected_per_criterion {ID: n},
 *   records_erased, erasures                    (audit: records.erase, outcome ok),
 *   queries_per_purpose {PURPOSE: n}, queries_refused, records_returned  (audit: records.query),
 *   provisions, records_provided                (provisions table),
 *   reidentify_approvals, reidentifications     (ledger),
 *   holds {requested, approved}                 (holds table, ledger),
 *   criteria {requests, approvals, rejections}  (ledger kinds criterion_request, _approval, _rejection).
 * Reads only; the caller audits. */
int mm_store_report_transparency(struct mm_store *s, int64_t from_ns, int64_t to_ns, json_t **out,
                                 struct mm_err *err);

#endif
