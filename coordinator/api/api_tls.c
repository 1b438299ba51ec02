/* api_tls.c -- HTTPS for the API: the certificate and key served through GnuTLS's certificate callback (swapped when the files change), the client CA handed to libmicrohttpd, and client certificates verified through GnuTLS. */
#include "api_tls.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

/* The pair handshakes get (api_tls.h): the callback reads it under the
 * read lock, api_tls_reload and api_tls_free change it under the write
 * lock; so are the client CA's trust lists read (api_tls_client_ok) and
 * replaced (api_tls_reload_ca). */
static pthread_rwlock_t api_tls_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct api_tls *api_tls_live;

/* A certificate chain and its key as GnuTLS serves them. A session points
 * at the pair it was handed until it ends, so a pair a reload replaced is
 * kept (older) until api_tls_free: one per change of the files. */
struct api_tls_pair {
	gnutls_pcert_st		 certs[API_TLS_CHAIN_MAX];
	unsigned int		 ncerts;
	gnutls_privkey_t	 key;
	struct api_tls_pair	*older;
};

/* The whole of a PEM file, NUL-terminated, at most API_TLS_PEM_MAX bytes.
 * Returns it or NULL with err. */
static char *
api_tls_read(const char *path, char *err, size_t errlen)
{
	char *buf;
	size_t n;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "api: cannot read %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	if ((buf = malloc(API_TLS_PEM_MAX + 1)) == NULL) {
		fclose(f);
		snprintf(err, errlen, "api: out of memory");
		return NULL;
	}
	n = fread(buf, 1, API_TLS_PEM_MAX + 1, f);
	fclose(f);
	buf[n > API_TLS_PEM_MAX ? API_TLS_PEM_MAX : n] = '\0';
	if (n == 0 || n > API_TLS_PEM_MAX || strstr(buf, "-----BEGIN ") ==
	    NULL) {
		snprintf(err, errlen, "api: %s is empty, over %d bytes or not PEM",
		    path, API_TLS_PEM_MAX);
		OPENSSL_clear_free(buf, API_TLS_PEM_MAX + 1);
		return NULL;
	}
	return buf;
}

/* Frees the two files read by api_tls_read (the key wiped). */
static void
api_tls_pem_free(char *cert, char *key)
{
	if (key != NULL)
		OPENSSL_clear_free(key, API_TLS_PEM_MAX + 1);
	free(cert);
}

/* Frees p and every older pair. */
static void
api_tls_pairs_free(struct api_tls_pair *p)
{
	struct api_tls_pair *older;
	unsigned int i;

	for (; p != NULL; p = older) {
		older = p->older;
		for (i = 0; i < p->ncerts; i++)
			gnutls_pcert_deinit(&p->certs[i]);
		if (p->key != NULL)
			gnutls_privkey_deinit(p->key);
		free(p);
	}
}

void
api_tls_free(struct api_tls *t)
{
	pthread_rwlock_wrlock(&api_tls_lock);
	if (api_tls_live == t)
		api_tls_live = NULL;
	pthread_rwlock_unlock(&api_tls_lock);
	api_tls_pairs_free(t->pair);
	if (t->trust != NULL)
		gnutls_x509_trust_list_deinit(t->trust, 1);
	free(t->client_ca);
	memset(t, 0, sizeof(*t));
}

/* GnuTLS's certificate callback: the live pair, which stays allocated
 * until api_tls_free (flags 0: GnuTLS frees nothing). */
static int
api_tls_retrieve(gnutls_session_t session, const struct gnutls_cert_retr_st *info,
    gnutls_pcert_st **certs, unsigned int *ncerts, gnutls_ocsp_data_st **ocsp,
    unsigned int *nocsp, gnutls_privkey_t *pkey, unsigned int *flags)
{
	int rc = -1;

	(void)session;
	(void)info;
	*ocsp = NULL;
	*nocsp = 0;
	*flags = 0;
	pthread_rwlock_rdlock(&api_tls_lock);
	if (api_tls_live != NULL && api_tls_live->pair != NULL) {
		*certs = api_tls_live->pair->certs;
		*ncerts = api_tls_live->pair->ncerts;
		*pkey = api_tls_live->pair->key;
		rc = 0;
	}
	pthread_rwlock_unlock(&api_tls_lock);
	return rc;
}

/* The pair of c's files, read as cert and key (PEM): at most
 * API_TLS_CHAIN_MAX certificates, a key GnuTLS reads, the key matching the
 * leaf. Sets *not_after to the leaf's. Returns it, or NULL with err naming
 * the files. */
