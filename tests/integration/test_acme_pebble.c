/* test_acme_pebble.c -- integration test of the ACME engine against the stack's Pebble: 20 concurrent orders (and the waits between their requests, as the engine reports them), resume, rejection, dns-01 records published in the background. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <microhttpd.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acme.h"
#include "config.h"
#include "jws.h"
#include "pem.h"

#define NORDERS		20	/* ACME_TEST_ORDERS overrides, for a bigger run */
#define MAXANSWERS	4096
#define RUN_LIMIT_S	300

/* ---- the test's http-01 answers, served by libmicrohttpd ---- */

struct answer {
	char	*token;
	char	*keyauth;
};

/* Seconds on the monotonic clock. */
static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the waits the engine reports (acme_engine_conf.observe_wait) ---- */

static unsigned int waits_n[ACME_WAITS];
static double waits_s[ACME_WAITS];
static unsigned int waits_odd;	/* a reason out of range, or negative time */

static void
on_wait(void *arg, const struct acme_wait_stats *s)
{
	(void)arg;
	if ((unsigned)s->reason >= ACME_WAITS || s->seconds < 0 ||
	    s->directory == NULL || s->directory[0] == '\0') {
		waits_odd++;
		return;
	}
	waits_n[s->reason]++;
	waits_s[s->reason] += s->seconds;
}

static struct answer answers[MAXANSWERS];
static pthread_mutex_t answers_mu = PTHREAD_MUTEX_INITIALIZER;
static int begun, ended;

static enum MHD_Result
serve(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload, size_t *ulen,
    void **ptr)
{
	static const char prefix[] = "/.well-known/acme-challenge/";
	struct MHD_Response *r;
	const char *body = NULL;
	enum MHD_Result ret;
	unsigned int status = MHD_HTTP_NOT_FOUND;
	char *copy = NULL;
	size_t i;

	(void)cls;
	(void)version;
	(void)upload;
	(void)ulen;
	(void)ptr;
	if (strcmp(method, "GET") == 0 &&
	    strncmp(url, prefix, sizeof(prefix) - 1) == 0) {
		pthread_mutex_lock(&answers_mu);
		for (i = 0; i < MAXANSWERS; i++)
			if (answers[i].token != NULL &&
			    strcmp(answers[i].token, url + sizeof(prefix) - 1) == 0) {
				copy = strdup(answers[i].keyauth);
				break;
			}
		pthread_mutex_unlock(&answers_mu);
	}
	if (copy != NULL) {
		body = copy;
		status = MHD_HTTP_OK;
	} else
		body = "not found";
	r = MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body,
	    MHD_RESPMEM_MUST_COPY);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	free(copy);
	return ret;
}

static int
answers_count(void)
{
	int i, n = 0;

	pthread_mutex_lock(&answers_mu);
	for (i = 0; i < MAXANSWERS; i++)
		n += answers[i].token != NULL;
	pthread_mutex_unlock(&answers_mu);
	return n;
}

/* ---- callbacks ---- */

struct job {
	char		 name[128];
	int		 done;
	enum acme_outcome outcome;
	int		 retryable;
	char		 error[512];
	char		 ptype[128];
	char		*chain;
	char		 order_url[ACME_URL_MAX + 1];
	int		 created;
	int		 cancel_on_create;
	struct acme_op	*op;
	char		*account_url;
};

static void
on_created(void *arg, const char *url)
{
	struct job *j = arg;

	snprintf(j->order_url, sizeof(j->order_url), "%s", url);
	j->created++;
	if (j->cancel_on_create)
		acme_op_cancel(j->op);	/* from inside: ends after return */
}

static int
on_begin(void *arg, const char *token, const char *keyauth)
{
	size_t i;

	(void)arg;
	pthread_mutex_lock(&answers_mu);
	for (i = 0; i < MAXANSWERS; i++)
		if (answers[i].token == NULL) {
			answers[i].token = strdup(token);
			answers[i].keyauth = strdup(keyauth);
			break;
		}
	pthread_mutex_unlock(&answers_mu);
	if (i == MAXANSWERS)
		return -1;
	begun++;
	return 0;
}

