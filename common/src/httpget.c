/* httpget.c -- one blocking HTTP(S) request on a libcurl easy handle, with a cap on the body. */
#include "httpget.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

struct http_sink {
	struct http_response	*r;
	size_t			 max;
	int			 toobig;
};

static size_t
http_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_sink *s = arg;
	size_t n = size * nmemb;
	char *p;

	if (n > s->max - s->r->len) {
		s->toobig = 1;
		return 0;	/* makes curl fail with CURLE_WRITE_ERROR */
	}
	if ((p = realloc(s->r->body, s->r->len + n + 1)) == NULL)
		return 0;
	memcpy(p + s->r->len, data, n);
	s->r->body = p;
	s->r->len += n;
	p[s->r->len] = '\0';
	return n;
}

int
http_request(const char *method, const char *url, const char *ca_file,
    const char *bearer, const char *ctype, const char *body, size_t bodylen,
    size_t max_body, struct http_response *r, char *err, size_t errlen)
{
	struct http_tls tls = { ca_file, NULL, NULL };

	return http_request_tls(&tls, method, url, bearer, ctype, body, bodylen,
	    max_body, r, err, errlen);
}

int
http_request_tls(const struct http_tls *tls, const char *method,
    const char *url, const char *bearer, const char *ctype, const char *body,
    size_t bodylen, size_t max_body, struct http_response *r, char *err,
    size_t errlen)
{
	struct http_sink sink = { r, max_body, 0 };
	struct curl_slist *hdrs = NULL;
	char ebuf[CURL_ERROR_SIZE] = "", line[512];
	const char *ct = NULL;
	CURLcode cc;
	CURL *c;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if ((c = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "certfleet/0.1");
	if (tls->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, tls->ca_file);
	if (tls->cert_file != NULL && tls->key_file != NULL) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, tls->cert_file);
		curl_easy_setopt(c, CURLOPT_SSLKEY, tls->key_file);
	}
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)bodylen);
	}
	if (ctype != NULL) {
		snprintf(line, sizeof(line), "Content-Type: %s", ctype);
		hdrs = curl_slist_append(hdrs, line);
	}
	if (bearer != NULL) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s", bearer);
		hdrs = curl_slist_append(hdrs, line);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);

	cc = curl_easy_perform(c);
	if (sink.toobig)
		snprintf(err, errlen, "%s: response body over %zu bytes", url, max_body);
	else if (cc != CURLE_OK)
		snprintf(err, errlen, "%s: %s", url,
		    ebuf[0] != '\0' ? ebuf : curl_easy_strerror(cc));
	else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
		curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
		if (ct != NULL)
			snprintf(r->content_type, sizeof(r->content_type), "%s", ct);
		if (r->body == NULL && (r->body = calloc(1, 1)) == NULL)
			snprintf(err, errlen, "out of memory");
		else
			rc = 0;
	}
	if (rc < 0)
		http_response_free(r);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return rc;
}

int
http_get(const char *url, const char *ca_file, size_t max_body,
    struct http_response *r, char *err, size_t errlen)
{
	return http_request("GET", url, ca_file, NULL, NULL, NULL, 0, max_body,
	    r, err, errlen);
}

void
http_response_free(struct http_response *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}
