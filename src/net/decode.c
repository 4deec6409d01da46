/* decode.c - link, IP and transport header decoders: frame in, struct mm_packet_facts out. */
#include "net/decode.h"

#include <stdbool.h>
#include <string.h>

/*
 * One decoder per protocol, like tcpdump's print-*.c, but all in this file
 * because each is a dozen lines and they share the cursor. Every read goes
 * through the cursor below; a decoder first asks cur_has() for the bytes it
 * is about to read so that it can report the right reason, and the accessors
 * check again, so a logic slip in a decoder reads zeros, never past the
 * buffer. No allocation, no state: thread-safe.
 */

/* ---- bounds-checked cursor ------------------------------------------- */

struct cursor {
    const uint8_t *p; /* start of the current header */
    uint32_t left;    /* captured bytes from p to the end of the frame */
};

static inline bool cur_has(const struct cursor *c, uint32_t n)
{
    return c->left >= n;
}

static inline uint8_t cur_u8(const struct cursor *c, uint32_t at)
{
    return at < c->left ? c->p[at] : 0;
}

static inline uint16_t cur_be16(const struct cursor *c, uint32_t at)
{
    if (at > c->left || c->left - at < 2)
        return 0;
    return (uint16_t)(c->p[at] << 8 | c->p[at + 1]);
}

static inline uint32_t cur_be32(const struct cursor *c, uint32_t at)
{
    if (at > c->left || c->left - at < 4)
        return 0;
    return (uint32_t)c->p[at] << 24 | (uint32_t)c->p[at + 1] << 16 | (uint32_t)c->p[at + 2] << 8 |
           c->p[at + 3];
}

static inline void cur_copy(const struct cursor *c, uint32_t at, uint8_t *dst, uint32_t n)
{
    if (at > c->left || c->left - at < n)
        memset(dst, 0, n);
    else
        memcpy(dst, c->p + at, n);
}

/* Move past n bytes; false (cursor unchanged) if fewer are captured. */
static inline bool cur_skip(struct cursor *c, uint32_t n)
{
    if (c->left < n)
        return false;
    c->p += n;
    c->left -= n;
    return true;
}

/* Clip the cursor to the length the IP header declares: bytes past it are
 * link padding (Ethernet pads to 60) or garbage, not transport header. */
static inline void cur_clip(struct cursor *c, uint32_t n)
{
    if (c->left > n)
        c->left = n;
}

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_8021Q 0x8100
#define ETHERTYPE_8021AD 0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100
#define MAX_VLAN_TAGS 8
#define MAX_IPV6_EXT 16

/* ---- transport: TCP, UDP, UDP-Lite, SCTP ------------------------------ */

/*
 * l4_need: the transport header must be both captured and inside the IP
 * datagram. c is clipped to the captured part of the datagram; declared is
 * how many bytes the IP header says follow. Short because of the snaplen:
 * TRUNCATED_L4; short because the datagram itself is: BAD_L4_HEADER.
 */
static inline enum mm_decode_reason l4_need(const struct cursor *c, uint32_t declared, uint32_t n)
{
    if (declared < n)
        return MM_DECODE_BAD_L4_HEADER;
    if (!cur_has(c, n))
        return MM_DECODE_TRUNCATED_L4;
    return MM_DECODE_OK;
}

/*
 * TCP, RFC 9293 section 3.1:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Source Port          |       Destination Port        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                        Sequence Number                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Acknowledgment Number                      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Data |       |C|E|U|A|P|R|S|F|                               |
 *   | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 *   |       |       |R|E|G|K|H|T|N|N|                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           Checksum            |         Urgent Pointer        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
static enum mm_decode_reason decode_tcp(const struct cursor *c, uint32_t declared,
                                        struct mm_packet_facts *out)
{
    enum mm_decode_reason r = l4_need(c, declared, 20);
    if (r != MM_DECODE_OK)
        return r;
    /* Options may continue into the next fragment of a first fragment;
     * in a whole datagram they must fit. */
    uint32_t doff = cur_u8(c, 12) >> 4;
    if (doff < 5 || (out->frag == MM_FRAG_NONE && doff * 4 > declared))
        return MM_DECODE_BAD_L4_HEADER;
    out->src_port = cur_be16(c, 0);
    out->dst_port = cur_be16(c, 2);
    out->tcp_flags = cur_u8(c, 13);
    return MM_DECODE_OK;
}

