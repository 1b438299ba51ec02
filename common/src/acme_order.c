/* acme_order.c -- the order operation: newOrder or resume, authorizations and http-01 or dns-01, finalize, certificate and alternates. */
#include "acme_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "b64.h"
#include "log.h"
#include "pem.h"

#define ORDER_CSR_MAX	(64 * 1024)
#define ORDER_NAME_MAX	253

enum order_step {
	ORD_START,		/* ACME_STEP_START */
	ORD_NEWORDER,		/* POST newOrder */
	ORD_READ,		/* POST-as-GET the order (also its poll timer) */
	ORD_AUTHZ,		/* POST-as-GET authz[authz_i] (also round timer) */
	ORD_CHALL,		/* POST {} to the challenge */
	ORD_AUTHZ_POLL,		/* POST-as-GET authz[authz_i] until final */
	ORD_FINALIZE,		/* POST the CSR */
	ORD_CERT,		/* POST-as-GET the chain */
	ORD_ALT,		/* POST-as-GET alt_urls[alt_i] */
};

static void order_authz_next(struct acme_op *);
static void order_poll_next(struct acme_op *, int);

static void
order_get(struct acme_op *op, int step, const char *url, int pem)
{
	op->step = step;
	acme_op_post(op, url, NULL, pem, 0);
}

/* Reports the order URL once; 1 when the op ended inside the callback. */
static int
order_report(struct acme_op *op)
{
	if (op->order_reported || op->cb.order_created == NULL)
		return 0;
	op->order_reported = 1;
	acme_op_cb_enter(op);
	op->cb.order_created(op->cb.arg, op->order_url);
	return acme_op_cb_leave(op);
}

/* Withdraws one begun challenge through the callback of its type. */
static void
order_chal_close(struct acme_op *op, struct acme_chal *c, int valid)
{
	c->ended = 1;
	if (op->dns01)
		op->dns.end(op->cb.arg, c->domain, c->token, c->txt, valid);
	else
		op->cb.challenge_end(op->cb.arg, c->token);
}

/* Withdraws the begun challenges of authz, valid or not; 1 when the op
 * ended inside a callback. */
static int
order_chal_end(struct acme_op *op, size_t authz, int valid)
{
	size_t i;

	for (i = 0; i < op->nchals; i++) {
		if (op->chals[i].ended || op->chals[i].authz != authz)
			continue;
		acme_op_cb_enter(op);
		order_chal_close(op, &op->chals[i], valid);
		if (acme_op_cb_leave(op))
			return 1;	/* ended: on_end closed the rest */
	}
	return 0;
}

static void
order_on_end(struct acme_op *op)
{
	size_t i;

	for (i = 0; i < op->nchals; i++)
		if (!op->chals[i].ended)
			order_chal_close(op, &op->chals[i], 0);
}

/* Publishes the answer for token (dns-01: the TXT value for domain); 0 to
 * go on, -1 when the op ended. */
static int
order_chal_begin(struct acme_op *op, const char *token, const char *domain)
{
	struct acme_chal *c;
	char *ka, *tok = NULL, *dom = NULL, *txt = NULL;
	size_t i;
	int rc;

	for (i = 0; i < op->nchals; i++)
		if (!op->chals[i].ended && strcmp(op->chals[i].token, token) == 0)
			return 0;	/* already published */
	if ((ka = jws_key_authorization(op->key, token)) == NULL) {
		acme_op_fail(op, 0, "challenge token is not base64url");
		return -1;
	}
	if ((tok = strdup(token)) == NULL ||
	    (op->dns01 && ((dom = strdup(domain)) == NULL ||
	    (txt = jws_dns01_txt(ka)) == NULL)) ||
	    (c = reallocarray(op->chals, op->nchals + 1, sizeof(*c))) == NULL) {
		free(tok);
		free(dom);
		free(txt);
		explicit_bzero(ka, strlen(ka));
		free(ka);
		acme_op_fail(op, 1, "out of memory");
		return -1;
	}
	op->chals = c;
	acme_op_cb_enter(op);
	if (op->dns01)
		rc = op->dns.begin(op->cb.arg, dom, tok, txt);
	else
		rc = op->cb.challenge_begin(op->cb.arg, tok, ka);
	explicit_bzero(ka, strlen(ka));
	free(ka);
	if (rc == 0) {
		c[op->nchals].token = tok;
		c[op->nchals].authz = op->authz_i;
		c[op->nchals].ended = 0;
		c[op->nchals].domain = dom;
		c[op->nchals].txt = txt;
		op->nchals++;
	} else {
		free(tok);
		free(dom);
		free(txt);
	}
	if (acme_op_cb_leave(op))
		return -1;
	if (rc != 0) {
		acme_op_fail(op, 1, "challenge_begin failed to publish the answer");
		return -1;
	}
	return 0;
}

