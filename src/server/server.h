/* server.h - `mamori serve`: the HTTP/1.1 server (libmicrohttpd, epoll, a thread pool) that serves the
 * JSON API under /api/v1/ (api.h) and the portal's static files under /, on one store. */
#ifndef MM_SERVER_H
#define MM_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Settings; mm_server_config_init() fills the defaults. Strings are borrowed
 * and must outlive mm_server_start()'s call only (they are copied). */
struct mm_server_config {
    const char *store_path;      /* required */
    const char *listen;          /* "127.0.0.1:8080", "[::1]:8080"; port 0 picks a free one */
    const char *tls_cert_file;   /* PEM; with tls_key_file, TLS 1.3 only */
    const char *tls_key_file;
    const char *web_dir;         /* the portal's static files; NULL: no static files (404) */
    size_t body_limit;           /* bytes; default 1 MiB; larger bodies get 413 */
    unsigned threads;            /* worker threads; 0: one per online CPU (at most 64) */
    unsigned connection_limit;   /* simultaneous connections; default 1024 */
    unsigned per_ip_limit;       /* simultaneous connections per client address; 0: no limit */
    unsigned idle_timeout_s;     /* a connection idle this long is closed; default 15 */
    unsigned request_timeout_s;  /* a request's headers and body must arrive within this; default 10 */
    unsigned erase_interval_s;   /* run retention erasure this often; 0: never; default 3600 */
    unsigned drain_timeout_s;    /* on stop, wait this long for in-flight requests; default 30 */
};

void mm_server_config_init(struct mm_server_config *c);

struct mm_server; /* opaque */

/* Check the settings, open the store pool (and check the store opens), load
 * the TLS material and start listening. Refuses (MM_EINVAL) a non-loopback
 * listen address without TLS. Callers should block SIGTERM/SIGINT/SIGPIPE
 * in every thread first (the worker threads inherit the mask). */
int mm_server_start(const struct mm_server_config *c, struct mm_server **out, struct mm_err *err);
/* The bound address and port, e.g. for "listening on ..." (port 0 resolved). */
unsigned mm_server_port(const struct mm_server *s);
bool mm_server_tls(const struct mm_server *s);
/* Stop accepting, let in-flight requests finish (up to drain_timeout_s),
 * stop the erase timer, close every connection and store handle, free. */
void mm_server_stop(struct mm_server *s);

#endif
