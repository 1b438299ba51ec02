/* chains.c -- splits the CA's chains, names them by their top issuer CN, picks the one to serve and names it by its id (issued.c stores them all). */
#include "chains.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "certinfo.h"
#include "ids.h"
#include "log.h"
#include "pem.h"
#include "x509cache.h"

/* The CN of name into out as UTF-8 ("" when it has none or it does not
 * convert: a chain without a usable name is still a chain, only one that
 * no preferred-chain rule picks by name). Never the raw ASN.1 bytes: a
 * T61String or BMPString CN would not be text PostgreSQL takes. */
static void
chains_cn(const X509_NAME *name, char *out, size_t outlen)
{
	(void)certinfo_cn_utf8(name, out, outlen);
}

/* Calls fn for the issuer CN of every certificate of pem, in order; the
 * last call is the top issuer. Returns the count, -1 when pem is bad. */
static int
chains_walk(const char *pem, void (*fn)(void *, const char *), void *arg)
{
	char cn[CHAINS_ISSUER_MAX + 1];
	BIO *b;
	X509 *x;
	size_t len = strlen(pem);
	int n = 0;

	if (len == 0)
		return 0;
	if (len > PEM_MAX_INPUT || (b = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return -1;
	while ((x = x509cache_pem_read(b)) != NULL) {
		chains_cn(X509_get_issuer_name(x), cn, sizeof(cn));
		fn(arg, cn);
		X509_free(x);
		n++;
	}
	ERR_clear_error();	/* the end of the input reads as an error */
	BIO_free(b);
	return n;
}

struct chains_last {
	char	*out;
	size_t	 outlen;
};

static void
chains_keep_last(void *arg, const char *cn)
{
	struct chains_last *l = arg;

	snprintf(l->out, l->outlen, "%s", cn);
}

int
chains_top_issuer(const char *leaf, const char *rest, char *out, size_t outlen)
{
	struct chains_last l = { out, outlen };

	out[0] = '\0';
	if (rest != NULL && rest[0] != '\0')
		return chains_walk(rest, chains_keep_last, &l) > 0 ? 0 : -1;
	return chains_walk(leaf, chains_keep_last, &l) > 0 ? 0 : -1;
}

/* The certificates of PEM text pem (leaf first) into a new stack, or NULL
 * when memory runs out or pem is over PEM_MAX_INPUT. */
static STACK_OF(X509) *
chains_certs(const char *pem)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	size_t len = strlen(pem);
	BIO *b;
	X509 *x;

	if (sk == NULL || len == 0)
		return sk;
	if (len > PEM_MAX_INPUT || (b = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		sk_X509_free(sk);
		return NULL;
	}
	while ((x = x509cache_pem_read(b)) != NULL)
		if (sk_X509_push(sk, x) <= 0) {
			X509_free(x);
			sk_X509_pop_free(sk, X509_free);
			sk = NULL;
			break;
		}
	ERR_clear_error();	/* the end of the input reads as an error */
	BIO_free(b);
	return sk;
}

/* Adds chain pem (leaf first) to ch when its leaf is leaf (or sets leaf
 * and ch->leaf_x when NULL). Returns 0, or -1 when it is unusable. */
static int
chains_add(struct chains *ch, const char *pem, char **leaf, int is_default,
    char *err, size_t errlen)
{
	struct chains_entry *e = &ch->e[ch->n];
	STACK_OF(X509) *lx = NULL, *rx = NULL;
	char *l = NULL, *rest = NULL;
	const X509 *top;

	if (pem_chain_split(pem, strlen(pem), &l, &rest, err, errlen) < 0)
		return -1;
	if (*leaf != NULL && strcmp(*leaf, l) != 0) {
		snprintf(err, errlen, "its leaf is not the default chain's");
		goto fail;
	}
	if ((*leaf == NULL && ((lx = chains_certs(l)) == NULL ||
	    sk_X509_num(lx) == 0)) || (rx = chains_certs(rest)) == NULL ||
	    (rest[0] != '\0' && sk_X509_num(rx) == 0)) {
		snprintf(err, errlen, "no certificate parses");
		goto fail;
	}
	/* the top issuer: of its last certificate, of the leaf without one */
	top = sk_X509_num(rx) > 0 ? sk_X509_value(rx, sk_X509_num(rx) - 1) :
	    lx != NULL ? sk_X509_value(lx, 0) : ch->leaf_x;
	chains_cn(X509_get_issuer_name(top), e->top_issuer,
	    sizeof(e->top_issuer));
	if (*leaf == NULL) {
		*leaf = l;
		ch->leaf_x = sk_X509_shift(lx);
		sk_X509_pop_free(lx, X509_free);
	} else
		free(l);
	e->rest = rest;
	e->rest_x = rx;
	e->is_default = is_default;
	ch->n++;
	return 0;
fail:
	sk_X509_pop_free(lx, X509_free);
	sk_X509_pop_free(rx, X509_free);
	free(l);
	free(rest);
	return -1;
}

int
chains_parse(const char *def, char *const *alts, size_t nalts,
    struct chains *ch, char *err, size_t errlen)
{
	char *leaf = NULL, why[256];
	size_t i;

	memset(ch, 0, sizeof(*ch));
	if (chains_add(ch, def, &leaf, 1, err, errlen) < 0)
		return -1;
	for (i = 0; i < nalts; i++) {
		if (ch->n == CHAINS_MAX) {
			ch->skipped += nalts - i;
			break;
		}
		if (chains_add(ch, alts[i], &leaf, 0, why, sizeof(why)) < 0) {
			log_warn("chains: alternate chain %zu skipped: %s", i, why);
			ch->skipped++;
		}
	}
	free(leaf);
	return 0;
}

void
chains_free(struct chains *ch)
{
	size_t i;

	for (i = 0; i < ch->n; i++) {
		free(ch->e[i].rest);
		sk_X509_pop_free(ch->e[i].rest_x, X509_free);
	}
	X509_free(ch->leaf_x);
	memset(ch, 0, sizeof(*ch));
}

struct chains_find {
	const char	*want;
	int		 found;
};

static void
chains_match(void *arg, const char *cn)
{
	struct chains_find *f = arg;

	if (strcmp(cn, f->want) == 0)
		f->found = 1;
}

size_t
chains_select(const struct chains *ch, const char *preferred)
{
	struct chains_find f;
	size_t i;

	if (preferred == NULL || preferred[0] == '\0')
		return 0;
	for (i = 0; i < ch->n; i++)
		if (strcmp(ch->e[i].top_issuer, preferred) == 0)
			return i;
	for (i = 0; i < ch->n; i++) {
		f.want = preferred;
		f.found = 0;
		if (chains_walk(ch->e[i].rest, chains_match, &f) > 0 && f.found)
			return i;
	}
	return 0;
}

void
chains_id(const char *rest, char out[CHAINS_ID_LEN + 1])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)rest, strlen(rest), md);
	ids_hex(md, CHAINS_ID_LEN / 2, out);
}
