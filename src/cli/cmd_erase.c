/* cmd_erase.c - `mamori erase` (retention: records past their deadline become unrecoverable) and
 * `mamori check` (the store's integrity after a crash). Both read no record content. */
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/session.h"

#include "store/retention.h"
#include "util/timefmt.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char MM_HELP_ERASE[] =
    "usage: mamori erase --store PATH [--as-of TIME] [--dry-run] [--token T]\n"
    "\n"
    "Erases every record whose erasure deadline (last_seen + the policy's retention)\n"
    "is at or before --as-of (RFC 3339; default now), unless an approved hold whose\n"
    "'until' is later covers it; holds whose 'until' has passed end. The erased\n"
    "bytes are then unrecoverable from the store's files: SQLite's secure_delete\n"
    "zeroes them and the write-ahead log is checkpointed and truncated.\n"
    "One audit entry records the counts, the first_seen/last_seen range erased and\n"
    "the reason 'retention', never content. --dry-run reports what would be erased\n"
    "and changes nothing (it is audited as a dry run). For the admin role.\n"
    "\n"
    "Exit status: 0 done; 1 failure (when the erasure committed but readers kept\n"
    "the log from being truncated, the message says so: run it again); 2 usage;\n"
    "3 permission denied.\n";

const char MM_HELP_CHECK[] =
    "usage: mamori check --store PATH [--token T]\n"
    "\n"
    "Runs SQLite's integrity and foreign-key checks over the whole store (after a\n"
    "crash or a kill, for example) and prints 'ok' or the first problem. Reads no\n"
    "record content. For the admin and committee roles. Exit 0 ok, 1 damaged.\n";

int mm_cmd_erase(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 's'}, {"token", required_argument, NULL, 't'},
        {"as-of", required_argument, NULL, 'a'}, {"dry-run", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
    const char *command = "mamori erase";
    const char *store = NULL, *token = NULL;
    struct mm_erase_options opt = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 's': store = optarg; break;
        case 't': token = optarg; break;
        case 'n': opt.dry_run = true; break;
        case 'a':
            if (mm_cli_parse_time(command, "--as-of", optarg, &opt.as_of_ns))
                return MM_EXIT_USAGE;
            break;
        case 'h': fputs(MM_HELP_ERASE, stdout); return 0;
        default: fputs(MM_HELP_ERASE, stderr); return MM_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fputs(MM_HELP_ERASE, stderr);
        return MM_EXIT_USAGE;
    }
    struct mm_session s;
    int rc = mm_session_open(&s, command, store, token, MM_ACT_RECORDS_ERASE);
    if (rc)
        return rc;
    opt.actor = s.user.name;
    opt.role = mm_role_name(s.user.role);
    struct mm_erase_result r;
    struct mm_err err;
    mm_err_clear(&err);
    rc = mm_store_erase(s.store, &opt, &r, &err);
    int exit_code = 0;
    if (rc && !r.committed) {
        mm_session_error(command, &err);
        exit_code = MM_EXIT_FAIL;
    } else {
        char as_of[MM_TIME_TEXT_MAX], first[MM_TIME_TEXT_MAX], last[MM_TIME_TEXT_MAX];
        mm_time_format_us(r.as_of_ns, as_of, sizeof as_of);
        mm_time_format_us(r.first_seen_min_ns, first, sizeof first);
        mm_time_format_us(r.last_seen_max_ns, last, sizeof last);
        printf("%s as of %s: %" PRId64 " records%s", opt.dry_run ? "would erase" : "erased", as_of,
               r.records, r.records ? " seen " : "");
        if (r.records)
            printf("%s .. %s", first, last);
        printf("; %" PRId64 " kept by approved holds; %" PRId64 " holds %s\n", r.held, r.holds_expired,
               opt.dry_run ? "would expire" : "expired");
        if (rc) {
            fprintf(stderr, "%s: the erasure committed, but the write-ahead log could not be truncated "
                            "yet: %s\n",
                    command, err.msg);
            exit_code = MM_EXIT_FAIL;
        }
    }
    mm_session_close(&s);
    return exit_code;
}

int mm_cmd_check(int argc, char **argv)
{
    static const struct option longopts[] = {{"store", required_argument, NULL, 's'},
                                             {"token", required_argument, NULL, 't'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *store = NULL, *token = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 's': store = optarg; break;
        case 't': token = optarg; break;
        case 'h': fputs(MM_HELP_CHECK, stdout); return 0;
        default: fputs(MM_HELP_CHECK, stderr); return MM_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fputs(MM_HELP_CHECK, stderr);
        return MM_EXIT_USAGE;
    }
    struct mm_session s;
    int rc = mm_session_open(&s, "mamori check", store, token, MM_ACT_STORE_CHECK);
    if (rc)
        return rc;
    struct mm_err err;
    mm_err_clear(&err);
    rc = mm_store_check(s.store, &err);
    if (rc)
        mm_session_error(s.command, &err);
    else
        printf("ok\n");
    int arc = mm_session_audit(&s, "store.check", NULL, NULL, NULL, 0, rc ? "failed" : "ok");
    mm_session_close(&s);
    return rc || arc ? MM_EXIT_FAIL : 0;
}
