/* api_tls.c -- HTTPS for the API: reads the certificate, key and client CA files into libmicrohttpd's options, and verifies client certificates through GnuTLS. */
#include "api_tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <openssl/crypto.h>

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

void
api_tls_free(struct api_tls *t)
{
	if (t->key != NULL)
		OPENSSL_clear_free(t->key, API_TLS_PEM_MAX + 1);
	free(t->cert);
	free(t->client_ca);
	memset(t, 0, sizeof(*t));
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
	if ((t->cert = api_tls_read(c->cert_file, err, errlen)) == NULL ||
	    (t->key = api_tls_read(c->key_file, err, errlen)) == NULL ||
	    (c->client_ca_file != NULL && (t->client_ca =
	    api_tls_read(c->client_ca_file, err, errlen)) == NULL)) {
		api_tls_free(t);
		return -1;
	}
	*flags |= MHD_USE_TLS;
	api_tls_add(opts, n, MHD_OPTION_HTTPS_MEM_CERT, 0, t->cert);
	api_tls_add(opts, n, MHD_OPTION_HTTPS_MEM_KEY, 0, t->key);
	if (t->client_ca != NULL)
		api_tls_add(opts, n, MHD_OPTION_HTTPS_MEM_TRUST, 0,
		    t->client_ca);
	return 0;
}

int
api_tls_client_ok(const struct api_tls *t, struct MHD_Connection *conn,
    char *why, size_t whylen)
{
	const union MHD_ConnectionInfo *ci;
	gnutls_session_t s;
	unsigned int status = 0, n = 0;

	if (t->client_ca == NULL)
		return 1;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL) {
		snprintf(why, whylen, "not a TLS connection");
		return 0;
	}
	s = (gnutls_session_t)ci->tls_session;
	if (gnutls_certificate_get_peers(s, &n) == NULL || n == 0) {
		snprintf(why, whylen, "no client certificate");
		return 0;
	}
	if (gnutls_certificate_verify_peers2(s, &status) != GNUTLS_E_SUCCESS ||
	    status != 0) {
		snprintf(why, whylen, "the client certificate does not verify "
		    "(GnuTLS status 0x%x)", status);
		return 0;
	}
	return 1;
}
