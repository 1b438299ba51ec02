/* test_acme_manage.c -- the engine's management operations against the stack's Pebble: revocation, key rollover, deactivation. */
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

#include <jansson.h>
#include <microhttpd.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acme.h"
#include "config.h"
#include "httpget.h"
#include "jws.h"
#include "pem.h"

#define RUN_LIMIT_S	120
#define MAXANSWERS	64

/* ---- http-01 answers on the edge's port ---- */

static char *tokens[MAXANSWERS], *keyauths[MAXANSWERS];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static enum MHD_Result
serve(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload, size_t *ulen,
    void **ptr)
{
	static const char prefix[] = "/.well-known/acme-challenge/";
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *body = NULL;
	size_t i;

	(void)cls, (void)version, (void)upload, (void)ulen, (void)ptr;
	if (strcmp(method, "GET") == 0 &&
	    strncmp(url, prefix, sizeof(prefix) - 1) == 0) {
		pthread_mutex_lock(&mu);
		for (i = 0; i < MAXANSWERS && body == NULL; i++)
			if (tokens[i] != NULL &&
			    strcmp(tokens[i], url + sizeof(prefix) - 1) == 0)
				body = strdup(keyauths[i]);
		pthread_mutex_unlock(&mu);
	}
	r = MHD_create_response_from_buffer(body != NULL ? strlen(body) : 0,
	    body != NULL ? body : (char *)"", MHD_RESPMEM_MUST_COPY);
	ret = MHD_queue_response(c, body != NULL ? MHD_HTTP_OK :
	    MHD_HTTP_NOT_FOUND, r);
	MHD_destroy_response(r);
	free(body);
	return ret;
}

static int
on_begin(void *arg, const char *token, const char *keyauth)
{
	size_t i;

	(void)arg;
	pthread_mutex_lock(&mu);
	for (i = 0; i < MAXANSWERS && tokens[i] != NULL; i++)
		;
	if (i < MAXANSWERS) {
		tokens[i] = strdup(token);
		keyauths[i] = strdup(keyauth);
	}
	pthread_mutex_unlock(&mu);
	return i < MAXANSWERS ? 0 : -1;
}

static void
on_end(void *arg, const char *token)
{
	size_t i;

	(void)arg;
	pthread_mutex_lock(&mu);
	for (i = 0; i < MAXANSWERS; i++)
		if (tokens[i] != NULL && strcmp(tokens[i], token) == 0) {
			free(tokens[i]);
			free(keyauths[i]);
			tokens[i] = keyauths[i] = NULL;
		}
	pthread_mutex_unlock(&mu);
}

/* ---- one operation's result ---- */

struct res {
	int		 done;
	enum acme_outcome outcome;
	char		 error[512];
	char		 ptype[128];
	char		*chain;
	char		*account_url;
	int		 already_revoked;
};

static void
on_done(void *arg, const struct acme_result *r)
{
	struct res *x = arg;

	x->done = 1;
	x->outcome = r->outcome;
	x->already_revoked = r->already_revoked;
	snprintf(x->error, sizeof(x->error), "%s", r->error);
	if (r->has_problem)
		snprintf(x->ptype, sizeof(x->ptype), "%s", r->problem.type);
	if (r->chain != NULL)
		x->chain = strdup(r->chain);
	if (r->account_url != NULL)
		x->account_url = strdup(r->account_url);
}

struct fixture {
	struct acme_engine	*eng;
	struct MHD_Daemon	*mhd;
	const char		*dir;
	const char		*ca_file;
	const char		*mgmt;
};

static struct fixture F;

static const char *
need(const char *var)
{
	const char *v = config_str(var, NULL);

	if (v == NULL)
		fail_msg("%s is not set: run under tests/integration/with-env", var);
	return v;
}

static void
run(struct res *x)
{
	time_t start = time(NULL);

	while (!x->done) {
		if (time(NULL) - start > RUN_LIMIT_S)
			fail_msg("operation still running after %d s", RUN_LIMIT_S);
		assert_int_equal(acme_engine_run(F.eng, 500, NULL, 0), 0);
	}
}

