/* msgsig.c -- signatures of Kafka messages through OpenSSL (Ed25519 or ECDSA P-256): key files, header, sign, verify. */
#include "msgsig.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "b64.h"
#include "clock.h"
#include "ecdsa_raw.h"
#include "log.h"

#define MSGSIG_SIG_LEN	64	/* Ed25519, or P-256's r || s */
#define MSGSIG_SIG_B64	86	/* base64url of 64 bytes */
#define MSGSIG_P256_DER	72	/* bytes of a P-256 DER signature at most */
#define MSGSIG_PASS_MAX	1024

/* What a key file looked like when read: its change is a reload. */
struct msgsig_file {
	char		*path;
	char		*passfile;
	struct stat	 st;
	uint64_t	 checked_ms;
};

struct msgsig_signer {
	struct msgsig_file	 f;
	EVP_PKEY		*key;
	char			 kid[MSGSIG_KID_LEN + 1];
};

struct msgsig_verifier {
	struct msgsig_file	 f;
	EVP_PKEY		*key[MSGSIG_KEYS_MAX];
	char			 kid[MSGSIG_KEYS_MAX][MSGSIG_KID_LEN + 1];
	size_t			 n;
};

static const char *
msgsig_purpose_name(enum msgsig_purpose p)
{
	return p == MSGSIG_JOB ? "job" : "event";
}

/* 1 when k is a key messages are signed with: Ed25519, or EC on P-256. */
static int
msgsig_key_ok(EVP_PKEY *k)
{
	char group[32];

	if (EVP_PKEY_get_id(k) == EVP_PKEY_ED25519)
		return 1;
	return EVP_PKEY_get_id(k) == EVP_PKEY_EC &&
	    EVP_PKEY_get_group_name(k, group, sizeof(group), NULL) == 1 &&
	    strcmp(group, "prime256v1") == 0;
}

/* The public key's bytes a key id hashes: Ed25519's raw 32, or P-256's
 * uncompressed point (0x04 || x || y, 65). Returns their number, or 0. */
static size_t
msgsig_public_bytes(EVP_PKEY *k, unsigned char out[65])
{
	BIGNUM *x = NULL, *y = NULL;
	size_t n = 32;

	if (EVP_PKEY_get_id(k) == EVP_PKEY_ED25519)
		return EVP_PKEY_get_raw_public_key(k, out, &n) == 1 &&
		    n == 32 ? n : 0;
	n = 0;
	if (EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
	    EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1 &&
	    BN_bn2binpad(x, out + 1, 32) == 32 &&
	    BN_bn2binpad(y, out + 33, 32) == 32) {
		out[0] = 0x04;
		n = 65;
	}
	BN_free(x);
	BN_free(y);
	ERR_clear_error();
	return n;
}