/*
 * UDP, RFC 768 (UDP-Lite, RFC 3828, has the same first 8 bytes with
 * Checksum Coverage in place of Length):
 *
 *    0      7 8     15 16    23 24    31
 *   +--------+--------+--------+--------+
 *   |     Source      |   Destination   |
 *   |      Port       |      Port       |
 *   +--------+--------+--------+--------+
 *   |     Length      |    Checksum     |
 *   +--------+--------+--------+--------+
 *
 * SCTP common header, RFC 9260 section 3.1 (12 bytes):
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     Source Port Number        |     Destination Port Number   |
 *   |                      Verification Tag                         |
 *   |                           Checksum                            |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
static enum mm_decode_reason decode_ports(const struct cursor *c, uint32_t declared,
                                          uint32_t hdr_len, struct mm_packet_facts *out)
{
    enum mm_decode_reason r = l4_need(c, declared, hdr_len);
    if (r != MM_DECODE_OK)
        return r;
    out->src_port = cur_be16(c, 0);
    out->dst_port = cur_be16(c, 2);
    return MM_DECODE_OK;
}

/* Dispatch on the IP protocol number. ICMP (RFC 792), ICMPv6 (RFC 4443),
 * ESP, GRE and the rest carry no ports we use: 0, and nothing is read. */
static enum mm_decode_reason decode_l4(const struct cursor *c, uint32_t declared,
                                       struct mm_packet_facts *out)
{
    switch (out->proto) {
    case 6:
        return decode_tcp(c, declared, out);
    case 17:  /* UDP */
    case 136: /* UDP-Lite */
        return decode_ports(c, declared, 8, out);
    case 132: /* SCTP */
        return decode_ports(c, declared, 12, out);
    default:
        return MM_DECODE_OK;
    }
}

/* ---- IPv4 ------------------------------------------------------------- */

/*
 * IPv4, RFC 791 section 3.1:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version|  IHL  |Type of Service|          Total Length         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Identification        |Flags|      Fragment Offset    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Time to Live |    Protocol   |         Header Checksum       |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                       Source Address                          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Destination Address                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    Options                    |    Padding    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Flags: 0, DF, MF. The header checksum is not verified: a sensor copy
 * with a bad checksum is still traffic that happened.
 */
static enum mm_decode_reason decode_ipv4(struct cursor c, struct mm_packet_facts *out)
{
    if (!cur_has(&c, 20))
        return MM_DECODE_TRUNCATED_IPV4;
    uint8_t vihl = cur_u8(&c, 0);
    uint32_t hlen = (vihl & 0x0fu) * 4u;
    uint32_t total = cur_be16(&c, 2);
    if (vihl >> 4 != 4 || hlen < 20 || total < hlen)
        return MM_DECODE_BAD_IPV4_HEADER;
    if (!cur_has(&c, hlen))
        return MM_DECODE_TRUNCATED_IPV4;

    out->src.family = out->dst.family = 4;
    cur_copy(&c, 12, out->src.bytes, 4);
    cur_copy(&c, 16, out->dst.bytes, 4);
    out->proto = cur_u8(&c, 9);
    out->ip_len = total;
    out->frag_id = cur_be16(&c, 4);
    uint16_t frag = cur_be16(&c, 6);
    if (frag & 0x1fffu) {
        out->frag = MM_FRAG_LATER; /* no transport header in this one */
        return MM_DECODE_OK;
    }
    if (frag & 0x2000u)
        out->frag = MM_FRAG_FIRST;

    cur_skip(&c, hlen);
    cur_clip(&c, total - hlen);
    return decode_l4(&c, total - hlen, out);
}

/* ---- IPv6 ------------------------------------------------------------- */

