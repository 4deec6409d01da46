/* gen_capture.c - deterministic generator of a realistic Ethernet pcap, an indicator set and a
 * policy for `make bench`.
 *
 * Output: classic pcap (magic 0xa1b2c3d4, microsecond timestamps, LINKTYPE_ETHERNET), written in
 * this host's byte order as libpcap does; every packet field is in network byte order.
 *
 * Traffic model (an event-driven simulation, one seeded xoshiro256** stream, so a seed names a
 * capture exactly):
 *   - flows arrive as a Poisson process; each has a kind (TCP, DNS-like UDP, bulk UDP, ICMP echo),
 *     a heavy-tailed packet count (most 1-10, a few "elephants" with thousands) and a mean gap;
 *     a min-heap of next-packet times interleaves them, so tens of thousands are live at once;
 *   - the simulation runs a warm-up period before the capture starts, so the capture opens in the
 *     middle of flows the way a real tap does (first packets without a SYN);
 *   - the arrival rate is calibrated from the mean flow size, and steered by how many packets are
 *     due, so --packets fill --duration-s;
 *   - TCP flows carry a real handshake, sequence/ack numbers, options, PSH|ACK data, FIN or RST;
 *   - per flow: IPv6 (~25%), an 802.1Q tag (~20%) or an 802.1ad QinQ pair (~3%);
 *   - endpoints: "domestic" prefixes (a fixed plan, DIR/domestic.txt) and foreign space outside
 *     them and outside reserved ranges; mostly foreign<->domestic in both directions, some
 *     foreign<->foreign and domestic<->domestic;
 *   - 7% of all flows are foreign-initiated flows from an indicator address (what a policy with
 *     route party_agreement, which keeps foreign_to_domestic only, should select) and 2% of the
 *     domestic-initiated flows go to one (matching, but discarded by that route); every other
 *     foreign address avoids every /24 an indicator touches, so the number of flows an exact
 *     matcher selects is known in advance (printed as flows_expected_selected).
 *
 * Only the captured part of a frame (caplen = min(wire length, --snaplen)) is built; the wire
 * length fields (IP total length, UDP length, pcap orig_len) describe the whole frame. IPv4
 * header checksums are valid; TCP/UDP/ICMP checksums are left zero.
 *
 * The per-packet path allocates nothing: flows live in a preallocated array with a free list and
 * the pcap goes out through one large buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

/* ---- model constants ------------------------------------------------------------------- */

#define CAPTURE_START_S 1790812800ull /* 2026-10-01T00:00:00Z */
#define FLOW_CAPACITY (1u << 19)      /* live flows at most; arrivals beyond it are dropped */
#define OUT_BUFFER_BYTES (8u << 20)
#define FRAME_MAX 2048         /* a 1500-byte IP packet plus Ethernet and two tags */
#define HIT_FRACTION 0.07      /* foreign->domestic flows from an indicator, of all flows */
#define OUTBOUND_HIT_RATE 0.02 /* domestic->foreign flows to an indicator, of those flows */
#define WATCH_FRACTION 0.06    /* --small only: flows from the single-address criteria */
#define FOR_TO_DOM_SHARE 0.40  /* foreign-initiated flows to domestic space, of all flows */
#define HOT_INDICATORS 512     /* half of all hits go to the first HOT_INDICATORS entries */

static const char canary_text[] = "MAMORICANARY";

/* Domestic plan: 20 IPv4 /16s and 4 IPv6 /32s in RIPE-region space (deliberately not APNIC, so
 * not real Japanese allocations). Fixed, so domestic.txt is the same for every seed. */
static const uint8_t domestic_v4[][2] = {
    {57, 128},  {62, 41},  {77, 93},   {81, 170}, {85, 12},  {89, 201},  {91, 44},
    {94, 130},  {109, 70}, {141, 18},  {145, 99}, {151, 60}, {176, 222}, {178, 33},
    {185, 140}, {188, 7},  {193, 188}, {194, 51}, {195, 77}, {212, 160},
};
static const uint16_t domestic_v6[][2] = {
    {0x2a0a, 0x4b80}, {0x2a0c, 0x9a40}, {0x2a0e, 0x1c80}, {0x2a10, 0x6f00}};
#define N_DOMESTIC_V4 (sizeof domestic_v4 / sizeof domestic_v4[0])
#define N_DOMESTIC_V6 (sizeof domestic_v6 / sizeof domestic_v6[0])

enum flow_kind { KIND_TCP, KIND_DNS, KIND_UDP, KIND_ICMP, KIND_COUNT };
enum endpoints { EP_DOM_TO_FOR, EP_FOR_TO_DOM, EP_FOR_FOR, EP_DOM_DOM };
enum vlan_mode { VLAN_NONE, VLAN_DOT1Q, VLAN_QINQ };

/* ---- options --------------------------------------------------------------------------- */

struct gen_config {
    const char *out_path;
    const char *indicators_dir;
    uint64_t packets;
    uint64_t seed;
    double duration_s;
    unsigned snaplen;
    bool canary;
    bool small;
    /* derived from the preset */
    size_t n_v4_hosts, n_v4_prefixes, n_v6;
    uint32_t max_flow_packets;
    double gap_scale; /* flow gaps scale with the capture's duration (1.0 at 120 s) */
};

/* ---- PRNG: xoshiro256** seeded through splitmix64 --------------------------------------- */

