/* error.c - names for result codes and the first-error-wins buffer. */
#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *mm_strerror(int code)
{
    switch (code) {
    case MM_OK:
        return "success";
#define MM_ERR_CASE_(name, msg)                                                \
    case MM_E##name:                                                           \
        return msg;
        MM_ERRNO_MAP(MM_ERR_CASE_)
#undef MM_ERR_CASE_
    default:
        return "unknown error";
    }
}

void mm_err_clear(struct mm_err *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}

int mm_err_set(struct mm_err *err, int code, const char *fmt, ...)
{
    if (!err || err->code != 0)
        return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}
