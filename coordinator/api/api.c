/* api.c -- the HTTP API's server on libmicrohttpd: request bodies, bearer auth, routing, and the reply helpers the api_*.c endpoints share. */
#include "api.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "actions.h"
#include "api_int.h"
#include "cmetrics.h"
#include "db.h"
#include "enroll_group.h"
#include "hexdigit.h"
#include "ids.h"
#include "log.h"
#include "pgpool.h"

#define API_APPNAME "certfleet-coordinator-api"

/* A response buffer wiped when MHD is done with it. */
struct api_secret {
	char	*p;
	size_t	 len;
};

/* The status of the last answer this thread queued (api_status_last). */
static _Thread_local unsigned api_status;

unsigned
api_status_last(void)
{
	return api_status;
}

void
api_status_reset(void)
{
	api_status = 0;
}

enum MHD_Result
api_queue(struct MHD_Connection *conn, unsigned status, struct MHD_Response *r)
{
	api_status = status;
	return MHD_queue_response(conn, status, r);
}

/* The answer this thread queues while api_capture_begin's capture is on. */
static _Thread_local struct {
	int	 on;
	unsigned status;
	char	*body;
} api_capture;

void
api_capture_begin(void)
{
	free(api_capture.body);
	api_capture.body = NULL;
	api_capture.status = 0;
	api_capture.on = 1;
}

char *
api_capture_end(unsigned *status)
{
	char *b = api_capture.body;

	*status = api_capture.status;
	api_capture.body = NULL;
	api_capture.status = 0;
	api_capture.on = 0;
	return b;
}

