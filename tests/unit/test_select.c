/* test_select.c - the selection contract end to end through the engine: routes, criteria, timeouts,
 * pseudonymization (with the Crypto-PAn reference key), eviction, fragments, sharding. */
#include "harness.h"
#include "testpkt.h"

#include "select/engine.h"
#include "select/policy.h"
#include "select/record_json.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T0 (1700000000LL * 1000000000LL) /* 2023-11-14T22:13:20Z */
#define SEC 1000000000LL

struct collected {
    size_t n;
    char *lines[4096];
    const struct mm_policy *policy;
};

static pthread_mutex_t collect_lock = PTHREAD_MUTEX_INITIALIZER;

/* Workers deliver concurrently: the collector locks. */
static int collect_deliver(void *ctx, unsigned worker, const struct mm_record *recs, size_t n,
                           struct mm_err *err)
{
    struct collected *c = ctx;
    pthread_mutex_lock(&collect_lock);
    for (size_t i = 0; i < n && c->n < 4096; i++) {
        char buf[4096];
        size_t len = mm_record_format_json(c->policy, &recs[i], buf, sizeof buf);
        c->lines[c->n++] = strndup(buf, len);
    }
    pthread_mutex_unlock(&collect_lock);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void collected_free(struct collected *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->lines[i]);
    c->n = 0;
}

/* Run selection over capture files with the policy; records sorted for
 * stable comparison. chunk: the byte ranges several workers read a pcap
 * in (0: the default). err may be NULL. */
static int run_files(const char *policy_path, const char *const *paths, size_t npaths, unsigned workers,
                     size_t max_flows, size_t chunk, struct collected *out, struct mm_select_stats *stats,
                     struct mm_policy **policy_out, struct mm_err *err_out)
{
    struct mm_err err;
    mm_err_clear(&err);
    struct mm_policy *p = NULL;
    int rc = mm_policy_load(policy_path, &p, &err);
    if (rc) {
        fprintf(stderr, "  policy: %s\n", err.msg);
        return rc;
    }
    out->policy = p;
    mm_select_stats_init(stats, p->ncriteria);
    struct mm_select_options opt = {.policy = p,
                                    .workers = workers,
                                    .max_flows = max_flows,
                                    .file_chunk_bytes = chunk,
                                    .deliver = collect_deliver,
                                    .deliver_ctx = out};
    rc = mm_select_run_files(&opt, paths, npaths, stats, &err);
    if (rc && !err_out)
        fprintf(stderr, "  run: %s\n", err.msg);
    if (err_out)
        *err_out = err;
    qsort(out->lines, out->n, sizeof out->lines[0], cmp_str);
    *policy_out = p;
    return rc;
}

static int run(const char *policy_path, const char *pcap, unsigned workers, size_t max_flows,
               struct collected *out, struct mm_select_stats *stats, struct mm_policy **policy_out)
{
    const char *paths[] = {pcap};
    return run_files(policy_path, paths, 1, workers, max_flows, 0, out, stats, policy_out, NULL);
}

static json_t *parse_line(const char *line)
{
    json_error_t e;
    json_t *j = json_loads(line, 0, &e);
    if (!j)
        fprintf(stderr, "  bad json: %s: %s\n", e.text, line);
    return j;
}

static const char *jstr(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }
static long long jint(json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }

static char *path_in(const char *name)
{
    static char buf[8][512];
    static int i;
    i = (i + 1) % 8;
    snprintf(buf[i], sizeof buf[i], "%s/%s", mm_test_tmpdir(), name);
    return buf[i];
}

