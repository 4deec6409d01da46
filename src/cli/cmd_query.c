/* cmd_query.c - `mamori query`: purpose-bound reads of stored records, each one audited; also the
 * record filter options the store commands share. */
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/filter_opts.h"
#include "cli/session.h"

#include "util/timefmt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char MM_HELP_QUERY[] =
    "usage: mamori query --store PATH --purpose P --reason TEXT [FILTERS] [--token T]\n"
    "\n"
    "Prints the stored records that match as JSON Lines, in exactly the record\n"
    "contract's format (the keys and order 'mamori select' writes). A read needs a\n"
    "purpose from a closed list: damage_prevention, provision, committee_inspection.\n"
    "Any other purpose (criminal_investigation among them) is refused with exit 2,\n"
    "and the refused attempt is written to the audit log. Every query is audited\n"
    "with its purpose, reason, filter and the number of records returned, before\n"
    "any record is printed. For the analyst and committee roles.\n"
    "\n" MM_FILTER_HELP "\n"
    "Exit status: 0 done; 1 store failure; 2 usage error or refused purpose;\n"
    "3 permission denied.\n";

int mm_filter_opt(const char *command, int c, const char *arg, struct mm_record_filter *f)
{
    switch (c) {
    case MM_OPT_FROM:
    case MM_OPT_TO:
        if (mm_cli_parse_time(command, c == MM_OPT_FROM ? "--from" : "--to", arg,
                              c == MM_OPT_FROM ? &f->from_ns : &f->to_ns))
            return MM_EXIT_USAGE;
        return 0;
    case MM_OPT_CRITERION:
        if (!*arg || strlen(arg) >= sizeof f->criterion) {
            fprintf(stderr, "%s: --criterion: expected an id of 1 to %zu characters\n", command,
                    sizeof f->criterion - 1);
            return MM_EXIT_USAGE;
        }
        snprintf(f->criterion, sizeof f->criterion, "%s", arg);
        return 0;
    case MM_OPT_DIRECTION:
        if (strcmp(arg, "foreign_to_foreign") && strcmp(arg, "foreign_to_domestic") &&
            strcmp(arg, "domestic_to_foreign")) {
            fprintf(stderr, "%s: --direction: expected foreign_to_foreign, foreign_to_domestic or "
                            "domestic_to_foreign, got '%s'\n",
                    command, arg);
            return MM_EXIT_USAGE;
        }
        snprintf(f->direction, sizeof f->direction, "%s", arg);
        return 0;
    case MM_OPT_ADDRESS:
    case MM_OPT_PREFIX:
        if (f->has_addr || f->has_prefix) {
            fprintf(stderr, "%s: give one --address or --prefix\n", command);
            return MM_EXIT_USAGE;
        }
        if (c == MM_OPT_ADDRESS ? mm_addr_parse(arg, &f->addr) != 0 : mm_prefix_parse(arg, &f->prefix) != 0) {
            fprintf(stderr, "%s: --%s: not an IPv4 or IPv6 %s (host bits must be zero): %s\n", command,
                    c == MM_OPT_ADDRESS ? "address" : "prefix", c == MM_OPT_ADDRESS ? "address" : "prefix",
                    arg);
            return MM_EXIT_USAGE;
        }
        f->has_addr = c == MM_OPT_ADDRESS;
        f->has_prefix = c == MM_OPT_PREFIX;
        return 0;
    default: return 1;
    }
}

/* Output waits in memory until the read is audited; bounded. */
#define QUERY_OUTPUT_MAX ((size_t)1 << 30)

struct query_out {
    char *buf;
    size_t len, cap;
    int64_t records;
    struct mm_err *err;
};

static int collect(void *ctx, const struct mm_stored_record *r)
{
    struct query_out *q = ctx;
    json_t *o = mm_stored_record_json(r);
    char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!line)
        return mm_err_set(q->err, MM_ENOMEM, "out of memory (or a corrupt criteria column, record %lld)",
                          (long long)r->id);
    size_t n = strlen(line);
    if (q->cap - q->len < n + 1) {
        size_t ncap = q->cap ? q->cap * 2 : 1 << 16;
        while (ncap - q->len < n + 1)
            ncap *= 2;
        char *nb = ncap <= QUERY_OUTPUT_MAX ? realloc(q->buf, ncap) : NULL;
        if (!nb) {
            free(line);
            return mm_err_set(q->err, MM_EFULL, "the result exceeds %zu MiB; narrow the filter",
                              QUERY_OUTPUT_MAX >> 20);
        }
        q->buf = nb;
        q->cap = ncap;
    }
    memcpy(q->buf + q->len, line, n);
    q->buf[q->len + n] = '\n';
    q->len += n + 1;
    q->records++;
    free(line);
    return 0;
}

int mm_cmd_query(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 's'}, {"token", required_argument, NULL, 't'},
        {"purpose", required_argument, NULL, 'p'}, {"reason", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},          MM_FILTER_LONGOPTS,
        {NULL, 0, NULL, 0}};
    const char *command = "mamori query";
    const char *store = NULL, *token = NULL, *purpose = NULL, *reason = NULL;
    struct mm_record_filter f;
    mm_record_filter_init(&f);
    int c, rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 's': store = optarg; break;
        case 't': token = optarg; break;
        case 'p': purpose = optarg; break;
        case 'r': reason = optarg; break;
        case 'h': fputs(MM_HELP_QUERY, stdout); return 0;
        default:
            if ((rc = mm_filter_opt(command, c, optarg, &f)) == 0)
                break;
            if (rc == 1)
                fputs(MM_HELP_QUERY, stderr);
            return MM_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fputs(MM_HELP_QUERY, stderr);
        return MM_EXIT_USAGE;
    }
    struct mm_session s;
    if ((rc = mm_session_open(&s, command, store, token, MM_ACT_RECORDS_QUERY)))
        return rc;
    char *filter = mm_record_filter_to_text(&f);
    struct mm_err err;
    mm_err_clear(&err);
    struct query_out q = {.err = &err};
    int exit_code = 0;
    if (!filter) {
        fprintf(stderr, "%s: out of memory\n", command);
        exit_code = MM_EXIT_FAIL;
    } else if (!mm_purpose_allowed(purpose) || !reason || !*reason) {
        /* The refused attempt is evidence too. */
        exit_code = mm_session_audit(&s, "records.query", purpose, reason, filter, 0, "refused")
                        ? MM_EXIT_FAIL
                        : MM_EXIT_USAGE;
        if (!mm_purpose_allowed(purpose))
            fprintf(stderr, "%s: refused: purpose '%s' is not allowed; a read of selected records must "
                            "serve one of: %s (use for criminal investigation is not allowed)\n",
                    command, purpose ? purpose : "(none)", mm_purpose_list());
        else
            fprintf(stderr, "%s: refused: --reason is required\n", command);
    } else if (mm_store_records_query(s.store, &f, collect, &q, &err) != 0) {
        mm_session_error(command, &err);
        mm_session_audit(&s, "records.query", purpose, reason, filter, 0, "error");
        exit_code = MM_EXIT_FAIL;
    } else if (mm_session_audit(&s, "records.query", purpose, reason, filter, q.records, "ok") != 0) {
        exit_code = MM_EXIT_FAIL; /* not audited: nothing is shown */
    } else if (q.len && (fwrite(q.buf, 1, q.len, stdout) != q.len || fflush(stdout) != 0)) {
        fprintf(stderr, "%s: standard output: %s\n", command, strerror(errno));
        exit_code = MM_EXIT_FAIL;
    }
    free(q.buf);
    free(filter);
    mm_session_close(&s);
    return exit_code;
}
