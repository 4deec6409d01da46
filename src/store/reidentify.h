/* reidentify.h - the committee's single-use approvals to re-identify one pseudonym, kept in the
 * approval ledger. The inversion itself (mm_cryptopan_deanonymize) happens in the caller, which holds
 * the key; the store keeps only pseudonyms and approval ids, never a clear address. */
#ifndef MM_REIDENTIFY_H
#define MM_REIDENTIFY_H

#include <stdint.h>

#include "store/store.h"
#include "util/addr.h"

/* Write a ledger row of kind 'reidentify_approval' whose subject is the
 * pseudonym's standard text; *approval_id is its id. */
int mm_store_reidentify_approve(struct mm_store *s, const struct mm_addr *pseudonym, const char *actor,
                                const char *reason, int64_t *approval_id, struct mm_err *err);

/* Consume approval approval_id for pseudonym: checks that it is a
 * 'reidentify_approval' row for exactly this pseudonym and has not been used,
 * then writes a 'reidentification' ledger row (subject: the approval id) that
 * marks it used. MM_EDENIED with a reason when the approval does not exist,
 * names another pseudonym, or was used. Must run inside the caller's
 * transaction (BEGIN IMMEDIATE), so two uses cannot both succeed. */
int mm_store_reidentify_use(struct mm_store *s, int64_t approval_id, const struct mm_addr *pseudonym,
                            const char *actor, const char *reason, struct mm_err *err);

#endif
