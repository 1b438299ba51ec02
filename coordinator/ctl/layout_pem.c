/* layout_pem.c -- a directory of loose PEM files: each private key paired with the certificate of its public key, the leaf's chain from its own file or from the issuers found beside it. */
#include "layout_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* A certificate found in the directory. */
struct lp_cert {
	X509		*x;
	size_t		 file;		/* index into lp.files */
	int		 pos;		/* its place among its file's certificates */
	int		 used;		/* a key's leaf */
};

/* A private key found in the directory. */
struct lp_key {
	char		*pem;		/* the block re-encoded (wiped when freed) */
	size_t		 pemlen;
	size_t		 file;
	EVP_PKEY	*pub;		/* NULL: encrypted or unreadable */
	int		 encrypted;
};

struct lp {
	char		**files;	/* paths */
	size_t		  nfiles;
	struct lp_cert	 *c;
	size_t		  nc;
	struct lp_key	 *k;
	size_t		  nk;
};

static void
lp_free(struct lp *p)
{
	size_t i;

	for (i = 0; i < p->nc; i++)
		X509_free(p->c[i].x);
	for (i = 0; i < p->nk; i++) {
		layout_wipe(p->k[i].pem, p->k[i].pemlen);
		EVP_PKEY_free(p->k[i].pub);
	}
	free(p->c);
	free(p->k);
	layout_names_free(p->files, p->nfiles);
}

/* The PEM text of one block, malloc'd, *len set; NULL on failure. */
static char *
lp_block_pem(const char *name, const char *header, const unsigned char *data,
    long dlen, size_t *len)
{
	BIO *b;
	char *p, *out = NULL;
	long n;

	if ((b = BIO_new(BIO_s_secmem())) == NULL)
		return NULL;
	if (PEM_write_bio(b, name, header, data, dlen) > 0 &&
	    (n = BIO_get_mem_data(b, &p)) > 0 && (out = malloc((size_t)n +
	    1)) != NULL) {
		memcpy(out, p, (size_t)n);
		out[n] = '\0';
		*len = (size_t)n;
	}
	BIO_free(b);
	return out;
}

/* A private key block of file f: kept with its public half. 0 or -1. */
static int
lp_add_key(struct lp *p, size_t f, const char *name, const char *header,
    const unsigned char *data, long dlen)
{
	struct lp_key *nk, *k;
	EVP_PKEY *pk;
	BIO *b;

	if ((nk = realloc(p->k, (p->nk + 1) * sizeof(*nk))) == NULL)
		return -1;
	p->k = nk;
	k = &p->k[p->nk];
	memset(k, 0, sizeof(*k));
	k->file = f;
	k->encrypted = strstr(name, "ENCRYPTED") != NULL ||
	    strstr(header, "ENCRYPTED") != NULL;
	if ((k->pem = lp_block_pem(name, header, data, dlen, &k->pemlen)) ==
	    NULL)
		return -1;
	p->nk++;
	if (k->encrypted)
		return 0;
	if ((b = BIO_new_mem_buf(k->pem, (int)k->pemlen)) != NULL) {
		/* no password: an encrypted key was caught above */
		pk = PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)"");
		BIO_free(b);
		k->pub = pk;
	}
	ERR_clear_error();
	return 0;
}

/* A certificate block of file f. 0, or -1 when memory runs out. */
static int
lp_add_cert(struct lp *p, size_t f, int pos, const unsigned char *data,
    long dlen)
{
	struct lp_cert *nc;
	const unsigned char *q = data;
	X509 *x;

	if ((x = d2i_X509(NULL, &q, dlen)) == NULL) {
		ERR_clear_error();
		return 0;	/* not X.509: ignored */
	}
	if ((nc = realloc(p->c, (p->nc + 1) * sizeof(*nc))) == NULL) {
		X509_free(x);
		return -1;
	}
	p->c = nc;
	p->c[p->nc].x = x;
	p->c[p->nc].file = f;
	p->c[p->nc].pos = pos;
	p->c[p->nc].used = 0;
	p->nc++;
	return 0;
}

