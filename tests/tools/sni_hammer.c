/* sni_hammer.c -- TLS handshakes with chosen SNI against an edge, fast: a flood of random names, names watched until their own certificate is served, or told by Redis when to look. For tests and benchmarks. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>

#include <hiredis/hiredis.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "redisconn.h"
#include "rediskeys.h"

#define HAMMER_NAMES_MAX	100000
#define HAMMER_NAME_MAX		253
#define HAMMER_PROCS		25	/* watch: processes, each a share of the names */

/*
 * Usage:
 *   sni_hammer flood PORT FALLBACK_PEM SUFFIX COUNT
 *       COUNT handshakes, one after the other, each with a new random SNI
 *       "<12 letters and digits>.SUFFIX"; prints one JSON line: handshakes,
 *       fallback (how many got the certificate of FALLBACK_PEM), other,
 *       failed, seconds, and the handshake time p50/p99/max in ms.
 *   sni_hammer watch PORT FALLBACK_PEM TIMEOUT_S NAMES_FILE [PROCS]
 *       the names of NAMES_FILE (one per line), round robin, a handshake
 *       each, until each is served a certificate for its name (not the
 *       fallback) or TIMEOUT_S passes; prints a line per name:
 *       "name first_ms first_fallback latency_ms" (first_ms: how long the
 *       first handshake took; latency_ms: from the start of the first
 *       handshake to the end of the first one served its certificate, -1
 *       when it never was), then a JSON summary line (p50/p99 latency).
 *       PROCS processes (default HAMMER_PROCS, at most the number of names)
 *       share the names, so a handshake the edge holds (waiting for a
 *       certificate on its way) delays only its share; one per name times
 *       each name alone.
 *   sni_hammer await PORT FALLBACK_PEM TIMEOUT_S NAMES_FILE
 *       as watch, but cheap enough for hundreds of names: one handshake per
 *       name, one after the other (the first), then a handshake for a name
 *       only when the primer announces it on REDISKEYS_CHANNEL_CHANGED
 *       (REDIS_URL, database CERTFLEET_REDIS_PRIME_DB, default 9), again
 *       every 50 ms until it is served its certificate; should the
 *       subscription drop, every waiting name every 2 s. Same output as
 *       watch.
 *   sni_hammer served PORT FALLBACK_PEM EXPECTED_FILE
 *       EXPECTED_FILE lines "NAME SHA256HEX": a handshake per name (up to 3
 *       if it does not match), the SHA-256 of the certificate served
 *       compared; prints the names that were not served theirs and a JSON
 *       summary; exits 0 when every name was.
 * Connections close with SO_LINGER 0 (no TIME_WAIT); certificates are not
 * verified here (the tests verify chains with openssl verify).
 */

static double
hammer_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum hammer_got { GOT_FAIL, GOT_FALLBACK, GOT_OTHER, GOT_OWN };

/* One handshake with sni; what came back, and when md is not NULL the
 * SHA-256 of the certificate served (zeros when none was). */
static enum hammer_got
hammer_served(SSL_CTX *ctx, int port, const char *sni, X509 *fallback,
    unsigned char md[32])
{
	struct sockaddr_in sin;
	struct linger lg = { 1, 0 };
	enum hammer_got got = GOT_FAIL;
	SSL *ssl = NULL;
	X509 *peer = NULL;
	int fd, one = 1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return GOT_FAIL;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    (ssl = SSL_new(ctx)) == NULL)
		goto out;
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, sni);
	if (md != NULL)
		memset(md, 0, 32);
	if (SSL_connect(ssl) != 1 || (peer = SSL_get1_peer_certificate(ssl)) ==
	    NULL)
		goto out;
	if (md != NULL && X509_digest(peer, EVP_sha256(), md, NULL) != 1)
		memset(md, 0, 32);
	if (X509_cmp(peer, fallback) == 0)
		got = GOT_FALLBACK;
	else if (X509_check_host(peer, sni, 0, 0, NULL) == 1)
		got = GOT_OWN;
	else
		got = GOT_OTHER;
