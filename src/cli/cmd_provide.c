/* cmd_provide.c - `mamori provide`: a recorded, minimized package of selected records for another
 * agency (information for provision, 提供用選別後情報). */
#include "cli/commands.h"
#include "cli/filter_opts.h"
#include "cli/session.h"

#include "store/provision.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char MM_HELP_PROVIDE[] =
    "usage: mamori provide --store PATH --to AGENCY --purpose P --reason TEXT [FILTERS]\n"
    "                      [--profile FILE] --out DIR [--token T]\n"
    "\n"
    "Builds a package in DIR (created; must be new or empty):\n"
    "  records.jsonl    the matching records reduced to the provision profile\n"
    "  manifest.json    agency, purpose, reason, filter, profile, record count,\n"
    "                   created_at and the SHA-256 of records.jsonl\n"
    "  manifest.sha256  the SHA-256 of manifest.json ('sha256sum -c' format)\n"
    "The package is recorded (a provisions row and an audit entry with its hash),\n"
    "its contents are not. The purpose must be one of damage_prevention, provision,\n"
    "committee_inspection; others are refused (exit 2) and the attempt is audited.\n"
    "\n"
    "  --profile FILE   {\"name\": N, \"fields\": [...], \"indicator_endpoints\": bool};\n"
    "                   fields from policy_id, route, direction, proto, packets,\n"
    "                   bytes, tcp_flags, first_seen, last_seen, criteria. The\n"
    "                   built-in 'default' keeps the indicator side's address and\n"
    "                   port, proto, direction, packets, bytes, tcp_flags, times and\n"
    "                   criteria. A pseudonymized address is never included.\n" MM_FILTER_HELP
    "\nFor the analyst role. Exit status: 0 done; 1 failure; 2 usage or refused;\n"
    "3 permission denied.\n";

int mm_cmd_provide(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 's'},   {"token", required_argument, NULL, 't'},
        {"to", required_argument, NULL, 'a'},      {"purpose", required_argument, NULL, 'p'},
        {"reason", required_argument, NULL, 'r'},  {"profile", required_argument, NULL, 'P'},
        {"out", required_argument, NULL, 'o'},     {"help", no_argument, NULL, 'h'},
        MM_FILTER_LONGOPTS,                        {NULL, 0, NULL, 0}};
    const char *command = "mamori provide";
    const char *store = NULL, *token = NULL, *agency = NULL, *purpose = NULL, *reason = NULL;
    const char *profile_path = NULL, *out_dir = NULL;
    struct mm_record_filter f;
    mm_record_filter_init(&f);
    int c, rc;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 's': store = optarg; break;
        case 't': token = optarg; break;
        case 'a': agency = optarg; break;
        case 'p': purpose = optarg; break;
        case 'r': reason = optarg; break;
        case 'P': profile_path = optarg; break;
        case 'o': out_dir = optarg; break;
        case 'h': fputs(MM_HELP_PROVIDE, stdout); return 0;
        default:
            if ((rc = mm_filter_opt(command, c, optarg, &f)) == 0)
                break;
            if (rc == 1)
                fputs(MM_HELP_PROVIDE, stderr);
            return MM_EXIT_USAGE;
        }
    }
    if (optind != argc || !agency || !*agency || !out_dir) {
        fprintf(stderr, "%s: --to and --out are required\n\n%s", command, MM_HELP_PROVIDE);
        return MM_EXIT_USAGE;
    }
    struct mm_err err;
    mm_err_clear(&err);
    struct mm_provision_profile profile;
    if (profile_path) {
        if (mm_provision_profile_load(profile_path, &profile, &err) != 0) {
            mm_session_error(command, &err);
            return MM_EXIT_USAGE;
        }
    } else {
        mm_provision_profile_default(&profile);
    }
    struct mm_session s;
    if ((rc = mm_session_open(&s, command, store, token, MM_ACT_RECORDS_PROVIDE)))
        return rc;
    int exit_code = 0;
    if (!mm_purpose_allowed(purpose) || !reason || !*reason) {
        char *filter = mm_record_filter_to_text(&f);
        exit_code = mm_session_audit(&s, "records.provide", purpose, reason, filter, 0, "refused")
                        ? MM_EXIT_FAIL
                        : MM_EXIT_USAGE;
        free(filter);
        fprintf(stderr, "%s: refused: %s\n", command,
                mm_purpose_allowed(purpose) ? "--reason is required"
                                            : "the purpose is not one of damage_prevention, provision, "
                                              "committee_inspection");
    } else {
        struct mm_provision_request req = {.to_agency = agency,
                                           .purpose = purpose,
                                           .reason = reason,
                                           .filter = &f,
                                           .profile = &profile,
                                           .out_dir = out_dir,
                                           .actor = s.user.name,
                                           .role = mm_role_name(s.user.role)};
        struct mm_provision_result res;
        if (mm_provision_build(s.store, &req, &res, &err) != 0) {
            mm_session_error(command, &err);
            exit_code = err.code == MM_ECONFLICT ? MM_EXIT_USAGE : MM_EXIT_FAIL;
        } else {
            printf("provision %" PRId64 ": %" PRId64 " records to %s in %s; manifest sha256 %s\n", res.id,
                   res.records, agency, out_dir, res.package_sha256);
        }
    }
    mm_session_close(&s);
    return exit_code;
}
