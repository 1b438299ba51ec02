/* acme_http.c -- the engine's HTTP requests on curl multi: capped bodies and headers, Replay-Nonce/Location/Retry-After/Link parsing. */
#include "acme_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "b64.h"

int
acme_nonce_ok(const char *s, size_t len)
{
	return len > 0 && len <= ACME_NONCE_MAX && b64url_charset_ok(s, len);
}

/* 1 when s is an URL of scheme (with "://") without controls, spaces or
 * bytes above 0x7e, and at most ACME_URL_MAX bytes. */
static int
url_of_scheme(const char *s, const char *scheme)
{
	size_t i, n;

	if (s == NULL)
		return 0;
	n = strlen(s);
	if (n == 0 || n > ACME_URL_MAX ||
	    strncasecmp(s, scheme, strlen(scheme)) != 0 ||
	    n == strlen(scheme))
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

int
acme_url_ok(const char *s)
{
	return url_of_scheme(s, "https://");
}

int
acme_url_insecure(const char *s)
{
	return url_of_scheme(s, "http://");
}

/* Notes the first http:// URL a header offered. */
static void
hdrs_insecure(struct acme_hdrs *h, const char *header, const char *url)
{
	size_t n;

	if (h->insecure != NULL || !acme_url_insecure(url))
		return;
	n = strlen(header) + strlen(url) + 3;
	if ((h->insecure = malloc(n)) != NULL)
		snprintf(h->insecure, n, "%s: %s", header, url);
}

int
acme_ctype_is(const char *ctype, const char *want)
{
	size_t n = strlen(want);

	if (ctype == NULL || strncasecmp(ctype, want, n) != 0)
		return 0;
	ctype += n;
	while (*ctype == ' ' || *ctype == '\t')
		ctype++;
	return *ctype == '\0' || *ctype == ';';
}

int
acme_retry_after_parse(const char *v, size_t len, time_t now, time_t *when)
{
	char buf[64];
	unsigned long long secs = 0;
	size_t i;
	time_t t;

	while (len > 0 && (*v == ' ' || *v == '\t'))
		v++, len--;
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= sizeof(buf))
		return -1;
	if (isdigit((unsigned char)v[0])) {
		for (i = 0; i < len; i++) {
			if (!isdigit((unsigned char)v[i]))
				return -1;
			secs = secs * 10 + (unsigned)(v[i] - '0');
			if (secs > 365ULL * 86400)	/* a year: nonsense beyond */
				return -1;
		}
		*when = now + (time_t)secs;
		return 0;
	}
	memcpy(buf, v, len);
	buf[len] = '\0';
	for (i = 0; i < len; i++)
		if (!isprint((unsigned char)buf[i]))
			return -1;
	if ((t = curl_getdate(buf, NULL)) == -1)
		return -1;
	*when = t < now ? now : t;
	return 0;
}

static const char *
link_skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

int
acme_link_parse(const char *v, size_t len,
    void (*fn)(void *arg, const char *url, size_t ulen, const char *rel,
    size_t rlen), void *arg)
{
	const char *p = v, *end = v + len, *url, *uend, *name, *nend;
	const char *val, *vend, *r, *rend;
	int n = 0, quoted;

	for (;;) {
		p = link_skip_ws(p, end);
		if (p == end)
			return n;
		if (*p++ != '<')
			return -1;
		url = p;
		while (p < end && *p != '>')
			p++;
		if (p == end)
			return -1;
		uend = p++;
		/* parameters: ; name=value or ; name="value" */
		for (;;) {
			p = link_skip_ws(p, end);
			if (p == end || *p == ',')
				break;
			if (*p++ != ';')
				return -1;
			p = link_skip_ws(p, end);
			name = p;
			while (p < end && *p != '=' && *p != ';' && *p != ',' &&
			    *p != ' ' && *p != '\t')
				p++;
			nend = p;
			if (nend == name)
				return -1;
			p = link_skip_ws(p, end);
			if (p == end || *p != '=') {
				continue;	/* parameter without a value */
			}
			p = link_skip_ws(p + 1, end);
			quoted = p < end && *p == '"';
			if (quoted) {
				val = ++p;
				while (p < end && *p != '"')
					p++;
				if (p == end)
					return -1;
				vend = p++;
			} else {
				val = p;
				while (p < end && *p != ';' && *p != ',' &&
				    *p != ' ' && *p != '\t')
					p++;
				vend = p;
			}
			if ((size_t)(nend - name) != 3 ||
			    strncasecmp(name, "rel", 3) != 0)
				continue;
			/* rel may list several space-separated types */
			for (r = val; r < vend; r = rend) {
				while (r < vend && *r == ' ')
					r++;
				rend = r;
				while (rend < vend && *rend != ' ')
					rend++;
				if (rend > r && fn != NULL)
					fn(arg, url, (size_t)(uend - url), r,
					    (size_t)(rend - r));
			}
		}
		n++;
		if (p < end && *p == ',')
			p++;
	}
}

