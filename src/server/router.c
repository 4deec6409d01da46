/* router.c - the API's route tables, path matching, the server's own endpoints (health, me, audit
 * head and verify) and the response helpers of api.h. */
#include "server/internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The domain modules' tables are optional at link time (api.h, "route tables"). */
#pragma weak mm_api_routes_orgs
#pragma weak mm_api_routes_assets
#pragma weak mm_api_routes_reports

const struct mm_api_route *const *mm_api_route_tables(size_t *n)
{
    /* A module that is not linked in leaves a NULL here. */
    static const struct mm_api_route *const tables[] = {mm_api_routes_server, mm_api_routes_orgs,
                                                        mm_api_routes_assets, mm_api_routes_reports};
    *n = sizeof tables / sizeof tables[0];
    return tables;
}

/* Split-free matching: walk pattern and path segment by segment. On a match,
 * the "{...}" segments are NUL-terminated copies inside scratch. */
static bool match(const char *pattern, const char *path, char *scratch, struct mm_route_match *m)
{
    m->nparams = 0;
    const char *p = pattern, *q = path;
    char *out = scratch;
    while (*p && *q) {
        if (*p != '/' || *q != '/')
            return false;
        p++, q++;
        const char *pe = strchr(p, '/'), *qe = strchr(q, '/');
        size_t plen = pe ? (size_t)(pe - p) : strlen(p), qlen = qe ? (size_t)(qe - q) : strlen(q);
        if (plen >= 2 && p[0] == '{' && p[plen - 1] == '}') {
            if (qlen == 0 || m->nparams == MM_API_MAX_PATH_PARAMS)
                return false;
            memcpy(out, q, qlen);
            out[qlen] = '\0';
            m->params[m->nparams++] = out;
            out += qlen + 1;
        } else if (plen != qlen || memcmp(p, q, plen) != 0) {
            return false;
        }
        p += plen, q += qlen;
    }
    return *p == '\0' && *q == '\0';
}

int mm_route_find(const char *method, const char *path, char *scratch, struct mm_route_match *m)
{
    memset(m, 0, sizeof *m);
    size_t ntables;
    const struct mm_api_route *const *tables = mm_api_route_tables(&ntables);
    bool other_method = false;
    for (size_t t = 0; t < ntables; t++) {
        if (!tables[t])
            continue;
        for (const struct mm_api_route *r = tables[t]; r->method; r++) {
            struct mm_route_match mm;
            if (!match(r->pattern, path, scratch, &mm))
                continue;
            if (strcmp(r->method, method) == 0) {
                *m = mm;
                m->route = r;
                return 0;
            }
            if (!other_method || !strstr(m->allow, r->method)) {
                size_t len = strlen(m->allow);
                snprintf(m->allow + len, sizeof m->allow - len, "%s%s", len ? ", " : "", r->method);
            }
            other_method = true;
        }
    }
    return other_method ? 405 : 404;
}

json_t *mm_api_error_json(int status, const char *pointer, const char *message)
{
    json_t *e = json_pack("{s:i, s:s}", "status", status, "message", message);
    if (e && pointer)
        json_object_set_new(e, "pointer", json_string(pointer));
    return json_pack("{s:o}", "error", e);
}

const char *mm_api_outcome(int status)
{
    if (status < 400)
        return "ok";
    if (status == 401 || status == 403)
        return "denied";
    if (status < 500)
        return "refused";
    return "error";
}

static void response_reset(struct mm_api_response *res)
{
    json_decref(res->json);
    res->json = NULL;
    free(res->body);
    res->body = NULL;
    res->body_len = 0;
    res->content_type = NULL;
}

void mm_api_error(struct mm_api_response *res, int status, const char *pointer, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    response_reset(res);
    res->status = status;
    res->json = mm_api_error_json(status, pointer, msg);
}

void mm_api_error_from(struct mm_api_response *res, const struct mm_err *err, const char *pointer)
{
    int status;
    switch (err->code) {
    case MM_EINVAL:
    case MM_EFORMAT: status = 400; break;
    case MM_ENOTFOUND: status = 404; break;
    case MM_EDENIED: status = 403; break;
    case MM_ECONFLICT: status = 409; break;
    case MM_EFULL: status = 413; break;
    default: status = 500; break;
    }
    if (status == 500) {
        /* The detail may name files or SQL: the server log gets it, the client does not. */
        fprintf(stderr, "mamori serve: internal error: %s\n", err->msg[0] ? err->msg : mm_strerror(err->code));
        mm_api_error(res, 500, NULL, "internal error");
        return;
    }
    mm_api_error(res, status, pointer, "%s", err->msg[0] ? err->msg : mm_strerror(err->code));
}

