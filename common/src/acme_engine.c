/* acme_engine.c -- the ACME engine's loop: curl multi, timers, requests of ops, op lifecycle and results. */
#include "acme_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "clock.h"
#include "log.h"
#include "ratescope.h"
#include "utf8.h"

#define ACME_STEP_START		0	/* every op's first step */
#define ACME_RETRY_AFTER_MAX_S	600	/* longest poll wait we honour */
#define ACME_DEFER_DEFAULT_S	60	/* 429/503 without Retry-After */

/* ---- timers: a binary min-heap of ops on wake_ms ---- */

static void
heap_swap(struct acme_engine *e, size_t a, size_t b)
{
	struct acme_op *t = e->heap[a];

	e->heap[a] = e->heap[b];
	e->heap[b] = t;
	e->heap[a]->heap_idx = a;
	e->heap[b]->heap_idx = b;
}

static void
heap_up(struct acme_engine *e, size_t i)
{
	while (i > 0 && e->heap[(i - 1) / 2]->wake_ms > e->heap[i]->wake_ms) {
		heap_swap(e, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
heap_down(struct acme_engine *e, size_t i)
{
	size_t l, m;

	for (;;) {
		l = 2 * i + 1;
		m = i;
		if (l < e->nheap && e->heap[l]->wake_ms < e->heap[m]->wake_ms)
			m = l;
		if (l + 1 < e->nheap && e->heap[l + 1]->wake_ms < e->heap[m]->wake_ms)
			m = l + 1;
		if (m == i)
			return;
		heap_swap(e, i, m);
		i = m;
	}
}

static void
heap_remove(struct acme_engine *e, struct acme_op *op)
{
	size_t i = op->heap_idx;

	if (!op->in_heap)
		return;
	op->in_heap = 0;
	e->nheap--;
	if (i == e->nheap)
		return;
	e->heap[i] = e->heap[e->nheap];
	e->heap[i]->heap_idx = i;
	heap_up(e, i);
	heap_down(e, e->heap[i]->heap_idx);
}

/* Inserts op; -1 when out of memory. */
static int
heap_insert(struct acme_engine *e, struct acme_op *op)
{
	struct acme_op **h;
	size_t cap;

	if (e->nheap == e->capheap) {
		cap = e->capheap == 0 ? 64 : e->capheap * 2;
		if ((h = reallocarray(e->heap, cap, sizeof(*h))) == NULL)
			return -1;
		e->heap = h;
		e->capheap = cap;
	}
	op->heap_idx = e->nheap;
	op->in_heap = 1;
	e->heap[e->nheap++] = op;
	heap_up(e, op->heap_idx);
	return 0;
}

const char *
acme_wait_name(enum acme_wait w)
{
	static const char *const names[ACME_WAITS] = {
		[ACME_WAIT_POLL] = "poll",
		[ACME_WAIT_RETRY_AFTER] = "retry_after",
		[ACME_WAIT_PACING] = "pacing",
		[ACME_WAIT_GATE] = "gate",
		[ACME_WAIT_DIRECTORY] = "directory",
		[ACME_WAIT_DNS] = "dns",
		[ACME_WAIT_CLAIM] = "claim",
	};

	return (unsigned)w < ACME_WAITS ? names[w] : "unknown";
}

/* Takes op's timer off at now; when it was a wait (acme_op_sleep, not the
 * first step's), tells the engine's observer how long it lasted and why. */
static void
op_unsleep(struct acme_op *op, uint64_t now)
{
	const struct acme_engine_conf *c = &op->e->conf;
	struct acme_wait_stats st;
	int told = op->sleeping;

	op->sleeping = 0;
	if (!op->in_heap)
		return;
	heap_remove(op->e, op);
	if (!told || c->observe_wait == NULL)
		return;
	st.directory = op->ca != NULL ? op->ca->dir_url : "";
	st.reason = op->wait_why;
	st.seconds = now > op->slept_ms ? (double)(now - op->slept_ms) /
	    1000.0 : 0.0;
	c->observe_wait(c->observe_arg, &st);
}

void
acme_op_sleep(struct acme_op *op, uint64_t ms, enum acme_wait why)
{
	uint64_t now = clock_mono_ms();

	op_unsleep(op, now);
	op->sleeping = 1;
	op->slept_ms = now;
	op->wait_why = why;
	op->wake_ms = now + ms;
	if (op->wake_ms > op->deadline_ms)
		op->wake_ms = op->deadline_ms;
	if (heap_insert(op->e, op) < 0)
		acme_op_fail(op, 1, "out of memory for a timer");
}

void
acme_op_wake_cancel(struct acme_op *op)
{
	op_unsleep(op, clock_mono_ms());
}

uint64_t
acme_poll_delay_ms(unsigned int polls, int has_ra, time_t ra, time_t now)
{
	unsigned int shift = polls < 8 ? polls : 8;
	uint64_t ms;

	if (has_ra) {
		ms = ra > now ? (uint64_t)(ra - now) * 1000 : 0;
		if (ms > ACME_RETRY_AFTER_MAX_S * 1000)
			ms = ACME_RETRY_AFTER_MAX_S * 1000;
		if (ms < 200)
			ms = 200;
		return ms;
	}
	ms = (uint64_t)ACME_POLL_FIRST_MS << shift;
	return ms > ACME_POLL_MAX_MS ? ACME_POLL_MAX_MS : ms;
}

void
acme_op_poll_later(struct acme_op *op, const struct acme_req *r)
{
	int ra = r != NULL && r->h.has_retry_after;
	uint64_t ms;

	ms = acme_poll_delay_ms(op->backoff, ra, ra ? r->h.retry_after : 0,
	    time(NULL));
	op->backoff++;
	acme_op_sleep(op, ms, ra ? ACME_WAIT_RETRY_AFTER : ACME_WAIT_POLL);
}

/* ---- requests of ops ---- */

static long
op_timeout(struct acme_op *op)
{
	uint64_t now = clock_mono_ms();
	long t = op->e->conf.request_timeout_ms;

	if (op->deadline_ms <= now)
		return 0;
	if (op->deadline_ms - now < (uint64_t)t)
		t = (long)(op->deadline_ms - now);
	return t;
}

/* The class of a request of op to url, for the pacer. */
static enum pace_ep
op_pace_ep(const struct acme_op *op, const char *url)
{
	const struct acme_ca *ca = op->ca;

	if (ca->new_order != NULL && strcmp(url, ca->new_order) == 0)
		return PACE_NEW_ORDER;
	if (ca->new_account != NULL && strcmp(url, ca->new_account) == 0)
		return PACE_NEW_ACCOUNT;
	if (ca->revoke_cert != NULL && strcmp(url, ca->revoke_cert) == 0)
		return PACE_REVOKE_CERT;
	if (op->kind != ACME_OP_ORDER)
		return PACE_OTHER;
	switch (op->step) {
	case ORD_CHALL:
		return PACE_CHALLENGE;
	case ORD_FINALIZE:
		return PACE_FINALIZE;
	case ORD_READ:
	case ORD_AUTHZ:
		return PACE_POLL;
	default:
		return PACE_OTHER;
	}
}

static void op_end(struct acme_op *op, struct acme_result *res);

/* The pacer asks for a wait too long to sleep through: the op ends
 * DEFERRED until then, like a rate limit of the CA. why says what made
 * it wait. */
static void
op_defer_paced(struct acme_op *op, enum pace_ep ep, long ms, const char *why)
{
	struct acme_result res;

	memset(&res, 0, sizeof(res));
	res.outcome = ACME_DEFERRED;
	res.retryable = 1;
	res.endpoint = pace_ep_name(ep);
	res.not_before = time(NULL) + (ms + 999) / 1000;
	snprintf(res.error, sizeof(res.error), "%s: paced %ld s ahead "
	    "(%s, shared by every worker)", res.endpoint, (ms + 999) / 1000,
	    why);
	op_end(op, &res);
}

/* 1 when a request of class ep must wait for its slot: op then sleeps and
 * resends from engine_timers; 0 when it may go now (a slot granted earlier
 * for this class is used up here). */
static int
op_paced(struct acme_op *op, enum pace_ep ep)
{
	const struct acme_pacer *p = op->e->conf.pacer;
	int granted = op->pace_granted == (int)ep + 1;
	uint64_t now = clock_mono_ms();
	long ms;

	op->pace_granted = 0;
	if (op->ca->pace_until[ep] > now) {
		/* the CA told this engine to wait (Retry-After) */
		op->pace_wait = (int)ep + 1;
		op->pace_reask = 1;
		acme_op_sleep(op, op->ca->pace_until[ep] - now,
		    ACME_WAIT_RETRY_AFTER);
		return 1;
	}
	if (p == NULL || granted)
		return 0;
	if ((ms = p->ask(p->arg, op->ca->dir_url, ep)) <= 0)
		return 0;
	if (ms > ACME_PACE_DEFER_MS) {
		op_defer_paced(op, ep, ms, "the CA's request limit");
		return 1;
	}
	op->pace_wait = (int)ep + 1;
	op->pace_reask = 0;
	acme_op_sleep(op, (uint64_t)ms, ACME_WAIT_PACING);
	return 1;
}

/* The side of the CA's gate a request of class ep of op is on. */
static enum acme_gate
op_gate_side(const struct acme_op *op, enum pace_ep ep)
{
	if (ep == PACE_NEW_ORDER)
		return ACME_GATE_NEW_ORDER;
	if (ep == PACE_POLL && op->kind == ACME_OP_ORDER &&
	    op->step == ORD_AUTHZ)
		return ACME_GATE_AUTHZ;
	return ACME_GATE_NONE;
}

/* 1 when op's request of class ep must wait for the CA's gate: op then
 * sleeps and resends from engine_timers, its pacing slot kept (or ends
 * DEFERRED after waiting ACME_PACE_DEFER_MS in all); 0 when it may go,
 * *side and *lease then saying what to release after it (ACME_GATE_NONE:
 * nothing). */
static int
op_gated(struct acme_op *op, enum pace_ep ep, enum acme_gate *side,
    uint64_t *lease)
{
	const struct acme_pacer *p = op->e->conf.pacer;
	enum acme_gate g = op_gate_side(op, ep);
	uint64_t now;
	long ms;

	*side = ACME_GATE_NONE;
	*lease = 0;
	if (p == NULL || p->enter == NULL || g == ACME_GATE_NONE)
		return 0;
	if ((ms = p->enter(p->arg, op->ca->dir_url, g, lease)) <= 0) {
		op->gate_since = 0;
		if (*lease != 0)
			*side = g;
		return 0;
	}
	*lease = 0;
	now = clock_mono_ms();
	if (op->gate_since == 0)
		op->gate_since = now;
	else if (now - op->gate_since > ACME_PACE_DEFER_MS) {
		op->gate_since = 0;
		op_defer_paced(op, ep, ms, "the CA's gate: newOrder and "
		    "authorization fetches take turns");
		return 1;
	}
	op->pace_wait = (int)ep + 1;
	op->pace_reask = 0;
	acme_op_sleep(op, (uint64_t)ms, ACME_WAIT_GATE);
	return 1;
}

/* Releases the side of the CA's gate r holds, if any. */
static void
req_gate_leave(struct acme_engine *e, struct acme_req *r)
{
	const struct acme_pacer *p = e->conf.pacer;

	if (r == NULL || r->gate == ACME_GATE_NONE)
		return;
	if (p != NULL && p->leave != NULL)
		p->leave(p->arg, r->ca->dir_url, r->gate, r->gate_lease);
	r->gate = ACME_GATE_NONE;
}

/* A 429 or 503 of class ep with a Retry-After: this engine's requests of
 * that class wait for it (the pacer, told too, makes the others wait). */
static void
engine_retry_after(struct acme_engine *e, struct acme_req *r)
{
	const struct acme_pacer *p = e->conf.pacer;
	time_t now = time(NULL);
	uint64_t until;

	if (r->h.has_retry_after && r->h.retry_after > now &&
	    r->h.retry_after - now <= ACME_RETRY_AFTER_MAX_S) {
		until = clock_mono_ms() + (uint64_t)(r->h.retry_after - now) * 1000;
		if (until > r->ca->pace_until[r->ep])
			r->ca->pace_until[r->ep] = until;
	}
	if (p != NULL)
		p->slow(p->arg, r->ca->dir_url, r->ep, r->status,
		    r->h.has_retry_after ? r->h.retry_after : 0);
}

/* Sends the stored POST with a pooled nonce, or fetches a nonce first. */
static void
op_send_post(struct acme_op *op)
{
	char err[256], *nonce = NULL, *body = NULL;
	enum acme_gate gate;
	uint64_t lease;
	enum pace_ep ep;
	long t;

	if ((t = op_timeout(op)) <= 0) {
		acme_op_fail(op, 1, "deadline exceeded");
		return;
	}
	if (op->ca->nnonces == 0) {
		if (op_paced(op, PACE_NEW_NONCE))
			return;
		if (acme_req_send(op->e, ACME_REQ_NONCE, op, op->ca,
		    op->ca->new_nonce, "newNonce", NULL, 0, t, err,
		    sizeof(err)) < 0)
			acme_op_fail(op, 1, "newNonce: %s", err);
		else
			op->req->ep = PACE_NEW_NONCE;
		return;
	}
	ep = op_pace_ep(op, op->post_url);
	if (op_paced(op, ep) || op_gated(op, ep, &gate, &lease))
		return;
	nonce = acme_nonce_pop(op->ca);
	body = jws_sign(op->key, op->post_jwk ? NULL : op->kid, nonce,
	    op->post_url, op->post_payload, err, sizeof(err));
	free(nonce);
	if (body == NULL ||
	    acme_req_send(op->e, ACME_REQ_POST, op, op->ca, op->post_url,
	    op->post_endpoint, body, op->post_pem, t, err, sizeof(err)) < 0) {
		if (gate != ACME_GATE_NONE)
			op->e->conf.pacer->leave(op->e->conf.pacer->arg,
			    op->ca->dir_url, gate, lease);
		acme_op_fail(op, body != NULL, "%s", err);
		return;
	}
	op->req->ep = ep;
	op->req->gate = gate;
	op->req->gate_lease = lease;
}

/* Sends the stored plain GET (get_url, get_endpoint). */
static void
op_send_get(struct acme_op *op)
{
	char err[256];
	long t;

	if ((t = op_timeout(op)) <= 0) {
		acme_op_fail(op, 1, "deadline exceeded");
		return;
	}
	if (op_paced(op, PACE_RENEWAL_INFO))
		return;
	if (acme_req_send(op->e, ACME_REQ_GET, op, op->ca, op->get_url,
	    op->get_endpoint, NULL, 0, t, err, sizeof(err)) < 0)
		acme_op_fail(op, 1, "%s", err);
	else
		op->req->ep = PACE_RENEWAL_INFO;
}

void
acme_op_get(struct acme_op *op, const char *endpoint, const char *url)
{
	char *u;

	if ((u = strdup(url)) == NULL) {
		acme_op_fail(op, 1, "out of memory");
		return;
	}
	free(op->get_url);
	op->get_url = u;
	op->get_endpoint = endpoint;
	op_send_get(op);
}

void
acme_op_post(struct acme_op *op, const char *endpoint, const char *url,
    const char *payload, int accept_pem, int use_jwk)
{
	char *u, *p = NULL;

	if ((u = strdup(url)) == NULL ||
	    (payload != NULL && (p = strdup(payload)) == NULL)) {
		free(u);
		acme_op_fail(op, 1, "out of memory");
		return;
	}
	free(op->post_url);
	free(op->post_payload);
	op->post_url = u;
	op->post_endpoint = endpoint;
	op->post_payload = p;
	op->post_pem = accept_pem;
	op->post_jwk = use_jwk;
	op->badnonce = 0;
	op_send_post(op);
}

/* Is r a badNonce problem? */
static int
req_is_badnonce(const struct acme_req *r)
{
	struct acme_problem p;
	char err[64];
	int bad;

	if (r->status != 400 || !acme_ctype_is(r->ctype, "application/problem+json"))
		return 0;
	if (acme_problem_parse(r->body != NULL ? r->body : "", r->len, r->status,
	    &p, err, sizeof(err)) < 0)
		return 0;
	bad = strcmp(p.type, "urn:ietf:params:acme:error:badNonce") == 0;
	acme_problem_free(&p);
	return bad;
}

/*
 * 1 when r is a 429 rateLimited problem naming a limit narrower than the
 * account's (a registered domain, an exact name set, a name: ratescope.h).
 * Only the orders in that scope would be refused: the class is neither
 * blocked nor slowed for every order of the CA (a Let's Encrypt domain
 * limit says retry in days), and the coordinator holds the scope
 * (ca_holds). The order itself is deferred to the Retry-After as always.
 */
static int
req_is_scoped_limit(const struct acme_req *r)
{
	struct acme_problem p;
	struct ratescope sc;
	char err[64];
	int scoped = 0;

	if (r->status != 429 || !acme_ctype_is(r->ctype,
	    "application/problem+json") || acme_problem_parse(r->body != NULL ?
	    r->body : "", r->len, r->status, &p, err, sizeof(err)) < 0)
		return 0;
	switch (ratescope_problem(p.type, p.detail, &sc)) {
	case RATESCOPE_DOMAIN:
	case RATESCOPE_SET:
	case RATESCOPE_NAME:
		scoped = 1;
		break;
	default:
		break;
	}
	acme_problem_free(&p);
	return scoped;
}

/* Tells the engine's observer, if any, about the finished request r. */
static void
engine_observe(struct acme_engine *e, const struct acme_req *r)
{
	struct acme_request_stats st;
	curl_off_t us = 0;

	if (e->conf.observe == NULL)
		return;
	curl_easy_getinfo(r->easy, CURLINFO_TOTAL_TIME_T, &us);
	st.directory = r->ca->dir_url;
	st.endpoint = r->endpoint != NULL ? r->endpoint : "unknown";
	st.status = r->cc == CURLE_OK ? r->status : 0;
	st.seconds = (double)us / 1e6;
	e->conf.observe(e->conf.observe_arg, &st);
}

/* A transfer finished: route it. r is freed here. */
static void
engine_complete(struct acme_engine *e, struct acme_req *r)
{
	struct acme_op *op = r->op;
	const char *ct = NULL;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
	if (curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK &&
	    ct != NULL)
		snprintf(r->ctype, sizeof(r->ctype), "%s", ct);
	engine_observe(e, r);
	req_gate_leave(e, r);
	if (r->h.nonce[0] != '\0')
		acme_nonce_push(r->ca, r->h.nonce);
	if (r->kind != ACME_REQ_DIRECTORY && r->cc == CURLE_OK &&
	    (r->status == 429 || r->status == 503) && !req_is_scoped_limit(r))
		engine_retry_after(e, r);
	if (r->kind == ACME_REQ_DIRECTORY) {
		r->ca->dir_req = NULL;
		acme_ca_directory_done(r->ca, r);
		acme_req_free(r);
		return;
	}
	op->req = NULL;
	if (r->kind == ACME_REQ_NONCE) {
		if (r->cc != CURLE_OK || r->status >= 300)
			acme_op_fail_resp(op, r, "newNonce");
		else if (r->h.nonce[0] == '\0')
			acme_op_fail(op, 1, "newNonce: no valid Replay-Nonce");
		else
			op_send_post(op);
	} else if (r->cc == CURLE_OK && r->h.insecure != NULL) {
		/* Refused before anything of the answer is used or reported:
		 * the coordinator would refuse an http:// URL in turn. */
		acme_op_fail_insecure(op, "header", r->h.insecure);
	} else if (r->cc == CURLE_OK && r->h.malformed != NULL) {
		/* a header read here was dropped: nothing of the answer is
		 * used (its order, certificate or nonce may be elsewhere) */
		acme_op_fail_malformed(op, r->endpoint, r->h.malformed);
	} else if (r->kind == ACME_REQ_POST && r->cc == CURLE_OK &&
	    req_is_badnonce(r) &&
	    op->badnonce < ACME_BADNONCE_TRIES) {
		op->badnonce++;
		op_send_post(op);
	} else
		op->on_response(op, r);
	acme_req_free(r);
}

/* ---- op lifecycle ---- */

int
acme_op_register(struct acme_engine *e, struct acme_op *op, const char *dir,
    const char *ca_file, int deadline_s, char *err, size_t errlen)
{
	if (!acme_url_ok(dir)) {
		snprintf(err, errlen, "directory URL is not an https URL");
		return -1;
	}
	if ((op->ca = acme_ca_get(e, dir, ca_file)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	op->e = e;
	op->step = ACME_STEP_START;
	op->deadline_ms = clock_mono_ms() + (uint64_t)deadline_s * 1000;
	op->wake_ms = clock_mono_ms();
	if (heap_insert(e, op) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	op->next = e->ops;
	if (e->ops != NULL)
		e->ops->prev = op;
	e->ops = op;
	e->nops++;
	return 0;
}

static void
op_free(struct acme_op *op)
{
	size_t i;

	free(op->post_url);
	free(op->post_payload);
	free(op->get_url);
	free(op->kid);
	free(op->account_payload);
	free(op->account_url);
	free(op->eab_kid);
	if (op->eab_hmac != NULL)
		OPENSSL_cleanse(op->eab_hmac, strlen(op->eab_hmac));
	free(op->eab_hmac);
	free(op->manage_payload);
	for (i = 0; i < op->nnames; i++)
		free(op->names[i]);
	free(op->names);
	free(op->csr);
	OPENSSL_free(op->csr_spki);
	free(op->order_url);
	free(op->finalize_url);
	free(op->cert_url);
	for (i = 0; i < op->nauthz; i++)
		free(op->authz[i]);
	free(op->authz);
	free(op->authz_final);
	for (i = 0; i < op->nchals; i++) {
		free(op->chals[i].token);
		free(op->chals[i].domain);
		free(op->chals[i].txt);
	}
	free(op->chals);
	free(op->dns_wait_url);
	free(op->dns_wait_token);
	free(op->chain);
	for (i = 0; i < op->nalt_urls; i++)
		free(op->alt_urls[i]);
	for (i = 0; i < op->nalts; i++)
		free(op->alts[i]);
	free(op->replaces);
	free(op->profile);
	free(op->cert_id);
	free(op);
}

/* Ends op with res: cleanup hook, done(), unlink, free. */
static void
op_end(struct acme_op *op, struct acme_result *res)
{
	struct acme_engine *e = op->e;
	size_t i;

	if (op->finished)
		return;
	op->finished = 1;
	op_unsleep(op, clock_mono_ms());
	acme_waiters_remove(op);
	req_gate_leave(e, op->req);
	acme_req_free(op->req);
	op->req = NULL;
	if (op->on_end != NULL)
		op->on_end(op);
	res->account_url = op->account_url;
	res->order_url = op->order_url;
	if (res->outcome == ACME_DONE) {
		res->chain = op->chain;
		for (i = 0; i < op->nalts; i++)
			res->alt_chains[i] = op->alts[i];
		res->nalt = op->nalts;
		res->already_revoked = op->already_revoked;
		if (op->kind == ACME_OP_ARI) {
			res->window_start = op->ari.start;
			res->window_end = op->ari.end;
			res->explanation_url = op->ari.explanation_url[0] != '\0' ?
			    op->ari.explanation_url : NULL;
			res->ari_next = op->ari_next;
		}
	}
	log_debug("acme: %s %s: %s%s%s", op->kind == ACME_OP_ORDER ? "order" :
	    op->kind == ACME_OP_MANAGE ? "manage" :
	    op->kind == ACME_OP_ARI ? "renewalInfo" : "account",
	    op->order_url != NULL ? op->order_url :
	    op->account_url != NULL ? op->account_url : "(no URL)",
	    acme_outcome_name(res->outcome), res->error[0] != '\0' ? ": " : "",
	    res->error);
	op->done(op->arg, res);
	if (op->prev != NULL)
		op->prev->next = op->next;
	else
		e->ops = op->next;
	if (op->next != NULL)
		op->next->prev = op->prev;
	e->nops--;
	op_free(op);
}

void
acme_op_fail(struct acme_op *op, int retryable, const char *fmt, ...)
{
	struct acme_result res;
	va_list ap;

	memset(&res, 0, sizeof(res));
	res.outcome = ACME_FAILED;
	res.retryable = retryable;
	va_start(ap, fmt);
	vsnprintf(res.error, sizeof(res.error), fmt, ap);
	va_end(ap);
	op_end(op, &res);
}

void
acme_op_fail_insecure(struct acme_op *op, const char *where, const char *url)
{
	struct acme_result res;
	char raw[ACME_URL_MAX + 256];

	memset(&res, 0, sizeof(res));
	res.outcome = ACME_FAILED;
	res.retryable = 0;	/* the CA's configuration must change first */
	snprintf(raw, sizeof(raw), "the CA gave a plain http URL (%s %s): "
	    "refused, ACME is https only (RFC 8555 section 6.1); the CA's "
	    "configuration or the proxy in front of it must use https", where,
	    url);
	utf8_sanitize(raw, strlen(raw), res.error, sizeof(res.error));
	if ((res.problem.type = strdup(ACME_PROBLEM_INSECURE_URL)) != NULL &&
	    (res.problem.detail = strdup(res.error)) != NULL)
		res.has_problem = 1;
	op_end(op, &res);
	acme_problem_free(&res.problem);
}

void
acme_op_fail_malformed(struct acme_op *op, const char *endpoint,
    const char *header)
{
	struct acme_result res;

	memset(&res, 0, sizeof(res));
	res.outcome = ACME_FAILED;
	res.retryable = 1;	/* a broken answer, not a broken CA: again later */
	snprintf(res.error, sizeof(res.error), "%s: the CA's %s header held a "
	    "control byte (CR, LF or NUL) or was folded over two lines: the "
	    "answer is refused, nothing of it used", endpoint != NULL ?
	    endpoint : "request", header);
	if ((res.problem.type = strdup(ACME_PROBLEM_MALFORMED_HEADER)) != NULL &&
	    (res.problem.detail = strdup(res.error)) != NULL)
		res.has_problem = 1;
	op_end(op, &res);
	acme_problem_free(&res.problem);
}

/* Fills outcome/retryable/not_before of res from its problem and status. */
static void
result_classify(struct acme_result *res, long status, int has_ra, time_t ra)
{
	enum acme_retry rt;

	rt = acme_problem_retry(res->has_problem ? res->problem.type : NULL,
	    status);
	if (rt == ACME_RETRY_DEFER || status == 429 || status == 503) {
		res->outcome = ACME_DEFERRED;
		res->retryable = 1;
		/* ra counts from the response's arrival known to the second:
		 * one more second so that the retry is never early */
		res->not_before = has_ra ? ra + 1 :
		    time(NULL) + ACME_DEFER_DEFAULT_S;
		return;
	}
	res->outcome = ACME_FAILED;
	res->retryable = rt == ACME_RETRY_YES;
}

void
acme_op_unavailable(struct acme_op *op, const char *fmt, ...)
{
	struct acme_result res;
	va_list ap;

	memset(&res, 0, sizeof(res));
	res.outcome = ACME_DEFERRED;
	res.retryable = 1;
	res.ca_unavailable = 1;
	res.not_before = time(NULL) + ACME_UNAVAILABLE_S;
	va_start(ap, fmt);
	vsnprintf(res.error, sizeof(res.error), fmt, ap);
	va_end(ap);
	op_end(op, &res);
}

/* 1 when r shows the CA did not answer: a transport failure that is no
 * cap of ours, or a 5xx other than a 503 with Retry-After (Let's Encrypt's
 * request limits answer 503 with Retry-After: that is pacing, not an
 * outage). */
static int
resp_unavailable(const struct acme_req *r)
{
	if (r->cc != CURLE_OK)
		return !r->body_toobig && !r->h.toobig;
	return r->status >= 500 && !(r->status == 503 && r->h.has_retry_after);
}

void
acme_op_fail_resp(struct acme_op *op, const struct acme_req *r,
    const char *what)
{
	struct acme_result res;
	char perr[128];

	memset(&res, 0, sizeof(res));
	res.outcome = ACME_FAILED;
	res.endpoint = what;
	if (r->cc == CURLE_OK &&
	    acme_ctype_is(r->ctype, "application/problem+json") &&
	    acme_problem_parse(r->body != NULL ? r->body : "", r->len, r->status,
	    &res.problem, perr, sizeof(perr)) == 0)
		res.has_problem = 1;
	if (r->cc != CURLE_OK) {
		if (r->body_toobig)
			snprintf(res.error, sizeof(res.error),
			    "%s: response body over %zu bytes", what, r->max);
		else if (r->h.toobig)
			snprintf(res.error, sizeof(res.error),
			    "%s: response headers over %d bytes", what,
			    ACME_HEADERS_MAX);
		else
			snprintf(res.error, sizeof(res.error), "%s: %s", what,
			    r->errbuf[0] != '\0' ? r->errbuf :
			    curl_easy_strerror(r->cc));
	} else if (res.has_problem)
		snprintf(res.error, sizeof(res.error), "%s: HTTP %ld %s: %s", what,
		    r->status, res.problem.type, res.problem.detail);
	else
		snprintf(res.error, sizeof(res.error),
		    "%s: unexpected HTTP %ld (%s)", what, r->status,
		    r->ctype[0] != '\0' ? r->ctype : "no content type");
	if (resp_unavailable(r)) {
		res.outcome = ACME_DEFERRED;
		res.retryable = 1;
		res.ca_unavailable = 1;
		res.not_before = time(NULL) + ACME_UNAVAILABLE_S;
	} else if (r->cc == CURLE_OK)
		result_classify(&res, r->status, r->h.has_retry_after,
		    r->h.retry_after);
	op_end(op, &res);
	acme_problem_free(&res.problem);
}

void
acme_result_from_problem(struct acme_result *res, json_t *j, const char *what)
{
	memset(res, 0, sizeof(*res));
	if (acme_problem_from_json(j, 0, &res->problem) == 0) {
		res->has_problem = 1;
		result_classify(res, res->problem.status, 0, 0);
		if (res->outcome == ACME_DEFERRED)	/* no header: no 503 hint */
			res->not_before = time(NULL) + ACME_DEFER_DEFAULT_S;
		snprintf(res->error, sizeof(res->error), "%s: %s: %s", what,
		    res->problem.type, res->problem.detail);
	} else {
		/* the CA said invalid but not why: nothing says it will not
		 * change its mind (challtestsrv's DNS under a burst did this) */
		res->outcome = ACME_FAILED;
		res->retryable = 1;
		snprintf(res->error, sizeof(res->error),
		    "%s (no error detail: retried)", what);
	}
}

void
acme_op_fail_problem(struct acme_op *op, json_t *j, const char *what)
{
	struct acme_result res;

	acme_result_from_problem(&res, j, what);
	op_end(op, &res);
	acme_problem_free(&res.problem);
}

void
acme_op_succeed(struct acme_op *op)
{
	struct acme_result res;

	memset(&res, 0, sizeof(res));
	res.outcome = ACME_DONE;
	op_end(op, &res);
}

void
acme_op_cb_enter(struct acme_op *op)
{
	op->in_cb++;
}

int
acme_op_cb_leave(struct acme_op *op)
{
	struct acme_result res;

	op->in_cb--;
	if (op->in_cb > 0 || !op->cancel_pending)
		return 0;
	memset(&res, 0, sizeof(res));
	res.outcome = ACME_CANCELLED;
	snprintf(res.error, sizeof(res.error), "cancelled");
	op_end(op, &res);
	return 1;
}

void
acme_op_cancel(struct acme_op *op)
{
	struct acme_result res;

	if (op == NULL || op->finished)
		return;
	if (op->in_cb > 0) {
		op->cancel_pending = 1;
		return;
	}
	memset(&res, 0, sizeof(res));
	res.outcome = ACME_CANCELLED;
	snprintf(res.error, sizeof(res.error), "cancelled");
	op_end(op, &res);
}

json_t *
acme_op_json(struct acme_op *op, const struct acme_req *r, const char *what)
{
	json_error_t je;
	const char *u;
	json_t *j;

	if (r->cc != CURLE_OK || r->status < 200 || r->status > 299) {
		acme_op_fail_resp(op, r, what);
		return NULL;
	}
	if (!acme_ctype_is(r->ctype, "application/json")) {
		acme_op_fail(op, 0, "%s: content type is not application/json",
		    what);
		return NULL;
	}
	j = json_loadb(r->body != NULL ? r->body : "", r->len,
	    JSON_REJECT_DUPLICATES, &je);
	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		acme_op_fail(op, 0, "%s: body is not a JSON object", what);
		return NULL;
	}
	if ((u = acme_json_insecure(j)) != NULL) {
		acme_op_fail_insecure(op, what, u);
		json_decref(j);
		return NULL;
	}
	return j;
}

const char *
acme_json_url(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return acme_url_ok(s) ? s : NULL;
}

const char *
acme_json_insecure(json_t *o)
{
	static const char *const members[] = { "url", "finalize",
	    "certificate", "orders", "newNonce", "newAccount", "newOrder",
	    "revokeCert", "keyChange", "renewalInfo" };
	const char *s;
	json_t *a, *v;
	size_t i;

	for (i = 0; i < sizeof(members) / sizeof(members[0]); i++)
		if (acme_url_insecure(s = json_string_value(json_object_get(o,
		    members[i]))))
			return s;
	a = json_object_get(o, "authorizations");
	json_array_foreach(a, i, v)
		if (acme_url_insecure(s = json_string_value(v)))
			return s;
	a = json_object_get(o, "challenges");
	json_array_foreach(a, i, v)
		if (acme_url_insecure(s = json_string_value(json_object_get(v,
		    "url"))))
			return s;
	return NULL;
}

/* ---- the engine ---- */

struct acme_engine *
acme_engine_new(const struct acme_engine_conf *conf, char *err, size_t errlen)
{
	struct acme_engine *e;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "acme_engine_new: curl_global_init failed");
		return NULL;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL)
		goto fail;
	if (conf != NULL)
		e->conf = *conf;
	if (e->conf.max_host_connections <= 0)
		e->conf.max_host_connections = 16;
	if (e->conf.request_timeout_ms <= 0)
		e->conf.request_timeout_ms = 30000;
	snprintf(e->ua, sizeof(e->ua), "%s", e->conf.user_agent != NULL ?
	    e->conf.user_agent : "certfleet/" CERTFLEET_VERSION);
	e->conf.user_agent = NULL;	/* not kept: copied into ua */
	if ((e->multi = curl_multi_init()) == NULL ||
	    (e->share = curl_share_init()) == NULL)
		goto fail;
	curl_multi_setopt(e->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	curl_multi_setopt(e->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    e->conf.max_host_connections);
	curl_share_setopt(e->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(e->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	return e;
fail:
	snprintf(err, errlen, "acme_engine_new: out of memory");
	acme_engine_free(e);
	if (e == NULL)
		curl_global_cleanup();
	return NULL;
}

void
acme_engine_free(struct acme_engine *e)
{
	struct acme_ca *ca;

	if (e == NULL)
		return;
	while (e->ops != NULL)
		acme_op_cancel(e->ops);
	while ((ca = e->cas) != NULL) {
		e->cas = ca->next;
		acme_ca_free(ca);
	}
	acme_easy_drop(e);
	if (e->multi != NULL)
		curl_multi_cleanup(e->multi);
	if (e->share != NULL)
		curl_share_cleanup(e->share);
	free(e->heap);
	free(e);
	curl_global_cleanup();
}

size_t
acme_engine_inflight(const struct acme_engine *e)
{
	return e->nops;
}

void
acme_engine_wakeup(struct acme_engine *e)
{
	curl_multi_wakeup(e->multi);
}

/* Runs every timer that is due. */
static void
engine_timers(struct acme_engine *e)
{
	uint64_t now = clock_mono_ms();
	struct acme_op *op;

	while (e->nheap > 0 && e->heap[0]->wake_ms <= now) {
		op = e->heap[0];
		op_unsleep(op, now);
		if (now >= op->deadline_ms)
			acme_op_fail(op, 1, "deadline exceeded");
		else if (op->pace_wait) {	/* its slot has come */
			op->pace_granted = op->pace_reask ? 0 : op->pace_wait;
			if (op->pace_wait == PACE_RENEWAL_INFO + 1) {
				op->pace_wait = 0;
				op_send_get(op);
			} else {
				op->pace_wait = 0;
				op_send_post(op);
			}
		} else if (op->step == ACME_STEP_START)
			acme_op_need_directory(op);
		else
			op->on_timer(op);
	}
}

int
acme_engine_run(struct acme_engine *e, int timeout_ms,
    struct curl_waitfd *extra, unsigned int nextra)
{
	struct acme_req *r;
	void *priv;
	CURLMsg *m;
	CURLMcode mc;
	uint64_t now;
	int running, left, t = timeout_ms < 0 ? 0 : timeout_ms;

	if (e->nheap > 0) {
		now = clock_mono_ms();
		if (e->heap[0]->wake_ms <= now)
			t = 0;
		else if (e->heap[0]->wake_ms - now < (uint64_t)t)
			t = (int)(e->heap[0]->wake_ms - now);
	}
	if ((mc = curl_multi_poll(e->multi, extra, nextra, t, NULL)) != CURLM_OK ||
	    (mc = curl_multi_perform(e->multi, &running)) != CURLM_OK) {
		log_err("acme_engine_run: %s", curl_multi_strerror(mc));
		return -1;
	}
	while ((m = curl_multi_info_read(e->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		priv = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		if ((r = priv) == NULL)
			continue;
		r->cc = m->data.result;
		engine_complete(e, r);
	}
	engine_timers(e);
	return 0;
}