struct rng {
    uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl64(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl64(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl64(s[3], 45);
    return result;
}

/* Uniform in [0, n) by multiply-shift (bias below 2^-32, irrelevant here). */
static inline uint32_t rng_below(struct rng *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static inline double rng_unit(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1p-53;
}

static inline uint32_t rng_loguniform(struct rng *r, uint32_t lo, uint32_t hi)
{
    double v = exp(log((double)lo) + rng_unit(r) * (log((double)hi) - log((double)lo)));
    uint32_t n = (uint32_t)v;
    return n < lo ? lo : n > hi ? hi : n;
}

/* An invertible 32-bit mix (xor-shift and odd multiplies are each bijections), so distinct
 * inputs give distinct outputs: a million distinct host indicators without a hash set. */
static inline uint32_t mix32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x45d9f3bu;
    x ^= x >> 16;
    x *= 0x2c1b3c6du;
    x ^= x >> 15;
    return x;
}

/* ---- address plan ---------------------------------------------------------------------- */

struct addr {
    uint8_t b[16]; /* IPv4 in b[0..3] */
};

struct v4_prefix {
    uint32_t base;
    uint8_t len;
};

struct v6_entry {
    uint8_t b[16];
    uint8_t len;
};

struct plan {
    uint8_t first_octet_ok[256];
    uint8_t domestic16[65536 / 8]; /* IPv4 /16 bitmap */
    uint8_t *taint24;              /* 2^24 bits: /24s an indicator touches */
    uint32_t *v4_hosts;
    struct v4_prefix *v4_prefixes;
    struct v6_entry *v6;
    size_t n_v4_hosts, n_v4_prefixes, n_v6;
    /* server pools, picked with a skew so some servers are popular */
    uint32_t dom_srv4[4096], for_srv4[16384];
    struct addr dom_srv6[1024], for_srv6[4096];
    /* --small: the addresses of the single-address criteria */
    uint32_t watch_v4[2];
    struct addr watch_v6;
};

static inline bool bit_get(const uint8_t *map, uint32_t i)
{
    return map[i >> 3] >> (i & 7) & 1;
}
static inline void bit_set(uint8_t *map, uint32_t i)
{
    map[i >> 3] |= (uint8_t)(1u << (i & 7));
}

static void plan_init_tables(struct plan *pl)
{
    /* Foreign IPv4: unicast /8s without private, shared, loopback, link-local, documentation or
     * benchmarking space anywhere in them (coarse but simple). */
    static const uint8_t excluded[] = {0, 10, 100, 127, 169, 172, 192, 198, 203};
    for (int i = 1; i < 224; i++)
        pl->first_octet_ok[i] = 1;
    for (size_t i = 0; i < sizeof excluded; i++)
        pl->first_octet_ok[excluded[i]] = 0;
    for (size_t i = 0; i < N_DOMESTIC_V4; i++)
        bit_set(pl->domestic16, (uint32_t)domestic_v4[i][0] << 8 | domestic_v4[i][1]);
}

static inline bool v4_is_domestic(const struct plan *pl, uint32_t a)
{
    return bit_get(pl->domestic16, a >> 16);
}

static inline bool v4_is_foreign(const struct plan *pl, uint32_t a)
{
    return pl->first_octet_ok[a >> 24] && !v4_is_domestic(pl, a);
}

static uint32_t v4_random_domestic(struct rng *r)
{
    uint32_t i = rng_below(r, N_DOMESTIC_V4);
    uint32_t host = rng_below(r, 65534) + 1;
    return (uint32_t)domestic_v4[i][0] << 24 | (uint32_t)domestic_v4[i][1] << 16 | host;
}

/* A foreign address no indicator covers (its /24 is untainted). */
static uint32_t v4_random_clean_foreign(const struct plan *pl, struct rng *r)
{
    for (;;) {
        uint32_t a = (uint32_t)(rng_next(r) >> 32);
        if (v4_is_foreign(pl, a) && !bit_get(pl->taint24, a >> 8) && (a & 0xff) != 0 &&
            (a & 0xff) != 255)
            return a;
    }
}

static void v6_random_domestic(struct rng *r, struct addr *a)
{
    uint32_t i = rng_below(r, N_DOMESTIC_V6);
    uint64_t lo = rng_next(r), hi = rng_next(r);
    a->b[0] = (uint8_t)(domestic_v6[i][0] >> 8);
    a->b[1] = (uint8_t)domestic_v6[i][0];
    a->b[2] = (uint8_t)(domestic_v6[i][1] >> 8);
    a->b[3] = (uint8_t)domestic_v6[i][1];
    for (int k = 4; k < 8; k++)
        a->b[k] = (uint8_t)(hi >> (8 * k));
    for (int k = 8; k < 16; k++)
        a->b[k] = (uint8_t)(lo >> (8 * (k - 8)));
}

static bool v6_is_domestic(const uint8_t *b)
{
    uint16_t w0 = (uint16_t)(b[0] << 8 | b[1]), w1 = (uint16_t)(b[2] << 8 | b[3]);
    for (size_t i = 0; i < N_DOMESTIC_V6; i++)
        if (domestic_v6[i][0] == w0 && domestic_v6[i][1] == w1)
            return true;
    return false;
}

/* Foreign IPv6: global unicast 2003::/16 .. 2bff::/16 outside the domestic /32s. The chance that
 * a random address falls into one of 10^5 random /48s is about 10^-9, so no taint map is needed. */
static void v6_random_foreign(struct rng *r, struct addr *a)
{
    do {
        uint64_t hi = rng_next(r), lo = rng_next(r);
        uint16_t w0 = (uint16_t)(0x2003 + rng_below(r, 0x2c00 - 0x2003));
        a->b[0] = (uint8_t)(w0 >> 8);
        a->b[1] = (uint8_t)w0;
        for (int k = 2; k < 8; k++)
            a->b[k] = (uint8_t)(hi >> (8 * k));
        for (int k = 8; k < 16; k++)
            a->b[k] = (uint8_t)(lo >> (8 * (k - 8)));
    } while (v6_is_domestic(a->b));
}

static void v4_to_addr(uint32_t v, struct addr *a)
{
    memset(a, 0, sizeof *a);
    a->b[0] = (uint8_t)(v >> 24);
    a->b[1] = (uint8_t)(v >> 16);
    a->b[2] = (uint8_t)(v >> 8);
    a->b[3] = (uint8_t)v;
}

/* Prefix lengths of the IPv4 prefix feed: mostly /21../30 like real block lists, a few short ones.
 * The short ones are what makes the set hard for a prefix table. */
static uint8_t v4_prefix_len(struct rng *r)
{
    uint32_t u = rng_below(r, 1000);
    if (u < 2)
        return (uint8_t)(12 + rng_below(r, 5)); /* /12../16: 0.2% */
    if (u < 30)
        return (uint8_t)(17 + rng_below(r, 4)); /* /17../20: 2.8% */
    if (u < 450)
        return (uint8_t)(21 + rng_below(r, 4)); /* /21../24: 42% */
    return (uint8_t)(25 + rng_below(r, 6));     /* /25../30: 55% */
}

static bool v4_prefix_overlaps_domestic(uint32_t base, uint8_t len)
{
    uint32_t mask = len ? ~0u << (32 - len) : 0;
    for (size_t i = 0; i < N_DOMESTIC_V4; i++) {
        uint32_t d = (uint32_t)domestic_v4[i][0] << 24 | (uint32_t)domestic_v4[i][1] << 16;
        if (len <= 16 ? (d & mask) == base : (base & 0xffff0000u) == d)
            return true;
    }
    return false;
}

/* Build the indicator set in memory (always, so the traffic does not depend on whether the files
 * are written) and mark every /24 it touches. Returns 0 or -1 (out of memory). */
static int plan_build_indicators(struct plan *pl, const struct gen_config *cfg, uint64_t seed)
{
    struct rng r;
    rng_seed(&r, seed ^ 0x1d1ca7025eedull);
    pl->taint24 = calloc(1, 1u << 21);
    pl->v4_hosts = malloc(cfg->n_v4_hosts * sizeof *pl->v4_hosts);
    pl->v4_prefixes = malloc(cfg->n_v4_prefixes * sizeof *pl->v4_prefixes);
    pl->v6 = malloc(cfg->n_v6 * sizeof *pl->v6);
    if (!pl->taint24 || !pl->v4_hosts || !pl->v4_prefixes || !pl->v6)
        return -1;

    uint32_t key = (uint32_t)rng_next(&r);
    for (uint32_t c = 0; pl->n_v4_hosts < cfg->n_v4_hosts; c++) {
        uint32_t a = mix32(c ^ key);
        if (!v4_is_foreign(pl, a) || (a & 0xff) == 0 || (a & 0xff) == 255)
            continue;
        pl->v4_hosts[pl->n_v4_hosts++] = a;
        bit_set(pl->taint24, a >> 8);
    }

    /* IPv4 prefixes: distinct (an open-addressing set of base|len), canonical, foreign. */
    size_t set_cap = 16;
    while (set_cap < cfg->n_v4_prefixes * 2)
        set_cap <<= 1;
    uint64_t *set = calloc(set_cap, sizeof *set);
    if (!set)
        return -1;
    while (pl->n_v4_prefixes < cfg->n_v4_prefixes) {
        uint8_t len = v4_prefix_len(&r);
        uint32_t base = (uint32_t)(rng_next(&r) >> 32) & (~0u << (32 - len));
        if (!pl->first_octet_ok[base >> 24] || v4_prefix_overlaps_domestic(base, len))
            continue;
        uint64_t k = ((uint64_t)base << 8 | len) + 1; /* never 0, the empty mark */
        size_t h = (size_t)(k * 0x9e3779b97f4a7c15ull >> 20) & (set_cap - 1);
        while (set[h] && set[h] != k)
            h = (h + 1) & (set_cap - 1);
        if (set[h])
            continue;
        set[h] = k;
        pl->v4_prefixes[pl->n_v4_prefixes++] = (struct v4_prefix){base, len};
        uint32_t first = base >> 8;
        uint32_t count = len <= 24 ? 1u << (24 - len) : 1;
        for (uint32_t i = 0; i < count; i++)
            bit_set(pl->taint24, first + i);
    }
    free(set);

    /* IPv6: half /128 hosts, half /48../64 prefixes (mostly /48, /56, /64). */
    static const uint8_t v6_lens[] = {48, 48, 48, 52, 56, 56, 60, 64, 64, 64};
    while (pl->n_v6 < cfg->n_v6) {
        struct v6_entry *e = &pl->v6[pl->n_v6++];
        struct addr a;
        v6_random_foreign(&r, &a);
        e->len = rng_below(&r, 2) ? 128 : v6_lens[rng_below(&r, sizeof v6_lens)];
        for (int k = 0; k < 16; k++) {
            int keep = e->len - 8 * k; /* bits of this byte inside the prefix */
            e->b[k] = keep >= 8 ? a.b[k] : keep <= 0 ? 0 : (uint8_t)(a.b[k] & (0xff << (8 - keep)));
        }
    }
    return 0;
}

/* Server pools and (for --small) the watched addresses, from the traffic stream. */
static void plan_build_pools(struct plan *pl, struct rng *r)
{
    for (size_t i = 0; i < sizeof pl->dom_srv4 / sizeof pl->dom_srv4[0]; i++)
        pl->dom_srv4[i] = v4_random_domestic(r);
    for (size_t i = 0; i < sizeof pl->for_srv4 / sizeof pl->for_srv4[0]; i++)
        pl->for_srv4[i] = v4_random_clean_foreign(pl, r);
    for (size_t i = 0; i < sizeof pl->dom_srv6 / sizeof pl->dom_srv6[0]; i++)
        v6_random_domestic(r, &pl->dom_srv6[i]);
    for (size_t i = 0; i < sizeof pl->for_srv6 / sizeof pl->for_srv6[0]; i++)
        v6_random_foreign(r, &pl->for_srv6[i]);
    pl->watch_v4[0] = v4_random_clean_foreign(pl, r);
    pl->watch_v4[1] = v4_random_clean_foreign(pl, r);
    v6_random_foreign(r, &pl->watch_v6);
}

/* A random address inside an indicator entry; the hot head of each list gets half the hits. */
static void pick_indicator(const struct plan *pl, struct rng *r, int family, struct addr *out)
{
    if (family == 4) {
        bool hosts = rng_below(r, 2) == 0;
        size_t n = hosts ? pl->n_v4_hosts : pl->n_v4_prefixes;
        size_t hot = n < HOT_INDICATORS ? n : HOT_INDICATORS;
        size_t i = rng_below(r, 2) ? rng_below(r, (uint32_t)hot) : rng_below(r, (uint32_t)n);
        uint32_t a;
        if (hosts) {
            a = pl->v4_hosts[i];
        } else {
            const struct v4_prefix *p = &pl->v4_prefixes[i];
            uint32_t span = p->len >= 32 ? 0 : (~0u >> p->len);
            a = p->base | ((uint32_t)(rng_next(r) >> 32) & span);
        }
        v4_to_addr(a, out);
    } else {
        size_t n = pl->n_v6, hot = n < HOT_INDICATORS ? n : HOT_INDICATORS;
        size_t i = rng_below(r, 2) ? rng_below(r, (uint32_t)hot) : rng_below(r, (uint32_t)n);
        const struct v6_entry *e = &pl->v6[i];
        struct addr rnd;
        v6_random_foreign(r, &rnd);
        for (int k = 0; k < 16; k++) {
            int keep = e->len - 8 * k;
            uint8_t m = keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
            out->b[k] = (uint8_t)((e->b[k] & m) | (rnd.b[k] & ~m));
        }
    }
}

/* ---- flows ----------------------------------------------------------------------------- */

struct flow {
    struct addr cli, srv; /* cli initiated the flow */
    uint32_t seq_c, seq_s, isn_c, isn_s;
    uint32_t total, sent; /* planned packets, packets so far (warm-up included) */
    uint32_t gap_us;      /* mean gap between this flow's packets */
    uint32_t flow_label;
    uint16_t cport, sport;
    uint16_t ip_id_c, ip_id_s;
    uint16_t vid_outer, vid_inner;
    uint16_t icmp_id;
    uint8_t family, kind, vlan, endpoints;
    uint8_t ttl_c, ttl_s;
    uint8_t down_pct;    /* chance that a data packet goes server->client */
    uint8_t ts_opt;      /* TCP timestamps negotiated: 12 option bytes on every segment */
    uint8_t rst_end;     /* the flow ends with RST|ACK instead of FIN */
    uint8_t last_data;   /* direction+1 of the last data segment, 0 if none */
    uint8_t cli_foreign; /* for MAC choice: which router the client sits behind */
    uint8_t hit;         /* an endpoint came from the indicator set or a watched address */
    uint8_t selectable;  /* hit, and the first captured packet goes foreign -> domestic */
    uint8_t in_capture;  /* at least one packet was written */
};

struct heap_item {
    uint64_t t_us;
    uint32_t idx;
};

struct stats {
    uint64_t packets, wire_bytes, cap_bytes;
    uint64_t flows, flows_hit, flows_selectable, flows_by_kind[KIND_COUNT], flows_by_ep[4],
        flows_midstream;
    uint64_t pkts_v6, pkts_dot1q, pkts_qinq, pkts_by_kind[KIND_COUNT], pkts_selectable;
    uint64_t live_max, live_sum, dropped_arrivals;
    uint64_t first_ts_us, last_ts_us;
};

struct gen {
    const struct gen_config *cfg;
    struct plan *pl;
    struct rng r;       /* the traffic model */
    struct rng payload; /* payload bytes only, so --canary leaves the traffic unchanged */
    struct flow *flows;
    uint32_t *free_list;
    uint32_t n_free;
    struct heap_item *heap;
    uint32_t heap_len;
    double flows_per_us;
    struct stats st;
    uint8_t *out_buf;
    size_t out_len;
    FILE *out;
    uint64_t last_ts_us;
    uint8_t random_pool[65536 + FRAME_MAX];
    uint8_t canary_pool[FRAME_MAX];
};

static void heap_push(struct gen *g, uint64_t t, uint32_t idx)
{
    uint32_t i = g->heap_len++;
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (g->heap[parent].t_us <= t)
            break;
        g->heap[i] = g->heap[parent];
        i = parent;
    }
    g->heap[i] = (struct heap_item){t, idx};
}

static struct heap_item heap_pop(struct gen *g)
{
    struct heap_item top = g->heap[0], last = g->heap[--g->heap_len];
    uint32_t i = 0, n = g->heap_len;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && g->heap[c + 1].t_us < g->heap[c].t_us)
            c++;
        if (last.t_us <= g->heap[c].t_us)
            break;
        g->heap[i] = g->heap[c];
        i = c;
    }
    if (n)
        g->heap[i] = last;
    return top;
}

