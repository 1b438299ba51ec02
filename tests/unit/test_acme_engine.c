/* test_acme_engine.c -- unit tests of the ACME engine without a CA: argument checks, an unreachable CA deferred as unavailable, cancel and free balance callbacks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "acme.h"

struct counts {
	int	done;
	int	created;
	enum acme_outcome outcome;
	int	retryable;
	int	ca_unavailable;
	time_t	not_before;
	char	error[512];
};

static void
on_done(void *arg, const struct acme_result *r)
{
	struct counts *c = arg;

	c->done++;
	c->outcome = r->outcome;
	c->retryable = r->retryable;
	c->ca_unavailable = r->ca_unavailable;
	c->not_before = r->not_before;
	strcpy(c->error, r->error);
}

static void
on_created(void *arg, const char *url)
{
	struct counts *c = arg;

	(void)url;
	c->created++;
}

static int
on_begin(void *arg, const char *token, const char *ka)
{
	(void)arg;
	(void)token;
	(void)ka;
	return 0;
}

static void
on_end(void *arg, const char *token)
{
	(void)arg;
	(void)token;
}

static struct jws_key *
key(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	BIO *bio = BIO_new(BIO_s_mem());
	struct jws_key *jk;
	char err[128], *pem;
	long n;

	PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(bio, &pem);
	jk = jws_key_from_pem(pem, (size_t)n, err, sizeof(err));
	assert_non_null(jk);
	BIO_free(bio);
	EVP_PKEY_free(k);
	return jk;
}

static unsigned char *
csr(size_t *len)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509_REQ *req = X509_REQ_new();
	unsigned char *der = NULL;

	X509_REQ_set_pubkey(req, k);
	X509_REQ_sign(req, k, EVP_sha256());
	*len = (size_t)i2d_X509_REQ(req, &der);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	return der;
}

/* An order on a closed loopback port, with sane parameters. */
static void
params(struct acme_order_params *p, struct jws_key *k, const char *const *names,
    unsigned char *der, size_t len)
{
	memset(p, 0, sizeof(*p));
	p->directory = "https://127.0.0.1:1/dir";
	p->key = k;
	p->account_url = "https://127.0.0.1:1/acct/1";
	p->names = names;
	p->nnames = 1;
	p->csr_der = der;
	p->csr_len = len;
	p->deadline_s = 20;
}

static void
test_bad_arguments(void **state)
{
	const char *good[] = { "a.example.test" };
	const char *bad[] = { "a/../b" };
	struct acme_order_cb cb = { on_created, on_begin, on_end, on_done, NULL };
	struct acme_order_params p;
	struct acme_engine *e;
	struct jws_key *k = key();
	struct counts c;
	unsigned char *der, junk[4] = { 1, 2, 3, 4 };
	size_t len;
	char err[256];

	(void)state;
	memset(&c, 0, sizeof(c));
	cb.arg = &c;
	der = csr(&len);
	e = acme_engine_new(NULL, err, sizeof(err));
	assert_non_null(e);

	params(&p, k, bad, der, len);
	assert_null(acme_order_start(e, &p, &cb, err, sizeof(err)));
	assert_non_null(strstr(err, "name"));
	params(&p, k, good, junk, sizeof(junk));
	assert_null(acme_order_start(e, &p, &cb, err, sizeof(err)));
	assert_non_null(strstr(err, "CSR"));
	params(&p, k, good, der, len);
	p.account_url = "file:///etc/passwd";
	assert_null(acme_order_start(e, &p, &cb, err, sizeof(err)));
	params(&p, k, good, der, len);
	p.directory = "gopher://x";
	assert_null(acme_order_start(e, &p, &cb, err, sizeof(err)));
	params(&p, k, good, der, len);
	p.challenge_type = "tls-alpn-01";
	assert_null(acme_order_start(e, &p, &cb, err, sizeof(err)));
	params(&p, k, good, der, len);
	p.nnames = 0;
	assert_null(acme_order_start(e, &p, &cb, err, sizeof(err)));
	params(&p, k, good, der, len);
	cb.challenge_end = NULL;
	assert_null(acme_order_start(e, &p, &cb, err, sizeof(err)));

	assert_int_equal(acme_engine_inflight(e), 0);
	assert_int_equal(c.done, 0);	/* no callback for a refused start */
	acme_engine_free(e);
	OPENSSL_free(der);
	jws_key_free(k);
}