out:
	X509_free(peer);
	SSL_free(ssl);
	close(fd);
	ERR_clear_error();
	return got;
}

static enum hammer_got
hammer_once(SSL_CTX *ctx, int port, const char *sni, X509 *fallback)
{
	return hammer_served(ctx, port, sni, fallback, NULL);
}

/* "served": each line of file is "NAME SHA256HEX" (lower case, the
 * certificate the edge must serve for NAME); a handshake per name (up to 3
 * when it does not match: a connection a Redis restart broke is tried
 * again). Prints the names not served their certificate (at most 20, then
 * only counted) and a JSON summary; 0 when every name was. */
static int
hammer_check(SSL_CTX *ctx, int port, X509 *fb, const char *file)
{
	char line[HAMMER_NAME_MAX + 80], *hex, got[65];
	unsigned char md[32];
	long names = 0, wrong = 0, fallback = 0, failed = 0;
	double start = hammer_now();
	enum hammer_got g = GOT_FAIL;
	FILE *f;
	int try, k;

	if ((f = fopen(file, "r")) == NULL)
		return 2;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if ((hex = strchr(line, ' ')) == NULL)
			continue;
		*hex++ = '\0';
		names++;
		for (try = 0; try < 3; try++) {
			g = hammer_served(ctx, port, line, fb, md);
			for (k = 0; k < 32; k++)
				snprintf(got + 2 * k, 3, "%02x", md[k]);
			if (strcmp(got, hex) == 0)
				break;
			usleep(200000);
		}
		if (try < 3)
			continue;
		wrong++;
		fallback += g == GOT_FALLBACK;
		failed += g == GOT_FAIL;
		if (wrong <= 20)
			printf("%s: served %s, expected %s\n", line, got, hex);
	}
	fclose(f);
	printf("{\"names\": %ld, \"not_served\": %ld, \"fallback\": %ld, "
	    "\"failed\": %ld, \"seconds\": %.3f}\n", names, wrong, fallback,
	    failed, hammer_now() - start);
	return names > 0 && wrong == 0 ? 0 : 1;
}

