/* api.c -- libmicrohttpd request handling: bearer auth, routing, JSON replies, enrollment and PEM downloads. */
#include "api.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "accounts.h"
#include "acme.h"
#include "actions.h"
#include "db.h"
#include "enroll.h"
#include "ids.h"
#include "log.h"
#include "renew.h"

#define API_PEM_TYPE "application/x-pem-file"
#define API_JSON_TYPE "application/json"

struct api {
	struct MHD_Daemon	*mhd;
	PGconn			*db;	/* used by the MHD thread only */
	const struct settings	*s;
	const struct vault	*v;
	unsigned char		 admin[SHA256_DIGEST_LENGTH];
	unsigned char		 worker[SHA256_DIGEST_LENGTH];
};

/* Per request: the body read so far. */
struct api_req {
	char	*body;
	size_t	 len;
	int	 toobig;
};

/* A response buffer wiped when MHD is done with it. */
struct api_secret {
	char	*p;
	size_t	 len;
};

static enum MHD_Result
api_reply(struct MHD_Connection *conn, unsigned status, const char *ctype,
    const char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

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
static enum MHD_Result
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

static enum MHD_Result
api_error(struct MHD_Connection *conn, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum MHD_Result
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
static enum MHD_Result
api_reply_secret_as(struct MHD_Connection *conn, char *pem, size_t len,
    const char *ctype)
{
	struct MHD_Response *r;
	struct api_secret *sec;
	enum MHD_Result ret;

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

static enum MHD_Result
api_reply_secret(struct MHD_Connection *conn, char *pem, size_t len)
{
	return api_reply_secret_as(conn, pem, len, API_PEM_TYPE);
}

/* 1 when the request carries "Bearer <token>" hashing to want. Hashing
 * first makes the comparison constant-time whatever the lengths. */
static int
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

static int
api_db(struct api *a, char *err, size_t errlen)
{
	return db_ensure(&a->db, a->s->pg, "certfleet-coordinator-api", err,
	    errlen);
}

static enum MHD_Result
api_unavailable(struct MHD_Connection *conn, const char *err)
{
	log_warn("api: %s", err);
	return api_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
	    "the database is not reachable, try again");
}

static json_t *
api_names(char *const *names, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_string(names[i]));
	return a;
}

static json_t *
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
static json_t *
api_col(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return json_null();
	return json_string(PQgetvalue(r, row, col));
}

static enum MHD_Result
api_enroll(struct api *a, struct MHD_Connection *conn, struct api_req *req)
{
	struct enroll_request er;
	char err[512], id[IDS_LEN + 1], loc[64];
	struct MHD_Response *r;
	enum MHD_Result ret;
	json_t *j;
	char *s;

	if (req->toobig)
		return api_error(conn, MHD_HTTP_CONTENT_TOO_LARGE,
		    "the body is over %d bytes", API_MAX_BODY);
	if (enroll_parse(req->body != NULL ? req->body : "", req->len,
	    a->s->key_type, &er, err, sizeof(err)) < 0)
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "%s", err);
	if (enroll_check_cas(&er, a->s, err, sizeof(err)) < 0) {
		enroll_request_free(&er);
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "%s", err);
	}
	if (api_db(a, err, sizeof(err)) < 0) {
		enroll_request_free(&er);
		return api_unavailable(conn, err);
	}
	if (enroll_create(a->db, a->v, a->s, &er, id, err, sizeof(err)) < 0) {
		log_err("api: enroll: %s", err);
		enroll_request_free(&er);
		return api_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the enrollment could not be stored; nothing was written");
	}
	j = json_pack("{s:s, s:s, s:o, s:s}", "id", id, "status", "pending",
	    "hostnames", api_names(er.names, er.nnames), "challenge",
	    er.challenge);
	enroll_request_free(&er);
	if (j == NULL || (s = json_dumps(j, JSON_COMPACT)) == NULL) {
		json_decref(j);
		return MHD_NO;
	}
	json_decref(j);
	r = MHD_create_response_from_buffer(strlen(s), s,
	    MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(s);
		return MHD_NO;
	}
	snprintf(loc, sizeof(loc), "/v1/certificates/%s", id);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, API_JSON_TYPE);
	MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, loc);
	ret = MHD_queue_response(conn, MHD_HTTP_CREATED, r);
	MHD_destroy_response(r);
	return ret;
}