/* The key id of a key (public or private; see msgsig.h). Returns 0 or -1. */
static int
msgsig_kid(EVP_PKEY *k, char out[MSGSIG_KID_LEN + 1])
{
	unsigned char raw[65], md[32];
	size_t rawlen, i;
	unsigned mdlen = sizeof(md);

	if ((rawlen = msgsig_public_bytes(k, raw)) == 0 ||
	    EVP_Digest(raw, rawlen, md, &mdlen, EVP_sha256(), NULL) != 1)
		return -1;
	for (i = 0; i < MSGSIG_KID_LEN / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* The digest a key signs through: none for Ed25519 (it hashes itself),
 * SHA-256 for P-256. */
static const EVP_MD *
msgsig_md(EVP_PKEY *k)
{
	return EVP_PKEY_get_id(k) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
}

/* Reads file path (at most MSGSIG_FILE_MAX bytes) into a memory BIO, and
 * its stat into st. Returns the BIO or NULL with err. */
static BIO *
msgsig_read(const char *path, struct stat *st, char *err, size_t errlen)
{
	FILE *fp;
	char *buf = NULL;
	size_t n;
	BIO *b = NULL;

	if ((fp = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(fp), st) < 0 || (buf = malloc(MSGSIG_FILE_MAX + 1)) ==
	    NULL) {
		snprintf(err, errlen, "%s: cannot read", path);
		goto out;
	}
	n = fread(buf, 1, MSGSIG_FILE_MAX + 1, fp);
	if (n > MSGSIG_FILE_MAX)
		snprintf(err, errlen, "%s: over %d bytes", path, MSGSIG_FILE_MAX);
	else if ((b = BIO_new(BIO_s_secmem())) == NULL ||
	    (n > 0 && BIO_write(b, buf, (int)n) != (int)n)) {
		BIO_free(b);
		b = NULL;
		snprintf(err, errlen, "%s: out of memory", path);
	}
out:
	if (buf != NULL)
		OPENSSL_cleanse(buf, MSGSIG_FILE_MAX + 1);
	free(buf);
	fclose(fp);
	return b;
}

/* The passphrase: the first line of passfile, into pass. Returns 0 or -1. */
static int
msgsig_pass(const char *passfile, char *pass, size_t passlen, char *err,
    size_t errlen)
{
	FILE *fp;

	if ((fp = fopen(passfile, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", passfile, strerror(errno));
		return -1;
	}
	if (fgets(pass, (int)passlen, fp) == NULL)
		pass[0] = '\0';
	fclose(fp);
	pass[strcspn(pass, "\r\n")] = '\0';
	if (pass[0] == '\0') {
		snprintf(err, errlen, "%s: no passphrase on its first line",
		    passfile);
		return -1;
	}
	return 0;
}

/* Reads the private key of f. Returns it, or NULL with err. */
static EVP_PKEY *
msgsig_private(struct msgsig_file *f, char *err, size_t errlen)
{
	char pass[MSGSIG_PASS_MAX];
	EVP_PKEY *k = NULL;
	BIO *b;

	pass[0] = '\0';
	if (f->passfile != NULL && msgsig_pass(f->passfile, pass, sizeof(pass),
	    err, errlen) < 0)
		return NULL;
	if ((b = msgsig_read(f->path, &f->st, err, errlen)) == NULL)
		goto out;
	/* With no callback, OpenSSL takes the last argument as the
	 * passphrase; an empty one fails on an encrypted key. */
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, pass);
	BIO_free(b);
	if (k == NULL) {
		ERR_clear_error();
		snprintf(err, errlen, "%s: no PEM private key (or a wrong "
		    "passphrase)", f->path);
	} else if (!msgsig_key_ok(k)) {
		snprintf(err, errlen, "%s: not an Ed25519 or P-256 key", f->path);
		EVP_PKEY_free(k);
		k = NULL;
	}
out:
	OPENSSL_cleanse(pass, sizeof(pass));
	return k;
}

/* 1 when f's file changed since it was read (looked at no more often than
 * every MSGSIG_RELOAD_MS), else 0. */
static int
msgsig_changed(struct msgsig_file *f)
{
	uint64_t now = clock_mono_ms();
	struct stat st;

	if (now - f->checked_ms < MSGSIG_RELOAD_MS)
		return 0;
	f->checked_ms = now;
	if (stat(f->path, &st) < 0)
		return 0;
	return st.st_ino != f->st.st_ino || st.st_size != f->st.st_size ||
	    st.st_mtim.tv_sec != f->st.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != f->st.st_mtim.tv_nsec;
}

static int
msgsig_file_init(struct msgsig_file *f, const char *path, const char *passfile)
{
	f->path = strdup(path);
	f->passfile = passfile != NULL ? strdup(passfile) : NULL;
	f->checked_ms = clock_mono_ms();
	return f->path == NULL || (passfile != NULL && f->passfile == NULL) ?
	    -1 : 0;
}

struct msgsig_signer *
msgsig_signer_load(const char *path, const char *passfile, char *err,
    size_t errlen)
{
	struct msgsig_signer *s;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    msgsig_file_init(&s->f, path, passfile) < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((s->key = msgsig_private(&s->f, err, errlen)) == NULL)
		goto fail;
	if (msgsig_kid(s->key, s->kid) < 0) {
		snprintf(err, errlen, "%s: no public key in it", path);
		goto fail;
	}
	return s;
fail:
	msgsig_signer_free(s);
	return NULL;
}

void
msgsig_signer_free(struct msgsig_signer *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_free(s->key);
	free(s->f.path);
	free(s->f.passfile);
	free(s);
}

const char *
msgsig_signer_kid(const struct msgsig_signer *s)
{
	return s->kid;
}

/* Takes the signer's file again when it changed. */
static void
msgsig_signer_refresh(struct msgsig_signer *s)
{
	char err[256], kid[MSGSIG_KID_LEN + 1];
	EVP_PKEY *k;

	if (!msgsig_changed(&s->f))
		return;
	if ((k = msgsig_private(&s->f, err, sizeof(err))) == NULL ||
	    msgsig_kid(k, kid) < 0) {
		log_warn("msgsig: signing key not reloaded, key %s stays in "
		    "use: %s", s->kid, k == NULL ? err : "no public key");
		EVP_PKEY_free(k);
		return;
	}
	if (strcmp(kid, s->kid) != 0)
		log_info("msgsig: signing key now %s (was %s)", kid, s->kid);
	EVP_PKEY_free(s->key);
	s->key = k;
	memcpy(s->kid, kid, sizeof(kid));
}

/* The bytes signed (see msgsig.h), malloc'd, with *tbslen. */
static unsigned char *
msgsig_tbs(enum msgsig_purpose p, const char *kid, int64_t exp_ms,
    const void *key, size_t keylen, const void *payload, size_t len,
    size_t *tbslen)
{
	char head[160];
	unsigned char *tbs;
	int n;

	n = snprintf(head, sizeof(head), "certfleet-msgsig-v1\n%s\n%s\n%" PRId64
	    "\n%zu\n", msgsig_purpose_name(p), kid, exp_ms, keylen);
	if (n < 0 || (size_t)n >= sizeof(head) ||
	    (tbs = malloc((size_t)n + keylen + len + 1)) == NULL)
		return NULL;
	memcpy(tbs, head, (size_t)n);
	if (keylen > 0)
		memcpy(tbs + n, key, keylen);
	if (len > 0)
		memcpy(tbs + n + keylen, payload, len);
	*tbslen = (size_t)n + keylen + len;
	return tbs;
}

int
msgsig_sign(struct msgsig_signer *s, enum msgsig_purpose purpose,
    int64_t exp_ms, const void *key, size_t keylen, const void *payload,
    size_t len, char *out, size_t outlen, char *err, size_t errlen)
{
	unsigned char *tbs = NULL, sig[MSGSIG_P256_DER];
	unsigned char raw[MSGSIG_SIG_LEN];
	size_t tbslen = 0, siglen = sizeof(sig);
	EVP_MD_CTX *md = NULL;
	char *b64 = NULL;
	int rc = -1;

	msgsig_signer_refresh(s);
	if (exp_ms < 0 || outlen < MSGSIG_HEADER_MAX + 1) {
		snprintf(err, errlen, "msgsig_sign: bad expiry or buffer");
		return -1;
	}
	if ((tbs = msgsig_tbs(purpose, s->kid, exp_ms, key, keylen, payload,
	    len, &tbslen)) == NULL || (md = EVP_MD_CTX_new()) == NULL) {
		snprintf(err, errlen, "msgsig_sign: out of memory");
		goto out;
	}
	if (EVP_DigestSignInit(md, NULL, msgsig_md(s->key), NULL, s->key) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, tbs, tbslen) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "msgsig_sign: signing failed");
		goto out;
	}
	/* Ed25519's 64 bytes as they are; P-256's DER as r || s */
	if (msgsig_md(s->key) == NULL ? siglen != sizeof(raw) :
	    ecdsa_der_to_raw(sig, siglen, sizeof(raw) / 2, raw) < 0) {
		snprintf(err, errlen, "msgsig_sign: a signature of an "
		    "unexpected size");
		goto out;
	}
	if (msgsig_md(s->key) == NULL)
		memcpy(raw, sig, sizeof(raw));
	if ((b64 = b64url_encode(raw, sizeof(raw))) == NULL) {
		snprintf(err, errlen, "msgsig_sign: out of memory");
		goto out;
	}
	snprintf(out, outlen, "v1 %s %" PRId64 " %s", s->kid, exp_ms, b64);
	rc = 0;
out:
	free(b64);
	free(tbs);
	EVP_MD_CTX_free(md);
	return rc;
}

/* ------------------------------------------------------------ verifying */

int
msgsig_header_parse(const void *hdr, size_t len, struct msgsig_header *h,
    char *err, size_t errlen)
{
	const char *s = hdr, *p;
	unsigned char *sig = NULL;
	size_t i, siglen = 0;
	int64_t exp = 0;

	if (len > MSGSIG_HEADER_MAX || len < 3 || memcmp(s, "v1 ", 3) != 0) {
		snprintf(err, errlen, "signature header is not \"v1 ...\" of at "
		    "most %d bytes", MSGSIG_HEADER_MAX);
		return -1;
	}
	p = s + 3;
	for (i = 0; i < MSGSIG_KID_LEN; i++) {
		if (p + i >= s + len || !((p[i] >= '0' && p[i] <= '9') ||
		    (p[i] >= 'a' && p[i] <= 'f'))) {
			snprintf(err, errlen, "signature header: key id is not "
			    "%d lower-case hex digits", MSGSIG_KID_LEN);
			return -1;
		}
		h->kid[i] = p[i];
	}
	h->kid[i] = '\0';
	p += MSGSIG_KID_LEN;
	if (p >= s + len || *p++ != ' ' || p >= s + len || *p < '0' ||
	    *p > '9' || (*p == '0' && p + 1 < s + len && p[1] != ' '))
		goto badexp;
	for (i = 0; p < s + len && *p >= '0' && *p <= '9'; p++, i++) {
		if (i >= 18)	/* 18 digits: far beyond any date, no overflow */
			goto badexp;
		exp = exp * 10 + (*p - '0');
	}
	if (p >= s + len || *p++ != ' ')
		goto badexp;
	h->exp_ms = exp;
	if ((size_t)(s + len - p) != MSGSIG_SIG_B64 ||
	    (sig = b64url_decode(p, MSGSIG_SIG_B64, &siglen)) == NULL ||
	    siglen != sizeof(h->sig)) {
		free(sig);
		snprintf(err, errlen, "signature header: the signature is not "
		    "base64url of 64 bytes");
		return -1;
	}
	memcpy(h->sig, sig, sizeof(h->sig));
	free(sig);
	return 0;
badexp:
	snprintf(err, errlen, "signature header: expiry is not a decimal "
	    "number of milliseconds");
	return -1;
}

static void
msgsig_keys_free(EVP_PKEY **key, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		EVP_PKEY_free(key[i]);
}

/* Reads every public key of f into key/kid. Returns their number (> 0), or
 * -1 with err. */
static int
msgsig_publics(struct msgsig_file *f, EVP_PKEY **key,
    char (*kid)[MSGSIG_KID_LEN + 1], char *err, size_t errlen)
{
	EVP_PKEY *k;
	size_t n = 0, i;
	BIO *b;

	if ((b = msgsig_read(f->path, &f->st, err, errlen)) == NULL)
		return -1;
	while ((k = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL)) != NULL) {
		if (n == MSGSIG_KEYS_MAX || !msgsig_key_ok(k) ||
		    msgsig_kid(k, kid[n]) < 0) {
			snprintf(err, errlen, "%s: key %zu is %s", f->path, n + 1,
			    n == MSGSIG_KEYS_MAX ? "one too many" :
			    "not an Ed25519 or P-256 key");
			goto fail;
		}
		for (i = 0; i < n; i++)
			if (strcmp(kid[i], kid[n]) == 0) {
				snprintf(err, errlen, "%s: key %s twice", f->path,
				    kid[n]);
				goto fail;
			}
		key[n++] = k;
	}
	ERR_clear_error();	/* the end of the file is an error to PEM */
	BIO_free(b);
	if (n == 0) {
		snprintf(err, errlen, "%s: no PEM public key", f->path);
		return -1;
	}
	return (int)n;
fail:
	EVP_PKEY_free(k);
	msgsig_keys_free(key, n);
	BIO_free(b);
	return -1;
}

