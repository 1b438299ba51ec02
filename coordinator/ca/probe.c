/* probe.c -- directory GETs of CAs whose breaker is open, on curl multi: started and finished from the main loop, never waited for. */
#include "probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "cas.h"

struct probe_xfer {
	CURL		*easy;
	char		 name[CAS_NAME_MAX + 1];
	char		*body;
	size_t		 len;
	int		 toobig;
	char		 errbuf[CURL_ERROR_SIZE];
};

struct probe {
	CURLM			*multi;
	struct probe_xfer	 x[PROBE_MAX];	/* easy NULL: free slot */
};

struct probe *
probe_new(void)
{
	struct probe *p;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->multi = curl_multi_init()) == NULL) {
		free(p);
		curl_global_cleanup();
		return NULL;
	}
	return p;
}

static void
probe_xfer_end(struct probe *p, struct probe_xfer *x)
{
	curl_multi_remove_handle(p->multi, x->easy);
	curl_easy_cleanup(x->easy);
	free(x->body);
	memset(x, 0, sizeof(*x));
}

void
probe_free(struct probe *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < PROBE_MAX; i++)
		if (p->x[i].easy != NULL)
			probe_xfer_end(p, &p->x[i]);
	curl_multi_cleanup(p->multi);
	free(p);
	curl_global_cleanup();
}

int
probe_busy(const struct probe *p)
{
	size_t i;

	for (i = 0; i < PROBE_MAX; i++)
		if (p->x[i].easy != NULL)
			return 1;
	return 0;
}

int
probe_running(const struct probe *p, const char *name)
{
	size_t i;

	for (i = 0; i < PROBE_MAX; i++)
		if (p->x[i].easy != NULL && strcmp(p->x[i].name, name) == 0)
			return 1;
	return 0;
}

static size_t
probe_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct probe_xfer *x = arg;
	size_t n = size * nmemb;
	char *b;

	if (n > PROBE_BODY_MAX - x->len) {
		x->toobig = 1;
		return 0;
	}
	if ((b = realloc(x->body, x->len + n + 1)) == NULL)
		return 0;
	memcpy(b + x->len, data, n);
	x->body = b;
	x->len += n;
	b[x->len] = '\0';
	return n;
}

int
probe_start(struct probe *p, const char *name, const char *url,
    const char *ca_file, long timeout_ms, char *err, size_t errlen)
{
	struct probe_xfer *x = NULL;
	size_t i;

	for (i = 0; i < PROBE_MAX && x == NULL; i++)
		if (p->x[i].easy == NULL)
			x = &p->x[i];
	if (x == NULL || strlen(name) > CAS_NAME_MAX) {
		snprintf(err, errlen, "probe: too many probes at once");
		return -1;
	}
	if ((x->easy = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "probe: out of memory");
		return -1;
	}
	snprintf(x->name, sizeof(x->name), "%s", name);
	curl_easy_setopt(x->easy, CURLOPT_URL, url);
	curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(x->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(x->easy, CURLOPT_USERAGENT, "certfleet-coordinator/"
	    CERTFLEET_VERSION " (breaker probe)");
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, probe_write);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	if (ca_file != NULL)
		curl_easy_setopt(x->easy, CURLOPT_CAINFO, ca_file);
	if (curl_multi_add_handle(p->multi, x->easy) != CURLM_OK) {
		curl_easy_cleanup(x->easy);
		memset(x, 0, sizeof(*x));
		snprintf(err, errlen, "probe: cannot start a transfer");
		return -1;
	}
	return 0;
}

/* 1 when x got a usable directory, else 0 with why in detail. */
static int
probe_judge(struct probe_xfer *x, CURLcode cc, char *detail, size_t len)
{
	json_t *d = NULL;
	long status = 0;
	int ok = 0;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK)
		snprintf(detail, len, "directory probe: %s", x->toobig ?
		    "body over cap" : x->errbuf[0] != '\0' ? x->errbuf :
		    curl_easy_strerror(cc));
	else if (status != 200)
		snprintf(detail, len, "directory probe: HTTP %ld", status);
	else if ((d = json_loadb(x->body != NULL ? x->body : "", x->len, 0,
	    NULL)) == NULL || !json_is_string(json_object_get(d, "newNonce")) ||
	    !json_is_string(json_object_get(d, "newAccount")) ||
	    !json_is_string(json_object_get(d, "newOrder")))
		snprintf(detail, len, "directory probe: not an ACME directory");
	else {
		snprintf(detail, len, "directory probe: ok");
		ok = 1;
	}
	json_decref(d);
	return ok;
}

void
probe_poll(struct probe *p, void (*done)(void *arg, const char *name,
    int ok, const char *detail), void *arg)
{
	struct probe_xfer *x;
	char detail[CURL_ERROR_SIZE + 64], name[CAS_NAME_MAX + 1];
	void *priv;
	CURLMsg *m;
	int running, left, ok;

	curl_multi_perform(p->multi, &running);
	while ((m = curl_multi_info_read(p->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		priv = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		if ((x = priv) == NULL)
			continue;
		ok = probe_judge(x, m->data.result, detail, sizeof(detail));
		snprintf(name, sizeof(name), "%s", x->name);
		probe_xfer_end(p, x);
		done(arg, name, ok, detail);
	}
}
