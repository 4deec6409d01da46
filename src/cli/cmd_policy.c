/* cmd_policy.c - `mamori keygen` and `mamori policy issue`: the committee's signing key, and the
 * signed policy the sensor runs, built from the criteria approved and in force. */
#include "cli/commands.h"
#include "cli/governance.h"

#include "select/prefix_file.h"
#include "store/criteria.h"
#include "util/digest.h"
#include "util/fileio.h"
#include "util/sign.h"
#include "util/timefmt.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char MM_HELP_KEYGEN[] =
    "usage: mamori keygen --out PREFIX\n"
    "\n"
    "Makes an Ed25519 key pair for signing policies: PREFIX.key (the private key,\n"
    "PKCS#8 PEM, mode 0600; keep it with the committee) and PREFIX.pub (the public\n"
    "key, PEM; give it to every sensor for 'mamori select --trust'). Existing files\n"
    "are never overwritten. Prints the SHA-256 of PREFIX.pub as its fingerprint.\n";

const char MM_HELP_POLICY[] =
    "usage: mamori policy issue --store PATH --policy-id ID --route ROUTE --out DIR\n"
    "                --signing-key KEY --pseudonymization-key PATH --domestic FILE...\n"
    "                [--agreement ID] [--retention-days N] [--idle S] [--active S]\n"
    "                [--token T]\n"
    "\n"
    "(committee) Writes DIR/policy.json in the selection policy format\n"
    "(docs/policy.md) holding exactly the criteria approved and in force now (not\n"
    "revoked, not expired), and signs it:\n"
    "  DIR/policy.json       policy_version is one more than the last issue of ID;\n"
    "                        issued_at is now; file_sha256 pins every domestic file\n"
    "  DIR/policy.json.sig   Ed25519 signature over the exact bytes of policy.json,\n"
    "                        base64 (docs/governance.md)\n"
    "  DIR/feed-<ID>.txt     each approved feed, with its sha256 in the criterion\n"
    "  DIR/<name>            a copy of each --domestic file (repeat --domestic for\n"
    "                        several)\n"
    "ROUTE is party_agreement, transit, inbound or outbound; party_agreement needs\n"
    "--agreement naming an agreement in force now. --pseudonymization-key is the\n"
    "key's path as the sensor sees it (written as is; never read here).\n"
    "Defaults: --retention-days 730, --idle 60, --active 300 (seconds).\n"
    "The issue is recorded in the ledger and the audit log.\n";

int mm_cmd_keygen(int argc, char **argv)
{
    static const struct option longopts[] = {{"out", required_argument, NULL, 'o'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *prefix = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 'o') {
            prefix = optarg;
        } else if (c == 'h') {
            fputs(MM_HELP_KEYGEN, stdout);
            return MM_EXIT_OK;
        } else {
            fputs(MM_HELP_KEYGEN, stderr);
            return MM_EXIT_USAGE;
        }
    }
    if (!prefix || !*prefix || optind != argc) {
        fputs(MM_HELP_KEYGEN, stderr);
        return MM_EXIT_USAGE;
    }
    size_t n = strlen(prefix) + 5;
    char *key = malloc(n), *pub = malloc(n);
    struct mm_err err;
    mm_err_clear(&err);
    int rc = key && pub ? 0 : mm_err_set(&err, MM_ENOMEM, "out of memory");
    char fp[MM_SHA256_HEX_LEN + 1];
    if (rc == 0) {
        snprintf(key, n, "%s.key", prefix);
        snprintf(pub, n, "%s.pub", prefix);
        rc = mm_sign_keygen(key, pub, &err);
    }
    if (rc == 0)
        rc = mm_sha256_file_hex(pub, fp, &err);
    if (rc == 0)
        printf("wrote %s (private, mode 0600) and %s\npublic key sha256 %s\n", key, pub, fp);
    else
        mm_session_error("mamori keygen", &err);
    free(key);
    free(pub);
    return rc == 0 ? MM_EXIT_OK : mm_gov_exit_code(rc);
}

/* ---- policy issue ---- */

#define DOMESTIC_MAX 32
#define DOMESTIC_FILE_MAX (64u << 20)

struct issue_args {
    const char *store, *token, *policy_id, *route_text, *out_dir, *signing_key, *pseudo_key;
    const char *agreement;
    const char *domestic[DOMESTIC_MAX];
    size_t ndomestic;
    enum mm_route route;
    long long retention_days, idle_s, active_s;
};

/* What an issue writes, to take back if it cannot be recorded. */
struct issue_files {
    char *paths[DOMESTIC_MAX + 2];
    size_t n;
};

