/* pcap_floor.c - the bench floor: the fastest a libpcap reader can walk a capture file, doing
 * nothing.
 *
 * A bare pcap_open_offline + pcap_next_ex loop that counts packets and sums caplen (so the reads
 * cannot be optimized away). Whatever mamori does per packet costs on top of this; bench/run.sh
 * reports mamori's rate as a fraction of it.
 *
 * Output, one line: "packets N caplen_bytes B wire_bytes W elapsed_s S pps P".
 */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include <pcap/pcap.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: pcap_floor FILE.pcap\n");
        return 2;
    }
    char errbuf[PCAP_ERRBUF_SIZE];
    double start = now_s();
    pcap_t *p = pcap_open_offline(argv[1], errbuf);
    if (!p) {
        fprintf(stderr, "pcap_floor: %s\n", errbuf);
        return 1;
    }
    struct pcap_pkthdr *hdr;
    const u_char *data;
    uint64_t packets = 0, caplen = 0, wire = 0, first_bytes = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
        packets++;
        caplen += hdr->caplen;
        wire += hdr->len;
        first_bytes += data[0]; /* touch the packet, as any reader must */
    }
    if (rc == PCAP_ERROR) {
        fprintf(stderr, "pcap_floor: %s: %s\n", argv[1], pcap_geterr(p));
        pcap_close(p);
        return 1;
    }
    pcap_close(p);
    double elapsed = now_s() - start;
    printf("packets %" PRIu64 " caplen_bytes %" PRIu64 " wire_bytes %" PRIu64
           " elapsed_s %.3f pps %.0f checksum %" PRIu64 "\n",
           packets, caplen, wire, elapsed, elapsed > 0 ? packets / elapsed : 0.0, first_bytes);
    return 0;
}
