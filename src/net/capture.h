/* capture.h - packet sources: capture files (pcap, pcapng; read from memory) and live interfaces (libpcap). */
#ifndef MM_CAPTURE_H
#define MM_CAPTURE_H

#include <stddef.h>
#include <stdbool.h>
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
 * data points into the mapped file, the read buffer or libpcap's buffer. */
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
/* Same, for reading the file once from start to end: a classic pcap is
 * read with read(2), read_bytes at a time (0: 1 MiB), into a buffer that
 * holds the record being returned (cheaper than mapping a file that is
 * read once); other files are mapped as by mm_capture_open_file. Packets,
 * statuses and messages are those of mm_capture_open_file. Such a handle
 * cannot be read at an offset (mm_capture_splittable is false). */
int mm_capture_open_sequential(struct mm_capture **out, const char *path, size_t read_bytes,
                               struct mm_err *err);
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

/* Map the page tables for bytes [from, from + len) of a mapped capture
 * file, so that a reader getting there takes no page faults (clipped to
 * the file; a no-op for buffers, read files and live captures). next()
 * does this by itself as it goes; this is for readers of byte ranges. May
 * run on another thread while one calls next(). Returns the end of the
 * range actually covered. */
uint64_t mm_capture_prefault(const struct mm_capture *cap, uint64_t from, uint64_t len);

/* Ask a live capture to stop: the next next() returns MM_CAPTURE_END.
 * Async-signal-safe. No-op for files. */
void mm_capture_break(struct mm_capture *cap);

/* ---- reading one classic pcap file from several threads ----
 * Its records can be read at any byte offset without the handle's cursor,
 * so threads may each take a byte range. The functions below read only
 * what open set and may run concurrently (with each other and with next()). */

/* True for a classic pcap file (pcapng's interface blocks make its records
 * depend on what came before, so it is read in order). */
bool mm_capture_splittable(const struct mm_capture *cap);
/* The file's size in bytes (0 for live). */
uint64_t mm_capture_size(const struct mm_capture *cap);
/* The record at *off, as next() would return it, with the same checks and
 * messages; on success *off moves to the following record. */
int mm_capture_read_at(const struct mm_capture *cap, uint64_t *off, struct mm_packet *pkt,
                       struct mm_err *err);
/* The first offset in [from, to) where a plausible run of record headers
 * starts, or UINT64_MAX. A guess: the caller must check that the record
 * before it ends exactly there (a false start is possible on crafted data). */
uint64_t mm_capture_resync(const struct mm_capture *cap, uint64_t from, uint64_t to);

/* Packets the kernel dropped (live; 0 for files). */
uint64_t mm_capture_dropped(const struct mm_capture *cap);

void mm_capture_close(struct mm_capture *cap);

#endif
