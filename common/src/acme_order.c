/* acme_order.c -- the order operation: newOrder or resume, the order's states, finalize, certificate and alternates (authorizations: acme_authz.c). */
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
#include "x509lite.h"

#define ORDER_CSR_MAX	(64 * 1024)

void
acme_order_get(struct acme_op *op, int step, const char *url, int pem)
{
	op->step = step;
	acme_op_post(op, step == ORD_READ ? "order" : step == ORD_CERT ||
	    step == ORD_ALT ? "certificate" : "authz", url, NULL, pem, 0);
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
	/* waiting for "processing" to end is a wait of its own: its polls
	 * start again at the first step, however long validation took */
	op->backoff = 0;
	if ((b = b64url_encode(op->csr, op->csrlen)) == NULL ||
	    (payload = malloc((n = strlen(b) + 16))) == NULL) {
		free(b);
		acme_op_fail(op, 1, "out of memory");
		return;
	}
	snprintf(payload, n, "{\"csr\":\"%s\"}", b);
	op->step = ORD_FINALIZE;
	acme_op_post(op, "finalize", op->finalize_url, payload, 0, 0);
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
		if (op->rounds++ > 0) {	/* challenges triggered: not yet */
			op->step = ORD_READ;
			acme_op_poll_later(op, r);
		} else {
			op->authz_i = 0;
			op->step = ORD_AUTHZ;
			acme_order_authz_next(op);
		}
		return;
	}
	if (strcmp(st, "invalid") != 0 && acme_order_chal_end_all(op, 1))
		return;	/* ended inside a callback */
	if (strcmp(st, "ready") == 0)
		order_finalize(op);
	else if (strcmp(st, "processing") == 0) {
		op->step = ORD_READ;
		acme_op_poll_later(op, r);
	} else if (strcmp(st, "valid") == 0) {
		if (op->cert_url == NULL)
			acme_op_fail(op, 0, "order: valid without a certificate URL");
		else
			acme_order_get(op, ORD_CERT, op->cert_url, 1);
	} else if (strcmp(st, "invalid") == 0)
		acme_op_fail_problem(op, json_object_get(j, "error"),
		    "order is invalid");
	else
		acme_op_fail(op, 0, "order: unexpected status");
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
	acme_order_get(op, ORD_READ, op->order_url, 0);
}

/* Checks a downloaded chain: parses, and the leaf holds the CSR's key and
 * names. The coordinator verifies the chain; here no certificate's key is
 * decoded (x509lite.h). 0, or -1 with a message. */
static int
order_check_chain(struct acme_op *op, const char *pem, size_t len, char *err,
    size_t errlen)
{
	X509 *leaf = NULL;
	BIO *bio = NULL;
	size_t i;
	int rc = -1;

	if (pem_chain_count(pem, len, err, errlen) <= 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "no certificate in chain");
		goto out;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (leaf = x509lite_pem_read(bio)) == NULL) {
		snprintf(err, errlen, "cannot read leaf or CSR");
		goto out;
	}
	if (!acme_csr_leaf_matches(op, leaf)) {
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
	X509_free(leaf);
	BIO_free(bio);
	return rc;
}