#define API_TS(col) "to_char(" col " AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

static enum MHD_Result
api_list(struct api *a, struct MHD_Connection *conn)
{
	const char *lim;
	char err[512], limit[16];
	const char *p[1];
	PGresult *r;
	json_t *arr, *o;
	long n = API_LIST_DEFAULT;
	char *end;
	int i;

	if ((lim = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
	    "limit")) != NULL) {
		n = strtol(lim, &end, 10);
		if (*lim == '\0' || *end != '\0' || n < 1 || n > API_LIST_MAX)
			return api_error(conn, MHD_HTTP_BAD_REQUEST,
			    "limit must be a number from 1 to %d", API_LIST_MAX);
	}
	if (api_db(a, err, sizeof(err)) < 0)
		return api_unavailable(conn, err);
	snprintf(limit, sizeof(limit), "%ld", n);
	p[0] = limit;
	if ((r = db_query(a->db, "api list", "SELECT c.id, c.status, hs.names, "
	    API_TS("c.created_at") ", " API_TS("ic.not_after") " FROM "
	    "certificates c JOIN hostname_sets hs ON hs.id = c.hostname_set LEFT "
	    "JOIN issued_certificates ic ON ic.id = c.current_issued ORDER BY "
	    "c.created_at DESC, c.id LIMIT $1", 1, p, NULL, NULL, err,
	    sizeof(err))) == NULL)
		return api_unavailable(conn, err);
	arr = json_array();
	for (i = 0; i < PQntuples(r); i++) {
		o = json_pack("{s:o, s:o, s:o, s:o, s:o}", "id", api_col(r, i, 0),
		    "status", api_col(r, i, 1), "hostnames",
		    api_names_pg(PQgetvalue(r, i, 2)), "created_at",
		    api_col(r, i, 3), "not_after", api_col(r, i, 4));
		json_array_append_new(arr, o);
	}
	PQclear(r);
	return api_json(conn, MHD_HTTP_OK, json_pack("{s:o}", "certificates",
	    arr));
}

static const char *api_segment(const char *, char *, size_t);

