/* cmd_serve.c - `mamori serve`: the JSON API and the portal over HTTP/1.1 (TLS 1.3 off loopback),
 * on one store, until SIGTERM or SIGINT. */
#include "cli/commands.h"

#include "server/server.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char MM_HELP_SERVE[] =
    "usage: mamori serve --store PATH [--listen ADDR:PORT] [--tls-cert PEM --tls-key PEM]\n"
    "                    [--web DIR] [--erase-interval SECONDS] [--body-limit BYTES]\n"
    "                    [--threads N] [--max-connections N] [--per-ip-limit N]\n"
    "                    [--request-timeout SECONDS] [--idle-timeout SECONDS]\n"
    "\n"
    "Serves the JSON API under /api/v1/ (docs/api.md) and the portal's static files\n"
    "under / from --web (default: the web/ folder of the source tree this binary was\n"
    "built from, when it exists). --listen defaults to 127.0.0.1:8080; port 0 picks a\n"
    "free port. The first line on stdout is 'listening on URL'.\n"
    "\n"
    "  --tls-cert, --tls-key  PEM certificate (chain) and key: HTTPS with TLS 1.3 only.\n"
    "                         Required for any address that is not loopback.\n"
    "  --erase-interval S     run retention erasure (as 'mamori erase', audited as the\n"
    "                         'retention timer' with role 'system') every S seconds;\n"
    "                         0 never; default 3600\n"
    "  --body-limit BYTES     largest request body (default 1048576): 413 above\n"
    "  --threads N            worker threads (default: one per CPU)\n"
    "  --max-connections N    simultaneous connections (default 1024)\n"
    "  --per-ip-limit N       simultaneous connections per client address (default 0: none)\n"
    "  --request-timeout S    a request's headers and body must arrive within S seconds\n"
    "                         (default 10): slow clients are cut off\n"
    "  --idle-timeout S       close a connection idle for S seconds (default 15)\n"
    "\n"
    "SIGTERM or SIGINT: stop accepting, finish the requests in flight (up to 30 s),\n"
    "close the store, exit 0. Exit status: 0 stopped cleanly; 1 failure; 2 usage\n"
    "(including a non-loopback address without TLS).\n";

#ifndef MM_WEB_DIR
#define MM_WEB_DIR "web"
#endif

static int parse_uint(const char *command, const char *opt, const char *text, unsigned long long max,
                      unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || !*text || *end || text[0] == '-' || v > max) {
        fprintf(stderr, "%s: %s: not a number up to %llu: %s\n", command, opt, max, text);
        return -1;
    }
    *out = v;
    return 0;
}

int mm_cmd_serve(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 's'},          {"listen", required_argument, NULL, 'l'},
        {"tls-cert", required_argument, NULL, 'c'},       {"tls-key", required_argument, NULL, 'k'},
        {"web", required_argument, NULL, 'w'},            {"erase-interval", required_argument, NULL, 'e'},
        {"body-limit", required_argument, NULL, 'b'},     {"threads", required_argument, NULL, 'T'},
        {"max-connections", required_argument, NULL, 'm'}, {"per-ip-limit", required_argument, NULL, 'p'},
        {"request-timeout", required_argument, NULL, 'r'}, {"idle-timeout", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},                 {NULL, 0, NULL, 0}};
    const char *command = "mamori serve";
    struct mm_server_config cfg;
    mm_server_config_init(&cfg);
    bool web_given = false;
    unsigned long long v;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 's': cfg.store_path = optarg; break;
        case 'l': cfg.listen = optarg; break;
        case 'c': cfg.tls_cert_file = optarg; break;
        case 'k': cfg.tls_key_file = optarg; break;
        case 'w':
            cfg.web_dir = optarg;
            web_given = true;
            break;
        case 'h': fputs(MM_HELP_SERVE, stdout); return 0;
        case 'e':
        case 'b':
        case 'T':
        case 'm':
        case 'p':
        case 'r':
        case 'i': {
            const char *name = c == 'e' ? "--erase-interval" : c == 'b' ? "--body-limit" : c == 'T' ? "--threads"
                               : c == 'm' ? "--max-connections" : c == 'p' ? "--per-ip-limit"
                               : c == 'r' ? "--request-timeout" : "--idle-timeout";
            unsigned long long max = c == 'b' ? (1ull << 30) : c == 'T' ? 256 : 100000000ull;
            if (parse_uint(command, name, optarg, max, &v) != 0)
                return MM_EXIT_USAGE;
            if (c == 'e') cfg.erase_interval_s = (unsigned)v;
            else if (c == 'b') cfg.body_limit = (size_t)v;
            else if (c == 'T') cfg.threads = (unsigned)v;
            else if (c == 'm') cfg.connection_limit = (unsigned)v;
            else if (c == 'p') cfg.per_ip_limit = (unsigned)v;
            else if (c == 'r') cfg.request_timeout_s = (unsigned)v;
            else cfg.idle_timeout_s = (unsigned)v;
            break;
        }
        default: fputs(MM_HELP_SERVE, stderr); return MM_EXIT_USAGE;
        }
    }
    if (optind != argc || !cfg.store_path) {
        if (!cfg.store_path)
            fprintf(stderr, "%s: --store is required\n", command);
        fputs(MM_HELP_SERVE, stderr);
        return MM_EXIT_USAGE;
    }
    if (!web_given) {
        struct stat st;
        if (stat(MM_WEB_DIR, &st) == 0 && S_ISDIR(st.st_mode))
            cfg.web_dir = MM_WEB_DIR;
    }

    /* Every thread the server starts inherits this mask; this one waits for the signals. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    signal(SIGPIPE, SIG_IGN);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    struct mm_server *srv;
    struct mm_err err;
    mm_err_clear(&err);
    if (mm_server_start(&cfg, &srv, &err) != 0) {
        fprintf(stderr, "%s: %s\n", command, err.msg[0] ? err.msg : mm_strerror(err.code));
        return err.code == MM_EINVAL ? MM_EXIT_USAGE : MM_EXIT_FAIL;
    }
    const char *host = cfg.listen;
    const char *colon = strrchr(host, ':');
    printf("listening on %s://%.*s:%u\n", mm_server_tls(srv) ? "https" : "http", (int)(colon - host), host,
           mm_server_port(srv));
    if (cfg.web_dir)
        printf("portal files from %s\n", cfg.web_dir);
    fflush(stdout);

    int sig = 0;
    while (sigwait(&set, &sig) != 0)
        ;
    fprintf(stderr, "%s: %s: finishing requests in flight\n", command, sig == SIGTERM ? "SIGTERM" : "SIGINT");
    mm_server_stop(srv);
    fprintf(stderr, "%s: stopped\n", command);
    return MM_EXIT_OK;
}
