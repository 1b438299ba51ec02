/* api_audit.c -- the API's audit log: who (token id) did what (action, target) from where, for every state-changing call and every key download; GET /v1/audit reads it. Also the authenticated entry points of /v1, /internal/v1 and the edges' routes, which audit around the routers. */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api_int.h"
#include "api_tls.h"
#include "db.h"
#include "enroll_audit.h"
#include "ids.h"
#include "log.h"

#define API_AUDIT_TARGET_MAX 300	/* bytes of a path recorded */
#define API_AUDIT_ACTION_MAX 200

enum api_audit_kind {
	API_AUDIT_NONE,
	API_AUDIT_CHANGE,	/* recorded after the call, with its status */
	API_AUDIT_KEY,		/* recorded before: no row, no key */
};

struct api_audit {
	enum api_audit_kind	 kind;
	const char		*token;	/* who */
	char			 id[24];	/* the row once written */
	char			 action[API_AUDIT_ACTION_MAX];
	char			 target[API_AUDIT_TARGET_MAX + 1];
	char			 source[NI_MAXHOST];
	struct enroll_audit	 ahead;	/* handed to an enrollment */
	int			 handed;	/* ahead was handed */
};

/* The call this thread is serving, between api_audit_open and _close. */
static _Thread_local struct api_audit *api_audit_cur;

/* What url (path only) and method are to the audit log. */
static enum api_audit_kind
api_audit_kind(const char *url, const char *method)
{
	size_t n = strlen(url);

	if (strncmp(url, "/internal/v1/", 13) == 0)
		return API_AUDIT_KEY;
	if (strncmp(url, API_EDGE_PREFIX "domain/", strlen(API_EDGE_PREFIX) +
	    7) == 0)
		return API_AUDIT_KEY;
	if (strcmp(url, API_EDGE_PREFIX "api/domain/autocert.json") == 0)
		return API_AUDIT_KEY;
	if (n > 12 && strcmp(url + n - 12, "/privkey.pem") == 0)
		return API_AUDIT_KEY;
	if (n > 11 && strcmp(url + n - 11, "/export.p12") == 0)
		return API_AUDIT_KEY;
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
		return API_AUDIT_NONE;
	return API_AUDIT_CHANGE;
}

/* "METHOD /path" with every id segment as {id}, into out. */
static void
api_audit_action(const char *method, const char *url, char *out,
    size_t outlen)
{
	char seg[IDS_LEN + 2];
	const char *p = url;
	size_t n;
	int w;

	w = snprintf(out, outlen, "%s ", method);
	while (*p != '\0' && w > 0 && (size_t)w < outlen) {
		if (*p == '/') {
			w += snprintf(out + w, outlen - (size_t)w, "/");
			p++;
			continue;
		}
		n = strcspn(p, "/");
		api_segment(p, seg, sizeof(seg));
		w += snprintf(out + w, outlen - (size_t)w, "%.*s", ids_valid(seg) ?
		    4 : (int)n, ids_valid(seg) ? "{id}" : p);
		p += n;
	}
}

/* Inserts the row of au (status NULL unless known). Returns 0 or -1 with
 * err. */
static int
api_audit_insert(struct api *a, const char *token, unsigned status,
    struct api_audit *au, char *err, size_t errlen)
{
	char st[16];
	PGresult *r;

