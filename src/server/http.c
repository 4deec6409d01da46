/* http.c - `mamori serve`'s HTTP/1.1 engine over libmicrohttpd: epoll with a thread pool, optional
 * TLS 1.3 (GnuTLS), body limits, request deadlines against slow clients, graceful drain on stop,
 * and the retention timer. API requests go through router.c and auth.c, files through static.c. */
#include "server/server.h"

#include "server/internal.h"
#include "store/retention.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/fileio.h"

/* One TCP connection, tracked so the timer thread can cut a client that
 * takes longer than request_timeout_s to send a request's headers and body
 * (libmicrohttpd's own timeout is an idle timeout, which a client sending a
 * byte every few seconds never trips). */
struct conn_track {
    struct conn_track *prev, *next;
    int fd;
    int64_t request_start_ns; /* when the current request (or the idle wait for one) began */
    bool handling;            /* the request is complete: handler or response in progress */
    bool cut;
};

struct mm_server {
    struct mm_server_config cfg;
    char *store_path, *web_root; /* web_root: realpath, or NULL */
    char *cert_pem, *key_pem;
    size_t key_len;
    struct MHD_Daemon *daemon;
    struct mm_store_pool *pool;
    unsigned port;
    bool tls;
    atomic_int inflight;
    atomic_bool stopping;
    pthread_mutex_t mu; /* tracks, timer wake-up */
    /* Taken around the server's own audit appends: SQLite lets one writer in
     * at a time and makes the others sleep-and-retry (backing off up to 100
     * ms); queueing on a mutex instead keeps the tail latency down. */
    pthread_mutex_t write_mu;
    pthread_cond_t cv;
    struct conn_track tracks; /* list head */
    pthread_t timer;
    bool timer_started;
};

enum request_kind { REQ_API, REQ_STATIC };

/* One HTTP request, libmicrohttpd's *con_cls. */
struct request {
    struct mm_server *srv;
    struct conn_track *track;
    enum request_kind kind;
    struct mm_route_match m;
    char *scratch; /* path copy for path params */
    struct mm_user user;
    char *body;
    size_t len, cap;
    bool too_big;
    bool begun; /* api_begin ran (on the first call, for a request with a body) */
    char content_type[64];
    int64_t start_ns;
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void srv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void srv_log(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "mamori serve: %s\n", line);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[1024];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    fprintf(stderr, "mamori serve: http: %s\n", line);
}

void mm_server_config_init(struct mm_server_config *c)
{
    memset(c, 0, sizeof *c);
    c->listen = "127.0.0.1:8080";
    c->body_limit = 1 << 20;
    c->connection_limit = 1024;
    c->idle_timeout_s = 15;
    c->request_timeout_s = 10;
    c->erase_interval_s = 3600;
    c->drain_timeout_s = 30;
}

unsigned mm_server_port(const struct mm_server *s) { return s->port; }
bool mm_server_tls(const struct mm_server *s) { return s->tls; }

/* ---- responses ---- */

static void common_headers(struct mm_server *s, struct MHD_Response *r)
{
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    if (s->tls)
        MHD_add_response_header(r, "Strict-Transport-Security", "max-age=31536000");
    if (atomic_load(&s->stopping))
        MHD_add_response_header(r, "Connection", "close");
}

static enum MHD_Result queue(struct mm_server *s, struct MHD_Connection *c, int status, struct MHD_Response *r)
{
    if (!r)
        return MHD_NO;
    common_headers(s, r);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Send j (consumed) as the body. */
static enum MHD_Result send_json(struct mm_server *s, struct MHD_Connection *c, int status, json_t *j,
                                 const char *allow)
{
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    if (!text)
        return MHD_NO;
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "application/json");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (allow)
        MHD_add_response_header(r, "Allow", allow);
    return queue(s, c, status, r);
}

static enum MHD_Result send_error(struct mm_server *s, struct MHD_Connection *c, int status, const char *pointer,
                                  const char *msg)
{
    return send_json(s, c, status, mm_api_error_json(status, pointer, msg), NULL);
}

