/* cmd_audit.c - `mamori audit head|verify|list`: the committee's view of the tamper-evident log. */
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/session.h"

#include "util/timefmt.h"

#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

const char MM_HELP_AUDIT[] =
    "usage: mamori audit head --store PATH [--token T]\n"
    "       mamori audit verify --store PATH [--expect-head SHA256] [--token T]\n"
    "       mamori audit list --store PATH [--from TIME] [--to TIME] [--token T]\n"
    "\n"
    "The audit log is append-only; every entry holds the SHA-256 of the entry\n"
    "before it. 'head' prints the newest hash and the entry count, to anchor\n"
    "outside the system. 'verify' walks the whole chain and exits 0 only if no\n"
    "entry was changed, removed, inserted or reordered (and, with --expect-head,\n"
    "if that anchored head is still in the chain); otherwise it names the first\n"
    "bad entry and exits 1. 'list' prints entries as JSON Lines. For the\n"
    "committee and admin roles; each use is itself logged.\n";

static int print_entry(void *ctx, const struct mm_audit_entry *e)
{
    char at[MM_TIME_TEXT_MAX];
    mm_time_format_us(e->at_ns, at, sizeof at);
    json_t *o = json_pack("{s:I, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:I, s:s?, s:s, s:s}", "seq",
                          (json_int_t)e->seq, "at", at, "actor", e->actor, "role", e->role, "action",
                          e->action, "purpose", e->purpose, "reason", e->reason, "object", e->object,
                          "count", (json_int_t)e->count, "outcome", e->outcome, "prev_sha256",
                          e->prev_sha256, "sha256", e->sha256);
    if (!o)
        return MM_ENOMEM;
    json_dumpf(o, stdout, JSON_COMPACT);
    fputc('\n', stdout);
    json_decref(o);
    (*(int64_t *)ctx)++;
    return 0;
}

int mm_cmd_audit(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        fputs(MM_HELP_AUDIT, argc < 2 ? stderr : stdout);
        return argc < 2 ? MM_EXIT_USAGE : 0;
    }
    const char *verb = argv[1];
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 's'},       {"token", required_argument, NULL, 't'},
        {"expect-head", required_argument, NULL, 'e'}, {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 'u'},          {NULL, 0, NULL, 0}};
    const char *store = NULL, *token = NULL, *expect = NULL;
    int64_t from = INT64_MIN, to = INT64_MAX;
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 's': store = optarg; break;
        case 't': token = optarg; break;
        case 'e': expect = optarg; break;
        case 'f':
        case 'u':
            if (mm_cli_parse_time("mamori audit", c == 'f' ? "--from" : "--to", optarg,
                                  c == 'f' ? &from : &to))
                return MM_EXIT_USAGE;
            break;
        default: fputs(MM_HELP_AUDIT, stderr); return MM_EXIT_USAGE;
        }
    }
    if (strcmp(verb, "head") && strcmp(verb, "verify") && strcmp(verb, "list")) {
        fputs(MM_HELP_AUDIT, stderr);
        return MM_EXIT_USAGE;
    }
    struct mm_session s;
    char command[64];
    snprintf(command, sizeof command, "mamori audit %s", verb);
    int rc = mm_session_open(&s, command, store, token, MM_ACT_AUDIT_READ);
    if (rc)
        return rc;
    struct mm_err err;
    mm_err_clear(&err);
    int exit_code = 0;
    if (strcmp(verb, "verify") == 0) {
        int64_t bad = 0, entries = 0;
        rc = mm_store_audit_verify(s.store, expect, &bad, &entries, &err);
        if (rc == 0) {
            printf("audit log intact: %" PRId64 " entries\n", entries);
        } else {
            fprintf(stderr, "%s: %s\n", command, err.msg);
            if (bad)
                printf("first bad entry: %" PRId64 "\n", bad);
            exit_code = MM_EXIT_FAIL;
        }
        /* A broken chain is still extended: the failed check is evidence too. */
        if (mm_session_audit(&s, "audit.verify", NULL, NULL, NULL, entries, rc ? "failed" : "ok"))
            exit_code = MM_EXIT_FAIL;
    } else if (strcmp(verb, "head") == 0) {
        char head[65];
        int64_t entries;
        if (mm_session_audit(&s, "audit.head", NULL, NULL, NULL, 0, "ok") ||
            mm_store_audit_head(s.store, head, &entries, &err)) {
            if (err.code)
                mm_session_error(command, &err);
            exit_code = MM_EXIT_FAIL;
        } else {
            printf("%s %" PRId64 "\n", head, entries);
        }
    } else {
        int64_t n = 0;
        if (mm_store_audit_list(s.store, from, to, print_entry, &n, &err)) {
            mm_session_error(command, &err);
            exit_code = MM_EXIT_FAIL;
        } else if (mm_session_audit(&s, "audit.list", NULL, NULL, NULL, n, "ok")) {
            exit_code = MM_EXIT_FAIL;
        }
    }
    mm_session_close(&s);
    return exit_code;
}
