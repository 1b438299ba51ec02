/* acme_fault_proxy.c -- test tool: an HTTPS proxy in front of Pebble that counts ACME requests by kind and injects 429/503/badNonce/oversized/hostile answers. */
/*
 * Usage: acme_fault_proxy -l PORT -u UPSTREAM -c CERT -k KEY -a CAFILE
 *
 *   -l PORT      listen on 127.0.0.1:PORT (HTTPS, with CERT and KEY)
 *   -u UPSTREAM  the CA's origin, e.g. https://127.0.0.1:24004
 *   -a CAFILE    trust bundle for UPSTREAM
 *
 * Every request is forwarded to UPSTREAM with this proxy's Host header, so
 * Pebble writes URLs that point back here (directory, Location, Link,
 * authorizations, finalize, certificate) and checks the JWS "url" against
 * them. The control API, on the same listener:
 *
 *   POST /_proxy/fault?kind=K&mode=M&count=N[&retry_after=S][&for_s=T][&name=D][&limit=L&scope=X]
 *        the next N requests of kind K (with for_s: every request of kind
 *        K for the next T seconds; with name: only requests about the
 *        order whose first identifier is D: its newOrder, the order, its
 *        finalize and its certificate downloads, alternates included, the
 *        proxy having seen the newOrder answer and the order's certificate
 *        URL; faults for up to PROXY_FAULTS names of a kind are armed at
 *        once, a new one for a name replacing that name's, and a
 *        request takes its name's before one without a name) are
 *        answered by the proxy itself
 *        (never forwarded): M is 429 (rateLimited, Retry-After: S; with
 *        limit, a detail as Let's Encrypt writes it for that limit: L is
 *        account, domain (X the registered domain it quotes), set or name
 *        (X the name)), 503
 *        (Retry-After: S), badnonce (400 badNonce), huge (a 5 MiB JSON
 *        body) or rejected (400 rejectedIdentifier; newOrder only), each carrying a fresh Replay-Nonce from UPSTREAM; or
 *        stall: held S seconds (retry_after), then forwarded. Hostile
 *        answers: utf8detail (400 rejectedIdentifier whose detail is 3 KB of
 *        two-byte characters, so that a cut at 1,024 bytes splits one);
 *        httplocation (forwarded, its Location turned into http://);
 *        bigchain (a certificate download forwarded with its chain padded
 *        to PROXY_BIGCHAIN_BYTES by copies of its last certificate);
 *        bigalts (the same download with PROXY_ALTS Link rel="alternate"
 *        headers to /_proxy/alt/N, each a chain of PROXY_ALT_BYTES).
 *        A hostile CA (acme_fault_hostile.c): deepjson (200, 30,000 nested
 *        arrays), trickle (the answer sent one byte a second), redirectloop
 *        (302 to the same URL), httplink (forwarded, plus a Link
 *        rel="alternate" to an http:// URL), otherkey (a certificate
 *        download whose leaf is for another key), badchain (the leaf kept,
 *        the chain replaced by a self-signed stranger: it does not verify),
 *        hugechain (the download padded to 10 MB). A CA that takes its
 *        time: pending and processing (an order or finalize answer
 *        forwarded with its "status" turned into that word and without a
 *        Retry-After, so that the client's own schedule shows). A forwarding
 *        fault (httplocation, bigchain, bigalts, httplink, otherkey,
 *        badchain, hugechain, pending, processing) that meets an error of
 *        upstream (a badNonce) is given back: the next request of its kind
 *        takes it.
 *   POST /_proxy/alt/N  the padded alternate N of the last bigalts chain
 *   GET  /_proxy/log    one line per request seen since the last reset:
 *        "<unix ms> <kind> <method> <status> <fault|-> <first name|->"
 *        (the first name of the order the request is about, when known)
 *   GET  /_proxy/inflight  orders in flight at the CA, as the proxy saw
 *        them: "<now> <most ever> <opened> <closed>", an order being open
 *        from its newOrder 201 until an answer about it (order, finalize)
 *        says "valid" or "invalid"
 *   GET  /_proxy/overlap  newOrder requests and authorization fetches at
 *        the CA (forwarded, not yet answered), as the proxy saw them:
 *        "<times one began while the other kind was in flight> <most
 *        newOrders at once> <most authz fetches at once>" (Pebble's
 *        deadlock needs both at once: docs/design.md section 7)
 *   POST /_proxy/reset  forgets the faults, the log and the counts
 *
 * Upstream connections are kept (one per client connection's thread).
 * Kinds (Pebble's paths): directory newNonce newAccount account newOrder
 * order authz challenge finalize certificate other. The first name is the
 * first identifier of a newOrder payload; orders and certificates are tied
 * to it in a table of PROXY_NAMES_MAX ids. A test tool: never shipped.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>

#include "acme_fault_hostile.h"
#include "b64.h"
#include "clock.h"

#define PROXY_REQ_MAX		(1024 * 1024)	/* request body from a client */
#define PROXY_RESP_MAX		(16 * 1024 * 1024)	/* body from upstream */
#define PROXY_HDR_MAX		32		/* headers kept from upstream */
#define PROXY_LOG_MAX		100000		/* log lines kept */
#define PROXY_HUGE_BODY		(5 * 1024 * 1024)
#define PROXY_KINDS		11
#define PROXY_NAME_MAX		64
#define PROXY_BIGCHAIN_BYTES	1020000	/* over an event, under ACME_CERT_MAX */
#define PROXY_ALT_BYTES		400000
#define PROXY_ALTS		8
#define PROXY_FAULTS		16	/* faults armed at once per kind (one
					 * per name, one without) */

enum fault_mode { FAULT_NONE, FAULT_429, FAULT_503, FAULT_BADNONCE, FAULT_HUGE,
    FAULT_STALL, FAULT_REJECTED, FAULT_UTF8DETAIL, FAULT_HTTPLOCATION,
    FAULT_BIGCHAIN, FAULT_BIGALTS, FAULT_DEEPJSON, FAULT_TRICKLE,
    FAULT_REDIRECTLOOP, FAULT_HTTPLINK, FAULT_OTHERKEY, FAULT_BADCHAIN,
    FAULT_HUGECHAIN, FAULT_PENDING, FAULT_PROCESSING };

