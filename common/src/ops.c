/* ops.c -- the ops listener: /metrics renders the registry, /healthz says alive, /readyz checks the dependencies with a short cache. */
#include "ops.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "clock.h"
#include "config.h"
#include "log.h"

#define OPS_DETAIL_MAX	512	/* one dependency's answer */
#define OPS_READY_MAX	(OPS_DEPS_MAX * (OPS_DETAIL_MAX + 64) + 16)

struct ops {
	struct MHD_Daemon	*mhd;
	char			 listen[OPS_LISTEN_MAX];
	struct metrics		*metrics;
	void			(*collect)(void *arg);
	void			*collect_arg;
	pthread_mutex_t		 collect_lock;	/* one scrape at a time */
	struct ops_dep		 deps[OPS_DEPS_MAX];
	size_t			 ndeps;
	pthread_mutex_t		 ready_lock;	/* one round of checks at a time */
	uint64_t		 ready_at;	/* clock_mono_ms of the last round, 0: none */
	unsigned		 ready_status;
	char			 ready_body[OPS_READY_MAX + 16];
};

int
ops_listen_parse(const char *v, struct sockaddr_storage *ss, socklen_t *sslen,
    char *err, size_t errlen)
{
	char host[OPS_LISTEN_MAX], *end;
	struct addrinfo hints, *ai = NULL;
	const char *colon;
	size_t hlen;
	long port;
	int rc = -1;

	if (strcmp(v, "off") == 0)
		return 0;
	if (strlen(v) >= sizeof(host) || (colon = strrchr(v, ':')) == NULL) {
		snprintf(err, errlen, "%s=%.64s: expected ADDR:PORT or off",
		    OPS_LISTEN_ENV, v);
		return -1;
	}
	hlen = (size_t)(colon - v);
	if (hlen >= 2 && v[0] == '[' && v[hlen - 1] == ']') {
		memcpy(host, v + 1, hlen - 2);
		host[hlen - 2] = '\0';
	} else {
		memcpy(host, v, hlen);
		host[hlen] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	port = strtol(colon + 1, &end, 10);
	if (host[0] == '\0' || colon[1] < '0' || colon[1] > '9' || *end != '\0' ||
	    port < 1 || port > 65535 ||
	    getaddrinfo(host, colon + 1, &hints, &ai) != 0 ||
	    ai->ai_addrlen > sizeof(*ss)) {
		snprintf(err, errlen, "%s=%.64s: expected a numeric ADDR:PORT "
		    "(port 1-65535) or off", OPS_LISTEN_ENV, v);
		goto out;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sslen = ai->ai_addrlen;
	rc = 1;
out:
	if (ai != NULL)
		freeaddrinfo(ai);
	return rc;
}

/* ---- answers ---- */

static enum MHD_Result
ops_reply(struct MHD_Connection *conn, unsigned status, const char *ctype,
    char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	if ((r = MHD_create_response_from_buffer(len, body, mode)) == NULL) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) !=
	    MHD_YES ||
	    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-store") != MHD_YES) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result
ops_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
	return ops_reply(conn, status, "text/plain; charset=utf-8",
	    (char *)(uintptr_t)text, strlen(text), MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result
ops_metrics(struct ops *o, struct MHD_Connection *conn)
{
	char *text;
	size_t len;

	pthread_mutex_lock(&o->collect_lock);
	if (o->collect != NULL)
		o->collect(o->collect_arg);
	text = metrics_render(o->metrics, &len);
	pthread_mutex_unlock(&o->collect_lock);
	if (text == NULL)
		return ops_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "out of memory\n");
	return ops_reply(conn, MHD_HTTP_OK, METRICS_CONTENT_TYPE, text, len,
	    MHD_RESPMEM_MUST_FREE);
}

/* One round of checks into o->ready_*; called with ready_lock held. The
 * body is "ready" or "not ready", then "<name> ok|FAILED: <detail>" per
 * dependency. */
static void
ops_ready_check(struct ops *o)
{
	char detail[OPS_DETAIL_MAX], lines[OPS_READY_MAX];
	const char *where;
	size_t i, off = 0;
	int ok, failed = 0;

	lines[0] = '\0';
	for (i = 0; i < o->ndeps; i++) {
		detail[0] = '\0';
		where = o->deps[i].where != NULL ? o->deps[i].where :
		    config_str(o->deps[i].svc->var, NULL);
		if (where == NULL) {
			snprintf(detail, sizeof(detail), "%s is not set",
			    o->deps[i].svc->var);
			ok = 0;
		} else
			ok = o->deps[i].svc->probe(where, detail, sizeof(detail));
		failed += !ok;
		if (off < sizeof(lines))
			off += (size_t)snprintf(lines + off, sizeof(lines) - off,
			    "%s %s: %s\n", o->deps[i].svc->name, ok ? "ok" :
			    "FAILED", detail);
	}
	snprintf(o->ready_body, sizeof(o->ready_body), "%s\n%s", failed > 0 ?
	    "not ready" : "ready", lines);
	o->ready_status = failed > 0 ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK;
	o->ready_at = clock_mono_ms();
	if (failed > 0)
		log_warn("ops: not ready: %d of %zu dependencies failed", failed,
		    o->ndeps);
}

static enum MHD_Result
ops_readyz(struct ops *o, struct MHD_Connection *conn)
{
	char *body;
	unsigned status;
	size_t len;

	pthread_mutex_lock(&o->ready_lock);
	if (o->ready_at == 0 || clock_mono_ms() - o->ready_at >=
	    OPS_READY_CACHE_MS)
		ops_ready_check(o);
	status = o->ready_status;
	len = strlen(o->ready_body);
	body = malloc(len + 1);
	if (body != NULL)
		memcpy(body, o->ready_body, len + 1);
	pthread_mutex_unlock(&o->ready_lock);
	if (body == NULL)
		return ops_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "out of memory\n");
	return ops_reply(conn, status, "text/plain; charset=utf-8", body, len,
	    MHD_RESPMEM_MUST_FREE);
}

/* Marks in *con_cls: the headers were seen. */
static char ops_seen;

/* Answers on the last call for a request (after any body, which is read
 * and dropped), so keep-alive works; refuses other methods at once. */
static enum MHD_Result
ops_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct ops *o = cls;

	(void)version;
	(void)upload_data;
	if (*con_cls == NULL) {
		if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
		    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
			return ops_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
			    "method not allowed\n");
		*con_cls = &ops_seen;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") == 0)
		return ops_metrics(o, conn);
	if (strcmp(url, "/healthz") == 0)
		return ops_text(conn, MHD_HTTP_OK, "ok\n");
	if (strcmp(url, "/readyz") == 0)
		return ops_readyz(o, conn);
	return ops_text(conn, MHD_HTTP_NOT_FOUND,
	    "not found (try /metrics, /healthz or /readyz)\n");
}

