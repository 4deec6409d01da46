/* prefix_file.h - reading address lists: plain prefix-per-line files and RIR "delegated" statistics files. */
#ifndef MM_PREFIX_FILE_H
#define MM_PREFIX_FILE_H

#include "util/addr.h"
#include "util/error.h"

typedef int (*mm_prefix_cb)(void *ctx, const struct mm_prefix *p);

/* Read path and call cb once per prefix; a nonzero return from cb stops and
 * is returned.
 *
 * Plain format: one address or prefix per line; '#' or ';' starts a comment;
 * blank lines and surrounding whitespace are ignored; anything after the
 * first whitespace-separated token is ignored, so Spamhaus DROP ("p ; SBL1")
 * and IPsum ("addr<TAB>count") lists load as they are.
 *
 * Delegated format (APNIC/RIR statistics exchange, detected by its
 * "2|apnic|..." version line; only when country is not NULL): rows
 * registry|cc|ipv4|start|count|date|status with cc == country, and ipv6 rows
 * with a prefix length. An IPv4 count that is not a power of two, or a start
 * not aligned to it, becomes the exact minimal list of prefixes covering
 * start..start+count-1.
 *
 * Errors name "path:line: what". */
int mm_prefix_file_read(const char *path, const char *country, mm_prefix_cb cb, void *ctx,
                        struct mm_err *err);

/* The same over an in-memory buffer (fuzzing, tests); name is used in errors. */
int mm_prefix_text_read(const char *text, size_t len, const char *name, const char *country,
                        mm_prefix_cb cb, void *ctx, struct mm_err *err);

/* Cover the inclusive IPv4 range [first, last] with the minimal list of
 * prefixes, calling cb for each in ascending order. */
int mm_prefix_cover_range_v4(uint32_t first, uint32_t last, mm_prefix_cb cb, void *ctx);

#endif