static int
hammer_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile of sorted v[0..n), or -1 when empty. */
static double
hammer_q(const double *v, size_t n, double q)
{
	size_t i;

	if (n == 0)
		return -1;
	i = (size_t)(q * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

static int
hammer_flood(SSL_CTX *ctx, int port, X509 *fb, const char *suffix, long count)
{
	static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	long n[4] = { 0 }, i;
	double *t, start, t0;
	char sni[HAMMER_NAME_MAX + 1];
	int k;

	if ((t = calloc((size_t)count, sizeof(*t))) == NULL)
		return 1;
	srandom((unsigned)(time(NULL) ^ getpid()));
	start = hammer_now();
	for (i = 0; i < count; i++) {
		for (k = 0; k < 12; k++)
			sni[k] = al[random() % (long)(sizeof(al) - 1)];
		snprintf(sni + 12, sizeof(sni) - 12, ".%s", suffix);
		t0 = hammer_now();
		n[hammer_once(ctx, port, sni, fb)]++;
		t[i] = (hammer_now() - t0) * 1000;
	}
	qsort(t, (size_t)count, sizeof(*t), hammer_cmp);
	printf("{\"handshakes\": %ld, \"fallback\": %ld, \"other\": %ld, "
	    "\"failed\": %ld, \"seconds\": %.3f, \"ms_p50\": %.3f, \"ms_p99\": "
	    "%.3f, \"ms_max\": %.3f}\n", count, n[GOT_FALLBACK],
	    n[GOT_OTHER] + n[GOT_OWN], n[GOT_FAIL], hammer_now() - start,
	    hammer_q(t, (size_t)count, 0.5), hammer_q(t, (size_t)count, 0.99),
	    t[count - 1]);
	free(t);
	return n[GOT_FAIL] == 0 ? 0 : 1;
}

struct hammer_watched {
	char	name[HAMMER_NAME_MAX + 1];
	double	start;		/* of its first handshake, 0 before */
	double	first_ms;
	int	first_fallback;
	double	latency_ms;	/* -1 until served its certificate */
};

/* Reads names, one per line, into *w; returns how many, -1 on error. */
static long
hammer_names(const char *file, struct hammer_watched **w)
{
	char line[HAMMER_NAME_MAX + 4];
	FILE *f;
	long n = 0;

	if ((f = fopen(file, "r")) == NULL ||
	    (*w = calloc(HAMMER_NAMES_MAX, sizeof(**w))) == NULL) {
		if (f != NULL)
			fclose(f);
		return -1;
	}
	while (n < HAMMER_NAMES_MAX && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		snprintf((*w)[n].name, sizeof((*w)[n].name), "%.253s", line);
		(*w)[n++].latency_ms = -1;
	}
	fclose(f);
	return n;
}

/* Watches w[k], w[k + step], ... until served or end; prints their lines
 * to out, one write each. */
static void
hammer_watch_share(SSL_CTX *ctx, int port, X509 *fb, double end,
    struct hammer_watched *w, long n, long k, long step, int out)
{
	enum hammer_got got;
	double t0, t1;
	char line[HAMMER_NAME_MAX + 64];
	long i, left = 0;
	int len;

	for (i = k; i < n; i += step)
		left++;
	do {	/* one round at least, however late this process started */
		for (i = k; i < n; i += step) {
			if (w[i].latency_ms >= 0)
				continue;
			t0 = hammer_now();
			got = hammer_once(ctx, port, w[i].name, fb);
			t1 = hammer_now();
			if (w[i].start == 0) {
				w[i].start = t0;
				w[i].first_ms = (t1 - t0) * 1000;
				w[i].first_fallback = got == GOT_FALLBACK;
			}
			if (got == GOT_OWN) {
				w[i].latency_ms = (t1 - w[i].start) * 1000;
				left--;
			}
		}
		if (left > 0)
			usleep(20000);
	} while (left > 0 && hammer_now() < end);
	for (i = k; i < n; i += step) {
		len = snprintf(line, sizeof(line), "%s %.3f %d %.3f\n", w[i].name,
		    w[i].first_ms, w[i].first_fallback, w[i].latency_ms);
		if (write(out, line, (size_t)len) != len)
			_exit(1);
	}
}

static int
hammer_watch(SSL_CTX *ctx, int port, X509 *fb, double timeout,
    const char *file, long procs)
{
	struct hammer_watched *w = NULL;
	char line[HAMMER_NAME_MAX + 64], name[HAMMER_NAME_MAX + 1];
	double end, *lat, first, latency;
	long n, k, m = 0, lines = 0;
	int p[2], fallback;
	FILE *in;

	if ((n = hammer_names(file, &w)) <= 0 ||
	    (lat = calloc((size_t)n, sizeof(*lat))) == NULL || pipe(p) < 0) {
		fprintf(stderr, "sni_hammer: no names in %s\n", file);
		free(w);
		return 2;
	}
	end = hammer_now() + timeout;
	if (procs < 1 || procs > n)
		procs = n;
	for (k = 0; k < procs; k++)
		if (fork() == 0) {
			close(p[0]);
			hammer_watch_share(ctx, port, fb, end, w, n, k, procs, p[1]);
			_exit(0);
		}
	close(p[1]);
	in = fdopen(p[0], "r");
	while (in != NULL && fgets(line, sizeof(line), in) != NULL) {
		fputs(line, stdout);
		lines++;
		if (sscanf(line, "%253s %lf %d %lf", name, &first, &fallback,
		    &latency) == 4 && latency >= 0)
			lat[m++] = latency;
	}
	if (in != NULL)
		fclose(in);
	while (wait(NULL) > 0)
		;
	qsort(lat, (size_t)m, sizeof(*lat), hammer_cmp);
	printf("{\"names\": %ld, \"served\": %ld, \"latency_ms_p50\": %.1f, "
	    "\"latency_ms_p99\": %.1f, \"latency_ms_max\": %.1f}\n", n, m,
	    hammer_q(lat, (size_t)m, 0.5), hammer_q(lat, (size_t)m, 0.99),
	    m > 0 ? lat[m - 1] : -1.0);
	free(lat);
	free(w);
	return m == n && lines == n ? 0 : 1;
}

/* await: the names, and the announcements the reader thread saw. */
struct hammer_await {
	struct hammer_watched	*w;
	double			*told;	/* announced at (0: not yet) */
	long			 n;
	int			 lost;	/* the subscription dropped */
	pthread_mutex_t		 mu;
	redisContext		*redis;
};

/* The reader thread: marks the names the primer announces. */
static void *
hammer_listen(void *arg)
{
	struct hammer_await *aw = arg;
	redisReply *rep;
	long i;

	while (redisGetReply(aw->redis, (void **)&rep) == REDIS_OK) {
		if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 3 &&
		    rep->element[2]->type == REDIS_REPLY_STRING) {
			pthread_mutex_lock(&aw->mu);
			for (i = 0; i < aw->n; i++)
				if (aw->told[i] == 0 && strcmp(aw->w[i].name,
				    rep->element[2]->str) == 0)
					aw->told[i] = hammer_now();
			pthread_mutex_unlock(&aw->mu);
		}
		freeReplyObject(rep);
	}
	pthread_mutex_lock(&aw->mu);
	aw->lost = 1;
	pthread_mutex_unlock(&aw->mu);
	return NULL;
}

/* One handshake for name i; records its first and its success. */
static int
hammer_look(SSL_CTX *ctx, int port, X509 *fb, struct hammer_watched *w)
{
	enum hammer_got got;
	double t0, t1;

	t0 = hammer_now();
	got = hammer_once(ctx, port, w->name, fb);
	t1 = hammer_now();
	if (w->start == 0) {
		w->start = t0;
		w->first_ms = (t1 - t0) * 1000;
		w->first_fallback = got == GOT_FALLBACK;
	}
	if (got != GOT_OWN)
		return 0;
	w->latency_ms = (t1 - w->start) * 1000;
	return 1;
}

/* Looks at every name not served yet that was announced (or all of them:
 * a name the edge holds, its certificate on its way, costs the edge's
 * wait, so this is the fallback only); returns how many are still
 * waiting. */
static long
hammer_await_round(SSL_CTX *ctx, int port, X509 *fb, struct hammer_await *aw,
    int all)
{
	long i, left = 0;
	int told;

	for (i = 0; i < aw->n; i++) {
		if (aw->w[i].latency_ms >= 0)
			continue;
		pthread_mutex_lock(&aw->mu);
		told = aw->told[i] > 0;
		pthread_mutex_unlock(&aw->mu);
		if ((told || all) && hammer_look(ctx, port, fb, &aw->w[i]))
			continue;
		left++;
	}
	return left;
}

static int
hammer_await(SSL_CTX *ctx, int port, X509 *fb, double timeout,
    const char *file)
{
	struct hammer_await aw = { 0 };
	const char *url = getenv("REDIS_URL"), *dbs = getenv(REDISKEYS_PRIME_DB_ENV);
	double end, last_all, *lat;
	char err[512];
	redisReply *rep;
	pthread_t th;
	long i, m = 0, left;

	pthread_mutex_init(&aw.mu, NULL);
	if ((aw.n = hammer_names(file, &aw.w)) <= 0 ||
	    (aw.told = calloc((size_t)aw.n, sizeof(*aw.told))) == NULL ||
	    (lat = calloc((size_t)aw.n, sizeof(*lat))) == NULL) {
		fprintf(stderr, "sni_hammer: no names in %s\n", file);
		return 2;
	}
	if (url == NULL || (aw.redis = redisconn_open(url, dbs != NULL ?
	    atoi(dbs) : REDISKEYS_PRIME_DB_DEFAULT, 5000, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "sni_hammer: Redis: %s\n", url == NULL ?
		    "REDIS_URL is not set" : err);
		return 2;
	}
	redisSetTimeout(aw.redis, (struct timeval){ 0, 0 });
	rep = redisCommand(aw.redis, "SUBSCRIBE %s", REDISKEYS_CHANNEL_CHANGED);
	freeReplyObject(rep);
	if (rep == NULL || pthread_create(&th, NULL, hammer_listen, &aw) != 0) {
		fprintf(stderr, "sni_hammer: cannot subscribe\n");
		return 2;
	}
	end = hammer_now() + timeout;
	for (i = 0; i < aw.n; i++)	/* the first handshakes */
		hammer_look(ctx, port, fb, &aw.w[i]);
	last_all = hammer_now();
	do {
		usleep(50000);
		pthread_mutex_lock(&aw.mu);
		i = aw.lost && hammer_now() - last_all >= 2;
		pthread_mutex_unlock(&aw.mu);
		left = hammer_await_round(ctx, port, fb, &aw, (int)i);
		if (i)
			last_all = hammer_now();
	} while (left > 0 && hammer_now() < end);
	for (i = 0; i < aw.n; i++) {
		printf("%s %.3f %d %.3f\n", aw.w[i].name, aw.w[i].first_ms,
		    aw.w[i].first_fallback, aw.w[i].latency_ms);
		if (aw.w[i].latency_ms >= 0)
			lat[m++] = aw.w[i].latency_ms;
	}
	qsort(lat, (size_t)m, sizeof(*lat), hammer_cmp);
	printf("{\"names\": %ld, \"served\": %ld, \"latency_ms_p50\": %.1f, "
	    "\"latency_ms_p99\": %.1f, \"latency_ms_max\": %.1f}\n", aw.n, m,
	    hammer_q(lat, (size_t)m, 0.5), hammer_q(lat, (size_t)m, 0.99),
	    m > 0 ? lat[m - 1] : -1.0);
	fflush(stdout);
	_exit(m == aw.n ? 0 : 1);	/* the reader thread stays blocked */
}

int
main(int argc, char *argv[])
{
	SSL_CTX *ctx;
	X509 *fb = NULL;
	FILE *f;
	int rc = 2;

	if ((argc != 6 && !(argc == 7 && strcmp(argv[1], "watch") == 0) &&
	    !(argc == 5 && strcmp(argv[1], "served") == 0)) ||
	    (strcmp(argv[1], "flood") != 0 && strcmp(argv[1], "watch") != 0 &&
	    strcmp(argv[1], "await") != 0 && strcmp(argv[1], "served") != 0)) {
		fprintf(stderr, "usage: sni_hammer flood PORT FALLBACK_PEM SUFFIX "
		    "COUNT\n       sni_hammer watch PORT FALLBACK_PEM TIMEOUT_S "
		    "NAMES_FILE [PROCS]\n       sni_hammer await PORT FALLBACK_PEM "
		    "TIMEOUT_S NAMES_FILE\n       sni_hammer served PORT "
		    "FALLBACK_PEM EXPECTED_FILE\n");
		return 2;
	}
	if ((f = fopen(argv[3], "r")) == NULL ||
	    (fb = PEM_read_X509(f, NULL, NULL, NULL)) == NULL) {
		fprintf(stderr, "sni_hammer: cannot read %s\n", argv[3]);
		if (f != NULL)
			fclose(f);
		return 2;
	}
	fclose(f);
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		goto out;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (strcmp(argv[1], "served") == 0)
		rc = hammer_check(ctx, atoi(argv[2]), fb, argv[4]);
	else if (strcmp(argv[1], "await") == 0)
		rc = hammer_await(ctx, atoi(argv[2]), fb, strtod(argv[4], NULL),
		    argv[5]);
	else if (strcmp(argv[1], "flood") == 0)
		rc = hammer_flood(ctx, atoi(argv[2]), fb, argv[4],
		    strtol(argv[5], NULL, 10) > 0 ? strtol(argv[5], NULL, 10) : 1);
	else
		rc = hammer_watch(ctx, atoi(argv[2]), fb, strtod(argv[4], NULL),
		    argv[5], argc == 7 ? strtol(argv[6], NULL, 10) :
		    HAMMER_PROCS);
	SSL_CTX_free(ctx);
out:
	X509_free(fb);
	return rc;
}