static void
order_alt_next(struct acme_op *op)
{
	if (op->alt_i < op->nalt_urls)
		acme_order_get(op, ORD_ALT, op->alt_urls[op->alt_i], 1);
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
		acme_order_authz_response(op, r);
		break;
	case ORD_CHALL:
		if (r->cc != CURLE_OK || r->status < 200 || r->status > 299)
			acme_op_fail_resp(op, r, "challenge");
		else {
			op->authz_i++;
			acme_order_authz_next(op);
		}
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
		acme_order_get(op, ORD_READ, op->order_url, 0);
		break;
	case ORD_AUTHZ:
		acme_order_authz_next(op);
		break;
	case ORD_DNS_WAIT:	/* its timer is the deadline */
		acme_op_fail(op, 1, "dns-01 record not published in time");
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
		acme_order_get(op, ORD_READ, op->order_url, 0);
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
	acme_op_post(op, "newOrder", op->ca->new_order, payload, 0, 0);
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

/* Checks the parameters of acme_order_start (dns01: the order uses
 * dns-01). Returns 0 with *spki set to the CSR's SubjectPublicKeyInfo
 * (OPENSSL_free it) and *spkilen, or -1 with err. */
static int
order_params_check(const struct acme_order_params *p,
    const struct acme_order_cb *cb, int dns01, unsigned char **spki,
    size_t *spkilen, char *err, size_t errlen)
{
	size_t i;

	if (p->key == NULL || p->directory == NULL || cb == NULL ||
	    cb->done == NULL || (dns01 ? p->dns01 == NULL ||
	    p->dns01->begin == NULL || p->dns01->end == NULL :
	    cb->challenge_begin == NULL || cb->challenge_end == NULL)) {
		snprintf(err, errlen, "acme_order_start: key, directory and callbacks are required");
		return -1;
	}
	if (!acme_url_ok(p->account_url) ||
	    (p->order_url != NULL && !acme_url_ok(p->order_url))) {
		snprintf(err, errlen, "acme_order_start: bad account or order URL");
		return -1;
	}
	if (p->challenge_type != NULL && !dns01 &&
	    strcmp(p->challenge_type, "http-01") != 0) {
		snprintf(err, errlen, "acme_order_start: challenge type is not "
		    "http-01 or dns-01");
		return -1;
	}
	if ((p->replaces != NULL && p->replaces[0] != '\0' &&
	    !order_certid_ok(p->replaces)) ||
	    (p->profile != NULL && p->profile[0] != '\0' &&
	    !order_profile_ok(p->profile))) {
		snprintf(err, errlen, "acme_order_start: bad replaces or profile");
		return -1;
	}
	if (p->nnames == 0 || p->nnames > ACME_IDENTIFIERS_MAX) {
		snprintf(err, errlen, "acme_order_start: 1 to %d names",
		    ACME_IDENTIFIERS_MAX);
		return -1;
	}
	for (i = 0; i < p->nnames; i++)
		if (p->names[i] == NULL || !acme_order_name_ok(p->names[i])) {
			snprintf(err, errlen, "acme_order_start: bad name #%zu", i);
			return -1;
		} else if (!dns01 && p->names[i][0] == '*') {
			snprintf(err, errlen, "acme_order_start: wildcard name #%zu "
			    "needs dns-01", i);
			return -1;
		}
	if (p->csr_der == NULL || p->csr_len == 0 || p->csr_len > ORDER_CSR_MAX ||
	    (*spki = acme_csr_spki(p->csr_der, p->csr_len, spkilen)) == NULL) {
		snprintf(err, errlen, "acme_order_start: CSR is not DER");
		return -1;
	}
	return 0;
}

/* Frees an order op that was never registered with the engine; NULL is
 * fine. */
static void
order_op_free(struct acme_op *op)
{
	size_t i;

	if (op == NULL)
		return;
	for (i = 0; i < op->nnames; i++)
		free(op->names[i]);
	free(op->names);
	free(op->kid);
	free(op->csr);
	OPENSSL_free(op->csr_spki);
	free(op->order_url);
	free(op->replaces);
	free(op->profile);
	free(op);
}

/* An order op holding copies of what p names (account URL, names, CSR,
 * order to resume, replaces, profile). Returns NULL when memory runs out. */
static struct acme_op *
order_op_new(const struct acme_order_params *p)
{
	struct acme_op *op;
	size_t i;

	if ((op = calloc(1, sizeof(*op))) == NULL)
		return NULL;
	if ((op->kid = strdup(p->account_url)) == NULL ||
	    (op->names = calloc(p->nnames, sizeof(*op->names))) == NULL ||
	    (op->csr = malloc(p->csr_len)) == NULL ||
	    (p->order_url != NULL && (op->order_url = strdup(p->order_url)) == NULL) ||
	    (p->replaces != NULL && p->replaces[0] != '\0' &&
	    (op->replaces = strdup(p->replaces)) == NULL) ||
	    (p->profile != NULL && p->profile[0] != '\0' &&
	    (op->profile = strdup(p->profile)) == NULL))
		goto fail;
	for (i = 0; i < p->nnames; i++) {
		if ((op->names[i] = strdup(p->names[i])) == NULL)
			goto fail;
		op->nnames++;
	}
	memcpy(op->csr, p->csr_der, p->csr_len);
	op->csrlen = p->csr_len;
	return op;
fail:
	order_op_free(op);
	return NULL;
}

struct acme_op *
acme_order_start(struct acme_engine *e, const struct acme_order_params *p,
    const struct acme_order_cb *cb, char *err, size_t errlen)
{
	struct acme_op *op;
	unsigned char *spki = NULL;
	size_t spkilen = 0;
	int dns01 = p->challenge_type != NULL &&
	    strcmp(p->challenge_type, "dns-01") == 0;

	if (order_params_check(p, cb, dns01, &spki, &spkilen, err, errlen) < 0)
		return NULL;
	if ((op = order_op_new(p)) == NULL) {
		OPENSSL_free(spki);
		snprintf(err, errlen, "acme_order_start: out of memory");
		return NULL;
	}
	op->csr_spki = spki;
	op->csr_spkilen = spkilen;
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
	op->on_end = acme_order_on_end;
	if (acme_op_register(e, op, p->directory, p->ca_file,
	    p->deadline_s > 0 ? p->deadline_s : 600, err, errlen) < 0) {
		order_op_free(op);
		return NULL;
	}
	return op;
}
