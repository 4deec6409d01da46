/* policy.c - loading and validating a selection policy (JSON, jansson) and the files it names. */
#include "select/policy.h"

#include "select/cryptopan.h"
#include "select/prefix_file.h"
#include "util/digest.h"
#include "util/timefmt.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const route_names[] = {"party_agreement", "transit", "inbound", "outbound"};
static const char *const direction_names[] = {"foreign_to_domestic", "foreign_to_foreign",
                                              "domestic_to_foreign", "domestic_to_domestic"};

const char *mm_route_name(enum mm_route r) { return route_names[r]; }
const char *mm_direction_name(enum mm_direction d) { return direction_names[d]; }

int mm_route_parse(const char *text, enum mm_route *out)
{
    for (size_t i = 0; i < sizeof route_names / sizeof route_names[0]; i++)
        if (strcmp(text, route_names[i]) == 0) {
            *out = (enum mm_route)i;
            return 0;
        }
    return MM_EINVAL;
}

enum mm_direction mm_route_allowed_direction(enum mm_route r)
{
    switch (r) {
    case MM_ROUTE_TRANSIT:
        return MM_DIR_FOREIGN_TO_FOREIGN;
    case MM_ROUTE_OUTBOUND:
        return MM_DIR_DOMESTIC_TO_FOREIGN;
    case MM_ROUTE_PARTY_AGREEMENT:
    case MM_ROUTE_INBOUND:
    default:
        return MM_DIR_FOREIGN_TO_DOMESTIC;
    }
}

/* "icmp" in a policy means ICMP for IPv4 and ICMPv6 for IPv6. */
#define PROTO_ICMP_ANY 255

bool mm_criterion_accepts(const struct mm_criterion *c, uint8_t proto, uint16_t port)
{
    if (c->proto) {
        if (c->proto == PROTO_ICMP_ANY) {
            if (proto != 1 && proto != 58)
                return false;
        } else if (c->proto != proto) {
            return false;
        }
    }
    if (c->nports == 0)
        return true;
    if (proto != 6 && proto != 17 && proto != 132 && proto != 136)
        return false;
    size_t lo = 0, hi = c->nports;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->ports[mid] == port)
            return true;
        if (c->ports[mid] < port)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* Special-purpose ranges that are always domestic (never foreign endpoints). */
static const char *const special_purpose[] = {
    "0.0.0.0/8",   "10.0.0.0/8",  "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4", "::1/128",   "fc00::/7",       "fe80::/10",
    "ff00::/8"};

struct loader {
    const char *name;     /* the policy file, for messages */
    const char *base_dir; /* where relative paths start */
    struct mm_err *err;
    struct mm_policy *policy;
    struct mm_prefix_map_builder *criteria_b;
    struct mm_prefix_map_builder *domestic_b;
    uint32_t current_criterion;
    size_t added;
};

static bool valid_id(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '.' || c == ':'))
            return false;
    }
    return true;
}

static char *resolve(const struct loader *ld, const char *rel)
{
    size_t need = strlen(ld->base_dir) + strlen(rel) + 2;
    char *out = malloc(need);
    if (!out)
        return NULL;
    if (rel[0] == '/' || ld->base_dir[0] == '\0')
        snprintf(out, need, "%s", rel);
    else
        snprintf(out, need, "%s/%s", ld->base_dir, rel);
    return out;
}

