/* test_decode.c - known-answer tests for mm_decode: frames built byte by byte, and truncations. */
#include "harness.h"

#include "net/decode.h"

#include <stdbool.h>

/* A tiny frame builder: append bytes, remember where headers start. */
struct frame {
    uint8_t b[512];
    uint32_t n;
};

static void put(struct frame *f, const void *p, uint32_t n)
{
    memcpy(f->b + f->n, p, n);
    f->n += n;
}
static void put8(struct frame *f, uint8_t v)
{
    f->b[f->n++] = v;
}
static void put16(struct frame *f, uint16_t v)
{
    put8(f, (uint8_t)(v >> 8));
    put8(f, (uint8_t)v);
}
static void put32(struct frame *f, uint32_t v)
{
    put16(f, (uint16_t)(v >> 16));
    put16(f, (uint16_t)v);
}
static void zeros(struct frame *f, uint32_t n)
{
    memset(f->b + f->n, 0, n);
    f->n += n;
}

static void eth(struct frame *f, uint16_t type)
{
    static const uint8_t macs[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    put(f, macs, 12);
    put16(f, type);
}

/* IPv4 header, 20 bytes + optlen bytes of options (NOPs). */
static void ipv4(struct frame *f, uint8_t proto, uint16_t total, uint16_t id, uint16_t frag,
                 uint32_t optlen)
{
    put8(f, (uint8_t)(0x40 | (5 + optlen / 4)));
    put8(f, 0);
    put16(f, total);
    put16(f, id);
    put16(f, frag);
    put8(f, 64);
    put8(f, proto);
    put16(f, 0);
    put32(f, 0xc0000201); /* 192.0.2.1 */
    put32(f, 0xc6336402); /* 198.51.100.2 */
    memset(f->b + f->n, 1, optlen);
    f->n += optlen;
}

static void tcp(struct frame *f, uint16_t sport, uint16_t dport, uint8_t flags)
{
    put16(f, sport);
    put16(f, dport);
    put32(f, 1000);
    put32(f, 2000);
    put8(f, 5 << 4);
    put8(f, flags);
    put16(f, 65535);
    put32(f, 0);
}

static void udp(struct frame *f, uint16_t sport, uint16_t dport, uint16_t len)
{
    put16(f, sport);
    put16(f, dport);
    put16(f, len);
    put16(f, 0);
}

static void ipv6(struct frame *f, uint8_t nh, uint16_t plen)
{
    put32(f, 0x60000000);
    put16(f, plen);
    put8(f, nh);
    put8(f, 64);
    static const uint8_t src[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    static const uint8_t dst[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    put(f, src, 16);
    put(f, dst, 16);
}

static enum mm_decode_reason dec(uint32_t lt, const struct frame *f, uint32_t len,
                                 struct mm_packet_facts *pf)
{
    return mm_decode(lt, f->b, len, pf);
}

TEST(decode_reason_names)
{
    ASSERT_STR_EQ(mm_decode_reason_name(MM_DECODE_OK), "ok");
    ASSERT_STR_EQ(mm_decode_reason_name(MM_DECODE_NOT_IP), "not_ip");
    ASSERT_STR_EQ(mm_decode_reason_name(MM_DECODE_UNSUPPORTED_LINK), "unsupported_linktype");
    ASSERT_STR_EQ(mm_decode_reason_name(MM_DECODE_BAD_L4_HEADER), "bad_transport_header");
    ASSERT_STR_EQ(mm_decode_reason_name(MM_DECODE_REASON_COUNT), "unknown");
}

TEST(decode_eth_ipv4_tcp)
{
    struct frame f = {0};
    eth(&f, 0x0800);
    ipv4(&f, 6, 40, 0x1234, 0x4000 /* DF */, 0);
    tcp(&f, 443, 51000, 0x12 /* SYN|ACK */);
    zeros(&f, 6); /* Ethernet padding to 60: must not matter */
    struct mm_packet_facts pf;
    ASSERT_EQ(dec(MM_LINK_ETHERNET, &f, f.n, &pf), MM_DECODE_OK);
    ASSERT_EQ(pf.src.family, 4);
    ASSERT_EQ(pf.src.bytes[0], 192);
    ASSERT_EQ(pf.src.bytes[3], 1);
    ASSERT_EQ(pf.src.bytes[4], 0);
    ASSERT_EQ(pf.dst.bytes[0], 198);
    ASSERT_EQ(pf.dst.bytes[3], 2);
    ASSERT_EQ(pf.proto, 6);
    ASSERT_EQ(pf.src_port, 443);
    ASSERT_EQ(pf.dst_port, 51000);
    ASSERT_EQ(pf.tcp_flags, 0x12);
    ASSERT_EQ(pf.ip_len, 40);
    ASSERT_EQ(pf.frag, MM_FRAG_NONE);
    ASSERT_EQ(pf.frag_id, 0x1234);

    /* Every truncation gives the reason of the header it cuts. */
    for (uint32_t len = 0; len < 54; len++) {
        enum mm_decode_reason want = len < 14   ? MM_DECODE_TRUNCATED_LINK
                                     : len < 34 ? MM_DECODE_TRUNCATED_IPV4
                                                : MM_DECODE_TRUNCATED_L4;
        ASSERT_EQ(dec(MM_LINK_ETHERNET, &f, len, &pf), want);
    }
}

TEST(decode_ipv4_options_udp)
{
    struct frame f = {0};
    eth(&f, 0x0800);
    ipv4(&f, 17, 24 + 8 + 4, 7, 0, 4);
    udp(&f, 53, 33333, 12);
    put32(&f, 0xdeadbeef);
    struct mm_packet_facts pf;
    ASSERT_EQ(dec(MM_LINK_ETHERNET, &f, f.n, &pf), MM_DECODE_OK);
    ASSERT_EQ(pf.proto, 17);
    ASSERT_EQ(pf.src_port, 53);
    ASSERT_EQ(pf.dst_port, 33333);
    ASSERT_EQ(pf.tcp_flags, 0);
    ASSERT_EQ(pf.ip_len, 36);
    /* Options cut: the header is not all there. */
    ASSERT_EQ(dec(MM_LINK_ETHERNET, &f, 14 + 22, &pf), MM_DECODE_TRUNCATED_IPV4);
}

TEST(decode_ipv4_bad_headers)
{
    struct mm_packet_facts pf;
    struct frame f = {0};
    ipv4(&f, 6, 40, 1, 0, 0);
    tcp(&f, 1, 2, 0x02);
    ASSERT_EQ(dec(MM_LINK_IPV4, &f, f.n, &pf), MM_DECODE_OK);

    struct frame g = f;
    g.b[0] = 0x44; /* IHL 4 */
    ASSERT_EQ(dec(MM_LINK_IPV4, &g, g.n, &pf), MM_DECODE_BAD_IPV4_HEADER);
    g = f;
    g.b[0] = 0x55; /* version 5 */
    ASSERT_EQ(dec(MM_LINK_IPV4, &g, g.n, &pf), MM_DECODE_BAD_IPV4_HEADER);
    g = f;
    g.b[2] = 0;
    g.b[3] = 19; /* total length < header */
    ASSERT_EQ(dec(MM_LINK_IPV4, &g, g.n, &pf), MM_DECODE_BAD_IPV4_HEADER);
    g = f;
    g.b[0] = 0x4f; /* IHL 15 = 60 bytes > total 40 */
    ASSERT_EQ(dec(MM_LINK_IPV4, &g, g.n, &pf), MM_DECODE_BAD_IPV4_HEADER);
    g = f;
    g.b[3] = 30; /* datagram too short for the TCP header it claims */
    ASSERT_EQ(dec(MM_LINK_IPV4, &g, g.n, &pf), MM_DECODE_BAD_L4_HEADER);
    g = f;
    g.b[32] = 4 << 4; /* TCP data offset 4 */
    ASSERT_EQ(dec(MM_LINK_IPV4, &g, g.n, &pf), MM_DECODE_BAD_L4_HEADER);
    g = f;
    g.b[32] = 6 << 4; /* TCP data offset 6: 24 bytes, datagram has 20 */
    ASSERT_EQ(dec(MM_LINK_IPV4, &g, g.n, &pf), MM_DECODE_BAD_L4_HEADER);
    /* A snapped packet (ip_len > caplen) is fine when the headers are there. */
    g = f;
    g.b[2] = 0x05;
    g.b[3] = 0xdc; /* 1500 */
    ASSERT_EQ(dec(MM_LINK_IPV4, &g, g.n, &pf), MM_DECODE_OK);
    ASSERT_EQ(pf.ip_len, 1500);
    ASSERT_EQ(pf.dst_port, 2);
}

TEST(decode_ipv4_fragments)
{
    struct mm_packet_facts pf;
    struct frame f = {0};
    eth(&f, 0x0800);
    ipv4(&f, 17, 1500, 0xbeef, 0x2000 /* MF, offset 0 */, 0);
    udp(&f, 500, 4500, 2000);
    ASSERT_EQ(dec(MM_LINK_ETHERNET, &f, f.n, &pf), MM_DECODE_OK);
    ASSERT_EQ(pf.frag, MM_FRAG_FIRST);
    ASSERT_EQ(pf.frag_id, 0xbeef);
    ASSERT_EQ(pf.src_port, 500);
    ASSERT_EQ(pf.dst_port, 4500);

    struct frame g = {0};
    eth(&g, 0x0800);
    ipv4(&g, 17, 520, 0xbeef, 185 /* offset 1480, last */, 0);
    put32(&g, 0x01020304); /* payload, not a UDP header */
    ASSERT_EQ(dec(MM_LINK_ETHERNET, &g, g.n, &pf), MM_DECODE_OK);
    ASSERT_EQ(pf.frag, MM_FRAG_LATER);
    ASSERT_EQ(pf.frag_id, 0xbeef);
    ASSERT_EQ(pf.proto, 17);
    ASSERT_EQ(pf.src_port, 0);
    ASSERT_EQ(pf.dst_port, 0);
    /* A later fragment needs no transport bytes at all. */
    ASSERT_EQ(dec(MM_LINK_ETHERNET, &g, 34, &pf), MM_DECODE_OK);

    /* A tiny first fragment: the datagram cannot hold a TCP header. */
    struct frame t = {0};
    ipv4(&t, 6, 28, 9, 0x2000, 0);
    put32(&t, 0x00500050);
    put32(&t, 0);
    ASSERT_EQ(dec(MM_LINK_IPV4, &t, t.n, &pf), MM_DECODE_BAD_L4_HEADER);
}

TEST(decode_vlan_qinq)
{
    struct mm_packet_facts pf;
    struct frame f = {0};
    eth(&f, 0x88a8);
    put16(&f, 100);
    put16(&f, 0x8100);
    put16(&f, 200);
    put16(&f, 0x0800);
    ipv4(&f, 6, 40, 1, 0, 0);
    tcp(&f, 22, 60000, 0x18);
    ASSERT_EQ(dec(MM_LINK_ETHERNET, &f, f.n, &pf), MM_DECODE_OK);
    ASSERT_EQ(pf.src_port, 22);
    ASSERT_EQ(pf.tcp_flags, 0x18);
    ASSERT_EQ(dec(MM_LINK_ETHERNET, &f, 16, &pf), MM_DECODE_TRUNCATED_LINK);
    ASSERT_EQ(dec(MM_LINK_ETHERNET, &f, 20, &pf), MM_DECODE_TRUNCATED_LINK);
    ASSERT_EQ(dec(MM_LINK_ETHERNET, &f, 22, &pf), MM_DECODE_TRUNCATED_IPV4);

    /* 0x9100 too; and a stack deeper than the cap is not followed. */
    struct frame d = {0};
    eth(&d, 0x9100);
    for (int i = 0; i < 8; i++) {
        put16(&d, 1);
        put16(&d, 0x8100);
    }
    put16(&d, 1);
    put16(&d, 0x0800);
    ipv4(&d, 6, 40, 1, 0, 0);
    tcp(&d, 1, 2, 0);
    ASSERT_EQ(dec(MM_LINK_ETHERNET, &d, d.n, &pf), MM_DECODE_NOT_IP);
}

TEST(decode_not_ip)
{
    struct mm_packet_facts pf;
    struct frame f = {0};
    eth(&f, 0x0806); /* ARP */
    zeros(&f, 28);
    ASSERT_EQ(dec(MM_LINK_ETHERNET, &f, f.n, &pf), MM_DECODE_NOT_IP);
    struct frame g = {0};
    eth(&g, 38); /* 802.3 length: LLC (STP) follows */
    put8(&g, 0x42);
    put8(&g, 0x42);
    put8(&g, 0x03);
    zeros(&g, 35);
    ASSERT_EQ(dec(MM_LINK_ETHERNET, &g, g.n, &pf), MM_DECODE_NOT_IP);
    ASSERT_EQ(dec(147 /* USER0 */, &g, g.n, &pf), MM_DECODE_UNSUPPORTED_LINK);
    /* Raw link with a version that is neither 4 nor 6. */
    uint8_t junk[20] = {0x50};
    ASSERT_EQ(mm_decode(MM_LINK_RAW, junk, sizeof junk, &pf), MM_DECODE_NOT_IP);
    ASSERT_EQ(mm_decode(MM_LINK_RAW, junk, 0, &pf), MM_DECODE_TRUNCATED_LINK);
}

TEST(decode_sll_v1_v2)
{
    struct mm_packet_facts pf;
    struct frame f = {0};
    put16(&f, 0); /* packet type: to us */
    put16(&f, 1); /* ARPHRD_ETHER */
    put16(&f, 6); /* address length */
    zeros(&f, 8); /* address */
    put16(&f, 0x0800);
    ipv4(&f, 17, 28, 1, 0, 0);
    udp(&f, 123, 123, 8);
    ASSERT_EQ(dec(MM_LINK_LINUX_SLL, &f, f.n, &pf), MM_DECODE_OK);
    ASSERT_EQ(pf.src_port, 123);
    ASSERT_EQ(pf.proto, 17);
    ASSERT_EQ(dec(MM_LINK_LINUX_SLL, &f, 15, &pf), MM_DECODE_TRUNCATED_LINK);
    ASSERT_EQ(dec(MM_LINK_LINUX_SLL, &f, 16 + 28 - 1, &pf), MM_DECODE_TRUNCATED_L4);

    struct frame g = {0};
    put16(&g, 0x86dd);
    put16(&g, 0);
    put32(&g, 3); /* ifindex */
    put16(&g, 1); /* ARPHRD_ETHER */
    put8(&g, 4);  /* outgoing */
    put8(&g, 6);
    zeros(&g, 8);
    ipv6(&g, 6, 20);
    tcp(&g, 8080, 40000, 0x01);
    ASSERT_EQ(dec(MM_LINK_LINUX_SLL2, &g, g.n, &pf), MM_DECODE_OK);
    ASSERT_EQ(pf.src.family, 6);
    ASSERT_EQ(pf.src.bytes[15], 1);
    ASSERT_EQ(pf.dst.bytes[15], 2);
    ASSERT_EQ(pf.src_port, 8080);
    ASSERT_EQ(pf.tcp_flags, 0x01);
    ASSERT_EQ(pf.ip_len, 60);
    ASSERT_EQ(dec(MM_LINK_LINUX_SLL2, &g, 19, &pf), MM_DECODE_TRUNCATED_LINK);
    ASSERT_EQ(dec(MM_LINK_LINUX_SLL2, &g, 59, &pf), MM_DECODE_TRUNCATED_IPV6);
    ASSERT_EQ(dec(MM_LINK_LINUX_SLL2, &g, 60, &pf), MM_DECODE_TRUNCATED_L4);
}

/* Raw IPv6: hop-by-hop (8) + fragment (8) + UDP (8). */
static void v6_hbh_frag(struct frame *f, uint16_t frag_offm, uint32_t id)
{
    ipv6(f, 0, 8 + 8 + 8);
    put8(f, 44); /* hop-by-hop: next = fragment */
    put8(f, 0);  /* 8 bytes */
    put8(f, 1);  /* PadN */
    put8(f, 4);
    put32(f, 0);
    put8(f, 17); /* fragment: next = UDP */
    put8(f, 0);
    put16(f, frag_offm);
    put32(f, id);
    udp(f, 5353, 5353, 8);
}

TEST(decode_ipv6_ext_fragments)
{
    struct mm_packet_facts pf;
    struct frame f = {0};
    v6_hbh_frag(&f, 0x0001 /* offset 0, M */, 0xcafef00d);
    ASSERT_EQ(dec(MM_LINK_RAW, &f, f.n, &pf), MM_DECODE_OK);
    ASSERT_EQ(pf.proto, 17);
    ASSERT_EQ(pf.frag, MM_FRAG_FIRST);
    ASSERT_EQ(pf.frag_id, 0xcafef00d);
    ASSERT_EQ(pf.src_port, 5353);
    ASSERT_EQ(pf.ip_len, 64);
    ASSERT_EQ(dec(MM_LINK_IPV6, &f, f.n, &pf), MM_DECODE_OK);
    for (uint32_t len = 0; len < f.n; len++) {
        enum mm_decode_reason want = len == 0   ? MM_DECODE_TRUNCATED_LINK
                                     : len < 56 ? MM_DECODE_TRUNCATED_IPV6
                                                : MM_DECODE_TRUNCATED_L4;
        ASSERT_EQ(dec(MM_LINK_RAW, &f, len, &pf), want);
    }

    struct frame g = {0};
    v6_hbh_frag(&g, 100 << 3, 0xcafef00d); /* a later fragment */
    ASSERT_EQ(dec(MM_LINK_RAW, &g, 56, &pf), MM_DECODE_OK);
    ASSERT_EQ(pf.frag, MM_FRAG_LATER);
    ASSERT_EQ(pf.proto, 17);
    ASSERT_EQ(pf.src_port, 0);

    /* Declared payload too short for the chain: bad, not truncated. */
    struct frame h = f;
    h.b[5] = 12; /* payload length 12: fragment header overruns it */
    ASSERT_EQ(dec(MM_LINK_RAW, &h, h.n, &pf), MM_DECODE_BAD_IPV6_EXT);
    /* Payload length 0 under hop-by-hop (a jumbogram we do not parse). */
    h = f;
    h.b[5] = 0;
    ASSERT_EQ(dec(MM_LINK_RAW, &h, h.n, &pf), MM_DECODE_BAD_IPV6_EXT);
    /* Version 4 in an IPv6 link. */
    ASSERT_EQ(dec(MM_LINK_IPV4, &f, f.n, &pf), MM_DECODE_BAD_IPV4_HEADER);
    ASSERT_EQ(dec(MM_LINK_IPV6, &(struct frame){.b = {0x45}, .n = 40}, 40, &pf),
              MM_DECODE_BAD_IPV6_EXT);
}

TEST(decode_ipv6_ah_routing_nonext)
{
    struct mm_packet_facts pf;
    struct frame f = {0};
    ipv6(&f, 43, 24 + 16 + 20);
    put8(&f, 51); /* routing -> AH */
    put8(&f, 2);  /* (2+1)*8 = 24 bytes */
    zeros(&f, 22);
    put8(&f, 6); /* AH -> TCP */
    put8(&f, 2); /* (2+2)*4 = 16 bytes */
    zeros(&f, 14);
    tcp(&f, 179, 1179, 0x10);
    ASSERT_EQ(dec(MM_LINK_RAW, &f, f.n, &pf), MM_DECODE_OK);
    ASSERT_EQ(pf.proto, 6);
    ASSERT_EQ(pf.src_port, 179);
    ASSERT_EQ(pf.tcp_flags, 0x10);

    struct frame g = {0};
    ipv6(&g, 60, 8);
    put8(&g, 59); /* destination options -> no next header */
    put8(&g, 0);
    zeros(&g, 6);
    ASSERT_EQ(dec(MM_LINK_RAW, &g, g.n, &pf), MM_DECODE_OK);
    ASSERT_EQ(pf.proto, 59);
    ASSERT_EQ(pf.src_port, 0);

    struct frame i = {0};
    ipv6(&i, 58, 8); /* ICMPv6: no ports, nothing read */
    put32(&i, 0x80000000);
    ASSERT_EQ(dec(MM_LINK_RAW, &i, 40, &pf), MM_DECODE_OK);
    ASSERT_EQ(pf.proto, 58);

    /* More extension headers than the cap. */
    struct frame l = {0};
    ipv6(&l, 60, 17 * 8 + 8);
    for (int k = 0; k < 17; k++) {
        put8(&l, 60);
        put8(&l, 0);
        zeros(&l, 6);
    }
    zeros(&l, 8);
    ASSERT_EQ(dec(MM_LINK_RAW, &l, l.n, &pf), MM_DECODE_BAD_IPV6_EXT);
}

TEST(decode_sctp_udplite_icmp)
{
    struct mm_packet_facts pf;
    struct frame f = {0};
    ipv4(&f, 132, 20 + 12, 1, 0, 0);
    put16(&f, 2905);
    put16(&f, 2906);
    put32(&f, 0x11223344);
    put32(&f, 0);
    ASSERT_EQ(dec(MM_LINK_RAW, &f, f.n, &pf), MM_DECODE_OK);
    ASSERT_EQ(pf.src_port, 2905);
    ASSERT_EQ(pf.dst_port, 2906);
    ASSERT_EQ(dec(MM_LINK_RAW, &f, f.n - 1, &pf), MM_DECODE_TRUNCATED_L4);

    struct frame u = {0};
    ipv4(&u, 136, 28, 1, 0, 0);
    udp(&u, 1, 65535, 8);
    ASSERT_EQ(dec(MM_LINK_RAW, &u, u.n, &pf), MM_DECODE_OK);
    ASSERT_EQ(pf.dst_port, 65535);

    struct frame c = {0};
    ipv4(&c, 1, 28, 1, 0, 0);
    ASSERT_EQ(dec(MM_LINK_RAW, &c, c.n, &pf), MM_DECODE_OK); /* ICMP body not captured: fine */
    ASSERT_EQ(pf.proto, 1);
    ASSERT_EQ(pf.src_port, 0);
}

TEST(decode_null_loop)
{
    struct mm_packet_facts pf;
    for (int order = 0; order < 2; order++) {
        struct frame f = {0};
        uint32_t fam = 2;
        uint8_t le[4] = {2, 0, 0, 0}, be[4] = {0, 0, 0, 2};
        put(&f, order ? be : le, 4);
        ipv4(&f, 17, 28, 1, 0, 0);
        udp(&f, 9, 10, 8);
        ASSERT_EQ(dec(MM_LINK_NULL, &f, f.n, &pf), MM_DECODE_OK);
        ASSERT_EQ(pf.dst_port, 10);
        (void)fam;
    }
    for (uint32_t fam = 24; fam <= 30; fam += 2) {
        struct frame f = {0};
        uint8_t le[4] = {(uint8_t)fam, 0, 0, 0};
        put(&f, le, 4);
        ipv6(&f, 17, 8);
        udp(&f, 9, 10, 8);
        ASSERT_EQ(dec(MM_LINK_NULL, &f, f.n, &pf), fam == 26 ? MM_DECODE_NOT_IP : MM_DECODE_OK);
    }
    struct frame l = {0};
    put32(&l, 24);
    ipv6(&l, 17, 8);
    udp(&l, 9, 10, 8);
    ASSERT_EQ(dec(MM_LINK_LOOP, &l, l.n, &pf), MM_DECODE_OK);
    ASSERT_EQ(pf.src.family, 6);
    l.b[0] = 24; /* LOOP is network order only */
    l.b[3] = 0;
    ASSERT_EQ(dec(MM_LINK_LOOP, &l, l.n, &pf), MM_DECODE_NOT_IP);
    ASSERT_EQ(dec(MM_LINK_LOOP, &l, 3, &pf), MM_DECODE_TRUNCATED_LINK);
}

TEST(decode_never_reads_past_caplen)
{
    /* Decode every prefix of a frame copied to the end of a buffer, so
     * ASan sees any read beyond caplen. */
    struct frame f = {0};
    eth(&f, 0x8100);
    put16(&f, 5);
    put16(&f, 0x86dd);
    v6_hbh_frag(&f, 1, 77);
    static uint8_t buf[512];
    struct mm_packet_facts pf;
    for (uint32_t len = 0; len <= f.n; len++) {
        uint8_t *p = buf + sizeof buf - len;
        memcpy(p, f.b, len);
        enum mm_decode_reason r = mm_decode(MM_LINK_ETHERNET, p, len, &pf);
        ASSERT_TRUE(r == MM_DECODE_OK ? len == f.n : r != MM_DECODE_OK);
    }
}

TEST(decode_ipv6_jumbogram_and_zero_length)
{
    struct mm_packet_facts pf;
    /* RFC 2675: payload length 0, hop-by-hop with a Jumbo Payload option. */
    struct frame f = {0};
    ipv6(&f, 0, 0);
    put8(&f, 17); /* next: UDP */
    put8(&f, 0);  /* 8 bytes */
    put8(&f, 0xc2);
    put8(&f, 4);
    put32(&f, 70000);
    udp(&f, 1, 2, 0);
    ASSERT_EQ(dec(MM_LINK_IPV6, &f, f.n, &pf), MM_DECODE_OK);
    ASSERT_EQ(pf.ip_len, 70040);
    ASSERT_EQ(pf.proto, 17);
    ASSERT_EQ(pf.dst_port, 2);
    ASSERT_EQ(dec(MM_LINK_IPV6, &f, 41, &pf), MM_DECODE_TRUNCATED_IPV6);
    ASSERT_EQ(dec(MM_LINK_IPV6, &f, 47, &pf), MM_DECODE_TRUNCATED_IPV6);
    struct frame g = f;
    g.b[45] = 0; /* jumbo length 4464 <= 65535: invalid */
    ASSERT_EQ(dec(MM_LINK_IPV6, &g, g.n, &pf), MM_DECODE_BAD_IPV6_EXT);
    g = f;
    g.b[42] = 1; /* PadN instead of the jumbo option: no length anywhere */
    ASSERT_EQ(dec(MM_LINK_IPV6, &g, g.n, &pf), MM_DECODE_BAD_IPV6_EXT);

    /* Payload length 0: fine with No Next Header, bad with a transport. */
    struct frame z = {0};
    ipv6(&z, 59, 0);
    ASSERT_EQ(dec(MM_LINK_IPV6, &z, z.n, &pf), MM_DECODE_OK);
    ASSERT_EQ(pf.ip_len, 40);
    z.b[6] = 6;
    ASSERT_EQ(dec(MM_LINK_IPV6, &z, z.n, &pf), MM_DECODE_BAD_IPV6_EXT);
}

TEST(decode_first_fragment_tcp_options_continue)
{
    /* A first fragment may end inside the TCP options: ports and flags
     * are in the first 20 bytes, so it decodes. A whole datagram may not. */
    struct mm_packet_facts pf;
    struct frame f = {0};
    ipv4(&f, 6, 44, 1, 0x2000, 0);
    tcp(&f, 12345, 80, 0x02);
    put32(&f, 0x020405b4);
    f.b[20 + 12] = 10 << 4; /* 40-byte TCP header, 24 bytes in this fragment */
    ASSERT_EQ(dec(MM_LINK_IPV4, &f, f.n, &pf), MM_DECODE_OK);
    ASSERT_EQ(pf.frag, MM_FRAG_FIRST);
    ASSERT_EQ(pf.src_port, 12345);
    ASSERT_EQ(pf.tcp_flags, 0x02);
    f.b[6] = 0; /* not a fragment */
    ASSERT_EQ(dec(MM_LINK_IPV4, &f, f.n, &pf), MM_DECODE_BAD_L4_HEADER);
}