static enum MHD_Result send_text(struct mm_server *s, struct MHD_Connection *c, int status, const char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    if (r)
        MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
    return queue(s, c, status, r);
}

/* ---- connection tracking (slow clients) ---- */

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct mm_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        struct conn_track *t = calloc(1, sizeof *t);
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (!t || !ci) {
            free(t);
            return;
        }
        t->fd = ci->connect_fd;
        t->request_start_ns = mono_ns();
        pthread_mutex_lock(&s->mu);
        t->next = s->tracks.next;
        t->prev = &s->tracks;
        s->tracks.next->prev = t;
        s->tracks.next = t;
        pthread_mutex_unlock(&s->mu);
        *socket_context = t;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        struct conn_track *t = *socket_context;
        if (!t)
            return;
        /* Unlinked before libmicrohttpd closes the descriptor, under the
         * lock the timer holds while it cuts: it never shuts down a reused fd. */
        pthread_mutex_lock(&s->mu);
        t->prev->next = t->next;
        t->next->prev = t->prev;
        pthread_mutex_unlock(&s->mu);
        free(t);
        *socket_context = NULL;
    }
}

static void track_set(struct mm_server *s, struct conn_track *t, bool handling)
{
    if (!t)
        return;
    pthread_mutex_lock(&s->mu);
    t->handling = handling;
    if (!handling)
        t->request_start_ns = mono_ns();
    pthread_mutex_unlock(&s->mu);
}

/* Cut every connection whose request has not arrived in time. Under s->mu. */
static void cut_slow_clients(struct mm_server *s)
{
    int64_t limit = mono_ns() - (int64_t)s->cfg.request_timeout_s * 1000000000;
    for (struct conn_track *t = s->tracks.next; t != &s->tracks; t = t->next)
        if (!t->handling && !t->cut && t->request_start_ns < limit) {
            shutdown(t->fd, SHUT_RDWR); /* libmicrohttpd sees the error and closes it */
            t->cut = true;
        }
}

/* ---- requests ---- */

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    struct mm_server *s = cls;
    struct request *r = *con_cls;
    if (!r)
        return;
    track_set(s, r->track, false); /* the wait for the next request on this connection starts */
    free(r->body);
    free(r->scratch);
    free(r);
    *con_cls = NULL;
    atomic_fetch_sub(&s->inflight, 1);
}

const char *mm_api_query(const struct mm_api_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->impl, MHD_GET_ARGUMENT_KIND, name);
}

static bool method_has_body(const char *method)
{
    return strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0;
}

/* Media type of a Content-Type value, lower case, without parameters. */
static void media_type(const char *value, char *out, size_t cap)
{
    size_t i = 0;
    if (value) {
        while (*value == ' ')
            value++;
        for (; value[i] && value[i] != ';' && value[i] != ' ' && i + 1 < cap; i++)
            out[i] = (char)(value[i] >= 'A' && value[i] <= 'Z' ? value[i] + 32 : value[i]);
    }
    out[i] = '\0';
}

