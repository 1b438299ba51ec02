/* acme_account.c -- the account operation: newAccount (register, or look up with onlyReturnExisting). */
#include "acme_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

enum account_step {
	ACCT_START,		/* ACME_STEP_START */
	ACCT_NEWACCOUNT,
};

/* Adds externalAccountBinding to the payload: it MACs the newAccount URL,
 * known only now that the directory is. Returns 0, or -1 with the op
 * failed. */
static int
account_bind(struct acme_op *op)
{
	json_t *o = NULL, *eab = NULL;
	char err[256], *txt = NULL, *s = NULL;
	int rc = -1;

	if ((txt = jws_eab(op->key, op->eab_kid, op->eab_hmac,
	    op->ca->new_account, err, sizeof(err))) == NULL) {
		acme_op_fail(op, 0, "newAccount: %s", err);
		return -1;
	}
	if ((o = json_loads(op->account_payload, 0, NULL)) == NULL ||
	    (eab = json_loads(txt, 0, NULL)) == NULL ||
	    json_object_set(o, "externalAccountBinding", eab) != 0 ||
	    (s = json_dumps(o, JSON_COMPACT)) == NULL) {
		acme_op_fail(op, 1, "out of memory");
		goto out;
	}
	free(op->account_payload);
	op->account_payload = s;
	rc = 0;
out:
	json_decref(eab);
	json_decref(o);
	free(txt);
	return rc;
}

static void
account_ready(struct acme_op *op)
{
	if (op->eab_kid != NULL && account_bind(op) < 0)
		return;
	op->step = ACCT_NEWACCOUNT;
	acme_op_post(op, "newAccount", op->ca->new_account,
	    op->account_payload, 0, 1);
}

static void
account_response(struct acme_op *op, struct acme_req *r)
{
	json_t *j;

	if ((j = acme_op_json(op, r, "newAccount")) == NULL)
		return;
	json_decref(j);		/* the account object is not needed */
	if (r->status != 200 && r->status != 201) {
		acme_op_fail(op, 1, "newAccount: unexpected HTTP %ld", r->status);
		return;
	}
	if (r->h.location == NULL) {
		acme_op_fail(op, 0, "newAccount: no valid Location header");
		return;
	}
	if ((op->account_url = strdup(r->h.location)) == NULL) {
		acme_op_fail(op, 1, "out of memory");
		return;
	}
	acme_op_succeed(op);
}

static void
account_timer(struct acme_op *op)
{
	acme_op_fail(op, 1, "account: unexpected timer");
}

/* {"termsOfServiceAgreed":..,"contact":[..]} or {"onlyReturnExisting":true} */
static char *
account_payload(const struct acme_account_params *p)
{
	json_t *o, *c = NULL;
	char *s = NULL;
	size_t i;

	if ((o = json_object()) == NULL)
		return NULL;
	if (p->only_return_existing) {
		if (json_object_set_new(o, "onlyReturnExisting", json_true()) != 0)
			goto out;
	} else {
		if (json_object_set_new(o, "termsOfServiceAgreed",
		    json_boolean(p->tos_agreed)) != 0)
			goto out;
		if (p->ncontacts > 0) {
			if ((c = json_array()) == NULL)
				goto out;
			for (i = 0; i < p->ncontacts; i++)
				if (json_array_append_new(c,
				    json_string(p->contacts[i])) != 0)
					goto out;
			if (json_object_set(o, "contact", c) != 0)
				goto out;
		}
	}
	s = json_dumps(o, JSON_COMPACT);
out:
	json_decref(c);
	json_decref(o);
	return s;
}

struct acme_op *
acme_account_start(struct acme_engine *e, const struct acme_account_params *p,
    acme_done_fn *done, void *arg, char *err, size_t errlen)
{
	struct acme_op *op = NULL;
	size_t i;

	if (p->key == NULL || done == NULL || p->directory == NULL) {
		snprintf(err, errlen, "acme_account_start: key, done and directory are required");
		return NULL;
	}
	if (p->ncontacts > ACME_CONTACTS_MAX) {
		snprintf(err, errlen, "acme_account_start: over %d contacts",
		    ACME_CONTACTS_MAX);
		return NULL;
	}
	for (i = 0; i < p->ncontacts; i++)
		if (p->contacts[i] == NULL || strlen(p->contacts[i]) > 256) {
			snprintf(err, errlen, "acme_account_start: bad contact");
			return NULL;
		}
	if ((p->eab_kid == NULL) != (p->eab_hmac == NULL) ||
	    (p->eab_kid != NULL && (p->eab_kid[0] == '\0' ||
	    p->only_return_existing))) {
		snprintf(err, errlen, "acme_account_start: an external account "
		    "binding needs both a key id and a MAC key, and a new account");
		return NULL;
	}
	if ((op = calloc(1, sizeof(*op))) == NULL ||
	    (op->account_payload = account_payload(p)) == NULL) {
		snprintf(err, errlen, "acme_account_start: out of memory");
		goto fail;
	}
	if (p->eab_kid != NULL && ((op->eab_kid = strdup(p->eab_kid)) == NULL ||
	    (op->eab_hmac = strdup(p->eab_hmac)) == NULL)) {
		snprintf(err, errlen, "acme_account_start: out of memory");
		goto fail;
	}
	op->kind = ACME_OP_ACCOUNT;
	op->key = p->key;
	op->done = done;
	op->arg = arg;
	op->on_ready = account_ready;
	op->on_response = account_response;
	op->on_timer = account_timer;
	if (acme_op_register(e, op, p->directory, p->ca_file,
	    p->deadline_s > 0 ? p->deadline_s : 120, err, errlen) < 0)
		goto fail;
	return op;
fail:
	if (op != NULL) {
		free(op->account_payload);
		free(op->eab_kid);
		if (op->eab_hmac != NULL)
			OPENSSL_cleanse(op->eab_hmac, strlen(op->eab_hmac));
		free(op->eab_hmac);
	}
	free(op);
	return NULL;
}
