/* criteria.c - validation for the committee's registers, shared by every store backend. */
#include "store/criteria.h"

#include "select/prefix_file.h"
#include "util/digest.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[] = {
#define MM_CRIT_STATUS_STR_(name, str) str,
    MM_CRITERION_STATUS_MAP(MM_CRIT_STATUS_STR_)
#undef MM_CRIT_STATUS_STR_
};

const char *mm_criterion_status_name(enum mm_criterion_status st)
{
    return (unsigned)st < MM_CRIT_STATUS_COUNT ? status_names[st] : "?";
}

bool mm_source_kind_valid(const char *kind)
{
    static const char *const kinds[] = {"incident_report", "feed", "product", "other"};
    for (size_t i = 0; kind && i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kind, kinds[i]) == 0)
            return true;
    return false;
}

bool mm_governance_id_valid(const char *id, size_t max)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':'))
            return false;
    }
    return true;
}

/* Free text a person gives (references, reasons): present, bounded, printable. */
static int check_text(const char *what, const char *text, struct mm_err *err)
{
    if (!text || !*text)
        return mm_err_set(err, MM_EFORMAT, "%s is required", what);
    if (strlen(text) > MM_CRITERION_TEXT_MAX)
        return mm_err_set(err, MM_EFORMAT, "%s: longer than %d bytes", what, MM_CRITERION_TEXT_MAX);
    for (const unsigned char *c = (const unsigned char *)text; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return mm_err_set(err, MM_EFORMAT, "%s: contains a control character", what);
    return 0;
}

static int cmp_port(const void *a, const void *b)
{
    return (int)*(const unsigned *)a - (int)*(const unsigned *)b;
}

/* "443,80,80" -> "80,443"; each 0..65535. */
static int normalize_ports(const char *text, char out[MM_PORTS_TEXT_MAX], struct mm_err *err)
{
    unsigned ports[MM_PORTS_MAX];
    size_t n = 0;
    const char *p = text;
    for (;;) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(p, &end, 10);
        if (end == p || errno || v > 65535 || *p == '-' || *p == '+' || *p == ' ')
            return mm_err_set(err, MM_EFORMAT,
                              "ports: '%.40s' is not a list of ports 0-65535 like "
                              "80,443",
                              text);
        if (n == MM_PORTS_MAX)
            return mm_err_set(err, MM_EFORMAT, "ports: more than %d ports", MM_PORTS_MAX);
        ports[n++] = (unsigned)v;
        if (*end == '\0')
            break;
        if (*end != ',')
            return mm_err_set(err, MM_EFORMAT,
                              "ports: '%.40s' is not a list of ports 0-65535 like "
                              "80,443",
                              text);
        p = end + 1;
    }
    qsort(ports, n, sizeof ports[0], cmp_port);
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || ports[i] != ports[i - 1])
            len += (size_t)snprintf(out + len, MM_PORTS_TEXT_MAX - len, "%s%u", len ? "," : "",
                                    ports[i]);
    return 0;
}

static int count_prefix(void *ctx, const struct mm_prefix *p)
{
    (void)p;
    (*(int64_t *)ctx)++;
    return 0;
}

int mm_criteria_check_proposal(const struct mm_criterion_proposal *p,
                               struct mm_criterion_checked *out, struct mm_err *err)
{
    memset(out, 0, sizeof *out);
    if (!mm_governance_id_valid(p->id, MM_CRITERION_ID_MAX))
        return mm_err_set(err, MM_EFORMAT, "id: must be 1-%d characters of A-Z a-z 0-9 . _ : -",
                          MM_CRITERION_ID_MAX);
    if (!p->match == !p->feed)
        return mm_err_set(err, MM_EFORMAT, "needs exactly one of an address/prefix and a feed");
    if (p->match) {
        struct mm_prefix pfx;
        if (mm_prefix_parse(p->match, &pfx) != 0)
            return mm_err_set(err, MM_EFORMAT, "match: not an address or prefix: '%.60s'",
                              p->match);
        out->feed_entries = 1;
    } else {
        const char *name = p->feed_name ? p->feed_name : "feed";
        if (p->feed_len > MM_FEED_MAX_BYTES)
            return mm_err_set(err, MM_EFORMAT, "%s: larger than %u bytes", name, MM_FEED_MAX_BYTES);
        /* The sensor reads feeds with the same parser (no country: plain lists only). */
        int rc = mm_prefix_text_read(p->feed, p->feed_len, name, NULL, count_prefix,
                                     &out->feed_entries, err);
        if (rc)
            return rc;
        if (out->feed_entries == 0)
            return mm_err_set(err, MM_EFORMAT, "%s: holds no address", name);
        mm_sha256_hex(p->feed, p->feed_len, out->feed_sha256);
    }
    if (p->proto && strcmp(p->proto, "tcp") && strcmp(p->proto, "udp") &&
        strcmp(p->proto, "sctp") && strcmp(p->proto, "icmp"))
        return mm_err_set(err, MM_EFORMAT, "proto: must be tcp, udp, sctp or icmp");
    if (p->ports) {
        if (p->proto && strcmp(p->proto, "icmp") == 0)
            return mm_err_set(err, MM_EFORMAT, "ports: need proto tcp, udp or sctp");
        int rc = normalize_ports(p->ports, out->ports, err);
        if (rc)
            return rc;
    }
    if (p->not_before_ns >= p->not_after_ns)
        return mm_err_set(err, MM_EFORMAT, "not_after must be later than not_before");
    if (!mm_source_kind_valid(p->source_kind))
        return mm_err_set(err, MM_EFORMAT, "source kind: must be " MM_SOURCE_KINDS);
    int rc = check_text("source reference", p->source_ref, err);
    if (!rc)
        rc = check_text("legal basis", p->legal_basis, err);
    return rc;
}

/* A JSON array of strings, compact. */
static char *string_array(const char *const *items, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_string(items[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    char *text = a ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    return text;
}

int mm_agreement_check(const struct mm_agreement *a, char **contractors_json, char **scope_json,
                       struct mm_err *err)
{
    *contractors_json = *scope_json = NULL;
    if (!mm_governance_id_valid(a->id, MM_CRITERION_ID_MAX))
        return mm_err_set(err, MM_EFORMAT, "id: must be 1-%d characters of A-Z a-z 0-9 . _ : -",
                          MM_CRITERION_ID_MAX);
    int rc = check_text("party", a->party, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < a->ncontractors; i++)
        if ((rc = check_text("contractor", a->contractors[i], err)))
            return rc;
    if (a->nscope == 0)
        return mm_err_set(err, MM_EFORMAT, "scope: at least one address or prefix is required");
    for (size_t i = 0; i < a->nscope; i++) {
        struct mm_prefix pfx;
        if (mm_prefix_parse(a->scope[i], &pfx) != 0)
            return mm_err_set(err, MM_EFORMAT, "scope: not an address or prefix: '%.60s'",
                              a->scope[i]);
    }
    if (a->ends_at_ns <= a->starts_at_ns)
        return mm_err_set(err, MM_EFORMAT, "end must be later than start");
    *contractors_json = string_array(a->contractors, a->ncontractors);
    *scope_json = string_array(a->scope, a->nscope);
    if (!*contractors_json || !*scope_json) {
        free(*contractors_json);
        free(*scope_json);
        *contractors_json = *scope_json = NULL;
        return mm_err_set(err, MM_ENOMEM, "out of memory");
    }
    return 0;
}
