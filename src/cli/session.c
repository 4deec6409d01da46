/* session.c - token authentication and authorization for store-backed commands. */
#include "cli/session.h"

#include "cli/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mm_session_error(const char *command, const struct mm_err *err)
{
    fprintf(stderr, "%s: %s\n", command, err->msg[0] ? err->msg : mm_strerror(err->code));
}

int mm_session_audit(struct mm_session *s, const char *action, const char *purpose, const char *reason,
                     const char *object, int64_t count, const char *outcome)
{
    struct mm_err err;
    mm_err_clear(&err);
    struct mm_audit_entry e = {.actor = s->user.name,
                               .role = mm_role_name(s->user.role),
                               .action = action,
                               .purpose = purpose,
                               .reason = reason,
                               .object = object,
                               .count = count,
                               .outcome = outcome};
    if (mm_store_audit_append(s->store, &e, &err) != 0) {
        mm_session_error(s->command, &err);
        return MM_EXIT_FAIL;
    }
    return 0;
}

int mm_session_open(struct mm_session *s, const char *command, const char *store_path, const char *token,
                    enum mm_action action)
{
    memset(s, 0, sizeof *s);
    s->command = command;
    if (!store_path) {
        fprintf(stderr, "%s: --store is required\n", command);
        return MM_EXIT_USAGE;
    }
    if (!token || !*token)
        token = getenv("MAMORI_TOKEN");
    struct mm_err err;
    mm_err_clear(&err);
    if (mm_store_open(store_path, 0, &s->store, &err) != 0) {
        mm_session_error(command, &err);
        return MM_EXIT_USAGE;
    }
    if (!token || !*token) {
        fprintf(stderr, "%s: a token is required (--token or MAMORI_TOKEN)\n", command);
        mm_store_close(s->store);
        s->store = NULL;
        return MM_EXIT_USAGE;
    }
    if (mm_store_user_by_token(s->store, token, &s->user, &err) != 0) {
        snprintf(s->user.name, sizeof s->user.name, "(unknown token)");
        s->user.role = MM_ROLE_COUNT;
        mm_session_audit(s, mm_action_name(action), NULL, NULL, NULL, 0, "denied");
        fprintf(stderr, "%s: %s\n", command,
                err.code == MM_EDENIED ? "permission denied: unknown token" : err.msg);
        mm_session_close(s);
        return MM_EXIT_DENIED;
    }
    if (!mm_authz_allowed(s->user.role, action)) {
        mm_session_audit(s, mm_action_name(action), NULL, NULL, NULL, 0, "denied");
        fprintf(stderr, "%s: permission denied: role %s may not %s\n", command,
                mm_role_name(s->user.role), mm_action_name(action));
        mm_session_close(s);
        return MM_EXIT_DENIED;
    }
    return 0;
}

void mm_session_close(struct mm_session *s)
{
    mm_store_close(s->store);
    s->store = NULL;
}
