/* acme_manage.c -- the management operations: revokeCert, account key rollover (keyChange) and account deactivation. */
#include "acme_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"

#define MANAGE_CERT_MAX	(64 * 1024)	/* DER of one certificate */

enum acme_manage_kind {
	MANAGE_REVOKE,
	MANAGE_KEYCHANGE,
	MANAGE_DEACTIVATE,
};

enum manage_step {
	MANAGE_START,		/* ACME_STEP_START */
	MANAGE_POSTED,
};

/* The keyChange payload: the inner JWS, signed by the new key. */
static char *
manage_keychange_payload(struct acme_op *op, char *err, size_t errlen)
{
	json_t *o = NULL, *oldjwk = NULL;
	char *jwk = NULL, *inner = NULL, *payload = NULL;

	if ((jwk = jws_jwk(op->key)) == NULL ||
	    (oldjwk = json_loads(jwk, 0, NULL)) == NULL ||
	    (o = json_pack("{s:s, s:O}", "account", op->kid, "oldKey",
	    oldjwk)) == NULL || (payload = json_dumps(o, JSON_COMPACT)) == NULL) {
		snprintf(err, errlen, "keyChange: out of memory");
		goto out;
	}
	inner = jws_sign(op->new_key, NULL, NULL, op->ca->key_change, payload,
	    err, errlen);
out:
	free(payload);
	json_decref(o);
	json_decref(oldjwk);
	free(jwk);
	return inner;
}

static void
manage_ready(struct acme_op *op)
{
	char err[256], *inner;

	op->step = MANAGE_POSTED;
	switch (op->manage) {
	case MANAGE_REVOKE:
		if (op->ca->revoke_cert == NULL) {
			acme_op_fail(op, 0, "revokeCert: the CA's directory has none");
			return;
		}
		acme_op_post(op, "revokeCert", op->ca->revoke_cert,
		    op->manage_payload, 0, 0);
		break;
	case MANAGE_KEYCHANGE:
		if (op->ca->key_change == NULL) {
			acme_op_fail(op, 0, "keyChange: the CA's directory has none");
			return;
		}
		if ((inner = manage_keychange_payload(op, err, sizeof(err))) ==
		    NULL) {
			acme_op_fail(op, 0, "%s", err);
			return;
		}
		acme_op_post(op, "keyChange", op->ca->key_change, inner, 0, 0);
		free(inner);
		break;
	default:
		acme_op_post(op, "account", op->kid, op->manage_payload, 0, 0);
		break;
	}
}

/* Is r the problem type urn:ietf:params:acme:error:<want>? */
static int
manage_problem_is(const struct acme_req *r, const char *want)
{
	struct acme_problem p;
	char err[64], full[96];
	int is;

	if (r->cc != CURLE_OK || r->status < 400 ||
	    !acme_ctype_is(r->ctype, "application/problem+json") ||
	    acme_problem_parse(r->body != NULL ? r->body : "", r->len, r->status,
	    &p, err, sizeof(err)) < 0)
		return 0;
	snprintf(full, sizeof(full), "urn:ietf:params:acme:error:%s", want);
	is = strcmp(p.type, full) == 0;
	acme_problem_free(&p);
	return is;
}

static void
manage_response(struct acme_op *op, struct acme_req *r)
{
	const char *st;
	json_t *j;

	switch (op->manage) {
	case MANAGE_REVOKE:
		/* 200 with an empty body; no JSON to read. */
		if (r->cc == CURLE_OK && r->status == 200) {
			acme_op_succeed(op);
			return;
		}
		if (manage_problem_is(r, "alreadyRevoked")) {
			op->already_revoked = 1;
			acme_op_succeed(op);
			return;
		}
		acme_op_fail_resp(op, r, "revokeCert");
		return;
	case MANAGE_KEYCHANGE:
		/* 200; the body (the account, or nothing at Pebble) is not
		 * needed. */
		if (r->cc == CURLE_OK && r->status == 200)
			acme_op_succeed(op);
		else
			acme_op_fail_resp(op, r, "keyChange");
		return;
	default:
		if ((j = acme_op_json(op, r, "deactivate")) == NULL)
			return;
		st = json_string_value(json_object_get(j, "status"));
		if (st == NULL || strcmp(st, "deactivated") != 0)
			acme_op_fail(op, 0, "deactivate: the account's status is "
			    "%.32s, not deactivated", st != NULL ? st : "absent");
		else
			acme_op_succeed(op);
		json_decref(j);
		return;
	}
}

