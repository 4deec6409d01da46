/* cpe.c - CPE 2.3 formatted string validation, following the formatted string regular expression
 * of NISTIR 7695 section 6.2.2 (the binding grammar) character by character. */
#include "registry/cpe.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

static const char *const attr_names[11] = {"part",       "vendor",    "product",   "version",
                                           "update",     "edition",   "language",  "sw_edition",
                                           "target_sw",  "target_hw", "other"};

/* Punctuation that must be quoted with a backslash inside a value (NISTIR 7695 "quoted1"). */
static bool quotable(int c) { return c != '-' && c != '.' && c != '_' && ispunct(c); }
static bool plain(int c) { return isalnum(c) || c == '-' || c == '.' || c == '_'; }

/* A value: ("*" | "?"*)? body+ ("*" | "?"*)? with body = plain | "\" quotable; or "*" / "-". */
static int check_value(const char *v, size_t n, const char *attr, struct mm_err *err)
{
    if (n == 0)
        return mm_err_set(err, MM_EFORMAT, "cpe: %s is empty (use * or -)", attr);
    if (n == 1 && (v[0] == '*' || v[0] == '-'))
        return 0;
    size_t i = 0;
    if (v[0] == '*')
        i = 1;
    else
        while (i < n && v[i] == '?')
            i++;
    size_t body = 0;
    while (i < n) {
        unsigned char c = (unsigned char)v[i];
        if (c == '\\') {
            if (i + 1 >= n || !quotable((unsigned char)v[i + 1]))
                return mm_err_set(err, MM_EFORMAT, "cpe: %s: a backslash must quote punctuation", attr);
            i += 2;
            body++;
        } else if (plain(c)) {
            i++;
            body++;
        } else if (c == '*' || c == '?') {
            break; /* only a trailing special may follow */
        } else {
            return mm_err_set(err, MM_EFORMAT, "cpe: %s: '%c' must be quoted with a backslash", attr,
                              isprint(c) ? c : '?');
        }
    }
    if (body == 0)
        return mm_err_set(err, MM_EFORMAT, "cpe: %s: a wildcard needs a value beside it", attr);
    if (i < n) {
        if (v[i] == '*')
            i++;
        else
            while (i < n && v[i] == '?')
                i++;
        if (i != n)
            return mm_err_set(err, MM_EFORMAT,
                              "cpe: %s: an unquoted * or ? is allowed only at the start or end", attr);
    }
    return 0;
}

static int check_language(const char *v, size_t n, struct mm_err *err)
{
    if (n == 1 && (v[0] == '*' || v[0] == '-'))
        return 0;
    size_t i = 0;
    while (i < n && isalpha((unsigned char)v[i]))
        i++;
    if (i < 2 || i > 3)
        goto bad;
    if (i == n)
        return 0;
    if (v[i] != '-')
        goto bad;
    const char *r = v + i + 1;
    size_t rn = n - i - 1;
    if (rn == 2 && isalpha((unsigned char)r[0]) && isalpha((unsigned char)r[1]))
        return 0;
    if (rn == 3 && isdigit((unsigned char)r[0]) && isdigit((unsigned char)r[1]) &&
        isdigit((unsigned char)r[2]))
        return 0;
bad:
    return mm_err_set(err, MM_EFORMAT, "cpe: language: a language tag like en or en-us, or * or -");
}

int mm_cpe_validate(const char *cpe, struct mm_err *err)
{
    size_t len = strlen(cpe);
    if (len > MM_CPE_MAX)
        return mm_err_set(err, MM_EFORMAT, "cpe: longer than %d characters", MM_CPE_MAX);
    if (strncmp(cpe, "cpe:2.3:", 8) != 0)
        return mm_err_set(err, MM_EFORMAT, "cpe: must start with cpe:2.3:");
    const char *p = cpe + 8;
    for (int a = 0; a < 11; a++) {
        /* The component ends at the next ':' that no backslash quotes. */
        const char *e = p;
        while (*e && *e != ':') {
            if (*e == '\\' && e[1])
                e++;
            e++;
        }
        size_t n = (size_t)(e - p);
        if (a < 10 && *e != ':')
            return mm_err_set(err, MM_EFORMAT, "cpe: 13 components expected, %d found", a + 3);
        if (a == 10 && *e)
            return mm_err_set(err, MM_EFORMAT, "cpe: more than 13 components");
        int rc;
        if (a == 0)
            rc = n == 1 && strchr("aoh", p[0])
                     ? 0
                     : mm_err_set(err, MM_EFORMAT, "cpe: part must be a, o or h");
        else if (a == 6)
            rc = check_language(p, n, err);
        else
            rc = check_value(p, n, attr_names[a], err);
        if (rc)
            return rc;
        p = *e ? e + 1 : e;
    }
    return 0;
}
