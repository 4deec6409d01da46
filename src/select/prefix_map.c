/* prefix_map.c - all-covering-prefix lookup: disjoint intervals labelled with interned sets. */
#include "select/prefix_map.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Design (docs/internals/prefix_map.md has the long form).
 *
 * Prefixes form a laminar family: two prefixes are either nested or
 * disjoint. Sorting entries by (start, length) therefore lets one sweep with
 * a stack of open prefixes (at most 33 deep for IPv4, 129 for IPv6) cut the
 * address space into disjoint intervals. Every interval gets the id of the
 * set of values of all prefixes open over it; the sets are interned through
 * a hash table, so one id stands for one distinct set (id 0 = empty). A
 * frame's set is its parent's set plus its own values, so each distinct
 * (start, length) is interned once, when it is pushed.
 *
 * The result per family is a sorted array of interval starts and a parallel
 * array of set ids; adjacent intervals with equal ids are merged while
 * emitting. A 65536-entry first-level index on the top 16 address bits
 * bounds the binary search to the intervals overlapping that /16 (or /16 of
 * IPv6 space): typically a handful of probes, no allocation, no locks. */

#define MAX_ENTRIES (64u * 1024u * 1024u)
#define INDEX_SIZE 65536u

struct u128 {
    uint64_t hi, lo;
};

struct v4_entry {
    uint32_t addr;
    uint32_t value;
    uint8_t len;
};

struct v6_entry {
    uint64_t hi, lo;
    uint32_t value;
    uint8_t len;
};

struct mm_prefix_map_builder {
    struct v4_entry *v4;
    size_t n4, cap4;
    struct v6_entry *v6;
    size_t n6, cap6;
};

struct mm_prefix_map {
    /* IPv4: n4 intervals with strictly increasing starts, the first at 0.
     * With a 16-bit index, an interval starting in /16 number t keeps only
     * the low 16 bits of its start (the index supplies t): 2 + 4 bytes per
     * boundary. A small map has a smaller index (v4_bits) and keeps its
     * starts in full (v4_start instead of v4_low). */
    uint16_t *v4_low;
    uint32_t *v4_start;
    uint32_t *v4_set;
    size_t n4;
    unsigned v4_bits, v6_bits; /* index sizes: 2^bits buckets */
    /* IPv6: the same with full 128-bit starts. Its index is on the 16 bits
     * after the prefix all boundaries share (v6_skip bits, at most 48), so
     * maps whose entries sit in a few /16s (typical: 2001::/16, 2400::/12)
     * still spread over the whole index; addresses outside that shared
     * prefix fall into the first or last bucket. */
    struct u128 *v6_start;
    uint32_t *v6_set;
    size_t n6;
    unsigned v6_skip;
    uint64_t v6_first, v6_last; /* hi words of the shared region's ends */
    /* Value sets: set i is values[set_off[i] .. set_off[i] + set_len[i]). */
    uint32_t *set_off;
    uint32_t *set_len;
    size_t nsets;
    uint32_t *values;
    size_t nvalues;
    /* index[t] = the number of intervals starting before bucket t (the
     * top bits of the address; for IPv6 those after v6_skip), so the
     * intervals starting inside it are [index[t], index[t + 1]). A map of
     * n boundaries uses about n buckets (at least 256, at most 65536), so
     * a small map (the domestic prefixes) reads a small, cache-resident
     * part of its index instead of 256 KiB of it. */
    uint32_t v4_index[INDEX_SIZE + 1];
    uint32_t v6_index[INDEX_SIZE + 1];
};

static inline uint32_t load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t load_be64(const uint8_t *p)
{
    return (uint64_t)load_be32(p) << 32 | load_be32(p + 4);
}

static inline bool u128_lt(struct u128 a, struct u128 b)
{
    return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo);
}

static inline bool u128_eq(struct u128 a, struct u128 b)
{
    return a.hi == b.hi && a.lo == b.lo;
}

/* ---- builder ---------------------------------------------------------- */

struct mm_prefix_map_builder *mm_prefix_map_builder_new(void)
{
    return calloc(1, sizeof(struct mm_prefix_map_builder));
}

