/* cmd_select.c - `mamori select`: the sensor's command line. */
#include "cli/commands.h"
#include "cli/session.h"

#include "select/engine.h"
#include "select/policy.h"
#include "select/policy_trust.h"
#include "select/record_json.h"
#include "store/record_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char MM_HELP_SELECT[] =
    "usage: mamori select --policy POLICY.json [--trust KEY.pub] [--out FILE|-] [--stats FILE]\n"
    "                     [--workers N] [--max-flows N] [--chunk BYTES] [--pin]\n"
    "                     (INPUT... | --interface IFACE)\n"
    "\n"
    "Reads capture files (pcap or pcapng) or a live interface, keeps only the flows\n"
    "whose direction the policy's route allows and that match an active criterion,\n"
    "and writes one JSON object per selected flow (JSON Lines). Endpoints that are\n"
    "not indicators are pseudonymized with Crypto-PAn. Nothing else leaves: no\n"
    "payload, no other header field.\n"
    "\n"
    "  --policy FILE     selection policy (JSON; see docs/policy.md). Refused as a\n"
    "                    whole, before any packet is read, if anything is malformed.\n"
    "  --trust KEY.pub   accept only a policy the committee signed (mamori policy\n"
    "                    issue): POLICY.json.sig must verify with this Ed25519 public\n"
    "                    key, and every feed and domestic file must be pinned by a\n"
    "                    SHA-256 in the signed text and match it (docs/governance.md)\n"
    "  --out FILE|-      records as JSON Lines (default: standard output); a file is\n"
    "                    created with mode 0600\n"
    "  --stats FILE      counters of the run as JSON (packets, malformed by reason,\n"
    "                    flows per direction, discards per reason, selections per\n"
    "                    criterion, evictions)\n"
    "  --workers N       worker threads, each with its own flow table and a shard of\n"
    "                    the flows by a symmetric hash (default 1)\n"
    "  --max-flows N     flow table bound over all workers (default 1000000); when\n"
    "                    full, the least recently seen nearby flow is ended early;\n"
    "                    live, the tables take their full size (128-256 bytes\n"
    "                    per flow; at most a quarter of the machine's memory)\n"
    "                    at start, so the link never waits on growth\n"
    "  --chunk BYTES     with several workers, a classic pcap file is read in byte\n"
    "                    ranges of this size, one per worker at a time (default\n"
    "                    262144, at most 16 MiB; the records are the same for any\n"
    "                    size)\n"
    "  --pin             run each worker on its own CPU (the live reader on the\n"
    "                    first), among those the process may use (taskset,\n"
    "                    cgroups): no cache lost to the kernel moving workers\n"
    "  --interface IFACE live capture (needs CAP_NET_RAW); stops on SIGINT/SIGTERM\n"
    "  --store PATH      also write the records into the store (an analyst's token,\n"
    "                    --token or MAMORI_TOKEN), in one transaction per batch; the\n"
    "                    run's counters are kept with it. Without --out, records\n"
    "                    then go only to the store.\n"
    "\n"
    "Several INPUT files are read in order as one stream.\n"
    "Exit status: 0 done; 1 output failure; 2 usage, policy or capture file error\n"
    "(a corrupt capture is reported with its byte offset; records already written\n"
    "stay complete lines).\n";

struct jsonl_sink {
    int fd; /* -1: no JSON Lines output */
    const char *name;
    const struct mm_policy *policy;
    pthread_mutex_t write_lock; /* workers format apart, write one at a time */
    struct jsonl_buffer {
        char *buf;
        size_t cap;
    } buffers[256]; /* one per worker (at most 256) */
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
static int jsonl_deliver(struct jsonl_sink *s, unsigned worker, const struct mm_record *recs, size_t n,
                         struct mm_err *err)
{
    if (s->fd < 0)
        return 0;
    struct jsonl_buffer *b = &s->buffers[worker];
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t need = MM_RECORD_JSON_BASE_MAX + recs[i].ncriteria * (MM_CRITERION_ID_MAX + 3);
        if (b->cap - len < need) {
            size_t ncap = b->cap ? b->cap * 2 : 1 << 20;
            while (ncap - len < need)
                ncap *= 2;
            char *nb = realloc(b->buf, ncap);
            if (!nb)
                return mm_err_set(err, MM_ENOMEM, "out of memory formatting records");
            b->buf = nb;
            b->cap = ncap;
        }
        size_t w = mm_record_format_json(s->policy, &recs[i], b->buf + len, b->cap - len);
        if (w == 0)
            return mm_err_set(err, MM_EINVAL, "record too long to format");
        len += w;
    }
    pthread_mutex_lock(&s->write_lock);
    int failed = write_all(s->fd, b->buf, len);
    pthread_mutex_unlock(&s->write_lock);
    if (failed)
        return mm_err_set(err, MM_EOUTPUT, "%s: write failed: %s", s->name, strerror(errno));
    return 0;
}

