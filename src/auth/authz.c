/* authz.c - lookups over the role and action tables of authz.h. */
#include "auth/authz.h"

#include "util/error.h"

#include <string.h>

static const char *const role_names[] = {
#define MM_ROLE_STR_(name, str) str,
    MM_ROLE_MAP(MM_ROLE_STR_)
#undef MM_ROLE_STR_
};

static const struct {
    const char *name;
    unsigned roles;
} actions[] = {
#define MM_ACTION_ROW_(name, str, roles) {str, roles},
    MM_ACTION_MAP(MM_ACTION_ROW_)
#undef MM_ACTION_ROW_
};

const char *mm_role_name(enum mm_role r) { return (unsigned)r < MM_ROLE_COUNT ? role_names[r] : "?"; }

int mm_role_parse(const char *name, enum mm_role *out)
{
    for (int i = 0; i < MM_ROLE_COUNT; i++)
        if (strcmp(name, role_names[i]) == 0) {
            *out = (enum mm_role)i;
            return 0;
        }
    return MM_EINVAL;
}

const char *mm_action_name(enum mm_action a) { return (unsigned)a < MM_ACT_COUNT ? actions[a].name : "?"; }

bool mm_authz_allowed(enum mm_role r, enum mm_action a)
{
    if ((unsigned)r >= MM_ROLE_COUNT || (unsigned)a >= MM_ACT_COUNT)
        return false;
    return (actions[a].roles & (1u << r)) != 0;
}