static struct api_tls_pair *
api_tls_pair_load(const struct api_conf *c, const char *cert,
    const char *key, long *not_after, char *err, size_t errlen)
{
	gnutls_certificate_credentials_t cred;
	struct api_tls_pair *p;
	gnutls_x509_crt_t leaf;
	gnutls_datum_t cd, kd;
	int rc;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errlen, "api: out of memory");
		return NULL;
	}
	cd.data = (unsigned char *)cert;
	cd.size = (unsigned int)strlen(cert);
	kd.data = (unsigned char *)key;
	kd.size = (unsigned int)strlen(key);
	p->ncerts = API_TLS_CHAIN_MAX;
	if ((rc = gnutls_pcert_list_import_x509_raw(p->certs, &p->ncerts, &cd,
	    GNUTLS_X509_FMT_PEM, 0)) < 0) {
		p->ncerts = 0;
		goto bad;
	}
	if ((rc = gnutls_privkey_init(&p->key)) < 0) {
		p->key = NULL;
		goto bad;
	}
	if ((rc = gnutls_privkey_import_x509_raw(p->key, &kd,
	    GNUTLS_X509_FMT_PEM, NULL, 0)) < 0 ||
	    (rc = gnutls_pcert_export_x509(&p->certs[0], &leaf)) < 0)
		goto bad;
	*not_after = (long)gnutls_x509_crt_get_expiration_time(leaf);
	gnutls_x509_crt_deinit(leaf);
	/* GnuTLS checks that the key matches when it loads a pair */
	if (gnutls_certificate_allocate_credentials(&cred) < 0) {
		rc = GNUTLS_E_MEMORY_ERROR;
		goto bad;
	}
	rc = gnutls_certificate_set_x509_key_mem2(cred, &cd, &kd,
	    GNUTLS_X509_FMT_PEM, NULL, 0);
	gnutls_certificate_free_credentials(cred);
	if (rc == GNUTLS_E_CERTIFICATE_KEY_MISMATCH) {
		snprintf(err, errlen, "api: the key in %s does not match the "
		    "certificate in %s", c->key_file, c->cert_file);
		api_tls_pairs_free(p);
		return NULL;
	}
	if (rc >= 0)
		return p;
bad:
	snprintf(err, errlen, "api: %s and %s do not load: %s (at most %d "
	    "certificates, the leaf first, and an unencrypted key)",
	    c->cert_file, c->key_file, gnutls_strerror(rc), API_TLS_CHAIN_MAX);
	api_tls_pairs_free(p);
	return NULL;
}

