/* cmd_criteria.c - `mamori criteria` and `mamori agreement`: the criteria lifecycle under the
 * committee's control, the approval ledger's counts, and the party agreement register. */
#include "cli/commands.h"
#include "cli/governance.h"

#include "store/criteria.h"
#include "util/fileio.h"
#include "util/timefmt.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char MM_HELP_CRITERIA[] =
    "usage: mamori criteria propose --store PATH --id ID (--match ADDR|PREFIX | --match-file "
    "FILE)\n"
    "                [--proto tcp|udp|sctp|icmp] [--ports 80,443] [--not-before TIME]\n"
    "                [--not-after TIME] --source-kind KIND --source-ref TEXT\n"
    "                --legal-basis TEXT [--token T]\n"
    "       mamori criteria approve|reject|revoke --store PATH --id ID --reason TEXT [--token T]\n"
    "       mamori criteria list --store PATH [--format table|json] [--token T]\n"
    "       mamori criteria counts --store PATH [--from TIME] [--to TIME] [--token T]\n"
    "\n"
    "Selection criteria are proposed by an analyst and take effect only once the\n"
    "committee approves them and issues a policy holding them (mamori policy issue).\n"
    "  propose   (analyst) a new criterion, status 'proposed'. --match is one address\n"
    "            or prefix; --match-file is a feed (a plain address list, one per\n"
    "            line) approved as ONE criterion; its bytes, SHA-256 and entry count\n"
    "            are kept. KIND is incident_report, feed, product or other; TIME is\n"
    "            RFC 3339 (2027-01-01T00:00:00Z).\n"
    "  approve, reject   (committee) a proposed criterion, with the reason.\n"
    "  revoke    (committee) an approved criterion, with the reason.\n"
    "  list      (analyst, committee) every criterion: status, match or feed, window,\n"
    "            source, who proposed and decided when, and why. An approved\n"
    "            criterion whose not_after has passed is shown as 'expired'.\n"
    "  counts    (analyst, committee) the approval ledger's counts for the Diet\n"
    "            report, from <= time < to, as JSON: requests, approvals,\n"
    "            rejections, revocations, policy_issues.\n"
    "Every change and every listing is in the audit log, committed with the change.\n"
    "Exit status: 0 done; 1 store failure; 2 usage or input error, or a decision\n"
    "the criterion's status does not allow; 3 permission denied.\n";

const char MM_HELP_AGREEMENT[] =
    "usage: mamori agreement add --store PATH --id ID --party NAME [--contractor NAME]...\n"
    "                --scope PREFIX [--scope PREFIX]... --start TIME --end TIME [--token T]\n"
    "       mamori agreement list --store PATH [--format table|json] [--token T]\n"
    "\n"
    "The party agreement register (Arts. 11-12): each agreement's party, the\n"
    "contractors who joined it, the addresses it covers and its dates (in force\n"
    "for start <= t < end; TIME is RFC 3339). A party_agreement policy can only be\n"
    "issued under an agreement in force. Not public: committee and analyst only;\n"
    "every use is in the audit log.\n";

struct crit_args {
    const char *store, *token, *id, *match, *match_file, *proto, *ports, *source_kind;
    const char *source_ref, *legal_basis, *reason, *format;
    int64_t not_before, not_after, from, to;
};

