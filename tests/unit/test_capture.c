/* test_capture.c - pcap/pcapng readers: formats, timestamps, link types, every kind of damage. */
#include "harness.h"

#include "net/capture.h"
#include "net/decode.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

/* A byte buffer written in a chosen byte order. */
struct buf {
    uint8_t b[4096];
    size_t n;
    bool be;
};

static void b8(struct buf *w, uint8_t v)
{
    w->b[w->n++] = v;
}
static void b16(struct buf *w, uint16_t v)
{
    if (w->be) {
        b8(w, (uint8_t)(v >> 8));
        b8(w, (uint8_t)v);
    } else {
        b8(w, (uint8_t)v);
        b8(w, (uint8_t)(v >> 8));
    }
}
static void b32(struct buf *w, uint32_t v)
{
    if (w->be) {
        b16(w, (uint16_t)(v >> 16));
        b16(w, (uint16_t)v);
    } else {
        b16(w, (uint16_t)v);
        b16(w, (uint16_t)(v >> 16));
    }
}
static void bput(struct buf *w, const void *p, size_t n)
{
    memcpy(w->b + w->n, p, n);
    w->n += n;
}
static void bpad4(struct buf *w)
{
    while (w->n % 4)
        b8(w, 0);
}

/* Ethernet + IPv4 + UDP, 42 bytes; sport varies so packets are told apart. */
static const uint8_t *frame_eth_udp(uint16_t sport)
{
    static uint8_t f[42];
    static const uint8_t tmpl[42] = {
        0,    1, 2, 3,  4, 5, 6, 7, 8,  9,  10, 11, 0x08, 0x00,                    /* Ethernet */
        0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0,  0,  10,   0,    0, 1, 10, 0, 0, 2, /* IPv4 */
        0,    0, 0, 53, 0, 8, 0, 0};                                               /* UDP */
    memcpy(f, tmpl, sizeof f);
    f[34] = (uint8_t)(sport >> 8);
    f[35] = (uint8_t)sport;
    return f;
}

/* Raw IPv6 + UDP, 48 bytes. */
static const uint8_t *frame_raw6(void)
{
    static const uint8_t f[48] = {0x60, 0, 0, 0, 0, 8, 17, 64, 0x20, 1,    0xd, 0xb8, 0, 0, 0, 0,
                                  0,    0, 0, 0, 0, 0, 0,  1,  0x20, 1,    0xd, 0xb8, 0, 0, 0, 0,
                                  0,    0, 0, 0, 0, 0, 0,  2,  0x12, 0x34, 0,   80,   0, 8, 0, 0};
    return f;
}

static void pcap_hdr(struct buf *w, uint32_t magic, uint32_t snaplen, uint32_t network)
{
    b32(w, magic);
    b16(w, 2);
    b16(w, 4);
    b32(w, 0);
    b32(w, 0);
    b32(w, snaplen);
    b32(w, network);
}

static void pcap_rec(struct buf *w, uint32_t sec, uint32_t frac, const uint8_t *data,
                     uint32_t caplen, uint32_t wirelen)
{
    b32(w, sec);
    b32(w, frac);
    b32(w, caplen);
    b32(w, wirelen);
    bput(w, data, caplen);
}

static const char *write_file(const char *name, const struct buf *w, size_t len)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", mm_test_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return NULL;
    if (len && fwrite(w->b, 1, len, f) != len) {
        fclose(f);
        return NULL;
    }
    fclose(f);
    return path;
}

/* Three Ethernet packets, one second apart. */
static void small_pcap(struct buf *w, bool be, bool ns)
{
    memset(w, 0, sizeof *w);
    w->be = be;
    pcap_hdr(w, ns ? 0xa1b23c4d : 0xa1b2c3d4, 65535, 1);
    for (uint32_t i = 0; i < 3; i++)
        pcap_rec(w, 1700000000 + i, ns ? 123456789 : 123456, frame_eth_udp((uint16_t)(1000 + i)),
                 42, 60);
}

TEST(capture_pcap_us_ns_both_orders)
{
    for (int be = 0; be < 2; be++) {
        for (int ns = 0; ns < 2; ns++) {
            struct buf w;
            small_pcap(&w, be, ns);
            const char *path = write_file("small.pcap", &w, w.n);
            ASSERT_TRUE(path);
            struct mm_capture *cap;
            struct mm_err err = {0};
            ASSERT_EQ(mm_capture_open_file(&cap, path, &err), 0);
            ASSERT_EQ(mm_capture_offset(cap), 24);
            struct mm_packet pkt;
            for (uint32_t i = 0; i < 3; i++) {
                ASSERT_EQ(mm_capture_next(cap, &pkt, &err), MM_CAPTURE_PACKET);
                ASSERT_EQ(pkt.ts_ns,
                          (int64_t)(1700000000 + i) * 1000000000 + (ns ? 123456789 : 123456000));
                ASSERT_EQ(pkt.caplen, 42);
                ASSERT_EQ(pkt.wirelen, 60);
                ASSERT_EQ(pkt.linktype, MM_LINK_ETHERNET);
                struct mm_packet_facts pf;
                ASSERT_EQ(mm_decode(pkt.linktype, pkt.data, pkt.caplen, &pf), MM_DECODE_OK);
                ASSERT_EQ(pf.src_port, 1000 + i);
                ASSERT_EQ(pf.dst_port, 53);
            }
            ASSERT_EQ(mm_capture_next(cap, &pkt, &err), MM_CAPTURE_END);
            ASSERT_EQ(mm_capture_next(cap, &pkt, &err), MM_CAPTURE_END);
            ASSERT_EQ(mm_capture_offset(cap), w.n);
            ASSERT_EQ(mm_capture_dropped(cap), 0);
            mm_capture_break(cap); /* no-op for files */
            mm_capture_close(cap);
            ASSERT_EQ(err.code, 0);
        }
    }
}