static double policy_load_seconds, store_drain_seconds;

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static int write_stats(const char *path, const struct mm_select_stats *st, const struct mm_policy *p,
                       unsigned workers)
{
    json_t *o = mm_select_stats_json(st, p, workers);
    if (o)
        json_object_set_new(o, "policy_load_seconds", json_real(policy_load_seconds));
    if (o && store_drain_seconds > 0)
        json_object_set_new(o, "store_drain_seconds", json_real(store_drain_seconds));
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

/* Records go to the JSON Lines sink and, with --store, into the store. */
struct select_sinks {
    struct jsonl_sink jsonl;
    struct mm_record_writer *writer; /* with --store: inserts on its own thread */
    int64_t run_id;
    uint64_t stored;
};

/* Workers call this concurrently, each with its own id (see engine.h). */
static int deliver_all(void *ctx, unsigned worker, const struct mm_record *recs, size_t n,
                       struct mm_err *err)
{
    struct select_sinks *s = ctx;
    int rc = jsonl_deliver(&s->jsonl, worker, recs, n, err);
    if (rc == 0 && s->writer) {
        struct mm_err serr;
        mm_err_clear(&serr);
        if ((rc = mm_record_writer_put(s->writer, recs, n, &serr)))
            return mm_err_set(err, MM_EOUTPUT, "%s", serr.msg);
    }
    return rc;
}

static volatile sig_atomic_t stop_requested;
static void on_stop_signal(int sig) { stop_requested = sig; }

/* Keep the run's counters with it and log the run in the audit log. */
static int finish_run(struct mm_session *session, struct select_sinks *sinks,
                      const struct mm_select_stats *st, const struct mm_policy *p, unsigned workers,
                      int run_rc)
{
    json_t *o = mm_select_stats_json(st, p, workers);
    char *text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    struct mm_err err;
    mm_err_clear(&err);
    int rc = text ? mm_store_run_finish(session->store, sinks->run_id, run_rc ? "failed" : "done",
                                        text, &err)
                  : MM_ENOMEM;
    free(text);
    if (rc) {
        mm_session_error("mamori select", &err);
        return rc;
    }
    json_t *obj = json_pack("{s:I, s:s, s:I}", "run", (json_int_t)sinks->run_id, "policy_id",
                            p->policy_id, "policy_version", (json_int_t)p->policy_version);
    char *object = obj ? json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(obj);
    rc = mm_session_audit(session, "records.write", NULL, NULL, object, (int64_t)sinks->stored,
                          run_rc ? "error" : "ok");
    free(object);
    return rc;
}

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
        {"store", required_argument, NULL, 'S'},  {"token", required_argument, NULL, 't'},
        {"trust", required_argument, NULL, 'T'},  {"chunk", required_argument, NULL, 'c'},
        {"pin", no_argument, NULL, 'P'},          {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *policy_path = NULL, *out_path = NULL, *stats_path = NULL, *iface = NULL;
    const char *store_path = NULL, *token = NULL, *trust = NULL;
    unsigned long long workers = 1, max_flows = 1000000, chunk = 0;
    bool pin = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': policy_path = optarg; break;
        case 'o': out_path = optarg; break;
        case 's': stats_path = optarg; break;
        case 'i': iface = optarg; break;
        case 'S': store_path = optarg; break;
        case 't': token = optarg; break;
        case 'T': trust = optarg; break;
        case 'w':
            if (parse_count("--workers", optarg, 256, &workers))
                return MM_EXIT_USAGE;
            break;
        case 'm':
            if (parse_count("--max-flows", optarg, 1ULL << 30, &max_flows))
                return MM_EXIT_USAGE;
            break;
        case 'c':
            /* Each block slot holds room for a range's smallest possible records: keep it sane. */
            if (parse_count("--chunk", optarg, 16ULL << 20, &chunk))
                return MM_EXIT_USAGE;
            break;
        case 'P': pin = true; break;
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
    struct mm_err err;
    mm_err_clear(&err);
    struct mm_policy *policy = NULL;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if ((trust ? mm_policy_load_trusted(policy_path, trust, &policy, &err)
               : mm_policy_load(policy_path, &policy, &err)) != 0) {
        fprintf(stderr, "mamori select: %s\n", err.msg);
        return MM_EXIT_USAGE;
    }
    policy_load_seconds = seconds_since(&t0);

    int exit_code = MM_EXIT_OK;
    struct mm_session session = {0};
    struct select_sinks sinks = {.jsonl = {.fd = STDOUT_FILENO, .name = "standard output", .policy = policy}};
    struct jsonl_sink *sink = &sinks.jsonl;
    pthread_mutex_init(&sink->write_lock, NULL);
    if (store_path) {
        int rc = mm_session_open(&session, "mamori select", store_path, token, MM_ACT_RECORDS_WRITE);
        if (rc) {
            mm_policy_free(policy);
            return rc;
        }
        if (!out_path)
            sink->fd = -1;
        char inputs[1024];
        snprintf(inputs, sizeof inputs, "%s%s", iface ? "interface " : "", iface ? iface : argv[optind]);
        if (mm_store_run_begin(session.store, policy, inputs, &sinks.run_id, &err) != 0 ||
            mm_record_writer_start(session.store, sinks.run_id, policy, &sinks.writer, &err) != 0) {
            mm_session_error("mamori select", &err);
            mm_session_close(&session);
            mm_policy_free(policy);
            return MM_EXIT_FAIL;
        }
    }
    if (out_path && strcmp(out_path, "-") != 0) {
        sink->fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        sink->name = out_path;
        if (sink->fd < 0) {
            fprintf(stderr, "mamori select: %s: cannot create: %s\n", out_path, strerror(errno));
            mm_session_close(&session);
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
                                    .file_chunk_bytes = (size_t)chunk,
                                    .pin = pin,
                                    .deliver = deliver_all,
                                    .deliver_ctx = &sinks,
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
    if (sinks.writer) {
        /* Commit what is queued; the store connection is the main thread's again. */
        struct mm_err werr;
        mm_err_clear(&werr);
        struct timespec drain_start;
        clock_gettime(CLOCK_MONOTONIC, &drain_start);
        int wrc = mm_record_writer_finish(sinks.writer, &sinks.stored, &werr);
        store_drain_seconds = seconds_since(&drain_start);
        sinks.writer = NULL;
        if (wrc && !rc) {
            rc = wrc;
            mm_session_error("mamori select", &werr);
            exit_code = MM_EXIT_FAIL;
        }
    }
    if (stats_path && write_stats(stats_path, &stats, policy, (unsigned)workers) != 0 && !exit_code)
        exit_code = MM_EXIT_FAIL;
    if (session.store && finish_run(&session, &sinks, &stats, policy, (unsigned)workers, rc) != 0 &&
        !exit_code)
        exit_code = MM_EXIT_FAIL;
    mm_select_stats_fini(&stats);
out:
    if (sinks.writer) {
        uint64_t ignored;
        struct mm_err ignored_err;
        mm_record_writer_finish(sinks.writer, &ignored, &ignored_err);
    }
    mm_session_close(&session);
    if (sink->fd >= 0 && sink->fd != STDOUT_FILENO && close(sink->fd) != 0 && !exit_code) {
        fprintf(stderr, "mamori select: %s: %s\n", out_path, strerror(errno));
        exit_code = MM_EXIT_FAIL;
    }
    for (size_t i = 0; i < sizeof sink->buffers / sizeof sink->buffers[0]; i++)
        free(sink->buffers[i].buf);
    pthread_mutex_destroy(&sink->write_lock);
    mm_policy_free(policy);
    return exit_code;
}