/* Every PEM block of file f (text[0..len)): certificates and private keys;
 * other blocks, and what follows a malformed one, are left. 0 or -1. */
static int
lp_scan(struct lp *p, size_t f, const char *text, size_t len)
{
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long dlen;
	BIO *b;
	int pos = 0, rc = 0;

	if ((b = BIO_new_mem_buf(text, (int)len)) == NULL)
		return -1;
	while (rc == 0 && PEM_read_bio(b, &name, &header, &data, &dlen) == 1) {
		if (strcmp(name, "CERTIFICATE") == 0)
			rc = lp_add_cert(p, f, pos++, data, dlen);
		else if (strstr(name, "PRIVATE KEY") != NULL)
			rc = lp_add_key(p, f, name, header, data, dlen);
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_clear_free(data, (size_t)dlen);
		name = header = NULL;
		data = NULL;
	}
	ERR_clear_error();
	BIO_free(b);
	return rc;
}

/* Reads every regular file of dir into p. 0, or -1 with err. */
static int
lp_load(const char *dir, struct lp *p, struct layout *l, char *err,
    size_t errlen)
{
	char **names, *path, *text, why[512];
	size_t n, i, len;
	int rc = -1;

	if (layout_list(dir, &names, &n, err, errlen) < 0)
		return -1;
	if ((p->files = calloc(n > 0 ? n : 1, sizeof(char *))) == NULL)
		goto oom;
	for (i = 0; i < n; i++) {
		if ((path = layout_join(dir, names[i])) == NULL)
			goto oom;
		if (!layout_is_file(path)) {
			free(path);
			continue;
		}
		p->files[p->nfiles] = path;
		if ((text = layout_slurp(path, &len, why, sizeof(why))) == NULL) {
			if (layout_skip(l, "%s", why) < 0)
				goto oom;
		} else if (lp_scan(p, p->nfiles, text, len) < 0) {
			layout_wipe(text, len);
			goto oom;
		} else
			layout_wipe(text, len);
		p->nfiles++;
	}
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	layout_names_free(names, n);
	return rc;
}

/* The leaf of key k: the certificate of the same public key, the one that
 * expires last when several; -1 when none. */
static int
lp_leaf(const struct lp *p, const struct lp_key *k)
{
	int i, best = -1;

	for (i = 0; i < (int)p->nc; i++) {
		if (EVP_PKEY_eq(k->pub, X509_get0_pubkey(p->c[i].x)) != 1)
			continue;
		if (best < 0 || ASN1_TIME_compare(X509_get0_notAfter(p->c[i].x),
		    X509_get0_notAfter(p->c[best].x)) > 0)
			best = i;
	}
	ERR_clear_error();
	return best;
}

/* Appends certificate x as PEM to b. 0 or -1. */
static int
lp_put(BIO *b, X509 *x)
{
	return PEM_write_bio_X509(b, x) == 1 ? 0 : -1;
}

/* b's contents as a malloc'd string; NULL on failure. */
static char *
lp_take(BIO *b)
{
	char *p, *out;
	long n = BIO_get_mem_data(b, &p);

	if (n < 0 || (out = malloc((size_t)n + 1)) == NULL)
		return NULL;
	memcpy(out, p, (size_t)n);
	out[n] = '\0';
	return out;
}

/* The chain of leaf i into b: the certificates after it in its file; when
 * none, its issuers among every certificate found (self-signed roots
 * left out). Returns how many were put, -1 on failure. */