static const char *const fault_names[] = { "-", "429", "503", "badnonce", "huge",
    "stall", "rejected", "utf8detail", "httplocation", "bigchain", "bigalts", "deepjson",
    "trickle", "redirectloop", "httplink", "otherkey", "badchain",
    "hugechain", "pending", "processing" };

/* Modes that forward the request and change upstream's answer. */
#define FAULT_FORWARDS(m) ((m) == FAULT_HTTPLOCATION || (m) == FAULT_BIGCHAIN || \
    (m) == FAULT_BIGALTS || (m) == FAULT_HTTPLINK || (m) == FAULT_OTHERKEY || \
    (m) == FAULT_BADCHAIN || (m) == FAULT_HUGECHAIN || \
    (m) == FAULT_PENDING || (m) == FAULT_PROCESSING)

static const struct {
	const char *prefix;
	const char *kind;
} kinds[PROXY_KINDS] = {
	{ "/dir", "directory" },
	{ "/nonce-plz", "newNonce" },
	{ "/sign-me-up", "newAccount" },
	{ "/my-account/", "account" },
	{ "/order-plz", "newOrder" },
	{ "/my-order/", "order" },
	{ "/authZ/", "authz" },
	{ "/chalZ/", "challenge" },
	{ "/finalize-order/", "finalize" },
	{ "/certZ/", "certificate" },
	{ "", "other" },
};

struct fault {
	enum fault_mode	mode;
	int		count;
	int		retry_after;
	long long	until_ms;	/* for_s: every request until then */
	char		name[PROXY_NAME_MAX];	/* newOrder: only for this first name */
	char		limit[16];	/* 429: the limit its detail names */
	char		scope[PROXY_NAME_MAX];	/* ... and the name it quotes */
};

/* Orders seen at the CA: their ids (the last segment of the order URL) in
 * an open-addressing table, each open or closed; never shrunk. */
#define PROXY_ORDERS_MAX	(1 << 18)
#define PROXY_ORDER_ID_MAX	64
struct order_slot {
	char	id[PROXY_ORDER_ID_MAX];
	char	state;			/* 0 empty, 1 open, 2 closed */
};
static struct order_slot *orders;

/* The first name of each order and certificate id seen (order ids from
 * newOrder answers, certificate ids from the order's "certificate" URL),
 * open addressing; a full table ties no more. */
#define PROXY_NAMES_MAX		(1 << 16)
struct name_slot {
	char	id[PROXY_ORDER_ID_MAX];
	char	name[PROXY_NAME_MAX];
};
static struct name_slot *names;
static long n_open, n_max, n_opened, n_closed;
/* newOrder and authz requests upstream now, most ever, overlaps */
static long up_now[2], up_max[2], up_overlaps;
static pthread_key_t curl_key;		/* each thread's upstream handle */

struct logline {
	long long	ms;
	int		kind;
	char		method[8];
	unsigned	status;
	enum fault_mode	fault;
	char		name[PROXY_NAME_MAX];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct fault faults[PROXY_KINDS][PROXY_FAULTS];
static struct logline *logbuf;
static size_t nlog;
static const char *upstream, *cafile;
static char *alt_chain;		/* the last bigalts chain, padded */
static size_t alt_len;

/* A request being received. */
struct preq {
	char	*body;
	size_t	 len;
	int	 toobig;
};

/* A response from upstream. */
struct presp {
	char	*body;
	size_t	 len;
	int	 toobig;
	char	*hdr[PROXY_HDR_MAX];	/* "Name: value" */
	size_t	 nhdr;
};

static int
kind_of(const char *url)
{
	int i;

	for (i = 0; i < PROXY_KINDS - 1; i++)
		if (strncmp(url, kinds[i].prefix, strlen(kinds[i].prefix)) == 0)
			return i;
	return PROXY_KINDS - 1;
}

static int
kind_parse(const char *s)
{
	int i;

	for (i = 0; s != NULL && i < PROXY_KINDS; i++)
		if (strcmp(s, kinds[i].kind) == 0)
			return i;
	return -1;
}

/* The first identifier of a newOrder JWS body, or "-". */
static void
first_name(const char *body, size_t len, char *out, size_t outlen)
{
	json_t *jws = NULL, *payload = NULL;
	unsigned char *raw = NULL;
	const char *p, *v;
	size_t rawlen;

	snprintf(out, outlen, "-");
	if (body == NULL || (jws = json_loadb(body, len, 0, NULL)) == NULL ||
	    (p = json_string_value(json_object_get(jws, "payload"))) == NULL ||
	    (raw = b64url_decode(p, strlen(p), &rawlen)) == NULL ||
	    (payload = json_loadb((const char *)raw, rawlen, 0, NULL)) == NULL)
		goto out;
	v = json_string_value(json_object_get(json_array_get(json_object_get(
	    payload, "identifiers"), 0), "value"));
	if (v != NULL && strlen(v) < outlen && strspn(v,
	    "abcdefghijklmnopqrstuvwxyz0123456789-.*") == strlen(v))
		snprintf(out, outlen, "%s", v);
out:
	free(raw);
	json_decref(payload);
	json_decref(jws);
}

static void
log_add(int kind, const char *method, unsigned status, enum fault_mode f,
    const char *name)
{
	struct logline *l;

	pthread_mutex_lock(&lock);
	if (nlog < PROXY_LOG_MAX) {
		l = &logbuf[nlog++];
		l->ms = clock_wall_ms();
		l->kind = kind;
		snprintf(l->method, sizeof(l->method), "%s", method);
		l->status = status;
		l->fault = f;
		snprintf(l->name, sizeof(l->name), "%s", name);
	}
	pthread_mutex_unlock(&lock);
}

static size_t
resp_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct presp *r = arg;
	size_t n = size * nmemb;
	char *b;

	if (r->len + n > PROXY_RESP_MAX) {
		r->toobig = 1;
		return 0;
	}
	if ((b = realloc(r->body, r->len + n + 1)) == NULL)
		return 0;
	memcpy(b + r->len, ptr, n);
	r->body = b;
	r->len += n;
	b[r->len] = '\0';
	return n;
}

