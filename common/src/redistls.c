/* redistls.c -- rediss:// for hiredis 0.14: TCP connect, OpenSSL handshake with verification, then a relay thread to a socket pair. */
#include "redistls.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "redisconn.h"

/* One relayed connection: the TLS side and the local side of the pair. */
struct redistls_relay {
	SSL_CTX		*ctx;
	SSL		*ssl;
	int		 net;		/* TCP socket under ssl */
	int		 local;		/* our end of the socket pair */
	unsigned char	 up[REDISTLS_BUFFER];	/* local -> TLS */
	size_t		 uoff, ulen;
	unsigned char	 down[REDISTLS_BUFFER];	/* TLS -> local */
	size_t		 doff, dlen;
};

static long long
redistls_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before deadline, at least 0. */
static int
redistls_left(long long deadline)
{
	long long left = deadline - redistls_now_ms();

	return left > 0 ? (int)left : 0;
}

/* OpenSSL's first queued reason, or a default; clears the queue. */
static const char *
redistls_reason(char *buf, size_t len, const char *def)
{
	unsigned long e = ERR_get_error();

	if (e == 0)
		snprintf(buf, len, "%s", def);
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

static int
redistls_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -1 : 0;
}

/* Waits for events on fd until deadline; 1 ready, 0 timed out, -1 error. */
static int
redistls_wait(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int n;

	do
		n = poll(&pfd, 1, redistls_left(deadline));
	while (n < 0 && errno == EINTR);
	return n;
}