static void
on_end(void *arg, const char *token)
{
	size_t i;

	(void)arg;
	pthread_mutex_lock(&answers_mu);
	for (i = 0; i < MAXANSWERS; i++)
		if (answers[i].token != NULL && strcmp(answers[i].token, token) == 0) {
			free(answers[i].token);
			free(answers[i].keyauth);
			answers[i].token = answers[i].keyauth = NULL;
			break;
		}
	pthread_mutex_unlock(&answers_mu);
	ended++;
}

static void
on_done(void *arg, const struct acme_result *r)
{
	struct job *j = arg;

	j->done++;
	j->outcome = r->outcome;
	j->retryable = r->retryable;
	snprintf(j->error, sizeof(j->error), "%s", r->error);
	if (r->has_problem)
		snprintf(j->ptype, sizeof(j->ptype), "%s", r->problem.type);
	if (r->chain != NULL)
		j->chain = strdup(r->chain);
	if (r->account_url != NULL)
		j->account_url = strdup(r->account_url);
	if (r->order_url != NULL && j->order_url[0] == '\0')
		snprintf(j->order_url, sizeof(j->order_url), "%s", r->order_url);
}

/* ---- fixtures ---- */

struct fixture {
	struct acme_engine	*eng;
	struct MHD_Daemon	*mhd;
	struct jws_key		*key;
	char			*account_url;
	const char		*dir;
	const char		*ca_file;
};

static const char *
need(const char *var)
{
	const char *v = config_str(var, NULL);

	if (v == NULL)
		fail_msg("%s is not set: run under tests/integration/with-env", var);
	return v;
}

/* A fresh CSR (P-256 key, CN and SAN = name), DER, malloc'd. */
static unsigned char *
make_csr(const char *name, size_t *len)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509_REQ *req = X509_REQ_new();
	X509_NAME *nm = X509_NAME_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *ext;
	unsigned char *der = NULL;
	char san[300];
	int n;

	assert_non_null(k);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
	    (const unsigned char *)name, -1, -1, 0);
	X509_REQ_set_subject_name(req, nm);
	X509_REQ_set_pubkey(req, k);
	snprintf(san, sizeof(san), "DNS:%s", name);
	ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
	assert_non_null(ext);
	sk_X509_EXTENSION_push(exts, ext);
	X509_REQ_add_extensions(req, exts);
	assert_true(X509_REQ_sign(req, k, EVP_sha256()) > 0);
	n = i2d_X509_REQ(req, &der);
	assert_true(n > 0);
	*len = (size_t)n;
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(nm);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	return der;
}

