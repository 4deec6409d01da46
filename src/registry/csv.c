/* csv.c - RFC 4180 CSV reader (with the common LF-only and BOM variations) for bulk imports. */
#include "registry/csv.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int mm_utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp;
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + len > n)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
            return 0;
        i += len;
    }
    return 1;
}

struct reader {
    char *field; /* the current field's bytes */
    size_t flen;
    char **fields; /* MM_CSV_FIELDS_MAX pointers into store */
    size_t nfields;
    char *store; /* the current record's fields, NUL-separated */
    size_t slen, scap;
};

static int end_field(struct reader *r, size_t number, size_t line, struct mm_err *err)
{
    if (r->nfields >= MM_CSV_FIELDS_MAX)
        return mm_err_set(err, MM_EFORMAT, "row %zu (line %zu): more than %d fields", number, line,
                          MM_CSV_FIELDS_MAX);
    if (!mm_utf8_valid(r->field, r->flen))
        return mm_err_set(err, MM_EFORMAT, "row %zu (line %zu): field %zu is not UTF-8 text", number,
                          line, r->nfields + 1);
    if (r->slen + r->flen + 1 > r->scap) {
        size_t cap = (r->scap ? r->scap * 2 : 4096);
        while (cap < r->slen + r->flen + 1)
            cap *= 2;
        char *n = realloc(r->store, cap);
        if (!n)
            return mm_err_set(err, MM_ENOMEM, "out of memory");
        r->store = n;
        r->scap = cap;
    }
    /* Offsets now; pointers are made when the record is complete (store may move). */
    r->fields[r->nfields++] = (char *)(uintptr_t)r->slen;
    memcpy(r->store + r->slen, r->field, r->flen);
    r->slen += r->flen;
    r->store[r->slen++] = '\0';
    r->flen = 0;
    return 0;
}

int mm_csv_parse(const char *data, size_t len, mm_csv_cb cb, void *ctx, struct mm_err *err)
{
    struct reader r = {0};
    int rc = 0;
    r.field = malloc(MM_CSV_FIELD_MAX);
    r.fields = calloc(MM_CSV_FIELDS_MAX, sizeof *r.fields);
    if (!r.field || !r.fields) {
        rc = mm_err_set(err, MM_ENOMEM, "out of memory");
        goto out;
    }
    size_t i = 0, line = 1, number = 0;
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
        i = 3;
    while (i < len && !rc) {
        /* a blank line */
        if (data[i] == '\n' || (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')) {
            i += data[i] == '\r' ? 2 : 1;
            line++;
            continue;
        }
        number++;
        size_t start_line = line;
        r.nfields = 0;
        r.slen = 0;
        bool record_done = false;
        while (!record_done && !rc) {
            r.flen = 0;
            if (i < len && data[i] == '"') {
                i++;
                for (;;) {
                    if (i >= len) {
                        rc = mm_err_set(err, MM_EFORMAT, "row %zu (line %zu): unterminated quoted field",
                                        number, start_line);
                        break;
                    }
                    char c = data[i];
                    if (c == '"') {
                        if (i + 1 < len && data[i + 1] == '"') {
                            c = '"';
                            i++;
                        } else {
                            i++;
                            break;
                        }
                    } else if (c == '\n') {
                        line++;
                    }
                    if (r.flen >= MM_CSV_FIELD_MAX - 1) {
                        rc = mm_err_set(err, MM_EFORMAT, "row %zu (line %zu): a field longer than %d bytes",
                                        number, start_line, MM_CSV_FIELD_MAX - 1);
                        break;
                    }
                    r.field[r.flen++] = c;
                    i++;
                }
                if (rc)
                    break;
                if (i < len && data[i] != ',' && data[i] != '\n' &&
                    !(data[i] == '\r' && i + 1 < len && data[i + 1] == '\n') &&
                    !(data[i] == '\r' && i + 1 == len)) {
                    rc = mm_err_set(err, MM_EFORMAT, "row %zu (line %zu): text after a closing quote",
                                    number, line);
                    break;
                }
            } else {
                while (i < len && data[i] != ',' && data[i] != '\n' &&
                       !(data[i] == '\r' && (i + 1 == len || data[i + 1] == '\n'))) {
                    if (data[i] == '"') {
                        rc = mm_err_set(err, MM_EFORMAT,
                                        "row %zu (line %zu): a quote inside an unquoted field", number, line);
                        break;
                    }
                    if (r.flen >= MM_CSV_FIELD_MAX - 1) {
                        rc = mm_err_set(err, MM_EFORMAT, "row %zu (line %zu): a field longer than %d bytes",
                                        number, line, MM_CSV_FIELD_MAX - 1);
                        break;
                    }
                    r.field[r.flen++] = data[i++];
                }
                if (rc)
                    break;
            }
            if ((rc = end_field(&r, number, start_line, err)))
                break;
            if (i < len && data[i] == ',') {
                i++;
                continue;
            }
            /* end of record: CRLF, LF, a lone CR at the end, or the end of data */
            if (i < len && data[i] == '\r')
                i++;
            if (i < len && data[i] == '\n') {
                i++;
                line++;
            }
            record_done = true;
        }
        if (rc)
            break;
        for (size_t k = 0; k < r.nfields; k++)
            r.fields[k] = r.store + (uintptr_t)r.fields[k];
        struct mm_csv_record rec = {number, start_line, (const char *const *)r.fields, r.nfields};
        rc = cb(ctx, &rec);
    }
out:
    free(r.field);
    free(r.fields);
    free(r.store);
    return rc;
}
