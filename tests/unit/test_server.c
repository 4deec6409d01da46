/* test_server.c - the server's route matching and static-file path checks (no sockets). */
#include "harness.h"

#include "server/internal.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

TEST(server_route_literal_and_method)
{
    char scratch[256];
    struct mm_route_match m;
    ASSERT_EQ(mm_route_find("GET", "/api/v1/health", scratch, &m), 0);
    ASSERT_TRUE(m.route != NULL);
    ASSERT_TRUE(m.route->flags & MM_API_PUBLIC);
    ASSERT_EQ(mm_route_find("GET", "/api/v1/me", scratch, &m), 0);
    ASSERT_EQ(m.route->action, MM_ACT_ME_READ);
    ASSERT_EQ(mm_route_find("DELETE", "/api/v1/me", scratch, &m), 405);
    ASSERT_STR_EQ(m.allow, "GET");
    ASSERT_EQ(mm_route_find("GET", "/api/v1/me/", scratch, &m), 404);
    ASSERT_EQ(mm_route_find("GET", "/api/v1/mex", scratch, &m), 404);
    ASSERT_EQ(mm_route_find("GET", "/api/v1", scratch, &m), 404);
    ASSERT_EQ(mm_route_find("GET", "", scratch, &m), 404);
}

TEST(server_route_tables_listed)
{
    size_t n;
    const struct mm_api_route *const *t = mm_api_route_tables(&n);
    ASSERT_EQ(n, 4);
    ASSERT_TRUE(t[0] == mm_api_routes_server);
    /* Every row of every linked table has a handler and a pattern under /api/v1/. */
    for (size_t i = 0; i < n; i++)
        for (const struct mm_api_route *r = t[i]; r && r->method; r++) {
            ASSERT_TRUE(r->handler != NULL);
            ASSERT_TRUE(strncmp(r->pattern, "/api/v1/", 8) == 0);
        }
}

TEST(server_static_paths)
{
    char root[512], path[600], real[PATH_MAX];
    snprintf(root, sizeof root, "%s/web", mm_test_tmpdir());
    mkdir(root, 0755);
    snprintf(path, sizeof path, "%s/index.html", root);
    FILE *f = fopen(path, "w");
    ASSERT_TRUE(f != NULL);
    fputs("<!doctype html>", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/out.txt", mm_test_tmpdir());
    f = fopen(path, "w");
    ASSERT_TRUE(f != NULL);
    fputs("secret", f);
    fclose(f);
    char link[600];
    snprintf(link, sizeof link, "%s/link.txt", root);
    ASSERT_EQ(symlink(path, link), 0);
    ASSERT_TRUE(realpath(root, real) != NULL);

    int fd;
    uint64_t size;
    const char *type;
    ASSERT_EQ(mm_static_open(real, "/", &fd, &size, &type), 0);
    ASSERT_STR_EQ(type, "text/html; charset=utf-8");
    ASSERT_U64_EQ(size, 15);
    close(fd);
    ASSERT_EQ(mm_static_open(real, "/index.html", &fd, &size, &type), 0);
    close(fd);
    ASSERT_EQ(mm_static_open(real, "/../out.txt", &fd, &size, &type), 400);
    ASSERT_EQ(mm_static_open(real, "/./index.html", &fd, &size, &type), 400);
    ASSERT_EQ(mm_static_open(real, "//etc/passwd", &fd, &size, &type), 400);
    ASSERT_EQ(mm_static_open(real, "/a\\..\\out.txt", &fd, &size, &type), 400);
    ASSERT_EQ(mm_static_open(real, "/link.txt", &fd, &size, &type), 404);
    ASSERT_EQ(mm_static_open(real, "/missing.js", &fd, &size, &type), 404);
    ASSERT_EQ(mm_static_open(NULL, "/", &fd, &size, &type), 404);
    ASSERT_EQ(fd, -1);
}