/* Runs the engine until every job in js[0..n) is done, or fails. */
static void
run_until(struct fixture *f, struct job *js, size_t n)
{
	time_t start = time(NULL);
	size_t i, left;

	for (;;) {
		left = 0;
		for (i = 0; i < n; i++)
			left += js[i].done == 0;
		if (left == 0)
			return;
		if (time(NULL) - start > RUN_LIMIT_S)
			fail_msg("%zu operations still running after %d s", left,
			    RUN_LIMIT_S);
		assert_int_equal(acme_engine_run(f->eng, 1000, NULL, 0), 0);
	}
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct acme_engine_conf ec;
	struct acme_account_params ap;
	const char *contacts[] = { "mailto:h2@example.test" };
	struct job acct;
	EVP_PKEY *k;
	BIO *bio;
	char err[512], *pem;
	long plen;
	int port;

	f->dir = need("ACME_DIRECTORY");
	f->ca_file = need("PEBBLE_TLS_CA");
	port = atoi(need("CERTFLEET_EDGE_HTTP_PORT"));
	f->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_ERROR_LOG, (uint16_t)port, NULL, NULL, serve, NULL,
	    MHD_OPTION_SOCK_ADDR, NULL, MHD_OPTION_END);
	if (f->mhd == NULL)
		fail_msg("cannot listen on port %d for http-01", port);

	/* the account key, made here, handed to jws.c as PEM */
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	bio = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL);
	plen = BIO_get_mem_data(bio, &pem);
	f->key = jws_key_from_pem(pem, (size_t)plen, err, sizeof(err));
	assert_non_null(f->key);
	BIO_free(bio);
	EVP_PKEY_free(k);

	memset(&ec, 0, sizeof(ec));
	ec.observe_wait = on_wait;
	f->eng = acme_engine_new(&ec, err, sizeof(err));
	assert_non_null(f->eng);

	/* register, then look the account up again */
	memset(&ap, 0, sizeof(ap));
	ap.directory = f->dir;
	ap.ca_file = f->ca_file;
	ap.key = f->key;
	ap.contacts = contacts;
	ap.ncontacts = 1;
	ap.tos_agreed = 1;
	memset(&acct, 0, sizeof(acct));
	if (acme_account_start(f->eng, &ap, on_done, &acct, err, sizeof(err)) == NULL)
		fail_msg("%s", err);
	run_until(f, &acct, 1);
	if (acct.outcome != ACME_DONE)
		fail_msg("newAccount: %s", acct.error);
	f->account_url = acct.account_url;
	assert_non_null(f->account_url);

	memset(&acct, 0, sizeof(acct));
	ap.only_return_existing = 1;
	assert_non_null(acme_account_start(f->eng, &ap, on_done, &acct, err,
	    sizeof(err)));
	run_until(f, &acct, 1);
	assert_int_equal(acct.outcome, ACME_DONE);
	assert_string_equal(acct.account_url, f->account_url);
	free(acct.account_url);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	acme_engine_free(f->eng);
	MHD_stop_daemon(f->mhd);
	jws_key_free(f->key);
	free(f->account_url);
	free(f);
	return 0;
}

static struct acme_op *
start(struct fixture *f, struct job *j, const char *order_url)
{
	static const struct acme_order_cb cb0 = {
		on_created, on_begin, on_end, on_done, NULL,
	};
	struct acme_order_params p;
	struct acme_order_cb cb = cb0;
	const char *names[1] = { j->name };
	unsigned char *csr;
	size_t csrlen;
	char err[512];

	csr = make_csr(j->name, &csrlen);
	memset(&p, 0, sizeof(p));
	p.directory = f->dir;
	p.ca_file = f->ca_file;
	p.key = f->key;
	p.account_url = f->account_url;
	p.names = names;
	p.nnames = 1;
	p.csr_der = csr;
	p.csr_len = csrlen;
	p.order_url = order_url;
	p.challenge_type = "http-01";
	p.deadline_s = RUN_LIMIT_S;
	cb.arg = j;
	j->op = acme_order_start(f->eng, &p, &cb, err, sizeof(err));
	if (j->op == NULL)
		fail_msg("acme_order_start: %s", err);
	OPENSSL_free(csr);
	return j->op;
}

/* The leaf of chain covers name. */
static void
check_chain(const char *chain, const char *name)
{
	char err[256];
	BIO *bio;
	X509 *leaf;

	if (pem_chain_count(chain, strlen(chain), err, sizeof(err)) < 1)
		fail_msg("%s: chain does not parse: %s", name, err);
	bio = BIO_new_mem_buf(chain, -1);
	leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	assert_non_null(leaf);
	assert_int_equal(X509_check_host(leaf, name, strlen(name), 0, NULL), 1);
	X509_free(leaf);
	BIO_free(bio);
}