/* Adds revocation and chain fields of certificate id to j. */
static int
api_show_chains(struct api *a, const char *id, json_t *j, char *err,
    size_t errlen)
{
	PGresult *r;
	json_t *chains;
	int i;

	if ((r = db_query(a->db, "api show revocation", "SELECT "
	    API_TS("ic.revoked_at") ", ic.revocation_reason, c.preferred_chain, "
	    "ic.chain_issuer FROM certificates c LEFT JOIN issued_certificates "
	    "ic ON ic.id = c.current_issued WHERE c.id = $1", 1, &id, NULL, NULL,
	    err, errlen)) == NULL)
		return -1;
	if (PQntuples(r) == 1) {
		json_object_set_new(j, "revoked_at", api_col(r, 0, 0));
		json_object_set_new(j, "revocation_reason", PQgetisnull(r, 0, 1) ?
		    json_null() : json_string(acme_revoke_reason_name(
		    atoi(PQgetvalue(r, 0, 1)))));
		json_object_set_new(j, "preferred_chain", api_col(r, 0, 2));
		json_object_set_new(j, "chain_issuer", api_col(r, 0, 3));
	}
	PQclear(r);
	if ((r = db_query(a->db, "api show chains", "SELECT ch.top_issuer, "
	    "ch.is_default, ch.served FROM certificates c JOIN "
	    "certificate_chains ch ON ch.issued_certificate = c.current_issued "
	    "WHERE c.id = $1 ORDER BY ch.position", 1, &id, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	chains = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(chains, json_pack("{s:s, s:b, s:b}",
		    "top_issuer", PQgetvalue(r, i, 0), "default",
		    strcmp(PQgetvalue(r, i, 1), "t") == 0, "served",
		    strcmp(PQgetvalue(r, i, 2), "t") == 0));
	json_object_set_new(j, "chains", chains);
	PQclear(r);
	return 0;
}

/* Answers an actions_* request: 202 with the action's id, or its error. */
static enum MHD_Result
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
static int
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

static enum MHD_Result
api_revoke(struct api *a, struct MHD_Connection *conn, const char *id,
    struct api_req *req)
{
	enum actions_status st;
	char err[512], aid[IDS_LEN + 1] = "";
	json_t *root, *v;
	int reason = 0;

	if (api_action_body(req, "reason", &root, &v, err, sizeof(err)) < 0) {
		json_decref(root);
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "%s", err);
	}
	if (v != NULL) {
		if (json_is_integer(v))
			reason = acme_revoke_reason_ok((int)json_integer_value(v)) &&
			    json_integer_value(v) >= 0 ?
			    (int)json_integer_value(v) : -1;
		else
			reason = acme_revoke_reason_parse(json_string_value(v));
	}
	json_decref(root);
	if (reason < 0)
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "reason must be "
		    "unspecified (0), keyCompromise (1), affiliationChanged (3), "
		    "superseded (4) or cessationOfOperation (5)");
	if (api_db(a, err, sizeof(err)) < 0)
		return api_unavailable(conn, err);
	st = actions_revoke(a->db, id, reason, aid, err, sizeof(err));
	return api_action_reply(conn, st, aid, "revoke_certificate", err);
}

static enum MHD_Result
api_account_action(struct api *a, struct MHD_Connection *conn,
    const char *id, const char *what, struct api_req *req)
{
	enum actions_status st;
	enum keys_type t = a->s->account_key_type;
	char err[512], aid[IDS_LEN + 1] = "";
	json_t *root, *kt;
	int rollover = strcmp(what, "/key-rollover") == 0;

	if (api_action_body(req, rollover ? "key_type" : "-", &root, &kt, err,
	    sizeof(err)) < 0 || (kt != NULL && (!json_is_string(kt) ||
	    keys_account_type_parse(json_string_value(kt), &t) < 0))) {
		if (kt != NULL)
			snprintf(err, sizeof(err), "key_type must be ES256, ES384 "
			    "or RS256");
		json_decref(root);
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "%s", err);
	}
	json_decref(root);
	if (api_db(a, err, sizeof(err)) < 0)
		return api_unavailable(conn, err);
	if (rollover)
		st = actions_rollover(a->db, a->v, id, t, aid, err, sizeof(err));
	else
		st = actions_deactivate(a->db, id, aid, err, sizeof(err));
	return api_action_reply(conn, st, aid, rollover ?
	    "rollover_account_key" : "deactivate_account", err);
}

static enum MHD_Result
api_accounts(struct api *a, struct MHD_Connection *conn)
{
	char err[512];
	PGresult *r;
	json_t *arr;
	int i;

	if (api_db(a, err, sizeof(err)) < 0)
		return api_unavailable(conn, err);
	if ((r = db_query(a->db, "api accounts", "SELECT id, ca, key_type, "
	    "status, account_url, " API_TS("key_rolled_at") ", "
	    API_TS("deactivated_at") " FROM acme_accounts ORDER BY created_at, "
	    "id", 0, NULL, NULL, NULL, err, sizeof(err))) == NULL)
		return api_unavailable(conn, err);
	arr = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(arr, json_pack("{s:o, s:o, s:o, s:o, s:o, "
		    "s:o, s:o}", "id", api_col(r, i, 0), "ca", api_col(r, i, 1),
		    "key_type", api_col(r, i, 2), "status", api_col(r, i, 3),
		    "account_url", api_col(r, i, 4), "key_rolled_at",
		    api_col(r, i, 5), "deactivated_at", api_col(r, i, 6)));
	PQclear(r);
	return api_json(conn, MHD_HTTP_OK, json_pack("{s:o}", "accounts", arr));
}

