/* static.c - the portal's static files: a fixed root, content types by extension, no directory
 * listing, and no way out of the root (.., encoded or not, absolute paths, symlinks). */
#include "server/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *ext, *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
    {".csv", "text/csv; charset=utf-8"},
    {".woff2", "font/woff2"},
    {".map", "application/json"},
};

static const char *content_type_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (dot && (!slash || dot > slash))
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcmp(dot, types[i].ext) == 0)
                return types[i].type;
    return "application/octet-stream";
}

/* Every segment of url_path must be a plain name: no "", ".", "..", no
 * backslash or control byte. (libmicrohttpd has already percent-decoded the
 * path, so %2e%2e arrives here as "..".) "/" alone is allowed. */
static bool path_is_plain(const char *url_path)
{
    if (url_path[0] != '/')
        return false;
    if (url_path[1] == '\0')
        return true;
    const char *seg = url_path + 1;
    for (;;) {
        const char *end = strchr(seg, '/');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        if (len == 0 && end) /* "//" */
            return false;
        if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return false;
        for (size_t i = 0; i < len; i++)
            if (seg[i] == '\\' || (unsigned char)seg[i] < 0x20 || seg[i] == 0x7f)
                return false;
        if (!end)
            return true;
        seg = end + 1;
    }
}

/* realpath(p) lies inside root (itself a realpath). */
static bool inside(const char *root, const char *real)
{
    size_t n = strlen(root);
    return strncmp(real, root, n) == 0 && (real[n] == '/' || real[n] == '\0');
}

int mm_static_open(const char *root, const char *url_path, int *fd, uint64_t *size,
                   const char **content_type)
{
    *fd = -1;
    if (!root)
        return 404;
    if (!path_is_plain(url_path))
        return 400;
    char joined[PATH_MAX], real[PATH_MAX];
    int n = snprintf(joined, sizeof joined, "%s%s", root, url_path);
    if (n < 0 || (size_t)n >= sizeof joined)
        return 404;
    if (!realpath(joined, real) || !inside(root, real))
        return 404;
    struct stat st;
    if (stat(real, &st) != 0)
        return 404;
    if (S_ISDIR(st.st_mode)) { /* a directory serves its index.html, never a listing */
        char index[PATH_MAX];
        n = snprintf(index, sizeof index, "%s/index.html", real);
        if (n < 0 || (size_t)n >= sizeof index || !realpath(index, real) || !inside(root, real))
            return 404;
    }
    int f = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (f < 0)
        return 404;
    if (fstat(f, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(f);
        return 404;
    }
    *fd = f;
    *size = (uint64_t)st.st_size;
    *content_type = content_type_of(real);
    return 0;
}