TEST(select_known_answer_party_agreement)
{
    /* 128.11.0.0/16 is domestic here so the responder's pseudonym is a
     * published Crypto-PAn vector: 128.11.68.132 -> 135.242.180.132. */
    const char *pol = tp_policy(path_in("ka"), "party_agreement", "128.11.0.0/16\n",
                                "[{\"id\": \"C-001\", \"match\": \"198.51.100.7\"}]", NULL);
    FILE *f = tp_pcap_open(path_in("ka.pcap"));
    struct tp_pkt syn = {"198.51.100.7", "128.11.68.132", 6, 40000, 443, 0x02, 0, 0};
    struct tp_pkt synack = {"128.11.68.132", "198.51.100.7", 6, 443, 40000, 0x12, 0, 0};
    struct tp_pkt data = {"198.51.100.7", "128.11.68.132", 6, 40000, 443, 0x18, 100, 0};
    tp_pcap_add(f, T0, &syn);
    tp_pcap_add(f, T0 + 1500, &synack);
    tp_pcap_add(f, T0 + 2 * SEC + 123456789, &data);
    fclose(f);
    struct collected c = {0};
    struct mm_select_stats st;
    struct mm_policy *p;
    ASSERT_EQ(run(pol, path_in("ka.pcap"), 1, 1000, &c, &st, &p), 0);
    ASSERT_EQ(c.n, 1);
    ASSERT_STR_EQ(c.lines[0],
                  "{\"policy_id\":\"test-1\",\"route\":\"party_agreement\",\"direction\":"
                  "\"foreign_to_domestic\",\"proto\":6,\"src_addr\":\"198.51.100.7\",\"src_port\":"
                  "40000,\"src_pseudonymized\":false,\"dst_addr\":\"135.242.180.132\",\"dst_port\":"
                  "443,\"dst_pseudonymized\":true,\"packets\":3,\"bytes\":220,\"tcp_flags\":26,"
                  "\"first_seen\":\"2023-11-14T22:13:20.000000Z\",\"last_seen\":"
                  "\"2023-11-14T22:13:22.123456Z\",\"criteria\":[\"C-001\"]}\n");
    ASSERT_U64_EQ(st.packets, 3);
    ASSERT_U64_EQ(st.flows_selected, 1);
    ASSERT_U64_EQ(st.selected_per_criterion[0], 1);
    collected_free(&c);
    mm_select_stats_fini(&st);
    mm_policy_free(p);
}

/* For each route, one indicator flow in every direction: exactly the
 * route's direction is selected, and domestic-to-domestic never is. */
TEST(select_every_route_allows_one_direction)
{
    static const char *routes[] = {"party_agreement", "transit", "inbound", "outbound"};
    static const char *expect[] = {"foreign_to_domestic", "foreign_to_foreign", "foreign_to_domestic",
                                   "domestic_to_foreign"};
    FILE *f = tp_pcap_open(path_in("routes.pcap"));
    /* f2d, d2f, f2f, d2d (the domestic indicator 133.9.9.9 is a criterion too) */
    struct tp_pkt pk[] = {{"198.51.100.7", "133.1.1.1", 17, 1000, 53, 0, 10, 0},
                          {"133.1.1.2", "198.51.100.7", 17, 1001, 53, 0, 10, 0},
                          {"198.51.100.7", "203.0.113.9", 17, 1002, 53, 0, 10, 0},
                          {"133.9.9.9", "133.1.1.3", 17, 1003, 53, 0, 10, 0}};
    for (int i = 0; i < 4; i++)
        tp_pcap_add(f, T0 + i * SEC, &pk[i]);
    fclose(f);
    for (int r = 0; r < 4; r++) {
        char dir[64];
        snprintf(dir, sizeof dir, "route-%d", r);
        const char *pol =
            tp_policy(path_in(dir), routes[r], "133.0.0.0/8\n",
                      "[{\"id\": \"C-1\", \"match\": \"198.51.100.7\"}, {\"id\": \"C-2\", \"match\": "
                      "\"133.9.9.9\"}]",
                      NULL);
        struct collected c = {0};
        struct mm_select_stats st;
        struct mm_policy *p;
        ASSERT_EQ(run(pol, path_in("routes.pcap"), 1, 1000, &c, &st, &p), 0);
        ASSERT_EQ(c.n, 1);
        json_t *j = parse_line(c.lines[0]);
        ASSERT_TRUE(j);
        ASSERT_STR_EQ(jstr(j, "direction"), expect[r]);
        ASSERT_STR_EQ(jstr(j, "route"), routes[r]);
        json_decref(j);
        ASSERT_U64_EQ(st.discarded_domestic_to_domestic, 1);
        ASSERT_U64_EQ(st.discarded_route_direction, 2);
        ASSERT_U64_EQ(st.flows_seen[MM_DIR_DOMESTIC_TO_DOMESTIC], 1);
        ASSERT_U64_EQ(st.flows_seen[MM_DIR_FOREIGN_TO_FOREIGN], 1);
        collected_free(&c);
        mm_select_stats_fini(&st);
        mm_policy_free(p);
    }
}