static size_t
resp_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
	static const char *const keep[] = { "replay-nonce:", "location:",
	    "link:", "retry-after:", "content-type:", "cache-control:" };
	struct presp *r = arg;
	size_t n = size * nmemb, i, l = n;

	if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {	/* a new response */
		for (i = 0; i < r->nhdr; i++)
			free(r->hdr[i]);
		r->nhdr = 0;
		return n;
	}
	while (l > 0 && (ptr[l - 1] == '\r' || ptr[l - 1] == '\n'))
		l--;
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (l > strlen(keep[i]) && strncasecmp(ptr, keep[i],
		    strlen(keep[i])) == 0 && r->nhdr < PROXY_HDR_MAX) {
			if ((r->hdr[r->nhdr] = strndup(ptr, l)) != NULL)
				r->nhdr++;
			break;
		}
	return n;
}

static void
presp_free(struct presp *r)
{
	size_t i;

	for (i = 0; i < r->nhdr; i++)
		free(r->hdr[i]);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* The order id at the end of url (after its last '/'), or NULL. */
static const char *
order_id(const char *url, char *out, size_t outlen)
{
	const char *slash = strrchr(url, '/');
	size_t n;

	if (slash == NULL)
		return NULL;
	n = strcspn(slash + 1, "?# \r\n");
	if (n == 0 || n >= outlen || strspn(slash + 1, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") < n)
		return NULL;
	memcpy(out, slash + 1, n);
	out[n] = '\0';
	return out;
}

/* Marks order id open (a 201 to newOrder) or closed (valid or invalid). */
static void
order_mark(const char *id, int open)
{
	unsigned long h = 5381;
	const char *p;
	size_t i, k;

	for (p = id; *p != '\0'; p++)
		h = h * 33 + (unsigned char)*p;
	pthread_mutex_lock(&lock);
	for (k = 0; k < PROXY_ORDERS_MAX; k++) {
		i = (h + k) & (PROXY_ORDERS_MAX - 1);
		if (orders[i].state == 0 || strcmp(orders[i].id, id) == 0)
			break;
	}
	if (k == PROXY_ORDERS_MAX)
		;	/* full: a test never gets here */
	else if (orders[i].state == 0 && open) {
		snprintf(orders[i].id, sizeof(orders[i].id), "%s", id);
		orders[i].state = 1;
		n_opened++;
		if (++n_open > n_max)
			n_max = n_open;
	} else if (orders[i].state == 1 && !open) {
		orders[i].state = 2;
		n_open--;
		n_closed++;
	}
	pthread_mutex_unlock(&lock);
}

/* The slot of id in names (empty when id is not there), or NULL when the
 * table is full. Call with lock held. */
static struct name_slot *
name_slot(const char *id)
{
	unsigned long h = 5381;
	const char *p;
	size_t i, k;

	for (p = id; *p != '\0'; p++)
		h = h * 33 + (unsigned char)*p;
	for (k = 0; k < PROXY_NAMES_MAX; k++) {
		i = (h + k) & (PROXY_NAMES_MAX - 1);
		if (names[i].id[0] == '\0' || strcmp(names[i].id, id) == 0)
			return &names[i];
	}
	return NULL;
}

/* Ties id (an order's or a certificate's) to first name name. */
static void
name_put(const char *id, const char *name)
{
	struct name_slot *sl;

	if (strcmp(name, "-") == 0)
		return;
	pthread_mutex_lock(&lock);
	if ((sl = name_slot(id)) != NULL) {
		snprintf(sl->id, sizeof(sl->id), "%s", id);
		snprintf(sl->name, sizeof(sl->name), "%s", name);
	}
	pthread_mutex_unlock(&lock);
}

/* The first name tied to id into out, "-" when none. */
static void
name_get(const char *id, char *out, size_t outlen)
{
	struct name_slot *sl;

	pthread_mutex_lock(&lock);
	sl = name_slot(id);
	snprintf(out, outlen, "%s", sl != NULL && sl->id[0] != '\0' ?
	    sl->name : "-");
	pthread_mutex_unlock(&lock);
}

/* The id in url right after prefix (up to the next '/'), or NULL. */
static const char *
id_after(const char *url, const char *prefix, char *out, size_t outlen)
{
	const char *p = strstr(url, prefix);
	size_t n;

	if (p == NULL)
		return NULL;
	p += strlen(prefix);
	n = strcspn(p, "/?# \r\n");
	if (n == 0 || n >= outlen || strspn(p, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") < n)
		return NULL;
	memcpy(out, p, n);
	out[n] = '\0';
	return out;
}

/* The first name of the order a request of kind to url is about into out:
 * a newOrder's from its payload, an order's, a finalize's or a
 * certificate's from the table; "-" when unknown. */
static void
name_of(int kind, const char *url, const struct preq *q, char *out,
    size_t outlen)
{
	char id[PROXY_ORDER_ID_MAX];
	const char *k = kinds[kind].kind;

	snprintf(out, outlen, "-");
	if (strcmp(k, "newOrder") == 0)
		first_name(q->body, q->len, out, outlen);
	else if ((strcmp(k, "order") == 0 || strcmp(k, "finalize") == 0 ||
	    strcmp(k, "certificate") == 0) &&
	    id_after(url, kinds[kind].prefix, id, sizeof(id)) != NULL)
		name_get(id, out, outlen);
}

/* Counts what an answer of upstream says about orders, and ties the order
 * (newOrder) and its certificate (order, finalize) to first name name. */
static void
order_track(int kind, const char *url, long status, const struct presp *r,
    const char *name)
{
	char id[PROXY_ORDER_ID_MAX], cid[PROXY_ORDER_ID_MAX];
	const char *st, *cert;
	json_t *j;
	size_t i;

	if (strcmp(kinds[kind].kind, "newOrder") == 0 && status == 201) {
		for (i = 0; i < r->nhdr; i++)
			if (strncasecmp(r->hdr[i], "location:", 9) == 0 &&
			    order_id(r->hdr[i] + 9, id, sizeof(id)) != NULL) {
				order_mark(id, 1);
				name_put(id, name);
			}
		return;
	}
	if ((strcmp(kinds[kind].kind, "order") != 0 &&
	    strcmp(kinds[kind].kind, "finalize") != 0) || status != 200 ||
	    r->body == NULL || order_id(url, id, sizeof(id)) == NULL ||
	    (j = json_loadb(r->body, r->len, 0, NULL)) == NULL)
		return;
	st = json_string_value(json_object_get(j, "status"));
	if (st != NULL && (strcmp(st, "valid") == 0 || strcmp(st, "invalid") == 0))
		order_mark(id, 0);
	cert = json_string_value(json_object_get(j, "certificate"));
	if (cert != NULL && strcmp(name, "-") != 0 &&
	    id_after(cert, "/certZ/", cid, sizeof(cid)) != NULL)
		name_put(cid, name);
	json_decref(j);
}

static void
curl_release(void *c)
{
	curl_easy_cleanup(c);
}

/* A request to path goes upstream (begin 1) or came back (begin 0):
 * counts newOrder requests and authz fetches in flight and their overlaps. */
static void
upstream_count(const char *path, int begin)
{
	const char *k = kinds[kind_of(path)].kind;
	int i = strcmp(k, "newOrder") == 0 ? 0 : strcmp(k, "authz") == 0 ? 1 :
	    -1;

	if (i < 0)
		return;
	pthread_mutex_lock(&lock);
	if (!begin)
		up_now[i]--;
	else {
		if (up_now[!i] > 0)
			up_overlaps++;
		if (++up_now[i] > up_max[i])
			up_max[i] = up_now[i];
	}
	pthread_mutex_unlock(&lock);
}

/* Sends method path (body: POST) upstream with Host host, on this thread's
 * handle (its connection kept). Returns the HTTP status, or 0 when the
 * transfer failed. */
static long
upstream_do(const char *method, const char *path, const char *host,
    const char *ua, const char *ctype, const char *body, size_t len,
    struct presp *r)
{
	struct curl_slist *h = NULL;
	char url[4096], line[512];
	long status = 0;
	CURL *c;

	if ((c = pthread_getspecific(curl_key)) != NULL)
		curl_easy_reset(c);
	else if ((c = curl_easy_init()) == NULL)
		return 0;
	else
		pthread_setspecific(curl_key, c);
	snprintf(url, sizeof(url), "%s%s", upstream, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, cafile);
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, resp_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, resp_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	/* the client's User-Agent (newer Pebbles refuse a request without) */
	curl_easy_setopt(c, CURLOPT_USERAGENT, ua != NULL ? ua :
	    "acme_fault_proxy");
	if (host != NULL) {
		snprintf(line, sizeof(line), "Host: %s", host);
		h = curl_slist_append(h, line);
	}
	if (ctype != NULL) {
		snprintf(line, sizeof(line), "Content-Type: %s", ctype);
		h = curl_slist_append(h, line);
	}
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body != NULL ? body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	}
	upstream_count(path, 1);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	upstream_count(path, 0);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	return status;
}

/* A fresh nonce from upstream for an injected answer ("" when none). */
static void
fresh_nonce(const char *host, char *out, size_t outlen)
{
	struct presp r = { 0 };
	size_t i;

	out[0] = '\0';
	if (upstream_do("HEAD", "/nonce-plz", host, NULL, NULL, NULL, 0, &r) != 0)
		for (i = 0; i < r.nhdr; i++)
			if (strncasecmp(r.hdr[i], "replay-nonce:", 13) == 0)
				snprintf(out, outlen, "%s", r.hdr[i] + 13 +
				    strspn(r.hdr[i] + 13, " "));
	presp_free(&r);
}

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned status, const char *ctype,
    const char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *resp;
	enum MHD_Result rc;

	resp = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body,
	    mode);
	if (resp == NULL)
		return MHD_NO;
	if (ctype != NULL)
		MHD_add_response_header(resp, "Content-Type", ctype);
	rc = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* 1 when fault f can still be taken. */
static int
fault_live(const struct fault *f)
{
	return f->mode != FAULT_NONE && (f->until_ms > 0 ?
	    f->until_ms > clock_wall_ms() : f->count > 0);
}

/* The slot of kind for faults about name ("": any request): its own, else
 * a spent one, else NULL. Call with lock held. */
static struct fault *
fault_slot(int kind, const char *name)
{
	struct fault *f, *spent = NULL;
	size_t i;

	for (i = 0; i < PROXY_FAULTS; i++) {
		f = &faults[kind][i];
		if (f->mode != FAULT_NONE && strcmp(f->name, name) == 0)
			return f;
		if (spent == NULL && !fault_live(f))
			spent = f;
	}
	return spent;
}

/* The fault a request of kind about first name name takes (a count spent),
 * one for its name before one for any request; FAULT_NONE when none. Call
 * with lock held. */
static struct fault
fault_take(int kind, const char *name)
{
	struct fault none = { FAULT_NONE, 0, 0, 0, "", "", "" }, *f, *hit = NULL;
	size_t i;

	for (i = 0; i < PROXY_FAULTS; i++) {
		f = &faults[kind][i];
		if (!fault_live(f) || (f->name[0] != '\0' &&
		    strcmp(f->name, name) != 0))
			continue;
		if (hit == NULL || (hit->name[0] == '\0' && f->name[0] != '\0'))
			hit = f;
	}
	if (hit == NULL)
		return none;
	if (hit->until_ms == 0)
		hit->count--;
	return *hit;
}

/* GET /_proxy/overlap: see the top of this file. */
static enum MHD_Result
overlap_reply(struct MHD_Connection *conn)
{
	char line[96];

	pthread_mutex_lock(&lock);
	snprintf(line, sizeof(line), "%ld %ld %ld\n", up_overlaps, up_max[0],
	    up_max[1]);
	pthread_mutex_unlock(&lock);
	return reply(conn, 200, "text/plain", line, strlen(line),
	    MHD_RESPMEM_MUST_COPY);
}

/* The detail of a 429 naming limit f->limit as Let's Encrypt words it (its
 * quotes escaped for JSON), into out; NULL for an unknown limit. */
static const char *
limit_detail(const struct fault *f, char *out, size_t outlen)
{
	static const char docs[] = "https://letsencrypt.org/docs/rate-limits/#";

	if (strcmp(f->limit, "account") == 0)
		snprintf(out, outlen, "too many new orders (300) from this "
		    "account in the last 3h0m0s, retry after a while: see "
		    "%snew-orders-per-account", docs);
	else if (strcmp(f->limit, "domain") == 0)
		snprintf(out, outlen, "too many certificates (50) already "
		    "issued for \\\"%s\\\" in the last 168h0m0s, retry after "
		    "a while: see %snew-certificates-per-registered-domain",
		    f->scope, docs);
	else if (strcmp(f->limit, "set") == 0)
		snprintf(out, outlen, "too many certificates (5) already issued "
		    "for this exact set of identifiers in the last 168h0m0s, "
		    "retry after a while: see "
		    "%snew-certificates-per-exact-set-of-identifiers", docs);
	else if (strcmp(f->limit, "name") == 0)
		snprintf(out, outlen, "too many failed authorizations (5) for "
		    "\\\"%s\\\" in the last 1h0m0s, retry after a while: see "
		    "%sauthorization-failures-per-identifier-per-account",
		    f->scope, docs);
	else
		return NULL;
	return out;
}

static enum MHD_Result
control(struct MHD_Connection *conn, const char *url, const char *method)
{
	const char *k, *m, *n, *ra, *fs;
	struct fault f = { FAULT_NONE, 0, 0, 0, "", "", "" }, *slot;
	const char *nm, *lm, *sc;
	char *out = NULL, line[256], limited[640];
	size_t i, cap, len = 0;
	enum MHD_Result rc;
	int kind;

	if (strcmp(url, "/_proxy/reset") == 0 && strcmp(method, "POST") == 0) {
		pthread_mutex_lock(&lock);
		memset(faults, 0, sizeof(faults));
		nlog = 0;
		memset(orders, 0, PROXY_ORDERS_MAX * sizeof(*orders));
		memset(names, 0, PROXY_NAMES_MAX * sizeof(*names));
		n_open = n_max = n_opened = n_closed = 0;
		up_max[0] = up_max[1] = up_overlaps = 0;
		pthread_mutex_unlock(&lock);
		return reply(conn, 200, "text/plain", "ok\n", 3,
		    MHD_RESPMEM_PERSISTENT);
	}
	if (strcmp(url, "/_proxy/fault") == 0 && strcmp(method, "POST") == 0) {
		k = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "kind");
		m = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "mode");
		n = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "count");
		ra = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
		    "retry_after");
		fs = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
		    "for_s");
		for (i = 1; m != NULL && i < sizeof(fault_names) /
		    sizeof(fault_names[0]); i++)
			if (strcmp(m, fault_names[i]) == 0)
				f.mode = (enum fault_mode)i;
		f.count = n != NULL ? atoi(n) : 1;
		nm = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "name");
		snprintf(f.name, sizeof(f.name), "%s", nm != NULL ? nm : "");
		lm = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
		    "limit");
		sc = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
		    "scope");
		snprintf(f.limit, sizeof(f.limit), "%s", lm != NULL ? lm : "");
		snprintf(f.scope, sizeof(f.scope), "%s", sc != NULL ? sc : "");
		f.retry_after = ra != NULL ? atoi(ra) : 0;
		if (fs != NULL && atoi(fs) > 0)
			f.until_ms = clock_wall_ms() + 1000LL * atoi(fs);
		if ((kind = kind_parse(k)) < 0 || f.mode == FAULT_NONE ||
		    f.count < 0 || f.retry_after < 0 ||
		    strspn(f.scope, "abcdefghijklmnopqrstuvwxyz0123456789.-") !=
		    strlen(f.scope) || (f.limit[0] != '\0' &&
		    limit_detail(&f, limited, sizeof(limited)) == NULL))
			return reply(conn, 400, "text/plain",
			    "kind, mode, count or retry_after is bad\n", 40,
			    MHD_RESPMEM_PERSISTENT);
		pthread_mutex_lock(&lock);
		if ((slot = fault_slot(kind, f.name)) != NULL)
			*slot = f;
		pthread_mutex_unlock(&lock);
		if (slot == NULL)
			return reply(conn, 503, "text/plain", "too many faults\n",
			    16, MHD_RESPMEM_PERSISTENT);
		return reply(conn, 200, "text/plain", "ok\n", 3,
		    MHD_RESPMEM_PERSISTENT);
	}
	if (strcmp(url, "/_proxy/inflight") == 0 && strcmp(method, "GET") == 0) {
		pthread_mutex_lock(&lock);
		snprintf(line, sizeof(line), "%ld %ld %ld %ld\n", n_open, n_max,
		    n_opened, n_closed);
		pthread_mutex_unlock(&lock);
		return reply(conn, 200, "text/plain", line, strlen(line),
		    MHD_RESPMEM_MUST_COPY);
	}
	if (strcmp(url, "/_proxy/overlap") == 0 && strcmp(method, "GET") == 0)
		return overlap_reply(conn);
	if (strcmp(url, "/_proxy/log") == 0 && strcmp(method, "GET") == 0) {
		pthread_mutex_lock(&lock);
		cap = nlog * 128 + 1;
		if ((out = malloc(cap)) != NULL)
			for (i = 0; i < nlog; i++) {
				snprintf(line, sizeof(line), "%lld %s %s %u %s %s\n",
				    logbuf[i].ms, kinds[logbuf[i].kind].kind,
				    logbuf[i].method, logbuf[i].status,
				    fault_names[logbuf[i].fault], logbuf[i].name);
				if (len + strlen(line) < cap) {
					memcpy(out + len, line, strlen(line));
					len += strlen(line);
				}
			}
		pthread_mutex_unlock(&lock);
		if (out == NULL)
			return MHD_NO;
		rc = reply(conn, 200, "text/plain", out, len, MHD_RESPMEM_MUST_COPY);
		free(out);
		return rc;
	}
	return reply(conn, 404, "text/plain", "no such control\n", 16,
	    MHD_RESPMEM_PERSISTENT);
}