static void
test_concurrent_orders(void **state)
{
	struct fixture *f = *state;
	unsigned int salt = (unsigned int)time(NULL) ^ (unsigned int)getpid();
	struct job *js;
	char err[256];
	double t0, elapsed;
	long n;
	size_t i, bad;

	if (config_long("ACME_TEST_ORDERS", NORDERS, 1, 2000, &n, err,
	    sizeof(err)) < 0)
		fail_msg("%s", err);
	js = calloc((size_t)n, sizeof(*js));
	memset(waits_n, 0, sizeof(waits_n));
	memset(waits_s, 0, sizeof(waits_s));
	waits_odd = 0;
	t0 = now_s();

	for (i = 0; i < (size_t)n; i++) {
		snprintf(js[i].name, sizeof(js[i].name), "h2-%zu-%x.example.test",
		    i, salt);
		start(f, &js[i], NULL);
	}
	assert_int_equal(acme_engine_inflight(f->eng), n);
	run_until(f, js, (size_t)n);
	for (i = 0, bad = 0; i < (size_t)n; i++)
		if (js[i].outcome != ACME_DONE && bad++ < 5)
			print_message("%s: %s: %s\n", js[i].name,
			    acme_outcome_name(js[i].outcome), js[i].error);
	if (bad > 0)
		fail_msg("%zu of %ld orders failed", bad, n);
	for (i = 0; i < (size_t)n; i++) {
		assert_int_equal(js[i].done, 1);
		assert_int_equal(js[i].created, 1);
		check_chain(js[i].chain, js[i].name);
		free(js[i].chain);
	}
	assert_int_equal(acme_engine_inflight(f->eng), 0);
	assert_int_equal(begun, ended);		/* every answer cleaned up */
	assert_int_equal(answers_count(), 0);
	/* Every order waited before reading its order after the challenge:
	 * 0.25 s on its own schedule (Pebble names no time there), or the
	 * CA's Retry-After when it sends one. Each wait reported is no
	 * longer than the whole run. */
	elapsed = now_s() - t0;
	print_message("waits: poll %u (%.2f s), retry_after %u (%.2f s), "
	    "pacing %u, gate %u, directory %u, dns %u; run %.2f s\n",
	    waits_n[ACME_WAIT_POLL], waits_s[ACME_WAIT_POLL],
	    waits_n[ACME_WAIT_RETRY_AFTER], waits_s[ACME_WAIT_RETRY_AFTER],
	    waits_n[ACME_WAIT_PACING], waits_n[ACME_WAIT_GATE],
	    waits_n[ACME_WAIT_DIRECTORY], waits_n[ACME_WAIT_DNS], elapsed);
	assert_int_equal(waits_odd, 0);
	assert_true(waits_n[ACME_WAIT_POLL] + waits_n[ACME_WAIT_RETRY_AFTER] >=
	    (unsigned)n);
	assert_true(waits_s[ACME_WAIT_POLL] + waits_s[ACME_WAIT_RETRY_AFTER] >=
	    0.2 * (double)n);
	assert_true(waits_s[ACME_WAIT_POLL] + waits_s[ACME_WAIT_RETRY_AFTER] <=
	    elapsed * (double)n);
	/* no pacer, no dns-01 here */
	assert_int_equal(waits_n[ACME_WAIT_PACING] + waits_n[ACME_WAIT_GATE] +
	    waits_n[ACME_WAIT_DNS], 0);
	free(js);
}

static void
test_resume(void **state)
{
	struct fixture *f = *state;
	struct job a, b;
	char first[ACME_URL_MAX + 1];

	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "h2-resume-%lx.example.test",
	    (unsigned long)time(NULL));
	a.cancel_on_create = 1;
	start(f, &a, NULL);
	run_until(f, &a, 1);
	assert_int_equal(a.outcome, ACME_CANCELLED);
	assert_int_equal(a.created, 1);
	assert_true(a.order_url[0] != '\0');
	assert_int_equal(begun, ended);
	snprintf(first, sizeof(first), "%s", a.order_url);

	memset(&b, 0, sizeof(b));
	snprintf(b.name, sizeof(b.name), "%s", a.name);
	start(f, &b, first);
	run_until(f, &b, 1);
	if (b.outcome != ACME_DONE)
		fail_msg("resumed order: %s", b.error);
	assert_int_equal(b.created, 1);
	assert_string_equal(b.order_url, first);	/* no second order */
	check_chain(b.chain, b.name);
	free(b.chain);
	assert_int_equal(begun, ended);
}

