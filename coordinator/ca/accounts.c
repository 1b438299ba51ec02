/* accounts.c -- the CA's ACME account: sealed key, register_account job, decryption for the worker endpoint. */
#include "accounts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "ids.h"
#include "jobmsg.h"
#include "kafkaconn.h"
#include "keys.h"
#include "log.h"
#include "outbox.h"

/* Kafka key of account jobs: the CA, so one account's jobs stay ordered. */
int
accounts_requeue(PGconn *c, const char *id, const char *ca_name,
    const char *directory_url, const char *trust, const char *contact,
    const char *trace_id,
    unsigned attempt, double delay_s, char *err, size_t errlen)
{
	void *payload;
	size_t len;
	int rc;

	if ((payload = jobmsg_register_encode(id, attempt, trace_id, ca_name,
	    directory_url, trust, id, contact, &len)) == NULL) {
		snprintf(err, errlen, "accounts: register job does not encode");
		return -1;
	}
	rc = outbox_add(c, kafkaconn_topic_jobs(), ca_name, payload, len, id,
	    attempt, delay_s, ca_name, 0, 0, err, errlen);
	free(payload);
	return rc;
}

/* Seals ca's EAB MAC key into account id's row, or clears it. */
static int
accounts_eab_store(PGconn *c, const struct vault *v, const char *id,
    const struct cas_ca *ca, char *err, size_t errlen)
{
	struct vault_box box = { 0 };
	const char *p[6];
	int lens[6] = { 0 }, fmts[6] = { 0 }, rc = -1;
	char aad[VAULT_AAD_MAX];

	p[0] = id;
	if (ca->eab_kid == NULL)
		return db_exec(c, "accounts eab clear", "UPDATE acme_accounts SET "
		    "eab_kid = NULL, eab_ciphertext = NULL, eab_nonce = NULL, "
		    "eab_tag = NULL, eab_key_id = NULL WHERE id = $1", 1, p, NULL,
		    NULL, err, errlen) < 0 ? -1 : 0;
	vault_aad(VAULT_ACCOUNT_EAB, id, aad);
	if (vault_seal(v, ca->eab_hmac, strlen(ca->eab_hmac), aad, &box, err,
	    errlen) < 0)
		return -1;
	p[1] = ca->eab_kid;
	db_bind_box(p, lens, fmts, 2, &box);
	if (db_exec(c, "accounts eab store", "UPDATE acme_accounts SET eab_kid = "
	    "$2, eab_ciphertext = $3, eab_nonce = $4, eab_tag = $5, eab_key_id = "
	    "$6 WHERE id = $1", 6, p, lens, fmts, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	vault_box_clear(&box);
	return rc;
}

int
accounts_eab(PGconn *c, const struct vault *v, const char *id, char **kid,
    char **hmac, size_t *len, char *err, size_t errlen)
{
	PGresult *r;
	int rc = -1;

	if ((r = db_query(c, "accounts eab", "SELECT eab_ciphertext, eab_nonce, "
	    "eab_tag, eab_key_id, eab_kid FROM acme_accounts WHERE id = $1 AND "
	    "eab_kid IS NOT NULL", 1, &id, NULL, NULL, err, errlen)) == NULL)
		return -1;
	if (PQntuples(r) == 0) {
		rc = 0;
		goto out;
	}
	if ((*kid = strdup(PQgetvalue(r, 0, 4))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if ((*hmac = db_open_box(r, 0, 0, v, VAULT_ACCOUNT_EAB, id, len, err,
	    errlen)) == NULL) {
		free(*kid);
		*kid = NULL;
		goto out;
	}
	rc = 1;
out:
	PQclear(r);
	return rc;
}

/* Logs, when CA ca had accounts at other directories, that they are kept
 * for their certificates and the new directory gets its own account. */
static void
accounts_log_moved(PGconn *c, const struct cas_ca *ca, const char *id)
{
	PGresult *r;
	char err[256];

	if ((r = db_query(c, "accounts earlier", "SELECT count(*), "
	    "coalesce(string_agg(directory_url, ', ' ORDER BY created_at), '') "
	    "FROM acme_accounts WHERE ca = $1 AND directory_url <> $2", 2,
	    (const char *[]){ ca->name, ca->directory }, NULL, NULL, err,
	    sizeof(err))) == NULL)
		return;
	if (atol(PQgetvalue(r, 0, 0)) > 0)
		log_warn("CA %s now at %s: account %s is made for that directory; "
		    "the account(s) at %s stay for the certificates they issued "
		    "(revocation)", ca->name, ca->directory, id, PQgetvalue(r, 0, 1));
	PQclear(r);
}

/* Makes account id (a new key of s->account_key_type, sealed) for CA ca at
 * its directory, with its External Account Binding, in the caller's
 * transaction. Returns 0, or -1 with err. */
static int
accounts_create(PGconn *c, const struct vault *v, const struct settings *s,
    const struct cas_ca *ca, const char *id, char *err, size_t errlen)
{
	EVP_PKEY *k = NULL;
	char *pem = NULL, aad[VAULT_AAD_MAX];
	struct vault_box box = { 0 };
	size_t pemlen = 0;
	const char *p[8];
	int lens[8] = { 0 }, fmts[8] = { 0 }, rc = -1;

	if ((k = keys_generate(s->account_key_type, err, errlen)) == NULL)
		return -1;
	if ((pem = keys_private_pem(k, &pemlen)) == NULL) {
		snprintf(err, errlen, "accounts: key does not encode");
		goto out;
	}
	vault_aad(VAULT_ACCOUNT_KEY, id, aad);
	if (vault_seal(v, pem, pemlen, aad, &box, err, errlen) < 0)
		goto out;
	p[0] = id;
	p[1] = ca->name;
	db_bind_box(p, lens, fmts, 2, &box);
	p[6] = keys_type_name(s->account_key_type);
	p[7] = ca->directory;
	if (db_exec(c, "accounts insert", "INSERT INTO acme_accounts (id, ca, "
	    "key_type, key_ciphertext, key_nonce, key_tag, key_id, "
	    "directory_url) VALUES ($1, $2, $7, $3, $4, $5, $6, $8)", 8, p, lens,
	    fmts, err, errlen) < 0 ||
	    accounts_eab_store(c, v, id, ca, err, errlen) < 0)
		goto out;
	log_info("account %s created for CA %s at %s%s", id, ca->name,
	    ca->directory, ca->eab_kid != NULL ?
	    " (with an external account binding)" : "");
	accounts_log_moved(c, ca, id);
	rc = 0;
out:
	vault_box_clear(&box);
	keys_pem_free(pem, pemlen);
	EVP_PKEY_free(k);
	return rc;
}

/* The CA's row, and its account at the directory it has now: found (and
 * registered or queued), or made and queued for registration. */
static int
accounts_ensure_ca(PGconn *c, const struct vault *v, const struct settings *s,
    const struct cas_ca *ca, char *err, size_t errlen)
{
	PGresult *r = NULL;
	char id[IDS_LEN + 1], trace[IDS_TRACE_LEN + 1];
	const char *p[3];
	int rc = -1;

	if (db_begin(c, err, errlen) < 0)
		return -1;
	p[0] = ca->name;
	p[1] = ca->directory;
	p[2] = ca->trust;
	if (db_exec(c, "accounts ca", "INSERT INTO cas (name, directory_url, "
	    "trust) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET "
	    "directory_url = excluded.directory_url, trust = excluded.trust", 3,
	    p, NULL, NULL, err, errlen) < 0)
		goto out;
	if ((r = db_query(c, "accounts select", "SELECT id, account_url, "
	    "(SELECT count(*) FROM outbox o WHERE o.job_id = a.id AND "
	    "o.sent_at IS NULL) FROM acme_accounts a WHERE ca = $1 AND "
	    "directory_url = $2 FOR UPDATE", 2, p, NULL, NULL, err,
	    errlen)) == NULL)
		goto out;
	if (PQntuples(r) == 1) {
		snprintf(id, sizeof(id), "%s", PQgetvalue(r, 0, 0));
		if (accounts_eab_store(c, v, id, ca, err, errlen) < 0)
			goto out;
		/* Registered, or a registration is already queued. */
		if (!PQgetisnull(r, 0, 1) || atol(PQgetvalue(r, 0, 2)) > 0) {
			rc = db_commit(c, err, errlen);
			goto out;
		}
	} else if (ids_new(id) < 0) {
		snprintf(err, errlen, "accounts: no random id");
		goto out;
	} else if (accounts_create(c, v, s, ca, id, err, errlen) < 0)
		goto out;
	if (ids_trace(trace) < 0 || accounts_requeue(c, id, ca->name,
	    ca->directory, ca->trust, s->contact, trace, 1, 0, err, errlen) < 0)
		goto out;
	log_info_ctx(LOG_JOB(id, 1, trace, NULL), "register_account queued");
	rc = db_commit(c, err, errlen);
out:
	if (rc < 0)
		db_rollback(c);
	PQclear(r);
	return rc;
}

int
accounts_ensure(PGconn *c, const struct vault *v, const struct settings *s,
    char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < s->cas.n; i++)
		if (accounts_ensure_ca(c, v, s, &s->cas.ca[i], err, errlen) < 0)
			return -1;
	return 0;
}

int
accounts_key_pem(PGconn *c, const struct vault *v, const char *id,
    char **pem, size_t *len, char *err, size_t errlen)
{
	PGresult *r;
	int rc = -1;

	if ((r = db_query(c, "accounts key", "SELECT key_ciphertext, key_nonce, "
	    "key_tag, key_id FROM acme_accounts WHERE id = $1", 1, &id, NULL,
	    NULL, err, errlen)) == NULL)
		return -1;
	if (PQntuples(r) == 0) {
		rc = 0;
		goto out;
	}
	if ((*pem = db_open_box(r, 0, 0, v, VAULT_ACCOUNT_KEY, id, len, err,
	    errlen)) == NULL)
		goto out;
	rc = 1;
out:
	PQclear(r);
	return rc;
}