enum MHD_Result
api_reply(struct MHD_Connection *conn, unsigned status, const char *ctype,
    const char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	api_status = status;
	if (api_capture.on && api_capture.body == NULL &&
	    (api_capture.body = strndup(body, len)) != NULL)
		api_capture.status = status;
	r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Sends j (a reference is stolen) as JSON. */
enum MHD_Result
api_json(struct MHD_Connection *conn, unsigned status, json_t *j)
{
	enum MHD_Result ret;
	char *s;

	if (j == NULL || (s = json_dumps(j, JSON_COMPACT)) == NULL) {
		json_decref(j);
		return MHD_NO;
	}
	json_decref(j);
	ret = api_reply(conn, status, API_JSON_TYPE, s, strlen(s));
	free(s);
	return ret;
}

enum MHD_Result
api_error(struct MHD_Connection *conn, unsigned status, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return api_json(conn, status, json_pack("{s:s}", "error", msg));
}

static void
api_secret_free(void *cls)
{
	struct api_secret *sec = cls;

	vault_plain_free(sec->p, sec->len);
	free(sec);
}

/* Serves a decrypted PEM: MHD gets our buffer and wipes it when done. */
enum MHD_Result
api_reply_secret_as(struct MHD_Connection *conn, char *pem, size_t len,
    const char *ctype)
{
	struct MHD_Response *r;
	struct api_secret *sec;
	enum MHD_Result ret;

	api_status = MHD_HTTP_OK;
	if ((sec = malloc(sizeof(*sec))) == NULL) {
		vault_plain_free(pem, len);
		return MHD_NO;
	}
	sec->p = pem;
	sec->len = len;
	r = MHD_create_response_from_buffer_with_free_callback_cls(len, pem,
	    api_secret_free, sec);
	if (r == NULL) {
		api_secret_free(sec);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result
api_reply_secret(struct MHD_Connection *conn, char *pem, size_t len)
{
	return api_reply_secret_as(conn, pem, len, API_PEM_TYPE);
}

/* Hashing first makes the comparison constant-time whatever the lengths. */
int
api_authorized(struct MHD_Connection *conn, const unsigned char *want)
{
	const char *h;
	unsigned char got[SHA256_DIGEST_LENGTH];

	h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	if (h == NULL || strncmp(h, "Bearer ", 7) != 0 || h[7] == '\0')
		return 0;
	SHA256((const unsigned char *)h + 7, strlen(h + 7), got);
	return CRYPTO_memcmp(got, want, sizeof(got)) == 0;
}

int
api_db(struct api *a, char *err, size_t errlen)
{
	if (a->db == NULL)
		a->db = pgpool_acquire(a->srv->pool, err, errlen);
	return a->db != NULL ? 0 : -1;
}

enum MHD_Result
api_unavailable(struct MHD_Connection *conn, const char *err)
{
	log_warn("api: %s", err);
	return api_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
	    "the database is not reachable or busy, try again");
}

json_t *
api_names(char *const *names, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_string(names[i]));
	return a;
}

json_t *
api_names_pg(const char *arr)
{
	char **names;
	size_t n;
	json_t *j;

	if ((names = db_array_parse(arr, &n)) == NULL)
		return json_array();
	j = api_names(names, n);
	db_array_free(names, n);
	return j;
}

/* A text column as a JSON string, or null when SQL NULL. */
json_t *
api_col(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return json_null();
	return json_string(PQgetvalue(r, row, col));
}

/* Answers an actions_* request: 202 with the action's id, or its error. */
enum MHD_Result
api_action_reply(struct MHD_Connection *conn, enum actions_status st,
    const char *id, const char *kind, const char *err)
{
	switch (st) {
	case ACTIONS_QUEUED:
		return api_json(conn, MHD_HTTP_ACCEPTED, json_pack("{s:s, s:s, "
		    "s:s}", "action", id, "kind", kind, "status", "pending"));
	case ACTIONS_NOT_FOUND:
		return api_error(conn, MHD_HTTP_NOT_FOUND, "%s", err);
	case ACTIONS_CONFLICT:
		return api_error(conn, MHD_HTTP_CONFLICT, "%s", err);
	default:
		log_err("api: %s: %s", kind, err);
		return api_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the request could not be stored; nothing was written");
	}
}

/* The body of an action request: empty, or a JSON object with at most the
 * one optional field. Returns 0 with *val (borrowed from *root, NULL when
 * absent), or -1 with a client message in err. json_decref(*root) after. */
int
api_action_body(const struct api_req *req, const char *field, json_t **root,
    json_t **val, char *err, size_t errlen)
{
	json_error_t je;
	const char *k;
	json_t *v;

	*root = NULL;
	*val = NULL;
	if (req->toobig) {
		snprintf(err, errlen, "the body is over %d bytes", API_MAX_BODY);
		return -1;
	}
	if (req->len == 0)
		return 0;
	if ((*root = json_loadb(req->body, req->len, JSON_REJECT_DUPLICATES,
	    &je)) == NULL || !json_is_object(*root)) {
		snprintf(err, errlen, "the body must be a JSON object");
		return -1;
	}
	json_object_foreach(*root, k, v) {
		if (strcmp(k, field) != 0) {
			snprintf(err, errlen, "unknown field \"%.64s\"", k);
			return -1;
		}
		*val = v;
	}
	return 0;
}

/* A request that changes one certificate (api_route_v1 runs it under its
 * Idempotency-Key): its lifecycle, a revocation, a renewal, a retry. */
struct api_change {
	const char	*id;
	const char	*rest;
	const char	*method;
};

static enum MHD_Result
api_change(struct api *a, struct MHD_Connection *conn, struct api_req *req,
    void *ctx)
{
	const struct api_change *ch = ctx;

	if (api_lifecycle_path(ch->rest, ch->method))
		return api_route_lifecycle(a, conn, ch->id, ch->rest, ch->method,
		    req);
	if (strcmp(ch->method, "POST") != 0)
		return api_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "%s is not allowed here (POST)", ch->method);
	if (!ids_valid(ch->id))
		return api_error(conn, MHD_HTTP_NOT_FOUND, "not a certificate id");
	if (strcmp(ch->rest, "/renew") == 0)
		return api_renew(a, conn, ch->id);
	if (strcmp(ch->rest, "/retry") == 0)
		return api_retry(a, conn, ch->id);
	return api_revoke(a, conn, ch->id, req);
}

/* POST /v1/certificates:delete, :retry and :move as api_idem_fn. */
static enum MHD_Result
api_delete_bulk_fn(struct api *a, struct MHD_Connection *conn,
    struct api_req *req, void *ctx)
{
	(void)ctx;
	return api_delete_bulk(a, conn, req);
}

static enum MHD_Result
api_retry_bulk_fn(struct api *a, struct MHD_Connection *conn,
    struct api_req *req, void *ctx)
{
	(void)ctx;
	return api_retry_bulk(a, conn, req);
}

static enum MHD_Result
api_move_bulk_fn(struct api *a, struct MHD_Connection *conn,
    struct api_req *req, void *ctx)
{
	(void)ctx;
	return api_move_bulk(a, conn, req);
}

/* POST /v1/certificates:import, :bulk, :delete, :retry and :move (the last
 * three under their Idempotency-Key). */