/* Takes the order's authorization URLs once; -1 with the op failed. */
static int
order_take_authz(struct acme_op *op, json_t *j)
{
	json_t *a = json_object_get(j, "authorizations");
	const char *u;
	size_t i, n;

	if (op->authz != NULL)
		return 0;
	if (!json_is_array(a) || (n = json_array_size(a)) == 0 ||
	    n > ACME_IDENTIFIERS_MAX) {
		acme_op_fail(op, 0, "order: no valid authorizations list");
		return -1;
	}
	if ((op->authz = calloc(n, sizeof(*op->authz))) == NULL ||
	    (op->authz_final = calloc(n, sizeof(*op->authz_final))) == NULL) {
		acme_op_fail(op, 1, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		u = json_string_value(json_array_get(a, i));
		if (!acme_url_ok(u) || (op->authz[op->nauthz] = strdup(u)) == NULL) {
			acme_op_fail(op, 0, "order: bad authorization URL");
			return -1;
		}
		op->nauthz++;
	}
	return 0;
}

/* Replaces *dst by a copy of the URL member key when present. */
static int
order_take_url(json_t *j, const char *key, char **dst)
{
	const char *u = acme_json_url(j, key);
	char *c;

	if (u == NULL)
		return json_object_get(j, key) == NULL ? 0 : -1;
	if ((c = strdup(u)) == NULL)
		return -1;
	free(*dst);
	*dst = c;
	return 0;
}

static void
order_finalize(struct acme_op *op)
{
	char *b = NULL, *payload = NULL;
	size_t n;

	if (op->finalize_tries >= ACME_FINALIZE_TRIES) {
		acme_op_fail(op, 1, "finalize: order still ready after %d tries",
		    op->finalize_tries);
		return;
	}
	op->finalize_tries++;
	if ((b = b64url_encode(op->csr, op->csrlen)) == NULL ||
	    (payload = malloc((n = strlen(b) + 16))) == NULL) {
		free(b);
		acme_op_fail(op, 1, "out of memory");
		return;
	}
	snprintf(payload, n, "{\"csr\":\"%s\"}", b);
	op->step = ORD_FINALIZE;
	acme_op_post(op, op->finalize_url, payload, 0, 0);
	free(b);
	free(payload);
}

/* Acts on an order object (from newOrder, a read or finalize). */
static void
order_handle(struct acme_op *op, json_t *j, const struct acme_req *r)
{
	const char *st = json_string_value(json_object_get(j, "status"));
	struct acme_order_view v;
	char err[128];

	if (acme_order_view(j, &v, err, sizeof(err)) < 0) {
		acme_op_fail(op, 0, "%s", err);
		return;
	}
	if (order_take_authz(op, j) < 0)
		return;
	if (order_take_url(j, "finalize", &op->finalize_url) < 0 ||
	    order_take_url(j, "certificate", &op->cert_url) < 0 ||
	    op->finalize_url == NULL) {
		acme_op_fail(op, 0, "order: bad finalize or certificate URL");
		return;
	}
	if (strcmp(st, "pending") == 0) {
		op->authz_i = 0;
		op->step = ORD_AUTHZ;
		if (op->rounds++ > 0)	/* authorizations done, order lags */
			acme_op_poll_later(op, r);
		else
			order_authz_next(op);
	} else if (strcmp(st, "ready") == 0)
		order_finalize(op);
	else if (strcmp(st, "processing") == 0) {
		op->step = ORD_READ;
		acme_op_poll_later(op, r);
	} else if (strcmp(st, "valid") == 0) {
		if (op->cert_url == NULL)
			acme_op_fail(op, 0, "order: valid without a certificate URL");
		else
			order_get(op, ORD_CERT, op->cert_url, 1);
	} else if (strcmp(st, "invalid") == 0)
		acme_op_fail_problem(op, json_object_get(j, "error"),
		    "order is invalid");
	else
		acme_op_fail(op, 0, "order: unexpected status");
}

static const char *
order_chal_type(const struct acme_op *op)
{
	return op->dns01 ? "dns-01" : "http-01";
}

/* Name check: LDH labels and dots, an optional leading "*.", no more. */
static int
order_name_ok(const char *n)
{
	size_t i, len = strlen(n);

	if (len == 0 || len > ORDER_NAME_MAX)
		return 0;
	if (strncmp(n, "*.", 2) == 0)
		n += 2, len -= 2;
	for (i = 0; i < len; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= 'A' && n[i] <= 'Z') ||
		    (n[i] >= '0' && n[i] <= '9') || n[i] == '-' || n[i] == '.'))
			return 0;
	return len > 0;
}