/* /v1/accounts[/{id}/key-rollover|/deactivate] */
static enum MHD_Result
api_route_accounts(struct api *a, struct MHD_Connection *conn,
    const char *path, const char *method, struct api_req *req)
{
	char id[IDS_LEN + 2];
	const char *rest;

	if (strcmp(path, "accounts") == 0) {
		if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
			return api_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
			    "%s is not allowed on /v1/accounts (GET)", method);
		return api_accounts(a, conn);
	}
	rest = api_segment(path + 9, id, sizeof(id));
	if (strcmp(rest, "/key-rollover") != 0 && strcmp(rest, "/deactivate") != 0)
		return api_error(conn, MHD_HTTP_NOT_FOUND, "no such path");
	if (strcmp(method, "POST") != 0)
		return api_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "%s is not allowed here (POST)", method);
	if (!ids_valid(id))
		return api_error(conn, MHD_HTTP_NOT_FOUND, "not an account id");
	return api_account_action(a, conn, id, rest, req);
}

static enum MHD_Result
api_show(struct api *a, struct MHD_Connection *conn, const char *id)
{
	char err[512];
	PGresult *r;
	json_t *j, *problem, *ari;

	if (api_db(a, err, sizeof(err)) < 0)
		return api_unavailable(conn, err);
	if ((r = db_query(a->db, "api show", "SELECT c.id, c.status, hs.names, "
	    "c.key_type, ic.serial, " API_TS("ic.not_before") ", "
	    API_TS("ic.not_after") ", ic.issuer, " API_TS("c.renew_at") ", "
	    API_TS("c.created_at") ", c.last_problem_type, c.last_problem_detail, "
	    "(SELECT status FROM orders o WHERE o.certificate = c.id ORDER BY "
	    "o.created_at DESC LIMIT 1), (SELECT attempt FROM orders o WHERE "
	    "o.certificate = c.id ORDER BY o.created_at DESC LIMIT 1)::text, "
	    "coalesce((SELECT coalesce(o.ca, c.ca) FROM orders o WHERE o.id = "
	    "ic.order_id), (SELECT coalesce(o.ca, c.ca) FROM orders o WHERE "
	    "o.certificate = c.id ORDER BY o.created_at DESC LIMIT 1), c.ca), "
	    "array_to_json(ARRAY[c.ca] || c.fallback)::text, (SELECT "
	    "coalesce(json_agg(json_build_object('order', o.id, 'ca', "
	    "coalesce(o.ca, c.ca), 'status', o.status, 'attempt', o.attempt, "
	    "'created_at', " API_TS("o.created_at") ", 'problem', (SELECT p.type "
	    "FROM acme_problems p WHERE p.job_id = o.id ORDER BY p.id DESC LIMIT "
	    "1)) ORDER BY o.created_at, o.id), '[]')::text FROM orders o WHERE "
	    "o.certificate = c.id), "
	    "c.profile, ic.ari_cert_id, " API_TS("ic.ari_window_start") ", "
	    API_TS("ic.ari_window_end") ", ic.ari_explanation_url "
	    "FROM certificates c JOIN hostname_sets hs ON hs.id = c.hostname_set "
	    "LEFT JOIN issued_certificates ic ON ic.id = c.current_issued WHERE "
	    "c.id = $1", 1, &id, NULL, NULL, err, sizeof(err))) == NULL)
		return api_unavailable(conn, err);
	if (PQntuples(r) == 0) {
		PQclear(r);
		return api_error(conn, MHD_HTTP_NOT_FOUND, "no certificate %s", id);
	}
	problem = PQgetisnull(r, 0, 10) ? json_null() : json_pack("{s:o, s:o}",
	    "type", api_col(r, 0, 10), "detail", api_col(r, 0, 11));
	j = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
	    "s:o, s:o}",
	    "id", api_col(r, 0, 0), "status", api_col(r, 0, 1),
	    "hostnames", api_names_pg(PQgetvalue(r, 0, 2)),
	    "key_type", api_col(r, 0, 3), "serial", api_col(r, 0, 4),
	    "not_before", api_col(r, 0, 5), "not_after", api_col(r, 0, 6),
	    "issuer", api_col(r, 0, 7), "renew_at", api_col(r, 0, 8),
	    "created_at", api_col(r, 0, 9), "problem", problem,
	    "order_status", api_col(r, 0, 12), "order_attempt",
	    PQgetisnull(r, 0, 13) ? json_null() :
	    json_integer(atoi(PQgetvalue(r, 0, 13))));
	/* the CA that issued it (or works on it), the list, the orders */
	if (j != NULL) {
		json_object_set_new(j, "ca", api_col(r, 0, 14));
		json_object_set_new(j, "cas", json_loads(PQgetvalue(r, 0, 15), 0,
		    NULL));
		json_object_set_new(j, "history", json_loads(PQgetvalue(r, 0, 16),
		    0, NULL));
	}
	ari = json_pack("{s:o, s:o, s:o, s:o, s:o}",
	    "profile", api_col(r, 0, 17), "ari_cert_id", api_col(r, 0, 18),
	    "ari_window_start", api_col(r, 0, 19), "ari_window_end",
	    api_col(r, 0, 20), "ari_explanation_url", api_col(r, 0, 21));
	if (j != NULL && ari != NULL)
		json_object_update(j, ari);
	json_decref(ari);
	PQclear(r);
	if (j != NULL && api_show_chains(a, id, j, err, sizeof(err)) < 0) {
		json_decref(j);
		return api_unavailable(conn, err);
	}
	return api_json(conn, MHD_HTTP_OK, j);
}