/* Keeps alternate and up links that are valid URLs. */
static void
acme_hdrs_link(void *arg, const char *url, size_t ulen, const char *rel,
    size_t rlen)
{
	struct acme_hdrs *h = arg;
	char *u;

	if (ulen > ACME_URL_MAX || (u = strndup(url, ulen)) == NULL)
		return;
	if (!acme_url_ok(u)) {
		if ((rlen == 9 && strncasecmp(rel, "alternate", 9) == 0) ||
		    (rlen == 2 && strncasecmp(rel, "up", 2) == 0))
			hdrs_insecure(h, "Link", u);
		free(u);
		return;
	}
	if (rlen == 9 && strncasecmp(rel, "alternate", 9) == 0 &&
	    h->nalt < ACME_ALT_MAX) {
		h->alt[h->nalt++] = u;
		return;
	}
	if (rlen == 2 && strncasecmp(rel, "up", 2) == 0 && h->up == NULL) {
		h->up = u;
		return;
	}
	free(u);
}

void
acme_hdrs_free(struct acme_hdrs *h)
{
	size_t i;

	free(h->location);
	free(h->up);
	free(h->insecure);
	for (i = 0; i < h->nalt; i++)
		free(h->alt[i]);
	memset(h, 0, sizeof(*h));
}

/* Is line "name:"? Sets *val and *vlen to the trimmed value. */
static int
hdr_is(const char *line, size_t len, const char *name, const char **val,
    size_t *vlen)
{
	size_t n = strlen(name);
	const char *v, *e;

	if (len <= n || line[n] != ':' || strncasecmp(line, name, n) != 0)
		return 0;
	v = line + n + 1;
	e = line + len;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' ' ||
	    e[-1] == '\t'))
		e--;
	*val = v;
	*vlen = (size_t)(e - v);
	return 1;
}

/* 1 when v[0..n) holds a control byte other than HT (CR, LF, NUL...). */
static int
hdr_has_ctl(const char *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (((unsigned char)v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7f)
			return 1;
	return 0;
}

/* Drops what header name (one this file reads) gave: the value it would
 * have had is another (an obs-fold) or holds control bytes. A Link drops
 * every link of the answer. */
static void
hdrs_drop(struct acme_hdrs *h, const char *name)
{
	size_t i;

	if (h->malformed == NULL)
		h->malformed = name;
	if (strcmp(name, "Replay-Nonce") == 0)
		h->nonce[0] = '\0';
	else if (strcmp(name, "Location") == 0) {
		free(h->location);
		h->location = NULL;
	} else if (strcmp(name, "Retry-After") == 0)
		h->has_retry_after = 0;
	else {
		for (i = 0; i < h->nalt; i++)
			free(h->alt[i]);
		h->nalt = 0;
		free(h->up);
		h->up = NULL;
	}
}

/* The header of line among those this file reads, with its value; NULL
 * when another. */
static const char *
hdrs_which(const char *line, size_t len, const char **v, size_t *vl)
{
	static const char *const names[] = { "Replay-Nonce", "Location",
	    "Retry-After", "Link" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (hdr_is(line, len, names[i], v, vl))
			return names[i];
	return NULL;
}

void
acme_hdrs_line(struct acme_hdrs *h, const char *line, size_t len, time_t now)
{
	const char *v, *name;
	size_t vl;
	time_t t;
	char *u;

	if (h->toobig)
		return;
	if (len > ACME_HEADERS_MAX - h->bytes) {
		h->toobig = 1;
		return;
	}
	h->bytes += len;
	if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		size_t bytes = h->bytes;

		acme_hdrs_free(h);
		h->bytes = bytes;
		return;
	}
	if (len > 0 && (line[0] == ' ' || line[0] == '\t')) {
		if (h->last != NULL)	/* an obs-fold: the value goes on */
			hdrs_drop(h, h->last);
		return;
	}
	if ((h->last = name = hdrs_which(line, len, &v, &vl)) == NULL)
		return;
	if (hdr_has_ctl(v, vl)) {
		hdrs_drop(h, name);
		return;
	}
	if (strcmp(name, "Replay-Nonce") == 0) {
		if (acme_nonce_ok(v, vl)) {
			memcpy(h->nonce, v, vl);
			h->nonce[vl] = '\0';
		}
	} else if (strcmp(name, "Location") == 0) {
		if (vl <= ACME_URL_MAX && (u = strndup(v, vl)) != NULL) {
			if (acme_url_ok(u) && h->location == NULL)
				h->location = u;
			else {
				hdrs_insecure(h, "Location", u);
				free(u);
			}
		}
	} else if (strcmp(name, "Retry-After") == 0) {
		if (acme_retry_after_parse(v, vl, now, &t) == 0) {
			h->has_retry_after = 1;
			h->retry_after = t;
		}
	} else
		(void)acme_link_parse(v, vl, acme_hdrs_link, h);
}

static size_t
acme_req_header_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct acme_req *r = arg;
	size_t n = size * nmemb;

	acme_hdrs_line(&r->h, data, n, time(NULL));
	return r->h.toobig ? 0 : n;	/* 0 aborts the transfer */
}