static void
test_cancel_in_flight(void **state)
{
	struct fixture *f = *state;
	struct job a;
	int i;

	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "h2-cancel-%lx.example.test",
	    (unsigned long)time(NULL));
	start(f, &a, NULL);
	for (i = 0; i < 3 && a.done == 0; i++)
		assert_int_equal(acme_engine_run(f->eng, 50, NULL, 0), 0);
	if (a.done == 0)
		acme_op_cancel(a.op);
	assert_int_equal(a.done, 1);
	assert_int_equal(begun, ended);
	free(a.chain);
}

static void
test_rejected_identifier(void **state)
{
	struct fixture *f = *state;
	struct job a;

	memset(&a, 0, sizeof(a));
	/* an IP address in a DNS identifier: Pebble refuses it */
	snprintf(a.name, sizeof(a.name), "%s", "192.0.2.1");
	start(f, &a, NULL);
	run_until(f, &a, 1);
	free(a.chain);
	if (a.outcome == ACME_DONE)
		fail_msg("%s was issued", a.name);
	assert_int_equal(a.outcome, ACME_FAILED);
	assert_int_equal(a.retryable, 0);
	/* Pebble calls it malformed; Boulder says rejectedIdentifier */
	if (strcmp(a.ptype, "urn:ietf:params:acme:error:malformed") != 0 &&
	    strcmp(a.ptype, "urn:ietf:params:acme:error:rejectedIdentifier") != 0)
		fail_msg("unexpected problem %s (%s)", a.ptype, a.error);
	assert_int_equal(begun, ended);
}

/* ---- dns-01 published in the background (ACME_DNS01_PENDING) ---- */

/* One dns-01 order whose record the test publishes itself, later. */
struct dnsjob {
	struct job	j;
	char		token[300];
	char		txt[64];
	char		domain[128];
	int		begins, ends;
};

static int
on_dns_begin(void *arg, const char *domain, const char *token,
    const char *txt)
{
	struct dnsjob *d = arg;

	d->begins++;
	snprintf(d->domain, sizeof(d->domain), "%s", domain);
	snprintf(d->token, sizeof(d->token), "%s", token);
	snprintf(d->txt, sizeof(d->txt), "%s", txt);
	return ACME_DNS01_PENDING;
}

static void
on_dns_end(void *arg, const char *domain, const char *token, const char *txt,
    int valid)
{
	struct dnsjob *d = arg;

	(void)domain;
	(void)token;
	(void)txt;
	(void)valid;
	d->ends++;
}

static void
on_dns_done(void *arg, const struct acme_result *r)
{
	on_done(&((struct dnsjob *)arg)->j, r);
}

/* POSTs a JSON body to challtestsrv's management API (set-txt). */
static void
challtestsrv_set_txt(const char *domain, const char *txt)
{
	char url[512], body[512];
	CURL *c = curl_easy_init();
	long status = 0;

	assert_non_null(c);
	snprintf(url, sizeof(url), "%s/set-txt", need("CHALLTESTSRV_MGMT"));
	snprintf(body, sizeof(body), "{\"host\":\"_acme-challenge.%s.\","
	    "\"value\":\"%s\"}", domain, txt);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	assert_int_equal(status, 200);
	curl_easy_cleanup(c);
}