TEST(select_special_purpose_ranges_are_domestic)
{
    const char *pol = tp_policy(path_in("sp"), "party_agreement", "133.0.0.0/8\n",
                                "[{\"id\": \"C-1\", \"match\": \"198.51.100.0/24\"},"
                                " {\"id\": \"C-6\", \"match\": \"2001:db8:77::/48\"}]",
                                NULL);
    FILE *f = tp_pcap_open(path_in("sp.pcap"));
    const char *domestic[] = {"0.1.2.3",     "10.1.2.3",  "100.64.0.1", "127.0.0.1",
                              "169.254.1.1", "172.16.0.1", "192.168.1.1", "224.0.0.251",
                              "240.0.0.1"};
    for (int i = 0; i < 9; i++) {
        struct tp_pkt pk = {"198.51.100.7", domestic[i], 17, (uint16_t)(2000 + i), 53, 0, 0, 0};
        tp_pcap_add(f, T0 + i * SEC, &pk);
    }
    const char *domestic6[] = {"::1", "fd00::1", "fe80::1", "ff02::fb"};
    for (int i = 0; i < 4; i++) {
        struct tp_pkt pk = {"2001:db8:77::5", domestic6[i], 17, (uint16_t)(3000 + i), 53, 0, 0, 0};
        tp_pcap_add(f, T0 + (10 + i) * SEC, &pk);
    }
    /* 100.128.0.1 is just outside 100.64/10: foreign, so foreign-to-foreign. */
    struct tp_pkt outside = {"198.51.100.7", "100.128.0.1", 17, 4000, 53, 0, 0, 0};
    tp_pcap_add(f, T0 + 20 * SEC, &outside);
    fclose(f);
    struct collected c = {0};
    struct mm_select_stats st;
    struct mm_policy *p;
    ASSERT_EQ(run(pol, path_in("sp.pcap"), 1, 1000, &c, &st, &p), 0);
    ASSERT_EQ(c.n, 13);
    ASSERT_U64_EQ(st.flows_seen[MM_DIR_FOREIGN_TO_DOMESTIC], 13);
    ASSERT_U64_EQ(st.flows_seen[MM_DIR_FOREIGN_TO_FOREIGN], 1);
    collected_free(&c);
    mm_select_stats_fini(&st);
    mm_policy_free(p);
}

TEST(select_ports_and_proto_apply_to_matching_endpoint)
{
    const char *pol = tp_policy(
        path_in("ports"), "party_agreement", "133.0.0.0/8\n",
        "[{\"id\": \"C-200\", \"match\": \"192.0.2.10\", \"proto\": \"tcp\", \"ports\": [8443]}]", NULL);
    FILE *f = tp_pcap_open(path_in("ports.pcap"));
    struct tp_pkt yes = {"192.0.2.10", "133.1.1.1", 6, 8443, 50000, 0x12, 0, 0};
    struct tp_pkt wrong_end = {"192.0.2.10", "133.1.1.1", 6, 12345, 8443, 0x02, 0, 0};
    struct tp_pkt wrong_proto = {"192.0.2.10", "133.1.1.1", 17, 8443, 50001, 0, 0, 0};
    struct tp_pkt other_host = {"192.0.2.11", "133.1.1.1", 6, 8443, 50002, 0x02, 0, 0};
    tp_pcap_add(f, T0, &yes);
    tp_pcap_add(f, T0 + SEC, &wrong_end);
    tp_pcap_add(f, T0 + 2 * SEC, &wrong_proto);
    tp_pcap_add(f, T0 + 3 * SEC, &other_host);
    fclose(f);
    struct collected c = {0};
    struct mm_select_stats st;
    struct mm_policy *p;
    ASSERT_EQ(run(pol, path_in("ports.pcap"), 1, 1000, &c, &st, &p), 0);
    ASSERT_EQ(c.n, 1);
    json_t *j = parse_line(c.lines[0]);
    ASSERT_EQ(jint(j, "src_port"), 8443);
    ASSERT_STR_EQ(jstr(j, "src_addr"), "192.0.2.10");
    json_decref(j);
    ASSERT_U64_EQ(st.discarded_no_criterion, 3);
    collected_free(&c);
    mm_select_stats_fini(&st);
    mm_policy_free(p);
}

/* A criterion active from T0+10 s to T0+20 s: only the packets inside the
 * window form a selected piece. */