void mm_prefix_map_builder_free(struct mm_prefix_map_builder *b)
{
    if (!b)
        return;
    free(b->v4);
    free(b->v6);
    free(b);
}

size_t mm_prefix_map_builder_count(const struct mm_prefix_map_builder *b)
{
    return b->n4 + b->n6;
}

/* Grow *arr to hold at least one more element; doubling, starting at 1024. */
static int grow(void **arr, size_t *cap, size_t elem)
{
    size_t ncap = *cap ? *cap * 2 : 1024;
    if (ncap > MAX_ENTRIES)
        ncap = MAX_ENTRIES;
    void *p = realloc(*arr, ncap * elem);
    if (!p)
        return MM_ENOMEM;
    *arr = p;
    *cap = ncap;
    return 0;
}

int mm_prefix_map_builder_add(struct mm_prefix_map_builder *b, const struct mm_prefix *p,
                              uint32_t value)
{
    if (b->n4 + b->n6 >= MAX_ENTRIES)
        return MM_EFULL;
    const uint8_t *a = p->addr.bytes;
    if (p->addr.family == 4) {
        if (p->len > 32)
            return MM_EINVAL;
        if (b->n4 == b->cap4 && grow((void **)&b->v4, &b->cap4, sizeof *b->v4) != 0)
            return MM_ENOMEM;
        uint32_t mask = p->len ? ~0u << (32 - p->len) : 0;
        b->v4[b->n4++] = (struct v4_entry){load_be32(a) & mask, value, p->len};
        return 0;
    }
    if (p->addr.family == 6) {
        if (p->len > 128)
            return MM_EINVAL;
        if (b->n6 == b->cap6 && grow((void **)&b->v6, &b->cap6, sizeof *b->v6) != 0)
            return MM_ENOMEM;
        uint64_t hi = load_be64(a), lo = load_be64(a + 8);
        /* Clear host bits: the map must never see a non-canonical prefix. */
        if (p->len <= 64) {
            hi &= p->len ? ~0ull << (64 - p->len) : 0;
            lo = 0;
        } else {
            lo &= ~0ull << (128 - p->len);
        }
        b->v6[b->n6++] = (struct v6_entry){hi, lo, value, p->len};
        return 0;
    }
    return MM_EINVAL;
}

/* ---- set interning ---------------------------------------------------- */

struct interner {
    uint32_t *off, *len;
    size_t nsets, cap_sets;
    uint32_t *values;
    size_t nvalues, cap_values;
    uint32_t *slots; /* set ids; 0 = free (the empty set is never stored) */
    size_t nslots;   /* power of two */
};