/* Printable, shortened rendering of user text for error messages. */
static void quote(const char *in, char *out, size_t outlen)
{
    size_t j = 0;
    for (size_t i = 0; in[i] && j + 4 < outlen; i++) {
        unsigned char c = (unsigned char)in[i];
        out[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
        if (i >= 60) {
            out[j++] = '.';
            out[j++] = '.';
            out[j++] = '.';
            break;
        }
    }
    out[j] = '\0';
}

static int add_criterion_prefix(void *ctx, const struct mm_prefix *p)
{
    struct loader *ld = ctx;
    ld->added++;
    return mm_prefix_map_builder_add(ld->criteria_b, p, ld->current_criterion);
}

static int add_domestic_prefix(void *ctx, const struct mm_prefix *p)
{
    struct loader *ld = ctx;
    ld->added++;
    return mm_prefix_map_builder_add(ld->domestic_b, p, 0);
}

static int want_string(struct loader *ld, json_t *v, const char *path, const char **out)
{
    if (!json_is_string(v))
        return mm_err_set(ld->err, MM_EFORMAT, "%s: %s: expected a string", ld->name, path);
    *out = json_string_value(v);
    if (strlen(*out) != json_string_length(v))
        return mm_err_set(ld->err, MM_EFORMAT, "%s: %s: contains a NUL character", ld->name, path);
    return 0;
}

static int want_int(struct loader *ld, json_t *v, const char *path, long long min, long long max,
                    long long *out)
{
    if (!json_is_integer(v))
        return mm_err_set(ld->err, MM_EFORMAT, "%s: %s: expected an integer", ld->name, path);
    long long x = json_integer_value(v);
    if (x < min || x > max)
        return mm_err_set(ld->err, MM_EFORMAT, "%s: %s: %lld is out of range %lld..%lld", ld->name,
                          path, x, min, max);
    *out = x;
    return 0;
}

static int want_time(struct loader *ld, json_t *v, const char *path, int64_t *out)
{
    const char *s;
    int rc = want_string(ld, v, path, &s);
    if (rc)
        return rc;
    if (mm_time_parse_rfc3339(s, out) != 0) {
        char q[80];
        quote(s, q, sizeof q);
        return mm_err_set(ld->err, MM_EFORMAT, "%s: %s: not an RFC 3339 time: '%s'", ld->name, path, q);
    }
    return 0;
}

static int check_keys(struct loader *ld, json_t *obj, const char *path, const char *const *allowed)
{
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val)
    {
        bool ok = false;
        for (size_t i = 0; allowed[i]; i++)
            if (strcmp(key, allowed[i]) == 0)
                ok = true;
        if (!ok) {
            char q[80];
            quote(key, q, sizeof q);
            return mm_err_set(ld->err, MM_EFORMAT, "%s: %s: unknown key '%s'", ld->name, path, q);
        }
    }
    return 0;
}

