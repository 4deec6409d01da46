/* datefmt.h - calendar dates (RFC 3339 full-date, UTC midnight as ns since the epoch), month
 * arithmetic and ISO 8601 week labels. */
#ifndef MM_DATEFMT_H
#define MM_DATEFMT_H

#include <stddef.h>
#include <stdint.h>

#define MM_DATE_TEXT_MAX 11 /* "2026-10-01" */
#define MM_NS_PER_DAY (86400LL * 1000000000LL)

/* Parse "2026-10-01" (exactly; years 1900-2200, a real calendar day) to UTC midnight.
 * 0 or MM_EFORMAT. */
int mm_date_parse(const char *text, int64_t *ns_out);
/* The UTC calendar day of ns as "YYYY-MM-DD". */
void mm_date_format(int64_t ns, char *buf, size_t buflen);
/* ns plus months calendar months, the day clamped to the target month's last day
 * (2026-08-31 + 6 months = 2027-02-28); the time of day is kept. */
int64_t mm_date_add_months(int64_t ns, int months);
/* The ISO 8601 week of ns's UTC day: "2026-W47" (buf >= 9). */
void mm_iso_week(int64_t ns, char *buf, size_t buflen);

#endif