/* The DNS identifier an authorization is for, without any "*." (RFC 8555
 * section 7.1.4 gives the base domain with "wildcard": true), or NULL when
 * it is missing or not a plain LDH name. */
static const char *
order_authz_domain(json_t *authz)
{
	json_t *id = json_object_get(authz, "identifier");
	const char *v = json_string_value(json_object_get(id, "value"));
	const char *t = json_string_value(json_object_get(id, "type"));

	if (v == NULL || t == NULL || strcmp(t, "dns") != 0)
		return NULL;
	if (strncmp(v, "*.", 2) == 0)
		v += 2;
	return order_name_ok(v) && v[0] != '*' ? v : NULL;
}

/* The challenge of our type in an authorization, or NULL. */
static json_t *
order_find_chal(struct acme_op *op, json_t *authz)
{
	json_t *cs = json_object_get(authz, "challenges"), *c;
	size_t i;

	if (!json_is_array(cs))
		return NULL;
	json_array_foreach(cs, i, c) {
		if (json_is_object(c) &&
		    json_is_string(json_object_get(c, "type")) &&
		    strcmp(json_string_value(json_object_get(c, "type")),
		    order_chal_type(op)) == 0)
			return c;
	}
	return NULL;
}

/* The error of an invalid authorization: that of its failed challenge. */
static json_t *
order_authz_error(json_t *authz)
{
	json_t *cs = json_object_get(authz, "challenges"), *c, *e;
	size_t i;

	json_array_foreach(cs, i, c) {
		if (json_is_object(e = json_object_get(c, "error")))
			return e;
	}
	return NULL;
}

static void
order_authz_response(struct acme_op *op, struct acme_req *r)
{
	json_t *j, *c;
	const char *st, *cst, *tok, *curl, *dom = NULL;
	struct acme_authz_view v;
	char err[128];

	if ((j = acme_op_json(op, r, "authorization")) == NULL)
		return;
	st = json_string_value(json_object_get(j, "status"));
	if (acme_authz_view(j, NULL, &v, err, sizeof(err)) < 0)
		acme_op_fail(op, 0, "%s", err);
	else if (strcmp(st, "valid") == 0) {
		op->authz_final[op->authz_i++] = 1;
		order_authz_next(op);
	} else if (strcmp(st, "invalid") == 0)
		acme_op_fail_problem(op, order_authz_error(j),
		    "authorization is invalid");
	else if (strcmp(st, "pending") != 0)
		acme_op_fail(op, 0, "authorization is %.32s", st);
	else if ((c = order_find_chal(op, j)) == NULL)
		acme_op_fail(op, 0, "authorization offers no %s challenge",
		    order_chal_type(op));
	else if (op->dns01 && (dom = order_authz_domain(j)) == NULL)
		acme_op_fail(op, 0, "authorization: bad dns identifier");
	else if ((cst = json_string_value(json_object_get(c, "status"))) == NULL ||
	    (tok = json_string_value(json_object_get(c, "token"))) == NULL ||
	    !b64url_charset_ok(tok, strlen(tok)) || strlen(tok) > 256 ||
	    (curl = acme_json_url(c, "url")) == NULL)
		acme_op_fail(op, 0, "challenge: bad status, token or url");
	else if (strcmp(cst, "invalid") == 0)
		acme_op_fail_problem(op, json_object_get(c, "error"),
		    "challenge is invalid");
	else if (order_chal_begin(op, tok, dom) < 0)
		;	/* op ended */
	else if (strcmp(cst, "pending") == 0) {
		op->step = ORD_CHALL;
		acme_op_post(op, curl, "{}", 0, 0);
	} else {		/* processing or valid: triggered earlier */
		op->authz_i++;
		order_authz_next(op);
	}
	json_decref(j);
}