TEST(capture_pcap_fcs_bits_and_modified)
{
    struct buf w = {.be = true};
    pcap_hdr(&w, 0xa1b2c3d4, 65535, 0x10000000u | 101); /* FCS length bits set */
    pcap_rec(&w, 1, 2, frame_raw6(), 48, 48);
    struct mm_capture *cap;
    struct mm_err err = {0};
    ASSERT_EQ(mm_capture_open_memory(&cap, w.b, w.n, "fcs.pcap", &err), 0);
    struct mm_packet pkt;
    ASSERT_EQ(mm_capture_next(cap, &pkt, &err), MM_CAPTURE_PACKET);
    ASSERT_EQ(pkt.linktype, MM_LINK_RAW);
    ASSERT_EQ(pkt.ts_ns, 1000002000);
    mm_capture_close(cap);

    /* Kuznetzov's modified format: 24-byte record headers. */
    struct buf m = {0};
    pcap_hdr(&m, 0xa1b2cd34, 65535, 1);
    b32(&m, 5);
    b32(&m, 6);
    b32(&m, 42);
    b32(&m, 42);
    b32(&m, 3); /* ifindex */
    b16(&m, 0x0800);
    b8(&m, 0);
    b8(&m, 0);
    bput(&m, frame_eth_udp(7), 42);
    ASSERT_EQ(mm_capture_open_memory(&cap, m.b, m.n, "mod.pcap", &err), 0);
    ASSERT_EQ(mm_capture_next(cap, &pkt, &err), MM_CAPTURE_PACKET);
    ASSERT_EQ(pkt.caplen, 42);
    ASSERT_EQ(pkt.ts_ns, 5000006000);
    ASSERT_EQ(pkt.data[34], 0);
    ASSERT_EQ(pkt.data[35], 7);
    ASSERT_EQ(mm_capture_next(cap, &pkt, &err), MM_CAPTURE_END);
    mm_capture_close(cap);
}

TEST(capture_header_only_and_empty)
{
    struct buf w = {0};
    pcap_hdr(&w, 0xa1b2c3d4, 65535, 1);
    const char *path = write_file("hdr.pcap", &w, w.n);
    struct mm_capture *cap;
    struct mm_err err = {0};
    ASSERT_EQ(mm_capture_open_file(&cap, path, &err), 0);
    struct mm_packet pkt;
    ASSERT_EQ(mm_capture_next(cap, &pkt, &err), MM_CAPTURE_END);
    mm_capture_close(cap);

    path = write_file("empty.pcap", &w, 0);
    ASSERT_TRUE(mm_capture_open_file(&cap, path, &err) < 0);
    ASSERT_TRUE(cap == NULL);
    ASSERT_CONTAINS(err.msg, "empty.pcap");
    ASSERT_CONTAINS(err.msg, "offset 0");

    mm_err_clear(&err);
    ASSERT_EQ(mm_capture_open_file(&cap, "/nonexistent/x.pcap", &err), MM_ENOTFOUND);
    ASSERT_CONTAINS(err.msg, "/nonexistent/x.pcap");

    mm_err_clear(&err);
    static const uint8_t junk[] = "GET / HTTP/1.1\r\n";
    ASSERT_EQ(mm_capture_open_memory(&cap, junk, sizeof junk, "x", &err), MM_EFORMAT);
    ASSERT_STR_EQ(err.msg, "x: offset 0: not a pcap or pcapng file (magic 0x47455420)");
}