/* Packets in a flow: 70% 1-10, 26.7% 11-60, 3% 60-1000, 0.3% elephants of 1000-8000. */
static uint32_t flow_size(struct rng *r, uint32_t cap)
{
    uint32_t u = rng_below(r, 1000), n;
    if (u < 700)
        n = 1 + rng_below(r, 10);
    else if (u < 967)
        n = rng_loguniform(r, 11, 60);
    else if (u < 997)
        n = rng_loguniform(r, 60, 1000);
    else
        n = rng_loguniform(r, 1000, 8000);
    return n > cap ? cap : n;
}

static uint32_t flow_packets(struct rng *r, uint8_t kind, uint32_t cap)
{
    switch (kind) {
    case KIND_DNS:
        return rng_below(r, 10) ? 2 : 1; /* some queries go unanswered */
    case KIND_ICMP:
        return 1 + rng_below(r, 8);
    default:
        return flow_size(r, cap);
    }
}

static uint8_t pick_kind(struct rng *r)
{
    uint32_t u = rng_below(r, 100);
    return u < 70 ? KIND_TCP : u < 88 ? KIND_DNS : u < 94 ? KIND_UDP : KIND_ICMP;
}

/* Mean packets per flow of this model, measured on a private stream (calibrates arrivals). */
static double mean_flow_packets(uint64_t seed, uint32_t cap)
{
    struct rng r;
    rng_seed(&r, seed ^ 0xca11b4a7eull);
    double sum = 0;
    const int samples = 1 << 20;
    for (int i = 0; i < samples; i++)
        sum += flow_packets(&r, pick_kind(&r), cap);
    return sum / samples;
}

static uint16_t tcp_server_port(struct rng *r)
{
    static const uint16_t ports[] = {443, 443, 443, 443, 443,  443,  443, 443, 443,  443,  80,
                                     80,  80,  22,  25,  8080, 3389, 445, 993, 8443, 5223, 853};
    return rng_below(r, 10) ? ports[rng_below(r, sizeof ports / sizeof ports[0])]
                            : (uint16_t)(1024 + rng_below(r, 64511));
}