int mm_api_header(struct mm_api_response *res, const char *name, const char *fmt, ...)
{
    if (res->nheaders >= MM_API_MAX_HEADERS)
        return MM_EFULL;
    va_list ap;
    va_start(ap, fmt);
    char *value = NULL;
    int n = vasprintf(&value, fmt, ap);
    va_end(ap);
    if (n < 0)
        return MM_ENOMEM;
    res->headers[res->nheaders].name = name;
    res->headers[res->nheaders].value = value;
    res->nheaders++;
    return 0;
}

int mm_api_param_id(const struct mm_api_request *req, size_t i, int64_t *out)
{
    if (i >= req->npath_params)
        return MM_EINVAL;
    const char *s = req->path_params[i];
    if (*s < '1' || *s > '9')
        return MM_EINVAL;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return MM_EINVAL;
    *out = v;
    return 0;
}

int mm_api_audit(const struct mm_api_request *req, struct mm_api_response *res, const char *object,
                 int64_t count, const char *outcome, struct mm_err *err)
{
    char fallback[600];
    if (!object) {
        snprintf(fallback, sizeof fallback, "%s %s", req->method, req->path);
        object = fallback;
    }
    int rc = mm_auth_audit(req->store, req->user, req->action, object, count, outcome, err);
    if (rc == 0)
        res->audited = true;
    return rc;
}

/* ---- the server's own endpoints ---- */

static void api_health(const struct mm_api_request *req, struct mm_api_response *res)
{
    res->json = json_pack("{s:s, s:s}", "status", "ok", "version", "0.1.0");
}

static void api_me(const struct mm_api_request *req, struct mm_api_response *res)
{
    res->json = json_pack("{s:s, s:s, s:s}", "name", req->user->name, "role", mm_role_name(req->user->role),
                          "org", req->user->org);
}

static void api_audit_head(const struct mm_api_request *req, struct mm_api_response *res)
{
    char head[65];
    int64_t entries;
    struct mm_err err;
    mm_err_clear(&err);
    if (mm_store_audit_head(req->store, head, &entries, &err) != 0) {
        mm_api_error_from(res, &err, NULL);
        return;
    }
    res->json = json_pack("{s:s, s:I}", "head", head, "entries", (json_int_t)entries);
}

/* Body (optional): {"expect_head": "<64 hex>"}, a head anchored outside the system earlier. */
static void api_audit_verify(const struct mm_api_request *req, struct mm_api_response *res)
{
    const char *expect = NULL;
    if (req->json) {
        if (!json_is_object(req->json)) {
            mm_api_error(res, 400, "", "the body must be a JSON object");
            return;
        }
        json_t *h = json_object_get(req->json, "expect_head");
        if (h) {
            expect = json_string_value(h);
            bool ok = expect && strlen(expect) == 64;
            for (size_t i = 0; ok && i < 64; i++)
                ok = (expect[i] >= '0' && expect[i] <= '9') || (expect[i] >= 'a' && expect[i] <= 'f');
            if (!ok) {
                mm_api_error(res, 400, "/expect_head", "expect_head: not a SHA-256 in lower-case hex");
                return;
            }
        }
    }
    int64_t bad_seq = 0, entries = 0;
    struct mm_err err;
    mm_err_clear(&err);
    int rc = mm_store_audit_verify(req->store, expect, &bad_seq, &entries, &err);
    if (rc == 0)
        res->json = json_pack("{s:b, s:I}", "intact", 1, "entries", (json_int_t)entries);
    else if (rc == MM_EVERIFY)
        res->json = json_pack("{s:b, s:I, s:I, s:s}", "intact", 0, "entries", (json_int_t)entries, "bad_seq",
                              (json_int_t)bad_seq, "message", err.msg);
    else
        mm_api_error_from(res, &err, NULL);
}

const struct mm_api_route mm_api_routes_server[] = {
    {"GET", "/api/v1/health", MM_ACT_ME_READ, api_health, MM_API_PUBLIC},
    {"GET", "/api/v1/me", MM_ACT_ME_READ, api_me, 0},
    {"GET", "/api/v1/audit/head", MM_ACT_AUDIT_READ, api_audit_head, 0},
    {"POST", "/api/v1/audit/verify", MM_ACT_AUDIT_READ, api_audit_verify, 0},
    {0},
};
