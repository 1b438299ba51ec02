/* test_chains.c -- unit tests of key types, revocation reasons, the CaAction codec and the preferred-chain rule. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "acme.h"
#include "chains.h"
#include "codec.h"
#include "jobmsg.h"
#include "jws.h"
#include "keys.h"
#include "test_coord_ca.h"

static void
test_key_types(void **state)
{
	static const struct {
		const char	*name;
		int		 rsa;
		int		 bits;
		const char	*alg;	/* as an account key, or NULL */
	} want[] = {
		{ "ec-p256", 0, 256, "ES256" },
		{ "ec-p384", 0, 384, "ES384" },
		{ "rsa-2048", 1, 2048, "RS256" },
		{ "rsa-3072", 1, 3072, "RS256" },
		{ "rsa-4096", 1, 4096, "RS256" },
	};
	enum keys_type t;
	EVP_PKEY *k;
	struct jws_key *jk;
	char err[256], *pem;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(keys_type_parse(want[i].name, &t), 0);
		assert_string_equal(keys_type_name(t), want[i].name);
		k = keys_generate(t, err, sizeof(err));
		assert_non_null(k);
		assert_int_equal(EVP_PKEY_is_a(k, want[i].rsa ? "RSA" : "EC"), 1);
		assert_int_equal(EVP_PKEY_get_bits(k), want[i].bits);
		/* the PEM loads as a JWS key of the expected algorithm */
		pem = keys_private_pem(k, &len);
		assert_non_null(pem);
		jk = jws_key_from_pem(pem, len, err, sizeof(err));
		assert_non_null(jk);
		assert_string_equal(jws_key_alg(jk), want[i].alg);
		jws_key_free(jk);
		keys_pem_free(pem, len);
		EVP_PKEY_free(k);
	}
	assert_int_equal(keys_type_parse("rsa-1024", &t), -1);
	assert_int_equal(keys_type_parse("ec-p521", &t), -1);
	assert_int_equal(keys_type_parse("", &t), -1);
}

static void
test_account_key_types(void **state)
{
	enum keys_type t;

	(void)state;
	assert_int_equal(keys_account_type_parse("ES256", &t), 0);
	assert_int_equal(t, KEYS_EC_P256);
	assert_int_equal(keys_account_type_parse("ES384", &t), 0);
	assert_int_equal(t, KEYS_EC_P384);
	assert_int_equal(keys_account_type_parse("RS256", &t), 0);
	assert_int_equal(t, KEYS_RSA_2048);
	assert_int_equal(keys_account_type_parse("ES512", &t), -1);
	assert_int_equal(keys_account_type_parse("es256", &t), -1);
	assert_int_equal(keys_account_type_parse("ec-p256", &t), -1);
}

static void
test_revoke_reasons(void **state)
{
	(void)state;
	assert_int_equal(acme_revoke_reason_parse("unspecified"), 0);
	assert_int_equal(acme_revoke_reason_parse("keyCompromise"), 1);
	assert_int_equal(acme_revoke_reason_parse("affiliationChanged"), 3);
	assert_int_equal(acme_revoke_reason_parse("superseded"), 4);
	assert_int_equal(acme_revoke_reason_parse("cessationOfOperation"), 5);
	assert_int_equal(acme_revoke_reason_parse("4"), 4);
	assert_int_equal(acme_revoke_reason_parse("0"), 0);
	/* CA-side or unknown reasons are refused */
	assert_int_equal(acme_revoke_reason_parse("2"), -1);
	assert_int_equal(acme_revoke_reason_parse("cACompromise"), -1);
	assert_int_equal(acme_revoke_reason_parse("6"), -1);
	assert_int_equal(acme_revoke_reason_parse("9"), -1);
	assert_int_equal(acme_revoke_reason_parse("10"), -1);
	assert_int_equal(acme_revoke_reason_parse(""), -1);
	assert_int_equal(acme_revoke_reason_parse(NULL), -1);
	assert_int_equal(acme_revoke_reason_ok(-1), 0);
	assert_string_equal(acme_revoke_reason_name(1), "keyCompromise");
	assert_string_equal(acme_revoke_reason_name(7), "unknown");
}

/* ---- chains ---- */

static EVP_PKEY *ck;

/* A certificate with subject CN sub issued by CN iss (self-signed with ck:
 * only names matter here), serial, as PEM. */
