/* httpget.h -- one blocking HTTP(S) request on libcurl, for tools and checks (daemons use the multi client). */
#ifndef CERTFLEET_HTTPGET_H
#define CERTFLEET_HTTPGET_H

#include <stddef.h>

struct http_response {
	long	 status;	/* HTTP status code */
	char	*body;		/* NUL-terminated, malloc'd; may hold NULs */
	size_t	 len;		/* bytes in body, without the NUL */
	char	 content_type[128];
};

/* GETs url (http or https only, no redirects, 30 s overall timeout), trusting
 * ca_file for TLS when not NULL. A body over max_body bytes fails the call.
 * Returns 0 with *r filled (any HTTP status), or -1 with a message in err and
 * *r empty. The caller releases r with http_response_free. */
int http_get(const char *url, const char *ca_file, size_t max_body,
    struct http_response *r, char *err, size_t errlen);

/* Sends method with body (may be NULL) and content type ctype, and an
 * Authorization: Bearer header when bearer is not NULL. Same contract as
 * http_get. */
int http_request(const char *method, const char *url, const char *ca_file,
    const char *bearer, const char *ctype, const char *body, size_t bodylen,
    size_t max_body, struct http_response *r, char *err, size_t errlen);

/* TLS settings of a request: the CA file to trust (NULL: the system's),
 * and a client certificate and its key (both or neither, PEM files). */
struct http_tls {
	const char	*ca_file;
	const char	*cert_file;
	const char	*key_file;
};

/* http_request with a client certificate when tls has one. */
int http_request_tls(const struct http_tls *tls, const char *method,
    const char *url, const char *bearer, const char *ctype, const char *body,
    size_t bodylen, size_t max_body, struct http_response *r, char *err,
    size_t errlen);

void http_response_free(struct http_response *r);

#endif
