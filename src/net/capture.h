/* capture.h - packet sources: capture files (pcap, pcapng; read from memory) and live interfaces (libpcap). */
#ifndef MM_CAPTURE_H
#define MM_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Link types we decode (LINKTYPE_* numbers from the tcpdump registry). */
#define MM_LINK_ETHERNET 1
#define MM_LINK_RAW 101   /* raw IP, v4 or v6 by the version nibble */
#define MM_LINK_IPV4 228
#define MM_LINK_IPV6 229
#define MM_LINK_LINUX_SLL 113
#define MM_LINK_LINUX_SLL2 276
#define MM_LINK_NULL 0    /* BSD loopback: 4-byte host-order family */
#define MM_LINK_LOOP 108  /* OpenBSD loopback: network-order family */

/* One packet, valid until the next mm_capture_next() call on the same source.
 * data points into the mapped file or libpcap's buffer: no copy is made. */
struct mm_packet {
    int64_t ts_ns;          /* capture time, ns since the epoch, UTC */
    uint32_t caplen;        /* bytes available at data */
    uint32_t wirelen;       /* original length on the wire */
    uint32_t linktype;      /* MM_LINK_* or another LINKTYPE_ value */
    const uint8_t *data;
};

struct mm_capture; /* opaque */

enum mm_capture_status {
    MM_CAPTURE_PACKET = 1, /* *pkt filled */
    MM_CAPTURE_END = 0,    /* clean end of file (live: source stopped) */
    MM_CAPTURE_IDLE = 2,   /* live only: no packet within the poll interval */
    /* negative: error (MM_ETRUNCATED, MM_EFORMAT, MM_EIO ...) with detail in err */
};

/* Open a capture file; pcap (us or ns, either byte order) or pcapng is
 * detected from the magic number. The file is mapped read-only; the whole
 * file is validated lazily as packets are read. Errors name the path. */
int mm_capture_open_file(struct mm_capture **out, const char *path, struct mm_err *err);
/* Same, over a caller-owned buffer that must outlive the capture (fuzzing,
 * tests). name is used in error messages. */
int mm_capture_open_memory(struct mm_capture **out, const uint8_t *buf, size_t len, const char *name,
                           struct mm_err *err);
/* Live capture on an interface via libpcap: promiscuous, immediate mode,
 * snaplen just large enough for headers (we never need payload, so we never
 * ask the kernel for it). poll_ms bounds how long next() blocks. */
int mm_capture_open_live(struct mm_capture **out, const char *iface, int poll_ms, struct mm_err *err);

/* Next packet. Returns MM_CAPTURE_PACKET, MM_CAPTURE_END, MM_CAPTURE_IDLE or
 * a negative code; on a corrupt or truncated file the message names the file
 * and the byte offset of the bad record ("x.pcap: offset 1234: ..."). After an
 * error, further calls return the same error. Not thread-safe per handle;
 * distinct handles are independent. */
int mm_capture_next(struct mm_capture *cap, struct mm_packet *pkt, struct mm_err *err);

/* Byte offset of the next record (files); 0 for live. */
uint64_t mm_capture_offset(const struct mm_capture *cap);

/* Ask a live capture to stop: the next next() returns MM_CAPTURE_END.
 * Async-signal-safe. No-op for files. */
void mm_capture_break(struct mm_capture *cap);

/* Packets the kernel dropped (live; 0 for files). */
uint64_t mm_capture_dropped(const struct mm_capture *cap);

void mm_capture_close(struct mm_capture *cap);

#endif
