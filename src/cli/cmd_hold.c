/* cmd_hold.c - `mamori hold request|approve`: keeping records past their erasure deadline, only with
 * the committee's approval. */
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/filter_opts.h"
#include "cli/session.h"

#include "store/retention.h"
#include "util/timefmt.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char MM_HELP_HOLD[] =
    "usage: mamori hold request --store PATH [FILTERS] --until TIME --reason TEXT [--token T]\n"
    "       mamori hold approve --store PATH --id N --reason TEXT [--token T]\n"
    "\n"
    "'request' (analyst) asks to keep the records the filters select past their\n"
    "erasure deadline until TIME; it prints the hold's id and extends nothing yet.\n"
    "'approve' (committee) approves it: a ledger row (hold_approval) is written and\n"
    "the records the filter selects at that moment are linked to the hold, so\n"
    "'mamori erase' keeps them until TIME. No approval, no extension. Both are\n"
    "audited.\n"
    "\n" MM_FILTER_HELP;

static int parse_id(const char *text, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || *end || end == text || v <= 0)
        return -1;
    *out = v;
    return 0;
}

int mm_cmd_hold(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "request") && strcmp(argv[1], "approve"))) {
        bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
        fputs(MM_HELP_HOLD, help ? stdout : stderr);
        return help ? 0 : MM_EXIT_USAGE;
    }
    bool approve = strcmp(argv[1], "approve") == 0;
    const char *command = approve ? "mamori hold approve" : "mamori hold request";
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 's'}, {"token", required_argument, NULL, 't'},
        {"until", required_argument, NULL, 'u'}, {"reason", required_argument, NULL, 'r'},
        {"id", required_argument, NULL, 'i'},    MM_FILTER_LONGOPTS,
        {NULL, 0, NULL, 0}};
    const char *store = NULL, *token = NULL, *reason = NULL;
    int64_t until = 0, id = 0;
    bool filtered = false;
    struct mm_record_filter f;
    mm_record_filter_init(&f);
    int c, rc;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 's': store = optarg; break;
        case 't': token = optarg; break;
        case 'r': reason = optarg; break;
        case 'u':
            if (mm_cli_parse_time(command, "--until", optarg, &until))
                return MM_EXIT_USAGE;
            break;
        case 'i':
            if (parse_id(optarg, &id) != 0) {
                fprintf(stderr, "%s: --id: expected a hold id, got '%s'\n", command, optarg);
                return MM_EXIT_USAGE;
            }
            break;
        default:
            if ((rc = mm_filter_opt(command, c, optarg, &f)) == 0) {
                filtered = true;
                break;
            }
            if (rc == 1)
                fputs(MM_HELP_HOLD, stderr);
            return MM_EXIT_USAGE;
        }
    }
    if (optind != argc || !reason || !*reason || (approve ? (id == 0 || filtered || until) : (until == 0 || id))) {
        fprintf(stderr, "%s: %s\n\n%s", command,
                approve ? "--id and --reason are required (and no filter or --until)"
                        : "--until and --reason are required (and no --id)",
                MM_HELP_HOLD);
        return MM_EXIT_USAGE;
    }
    struct mm_session s;
    if ((rc = mm_session_open(&s, command, store, token, approve ? MM_ACT_HOLD_APPROVE : MM_ACT_HOLD_REQUEST)))
        return rc;
    struct mm_err err;
    mm_err_clear(&err);
    int64_t linked = 0;
    char object[256];
    if ((rc = mm_store_begin(s.store, &err)) == 0) {
        if (approve) {
            rc = mm_store_hold_approve(s.store, id, s.user.name, reason, &linked, &err);
            snprintf(object, sizeof object, "{\"hold\":%" PRId64 "}", id);
        } else {
            rc = mm_store_hold_request(s.store, &f, until, reason, s.user.name, &id, &err);
            char t[MM_TIME_TEXT_MAX];
            mm_time_format_us(until, t, sizeof t);
            snprintf(object, sizeof object, "{\"hold\":%" PRId64 ",\"until\":\"%s\"}", id, t);
        }
        if (rc == 0 && (rc = mm_session_audit(&s, approve ? "hold.approve" : "hold.request", NULL, reason,
                                              object, linked, "ok")) == 0)
            rc = mm_store_commit(s.store, &err);
        if (rc)
            mm_store_rollback(s.store);
    }
    int exit_code = 0;
    if (rc) {
        if (err.code)
            mm_session_error(command, &err);
        exit_code = err.code == MM_ENOTFOUND || err.code == MM_ECONFLICT ? MM_EXIT_USAGE : MM_EXIT_FAIL;
    } else if (approve) {
        printf("hold %" PRId64 " approved: %" PRId64 " records kept until its end\n", id, linked);
    } else {
        printf("%" PRId64 "\n", id);
    }
    mm_session_close(&s);
    return exit_code;
}
