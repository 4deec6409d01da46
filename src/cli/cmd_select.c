/* cmd_select.c - `mamori select`: the sensor's command line. */
#include "cli/commands.h"

#include "select/engine.h"
#include "select/policy.h"
#include "select/record_json.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char MM_HELP_SELECT[] =
    "usage: mamori select --policy POLICY.json [--out FILE|-] [--stats FILE] [--workers N]\n"
    "                     [--max-flows N] (INPUT... | --interface IFACE)\n"
    "\n"
    "Reads capture files (pcap or pcapng) or a live interface, keeps only the flows\n"
    "whose direction the policy's route allows and that match an active criterion,\n"
    "and writes one JSON object per selected flow (JSON Lines). Endpoints that are\n"
    "not indicators are pseudonymized with Crypto-PAn. Nothing else leaves: no\n"
    "payload, no other header field.\n"
    "\n"
    "  --policy FILE     selection policy (JSON; see docs/policy.md). Refused as a\n"
    "                    whole, before any packet is read, if anything is malformed.\n"
    "  --out FILE|-      records as JSON Lines (default: standard output); a file is\n"
    "                    created with mode 0600\n"
    "  --stats FILE      counters of the run as JSON (packets, malformed by reason,\n"
    "                    flows per direction, discards per reason, selections per\n"
    "                    criterion, evictions)\n"
    "  --workers N       worker threads, each with its own flow table and a shard of\n"
    "                    the flows by a symmetric hash (default 1)\n"
    "  --max-flows N     flow table bound over all workers (default 1000000); when\n"
    "                    full, the least recently seen nearby flow is ended early\n"
    "  --interface IFACE live capture (needs CAP_NET_RAW); stops on SIGINT/SIGTERM\n"
    "\n"
    "Several INPUT files are read in order as one stream.\n"
    "Exit status: 0 done; 1 output failure; 2 usage, policy or capture file error\n"
    "(a corrupt capture is reported with its byte offset; records already written\n"
    "stay complete lines).\n";

struct jsonl_sink {
    int fd;
    const char *name;
    const struct mm_policy *policy;
    char *buf;
    size_t cap;
};

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Formats a whole batch, then writes it with write(2): only complete lines
 * ever reach the file, so a later failure cannot leave half a record. */
static int jsonl_deliver(void *ctx, const struct mm_record *recs, size_t n, struct mm_err *err)
{
    struct jsonl_sink *s = ctx;
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t need = MM_RECORD_JSON_BASE_MAX + recs[i].ncriteria * (MM_CRITERION_ID_MAX + 3);
        if (s->cap - len < need) {
            size_t ncap = s->cap ? s->cap * 2 : 1 << 20;
            while (ncap - len < need)
                ncap *= 2;
            char *nb = realloc(s->buf, ncap);
            if (!nb)
                return mm_err_set(err, MM_ENOMEM, "out of memory formatting records");
            s->buf = nb;
            s->cap = ncap;
        }
        size_t w = mm_record_format_json(s->policy, &recs[i], s->buf + len, s->cap - len);
        if (w == 0)
            return mm_err_set(err, MM_EINVAL, "record too long to format");
        len += w;
    }
    if (write_all(s->fd, s->buf, len) != 0)
        return mm_err_set(err, MM_EOUTPUT, "%s: write failed: %s", s->name, strerror(errno));
    return 0;
}