static void
order_authz_next(struct acme_op *op)
{
	while (op->authz_i < op->nauthz && op->authz_final[op->authz_i])
		op->authz_i++;
	if (op->authz_i < op->nauthz) {
		order_get(op, ORD_AUTHZ, op->authz[op->authz_i], 0);
		return;
	}
	op->authz_i = 0;
	order_poll_next(op, 0);
}

/* Polls the next authorization that is not final, or re-reads the order
 * once all are. */
static void
order_poll_next(struct acme_op *op, int now)
{
	while (op->authz_i < op->nauthz && op->authz_final[op->authz_i])
		op->authz_i++;
	op->backoff = 0;
	if (op->authz_i >= op->nauthz) {
		order_get(op, ORD_READ, op->order_url, 0);
		return;
	}
	op->step = ORD_AUTHZ_POLL;
	if (now)
		order_get(op, ORD_AUTHZ_POLL, op->authz[op->authz_i], 0);
	else
		acme_op_poll_later(op, NULL);
}

static void
order_poll_response(struct acme_op *op, struct acme_req *r)
{
	json_t *j;
	const char *st;
	struct acme_authz_view v;
	char err[128];

	if ((j = acme_op_json(op, r, "authorization")) == NULL)
		return;
	st = json_string_value(json_object_get(j, "status"));
	if (acme_authz_view(j, NULL, &v, err, sizeof(err)) < 0)
		acme_op_fail(op, 0, "%s", err);
	else if (strcmp(st, "valid") == 0) {
		op->authz_final[op->authz_i] = 1;
		if (order_chal_end(op, op->authz_i, 1) == 0) {
			op->authz_i++;
			order_poll_next(op, 1);
		}
	} else if (strcmp(st, "pending") == 0 || strcmp(st, "processing") == 0)
		acme_op_poll_later(op, r);
	else if (strcmp(st, "invalid") == 0) {
		if (order_chal_end(op, op->authz_i, 0) == 0)
			acme_op_fail_problem(op, order_authz_error(j),
			    "authorization is invalid");
	} else
		acme_op_fail(op, 0, "authorization is %.32s", st);
	json_decref(j);
}

/* A finalize that failed for a reason that may be transient is retried
 * only after re-reading the order: processing/valid means it took. */
static void
order_finalize_response(struct acme_op *op, struct acme_req *r)
{
	struct acme_problem p;
	char perr[64];
	int again = 0;
	json_t *j;

	if (r->cc == CURLE_OK && r->status >= 200 && r->status <= 299) {
		if ((j = acme_op_json(op, r, "finalize")) != NULL) {
			order_handle(op, j, r);
			json_decref(j);
		}
		return;
	}
	if (r->cc != CURLE_OK)
		again = !r->body_toobig && !r->h.toobig;
	else if (r->status == 429 || r->status == 503)
		again = 0;	/* deferred until Retry-After, never at once */
	else if (r->status >= 500)
		again = 1;
	else if (acme_ctype_is(r->ctype, "application/problem+json") &&
	    acme_problem_parse(r->body != NULL ? r->body : "", r->len,
	    r->status, &p, perr, sizeof(perr)) == 0) {
		again = strcmp(p.type, "urn:ietf:params:acme:error:orderNotReady") == 0 ||
		    strcmp(p.type, "urn:ietf:params:acme:error:serverInternal") == 0;
		acme_problem_free(&p);
	}
	if (!again || op->finalize_tries >= ACME_FINALIZE_TRIES) {
		acme_op_fail_resp(op, r, "finalize");
		return;
	}
	log_info("acme: finalize of %s failed, re-reading the order",
	    op->order_url);
	order_get(op, ORD_READ, op->order_url, 0);
}

/* Checks a downloaded chain: parses, and the leaf holds the CSR's key and
 * names. 0, or -1 with a message. */