TEST(capture_pcap_bad_records)
{
    struct buf w;
    small_pcap(&w, false, false);
    /* caplen of the second record far beyond any snaplen */
    size_t rec2 = 24 + 16 + 42;
    struct buf bad = w;
    bad.n = rec2 + 8;
    b32(&bad, 300000);
    bad.n = w.n;
    struct mm_capture *cap;
    struct mm_err err = {0};
    ASSERT_EQ(mm_capture_open_memory(&cap, bad.b, bad.n, "x.pcap", &err), 0);
    struct mm_packet pkt;
    ASSERT_EQ(mm_capture_next(cap, &pkt, &err), MM_CAPTURE_PACKET);
    ASSERT_EQ(mm_capture_next(cap, &pkt, &err), MM_EFORMAT);
    ASSERT_STR_EQ(err.msg,
                  "x.pcap: offset 82: packet record caplen 300000 exceeds the maximum of 262144");
    /* Sticky: the same error again, even into a fresh buffer. */
    struct mm_err err2 = {0};
    ASSERT_EQ(mm_capture_next(cap, &pkt, &err2), MM_EFORMAT);
    ASSERT_STR_EQ(err2.msg, err.msg);
    mm_capture_close(cap);

    /* Truncated mid-packet. */
    mm_err_clear(&err);
    ASSERT_EQ(mm_capture_open_memory(&cap, w.b, w.n - 10, "t.pcap", &err), 0);
    ASSERT_EQ(mm_capture_next(cap, &pkt, &err), MM_CAPTURE_PACKET);
    ASSERT_EQ(mm_capture_next(cap, &pkt, &err), MM_CAPTURE_PACKET);
    ASSERT_EQ(mm_capture_next(cap, &pkt, &err), MM_ETRUNCATED);
    ASSERT_STR_EQ(err.msg,
                  "t.pcap: offset 140: truncated packet record (caplen 42, 32 bytes left)");
    mm_capture_close(cap);

    /* Wrong major version. */
    mm_err_clear(&err);
    bad = w;
    bad.b[4] = 3;
    ASSERT_EQ(mm_capture_open_memory(&cap, bad.b, bad.n, "v.pcap", &err), MM_EFORMAT);
    ASSERT_CONTAINS(err.msg, "unsupported pcap version 3.4");
}

/* A record boundary in a file, and how many packets precede it. */
struct cut {
    size_t at;
    int packets;
};

/* Every prefix of a valid file: the packets that fit, then a clean END when
 * the cut is on a record boundary, else an error naming the file and offset. */
static void check_prefixes(const struct buf *w, const char *name, const struct cut *cuts, int ncuts)
{
    for (size_t len = 0; len <= w->n; len++) {
        struct mm_capture *cap = NULL;
        struct mm_err err = {0};
        int rc = mm_capture_open_memory(&cap, w->b, len, name, &err);
        int packets = 0;
        struct mm_packet pkt;
        if (rc == 0)
            while ((rc = mm_capture_next(cap, &pkt, &err)) == MM_CAPTURE_PACKET)
                packets++;
        mm_capture_close(cap);
        int fit = 0;
        bool boundary = false;
        for (int i = 0; i < ncuts; i++) {
            if (cuts[i].at <= len)
                fit = cuts[i].packets;
            if (cuts[i].at == len)
                boundary = true;
        }
        if (boundary) {
            if (rc != MM_CAPTURE_END || packets != fit)
                MM_FAIL_("%s prefix %zu: rc %d, %d packets, expected END after %d", name, len, rc,
                         packets, fit);
        } else {
            if (rc >= 0)
                MM_FAIL_("%s prefix %zu: rc %d, expected an error", name, len, rc);
            if (packets != fit)
                MM_FAIL_("%s prefix %zu: %d packets before the error, expected %d", name, len,
                         packets, fit);
            ASSERT_CONTAINS(err.msg, name);
            ASSERT_CONTAINS(err.msg, "offset");
            ASSERT_TRUE(rc == MM_ETRUNCATED || rc == MM_EFORMAT);
        }
    }
}

TEST(capture_pcap_every_prefix)
{
    struct buf w;
    small_pcap(&w, true, true);
    struct cut cuts[] = {{24, 0}, {24 + 58, 1}, {24 + 2 * 58, 2}, {24 + 3 * 58, 3}};
    check_prefixes(&w, "p.pcap", cuts, 4);
}