/* A fresh account key of the given kind ("EC" P-256/P-384 or "RSA"). */
static struct jws_key *
make_key(const char *type, const char *param)
{
	EVP_PKEY *k;
	struct jws_key *jk;
	BIO *bio = BIO_new(BIO_s_mem());
	char err[256], *pem;
	long n;

	if (strcmp(type, "RSA") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", param);
	assert_non_null(k);
	PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(bio, &pem);
	jk = jws_key_from_pem(pem, (size_t)n, err, sizeof(err));
	assert_non_null(jk);
	BIO_free(bio);
	EVP_PKEY_free(k);
	return jk;
}

static char *
new_account(const struct jws_key *key)
{
	struct acme_account_params ap = { 0 };
	struct res x = { 0 };
	char err[256];

	ap.directory = F.dir;
	ap.ca_file = F.ca_file;
	ap.key = key;
	ap.tos_agreed = 1;
	assert_non_null(acme_account_start(F.eng, &ap, on_done, &x, err,
	    sizeof(err)));
	run(&x);
	if (x.outcome != ACME_DONE)
		fail_msg("newAccount: %s", x.error);
	return x.account_url;
}

/* One order for a fresh name; returns the result (chain on success). */
static struct res
order(const struct jws_key *key, const char *kid)
{
	static unsigned n;
	struct acme_order_params p = { 0 };
	struct acme_order_cb cb = { NULL, on_begin, on_end, on_done, NULL };
	struct res x = { 0 };
	char name[128], err[256], san[160];
	const char *names[1] = { name };
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509_REQ *req = X509_REQ_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	unsigned char *csr = NULL;
	int len;

	snprintf(name, sizeof(name), "manage-%u-%x.example.test", n++,
	    (unsigned)time(NULL) ^ (unsigned)getpid());
	snprintf(san, sizeof(san), "DNS:%s", name);
	X509_REQ_set_pubkey(req, k);
	sk_X509_EXTENSION_push(exts, X509V3_EXT_conf_nid(NULL, NULL,
	    NID_subject_alt_name, san));
	X509_REQ_add_extensions(req, exts);
	assert_true(X509_REQ_sign(req, k, EVP_sha256()) > 0);
	len = i2d_X509_REQ(req, &csr);
	assert_true(len > 0);
	p.directory = F.dir;
	p.ca_file = F.ca_file;
	p.key = key;
	p.account_url = kid;
	p.names = names;
	p.nnames = 1;
	p.csr_der = csr;
	p.csr_len = (size_t)len;
	p.deadline_s = RUN_LIMIT_S;
	cb.arg = &x;
	assert_non_null(acme_order_start(F.eng, &p, &cb, err, sizeof(err)));
	run(&x);
	OPENSSL_free(csr);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	return x;
}

/* Pebble's management view of the leaf of chain: its "Status". */
static char *
pebble_status(const char *chain, int *reason)
{
	struct http_response r = { 0 };
	unsigned char *der;
	const unsigned char *d;
	char url[512], err[256], *hex, *st = NULL;
	json_t *j;
	BIGNUM *bn;
	size_t dlen;
	X509 *x;

	der = pem_to_der(chain, strlen(chain), "CERTIFICATE", &dlen, err,
	    sizeof(err));
	assert_non_null(der);
	d = der;
	x = d2i_X509(NULL, &d, (long)dlen);
	assert_non_null(x);
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	hex = BN_bn2hex(bn);
	BN_free(bn);
	for (char *p = hex; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'F' ? *p + 32 : *p);
	while (hex[0] == '0' && hex[1] != '\0')
		memmove(hex, hex + 1, strlen(hex));
	snprintf(url, sizeof(url), "%s/cert-status-by-serial/%s", F.mgmt, hex);
	if (http_request("GET", url, F.ca_file, NULL, NULL, NULL, 0, 1 << 20, &r,
	    err, sizeof(err)) < 0)
		fail_msg("%s: %s", url, err);
	if (r.status != 200)
		fail_msg("%s: HTTP %ld", url, r.status);
	j = json_loadb(r.body, r.len, 0, NULL);
	assert_non_null(j);
	st = strdup(json_string_value(json_object_get(j, "Status")));
	*reason = (int)json_integer_value(json_object_get(j, "Reason"));
	json_decref(j);
	http_response_free(&r);
	OPENSSL_free(hex);
	X509_free(x);
	free(der);
	return st;
}

static int
setup(void **state)
{
	char err[256];
	int port = atoi(need("CERTFLEET_EDGE_HTTP_PORT"));

	(void)state;
	F.dir = need("ACME_DIRECTORY");
	F.ca_file = need("PEBBLE_TLS_CA");
	F.mgmt = need("PEBBLE_MGMT");
	F.mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_ERROR_LOG, (uint16_t)port, NULL, NULL, serve, NULL,
	    MHD_OPTION_END);
	if (F.mhd == NULL)
		fail_msg("cannot listen on port %d for http-01", port);
	F.eng = acme_engine_new(NULL, err, sizeof(err));
	assert_non_null(F.eng);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	acme_engine_free(F.eng);
	MHD_stop_daemon(F.mhd);
	return 0;
}