/* Run the route's handler and send its response. */
static enum MHD_Result run_handler(struct mm_server *s, struct request *r, struct MHD_Connection *c,
                                   const char *method, const char *url)
{
    const struct mm_api_route *route = r->m.route;
    json_t *json = NULL;
    if (r->too_big)
        return send_error(s, c, 413, "", "request body too large");
    if (r->len > 0 && !(route->flags & MM_API_RAW_BODY)) {
        json_error_t jerr;
        json = json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, &jerr);
        if (!json) {
            char msg[300];
            snprintf(msg, sizeof msg, "malformed JSON at line %d, column %d: %s", jerr.line, jerr.column,
                     jerr.text);
            return send_error(s, c, 400, "", msg);
        }
    }
    struct mm_store *st = NULL;
    struct mm_err err;
    mm_err_clear(&err);
    if (!(route->flags & MM_API_PUBLIC) && mm_store_pool_get(s->pool, &st, &err) != 0) {
        json_decref(json);
        srv_log("store: %s", err.msg);
        return send_error(s, c, 503, NULL, "store unavailable");
    }
    struct mm_api_request req = {.method = method,
                                 .path = url,
                                 .npath_params = r->m.nparams,
                                 .body = r->len ? r->body : NULL,
                                 .body_len = r->len,
                                 .content_type = r->content_type[0] ? r->content_type : NULL,
                                 .json = json,
                                 .store = st,
                                 .user = (route->flags & MM_API_PUBLIC) ? NULL : &r->user,
                                 .action = route->action,
                                 .now_ns = r->start_ns,
                                 .impl = c};
    memcpy(req.path_params, r->m.params, sizeof req.path_params);
    struct mm_api_response res = {0};
    route->handler(&req, &res);
    int status = res.status ? res.status : (res.json || res.body ? 200 : 204);
    if (st) {
        mm_store_rollback(st); /* a handler that returned inside a transaction */
        if (!res.audited) {
            char object[600];
            snprintf(object, sizeof object, "%s %s", method, url);
            pthread_mutex_lock(&s->write_mu);
            int arc = mm_auth_audit(st, &r->user, route->action, object, 0, mm_api_outcome(status), &err);
            pthread_mutex_unlock(&s->write_mu);
            if (arc != 0) {
                /* No answer without its audit entry. */
                srv_log("audit: %s", err.msg);
                json_decref(res.json);
                free(res.body);
                res.body = NULL;
                status = 500;
                res.json = mm_api_error_json(500, NULL, "internal error");
            }
        }
        mm_store_pool_put(s->pool, st);
    }
    json_decref(json);
    struct MHD_Response *mr;
    if (res.body) {
        mr = MHD_create_response_from_buffer(res.body_len, res.body, MHD_RESPMEM_MUST_FREE);
        if (mr)
            MHD_add_response_header(mr, "Content-Type",
                                    res.content_type ? res.content_type : "application/octet-stream");
        else
            free(res.body);
        json_decref(res.json);
    } else if (res.json) {
        char *text = json_dumps(res.json, JSON_COMPACT | JSON_ENCODE_ANY);
        json_decref(res.json);
        mr = text ? MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE) : NULL;
        if (mr)
            MHD_add_response_header(mr, "Content-Type", "application/json");
        else
            free(text);
    } else {
        mr = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    for (size_t i = 0; i < res.nheaders; i++) {
        if (mr && res.headers[i].name && res.headers[i].value)
            MHD_add_response_header(mr, res.headers[i].name, res.headers[i].value);
        free(res.headers[i].value);
    }
    if (mr)
        MHD_add_response_header(mr, "Cache-Control", "no-store");
    return queue(s, c, status, mr);
}

/* The first call for an API request: headers are in, the body is not. Route,
 * authenticate, authorize, check the content type and the announced length.
 * Returns MHD_YES with nothing queued to go on receiving the body. */
static enum MHD_Result api_begin(struct mm_server *s, struct request *r, struct MHD_Connection *c,
                                 const char *url, const char *method, bool *queued)
{
    *queued = true;
    r->scratch = malloc(strlen(url) + 1);
    if (!r->scratch)
        return MHD_NO;
    int rc = mm_route_find(method, url, r->scratch, &r->m);
    if (rc == 404)
        return send_error(s, c, 404, NULL, "no such endpoint");
    if (rc == 405)
        return send_json(s, c, 405, mm_api_error_json(405, NULL, "method not allowed"), r->m.allow);
    const struct mm_api_route *route = r->m.route;
    if (!(route->flags & MM_API_PUBLIC)) {
        struct mm_store *st;
        struct mm_err err;
        mm_err_clear(&err);
        if (mm_store_pool_get(s->pool, &st, &err) != 0) {
            srv_log("store: %s", err.msg);
            return send_error(s, c, 503, NULL, "store unavailable");
        }
        char object[600];
        snprintf(object, sizeof object, "%s %s", method, url);
        const char *msg = NULL;
        int status = mm_auth_request(st, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"),
                                     route->action, object, &s->write_mu, &r->user, &msg, &err);
        mm_store_pool_put(s->pool, st);
        if (status == 500)
            srv_log("auth: %s", err.msg);
        if (status) {
            if (status != 401)
                return send_error(s, c, status, NULL, msg);
            struct MHD_Response *mr = NULL;
            char *text = NULL;
            json_t *j = mm_api_error_json(401, NULL, msg);
            if (j && (text = json_dumps(j, JSON_COMPACT)))
                mr = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
            json_decref(j);
            if (!mr) {
                free(text);
                return MHD_NO;
            }
            MHD_add_response_header(mr, "Content-Type", "application/json");
            MHD_add_response_header(mr, "WWW-Authenticate", "Bearer realm=\"mamori\"");
            return queue(s, c, 401, mr);
        }
    }
    media_type(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"), r->content_type,
               sizeof r->content_type);
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Transfer-Encoding");
    bool has_body = (cl && strcmp(cl, "0") != 0) || te;
    if (has_body && method_has_body(method) && !(route->flags & MM_API_RAW_BODY) &&
        strcmp(r->content_type, "application/json") != 0)
        return send_error(s, c, 415, NULL, "the body must be application/json");
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (errno || *end || n > s->cfg.body_limit)
            return send_error(s, c, 413, "", "request body too large");
    }
    if (!has_body) /* nothing to wait for: answer now */
        return run_handler(s, r, c, method, url);
    *queued = false;
    return MHD_YES;
}