static int cmp_u16(const void *a, const void *b)
{
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static int parse_criterion(struct loader *ld, json_t *obj, size_t idx, struct mm_criterion *c)
{
    char path[64], sub[96];
    snprintf(path, sizeof path, "criteria[%zu]", idx);
    static const char *const keys[] = {"id",        "match",      "match_file", "proto", "ports",
                                       "not_before", "not_after", "sha256",     "note",  NULL};
    if (!json_is_object(obj))
        return mm_err_set(ld->err, MM_EFORMAT, "%s: %s: expected an object", ld->name, path);
    int rc = check_keys(ld, obj, path, keys);
    if (rc)
        return rc;
    const char *s;
    snprintf(sub, sizeof sub, "%s.id", path);
    json_t *v = json_object_get(obj, "id");
    if (!v)
        return mm_err_set(ld->err, MM_EFORMAT, "%s: %s: missing", ld->name, sub);
    if ((rc = want_string(ld, v, sub, &s)))
        return rc;
    if (!valid_id(s, MM_CRITERION_ID_MAX))
        return mm_err_set(ld->err, MM_EFORMAT,
                          "%s: %s: must be 1-%d characters of A-Z a-z 0-9 . _ : -", ld->name, sub,
                          MM_CRITERION_ID_MAX);
    snprintf(c->id, sizeof c->id, "%s", s);
    for (size_t i = 0; i < idx; i++)
        if (strcmp(ld->policy->criteria[i].id, c->id) == 0)
            return mm_err_set(ld->err, MM_EFORMAT, "%s: %s: duplicate criterion id '%s'", ld->name,
                              sub, c->id);

    c->not_before_ns = INT64_MIN;
    c->not_after_ns = INT64_MAX;
    if ((v = json_object_get(obj, "not_before"))) {
        snprintf(sub, sizeof sub, "%s.not_before", path);
        if ((rc = want_time(ld, v, sub, &c->not_before_ns)))
            return rc;
    }
    if ((v = json_object_get(obj, "not_after"))) {
        snprintf(sub, sizeof sub, "%s.not_after", path);
        if ((rc = want_time(ld, v, sub, &c->not_after_ns)))
            return rc;
    }
    if (c->not_before_ns >= c->not_after_ns)
        return mm_err_set(ld->err, MM_EFORMAT, "%s: %s: not_after must be later than not_before",
                          ld->name, path);

    if ((v = json_object_get(obj, "proto"))) {
        snprintf(sub, sizeof sub, "%s.proto", path);
        if ((rc = want_string(ld, v, sub, &s)))
            return rc;
        if (strcmp(s, "tcp") == 0)
            c->proto = 6;
        else if (strcmp(s, "udp") == 0)
            c->proto = 17;
        else if (strcmp(s, "sctp") == 0)
            c->proto = 132;
        else if (strcmp(s, "icmp") == 0)
            c->proto = PROTO_ICMP_ANY;
        else
            return mm_err_set(ld->err, MM_EFORMAT, "%s: %s: must be tcp, udp, sctp or icmp", ld->name,
                              sub);
    }
    if ((v = json_object_get(obj, "ports"))) {
        snprintf(sub, sizeof sub, "%s.ports", path);
        if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > 65536)
            return mm_err_set(ld->err, MM_EFORMAT, "%s: %s: expected a non-empty array of ports",
                              ld->name, sub);
        if (c->proto == PROTO_ICMP_ANY)
            return mm_err_set(ld->err, MM_EFORMAT, "%s: %s: ports need proto tcp, udp or sctp",
                              ld->name, sub);
        c->ports = calloc(json_array_size(v), sizeof *c->ports);
        if (!c->ports)
            return mm_err_set(ld->err, MM_ENOMEM, "%s: out of memory", ld->name);
        size_t i;
        json_t *pv;
        json_array_foreach(v, i, pv)
        {
            char ppath[128];
            snprintf(ppath, sizeof ppath, "%s[%zu]", sub, i);
            long long port;
            if ((rc = want_int(ld, pv, ppath, 0, 65535, &port)))
                return rc;
            c->ports[i] = (uint16_t)port;
        }
        qsort(c->ports, json_array_size(v), sizeof *c->ports, cmp_u16);
        size_t n = 0;
        for (i = 0; i < json_array_size(v); i++)
            if (n == 0 || c->ports[n - 1] != c->ports[i])
                c->ports[n++] = c->ports[i];
        c->nports = (uint16_t)n;
    }

    json_t *match = json_object_get(obj, "match"), *file = json_object_get(obj, "match_file");
    if (!!match == !!file)
        return mm_err_set(ld->err, MM_EFORMAT, "%s: %s: needs exactly one of match and match_file",
                          ld->name, path);
    ld->current_criterion = (uint32_t)idx;
    ld->added = 0;
    if (match) {
        snprintf(sub, sizeof sub, "%s.match", path);
        if ((rc = want_string(ld, match, sub, &s)))
            return rc;
        struct mm_prefix p;
        if (mm_prefix_parse(s, &p) != 0) {
            char q[80];
            quote(s, q, sizeof q);
            return mm_err_set(ld->err, MM_EFORMAT, "%s: %s: not an address or prefix: '%s'", ld->name,
                              sub, q);
        }
        if ((rc = add_criterion_prefix(ld, &p)))
            return mm_err_set(ld->err, rc, "%s: %s: %s", ld->name, sub, mm_strerror(rc));
        if ((v = json_object_get(obj, "sha256")))
            return mm_err_set(ld->err, MM_EFORMAT, "%s: %s.sha256: only a match_file has a hash",
                              ld->name, path);
    } else {
        snprintf(sub, sizeof sub, "%s.match_file", path);
        if ((rc = want_string(ld, file, sub, &s)))
            return rc;
        c->match_file = resolve(ld, s);
        if (!c->match_file)
            return mm_err_set(ld->err, MM_ENOMEM, "%s: out of memory", ld->name);
        struct mm_err ferr;
        mm_err_clear(&ferr);
        if ((rc = mm_sha256_file_hex(c->match_file, c->sha256, &ferr)))
            return mm_err_set(ld->err, rc, "%s: %s: %s", ld->name, sub, ferr.msg);
        if ((v = json_object_get(obj, "sha256"))) {
            snprintf(sub, sizeof sub, "%s.sha256", path);
            if ((rc = want_string(ld, v, sub, &s)))
                return rc;
            if (strcmp(s, c->sha256) != 0)
                return mm_err_set(ld->err, MM_EVERIFY,
                                  "%s: %s: %s has SHA-256 %s, the policy expects %s", ld->name, sub,
                                  c->match_file, c->sha256, s);
        }
        if ((rc = mm_prefix_file_read(c->match_file, NULL, add_criterion_prefix, ld, &ferr)))
            return mm_err_set(ld->err, rc, "%s: %s: %s", ld->name, sub, ferr.msg);
        if (ld->added == 0)
            return mm_err_set(ld->err, MM_EFORMAT, "%s: %s: %s holds no address", ld->name, sub,
                              c->match_file);
    }
    c->entries = (uint32_t)ld->added;
    return 0;
}

