/* fuzz_capture.c - libFuzzer target: the pcap/pcapng reader over arbitrary bytes, then decode. */
#include "net/capture.h"
#include "net/decode.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
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
    while ((rc = mm_capture_next(cap, &pkt, &err)) == MM_CAPTURE_PACKET) {
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
    mm_capture_close(cap);
    return 0;
}
