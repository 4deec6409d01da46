/* session.h - what store-backed commands share: opening the store, authenticating the token,
 * checking the authorization table, and writing the audit entry. */
#ifndef MM_SESSION_H
#define MM_SESSION_H

#include "auth/authz.h"
#include "store/store.h"

struct mm_session {
    const char *command; /* for messages: "mamori erase" */
    struct mm_store *store;
    struct mm_user user;
};

/* Open the store and authenticate token (NULL: $MAMORI_TOKEN) for action.
 * A refusal (unknown token, role not allowed) is written to the audit log
 * and reported on stderr. Returns an exit code: 0 when the session is open. */
int mm_session_open(struct mm_session *s, const char *command, const char *store_path, const char *token,
                    enum mm_action action);
void mm_session_close(struct mm_session *s);

/* Append an audit entry for this session's user. Returns 0 or prints the
 * error and returns nonzero. */
int mm_session_audit(struct mm_session *s, const char *action, const char *purpose, const char *reason,
                     const char *object, int64_t count, const char *outcome);

/* Print "command: message" to stderr. */
void mm_session_error(const char *command, const struct mm_err *err);

#endif