static int
lp_chain(const struct lp *p, int leaf, BIO *b)
{
	X509 *cur = p->c[leaf].x, *seen[LAYOUT_CHAIN_MAX];
	int i, j, n = 0;

	for (i = 0; i < (int)p->nc && n < LAYOUT_CHAIN_MAX; i++)
		if (p->c[i].file == p->c[leaf].file && p->c[i].pos >
		    p->c[leaf].pos) {
			if (lp_put(b, p->c[i].x) < 0)
				return -1;
			n++;
		}
	if (n > 0)
		return n;
	while (n < LAYOUT_CHAIN_MAX) {
		for (i = 0; i < (int)p->nc; i++) {
			if (p->c[i].x == cur || X509_check_issued(p->c[i].x, cur) !=
			    X509_V_OK)
				continue;
			for (j = 0; j < n && seen[j] != p->c[i].x; j++)
				;
			if (j == n)
				break;
		}
		if (i == (int)p->nc || X509_check_issued(p->c[i].x,
		    p->c[i].x) == X509_V_OK)
			break;	/* no issuer here, or a root */
		if (lp_put(b, p->c[i].x) < 0)
			return -1;
		seen[n++] = cur = p->c[i].x;
	}
	ERR_clear_error();
	return n;
}

/* The set of key k, whose leaf is certificate leaf. 0 or -1. */
static int
lp_set(struct lp *p, struct lp_key *k, int leaf, struct layout *l)
{
	const char *file = p->files[p->c[leaf].file], *base;
	struct layout_set *s;
	BIO *b = NULL, *cb = NULL;
	int n, rc = -1;

	base = strrchr(file, '/') != NULL ? strrchr(file, '/') + 1 : file;
	if ((s = layout_add(l, base, file)) == NULL ||
	    (b = BIO_new(BIO_s_mem())) == NULL ||
	    (cb = BIO_new(BIO_s_mem())) == NULL)
		goto out;
	if (lp_put(b, p->c[leaf].x) < 0 || (n = lp_chain(p, leaf, cb)) < 0 ||
	    (s->cert = lp_take(b)) == NULL ||
	    (n > 0 && (s->chain = lp_take(cb)) == NULL))
		goto out;
	s->key = k->pem;	/* the set owns it now */
	s->keylen = k->pemlen;
	k->pem = NULL;
	p->c[leaf].used = 1;
	rc = 0;
out:
	BIO_free(b);
	BIO_free(cb);
	return rc;
}

/* Pairs every key with its leaf; lists what pairs with nothing. 0 or -1. */
static int
lp_pair(struct lp *p, struct layout *l)
{
	size_t i;
	int leaf;

	for (i = 0; i < p->nk; i++) {
		if (p->k[i].encrypted || p->k[i].pub == NULL) {
			if (layout_skip(l, "%s: a private key that is %s",
			    p->files[p->k[i].file], p->k[i].encrypted ?
			    "encrypted (decrypt it first)" : "unreadable") < 0)
				return -1;
			continue;
		}
		if ((leaf = lp_leaf(p, &p->k[i])) < 0) {
			if (layout_skip(l, "%s: a private key that no certificate "
			    "here is for", p->files[p->k[i].file]) < 0)
				return -1;
			continue;
		}
		if (p->c[leaf].used) {
			if (layout_skip(l, "%s: the same key as another file's",
			    p->files[p->k[i].file]) < 0)
				return -1;
			continue;
		}
		if (lp_set(p, &p->k[i], leaf, l) < 0)
			return -1;
	}
	for (i = 0; i < p->nc; i++)
		if (!p->c[i].used && X509_check_ca(p->c[i].x) == 0 &&
		    layout_skip(l, "%s: certificate %d has no private key here",
		    p->files[p->c[i].file], p->c[i].pos + 1) < 0)
			return -1;
	return 0;
}

static int
lp_setcmp(const void *a, const void *b)
{
	return strcmp(((const struct layout_set *)a)->name,
	    ((const struct layout_set *)b)->name);
}

int
layout_pemdir(const char *dir, struct layout *l, char *err, size_t errlen)
{
	struct lp p = { 0 };
	int rc = -1;

	if (lp_load(dir, &p, l, err, errlen) < 0)
		goto out;
	if (lp_pair(&p, l) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (l->n > 1)
		qsort(l->sets, l->n, sizeof(*l->sets), lp_setcmp);
	rc = 0;
out:
	lp_free(&p);
	return rc;
}
