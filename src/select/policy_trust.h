/* policy_trust.h - loading a policy only when the committee's signature over it verifies. */
#ifndef MM_POLICY_TRUST_H
#define MM_POLICY_TRUST_H

#include "select/policy.h"
#include "util/error.h"

/* Load path like mm_policy_load, but first require that
 *   - path + ".sig" exists and is a valid Ed25519 signature (util/sign.h)
 *     over the exact bytes of path, made with the private half of the public
 *     key in trust_pub;
 *   - every file the policy names is pinned by a signed hash: each
 *     criterion with a match_file carries "sha256", and each
 *     domestic_prefixes entry has an entry in "file_sha256" (the loader
 *     then checks the files against them).
 * The bytes verified are the bytes parsed. Refusals are MM_EVERIFY (or
 * MM_EFORMAT for a malformed signature or policy) and name the file. */
int mm_policy_load_trusted(const char *path, const char *trust_pub, struct mm_policy **out,
                           struct mm_err *err);

#endif