static enum MHD_Result
api_route_many(struct api *a, struct MHD_Connection *conn, const char *path,
    const char *method, struct api_req *req)
{
	const char *verb = strchr(path, ':') + 1;

	if (strcmp(method, "POST") != 0)
		return api_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "%s is not allowed on /v1/%s (POST)", method, path);
	if (strcmp(verb, "import") == 0)
		return api_import(a, conn, req);
	if (strcmp(verb, "bulk") == 0)
		return api_bulk(a, conn, req);
	return api_idem_run(a, conn, method, path, req, strcmp(verb,
	    "delete") == 0 ? api_delete_bulk_fn : strcmp(verb, "move") == 0 ?
	    api_move_bulk_fn : api_retry_bulk_fn, NULL);
}

/* Copies the id segment that starts path (up to '/' or the end) into id. */
const char *
api_segment(const char *path, char *id, size_t idlen)
{
	size_t n = strcspn(path, "/");

	if (n >= idlen)
		n = idlen - 1;	/* too long: ids_valid rejects it */
	memcpy(id, path, n);
	id[n] = '\0';
	return path + strcspn(path, "/");
}

enum MHD_Result
api_route_v1(struct api *a, struct MHD_Connection *conn, const char *path,
    const char *method, struct api_req *req)
{
	char id[IDS_LEN + 2];
	const char *rest;
	int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

	if (strcmp(path, "certificates") == 0) {
		if (strcmp(method, "POST") == 0)
			return api_enroll(a, conn, req);
		if (get)
			return api_list(a, conn);
		return api_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "%s is not allowed on /v1/certificates (GET, POST)", method);
	}
	if (strcmp(path, "certificates:count") == 0) {
		if (get)
			return api_count(a, conn);
		return api_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "%s is not allowed on /v1/certificates:count (GET)", method);
	}
	if (api_ondemand_path(path))
		return api_route_ondemand(a, conn, path, method, req);
	if (strcmp(path, "tenants") == 0 || strncmp(path, "tenants/", 8) == 0)
		return api_route_tenants(a, conn, path, method, req);
	if (strncmp(path, "hostnames/", 10) == 0) {
		if (get)
			return api_hostname(a, conn, path + 10);
		return api_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "%s is not allowed on /v1/hostnames (GET)", method);
	}
	if (strcmp(path, "overview") == 0) {
		if (get)
			return api_overview(a, conn);
		return api_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "%s is not allowed on /v1/overview (GET)", method);
	}
	if (strcmp(path, "cas") == 0) {
		if (get)
			return api_cas(a, conn);
		return api_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "%s is not allowed on /v1/cas (GET)", method);
	}
	if (strncmp(path, "cas/", 4) == 0)
		return api_route_ca(a, conn, path + 4, method, req);
	if (strcmp(path, "certificates:import") == 0 ||
	    strcmp(path, "certificates:bulk") == 0 ||
	    strcmp(path, "certificates:delete") == 0 ||
	    strcmp(path, "certificates:retry") == 0 ||
	    strcmp(path, "certificates:move") == 0)
		return api_route_many(a, conn, path, method, req);
	if (strcmp(path, "accounts") == 0 || strncmp(path, "accounts/", 9) == 0)
		return api_route_accounts(a, conn, path, method, req);
	if (strncmp(path, "actions/", 8) == 0)
		return api_route_actions(a, conn, path, method);
	if (strncmp(path, "certificates/", 13) != 0)
		return api_error(conn, MHD_HTTP_NOT_FOUND, "no such path");
	rest = api_segment(path + 13, id, sizeof(id));
	if (api_lifecycle_path(rest, method) || strcmp(rest, "/revoke") == 0 ||
	    strcmp(rest, "/renew") == 0 || strcmp(rest, "/retry") == 0) {
		struct api_change ch = { id, rest, method };

		if (get)	/* .../changes; any other GET gets its 405 */
			return api_change(a, conn, req, &ch);
		return api_idem_run(a, conn, method, path, req, api_change, &ch);
	}
	if (rest[0] != '\0')
		return api_route_export(a, conn, id, rest, method, req);
	if (!get)
		return api_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "%s is not allowed here (GET)", method);
	if (!ids_valid(id))
		return api_error(conn, MHD_HTTP_NOT_FOUND, "not a certificate id");
	return api_show(a, conn, id);
}

/* Makes room for need bytes of body, doubling (a bulk body comes in many
 * pieces), the old copy wiped. Returns the body, or NULL. */