struct issue {
    const struct issue_args *a;
    json_t *criteria;
    struct issue_files *written;
    struct mm_err *err;
};

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static int write_into(const char *dir, const char *name, const void *data, size_t len,
                      struct issue_files *written, struct mm_err *err)
{
    char *path = join(dir, name);
    if (!path)
        return mm_err_set(err, MM_ENOMEM, "out of memory");
    int rc = mm_file_write_atomic(path, data, len, 0644, err);
    if (rc == 0 && written && written->n < sizeof written->paths / sizeof written->paths[0])
        written->paths[written->n++] = path;
    else
        free(path);
    return rc;
}

/* A criterion in force, as the select contract wants it; a feed becomes DIR/feed-<ID>.txt. */
static int add_criterion(void *ctx, const struct mm_criterion_info *c)
{
    struct issue *is = ctx;
    json_t *o = json_object();
    if (!o || json_array_append_new(is->criteria, o) != 0)
        return mm_err_set(is->err, MM_ENOMEM, "out of memory");
    json_object_set_new(o, "id", json_string(c->id));
    if (c->match) {
        json_object_set_new(o, "match", json_string(c->match));
    } else {
        char have[MM_SHA256_HEX_LEN + 1], name[MM_CRITERION_ID_MAX + 16];
        mm_sha256_hex(c->feed ? c->feed : "", c->feed_len, have);
        if (!c->feed_sha256 || strcmp(have, c->feed_sha256) != 0)
            return mm_err_set(is->err, MM_EVERIFY,
                              "criterion '%s': the stored feed does not match the SHA-256 it was "
                              "approved with; the store may be damaged (run 'mamori check')",
                              c->id);
        snprintf(name, sizeof name, "feed-%s.txt", c->id);
        int rc =
            write_into(is->a->out_dir, name, c->feed ? c->feed : "", c->feed_len, NULL, is->err);
        if (rc)
            return rc;
        json_object_set_new(o, "match_file", json_string(name));
        json_object_set_new(o, "sha256", json_string(have));
    }
    if (c->proto)
        json_object_set_new(o, "proto", json_string(c->proto));
    if (c->ports)
        json_object_set_new(o, "ports", mm_gov_ports_json(c->ports));
    if (c->not_before_ns != INT64_MIN)
        json_object_set_new(o, "not_before", mm_gov_time_json(c->not_before_ns));
    if (c->not_after_ns != INT64_MAX)
        json_object_set_new(o, "not_after", mm_gov_time_json(c->not_after_ns));
    return 0;
}

static int count_prefix(void *ctx, const struct mm_prefix *p)
{
    (void)p;
    (*(size_t *)ctx)++;
    return 0;
}

/* Copy each domestic file into DIR under its own name and pin its hash. */
static int copy_domestic(const struct issue_args *a, json_t *names, json_t *hashes,
                         struct issue_files *written, struct mm_err *err)
{
    for (size_t i = 0; i < a->ndomestic; i++) {
        const char *slash = strrchr(a->domestic[i], '/');
        const char *base = slash ? slash + 1 : a->domestic[i];
        if (!*base || base[0] == '.' || strncmp(base, "feed-", 5) == 0 ||
            strncmp(base, "policy.json", 11) == 0)
            return mm_err_set(err, MM_EINVAL,
                              "%s: a domestic file may not be named '%s' in the policy folder",
                              a->domestic[i], base);
        if (json_object_get(hashes, base))
            return mm_err_set(err, MM_EINVAL, "%s: two domestic files are named '%s'",
                              a->domestic[i], base);
        char *text;
        size_t len, entries = 0;
        int rc = mm_file_read_all(a->domestic[i], DOMESTIC_FILE_MAX, &text, &len, err);
        if (rc)
            return rc;
        /* The sensor reads it the same way: plain or RIR delegated (JP rows). */
        rc = mm_prefix_text_read(text, len, a->domestic[i], "JP", count_prefix, &entries, err);
        if (rc == 0 && entries == 0)
            rc = mm_err_set(err, MM_EFORMAT, "%s: holds no prefix", a->domestic[i]);
        char hex[MM_SHA256_HEX_LEN + 1];
        mm_sha256_hex(text, len, hex);
        if (rc == 0)
            rc = write_into(a->out_dir, base, text, len, written, err);
        free(text);
        if (rc)
            return rc;
        json_array_append_new(names, json_string(base));
        json_object_set_new(hashes, base, json_string(hex));
    }
    return 0;
}

/* Build, write and sign the policy; record the issue. Runs inside the caller's transaction. */
static int issue(struct mm_session *s, const struct issue_args *a, int64_t now, json_t *audit_obj,
                 struct issue_files *written, char done[512], struct mm_err *err)
{
    /* Check the signing key before anything is written. */
    char sig[MM_SIG_TEXT_LEN + 2];
    int rc = mm_sign_buffer(a->signing_key, "", 0, sig, err);
    if (rc)
        return rc;
    if (a->route == MM_ROUTE_PARTY_AGREEMENT &&
        (rc = mm_agreement_in_force(s->store, a->agreement, now, err)))
        return rc;
    uint32_t version;
    if ((rc = mm_policy_next_version(s->store, a->policy_id, &version, err)))
        return rc;
    if (mkdir(a->out_dir, 0755) != 0 && errno != EEXIST)
        return mm_err_set(err, MM_EIO, "%s: cannot create: %s", a->out_dir, strerror(errno));