struct msgsig_verifier *
msgsig_verifier_load(const char *path, char *err, size_t errlen)
{
	struct msgsig_verifier *v;
	int n;

	if ((v = calloc(1, sizeof(*v))) == NULL ||
	    msgsig_file_init(&v->f, path, NULL) < 0) {
		snprintf(err, errlen, "out of memory");
		msgsig_verifier_free(v);
		return NULL;
	}
	if ((n = msgsig_publics(&v->f, v->key, v->kid, err, errlen)) < 0) {
		msgsig_verifier_free(v);
		return NULL;
	}
	v->n = (size_t)n;
	return v;
}

void
msgsig_verifier_free(struct msgsig_verifier *v)
{
	if (v == NULL)
		return;
	msgsig_keys_free(v->key, v->n);
	free(v->f.path);
	free(v);
}

size_t
msgsig_verifier_count(const struct msgsig_verifier *v)
{
	return v->n;
}

/* Takes the verifier's file again when it changed. */
static void
msgsig_verifier_refresh(struct msgsig_verifier *v)
{
	EVP_PKEY *key[MSGSIG_KEYS_MAX];
	char kid[MSGSIG_KEYS_MAX][MSGSIG_KID_LEN + 1], err[256];
	int n;

	if (!msgsig_changed(&v->f))
		return;
	if ((n = msgsig_publics(&v->f, key, kid, err, sizeof(err))) < 0) {
		log_warn("msgsig: verifying keys not reloaded, the %zu in use "
		    "stay: %s", v->n, err);
		return;
	}
	msgsig_keys_free(v->key, v->n);
	memcpy(v->key, key, sizeof(key));
	memcpy(v->kid, kid, sizeof(kid));
	v->n = (size_t)n;
	log_info("msgsig: %d verifying key(s) now accepted", n);
}

