/* sigalg.c -- finds SHA-1 signatures in a leaf and its served chain, stores the answer per issued certificate, and backfills rows stored without it. */
#include "sigalg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "db.h"
#include "log.h"
#include "pem.h"

/* 1 when x is signed with SHA-1 and is not self-signed. */
static int
sigalg_sha1_cert(X509 *x)
{
	int md = NID_undef, pk = NID_undef;

	if (X509_get_extension_flags(x) & EXFLAG_SS)
		return 0;	/* a root: its signature is never checked */
	if (!OBJ_find_sigid_algs(X509_get_signature_nid(x), &md, &pk))
		return 0;
	return md == NID_sha1;
}

/* The certificates of pem looked at in turn: 1 when one is SHA-1 signed,
 * 0 when none is; *n counts those that parsed. */
static int
sigalg_sha1_pem(const char *pem, int *n)
{
	BIO *b;
	X509 *x;
	size_t len = pem != NULL ? strlen(pem) : 0;
	int found = 0;

	*n = 0;
	if (len == 0 || len > PEM_MAX_INPUT ||
	    (b = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return 0;
	while (!found && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		found = sigalg_sha1_cert(x);
		X509_free(x);
		(*n)++;
	}
	ERR_clear_error();	/* the end of the input reads as an error */
	BIO_free(b);
	return found;
}

int
sigalg_sha1_in_chain_x509(X509 *leaf, STACK_OF(X509) *rest)
{
	int i;

	if (leaf == NULL)
		return -1;
	if (sigalg_sha1_cert(leaf))
		return 1;
	for (i = 0; rest != NULL && i < sk_X509_num(rest); i++)
		if (sigalg_sha1_cert(sk_X509_value(rest, i)))
			return 1;
	return 0;
}

int
sigalg_sha1_in_chain(const char *leaf, const char *rest)
{
	int n, m, found;

	found = sigalg_sha1_pem(leaf, &n);
	if (n == 0)
		return -1;
	return found || sigalg_sha1_pem(rest, &m);
}

/* Applies the answers of r's rows (id, cert_pem, chain_pem) in one
 * statement. */
static int
sigalg_apply(PGconn *c, PGresult *r, char *err, size_t errlen)
{
	char **ids, *idlit = NULL, *flags;
	int i, n = PQntuples(r), s, rc = -1;

	ids = calloc((size_t)n, sizeof(*ids));
	flags = malloc((size_t)n * 2 + 3);
	if (ids == NULL || flags == NULL) {
		snprintf(err, errlen, "SHA-1 backfill: out of memory");
		goto out;
	}
	flags[0] = '{';
	for (i = 0; i < n; i++) {
		ids[i] = PQgetvalue(r, i, 0);
		if ((s = sigalg_sha1_in_chain(PQgetvalue(r, i, 1),
		    PQgetvalue(r, i, 2))) < 0)
			log_warn("SHA-1 backfill: issued certificate %s does not "
			    "parse; marked as without SHA-1", ids[i]);
		flags[1 + 2 * i] = s == 1 ? 't' : 'f';
		flags[2 + 2 * i] = i + 1 < n ? ',' : '}';
	}
	flags[1 + 2 * n] = '\0';
	if ((idlit = db_array_literal(ids, (size_t)n)) == NULL) {
		snprintf(err, errlen, "SHA-1 backfill: out of memory");
		goto out;
	}
	if (db_exec(c, "SHA-1 backfill", "UPDATE issued_certificates ic SET "
	    "sha1_in_chain = v.s FROM unnest($1::text[], $2::boolean[]) AS "
	    "v(id, s) WHERE ic.id = v.id AND ic.sha1_in_chain IS NULL", 2,
	    (const char *[]){ idlit, flags }, NULL, NULL, err, errlen) < 0)
		goto out;
	rc = n;
out:
	free(ids);
	free(flags);
	free(idlit);
	return rc;
}

int
sigalg_backfill(PGconn *c, int limit, char *err, size_t errlen)
{
	PGresult *r;
	char lim[16];
	const char *p[1];
	int n;

	snprintf(lim, sizeof(lim), "%d", limit);
	p[0] = lim;
	if ((r = db_query(c, "SHA-1 backfill rows", "SELECT id, cert_pem, "
	    "chain_pem FROM issued_certificates WHERE sha1_in_chain IS NULL "
	    "ORDER BY created_at LIMIT $1::int", 1, p, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	n = PQntuples(r) > 0 ? sigalg_apply(c, r, err, errlen) : 0;
	PQclear(r);
	if (n > 0)
		log_info("SHA-1 backfill: %d issued certificates checked", n);
	return n;
}
