/* actions.c -- CaAction jobs (revocation, key rollover, deactivation): requests, the outbox, and the CA's answers. */
#include "actions.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "retrysched.h"
#include "db.h"
#include "jobmsg.h"
#include "jws.h"
#include "kafkaconn.h"
#include "log.h"
#include "outbox.h"
#include "pem.h"

static const char *const actions_kind_names[] = {
	[JOBMSG_ACTION_REVOKE] = "revoke_certificate",
	[JOBMSG_ACTION_ROLLOVER] = "rollover_account_key",
	[JOBMSG_ACTION_DEACTIVATE] = "deactivate_account",
};

static int
actions_kind_parse(const char *s, enum jobmsg_action_kind *k)
{
	size_t i;

	for (i = 0; i < sizeof(actions_kind_names) / sizeof(*actions_kind_names);
	    i++)
		if (strcmp(s, actions_kind_names[i]) == 0) {
			*k = (enum jobmsg_action_kind)i;
			return 0;
		}
	return -1;
}

/* Puts attempt `attempt` of action id in the outbox, publishable after
 * delay_s, from what the database holds. Returns 0, or -1 with err. */
static int
actions_queue(PGconn *c, const char *id, unsigned attempt, double delay_s,
    char *err, size_t errlen)
{
	struct jobmsg_action ja;
	PGresult *r;
	unsigned char *der = NULL;
	const char *pem;
	void *payload = NULL;
	size_t plen;
	char att[16];
	int rc = -1;

	if ((r = db_query(c, "actions job", "SELECT x.kind, x.account, "
	    "a.account_url, a.ca, a.directory_url, coalesce(ic.cert_pem, ''), "
	    "coalesce(ic.certificate, ''), coalesce(x.reason, 0), "
	    "coalesce(x.new_key_thumbprint, ''), x.trace_id, "
	    "coalesce(ca.trust, '') FROM ca_actions x "
	    "JOIN acme_accounts a ON a.id = x.account JOIN cas ca ON "
	    "ca.name = a.ca LEFT JOIN issued_certificates ic ON "
	    "ic.id = x.issued_certificate WHERE x.id = $1", 1, &id, NULL, NULL,
	    err, errlen)) == NULL)
		return -1;
	if (PQntuples(r) != 1 || PQgetisnull(r, 0, 2)) {
		snprintf(err, errlen, "actions: %s has no registered account", id);
		goto out;
	}
	memset(&ja, 0, sizeof(ja));
	if (actions_kind_parse(PQgetvalue(r, 0, 0), &ja.kind) < 0) {
		snprintf(err, errlen, "actions: %s has an unknown kind", id);
		goto out;
	}
	ja.job_id = id;
	ja.attempt = attempt;
	ja.trace_id = PQgetvalue(r, 0, 9);
	ja.account_id = PQgetvalue(r, 0, 1);
	ja.account_url = PQgetvalue(r, 0, 2);
	ja.ca_name = PQgetvalue(r, 0, 3);
	ja.directory_url = PQgetvalue(r, 0, 4);
	ja.trust = PQgetvalue(r, 0, 10);
	ja.certificate_id = PQgetvalue(r, 0, 6);
	ja.reason = (uint32_t)atoi(PQgetvalue(r, 0, 7));
	ja.new_key_thumbprint = PQgetvalue(r, 0, 8);
	if (ja.kind == JOBMSG_ACTION_REVOKE) {
		pem = PQgetvalue(r, 0, 5);
		if ((der = pem_to_der(pem, strlen(pem), "CERTIFICATE",
		    &ja.cert_len, err, errlen)) == NULL)
			goto out;
		ja.cert_der = der;
	}
	if ((payload = jobmsg_action_encode(&ja, &plen)) == NULL) {
		snprintf(err, errlen, "actions: job %s does not encode", id);
		goto out;
	}
	snprintf(att, sizeof(att), "%u", attempt);
	if (outbox_add(c, kafkaconn_topic_jobs(), ja.ca_name, payload, plen, id,
	    attempt, delay_s, ja.ca_name, 0, 0, err, errlen) < 0 ||
	    db_exec(c, "actions attempt", "UPDATE ca_actions SET attempt = $2, "
	    "updated_at = now() WHERE id = $1", 2, (const char *[]){ id, att },
	    NULL, NULL, err, errlen) < 0)
		goto out;
	log_info_ctx(LOG_JOB(id, attempt, ja.trace_id, NULL), "%s queued",
	    actions_kind_names[ja.kind]);
	rc = 0;
out:
	free(payload);
	free(der);
	PQclear(r);
	return rc;
}