/* The key of id kid, or NULL. */
static EVP_PKEY *
msgsig_find(const struct msgsig_verifier *v, const char *kid)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (strcmp(v->kid[i], kid) == 0)
			return v->key[i];
	return NULL;
}

int
msgsig_verify(struct msgsig_verifier *v, enum msgsig_purpose purpose,
    const void *hdr, size_t hdrlen, const void *key, size_t keylen,
    const void *payload, size_t len, int64_t now_ms, char *err,
    size_t errlen)
{
	struct msgsig_header h;
	unsigned char *tbs = NULL, *der = NULL;
	const unsigned char *sig;
	size_t tbslen = 0, siglen = sizeof(h.sig);
	EVP_MD_CTX *md = NULL;
	EVP_PKEY *k;
	char why[160];
	int rc = -1;

	if (hdr == NULL) {
		snprintf(err, errlen, "unsigned %s: no %s header",
		    msgsig_purpose_name(purpose), MSGSIG_HEADER);
		return -1;
	}
	if (msgsig_header_parse(hdr, hdrlen, &h, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "badly signed %s: %s",
		    msgsig_purpose_name(purpose), why);
		return -1;
	}
	msgsig_verifier_refresh(v);
	if ((k = msgsig_find(v, h.kid)) == NULL) {
		snprintf(err, errlen, "badly signed %s: key id %s is not one of "
		    "the %zu accepted", msgsig_purpose_name(purpose), h.kid, v->n);
		return -1;
	}
	if ((tbs = msgsig_tbs(purpose, h.kid, h.exp_ms, key, keylen, payload,
	    len, &tbslen)) == NULL || (md = EVP_MD_CTX_new()) == NULL) {
		snprintf(err, errlen, "msgsig_verify: out of memory");
		goto out;
	}
	/* P-256: r || s back to the DER OpenSSL verifies */
	sig = h.sig;
	if (msgsig_md(k) != NULL) {
		if ((der = ecdsa_raw_to_der(h.sig, sizeof(h.sig) / 2,
		    &siglen)) == NULL) {
			snprintf(err, errlen, "msgsig_verify: out of memory");
			goto out;
		}
		sig = der;
	}
	if (EVP_DigestVerifyInit(md, NULL, msgsig_md(k), NULL, k) != 1 ||
	    EVP_DigestVerify(md, sig, siglen, tbs, tbslen) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "badly signed %s: the signature of key %s "
		    "does not verify", msgsig_purpose_name(purpose), h.kid);
	} else if (purpose == MSGSIG_JOB && h.exp_ms == 0)
		snprintf(err, errlen, "job signed by key %s without an expiry",
		    h.kid);
	else if (h.exp_ms != 0 && h.exp_ms <= now_ms)
		snprintf(err, errlen, "expired %s: expiry %" PRId64 " ms is %"
		    PRId64 " s in the past", msgsig_purpose_name(purpose),
		    h.exp_ms, (now_ms - h.exp_ms) / 1000);
	else
		rc = 0;
out:
	OPENSSL_free(der);
	free(tbs);
	EVP_MD_CTX_free(md);
	return rc;
}
