/* capture.c - packet sources: pcap/pcapng files (mapped, or read in order), buffers, libpcap live. */
#include "net/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * File formats (see docs/internals/net.md):
 *
 * Classic pcap (https://www.tcpdump.org/manpages/pcap-savefile.5.html,
 * draft-ietf-opsawg-pcap):
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                          Magic Number                         |
 *   |         Major Version         |         Minor Version         |
 *   |                           Reserved1 (thiszone)                |
 *   |                           Reserved2 (sigfigs)                 |
 *   |                            SnapLen                            |
 *   | FCS |f|0 0 0 0 0 0 0 0 0 0 0 0|         LinkType              |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   then per packet: ts seconds, ts us|ns, captured length, original
 *   length (16 bytes; 24 in the "modified" Kuznetzov format), data.
 *
 * pcapng (draft-ietf-opsawg-pcapng): a sequence of blocks
 *
 *   +---------------------------------------------------------------+
 *   |                          Block Type                           |
 *   |                      Block Total Length                       |
 *   /                          Block Body                           /
 *   |                      Block Total Length                       |
 *   +---------------------------------------------------------------+
 *
 * The hot path for a classic pcap is one bounds check, four 32-bit loads and
 * a few stores: the packet data is a pointer into the mapping or the read
 * buffer, never copied again.
 *
 * A file read once from start to end (mm_capture_open_sequential) is read
 * with read(2) into a buffer rather than mapped: streaming a cached 750 MB
 * capture that way took 64 ms here, against 114 ms to map its pages in
 * (MADV_POPULATE_READ, 1 MiB at a time), touch them and unmap them. The
 * buffer always holds the whole record being returned: when one would run
 * past its end, the unread tail moves to the front and more is read.
 */

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAP_MAGIC_MODIFIED 0xa1b2cd34u /* Alexey Kuznetzov's patched libpcap */
#define PCAPNG_SHB 0x0a0d0d0au          /* same in both byte orders */
#define PCAPNG_BOM 0x1a2b3c4du
#define PCAPNG_IDB 1u
#define PCAPNG_PB 2u /* obsolete Packet Block */
#define PCAPNG_SPB 3u
#define PCAPNG_EPB 6u

#define PCAP_MAX_CAPLEN 262144u      /* libpcap's MAXIMUM_SNAPLEN */
#define PCAP_SANE_SNAPLEN (1u << 24) /* a header snaplen above this is itself garbage */
#define PCAPNG_MAX_IFACES 4096u
#define LIVE_SNAPLEN 512 /* headers only: we never look at payload */
/* The kernel's ring for a live capture. libpcap's default (2 MiB) holds
 * about 15 ms of a busy 1 Gbit/s link; this holds a pause of about half a
 * second there (records flushed to a slow disk, a busy core). */
#define LIVE_BUFFER_BYTES (64 << 20)
#define READ_CHUNK_BYTES (1u << 20) /* one read(2) of a sequential reader */
/* How far ahead of next() a mapped file's page tables are mapped. */
#define MAP_AHEAD (1u << 20)
#define MAX_READ_CHUNK_BYTES (64u << 20)

enum cap_kind { KIND_PCAP, KIND_PCAPNG, KIND_LIVE };

/* How an interface's raw timestamp units become ns. */
enum ts_scale { TS_MUL, TS_DIV, TS_SHIFT };

struct pcapng_iface {
    uint32_t linktype;
    uint32_t snaplen;
    uint8_t scale;     /* enum ts_scale */
    uint8_t shift;     /* TS_SHIFT: units are 2^-shift s */
    uint64_t factor;   /* TS_MUL: ns per unit; TS_DIV: units per ns */
    int64_t offset_ns; /* if_tsoffset, in ns */
};

struct mm_capture {
    /* Hot fields first: everything next() touches for a classic pcap. */
    const uint8_t *base;
    size_t len;
    size_t off;           /* next record */
    uint32_t rec_hdr_len; /* pcap: 16, or 24 for the modified format */
    uint32_t max_caplen;
    uint32_t frac_mult; /* pcap: ns per unit of the fraction field */
    uint32_t linktype;
    bool swap;    /* file byte order differs from ours */
    uint8_t kind; /* enum cap_kind */
    bool stream;  /* base is the read buffer: see stream_fill */
    size_t whole_record; /* streaming: bytes past off that hold any record */
    int err_code; /* sticky: once set, next() repeats it */
    size_t file_base; /* file offset of base[0] (nonzero only when streaming) */
    size_t file_size; /* the file's (or buffer's) size at open */

    /* pcapng */
    struct pcapng_iface *ifaces;
    uint32_t n_ifaces, cap_ifaces;
    int64_t last_ts_ns; /* for Simple Packet Blocks, which carry no time */

    /* file mapping */
    void *map;
    size_t map_len;
    size_t mapped_to; /* next() has had the page tables mapped up to here */

    /* sequential reading (stream): base is buf */
    int fd;
    uint8_t *buf;
    size_t buf_cap, read_chunk;
    bool eof;

