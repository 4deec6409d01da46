/* decode.h - from a link-layer frame to the flow-relevant header facts, never payload. */
#ifndef MM_DECODE_H
#define MM_DECODE_H

#include <stdint.h>

#include "net/capture.h"
#include "util/addr.h"

/* Why a packet was not decoded to a flow key. Ordered so the X-macro gives
 * the counter names used in --stats ("malformed": {name: count}). Packets
 * that are well formed but not IP (ARP, STP...) are MM_DECODE_NOT_IP and are
 * counted apart from malformed ones. */
#define MM_DECODE_REASON_MAP(X)                                                \
    X(OK, "ok")                                                                \
    X(NOT_IP, "not_ip")                                                        \
    X(UNSUPPORTED_LINK, "unsupported_linktype")                                \
    X(TRUNCATED_LINK, "truncated_link_header")                                 \
    X(TRUNCATED_IPV4, "truncated_ipv4_header")                                 \
    X(BAD_IPV4_HEADER, "bad_ipv4_header")                                      \
    X(TRUNCATED_IPV6, "truncated_ipv6_header")                                 \
    X(BAD_IPV6_EXT, "bad_ipv6_extension_header")                               \
    X(TRUNCATED_L4, "truncated_transport_header")                              \
    X(BAD_L4_HEADER, "bad_transport_header")

enum mm_decode_reason {
#define MM_DECODE_ENUM_(name, str) MM_DECODE_##name,
    MM_DECODE_REASON_MAP(MM_DECODE_ENUM_)
#undef MM_DECODE_ENUM_
    MM_DECODE_REASON_COUNT
};

const char *mm_decode_reason_name(enum mm_decode_reason r);

/* Fragment position of the packet (IPv4 or IPv6 fragment header). */
enum mm_frag {
    MM_FRAG_NONE = 0,  /* not fragmented: ports are valid */
    MM_FRAG_FIRST,     /* offset 0, more fragments follow: ports are valid */
    MM_FRAG_LATER,     /* offset > 0: no transport header, ports are 0 */
};

/* Header facts of one IP packet. Addresses are copied; nothing else from
 * the packet (no payload pointer) is kept, by design. */
struct mm_packet_facts {
    struct mm_addr src, dst;
    uint8_t proto;        /* IPPROTO_* of the transport (after IPv6 extension headers) */
    uint8_t tcp_flags;    /* 0 unless TCP with a transport header */
    uint16_t src_port;    /* TCP/UDP/SCTP; 0 otherwise or for MM_FRAG_LATER */
    uint16_t dst_port;
    uint32_t ip_len;      /* IP-layer length from the header (v4 total length,
                             v6 40 + payload length), not the captured length */
    uint8_t frag;         /* enum mm_frag */
    uint32_t frag_id;     /* IPv4 identification or IPv6 fragment identification */
};

/* Decode one frame of the given link type. Follows 802.1Q/802.1ad tags (any
 * depth), Linux cooked v1/v2, raw IP, NULL/LOOP; IPv4 (options, fragments)
 * and IPv6 (hop-by-hop, routing, destination options, fragment, AH
 * extension headers); TCP, UDP, SCTP, ICMP, ICMPv6 and other protocols by
 * number with ports 0. Every read is bounds-checked against caplen. A length
 * field is never trusted beyond what was captured. A snapped packet (caplen <
 * IP length) is fine as long as the headers we need are present.
 * Thread-safe; no allocation. */
enum mm_decode_reason mm_decode(uint32_t linktype, const uint8_t *data, uint32_t caplen,
                                struct mm_packet_facts *out);

#endif
