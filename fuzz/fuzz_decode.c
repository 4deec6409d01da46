/* fuzz_decode.c - libFuzzer target: mm_decode over arbitrary frames of each supported link type. */
#include "net/capture.h"
#include "net/decode.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The first two bytes choose the link type (modulo this table); the rest is
 * the frame, copied to an exact-size heap buffer so that ASan catches any
 * read past caplen. */
static const uint32_t link_types[] = {
    MM_LINK_ETHERNET,  MM_LINK_RAW,        MM_LINK_IPV4, MM_LINK_IPV6,
    MM_LINK_LINUX_SLL, MM_LINK_LINUX_SLL2, MM_LINK_NULL, MM_LINK_LOOP,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size - 2 > UINT32_MAX)
        return 0;
    uint16_t sel = (uint16_t)(data[0] << 8 | data[1]);
    uint32_t lt = link_types[sel % (sizeof link_types / sizeof link_types[0])];
    size_t n = size - 2;
    uint8_t *frame = malloc(n ? n : 1);
    if (!frame)
        return 0;
    memcpy(frame, data + 2, n);
    struct mm_packet_facts pf;
    enum mm_decode_reason r = mm_decode(lt, frame, (uint32_t)n, &pf);
    if ((unsigned)r >= MM_DECODE_REASON_COUNT)
        abort();
    if (r == MM_DECODE_OK) {
        if (pf.src.family != 4 && pf.src.family != 6)
            abort();
        if (pf.src.family != pf.dst.family || pf.frag > MM_FRAG_LATER)
            abort();
        if (pf.frag == MM_FRAG_LATER && (pf.src_port || pf.dst_port || pf.tcp_flags))
            abort();
    }
    free(frame);
    return 0;
}
