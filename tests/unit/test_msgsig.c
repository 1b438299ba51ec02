/* test_msgsig.c -- unit tests of signed Kafka messages: sign/verify (Ed25519 and P-256), tampering, purpose, expiry, unknown keys, rotation, encrypted keys, header strictness. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "clock.h"
#include "msgsig.h"

#define NOW	1900000000000LL		/* a fixed "now" for expiry checks */

static char dir[64];

static void
path_of(char *out, size_t outlen, const char *name)
{
	snprintf(out, outlen, "%s/%s", dir, name);
}

/* Writes key k: private to priv (encrypted with pass when not NULL),
 * public appended to pub (when not NULL). Frees k. */
static void
write_key(EVP_PKEY *k, const char *priv, const char *pub, const char *pass)
{
	char p[128];
	FILE *fp;

	assert_non_null(k);
	path_of(p, sizeof(p), priv);
	assert_non_null(fp = fopen(p, "w"));
	assert_int_equal(PEM_write_PrivateKey(fp, k, pass != NULL ?
	    EVP_aes_256_cbc() : NULL, NULL, 0, NULL, (void *)pass), 1);
	fclose(fp);
	if (pub != NULL) {
		path_of(p, sizeof(p), pub);
		assert_non_null(fp = fopen(p, "a"));
		fprintf(fp, "# a comment between keys is fine\n");
		assert_int_equal(PEM_write_PUBKEY(fp, k), 1);
		fclose(fp);
	}
	EVP_PKEY_free(k);
}

/* A new Ed25519 key, written as write_key does. */
static void
make_key(const char *priv, const char *pub, const char *pass)
{
	write_key(EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), priv, pub, pass);
}

/* A new ECDSA P-256 key, written as write_key does. */
static void
make_p256(const char *priv, const char *pub)
{
	write_key(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), priv, pub,
	    NULL);
}

static struct msgsig_signer *
signer(const char *name, const char *passfile)
{
	char p[128], pf[128], err[256];
	struct msgsig_signer *s;

	path_of(p, sizeof(p), name);
	if (passfile != NULL)
		path_of(pf, sizeof(pf), passfile);
	s = msgsig_signer_load(p, passfile != NULL ? pf : NULL, err, sizeof(err));
	if (s == NULL)
		fail_msg("%s", err);
	return s;
}