static char *
api_body_grow(struct api_req *req, size_t need)
{
	size_t alloc = req->alloc > 0 ? req->alloc : 4096;
	char *nb;

	while (alloc < need)
		alloc *= 2;
	if ((nb = malloc(alloc)) == NULL)
		return NULL;
	if (req->body != NULL) {
		memcpy(nb, req->body, req->len);
		OPENSSL_clear_free(req->body, req->alloc);
	}
	req->body = nb;
	req->alloc = alloc;
	return nb;
}

/* One call of MHD for a request: its body read, then (on the last call)
 * authorized and routed with a, its own view of the server. */
static enum MHD_Result
api_request(struct api *a, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **state)
{
	struct api_req *req = *state;
	const char *cl;
	char *nb;

	(void)version;
	if (req == NULL) {
		if ((req = calloc(1, sizeof(*req))) == NULL)
			return MHD_NO;
		*state = req;
		req->cap = api_body_cap(url);
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL && strtoull(cl, NULL, 10) > req->cap)
			req->toobig = 1;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (!req->toobig && req->len + *upload_size <= req->cap) {
			if (req->len + *upload_size + 1 > req->alloc &&
			    (nb = api_body_grow(req, req->len + *upload_size +
			    1)) == NULL)
				return MHD_NO;
			memcpy(req->body + req->len, upload, *upload_size);
			req->len += *upload_size;
			req->body[req->len] = '\0';
		} else
			req->toobig = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	if (strncmp(url, "/v1/", 4) == 0)
		return api_serve_v1(a, conn, url, method, req);
	if (strncmp(url, "/internal/v1/", 13) == 0)
		return api_serve_internal(a, conn, url, method);
	if (strcmp(url, "/dashboard") == 0 && (strcmp(method, "GET") == 0 ||
	    strcmp(method, "HEAD") == 0))
		return api_dashboard(conn);
	if (strncmp(url, "/edge/v1/", 9) == 0 ||
	    strncmp(url, API_EDGE_PREFIX, strlen(API_EDGE_PREFIX)) == 0)
		return api_serve_edge(a, conn, url, method, req);
	return api_error(conn, MHD_HTTP_NOT_FOUND, "no such path");
}

/* MHD's handler, on any of the API's threads: the request gets its own
 * struct api, whose connection (taken from the pool by api_db when an
 * endpoint needs one) goes back to the pool once the reply is queued
 * (copied, or owned by MHD), before it is sent. */
static enum MHD_Result
api_handler(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **state)
{
	struct api_server *srv = cls;
	struct api a = { NULL, srv->s, srv->v, srv };
	enum MHD_Result ret;

	ret = api_request(&a, conn, url, method, version, upload, upload_size,
	    state);
	pgpool_release(srv->pool, a.db);
	return ret;
}

/* MHD's "%HH" unescaping of paths and arguments, except that "%00" stays
 * as it is: a NUL would cut a path short and route it as a shorter one. */
static size_t
api_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	char *r = s, *w = s;
	int hi, lo;

	(void)cls;
	(void)conn;
	while (*r != '\0') {
		if (r[0] == '%' && (hi = hexdigit((unsigned char)r[1])) >= 0 &&
		    (lo = hexdigit((unsigned char)r[2])) >= 0 && hi * 16 + lo != 0) {
			*w++ = (char)(hi * 16 + lo);
			r += 3;
		} else
			*w++ = *r++;
	}
	*w = '\0';
	return (size_t)(w - s);
}

static void
api_completed(void *cls, struct MHD_Connection *conn, void **state,
    enum MHD_RequestTerminationCode toe)
{
	struct api_req *req = *state;

	(void)cls;
	(void)conn;
	(void)toe;
	if (req != NULL) {
		if (req->body != NULL)
			OPENSSL_clear_free(req->body, req->alloc);
		free(req);
		*state = NULL;
	}
}