static uint16_t udp_server_port(struct rng *r)
{
    static const uint16_t ports[] = {443, 443, 443, 443, 3478, 4500, 51820, 1194, 123, 5060, 27015};
    return ports[rng_below(r, sizeof ports / sizeof ports[0])];
}

static void endpoint(struct gen *g, struct flow *f, bool domestic, bool server, struct addr *out)
{
    struct rng *r = &g->r;
    struct plan *pl = g->pl;
    double u = rng_unit(r);
    uint32_t skew; /* cubing a uniform makes low pool indexes popular */
    if (f->family == 4) {
        if (domestic) {
            skew = (uint32_t)(u * u * u * 4096);
            v4_to_addr(server ? pl->dom_srv4[skew] : v4_random_domestic(r), out);
        } else {
            skew = (uint32_t)(u * u * u * 16384);
            v4_to_addr(server && rng_below(r, 4) ? pl->for_srv4[skew]
                                                 : v4_random_clean_foreign(pl, r),
                       out);
        }
    } else {
        if (domestic) {
            if (server)
                *out = pl->dom_srv6[(uint32_t)(u * u * u * 1024)];
            else
                v6_random_domestic(r, out);
        } else {
            if (server && rng_below(r, 4))
                *out = pl->for_srv6[(uint32_t)(u * u * u * 4096)];
            else
                v6_random_foreign(r, out);
        }
    }
}

/* Start a flow at time t (simulation clock). */
static void flow_start(struct gen *g, uint64_t t)
{
    if (g->n_free == 0) {
        g->st.dropped_arrivals++;
        return;
    }
    struct rng *r = &g->r;
    const struct gen_config *cfg = g->cfg;
    uint32_t idx = g->free_list[--g->n_free];
    struct flow *f = &g->flows[idx];
    memset(f, 0, sizeof *f);

    f->kind = pick_kind(r);
    f->family = rng_below(r, 100) < 25 ? 6 : 4;
    uint32_t v = rng_below(r, 100);
    f->vlan = v < 20 ? VLAN_DOT1Q : v < 23 ? VLAN_QINQ : VLAN_NONE;
    static const uint16_t vids[] = {100, 200, 300, 1001, 1002, 1003, 1004, 2040};
    f->vid_inner = vids[rng_below(r, sizeof vids / sizeof vids[0])];
    f->vid_outer = (uint16_t)(10 + rng_below(r, 6));
    uint32_t e = rng_below(r, 100);
    f->endpoints = e < 50   ? EP_DOM_TO_FOR
                   : e < 90 ? EP_FOR_TO_DOM
                   : e < 97 ? EP_FOR_FOR
                            : EP_DOM_DOM;
    bool cli_dom = f->endpoints == EP_DOM_TO_FOR || f->endpoints == EP_DOM_DOM;
    bool srv_dom = f->endpoints == EP_FOR_TO_DOM || f->endpoints == EP_DOM_DOM;
    f->cli_foreign = !cli_dom;
    endpoint(g, f, cli_dom, false, &f->cli);
    endpoint(g, f, srv_dom, true, &f->srv);

    switch (f->kind) {
    case KIND_TCP:
        f->sport = tcp_server_port(r);
        break;
    case KIND_DNS:
        f->sport = 53;
        break;
    case KIND_UDP:
        f->sport = udp_server_port(r);
        break;
    default:
        f->sport = 0;
    }
    f->cport = (uint16_t)(32768 + rng_below(r, 28232));
    f->icmp_id = (uint16_t)rng_next(r);
    f->total = flow_packets(r, f->kind, cfg->max_flow_packets);

    /* Selection. The bench policy's route (party_agreement) keeps only foreign_to_domestic
     * flows, so indicators go mostly there: HIT_FRACTION of all flows are foreign-initiated
     * flows from an indicator (the expected selection), and OUTBOUND_HIT_RATE of the
     * domestic-initiated flows go to one (they match but the route discards them). */
    if (f->endpoints == EP_FOR_TO_DOM && rng_unit(r) < HIT_FRACTION / FOR_TO_DOM_SHARE) {
        pick_indicator(g->pl, r, f->family, &f->cli);
        f->hit = 1;
    } else if (f->endpoints == EP_DOM_TO_FOR && rng_unit(r) < OUTBOUND_HIT_RATE) {
        pick_indicator(g->pl, r, f->family, &f->srv);
        f->hit = 1;
    } else if (f->endpoints == EP_FOR_TO_DOM && cfg->small &&
               rng_unit(r) < WATCH_FRACTION / FOR_TO_DOM_SHARE) {
        /* --small: the watched clients of C-001 (v4, any flow), C-002 (v4, tcp/443 only) and
         * C-003 (v6). The C-002 client is a scanner that sends from source port 443 (a firewall
         * evasion trick) to non-443 services, and sometimes from an ephemeral port: only the
         * former match, whether a criterion's ports apply to the indicator's own port or to
         * either port of the flow. */
        if (f->family == 6) {
            f->cli = g->pl->watch_v6;
            f->hit = 1;
        } else {
            uint32_t w = rng_below(r, 2);
            v4_to_addr(g->pl->watch_v4[w], &f->cli);
            f->hit = 1;
            if (w == 1) {
                static const uint16_t scanned[] = {22, 23, 80, 3389, 8080};
                f->kind = KIND_TCP;
                f->sport = scanned[rng_below(r, sizeof scanned / sizeof scanned[0])];
                if (rng_below(r, 3))
                    f->cport = 443;
                f->hit = f->cport == 443;
                f->total = flow_packets(r, f->kind, cfg->max_flow_packets);
            }
        }
    }

    /* Gaps grow with the flow's size class downwards: small flows are sparse (keep-alives, web
     * sessions), elephants are dense bulk transfers. */
    uint32_t n = f->total;
    double gap_ms;
    if (f->kind == KIND_DNS)
        gap_ms = rng_loguniform(r, 1, 150);
    else if (f->kind == KIND_ICMP)
        gap_ms = rng_loguniform(r, 200, 1000);
    else if (n <= 10)
        gap_ms = rng_loguniform(r, 10, 20000);
    else if (n <= 60)
        gap_ms = rng_loguniform(r, 10, 8000);
    else if (n <= 1000)
        gap_ms = rng_loguniform(r, 2, 300);
    else
        gap_ms = rng_loguniform(r, 1, 25);
    f->gap_us = (uint32_t)(gap_ms * 1000 * cfg->gap_scale) + 1;

    f->down_pct = (uint8_t)(f->kind == KIND_TCP ? 50 + rng_below(r, 45) : 30 + rng_below(r, 50));
    f->ts_opt = rng_below(r, 10) < 7;
    f->rst_end = rng_below(r, 20) == 0;
    f->isn_c = f->seq_c = (uint32_t)rng_next(r);
    f->isn_s = f->seq_s = (uint32_t)rng_next(r);
    f->ip_id_c = (uint16_t)rng_next(r);
    f->ip_id_s = (uint16_t)rng_next(r);
    static const uint8_t ttls[] = {64, 128, 255};
    f->ttl_c = (uint8_t)(ttls[rng_below(r, 3)] - 3 - rng_below(r, 20));
    f->ttl_s = (uint8_t)(ttls[rng_below(r, 3)] - 3 - rng_below(r, 20));
    f->flow_label = (uint32_t)rng_next(r) & 0xfffff;
    heap_push(g, t, idx);
}

/* ---- packet construction --------------------------------------------------------------- */

static inline uint8_t *put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return p + 2;
}

static inline uint8_t *put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
    return p + 4;
}