/*
 * IPv6, RFC 8200 section 3:
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version| Traffic Class |           Flow Label                  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |         Payload Length        |  Next Header  |   Hop Limit   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                                                               |
 *   +                  Source Address (128 bits)                    +
 *   |                                                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                                                               |
 *   +               Destination Address (128 bits)                  +
 *   |                                                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Extension headers (RFC 8200 section 4), walked until the transport:
 *
 *   Hop-by-Hop (0), Routing (43), Destination Options (60), Mobility (135,
 *   RFC 6275): generic, length in 8-octet units not counting the first 8
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Next Header  |  Hdr Ext Len  |  ...  (Hdr Ext Len + 1) * 8 bytes
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *   Fragment (44), RFC 8200 section 4.5, always 8 bytes:
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Next Header  |   Reserved    |      Fragment Offset    |Res|M|
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                         Identification                        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *   Authentication Header (51), RFC 4302 section 2: Payload Len is in
 *   32-bit words minus 2, so the header is (len + 2) * 4 bytes.
 *
 *   No Next Header (59): nothing follows.
 */
/*
 * Jumbo Payload option, RFC 2675 section 2, in the hop-by-hop header of a
 * packet whose Payload Length is 0:
 *
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |  Option Type  |  Opt Data Len |    type 0xC2, length 4
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                     Jumbo Payload Length                      |  > 65535
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * c is at the IPv6 header. The length counts what follows the IPv6 header,
 * as Payload Length does.
 */
static enum mm_decode_reason ipv6_jumbo_len(const struct cursor *ip6, uint32_t *plen)
{
    struct cursor c = *ip6;
    if (!cur_skip(&c, 40) || !cur_has(&c, 2))
        return MM_DECODE_TRUNCATED_IPV6;
    uint32_t hlen = ((uint32_t)cur_u8(&c, 1) + 1) * 8;
    if (!cur_has(&c, hlen))
        return MM_DECODE_TRUNCATED_IPV6;
    for (uint32_t at = 2; at < hlen;) {
        uint8_t type = cur_u8(&c, at);
        if (type == 0) { /* Pad1 */
            at++;
            continue;
        }
        if (hlen - at < 2)
            break;
        uint32_t olen = cur_u8(&c, at + 1);
        if (hlen - at - 2 < olen)
            break;
        if (type == 0xc2 && olen == 4) {
            uint32_t jumbo = cur_be32(&c, at + 2);
            if (jumbo <= 65535 || jumbo > UINT32_MAX - 40)
                return MM_DECODE_BAD_IPV6_EXT;
            *plen = jumbo;
            return MM_DECODE_OK;
        }
        at += 2 + olen;
    }
    return MM_DECODE_BAD_IPV6_EXT;
}

static enum mm_decode_reason decode_ipv6(struct cursor c, struct mm_packet_facts *out)
{
    if (!cur_has(&c, 40))
        return MM_DECODE_TRUNCATED_IPV6;
    /* There is no separate "bad IPv6 header" reason: a wrong version under
     * an IPv6 link/ethertype is counted with the bad header chains. */
    if (cur_u8(&c, 0) >> 4 != 6)
        return MM_DECODE_BAD_IPV6_EXT;
    uint32_t plen = cur_be16(&c, 4);
    uint8_t nh = cur_u8(&c, 6);
    /* Payload length 0 is only right with nothing after the header, or in
     * a jumbogram, whose length is in the hop-by-hop header. */
    if (plen == 0 && nh != 59) {
        if (nh != 0)
            return MM_DECODE_BAD_IPV6_EXT;
        enum mm_decode_reason r = ipv6_jumbo_len(&c, &plen);
        if (r != MM_DECODE_OK)
            return r;
    }

    out->src.family = out->dst.family = 6;
    cur_copy(&c, 8, out->src.bytes, 16);
    cur_copy(&c, 24, out->dst.bytes, 16);
    out->ip_len = 40 + plen;
    cur_skip(&c, 40);
    cur_clip(&c, plen);
    uint32_t declared = plen; /* bytes the header says follow the current point */

