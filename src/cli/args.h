/* args.h - option values every command parses the same way. */
#ifndef MM_CLI_ARGS_H
#define MM_CLI_ARGS_H

#include <stdint.h>

/* Parse an RFC 3339 option value into ns since the epoch; prints
 * "command: --opt: not an RFC 3339 time ..." and returns -1 when malformed. */
int mm_cli_parse_time(const char *command, const char *opt, const char *text, int64_t *out);

#endif
