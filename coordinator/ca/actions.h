/* actions.h -- revocation, account key rollover and deactivation: queued as CaAction jobs, applied once the CA confirmed. */
#ifndef CERTFLEET_COORD_ACTIONS_H
#define CERTFLEET_COORD_ACTIONS_H

#include <stddef.h>

#include <libpq-fe.h>

#include "codec.h"
#include "ids.h"
#include "keys.h"
#include "results.h"
#include "settings.h"
#include "vault.h"

/* What a request to act came to. */
enum actions_status {
	ACTIONS_QUEUED,		/* the job is in the outbox (or already was) */
	ACTIONS_NOT_FOUND,	/* no such certificate or account */
	ACTIONS_CONFLICT,	/* not in a state that allows it (err says why) */
	ACTIONS_ERROR,		/* database or crypto failure, nothing written */
};

/*
 * Queues the revocation of certificate cert_id's current issued certificate
 * with reason (acme_revoke_reason_ok), signed by the account it was ordered
 * under, at that account's directory (the CA may point at another one
 * now; accounts_ensure keeps the old account for this). When a
 * revocation of it is already pending, that action's id is returned. The
 * certificate becomes "revoked" only when the CA confirmed. Writes the
 * action's id to id. err holds a message for the client (NOT_FOUND,
 * CONFLICT) or the log (ERROR).
 */
enum actions_status actions_revoke(PGconn *c, const char *cert_id,
    int reason, char id[IDS_LEN + 1], char *err, size_t errlen);

/* actions_revoke inside the caller's transaction (which it neither commits
 * nor rolls back; the caller rolls back on anything but ACTIONS_QUEUED
 * when it must write nothing). Same returns. */
enum actions_status actions_revoke_in(PGconn *c, const char *cert_id,
    int reason, char id[IDS_LEN + 1], char *err, size_t errlen);

/*
 * Generates a new account key of type t (an account type: ec-p256, ec-p384
 * or rsa-2048), seals it as the account's pending key and queues the
 * keyChange. The account keeps signing with its old key until the CA
 * confirmed; then the new one replaces it. Same returns as actions_revoke.
 * RSA generation blocks the caller (see keys_generate).
 */
enum actions_status actions_rollover(PGconn *c, const struct vault *v,
    const char *account_id, enum keys_type t, char id[IDS_LEN + 1],
    char *err, size_t errlen);

/* Queues the deactivation of the account; it becomes "deactivated" when
 * the CA confirmed. Same returns as actions_revoke. */
enum actions_status actions_deactivate(PGconn *c, const char *account_id,
    char id[IDS_LEN + 1], char *err, size_t errlen);

/* Decrypts the pending (rollover) key of account id: 1 with the PEM in *pem
 * (vault_plain_free it), 0 when there is none, -1 with err. */
int actions_pending_key_pem(PGconn *c, const struct vault *v, const char *id,
    char **pem, size_t *len, char *err, size_t errlen);

/* Applies event e when its job is a CaAction, inside the caller's
 * transaction: done -> the state change; failed/deferred -> problem
 * recorded, then retried (any problem but a final one, retrysched_final,
 * after CERTFLEET_RETRY_BACKOFF; deferred until not_before) or given up (a rollover's pending key is dropped).
 * The result consumer calls it for events of ca_action jobs only; an
 * unknown action id is RESULTS_IGNORED. */
enum results_outcome actions_result(PGconn *c, const struct settings *s,
    const Certfleet__Event *e, char *err, size_t errlen);

#endif