/* "file_sha256": {"relative name": "64 lowercase hex digits"}: the hashes a
 * signed policy carries for the files it names besides feeds (which carry
 * their own "sha256"), so the signature covers their bytes too. */
static int check_file_hashes(struct loader *ld, json_t *hashes)
{
    if (!json_is_object(hashes))
        return mm_err_set(ld->err, MM_EFORMAT, "%s: file_sha256: expected an object", ld->name);
    const char *key;
    json_t *val;
    json_object_foreach(hashes, key, val)
    {
        const char *hex = json_is_string(val) ? json_string_value(val) : "";
        bool ok = strlen(hex) == MM_SHA256_HEX_LEN;
        for (size_t i = 0; ok && hex[i]; i++)
            ok = (hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f');
        if (!ok) {
            char q[80];
            quote(key, q, sizeof q);
            return mm_err_set(ld->err, MM_EFORMAT,
                              "%s: file_sha256['%s']: expected 64 lowercase hex digits", ld->name, q);
        }
    }
    return 0;
}

/* With file_sha256, the file named rel (resolved to file) must be listed and match. */
static int check_file_hash(struct loader *ld, json_t *hashes, const char *path, const char *rel,
                           const char *file)
{
    json_t *want = json_object_get(hashes, rel);
    char q[80];
    quote(rel, q, sizeof q);
    if (!want)
        return mm_err_set(ld->err, MM_EVERIFY, "%s: %s: '%s' has no entry in file_sha256", ld->name,
                          path, q);
    char have[MM_SHA256_HEX_LEN + 1];
    struct mm_err ferr;
    mm_err_clear(&ferr);
    int rc = mm_sha256_file_hex(file, have, &ferr);
    if (rc)
        return mm_err_set(ld->err, rc, "%s: %s: %s", ld->name, path, ferr.msg);
    if (strcmp(have, json_string_value(want)) != 0)
        return mm_err_set(ld->err, MM_EVERIFY, "%s: %s: %s has SHA-256 %s, file_sha256 expects %s",
                          ld->name, path, file, have, json_string_value(want));
    return 0;
}

static int parse_root(struct loader *ld, json_t *root)
{
    struct mm_policy *p = ld->policy;
    static const char *const keys[] = {"policy_id",
                                       "policy_version",
                                       "route",
                                       "domestic_prefixes",
                                       "pseudonymization_key",
                                       "flow_idle_timeout_s",
                                       "flow_active_timeout_s",
                                       "retention_days",
                                       "criteria",
                                       "issued_at",
                                       "agreement",
                                       "note",
                                       "file_sha256",
                                       NULL};
    if (!json_is_object(root))
        return mm_err_set(ld->err, MM_EFORMAT, "%s: $: expected a JSON object", ld->name);
    int rc = check_keys(ld, root, "$", keys);
    if (rc)
        return rc;
    static const char *const required[] = {"policy_id", "route", "domestic_prefixes",
                                           "pseudonymization_key", "criteria"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!json_object_get(root, required[i]))
            return mm_err_set(ld->err, MM_EFORMAT, "%s: %s: missing", ld->name, required[i]);

    const char *s;
    if ((rc = want_string(ld, json_object_get(root, "policy_id"), "policy_id", &s)))
        return rc;
    if (!valid_id(s, MM_POLICY_ID_MAX))
        return mm_err_set(ld->err, MM_EFORMAT, "%s: policy_id: must be 1-%d characters of A-Z a-z 0-9 . _ : -",
                          ld->name, MM_POLICY_ID_MAX);
    snprintf(p->policy_id, sizeof p->policy_id, "%s", s);

    json_t *v;
    long long n;
    if ((v = json_object_get(root, "policy_version"))) {
        if ((rc = want_int(ld, v, "policy_version", 0, UINT32_MAX, &n)))
            return rc;
        p->policy_version = (uint32_t)n;
    }
    if ((rc = want_string(ld, json_object_get(root, "route"), "route", &s)))
        return rc;
    if (mm_route_parse(s, &p->route) != 0)
        return mm_err_set(ld->err, MM_EFORMAT,
                          "%s: route: must be party_agreement, transit, inbound or outbound", ld->name);

    p->flow_idle_timeout_ns = 60 * MM_NS_PER_SEC;
    p->flow_active_timeout_ns = 300 * MM_NS_PER_SEC;
    p->retention_days = 730;
    if ((v = json_object_get(root, "flow_idle_timeout_s"))) {
        if ((rc = want_int(ld, v, "flow_idle_timeout_s", 1, 86400, &n)))
            return rc;
        p->flow_idle_timeout_ns = n * MM_NS_PER_SEC;
    }
    if ((v = json_object_get(root, "flow_active_timeout_s"))) {
        if ((rc = want_int(ld, v, "flow_active_timeout_s", 1, 7 * 86400, &n)))
            return rc;
        p->flow_active_timeout_ns = n * MM_NS_PER_SEC;
    }
    if ((v = json_object_get(root, "retention_days"))) {
        if ((rc = want_int(ld, v, "retention_days", 1, 36500, &n)))
            return rc;
        p->retention_days = (uint32_t)n;
    }

    if ((rc = want_string(ld, json_object_get(root, "pseudonymization_key"), "pseudonymization_key", &s)))
        return rc;
    char *key_path = resolve(ld, s);
    if (!key_path)
        return mm_err_set(ld->err, MM_ENOMEM, "%s: out of memory", ld->name);
    struct mm_err kerr;
    mm_err_clear(&kerr);
    rc = mm_key_file_read(key_path, p->pseudonymization_key, &kerr);
    free(key_path);
    if (rc)
        return mm_err_set(ld->err, rc, "%s: pseudonymization_key: %s", ld->name, kerr.msg);

    json_t *hashes = json_object_get(root, "file_sha256");
    if (hashes && (rc = check_file_hashes(ld, hashes)))
        return rc;
    v = json_object_get(root, "domestic_prefixes");
    if (!json_is_array(v))
        return mm_err_set(ld->err, MM_EFORMAT, "%s: domestic_prefixes: expected an array of file names",
                          ld->name);
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item)
    {
        char path[64];
        snprintf(path, sizeof path, "domestic_prefixes[%zu]", i);
        if ((rc = want_string(ld, item, path, &s)))
            return rc;
        char *file = resolve(ld, s);
        if (!file)
            return mm_err_set(ld->err, MM_ENOMEM, "%s: out of memory", ld->name);
        ld->added = 0;
        struct mm_err ferr;
        mm_err_clear(&ferr);
        rc = hashes ? check_file_hash(ld, hashes, path, s, file) : 0;
        if (rc == 0)
            rc = mm_prefix_file_read(file, "JP", add_domestic_prefix, ld, &ferr);
        if (rc)
            mm_err_set(ld->err, rc, "%s: %s: %s", ld->name, path, ferr.msg);
        if (rc == 0 && ld->added == 0)
            rc = mm_err_set(ld->err, MM_EFORMAT, "%s: %s: %s holds no prefix", ld->name, path, file);
        free(file);
        if (rc)
            return rc;
        p->domestic_entries += ld->added;
    }
    for (i = 0; i < sizeof special_purpose / sizeof special_purpose[0]; i++) {
        struct mm_prefix sp;
        if (mm_prefix_parse(special_purpose[i], &sp) != 0 ||
            mm_prefix_map_builder_add(ld->domestic_b, &sp, 0) != 0)
            return mm_err_set(ld->err, MM_ENOMEM, "%s: cannot add special-purpose ranges", ld->name);
    }

    v = json_object_get(root, "criteria");
    if (!json_is_array(v))
        return mm_err_set(ld->err, MM_EFORMAT, "%s: criteria: expected an array", ld->name);
    if (json_array_size(v) > 100000)
        return mm_err_set(ld->err, MM_EFORMAT, "%s: criteria: more than 100000 criteria", ld->name);
    p->criteria = calloc(json_array_size(v) + 1, sizeof *p->criteria);
    if (!p->criteria)
        return mm_err_set(ld->err, MM_ENOMEM, "%s: out of memory", ld->name);
    json_array_foreach(v, i, item)
    {
        p->ncriteria = i + 1;
        if ((rc = parse_criterion(ld, item, i, &p->criteria[i])))
            return rc;
    }
    if ((rc = mm_prefix_map_build(ld->criteria_b, &p->criteria_map, ld->err)))
        return rc;
    return mm_prefix_map_build(ld->domestic_b, &p->domestic_map, ld->err);
}

