/* api_tls.h -- HTTPS for the API on libmicrohttpd/GnuTLS: the server's certificate and key, and the client certificates /internal/v1 may require. */
#ifndef CERTFLEET_COORD_API_TLS_H
#define CERTFLEET_COORD_API_TLS_H

#include <stddef.h>

#include <microhttpd.h>

#include "api_conf.h"

#define API_TLS_PEM_MAX (256 * 1024)	/* longest certificate/key/CA file */
#define API_TLS_OPTIONS 8		/* MHD options api_tls_options adds */

/* The PEM files, read once at start (MHD keeps pointers to them). */
struct api_tls {
	char	*cert;
	char	*key;		/* wiped when freed */
	char	*client_ca;	/* NULL: no client certificates asked for */
};

/* Reads c's files into t and appends the MHD options of HTTPS (and of the
 * connection limits and timeout, TLS or not) to opts[*n..], at most
 * API_TLS_OPTIONS of them, adding MHD_USE_TLS to *flags when TLS is on.
 * Returns 0, or -1 with err (t freed). */
int api_tls_options(const struct api_conf *c, struct api_tls *t,
    struct MHD_OptionItem *opts, size_t *n, unsigned *flags, char *err,
    size_t errlen);

/* Frees t's buffers (the key wiped). */
void api_tls_free(struct api_tls *t);

/* With client certificates configured (CERTFLEET_API_CLIENT_CA_FILE): 1
 * when the connection presented a certificate that verifies against that
 * CA, else 0 with the reason in why. Without: always 1. */
int api_tls_client_ok(const struct api_tls *t, struct MHD_Connection *conn,
    char *why, size_t whylen);

#endif
