/* filter_opts.h - the record filter options that query, provide and hold request share. */
#ifndef MM_FILTER_OPTS_H
#define MM_FILTER_OPTS_H

#include <getopt.h>

#include "store/records_query.h"

enum {
    MM_OPT_FROM = 0x100,
    MM_OPT_TO,
    MM_OPT_CRITERION,
    MM_OPT_DIRECTION,
    MM_OPT_ADDRESS,
    MM_OPT_PREFIX,
};

/* Entries for a getopt_long option table. */
#define MM_FILTER_LONGOPTS                                                                         \
    {"from", required_argument, NULL, MM_OPT_FROM}, {"to", required_argument, NULL, MM_OPT_TO},    \
        {"criterion", required_argument, NULL, MM_OPT_CRITERION},                                  \
        {"direction", required_argument, NULL, MM_OPT_DIRECTION},                                  \
        {"address", required_argument, NULL, MM_OPT_ADDRESS},                                      \
        {"prefix", required_argument, NULL, MM_OPT_PREFIX}

#define MM_FILTER_HELP                                                                             \
    "  --from TIME --to TIME  records whose [first_seen, last_seen] overlaps [from, to)\n"         \
    "                    (RFC 3339)\n"                                                             \
    "  --criterion ID    records selected by this criterion\n"                                     \
    "  --direction D     foreign_to_foreign, foreign_to_domestic or domestic_to_foreign\n"         \
    "  --address ADDR    records whose src_addr or dst_addr is ADDR (clear or pseudonym)\n"        \
    "  --prefix P        records with src_addr or dst_addr inside P (IPv4 or IPv6)\n"

/* Apply option c (one of MM_OPT_*) with arg to f. Returns 0 when applied, 1
 * when c is no filter option, or MM_EXIT_USAGE after printing a message. */
int mm_filter_opt(const char *command, int c, const char *arg, struct mm_record_filter *f);

#endif