static uint16_t ipv4_checksum(const uint8_t *h)
{
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2)
        sum += (uint32_t)(h[i] << 8 | h[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

enum { TH_FIN = 0x01, TH_SYN = 0x02, TH_RST = 0x04, TH_PSH = 0x08, TH_ACK = 0x10 };

/* What the next packet of a flow is: direction (0 client->server), TCP flags, payload bytes on
 * the wire, and for ICMP the type and sequence. Advances the TCP sequence state. */
struct pkt_plan {
    int dir;
    uint8_t flags;
    bool syn_opts;
    uint16_t payload;
    uint8_t icmp_type;
    uint16_t icmp_seq;
    uint8_t proto;
    unsigned ip_off, l4_off; /* offsets of the IP and transport headers in the frame */
};

static void plan_tcp(struct gen *g, struct flow *f, struct pkt_plan *pp, unsigned ip_hdr)
{
    struct rng *r = &g->r;
    uint32_t i = f->sent, n = f->total;
    uint32_t closing = n >= 7 ? (f->rst_end ? 1 : 3) : n >= 5 ? 1 : 0;
    unsigned tcp_hdr = 20 + (f->ts_opt ? 12 : 0);
    unsigned mss = 1500 - ip_hdr - tcp_hdr;
    pp->payload = 0;
    if (i == 0) {
        pp->dir = 0;
        pp->flags = TH_SYN;
        pp->syn_opts = true;
    } else if (i == 1) {
        pp->dir = 1;
        if (n == 2 && rng_below(r, 2)) { /* closed port */
            pp->flags = TH_RST | TH_ACK;
        } else {
            pp->flags = TH_SYN | TH_ACK;
            pp->syn_opts = true;
        }
    } else if (i == 2) {
        pp->dir = 0;
        pp->flags = TH_ACK;
    } else if (i >= n - closing) {
        uint32_t j = i - (n - closing);
        if (closing == 1) {
            pp->dir = (int)rng_below(r, 2);
            pp->flags = TH_RST | TH_ACK;
        } else {
            pp->dir = j == 1;
            pp->flags = j == 2 ? TH_ACK : TH_FIN | TH_ACK;
        }
    } else if (f->last_data && rng_below(r, 3) == 0) {
        pp->dir = 2 - f->last_data; /* a pure ACK from the receiver */
        pp->flags = TH_ACK;
        f->last_data = 0;
    } else {
        pp->dir = rng_below(r, 100) < f->down_pct;
        bool bulk = pp->dir == 1 ? rng_below(r, 10) < 7 : rng_below(r, 10) == 0;
        pp->payload = (uint16_t)(bulk           ? mss
                                 : pp->dir == 1 ? 1 + rng_below(r, mss)
                                                : 20 + rng_below(r, 580));
        pp->flags = bulk && rng_below(r, 4) ? TH_ACK : TH_PSH | TH_ACK;
        f->last_data = (uint8_t)(pp->dir + 1);
    }
}

/* Build the next packet of f into frame[]; returns the wire length, sets *hdr_len (bytes before
 * the payload) and the payload length through pp. */
static unsigned build_frame(struct gen *g, struct flow *f, uint64_t t_us, uint8_t *frame,
                            unsigned *hdr_len, struct pkt_plan *pp)
{
    static const uint8_t mac_dom[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};
    static const uint8_t mac_for[6] = {0x02, 0x00, 0x5e, 0x20, 0x00, 0x02};
    struct rng *r = &g->r;
    unsigned ip_hdr = f->family == 4 ? 20 : 40;
    memset(pp, 0, sizeof *pp);

    uint8_t proto;
    switch (f->kind) {
    case KIND_TCP:
        proto = 6;
        plan_tcp(g, f, pp, ip_hdr);
        break;
    case KIND_DNS:
        proto = 17;
        pp->dir = f->sent & 1;
        pp->payload = (uint16_t)(pp->dir ? 60 + rng_below(r, 420) : 28 + rng_below(r, 40));
        break;
    case KIND_UDP:
        proto = 17;
        pp->dir = rng_below(r, 100) < f->down_pct;
        pp->payload = (uint16_t)(rng_below(r, 2) ? 1200 + rng_below(r, 1500 - 1200 - ip_hdr - 8)
                                                 : 40 + rng_below(r, 1000));
        break;
    default:
        proto = f->family == 4 ? 1 : 58;
        pp->dir = f->sent & 1;
        pp->icmp_type = f->family == 4 ? (pp->dir ? 0 : 8) : (pp->dir ? 129 : 128);
        pp->icmp_seq = (uint16_t)(f->sent / 2 + 1);
        pp->payload = 56;
        break;
    }

    /* Ethernet between two routers: the domestic side and the foreign side. */
    bool from_foreign = pp->dir == 0 ? f->cli_foreign : !f->cli_foreign;
    uint8_t *p = frame;
    memcpy(p, from_foreign ? mac_dom : mac_for, 6);
    memcpy(p + 6, from_foreign ? mac_for : mac_dom, 6);
    p += 12;
    if (f->vlan == VLAN_QINQ) {
        p = put16(p, 0x88a8);
        p = put16(p, f->vid_outer);
    }
    if (f->vlan != VLAN_NONE) {
        p = put16(p, 0x8100);
        p = put16(p, f->vid_inner);
    }
    p = put16(p, f->family == 4 ? 0x0800 : 0x86dd);

    unsigned l4_hdr = proto == 6 ? 20 + (pp->syn_opts ? 20 : f->ts_opt ? 12 : 0) : 8;
    unsigned l4_len = l4_hdr + pp->payload;
    const struct addr *src = pp->dir ? &f->srv : &f->cli, *dst = pp->dir ? &f->cli : &f->srv;
    uint8_t *ip = p;
    if (f->family == 4) {
        p[0] = 0x45;
        p[1] = 0;
        put16(p + 2, (uint16_t)(20 + l4_len));
        put16(p + 4, pp->dir ? f->ip_id_s++ : f->ip_id_c++);
        put16(p + 6, proto == 6 ? 0x4000 : 0); /* DF on TCP */
        p[8] = pp->dir ? f->ttl_s : f->ttl_c;
        p[9] = proto;
        put16(p + 10, 0);
        memcpy(p + 12, src->b, 4);
        memcpy(p + 16, dst->b, 4);
        put16(p + 10, ipv4_checksum(ip));
        p += 20;
    } else {
        put32(p, 0x60000000u | f->flow_label);
        put16(p + 4, (uint16_t)l4_len);
        p[6] = proto;
        p[7] = pp->dir ? f->ttl_s : f->ttl_c;
        memcpy(p + 8, src->b, 16);
        memcpy(p + 24, dst->b, 16);
        p += 40;
    }

    uint16_t sp = pp->dir ? f->sport : f->cport, dp = pp->dir ? f->cport : f->sport;
    if (proto == 6) {
        uint32_t *seq = pp->dir ? &f->seq_s : &f->seq_c, *ack = pp->dir ? &f->seq_c : &f->seq_s;
        bool rst_refused = (pp->flags & TH_RST) && f->sent == 1;
        p = put16(p, sp);
        p = put16(p, dp);
        p = put32(p, rst_refused ? 0 : *seq);
        p = put32(p, (pp->flags & TH_ACK) ? (rst_refused ? f->isn_c + 1 : *ack) : 0);
        *p++ = (uint8_t)((l4_hdr / 4) << 4);
        *p++ = pp->flags;
        p = put16(p, pp->syn_opts ? 64240 : (uint16_t)(501 + (f->sent & 0xff)));
        p = put32(p, 0); /* checksum, urgent pointer */
        uint32_t tsval = (uint32_t)(t_us / 1000) + f->isn_c;
        if (pp->syn_opts) {
            *p++ = 2; /* MSS */
            *p++ = 4;
            p = put16(p, (uint16_t)(1500 - ip_hdr - 20));
            *p++ = 4; /* SACK permitted */
            *p++ = 2;
            *p++ = 8; /* timestamps */
            *p++ = 10;
            p = put32(p, tsval);
            p = put32(p, pp->dir ? tsval - 7 : 0);
            *p++ = 1; /* NOP, then window scale 7 */
            *p++ = 3;
            *p++ = 3;
            *p++ = 7;
        } else if (f->ts_opt) {
            *p++ = 1;
            *p++ = 1;
            *p++ = 8;
            *p++ = 10;
            p = put32(p, tsval);
            p = put32(p, tsval - 3);
        }
        *seq += pp->payload + ((pp->flags & (TH_SYN | TH_FIN)) ? 1 : 0);
    } else if (proto == 17) {
        p = put16(p, sp);
        p = put16(p, dp);
        p = put16(p, (uint16_t)l4_len);
        p = put16(p, 0);
    } else {
        *p++ = pp->icmp_type;
        *p++ = 0;
        p = put16(p, 0);
        p = put16(p, f->icmp_id);
        p = put16(p, pp->icmp_seq);
    }
    pp->proto = proto;
    pp->ip_off = (unsigned)(ip - frame);
    pp->l4_off = (unsigned)(ip - frame) + ip_hdr;
    *hdr_len = (unsigned)(p - frame);
    return *hdr_len + pp->payload;
}

/* One's-complement sum of len bytes, an odd tail padded with zero (RFC 1071). */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
    for (; len > 1; len -= 2, p += 2)
        sum += (uint32_t)(p[0] << 8 | p[1]);
    if (len)
        sum += (uint32_t)p[0] << 8;
    return sum;
}

static uint16_t fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Fill in the TCP, UDP, ICMP or ICMPv6 checksum. Bytes past the snap length do not exist in the
 * file; the checksum treats them as zeros, so a packet captured whole verifies exactly. */
static void l4_checksum(uint8_t *frame, const struct pkt_plan *pp, unsigned cap, bool v6)
{
    uint8_t *l4 = frame + pp->l4_off;
    unsigned l4_len = cap > pp->l4_off ? cap - pp->l4_off : 0;
    unsigned full_len = (unsigned)(v6 ? (frame[pp->ip_off + 4] << 8 | frame[pp->ip_off + 5])
                                      : (frame[pp->ip_off + 2] << 8 | frame[pp->ip_off + 3]) - 20);
    unsigned csum_at = pp->proto == 6 ? 16 : pp->proto == 17 ? 6 : 2;
    if (l4_len < csum_at + 2)
        return; /* the checksum field itself was not captured */
    uint32_t sum = 0;
    if (pp->proto != 1) { /* pseudo-header (RFC 793, RFC 768, RFC 8200 section 8.1) */
        const uint8_t *ip = frame + pp->ip_off;
        sum = v6 ? sum16(ip + 8, 32, 0) : sum16(ip + 12, 8, 0);
        sum += pp->proto + full_len;
    }
    l4[csum_at] = l4[csum_at + 1] = 0;
    uint16_t c = fold(sum16(l4, l4_len, sum));
    if (pp->proto == 17 && c == 0)
        c = 0xffff; /* zero means "no checksum" in UDP */
    put16(l4 + csum_at, c);
}

/* A DNS message of exactly len bytes (RFC 1035): one question and, in a response, as many A
 * records as fit; the query name absorbs the rest. Built whole (it is short). */
static void build_dns(struct rng *r, uint8_t *p, unsigned len, bool response)
{
    unsigned answers = response ? (len < 92 ? 1 : (len - 76) / 16) : 0;
    unsigned qname = len - 12 - 4 - 16 * answers; /* 12..75 */
    put16(p, (uint16_t)rng_next(r));
    put16(p + 2, response ? 0x8180 : 0x0100);
    put16(p + 4, 1);
    put16(p + 6, (uint16_t)answers);
    put32(p + 8, 0);
    uint8_t *q = p + 12;
    unsigned left = qname - 1; /* bytes of labels before the root label */
    while (left > 0) {
        unsigned l = left - 1 < 15 ? left - 1 : 3 + rng_below(r, 13);
        if (left - 1 - l == 1) /* never leave a single byte: it could only be an empty label */
            l++;
        *q++ = (uint8_t)l;
        for (unsigned i = 0; i < l; i++)
            *q++ = (uint8_t)('a' + rng_below(r, 26));
        left -= l + 1;
    }
    *q++ = 0;
    q = put16(q, 1); /* QTYPE A */
    q = put16(q, 1); /* QCLASS IN */
    for (unsigned i = 0; i < answers; i++) {
        q = put16(q, 0xc00c);
        q = put16(q, 1);
        q = put16(q, 1);
        q = put32(q, 60 + rng_below(r, 3600));
        q = put16(q, 4);
        q = put32(q, (uint32_t)rng_next(r));
    }
}

/* ---- pcap output ----------------------------------------------------------------------- */

static int out_flush(struct gen *g)
{
    if (g->out_len && fwrite(g->out_buf, 1, g->out_len, g->out) != g->out_len)
        return -1;
    g->out_len = 0;
    return 0;
}

static inline void out_u32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
} /* host order */

