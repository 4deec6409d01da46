/* policy_trust.c - the sensor's check of a signed policy before it is loaded. */
#include "select/policy_trust.h"

#include "util/sign.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every file the policy names must be pinned by a hash inside the signed text. */
static int check_pinned(const char *path, const char *text, size_t len, struct mm_err *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return mm_err_set(err, MM_EFORMAT, "%s: line %d, column %d: %s", path, jerr.line,
                          jerr.column, jerr.text);
    int rc = 0;
    json_t *hashes = json_object_get(root, "file_sha256");
    json_t *domestic = json_object_get(root, "domestic_prefixes");
    json_t *criteria = json_object_get(root, "criteria");
    size_t i;
    json_t *item;
    json_array_foreach(domestic, i, item)
    {
        if (!json_is_string(item) || !json_object_get(hashes, json_string_value(item))) {
            rc = mm_err_set(err, MM_EVERIFY,
                            "%s: domestic_prefixes[%zu]: a trusted policy must pin this file in "
                            "file_sha256",
                            path, i);
            goto out;
        }
    }
    json_array_foreach(criteria, i, item)
    {
        if (json_object_get(item, "match_file") && !json_object_get(item, "sha256")) {
            rc = mm_err_set(err, MM_EVERIFY,
                            "%s: criteria[%zu]: a trusted policy must give the sha256 of its "
                            "match_file",
                            path, i);
            goto out;
        }
    }
out:
    json_decref(root);
    return rc;
}

int mm_policy_load_trusted(const char *path, const char *trust_pub, struct mm_policy **out,
                           struct mm_err *err)
{
    *out = NULL;
    size_t plen = strlen(path);
    char *sig_path = malloc(plen + 5);
    char *dir = strdup(path);
    char *text = NULL;
    size_t len = 0;
    int rc = MM_ENOMEM;
    if (!sig_path || !dir) {
        mm_err_set(err, rc, "%s: out of memory", path);
        goto out;
    }
    snprintf(sig_path, plen + 5, "%s.sig", path);
    if ((rc = mm_sign_verify_file(trust_pub, path, sig_path, &text, &len, err)))
        goto out;
    if ((rc = check_pinned(path, text, len, err)))
        goto out;
    /* Relative names resolve from the policy's folder, as mm_policy_load does. */
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    else
        dir[0] = '\0';
    rc = mm_policy_parse(text, len, path, dir, out, err);
out:
    free(text);
    free(dir);
    free(sig_path);
    return rc;
}