/* Inserts the action row and queues attempt 1, in the open transaction. */
static int
actions_create(PGconn *c, enum jobmsg_action_kind kind, const char *account,
    const char *issued, const char *reason, const char *thumbprint,
    char id[IDS_LEN + 1], char *err, size_t errlen)
{
	char trace[IDS_TRACE_LEN + 1];
	const char *v[7];

	if (ids_new(id) < 0 || ids_trace(trace) < 0) {
		snprintf(err, errlen, "actions: no random ids");
		return -1;
	}
	v[0] = id;
	v[1] = actions_kind_names[kind];
	v[2] = account;
	v[3] = issued;
	v[4] = reason;
	v[5] = thumbprint;
	v[6] = trace;
	if (db_exec(c, "actions insert", "INSERT INTO ca_actions (id, kind, "
	    "account, issued_certificate, reason, new_key_thumbprint, trace_id) "
	    "VALUES ($1, $2, $3, $4, $5::integer, $6, $7)", 7, v, NULL, NULL, err,
	    errlen) < 0)
		return -1;
	return actions_queue(c, id, 1, 0, err, errlen);
}

enum actions_status
actions_revoke_in(PGconn *c, const char *cert_id, int reason,
    char id[IDS_LEN + 1], char *err, size_t errlen)
{
	PGresult *r = NULL, *p = NULL;
	char rs[16];
	enum actions_status st = ACTIONS_ERROR;

	/* Signed by the account the certificate was ordered under, at the
	 * directory that issued it (the CA may point elsewhere now). */
	if ((r = db_query(c, "actions revoke", "SELECT c.current_issued, "
	    "ic.revoked_at IS NOT NULL, a.id, a.account_url, "
	    "coalesce(a.status, 'missing') FROM certificates c LEFT JOIN "
	    "issued_certificates ic ON ic.id = c.current_issued LEFT JOIN "
	    "orders o ON o.id = ic.order_id LEFT JOIN acme_accounts a ON a.id = "
	    "coalesce(o.account, (SELECT a2.id FROM acme_accounts a2 JOIN cas "
	    "ca ON ca.name = a2.ca AND ca.directory_url = a2.directory_url "
	    "WHERE a2.ca = coalesce(o.ca, c.ca))) WHERE c.id = $1 FOR UPDATE OF "
	    "c", 1, &cert_id, NULL, NULL, err, errlen)) == NULL)
		goto out;
	if (PQntuples(r) == 0) {
		snprintf(err, errlen, "no certificate %s", cert_id);
		st = ACTIONS_NOT_FOUND;
		goto out;
	}
	st = ACTIONS_CONFLICT;
	if (PQgetisnull(r, 0, 0)) {
		snprintf(err, errlen, "certificate %s is not issued: nothing to "
		    "revoke", cert_id);
		goto out;
	}
	if (strcmp(PQgetvalue(r, 0, 1), "t") == 0) {
		snprintf(err, errlen, "certificate %s is already revoked", cert_id);
		goto out;
	}
	if (PQgetisnull(r, 0, 3) || strcmp(PQgetvalue(r, 0, 4), "valid") != 0) {
		snprintf(err, errlen, "the CA's account is %s: it cannot revoke",
		    PQgetvalue(r, 0, 4));
		goto out;
	}
	st = ACTIONS_ERROR;
	if ((p = db_query(c, "actions pending revoke", "SELECT id FROM ca_actions "
	    "WHERE issued_certificate = $1 AND status = 'pending'", 1,
	    (const char *[]){ PQgetvalue(r, 0, 0) }, NULL, NULL, err,
	    errlen)) == NULL)
		goto out;
	if (PQntuples(p) > 0) {
		snprintf(id, IDS_LEN + 1, "%s", PQgetvalue(p, 0, 0));
		st = ACTIONS_QUEUED;
		goto out;
	}
	snprintf(rs, sizeof(rs), "%d", reason);
	if (actions_create(c, JOBMSG_ACTION_REVOKE, PQgetvalue(r, 0, 2),
	    PQgetvalue(r, 0, 0), rs, NULL, id, err, errlen) < 0)
		goto out;
	st = ACTIONS_QUEUED;
out:
	PQclear(p);
	PQclear(r);
	return st;
}

enum actions_status
actions_revoke(PGconn *c, const char *cert_id, int reason,
    char id[IDS_LEN + 1], char *err, size_t errlen)
{
	enum actions_status st;

	if (db_begin(c, err, errlen) < 0)
		return ACTIONS_ERROR;
	st = actions_revoke_in(c, cert_id, reason, id, err, errlen);
	if (st == ACTIONS_QUEUED && db_commit(c, err, errlen) < 0)
		st = ACTIONS_ERROR;
	if (st != ACTIONS_QUEUED || PQtransactionStatus(c) != PQTRANS_IDLE)
		db_rollback(c);
	return st;
}

