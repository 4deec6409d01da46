/* testpkt.h - test helpers: build Ethernet/IP frames and write small pcap files and policies. */
#ifndef MM_TESTPKT_H
#define MM_TESTPKT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct tp_pkt {
    const char *src, *dst; /* IPv4 or IPv6 text */
    uint8_t proto;         /* 6, 17, 132, 1, 58 ... */
    uint16_t sport, dport;
    uint8_t tcp_flags;
    size_t payload;        /* bytes of payload, filled with the canary text */
    uint16_t vlan;         /* nonzero: one 802.1Q tag */
};

#define TP_CANARY "PAYLOADCANARY-7f3a"

/* Ethernet frame for p into buf (>= 2048 bytes); returns its length. */
size_t tp_frame(uint8_t *buf, const struct tp_pkt *p);

/* A classic little-endian microsecond pcap (Ethernet) writer. */
FILE *tp_pcap_open(const char *path);
void tp_pcap_add(FILE *f, int64_t ts_ns, const struct tp_pkt *p);
void tp_pcap_add_raw(FILE *f, int64_t ts_ns, const uint8_t *frame, size_t len);

/* Write a policy directory: key (0600), domestic.txt, policy.json with the
 * given route and criteria JSON array text. Returns the policy path (static buffer). */
const char *tp_policy(const char *dir, const char *route, const char *domestic_lines,
                      const char *criteria_json, const char *extra_json);

/* The test key, as bytes. */
extern const uint8_t tp_key[32];

#endif