    for (int n = 0;; n++) {
        out->proto = nh;
        uint32_t hlen;
        switch (nh) {
        case 0:   /* Hop-by-Hop Options */
        case 43:  /* Routing */
        case 60:  /* Destination Options */
        case 135: /* Mobility */
        case 51:  /* Authentication Header */
            if (declared < 2)
                return MM_DECODE_BAD_IPV6_EXT;
            if (!cur_has(&c, 2))
                return MM_DECODE_TRUNCATED_IPV6;
            hlen = nh == 51 ? ((uint32_t)cur_u8(&c, 1) + 2) * 4 : ((uint32_t)cur_u8(&c, 1) + 1) * 8;
            break;
        case 44: /* Fragment */
            hlen = 8;
            break;
        case 59: /* No Next Header */
            return MM_DECODE_OK;
        default:
            return decode_l4(&c, declared, out);
        }
        if (n >= MAX_IPV6_EXT || declared < hlen)
            return MM_DECODE_BAD_IPV6_EXT;
        if (!cur_has(&c, hlen))
            return MM_DECODE_TRUNCATED_IPV6;
        uint8_t next = cur_u8(&c, 0);
        if (nh == 44) {
            uint16_t offm = cur_be16(&c, 2);
            out->frag_id = cur_be32(&c, 4);
            if (offm >> 3) {
                out->frag = MM_FRAG_LATER;
                out->proto = next; /* what the fragment carries; not parsed */
                return MM_DECODE_OK;
            }
            if (offm & 1u)
                out->frag = MM_FRAG_FIRST;
        }
        cur_skip(&c, hlen);
        declared -= hlen;
        nh = next;
    }
}

/* ---- link layers ------------------------------------------------------ */

/* Dispatch on an EtherType, following VLAN tags. c starts at the first
 * byte after the EtherType field.
 *
 * IEEE 802.1Q tag (also 802.1ad S-tag, 0x88a8, and the pre-standard 0x9100):
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   TPID (0x8100 / 0x88a8)      | PCP |D|        VLAN ID        |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   followed by the inner EtherType. The TPID is the EtherType we just
 *   read, so each tag costs 4 more bytes: TCI (2) and the next type (2).
 */
static enum mm_decode_reason decode_ethertype(struct cursor c, uint16_t type,
                                              struct mm_packet_facts *out)
{
    for (int depth = 0;; depth++) {
        switch (type) {
        case ETHERTYPE_IPV4:
            return decode_ipv4(c, out);
        case ETHERTYPE_IPV6:
            return decode_ipv6(c, out);
        case ETHERTYPE_8021Q:
        case ETHERTYPE_8021AD:
        case ETHERTYPE_QINQ_OLD:
            /* Deeper stacks than this are legal but not ours to follow. */
            if (depth >= MAX_VLAN_TAGS)
                return MM_DECODE_NOT_IP;
            if (!cur_has(&c, 4))
                return MM_DECODE_TRUNCATED_LINK;
            type = cur_be16(&c, 2);
            cur_skip(&c, 4);
            break;
        default:
            /* ARP, LLDP, MPLS, ..., or an 802.3 length (< 0x0600). */
            return MM_DECODE_NOT_IP;
        }
    }
}

/*
 * Ethernet II (IEEE 802.3 clause 3, RFC 894): 14 bytes
 *   +-------------------+-------------------+-----------+
 *   | destination (6)   | source (6)        | type (2)  |
 *   +-------------------+-------------------+-----------+
 * A type/length field below 0x0600 is an 802.3 length (LLC follows): NOT_IP.
 */
static enum mm_decode_reason decode_ether(struct cursor c, struct mm_packet_facts *out)
{
    if (!cur_has(&c, 14))
        return MM_DECODE_TRUNCATED_LINK;
    uint16_t type = cur_be16(&c, 12);
    cur_skip(&c, 14);
    return decode_ethertype(c, type, out);
}

