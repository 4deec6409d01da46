/* error.h - result codes shared by every module, generated from one X-macro table. */
#ifndef MM_ERROR_H
#define MM_ERROR_H

#include <stddef.h>

/* Functions return 0 on success or one of these negative codes. Detail for a
 * human (file, line, JSON path, byte offset) goes into a caller-supplied
 * struct mm_err; the code alone says what kind of failure it was. */
#define MM_ERRNO_MAP(X)                                                        \
    X(INVAL, "invalid argument")                                               \
    X(NOMEM, "out of memory")                                                  \
    X(IO, "input/output error")                                                \
    X(FORMAT, "malformed input")                                               \
    X(TRUNCATED, "truncated input")                                            \
    X(UNSUPPORTED, "unsupported input")                                        \
    X(PERM, "insecure permissions")                                            \
    X(CRYPTO, "cryptographic failure")                                         \
    X(FULL, "capacity exhausted")                                              \
    X(NOTFOUND, "not found")                                                   \
    X(DENIED, "permission denied")                                             \
    X(CONFLICT, "conflict")                                                    \
    X(STORE, "store error")                                                    \
    X(VERIFY, "verification failed")                                           \
    X(OUTPUT, "output failure")

enum mm_result {
    MM_OK = 0,
#define MM_ERR_ENUM_(name, msg) MM_E##name,
    MM_ERR_FIRST_ = -100,
    MM_ERRNO_MAP(MM_ERR_ENUM_)
#undef MM_ERR_ENUM_
    MM_ERR_LAST_
};

/* Short human name of a code ("malformed input"); never NULL. */
const char *mm_strerror(int code);

/* A per-call error buffer: the first error wins, later ones are dropped so
 * the root cause is what the user sees. */
struct mm_err {
    int code;
    char msg[512];
};

void mm_err_clear(struct mm_err *err);
/* Record code and a printf-style message unless an error is already set.
 * Returns code so callers can write `return mm_err_set(err, MM_EFORMAT, ...)`.
 * err may be NULL. */
int mm_err_set(struct mm_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
