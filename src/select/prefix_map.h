/* prefix_map.h - an immutable map from addresses to the set of every prefix entry that covers them. */
#ifndef MM_PREFIX_MAP_H
#define MM_PREFIX_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "util/addr.h"
#include "util/error.h"

/* Built once from up to millions of (prefix, value) entries, then read by
 * any number of threads without locks. Unlike a plain longest-prefix match,
 * a lookup answers *all* values whose prefix contains the address (an
 * address in a /24 criterion and in a feed matches both). Values are the
 * caller's small integers (e.g. criterion indexes).
 *
 * Representation: the address space cut into disjoint intervals, each
 * carrying the id of an interned value set, searched through a 16-bit
 * first-level index. Memory is about 8 bytes per IPv4 boundary and 20 per
 * IPv6 boundary; a million host entries take about 17 MiB. */

struct mm_prefix_map_builder;
struct mm_prefix_map;

struct mm_prefix_map_builder *mm_prefix_map_builder_new(void);
/* Add one entry. Duplicate prefixes are fine (their values merge). Returns 0,
 * MM_ENOMEM, or MM_EFULL past 64 million entries. */
int mm_prefix_map_builder_add(struct mm_prefix_map_builder *b, const struct mm_prefix *p, uint32_t value);
size_t mm_prefix_map_builder_count(const struct mm_prefix_map_builder *b);
/* Build the map. The builder stays valid (and is still owned by the caller). */
int mm_prefix_map_build(const struct mm_prefix_map_builder *b, struct mm_prefix_map **out,
                        struct mm_err *err);
void mm_prefix_map_builder_free(struct mm_prefix_map_builder *b);

/* The id of the value set covering addr; 0 means no entry covers it. */
uint32_t mm_prefix_map_lookup(const struct mm_prefix_map *m, const struct mm_addr *addr);
/* Two lookups at once (set[0] for a, set[1] for b), their cache misses
 * overlapped: a flow's two endpoints. */
void mm_prefix_map_lookup2(const struct mm_prefix_map *m, const struct mm_addr *a,
                           const struct mm_addr *b, uint32_t set[2]);
/* The values of a set id returned by lookup, sorted ascending, without duplicates. */
const uint32_t *mm_prefix_map_set(const struct mm_prefix_map *m, uint32_t set_id, size_t *count);
/* Bytes held by the map (for --stats and the memory budget). */
size_t mm_prefix_map_memory(const struct mm_prefix_map *m);
void mm_prefix_map_free(struct mm_prefix_map *m);

#endif