/* A problem whose detail is "a" and 1,500 times U+00E9 (2 bytes each):
 * byte 1,024 falls inside a character. */
static struct MHD_Response *
utf8_detail_response(const char *type, unsigned status)
{
	char *body;
	size_t off, i;

	if ((body = malloc(4096)) == NULL)
		return NULL;
	off = (size_t)snprintf(body, 4096, "{\"type\":\"%s\",\"status\":%u,"
	    "\"detail\":\"a", type, status);
	for (i = 0; i < 1500; i++) {
		body[off++] = (char)0xc3;
		body[off++] = (char)0xa9;
	}
	off += (size_t)snprintf(body + off, 4096 - off, "\"}");
	return MHD_create_response_from_buffer(off, body, MHD_RESPMEM_MUST_FREE);
}

/* chain[0..len) followed by copies of its last certificate until it is at
 * least target bytes: malloc'd, *outlen set; NULL when it has none. */
static char *
pad_chain(const char *chain, size_t len, size_t target, size_t *outlen)
{
	static const char end[] = "-----END CERTIFICATE-----\n";
	const char *b = NULL, *p, *e;
	size_t blen, n = len;
	char *out;

	for (p = chain; (p = strstr(p, "-----BEGIN CERTIFICATE-----")) != NULL;
	    p++)
		b = p;
	if (b == NULL || (e = strstr(b, end)) == NULL)
		return NULL;
	blen = (size_t)(e + strlen(end) - b);
	if ((out = malloc(target + blen + 1)) == NULL)
		return NULL;
	memcpy(out, chain, len);
	if (n > 0 && out[n - 1] != '\n')
		out[n++] = '\n';
	while (n < target) {
		memcpy(out + n, b, blen);
		n += blen;
	}
	out[n] = '\0';
	*outlen = n;
	return out;
}