static struct msgsig_verifier *
verifier(const char *name)
{
	char p[128], err[256];
	struct msgsig_verifier *v;

	path_of(p, sizeof(p), name);
	if ((v = msgsig_verifier_load(p, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	return v;
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_msgsig.XXXXXX");
	assert_non_null(mkdtemp(dir));
	make_key("a.key", "ab.pub", NULL);
	make_key("b.key", "ab.pub", NULL);
	make_key("c.key", "c.pub", NULL);
	make_key("m.key", "mix.pub", NULL);
	make_p256("p.key", "mix.pub");
	make_p256("q.key", "q.pub");
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int
verify(struct msgsig_verifier *v, enum msgsig_purpose p, const char *hdr,
    const char *key, const char *payload, char *err, size_t errlen)
{
	return msgsig_verify(v, p, hdr, hdr != NULL ? strlen(hdr) : 0, key,
	    strlen(key), payload, strlen(payload), NOW, err, errlen);
}

static void
sign(struct msgsig_signer *s, enum msgsig_purpose p, int64_t exp,
    const char *key, const char *payload, char *hdr)
{
	char err[256];

	if (msgsig_sign(s, p, exp, key, strlen(key), payload, strlen(payload),
	    hdr, MSGSIG_HEADER_MAX + 1, err, sizeof(err)) < 0)
		fail_msg("%s", err);
}

/* A signed job verifies; any change to it does not. */
static void
test_sign_verify_tamper(void **state)
{
	struct msgsig_signer *a = signer("a.key", NULL);
	struct msgsig_verifier *v = verifier("ab.pub");
	char hdr[MSGSIG_HEADER_MAX + 1], bad[MSGSIG_HEADER_MAX + 1], err[256];

	(void)state;
	assert_int_equal(msgsig_verifier_count(v), 2);
	sign(a, MSGSIG_JOB, NOW + 60000, "example.com", "payload", hdr);
	assert_int_equal(strlen(hdr), 3 + 16 + 1 + 13 + 1 + 86);
	assert_int_equal(verify(v, MSGSIG_JOB, hdr, "example.com", "payload", err,
	    sizeof(err)), 0);
	assert_int_equal(verify(v, MSGSIG_JOB, hdr, "example.com", "payloaD", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "does not verify"));
	assert_int_equal(verify(v, MSGSIG_JOB, hdr, "example.org", "payload", err,
	    sizeof(err)), -1);
	/* a job's signature is no event's */
	assert_int_equal(verify(v, MSGSIG_EVENT, hdr, "example.com", "payload",
	    err, sizeof(err)), -1);
	/* a later expiry written into the header breaks the signature */
	snprintf(bad, sizeof(bad), "%s", hdr);
	bad[20 + 3] = bad[20 + 3] == '9' ? '8' : '9';
	assert_int_equal(verify(v, MSGSIG_JOB, bad, "example.com", "payload",
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "does not verify"));
	msgsig_verifier_free(v);
	msgsig_signer_free(a);
}

/* Unsigned, unknown key, expired, a job without expiry: refused with a
 * reason; an event may go without expiry. */
static void
test_refusals(void **state)
{
	struct msgsig_signer *a = signer("a.key", NULL), *c = signer("c.key",
	    NULL);
	struct msgsig_verifier *v = verifier("ab.pub");
	char hdr[MSGSIG_HEADER_MAX + 1], err[256];

	(void)state;
	assert_int_equal(verify(v, MSGSIG_JOB, NULL, "k", "p", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "unsigned job"));
	sign(c, MSGSIG_JOB, NOW + 1000, "k", "p", hdr);
	assert_int_equal(verify(v, MSGSIG_JOB, hdr, "k", "p", err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "is not one of the 2 accepted"));
	sign(a, MSGSIG_JOB, NOW - 1000, "k", "p", hdr);
	assert_int_equal(verify(v, MSGSIG_JOB, hdr, "k", "p", err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "expired job"));
	sign(a, MSGSIG_JOB, NOW, "k", "p", hdr);
	assert_int_equal(verify(v, MSGSIG_JOB, hdr, "k", "p", err, sizeof(err)),
	    -1);
	sign(a, MSGSIG_JOB, 0, "k", "p", hdr);
	assert_int_equal(verify(v, MSGSIG_JOB, hdr, "k", "p", err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "without an expiry"));
	sign(a, MSGSIG_EVENT, 0, "k", "p", hdr);
	assert_int_equal(verify(v, MSGSIG_EVENT, hdr, "k", "p", err,
	    sizeof(err)), 0);
	/* an empty key and payload are messages too */
	sign(a, MSGSIG_EVENT, 0, "", "", hdr);
	assert_int_equal(verify(v, MSGSIG_EVENT, hdr, "", "", err, sizeof(err)),
	    0);
	msgsig_verifier_free(v);
	msgsig_signer_free(a);
	msgsig_signer_free(c);
}

static void
copy_file(const char *from, const char *to)
{
	char cmd[320];

	snprintf(cmd, sizeof(cmd), "cp %s/%s %s/%s.tmp && mv %s/%s.tmp %s/%s",
	    dir, from, dir, to, dir, to, dir, to);
	assert_int_equal(system(cmd), 0);
}

/* Rotation without restart: the verifiers take the new key's file while
 * the old key still signs, then the signer switches, then the old key is
 * dropped; a file that does not load changes nothing. */
static void
test_rotation(void **state)
{
	struct msgsig_signer *s;
	struct msgsig_verifier *v;
	char hdr[MSGSIG_HEADER_MAX + 1], err[256], akid[MSGSIG_KID_LEN + 1];
	FILE *fp;
	char p[128];

	(void)state;
	copy_file("a.key", "sign.key");
	copy_file("c.pub", "verify.pub");	/* does not hold a yet */
	s = signer("sign.key", NULL);
	v = verifier("verify.pub");
	snprintf(akid, sizeof(akid), "%s", msgsig_signer_kid(s));
	sign(s, MSGSIG_JOB, NOW + 1000, "k", "p", hdr);
	assert_int_equal(verify(v, MSGSIG_JOB, hdr, "k", "p", err, sizeof(err)),
	    -1);
	copy_file("ab.pub", "verify.pub");	/* a and b accepted */
	usleep((MSGSIG_RELOAD_MS + 100) * 1000);
	assert_int_equal(verify(v, MSGSIG_JOB, hdr, "k", "p", err, sizeof(err)),
	    0);
	copy_file("b.key", "sign.key");		/* now b signs */
	path_of(p, sizeof(p), "verify.pub");	/* a broken bundle: ignored */
	assert_non_null(fp = fopen(p, "w"));
	fputs("not a key\n", fp);
	fclose(fp);
	usleep((MSGSIG_RELOAD_MS + 100) * 1000);
	sign(s, MSGSIG_JOB, NOW + 1000, "k", "p", hdr);
	assert_string_not_equal(msgsig_signer_kid(s), akid);
	assert_int_equal(verify(v, MSGSIG_JOB, hdr, "k", "p", err, sizeof(err)),
	    0);
	msgsig_verifier_free(v);
	msgsig_signer_free(s);
}

/* An encrypted key loads with its passphrase file, not without; no error
 * message carries the passphrase. */
static void
test_encrypted_key(void **state)
{
	char p[128], pf[128], err[256];
	FILE *fp;

	(void)state;
	make_key("enc.key", NULL, "s3cret-pass");
	path_of(pf, sizeof(pf), "pass");
	assert_non_null(fp = fopen(pf, "w"));
	fputs("s3cret-pass\n", fp);
	fclose(fp);
	msgsig_signer_free(signer("enc.key", "pass"));
	path_of(p, sizeof(p), "enc.key");
	assert_null(msgsig_signer_load(p, NULL, err, sizeof(err)));
	assert_null(strstr(err, "s3cret"));
	assert_non_null(fp = fopen(pf, "w"));
	fputs("wrong\n", fp);
	fclose(fp);
	assert_null(msgsig_signer_load(p, pf, err, sizeof(err)));
	assert_non_null(strstr(err, "passphrase"));
	/* a public key file is no signing key, and a private one no bundle */
	path_of(p, sizeof(p), "c.pub");
	assert_null(msgsig_signer_load(p, NULL, err, sizeof(err)));
	path_of(p, sizeof(p), "c.key");
	assert_null(msgsig_verifier_load(p, err, sizeof(err)));
}

/* A P-256 key signs and verifies like an Ed25519 one, beside it in one
 * verifier's file; its key id hashes its uncompressed point; any change to
 * the message or its signature fails; a P-256 signature is no Ed25519
 * key's, and the reverse. */
static void
test_p256(void **state)
{
	struct msgsig_signer *p = signer("p.key", NULL), *m = signer("m.key",
	    NULL), *q = signer("q.key", NULL);
	struct msgsig_verifier *v = verifier("mix.pub");
	char hdr[MSGSIG_HEADER_MAX + 1], bad[MSGSIG_HEADER_MAX + 1], err[256];
	char path[128], kid[MSGSIG_KID_LEN + 1];
	unsigned char point[65], md[32];
	size_t n = 0, i;
	EVP_PKEY *k;
	FILE *fp;

	(void)state;
	assert_int_equal(msgsig_verifier_count(v), 2);
	/* the key id: SHA-256 of 0x04 || x || y, its first 8 bytes */
	path_of(path, sizeof(path), "p.key");
	assert_non_null(fp = fopen(path, "r"));
	assert_non_null(k = PEM_read_PrivateKey(fp, NULL, NULL, NULL));
	fclose(fp);
	assert_int_equal(EVP_PKEY_get_octet_string_param(k,
	    OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point, sizeof(point), &n), 1);
	assert_int_equal(n, 65);
	assert_int_equal(point[0], 0x04);
	assert_int_equal(EVP_Digest(point, n, md, NULL, EVP_sha256(), NULL), 1);
	for (i = 0; i < MSGSIG_KID_LEN / 2; i++)
		snprintf(kid + 2 * i, 3, "%02x", md[i]);
	assert_string_equal(msgsig_signer_kid(p), kid);
	EVP_PKEY_free(k);

	sign(p, MSGSIG_JOB, NOW + 60000, "example.com", "payload", hdr);
	assert_int_equal(strlen(hdr), 3 + 16 + 1 + 13 + 1 + 86);
	assert_int_equal(verify(v, MSGSIG_JOB, hdr, "example.com", "payload",
	    err, sizeof(err)), 0);
	assert_int_equal(verify(v, MSGSIG_JOB, hdr, "example.com", "payloaD",
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "does not verify"));
	assert_int_equal(verify(v, MSGSIG_EVENT, hdr, "example.com", "payload",
	    err, sizeof(err)), -1);
	/* one signature character changed: r or s is another number (not the
	 * last character, whose low bits are padding: a header error) */
	for (i = 3 + 16 + 1 + 13 + 1; i < strlen(hdr) - 1; i += 17) {
		snprintf(bad, sizeof(bad), "%s", hdr);
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		assert_int_equal(verify(v, MSGSIG_JOB, bad, "example.com",
		    "payload", err, sizeof(err)), -1);
		assert_non_null(strstr(err, "does not verify"));
	}
	/* r = s = 0 is no signature */
	snprintf(bad, sizeof(bad), "v1 %s %lld %s", msgsig_signer_kid(p),
	    (long long)(NOW + 60000), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	assert_int_equal(verify(v, MSGSIG_JOB, bad, "example.com", "payload",
	    err, sizeof(err)), -1);
	/* the Ed25519 key of the same file verifies its own */
	sign(m, MSGSIG_EVENT, 0, "k", "p", hdr);
	assert_int_equal(verify(v, MSGSIG_EVENT, hdr, "k", "p", err,
	    sizeof(err)), 0);
	/* a P-256 signature under the Ed25519 key's id, and the reverse */
	sign(p, MSGSIG_EVENT, 0, "k", "p", bad);
	memcpy(bad + 3, msgsig_signer_kid(m), MSGSIG_KID_LEN);
	assert_int_equal(verify(v, MSGSIG_EVENT, bad, "k", "p", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "does not verify"));
	memcpy(hdr + 3, msgsig_signer_kid(p), MSGSIG_KID_LEN);
	assert_int_equal(verify(v, MSGSIG_EVENT, hdr, "k", "p", err,
	    sizeof(err)), -1);
	/* a P-256 key not in the file */
	sign(q, MSGSIG_EVENT, 0, "k", "p", hdr);
	assert_int_equal(verify(v, MSGSIG_EVENT, hdr, "k", "p", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "is not one of the 2 accepted"));
	msgsig_verifier_free(v);
	msgsig_signer_free(p);
	msgsig_signer_free(m);
	msgsig_signer_free(q);
}

/* A key of another type or curve is refused, public or private. */
static void
test_other_key_types(void **state)
{
	static const char *const curve[] = { "P-384", "P-521" };
	char p[128], err[256];
	EVP_PKEY *k;
	size_t i;
	FILE *fp;

	(void)state;
	for (i = 0; i < 3; i++) {
		k = i < 2 ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve[i]) :
		    EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		assert_non_null(k);
		path_of(p, sizeof(p), "other.pub");
		assert_non_null(fp = fopen(p, "w"));
		PEM_write_PUBKEY(fp, k);
		fclose(fp);
		assert_null(msgsig_verifier_load(p, err, sizeof(err)));
		assert_non_null(strstr(err, "not an Ed25519 or P-256 key"));
		path_of(p, sizeof(p), "other.key");
		assert_non_null(fp = fopen(p, "w"));
		PEM_write_PrivateKey(fp, k, NULL, NULL, 0, NULL, NULL);
		fclose(fp);
		assert_null(msgsig_signer_load(p, NULL, err, sizeof(err)));
		assert_non_null(strstr(err, "not an Ed25519 or P-256 key"));
		EVP_PKEY_free(k);
	}
}

/* The header parser takes exactly one form. */
static void
test_header_strict(void **state)
{
	static const char sig[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	static const char *bad[] = {
		"", "v2 0123456789abcdef 1 ", "v1 0123456789ABCDEF 1 ",
		"v1 0123456789abcde 1 ", "v1 0123456789abcdef  1 ",
		"v1 0123456789abcdef 01 ", "v1 0123456789abcdef -1 ",
		"v1 0123456789abcdef 1234567890123456789 ",
		"v1 0123456789abcdef 1  ", "v1 0123456789abcdef 1",
	};
	struct msgsig_header h;
	char buf[256], err[128];
	size_t i;

	(void)state;
	assert_int_equal(strlen(sig), 86);
	snprintf(buf, sizeof(buf), "v1 0123456789abcdef 1700000000000 %s", sig);
	assert_int_equal(msgsig_header_parse(buf, strlen(buf), &h, err,
	    sizeof(err)), 0);
	assert_string_equal(h.kid, "0123456789abcdef");
	assert_true(h.exp_ms == 1700000000000LL);
	snprintf(buf, sizeof(buf), "v1 0123456789abcdef 0 %s", sig);
	assert_int_equal(msgsig_header_parse(buf, strlen(buf), &h, err,
	    sizeof(err)), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "%s%s", bad[i], sig);
		assert_int_equal(msgsig_header_parse(buf, strlen(buf), &h, err,
		    sizeof(err)), -1);
	}
	snprintf(buf, sizeof(buf), "v1 0123456789abcdef 1 %sA", sig);
	assert_int_equal(msgsig_header_parse(buf, strlen(buf), &h, err,
	    sizeof(err)), -1);
	snprintf(buf, sizeof(buf), "v1 0123456789abcdef 1 %.85s", sig);
	assert_int_equal(msgsig_header_parse(buf, strlen(buf), &h, err,
	    sizeof(err)), -1);
	snprintf(buf, sizeof(buf), "v1 0123456789abcdef 1 %.85s=", sig);
	assert_int_equal(msgsig_header_parse(buf, strlen(buf), &h, err,
	    sizeof(err)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_verify_tamper),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_encrypted_key),
		cmocka_unit_test(test_p256),
		cmocka_unit_test(test_other_key_types),
		cmocka_unit_test(test_header_strict),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
