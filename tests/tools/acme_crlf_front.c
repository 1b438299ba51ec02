/* acme_crlf_front.c -- test tool: a raw TLS front before the fault proxy that passes requests on and writes an armed newOrder answer's headers back damaged (bare CR, bare LF, obs-fold, NUL), which libmicrohttpd refuses to send. */
/*
 * Usage: acme_crlf_front -l PORT -u UPSTREAM -c CERT -k KEY -a CAFILE
 *
 *   -l PORT      listen on 127.0.0.1:PORT (TLS with CERT and KEY, HTTP/1.1)
 *   -u UPSTREAM  the origin behind, e.g. the fault proxy https://127.0.0.1:N
 *   -a CAFILE    trust bundle for UPSTREAM
 *
 * Every request is passed to UPSTREAM with its own Host header (so that the
 * CA behind writes URLs that point back here) and the answer is written back
 * as it comes: the status line and headers as UPSTREAM sent them (but for
 * Connection, Keep-Alive and Transfer-Encoding), then the body byte for
 * byte, streamed. The control API, on the same listener:
 *
 *   POST /_front/fault?mode=M&name=D  the next newOrder whose payload names
 *        D gets its answer's headers damaged (up to FRONT_ARMED_MAX names
 *        at once; a new fault for D replaces D's): M is
 *          cr    Location: <url>\rX-Injected: 1   (a bare CR in the value)
 *          lf    Location: <url>\nX-Injected: 1   (a bare LF: a header more)
 *          fold  Location: <url>\r\n X-Injected: 1  (an obs-fold line)
 *          nul   Replay-Nonce: <nonce>\0X-Injected: 1   (a NUL byte)
 *        An answer without the header the mode damages (Location; for nul
 *        Replay-Nonce), such as Pebble's random badNonce, is passed on
 *        as it is and the fault given back for the next newOrder.
 *   GET  /_front/log  one line per damaged answer: "<unix ms> <mode> <name>"
 *
 * One thread per client connection, one upstream handle per thread. A test
 * tool: never shipped.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "b64.h"
#include "clock.h"

#define FRONT_HDR_MAX		(64 * 1024)	/* a request's head */
#define FRONT_BODY_MAX		(1024 * 1024)	/* a request's body */
#define FRONT_RESP_HDR_MAX	(64 * 1024)	/* an answer's head from upstream */
#define FRONT_NAME_MAX		128
#define FRONT_LOG_MAX		4096		/* bytes of /_front/log */
#define FRONT_IDLE_S		60		/* a kept connection's idle limit */
#define FRONT_ARMED_MAX		16		/* faults armed at once (by name) */

enum front_mode { MODE_NONE, MODE_CR, MODE_LF, MODE_FOLD, MODE_NUL };
static const char *const mode_names[] = { "-", "cr", "lf", "fold", "nul" };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	enum front_mode	mode;		/* MODE_NONE: a free slot */
	char		name[FRONT_NAME_MAX];
} armed[FRONT_ARMED_MAX];
static char logbuf[FRONT_LOG_MAX];
static size_t loglen;
static const char *upstream, *cafile;
static SSL_CTX *ctx;

/* A request read from the client. */
struct freq {
	char	 method[8];
	char	 target[4096];
	char	 host[256], ctype[256], ua[512];
	char	*body;
	size_t	 len;
	int	 close;
};

/* An answer being passed back. */
struct fresp {
	SSL		*ssl;
	enum front_mode	 mode;
	char		 name[FRONT_NAME_MAX];	/* the fault's, when mode is set */
	int		 hit;		/* the header it damages was there */
	char		 head[FRONT_RESP_HDR_MAX];
	size_t		 hlen;
	int		 sent;		/* the head was written */
	int		 failed;	/* the client went away */
	int		 chunked;	/* no Content-Length: close after */
};