/* pcapng writer */
static size_t blk_begin(struct buf *w, uint32_t type)
{
    size_t at = w->n;
    b32(w, type);
    b32(w, 0); /* patched by blk_end */
    return at;
}
static void blk_end(struct buf *w, size_t at)
{
    bpad4(w);
    uint32_t len = (uint32_t)(w->n - at + 4);
    b32(w, len);
    size_t save = w->n;
    w->n = at + 4;
    b32(w, len);
    w->n = save;
}
static void shb(struct buf *w)
{
    size_t at = blk_begin(w, 0x0a0d0d0a);
    b32(w, 0x1a2b3c4d);
    b16(w, 1);
    b16(w, 0);
    b32(w, 0xffffffff); /* section length -1 */
    b32(w, 0xffffffff);
    /* shb_userappl option */
    b16(w, 4);
    b16(w, 6);
    bput(w, "mamori", 6);
    bpad4(w);
    b16(w, 0);
    b16(w, 0);
    blk_end(w, at);
}
static void idb(struct buf *w, uint16_t linktype, uint32_t snaplen, int tsresol, int64_t tsoffset)
{
    size_t at = blk_begin(w, 1);
    b16(w, linktype);
    b16(w, 0);
    b32(w, snaplen);
    b16(w, 2); /* if_name */
    b16(w, 4);
    bput(w, "eth0", 4);
    if (tsresol >= 0) {
        b16(w, 9);
        b16(w, 1);
        b8(w, (uint8_t)tsresol);
        bpad4(w);
    }
    if (tsoffset) {
        b16(w, 14);
        b16(w, 8);
        b32(w, (uint32_t)((uint64_t)tsoffset >> (w->be ? 32 : 0)));
        b32(w, (uint32_t)((uint64_t)tsoffset >> (w->be ? 0 : 32)));
    }
    b16(w, 0);
    b16(w, 0);
    blk_end(w, at);
}
static void epb(struct buf *w, uint32_t iface, uint64_t ts, const uint8_t *data, uint32_t caplen,
                uint32_t wirelen)
{
    size_t at = blk_begin(w, 6);
    b32(w, iface);
    b32(w, (uint32_t)(ts >> 32));
    b32(w, (uint32_t)ts);
    b32(w, caplen);
    b32(w, wirelen);
    bput(w, data, caplen);
    bpad4(w);
    b16(w, 1); /* opt_comment */
    b16(w, 2);
    bput(w, "hi", 2);
    bpad4(w);
    b16(w, 0);
    b16(w, 0);
    blk_end(w, at);
}
static void spb(struct buf *w, const uint8_t *data, uint32_t len)
{
    size_t at = blk_begin(w, 3);
    b32(w, len);
    bput(w, data, len);
    blk_end(w, at);
}
static void other_block(struct buf *w, uint32_t type)
{
    size_t at = blk_begin(w, type);
    b32(w, 0x01020304);
    blk_end(w, at);
}

/* A pcapng with two interfaces (Ethernet us-default, raw ns with an
 * offset), EPBs on both, a name resolution block, an SPB, an obsolete PB.
 * Records every block boundary in cuts when given. */
static void small_pcapng(struct buf *w, bool be, struct cut *cuts, int *ncuts)
{
    memset(w, 0, sizeof *w);
    w->be = be;
    int n = 0, packets = 0;
#define CUT(npk)                                                                                   \
    do {                                                                                           \
        packets += (npk);                                                                          \
        if (cuts)                                                                                  \
            cuts[n++] = (struct cut){w->n, packets};                                               \
    } while (0)
    shb(w);
    CUT(0);
    idb(w, 1, 65535, -1, 0);
    CUT(0);
    idb(w, 101, 0, 9, 10);
    CUT(0);
    epb(w, 0, 1700000000123456ull, frame_eth_udp(1), 42, 42);
    CUT(1);
    other_block(w, 4); /* name resolution: skipped */
    CUT(0);
    epb(w, 1, 1700000001987654321ull, frame_raw6(), 48, 48);
    CUT(1);
    spb(w, frame_eth_udp(3), 42);
    CUT(1);
    /* obsolete Packet Block on interface 0 */
    size_t at = blk_begin(w, 2);
    b16(w, 0);
    b16(w, 0);
    b32(w, 0);
    b32(w, 5);
    b32(w, 42);
    b32(w, 1514);
    bput(w, frame_eth_udp(4), 42);
    blk_end(w, at);
    CUT(1);
#undef CUT
    if (ncuts)
        *ncuts = n;
}

TEST(capture_pcapng_two_ifaces_spb_pb)
{
    for (int be = 0; be < 2; be++) {
        struct buf w;
        small_pcapng(&w, be, NULL, NULL);
        const char *path = write_file("small.pcapng", &w, w.n);
        struct mm_capture *cap;
        struct mm_err err = {0};
        ASSERT_EQ(mm_capture_open_file(&cap, path, &err), 0);
        struct mm_packet pkt;
        struct mm_packet_facts pf;
        ASSERT_EQ(mm_capture_next(cap, &pkt, &err), MM_CAPTURE_PACKET);
        ASSERT_EQ(pkt.linktype, 1);
        ASSERT_EQ(pkt.ts_ns, 1700000000123456000ll);
        ASSERT_EQ(mm_decode(pkt.linktype, pkt.data, pkt.caplen, &pf), MM_DECODE_OK);
        ASSERT_EQ(pf.src_port, 1);

        ASSERT_EQ(mm_capture_next(cap, &pkt, &err), MM_CAPTURE_PACKET);
        ASSERT_EQ(pkt.linktype, 101);
        ASSERT_EQ(pkt.ts_ns, 1700000011987654321ll); /* if_tsoffset 10 s */
        ASSERT_EQ(pkt.caplen, 48);
        ASSERT_EQ(mm_decode(pkt.linktype, pkt.data, pkt.caplen, &pf), MM_DECODE_OK);
        ASSERT_EQ(pf.src.family, 6);
        ASSERT_EQ(pf.src_port, 0x1234);

        ASSERT_EQ(mm_capture_next(cap, &pkt, &err), MM_CAPTURE_PACKET); /* SPB */
        ASSERT_EQ(pkt.linktype, 1);
        ASSERT_EQ(pkt.ts_ns, 1700000011987654321ll); /* previous packet's time */
        ASSERT_EQ(pkt.caplen, 42);
        ASSERT_EQ(pkt.wirelen, 42);
        ASSERT_EQ(mm_decode(pkt.linktype, pkt.data, pkt.caplen, &pf), MM_DECODE_OK);
        ASSERT_EQ(pf.src_port, 3);

        ASSERT_EQ(mm_capture_next(cap, &pkt, &err), MM_CAPTURE_PACKET); /* PB */
        ASSERT_EQ(pkt.ts_ns, 5 * 1000ll);
        ASSERT_EQ(pkt.wirelen, 1514);
        ASSERT_EQ(mm_decode(pkt.linktype, pkt.data, pkt.caplen, &pf), MM_DECODE_OK);
        ASSERT_EQ(pf.src_port, 4);
        ASSERT_EQ(mm_capture_next(cap, &pkt, &err), MM_CAPTURE_END);
        ASSERT_EQ(err.code, 0);
        mm_capture_close(cap);
    }
}