    /* live */
    pcap_t *pcap;
    volatile sig_atomic_t broken;
    int ts_nano; /* libpcap gave us ns timestamps */
    int poll_fd; /* non-blocking libpcap handle we poll() ourselves, or -1 */
    int poll_ms;

    char *name;
    char errmsg[sizeof(((struct mm_err *)0)->msg)];
};

static inline uint32_t rd32(const uint8_t *p, bool swap)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return swap ? __builtin_bswap32(v) : v;
}

static inline uint16_t rd16(const uint8_t *p, bool swap)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return swap ? __builtin_bswap16(v) : v;
}

static inline uint64_t rd64(const uint8_t *p, bool swap)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return swap ? __builtin_bswap64(v) : v;
}

/* Record a sticky error at byte offset `at`: "name: offset N: detail". */
__attribute__((format(printf, 5, 6), cold, noinline)) static int
fail(struct mm_capture *cap, struct mm_err *err, int code, size_t at, const char *fmt, ...)
{
    char detail[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    snprintf(cap->errmsg, sizeof cap->errmsg, "%s: offset %zu: %s", cap->name, at, detail);
    cap->err_code = code;
    return mm_err_set(err, code, "%s", cap->errmsg);
}

/* ---- classic pcap ---------------------------------------------------- */

static int pcap_open_header(struct mm_capture *cap, uint32_t magic, struct mm_err *err)
{
    if (magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS || magic == PCAP_MAGIC_MODIFIED) {
        cap->swap = false;
    } else {
        cap->swap = true;
        magic = __builtin_bswap32(magic);
    }
    if (cap->len < 24)
        return fail(cap, err, MM_ETRUNCATED, 0, "truncated pcap file header (%zu of 24 bytes)",
                    cap->len);
    const uint8_t *h = cap->base;
    uint16_t major = rd16(h + 4, cap->swap), minor = rd16(h + 6, cap->swap);
    if (major != 2)
        return fail(cap, err, MM_EFORMAT, 0, "unsupported pcap version %u.%u", major, minor);
    uint32_t snaplen = rd32(h + 16, cap->swap);
    /* Upper 16 bits of the network field carry FCS information. */
    cap->linktype = rd32(h + 20, cap->swap) & 0xffffu;
    cap->kind = KIND_PCAP;
    cap->rec_hdr_len = magic == PCAP_MAGIC_MODIFIED ? 24 : 16;
    cap->frac_mult = magic == PCAP_MAGIC_NS ? 1 : 1000;
    /* libpcap refuses caplen > max(snaplen, MAXIMUM_SNAPLEN); a snaplen in
     * the gigabytes is itself corrupt, so it does not widen the limit. */
    cap->max_caplen = PCAP_MAX_CAPLEN;
    if (snaplen > PCAP_MAX_CAPLEN && snaplen <= PCAP_SANE_SNAPLEN)
        cap->max_caplen = snaplen;
    cap->off = 24;
    return 0;
}

/* A record error as "name: offset N: detail", also copied to sticky
 * (the sequential reader's) unless NULL: readers of byte ranges
 * (mm_capture_read_at) share the handle and leave it alone. */
__attribute__((format(printf, 6, 7), cold, noinline)) static int
record_error(const struct mm_capture *cap, struct mm_err *err, char *sticky, int code, size_t at,
             const char *fmt, ...)
{
    char detail[384], msg[sizeof(((struct mm_err *)0)->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    snprintf(msg, sizeof msg, "%s: offset %zu: %s", cap->name, at, detail);
    if (sticky)
        memcpy(sticky, msg, sizeof msg);
    return mm_err_set(err, code, "%s", msg);
}

/* The record at off; on success *next is where the following one starts. */
static inline int pcap_record_at(const struct mm_capture *cap, size_t off, struct mm_packet *pkt,
                                 size_t *next, struct mm_err *err, char *sticky)
{
    size_t left = cap->len - off;
    uint32_t hl = cap->rec_hdr_len;
    if (__builtin_expect(left < hl, 0)) {
        if (left == 0)
            return MM_CAPTURE_END;
        return record_error(cap, err, sticky, MM_ETRUNCATED, cap->file_base + off,
                            "truncated packet record header (%zu of %u bytes)", left, hl);
    }
    const uint8_t *h = cap->base + off;
    bool swap = cap->swap;
    uint32_t sec = rd32(h, swap), frac = rd32(h + 4, swap);
    uint32_t caplen = rd32(h + 8, swap), wirelen = rd32(h + 12, swap);
    if (__builtin_expect(caplen > cap->max_caplen, 0))
        return record_error(cap, err, sticky, MM_EFORMAT, cap->file_base + off,
                            "packet record caplen %u exceeds the maximum of %u", caplen, cap->max_caplen);
    if (__builtin_expect(caplen > left - hl, 0))
        return record_error(cap, err, sticky, MM_ETRUNCATED, cap->file_base + off,
                            "truncated packet record (caplen %u, %zu bytes left)", caplen, left - hl);
    pkt->ts_ns = (int64_t)sec * 1000000000 + (int64_t)frac * cap->frac_mult;
    pkt->caplen = caplen;
    pkt->wirelen = wirelen;
    pkt->linktype = cap->linktype;
    pkt->data = h + hl;
    *next = off + hl + caplen;
    return MM_CAPTURE_PACKET;
}

/* Streaming: read until `need` bytes from off are in the buffer, or the
 * file ends. The unread tail moves to the front first when the buffer has
 * no room past it (the tail is a part of one record, so this copies little).
 * 0, or a negative code with a sticky error on a read failure. */
__attribute__((noinline)) static int stream_fill(struct mm_capture *cap, size_t need,
                                                 struct mm_err *err)
{
    if (cap->off + need > cap->buf_cap) {
        size_t keep = cap->len - cap->off;
        memmove(cap->buf, cap->buf + cap->off, keep);
        cap->file_base += cap->off;
        cap->len = keep;
        cap->off = 0;
    }
    while (!cap->eof && cap->len - cap->off < need) {
        /* The file as it was at open: bytes appended since (a capture still
         * being written) are not read, as the mapped reader does not see them. */
        size_t unread = cap->file_size - (cap->file_base + cap->len);
        size_t want = cap->buf_cap - cap->len;
        if (want > cap->read_chunk)
            want = cap->read_chunk;
        if (want > unread)
            want = unread;
        if (want == 0) {
            cap->eof = true;
            break;
        }
        ssize_t n = read(cap->fd, cap->buf + cap->len, want);
        if (n > 0)
            cap->len += (size_t)n;
        else if (n == 0)
            cap->eof = true;
        else if (errno != EINTR)
            return fail(cap, err, MM_EIO, cap->file_base + cap->len, "read: %s", strerror(errno));
    }
    return 0;
}

/* Streaming: make the whole record at off sit in the buffer (as far as the
 * file has it): its header, then the data its caplen announces. A caplen
 * over the maximum is left for pcap_record_at to report. */
static inline int stream_record_ready(struct mm_capture *cap, struct mm_err *err)
{
    size_t hl = cap->rec_hdr_len, left = cap->len - cap->off;
    if (__builtin_expect(left >= cap->whole_record || cap->eof, 1))
        return 0;
    int rc;
    if (left < hl && (rc = stream_fill(cap, hl, err)) < 0)
        return rc;
    left = cap->len - cap->off;
    if (left < hl)
        return 0; /* the file ends inside the header */
    uint32_t caplen = rd32(cap->base + cap->off + 8, cap->swap);
    if (caplen > cap->max_caplen || left - hl >= caplen)
        return 0;
    return stream_fill(cap, hl + caplen, err);
}

/* The sequential reader: an error becomes sticky. */
static inline int pcap_next_rec(struct mm_capture *cap, struct mm_packet *pkt, struct mm_err *err)
{
    size_t next = 0;
    if (cap->stream) {
        int rc = stream_record_ready(cap, err);
        if (rc < 0)
            return rc;
    }
    int st = pcap_record_at(cap, cap->off, pkt, &next, err, cap->errmsg);
    if (__builtin_expect(st == MM_CAPTURE_PACKET, 1))
        cap->off = next;
    else if (st < 0)
        cap->err_code = st;
    return st;
}

/* ---- pcapng ---------------------------------------------------------- */

/* Section Header Block:
 *   type 0x0a0d0d0a | total length | byte-order magic 0x1a2b3c4d |
 *   major 1 | minor | section length (i64, -1 = unknown) | options | length
 * A new section resets byte order and the interface table. */
static int pcapng_section(struct mm_capture *cap, struct mm_err *err)
{
    size_t off = cap->off, left = cap->len - off;
    const uint8_t *b = cap->base + off;
    if (left < 12)
        return fail(cap, err, MM_ETRUNCATED, off, "truncated section header block (%zu bytes left)",
                    left);
    uint32_t bom;
    memcpy(&bom, b + 8, 4);
    if (bom == PCAPNG_BOM)
        cap->swap = false;
    else if (bom == __builtin_bswap32(PCAPNG_BOM))
        cap->swap = true;
    else
        return fail(cap, err, MM_EFORMAT, off, "bad pcapng byte-order magic 0x%08x",
                    (unsigned)__builtin_bswap32(bom));
    uint32_t blen = rd32(b + 4, cap->swap);
    if (blen < 28)
        return fail(cap, err, MM_EFORMAT, off, "section header block length %u is less than 28",
                    blen);
    if (blen % 4)
        return fail(cap, err, MM_EFORMAT, off, "block length %u is not a multiple of 4", blen);
    if (blen > left)
        return fail(cap, err, MM_ETRUNCATED, off, "truncated block (length %u, %zu bytes left)",
                    blen, left);
    if (rd32(b + blen - 4, cap->swap) != blen)
        return fail(cap, err, MM_EFORMAT, off, "trailing block length %u does not match %u",
                    rd32(b + blen - 4, cap->swap), blen);
    uint16_t major = rd16(b + 12, cap->swap), minor = rd16(b + 14, cap->swap);
    if (major != 1)
        return fail(cap, err, MM_EFORMAT, off, "unsupported pcapng version %u.%u", major, minor);
    cap->n_ifaces = 0;
    cap->off = off + blen;
    return 0;
}

/* if_tsresol: MSB clear = 10^-n s units, set = 2^-n s units. */
static int set_tsresol(struct pcapng_iface *ifc, uint8_t res)
{
    unsigned n = res & 0x7fu;
    if (res & 0x80u) {
        if (n > 63)
            return -1;
        ifc->scale = TS_SHIFT;
        ifc->shift = (uint8_t)n;
        return 0;
    }
    if (n > 19)
        return -1;
    uint64_t p = 1;
    for (unsigned i = 0; i < (n <= 9 ? 9 - n : n - 9); i++)
        p *= 10;
    ifc->scale = n <= 9 ? TS_MUL : TS_DIV;
    ifc->factor = p;
    return 0;
}

/* Interface Description Block:
 *   type 1 | length | link type (16) | reserved (16) | snaplen | options | length */
static int pcapng_idb(struct mm_capture *cap, const uint8_t *b, uint32_t blen, struct mm_err *err)
{
    size_t off = cap->off;
    bool swap = cap->swap;
    if (blen < 20)
        return fail(cap, err, MM_EFORMAT, off,
                    "interface description block length %u is less than 20", blen);
    if (cap->n_ifaces >= PCAPNG_MAX_IFACES)
        return fail(cap, err, MM_EFORMAT, off, "more than %u interfaces in one section",
                    PCAPNG_MAX_IFACES);
    if (cap->n_ifaces == cap->cap_ifaces) {
        uint32_t n = cap->cap_ifaces ? cap->cap_ifaces * 2 : 8;
        struct pcapng_iface *t = realloc(cap->ifaces, n * sizeof *t);
        if (!t)
            return fail(cap, err, MM_ENOMEM, off, "out of memory for the interface table");
        cap->ifaces = t;
        cap->cap_ifaces = n;
    }
    struct pcapng_iface ifc = {
        .linktype = rd16(b + 8, swap),
        .snaplen = rd32(b + 12, swap),
        .scale = TS_MUL,
        .factor = 1000, /* default resolution: microseconds */
    };
    /* Options: code (16) | length (16) | value padded to 32 bits. */
    uint32_t pos = 16, end = blen - 4;
    while (end - pos >= 4) {
        uint16_t code = rd16(b + pos, swap), olen = rd16(b + pos + 2, swap);
        if (code == 0) /* opt_endofopt */
            break;
        if (olen > end - pos - 4)
            return fail(cap, err, MM_EFORMAT, off, "option %u length %u overruns the block", code,
                        olen);
        const uint8_t *v = b + pos + 4;
        if (code == 9 && olen >= 1) { /* if_tsresol */
            if (set_tsresol(&ifc, v[0]) != 0)
                return fail(cap, err, MM_EFORMAT, off, "unsupported if_tsresol 0x%02x", v[0]);
        } else if (code == 14 && olen >= 8) { /* if_tsoffset: seconds */
            ifc.offset_ns = (int64_t)(rd64(v, swap) * 1000000000u);
        }
        uint32_t step = 4 + (((uint32_t)olen + 3u) & ~3u);
        if (step > end - pos)
            break;
        pos += step;
    }
    cap->ifaces[cap->n_ifaces++] = ifc;
    return 0;
}

static inline int64_t iface_ts_ns(const struct pcapng_iface *ifc, uint64_t ts)
{
    uint64_t ns;
    switch (ifc->scale) {
    case TS_MUL:
        ns = ts * ifc->factor; /* wraps only for times past year 2262 */
        break;
    case TS_DIV:
        ns = ts / ifc->factor;
        break;
    default:
        ns = (uint64_t)(((unsigned __int128)ts * 1000000000u) >> ifc->shift);
        break;
    }
    return (int64_t)(ns + (uint64_t)ifc->offset_ns);
}

/* Enhanced Packet Block (type 6) and obsolete Packet Block (type 2):
 *   EPB: type | length | interface id (32)         | ts high | ts low |
 *        caplen | origlen | data (padded) | options | length
 *   PB:  type | length | interface id (16) | drops | ts high | ts low |
 *        caplen | origlen | data (padded) | options | length
 */
static int pcapng_packet(struct mm_capture *cap, uint32_t type, const uint8_t *b, uint32_t blen,
                         struct mm_packet *pkt, struct mm_err *err)
{
    size_t off = cap->off;
    bool swap = cap->swap;
    if (type == PCAPNG_SPB) {
        /* Simple Packet Block: type | length | origlen | data | length.
         * Interface 0; no timestamp, so the previous packet's time is reused. */
        if (blen < 16)
            return fail(cap, err, MM_EFORMAT, off, "simple packet block length %u is less than 16",
                        blen);
        if (cap->n_ifaces == 0)
            return fail(cap, err, MM_EFORMAT, off,
                        "simple packet block before any interface description block");
        const struct pcapng_iface *ifc = &cap->ifaces[0];
        uint32_t wirelen = rd32(b + 8, swap), caplen = wirelen;
        if (caplen > blen - 16)
            caplen = blen - 16;
        if (ifc->snaplen && caplen > ifc->snaplen)
            caplen = ifc->snaplen;
        pkt->ts_ns = cap->last_ts_ns;
        pkt->caplen = caplen;
        pkt->wirelen = wirelen;
        pkt->linktype = ifc->linktype;
        pkt->data = b + 12;
        return MM_CAPTURE_PACKET;
    }
    const char *what = type == PCAPNG_EPB ? "enhanced packet block" : "packet block";
    if (blen < 32)
        return fail(cap, err, MM_EFORMAT, off, "%s length %u is less than 32", what, blen);
    uint32_t id = type == PCAPNG_EPB ? rd32(b + 8, swap) : rd16(b + 8, swap);
    if (id >= cap->n_ifaces)
        return fail(cap, err, MM_EFORMAT, off, "interface id %u is not defined (%u interfaces)", id,
                    cap->n_ifaces);
    uint32_t caplen = rd32(b + 20, swap);
    if (caplen > blen - 32)
        return fail(cap, err, MM_EFORMAT, off,
                    "captured length %u does not fit the block (%u bytes of data)", caplen,
                    blen - 32);
    const struct pcapng_iface *ifc = &cap->ifaces[id];
    uint64_t ts = (uint64_t)rd32(b + 12, swap) << 32 | rd32(b + 16, swap);
    pkt->ts_ns = cap->last_ts_ns = iface_ts_ns(ifc, ts);
    pkt->caplen = caplen;
    pkt->wirelen = rd32(b + 24, swap);
    pkt->linktype = ifc->linktype;
    pkt->data = b + 28;
    return MM_CAPTURE_PACKET;
}

static int pcapng_next_rec(struct mm_capture *cap, struct mm_packet *pkt, struct mm_err *err)
{
    for (;;) {
        size_t off = cap->off, left = cap->len - off;
        if (left == 0)
            return MM_CAPTURE_END;
        if (left < 8)
            return fail(cap, err, MM_ETRUNCATED, off, "truncated block header (%zu bytes left)",
                        left);
        const uint8_t *b = cap->base + off;
        uint32_t type = rd32(b, cap->swap);
        if (type == PCAPNG_SHB) {
            int rc = pcapng_section(cap, err);
            if (rc < 0)
                return rc;
            continue;
        }
        uint32_t blen = rd32(b + 4, cap->swap);
        if (blen < 12)
            return fail(cap, err, MM_EFORMAT, off, "block length %u is less than 12", blen);
        if (blen % 4)
            return fail(cap, err, MM_EFORMAT, off, "block length %u is not a multiple of 4", blen);
        if (blen > left)
            return fail(cap, err, MM_ETRUNCATED, off, "truncated block (length %u, %zu bytes left)",
                        blen, left);
        uint32_t trail = rd32(b + blen - 4, cap->swap);
        if (trail != blen)
            return fail(cap, err, MM_EFORMAT, off, "trailing block length %u does not match %u",
                        trail, blen);
        int rc = 0;
        switch (type) {
        case PCAPNG_IDB:
            rc = pcapng_idb(cap, b, blen, err);
            break;
        case PCAPNG_EPB:
        case PCAPNG_PB:
        case PCAPNG_SPB:
            rc = pcapng_packet(cap, type, b, blen, pkt, err);
            break;
        default: /* name resolution, statistics, custom, ...: not ours */
            break;
        }
        if (rc < 0)
            return rc;
        cap->off = off + blen;
        if (rc == MM_CAPTURE_PACKET)
            return rc;
    }
}

/* ---- opening --------------------------------------------------------- */

static struct mm_capture *cap_new(const char *name)
{
    struct mm_capture *cap = calloc(1, sizeof *cap);
    if (!cap)
        return NULL;
    cap->name = strdup(name ? name : "<memory>");
    if (!cap->name) {
        free(cap);
        return NULL;
    }
    cap->fd = -1;
    return cap;
}

/* Detect the format from the magic and read the file header (pcap) or the
 * first section header (pcapng). */
static int open_parse(struct mm_capture *cap, struct mm_err *err)
{
    if (cap->len == 0)
        return fail(cap, err, MM_EFORMAT, 0, "empty file, not a pcap or pcapng file");
    if (cap->len < 4)
        return fail(cap, err, MM_ETRUNCATED, 0, "file too short for a capture header (%zu bytes)",
                    cap->len);
    uint32_t magic;
    memcpy(&magic, cap->base, 4);
    uint32_t sw = __builtin_bswap32(magic);
    if (magic == PCAPNG_SHB) {
        cap->kind = KIND_PCAPNG;
        cap->off = 0;
        return pcapng_section(cap, err);
    }
    if (magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS || magic == PCAP_MAGIC_MODIFIED ||
        sw == PCAP_MAGIC_US || sw == PCAP_MAGIC_NS || sw == PCAP_MAGIC_MODIFIED)
        return pcap_open_header(cap, magic, err);
    /* Print the magic as the bytes appear in the file. */
    return fail(cap, err, MM_EFORMAT, 0, "not a pcap or pcapng file (magic 0x%08x)",
                (unsigned)cap->base[0] << 24 | (unsigned)cap->base[1] << 16 |
                    (unsigned)cap->base[2] << 8 | cap->base[3]);
}

int mm_capture_open_memory(struct mm_capture **out, const uint8_t *buf, size_t len,
                           const char *name, struct mm_err *err)
{
    *out = NULL;
    if (!buf && len)
        return mm_err_set(err, MM_EINVAL, "%s: no buffer", name ? name : "<memory>");
    struct mm_capture *cap = cap_new(name);
    if (!cap)
        return mm_err_set(err, MM_ENOMEM, "%s: out of memory", name ? name : "<memory>");
    cap->base = buf;
    cap->len = len;
    cap->file_size = len;
    int rc = open_parse(cap, err);
    if (rc < 0) {
        mm_capture_close(cap);
        return rc;
    }
    *out = cap;
    return 0;
}

/* Open path for reading: a regular file. Returns the descriptor, or a
 * negative code with err naming the path. */
static int open_regular(const char *path, struct stat *st, struct mm_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return mm_err_set(err, errno == ENOENT ? MM_ENOTFOUND : MM_EIO, "%s: %s", path,
                          strerror(errno));
    int rc = 0;
    if (fstat(fd, st) != 0)
        rc = mm_err_set(err, MM_EIO, "%s: %s", path, strerror(errno));
    else if (!S_ISREG(st->st_mode))
        rc = mm_err_set(err, MM_EINVAL, "%s: not a regular file", path);
    if (rc) {
        close(fd);
        return rc;
    }
    return fd;
}

int mm_capture_open_file(struct mm_capture **out, const char *path, struct mm_err *err)
{
    *out = NULL;
    struct stat st;
    int fd = open_regular(path, &st, err);
    if (fd < 0)
        return fd;
    int rc = 0;
    struct mm_capture *cap = cap_new(path);
    if (!cap) {
        rc = mm_err_set(err, MM_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    if (st.st_size > 0) {
        void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            rc = mm_err_set(err, MM_EIO, "%s: mmap: %s", path, strerror(errno));
            goto out;
        }
        (void)madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
        cap->map = map;
        cap->map_len = (size_t)st.st_size;
        cap->base = map;
        cap->len = (size_t)st.st_size;
        cap->file_size = (size_t)st.st_size;
    }
    rc = open_parse(cap, err);
out:
    close(fd);
    if (rc < 0) {
        mm_capture_close(cap);
        return rc;
    }
    *out = cap;
    return 0;
}

int mm_capture_open_sequential(struct mm_capture **out, const char *path, size_t read_bytes,
                               struct mm_err *err)
{
    *out = NULL;
    struct stat st;
    int fd = open_regular(path, &st, err);
    if (fd < 0)
        return fd;
    uint8_t magic[4];
    if (pread(fd, magic, 4, 0) != 4 || !memcmp(magic, "\x0a\x0d\x0d\x0a", 4)) {
        /* pcapng (blocks of any size), or too short to tell: the mapped
         * reader, which also words the errors. */
        close(fd);
        return mm_capture_open_file(out, path, err);
    }
    int rc = 0;
    struct mm_capture *cap = cap_new(path);
    if (!cap) {
        close(fd);
        return mm_err_set(err, MM_ENOMEM, "%s: out of memory", path);
    }
    cap->fd = fd;
    cap->stream = true;
    cap->file_size = (size_t)st.st_size;
    cap->read_chunk = read_bytes ? read_bytes : READ_CHUNK_BYTES;
    if (cap->read_chunk > MAX_READ_CHUNK_BYTES)
        cap->read_chunk = MAX_READ_CHUNK_BYTES;
    /* Room for a chunk past the largest record; first for the file header. */
    cap->buf_cap = cap->read_chunk + 24 + PCAP_MAX_CAPLEN;
    if (!(cap->buf = malloc(cap->buf_cap))) {
        rc = mm_err_set(err, MM_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    cap->base = cap->buf;
    /* Not pcapng (checked above), so a successful parse is a classic pcap. */
    if ((rc = stream_fill(cap, 24, err)) < 0 || (rc = open_parse(cap, err)) < 0)
        goto out;
    /* A header snaplen may allow records larger than PCAP_MAX_CAPLEN. */
    cap->whole_record = cap->rec_hdr_len + cap->max_caplen;
    size_t need = cap->read_chunk + cap->whole_record;
    if (need > cap->buf_cap) {
        uint8_t *bigger = realloc(cap->buf, need);
        if (!bigger) {
            rc = mm_err_set(err, MM_ENOMEM, "%s: out of memory", path);
            goto out;
        }
        cap->buf = bigger;
        cap->base = bigger;
        cap->buf_cap = need;
    }
out:
    if (rc < 0) {
        mm_capture_close(cap);
        return rc;
    }
    *out = cap;
    return 0;
}

/* libpcap hands out DLT_ values; a few differ from the LINKTYPE_ numbers
 * that files and our decoder use. */
static uint32_t dlt_to_linktype(int dlt)
{
#if defined(DLT_RAW) && DLT_RAW != MM_LINK_RAW
    if (dlt == DLT_RAW)
        return MM_LINK_RAW;
#endif
#if defined(DLT_LOOP) && DLT_LOOP != MM_LINK_LOOP
    if (dlt == DLT_LOOP)
        return MM_LINK_LOOP;
#endif
    return (uint32_t)dlt;
}

int mm_capture_open_live(struct mm_capture **out, const char *iface, int poll_ms,
                         struct mm_err *err)
{
    *out = NULL;
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    int rc = 0;
    struct mm_capture *cap = cap_new(iface);
    if (!cap)
        return mm_err_set(err, MM_ENOMEM, "%s: out of memory", iface);
    cap->kind = KIND_LIVE;
    cap->pcap = pcap_create(iface, errbuf);
    if (!cap->pcap) {
        rc = mm_err_set(err, MM_EIO, "%s: pcap_create: %s", iface, errbuf);
        goto out;
    }
    pcap_set_snaplen(cap->pcap, LIVE_SNAPLEN);
    pcap_set_buffer_size(cap->pcap, LIVE_BUFFER_BYTES);
    pcap_set_promisc(cap->pcap, 1);
    pcap_set_immediate_mode(cap->pcap, 1);
    pcap_set_timeout(cap->pcap, poll_ms > 0 ? poll_ms : 0);
    /* Nanosecond stamps where the platform has them; micro otherwise. */
    (void)pcap_set_tstamp_precision(cap->pcap, PCAP_TSTAMP_PRECISION_NANO);
    int st = pcap_activate(cap->pcap);
    if (st < 0) {
        /* PCAP_ERROR has its text in pcap_geterr; the others are statuses
         * whose pcap_geterr text may add detail or repeat the status. */
        const char *why = pcap_statustostr(st);
        const char *detail = pcap_geterr(cap->pcap);
        bool add = detail && *detail && strcmp(detail, why) != 0;
        if (st == PCAP_ERROR && add)
            why = "";
        rc = mm_err_set(err, st == PCAP_ERROR_PERM_DENIED ? MM_EDENIED : MM_EIO,
                        "%s: cannot capture: %s%s%s", iface, why, add && *why ? ": " : "",
                        add ? detail : "");
        goto out;
    }
    if (st > 0) {
        /* A warning (e.g. promiscuous mode not supported): the capture
         * works, so the code stays 0 and the text is left in err->msg. */
        const char *detail = pcap_geterr(cap->pcap);
        mm_err_set(err, 0, "%s: warning: %s%s%s", iface, pcap_statustostr(st),
                   detail && *detail ? ": " : "", detail ? detail : "");
    }
    cap->ts_nano = pcap_get_tstamp_precision(cap->pcap) == PCAP_TSTAMP_PRECISION_NANO;
    /* On Linux, in immediate mode libpcap keeps polling past its timeout
     * until a packet arrives, so an idle link would block next() forever.
     * Run the handle non-blocking and wait on its descriptor ourselves. */
    cap->poll_ms = poll_ms > 0 ? poll_ms : -1;
    cap->poll_fd = pcap_get_selectable_fd(cap->pcap);
    if (cap->poll_fd >= 0 && pcap_setnonblock(cap->pcap, 1, errbuf) != 0)
        cap->poll_fd = -1;
    cap->linktype = dlt_to_linktype(pcap_datalink(cap->pcap));
out:
    if (rc < 0) {
        mm_capture_close(cap);
        return rc;
    }
    *out = cap;
    return 0;
}

/* ---- reading --------------------------------------------------------- */

static int live_next(struct mm_capture *cap, struct mm_packet *pkt, struct mm_err *err)
{
    if (cap->broken)
        return MM_CAPTURE_END;
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc = pcap_next_ex(cap->pcap, &h, &data);
    if (rc == 0 && cap->poll_fd >= 0) {
        /* Nothing buffered: wait up to poll_ms for the descriptor, then
         * try once more. A signal (EINTR) counts as idle. */
        struct pollfd pfd = {.fd = cap->poll_fd, .events = POLLIN};
        if (poll(&pfd, 1, cap->poll_ms) > 0 && !cap->broken)
            rc = pcap_next_ex(cap->pcap, &h, &data);
    }
    if (rc == 1) {
        pkt->ts_ns =
            (int64_t)h->ts.tv_sec * 1000000000 + (int64_t)h->ts.tv_usec * (cap->ts_nano ? 1 : 1000);
        pkt->caplen = h->caplen;
        pkt->wirelen = h->len;
        pkt->linktype = cap->linktype;
        pkt->data = data;
        return MM_CAPTURE_PACKET;
    }
    if (rc == 0)
        return cap->broken ? MM_CAPTURE_END : MM_CAPTURE_IDLE;
    if (rc == PCAP_ERROR_BREAK)
        return MM_CAPTURE_END;
    snprintf(cap->errmsg, sizeof cap->errmsg, "%s: %s", cap->name, pcap_geterr(cap->pcap));
    cap->err_code = MM_EIO;
    return mm_err_set(err, MM_EIO, "%s", cap->errmsg);
}

int mm_capture_next(struct mm_capture *cap, struct mm_packet *pkt, struct mm_err *err)
{
    if (__builtin_expect(cap->err_code != 0, 0))
        return mm_err_set(err, cap->err_code, "%s", cap->errmsg);
    /* A mapped file read in order: one call maps the next stretch of its
     * page tables, instead of a page fault every few pages. */
    if (cap->map && cap->off + MAP_AHEAD / 2 > cap->mapped_to) {
        uint64_t end = mm_capture_prefault(cap, cap->mapped_to, MAP_AHEAD);
        cap->mapped_to = end >= cap->map_len ? SIZE_MAX : (size_t)end;
    }
    if (__builtin_expect(cap->kind == KIND_PCAP, 1))
        return pcap_next_rec(cap, pkt, err);
    if (cap->kind == KIND_PCAPNG)
        return pcapng_next_rec(cap, pkt, err);
    return live_next(cap, pkt, err);
}

uint64_t mm_capture_offset(const struct mm_capture *cap)
{
    return cap->kind == KIND_LIVE ? 0 : (uint64_t)(cap->file_base + cap->off);
}

uint64_t mm_capture_prefault(const struct mm_capture *cap, uint64_t from, uint64_t len)
{
    if (!cap->map || from >= cap->map_len)
        return from;
    uint64_t end = len < cap->map_len - from ? from + len : cap->map_len;
    /* Whole pages: the kernel wants a page-aligned start. */
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t lo = ((uintptr_t)cap->map + from) & ~(page - 1);
    uintptr_t hi = (uintptr_t)cap->map + end;
    /* Best effort: on a kernel without MADV_POPULATE_READ (before 5.14)
     * the reader simply takes the faults itself. */
    (void)madvise((void *)lo, hi - lo, MADV_POPULATE_READ);
    return end;
}

bool mm_capture_splittable(const struct mm_capture *cap)
{
    return cap->kind == KIND_PCAP && !cap->stream && cap->err_code == 0;
}

uint64_t mm_capture_size(const struct mm_capture *cap)
{
    return cap->kind == KIND_LIVE ? 0 : (uint64_t)cap->file_size;
}

int mm_capture_read_at(const struct mm_capture *cap, uint64_t *off, struct mm_packet *pkt,
                       struct mm_err *err)
{
    if (cap->stream || cap->kind != KIND_PCAP)
        return mm_err_set(err, MM_EINVAL, "%s: not readable at an offset", cap->name);
    size_t next = 0;
    int st = pcap_record_at(cap, (size_t)*off, pkt, &next, err, NULL);
    if (st == MM_CAPTURE_PACKET)
        *off = next;
    return st;
}

/* Does a plausible run of records start at off? Each header must fit the
 * file and the snap length and carry a valid fraction of a second, with
 * times close together, for RESYNC_RECORDS records or up to the file's
 * end. Payload bytes pass this by chance about once in 10^14 (a
 * microsecond fraction alone is valid with probability 2^-12), and a
 * false start is caught anyway when the chain is verified. */
#define RESYNC_RECORDS 6
#define RESYNC_MAX_GAP_S 86400u

static bool pcap_chain_at(const struct mm_capture *cap, size_t off)
{
    uint32_t frac_limit = cap->frac_mult == 1 ? 1000000000u : 1000000u;
    uint32_t hl = cap->rec_hdr_len;
    uint32_t prev_sec = 0;
    for (int k = 0; k < RESYNC_RECORDS; k++) {
        size_t left = cap->len - off;
        if (left == 0)
            return k > 0;
        if (left < hl)
            return false;
        const uint8_t *h = cap->base + off;
        uint32_t sec = rd32(h, cap->swap), frac = rd32(h + 4, cap->swap);
        uint32_t caplen = rd32(h + 8, cap->swap), wirelen = rd32(h + 12, cap->swap);
        if (frac >= frac_limit || caplen > cap->max_caplen || caplen > left - hl || wirelen < caplen)
            return false;
        if (k > 0 && (sec - prev_sec > RESYNC_MAX_GAP_S && prev_sec - sec > RESYNC_MAX_GAP_S))
            return false;
        prev_sec = sec;
        off += hl + caplen;
    }
    return true;
}

uint64_t mm_capture_resync(const struct mm_capture *cap, uint64_t from, uint64_t to)
{
    if (cap->kind != KIND_PCAP || cap->stream)
        return UINT64_MAX;
    if (to > cap->len)
        to = cap->len;
    for (uint64_t off = from; off < to; off++)
        if (pcap_chain_at(cap, (size_t)off))
            return off;
    return UINT64_MAX;
}

void mm_capture_break(struct mm_capture *cap)
{
    if (cap->kind != KIND_LIVE)
        return;
    cap->broken = 1;
    pcap_breakloop(cap->pcap);
}

uint64_t mm_capture_dropped(const struct mm_capture *cap)
{
    struct pcap_stat ps;
    if (cap->kind != KIND_LIVE || !cap->pcap || pcap_stats(cap->pcap, &ps) != 0)
        return 0;
    return ps.ps_drop;
}

void mm_capture_close(struct mm_capture *cap)
{
    if (!cap)
        return;
    if (cap->pcap)
        pcap_close(cap->pcap);
    if (cap->map)
        munmap(cap->map, cap->map_len);
    if (cap->fd >= 0)
        close(cap->fd);
    free(cap->buf);
    free(cap->ifaces);
    free(cap->name);
    free(cap);
}