/* Locks account id; returns its row or NULL (st set: NOT_FOUND, CONFLICT
 * when unregistered or deactivated, ERROR). */
static PGresult *
actions_account_lock(PGconn *c, const char *account_id,
    enum actions_status *st, char *err, size_t errlen)
{
	PGresult *r;

	*st = ACTIONS_ERROR;
	if ((r = db_query(c, "actions account", "SELECT status, account_url, "
	    "pending_key_ciphertext IS NOT NULL FROM acme_accounts WHERE id = $1 "
	    "FOR UPDATE", 1, &account_id, NULL, NULL, err, errlen)) == NULL)
		return NULL;
	if (PQntuples(r) == 0) {
		snprintf(err, errlen, "no account %s", account_id);
		*st = ACTIONS_NOT_FOUND;
	} else if (strcmp(PQgetvalue(r, 0, 0), "valid") != 0 ||
	    PQgetisnull(r, 0, 1)) {
		snprintf(err, errlen, "account %s is %s, not valid", account_id,
		    PQgetvalue(r, 0, 0));
		*st = ACTIONS_CONFLICT;
	} else
		return r;
	PQclear(r);
	return NULL;
}

enum actions_status
actions_rollover(PGconn *c, const struct vault *v, const char *account_id,
    enum keys_type t, char id[IDS_LEN + 1], char *err, size_t errlen)
{
	struct vault_box box = { 0 };
	struct jws_key *jk = NULL;
	enum actions_status st = ACTIONS_ERROR;
	EVP_PKEY *k = NULL;
	PGresult *r = NULL;
	char *pem = NULL, *tp = NULL, aad[VAULT_AAD_MAX];
	size_t pemlen = 0;
	const char *p[6];
	int lens[6] = { 0 }, fmts[6] = { 0 };

	if ((k = keys_generate(t, err, errlen)) == NULL)
		return ACTIONS_ERROR;
	if ((pem = keys_private_pem(k, &pemlen)) == NULL ||
	    (jk = jws_key_from_pem(pem, pemlen, err, errlen)) == NULL ||
	    (tp = jws_thumbprint(jk)) == NULL) {
		snprintf(err, errlen, "actions: the new key does not encode");
		goto out;
	}
	vault_aad(VAULT_ACCOUNT_KEY, account_id, aad);
	if (vault_seal(v, pem, pemlen, aad, &box, err, errlen) < 0 ||
	    db_begin(c, err, errlen) < 0)
		goto out;
	if ((r = actions_account_lock(c, account_id, &st, err, errlen)) == NULL)
		goto out;
	if (strcmp(PQgetvalue(r, 0, 2), "t") == 0) {
		snprintf(err, errlen, "a key rollover of account %s is already "
		    "pending", account_id);
		st = ACTIONS_CONFLICT;
		goto out;
	}
	st = ACTIONS_ERROR;
	p[0] = account_id;
	p[1] = keys_type_name(t);
	db_bind_box(p, lens, fmts, 2, &box);
	if (db_exec(c, "actions pending key", "UPDATE acme_accounts SET "
	    "pending_key_type = $2, pending_key_ciphertext = $3, "
	    "pending_key_nonce = $4, pending_key_tag = $5, pending_key_id = $6, "
	    "updated_at = now() WHERE id = $1", 6, p, lens, fmts, err,
	    errlen) < 0 ||
	    actions_create(c, JOBMSG_ACTION_ROLLOVER, account_id, NULL, NULL, tp, id,
	    err, errlen) < 0 || db_commit(c, err, errlen) < 0)
		goto out;
	log_info("account %s: key rollover to a new %s key queued (%s)",
	    account_id, keys_type_name(t), id);
	st = ACTIONS_QUEUED;
out:
	if (st != ACTIONS_QUEUED)
		db_rollback(c);
	PQclear(r);
	free(tp);
	jws_key_free(jk);
	keys_pem_free(pem, pemlen);
	vault_box_clear(&box);
	EVP_PKEY_free(k);
	return st;
}