static int
order_check_chain(struct acme_op *op, const char *pem, size_t len, char *err,
    size_t errlen)
{
	X509_REQ *req = NULL;
	X509 *leaf = NULL;
	EVP_PKEY *rk, *lk;
	BIO *bio = NULL;
	const unsigned char *p = op->csr;
	size_t i;
	int rc = -1;

	if (pem_chain_count(pem, len, err, errlen) <= 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "no certificate in chain");
		goto out;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL ||
	    (req = d2i_X509_REQ(NULL, &p, (long)op->csrlen)) == NULL) {
		snprintf(err, errlen, "cannot read leaf or CSR");
		goto out;
	}
	rk = X509_REQ_get0_pubkey(req);
	lk = X509_get0_pubkey(leaf);
	if (rk == NULL || lk == NULL || EVP_PKEY_eq(rk, lk) != 1) {
		snprintf(err, errlen, "leaf certificate is not for the CSR's key");
		goto out;
	}
	for (i = 0; i < op->nnames; i++) {
		if (op->names[i][0] == '*')
			continue;
		if (X509_check_host(leaf, op->names[i], strlen(op->names[i]),
		    0, NULL) != 1) {
			snprintf(err, errlen, "leaf certificate lacks %s",
			    op->names[i]);
			goto out;
		}
	}
	rc = 0;
out:
	ERR_clear_error();
	X509_REQ_free(req);
	X509_free(leaf);
	BIO_free(bio);
	return rc;
}

static void
order_alt_next(struct acme_op *op)
{
	if (op->alt_i < op->nalt_urls)
		order_get(op, ORD_ALT, op->alt_urls[op->alt_i], 1);
	else
		acme_op_succeed(op);
}

/* 0 with the chain checked, else -1 with the op NOT ended (message set). */
static int
order_chain_ok(struct acme_op *op, const struct acme_req *r, char *err,
    size_t errlen)
{
	err[0] = '\0';
	if (r->cc != CURLE_OK || r->status != 200) {
		snprintf(err, errlen, "HTTP %ld", r->status);
		return -1;
	}
	if (!acme_ctype_is(r->ctype, "application/pem-certificate-chain")) {
		snprintf(err, errlen, "content type is not application/pem-certificate-chain");
		return -1;
	}
	if (r->body == NULL || r->len == 0) {
		snprintf(err, errlen, "empty body");
		return -1;
	}
	return order_check_chain(op, r->body, r->len, err, errlen);
}

static void
order_cert_response(struct acme_op *op, struct acme_req *r)
{
	char err[256];
	size_t i;

	if (r->cc != CURLE_OK || r->status != 200) {
		acme_op_fail_resp(op, r, "certificate");
		return;
	}
	if (order_chain_ok(op, r, err, sizeof(err)) < 0) {
		acme_op_fail(op, 0, "certificate: %s", err);
		return;
	}
	if ((op->chain = strdup(r->body)) == NULL) {
		acme_op_fail(op, 1, "out of memory");
		return;
	}
	for (i = 0; i < r->h.nalt; i++)
		if ((op->alt_urls[op->nalt_urls] = strdup(r->h.alt[i])) != NULL)
			op->nalt_urls++;
	op->alt_i = 0;
	order_alt_next(op);
}

static void
order_alt_response(struct acme_op *op, struct acme_req *r)
{
	char err[256];

	if (order_chain_ok(op, r, err, sizeof(err)) < 0)
		log_warn("acme: alternate chain of %s skipped: %s",
		    op->order_url, err);
	else if ((op->alts[op->nalts] = strdup(r->body)) != NULL)
		op->nalts++;
	op->alt_i++;
	order_alt_next(op);
}

static void order_ready(struct acme_op *);

/* 1 when a newOrder that carried "replaces" got a final error answer (not
 * a transport error, not a 429/503 deferral): worth one more try without. */
static int
order_replaces_refused(const struct acme_op *op, const struct acme_req *r)
{
	return op->replaces != NULL && op->ca->renewal_info != NULL &&
	    !op->replaces_dropped && r->cc == CURLE_OK && r->status >= 400 &&
	    r->status != 429 && r->status != 503;
}