static void
test_revoke(void **state)
{
	struct jws_key *key = make_key("EC", "P-256");
	char *kid = new_account(key), err[256], *st;
	struct acme_manage_params p = { 0 };
	struct res o = order(key, kid), x = { 0 }, y = { 0 };
	unsigned char *der;
	size_t dlen;
	int reason = -1;

	(void)state;
	if (o.outcome != ACME_DONE)
		fail_msg("order: %s", o.error);
	st = pebble_status(o.chain, &reason);
	assert_string_equal(st, "Valid");
	free(st);
	der = pem_to_der(o.chain, strlen(o.chain), "CERTIFICATE", &dlen, err,
	    sizeof(err));
	p.directory = F.dir;
	p.ca_file = F.ca_file;
	p.key = key;
	p.account_url = kid;
	/* 2 (cACompromise) and 6 are not a subscriber's to give */
	assert_null(acme_revoke_start(F.eng, &p, der, dlen, 2, on_done, &x, err,
	    sizeof(err)));
	assert_null(acme_revoke_start(F.eng, &p, der, dlen, 6, on_done, &x, err,
	    sizeof(err)));
	assert_non_null(acme_revoke_start(F.eng, &p, der, dlen, 4, on_done, &x,
	    err, sizeof(err)));
	run(&x);
	if (x.outcome != ACME_DONE)
		fail_msg("revoke: %s", x.error);
	assert_int_equal(x.already_revoked, 0);
	st = pebble_status(o.chain, &reason);
	assert_string_equal(st, "Revoked");
	assert_int_equal(reason, 4);
	free(st);
	/* again: alreadyRevoked counts as done */
	assert_non_null(acme_revoke_start(F.eng, &p, der, dlen, 1, on_done, &y,
	    err, sizeof(err)));
	run(&y);
	assert_int_equal(y.outcome, ACME_DONE);
	assert_int_equal(y.already_revoked, 1);
	free(der);
	free(o.chain);
	free(o.account_url);
	free(x.account_url);
	free(y.account_url);
	free(kid);
	jws_key_free(key);
}

static void
test_keychange(void **state)
{
	struct jws_key *old = make_key("EC", "P-256");
	struct jws_key *nk = make_key("EC", "P-384");
	char *kid = new_account(old), *kid2, err[256];
	struct acme_manage_params p = { 0 };
	struct res x = { 0 }, o;

	(void)state;
	p.directory = F.dir;
	p.ca_file = F.ca_file;
	p.key = old;
	p.account_url = kid;
	assert_non_null(acme_keychange_start(F.eng, &p, nk, on_done, &x, err,
	    sizeof(err)));
	run(&x);
	if (x.outcome != ACME_DONE)
		fail_msg("keyChange: %s", x.error);
	/* the new key orders under the same account */
	o = order(nk, kid);
	if (o.outcome != ACME_DONE)
		fail_msg("order with the new key: %s", o.error);
	free(o.chain);
	free(o.account_url);
	/* newAccount with the new key finds that same account */
	kid2 = new_account(nk);
	assert_string_equal(kid2, kid);
	/* the old key is refused */
	o = order(old, kid);
	assert_int_equal(o.outcome, ACME_FAILED);
	print_message("old key after rollover: %s\n", o.ptype);
	assert_true(strcmp(o.ptype, "urn:ietf:params:acme:error:unauthorized") == 0 ||
	    strcmp(o.ptype, "urn:ietf:params:acme:error:accountDoesNotExist") == 0 ||
	    strcmp(o.ptype, "urn:ietf:params:acme:error:malformed") == 0);
	free(o.account_url);
	free(x.account_url);
	free(kid);
	free(kid2);
	jws_key_free(old);
	jws_key_free(nk);
}

static void
test_deactivate(void **state)
{
	struct jws_key *key = make_key("RSA", NULL);
	char *kid = new_account(key), err[256];
	struct acme_manage_params p = { 0 };
	struct res x = { 0 }, o;

	(void)state;
	assert_string_equal(jws_key_alg(key), "RS256");
	p.directory = F.dir;
	p.ca_file = F.ca_file;
	p.key = key;
	p.account_url = kid;
	assert_non_null(acme_deactivate_start(F.eng, &p, on_done, &x, err,
	    sizeof(err)));
	run(&x);
	if (x.outcome != ACME_DONE)
		fail_msg("deactivate: %s", x.error);
	o = order(key, kid);
	assert_int_equal(o.outcome, ACME_FAILED);
	assert_string_equal(o.ptype, "urn:ietf:params:acme:error:unauthorized");
	free(o.account_url);
	free(x.account_url);
	free(kid);
	jws_key_free(key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_revoke),
		cmocka_unit_test(test_keychange),
		cmocka_unit_test(test_deactivate),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