TEST(select_time_bounds_split_flows)
{
    const char *pol = tp_policy(path_in("time"), "party_agreement", "133.0.0.0/8\n",
                                "[{\"id\": \"C-T\", \"match\": \"198.51.100.7\", \"not_before\": "
                                "\"2023-11-14T22:13:30Z\", \"not_after\": \"2023-11-14T22:13:40Z\"}]",
                                NULL);
    FILE *f = tp_pcap_open(path_in("time.pcap"));
    struct tp_pkt pk = {"198.51.100.7", "133.1.1.1", 17, 5353, 53, 0, 20, 0};
    int64_t at[] = {5, 12, 15, 25};
    for (int i = 0; i < 4; i++)
        tp_pcap_add(f, T0 + at[i] * SEC, &pk);
    fclose(f);
    struct collected c = {0};
    struct mm_select_stats st;
    struct mm_policy *p;
    ASSERT_EQ(run(pol, path_in("time.pcap"), 1, 1000, &c, &st, &p), 0);
    ASSERT_EQ(c.n, 1);
    json_t *j = parse_line(c.lines[0]);
    ASSERT_EQ(jint(j, "packets"), 2);
    ASSERT_STR_EQ(jstr(j, "first_seen"), "2023-11-14T22:13:32.000000Z");
    ASSERT_STR_EQ(jstr(j, "last_seen"), "2023-11-14T22:13:35.000000Z");
    json_decref(j);
    ASSERT_U64_EQ(st.discarded_no_criterion, 2);
    collected_free(&c);
    mm_select_stats_fini(&st);
    mm_policy_free(p);
}

TEST(select_idle_and_active_timeouts)
{
    const char *pol = tp_policy(path_in("tmo"), "party_agreement", "133.0.0.0/8\n",
                                "[{\"id\": \"C-1\", \"match\": \"198.51.100.7\"}]",
                                "\"flow_idle_timeout_s\": 60, \"flow_active_timeout_s\": 300");
    FILE *f = tp_pcap_open(path_in("tmo.pcap"));
    /* flow A: idle gap of 70 s -> two records, the second initiated by the
     * other side (a new flow's initiator is its first packet's sender) */
    struct tp_pkt a1 = {"198.51.100.7", "133.1.1.1", 6, 1111, 22, 0x02, 0, 0};
    struct tp_pkt a2 = {"133.1.1.1", "198.51.100.7", 6, 22, 1111, 0x12, 0, 0};
    tp_pcap_add(f, T0, &a1);
    tp_pcap_add(f, T0 + 30 * SEC, &a2);
    tp_pcap_add(f, T0 + 100 * SEC, &a2);
    /* flow B: a packet every 50 s for 650 s -> pieces of at most 300 s */
    struct tp_pkt b = {"198.51.100.7", "133.1.1.2", 17, 2222, 123, 0, 0, 0};
    for (int i = 0; i <= 13; i++)
        tp_pcap_add(f, T0 + 1 * SEC + i * 50 * SEC, &b);
    fclose(f);
    struct collected c = {0};
    struct mm_select_stats st;
    struct mm_policy *p;
    ASSERT_EQ(run(pol, path_in("tmo.pcap"), 1, 1000, &c, &st, &p), 0);
    ASSERT_EQ(c.n, 4);
    int a_fwd = 0, a_rev = 0, b_pieces = 0, b_packets = 0;
    for (size_t i = 0; i < c.n; i++) {
        json_t *j = parse_line(c.lines[i]);
        if (jint(j, "proto") == 6) {
            if (strcmp(jstr(j, "src_addr"), "198.51.100.7") == 0) {
                a_fwd++;
                ASSERT_EQ(jint(j, "packets"), 2);
            } else {
                a_rev++;
                ASSERT_EQ(jint(j, "packets"), 1);
                ASSERT_EQ(jint(j, "src_port"), 22);
                ASSERT_STR_EQ(jstr(j, "direction"), "domestic_to_foreign");
            }
        } else {
            b_pieces++;
            b_packets += (int)jint(j, "packets");
            ASSERT_EQ(jint(j, "src_port"), 2222);
        }
        json_decref(j);
    }
    /* the reversed flow is domestic-to-foreign: not allowed, not emitted */
    ASSERT_EQ(a_fwd, 1);
    ASSERT_EQ(a_rev, 0);
    ASSERT_EQ(b_pieces, 3);
    ASSERT_EQ(b_packets, 14);
    ASSERT_U64_EQ(st.discarded_route_direction, 1);
    collected_free(&c);
    mm_select_stats_fini(&st);
    mm_policy_free(p);
}