static int parse_crit_args(int argc, char **argv, const char *command, struct crit_args *a)
{
    static const struct option longopts[] = {{"store", required_argument, NULL, 's'},
                                             {"token", required_argument, NULL, 't'},
                                             {"id", required_argument, NULL, 'i'},
                                             {"match", required_argument, NULL, 'm'},
                                             {"match-file", required_argument, NULL, 'M'},
                                             {"proto", required_argument, NULL, 'p'},
                                             {"ports", required_argument, NULL, 'P'},
                                             {"not-before", required_argument, NULL, 'b'},
                                             {"not-after", required_argument, NULL, 'a'},
                                             {"source-kind", required_argument, NULL, 'k'},
                                             {"source-ref", required_argument, NULL, 'r'},
                                             {"legal-basis", required_argument, NULL, 'l'},
                                             {"reason", required_argument, NULL, 'R'},
                                             {"format", required_argument, NULL, 'f'},
                                             {"from", required_argument, NULL, 'F'},
                                             {"to", required_argument, NULL, 'T'},
                                             {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->not_before = a->from = INT64_MIN;
    a->not_after = a->to = INT64_MAX;
    a->format = "table";
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            a->store = optarg;
            break;
        case 't':
            a->token = optarg;
            break;
        case 'i':
            a->id = optarg;
            break;
        case 'm':
            a->match = optarg;
            break;
        case 'M':
            a->match_file = optarg;
            break;
        case 'p':
            a->proto = optarg;
            break;
        case 'P':
            a->ports = optarg;
            break;
        case 'k':
            a->source_kind = optarg;
            break;
        case 'r':
            a->source_ref = optarg;
            break;
        case 'l':
            a->legal_basis = optarg;
            break;
        case 'R':
            a->reason = optarg;
            break;
        case 'f':
            a->format = optarg;
            break;
        case 'b':
            if (mm_cli_parse_time(command, "--not-before", optarg, &a->not_before))
                return MM_EXIT_USAGE;
            break;
        case 'a':
            if (mm_cli_parse_time(command, "--not-after", optarg, &a->not_after))
                return MM_EXIT_USAGE;
            break;
        case 'F':
            if (mm_cli_parse_time(command, "--from", optarg, &a->from))
                return MM_EXIT_USAGE;
            break;
        case 'T':
            if (mm_cli_parse_time(command, "--to", optarg, &a->to))
                return MM_EXIT_USAGE;
            break;
        default:
            fputs(MM_HELP_CRITERIA, stderr);
            return MM_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\n", command, argv[optind]);
        return MM_EXIT_USAGE;
    }
    if (strcmp(a->format, "table") && strcmp(a->format, "json")) {
        fprintf(stderr, "%s: --format must be table or json\n", command);
        return MM_EXIT_USAGE;
    }
    return 0;
}

static int propose(struct mm_session *s, const struct crit_args *a, int64_t now)
{
    if (!a->id || !a->source_kind || !a->source_ref || !a->legal_basis ||
        !a->match == !a->match_file) {
        fprintf(stderr,
                "%s: --id, exactly one of --match and --match-file, --source-kind, "
                "--source-ref and --legal-basis are required\n",
                s->command);
        return MM_EXIT_USAGE;
    }
    struct mm_err err;
    mm_err_clear(&err);
    struct mm_criterion_proposal p = {.id = a->id,
                                      .match = a->match,
                                      .feed_name = a->match_file,
                                      .proto = a->proto,
                                      .ports = a->ports,
                                      .not_before_ns = a->not_before,
                                      .not_after_ns = a->not_after,
                                      .source_kind = a->source_kind,
                                      .source_ref = a->source_ref,
                                      .legal_basis = a->legal_basis};
    char *feed = NULL;
    /* The feed is read once; the bytes validated are the bytes kept. */
    int rc = a->match_file
                 ? mm_file_read_all(a->match_file, MM_FEED_MAX_BYTES, &feed, &p.feed_len, &err)
                 : 0;
    p.feed = feed;
    json_t *obj = json_pack("{s:s, s:s?, s:s?, s:s, s:s, s:s}", "id", a->id, "match", a->match,
                            "match_file", a->match_file, "source_kind", a->source_kind,
                            "source_ref", a->source_ref, "legal_basis", a->legal_basis);
    if (rc == 0 && (rc = mm_store_begin(s->store, &err)) == 0)
        rc = mm_criteria_propose(s->store, &p, s->user.name, now, &err);
    free(feed);
    int code = mm_gov_finish(s, rc, &err, "criteria.propose", NULL, obj, 1);
    if (code == 0)
        printf("proposed criterion %s; it takes effect once the committee approves it and "
               "issues a policy\n",
               a->id);
    return code;
}

static int decide(struct mm_session *s, const char *verb, const struct crit_args *a, int64_t now)
{
    if (!a->id || !a->reason) {
        fprintf(stderr, "%s: --id and --reason are required\n", s->command);
        return MM_EXIT_USAGE;
    }
    enum mm_criterion_decision d = strcmp(verb, "approve") == 0  ? MM_DECIDE_APPROVE
                                   : strcmp(verb, "reject") == 0 ? MM_DECIDE_REJECT
                                                                 : MM_DECIDE_REVOKE;
    char action[32];
    snprintf(action, sizeof action, "criteria.%s", verb);
    struct mm_err err;
    mm_err_clear(&err);
    int rc = mm_store_begin(s->store, &err);
    if (rc == 0)
        rc = mm_criteria_decide(s->store, a->id, d, s->user.name, a->reason, now, &err);
    int code = mm_gov_finish(s, rc, &err, action, a->reason, json_pack("{s:s}", "id", a->id), 1);
    if (code == 0)
        printf("criterion %s %s\n", a->id,
               d == MM_DECIDE_APPROVE  ? "approved"
               : d == MM_DECIDE_REJECT ? "rejected"
                                       : "revoked");
    return code;
}

/* One criterion as JSON (list --format json). */
static json_t *criterion_json(const struct mm_criterion_info *c)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "id", json_string(c->id));
    json_object_set_new(o, "status", json_string(mm_criterion_status_name(c->status)));
    if (c->match)
        json_object_set_new(o, "match", json_string(c->match));
    else
        json_object_set_new(o, "feed",
                            json_pack("{s:s?, s:I}", "sha256", c->feed_sha256, "entries",
                                      (json_int_t)c->feed_entries));
    json_object_set_new(o, "proto", c->proto ? json_string(c->proto) : json_null());
    json_object_set_new(o, "ports", mm_gov_ports_json(c->ports));
    json_object_set_new(o, "not_before", mm_gov_time_json(c->not_before_ns));
    json_object_set_new(o, "not_after", mm_gov_time_json(c->not_after_ns));
    json_object_set_new(o, "source_kind", json_string(c->source_kind));
    json_object_set_new(o, "source_ref", json_string(c->source_ref));
    json_object_set_new(o, "legal_basis", json_string(c->legal_basis));
    json_object_set_new(o, "proposed_by", json_string(c->proposed_by));
    json_object_set_new(o, "proposed_at", mm_gov_time_json(c->proposed_at_ns));
    json_object_set_new(o, "decided_by", c->decided_by ? json_string(c->decided_by) : json_null());
    json_object_set_new(o, "decided_at",
                        c->decided_by ? mm_gov_time_json(c->decided_at_ns) : json_null());
    json_object_set_new(o, "reason", c->reason ? json_string(c->reason) : json_null());
    return o;
}

