/* dns_challtestsrv.c -- dns-01 provider for pebble-challtestsrv: POST /set-txt and /clear-txt on its management API. */
#include "dns_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#define CTS_BODY_MAX	512	/* request body; answers are discarded */
#define CTS_HOST_MAX	(DNS_NAME_MAX + 32)

static size_t
cts_discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* POSTs body to mgmt_url + path. 0 on a 2xx answer, else -1 with err. */
static int
cts_post(struct dns *d, const char *path, const char *body, char *err,
    size_t errlen)
{
	struct curl_slist *h = NULL;
	char url[1024], cerr[CURL_ERROR_SIZE];
	long status = 0;
	CURLcode cc;
	CURL *c;
	int rc = -1;

	snprintf(url, sizeof(url), "%s%s", d->conf.mgmt_url, path);
	cerr[0] = '\0';
	if ((c = curl_easy_init()) == NULL ||
	    (h = curl_slist_append(NULL, "Content-Type: application/json")) == NULL) {
		snprintf(err, errlen, "dns: out of memory");
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)d->conf.timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, cts_discard);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	if ((cc = curl_easy_perform(c)) != CURLE_OK) {
		snprintf(err, errlen, "dns: challtestsrv %s: %s", path,
		    cerr[0] != '\0' ? cerr : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		snprintf(err, errlen, "dns: challtestsrv %s: HTTP %ld", path,
		    status);
		goto out;
	}
	rc = 0;
out:
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return rc;
}

static struct dns_cts_host *
cts_find(struct dns *d, const char *host)
{
	struct dns_cts_host *h;

	for (h = d->hosts; h != NULL; h = h->next)
		if (strcmp(h->host, host) == 0)
			return h;
	return NULL;
}

int
dns_cts_begin(struct dns *d, const char *name, const char *txt, char *err,
    size_t errlen)
{
	struct dns_cts_host *h;
	char host[CTS_HOST_MAX], body[CTS_BODY_MAX];

	snprintf(host, sizeof(host), "_acme-challenge.%s.", name);
	if ((h = cts_find(d, host)) == NULL) {
		if ((h = calloc(1, sizeof(*h))) == NULL ||
		    (h->host = strdup(host)) == NULL) {
			free(h);
			snprintf(err, errlen, "dns: out of memory");
			return -1;
		}
		h->next = d->hosts;
		d->hosts = h;
	}
	/* name and txt are LDH and base64url: nothing to escape. */
	snprintf(body, sizeof(body), "{\"host\":\"%s\",\"value\":\"%s\"}", host,
	    txt);
	if (cts_post(d, "/set-txt", body, err, errlen) < 0)
		return -1;
	h->refs++;
	return 0;
}

int
dns_cts_end(struct dns *d, const char *name, char *err, size_t errlen)
{
	struct dns_cts_host *h, **pp;
	char host[CTS_HOST_MAX], body[CTS_BODY_MAX];

	snprintf(host, sizeof(host), "_acme-challenge.%s.", name);
	if ((h = cts_find(d, host)) != NULL && h->refs > 1) {
		h->refs--;	/* another authorization still needs its value */
		return 0;
	}
	if (h != NULL) {
		for (pp = &d->hosts; *pp != h; pp = &(*pp)->next)
			;
		*pp = h->next;
		free(h->host);
		free(h);
	}
	snprintf(body, sizeof(body), "{\"host\":\"%s\"}", host);
	return cts_post(d, "/clear-txt", body, err, errlen);
}

void
dns_cts_free(struct dns *d)
{
	struct dns_cts_host *h;

	while ((h = d->hosts) != NULL) {
		d->hosts = h->next;
		free(h->host);
		free(h);
	}
}
