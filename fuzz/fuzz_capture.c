/* fuzz_capture.c - libFuzzer target: the pcap/pcapng reader over arbitrary bytes, then decode; a
 * classic pcap read in byte ranges (as several workers read it), and the same bytes read from a file
 * with read(2) in small pieces (as one worker reads it), must give what reading in order gives. */
#include "net/capture.h"
#include "net/decode.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The engine's way with several workers: cut the file into ranges, guess
 * each range's first record, keep the guess only if the previous range's
 * records end there, else read from where they end. The records and the
 * final status must equal the in-order read's. */
static void check_ranges(const struct mm_capture *cap, const uint8_t *data, size_t size,
                         const uint8_t *const *seq, size_t nseq, int seq_rc, const char *seq_msg)
{
    uint64_t first = mm_capture_offset(cap), chain = first;
    uint64_t chunk = 1 + (size ? data[size - 1] % 97 : 0);
    size_t n = 0;
    int rc = MM_CAPTURE_END;
    struct mm_err err = {0};
    for (uint64_t start = first; start < size && rc == MM_CAPTURE_END; start += chunk) {
        uint64_t end = size - start > chunk ? start + chunk : size;
        uint64_t guess = start == first ? start : mm_capture_resync(cap, start, end);
        if (guess != UINT64_MAX && (guess < start || guess >= end))
            abort();
        uint64_t off = chain; /* == guess when the guess was right */
        while (off < end) {
            struct mm_packet pkt;
            int st = mm_capture_read_at(cap, &off, &pkt, &err);
            if (st == MM_CAPTURE_PACKET) {
                if (n >= nseq || pkt.data != seq[n])
                    abort();
                n++;
            } else {
                rc = st;
                break;
            }
        }
        chain = off;
    }
    if (n != nseq || (rc < 0) != (seq_rc < 0) || (rc < 0 && strcmp(err.msg, seq_msg) != 0))
        abort();
}

/* The input as a file, read by the sequential reader in pieces of 1 to 61
 * bytes, against the reader over memory under the same name: the same
 * packets, offsets, statuses and messages. */
static void check_sequential(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz", 0);
    if (fd < 0)
        return;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    if (size && write(fd, data, size) != (ssize_t)size)
        abort();
    struct mm_capture *a = NULL, *b = NULL;
    struct mm_err ea = {0}, eb = {0};
    int ra = mm_capture_open_memory(&a, data, size, path, &ea);
    int rb = mm_capture_open_sequential(&b, path, 1 + (size ? data[0] % 61 : 0), &eb);
    if (ra != rb || strcmp(ea.msg, eb.msg) != 0)
        abort();
    while (ra == 0) {
        struct mm_packet pa, pb;
        ra = mm_capture_next(a, &pa, &ea);
        rb = mm_capture_next(b, &pb, &eb);
        if (ra != rb)
            abort();
        if (ra != MM_CAPTURE_PACKET)
            break;
        if (pa.ts_ns != pb.ts_ns || pa.caplen != pb.caplen || pa.wirelen != pb.wirelen ||
            pa.linktype != pb.linktype || memcmp(pa.data, pb.data, pa.caplen) != 0 ||
            mm_capture_offset(a) != mm_capture_offset(b))
            abort();
        ra = 0;
    }
    if (ra < 0 && strcmp(ea.msg, eb.msg) != 0)
        abort();
    mm_capture_close(a);
    mm_capture_close(b);
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_sequential(data, size);
    struct mm_capture *cap;
    struct mm_err err = {0};
    if (mm_capture_open_memory(&cap, data, size, "fuzz", &err) < 0) {
        if (err.code >= 0 || !strstr(err.msg, "fuzz: "))
            abort(); /* every failure is a negative code with a message naming the input */
        return 0;
    }
    struct mm_packet pkt;
    int rc;
    uint64_t last = mm_capture_offset(cap);
    size_t nseq = 0;
    const uint8_t **seq = malloc((size / 8 + 1) * sizeof *seq);
    if (!seq)
        abort();
    while ((rc = mm_capture_next(cap, &pkt, &err)) == MM_CAPTURE_PACKET) {
        seq[nseq++] = pkt.data;
        /* The packet lies inside the input, and the reader moves forward. */
        if (pkt.data < data || pkt.caplen > size || (size_t)(pkt.data - data) > size - pkt.caplen)
            abort();
        uint64_t off = mm_capture_offset(cap);
        if (off <= last || off > size)
            abort();
        last = off;
        struct mm_packet_facts pf;
        enum mm_decode_reason r = mm_decode(pkt.linktype, pkt.data, pkt.caplen, &pf);
        if ((unsigned)r >= MM_DECODE_REASON_COUNT)
            abort();
    }
    if (rc < 0) {
        /* Errors are sticky and say where. */
        struct mm_err again = {0};
        if (mm_capture_next(cap, &pkt, &again) != rc || strcmp(again.msg, err.msg) != 0 ||
            !strstr(err.msg, "offset "))
            abort();
    } else if (rc != MM_CAPTURE_END || mm_capture_offset(cap) != size) {
        abort(); /* a clean end consumed the whole input */
    }
    /* A fresh handle: an error makes one unsplittable. */
    struct mm_capture *fresh;
    if (mm_capture_open_memory(&fresh, data, size, "fuzz", &err) == 0) {
        if (mm_capture_splittable(fresh))
            check_ranges(fresh, data, size, seq, nseq, rc, err.msg);
        mm_capture_close(fresh);
    }
    free(seq);
    mm_capture_close(cap);
    return 0;
}