__attribute__((format(printf, 2, 0)))
static void
ops_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];
	size_t n;

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	log_warn("ops: libmicrohttpd: %s", line);
}

/* Adds certfleet_build_info{version,daemon} 1. */
static int
ops_build_info(struct metrics *m, const char *daemon, char *err,
    size_t errlen)
{
	static const char *const labels[] = { "version", "daemon" };
	struct metrics_family *f;

	if ((f = metrics_family_new(m, METRICS_GAUGE, "certfleet_build_info",
	    "Always 1: the version of the running program and which daemon "
	    "it is.", labels, 2, NULL, 0, err, errlen)) == NULL)
		return -1;
	metrics_set_by(f, (const char *[]){ CERTFLEET_VERSION, daemon }, 1);
	return 0;
}

/* Binds o->listen (already parsed into ss). Returns 0, or -1 with err. */
static int
ops_bind(struct ops *o, const struct sockaddr_storage *ss, char *err,
    size_t errlen)
{
	unsigned int flags = MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	if (ss->ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	o->mhd = MHD_start_daemon(flags, 0, NULL, NULL, ops_request, o,
	    MHD_OPTION_EXTERNAL_LOGGER, ops_mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)OPS_CONN_LIMIT,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)OPS_CONN_TIMEOUT,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(16 * 1024),
	    MHD_OPTION_END);
	if (o->mhd == NULL) {
		snprintf(err, errlen, "%s=%s: cannot listen there (address in "
		    "use, or not a local address?)", OPS_LISTEN_ENV, o->listen);
		return -1;
	}
	return 0;
}

int
ops_start(struct ops **out, const struct ops_conf *c, const char *def_listen,
    char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct ops *o = NULL;
	const char *v = config_str(OPS_LISTEN_ENV, def_listen);
	socklen_t sslen;
	int n;

	*out = NULL;
	if ((n = ops_listen_parse(v, &ss, &sslen, err, errlen)) <= 0)
		return n;
	if (c->ndeps > OPS_DEPS_MAX || c->metrics == NULL) {
		snprintf(err, errlen, "ops_start: no registry, or more than %d "
		    "dependencies", OPS_DEPS_MAX);
		return -1;
	}
	if ((o = calloc(1, sizeof(*o))) == NULL) {
		snprintf(err, errlen, "ops_start: out of memory");
		return -1;
	}
	snprintf(o->listen, sizeof(o->listen), "%s", v);
	o->metrics = c->metrics;
	o->collect = c->collect;
	o->collect_arg = c->collect_arg;
	if (c->ndeps > 0)
		memcpy(o->deps, c->deps, c->ndeps * sizeof(c->deps[0]));
	o->ndeps = c->ndeps;
	pthread_mutex_init(&o->collect_lock, NULL);
	pthread_mutex_init(&o->ready_lock, NULL);
	if (ops_build_info(o->metrics, c->daemon, err, errlen) < 0 ||
	    ops_bind(o, &ss, err, errlen) < 0) {
		ops_stop(o);
		return -1;
	}
	log_info("ops: listening on http://%s (/metrics /healthz /readyz)",
	    o->listen);
	*out = o;
	return 0;
}

const char *
ops_listen(const struct ops *o)
{
	return o != NULL ? o->listen : "";
}

void
ops_stop(struct ops *o)
{
	if (o == NULL)
		return;
	if (o->mhd != NULL)
		MHD_stop_daemon(o->mhd);
	pthread_mutex_destroy(&o->collect_lock);
	pthread_mutex_destroy(&o->ready_lock);
	free(o);
}