TEST(capture_pcapng_tsresol_pow2_and_sections)
{
    struct buf w = {0};
    shb(&w);
    idb(&w, 101, 0, 0x80 | 10, 0); /* 1/1024 s */
    epb(&w, 0, 3 * 1024 + 512, frame_raw6(), 48, 48);
    /* A second section, other byte order: interfaces start over. */
    struct buf s2 = {.be = true};
    shb(&s2);
    idb(&s2, 1, 0, 3, 0); /* ms */
    epb(&s2, 0, 7, frame_eth_udp(9), 42, 42);
    epb(&s2, 1, 7, frame_eth_udp(9), 42, 42); /* interface 1 not defined here */
    bput(&w, s2.b, s2.n);

    struct mm_capture *cap;
    struct mm_err err = {0};
    ASSERT_EQ(mm_capture_open_memory(&cap, w.b, w.n, "s.pcapng", &err), 0);
    struct mm_packet pkt;
    ASSERT_EQ(mm_capture_next(cap, &pkt, &err), MM_CAPTURE_PACKET);
    ASSERT_EQ(pkt.ts_ns, 3500000000ll);
    ASSERT_EQ(mm_capture_next(cap, &pkt, &err), MM_CAPTURE_PACKET);
    ASSERT_EQ(pkt.ts_ns, 7000000ll);
    ASSERT_EQ(pkt.linktype, 1);
    uint64_t bad_at = mm_capture_offset(cap);
    ASSERT_EQ(mm_capture_next(cap, &pkt, &err), MM_EFORMAT);
    char want[128];
    snprintf(want, sizeof want, "s.pcapng: offset %" PRIu64 ": interface id 1 is not defined",
             bad_at);
    ASSERT_CONTAINS(err.msg, want);
    mm_capture_close(cap);
}