static void
order_response(struct acme_op *op, struct acme_req *r)
{
	json_t *j;

	switch (op->step) {
	case ORD_NEWORDER:
		if (order_replaces_refused(op, r)) {
			/* RFC 9773 section 5: a refused "replaces" must not
			 * stop the renewal; it goes on as a plain order. */
			log_warn("acme: newOrder with replaces %s refused (HTTP "
			    "%ld): ordering without replaces", op->replaces,
			    r->status);
			op->replaces_dropped = 1;
			order_ready(op);
			return;
		}
		if ((j = acme_op_json(op, r, "newOrder")) == NULL)
			return;
		if (r->status != 201 || r->h.location == NULL)
			acme_op_fail(op, 0, "newOrder: no 201 with a Location");
		else if ((op->order_url = strdup(r->h.location)) == NULL)
			acme_op_fail(op, 1, "out of memory");
		else if (order_report(op) == 0)
			order_handle(op, j, r);
		json_decref(j);
		break;
	case ORD_READ:
		if ((j = acme_op_json(op, r, "order")) == NULL)
			return;
		if (order_report(op) == 0)
			order_handle(op, j, r);
		json_decref(j);
		break;
	case ORD_AUTHZ:
		order_authz_response(op, r);
		break;
	case ORD_CHALL:
		if (r->cc != CURLE_OK || r->status < 200 || r->status > 299)
			acme_op_fail_resp(op, r, "challenge");
		else {
			op->authz_i++;
			order_authz_next(op);
		}
		break;
	case ORD_AUTHZ_POLL:
		order_poll_response(op, r);
		break;
	case ORD_FINALIZE:
		order_finalize_response(op, r);
		break;
	case ORD_CERT:
		order_cert_response(op, r);
		break;
	case ORD_ALT:
		order_alt_response(op, r);
		break;
	default:
		acme_op_fail(op, 0, "order: response in unexpected step %d",
		    op->step);
		break;
	}
}

static void
order_timer(struct acme_op *op)
{
	switch (op->step) {
	case ORD_READ:
		order_get(op, ORD_READ, op->order_url, 0);
		break;
	case ORD_AUTHZ:
		order_authz_next(op);
		break;
	case ORD_AUTHZ_POLL:
		order_get(op, ORD_AUTHZ_POLL, op->authz[op->authz_i], 0);
		break;
	default:
		acme_op_fail(op, 0, "order: timer in unexpected step %d",
		    op->step);
		break;
	}
}

static void
order_ready(struct acme_op *op)
{
	json_t *o = NULL, *ids, *id;
	char *payload = NULL;
	size_t i;

	if (op->order_url != NULL) {
		order_get(op, ORD_READ, op->order_url, 0);
		return;
	}
	if (op->profile != NULL && json_object_get(op->ca->profiles,
	    op->profile) == NULL) {
		acme_op_fail(op, 0, "newOrder: the CA does not offer profile "
		    "\"%.64s\" (directory meta.profiles)", op->profile);
		return;
	}
	if ((o = json_object()) == NULL || (ids = json_array()) == NULL ||
	    json_object_set_new(o, "identifiers", ids) != 0)
		goto oom;
	if (op->profile != NULL &&
	    json_object_set_new(o, "profile", json_string(op->profile)) != 0)
		goto oom;
	/* replaces only where the CA speaks ARI (RFC 9773 section 5) */
	if (op->replaces != NULL && op->ca->renewal_info != NULL &&
	    !op->replaces_dropped &&
	    json_object_set_new(o, "replaces", json_string(op->replaces)) != 0)
		goto oom;
	for (i = 0; i < op->nnames; i++) {
		id = json_pack("{s:s, s:s}", "type", "dns", "value", op->names[i]);
		if (id == NULL || json_array_append_new(ids, id) != 0)
			goto oom;
	}
	if ((payload = json_dumps(o, JSON_COMPACT)) == NULL)
		goto oom;
	op->step = ORD_NEWORDER;
	acme_op_post(op, op->ca->new_order, payload, 0, 0);
	free(payload);
	json_decref(o);
	return;
oom:
	json_decref(o);
	acme_op_fail(op, 1, "out of memory");
}

/* A CertID: two non-empty base64url parts joined by one dot. */
static int
order_certid_ok(const char *s)
{
	const char *dot = strchr(s, '.');
	size_t len = strlen(s);

	return len < ACME_CERTID_MAX && dot != NULL && dot != s &&
	    dot[1] != '\0' && b64url_charset_ok(s, (size_t)(dot - s)) &&
	    b64url_charset_ok(dot + 1, len - (size_t)(dot - s) - 1);
}

/* A profile name: 1-64 characters of [A-Za-z0-9._-]. */
static int
order_profile_ok(const char *s)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > 64)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' ||
		    s[i] == '-'))
			return 0;
	return 1;
}