	snprintf(st, sizeof(st), "%u", status);
	if (api_db(a, err, errlen) < 0 || (r = db_query(a->db, "api audit",
	    "INSERT INTO api_audit (token, action, target, source, status) "
	    "VALUES ($1, $2, $3, $4, $5::integer) RETURNING id", 5,
	    (const char *[]){ token, au->action, au->target, au->source,
	    status > 0 ? st : NULL }, NULL, NULL, err, errlen)) == NULL)
		return -1;
	snprintf(au->id, sizeof(au->id), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

struct enroll_audit *
api_audit_ahead(unsigned status)
{
	struct api_audit *au = api_audit_cur;

	if (au == NULL || au->kind != API_AUDIT_CHANGE || au->handed)
		return NULL;
	au->ahead = (struct enroll_audit){ .token = au->token, .action =
	    au->action, .target = au->target, .source = au->source, .status =
	    status };
	au->handed = 1;
	return &au->ahead;
}

/* Before routing: a key download is recorded now (-1 with err: it must
 * not be served). */
static int
api_audit_open(struct api *a, struct MHD_Connection *conn, const char *token,
    const char *method, const char *url, struct api_audit *au, char *err,
    size_t errlen)
{
	memset(au, 0, sizeof(*au));
	au->kind = api_audit_kind(url, method);
	api_status_reset();
	if (au->kind == API_AUDIT_NONE)
		return 0;
	api_audit_action(method, url, au->action, sizeof(au->action));
	snprintf(au->target, sizeof(au->target), "%s", url);
	api_edge_client(conn, au->source, sizeof(au->source));
	au->token = token;
	if (au->kind != API_AUDIT_KEY) {
		api_audit_cur = au;
		return 0;
	}
	return api_audit_insert(a, token, 0, au, err, errlen);
}

/* The row's status set to the answer's (a key download's, or a change
 * whose row its enrollment wrote ahead with another status). */
static void
api_audit_restatus(struct api *a, const char *id, unsigned status)
{
	char err[512], st[16];

	snprintf(st, sizeof(st), "%u", status);
	if (db_exec(a->db, "api audit status", "UPDATE api_audit SET status = "
	    "$2::integer WHERE id = $1", 2, (const char *[]){ id, status > 0 ?
	    st : NULL }, NULL, NULL, err, sizeof(err)) < 0)
		log_warn("api: audit status of %s: %s", id, err);
}

/* After routing: the status of the answer, or the row of a change (unless
 * its enrollment wrote it: api_audit_ahead). */
static void
api_audit_close(struct api *a, const char *token, const char *method,
    const char *url, struct api_audit *au)
{
	unsigned status = api_status_last();
	char err[512];

	api_audit_cur = NULL;
	if (au->kind == API_AUDIT_CHANGE && au->handed && au->ahead.id[0] !=
	    '\0') {
		if (status != au->ahead.status)
			api_audit_restatus(a, au->ahead.id, status);
	} else if (au->kind == API_AUDIT_CHANGE) {
		if (api_audit_insert(a, token, status, au, err, sizeof(err)) < 0)
			log_err("api: audit of %s %s by %s not written: %s",
			    method, url, token, err);
	} else if (au->kind == API_AUDIT_KEY && status > 0)
		api_audit_restatus(a, au->id, status);
}

enum MHD_Result
api_serve_v1(struct api *a, struct MHD_Connection *conn, const char *url,
    const char *method, struct api_req *req)
{
	struct api_caller c;
	struct api_audit au;
	enum api_scope need;
	enum MHD_Result ret;
	char err[512];
	int ok;

	if ((ok = api_tokens_caller(a, conn, &c, err, sizeof(err))) < 0)
		return api_unavailable(conn, err);
	if (ok == 0)
		return api_error(conn, MHD_HTTP_UNAUTHORIZED, "missing or wrong "
		    "bearer token (CERTFLEET_TOKEN or a live token of "
		    "certfleetctl token)");
	/* refusals are recorded too: who tried what */
	if (api_audit_open(a, conn, c.id, method, url, &au, err,
	    sizeof(err)) < 0)
		return api_unavailable(conn, err);
	need = api_tokens_need(url + 4, method);
	if (c.scope < need)
		ret = api_error(conn, MHD_HTTP_FORBIDDEN, "token %s has scope "
		    "%s; this call needs %s", c.id, api_scope_name(c.scope),
		    api_scope_name(need));
	else if (strcmp(url + 4, "tokens") == 0 || strncmp(url + 4, "tokens/", 7) ==
	    0)
		ret = api_route_tokens(a, conn, url + 4, method, req, &c);
	else if (strcmp(url + 4, "audit") == 0)
		ret = api_route_audit(a, conn, method);
	else
		ret = api_route_v1(a, conn, url + 4, method, req);
	api_audit_close(a, c.id, method, url, &au);
	return ret;
}

enum MHD_Result
api_serve_internal(struct api *a, struct MHD_Connection *conn,
    const char *url, const char *method)
{
	struct api_audit au;
	enum MHD_Result ret;
	char err[512], client[NI_MAXHOST];

	if (!api_authorized(conn, a->srv->worker))
		return api_error(conn, MHD_HTTP_UNAUTHORIZED,
		    "missing or wrong bearer token (CERTFLEET_WORKER_TOKEN)");
	if (!api_tls_client_ok(&a->srv->tls, conn, err, sizeof(err))) {
		api_edge_client(conn, client, sizeof(client));
		log_warn("api: %s from %s refused: %s", url, client, err);
		return api_error(conn, MHD_HTTP_FORBIDDEN, "%s "
		    "(CERTFLEET_API_CLIENT_CA_FILE)", err);
	}
	if (api_audit_open(a, conn, "worker", method, url, &au, err,
	    sizeof(err)) < 0)
		return api_unavailable(conn, err);
	ret = api_route_internal(a, conn, url + 13, method);
	api_audit_close(a, "worker", method, url, &au);
	return ret;
}

enum MHD_Result
api_serve_edge(struct api *a, struct MHD_Connection *conn, const char *url,
    const char *method, struct api_req *req)
{
	struct api_audit au;
	enum MHD_Result ret;
	char err[512];

	if (api_audit_open(a, conn, "edge", method, url, &au, err,
	    sizeof(err)) < 0)
		return api_unavailable(conn, err);
	if (strncmp(url, "/edge/v1/", 9) == 0)
		ret = api_route_edgeask(a, conn, url + 9, method, req);
	else if (strcmp(url, API_EDGE_PREFIX "api/domain/autocert.json") == 0)
		ret = api_autocert(a, conn, method, req);
	else
		ret = api_route_edge(a, conn, url + strlen(API_EDGE_PREFIX),
		    method);
	api_audit_close(a, "edge", method, url, &au);
	return ret;
}

/* The query argument name as a positive integer, or def; -1 when bad. */
static long long
api_audit_arg(struct MHD_Connection *conn, const char *name, long long def,
    long long max)
{
	const char *v = MHD_lookup_connection_value(conn,
	    MHD_GET_ARGUMENT_KIND, name);
	char *end;
	long long n;

	if (v == NULL)
		return def;
	n = strtoll(v, &end, 10);
	return (*end != '\0' || end == v || n < 1 || n > max) ? -1 : n;
}

enum MHD_Result
api_route_audit(struct api *a, struct MHD_Connection *conn,
    const char *method)
{
	const char *token = MHD_lookup_connection_value(conn,
	    MHD_GET_ARGUMENT_KIND, "token");
	long long limit, before;
	char err[512], ls[24], bs[24];
	PGresult *r;
	json_t *arr;
	int i;

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return api_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "%s is not allowed on /v1/audit (GET)", method);
	limit = api_audit_arg(conn, "limit", API_LIST_DEFAULT, API_LIST_MAX);
	before = api_audit_arg(conn, "before", 0x7fffffffffffffffLL,
	    0x7fffffffffffffffLL);
	if (limit < 0 || before < 0)
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "limit must be 1-%d "
		    "and before a positive audit id", API_LIST_MAX);
	snprintf(ls, sizeof(ls), "%lld", limit);
	snprintf(bs, sizeof(bs), "%lld", before);
	if (api_db(a, err, sizeof(err)) < 0 || (r = db_query(a->db,
	    "api audit list", "SELECT id, " API_TS("at") ", token, action, "
	    "target, source, status FROM api_audit WHERE id < $1::bigint AND "
	    "($3::text IS NULL OR token = $3) ORDER BY id DESC LIMIT "
	    "$2::integer", 3, (const char *[]){ bs, ls, token }, NULL, NULL,
	    err, sizeof(err))) == NULL)
		return api_unavailable(conn, err);
	arr = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(arr, json_pack("{s:I, s:o, s:o, s:o, s:o, "
		    "s:o, s:o}", "id", (json_int_t)strtoll(PQgetvalue(r, i, 0),
		    NULL, 10), "at", api_col(r, i, 1), "token", api_col(r, i, 2),
		    "action", api_col(r, i, 3), "target", api_col(r, i, 4),
		    "source", api_col(r, i, 5), "status", PQgetisnull(r, i, 6) ?
		    json_null() : json_integer(strtoll(PQgetvalue(r, i, 6), NULL,
		    10))));
	PQclear(r);
	return api_json(conn, MHD_HTTP_OK, json_pack("{s:o}", "entries", arr));
}
