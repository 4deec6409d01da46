/* testpkt.c - frame building and pcap writing for engine tests. */
#include "testpkt.h"

#include "util/addr.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const uint8_t tp_key[32] = {0x15, 0x22, 0x17, 0x8d, 0x33, 0xa4, 0xcf, 0x80, 0x13, 0x0a, 0x5b,
                            0x16, 0x49, 0x90, 0x7d, 0x10, 0xd8, 0x98, 0x8f, 0x83, 0x79, 0x79,
                            0x65, 0x27, 0x62, 0x57, 0x4c, 0x2d, 0x2a, 0x84, 0x22, 0x02};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

size_t tp_frame(uint8_t *buf, const struct tp_pkt *p)
{
    struct mm_addr s, d;
    if (mm_addr_parse(p->src, &s) || mm_addr_parse(p->dst, &d))
        abort();
    size_t off = 0;
    memcpy(buf, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
    off = 12;
    if (p->vlan) {
        put16(buf + off, 0x8100);
        put16(buf + off + 2, p->vlan);
        off += 4;
    }
    put16(buf + off, s.family == 4 ? 0x0800 : 0x86dd);
    off += 2;
    size_t l4len = p->proto == 6 ? 20 : p->proto == 17 ? 8 : p->proto == 132 ? 12 : 8;
    size_t iplen = (s.family == 4 ? 20 : 40) + l4len + p->payload;
    uint8_t *ip = buf + off;
    if (s.family == 4) {
        memset(ip, 0, 20);
        ip[0] = 0x45;
        put16(ip + 2, (uint16_t)iplen);
        ip[8] = 64;
        ip[9] = p->proto;
        memcpy(ip + 12, s.bytes, 4);
        memcpy(ip + 16, d.bytes, 4);
        off += 20;
    } else {
        memset(ip, 0, 40);
        ip[0] = 0x60;
        put16(ip + 4, (uint16_t)(iplen - 40));
        ip[6] = p->proto;
        ip[7] = 64;
        memcpy(ip + 8, s.bytes, 16);
        memcpy(ip + 24, d.bytes, 16);
        off += 40;
    }
    uint8_t *l4 = buf + off;
    memset(l4, 0, l4len);
    if (p->proto == 6 || p->proto == 17 || p->proto == 132) {
        put16(l4, p->sport);
        put16(l4 + 2, p->dport);
    }
    if (p->proto == 6) {
        l4[12] = 5 << 4;
        l4[13] = p->tcp_flags;
    } else if (p->proto == 17) {
        put16(l4 + 4, (uint16_t)(8 + p->payload));
    } else if (p->proto == 1 || p->proto == 58) {
        l4[0] = 8;
    }
    off += l4len;
    for (size_t i = 0; i < p->payload; i++)
        buf[off + i] = (uint8_t)TP_CANARY[i % (sizeof TP_CANARY - 1)];
    return off + p->payload;
}

static void w32(FILE *f, uint32_t v) { fwrite(&v, 4, 1, f); }
static void w16(FILE *f, uint16_t v) { fwrite(&v, 2, 1, f); }

FILE *tp_pcap_open(const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    w32(f, 0xa1b2c3d4);
    w16(f, 2);
    w16(f, 4);
    w32(f, 0);
    w32(f, 0);
    w32(f, 65535);
    w32(f, 1);
    return f;
}

void tp_pcap_add_raw(FILE *f, int64_t ts_ns, const uint8_t *frame, size_t len)
{
    w32(f, (uint32_t)(ts_ns / 1000000000));
    w32(f, (uint32_t)(ts_ns % 1000000000 / 1000));
    w32(f, (uint32_t)len);
    w32(f, (uint32_t)len);
    fwrite(frame, 1, len, f);
}

void tp_pcap_add(FILE *f, int64_t ts_ns, const struct tp_pkt *p)
{
    uint8_t buf[2048];
    size_t n = tp_frame(buf, p);
    tp_pcap_add_raw(f, ts_ns, buf, n);
}

const char *tp_policy(const char *dir, const char *route, const char *domestic_lines,
                      const char *criteria_json, const char *extra_json)
{
    static char policy_path[512];
    char path[512];
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/pseudo.key", dir);
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 32; i++)
        fprintf(f, "%02x", tp_key[i]);
    fputc('\n', f);
    fclose(f);
    chmod(path, 0600);
    snprintf(path, sizeof path, "%s/domestic.txt", dir);
    f = fopen(path, "w");
    fputs(domestic_lines, f);
    fclose(f);
    snprintf(policy_path, sizeof policy_path, "%s/policy.json", dir);
    f = fopen(policy_path, "w");
    fprintf(f,
            "{\"policy_id\": \"test-1\", \"route\": \"%s\", \"domestic_prefixes\": "
            "[\"domestic.txt\"], \"pseudonymization_key\": \"pseudo.key\"%s%s, \"criteria\": %s}\n",
            route, extra_json ? ", " : "", extra_json ? extra_json : "", criteria_json);
    fclose(f);
    return policy_path;
}