struct acme_op *
acme_order_start(struct acme_engine *e, const struct acme_order_params *p,
    const struct acme_order_cb *cb, char *err, size_t errlen)
{
	struct acme_op *op = NULL;
	const unsigned char *d = p->csr_der;
	X509_REQ *req;
	size_t i;
	int dns01 = p->challenge_type != NULL &&
	    strcmp(p->challenge_type, "dns-01") == 0;

	if (p->key == NULL || p->directory == NULL || cb == NULL ||
	    cb->done == NULL || (dns01 ? p->dns01 == NULL ||
	    p->dns01->begin == NULL || p->dns01->end == NULL :
	    cb->challenge_begin == NULL || cb->challenge_end == NULL)) {
		snprintf(err, errlen, "acme_order_start: key, directory and callbacks are required");
		return NULL;
	}
	if (!acme_url_ok(p->account_url) ||
	    (p->order_url != NULL && !acme_url_ok(p->order_url))) {
		snprintf(err, errlen, "acme_order_start: bad account or order URL");
		return NULL;
	}
	if (p->challenge_type != NULL && !dns01 &&
	    strcmp(p->challenge_type, "http-01") != 0) {
		snprintf(err, errlen, "acme_order_start: challenge type is not "
		    "http-01 or dns-01");
		return NULL;
	}
	if ((p->replaces != NULL && p->replaces[0] != '\0' &&
	    !order_certid_ok(p->replaces)) ||
	    (p->profile != NULL && p->profile[0] != '\0' &&
	    !order_profile_ok(p->profile))) {
		snprintf(err, errlen, "acme_order_start: bad replaces or profile");
		return NULL;
	}
	if (p->nnames == 0 || p->nnames > ACME_IDENTIFIERS_MAX) {
		snprintf(err, errlen, "acme_order_start: 1 to %d names",
		    ACME_IDENTIFIERS_MAX);
		return NULL;
	}
	for (i = 0; i < p->nnames; i++)
		if (p->names[i] == NULL || !order_name_ok(p->names[i])) {
			snprintf(err, errlen, "acme_order_start: bad name #%zu", i);
			return NULL;
		} else if (!dns01 && p->names[i][0] == '*') {
			snprintf(err, errlen, "acme_order_start: wildcard name #%zu "
			    "needs dns-01", i);
			return NULL;
		}
	if (p->csr_der == NULL || p->csr_len == 0 || p->csr_len > ORDER_CSR_MAX ||
	    (req = d2i_X509_REQ(NULL, &d, (long)p->csr_len)) == NULL) {
		ERR_clear_error();
		snprintf(err, errlen, "acme_order_start: CSR is not DER");
		return NULL;
	}
	X509_REQ_free(req);

	if ((op = calloc(1, sizeof(*op))) == NULL ||
	    (op->kid = strdup(p->account_url)) == NULL ||
	    (op->names = calloc(p->nnames, sizeof(*op->names))) == NULL ||
	    (op->csr = malloc(p->csr_len)) == NULL ||
	    (p->order_url != NULL && (op->order_url = strdup(p->order_url)) == NULL) ||
	    (p->replaces != NULL && p->replaces[0] != '\0' &&
	    (op->replaces = strdup(p->replaces)) == NULL) ||
	    (p->profile != NULL && p->profile[0] != '\0' &&
	    (op->profile = strdup(p->profile)) == NULL))
		goto oom;
	for (i = 0; i < p->nnames; i++) {
		if ((op->names[i] = strdup(p->names[i])) == NULL)
			goto oom;
		op->nnames++;
	}
	memcpy(op->csr, p->csr_der, p->csr_len);
	op->csrlen = p->csr_len;
	op->kind = ACME_OP_ORDER;
	op->dns01 = dns01;
	if (dns01)
		op->dns = *p->dns01;
	op->key = p->key;
	op->cb = *cb;
	op->done = cb->done;
	op->arg = cb->arg;
	op->on_ready = order_ready;
	op->on_response = order_response;
	op->on_timer = order_timer;
	op->on_end = order_on_end;
	if (acme_op_register(e, op, p->directory, p->ca_file,
	    p->deadline_s > 0 ? p->deadline_s : 600, err, errlen) < 0)
		goto fail;
	return op;
oom:
	snprintf(err, errlen, "acme_order_start: out of memory");
fail:
	if (op != NULL) {
		for (i = 0; i < op->nnames; i++)
			free(op->names[i]);
		free(op->names);
		free(op->kid);
		free(op->csr);
		free(op->order_url);
		free(op->replaces);
		free(op->profile);
		free(op);
	}
	return NULL;
}