static int
ssl_write_all(SSL *ssl, const char *p, size_t n)
{
	int w;

	while (n > 0) {
		if ((w = SSL_write(ssl, p, n > 1 << 20 ? 1 << 20 : (int)n)) <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Appends s (n bytes) to the answer's head; -1 when it is full. */
static int
head_add(struct fresp *r, const char *s, size_t n)
{
	if (n > sizeof(r->head) - r->hlen)
		return -1;
	memcpy(r->head + r->hlen, s, n);
	r->hlen += n;
	return 0;
}

/* Adds header line (without its CRLF) to the head, damaged when it is the
 * one the armed mode hits. */
static int
head_line(struct fresp *r, const char *line, size_t n)
{
	static const char inj[] = "X-Injected: 1";
	int loc = n > 9 && strncasecmp(line, "location:", 9) == 0;
	int nonce = n > 13 && strncasecmp(line, "replay-nonce:", 13) == 0;
	const char *cut = NULL;
	size_t cutlen = 0;

	if ((r->mode == MODE_CR || r->mode == MODE_LF || r->mode == MODE_FOLD) &&
	    loc)
		cut = r->mode == MODE_CR ? "\r" : r->mode == MODE_LF ? "\n" :
		    "\r\n ", cutlen = strlen(cut);
	else if (r->mode == MODE_NUL && nonce)
		cut = "", cutlen = 1;	/* the NUL byte itself */
	r->hit |= cut != NULL;
	if (head_add(r, line, n) < 0 ||
	    (cut != NULL && (head_add(r, cut, cutlen) < 0 ||
	    head_add(r, inj, sizeof(inj) - 1) < 0)))
		return -1;
	return head_add(r, "\r\n", 2);
}

/* curl header callback: the head gathered, written at its blank line. */
static size_t
on_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct fresp *r = arg;
	size_t n = size * nmemb, l = n;

	while (l > 0 && (ptr[l - 1] == '\r' || ptr[l - 1] == '\n'))
		l--;
	if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
		r->hlen = 0;	/* a new answer (after a 100) */
		r->chunked = 1;
		return head_add(r, ptr, l) < 0 || head_add(r, "\r\n", 2) < 0 ?
		    0 : n;
	}
	if (l == 0) {
		if (r->chunked && head_add(r, "Connection: close\r\n", 19) < 0)
			return 0;
		if (head_add(r, "\r\n", 2) < 0 ||
		    ssl_write_all(r->ssl, r->head, r->hlen) < 0) {
			r->failed = 1;
			return 0;
		}
		r->sent = 1;
		return n;
	}
	if (l > 15 && strncasecmp(ptr, "content-length:", 15) == 0)
		r->chunked = 0;
	if ((l > 11 && strncasecmp(ptr, "connection:", 11) == 0) ||
	    (l > 11 && strncasecmp(ptr, "keep-alive:", 11) == 0) ||
	    (l > 18 && strncasecmp(ptr, "transfer-encoding:", 18) == 0))
		return n;
	return head_line(r, ptr, l) < 0 ? 0 : n;
}

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct fresp *r = arg;
	size_t n = size * nmemb;

	if (ssl_write_all(r->ssl, ptr, n) < 0) {
		r->failed = 1;
		return 0;
	}
	return n;
}

/* Passes q upstream on c and streams the answer to r->ssl. Returns 0, or
 * -1 when the connection must close. */
static int
pass(CURL *c, const struct freq *q, struct fresp *r)
{
	static const char bad[] = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: "
	    "16\r\nConnection: close\r\n\r\nupstream failed\n";
	struct curl_slist *h = NULL;
	char url[4400], line[600];
	CURLcode rc;

	curl_easy_reset(c);
	snprintf(url, sizeof(url), "%s%s", upstream, q->target);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, cafile);
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 900L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_USERAGENT, q->ua[0] != '\0' ? q->ua :
	    "acme_crlf_front");
	snprintf(line, sizeof(line), "Host: %s", q->host);
	h = curl_slist_append(h, line);
	if (q->ctype[0] != '\0') {
		snprintf(line, sizeof(line), "Content-Type: %s", q->ctype);
		h = curl_slist_append(h, line);
	}
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (strcmp(q->method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (strcmp(q->method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->body != NULL ?
		    q->body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)q->len);
	}
	rc = curl_easy_perform(c);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	if (rc != CURLE_OK && !r->sent && !r->failed)
		(void)ssl_write_all(r->ssl, bad, sizeof(bad) - 1);
	return rc != CURLE_OK || r->failed || r->chunked || q->close ? -1 : 0;
}

/* 1 when hay[0..n) holds the string needle. */
static int
holds(const unsigned char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	for (i = 0; k > 0 && i + k <= n; i++)
		if (memcmp(hay + i, needle, k) == 0)
			return 1;
	return 0;
}

/* The armed mode when q is the newOrder it is for (disarming it, its name
 * into name), else MODE_NONE. */
static enum front_mode
take_fault(const struct freq *q, char name[FRONT_NAME_MAX])
{
	json_t *jws = NULL;
	unsigned char *raw = NULL;
	const char *p;
	char want[FRONT_NAME_MAX + 2];
	enum front_mode m = MODE_NONE;
	size_t rawlen, i;

	if (strncmp(q->target, "/order-plz", 10) != 0 || q->body == NULL ||
	    (jws = json_loadb(q->body, q->len, 0, NULL)) == NULL ||
	    (p = json_string_value(json_object_get(jws, "payload"))) == NULL ||
	    (raw = b64url_decode(p, strlen(p), &rawlen)) == NULL)
		goto out;
	pthread_mutex_lock(&lock);
	for (i = 0; m == MODE_NONE && i < FRONT_ARMED_MAX; i++) {
		snprintf(want, sizeof(want), "\"%s\"", armed[i].name);
		if (armed[i].mode == MODE_NONE || !holds(raw, rawlen, want))
			continue;
		m = armed[i].mode;
		armed[i].mode = MODE_NONE;
		memcpy(name, armed[i].name, FRONT_NAME_MAX);
	}
	pthread_mutex_unlock(&lock);
out:
	free(raw);
	json_decref(jws);
	return m;
}