static int write_pcap_header(struct gen *g)
{
    uint8_t h[24];
    out_u32(h, 0xa1b2c3d4u);
    uint16_t ver[2] = {2, 4};
    memcpy(h + 4, ver, 4);
    out_u32(h + 8, 0);  /* thiszone */
    out_u32(h + 12, 0); /* sigfigs */
    out_u32(h + 16, g->cfg->snaplen);
    out_u32(h + 20, 1); /* LINKTYPE_ETHERNET */
    memcpy(g->out_buf, h, 24);
    g->out_len = 24;
    return 0;
}

/* Build the next packet of f; write it when the capture has started (t >= warm-up). */
static int emit(struct gen *g, struct flow *f, uint64_t t_sim, uint64_t warmup_us)
{
    uint8_t *rec = g->out_buf + g->out_len;
    uint8_t *frame = rec + 16;
    unsigned hdr_len;
    struct pkt_plan pp;
    unsigned wire = build_frame(g, f, t_sim, frame, &hdr_len, &pp);
    f->sent++;
    if (t_sim < warmup_us)
        return 0;

    unsigned cap = wire < g->cfg->snaplen ? wire : g->cfg->snaplen;
    if (cap > hdr_len) {
        unsigned n = cap - hdr_len;
        if (g->cfg->canary)
            memcpy(frame + hdr_len, g->canary_pool, n);
        else if (f->kind == KIND_DNS)
            build_dns(&g->payload, frame + hdr_len, pp.payload, pp.dir == 1);
        else
            memcpy(frame + hdr_len, g->random_pool + rng_below(&g->payload, 65536), n);
    }
    l4_checksum(frame, &pp, cap, f->family == 6);
    uint64_t ts = CAPTURE_START_S * 1000000ull + (t_sim - warmup_us);
    if (ts <= g->last_ts_us && g->st.packets)
        ts = g->last_ts_us + 1; /* strictly increasing, as from one capture clock */
    g->last_ts_us = ts;
    out_u32(rec, (uint32_t)(ts / 1000000));
    out_u32(rec + 4, (uint32_t)(ts % 1000000));
    out_u32(rec + 8, cap);
    out_u32(rec + 12, wire);
    g->out_len += 16 + cap;
    if (g->out_len > OUT_BUFFER_BYTES - 16 - FRAME_MAX && out_flush(g))
        return -1;

    struct stats *st = &g->st;
    if (!st->packets)
        st->first_ts_us = ts;
    st->last_ts_us = ts;
    st->packets++;
    st->wire_bytes += wire;
    st->cap_bytes += cap;
    st->pkts_v6 += f->family == 6;
    st->pkts_dot1q += f->vlan == VLAN_DOT1Q;
    st->pkts_qinq += f->vlan == VLAN_QINQ;
    st->pkts_by_kind[f->kind]++;
    if (!f->in_capture) {
        /* A tracker names the direction from the first packet it sees; for a flow that began
         * before the capture that may be the responder's. */
        bool src_is_client = pp.dir == 0;
        f->selectable = f->hit && ((f->endpoints == EP_FOR_TO_DOM && src_is_client) ||
                                   (f->endpoints == EP_DOM_TO_FOR && !src_is_client));
        f->in_capture = 1;
        st->flows++;
        st->flows_hit += f->hit;
        st->flows_selectable += f->selectable;
        st->flows_by_kind[f->kind]++;
        st->flows_by_ep[f->endpoints]++;
        st->flows_midstream += f->sent > 1;
    }
    st->pkts_selectable += f->selectable;
    st->live_sum += g->heap_len + 1;
    if (g->heap_len + 1 > st->live_max)
        st->live_max = g->heap_len + 1;
    return 0;
}

static double exp_sample(struct rng *r, double mean)
{
    return -log(1.0 - rng_unit(r)) * mean;
}