static void
dns_start(struct fixture *f, struct dnsjob *d)
{
	static const struct acme_dns01_cb dcb = { on_dns_begin, on_dns_end };
	struct acme_order_params p;
	struct acme_order_cb cb = { 0 };
	const char *names[1] = { d->j.name };
	unsigned char *csr;
	size_t csrlen;
	char err[512];

	csr = make_csr(d->j.name, &csrlen);
	memset(&p, 0, sizeof(p));
	p.directory = f->dir;
	p.ca_file = f->ca_file;
	p.key = f->key;
	p.account_url = f->account_url;
	p.names = names;
	p.nnames = 1;
	p.csr_der = csr;
	p.csr_len = csrlen;
	p.challenge_type = "dns-01";
	p.dns01 = &dcb;
	p.deadline_s = RUN_LIMIT_S;
	cb.done = on_dns_done;
	cb.arg = d;
	if ((d->j.op = acme_order_start(f->eng, &p, &cb, err,
	    sizeof(err))) == NULL)
		fail_msg("acme_order_start: %s", err);
	OPENSSL_free(csr);
}

/* Turns the engine until d's record is asked for; then a few more seconds
 * to see the order hold (no request, no end) while it is unpublished. */
static void
dns_wait_begin(struct fixture *f, struct dnsjob *d)
{
	time_t start = time(NULL);

	while (d->begins == 0 && d->j.done == 0) {
		if (time(NULL) - start > 60)
			fail_msg("%s: no dns-01 begin in 60 s", d->j.name);
		assert_int_equal(acme_engine_run(f->eng, 500, NULL, 0), 0);
	}
	assert_int_equal(d->begins, 1);
	assert_int_equal(acme_engine_inflight(f->eng), 1);
	start = time(NULL);
	while (time(NULL) - start < 2)
		assert_int_equal(acme_engine_run(f->eng, 200, NULL, 0), 0);
	assert_int_equal(d->j.done, 0);
	assert_int_equal(d->ends, 0);
}

/* begin answers ACME_DNS01_PENDING: the order waits, published later it
 * is issued; a record that could not be published fails the order
 * (retryable) with the caller's detail; every begin gets its end. */
static void
test_dns01_published_later(void **state)
{
	struct fixture *f = *state;
	unsigned int salt = (unsigned int)time(NULL) ^ (unsigned int)getpid();
	struct dnsjob ok, bad;

	memset(&ok, 0, sizeof(ok));
	snprintf(ok.j.name, sizeof(ok.j.name), "dnslater-%u.example.test", salt);
	dns_start(f, &ok);
	dns_wait_begin(f, &ok);
	assert_string_equal(ok.domain, ok.j.name);
	challtestsrv_set_txt(ok.domain, ok.txt);
	acme_order_dns01_published(ok.j.op, "not-a-token-it-waits-for", 1, "");
	acme_order_dns01_published(ok.j.op, ok.token, 1, "");
	run_until(f, &ok.j, 1);
	if (ok.j.outcome != ACME_DONE)
		fail_msg("%s: %s", ok.j.name, ok.j.error);
	check_chain(ok.j.chain, ok.j.name);
	assert_int_equal(ok.ends, 1);
	free(ok.j.chain);

	memset(&bad, 0, sizeof(bad));
	snprintf(bad.j.name, sizeof(bad.j.name), "dnsbad-%u.example.test", salt);
	dns_start(f, &bad);
	dns_wait_begin(f, &bad);
	acme_order_dns01_published(bad.j.op, bad.token, 0, "no such zone");
	assert_int_equal(bad.j.done, 1);	/* at once, inside the call */
	assert_int_equal(bad.j.outcome, ACME_FAILED);
	assert_int_equal(bad.j.retryable, 1);
	assert_non_null(strstr(bad.j.error, "no such zone"));
	assert_int_equal(bad.ends, 1);
	free(bad.j.chain);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_orders),
		cmocka_unit_test(test_resume),
		cmocka_unit_test(test_cancel_in_flight),
		cmocka_unit_test(test_rejected_identifier),
		cmocka_unit_test(test_dns01_published_later),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