/* SHA-256 of the two files, to tell a changed pair. */
static void
api_tls_digest(const char *cert, const char *key, unsigned char out[32])
{
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	unsigned int n = 32;

	memset(out, 0, 32);
	if (x == NULL)
		return;
	if (EVP_DigestInit_ex(x, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(x, cert, strlen(cert) + 1) == 1 &&
	    EVP_DigestUpdate(x, key, strlen(key)) == 1)
		EVP_DigestFinal_ex(x, out, &n);
	EVP_MD_CTX_free(x);
}

/* opts[(*n)++] = {option, value, ptr} */
static void
api_tls_add(struct MHD_OptionItem *opts, size_t *n, enum MHD_OPTION o,
    intptr_t value, void *ptr)
{
	opts[*n].option = o;
	opts[*n].value = value;
	opts[*n].ptr_value = ptr;
	(*n)++;
}

int
api_tls_options(const struct api_conf *c, struct api_tls *t,
    struct MHD_OptionItem *opts, size_t *n, unsigned *flags, char *err,
    size_t errlen)
{
	memset(t, 0, sizeof(*t));
	api_tls_add(opts, n, MHD_OPTION_CONNECTION_TIMEOUT,
	    (intptr_t)c->timeout_s, NULL);
	api_tls_add(opts, n, MHD_OPTION_CONNECTION_LIMIT,
	    (intptr_t)API_CONF_CONNECTIONS, NULL);
	api_tls_add(opts, n, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (intptr_t)c->per_ip, NULL);
	if (!c->tls)
		return 0;
	if (api_tls_reload(t, c, err, errlen) < 0 ||
	    (c->client_ca_file != NULL && ((t->client_ca =
	    api_tls_read(c->client_ca_file, err, errlen)) == NULL ||
	    api_tls_reload_ca(t, c, err, errlen) < 0))) {
		api_tls_free(t);
		return -1;
	}
	pthread_rwlock_wrlock(&api_tls_lock);
	api_tls_live = t;
	pthread_rwlock_unlock(&api_tls_lock);
	*flags |= MHD_USE_TLS;
	api_tls_add(opts, n, MHD_OPTION_HTTPS_CERT_CALLBACK2, 0,
	    (void *)api_tls_retrieve);
	if (t->client_ca != NULL)
		api_tls_add(opts, n, MHD_OPTION_HTTPS_MEM_TRUST, 0,
		    t->client_ca);
	return 0;
}

int
api_tls_reload(struct api_tls *t, const struct api_conf *c, char *err,
    size_t errlen)
{
	struct api_tls_pair *p;
	unsigned char digest[32];
	char *cert, *key = NULL;
	long not_after;

	if ((cert = api_tls_read(c->cert_file, err, errlen)) == NULL ||
	    (key = api_tls_read(c->key_file, err, errlen)) == NULL) {
		api_tls_pem_free(cert, NULL);
		return -1;
	}
	api_tls_digest(cert, key, digest);
	if (t->pair != NULL && memcmp(digest, t->digest, sizeof(digest)) == 0) {
		api_tls_pem_free(cert, key);
		return 0;
	}
	p = api_tls_pair_load(c, cert, key, &not_after, err, errlen);
	api_tls_pem_free(cert, key);
	if (p == NULL)
		return -1;
	pthread_rwlock_wrlock(&api_tls_lock);
	p->older = t->pair;
	t->pair = p;
	pthread_rwlock_unlock(&api_tls_lock);
	memcpy(t->digest, digest, sizeof(digest));
	t->not_after = not_after;
	return 1;
}

int
api_tls_reload_ca(struct api_tls *t, const struct api_conf *c, char *err,
    size_t errlen)
{
	gnutls_x509_trust_list_t trust, old;
	gnutls_datum_t d;
	unsigned char digest[32];
	char *pem;
	int n;

	if (c->client_ca_file == NULL)
		return 0;
	if ((pem = api_tls_read(c->client_ca_file, err, errlen)) == NULL)
		return -1;
	api_tls_digest(pem, "", digest);
	if (t->trust != NULL && memcmp(digest, t->ca_digest,
	    sizeof(digest)) == 0) {
		free(pem);
		return 0;
	}
	d.data = (unsigned char *)pem;
	d.size = (unsigned int)strlen(pem);
	if (gnutls_x509_trust_list_init(&trust, 0) < 0) {
		free(pem);
		snprintf(err, errlen, "api: out of memory");
		return -1;
	}
	n = gnutls_x509_trust_list_add_trust_mem(trust, &d, NULL,
	    GNUTLS_X509_FMT_PEM, 0, 0);
	free(pem);
	if (n <= 0) {
		gnutls_x509_trust_list_deinit(trust, 1);
		snprintf(err, errlen, "api: %s holds no certificate GnuTLS reads "
		    "(%s)", c->client_ca_file, n < 0 ? gnutls_strerror(n) :
		    "none found");
		return -1;
	}
	pthread_rwlock_wrlock(&api_tls_lock);
	old = t->trust;
	t->trust = trust;
	pthread_rwlock_unlock(&api_tls_lock);
	/* no reader holds old now: each takes the lock for its whole use */
	if (old != NULL)
		gnutls_x509_trust_list_deinit(old, 1);
	memcpy(t->ca_digest, digest, sizeof(digest));
	return 1;
}

/* Verifies the n DER certificates of peers (the leaf first) against t's
 * trust list, under the read lock. Returns the GnuTLS status (0: trusted)
 * or UINT_MAX when they do not parse. */
static unsigned int
api_tls_verify_chain(const struct api_tls *t, const gnutls_datum_t *peers,
    unsigned int n)
{
	gnutls_x509_crt_t crt[API_TLS_CHAIN_MAX];
	unsigned int status = UINT_MAX, i, k;

	if (n > API_TLS_CHAIN_MAX)
		n = API_TLS_CHAIN_MAX;
	for (k = 0; k < n; k++) {
		if (gnutls_x509_crt_init(&crt[k]) < 0)
			goto out;
		if (gnutls_x509_crt_import(crt[k], &peers[k],
		    GNUTLS_X509_FMT_DER) < 0) {
			k++;	/* crt[k] was made: freed below too */
			goto out;
		}
	}
	pthread_rwlock_rdlock(&api_tls_lock);
	if (t->trust == NULL || gnutls_x509_trust_list_verify_crt2(t->trust,
	    crt, n, NULL, 0, 0, &status, NULL) < 0)
		status = UINT_MAX;
	pthread_rwlock_unlock(&api_tls_lock);
out:
	for (i = 0; i < k; i++)
		gnutls_x509_crt_deinit(crt[i]);
	return status;
}

int
api_tls_client_ok(const struct api_tls *t, struct MHD_Connection *conn,
    char *why, size_t whylen)
{
	const union MHD_ConnectionInfo *ci;
	const gnutls_datum_t *peers;
	gnutls_session_t s;
	unsigned int status, n = 0;

	if (t->client_ca == NULL)
		return 1;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL) {
		snprintf(why, whylen, "not a TLS connection");
		return 0;
	}
	s = (gnutls_session_t)ci->tls_session;
	if ((peers = gnutls_certificate_get_peers(s, &n)) == NULL || n == 0) {
		snprintf(why, whylen, "no client certificate");
		return 0;
	}
	if ((status = api_tls_verify_chain(t, peers, n)) != 0) {
		snprintf(why, whylen, "the client certificate does not verify "
		    "(GnuTLS status 0x%x)", status);
		return 0;
	}
	return 1;
}