/* One address: a non-blocking connect finished before deadline. */
static int
redistls_try(const struct addrinfo *ai, long long deadline)
{
	int fd, soerr = 0;
	socklen_t len = sizeof(soerr);

	if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
	    ai->ai_protocol)) < 0)
		return -1;
	if (redistls_nonblock(fd) < 0)
		goto fail;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS || redistls_wait(fd, POLLOUT, deadline) != 1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 || soerr != 0) {
		if (soerr != 0)
			errno = soerr;
		else if (errno == EINPROGRESS)
			errno = ETIMEDOUT;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* A non-blocking TCP socket connected to u's host and port. */
static int
redistls_tcp(const struct redis_url *u, long long deadline, char *err,
    size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL, *ai;
	char port[8];
	int fd = -1, gai, saved = ETIMEDOUT;

	snprintf(port, sizeof(port), "%d", u->port);
	if ((gai = getaddrinfo(u->host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "connect %s:%d: %s", u->host, u->port,
		    gai_strerror(gai));
		return -1;
	}
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next)
		if ((fd = redistls_try(ai, deadline)) < 0)
			saved = errno;
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(err, errlen, "connect %s:%d: %s", u->host, u->port,
		    strerror(saved));
	return fd;
}

/* The client context: TLS 1.2+, peer verification, CA and client cert
 * from the environment. Returns it, or NULL with err. */
static SSL_CTX *
redistls_ctx(char *err, size_t errlen)
{
	const char *ca = getenv(REDISCONN_CA_FILE_ENV);
	const char *cert = getenv(REDISCONN_CERT_FILE_ENV);
	const char *key = getenv(REDISCONN_KEY_FILE_ENV);
	char why[256];
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		snprintf(err, errlen, "TLS: %s",
		    redistls_reason(why, sizeof(why), "out of memory"));
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (ca != NULL && ca[0] != '\0' ?
	    SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1 :
	    SSL_CTX_set_default_verify_paths(ctx) != 1) {
		snprintf(err, errlen, "TLS: cannot load the CA file %s (%s): %s",
		    ca != NULL && ca[0] != '\0' ? ca : "system default",
		    REDISCONN_CA_FILE_ENV,
		    redistls_reason(why, sizeof(why), "unreadable"));
		goto fail;
	}
	if (key != NULL && key[0] != '\0' && (cert == NULL || cert[0] == '\0')) {
		snprintf(err, errlen, "TLS: %s is set but %s is not",
		    REDISCONN_KEY_FILE_ENV, REDISCONN_CERT_FILE_ENV);
		goto fail;
	}
	if (cert != NULL && cert[0] != '\0' &&
	    (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key != NULL && key[0] != '\0' ?
	    key : cert, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)) {
		snprintf(err, errlen, "TLS: client certificate %s or its key "
		    "(%s, %s): %s", cert, REDISCONN_CERT_FILE_ENV,
		    REDISCONN_KEY_FILE_ENV,
		    redistls_reason(why, sizeof(why), "unusable"));
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* Names the server must prove: an IP address, or a DNS name (with SNI). */
static int
redistls_expect(SSL *ssl, const struct redis_url *u)
{
	unsigned char addr[16];

	if (u->ipv6 || inet_pton(AF_INET, u->host, addr) == 1)
		return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl),
		    u->host) == 1 ? 0 : -1;
	if (SSL_set_tlsext_host_name(ssl, u->host) != 1 ||
	    SSL_set1_host(ssl, u->host) != 1)
		return -1;
	return 0;
}

/* SSL_connect until done or deadline. Returns 0, or -1 with err. */
static int
redistls_handshake(SSL *ssl, int fd, const struct redis_url *u,
    long long deadline, char *err, size_t errlen)
{
	char why[256];
	long vr;
	int r, e, w;

	for (;;) {
		if ((r = SSL_connect(ssl)) == 1)
			return 0;
		e = SSL_get_error(ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			w = redistls_wait(fd, e == SSL_ERROR_WANT_READ ?
			    POLLIN : POLLOUT, deadline);
			if (w == 1)
				continue;
			snprintf(err, errlen, "TLS handshake with %s:%d: %s",
			    u->host, u->port, w == 0 ? "timed out" :
			    strerror(errno));
			return -1;
		}
		break;
	}
	if ((vr = SSL_get_verify_result(ssl)) != X509_V_OK)
		snprintf(err, errlen, "TLS handshake with %s:%d: server "
		    "certificate not trusted: %s", u->host, u->port,
		    X509_verify_cert_error_string(vr));
	else
		snprintf(err, errlen, "TLS handshake with %s:%d: %s", u->host,
		    u->port, redistls_reason(why, sizeof(why),
		    "connection closed"));
	ERR_clear_error();
	return -1;
}

static void
redistls_relay_free(struct redistls_relay *r)
{
	if (r == NULL)
		return;
	if (r->ssl != NULL) {
		SSL_shutdown(r->ssl);	/* best effort: the socket is non-blocking */
		SSL_free(r->ssl);
	}
	SSL_CTX_free(r->ctx);
	if (r->net >= 0)
		close(r->net);
	if (r->local >= 0)
		close(r->local);
	/* the buffers held commands (AUTH among them) and replies */
	OPENSSL_cleanse(r, sizeof(*r));
	free(r);
}

/* Moves bytes TLS -> local. Returns 1 when some moved, 0 when blocked
 * (what it waits for is added to *lw and *nw), -1 when the relay is over. */
static int
redistls_down(struct redistls_relay *r, short *lw, short *nw)
{
	ssize_t w;
	int n, e, moved = 0;

	if (r->dlen == 0) {
		if ((n = SSL_read(r->ssl, r->down, sizeof(r->down))) <= 0) {
			e = SSL_get_error(r->ssl, n);
			if (e == SSL_ERROR_WANT_READ)
				*nw |= POLLIN;
			else if (e == SSL_ERROR_WANT_WRITE)
				*nw |= POLLOUT;
			else
				return -1;	/* closed by the server, or broken */
			return 0;
		}
		r->doff = 0;
		r->dlen = (size_t)n;
		moved = 1;
	}
	if ((w = send(r->local, r->down + r->doff, r->dlen, MSG_NOSIGNAL)) < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		*lw |= POLLOUT;
		return moved;
	}
	r->doff += (size_t)w;
	r->dlen -= (size_t)w;
	return 1;
}

/* Moves bytes local -> TLS; returns as redistls_down does. */
static int
redistls_up(struct redistls_relay *r, short *lw, short *nw)
{
	ssize_t n;
	int w, e, moved = 0;

	if (r->ulen == 0) {
		if ((n = recv(r->local, r->up, sizeof(r->up), 0)) == 0)
			return -1;	/* hiredis closed its end */
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				return -1;
			*lw |= POLLIN;
			return 0;
		}
		r->uoff = 0;
		r->ulen = (size_t)n;
		moved = 1;
	}
	if ((w = SSL_write(r->ssl, r->up + r->uoff, (int)r->ulen)) <= 0) {
		e = SSL_get_error(r->ssl, w);
		if (e == SSL_ERROR_WANT_READ)
			*nw |= POLLIN;
		else if (e == SSL_ERROR_WANT_WRITE)
			*nw |= POLLOUT;
		else
			return -1;
		return moved;
	}
	r->uoff += (size_t)w;
	r->ulen -= (size_t)w;
	return 1;
}