static void time_or_dash(int64_t ns, char *buf, size_t len)
{
    if (ns == INT64_MIN || ns == INT64_MAX)
        snprintf(buf, len, "-");
    else
        mm_time_format_us(ns, buf, len);
}

static int list_one(void *ctx, const struct mm_criterion_info *c)
{
    struct mm_gov_listing *l = ctx;
    l->n++;
    if (l->array)
        return json_array_append_new(l->array, criterion_json(c)) ? MM_ENOMEM : 0;
    char nb[MM_TIME_TEXT_MAX], na[MM_TIME_TEXT_MAX], pa[MM_TIME_TEXT_MAX], da[MM_TIME_TEXT_MAX];
    time_or_dash(c->not_before_ns, nb, sizeof nb);
    time_or_dash(c->not_after_ns, na, sizeof na);
    time_or_dash(c->proposed_at_ns, pa, sizeof pa);
    time_or_dash(c->decided_by ? c->decided_at_ns : INT64_MIN, da, sizeof da);
    if (c->match)
        fprintf(l->out, "%s\t%s\t%s", c->id, mm_criterion_status_name(c->status), c->match);
    else
        fprintf(l->out, "%s\t%s\tfeed sha256:%.16s... (%" PRId64 " entries)", c->id,
                mm_criterion_status_name(c->status), c->feed_sha256 ? c->feed_sha256 : "?",
                c->feed_entries);
    fprintf(l->out, "\t%s/%s\t%s..%s\t%s: %s\t%s %s\t%s %s\t%s\n", c->proto ? c->proto : "any",
            c->ports ? c->ports : "any", nb, na, c->source_kind, c->source_ref, c->proposed_by, pa,
            c->decided_by ? c->decided_by : "-", da, c->reason ? c->reason : "-");
    return 0;
}

static int list(struct mm_session *s, const struct crit_args *a, int64_t now)
{
    struct mm_err err;
    mm_err_clear(&err);
    struct mm_gov_listing l;
    int rc = mm_gov_listing_open(
        &l, a->format,
        "ID\tSTATUS\tMATCH\tPROTO/PORTS\tWINDOW\tSOURCE\tPROPOSED\tDECIDED\tREASON\n", &err);
    if (rc == 0 && (rc = mm_store_begin(s->store, &err)) == 0)
        rc = mm_criteria_list(s->store, now, 0, list_one, &l, &err);
    return mm_gov_listing_close(s, &l, rc, &err, "criteria.list",
                                json_pack("{s:s}", "format", a->format));
}