TEST(select_ipv6_feed_and_sorted_criteria)
{
    char feed[512];
    snprintf(feed, sizeof feed, "%s/feed.txt", path_in("v6"));
    const char *pol = tp_policy(path_in("v6"), "party_agreement", "2001:db8:aa::/48\n133.0.0.0/8\n",
                                "[{\"id\": \"Z-9\", \"match\": \"2001:db8:77::5\"},"
                                " {\"id\": \"F-001\", \"match_file\": \"feed.txt\", \"not_after\": "
                                "\"2027-01-01T00:00:00Z\"},"
                                " {\"id\": \"A-1\", \"match\": \"2001:db8:77::/64\", \"proto\": \"udp\"}]",
                                NULL);
    FILE *ff = fopen(feed, "w");
    fputs("# feed\n2001:db8:77::5\n198.51.100.0/24 ; comment\n", ff);
    fclose(ff);
    FILE *f = tp_pcap_open(path_in("v6.pcap"));
    struct tp_pkt u = {"2001:db8:77::5", "2001:db8:aa::1", 17, 5000, 53, 0, 0, 0};
    struct tp_pkt t = {"2001:db8:77::5", "2001:db8:aa::1", 6, 5000, 443, 0x02, 0, 0};
    tp_pcap_add(f, T0, &u);
    tp_pcap_add(f, T0 + SEC, &t);
    fclose(f);
    struct collected c = {0};
    struct mm_select_stats st;
    struct mm_policy *p;
    ASSERT_EQ(run(pol, path_in("v6.pcap"), 1, 1000, &c, &st, &p), 0);
    ASSERT_EQ(c.n, 2);
    /* sorted lines: the TCP one ("proto":6) sorts before UDP ("proto":17)? compare criteria instead */
    int seen_udp = 0, seen_tcp = 0;
    for (size_t i = 0; i < c.n; i++) {
        if (strstr(c.lines[i], "\"proto\":17")) {
            seen_udp = 1;
            ASSERT_CONTAINS(c.lines[i], "\"criteria\":[\"A-1\",\"F-001\",\"Z-9\"]");
        } else {
            seen_tcp = 1;
            ASSERT_CONTAINS(c.lines[i], "\"criteria\":[\"F-001\",\"Z-9\"]");
        }
        ASSERT_CONTAINS(c.lines[i], "\"src_addr\":\"2001:db8:77::5\"");
        ASSERT_CONTAINS(c.lines[i], "\"dst_pseudonymized\":true");
        ASSERT_TRUE(!strstr(c.lines[i], "2001:db8:aa::1"));
    }
    ASSERT_TRUE(seen_udp && seen_tcp);
    collected_free(&c);
    mm_select_stats_fini(&st);
    mm_policy_free(p);
}

TEST(select_full_table_evicts_and_counts)
{
    const char *pol = tp_policy(path_in("evict"), "party_agreement", "133.0.0.0/8\n",
                                "[{\"id\": \"C-1\", \"match\": \"198.51.100.0/24\"}]", NULL);
    FILE *f = tp_pcap_open(path_in("evict.pcap"));
    for (int i = 0; i < 10; i++) {
        struct tp_pkt pk = {"198.51.100.7", "133.1.1.1", 6, (uint16_t)(10000 + i), 80, 0x02, 0, 0};
        tp_pcap_add(f, T0 + i * 1000, &pk);
    }
    fclose(f);
    struct collected c = {0};
    struct mm_select_stats st;
    struct mm_policy *p;
    ASSERT_EQ(run(pol, path_in("evict.pcap"), 1, 4, &c, &st, &p), 0);
    ASSERT_EQ(c.n, 10);
    ASSERT_U64_EQ(st.flows_evicted, 6);
    collected_free(&c);
    mm_select_stats_fini(&st);
    mm_policy_free(p);
}

static size_t ipv4_fragment(uint8_t *buf, uint16_t id, uint16_t frag_field, size_t l3_payload,
                            bool with_udp)
{
    struct tp_pkt pk = {"198.51.100.7", "133.1.1.1", 17, 7777, 53, 0, l3_payload - 8, 0};
    size_t n = tp_frame(buf, &pk);
    uint8_t *ip = buf + 14;
    ip[4] = (uint8_t)(id >> 8);
    ip[5] = (uint8_t)id;
    ip[6] = (uint8_t)(frag_field >> 8);
    ip[7] = (uint8_t)frag_field;
    if (!with_udp)
        memset(ip + 20, 'x', 8); /* later fragment: no UDP header there */
    return n;
}

