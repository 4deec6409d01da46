/* cmd_reidentify.c - `mamori reidentify [approve]`: turning one pseudonym back into its address, only
 * with the committee's single-use approval for exactly that pseudonym. */
#include "cli/commands.h"
#include "cli/session.h"

#include "select/cryptopan.h"
#include "store/reidentify.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char MM_HELP_REIDENTIFY[] =
    "usage: mamori reidentify approve --store PATH --pseudonym ADDR --reason TEXT [--token T]\n"
    "       mamori reidentify --store PATH --approval N --pseudonym ADDR --key PSEUDO.KEY\n"
    "                         --reason TEXT [--token T]\n"
    "\n"
    "'approve' (committee) writes a ledger row (reidentify_approval) for exactly\n"
    "one pseudonym and prints its id. The second form (analyst) prints the original\n"
    "address of the pseudonym (Crypto-PAn inverted with the policy's key) only when\n"
    "approval N exists for that pseudonym and is unused; approvals are single use.\n"
    "Both are audited; the audit entry holds the pseudonym and the approval id,\n"
    "never the clear address. A missing, mismatched or used approval is refused\n"
    "(exit 2, audited).\n";

static int run_approve(const char *store, const char *token, const struct mm_addr *pseudonym,
                       const char *text, const char *reason)
{
    struct mm_session s;
    int rc = mm_session_open(&s, "mamori reidentify approve", store, token, MM_ACT_REIDENTIFY_APPROVE);
    if (rc)
        return rc;
    struct mm_err err;
    mm_err_clear(&err);
    int64_t id = 0;
    char object[160];
    if ((rc = mm_store_begin(s.store, &err)) == 0) {
        rc = mm_store_reidentify_approve(s.store, pseudonym, s.user.name, reason, &id, &err);
        snprintf(object, sizeof object, "{\"approval\":%" PRId64 ",\"pseudonym\":\"%s\"}", id, text);
        if (rc == 0 && (rc = mm_session_audit(&s, "reidentify.approve", NULL, reason, object, 0, "ok")) == 0)
            rc = mm_store_commit(s.store, &err);
        if (rc)
            mm_store_rollback(s.store);
    }
    if (rc && err.code)
        mm_session_error(s.command, &err);
    else if (!rc)
        printf("%" PRId64 "\n", id);
    mm_session_close(&s);
    return rc ? MM_EXIT_FAIL : 0;
}

static int run_use(const char *store, const char *token, int64_t approval, const struct mm_addr *pseudonym,
                   const char *text, const char *key_path, const char *reason)
{
    const char *command = "mamori reidentify";
    struct mm_err err;
    mm_err_clear(&err);
    uint8_t key[MM_CRYPTOPAN_KEY_LEN];
    struct mm_cryptopan *cp = NULL;
    int rc = mm_key_file_read(key_path, key, &err);
    if (rc == 0)
        rc = mm_cryptopan_new(&cp, key, &err);
    OPENSSL_cleanse(key, sizeof key);
    if (rc) {
        mm_session_error(command, &err);
        return MM_EXIT_USAGE;
    }
    struct mm_session s;
    if ((rc = mm_session_open(&s, command, store, token, MM_ACT_REIDENTIFY))) {
        mm_cryptopan_free(cp);
        return rc;
    }
    char object[160];
    snprintf(object, sizeof object, "{\"approval\":%" PRId64 ",\"pseudonym\":\"%s\"}", approval, text);
    if ((rc = mm_store_begin(s.store, &err)) == 0) {
        rc = mm_store_reidentify_use(s.store, approval, pseudonym, s.user.name, reason, &err);
        if (rc == 0 && (rc = mm_session_audit(&s, "reidentify", NULL, reason, object, 1, "ok")) == 0)
            rc = mm_store_commit(s.store, &err);
        if (rc)
            mm_store_rollback(s.store);
    }
    int exit_code = 0;
    if (rc == MM_EDENIED) {
        exit_code = mm_session_audit(&s, "reidentify", NULL, reason, object, 0, "refused") ? MM_EXIT_FAIL
                                                                                          : MM_EXIT_USAGE;
        fprintf(stderr, "%s: refused: %s\n", command, err.msg);
    } else if (rc) {
        if (err.code)
            mm_session_error(command, &err);
        exit_code = MM_EXIT_FAIL;
    } else {
        struct mm_addr clear;
        char out[MM_ADDR_TEXT_MAX];
        mm_cryptopan_deanonymize(cp, pseudonym, &clear);
        mm_addr_format(&clear, out, sizeof out);
        printf("%s\n", out);
    }
    mm_session_close(&s);
    mm_cryptopan_free(cp);
    return exit_code;
}

int mm_cmd_reidentify(int argc, char **argv)
{
    bool approve = argc >= 2 && strcmp(argv[1], "approve") == 0;
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 's'},     {"token", required_argument, NULL, 't'},
        {"approval", required_argument, NULL, 'a'},  {"pseudonym", required_argument, NULL, 'p'},
        {"key", required_argument, NULL, 'k'},       {"reason", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0}};
    const char *store = NULL, *token = NULL, *pseudonym_text = NULL, *key_path = NULL, *reason = NULL;
    int64_t approval = 0;
    int c;
    optind = approve ? 2 : 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 's': store = optarg; break;
        case 't': token = optarg; break;
        case 'p': pseudonym_text = optarg; break;
        case 'k': key_path = optarg; break;
        case 'r': reason = optarg; break;
        case 'a': {
            char *end;
            errno = 0;
            long long v = strtoll(optarg, &end, 10);
            if (errno || *end || end == optarg || v <= 0) {
                fprintf(stderr, "mamori reidentify: --approval: expected an approval id, got '%s'\n", optarg);
                return MM_EXIT_USAGE;
            }
            approval = v;
            break;
        }
        case 'h': fputs(MM_HELP_REIDENTIFY, stdout); return 0;
        default: fputs(MM_HELP_REIDENTIFY, stderr); return MM_EXIT_USAGE;
        }
    }
    struct mm_addr pseudonym;
    bool ok = optind == argc && pseudonym_text && reason && *reason &&
              (approve ? !approval && !key_path : approval && key_path);
    if (!ok) {
        fputs(MM_HELP_REIDENTIFY, stderr);
        return MM_EXIT_USAGE;
    }
    if (mm_addr_parse(pseudonym_text, &pseudonym) != 0) {
        fprintf(stderr, "mamori reidentify: --pseudonym: not an IPv4 or IPv6 address: %s\n", pseudonym_text);
        return MM_EXIT_USAGE;
    }
    char text[MM_ADDR_TEXT_MAX];
    mm_addr_format(&pseudonym, text, sizeof text);
    return approve ? run_approve(store, token, &pseudonym, text, reason)
                   : run_use(store, token, approval, &pseudonym, text, key_path, reason);
}