static int counts(struct mm_session *s, const struct crit_args *a)
{
    struct mm_err err;
    mm_err_clear(&err);
    struct mm_ledger_counts n;
    int rc = mm_store_begin(s->store, &err);
    if (rc == 0)
        rc = mm_store_ledger_counts(s->store, a->from, a->to, &n, &err);
    json_t *range =
        json_pack("{s:o, s:o}", "from", mm_gov_time_json(a->from), "to", mm_gov_time_json(a->to));
    int code = mm_gov_finish(s, rc, &err, "criteria.counts", NULL, json_deep_copy(range), 0);
    if (code == 0) {
        json_object_set_new(range, "requests", json_integer(n.requests));
        json_object_set_new(range, "approvals", json_integer(n.approvals));
        json_object_set_new(range, "rejections", json_integer(n.rejections));
        json_object_set_new(range, "revocations", json_integer(n.revocations));
        json_object_set_new(range, "policy_issues", json_integer(n.policy_issues));
        json_dumpf(range, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    }
    json_decref(range);
    return code;
}

int mm_cmd_criteria(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
        fputs(MM_HELP_CRITERIA, help ? stdout : stderr);
        return help ? MM_EXIT_OK : MM_EXIT_USAGE;
    }
    static const struct {
        const char *verb;
        enum mm_action action;
    } verbs[] = {{"propose", MM_ACT_CRITERIA_PROPOSE}, {"approve", MM_ACT_CRITERIA_DECIDE},
                 {"reject", MM_ACT_CRITERIA_DECIDE},   {"revoke", MM_ACT_CRITERIA_REVOKE},
                 {"list", MM_ACT_CRITERIA_LIST},       {"counts", MM_ACT_CRITERIA_LIST}};
    const char *verb = argv[1];
    size_t v = 0;
    while (v < sizeof verbs / sizeof verbs[0] && strcmp(verb, verbs[v].verb) != 0)
        v++;
    if (v == sizeof verbs / sizeof verbs[0]) {
        fprintf(stderr, "mamori criteria: unknown subcommand '%s'\n\n%s", verb, MM_HELP_CRITERIA);
        return MM_EXIT_USAGE;
    }
    char command[64];
    snprintf(command, sizeof command, "mamori criteria %s", verb);
    struct crit_args a;
    int rc = parse_crit_args(argc, argv, command, &a);
    if (rc)
        return rc;
    struct mm_session s;
    if ((rc = mm_session_open(&s, command, a.store, a.token, verbs[v].action)))
        return rc;
    int64_t now = mm_time_now_ns();
    if (strcmp(verb, "propose") == 0)
        rc = propose(&s, &a, now);
    else if (strcmp(verb, "list") == 0)
        rc = list(&s, &a, now);
    else if (strcmp(verb, "counts") == 0)
        rc = counts(&s, &a);
    else
        rc = decide(&s, verb, &a, now);
    mm_session_close(&s);
    return rc;
}

/* ---- agreements ---- */

#define AGREEMENT_LIST_MAX 256

static json_t *agreement_json(const struct mm_agreement *ag, int64_t now)
{
    json_t *contractors = json_array(), *scope = json_array();
    for (size_t i = 0; i < ag->ncontractors; i++)
        json_array_append_new(contractors, json_string(ag->contractors[i]));
    for (size_t i = 0; i < ag->nscope; i++)
        json_array_append_new(scope, json_string(ag->scope[i]));
    json_t *o =
        json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:b}", "id", ag->id, "party", ag->party,
                  "contractors", contractors, "scope", scope, "start",
                  mm_gov_time_json(ag->starts_at_ns), "end", mm_gov_time_json(ag->ends_at_ns),
                  "in_force", ag->starts_at_ns <= now && now < ag->ends_at_ns);
    if (o && ag->created_by) { /* a stored agreement */
        json_object_set_new(o, "created_by", json_string(ag->created_by));
        json_object_set_new(o, "created_at", mm_gov_time_json(ag->created_at_ns));
    }
    return o;
}

struct agreement_listing {
    struct mm_gov_listing l;
    int64_t now;
};

static int agreement_one(void *ctx, const struct mm_agreement *ag)
{
    struct agreement_listing *al = ctx;
    struct mm_gov_listing *l = &al->l;
    l->n++;
    json_t *o = agreement_json(ag, al->now);
    if (!o)
        return MM_ENOMEM;
    if (l->array)
        return json_array_append_new(l->array, o) ? MM_ENOMEM : 0;
    char *contractors = json_dumps(json_object_get(o, "contractors"), JSON_COMPACT);
    char *scope = json_dumps(json_object_get(o, "scope"), JSON_COMPACT);
    fprintf(l->out, "%s\t%s\t%s\t%s\t%s..%s\t%s\n", ag->id, ag->party,
            contractors ? contractors : "?", scope ? scope : "?",
            json_string_value(json_object_get(o, "start")),
            json_string_value(json_object_get(o, "end")),
            json_is_true(json_object_get(o, "in_force")) ? "in force" : "not in force");
    free(contractors);
    free(scope);
    json_decref(o);
    return 0;
}