TEST(select_ipv4_fragments_join_their_flow)
{
    const char *pol = tp_policy(path_in("frag"), "party_agreement", "133.0.0.0/8\n",
                                "[{\"id\": \"C-1\", \"match\": \"198.51.100.7\"}]", NULL);
    FILE *f = tp_pcap_open(path_in("frag.pcap"));
    uint8_t buf[2048];
    size_t n = ipv4_fragment(buf, 0x1234, 0x2000, 1480, true); /* MF, offset 0 */
    tp_pcap_add_raw(f, T0, buf, n);
    n = ipv4_fragment(buf, 0x1234, 185, 520, false); /* offset 1480 */
    tp_pcap_add_raw(f, T0 + 10, buf, n);
    n = ipv4_fragment(buf, 0x9999, 185, 520, false); /* orphan */
    tp_pcap_add_raw(f, T0 + 20, buf, n);
    fclose(f);
    struct collected c = {0};
    struct mm_select_stats st;
    struct mm_policy *p;
    ASSERT_EQ(run(pol, path_in("frag.pcap"), 1, 100, &c, &st, &p), 0);
    ASSERT_EQ(c.n, 1);
    json_t *j = parse_line(c.lines[0]);
    ASSERT_EQ(jint(j, "packets"), 2);
    ASSERT_EQ(jint(j, "bytes"), 1500 + 540);
    ASSERT_EQ(jint(j, "dst_port"), 53);
    json_decref(j);
    ASSERT_U64_EQ(st.fragments_unmatched, 1);
    collected_free(&c);
    mm_select_stats_fini(&st);
    mm_policy_free(p);
}

/* Sharding must not change what is selected: two workers give exactly the
 * records one worker gives. Also: no non-indicator address ever in clear. */
TEST(select_two_workers_match_one)
{
    const char *pol = tp_policy(path_in("shard"), "party_agreement", "133.0.0.0/8\n",
                                "[{\"id\": \"C-1\", \"match\": \"198.51.100.0/25\"}]", NULL);
    FILE *f = tp_pcap_open(path_in("shard.pcap"));
    char src[32], dst[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(src, sizeof src, "198.51.100.%d", i % 256);
        snprintf(dst, sizeof dst, "133.%d.%d.1", (i * 7) % 256, (i / 256) % 256);
        struct tp_pkt pk = {src, dst, (uint8_t)(i % 3 ? 6 : 17), (uint16_t)(1024 + i % 5000), 443,
                            0x10, (size_t)(i % 200), (uint16_t)(i % 4 == 0 ? 100 : 0)};
        tp_pcap_add(f, T0 + i * 1000000LL, &pk);
        struct tp_pkt back = {dst, src, pk.proto, 443, pk.dport ? pk.sport : 0, 0x10, 10, pk.vlan};
        back.dport = pk.sport;
        tp_pcap_add(f, T0 + i * 1000000LL + 500, &back);
    }
    fclose(f);
    struct collected one = {0}, two = {0};
    struct mm_select_stats s1, s2;
    struct mm_policy *p1, *p2;
    ASSERT_EQ(run(pol, path_in("shard.pcap"), 1, 100000, &one, &s1, &p1), 0);
    ASSERT_EQ(run(pol, path_in("shard.pcap"), 2, 100000, &two, &s2, &p2), 0);
    ASSERT_TRUE(one.n > 100);
    ASSERT_EQ(one.n, two.n);
    for (size_t i = 0; i < one.n && i < two.n; i++)
        ASSERT_STR_EQ(one.lines[i], two.lines[i]);
    ASSERT_U64_EQ(s1.packets, s2.packets);
    ASSERT_U64_EQ(s1.discarded_no_criterion, s2.discarded_no_criterion);
    for (size_t i = 0; i < one.n; i++) {
        json_t *j = parse_line(one.lines[i]);
        const char *sa = jstr(j, "src_addr"), *da = jstr(j, "dst_addr");
        ASSERT_TRUE(json_is_false(json_object_get(j, "src_pseudonymized")));
        ASSERT_TRUE(strncmp(sa, "198.51.100.", 11) == 0 && atoi(sa + 11) < 128);
        ASSERT_TRUE(strncmp(da, "133.", 4) != 0); /* the domestic side never in clear */
        json_decref(j);
    }
    collected_free(&one);
    collected_free(&two);
    mm_select_stats_fini(&s1);
    mm_select_stats_fini(&s2);
    mm_policy_free(p1);
    mm_policy_free(p2);
}