    char issued_at[MM_TIME_TEXT_MAX];
    mm_time_format_us(now, issued_at, sizeof issued_at);
    json_t *root = json_object(), *names = json_array(), *hashes = json_object();
    json_t *criteria = json_array();
    if (!root || !names || !hashes || !criteria) {
        json_decref(root);
        json_decref(names);
        json_decref(hashes);
        json_decref(criteria);
        return mm_err_set(err, MM_ENOMEM, "out of memory");
    }
    /* The contract's key order, so a person reading the file finds things where docs/policy.md
     * says. */
    json_object_set_new(root, "policy_id", json_string(a->policy_id));
    json_object_set_new(root, "policy_version", json_integer(version));
    json_object_set_new(root, "route", json_string(mm_route_name(a->route)));
    json_object_set_new(root, "issued_at", json_string(issued_at));
    if (a->agreement)
        json_object_set_new(root, "agreement", json_string(a->agreement));
    json_object_set_new(root, "domestic_prefixes", names);
    json_object_set_new(root, "file_sha256", hashes);
    json_object_set_new(root, "pseudonymization_key", json_string(a->pseudo_key));
    json_object_set_new(root, "flow_idle_timeout_s", json_integer(a->idle_s));
    json_object_set_new(root, "flow_active_timeout_s", json_integer(a->active_s));
    json_object_set_new(root, "retention_days", json_integer(a->retention_days));
    json_object_set_new(root, "criteria", criteria);

    struct issue is = {.a = a, .criteria = criteria, .written = written, .err = err};
    char *text = NULL;
    rc = copy_domestic(a, names, hashes, written, err);
    if (rc == 0)
        rc = mm_criteria_list(s->store, now, MM_CRITERIA_IN_FORCE | MM_CRITERIA_WITH_FEED,
                              add_criterion, &is, err);
    if (rc == 0 && !(text = json_dumps(root, JSON_INDENT(2))))
        rc = mm_err_set(err, MM_ENOMEM, "out of memory");
    size_t ncriteria = json_array_size(criteria);
    json_decref(root);
    if (rc)
        goto out;
    size_t len = strlen(text);
    text[len++] = '\n'; /* over the NUL: the bytes signed are text[0..len) */
    char sha[MM_SHA256_HEX_LEN + 1];
    mm_sha256_hex(text, len, sha);
    if ((rc = mm_sign_buffer(a->signing_key, text, len, sig, err)))
        goto out;
    sig[MM_SIG_TEXT_LEN] = '\n';
    /* policy.json first, then its signature: a sensor that reads in between
     * finds a signature that does not verify and refuses (fails closed). */
    if ((rc = write_into(a->out_dir, "policy.json", text, len, written, err)) ||
        (rc = write_into(a->out_dir, "policy.json.sig", sig, MM_SIG_TEXT_LEN + 1, written, err)))
        goto out;
    struct mm_policy_issue pi = {.policy_id = a->policy_id,
                                 .version = version,
                                 .route = a->route,
                                 .agreement_id = a->agreement,
                                 .issued_at_ns = now,
                                 .issued_by = s->user.name,
                                 .sha256 = sha};
    if ((rc = mm_policy_record_issue(s->store, &pi, err)))
        goto out;
    json_object_set_new(audit_obj, "policy_version", json_integer(version));
    json_object_set_new(audit_obj, "sha256", json_string(sha));
    json_object_set_new(audit_obj, "criteria", json_integer((json_int_t)ncriteria));
    snprintf(done, 512,
             "issued policy %s version %" PRIu32 " with %zu criteria: %s/policy.json (sha256 %s), "
             "signed in %s/policy.json.sig\n",
             a->policy_id, version, ncriteria, a->out_dir, sha, a->out_dir);
out:
    free(text);
    return rc;
}