int mm_policy_parse(const char *json, size_t len, const char *name, const char *base_dir,
                    struct mm_policy **out, struct mm_err *err)
{
    *out = NULL;
    struct loader ld = {.name = name, .base_dir = base_dir, .err = err};
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return mm_err_set(err, MM_EFORMAT, "%s: line %d, column %d: %s", name, jerr.line, jerr.column,
                          jerr.text);
    int rc = MM_ENOMEM;
    ld.policy = calloc(1, sizeof *ld.policy);
    ld.criteria_b = mm_prefix_map_builder_new();
    ld.domestic_b = mm_prefix_map_builder_new();
    if (!ld.policy || !ld.criteria_b || !ld.domestic_b) {
        mm_err_set(err, rc, "%s: out of memory", name);
        goto out;
    }
    rc = parse_root(&ld, root);
out:
    json_decref(root);
    mm_prefix_map_builder_free(ld.criteria_b);
    mm_prefix_map_builder_free(ld.domestic_b);
    if (rc) {
        mm_policy_free(ld.policy);
        return rc;
    }
    *out = ld.policy;
    return 0;
}

int mm_policy_load(const char *path, struct mm_policy **out, struct mm_err *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return mm_err_set(err, MM_EIO, "%s: cannot open: %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (len == cap) {
            if (cap >= (16u << 20)) {
                rc = mm_err_set(err, MM_EFORMAT, "%s: larger than 16 MiB; put addresses in a match_file",
                                path);
                goto out;
            }
            cap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, cap);
            if (!nb) {
                rc = mm_err_set(err, MM_ENOMEM, "%s: out of memory", path);
                goto out;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        rc = mm_err_set(err, MM_EIO, "%s: read error", path);
        goto out;
    }
    char *dir = strdup(path);
    if (!dir) {
        rc = mm_err_set(err, MM_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    else
        dir[0] = '\0';
    rc = mm_policy_parse(buf, len, path, dir, out, err);
    free(dir);
out:
    free(buf);
    fclose(f);
    return rc;
}

void mm_policy_free(struct mm_policy *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->ncriteria; i++) {
        free(p->criteria[i].ports);
        free(p->criteria[i].match_file);
    }
    free(p->criteria);
    mm_prefix_map_free(p->criteria_map);
    mm_prefix_map_free(p->domestic_map);
    OPENSSL_cleanse(p->pseudonymization_key, sizeof p->pseudonymization_key);
    free(p);
}