/* The value of query parameter key in target into out ("" when none). */
static void
query(const char *target, const char *key, char *out, size_t outlen)
{
	const char *p = strchr(target, '?');
	size_t k = strlen(key), n;

	out[0] = '\0';
	while (p != NULL && *p != '\0') {
		p++;
		n = strcspn(p, "&");
		if (n > k && strncmp(p, key, k) == 0 && p[k] == '=' &&
		    n - k - 1 < outlen) {
			memcpy(out, p + k + 1, n - k - 1);
			out[n - k - 1] = '\0';
			return;
		}
		p = strchr(p, '&');
	}
}

/* The slot for a fault about name: its own, else a free one, else -1.
 * Call with lock held. */
static int
arm_slot(const char *name)
{
	int i, free_slot = -1;

	for (i = 0; i < FRONT_ARMED_MAX; i++) {
		if (armed[i].mode != MODE_NONE && strcmp(armed[i].name, name) == 0)
			return i;
		if (free_slot < 0 && armed[i].mode == MODE_NONE)
			free_slot = i;
	}
	return free_slot;
}

/* After r's answer was passed: the damage logged when it was made, else
 * (an answer without the header, such as Pebble's random badNonce) the
 * fault given back for the next newOrder about its name. */
static void
fault_done(const struct fresp *r)
{
	int k;

	if (r->mode == MODE_NONE)
		return;
	pthread_mutex_lock(&lock);
	if (r->hit) {
		loglen += (size_t)snprintf(logbuf + loglen, sizeof(logbuf) -
		    loglen, "%lld %s %s\n", (long long)clock_wall_ms(),
		    mode_names[r->mode], r->name);
		if (loglen >= sizeof(logbuf))
			loglen = sizeof(logbuf) - 1;
	} else if ((k = arm_slot(r->name)) >= 0 &&
	    armed[k].mode == MODE_NONE) {
		armed[k].mode = r->mode;
		snprintf(armed[k].name, sizeof(armed[k].name), "%s", r->name);
	}
	pthread_mutex_unlock(&lock);
}

/* Answers a control request; returns 0. */
static int
control(SSL *ssl, const struct freq *q)
{
	char mode[16], name[FRONT_NAME_MAX], out[FRONT_LOG_MAX + 128];
	const char *status = "200 OK", *body = "armed\n";
	size_t i;
	int n, k;

	pthread_mutex_lock(&lock);
	if (strncmp(q->target, "/_front/fault?", 14) == 0) {
		query(q->target, "mode", mode, sizeof(mode));
		query(q->target, "name", name, sizeof(name));
		for (i = 1; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
			if (strcmp(mode, mode_names[i]) == 0)
				break;
		if (i == sizeof(mode_names) / sizeof(mode_names[0]) ||
		    name[0] == '\0' || strcspn(name, "\"\\") != strlen(name)) {
			status = "400 Bad Request";
			body = "mode=cr|lf|fold|nul&name=D\n";
		} else if ((k = arm_slot(name)) < 0) {
			status = "503 Service Unavailable";
			body = "too many faults armed\n";
		} else {
			armed[k].mode = (enum front_mode)i;
			snprintf(armed[k].name, sizeof(armed[k].name), "%s", name);
		}
	} else if (strcmp(q->target, "/_front/log") == 0)
		body = logbuf;
	else {
		status = "404 Not Found";
		body = "no such control\n";
	}
	n = snprintf(out, sizeof(out), "HTTP/1.1 %s\r\nContent-Type: text/plain"
	    "\r\nContent-Length: %zu\r\n\r\n%s", status, strlen(body), body);
	pthread_mutex_unlock(&lock);
	(void)ssl_write_all(ssl, out, (size_t)n < sizeof(out) ? (size_t)n :
	    sizeof(out) - 1);
	return 0;
}

/* The value of header name in head (its lines end in CRLF) into out. */
static void
header(const char *head, const char *name, char *out, size_t outlen)
{
	const char *p = head, *e;
	size_t k = strlen(name), n;

	out[0] = '\0';
	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, k) != 0 || p[k] != ':')
			continue;
		p += k + 1;
		p += strspn(p, " \t");
		e = strstr(p, "\r\n");
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (n < outlen) {
			memcpy(out, p, n);
			out[n] = '\0';
		}
		return;
	}
}