static enum MHD_Result
api_fullchain(struct api *a, struct MHD_Connection *conn, const char *id)
{
	char err[512], *pem;
	PGresult *r;
	enum MHD_Result ret;
	size_t n;

	if (api_db(a, err, sizeof(err)) < 0)
		return api_unavailable(conn, err);
	if ((r = db_query(a->db, "api fullchain", "SELECT ic.cert_pem || "
	    "ic.chain_pem FROM certificates c JOIN issued_certificates ic ON "
	    "ic.id = c.current_issued WHERE c.id = $1", 1, &id, NULL, NULL, err,
	    sizeof(err))) == NULL)
		return api_unavailable(conn, err);
	if (PQntuples(r) == 0) {
		PQclear(r);
		return api_error(conn, MHD_HTTP_NOT_FOUND, "certificate %s is not "
		    "issued (or does not exist)", id);
	}
	pem = PQgetvalue(r, 0, 0);
	n = strlen(pem);
	ret = api_reply(conn, MHD_HTTP_OK, API_PEM_TYPE, pem, n);
	PQclear(r);
	return ret;
}

static enum MHD_Result
api_privkey(struct api *a, struct MHD_Connection *conn, const char *id)
{
	char err[512], aad[64], *pem;
	struct vault_box box;
	PGresult *r;
	size_t len;

	if (api_db(a, err, sizeof(err)) < 0)
		return api_unavailable(conn, err);
	if ((r = db_query(a->db, "api privkey", "SELECT pk.key_ciphertext, "
	    "pk.key_nonce, pk.key_tag, pk.key_id, pk.id FROM certificates c JOIN "
	    "issued_certificates ic ON ic.id = c.current_issued JOIN "
	    "private_keys pk ON pk.id = ic.private_key WHERE c.id = $1", 1, &id,
	    NULL, NULL, err, sizeof(err))) == NULL)
		return api_unavailable(conn, err);
	if (PQntuples(r) == 0) {
		PQclear(r);
		return api_error(conn, MHD_HTTP_NOT_FOUND, "certificate %s is not "
		    "issued (or does not exist)", id);
	}
	snprintf(aad, sizeof(aad), "private_keys:%s", PQgetvalue(r, 0, 4));
	if (db_box(r, 0, 0, &box) < 0) {
		PQclear(r);
		log_err("api: privkey of %s: stored key is malformed", id);
		return api_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the stored key is unreadable");
	}
	PQclear(r);
	pem = vault_open(a->v, &box, aad, &len, err, sizeof(err));
	vault_box_clear(&box);
	if (pem == NULL) {
		log_err("api: privkey of %s: %s", id, err);
		return api_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the stored key cannot be decrypted");
	}
	log_info("api: private key of certificate %s served", id);
	return api_reply_secret(conn, pem, len);
}