int mm_cmd_agreement(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
        fputs(MM_HELP_AGREEMENT, help ? stdout : stderr);
        return help ? MM_EXIT_OK : MM_EXIT_USAGE;
    }
    const char *verb = argv[1];
    bool add = strcmp(verb, "add") == 0;
    if (!add && strcmp(verb, "list") != 0) {
        fprintf(stderr, "mamori agreement: unknown subcommand '%s'\n\n%s", verb, MM_HELP_AGREEMENT);
        return MM_EXIT_USAGE;
    }
    char command[64];
    snprintf(command, sizeof command, "mamori agreement %s", verb);
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 's'},      {"token", required_argument, NULL, 't'},
        {"id", required_argument, NULL, 'i'},         {"party", required_argument, NULL, 'p'},
        {"contractor", required_argument, NULL, 'c'}, {"scope", required_argument, NULL, 'S'},
        {"start", required_argument, NULL, 'b'},      {"end", required_argument, NULL, 'e'},
        {"format", required_argument, NULL, 'f'},     {NULL, 0, NULL, 0}};
    const char *store = NULL, *token = NULL, *format = "table";
    const char *contractors[AGREEMENT_LIST_MAX], *scope[AGREEMENT_LIST_MAX];
    struct mm_agreement ag = {.contractors = contractors, .scope = scope};
    bool have_start = false, have_end = false;
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            store = optarg;
            break;
        case 't':
            token = optarg;
            break;
        case 'i':
            ag.id = optarg;
            break;
        case 'p':
            ag.party = optarg;
            break;
        case 'f':
            format = optarg;
            break;
        case 'c':
        case 'S': {
            size_t *n = c == 'c' ? &ag.ncontractors : &ag.nscope;
            if (*n == AGREEMENT_LIST_MAX) {
                fprintf(stderr, "%s: at most %d of --%s\n", command, AGREEMENT_LIST_MAX,
                        c == 'c' ? "contractor" : "scope");
                return MM_EXIT_USAGE;
            }
            (c == 'c' ? contractors : scope)[(*n)++] = optarg;
            break;
        }
        case 'b':
        case 'e':
            if (mm_cli_parse_time(command, c == 'b' ? "--start" : "--end", optarg,
                                  c == 'b' ? &ag.starts_at_ns : &ag.ends_at_ns))
                return MM_EXIT_USAGE;
            *(c == 'b' ? &have_start : &have_end) = true;
            break;
        default:
            fputs(MM_HELP_AGREEMENT, stderr);
            return MM_EXIT_USAGE;
        }
    }
    if (optind != argc || (strcmp(format, "table") && strcmp(format, "json"))) {
        fputs(MM_HELP_AGREEMENT, stderr);
        return MM_EXIT_USAGE;
    }
    if (add && (!ag.id || !ag.party || !ag.nscope || !have_start || !have_end)) {
        fprintf(stderr, "%s: --id, --party, --scope, --start and --end are required\n", command);
        return MM_EXIT_USAGE;
    }
    struct mm_session s;
    int rc = mm_session_open(&s, command, store, token,
                             add ? MM_ACT_AGREEMENT_WRITE : MM_ACT_AGREEMENT_READ);
    if (rc)
        return rc;
    struct mm_err err;
    mm_err_clear(&err);
    int64_t now = mm_time_now_ns();
    int code;
    if (add) {
        if ((rc = mm_store_begin(s.store, &err)) == 0)
            rc = mm_agreement_add(s.store, &ag, s.user.name, now, &err);
        code = mm_gov_finish(&s, rc, &err, "agreement.add", NULL, agreement_json(&ag, now), 1);
        if (code == 0)
            printf("added party agreement %s\n", ag.id);
    } else {
        struct agreement_listing al = {.now = now};
        rc = mm_gov_listing_open(&al.l, format, "ID\tPARTY\tCONTRACTORS\tSCOPE\tPERIOD\tSTATE\n",
                                 &err);
        if (rc == 0 && (rc = mm_store_begin(s.store, &err)) == 0)
            rc = mm_agreement_list(s.store, agreement_one, &al, &err);
        code = mm_gov_listing_close(&s, &al.l, rc, &err, "agreement.list",
                                    json_pack("{s:s}", "format", format));
    }
    mm_session_close(&s);
    return code;
}
