/* cmd_report.c - `mamori report transparency`: the published statistics, as JSON for machines or
 * Markdown for citizens and the Diet. */
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/session.h"

#include "store/report.h"
#include "util/timefmt.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char MM_HELP_REPORT[] =
    "usage: mamori report transparency --store PATH --from TIME --to TIME\n"
    "                                  [--format json|md] [--token T]\n"
    "\n"
    "Counts for the period [from, to): packets and flows processed per acquisition\n"
    "route, flows discarded per reason, records selected per criterion, records\n"
    "erased, queries per purpose and refused queries, provisions, re-identification\n"
    "approvals and uses, holds, and selection-criteria requests, approvals and\n"
    "rejections. No record content, address or user name. JSON (default) for\n"
    "machines, md for a readable report. For the committee, analyst and admin\n"
    "roles; audited.\n";

static json_int_t get_int(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

/* A two-column table of a {name: count} object. */
static void md_table(FILE *out, const json_t *o, const char *head, const char *empty)
{
    if (json_object_size(o) == 0) {
        fprintf(out, "%s\n\n", empty);
        return;
    }
    fprintf(out, "| %s | count |\n|---|---:|\n", head);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v) fprintf(out, "| %s | %" JSON_INTEGER_FORMAT " |\n", k,
                                                   json_integer_value(v));
    fputc('\n', out);
}

static void print_markdown(FILE *out, const json_t *r)
{
    const json_t *period = json_object_get(r, "period");
    fprintf(out, "# mamori transparency report\n\n");
    fprintf(out, "Period: %s to %s (generated %s).\n\n", json_string_value(json_object_get(period, "from")),
            json_string_value(json_object_get(period, "to")),
            json_string_value(json_object_get(r, "generated_at")));
    fprintf(out, "This report counts what the system did. It contains no communications content,\n"
                 "no address and no name.\n\n");
    fprintf(out, "## Traffic processed, by acquisition route\n\n");
    const json_t *routes = json_object_get(r, "routes");
    if (json_object_size(routes) == 0) {
        fprintf(out, "No traffic was processed in this period.\n\n");
    } else {
        fprintf(out, "| route | sensor runs | packets | flows | flows selected |\n|---|---:|---:|---:|---:|\n");
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)routes, k, v)
        fprintf(out, "| %s | %" JSON_INTEGER_FORMAT " | %" JSON_INTEGER_FORMAT " | %" JSON_INTEGER_FORMAT
                     " | %" JSON_INTEGER_FORMAT " |\n",
                k, get_int(v, "runs"), get_int(v, "packets"), get_int(v, "flows"), get_int(v, "flows_selected"));
        fputc('\n', out);
    }
    fprintf(out, "## Flows discarded without being kept, by reason\n\n");
    md_table(out, json_object_get(r, "flows_discarded"), "reason", "None.");
    fprintf(out, "## Records selected, by approved criterion\n\n");
    md_table(out, json_object_get(r, "selected_per_criterion"), "criterion", "None.");
    fprintf(out, "## Erasure\n\n%" JSON_INTEGER_FORMAT " records were erased in %" JSON_INTEGER_FORMAT
                 " erasure runs.\n\n",
            get_int(r, "records_erased"), get_int(r, "erasures"));
    const json_t *holds = json_object_get(r, "holds");
    fprintf(out, "Holds (keeping records past their deadline): %" JSON_INTEGER_FORMAT
                 " requested, %" JSON_INTEGER_FORMAT " approved by the committee.\n\n",
            get_int(holds, "requested"), get_int(holds, "approved"));
    fprintf(out, "## Access to selected records\n\n");
    md_table(out, json_object_get(r, "queries_per_purpose"), "purpose of query", "No queries.");
    fprintf(out, "Queries refused (purpose not allowed, e.g. criminal investigation): %" JSON_INTEGER_FORMAT
                 ".  \nRecords returned by queries: %" JSON_INTEGER_FORMAT ".\n\n",
            get_int(r, "queries_refused"), get_int(r, "records_returned"));
    fprintf(out, "## Provision to other agencies and re-identification\n\n");
    fprintf(out, "Packages provided: %" JSON_INTEGER_FORMAT " (%" JSON_INTEGER_FORMAT " records).  \n",
            get_int(r, "provisions"), get_int(r, "records_provided"));
    fprintf(out, "Re-identifications approved by the committee: %" JSON_INTEGER_FORMAT
                 "; carried out: %" JSON_INTEGER_FORMAT ".\n\n",
            get_int(r, "reidentify_approvals"), get_int(r, "reidentifications"));
    const json_t *crit = json_object_get(r, "criteria");
    fprintf(out, "## Selection criteria before the committee\n\n");
    fprintf(out, "| requests | approvals | rejections |\n|---:|---:|---:|\n| %" JSON_INTEGER_FORMAT
                 " | %" JSON_INTEGER_FORMAT " | %" JSON_INTEGER_FORMAT " |\n",
            get_int(crit, "requests"), get_int(crit, "approvals"), get_int(crit, "rejections"));
}

int mm_cmd_report(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "transparency") != 0) {
        bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
        fputs(MM_HELP_REPORT, help ? stdout : stderr);
        return help ? 0 : MM_EXIT_USAGE;
    }
    const char *command = "mamori report transparency";
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 's'}, {"token", required_argument, NULL, 't'},
        {"from", required_argument, NULL, 'f'},  {"to", required_argument, NULL, 'u'},
        {"format", required_argument, NULL, 'F'}, {NULL, 0, NULL, 0}};
    const char *store = NULL, *token = NULL, *format = "json";
    int64_t from = 0, to = 0;
    bool have_from = false, have_to = false;
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 's': store = optarg; break;
        case 't': token = optarg; break;
        case 'F': format = optarg; break;
        case 'f':
        case 'u':
            if (mm_cli_parse_time(command, c == 'f' ? "--from" : "--to", optarg, c == 'f' ? &from : &to))
                return MM_EXIT_USAGE;
            *(c == 'f' ? &have_from : &have_to) = true;
            break;
        default: fputs(MM_HELP_REPORT, stderr); return MM_EXIT_USAGE;
        }
    }
    if (optind != argc || !have_from || !have_to || from >= to ||
        (strcmp(format, "json") && strcmp(format, "md"))) {
        fprintf(stderr, "%s: --from and --to (from before to) are required; --format is json or md\n\n%s",
                command, MM_HELP_REPORT);
        return MM_EXIT_USAGE;
    }
    struct mm_session s;
    int rc = mm_session_open(&s, command, store, token, MM_ACT_REPORT_TRANSPARENCY);
    if (rc)
        return rc;
    struct mm_err err;
    mm_err_clear(&err);
    json_t *report = NULL;
    int exit_code = 0;
    if (mm_store_report_transparency(s.store, from, to, &report, &err) != 0) {
        mm_session_error(command, &err);
        exit_code = MM_EXIT_FAIL;
    } else {
        char *period = json_dumps(json_object_get(report, "period"), JSON_COMPACT);
        if (mm_session_audit(&s, "report.transparency", NULL, NULL, period, 0, "ok") != 0) {
            exit_code = MM_EXIT_FAIL;
        } else if (strcmp(format, "md") == 0) {
            print_markdown(stdout, report);
        } else {
            json_dumpf(report, stdout, JSON_INDENT(2));
            fputc('\n', stdout);
        }
        free(period);
    }
    json_decref(report);
    mm_session_close(&s);
    return exit_code;
}