static size_t
acme_req_write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct acme_req *r = arg;
	size_t n = size * nmemb;
	char *p;

	if (n > r->max - r->len) {
		r->body_toobig = 1;
		return 0;
	}
	if ((p = realloc(r->body, r->len + n + 1)) == NULL)
		return 0;
	memcpy(p + r->len, data, n);
	r->body = p;
	r->len += n;
	p[r->len] = '\0';
	return n;
}

/* An easy handle for a request: one an ended request left (its options
 * cleared by curl_easy_reset, its buffers kept), else a new one. */
static CURL *
acme_easy_take(struct acme_engine *e)
{
	return e->nidle > 0 ? e->idle[--e->nidle] : curl_easy_init();
}

/* Keeps c, out of the multi handle, for a next request; cleans it up when
 * ACME_EASY_IDLE_MAX are kept already. */
static void
acme_easy_give(struct acme_engine *e, CURL *c)
{
	if (e->nidle == ACME_EASY_IDLE_MAX) {
		curl_easy_cleanup(c);
		return;
	}
	curl_easy_reset(c);
	e->idle[e->nidle++] = c;
}

void
acme_easy_drop(struct acme_engine *e)
{
	while (e->nidle > 0)
		curl_easy_cleanup(e->idle[--e->nidle]);
}

void
acme_req_free(struct acme_req *r)
{
	if (r == NULL)
		return;
	if (r->easy != NULL) {
		curl_multi_remove_handle(r->e->multi, r->easy);
		acme_easy_give(r->e, r->easy);
	}
	curl_slist_free_all(r->hdrlist);
	free(r->post);
	free(r->body);
	acme_hdrs_free(&r->h);
	free(r);
}

int
acme_req_send(struct acme_engine *e, enum acme_req_kind kind,
    struct acme_op *op, struct acme_ca *ca, const char *url,
    const char *endpoint, char *post, int accept_pem, long timeout_ms,
    char *err, size_t errlen)
{
	struct acme_req *r;
	struct curl_slist *l;
	CURL *c;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		free(post);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->e = e;
	r->kind = kind;
	r->op = op;
	r->ca = ca;
	r->endpoint = endpoint;
	r->post = post;
	r->max = accept_pem ? ACME_CERT_MAX : ACME_JSON_MAX;
	if ((c = r->easy = acme_easy_take(e)) == NULL)
		goto oom;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PRIVATE, r);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    timeout_ms < 10000 ? timeout_ms : 10000L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, acme_req_write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, acme_req_header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_USERAGENT, e->ua);
	curl_easy_setopt(c, CURLOPT_SHARE, e->share);
	curl_easy_setopt(c, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, NULL);
	if (ca->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca->ca_file);
	if (kind == ACME_REQ_NONCE)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (post != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)strlen(post));
		if ((l = curl_slist_append(r->hdrlist,
		    "Content-Type: application/jose+json")) == NULL)
			goto oom;
		r->hdrlist = l;
	}
	if ((l = curl_slist_append(r->hdrlist, accept_pem ?
	    "Accept: application/pem-certificate-chain" :
	    "Accept: application/json, application/problem+json")) == NULL)
		goto oom;
	r->hdrlist = l;
	/* curl would add "Expect: 100-continue" to big POSTs: a round trip. */
	if ((l = curl_slist_append(r->hdrlist, "Expect:")) == NULL)
		goto oom;
	r->hdrlist = l;
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, r->hdrlist);
	if (curl_multi_add_handle(e->multi, c) != CURLM_OK) {
		curl_easy_cleanup(c);
		r->easy = NULL;
		goto oom;
	}
	if (kind == ACME_REQ_DIRECTORY)
		ca->dir_req = r;
	else
		op->req = r;
	return 0;
oom:
	snprintf(err, errlen, "cannot set up a request to %s", url);
	acme_req_free(r);
	return -1;
}