static int parse_num(const char *opt, const char *text, long long min, long long max,
                     long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end || v < min || v > max) {
        fprintf(stderr, "mamori policy issue: %s: expected a number from %lld to %lld, got '%s'\n",
                opt, min, max, text);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_issue_args(int argc, char **argv, struct issue_args *a)
{
    static const struct option longopts[] = {{"store", required_argument, NULL, 's'},
                                             {"token", required_argument, NULL, 't'},
                                             {"policy-id", required_argument, NULL, 'p'},
                                             {"route", required_argument, NULL, 'r'},
                                             {"out", required_argument, NULL, 'o'},
                                             {"signing-key", required_argument, NULL, 'k'},
                                             {"pseudonymization-key", required_argument, NULL, 'K'},
                                             {"domestic", required_argument, NULL, 'd'},
                                             {"agreement", required_argument, NULL, 'a'},
                                             {"retention-days", required_argument, NULL, 'R'},
                                             {"idle", required_argument, NULL, 'I'},
                                             {"active", required_argument, NULL, 'A'},
                                             {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->retention_days = 730;
    a->idle_s = 60;
    a->active_s = 300;
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
        case 'p':
            a->policy_id = optarg;
            break;
        case 'r':
            a->route_text = optarg;
            break;
        case 'o':
            a->out_dir = optarg;
            break;
        case 'k':
            a->signing_key = optarg;
            break;
        case 'K':
            a->pseudo_key = optarg;
            break;
        case 'a':
            a->agreement = optarg;
            break;
        case 'd':
            if (a->ndomestic == DOMESTIC_MAX) {
                fprintf(stderr, "mamori policy issue: at most %d --domestic files\n", DOMESTIC_MAX);
                return MM_EXIT_USAGE;
            }
            a->domestic[a->ndomestic++] = optarg;
            break;
        /* The same ranges the policy loader accepts. */
        case 'R':
            if (parse_num("--retention-days", optarg, 1, 36500, &a->retention_days))
                return MM_EXIT_USAGE;
            break;
        case 'I':
            if (parse_num("--idle", optarg, 1, 86400, &a->idle_s))
                return MM_EXIT_USAGE;
            break;
        case 'A':
            if (parse_num("--active", optarg, 1, 7 * 86400, &a->active_s))
                return MM_EXIT_USAGE;
            break;
        default:
            fputs(MM_HELP_POLICY, stderr);
            return MM_EXIT_USAGE;
        }
    }
    if (optind != argc || !a->policy_id || !a->route_text || !a->out_dir || !a->signing_key ||
        !a->pseudo_key || !*a->pseudo_key || a->ndomestic == 0) {
        fprintf(stderr,
                "mamori policy issue: --policy-id, --route, --out, --signing-key, "
                "--pseudonymization-key and --domestic are required\n\n%s",
                MM_HELP_POLICY);
        return MM_EXIT_USAGE;
    }
    if (!mm_governance_id_valid(a->policy_id, MM_POLICY_ID_MAX)) {
        fprintf(stderr,
                "mamori policy issue: --policy-id: must be 1-%d characters of A-Z a-z 0-9 "
                ". _ : -\n",
                MM_POLICY_ID_MAX);
        return MM_EXIT_USAGE;
    }
    if (mm_route_parse(a->route_text, &a->route) != 0) {
        fprintf(stderr, "mamori policy issue: --route: must be party_agreement, transit, inbound "
                        "or outbound\n");
        return MM_EXIT_USAGE;
    }
    if ((a->route == MM_ROUTE_PARTY_AGREEMENT) != (a->agreement != NULL)) {
        fprintf(stderr, "mamori policy issue: %s\n",
                a->agreement ? "--agreement applies only to route party_agreement"
                             : "route party_agreement needs --agreement naming an agreement in "
                               "force");
        return MM_EXIT_USAGE;
    }
    return 0;
}

int mm_cmd_policy(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "issue") != 0) {
        bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
        fputs(MM_HELP_POLICY, help ? stdout : stderr);
        return help ? MM_EXIT_OK : MM_EXIT_USAGE;
    }
    struct issue_args a;
    int rc = parse_issue_args(argc, argv, &a);
    if (rc)
        return rc;
    struct mm_session s;
    if ((rc = mm_session_open(&s, "mamori policy issue", a.store, a.token, MM_ACT_POLICY_ISSUE)))
        return rc;
    struct mm_err err;
    mm_err_clear(&err);
    struct issue_files written = {.n = 0};
    char done[512] = "";
    json_t *obj = json_pack("{s:s, s:s, s:s?, s:s}", "policy_id", a.policy_id, "route",
                            a.route_text, "agreement", a.agreement, "out", a.out_dir);
    rc = mm_store_begin(s.store, &err);
    if (rc == 0)
        rc = issue(&s, &a, mm_time_now_ns(), obj, &written, done, &err);
    int code = mm_gov_finish(&s, rc, &err, "policy.issue", NULL, obj, rc == 0);
    if (code == 0)
        fputs(done, stdout);
    /* An issue that is not recorded must not be left for a sensor to find. */
    for (size_t i = 0; i < written.n; i++) {
        if (code != 0 && strstr(written.paths[i], "/policy.json"))
            unlink(written.paths[i]);
        free(written.paths[i]);
    }
    mm_session_close(&s);
    return code;
}