static enum MHD_Result static_file(struct mm_server *s, struct MHD_Connection *c, const char *url,
                                   const char *method)
{
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        if (r)
            MHD_add_response_header(r, "Allow", "GET, HEAD");
        return queue(s, c, 405, r);
    }
    int fd;
    uint64_t size;
    const char *type;
    int rc = mm_static_open(s->web_root, url, &fd, &size, &type);
    if (rc == 400)
        return send_text(s, c, 400, "bad path\n");
    if (rc)
        return send_text(s, c, 404, "not found\n");
    struct MHD_Response *r = MHD_create_response_from_fd64(size, fd);
    if (!r) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    return queue(s, c, 200, r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct mm_server *s = cls;
    struct request *r = *con_cls;
    if (!r) { /* first call: the headers are in */
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        *con_cls = r;
        atomic_fetch_add(&s->inflight, 1);
        r->srv = s;
        r->start_ns = now_ns();
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        r->track = ci ? ci->socket_context : NULL;
        r->kind = strncmp(url, "/api/", 5) == 0 || strcmp(url, "/api") == 0 ? REQ_API : REQ_STATIC;
        /* A response queued now is an "early" one: libmicrohttpd then closes
         * the connection rather than read a body. Right for refusing a body;
         * a request without one is answered on the next call, keeping the
         * connection alive. */
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        bool has_body = (cl && strcmp(cl, "0") != 0) ||
                        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Transfer-Encoding");
        if (!has_body || r->kind != REQ_API)
            return MHD_YES;
        bool queued;
        enum MHD_Result ret = api_begin(s, r, c, url, method, &queued);
        if (queued)
            track_set(s, r->track, true);
        r->begun = true;
        return ret;
    }
    if (*upload_data_size) { /* a piece of the body */
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (r->too_big || r->len + n > s->cfg.body_limit) {
            /* Only a chunked body gets here (an announced length over the
             * limit was answered at once): drop the connection. */
            r->too_big = true;
            return MHD_NO;
        }
        if (r->len + n + 1 > r->cap) {
            size_t cap = r->cap ? r->cap : 4096;
            while (cap < r->len + n + 1)
                cap *= 2;
            if (cap > s->cfg.body_limit + 1)
                cap = s->cfg.body_limit + 1;
            char *b = realloc(r->body, cap);
            if (!b)
                return MHD_NO;
            r->body = b;
            r->cap = cap;
        }
        memcpy(r->body + r->len, upload_data, n);
        r->len += n;
        r->body[r->len] = '\0';
        return MHD_YES;
    }
    /* The whole request is in. */
    track_set(s, r->track, true);
    if (r->kind == REQ_STATIC)
        return static_file(s, c, url, method);
    if (!r->begun) {
        bool queued;
        return api_begin(s, r, c, url, method, &queued);
    }
    if (!r->m.route)
        return MHD_NO;
    return run_handler(s, r, c, method, url);
}

