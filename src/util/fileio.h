/* fileio.h - whole-file reads with a size cap, and atomic file writes (temporary file + rename). */
#ifndef MM_FILEIO_H
#define MM_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* Read all of path into a new buffer (the caller frees it) with a NUL after
 * the last byte, so text can be used as a C string. A file larger than max
 * bytes is refused (MM_EFORMAT), a missing or unreadable one is MM_EIO; errors
 * name the path. */
int mm_file_read_all(const char *path, size_t max, char **buf, size_t *len, struct mm_err *err);

/* Write len bytes to path so that a reader sees the old file or the new one,
 * never half of one: a temporary file in the same folder, created with mode,
 * written, fsynced and renamed over path. An existing path is replaced. */
int mm_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                         struct mm_err *err);

#endif
