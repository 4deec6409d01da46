/* cpe.h - CPE 2.3 formatted string bindings (NISTIR 7695, section 6.2) validated on input. */
#ifndef MM_CPE_H
#define MM_CPE_H

#include <stddef.h>

#include "util/error.h"

#define MM_CPE_MAX 1024

/* Check a CPE 2.3 formatted string:
 *   cpe:2.3:part:vendor:product:version:update:edition:language:sw_edition:target_sw:target_hw:other
 * 13 ':'-separated components (an escaped "\:" separates nothing); part a, o or h; every other
 * attribute "*" (ANY), "-" (NA) or a value of [A-Za-z0-9._-] and backslash-quoted punctuation,
 * with unquoted "*" or a run of "?" allowed only at its start or end; language an RFC 5646
 * tag (xx or xxx, optionally -YY or -999) or * or -. 0, or MM_EFORMAT with err naming the
 * attribute and the offending character. */
int mm_cpe_validate(const char *cpe, struct mm_err *err);

#endif
