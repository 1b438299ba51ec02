/* webhook.c -- asks the on-demand webhook about names, in parallel on a libcurl multi handle, each within its timeout. */
#include "webhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

/* One request in flight. */
struct webhook_req {
	struct webhook_ask	*ask;
	CURL			*h;
	char			*url;
	size_t			 got;		/* bytes of the answer */
	int			 added;		/* on the multi handle */
	char			 errbuf[CURL_ERROR_SIZE];
};

static size_t
webhook_write(char *data, size_t size, size_t n, void *arg)
{
	struct webhook_req *rq = arg;

	(void)data;
	rq->got += size * n;
	if (rq->got > WEBHOOK_MAX_BODY)
		return 0;	/* aborts: an answer this big is no answer */
	return size * n;
}

/* The URL for ask: base, '?' or '&', domain and tenant; malloc'd or NULL. */
static char *
webhook_url(CURL *h, const char *base, const struct webhook_ask *ask)
{
	char *name, *tenant, *url = NULL;
	size_t len;

	name = curl_easy_escape(h, ask->name, 0);
	tenant = curl_easy_escape(h, ask->tenant != NULL ? ask->tenant : "", 0);
	if (name != NULL && tenant != NULL) {
		len = strlen(base) + strlen(name) + strlen(tenant) + 20;
		if ((url = malloc(len)) != NULL)
			snprintf(url, len, "%s%cdomain=%s&tenant=%s", base,
			    strchr(base, '?') != NULL ? '&' : '?', name, tenant);
	}
	curl_free(name);
	curl_free(tenant);
	return url;
}

/* Starts the request of rq on m; 0 or -1. */
static int
webhook_start(CURLM *m, const struct odconf *c, struct webhook_req *rq)
{
	if ((rq->h = curl_easy_init()) == NULL ||
	    (rq->url = webhook_url(rq->h, c->ask_url, rq->ask)) == NULL)
		return -1;
	curl_easy_setopt(rq->h, CURLOPT_URL, rq->url);
	curl_easy_setopt(rq->h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(rq->h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(rq->h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(rq->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(rq->h, CURLOPT_CONNECTTIMEOUT_MS, c->ask_timeout_ms);
	curl_easy_setopt(rq->h, CURLOPT_TIMEOUT_MS, c->ask_timeout_ms);
	curl_easy_setopt(rq->h, CURLOPT_USERAGENT, "certfleet-coordinator");
	curl_easy_setopt(rq->h, CURLOPT_WRITEFUNCTION, webhook_write);
	curl_easy_setopt(rq->h, CURLOPT_WRITEDATA, rq);
	curl_easy_setopt(rq->h, CURLOPT_ERRORBUFFER, rq->errbuf);
	curl_easy_setopt(rq->h, CURLOPT_PRIVATE, rq);
	if (c->ask_ca_file != NULL)
		curl_easy_setopt(rq->h, CURLOPT_CAINFO, c->ask_ca_file);
	if (curl_multi_add_handle(m, rq->h) != CURLM_OK)
		return -1;
	rq->added = 1;
	return 0;
}

/* Records the outcome of a finished transfer in its ask. */
static void
webhook_done(const struct odconf *c, struct webhook_req *rq, CURLcode code)
{
	struct webhook_ask *ask = rq->ask;
	long status = 0;

	if (code == CURLE_OK) {
		curl_easy_getinfo(rq->h, CURLINFO_RESPONSE_CODE, &status);
		ask->answer = status == 200 ? WEBHOOK_YES : WEBHOOK_NO;
		snprintf(ask->why, sizeof(ask->why), "HTTP %ld", status);
		return;
	}
	ask->answer = WEBHOOK_FAILED;
	if (code == CURLE_OPERATION_TIMEDOUT)
		snprintf(ask->why, sizeof(ask->why), "no answer within %ld ms",
		    c->ask_timeout_ms);
	else if (code == CURLE_WRITE_ERROR && rq->got > WEBHOOK_MAX_BODY)
		snprintf(ask->why, sizeof(ask->why), "an answer over %d bytes",
		    WEBHOOK_MAX_BODY);
	else
		snprintf(ask->why, sizeof(ask->why), "%s%s%.120s",
		    curl_easy_strerror(code), rq->errbuf[0] != '\0' ? ": " : "",
		    rq->errbuf);
}

/* Drives m until every started request finished; returns 0 or -1. */
static int
webhook_drive(CURLM *m, const struct odconf *c, size_t *running)
{
	struct webhook_req *rq;
	CURLMsg *msg;
	int still = 0, left;

	if (curl_multi_perform(m, &still) != CURLM_OK ||
	    curl_multi_poll(m, NULL, 0, 100, NULL) != CURLM_OK)
		return -1;
	while ((msg = curl_multi_info_read(m, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    (char **)&rq);
		webhook_done(c, rq, msg->data.result);
		curl_multi_remove_handle(m, rq->h);
		rq->added = 0;
		(*running)--;
	}
	return 0;
}

long
webhook_run(const struct odconf *c, struct webhook_ask *asks, size_t n,
    char *err, size_t errlen)
{
	struct webhook_req *rqs = NULL;
	CURLM *m = NULL;
	size_t i, next = 0, running = 0;
	long failed = -1;

	for (i = 0; i < n; i++) {
		asks[i].answer = WEBHOOK_FAILED;
		snprintf(asks[i].why, sizeof(asks[i].why), "not asked");
	}
	if (n == 0)
		return 0;
	if ((rqs = calloc(n, sizeof(*rqs))) == NULL ||
	    (m = curl_multi_init()) == NULL) {
		snprintf(err, errlen, "webhook: out of memory");
		goto out;
	}
	while (next < n || running > 0) {
		while (next < n && running < WEBHOOK_PARALLEL) {
			rqs[next].ask = &asks[next];
			if (webhook_start(m, c, &rqs[next]) < 0)
				snprintf(asks[next].why, sizeof(asks[next].why),
				    "the request could not be set up");
			else
				running++;
			next++;
		}
		if (webhook_drive(m, c, &running) < 0) {
			snprintf(err, errlen, "webhook: libcurl multi failed");
			goto out;
		}
	}
	for (failed = 0, i = 0; i < n; i++)
		failed += asks[i].answer == WEBHOOK_FAILED;
out:
	for (i = 0; rqs != NULL && i < n; i++) {
		if (rqs[i].added)
			curl_multi_remove_handle(m, rqs[i].h);
		curl_easy_cleanup(rqs[i].h);
		free(rqs[i].url);
	}
	curl_multi_cleanup(m);
	free(rqs);
	return failed;
}