TEST(capture_pcapng_bad_blocks)
{
    struct buf w;
    int ncuts;
    struct cut cuts[16];
    small_pcapng(&w, false, cuts, &ncuts);
    size_t epb_at = cuts[2].at;
    struct mm_capture *cap;
    struct mm_err err;
    struct mm_packet pkt;

    struct {
        size_t at;
        uint32_t val;
        int code;
        const char *msg;
    } cases[] = {
        {epb_at + 4, 7, MM_EFORMAT, "block length 7 is less than 12"},
        {epb_at + 4, 70, MM_EFORMAT, "block length 70 is not a multiple of 4"},
        {epb_at + 4, 1u << 20, MM_ETRUNCATED, "truncated block (length 1048576"},
        {epb_at + 4, 24, MM_EFORMAT, "trailing block length"},
        {epb_at + 8, 2, MM_EFORMAT, "interface id 2 is not defined (2 interfaces)"},
        {epb_at + 20, 60, MM_EFORMAT, "captured length 60 does not fit the block"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct buf bad = w;
        memcpy(bad.b + cases[i].at, &cases[i].val, 4); /* little-endian host and file */
        mm_err_clear(&err);
        ASSERT_EQ(mm_capture_open_memory(&cap, bad.b, bad.n, "x.pcapng", &err), 0);
        ASSERT_EQ(mm_capture_next(cap, &pkt, &err), cases[i].code);
        char want[64];
        snprintf(want, sizeof want, "x.pcapng: offset %zu: ", epb_at);
        ASSERT_CONTAINS(err.msg, want);
        ASSERT_CONTAINS(err.msg, cases[i].msg);
        mm_capture_close(cap);
    }

    /* Bad byte-order magic in the first section. */
    struct buf bad = w;
    bad.b[8] = 0x99;
    mm_err_clear(&err);
    ASSERT_EQ(mm_capture_open_memory(&cap, bad.b, bad.n, "y.pcapng", &err), MM_EFORMAT);
    ASSERT_CONTAINS(err.msg, "y.pcapng: offset 0: bad pcapng byte-order magic");

    /* SPB before any IDB. */
    struct buf s = {0};
    shb(&s);
    spb(&s, frame_eth_udp(1), 42);
    mm_err_clear(&err);
    ASSERT_EQ(mm_capture_open_memory(&cap, s.b, s.n, "z.pcapng", &err), 0);
    ASSERT_EQ(mm_capture_next(cap, &pkt, &err), MM_EFORMAT);
    ASSERT_CONTAINS(err.msg, "simple packet block before any interface");
    mm_capture_close(cap);

    /* An option that runs past its block. */
    struct buf o = {0};
    shb(&o);
    size_t at = blk_begin(&o, 1);
    b16(&o, 1);
    b16(&o, 0);
    b32(&o, 0);
    b16(&o, 9);
    b16(&o, 40);
    b32(&o, 0);
    blk_end(&o, at);
    mm_err_clear(&err);
    ASSERT_EQ(mm_capture_open_memory(&cap, o.b, o.n, "o.pcapng", &err), 0);
    ASSERT_EQ(mm_capture_next(cap, &pkt, &err), MM_EFORMAT);
    ASSERT_CONTAINS(err.msg, "option 9 length 40 overruns the block");
    mm_capture_close(cap);
}

TEST(capture_pcapng_iface_cap)
{
    /* 4097 minimal IDBs (20 bytes each) after a bare 28-byte SHB. */
    size_t n = 28 + 4097 * 20;
    uint8_t *b = calloc(1, n);
    ASSERT_TRUE(b);
    struct buf h = {0};
    size_t at = blk_begin(&h, 0x0a0d0d0a);
    b32(&h, 0x1a2b3c4d);
    b16(&h, 1);
    b16(&h, 0);
    b32(&h, 0xffffffff);
    b32(&h, 0xffffffff);
    blk_end(&h, at);
    memcpy(b, h.b, h.n);
    for (size_t i = 0; i < 4097; i++) {
        struct buf d = {0};
        at = blk_begin(&d, 1);
        b16(&d, 1);
        b16(&d, 0);
        b32(&d, 0);
        blk_end(&d, at);
        memcpy(b + 28 + i * 20, d.b, 20);
    }
    struct mm_capture *cap;
    struct mm_err err = {0};
    struct mm_packet pkt;
    int rc = mm_capture_open_memory(&cap, b, n, "i.pcapng", &err);
    if (rc == 0) {
        rc = mm_capture_next(cap, &pkt, &err);
        mm_capture_close(cap);
    }
    free(b);
    ASSERT_EQ(rc, MM_EFORMAT);
    ASSERT_CONTAINS(err.msg, "more than 4096 interfaces");
}

TEST(capture_pcapng_every_prefix)
{
    for (int be = 0; be < 2; be++) {
        struct buf w;
        struct cut cuts[16];
        int ncuts;
        small_pcapng(&w, be, cuts, &ncuts);
        check_prefixes(&w, be ? "be.pcapng" : "le.pcapng", cuts, ncuts);
    }
}

/* Real captures from the shared data set: each must read to a clean end,
 * with as many packets as libpcap reads and at least ip_min decoded. */
static int read_real(const char *path, int *packets, int *ip_packets)
{
    struct mm_capture *cap;
    struct mm_err err = {0};
    int rc = mm_capture_open_file(&cap, path, &err);
    if (rc < 0)
        return rc;
    struct mm_packet pkt;
    *packets = *ip_packets = 0;
    while ((rc = mm_capture_next(cap, &pkt, &err)) == MM_CAPTURE_PACKET) {
        struct mm_packet_facts pf;
        ++*packets;
        if (mm_decode(pkt.linktype, pkt.data, pkt.caplen, &pf) == MM_DECODE_OK)
            ++*ip_packets;
    }
    mm_capture_close(cap);
    return rc;
}

TEST(capture_real_files)
{
    const char *shared = mm_test_shared_data();
    if (!shared)
        return; /* skipped: no shared data */
    static const struct {
        const char *file;
        int packets, ip_min;
    } files[] = {
        {"pcaps/tcpdump-tests/802.1ad_QinQ.pcap", 2, 0}, /* ARP in QinQ */
        {"pcaps/tcpdump-tests/OSPFv2_Capture_FINAL.pcapng", 30, 30},
        {"pcaps/tcpdump-tests/bgp-enhanced-route-refresh-subtype.pcapng", 3, 3}, /* SLL */
        {"pcaps/tcpdump-tests/dns-badcookie.pcap", 4, 4},                        /* NULL */
        {"pcaps/tcpdump-tests/LINKTYPE_RAW_ipv6.pcap", 1, 1},
        {"pcaps/tcpdump-tests/LINKTYPE_IPV4.pcap", 1, 1},
        {"pcaps/tcpdump-tests/ipv6_jumbogram_1.pcap", 1, 1},
        {"pcaps/tcpdump-tests/bigtcp-ipv6-hbh.pcap", 1, 1},
        {"pcaps/zeek-traces/linux_dlt_sll2.pcap", 6, 4},
        {"pcaps/zeek-traces/ipv4/fragmented-syn.pcap", 2, 2},
    };
    int found = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", shared, files[i].file);
        int n = 0, ip = 0;
        int rc = read_real(path, &n, &ip);
        if (rc == MM_ENOTFOUND)
            continue;
        found++;
        if (rc != MM_CAPTURE_END)
            MM_FAIL_("%s: rc %d", path, rc);
        if (n != files[i].packets || ip < files[i].ip_min)
            MM_FAIL_("%s: %d packets, %d IP; expected %d, >= %d IP", path, n, ip, files[i].packets,
                     files[i].ip_min);
    }
    ASSERT_TRUE(found > 0);
}

