/* api_tls.h -- HTTPS for the API on libmicrohttpd/GnuTLS: the server's certificate and key (replaceable while it runs), and the client certificates /internal/v1 may require. */
#ifndef CERTFLEET_COORD_API_TLS_H
#define CERTFLEET_COORD_API_TLS_H

#include <stddef.h>

#include <microhttpd.h>

#include "api_conf.h"

#define API_TLS_PEM_MAX (256 * 1024)	/* longest certificate/key/CA file */
#define API_TLS_CHAIN_MAX 8		/* certificates in the served chain */
#define API_TLS_OPTIONS 8		/* MHD options api_tls_options adds */

/*
 * The server's certificate chain and key, parsed once per change of the
 * files, are handed to each handshake through GnuTLS's certificate
 * callback, so api_tls_reload can swap them while the server runs. That
 * callback takes no pointer of ours: there is one struct api_tls serving
 * handshakes per process, the last one api_tls_options set up. The client
 * CA goes to libmicrohttpd once, so that it asks for client certificates;
 * they are verified against a trust list of ours (api_tls_client_ok),
 * which api_tls_reload_ca replaces when the CA file changes.
 */
struct api_tls_pair;
struct gnutls_x509_trust_list_st;

struct api_tls {
	struct api_tls_pair *pair;	/* in use; the ones it replaced behind */
	char		*client_ca;	/* NULL: no client certificates asked for */
	struct gnutls_x509_trust_list_st *trust; /* client_ca's, or the file's
						 * since its last change */
	unsigned char	 ca_digest[32];	/* SHA-256 of the CA file of trust */
	unsigned char	 digest[32];	/* SHA-256 of the files of pair */
	long		 not_after;	/* pair's leaf's, Unix time */
};

/* Reads c's files into t and appends the MHD options of HTTPS (and of the
 * connection limits and timeout, TLS or not) to opts[*n..], at most
 * API_TLS_OPTIONS of them, adding MHD_USE_TLS to *flags when TLS is on.
 * A key that does not match its certificate is refused here. Returns 0,
 * or -1 with err (t freed). */
int api_tls_options(const struct api_conf *c, struct api_tls *t,
    struct MHD_OptionItem *opts, size_t *n, unsigned *flags, char *err,
    size_t errlen);

/* Reads c's certificate and key files again. When their bytes changed and
 * the new key matches the new certificate, the next handshakes use them
 * (connections already up keep theirs; the pair replaced is kept, a few KB,
 * until api_tls_free). Returns 1 when swapped, 0 when unchanged, -1 with
 * err when the new files do not load: the pair in use stays. */
int api_tls_reload(struct api_tls *t, const struct api_conf *c, char *err,
    size_t errlen);

/* Reads the client CA file (CERTFLEET_API_CLIENT_CA_FILE) again, when
 * there is one. When its bytes changed and it holds certificates GnuTLS
 * reads, client certificates are verified against them from now on (the
 * CA names a handshake asks for stay those of the file at start: clients
 * send their certificate anyway). Returns 1 when swapped, 0 when unchanged
 * or none configured, -1 with err when the new file does not load: the CA
 * in use stays. */
int api_tls_reload_ca(struct api_tls *t, const struct api_conf *c,
    char *err, size_t errlen);

/* Frees t's pairs and buffers; handshakes after this get no certificate.
 * Call it once the server's connections are closed. */
void api_tls_free(struct api_tls *t);

/* With client certificates configured (CERTFLEET_API_CLIENT_CA_FILE): 1
 * when the connection presented a certificate that verifies against that
 * CA (as last read: api_tls_reload_ca), else 0 with the reason in why.
 * Without: always 1. */
int api_tls_client_ok(const struct api_tls *t, struct MHD_Connection *conn,
    char *why, size_t whylen);

#endif