/* A payload that looks like a run of pcap records: 16-byte headers (this
 * capture's time, a valid microsecond fraction) each followed by 16 bytes. */
static size_t fake_records_frame(uint8_t *buf, int64_t ts_ns)
{
    struct tp_pkt pk = {"198.51.100.9", "133.1.2.3", 17, 5353, 53, 0, 0, 0};
    size_t n = tp_frame(buf, &pk);
    size_t body = 12 * 32;
    for (size_t k = 0; k < 12; k++) {
        uint32_t hdr[4] = {(uint32_t)(ts_ns / SEC), 1234, 16, 16};
        memcpy(buf + n + k * 32, hdr, 16);
        memset(buf + n + k * 32 + 16, 0xab, 16);
    }
    /* The frame's IP and UDP lengths must cover the payload. */
    size_t ip = 14;
    uint16_t iplen = (uint16_t)(n - ip + body), udplen = (uint16_t)(n - ip - 20 + body);
    buf[ip + 2] = (uint8_t)(iplen >> 8);
    buf[ip + 3] = (uint8_t)iplen;
    buf[ip + 24] = (uint8_t)(udplen >> 8);
    buf[ip + 25] = (uint8_t)udplen;
    return n + body;
}

/* Traffic for the chunked-reading tests: flows in and out of 133/8 (some
 * selected), mixed sizes, and packets whose payload imitates records. */
static void write_mixed(const char *path, int first, int count)
{
    FILE *f = tp_pcap_open(path);
    char src[32], dst[32];
    uint8_t frame[2048];
    for (int i = first; i < first + count; i++) {
        int64_t ts = T0 + i * 1000000LL;
        if (i % 17 == 0) {
            tp_pcap_add_raw(f, ts, frame, fake_records_frame(frame, ts));
            continue;
        }
        snprintf(src, sizeof src, "198.51.100.%d", i % 256);
        snprintf(dst, sizeof dst, "133.%d.%d.1", (i * 7) % 256, (i / 256) % 256);
        struct tp_pkt pk = {src, dst, (uint8_t)(i % 3 ? 6 : 17), (uint16_t)(1024 + i % 700), 443,
                            0x10, (size_t)(i % 300), (uint16_t)(i % 4 == 0 ? 100 : 0)};
        tp_pcap_add(f, ts, &pk);
    }
    fclose(f);
}

static void assert_same_run(struct collected *a, struct mm_select_stats *sa, struct collected *b,
                            struct mm_select_stats *sb)
{
    ASSERT_EQ(a->n, b->n);
    for (size_t i = 0; i < a->n && i < b->n; i++)
        ASSERT_STR_EQ(a->lines[i], b->lines[i]);
    ASSERT_U64_EQ(sa->packets, sb->packets);
    ASSERT_U64_EQ(sa->bytes_captured, sb->bytes_captured);
    ASSERT_U64_EQ(sa->bytes_wire, sb->bytes_wire);
    ASSERT_U64_EQ(sa->flows_selected, sb->flows_selected);
    ASSERT_U64_EQ(sa->discarded_no_criterion, sb->discarded_no_criterion);
    ASSERT_U64_EQ(sa->discarded_route_direction, sb->discarded_route_direction);
}

/* Several workers read a pcap in byte ranges and guess where each range's
 * first record starts. Payloads that imitate record headers must not
 * change a thing: the guess is checked against the previous range and the
 * range decoded again. Ranges of many sizes, files in sequence. */