static void
manage_timer(struct acme_op *op)
{
	acme_op_fail(op, 1, "manage: unexpected timer");
}

/* Common part of the three starts: checks, allocation, registration. */
static struct acme_op *
manage_start(struct acme_engine *e, const struct acme_manage_params *p,
    int kind, char *payload, const struct jws_key *new_key, acme_done_fn *done,
    void *arg, char *err, size_t errlen)
{
	struct acme_op *op = NULL;

	if (p->key == NULL || done == NULL || p->directory == NULL ||
	    (kind == MANAGE_KEYCHANGE && new_key == NULL)) {
		snprintf(err, errlen, "acme manage: key, done and directory are "
		    "required");
		goto fail;
	}
	if (!acme_url_ok(p->account_url)) {
		snprintf(err, errlen, "acme manage: bad account URL");
		goto fail;
	}
	if (kind != MANAGE_KEYCHANGE && payload == NULL) {
		snprintf(err, errlen, "acme manage: out of memory");
		goto fail;
	}
	if ((op = calloc(1, sizeof(*op))) == NULL ||
	    (op->kid = strdup(p->account_url)) == NULL ||
	    (op->account_url = strdup(p->account_url)) == NULL) {
		snprintf(err, errlen, "acme manage: out of memory");
		goto fail;
	}
	op->kind = ACME_OP_MANAGE;
	op->manage = kind;
	op->manage_payload = payload;
	payload = NULL;
	op->key = p->key;
	op->new_key = new_key;
	op->done = done;
	op->arg = arg;
	op->on_ready = manage_ready;
	op->on_response = manage_response;
	op->on_timer = manage_timer;
	if (acme_op_register(e, op, p->directory, p->ca_file,
	    p->deadline_s > 0 ? p->deadline_s : 120, err, errlen) < 0)
		goto fail;
	return op;
fail:
	free(payload);
	if (op != NULL) {
		free(op->manage_payload);
		free(op->kid);
		free(op->account_url);
	}
	free(op);
	return NULL;
}

struct acme_op *
acme_revoke_start(struct acme_engine *e, const struct acme_manage_params *p,
    const unsigned char *cert_der, size_t cert_len, int reason,
    acme_done_fn *done, void *arg, char *err, size_t errlen)
{
	json_t *o;
	char *b64, *payload = NULL;

	if (!acme_revoke_reason_ok(reason)) {
		snprintf(err, errlen, "acme_revoke_start: reason %d is not one of "
		    "0, 1, 3, 4, 5", reason);
		return NULL;
	}
	if (cert_der == NULL || cert_len == 0 || cert_len > MANAGE_CERT_MAX ||
	    cert_der[0] != 0x30) {
		snprintf(err, errlen, "acme_revoke_start: certificate is not DER");
		return NULL;
	}
	if ((b64 = b64url_encode(cert_der, cert_len)) != NULL &&
	    (o = json_pack("{s:s, s:i}", "certificate", b64, "reason",
	    reason)) != NULL) {
		payload = json_dumps(o, JSON_COMPACT);
		json_decref(o);
	}
	free(b64);
	return manage_start(e, p, MANAGE_REVOKE, payload, NULL, done, arg, err,
	    errlen);
}

struct acme_op *
acme_keychange_start(struct acme_engine *e, const struct acme_manage_params *p,
    const struct jws_key *new_key, acme_done_fn *done, void *arg, char *err,
    size_t errlen)
{
	return manage_start(e, p, MANAGE_KEYCHANGE, NULL, new_key, done, arg,
	    err, errlen);
}

struct acme_op *
acme_deactivate_start(struct acme_engine *e,
    const struct acme_manage_params *p, acme_done_fn *done, void *arg,
    char *err, size_t errlen)
{
	return manage_start(e, p, MANAGE_DEACTIVATE,
	    strdup("{\"status\":\"deactivated\"}"), NULL, done, arg, err, errlen);
}