/* ---- the timer thread: slow clients every second, erasure every erase_interval_s ---- */

static void run_erase(struct mm_server *s)
{
    struct mm_store *st;
    struct mm_err err;
    mm_err_clear(&err);
    if (mm_store_pool_get(s->pool, &st, &err) != 0) {
        srv_log("erase: %s", err.msg);
        return;
    }
    struct mm_erase_options opt = {.actor = "retention timer", .role = "system"};
    struct mm_erase_result res;
    memset(&res, 0, sizeof res);
    int rc = mm_store_erase(st, &opt, &res, &err);
    mm_store_pool_put(s->pool, st);
    if (rc && !res.committed)
        srv_log("erase: %s", err.msg[0] ? err.msg : mm_strerror(rc));
    else
        srv_log("erase: %" PRId64 " records erased, %" PRId64 " held, %" PRId64 " holds expired%s",
                res.records, res.held, res.holds_expired,
                rc ? " (log not yet truncated; the next run finishes it)" : "");
}

static void *timer_main(void *arg)
{
    struct mm_server *s = arg;
    int64_t next_erase = s->cfg.erase_interval_s ? mono_ns() + (int64_t)s->cfg.erase_interval_s * 1000000000 : 0;
    pthread_mutex_lock(&s->mu);
    while (!atomic_load(&s->stopping)) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&s->cv, &s->mu, &ts);
        if (atomic_load(&s->stopping))
            break;
        cut_slow_clients(s);
        if (next_erase && mono_ns() >= next_erase) {
            pthread_mutex_unlock(&s->mu);
            run_erase(s);
            next_erase = mono_ns() + (int64_t)s->cfg.erase_interval_s * 1000000000;
            pthread_mutex_lock(&s->mu);
        }
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* ---- start and stop ---- */

static int parse_listen(const char *listen, struct sockaddr_storage *sa, bool *loopback, struct mm_err *err)
{
    memset(sa, 0, sizeof *sa);
    char host[INET6_ADDRSTRLEN + 2];
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen)
        return mm_err_set(err, MM_EINVAL, "--listen %s: expected ADDRESS:PORT", listen);
    size_t hlen = (size_t)(colon - listen);
    if (hlen >= sizeof host)
        return mm_err_set(err, MM_EINVAL, "--listen %s: address too long", listen);
    memcpy(host, listen, hlen);
    host[hlen] = '\0';
    char *end;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (errno || *end || colon[1] == '\0' || port > 65535)
        return mm_err_set(err, MM_EINVAL, "--listen %s: bad port", listen);
    if (host[0] == '[' && host[hlen - 1] == ']') {
        host[hlen - 1] = '\0';
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)sa;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
            return mm_err_set(err, MM_EINVAL, "--listen %s: not an IPv6 address", listen);
        *loopback = IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
        return 0;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)sa;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
        return mm_err_set(err, MM_EINVAL, "--listen %s: not an IPv4 address (use [::1]:PORT for IPv6)", listen);
    *loopback = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    return 0;
}

static void server_free(struct mm_server *s)
{
    if (!s)
        return;
    mm_store_pool_free(s->pool);
    free(s->store_path);
    free(s->web_root);
    free(s->cert_pem);
    if (s->key_pem) {
        OPENSSL_cleanse(s->key_pem, s->key_len);
        free(s->key_pem);
    }
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->write_mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}

static int read_pem(const char *path, char **out, size_t *len, struct mm_err *err)
{
    size_t n = 0;
    int rc = mm_file_read_all(path, 1 << 20, out, &n, err); /* NUL-terminated */
    if (rc == 0 && len)
        *len = n;
    return rc;
}

