/* auth.c - bearer-token authentication and the authorization table, per API request, with every
 * denial in the audit log (the same checks as the CLI's session.c). */
#include "server/internal.h"

#include <string.h>
#include <strings.h>

int mm_auth_audit(struct mm_store *st, const struct mm_user *user, enum mm_action action, const char *object,
                  int64_t count, const char *outcome, struct mm_err *err)
{
    struct mm_audit_entry e = {.actor = user->name,
                               .role = mm_role_name(user->role),
                               .action = mm_action_name(action),
                               .object = object,
                               .count = count,
                               .outcome = outcome};
    return mm_store_audit_append(st, &e, err);
}

/* The token of "Bearer <token>" (scheme case-insensitive, RFC 6750), or NULL. */
static const char *bearer_token(const char *authorization)
{
    if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
        return NULL;
    const char *t = authorization + 7;
    while (*t == ' ')
        t++;
    return *t ? t : NULL;
}

int mm_auth_request(struct mm_store *st, const char *authorization, enum mm_action action,
                    const char *object, pthread_mutex_t *write_mu, struct mm_user *user, const char **msg,
                    struct mm_err *err)
{
    memset(user, 0, sizeof *user);
    const char *token = bearer_token(authorization);
    int status = 0;
    if (!token) {
        strcpy(user->name, "(no token)");
        user->role = MM_ROLE_COUNT;
        status = 401;
        *msg = "authentication required: send Authorization: Bearer <token>";
    } else {
        int rc = mm_store_user_by_token(st, token, user, err);
        if (rc == MM_EDENIED) {
            memset(user, 0, sizeof *user);
            strcpy(user->name, "(unknown token)");
            user->role = MM_ROLE_COUNT;
            status = 401;
            *msg = "unknown token";
        } else if (rc) {
            *msg = "internal error";
            return 500;
        } else if (!mm_authz_allowed(user->role, action)) {
            status = 403;
            *msg = "permission denied: your role may not do this";
        }
    }
    if (status == 0)
        return 0;
    struct mm_err aerr;
    mm_err_clear(&aerr);
    if (write_mu)
        pthread_mutex_lock(write_mu);
    int rc = mm_auth_audit(st, user, action, object, 0, "denied", &aerr);
    if (write_mu)
        pthread_mutex_unlock(write_mu);
    if (rc != 0) {
        mm_err_set(err, aerr.code, "audit: %s", aerr.msg);
        *msg = "internal error";
        return 500;
    }
    return status;
}