/* The simulation: arrivals and the next packet of the earliest flow, in time order. */
static int run(struct gen *g)
{
    const struct gen_config *cfg = g->cfg;
    double mean_pkts = mean_flow_packets(cfg->seed, cfg->max_flow_packets);
    double pps = (double)cfg->packets / cfg->duration_s;
    double mean_arrival_us = 1e6 * mean_pkts / pps;
    /* Long enough that the capture opens in steady state for all but the longest elephants. */
    uint64_t warmup_us = (uint64_t)(cfg->duration_s * 1e6);
    double next_arrival = exp_sample(&g->r, mean_arrival_us);

    while (g->st.packets < cfg->packets) {
        if (g->heap_len == 0 || (uint64_t)next_arrival <= g->heap[0].t_us) {
            flow_start(g, (uint64_t)next_arrival);
            /* The capture would open a little slow (the longest flows are still ramping up):
             * steer arrivals so packets written track packets due, with a 5 s horizon. */
            double factor = 1.0;
            if (next_arrival > warmup_us) {
                double due = pps * (next_arrival - warmup_us) / 1e6;
                factor = 1.0 + (due - (double)g->st.packets) / (pps * 5.0);
                factor = factor < 0.8 ? 0.8 : factor > 1.25 ? 1.25 : factor;
            }
            next_arrival += exp_sample(&g->r, mean_arrival_us / factor);
            continue;
        }
        struct heap_item it = heap_pop(g);
        struct flow *f = &g->flows[it.idx];
        if (emit(g, f, it.t_us, warmup_us))
            return -1;
        if (f->sent < f->total) {
            uint64_t gap = (uint64_t)(f->gap_us * (0.5 + rng_unit(&g->r))) + 1;
            heap_push(g, it.t_us + gap, it.idx);
        } else {
            g->free_list[g->n_free++] = it.idx;
        }
    }
    return out_flush(g);
}

/* ---- indicator files and policy -------------------------------------------------------- */

static char *fmt_v4(char *buf, uint32_t a)
{
    sprintf(buf, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
    return buf;
}

static char *fmt_v6(char *buf, const uint8_t *b)
{
    inet_ntop(AF_INET6, b, buf, INET6_ADDRSTRLEN);
    return buf;
}

static FILE *open_in(const char *dir, const char *name, int mode, char *path, size_t pathlen)
{
    snprintf(path, pathlen, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return NULL;
    if (fchmod(fd, (mode_t)mode) != 0) { /* an existing file keeps its mode otherwise */
        close(fd);
        return NULL;
    }
    FILE *fp = fdopen(fd, "w");
    if (!fp)
        close(fd);
    return fp;
}

static int close_checked(FILE *fp)
{
    int bad = ferror(fp);
    return (fclose(fp) != 0 || bad) ? -1 : 0;
}

static int write_indicators(const struct gen_config *cfg, const struct plan *pl, uint64_t key_seed)
{
    const char *dir = cfg->indicators_dir;
    char path[4096], a[INET6_ADDRSTRLEN + 8];
    FILE *fp;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        goto fail_dir;

    if (!(fp = open_in(dir, "domestic.txt", 0644, path, sizeof path)))
        goto fail;
    fprintf(fp, "# mamori bench: domestic address plan (generated by gen_capture)\n");
    for (size_t i = 0; i < N_DOMESTIC_V4; i++)
        fprintf(fp, "%u.%u.0.0/16\n", domestic_v4[i][0], domestic_v4[i][1]);
    for (size_t i = 0; i < N_DOMESTIC_V6; i++)
        fprintf(fp, "%x:%x::/32\n", domestic_v6[i][0], domestic_v6[i][1]);
    if (close_checked(fp))
        goto fail;

    if (!(fp = open_in(dir, "v4-hosts.txt", 0644, path, sizeof path)))
        goto fail;
    for (size_t i = 0; i < pl->n_v4_hosts; i++)
        fprintf(fp, "%s\n", fmt_v4(a, pl->v4_hosts[i]));
    if (close_checked(fp))
        goto fail;

    if (!(fp = open_in(dir, "v4-prefixes.txt", 0644, path, sizeof path)))
        goto fail;
    for (size_t i = 0; i < pl->n_v4_prefixes; i++)
        fprintf(fp, "%s/%u\n", fmt_v4(a, pl->v4_prefixes[i].base), pl->v4_prefixes[i].len);
    if (close_checked(fp))
        goto fail;

    if (!(fp = open_in(dir, "v6.txt", 0644, path, sizeof path)))
        goto fail;
    for (size_t i = 0; i < pl->n_v6; i++) {
        if (pl->v6[i].len == 128)
            fprintf(fp, "%s\n", fmt_v6(a, pl->v6[i].b));
        else
            fprintf(fp, "%s/%u\n", fmt_v6(a, pl->v6[i].b), pl->v6[i].len);
    }
    if (close_checked(fp))
        goto fail;

    /* The bench key comes from the seed so runs are reproducible; it protects nothing real. */
    if (!(fp = open_in(dir, "pseudo.key", 0600, path, sizeof path)))
        goto fail;
    uint64_t ks = key_seed ^ 0x6b65796b65796b65ull;
    for (int i = 0; i < 4; i++)
        fprintf(fp, "%016" PRIx64, splitmix64(&ks));
    fprintf(fp, "\n");
    if (close_checked(fp))
        goto fail;

    if (!(fp = open_in(dir, "policy.json", 0644, path, sizeof path)))
        goto fail;
    fprintf(fp, "{\"policy_id\": \"bench\", \"route\": \"party_agreement\", \"domestic_prefixes\": "
                "[\"domestic.txt\"], \"pseudonymization_key\": \"pseudo.key\", "
                "\"flow_idle_timeout_s\": 60, \"flow_active_timeout_s\": 300,\n"
                " \"criteria\": [{\"id\": \"F-V4HOSTS\", \"match_file\": \"v4-hosts.txt\"}, "
                "{\"id\": \"F-V4NETS\", \"match_file\": \"v4-prefixes.txt\"}, "
                "{\"id\": \"F-V6\", \"match_file\": \"v6.txt\"}");
    if (cfg->small) {
        char b[INET6_ADDRSTRLEN];
        fprintf(fp, ",\n  {\"id\": \"C-001\", \"match\": \"%s\"}", fmt_v4(b, pl->watch_v4[0]));
        fprintf(fp,
                ",\n  {\"id\": \"C-002\", \"match\": \"%s\", \"proto\": \"tcp\", \"ports\": [443]}",
                fmt_v4(b, pl->watch_v4[1]));
        fprintf(fp, ",\n  {\"id\": \"C-003\", \"match\": \"%s\"}", fmt_v6(b, pl->watch_v6.b));
    }
    fprintf(fp, "]}\n");
    if (close_checked(fp))
        goto fail;
    return 0;
fail:
    fprintf(stderr, "gen_capture: %s: %s\n", path, strerror(errno));
    return -1;
fail_dir:
    fprintf(stderr, "gen_capture: %s: %s\n", dir, strerror(errno));
    return -1;
}

/* ---- main ------------------------------------------------------------------------------ */

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: gen_capture --out FILE.pcap [options]\n"
            "  --out FILE            write the classic pcap here ('-' for stdout)\n"
            "  --packets N           packets to write (default 6000000; --small: 2000)\n"
            "  --seed S              PRNG seed; the same seed gives the same bytes (default 1)\n"
            "  --duration-s SECONDS  capture span (default 120; --small: 10)\n"
            "  --snaplen N           caplen = min(wire length, N), 16..65535 (default 128)\n"
            "  --canary              fill every payload byte with \"MAMORICANARY\" repeated\n"
            "  --indicators-dir DIR  write domestic.txt, v4-hosts.txt, v4-prefixes.txt, v6.txt,\n"
            "                        pseudo.key (0600) and policy.json into DIR\n"
            "  --small               demo preset: 2000 packets, a few hundred indicators and\n"
            "                        single-address criteria C-001..C-003 in the policy\n"
            "Prints statistics of the capture as 'key value' lines on stdout.\n");
}

static bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-')
        return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static double pct(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * part / whole : 0;
}

