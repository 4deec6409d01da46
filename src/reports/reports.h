/* reports.h - incident reports' domain logic (特定侵害事象等の報告): validating report versions,
 * the immutable version chain (initial, updates, final), field-level diffs, deadlines, counts
 * for the analyst dashboard, and turning indicators into criteria proposals. No HTTP here.
 * Problems and errors as in registry/registry.h. Thread-safety: as the store handle. */
#ifndef MM_REPORTS_H
#define MM_REPORTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "registry/registry.h"
#include "registry/settings.h"
#include "store/reports.h"

/* Indicator types: ipv4, ipv6 (an address or a prefix), domain, url, sha256, sha1, md5, email.
 * 0 and the normalized value in out (lower-case hex and domains; RFC 5952 addresses), or
 * MM_EFORMAT with err saying what is wrong. */
#define MM_INDICATOR_MAX 2048
int mm_indicator_check(const char *type, const char *value, char *out, size_t outlen,
                       struct mm_err *err);

/* Validate one version's body and merge it onto prev (NULL for the initial report): a field
 * given replaces the previous value, null removes it, an absent one is carried over. *out gets
 * the full document of the new version. initial: kind, aware_at, summary and contact are
 * required, stage must be absent or "initial"; later: stage "update" or "final" is required
 * and kind may not change. Store checks (reported_for, affected_assets) included. */
int mm_report_build(struct mm_store *s, const struct mm_cp_settings *cfg, const struct mm_actor *a,
                    const json_t *body, const json_t *prev, json_t *problems, json_t **out,
                    struct mm_err *err);

/* File a new incident with its initial report (reporter: a's organization). */
int mm_report_create(struct mm_store *s, const struct mm_cp_settings *cfg, const struct mm_actor *a,
                     const json_t *body, int64_t now_ns, int64_t *id, json_t *problems,
                     struct mm_err *err);
/* Add an update or the final report. MM_ENOTFOUND outside a's scope; MM_EDENIED for an
 * organization that sees it but did not file it; MM_ECONFLICT once it is closed. */
int mm_report_add_version(struct mm_store *s, const struct mm_cp_settings *cfg,
                          const struct mm_actor *a, int64_t id, const json_t *body, int64_t now_ns,
                          int *version, json_t *problems, struct mm_err *err);

/* Add derived fields to a report document: "dwell_seconds" = aware_at - earliest_activity_at. */
void mm_report_derive(json_t *doc);

/* The field-level diff between versions from and to of an incident (as returned by
 * mm_store_incident_get with versions): {"from", "to", "changes": [{"field", "from", "to"}]},
 * a field absent on one side showing null there. MM_ENOTFOUND for a missing version. */
int mm_report_diff(const json_t *incident, int from, int to, json_t **out, struct mm_err *err);

/* Deadlines of statutory reports in scope: {"id", "stage": initial|final, "due_at",
 * "submitted_at" (or null), "status": late|overdue|due, "reporter_org"}; "late" = submitted
 * after the deadline, "overdue" = not submitted and past it, "due" (with include_due) = not
 * submitted and not yet past it. */
int mm_report_overdue(struct mm_store *s, const struct mm_cp_settings *cfg,
                      const struct mm_scope *scope, int64_t now_ns, bool include_due,
                      json_t **items, struct mm_err *err);

/* Counts of incidents in scope by ISO week of aware_at (by_sector false) or by the sector of
 * the operators they concern, statutory and voluntary apart: {"by", "kind", "rows": [{"key",
 * "statutory", "voluntary", "total"}]}. kind NULL: both. */
int mm_report_stats(struct mm_store *s, const struct mm_scope *scope, bool by_sector,
                    const char *kind, json_t **out, struct mm_err *err);

/* Propose each ipv4/ipv6 indicator of incident id's latest version as a selection criterion
 * (src/store/criteria.h: source_kind incident_report, source_ref "report:ID"), status
 * 'proposed' until the committee decides. Criterion ids are "ir<ID>-<n>" (n: the indicator's
 * position from 1); an id that exists is reported as skipped. *out: {"proposed": [{"id",
 * "match"}], "skipped": [{"id", "match", "reason"}]}. Inside the caller's transaction. */
int mm_report_propose_criteria(struct mm_store *s, const struct mm_actor *a, int64_t id,
                               const char *legal_basis, int64_t now_ns, json_t **out,
                               struct mm_err *err);

#endif