static void
test_unreachable_ca(void **state)
{
	const char *names[] = { "a.example.test" };
	struct acme_order_cb cb = { on_created, on_begin, on_end, on_done, NULL };
	struct acme_account_params ap;
	struct acme_order_params p;
	struct acme_engine *e;
	struct jws_key *k = key();
	struct counts c[3];
	unsigned char *der;
	size_t len;
	char err[256];
	int i;

	(void)state;
	memset(c, 0, sizeof(c));
	der = csr(&len);
	e = acme_engine_new(NULL, err, sizeof(err));
	params(&p, k, names, der, len);
	for (i = 0; i < 2; i++) {
		cb.arg = &c[i];
		assert_non_null(acme_order_start(e, &p, &cb, err, sizeof(err)));
	}
	memset(&ap, 0, sizeof(ap));
	ap.directory = p.directory;
	ap.key = k;
	ap.tos_agreed = 1;
	assert_non_null(acme_account_start(e, &ap, on_done, &c[2], err, sizeof(err)));
	assert_int_equal(acme_engine_inflight(e), 3);
	for (i = 0; i < 200 && acme_engine_inflight(e) > 0; i++)
		assert_int_equal(acme_engine_run(e, 100, NULL, 0), 0);
	assert_int_equal(acme_engine_inflight(e), 0);
	/* A CA that does not answer defers (no attempt spent), marked so
	 * that the coordinator's breaker counts it. */
	for (i = 0; i < 3; i++) {
		assert_int_equal(c[i].done, 1);
		assert_int_equal(c[i].outcome, ACME_DEFERRED);
		assert_int_equal(c[i].retryable, 1);
		assert_int_equal(c[i].ca_unavailable, 1);
		assert_true(c[i].not_before >= time(NULL) + ACME_UNAVAILABLE_S - 2);
		assert_non_null(strstr(c[i].error, "directory"));
		assert_int_equal(c[i].created, 0);
	}
	acme_engine_free(e);
	OPENSSL_free(der);
	jws_key_free(k);
}

static void
test_cancel_and_free(void **state)
{
	const char *names[] = { "a.example.test" };
	struct acme_order_cb cb = { on_created, on_begin, on_end, on_done, NULL };
	struct acme_order_params p;
	struct acme_engine *e;
	struct acme_op *op;
	struct jws_key *k = key();
	struct counts c[2];
	unsigned char *der;
	size_t len;
	char err[256];

	(void)state;
	memset(c, 0, sizeof(c));
	der = csr(&len);
	e = acme_engine_new(NULL, err, sizeof(err));
	params(&p, k, names, der, len);
	cb.arg = &c[0];
	op = acme_order_start(e, &p, &cb, err, sizeof(err));
	cb.arg = &c[1];
	assert_non_null(acme_order_start(e, &p, &cb, err, sizeof(err)));
	acme_op_cancel(op);
	assert_int_equal(c[0].done, 1);
	assert_int_equal(c[0].outcome, ACME_CANCELLED);
	assert_int_equal(acme_engine_inflight(e), 1);
	acme_engine_free(e);	/* cancels the other */
	assert_int_equal(c[1].done, 1);
	assert_int_equal(c[1].outcome, ACME_CANCELLED);
	OPENSSL_free(der);
	jws_key_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_unreachable_ca),
		cmocka_unit_test(test_cancel_and_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
