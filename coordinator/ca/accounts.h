/* accounts.h -- one ACME account per CA: key made and sealed here, registration queued as a job, key served to workers. */
#ifndef CERTFLEET_COORD_ACCOUNTS_H
#define CERTFLEET_COORD_ACCOUNTS_H

#include <stddef.h>

#include <libpq-fe.h>

#include "settings.h"
#include "vault.h"

/* Ensures every CA of s->cas is in cas (directory and trust updated) and
 * has an account at the directory it has now: an account belongs to one
 * directory URL (acme_accounts.directory_url), so a CA pointed at another
 * directory gets a new account, and the accounts of its earlier
 * directories stay (their certificates are revoked through them). A new
 * account gets a key of s->account_key_type (CERTFLEET_ACCOUNT_KEY_TYPE),
 * sealed; the CA's External Account Binding MAC key is sealed into the
 * current account (or cleared when none is configured) and, when that
 * account has no URL yet and no registration job is pending, a
 * Job{register_account} is queued in the outbox; one transaction per CA.
 * Returns 0, or -1 with a message in err. */
int accounts_ensure(PGconn *c, const struct vault *v,
    const struct settings *s, char *err, size_t errlen);

/* Decrypts the key of account id. Returns 1 with the PEM in *pem (free it
 * with vault_plain_free(*pem, *len)), 0 when there is no such account, or
 * -1 with a message in err. id must be valid (ids_valid). */
int accounts_key_pem(PGconn *c, const struct vault *v, const char *id,
    char **pem, size_t *len, char *err, size_t errlen);

/* Decrypts the External Account Binding of account id. Returns 1 with the
 * key id in *kid (malloc'd) and the MAC key in *hmac (free it with
 * vault_plain_free(*hmac, *len)), 0 when the account has none or does not
 * exist, or -1 with a message in err. */
int accounts_eab(PGconn *c, const struct vault *v, const char *id,
    char **kid, char **hmac, size_t *len, char *err, size_t errlen);

/* Queues the next registration attempt of account id (attempt, after delay_s
 * seconds) in the caller's transaction; trust may be NULL. Returns 0, or -1
 * with err. */
int accounts_requeue(PGconn *c, const char *id, const char *ca_name,
    const char *directory_url, const char *trust, const char *contact, const char *trace_id,
    unsigned attempt, double delay_s, char *err, size_t errlen);

#endif
