/* timefmt.h - RFC 3339 timestamps <-> nanoseconds since the Unix epoch (UTC). */
#ifndef MM_TIMEFMT_H
#define MM_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#define MM_NS_PER_SEC 1000000000LL
#define MM_TIME_TEXT_MAX 40

/* Parse "2027-01-01T00:00:00Z", "2027-01-01T09:00:00.5+09:00" etc. A time
 * zone designator is required (RFC 3339 has no local time); years 1900-2200.
 * Returns 0 or MM_EFORMAT. */
int mm_time_parse_rfc3339(const char *text, int64_t *ns_out);
/* "2026-11-22T01:02:03.456789Z": UTC, exactly six fractional digits. */
void mm_time_format_us(int64_t ns, char *buf, size_t buflen);
/* Wall clock, nanoseconds since the epoch. */
int64_t mm_time_now_ns(void);

#endif