/* The relay thread: both directions until either side goes away. A
 * hangup seen by poll() ends it once a pass moves nothing more. */
static void *
redistls_run(void *arg)
{
	struct redistls_relay *r = arg;
	struct pollfd pfd[2];
	short lw, nw;
	int a = 0, b = 0, hup = 0;

	for (;;) {
		lw = nw = 0;
		if ((a = redistls_down(r, &lw, &nw)) < 0 ||
		    (b = redistls_up(r, &lw, &nw)) < 0)
			break;
		if (a > 0 || b > 0) {
			hup = 0;
			continue;
		}
		if (hup)
			break;
		pfd[0] = (struct pollfd){ .fd = r->local, .events = lw };
		pfd[1] = (struct pollfd){ .fd = r->net, .events = nw };
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if ((pfd[0].revents | pfd[1].revents) &
		    (POLLHUP | POLLERR | POLLNVAL))
			hup = 1;
	}
	redistls_relay_free(r);
	/* this thread's OpenSSL error queue, before the thread is gone */
	OPENSSL_thread_stop();
	return NULL;
}

/* Starts the relay thread with every signal blocked (they belong to the
 * program's own threads). Returns 0, or -1 (r untouched by the thread). */
static int
redistls_start(struct redistls_relay *r)
{
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	if (pthread_attr_init(&attr) != 0)
		return -1;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&t, &attr, redistls_run, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return rc == 0 ? 0 : -1;
}

int
redistls_connect(const struct redis_url *u, int timeout_ms, char *err,
    size_t errlen)
{
	struct redistls_relay *r;
	long long deadline = redistls_now_ms() + timeout_ms;
	int pair[2] = { -1, -1 }, fd = -1;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "TLS: out of memory");
		return -1;
	}
	r->net = r->local = -1;
	if ((r->ctx = redistls_ctx(err, errlen)) == NULL ||
	    (r->net = redistls_tcp(u, deadline, err, errlen)) < 0)
		goto out;
	if ((r->ssl = SSL_new(r->ctx)) == NULL || SSL_set_fd(r->ssl, r->net) != 1 ||
	    redistls_expect(r->ssl, u) < 0) {
		snprintf(err, errlen, "TLS: cannot set up the connection to %s",
		    u->host);
		goto out;
	}
	if (redistls_handshake(r->ssl, r->net, u, deadline, err, errlen) < 0)
		goto out;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0 ||
	    redistls_nonblock(pair[1]) < 0) {
		snprintf(err, errlen, "TLS: socketpair: %s", strerror(errno));
		goto out;
	}
	r->local = pair[1];
	pair[1] = -1;	/* owned by r now */
	if (redistls_start(r) < 0) {
		snprintf(err, errlen, "TLS: cannot start the relay thread");
		goto out;
	}
	r = NULL;	/* owned by the relay thread now */
	fd = pair[0];
	pair[0] = -1;
out:
	if (pair[0] >= 0)
		close(pair[0]);
	if (pair[1] >= 0)
		close(pair[1]);
	redistls_relay_free(r);
	ERR_clear_error();
	return fd;
}