struct api_server *
api_start(const struct settings *s, const struct vault *v, char *err,
    size_t errlen)
{
	struct MHD_OptionItem opts[API_TLS_OPTIONS + 1];
	struct sockaddr_in sin;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
	    MHD_USE_ERROR_LOG;
	size_t nopts = 0;
	struct api_server *a;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)s->api_port);
	if (inet_pton(AF_INET, s->api_host, &sin.sin_addr) != 1) {
		snprintf(err, errlen, "api: %s is not an IPv4 address",
		    s->api_host);
		return NULL;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, errlen, "api: out of memory");
		return NULL;
	}
	a->s = s;
	a->v = v;
	SHA256((const unsigned char *)s->token, strlen(s->token), a->admin);
	SHA256((const unsigned char *)s->worker_token, strlen(s->worker_token),
	    a->worker);
	if ((a->pool = pgpool_new(s->pg, API_APPNAME, s->pg_pool,
	    s->pg_pool_wait_ms, err, errlen)) == NULL) {
		free(a);
		return NULL;
	}
	if ((a->group = enroll_group_new()) == NULL) {
		snprintf(err, errlen, "api: out of memory");
		pgpool_free(a->pool);
		free(a);
		return NULL;
	}
	if (api_tls_options(&s->apic, &a->tls, opts, &nopts, &flags, err,
	    errlen) < 0) {
		enroll_group_free(a->group);
		pgpool_free(a->pool);
		free(a);
		return NULL;
	}
	opts[nopts].option = MHD_OPTION_END;
	/* A pool of threads, each polling its own connections (epoll when
	 * there is one); MHD wants no pool option for a single thread. */
	a->mhd = MHD_start_daemon(flags, 0, NULL, NULL, api_handler, a,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	    MHD_OPTION_ARRAY, opts,
	    MHD_OPTION_NOTIFY_COMPLETED, api_completed, NULL,
	    MHD_OPTION_UNESCAPE_CALLBACK, api_unescape, NULL,
	    s->api_threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END,
	    (unsigned int)s->api_threads, MHD_OPTION_END);
	if (a->mhd == NULL) {
		snprintf(err, errlen, "api: cannot listen on %s:%d%s", s->api_host,
		    s->api_port, s->apic.tls ? " (or the TLS certificate or key "
		    "is not usable)" : "");
		api_tls_free(&a->tls);
		enroll_group_free(a->group);
		pgpool_free(a->pool);
		free(a);
		return NULL;
	}
	if (s->apic.tls)
		cmetrics_api_tls_reload(-1, a->tls.not_after);
	log_info("api listening on %s://%s:%d%s (%d threads, %d PostgreSQL "
	    "connections)", s->apic.tls ? "https" : "http", s->api_host,
	    s->api_port, a->tls.client_ca != NULL ?
	    " (client certificates on /internal/v1)" : "", s->api_threads,
	    s->pg_pool);
	return a;
}

void
api_reload_tls(struct api_server *a)
{
	char err[512], when[32];
	struct tm tm;
	time_t t;
	int rc;

	if (a == NULL || !a->s->apic.tls)
		return;
	if ((rc = api_tls_reload_ca(&a->tls, &a->s->apic, err,
	    sizeof(err))) < 0) {
		if (strcmp(err, a->ca_failure) != 0)
			log_err("%s; the client CA in use stays", err);
		snprintf(a->ca_failure, sizeof(a->ca_failure), "%s", err);
	} else {
		a->ca_failure[0] = '\0';
		if (rc == 1)
			log_info("api: client CA reloaded from %s; client "
			    "certificates on /internal/v1 are verified against "
			    "it", a->s->apic.client_ca_file);
	}
	if ((rc = api_tls_reload(&a->tls, &a->s->apic, err, sizeof(err))) < 0) {
		cmetrics_api_tls_reload(0, a->tls.not_after);
		if (strcmp(err, a->tls_failure) != 0)
			log_err("%s; the certificate in use stays", err);
		snprintf(a->tls_failure, sizeof(a->tls_failure), "%s", err);
		return;
	}
	a->tls_failure[0] = '\0';
	if (rc == 0)
		return;
	t = (time_t)a->tls.not_after;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	log_info("api: TLS certificate reloaded from %s (expires %s); new "
	    "connections get it", a->s->apic.cert_file, when);
	cmetrics_api_tls_reload(1, a->tls.not_after);
}

void
api_stop(struct api_server *a)
{
	struct enroll_group_stats st;

	if (a == NULL)
		return;
	MHD_stop_daemon(a->mhd);
	enroll_group_counts(a->group, &st);
	if (st.items > 0)
		log_info("api: %lu single enrollments written in %lu "
		    "batches (group commit; %lu waits for threads coming, %lu "
		    "of them timed out)", st.items, st.batches, st.waits,
		    st.timeouts);
	enroll_group_free(a->group);
	pgpool_free(a->pool);
	api_tls_free(&a->tls);
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}