/* The account's key, or with pending its rollover's new key. */
static enum MHD_Result
api_account_key(struct api *a, struct MHD_Connection *conn, const char *id,
    int pending)
{
	char err[512], *pem = NULL;
	size_t len = 0;
	int found;

	if (api_db(a, err, sizeof(err)) < 0)
		return api_unavailable(conn, err);
	if ((found = pending ? actions_pending_key_pem(a->db, a->v, id, &pem,
	    &len, err, sizeof(err)) : accounts_key_pem(a->db, a->v, id, &pem,
	    &len, err, sizeof(err))) < 0) {
		log_err("api: account key %s: %s", id, err);
		return api_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the account key cannot be read");
	}
	if (found == 0)
		return api_error(conn, MHD_HTTP_NOT_FOUND, "no %saccount key %s",
		    pending ? "pending " : "", id);
	log_info("api: %saccount key %s served to a worker", pending ?
	    "pending " : "", id);
	return api_reply_secret(conn, pem, len);
}

/* The account's External Account Binding for the worker that registers it:
 * text/plain "kid=<key id>\nhmac=<MAC key, base64url>\n", 404 when none. */
static enum MHD_Result
api_account_eab(struct api *a, struct MHD_Connection *conn, const char *id)
{
	char err[512], *kid = NULL, *hmac = NULL, *body;
	size_t len = 0, blen;
	int found, n;

	if (api_db(a, err, sizeof(err)) < 0)
		return api_unavailable(conn, err);
	if ((found = accounts_eab(a->db, a->v, id, &kid, &hmac, &len, err,
	    sizeof(err))) < 0) {
		log_err("api: account EAB %s: %s", id, err);
		return api_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the external account binding cannot be read");
	}
	if (found == 0)
		return api_error(conn, MHD_HTTP_NOT_FOUND, "account %s has no "
		    "external account binding", id);
	blen = strlen(kid) + len + 16;
	if ((body = malloc(blen)) == NULL) {
		free(kid);
		vault_plain_free(hmac, len);
		return MHD_NO;
	}
	n = snprintf(body, blen, "kid=%s\nhmac=%.*s\n", kid, (int)len, hmac);
	free(kid);
	vault_plain_free(hmac, len);
	log_info("api: external account binding of %s served to a worker", id);
	return api_reply_secret_as(conn, body, (size_t)n, "text/plain");
}

/* Copies the id segment that starts path (up to '/' or the end) into id. */
static const char *
api_segment(const char *path, char *id, size_t idlen)
{
	size_t n = strcspn(path, "/");

	if (n >= idlen)
		n = idlen - 1;	/* too long: ids_valid rejects it */
	memcpy(id, path, n);
	id[n] = '\0';
	return path + strcspn(path, "/");
}

/* POST /v1/certificates/{id}/renew: a renewal order now. */
static enum MHD_Result
api_renew(struct api *a, struct MHD_Connection *conn, const char *id)
{
	char err[512], oid[IDS_LEN + 1];
	int n;

	if (api_db(a, err, sizeof(err)) < 0)
		return api_unavailable(conn, err);
	if ((n = renew_now(a->db, a->v, id, oid, err, sizeof(err))) < 0) {
		log_err("api: renew %s: %s", id, err);
		return api_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the renewal could not be stored; nothing was written");
	}
	if (n == 0)
		return api_error(conn, MHD_HTTP_NOT_FOUND, "no issued certificate "
		    "%s to renew", id);
	if (n == 2)
		return api_error(conn, MHD_HTTP_CONFLICT, "certificate %s has an "
		    "order in flight already", id);
	return api_json(conn, MHD_HTTP_ACCEPTED, json_pack("{s:s, s:s}", "id",
	    id, "order", oid));
}

static enum MHD_Result
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
	if (strcmp(path, "accounts") == 0 || strncmp(path, "accounts/", 9) == 0)
		return api_route_accounts(a, conn, path, method, req);
	if (strncmp(path, "certificates/", 13) != 0)
		return api_error(conn, MHD_HTTP_NOT_FOUND, "no such path");
	rest = api_segment(path + 13, id, sizeof(id));
	if (strcmp(rest, "/revoke") == 0 || strcmp(rest, "/renew") == 0) {
		if (strcmp(method, "POST") != 0)
			return api_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
			    "%s is not allowed here (POST)", method);
		if (!ids_valid(id))
			return api_error(conn, MHD_HTTP_NOT_FOUND,
			    "not a certificate id");
		if (strcmp(rest, "/renew") == 0)
			return api_renew(a, conn, id);
		return api_revoke(a, conn, id, req);
	}
	if (strcmp(rest, "") != 0 && strcmp(rest, "/fullchain.pem") != 0 &&
	    strcmp(rest, "/privkey.pem") != 0)
		return api_error(conn, MHD_HTTP_NOT_FOUND, "no such path");
	if (!get)
		return api_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "%s is not allowed here (GET)", method);
	if (!ids_valid(id))
		return api_error(conn, MHD_HTTP_NOT_FOUND, "not a certificate id");
	if (rest[0] == '\0')
		return api_show(a, conn, id);
	if (strcmp(rest, "/fullchain.pem") == 0)
		return api_fullchain(a, conn, id);
	return api_privkey(a, conn, id);
}