TEST(select_chunked_reading_matches_in_order)
{
    const char *pol = tp_policy(path_in("chunk"), "party_agreement", "133.0.0.0/8\n",
                                "[{\"id\": \"C-1\", \"match\": \"198.51.100.0/25\"}]", NULL);
    write_mixed(path_in("chunk-a.pcap"), 0, 2500);
    write_mixed(path_in("chunk-b.pcap"), 2500, 1500);
    const char *paths[] = {path_in("chunk-a.pcap"), path_in("chunk-b.pcap")};
    struct collected one = {0};
    struct mm_select_stats s1;
    struct mm_policy *p1;
    ASSERT_EQ(run_files(pol, paths, 2, 1, 100000, 0, &one, &s1, &p1, NULL), 0);
    ASSERT_TRUE(one.n > 100);
    ASSERT_U64_EQ(s1.packets, 4000);
    static const size_t chunks[] = {17, 200, 700, 4096, 65536, 0};
    uint64_t redecoded = 0;
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++)
        for (unsigned workers = 2; workers <= 3; workers++) {
            struct collected two = {0};
            struct mm_select_stats s2;
            struct mm_policy *p2;
            ASSERT_EQ(run_files(pol, paths, 2, workers, 100000, chunks[c], &two, &s2, &p2, NULL), 0);
            assert_same_run(&one, &s1, &two, &s2);
            redecoded += s2.chunks_redecoded;
            collected_free(&two);
            mm_select_stats_fini(&s2);
            mm_policy_free(p2);
        }
    /* The imitation was good enough to fool the guess at least once. */
    ASSERT_TRUE(redecoded > 0);
    collected_free(&one);
    mm_select_stats_fini(&s1);
    mm_policy_free(p1);
}

/* Two workers in ranges of several sizes fail with code, as one worker
 * did (its records, counters and message given). */
static void fails_like_one_worker(const char *pol, const char *const *paths, size_t npaths, int code,
                                  struct collected *one, struct mm_select_stats *s1, const struct mm_err *e1)
{
    static const size_t chunks[] = {64, 1000, 0};
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        struct collected two = {0};
        struct mm_select_stats s2;
        struct mm_policy *p2;
        struct mm_err e2;
        ASSERT_EQ(run_files(pol, paths, npaths, 2, 100000, chunks[c], &two, &s2, &p2, &e2), code);
        ASSERT_STR_EQ(e1->msg, e2.msg);
        assert_same_run(one, s1, &two, &s2);
        collected_free(&two);
        mm_select_stats_fini(&s2);
        mm_policy_free(p2);
    }
}

/* A bad record in the middle of a file read in byte ranges: the run stops
 * where reading in order stops, with the same message (file and offset),
 * the same records and the same counts; later ranges and files, already
 * read ahead, leave no trace. */
TEST(select_chunked_reading_stops_at_first_bad_record)
{
    const char *pol = tp_policy(path_in("chunkbad"), "party_agreement", "133.0.0.0/8\n",
                                "[{\"id\": \"C-1\", \"match\": \"198.51.100.0/25\"}]", NULL);
    const char *a = path_in("chunkbad-a.pcap"), *b = path_in("chunkbad-b.pcap");
    write_mixed(a, 0, 3000);
    write_mixed(b, 3000, 500);
    /* Corrupt the caplen of a record about two thirds in: find it by walking. */
    FILE *f = fopen(a, "r+b");
    ASSERT_TRUE(f != NULL);
    long off = 24;
    for (int i = 0; i < 2000; i++) {
        uint32_t hdr[4];
        fseek(f, off, SEEK_SET);
        ASSERT_EQ(fread(hdr, 4, 4, f), 4);
        off += 16 + (long)hdr[2];
    }
    uint32_t huge = 0x7fffffff;
    fseek(f, off + 8, SEEK_SET);
    fwrite(&huge, 4, 1, f);
    fclose(f);
    const char *paths[] = {a, b};
    struct collected one = {0};
    struct mm_select_stats s1;
    struct mm_policy *p1;
    struct mm_err e1;
    ASSERT_EQ(run_files(pol, paths, 2, 1, 100000, 0, &one, &s1, &p1, &e1), MM_EFORMAT);
    ASSERT_U64_EQ(s1.packets, 2000);
    char where[64];
    snprintf(where, sizeof where, "offset %ld:", off);
    ASSERT_TRUE(strstr(e1.msg, where) != NULL);
    fails_like_one_worker(pol, paths, 2, MM_EFORMAT, &one, &s1, &e1);
    /* Truncated in the middle of a record, in the first file of two. */
    ASSERT_EQ(truncate(a, off + 10), 0);
    collected_free(&one);
    mm_select_stats_fini(&s1);
    mm_policy_free(p1);
    ASSERT_EQ(run_files(pol, paths, 2, 1, 100000, 0, &one, &s1, &p1, &e1), MM_ETRUNCATED);
    fails_like_one_worker(pol, paths, 2, MM_ETRUNCATED, &one, &s1, &e1);
    collected_free(&one);
    mm_select_stats_fini(&s1);
    mm_policy_free(p1);
}