static char *
cert(const char *sub, const char *iss, long serial)
{
	X509 *x = X509_new();
	X509_NAME *s = X509_NAME_new(), *i = X509_NAME_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *out;
	long n;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_NAME_add_entry_by_txt(s, "CN", MBSTRING_ASC,
	    (const unsigned char *)sub, -1, -1, 0);
	X509_NAME_add_entry_by_txt(i, "CN", MBSTRING_ASC,
	    (const unsigned char *)iss, -1, -1, 0);
	X509_set_subject_name(x, s);
	X509_set_issuer_name(x, i);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, ck);
	assert_true(X509_sign(x, ck, EVP_sha256()) > 0);
	PEM_write_bio_X509(b, x);
	n = BIO_get_mem_data(b, &p);
	out = strndup(p, (size_t)n);
	BIO_free(b);
	X509_NAME_free(s);
	X509_NAME_free(i);
	X509_free(x);
	return out;
}

static char *
cat3(const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
	char *s = malloc(n);

	snprintf(s, n, "%s%s%s", a, b, c);
	return s;
}

static void
test_chains_select(void **state)
{
	char *leaf, *other, *ia, *ib, *cross, *def, *alt1, *alt2, *bad, err[256];
	char *alts[3];
	struct chains ch;

	(void)state;
	ck = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	leaf = cert("shop.example.test", "Int A", 1);
	other = cert("other.example.test", "Int A", 2);
	ia = cert("Int A", "Root A", 3);
	ib = cert("Int A", "Root B", 4);
	cross = cert("Root B", "Root C", 5);
	def = cat3(leaf, ia, "");
	alt1 = cat3(leaf, ib, "");
	alt2 = cat3(leaf, ib, cross);
	bad = cat3(other, ia, "");
	alts[0] = alt1;
	alts[1] = bad;		/* another leaf: skipped */
	alts[2] = alt2;
	assert_int_equal(chains_parse(def, alts, 3, &ch, err, sizeof(err)), 0);
	assert_int_equal(ch.n, 3);
	assert_int_equal(ch.skipped, 1);
	assert_string_equal(ch.e[0].top_issuer, "Root A");
	assert_true(ch.e[0].is_default);
	assert_string_equal(ch.e[1].top_issuer, "Root B");
	assert_false(ch.e[1].is_default);
	assert_string_equal(ch.e[2].top_issuer, "Root C");
	/* the rest never holds the leaf */
	assert_string_equal(ch.e[0].rest, ia);
	/* every certificate parsed once, for the checks that follow */
	assert_non_null(ch.leaf_x);
	assert_int_equal(sk_X509_num(ch.e[0].rest_x), 1);
	assert_int_equal(sk_X509_num(ch.e[1].rest_x), 1);
	assert_int_equal(sk_X509_num(ch.e[2].rest_x), 2);
	{
		char a[ACME_CERTID_MAX], b[ACME_CERTID_MAX], why[128];
		int ra = acme_ari_certid_pem(leaf, strlen(leaf), a, sizeof(a),
		    why, sizeof(why));

		assert_int_equal(acme_ari_certid_x509(ch.leaf_x, b, sizeof(b),
		    why, sizeof(why)), ra);
		if (ra == 0)
			assert_string_equal(a, b);
	}
	/* default when nothing or nothing matching is preferred */
	assert_int_equal(chains_select(&ch, NULL), 0);
	assert_int_equal(chains_select(&ch, ""), 0);
	assert_int_equal(chains_select(&ch, "Root Z"), 0);
	/* top issuer first */
	assert_int_equal(chains_select(&ch, "Root A"), 0);
	assert_int_equal(chains_select(&ch, "Root B"), 1);
	assert_int_equal(chains_select(&ch, "Root C"), 2);
	/* else any issuer in the chain: "Int A" is issued by ... */
	assert_int_equal(chains_select(&ch, "Int A"), 0);
	chains_free(&ch);
	/* an unusable default chain is an error */
	assert_int_equal(chains_parse("garbage", NULL, 0, &ch, err, sizeof(err)),
	    -1);
	free(leaf);
	free(other);
	free(ia);
	free(ib);
	free(cross);
	free(def);
	free(alt1);
	free(alt2);
	free(bad);
	EVP_PKEY_free(ck);
}

/* A chain named by a T61String or BMPString CN is named in UTF-8 (what
 * PostgreSQL and CERTFLEET_PREFERRED_CHAIN hold), never by the raw bytes. */