static void print_stats(const struct gen *g, FILE *fp)
{
    const struct stats *st = &g->st;
    const struct gen_config *cfg = g->cfg;
    fprintf(fp, "packets %" PRIu64 "\n", st->packets);
    fprintf(fp, "wire_bytes %" PRIu64 "\n", st->wire_bytes);
    fprintf(fp, "captured_bytes %" PRIu64 "\n", st->cap_bytes);
    fprintf(fp, "file_bytes %" PRIu64 "\n", 24 + 16 * st->packets + st->cap_bytes);
    fprintf(fp, "seed %" PRIu64 "\n", cfg->seed);
    fprintf(fp, "snaplen %u\n", cfg->snaplen);
    fprintf(fp, "canary %s\n", cfg->canary ? "yes" : "no");
    fprintf(fp, "span_s %.3f\n", (st->last_ts_us - st->first_ts_us) / 1e6);
    fprintf(fp, "flows %" PRIu64 "\n", st->flows);
    fprintf(fp, "flows_midstream %" PRIu64 "\n", st->flows_midstream);
    fprintf(fp,
            "flows_tcp %" PRIu64 "\nflows_dns %" PRIu64 "\nflows_udp %" PRIu64
            "\nflows_icmp %" PRIu64 "\n",
            st->flows_by_kind[KIND_TCP], st->flows_by_kind[KIND_DNS], st->flows_by_kind[KIND_UDP],
            st->flows_by_kind[KIND_ICMP]);
    fprintf(fp,
            "flows_domestic_to_foreign %" PRIu64 "\nflows_foreign_to_domestic %" PRIu64
            "\nflows_foreign_foreign %" PRIu64 "\nflows_domestic_domestic %" PRIu64 "\n",
            st->flows_by_ep[EP_DOM_TO_FOR], st->flows_by_ep[EP_FOR_TO_DOM],
            st->flows_by_ep[EP_FOR_FOR], st->flows_by_ep[EP_DOM_DOM]);
    fprintf(fp, "flows_indicator %" PRIu64 "\n", st->flows_hit);
    fprintf(fp, "flows_expected_selected %" PRIu64 "\nflows_expected_selected_pct %.2f\n",
            st->flows_selectable, pct(st->flows_selectable, st->flows));
    fprintf(fp, "packets_expected_selected_pct %.2f\n", pct(st->pkts_selectable, st->packets));
    fprintf(fp, "live_flows_max %" PRIu64 "\nlive_flows_mean %.0f\n", st->live_max,
            st->packets ? (double)st->live_sum / st->packets : 0);
    fprintf(fp, "dropped_arrivals %" PRIu64 "\n", st->dropped_arrivals);
    fprintf(fp, "packets_ipv6_pct %.2f\npackets_dot1q_pct %.2f\npackets_qinq_pct %.2f\n",
            pct(st->pkts_v6, st->packets), pct(st->pkts_dot1q, st->packets),
            pct(st->pkts_qinq, st->packets));
    fprintf(fp, "packets_tcp_pct %.2f\npackets_udp_pct %.2f\npackets_icmp_pct %.2f\n",
            pct(st->pkts_by_kind[KIND_TCP], st->packets),
            pct(st->pkts_by_kind[KIND_DNS] + st->pkts_by_kind[KIND_UDP], st->packets),
            pct(st->pkts_by_kind[KIND_ICMP], st->packets));
    fprintf(fp, "mean_wire_bytes %.1f\n", st->packets ? (double)st->wire_bytes / st->packets : 0);
}

int main(int argc, char **argv)
{
    struct gen_config cfg = {.packets = 6000000, .seed = 1, .duration_s = 120, .snaplen = 128};
    bool set_packets = false, set_duration = false;
    static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                         {"packets", required_argument, 0, 'n'},
                                         {"seed", required_argument, 0, 's'},
                                         {"duration-s", required_argument, 0, 'd'},
                                         {"snaplen", required_argument, 0, 'l'},
                                         {"canary", no_argument, 0, 'c'},
                                         {"indicators-dir", required_argument, 0, 'i'},
                                         {"small", no_argument, 0, 'S'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    uint64_t v;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            cfg.out_path = optarg;
            break;
        case 'n':
            if (!parse_u64(optarg, 1, UINT32_MAX, &cfg.packets))
                goto bad;
            set_packets = true;
            break;
        case 's':
            if (!parse_u64(optarg, 0, UINT64_MAX, &cfg.seed))
                goto bad;
            break;
        case 'd':
            if (!parse_u64(optarg, 1, 86400, &v))
                goto bad;
            cfg.duration_s = (double)v;
            set_duration = true;
            break;
        case 'l':
            if (!parse_u64(optarg, 16, 65535, &v))
                goto bad;
            cfg.snaplen = (unsigned)v;
            break;
        case 'c':
            cfg.canary = true;
            break;
        case 'i':
            cfg.indicators_dir = optarg;
            break;
        case 'S':
            cfg.small = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            goto bad;
        }
    }
    if (optind != argc || !cfg.out_path)
        goto bad;

    if (cfg.small) {
        if (!set_packets)
            cfg.packets = 2000;
        if (!set_duration)
            cfg.duration_s = 10;
        cfg.n_v4_hosts = 300;
        cfg.n_v4_prefixes = 100;
        cfg.n_v6 = 100;
        cfg.max_flow_packets = 200;
    } else {
        cfg.n_v4_hosts = 1000000;
        cfg.n_v4_prefixes = 100000;
        cfg.n_v6 = 100000;
        cfg.max_flow_packets = 8000;
    }
    cfg.gap_scale = cfg.duration_s / 120.0;
    if (cfg.gap_scale > 1.0)
        cfg.gap_scale = 1.0;

    int rc = 1;
    struct gen *g = calloc(1, sizeof *g);
    struct plan *pl = calloc(1, sizeof *pl);
    if (!g || !pl)
        goto oom;
    g->cfg = &cfg;
    g->pl = pl;
    plan_init_tables(pl);
    if (plan_build_indicators(pl, &cfg, cfg.seed))
        goto oom;
    rng_seed(&g->r, cfg.seed);
    rng_seed(&g->payload, cfg.seed ^ 0x9a710adull);
    plan_build_pools(pl, &g->r);
    for (size_t i = 0; i < sizeof g->random_pool; i += 8) {
        uint64_t x = rng_next(&g->payload);
        memcpy(g->random_pool + i, &x, 8);
    }
    for (size_t i = 0; i < sizeof g->canary_pool; i++)
        g->canary_pool[i] = (uint8_t)canary_text[i % (sizeof canary_text - 1)];

    if (cfg.indicators_dir && write_indicators(&cfg, pl, cfg.seed))
        goto out;

    g->flows = malloc(FLOW_CAPACITY * sizeof *g->flows);
    g->free_list = malloc(FLOW_CAPACITY * sizeof *g->free_list);
    g->heap = malloc(FLOW_CAPACITY * sizeof *g->heap);
    g->out_buf = malloc(OUT_BUFFER_BYTES);
    if (!g->flows || !g->free_list || !g->heap || !g->out_buf)
        goto oom;
    for (uint32_t i = 0; i < FLOW_CAPACITY; i++)
        g->free_list[i] = FLOW_CAPACITY - 1 - i;
    g->n_free = FLOW_CAPACITY;

    bool to_stdout = strcmp(cfg.out_path, "-") == 0;
    g->out = to_stdout ? stdout : fopen(cfg.out_path, "wb");
    if (!g->out) {
        fprintf(stderr, "gen_capture: %s: %s\n", cfg.out_path, strerror(errno));
        goto out;
    }
    write_pcap_header(g);
    if (run(g) != 0 || (!to_stdout && close_checked(g->out) != 0) ||
        (to_stdout && fflush(stdout) != 0)) {
        fprintf(stderr, "gen_capture: %s: write failed: %s\n", cfg.out_path, strerror(errno));
        goto out;
    }
    print_stats(g, to_stdout ? stderr : stdout);
    rc = 0;
    goto out;
oom:
    fprintf(stderr, "gen_capture: out of memory\n");
out:
    if (g) {
        free(g->flows);
        free(g->free_list);
        free(g->heap);
        free(g->out_buf);
    }
    if (pl) {
        free(pl->taint24);
        free(pl->v4_hosts);
        free(pl->v4_prefixes);
        free(pl->v6);
    }
    free(g);
    free(pl);
    return rc;
bad:
    usage(stderr);
    return 2;
}
