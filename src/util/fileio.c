/* fileio.c - whole-file reads with a size cap, and atomic file writes. */
#include "util/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int mm_file_read_all(const char *path, size_t max, char **buf, size_t *len, struct mm_err *err)
{
    *buf = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return mm_err_set(err, MM_EIO, "%s: cannot open: %s", path, strerror(errno));
    int rc = 0;
    char *data = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            if (cap > max) {
                rc = mm_err_set(err, MM_EFORMAT, "%s: larger than %zu bytes", path, max);
                goto out;
            }
            size_t ncap = cap ? cap * 2 : 65536;
            if (ncap > max + 1)
                ncap = max + 1; /* one byte past the cap tells a too-large file apart */
            char *nb = realloc(data, ncap + 1);
            if (!nb) {
                rc = mm_err_set(err, MM_ENOMEM, "%s: out of memory", path);
                goto out;
            }
            data = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, data + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = mm_err_set(err, MM_EIO, "%s: read error: %s", path, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (n > max) {
        rc = mm_err_set(err, MM_EFORMAT, "%s: larger than %zu bytes", path, max);
        goto out;
    }
    if (!data && !(data = malloc(1))) {
        rc = mm_err_set(err, MM_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    data[n] = '\0';
    *buf = data;
    *len = n;
    data = NULL;
out:
    free(data);
    close(fd);
    return rc;
}

int mm_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                         struct mm_err *err)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp)
        return mm_err_set(err, MM_ENOMEM, "%s: out of memory", path);
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        int rc = mm_err_set(err, MM_EIO, "%s: cannot create: %s", tmp, strerror(errno));
        free(tmp);
        return rc;
    }
    int rc = 0;
    const char *p = data;
    size_t left = len;
    if (fchmod(fd, mode) != 0) {
        rc = mm_err_set(err, MM_EIO, "%s: cannot set permissions: %s", tmp, strerror(errno));
        goto out;
    }
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            rc = mm_err_set(err, MM_EIO, "%s: write failed: %s", path, strerror(errno));
            goto out;
        }
        p += w;
        left -= (size_t)w;
    }
    if (fsync(fd) != 0)
        rc = mm_err_set(err, MM_EIO, "%s: fsync failed: %s", path, strerror(errno));
out:
    if (close(fd) != 0 && !rc)
        rc = mm_err_set(err, MM_EIO, "%s: close failed: %s", path, strerror(errno));
    if (!rc && rename(tmp, path) != 0)
        rc = mm_err_set(err, MM_EIO, "%s: cannot rename into place: %s", path, strerror(errno));
    if (rc)
        unlink(tmp);
    free(tmp);
    return rc;
}