/*
 * Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 113), 16 bytes:
 *   +---------------+---------------+---------------+
 *   | packet type 2 | ARPHRD type 2 | addr length 2 |
 *   +---------------+---------------+---------------+
 *   | link-layer address (8)        | protocol (2)  |
 *   +-------------------------------+---------------+
 * Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 276), 20 bytes:
 *   +---------------+---------------+-------------------------------+
 *   | protocol (2)  | reserved (2)  | interface index (4)           |
 *   +---------------+-------+-------+-------+-----------------------+
 *   | ARPHRD (2)    |pkttype|addrlen| link-layer address (8)        |
 *   +---------------+-------+-------+-------------------------------+
 * https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL{,2}.html. The
 * protocol is an EtherType for the ARPHRD types that matter here.
 */
static enum mm_decode_reason decode_sll(struct cursor c, uint32_t hdr_len, uint32_t proto_at,
                                        struct mm_packet_facts *out)
{
    if (!cur_has(&c, hdr_len))
        return MM_DECODE_TRUNCATED_LINK;
    uint16_t type = cur_be16(&c, proto_at);
    cur_skip(&c, hdr_len);
    return decode_ethertype(c, type, out);
}

/* Raw IP (LINKTYPE_RAW, 101): no link header, the version nibble says which. */
static enum mm_decode_reason decode_raw(struct cursor c, struct mm_packet_facts *out)
{
    if (!cur_has(&c, 1))
        return MM_DECODE_TRUNCATED_LINK;
    switch (cur_u8(&c, 0) >> 4) {
    case 4:
        return decode_ipv4(c, out);
    case 6:
        return decode_ipv6(c, out);
    default:
        return MM_DECODE_NOT_IP;
    }
}

/*
 * BSD loopback: LINKTYPE_NULL (0) has a 4-byte address family in the
 * capturing host's byte order, LINKTYPE_LOOP (108) in network order.
 *   +-------------------------------+
 *   | address family (4)            |  AF_INET = 2; AF_INET6 = 24 (NetBSD,
 *   +-------------------------------+  OpenBSD), 28 (FreeBSD), 30 (macOS)
 * We do not know the capturing host, so NULL accepts either order: a
 * family is small, so the order whose value fits in 16 bits wins.
 */
static enum mm_decode_reason decode_loopback(struct cursor c, bool network_order,
                                             struct mm_packet_facts *out)
{
    if (!cur_has(&c, 4))
        return MM_DECODE_TRUNCATED_LINK;
    uint32_t family = cur_be32(&c, 0);
    if (!network_order && family > 0xffffu)
        family = __builtin_bswap32(family);
    cur_skip(&c, 4);
    switch (family) {
    case 2:
        return decode_ipv4(c, out);
    case 24:
    case 28:
    case 30:
        return decode_ipv6(c, out);
    default:
        return MM_DECODE_NOT_IP;
    }
}

enum mm_decode_reason mm_decode(uint32_t linktype, const uint8_t *data, uint32_t caplen,
                                struct mm_packet_facts *out)
{
    memset(out, 0, sizeof *out);
    struct cursor c = {data, data ? caplen : 0};
    switch (linktype) {
    case MM_LINK_ETHERNET:
        return decode_ether(c, out);
    case MM_LINK_LINUX_SLL:
        return decode_sll(c, 16, 14, out);
    case MM_LINK_LINUX_SLL2:
        return decode_sll(c, 20, 0, out);
    case MM_LINK_RAW:
        return decode_raw(c, out);
    case MM_LINK_IPV4:
        return decode_ipv4(c, out);
    case MM_LINK_IPV6:
        return decode_ipv6(c, out);
    case MM_LINK_NULL:
        return decode_loopback(c, false, out);
    case MM_LINK_LOOP:
        return decode_loopback(c, true, out);
    default:
        return MM_DECODE_UNSUPPORTED_LINK;
    }
}

const char *mm_decode_reason_name(enum mm_decode_reason r)
{
    static const char *const names[] = {
#define MM_DECODE_NAME_(name, str) str,
        MM_DECODE_REASON_MAP(MM_DECODE_NAME_)
#undef MM_DECODE_NAME_
    };
    if ((unsigned)r >= MM_DECODE_REASON_COUNT)
        return "unknown";
    return names[r];
}