/* Reads one request into q; buf/have hold bytes read ahead. Returns 0, or
 * -1 at the end of the connection or on a request this tool refuses. */
static int
read_request(SSL *ssl, char *buf, size_t *have, struct freq *q)
{
	char *end = NULL, cl[32], conn[32];
	size_t hl, want;
	int n;

	buf[*have] = '\0';
	while ((end = strstr(buf, "\r\n\r\n")) == NULL) {
		if (*have >= FRONT_HDR_MAX ||
		    (n = SSL_read(ssl, buf + *have, (int)(FRONT_HDR_MAX - *have))) <= 0)
			return -1;
		*have += (size_t)n;
		buf[*have] = '\0';
	}
	end[2] = '\0';
	hl = (size_t)(end + 4 - buf);
	if (sscanf(buf, "%7s %4095s", q->method, q->target) != 2)
		return -1;
	header(buf, "Host", q->host, sizeof(q->host));
	header(buf, "Content-Type", q->ctype, sizeof(q->ctype));
	header(buf, "User-Agent", q->ua, sizeof(q->ua));
	header(buf, "Content-Length", cl, sizeof(cl));
	header(buf, "Connection", conn, sizeof(conn));
	q->close = strcasecmp(conn, "close") == 0;
	if ((want = strtoul(cl, NULL, 10)) > FRONT_BODY_MAX ||
	    (q->body = malloc(want + 1)) == NULL)
		return -1;
	q->len = *have - hl < want ? *have - hl : want;
	memcpy(q->body, buf + hl, q->len);
	memmove(buf, buf + hl + q->len, *have - hl - q->len);
	*have -= hl + q->len;
	while (q->len < want) {
		if ((n = SSL_read(ssl, q->body + q->len, (int)(want - q->len))) <= 0)
			return -1;
		q->len += (size_t)n;
	}
	q->body[q->len] = '\0';
	return 0;
}

static void *
serve(void *arg)
{
	int fd = (int)(intptr_t)arg;
	struct timeval tv = { FRONT_IDLE_S, 0 };
	struct fresp *r = NULL;
	struct freq q;
	char *buf = NULL;
	size_t have = 0;
	SSL *ssl = NULL;
	CURL *c = NULL;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if ((buf = malloc(FRONT_HDR_MAX + 1)) == NULL ||
	    (r = malloc(sizeof(*r))) == NULL || (c = curl_easy_init()) == NULL ||
	    (ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 ||
	    SSL_accept(ssl) != 1)
		goto out;
	for (;;) {
		memset(&q, 0, sizeof(q));
		if (read_request(ssl, buf, &have, &q) < 0) {
			free(q.body);
			break;
		}
		if (strncmp(q.target, "/_front/", 8) == 0) {
			free(q.body);
			control(ssl, &q);
			continue;
		}
		memset(r, 0, sizeof(*r));
		r->ssl = ssl;
		r->mode = take_fault(&q, r->name);
		if (pass(c, &q, r) < 0) {
			fault_done(r);
			free(q.body);
			break;
		}
		fault_done(r);
		free(q.body);
	}
out:
	if (ssl != NULL)
		SSL_shutdown(ssl);
	SSL_free(ssl);
	curl_easy_cleanup(c);
	free(r);
	free(buf);
	close(fd);
	return NULL;
}

/* A listening socket on 127.0.0.1:port, or -1. */
static int
listen_on(int port)
{
	struct sockaddr_in sa;
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 128) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int
main(int argc, char **argv)
{
	const char *certfile = NULL, *keyfile = NULL;
	pthread_attr_t attr;
	pthread_t t;
	int ch, port = 0, lfd, fd;

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
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_use_certificate_chain_file(ctx, certfile) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, keyfile, SSL_FILETYPE_PEM) != 1) {
		fprintf(stderr, "acme_crlf_front: cannot load %s or %s\n",
		    certfile, keyfile);
		return 1;
	}
	if ((lfd = listen_on(port)) < 0) {
		fprintf(stderr, "acme_crlf_front: cannot listen on %d: %s\n",
		    port, strerror(errno));
		return 1;
	}
	fprintf(stderr, "acme_crlf_front: listening on %d for %s\n", port,
	    upstream);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) < 0)
			continue;
		if (pthread_create(&t, &attr, serve, (void *)(intptr_t)fd) != 0)
			close(fd);
	}
usage:
	fprintf(stderr, "usage: acme_crlf_front -l PORT -u UPSTREAM -c CERT "
	    "-k KEY -a CAFILE\n");
	return 2;
}