static uint64_t hash_values(const uint32_t *v, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
    for (size_t i = 0; i < n; i++) {
        h ^= v[i];
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    return h;
}

static int interner_init(struct interner *in)
{
    memset(in, 0, sizeof *in);
    in->cap_sets = 1024;
    in->off = malloc(in->cap_sets * sizeof *in->off);
    in->len = malloc(in->cap_sets * sizeof *in->len);
    in->nslots = 2048;
    in->slots = calloc(in->nslots, sizeof *in->slots);
    if (!in->off || !in->len || !in->slots)
        return MM_ENOMEM;
    in->off[0] = 0; /* set 0: the empty set */
    in->len[0] = 0;
    in->nsets = 1;
    return 0;
}

static void interner_fini(struct interner *in)
{
    free(in->off);
    free(in->len);
    free(in->values);
    free(in->slots);
}

static int interner_rehash(struct interner *in)
{
    size_t nslots = in->nslots * 2;
    uint32_t *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return MM_ENOMEM;
    for (size_t id = 1; id < in->nsets; id++) {
        size_t i = hash_values(in->values + in->off[id], in->len[id]) & (nslots - 1);
        while (slots[i])
            i = (i + 1) & (nslots - 1);
        slots[i] = (uint32_t)id;
    }
    free(in->slots);
    in->slots = slots;
    in->nslots = nslots;
    return 0;
}

/* The id of the sorted, duplicate-free set v[0..n), adding it if new.
 * Returns the id (>= 0) or a negative MM_E* code. */
static int64_t intern(struct interner *in, const uint32_t *v, size_t n)
{
    if (n == 0)
        return 0;
    uint64_t h = hash_values(v, n);
    size_t i = h & (in->nslots - 1);
    for (; in->slots[i]; i = (i + 1) & (in->nslots - 1)) {
        uint32_t id = in->slots[i];
        if (in->len[id] == n && memcmp(in->values + in->off[id], v, n * sizeof *v) == 0)
            return id;
    }
    if (in->nsets >= UINT32_MAX || in->nvalues + n > UINT32_MAX)
        return MM_EFULL;
    if (in->nsets == in->cap_sets) {
        size_t cap = in->cap_sets * 2;
        uint32_t *off = realloc(in->off, cap * sizeof *off);
        if (!off)
            return MM_ENOMEM;
        in->off = off;
        uint32_t *len = realloc(in->len, cap * sizeof *len);
        if (!len)
            return MM_ENOMEM;
        in->len = len;
        in->cap_sets = cap;
    }
    if (in->nvalues + n > in->cap_values) {
        size_t cap = in->cap_values ? in->cap_values : 4096;
        while (cap < in->nvalues + n)
            cap *= 2;
        uint32_t *values = realloc(in->values, cap * sizeof *values);
        if (!values)
            return MM_ENOMEM;
        in->values = values;
        in->cap_values = cap;
    }
    uint32_t id = (uint32_t)in->nsets++;
    in->off[id] = (uint32_t)in->nvalues;
    in->len[id] = (uint32_t)n;
    memcpy(in->values + in->nvalues, v, n * sizeof *v);
    in->nvalues += n;
    in->slots[i] = id;
    if (in->nsets * 2 > in->nslots)
        return interner_rehash(in) == 0 ? (int64_t)id : (int64_t)MM_ENOMEM;
    return id;
}

/* ---- the sweep -------------------------------------------------------- */

/* Sort IPv4 entries by (address, length, value), as the sweep needs: a
 * stable LSD radix sort, one byte per pass, value first and address last. It replaces qsort here because a
 * policy of a million indicators spent about 0.2 s (40% of its load) in
 * qsort's comparisons; these passes take a few milliseconds. A pass whose
 * byte is the same in every entry is skipped (values rarely pass 16 bits,
 * lengths one byte). tmp holds n entries; the sorted entries end in *e. */
#define RADIX_PASSES 9

static uint8_t v4_key_byte(const struct v4_entry *x, unsigned pass)
{
    if (pass < 4)
        return (uint8_t)(x->value >> (8 * pass));
    if (pass == 4)
        return x->len;
    return (uint8_t)(x->addr >> (8 * (pass - 5)));
}

static void sort_v4(struct v4_entry **e, struct v4_entry **tmp, size_t n)
{
    size_t count[RADIX_PASSES][256] = {{0}};
    for (size_t i = 0; i < n; i++)
        for (unsigned pass = 0; pass < RADIX_PASSES; pass++)
            count[pass][v4_key_byte(&(*e)[i], pass)]++;
    for (unsigned pass = 0; pass < RADIX_PASSES; pass++) {
        size_t *c = count[pass];
        if (n == 0 || c[v4_key_byte(&(*e)[0], pass)] == n)
            continue;
        size_t sum = 0;
        for (unsigned b = 0; b < 256; b++) {
            size_t k = c[b];
            c[b] = sum;
            sum += k;
        }
        const struct v4_entry *from = *e;
        struct v4_entry *to = *tmp;
        for (size_t i = 0; i < n; i++)
            to[c[v4_key_byte(&from[i], pass)]++] = from[i];
        *tmp = *e;
        *e = to;
    }
}

static int cmp_v6(const void *pa, const void *pb)
{
    const struct v6_entry *a = pa, *b = pb;
    if (a->hi != b->hi)
        return a->hi < b->hi ? -1 : 1;
    if (a->lo != b->lo)
        return a->lo < b->lo ? -1 : 1;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    return a->value < b->value ? -1 : a->value > b->value;
}

/* Where the sweep writes intervals for one family. */
struct out {
    int family;
    uint32_t *start4;
    struct u128 *start6;
    uint32_t *set;
    size_t n;
};

static inline struct u128 out_start(const struct out *o, size_t i)
{
    return o->family == 4 ? (struct u128){0, o->start4[i]} : o->start6[i];
}

/* Start a new interval at `start` labelled `set`. Emissions arrive in
 * non-decreasing start order; a zero-width interval is overwritten, and an
 * interval that would repeat its predecessor's set is not created. */
static void emit(struct out *o, struct u128 start, uint32_t set)
{
    if (u128_eq(out_start(o, o->n - 1), start)) {
        o->set[o->n - 1] = set;
        if (o->n >= 2 && o->set[o->n - 2] == set)
            o->n--;
        return;
    }
    if (o->set[o->n - 1] == set)
        return;
    if (o->family == 4)
        o->start4[o->n] = (uint32_t)start.lo;
    else
        o->start6[o->n] = start;
    o->set[o->n++] = set;
}

struct frame {
    struct u128 end; /* inclusive */
    uint32_t set;
};

struct sweep {
    struct interner *in;
    uint32_t *tmp; /* merged set under construction */
    size_t tmp_cap;
    struct frame stack[130];
    size_t depth;
};

static int tmp_reserve(struct sweep *sw, size_t n)
{
    if (n <= sw->tmp_cap)
        return 0;
    size_t cap = sw->tmp_cap ? sw->tmp_cap : 256;
    while (cap < n)
        cap *= 2;
    uint32_t *t = realloc(sw->tmp, cap * sizeof *t);
    if (!t)
        return MM_ENOMEM;
    sw->tmp = t;
    sw->tmp_cap = cap;
    return 0;
}

static void pop(struct sweep *sw, struct out *o, struct u128 max)
{
    struct frame f = sw->stack[--sw->depth];
    if (u128_eq(f.end, max))
        return; /* runs to the end of the address space */
    struct u128 next = {f.end.hi + (f.end.lo == UINT64_MAX), f.end.lo + 1};
    emit(o, next, sw->depth ? sw->stack[sw->depth - 1].set : 0);
}

static inline void entry_at(const void *entries, int family, size_t i, struct u128 *start,
                            unsigned *len, uint32_t *value)
{
    if (family == 4) {
        const struct v4_entry *e = (const struct v4_entry *)entries + i;
        *start = (struct u128){0, e->addr};
        *len = e->len;
        *value = e->value;
    } else {
        const struct v6_entry *e = (const struct v6_entry *)entries + i;
        *start = (struct u128){e->hi, e->lo};
        *len = e->len;
        *value = e->value;
    }
}

static struct u128 prefix_end(struct u128 start, unsigned len, int family)
{
    if (family == 4) {
        uint64_t host = len == 32 ? 0 : 0xffffffffull >> len;
        return (struct u128){0, start.lo | host};
    }
    struct u128 host;
    if (len == 0)
        host = (struct u128){UINT64_MAX, UINT64_MAX};
    else if (len < 64)
        host = (struct u128){UINT64_MAX >> len, UINT64_MAX};
    else if (len < 128)
        host = (struct u128){0, UINT64_MAX >> (len - 64)};
    else
        host = (struct u128){0, 0};
    return (struct u128){start.hi | host.hi, start.lo | host.lo};
}

/* Sweep n sorted entries of one family into o (capacity >= 2n + 1). */
static int sweep_family(struct sweep *sw, const void *entries, size_t n, struct out *o)
{
    struct u128 max =
        o->family == 4 ? (struct u128){0, 0xffffffffull} : (struct u128){UINT64_MAX, UINT64_MAX};
    if (o->family == 4)
        o->start4[0] = 0;
    else
        o->start6[0] = (struct u128){0, 0};
    o->set[0] = 0;
    o->n = 1;
    sw->depth = 0;
    size_t i = 0;
    while (i < n) {
        struct u128 start, s2;
        unsigned len, len2;
        uint32_t value, v2;
        entry_at(entries, o->family, i, &start, &len, &value);
        struct u128 end = prefix_end(start, len, o->family);
        while (sw->depth && u128_lt(sw->stack[sw->depth - 1].end, start))
            pop(sw, o, max);
        /* The parent's set followed by this group's values, merged. */
        uint32_t parent = sw->depth ? sw->stack[sw->depth - 1].set : 0;
        size_t plen = sw->in->len[parent];
        size_t j = i;
        while (j < n) {
            entry_at(entries, o->family, j, &s2, &len2, &v2);
            if (!u128_eq(s2, start) || len2 != len)
                break;
            j++;
        }
        if (tmp_reserve(sw, plen + (j - i)) != 0)
            return MM_ENOMEM;
        const uint32_t *pv = sw->in->values ? sw->in->values + sw->in->off[parent] : NULL;
        size_t a = 0, k = i, m = 0;
        while (a < plen || k < j) {
            uint32_t next;
            if (k < j)
                entry_at(entries, o->family, k, &s2, &len2, &v2);
            if (k >= j || (a < plen && pv[a] <= v2)) {
                next = pv[a++];
                if (k < j && next == v2)
                    k++;
            } else {
                next = v2;
                k++;
            }
            if (m == 0 || sw->tmp[m - 1] != next)
                sw->tmp[m++] = next;
        }
        int64_t id = intern(sw->in, sw->tmp, m);
        if (id < 0)
            return (int)id;
        sw->stack[sw->depth++] = (struct frame){end, (uint32_t)id};
        emit(o, start, (uint32_t)id);
        i = j;
    }
    while (sw->depth)
        pop(sw, o, max);
    return 0;
}

/* The index size for n boundaries: about one boundary per bucket. */
static unsigned index_bits(size_t n)
{
    unsigned bits = 8;
    while (bits < 16 && ((size_t)1 << bits) < n)
        bits++;
    return bits;
}

static void build_index_v4(struct mm_prefix_map *m, const uint32_t *start)
{
    uint32_t buckets = 1u << m->v4_bits;
    size_t k = 0;
    for (uint32_t t = 0; t < buckets; t++) {
        while (k < m->n4 && start[k] < (uint32_t)((uint64_t)t << (32 - m->v4_bits)))
            k++;
        m->v4_index[t] = (uint32_t)k;
    }
    m->v4_index[buckets] = (uint32_t)m->n4;
}

static uint32_t v6_bucket(const struct mm_prefix_map *m, uint64_t hi);

static void build_index_v6(struct mm_prefix_map *m)
{
    /* The shared prefix of every boundary but the one at :: (it sorts
     * first whatever the skip). */
    m->v6_skip = 0;
    m->v6_first = 0;
    m->v6_last = UINT64_MAX;
    if (m->n6 > 1) {
        uint64_t lo = m->v6_start[1].hi, hi = m->v6_start[m->n6 - 1].hi;
        unsigned skip = lo == hi ? 48 : (unsigned)__builtin_clzll(lo ^ hi);
        m->v6_skip = skip > 48 ? 48 : skip;
        uint64_t tail = m->v6_skip ? UINT64_MAX >> m->v6_skip : UINT64_MAX;
        m->v6_first = lo & ~tail;
        m->v6_last = lo | tail;
    }
    uint32_t buckets = 1u << m->v6_bits;
    size_t k = 0;
    for (uint32_t t = 0; t < buckets; t++) {
        while (k < m->n6 && v6_bucket(m, m->v6_start[k].hi) < t)
            k++;
        m->v6_index[t] = (uint32_t)k;
    }
    m->v6_index[buckets] = (uint32_t)m->n6;
}

/* Lookups on a large map are random accesses over tens of MiB: with 4 KiB
 * pages nearly every probe is also a TLB miss. Large arrays are therefore
 * 2 MiB aligned and offered to transparent huge pages (a hint; harmless
 * where THP is off). */
#define HUGE_PAGE (2u * 1024 * 1024)

static size_t placed_size(size_t bytes)
{
    return bytes >= HUGE_PAGE ? (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE : bytes;
}

/* Move n elements of tmp into their final, exactly sized block and free tmp
 * (tmp NULL: just allocate). NULL, with tmp kept, when out of memory. */
static void *place(void *tmp, size_t n, size_t elem)
{
    size_t bytes = n * elem;
    void *p = NULL;
    if (bytes >= HUGE_PAGE) {
        if (posix_memalign(&p, HUGE_PAGE, placed_size(bytes)) != 0)
            return NULL;
#ifdef MADV_HUGEPAGE
        madvise(p, placed_size(bytes), MADV_HUGEPAGE);
#endif
    } else {
        p = malloc(bytes ? bytes : 1);
        if (!p)
            return NULL;
    }
    if (tmp) {
        memcpy(p, tmp, bytes);
        free(tmp);
    }
    return p;
}

/* Shrink an over-allocated array to n elements; keeps the old block if
 * realloc declines. */
static void *shrink(void *p, size_t n, size_t elem)
{
    void *q = realloc(p, (n ? n : 1) * elem);
    return q ? q : p;
}

int mm_prefix_map_build(const struct mm_prefix_map_builder *b, struct mm_prefix_map **out,
                        struct mm_err *err)
{
    *out = NULL;
    int rc = MM_ENOMEM;
    struct interner in = {0};
    struct sweep sw = {.in = &in};
    struct v4_entry *e4 = NULL, *e4_tmp = NULL;
    struct v6_entry *e6 = NULL;
    uint32_t *start4 = NULL; /* IPv4 starts in full, until split into index and low halves */
    struct mm_prefix_map *m = calloc(1, sizeof *m);
    if (interner_init(&in) != 0 || !m)
        goto out;

    /* Sort copies: the builder stays const and reusable. */
    e4 = malloc((b->n4 ? b->n4 : 1) * sizeof *e4);
    e4_tmp = malloc((b->n4 ? b->n4 : 1) * sizeof *e4_tmp);
    e6 = malloc((b->n6 ? b->n6 : 1) * sizeof *e6);
    start4 = malloc((2 * b->n4 + 1) * sizeof *start4);
    m->v4_set = malloc((2 * b->n4 + 1) * sizeof *m->v4_set);
    m->v6_start = malloc((2 * b->n6 + 1) * sizeof *m->v6_start);
    m->v6_set = malloc((2 * b->n6 + 1) * sizeof *m->v6_set);
    if (!e4 || !e4_tmp || !e6 || !start4 || !m->v4_set || !m->v6_start || !m->v6_set)
        goto out;
    if (b->n4)
        memcpy(e4, b->v4, b->n4 * sizeof *e4);
    if (b->n6)
        memcpy(e6, b->v6, b->n6 * sizeof *e6);
    sort_v4(&e4, &e4_tmp, b->n4);
    qsort(e6, b->n6, sizeof *e6, cmp_v6);

    struct out o4 = {.family = 4, .start4 = start4, .set = m->v4_set};
    if ((rc = sweep_family(&sw, e4, b->n4, &o4)) != 0)
        goto out;
    free(e4);
    free(e4_tmp);
    e4 = e4_tmp = NULL;
    struct out o6 = {.family = 6, .start6 = m->v6_start, .set = m->v6_set};
    if ((rc = sweep_family(&sw, e6, b->n6, &o6)) != 0)
        goto out;

    m->n4 = o4.n;
    m->n6 = o6.n;
    rc = MM_ENOMEM;
    void *p;
    m->v4_bits = index_bits(m->n4);
    m->v6_bits = index_bits(m->n6);
    if (m->v4_bits == 16) {
        if (!(m->v4_low = place(NULL, m->n4, sizeof *m->v4_low)))
            goto out;
        for (size_t i = 0; i < m->n4; i++)
            m->v4_low[i] = (uint16_t)start4[i];
    } else {
        if (!(m->v4_start = place(NULL, m->n4, sizeof *m->v4_start)))
            goto out;
        memcpy(m->v4_start, start4, m->n4 * sizeof *m->v4_start);
    }
    build_index_v4(m, start4);
    if (!(p = place(m->v4_set, m->n4, sizeof *m->v4_set)))
        goto out;
    m->v4_set = p;
    if (!(p = place(m->v6_start, m->n6, sizeof *m->v6_start)))
        goto out;
    m->v6_start = p;
    if (!(p = place(m->v6_set, m->n6, sizeof *m->v6_set)))
        goto out;
    m->v6_set = p;
    build_index_v6(m);

    /* Hand the interned sets over; the hash table is only needed to build. */
    m->nsets = in.nsets;
    m->set_off = shrink(in.off, in.nsets, sizeof *in.off);
    m->set_len = shrink(in.len, in.nsets, sizeof *in.len);
    m->nvalues = in.nvalues;
    m->values = in.values ? shrink(in.values, in.nvalues, sizeof *in.values) : NULL;
    in.off = in.len = in.values = NULL;
    rc = 0;
out:
    interner_fini(&in);
    free(sw.tmp);
    free(e4);
    free(e4_tmp);
    free(e6);
    free(start4);
    if (rc != 0) {
        mm_prefix_map_free(m);
        if (rc == MM_EFULL)
            return mm_err_set(err, rc, "prefix map: too many distinct value sets");
        return mm_err_set(err, rc, "prefix map: out of memory while building");
    }
    *out = m;
    return 0;
}

/* ---- reading ---------------------------------------------------------- */

/* The v6_bits bits after the shared prefix (v6_skip bits, at most 48). */
static inline uint32_t v6_bucket(const struct mm_prefix_map *m, uint64_t hi)
{
    uint32_t last = (1u << m->v6_bits) - 1;
    if (hi < m->v6_first)
        return 0;
    if (hi > m->v6_last)
        return last;
    return (uint32_t)(hi >> (64 - m->v6_skip - m->v6_bits)) & last;
}

/* Both families: the intervals starting inside the address's bucket are
 * [lo, hi); the answer is the last of them starting at or before the
 * address, or lo - 1 (an interval from an earlier bucket) when there is
 * none. Interval 0 starts at address 0, so the answer always exists. The
 * search is branchless.
 *
 * A lookup runs in two steps, so that mm_prefix_map_lookup2 can interleave
 * two: locate() reads the index and prefetches the bucket's boundaries and
 * set ids; search() then finds the interval. Each step's cache misses are
 * the lookup's, so two interleaved lookups wait for about as long as one. */
struct probe {
    const struct mm_addr *addr;
    uint32_t lo, hi; /* the bucket's intervals; lo == hi: none start in it */
};

static inline const uint32_t *index_entry(const struct mm_prefix_map *m, const struct mm_addr *addr)
{
    if (addr->family == 4)
        return &m->v4_index[load_be32(addr->bytes) >> (32 - m->v4_bits)];
    if (addr->family == 6)
        return &m->v6_index[v6_bucket(m, load_be64(addr->bytes))];
    return NULL;
}

/* ix: the address's index entry (index_entry). */
static inline void locate(const struct mm_prefix_map *m, const struct mm_addr *addr, const uint32_t *ix,
                          struct probe *p)
{
    p->addr = addr;
    p->lo = ix ? ix[0] : 0;
    p->hi = ix ? ix[1] : 0;
    if (p->lo == p->hi)
        return;
    if (addr->family == 4) {
        if (m->v4_low) {
            __builtin_prefetch(m->v4_low + p->lo);
            __builtin_prefetch(m->v4_low + p->hi - 1);
        } else {
            __builtin_prefetch(m->v4_start + p->lo);
            __builtin_prefetch(m->v4_start + p->hi - 1);
        }
        __builtin_prefetch(m->v4_set + p->lo);
        __builtin_prefetch(m->v4_set + p->hi - 1);
    } else {
        __builtin_prefetch(m->v6_start + p->lo);
        __builtin_prefetch(m->v6_start + p->hi - 1);
        __builtin_prefetch(m->v6_set + p->lo);
    }
}

/* Branchless binary search over n >= 1 sorted starts from base: base ends
 * at the last start <= key, or at the first when none is. */
#define LAST_AT_MOST(base, n, key)                                                                 \
    do {                                                                                           \
        while ((n) > 1) {                                                                          \
            size_t half_ = (n) / 2;                                                                \
            (base) = (base)[half_] <= (key) ? (base) + half_ : (base);                             \
            (n) -= half_;                                                                          \
        }                                                                                          \
    } while (0)

static inline uint32_t search(const struct mm_prefix_map *m, const struct probe *p)
{
    const struct mm_addr *addr = p->addr;
    if (addr->family == 4) {
        if (p->lo == p->hi)
            return m->v4_set[p->lo - 1];
        if (m->v4_start) {
            uint32_t a = load_be32(addr->bytes);
            const uint32_t *base = m->v4_start + p->lo;
            size_t n = p->hi - p->lo;
            LAST_AT_MOST(base, n, a);
            return m->v4_set[(size_t)(base - m->v4_start) - (*base > a)];
        }
        uint16_t key = (uint16_t)load_be32(addr->bytes);
        const uint16_t *base = m->v4_low + p->lo;
        size_t n = p->hi - p->lo;
        LAST_AT_MOST(base, n, key);
        size_t i = (size_t)(base - m->v4_low) - (*base > key);
        return m->v4_set[i];
    }
    if (addr->family == 6) {
        if (p->lo == p->hi)
            return m->v6_set[p->lo - 1];
        struct u128 a = {load_be64(addr->bytes), load_be64(addr->bytes + 8)};
        const struct u128 *base = m->v6_start + p->lo;
        size_t n = p->hi - p->lo;
        while (n > 1) {
            size_t half = n / 2;
            struct u128 s = base[half];
            bool le = s.hi < a.hi || (s.hi == a.hi && s.lo <= a.lo);
            base = le ? base + half : base;
            n -= half;
        }
        bool after = base->hi > a.hi || (base->hi == a.hi && base->lo > a.lo);
        return m->v6_set[(size_t)(base - m->v6_start) - after];
    }
    return 0;
}

uint32_t mm_prefix_map_lookup(const struct mm_prefix_map *m, const struct mm_addr *addr)
{
    struct probe p;
    locate(m, addr, index_entry(m, addr), &p);
    return search(m, &p);
}

void mm_prefix_map_lookup2(const struct mm_prefix_map *m, const struct mm_addr *a,
                           const struct mm_addr *b, uint32_t set[2])
{
    /* Both index entries are requested before either is needed. */
    const uint32_t *ia = index_entry(m, a), *ib = index_entry(m, b);
    if (ia)
        __builtin_prefetch(ia);
    if (ib)
        __builtin_prefetch(ib);
    struct probe pa, pb;
    locate(m, a, ia, &pa);
    locate(m, b, ib, &pb);
    set[0] = search(m, &pa);
    set[1] = search(m, &pb);
}

const uint32_t *mm_prefix_map_set(const struct mm_prefix_map *m, uint32_t set_id, size_t *count)
{
    if (set_id == 0 || set_id >= m->nsets) {
        *count = 0;
        return NULL;
    }
    *count = m->set_len[set_id];
    return m->values + m->set_off[set_id];
}

size_t mm_prefix_map_memory(const struct mm_prefix_map *m)
{
    size_t starts4 = m->n4 * (m->v4_low ? sizeof *m->v4_low : sizeof *m->v4_start);
    return sizeof *m + placed_size(starts4) +
           placed_size(m->n4 * sizeof *m->v4_set) + placed_size(m->n6 * sizeof *m->v6_start) +
           placed_size(m->n6 * sizeof *m->v6_set) +
           m->nsets * (sizeof *m->set_off + sizeof *m->set_len) + m->nvalues * sizeof *m->values;
}

void mm_prefix_map_free(struct mm_prefix_map *m)
{
    if (!m)
        return;
    free(m->v4_low);
    free(m->v4_start);
    free(m->v4_set);
    free(m->v6_start);
    free(m->v6_set);
    free(m->set_off);
    free(m->set_len);
    free(m->values);
    free(m);
}