/* Answers with an injected fault; never forwarded. */
static enum MHD_Result
inject(struct MHD_Connection *conn, const char *host, const struct fault *f)
{
	struct MHD_Response *resp;
	char nonce[512], body[1024], ra[32], limited[640];
	const char *type = NULL, *detail = NULL;
	unsigned status = 200;
	enum MHD_Result rc;
	char *huge = NULL;

	fresh_nonce(host, nonce, sizeof(nonce));
	switch (f->mode) {
	case FAULT_429:
		status = 429;
		type = "urn:ietf:params:acme:error:rateLimited";
		detail = f->limit[0] != '\0' ? limit_detail(f, limited,
		    sizeof(limited)) : "too many new orders recently: see "
		    "https://letsencrypt.org/docs/rate-limits/";
		break;
	case FAULT_503:
		status = 503;
		type = "urn:ietf:params:acme:error:serverInternal";
		detail = "the service is busy, retry later";
		break;
	case FAULT_BADNONCE:
		status = 400;
		type = "urn:ietf:params:acme:error:badNonce";
		detail = "JWS has an invalid anti-replay nonce";
		break;
	case FAULT_REJECTED:
		status = 400;
		type = "urn:ietf:params:acme:error:rejectedIdentifier";
		detail = "Cannot issue for this name: the CA's policy forbids it";
		break;
	case FAULT_UTF8DETAIL:
		status = 400;
		type = "urn:ietf:params:acme:error:rejectedIdentifier";
		break;
	default:
		break;
	}
	if (f->mode == FAULT_UTF8DETAIL) {
		resp = utf8_detail_response(type, status);
	} else if (type != NULL) {
		snprintf(body, sizeof(body), "{\"type\":\"%s\",\"detail\":\"%s\","
		    "\"status\":%u}", type, detail, status);
		resp = MHD_create_response_from_buffer(strlen(body), body,
		    MHD_RESPMEM_MUST_COPY);
	} else {
		if ((huge = malloc(PROXY_HUGE_BODY)) == NULL)
			return MHD_NO;
		memset(huge, ' ', PROXY_HUGE_BODY);
		memcpy(huge, "{\"status\":\"pending\",\"pad\":\"", 27);
		huge[PROXY_HUGE_BODY - 2] = '"';
		huge[PROXY_HUGE_BODY - 1] = '}';
		resp = MHD_create_response_from_buffer(PROXY_HUGE_BODY, huge,
		    MHD_RESPMEM_MUST_FREE);
	}
	if (resp == NULL) {
		free(huge);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", type != NULL ?
	    "application/problem+json" : "application/json");
	if (nonce[0] != '\0')
		MHD_add_response_header(resp, "Replay-Nonce", nonce);
	if (f->mode == FAULT_429 || f->mode == FAULT_503) {
		snprintf(ra, sizeof(ra), "%d", f->retry_after);
		MHD_add_response_header(resp, "Retry-After", ra);
	}
	rc = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* A hostile answer made here (acme_fault_hostile.c), never forwarded: deep
 * JSON, a trickled problem, or a redirect to the very URL asked. */
static enum MHD_Result
hostile_reply(struct MHD_Connection *conn, const char *host, const char *url,
    const struct fault *f)
{
	struct MHD_Response *resp;
	enum MHD_Result rc;
	char nonce[512], loc[1024];
	unsigned status = 200;

	fresh_nonce(host, nonce, sizeof(nonce));
	if (f->mode == FAULT_DEEPJSON)
		resp = hostile_deepjson();
	else if (f->mode == FAULT_TRICKLE)
		resp = hostile_trickle();
	else {
		status = 302;
		resp = MHD_create_response_from_buffer(0, (char *)"",
		    MHD_RESPMEM_PERSISTENT);
		snprintf(loc, sizeof(loc), "https://%s%s", host != NULL ? host :
		    "127.0.0.1", url);
		if (resp != NULL)
			MHD_add_response_header(resp, "Location", loc);
	}
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", "application/json");
	if (nonce[0] != '\0')
		MHD_add_response_header(resp, "Replay-Nonce", nonce);
	rc = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* The answer of the alternate chains of the last bigalts download. */
static enum MHD_Result
alt_reply(struct MHD_Connection *conn, const char *host)
{
	struct MHD_Response *resp;
	enum MHD_Result rc;
	char nonce[512];

	fresh_nonce(host, nonce, sizeof(nonce));
	pthread_mutex_lock(&lock);
	resp = alt_chain != NULL ? MHD_create_response_from_buffer(alt_len,
	    alt_chain, MHD_RESPMEM_MUST_COPY) : NULL;
	pthread_mutex_unlock(&lock);
	if (resp == NULL)
		return reply(conn, 404, "text/plain", "no alternate\n", 13,
		    MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(resp, "Content-Type",
	    "application/pem-certificate-chain");
	if (nonce[0] != '\0')
		MHD_add_response_header(resp, "Replay-Nonce", nonce);
	rc = MHD_queue_response(conn, 200, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* The JSON object body[0..len) (NUL-terminated, as resp_body keeps it)
 * with the value of its first "status" member replaced by word: a new body
 * (*n bytes, NUL-terminated), or NULL when it has no such string member. */
static char *
status_rewrite(const char *body, size_t len, const char *word, size_t *n)
{
	const char *k, *v, *end;
	char *b;

	if ((k = strstr(body, "\"status\"")) == NULL)
		return NULL;
	v = k + 8;
	v += strspn(v, " \t\r\n:");
	if (*v != '"' || (end = strchr(v + 1, '"')) == NULL)
		return NULL;
	*n = (size_t)(v + 1 - body) + strlen(word) + (size_t)(body + len - end);
	if ((b = malloc(*n + 1)) == NULL)
		return NULL;
	snprintf(b, *n + 1, "%.*s%s%.*s", (int)(v + 1 - body), body, word,
	    (int)(body + len - end), end);
	return b;
}

/* Applies a forwarding fault to upstream's answer r (headers, body). */
static void
forward_fault(const struct fault *f, const char *host, struct presp *r)
{
	size_t n, i;
	char *b, *h;

	if (f->mode == FAULT_PENDING || f->mode == FAULT_PROCESSING) {
		if (r->body != NULL && (b = status_rewrite(r->body, r->len,
		    fault_names[f->mode], &n)) != NULL) {
			free(r->body);
			r->body = b;
			r->len = n;
		}
		/* a CA that gives no Retry-After: the client's own schedule */
		for (i = n = 0; i < r->nhdr; i++)
			if (strncasecmp(r->hdr[i], "retry-after:", 12) == 0)
				free(r->hdr[i]);
			else
				r->hdr[n++] = r->hdr[i];
		r->nhdr = n;
		return;
	}

	if (f->mode == FAULT_HTTPLINK && r->nhdr < PROXY_HDR_MAX &&
	    (h = malloc(strlen(host) + 80)) != NULL) {
		sprintf(h, "Link: <http://%s/_proxy/alt/0>;rel=\"alternate\"", host);
		r->hdr[r->nhdr++] = h;
		return;
	}
	if (f->mode == FAULT_OTHERKEY || f->mode == FAULT_BADCHAIN) {
		b = r->body == NULL ? NULL : f->mode == FAULT_OTHERKEY ?
		    hostile_otherkey(r->body, r->len, &n) :
		    hostile_badchain(r->body, r->len, &n);
		if (b != NULL) {
			free(r->body);
			r->body = b;
			r->len = n;
		}
		return;
	}
	if (f->mode == FAULT_HTTPLOCATION) {
		for (i = 0; i < r->nhdr; i++)
			if (strncasecmp(r->hdr[i], "location: https://", 18) == 0 &&
			    (h = malloc(strlen(r->hdr[i]))) != NULL) {
				sprintf(h, "Location: http://%s", r->hdr[i] + 18);
				free(r->hdr[i]);
				r->hdr[i] = h;
			}
		return;
	}
	if (r->body == NULL || (b = pad_chain(r->body, r->len, f->mode ==
	    FAULT_BIGCHAIN ? PROXY_BIGCHAIN_BYTES : f->mode == FAULT_HUGECHAIN ?
	    HOSTILE_HUGECHAIN_BYTES : PROXY_ALT_BYTES, &n)) == NULL)
		return;
	if (f->mode == FAULT_BIGCHAIN || f->mode == FAULT_HUGECHAIN) {
		free(r->body);
		r->body = b;
		r->len = n;
		return;
	}
	pthread_mutex_lock(&lock);
	free(alt_chain);
	alt_chain = b;
	alt_len = n;
	pthread_mutex_unlock(&lock);
	for (i = 0; i < PROXY_ALTS && r->nhdr < PROXY_HDR_MAX; i++) {
		if ((h = malloc(strlen(host) + 80)) == NULL)
			break;
		sprintf(h, "Link: <https://%s/_proxy/alt/%zu>;rel=\"alternate\"",
		    host, i);
		r->hdr[r->nhdr++] = h;
	}
}

static enum MHD_Result
forward(struct MHD_Connection *conn, const char *url, const char *method,
    const char *host, const struct preq *q, const struct fault *f,
    const char *name, unsigned *status)
{
	struct MHD_Response *resp;
	struct presp r = { 0 };
	const char *ctype;
	enum MHD_Result rc = MHD_NO;
	char *colon;
	size_t i;
	long st;

	ctype = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "Content-Type");
	st = upstream_do(method, url, host, MHD_lookup_connection_value(conn,
	    MHD_HEADER_KIND, "User-Agent"), ctype, q->body, q->len, &r);
	if (st == 0 || r.toobig) {
		*status = 502;
		presp_free(&r);
		return reply(conn, 502, "text/plain", "upstream failed\n", 16,
		    MHD_RESPMEM_PERSISTENT);
	}
	*status = (unsigned)st;
	order_track(kind_of(url), url, st, &r, name);
	if (FAULT_FORWARDS(f->mode) && host != NULL)
		forward_fault(f, host, &r);
	resp = MHD_create_response_from_buffer(r.len, r.body != NULL ? r.body :
	    (char *)"", MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		goto out;
	for (i = 0; i < r.nhdr; i++) {
		if ((colon = strchr(r.hdr[i], ':')) == NULL)
			continue;
		*colon = '\0';
		MHD_add_response_header(resp, r.hdr[i], colon + 1 +
		    strspn(colon + 1, " "));
	}
	rc = MHD_queue_response(conn, (unsigned)st, resp);
	MHD_destroy_response(resp);
out:
	presp_free(&r);
	return rc;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct preq *q = *con_cls;
	struct fault f = { FAULT_NONE, 0, 0, 0, "", "", "" }, *slot;
	const char *host;
	char name[PROXY_NAME_MAX] = "-";
	unsigned status = 0;
	enum MHD_Result rc;
	int kind;
	char *b;

	(void)cls;
	(void)version;
	if (q == NULL) {
		if ((q = calloc(1, sizeof(*q))) == NULL)
			return MHD_NO;
		*con_cls = q;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (q->len + *upload_size > PROXY_REQ_MAX)
			q->toobig = 1;
		else if ((b = realloc(q->body, q->len + *upload_size + 1)) != NULL) {
			memcpy(b + q->len, upload, *upload_size);
			q->body = b;
			q->len += *upload_size;
			b[q->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
	if (strncmp(url, "/_proxy/alt/", 12) == 0) {
		log_add(PROXY_KINDS - 1, method, 200, FAULT_BIGALTS, name);
		return alt_reply(conn, host);
	}
	if (strncmp(url, "/_proxy/", 8) == 0)
		return control(conn, url, method);
	if (q->toobig)
		return reply(conn, 413, "text/plain", "too big\n", 8,
		    MHD_RESPMEM_PERSISTENT);
	kind = kind_of(url);
	name_of(kind, url, q, name, sizeof(name));
	pthread_mutex_lock(&lock);
	/* a fault for one name leaves other orders alone: jobs of other tests,
	 * retries or the tail of the order before never take it */
	f = fault_take(kind, name);
	pthread_mutex_unlock(&lock);
	if (f.mode == FAULT_STALL)
		sleep((unsigned)f.retry_after);
	else if (f.mode == FAULT_DEEPJSON || f.mode == FAULT_TRICKLE ||
	    f.mode == FAULT_REDIRECTLOOP) {
		log_add(kind, method, f.mode == FAULT_REDIRECTLOOP ? 302 : 200,
		    f.mode, name);
		return hostile_reply(conn, host, url, &f);
	} else if (f.mode != FAULT_NONE && !FAULT_FORWARDS(f.mode)) {
		status = f.mode == FAULT_429 ? 429 : f.mode == FAULT_503 ? 503 :
		    f.mode == FAULT_BADNONCE || f.mode == FAULT_REJECTED ||
		    f.mode == FAULT_UTF8DETAIL ? 400 : 200;
		log_add(kind, method, status, f.mode, name);
		return inject(conn, host, &f);
	}
	rc = forward(conn, url, method, host, q, &f, name, &status);
	log_add(kind, method, status, f.mode, name);
	/* a forwarding fault meets an answer it can change: upstream's error
	 * (Pebble's random badNonce) gives it back for the client's retry */
	if (FAULT_FORWARDS(f.mode) && f.until_ms == 0 && status >= 300) {
		pthread_mutex_lock(&lock);
		if ((slot = fault_slot(kind, f.name)) != NULL &&
		    slot->mode == f.mode)
			slot->count++;
		pthread_mutex_unlock(&lock);
	}
	return rc;
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct preq *q = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (q != NULL) {
		free(q->body);
		free(q);
		*con_cls = NULL;
	}
}

static char *
slurp(const char *path)
{
	FILE *f;
	char *b = NULL;
	long n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && n < 1 << 20 &&
	    fseek(f, 0, SEEK_SET) == 0 && (b = calloc(1, (size_t)n + 1)) != NULL &&
	    fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	return b;
}

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(int argc, char **argv)
{
	struct MHD_Daemon *d;
	struct sockaddr_in sa;
	char *cert = NULL, *key = NULL;
	const char *certfile = NULL, *keyfile = NULL;
	int ch, port = 0;

	while ((ch = getopt(argc, argv, "l:u:c:k:a:")) != -1) {
		switch (ch) {
		case 'l': port = atoi(optarg); break;
		case 'u': upstream = optarg; break;
		case 'c': certfile = optarg; break;
		case 'k': keyfile = optarg; break;
		case 'a': cafile = optarg; break;
		default: goto usage;
		}
	}
	if (port <= 0 || port > 65535 || upstream == NULL || certfile == NULL ||
	    keyfile == NULL || cafile == NULL)
		goto usage;
	if ((cert = slurp(certfile)) == NULL || (key = slurp(keyfile)) == NULL) {
		fprintf(stderr, "acme_fault_proxy: cannot read %s or %s\n",
		    certfile, keyfile);
		return 1;
	}
	if ((logbuf = calloc(PROXY_LOG_MAX, sizeof(*logbuf))) == NULL ||
	    (orders = calloc(PROXY_ORDERS_MAX, sizeof(*orders))) == NULL ||
	    (names = calloc(PROXY_NAMES_MAX, sizeof(*names))) == NULL ||
	    pthread_key_create(&curl_key, curl_release) != 0 ||
	    curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_TLS | MHD_USE_ERROR_LOG,
	    (uint16_t)port, NULL, NULL, handle, NULL,
	    MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_HTTPS_MEM_KEY, key,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
	    MHD_OPTION_CONNECTION_TIMEOUT, 60u,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "acme_fault_proxy: cannot listen on %d\n", port);
		return 1;
	}
	fprintf(stderr, "acme_fault_proxy: listening on %d for %s\n", port,
	    upstream);
	while (!stop)
		pause();
	MHD_stop_daemon(d);
	curl_global_cleanup();
	free(logbuf);
	free(orders);
	free(names);
	free(cert);
	free(key);
	return 0;
usage:
	fprintf(stderr, "usage: acme_fault_proxy -l PORT -u UPSTREAM -c CERT "
	    "-k KEY -a CAFILE\n");
	return 2;
}