TEST(capture_live_loopback)
{
    struct mm_capture *cap;
    struct mm_err err = {0};
    ASSERT_TRUE(mm_capture_open_live(&cap, "mm-no-such-if0", 10, &err) < 0);
    ASSERT_TRUE(cap == NULL);
    ASSERT_CONTAINS(err.msg, "mm-no-such-if0: cannot capture: ");

    mm_err_clear(&err);
    if (mm_capture_open_live(&cap, "lo", 10, &err) < 0)
        return; /* skipped: no capture privileges here */
    struct mm_packet pkt;
    for (int i = 0; i < 3; i++) {
        int rc = mm_capture_next(cap, &pkt, &err);
        ASSERT_TRUE(rc == MM_CAPTURE_PACKET || rc == MM_CAPTURE_IDLE);
        if (rc == MM_CAPTURE_PACKET) {
            ASSERT_EQ(pkt.linktype, MM_LINK_ETHERNET);
            ASSERT_TRUE(pkt.caplen <= 512);
        }
    }
    ASSERT_EQ(mm_capture_offset(cap), 0);
    mm_capture_break(cap);
    ASSERT_EQ(mm_capture_next(cap, &pkt, &err), MM_CAPTURE_END);
    ASSERT_EQ(mm_capture_next(cap, &pkt, &err), MM_CAPTURE_END);
    (void)mm_capture_dropped(cap);
    mm_capture_close(cap);
}

/* ---- the sequential reader (read(2) into a buffer) against the mapped one ---- */

/* Both readers over path: the same packets (their bytes too), offsets,
 * statuses and messages. chunk is the sequential reader's read size. */
static void compare_readers(const char *path, size_t chunk)
{
    struct mm_capture *a = NULL, *b = NULL;
    struct mm_err ea = {0}, eb = {0};
    int ra = mm_capture_open_file(&a, path, &ea);
    int rb = mm_capture_open_sequential(&b, path, chunk, &eb);
    if (ra != rb || strcmp(ea.msg, eb.msg) != 0)
        MM_FAIL_("%s (chunk %zu): open gives %d '%s' and %d '%s'", path, chunk, ra, ea.msg, rb, eb.msg);
    size_t n = 0;
    while (ra == 0) {
        struct mm_packet pa, pb;
        ra = mm_capture_next(a, &pa, &ea);
        rb = mm_capture_next(b, &pb, &eb);
        if (ra != rb)
            MM_FAIL_("%s (chunk %zu): packet %zu: status %d and %d", path, chunk, n, ra, rb);
        if (ra != MM_CAPTURE_PACKET)
            break;
        if (pa.ts_ns != pb.ts_ns || pa.caplen != pb.caplen || pa.wirelen != pb.wirelen ||
            pa.linktype != pb.linktype || memcmp(pa.data, pb.data, pa.caplen) != 0 ||
            mm_capture_offset(a) != mm_capture_offset(b))
            MM_FAIL_("%s (chunk %zu): packet %zu differs", path, chunk, n);
        n++;
        ra = 0;
    }
    if (ra < 0 && strcmp(ea.msg, eb.msg) != 0)
        MM_FAIL_("%s (chunk %zu): '%s' and '%s'", path, chunk, ea.msg, eb.msg);
    mm_capture_close(a);
    mm_capture_close(b);
}

static void compare_small(const struct buf *w, size_t len, const char *name)
{
    const char *path = write_file(name, w, len);
    ASSERT_TRUE(path != NULL);
    static const size_t chunks[] = {1, 7, 61, 4096, 0};
    for (size_t i = 0; i < sizeof chunks / sizeof *chunks; i++)
        compare_readers(path, chunks[i]);
}

TEST(capture_sequential_small_files)
{
    struct buf w;
    for (int v = 0; v < 4; v++) {
        small_pcap(&w, v & 1, v & 2);
        for (size_t len = 0; len <= w.n; len++) /* every prefix: ends, cuts, headers */
            compare_small(&w, len, "seq.pcap");
    }
    small_pcap(&w, false, false);
    w.n = 24 + 16 + 42 + 8;
    b32(&w, 300000); /* caplen over the maximum */
    w.n = 24 + 3 * 58;
    compare_small(&w, w.n, "caplen.pcap");
    int ncuts;
    struct cut cuts[16];
    small_pcapng(&w, false, cuts, &ncuts);
    compare_small(&w, w.n, "seq.pcapng"); /* mapped instead */
    memcpy(w.b, "GIF89a", 6);
    compare_small(&w, w.n, "not.pcap");
}