static void
test_chains_cn_utf8(void **state)
{
	static const struct {
		int		 type;
		const char	*cn;
		int		 len;
		const char	*want;
	} cases[] = {
		{ V_ASN1_T61STRING, "Caf\xe9 Root", 9, "Caf\xc3\xa9 Root" },
		{ V_ASN1_BMPSTRING, "\0R\0\xe9", 4, "R\xc3\xa9" },
		{ V_ASN1_UTF8STRING, "R\xc3\xa9", 3, "R\xc3\xa9" },
	};
	char *names[] = { "t61.example.test" }, *lp, *cp, *def, err[256];
	struct testca ca;
	struct chains ch;
	EVP_PKEY *k;
	X509 *leaf;
	size_t i;

	(void)state;
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(testca_new_cn(&ca, cases[i].type, cases[i].cn,
		    cases[i].len), 0);
		assert_non_null(leaf = testca_issue(&ca, k, names, 1, "02",
		    time(NULL) - 60, time(NULL) + 86400));
		lp = testca_pem(leaf);
		cp = testca_pem(ca.cert);
		def = cat3(lp, cp, "");
		assert_int_equal(chains_parse(def, NULL, 0, &ch, err,
		    sizeof(err)), 0);
		assert_int_equal(ch.n, 1);
		assert_string_equal(ch.e[0].top_issuer, cases[i].want);
		assert_int_equal(chains_select(&ch, cases[i].want), 0);
		chains_free(&ch);
		free(def);
		free(lp);
		free(cp);
		X509_free(leaf);
		testca_free(&ca);
	}
	EVP_PKEY_free(k);
}

/* A chain's id is the first 32 hex digits of its SHA-256, the value SQL's
 * certfleet_chain_id gives (test_coord_flow compares the two on a stored
 * chain). */
static void
test_chains_id(void **state)
{
	char id[CHAINS_ID_LEN + 1];

	(void)state;
	chains_id("abc", id);
	assert_string_equal(id, "ba7816bf8f01cfea414140de5dae2223");
	chains_id("", id);
	assert_string_equal(id, "e3b0c44298fc1c149afbf4c8996fb924");
}

/* ---- the CaAction job on the wire ---- */

static void
test_action_codec(void **state)
{
	static const unsigned char der[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	struct jobmsg_action ja = { 0 };
	Certfleet__Job *j;
	char err[256];
	void *buf;
	size_t len;

	(void)state;
	ja.kind = JOBMSG_ACTION_REVOKE;
	ja.job_id = "job-1";
	ja.attempt = 1;
	ja.trace_id = "trace-1";
	ja.ca_name = "pebble";
	ja.directory_url = "https://127.0.0.1:14000/dir";
	ja.account_id = "acct-1";
	ja.account_url = "https://127.0.0.1:14000/my-account/1";
	ja.certificate_id = "cert-1";
	ja.cert_der = der;
	ja.cert_len = sizeof(der);
	ja.reason = 4;
	buf = jobmsg_action_encode(&ja, &len);
	assert_non_null(buf);
	j = proto_job_decode(buf, len, err, sizeof(err));
	assert_non_null(j);
	assert_int_equal(j->kind_case, CERTFLEET__JOB__KIND_CA_ACTION);
	assert_int_equal(j->ca_action->action_case,
	    CERTFLEET__CA_ACTION__ACTION_REVOKE_CERTIFICATE);
	assert_int_equal(j->ca_action->revoke_certificate->reason, 4);
	proto_job_free(j);
	free(buf);

	ja.reason = 2;		/* cACompromise: refused */
	buf = jobmsg_action_encode(&ja, &len);
	assert_null(proto_job_decode(buf, len, err, sizeof(err)));
	assert_non_null(strstr(err, "reason"));
	free(buf);

	ja.kind = JOBMSG_ACTION_ROLLOVER;
	ja.new_key_thumbprint = "";	/* a rollover names its new key */
	buf = jobmsg_action_encode(&ja, &len);
	assert_null(proto_job_decode(buf, len, err, sizeof(err)));
	free(buf);
	ja.new_key_thumbprint = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
	buf = jobmsg_action_encode(&ja, &len);
	j = proto_job_decode(buf, len, err, sizeof(err));
	assert_non_null(j);
	proto_job_free(j);
	free(buf);

	ja.kind = JOBMSG_ACTION_DEACTIVATE;
	ja.account_url = "";	/* the kid is required */
	buf = jobmsg_action_encode(&ja, &len);
	assert_null(proto_job_decode(buf, len, err, sizeof(err)));
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_types),
		cmocka_unit_test(test_account_key_types),
		cmocka_unit_test(test_revoke_reasons),
		cmocka_unit_test(test_chains_select),
		cmocka_unit_test(test_chains_cn_utf8),
		cmocka_unit_test(test_chains_id),
		cmocka_unit_test(test_action_codec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