int mm_server_start(const struct mm_server_config *c, struct mm_server **out, struct mm_err *err)
{
    *out = NULL;
    int rc;
    struct mm_server *s = calloc(1, sizeof *s);
    if (!s)
        return mm_err_set(err, MM_ENOMEM, "out of memory");
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->write_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    s->tracks.next = s->tracks.prev = &s->tracks;
    s->cfg = *c;
    s->cfg.store_path = s->cfg.listen = s->cfg.tls_cert_file = s->cfg.tls_key_file = s->cfg.web_dir = NULL;
    if (!c->store_path) {
        rc = mm_err_set(err, MM_EINVAL, "--store is required");
        goto fail;
    }
    if (c->body_limit == 0 || c->request_timeout_s == 0 || c->connection_limit == 0) {
        rc = mm_err_set(err, MM_EINVAL, "body limit, request timeout and connection limit must be positive");
        goto fail;
    }
    if (!!c->tls_cert_file != !!c->tls_key_file) {
        rc = mm_err_set(err, MM_EINVAL, "--tls-cert and --tls-key go together");
        goto fail;
    }
    struct sockaddr_storage sa;
    bool loopback = false;
    if ((rc = parse_listen(c->listen ? c->listen : "127.0.0.1:8080", &sa, &loopback, err)))
        goto fail;
    s->tls = c->tls_cert_file != NULL;
    if (!loopback && !s->tls) {
        rc = mm_err_set(err, MM_EINVAL,
                        "refusing to listen on %s without TLS: give --tls-cert and --tls-key, or listen on "
                        "a loopback address (127.0.0.1, [::1])",
                        c->listen);
        goto fail;
    }
    if (s->tls && ((rc = read_pem(c->tls_cert_file, &s->cert_pem, NULL, err)) ||
                   (rc = read_pem(c->tls_key_file, &s->key_pem, &s->key_len, err))))
        goto fail;
    if (c->web_dir) {
        s->web_root = realpath(c->web_dir, NULL);
        if (!s->web_root) {
            rc = mm_err_set(err, MM_EINVAL, "--web %s: %s", c->web_dir, strerror(errno));
            goto fail;
        }
    }
    unsigned threads = c->threads;
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n < 1 ? 1 : n > 64 ? 64 : (unsigned)n;
    }
    s->cfg.threads = threads;
    if ((rc = mm_store_pool_new(c->store_path, threads + 2, &s->pool, err)))
        goto fail;
    { /* the store must open now, not at the first request */
        struct mm_store *st;
        if ((rc = mm_store_pool_get(s->pool, &st, err)))
            goto fail;
        mm_store_pool_put(s->pool, st);
    }

    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (sa.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (s->tls)
        flags |= MHD_USE_TLS;
    struct MHD_OptionItem opts[16];
    size_t n = 0;
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &sa};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, threads, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, c->connection_limit, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT, c->per_ip_limit, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, c->idle_timeout_s, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, s};
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, s};
    if (s->tls) {
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, s->cert_pem};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, s->key_pem};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)"NORMAL:-VERS-ALL:+VERS-TLS1.3"};
    }
    opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (!s->daemon) {
        rc = mm_err_set(err, MM_EIO, "cannot listen on %s (in use? bad TLS certificate or key?)", c->listen);
        goto fail;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : 0;
    if (pthread_create(&s->timer, NULL, timer_main, s) != 0) {
        MHD_stop_daemon(s->daemon);
        rc = mm_err_set(err, MM_EIO, "cannot start the timer thread");
        goto fail;
    }
    s->timer_started = true;
    *out = s;
    return 0;
fail:
    server_free(s);
    return rc;
}

void mm_server_stop(struct mm_server *s)
{
    if (!s)
        return;
    atomic_store(&s->stopping, true);
    MHD_socket lsock = MHD_quiesce_daemon(s->daemon); /* no new connections from here on */
    int64_t deadline = mono_ns() + (int64_t)s->cfg.drain_timeout_s * 1000000000;
    while (atomic_load(&s->inflight) > 0 && mono_ns() < deadline)
        usleep(10000);
    if (atomic_load(&s->inflight) > 0)
        srv_log("stopping with %d requests still in flight after %us", atomic_load(&s->inflight),
                s->cfg.drain_timeout_s);
    MHD_stop_daemon(s->daemon);
    if (lsock != MHD_INVALID_SOCKET)
        close(lsock);
    pthread_mutex_lock(&s->mu);
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    if (s->timer_started)
        pthread_join(s->timer, NULL);
    server_free(s);
}
