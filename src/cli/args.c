/* args.c - option values every command parses the same way. */
#include "cli/args.h"

#include "util/timefmt.h"

#include <stdio.h>

int mm_cli_parse_time(const char *command, const char *opt, const char *text, int64_t *out)
{
    if (mm_time_parse_rfc3339(text, out) != 0) {
        fprintf(stderr, "%s: %s: not an RFC 3339 time (like 2027-01-01T00:00:00Z): %s\n", command, opt,
                text);
        return -1;
    }
    return 0;
}