enum actions_status
actions_deactivate(PGconn *c, const char *account_id, char id[IDS_LEN + 1],
    char *err, size_t errlen)
{
	enum actions_status st = ACTIONS_ERROR;
	PGresult *r = NULL;

	if (db_begin(c, err, errlen) < 0)
		return ACTIONS_ERROR;
	if ((r = actions_account_lock(c, account_id, &st, err, errlen)) == NULL)
		goto out;
	st = ACTIONS_ERROR;
	if (actions_create(c, JOBMSG_ACTION_DEACTIVATE, account_id, NULL, NULL,
	    NULL, id, err, errlen) < 0 || db_commit(c, err, errlen) < 0)
		goto out;
	st = ACTIONS_QUEUED;
out:
	if (st != ACTIONS_QUEUED)
		db_rollback(c);
	PQclear(r);
	return st;
}

int
actions_pending_key_pem(PGconn *c, const struct vault *v, const char *id,
    char **pem, size_t *len, char *err, size_t errlen)
{
	PGresult *r;
	int rc = -1;

	if ((r = db_query(c, "actions pending key", "SELECT "
	    "pending_key_ciphertext, pending_key_nonce, pending_key_tag, "
	    "pending_key_id FROM acme_accounts WHERE id = $1 AND "
	    "pending_key_ciphertext IS NOT NULL", 1, &id, NULL, NULL, err,
	    errlen)) == NULL)
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

/* The CA confirmed: the state change of each kind. */
static int
actions_apply_done(PGconn *c, const Certfleet__Event *e, PGresult *r,
    char *err, size_t errlen)
{
	enum jobmsg_action_kind k;
	const char *account = PQgetvalue(r, 0, 1);
	const char *issued = PQgetvalue(r, 0, 2);

	if (actions_kind_parse(PQgetvalue(r, 0, 0), &k) < 0) {
		snprintf(err, errlen, "actions: unknown kind");
		return -1;
	}
	switch (k) {
	case JOBMSG_ACTION_REVOKE:
		if (db_exec(c, "actions revoked", "UPDATE issued_certificates SET "
		    "revoked_at = now(), revocation_reason = $2::integer WHERE "
		    "id = $1", 2, (const char *[]){ issued, PQgetvalue(r, 0, 3) },
		    NULL, NULL, err, errlen) < 0 ||
		    db_exec(c, "actions certificate revoked", "UPDATE certificates "
		    "SET status = 'revoked', renew_at = NULL, updated_at = now() "
		    "WHERE current_issued = $1 AND status <> 'deleted'", 1, &issued, NULL, NULL, err,
		    errlen) < 0)
			return -1;
		log_info_ctx(LOG_JOB(e->job_id, e->attempt, e->trace_id, NULL),
		    "issued certificate %s revoked (%s%s)", issued,
		    PQgetvalue(r, 0, 3), e->ca_action_done->already_revoked ?
		    ", already revoked" : "");
		return 0;
	case JOBMSG_ACTION_ROLLOVER:
		if (db_exec(c, "actions key rolled", "UPDATE acme_accounts SET "
		    "key_type = pending_key_type, key_ciphertext = "
		    "pending_key_ciphertext, key_nonce = pending_key_nonce, key_tag = "
		    "pending_key_tag, key_id = pending_key_id, pending_key_type = "
		    "NULL, pending_key_ciphertext = NULL, pending_key_nonce = NULL, "
		    "pending_key_tag = NULL, pending_key_id = NULL, key_rolled_at = "
		    "now(), updated_at = now() WHERE id = $1 AND "
		    "pending_key_ciphertext IS NOT NULL", 1, &account, NULL, NULL,
		    err, errlen) < 0)
			return -1;
		log_info_ctx(LOG_JOB(e->job_id, e->attempt, e->trace_id, NULL),
		    "account %s now signs with its new key", account);
		return 0;
	case JOBMSG_ACTION_DEACTIVATE:
		if (db_exec(c, "actions deactivated", "UPDATE acme_accounts SET "
		    "status = 'deactivated', deactivated_at = now(), updated_at = "
		    "now() WHERE id = $1", 1, &account, NULL, NULL, err, errlen) < 0)
			return -1;
		log_info_ctx(LOG_JOB(e->job_id, e->attempt, e->trace_id, NULL),
		    "account %s deactivated", account);
		return 0;
	}
	return -1;
}

/* Failed or deferred: problem recorded, then retried or given up. */
static int
actions_apply_unhappy(PGconn *c, const struct settings *s,
    const Certfleet__Event *e, PGresult *r, char *err, size_t errlen)
{
	int deferred = e->kind_case == CERTFLEET__EVENT__KIND_DEFERRED;
	const Certfleet__Problem *p = deferred ? e->deferred->problem :
	    e->failed->problem;
	char att[16], st[16];
	double delay;

	snprintf(att, sizeof(att), "%u", e->attempt);
	snprintf(st, sizeof(st), "%d", p->status);
	if (db_exec(c, "actions problem", "INSERT INTO acme_problems (job_id, "
	    "attempt, type, detail, status) VALUES ($1, $2, $3, $4, "
	    "nullif($5, '0')::integer)", 5, (const char *[]){ e->job_id, att,
	    p->type, p->detail, st }, NULL, NULL, err, errlen) < 0 ||
	    db_exec(c, "actions last problem", "UPDATE ca_actions SET "
	    "problem_type = $2, problem_detail = $3, updated_at = now() WHERE "
	    "id = $1", 3, (const char *[]){ e->job_id, p->type, p->detail }, NULL,
	    NULL, err, errlen) < 0)
		return -1;
	if (deferred || !retrysched_final(p, e->failed->retryable)) {
		delay = deferred ? fmax(0, (double)e->deferred->not_before_unix_ms /
		    1000.0 - (double)time(NULL)) :
		    retrysched_delay(&s->retry_sched, e->attempt);
		log_info_ctx(LOG_JOB(e->job_id, e->attempt, e->trace_id, NULL),
		    "%s (%s), attempt %u in %.0f s", proto_event_kind_name(e),
		    p->type, e->attempt + 1, delay);
		return actions_queue(c, e->job_id, e->attempt + 1, delay, err,
		    errlen);
	}
	if (db_exec(c, "actions failed", "UPDATE ca_actions SET status = "
	    "'failed', updated_at = now() WHERE id = $1", 1,
	    (const char *[]){ e->job_id }, NULL, NULL, err, errlen) < 0)
		return -1;
	if (strcmp(PQgetvalue(r, 0, 0), "rollover_account_key") == 0 &&
	    db_exec(c, "actions pending key dropped", "UPDATE acme_accounts SET "
	    "pending_key_type = NULL, pending_key_ciphertext = NULL, "
	    "pending_key_nonce = NULL, pending_key_tag = NULL, pending_key_id = "
	    "NULL, updated_at = now() WHERE id = $1", 1,
	    (const char *[]){ PQgetvalue(r, 0, 1) }, NULL, NULL, err, errlen) < 0)
		return -1;
	log_warn_ctx(LOG_JOB(e->job_id, e->attempt, e->trace_id, NULL), "%s "
	    "failed for good: %s: %s", PQgetvalue(r, 0, 0), p->type, p->detail);
	return 0;
}

enum results_outcome
actions_result(PGconn *c, const struct settings *s, const Certfleet__Event *e,
    char *err, size_t errlen)
{
	enum results_outcome out = RESULTS_RETRY;
	PGresult *r;
	int rc;

	if ((r = db_query(c, "actions result", "SELECT kind, account, "
	    "coalesce(issued_certificate, ''), coalesce(reason, 0)::text, "
	    "attempt, status FROM ca_actions WHERE id = $1 FOR UPDATE", 1,
	    (const char *[]){ e->job_id }, NULL, NULL, err, errlen)) == NULL)
		return RESULTS_RETRY;
	if (PQntuples(r) == 0) {
		log_warn_ctx(LOG_JOB(e->job_id, e->attempt, e->trace_id, NULL),
		    "%s for no known CA action, ignored",
		    proto_event_kind_name(e));
		out = RESULTS_IGNORED;
		goto out;
	}
	/* A confirmation counts whatever its attempt: the CA did it. */
	if (strcmp(PQgetvalue(r, 0, 5), "pending") != 0 ||
	    (e->kind_case != CERTFLEET__EVENT__KIND_CA_ACTION_DONE &&
	    (unsigned)atoi(PQgetvalue(r, 0, 4)) != e->attempt)) {
		out = RESULTS_IGNORED;
		goto out;
	}
	switch (e->kind_case) {
	case CERTFLEET__EVENT__KIND_CA_ACTION_DONE:
		rc = actions_apply_done(c, e, r, err, errlen);
		if (rc == 0)
			rc = (int)db_exec(c, "actions done", "UPDATE ca_actions SET "
			    "status = 'done', updated_at = now() WHERE id = $1", 1,
			    (const char *[]){ e->job_id }, NULL, NULL, err, errlen);
		break;
	case CERTFLEET__EVENT__KIND_FAILED:
	case CERTFLEET__EVENT__KIND_DEFERRED:
		rc = actions_apply_unhappy(c, s, e, r, err, errlen);
		break;
	default:
		out = RESULTS_IGNORED;
		goto out;
	}
	out = rc < 0 ? RESULTS_RETRY : RESULTS_APPLIED;
out:
	PQclear(r);
	return out;
}