/* A file larger than a read, written record by record: packets of 1 to
 * 1,500 bytes; then cut inside a record far into it, and with a bad caplen
 * far into it, so errors name offsets beyond the first buffer. With a
 * header snap length of 1 MiB, records of 600,000 bytes (over the usual
 * maximum: the buffer grows). */
static bool write_big(char path[512], const char *name, uint32_t snaplen, int records,
                      uint32_t max_caplen, long cut_at, long bad_caplen_at)
{
    snprintf(path, 512, "%s/%s", mm_test_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    uint32_t hdr[6] = {0xa1b2c3d4, 2 | 4u << 16, 0, 0, snaplen, 1};
    fwrite(hdr, 4, 6, f);
    uint8_t *data = malloc(max_caplen);
    uint32_t x = 12345;
    for (int i = 0; i < records; i++) {
        x = x * 1103515245 + 12345;
        uint32_t caplen = 1 + (x >> 8) % max_caplen;
        for (uint32_t k = 0; k < caplen; k++)
            data[k] = (uint8_t)(k * 31 + i);
        uint32_t rec[4] = {1700000000 + (uint32_t)i, (uint32_t)i % 1000000, caplen, caplen + 4};
        if (ftell(f) >= bad_caplen_at && bad_caplen_at >= 0) {
            rec[2] = max_caplen > 300000 ? 20000000 : 300000;
            bad_caplen_at = -1;
        }
        fwrite(rec, 4, 4, f);
        fwrite(data, 1, caplen, f);
    }
    free(data);
    if (cut_at >= 0 && cut_at < ftell(f) && (fflush(f) != 0 || ftruncate(fileno(f), cut_at) != 0)) {
        fclose(f);
        return false;
    }
    return fclose(f) == 0;
}

TEST(capture_sequential_large_files)
{
    static const size_t chunks[] = {61, 4096, 0};
    char paths[4][512];
    ASSERT_TRUE(write_big(paths[0], "big.pcap", 65535, 3000, 1500, -1, -1));
    ASSERT_TRUE(write_big(paths[1], "bigcut.pcap", 65535, 3000, 1500, 1700001, -1));
    ASSERT_TRUE(write_big(paths[2], "bigbad.pcap", 65535, 3000, 1500, -1, 1300000));
    ASSERT_TRUE(write_big(paths[3], "huge.pcap", 1 << 20, 6, 600000, -1, -1));
    for (int p = 0; p < 4; p++)
        for (size_t i = 0; i < sizeof chunks / sizeof *chunks; i++)
            compare_readers(paths[p], chunks[i]);
    /* What they agreed on: a clean end, errors past the first buffer, and
     * records larger than the usual maximum. */
    static const int want_rc[4] = {MM_CAPTURE_END, MM_ETRUNCATED, MM_EFORMAT, MM_CAPTURE_END};
    static const int want_packets[4] = {3000, -1, -1, 6};
    for (int p = 0; p < 4; p++) {
        struct mm_capture *cap;
        struct mm_err err = {0};
        ASSERT_EQ(mm_capture_open_sequential(&cap, paths[p], 0, &err), 0);
        struct mm_packet pkt;
        int rc, packets = 0;
        while ((rc = mm_capture_next(cap, &pkt, &err)) == MM_CAPTURE_PACKET)
            packets++;
        ASSERT_EQ(rc, want_rc[p]);
        if (want_packets[p] >= 0)
            ASSERT_EQ(packets, want_packets[p]);
        else
            ASSERT_TRUE(packets > 1000 && strstr(err.msg, ": offset 1") != NULL);
        mm_capture_close(cap);
    }
}

/* A capture still being written: both readers read the file as it was when
 * they opened it, and end cleanly there. */
TEST(capture_sequential_ignores_bytes_appended_after_open)
{
    struct buf w;
    small_pcap(&w, false, false);
    size_t two = 24 + 2 * 58;
    const char *path = write_file("growing.pcap", &w, two);
    ASSERT_TRUE(path != NULL);
    struct mm_capture *a, *b;
    struct mm_err err = {0};
    ASSERT_EQ(mm_capture_open_file(&a, path, &err), 0);
    ASSERT_EQ(mm_capture_open_sequential(&b, path, 7, &err), 0);
    FILE *f = fopen(path, "ab");
    ASSERT_TRUE(f != NULL);
    ASSERT_EQ(fwrite(w.b + two, 1, w.n - two, f), w.n - two);
    ASSERT_EQ(fwrite(w.b + 24, 1, 16, f), 16); /* and half of one more record */
    fclose(f);
    struct mm_capture *caps[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        struct mm_packet pkt;
        int rc, packets = 0;
        while ((rc = mm_capture_next(caps[i], &pkt, &err)) == MM_CAPTURE_PACKET)
            packets++;
        ASSERT_EQ(rc, MM_CAPTURE_END);
        ASSERT_EQ(packets, 2);
        ASSERT_EQ(mm_capture_offset(caps[i]), two);
        mm_capture_close(caps[i]);
    }
}
