/* csv.h - an RFC 4180 CSV reader for bulk imports: quoted fields with "" escapes and line breaks,
 * CRLF or LF, an optional UTF-8 BOM, size caps, every field checked to be UTF-8. */
#ifndef MM_CSV_H
#define MM_CSV_H

#include <stddef.h>

#include "util/error.h"

#define MM_CSV_FIELD_MAX 65536 /* bytes in one field */
#define MM_CSV_FIELDS_MAX 256  /* fields in one record */

/* One record: its number (1 = the first, usually the header) and the line it starts on. */
struct mm_csv_record {
    size_t number, line;
    const char *const *fields; /* NUL-terminated, valid for the callback only */
    size_t nfields;
};
typedef int (*mm_csv_cb)(void *ctx, const struct mm_csv_record *r);

/* Read every record of data[0..len). A trailing line break ends the last record; blank lines
 * (no characters at all) are skipped. A callback's nonzero return stops and is returned.
 * MM_EFORMAT (err: record, line and what is wrong) for an unterminated quote, a quote inside an
 * unquoted field, text after a closing quote, a field or record past the caps, or bytes that
 * are not UTF-8; MM_ENOMEM. */
int mm_csv_parse(const char *data, size_t len, mm_csv_cb cb, void *ctx, struct mm_err *err);

/* True when s[0..n) is well-formed UTF-8 (no overlongs, surrogates or NULs). */
int mm_utf8_valid(const char *s, size_t n);

#endif