static enum MHD_Result
api_route_internal(struct api *a, struct MHD_Connection *conn,
    const char *path, const char *method)
{
	char id[IDS_LEN + 2];
	const char *rest;

	if (strncmp(path, "accounts/", 9) != 0)
		return api_error(conn, MHD_HTTP_NOT_FOUND, "no such path");
	rest = api_segment(path + 9, id, sizeof(id));
	if (strcmp(rest, "/key") != 0 && strcmp(rest, "/eab") != 0 &&
	    strcmp(rest, "/pending-key") != 0)
		return api_error(conn, MHD_HTTP_NOT_FOUND, "no such path");
	if (strcmp(method, "GET") != 0)
		return api_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "%s is not allowed here (GET)", method);
	if (!ids_valid(id))
		return api_error(conn, MHD_HTTP_NOT_FOUND, "not an account id");
	if (strcmp(rest, "/eab") == 0)
		return api_account_eab(a, conn, id);
	return api_account_key(a, conn, id, strcmp(rest, "/pending-key") == 0);
}

static enum MHD_Result
api_handler(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **state)
{
	struct api *a = cls;
	struct api_req *req = *state;
	const char *cl;
	char *nb;

	(void)version;
	if (req == NULL) {
		if ((req = calloc(1, sizeof(*req))) == NULL)
			return MHD_NO;
		*state = req;
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL && strtoull(cl, NULL, 10) > API_MAX_BODY)
			req->toobig = 1;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (!req->toobig && req->len + *upload_size <= API_MAX_BODY) {
			if ((nb = realloc(req->body, req->len + *upload_size +
			    1)) == NULL)
				return MHD_NO;
			req->body = nb;
			memcpy(req->body + req->len, upload, *upload_size);
			req->len += *upload_size;
			req->body[req->len] = '\0';
		} else
			req->toobig = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	if (strncmp(url, "/v1/", 4) == 0) {
		if (!api_authorized(conn, a->admin))
			return api_error(conn, MHD_HTTP_UNAUTHORIZED,
			    "missing or wrong bearer token (CERTFLEET_TOKEN)");
		return api_route_v1(a, conn, url + 4, method, req);
	}
	if (strncmp(url, "/internal/v1/", 13) == 0) {
		if (!api_authorized(conn, a->worker))
			return api_error(conn, MHD_HTTP_UNAUTHORIZED,
			    "missing or wrong bearer token (CERTFLEET_WORKER_TOKEN)");
		return api_route_internal(a, conn, url + 13, method);
	}
	return api_error(conn, MHD_HTTP_NOT_FOUND, "no such path");
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
		free(req->body);
		free(req);
		*state = NULL;
	}
}

struct api *
api_start(const struct settings *s, const struct vault *v, char *err,
    size_t errlen)
{
	struct sockaddr_in sin;
	struct api *a;

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
	a->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_ERROR_LOG, 0, NULL, NULL, api_handler, a,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)256,
	    MHD_OPTION_NOTIFY_COMPLETED, api_completed, NULL,
	    MHD_OPTION_END);
	if (a->mhd == NULL) {
		snprintf(err, errlen, "api: cannot listen on %s:%d", s->api_host,
		    s->api_port);
		free(a);
		return NULL;
	}
	log_info("api listening on http://%s:%d", s->api_host, s->api_port);
	return a;
}

void
api_stop(struct api *a)
{
	if (a == NULL)
		return;
	MHD_stop_daemon(a->mhd);
	if (a->db != NULL)
		PQfinish(a->db);
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}
