/* acme_authz.c -- an order's authorizations: the http-01 or dns-01 challenge of each, its answer published and withdrawn through the caller's callbacks once the order says they are final. */
#include "acme_int.h"

#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "clock.h"

#define ORDER_NAME_MAX	253

static void order_poll_order(struct acme_op *);

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

void
acme_order_on_end(struct acme_op *op)
{
	size_t i;

	for (i = 0; i < op->nchals; i++)
		if (!op->chals[i].ended)
			order_chal_close(op, &op->chals[i], 0);
}

/* Publishes the answer for token (dns-01: the TXT value for domain); 0 to
 * go on, ACME_DNS01_PENDING when a dns-01 record is still being published,
 * -1 when the op ended. */
static int
order_chal_begin(struct acme_op *op, const char *token, const char *domain)
{
	struct acme_chal *c;
	char *ka, *tok = NULL, *dom = NULL, *txt = NULL;
	size_t i;
	int rc;

	for (i = 0; i < op->nchals; i++)
		if (!op->chals[i].ended && strcmp(op->chals[i].token, token) == 0)
			return op->chals[i].pending ? ACME_DNS01_PENDING : 0;
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
	if (rc == 0 || (op->dns01 && rc == ACME_DNS01_PENDING)) {
		c[op->nchals].token = tok;
		c[op->nchals].authz = op->authz_i;
		c[op->nchals].ended = 0;
		c[op->nchals].domain = dom;
		c[op->nchals].txt = txt;
		c[op->nchals].pending = rc == ACME_DNS01_PENDING;
		op->nchals++;
	} else {
		free(tok);
		free(dom);
		free(txt);
	}
	if (acme_op_cb_leave(op))
		return -1;
	if (rc == ACME_DNS01_PENDING && op->dns01)
		return ACME_DNS01_PENDING;
	if (rc != 0) {
		acme_op_fail(op, 1, "challenge_begin failed to publish the answer");
		return -1;
	}
	return 0;
}

/* The challenge at url (token) is triggered once its record is published:
 * until then the op holds no request, only its deadline's timer. */
static void
order_dns_wait(struct acme_op *op, const char *url, const char *token)
{
	uint64_t now = clock_mono_ms();

	free(op->dns_wait_url);
	free(op->dns_wait_token);
	op->dns_wait_token = NULL;
	if ((op->dns_wait_url = strdup(url)) == NULL ||
	    (op->dns_wait_token = strdup(token)) == NULL) {
		acme_op_fail(op, 1, "out of memory");
		return;
	}
	op->step = ORD_DNS_WAIT;
	acme_op_sleep(op, op->deadline_ms > now ? op->deadline_ms - now : 0,
	    ACME_WAIT_DNS);
}

void
acme_order_dns01_published(struct acme_op *op, const char *token, int ok,
    const char *detail)
{
	char *url;
	size_t i;

	for (i = 0; i < op->nchals; i++)
		if (!op->chals[i].ended && op->chals[i].pending &&
		    strcmp(op->chals[i].token, token) == 0)
			break;
	if (i == op->nchals)
		return;		/* ended, or never asked for */
	op->chals[i].pending = 0;
	if (op->step != ORD_DNS_WAIT || op->dns_wait_token == NULL ||
	    strcmp(op->dns_wait_token, token) != 0)
		return;		/* the CA did not wait for this one */
	if (!ok) {
		acme_op_fail(op, 1, "dns-01 record at _acme-challenge.%s not "
		    "published: %s", op->chals[i].domain, detail);
		return;
	}
	acme_op_wake_cancel(op);
	url = op->dns_wait_url;
	op->dns_wait_url = NULL;
	free(op->dns_wait_token);
	op->dns_wait_token = NULL;
	op->step = ORD_CHALL;
	acme_op_post(op, "challenge", url, "{}", 0, 0);
	free(url);
}

static const char *
order_chal_type(const struct acme_op *op)
{
	return op->dns01 ? "dns-01" : "http-01";
}

/* Name check: LDH labels and dots, an optional leading "*.", no more. */
int
acme_order_name_ok(const char *n)
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
	return acme_order_name_ok(v) && v[0] != '*' ? v : NULL;
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

void
acme_order_authz_response(struct acme_op *op, struct acme_req *r)
{
	json_t *j, *c;
	const char *st, *cst, *tok, *curl, *dom = NULL;
	struct acme_authz_view v;
	char err[128];
	int rc;

	if ((j = acme_op_json(op, r, "authorization")) == NULL)
		return;
	st = json_string_value(json_object_get(j, "status"));
	if (acme_authz_view(j, NULL, &v, err, sizeof(err)) < 0)
		acme_op_fail(op, 0, "%s", err);
	else if (strcmp(st, "valid") == 0) {
		op->authz_final[op->authz_i++] = 1;
		acme_order_authz_next(op);
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
	else if ((rc = order_chal_begin(op, tok, dom)) < 0)
		;	/* op ended */
	else if (strcmp(cst, "pending") == 0 && rc == ACME_DNS01_PENDING)
		order_dns_wait(op, curl, tok);
	else if (strcmp(cst, "pending") == 0) {
		op->step = ORD_CHALL;
		acme_op_post(op, "challenge", curl, "{}", 0, 0);
	} else {		/* processing or valid: triggered earlier */
		op->authz_i++;
		acme_order_authz_next(op);
	}
	json_decref(j);
}

void
acme_order_authz_next(struct acme_op *op)
{
	while (op->authz_i < op->nauthz && op->authz_final[op->authz_i])
		op->authz_i++;
	if (op->authz_i < op->nauthz) {
		acme_order_get(op, ORD_AUTHZ, op->authz[op->authz_i], 0);
		return;
	}
	op->authz_i = 0;
	order_poll_order(op);
}

/* Every challenge of the order was triggered: the order itself tells when
 * its authorizations are valid (it leaves "pending"). Polling the order and
 * not each authorization keeps POST-as-GETs of authorizations, which lock
 * them at the CA, to one per authorization (Pebble deadlocks when they
 * meet its newOrder scans, docs/design.md section 7). */
static void
order_poll_order(struct acme_op *op)
{
	op->backoff = 0;
	op->step = ORD_READ;
	acme_op_poll_later(op, NULL);
}

int
acme_order_chal_end_all(struct acme_op *op, int valid)
{
	size_t i;

	for (i = 0; i < op->nauthz; i++) {
		op->authz_final[i] = 1;
		if (order_chal_end(op, i, valid))
			return 1;
	}
	return 0;
}