static int write_stats(const char *path, const struct mm_select_stats *st, const struct mm_policy *p,
                       unsigned workers)
{
    json_t *o = mm_select_stats_json(st, p, workers);
    if (!o) {
        fprintf(stderr, "mamori select: out of memory writing statistics\n");
        return -1;
    }
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int rc = json_dump_file(o, tmp, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(o);
    if (rc != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "mamori select: %s: cannot write statistics: %s\n", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static volatile sig_atomic_t stop_requested;
static void on_stop_signal(int sig) { stop_requested = sig; }

static int parse_count(const char *opt, const char *text, unsigned long long max, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end || end == text || v == 0 || v > max || text[0] == '-') {
        fprintf(stderr, "mamori select: %s: expected a number from 1 to %llu, got '%s'\n", opt, max, text);
        return -1;
    }
    *out = v;
    return 0;
}

int mm_cmd_select(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"policy", required_argument, NULL, 'p'}, {"out", required_argument, NULL, 'o'},
        {"stats", required_argument, NULL, 's'},  {"workers", required_argument, NULL, 'w'},
        {"max-flows", required_argument, NULL, 'm'}, {"interface", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    const char *policy_path = NULL, *out_path = "-", *stats_path = NULL, *iface = NULL;
    unsigned long long workers = 1, max_flows = 1000000;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': policy_path = optarg; break;
        case 'o': out_path = optarg; break;
        case 's': stats_path = optarg; break;
        case 'i': iface = optarg; break;
        case 'w':
            if (parse_count("--workers", optarg, 256, &workers))
                return MM_EXIT_USAGE;
            break;
        case 'm':
            if (parse_count("--max-flows", optarg, 1ULL << 30, &max_flows))
                return MM_EXIT_USAGE;
            break;
        case 'h': fputs(MM_HELP_SELECT, stdout); return MM_EXIT_OK;
        default: fputs(MM_HELP_SELECT, stderr); return MM_EXIT_USAGE;
        }
    }
    if (!policy_path) {
        fprintf(stderr, "mamori select: --policy is required\n\n%s", MM_HELP_SELECT);
        return MM_EXIT_USAGE;
    }
    size_t ninputs = (size_t)(argc - optind);
    if ((ninputs == 0) == (iface == NULL)) {
        fprintf(stderr, "mamori select: give capture files or --interface, not both or neither\n");
        return MM_EXIT_USAGE;
    }
    if (iface && workers > 1) {
        fprintf(stderr, "mamori select: live capture runs a single worker; run one sensor per "
                        "link or queue to use more cores\n");
        return MM_EXIT_USAGE;
    }

    struct mm_err err;
    mm_err_clear(&err);
    struct mm_policy *policy = NULL;
    if (mm_policy_load(policy_path, &policy, &err) != 0) {
        fprintf(stderr, "mamori select: %s\n", err.msg);
        return MM_EXIT_USAGE;
    }

    int exit_code = MM_EXIT_OK;
    struct jsonl_sink sink = {.fd = STDOUT_FILENO, .name = "standard output", .policy = policy};
    if (strcmp(out_path, "-") != 0) {
        sink.fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        sink.name = out_path;
        if (sink.fd < 0) {
            fprintf(stderr, "mamori select: %s: cannot create: %s\n", out_path, strerror(errno));
            mm_policy_free(policy);
            return MM_EXIT_FAIL;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    if (iface) {
        struct sigaction sa = {.sa_handler = on_stop_signal};
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
    }

    struct mm_select_options opt = {.policy = policy,
                                    .workers = (unsigned)workers,
                                    .max_flows = (size_t)max_flows,
                                    .deliver = jsonl_deliver,
                                    .deliver_ctx = &sink,
                                    .stop = &stop_requested};
    struct mm_select_stats stats;
    if (mm_select_stats_init(&stats, policy->ncriteria) != 0) {
        fprintf(stderr, "mamori select: out of memory\n");
        exit_code = MM_EXIT_FAIL;
        goto out;
    }
    int rc = iface ? mm_select_run_live(&opt, iface, &stats, &err)
                   : mm_select_run_files(&opt, (const char *const *)argv + optind, ninputs, &stats, &err);
    if (rc) {
        fprintf(stderr, "mamori select: %s\n", err.msg);
        /* Input problems (corrupt capture, bad interface) are 2; failures
         * to write or allocate are 1. */
        exit_code = (rc == MM_EOUTPUT || rc == MM_ENOMEM) ? MM_EXIT_FAIL : MM_EXIT_USAGE;
    }
    if (stats_path && write_stats(stats_path, &stats, policy, (unsigned)workers) != 0 && !exit_code)
        exit_code = MM_EXIT_FAIL;
    mm_select_stats_fini(&stats);
out:
    if (sink.fd != STDOUT_FILENO && close(sink.fd) != 0 && !exit_code) {
        fprintf(stderr, "mamori select: %s: %s\n", out_path, strerror(errno));
        exit_code = MM_EXIT_FAIL;
    }
    free(sink.buf);
    mm_policy_free(policy);
    return exit_code;
}
