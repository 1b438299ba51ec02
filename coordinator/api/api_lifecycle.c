/* api_lifecycle.c -- DELETE /v1/certificates/{id}, POST .../disable|enable|names|ca and GET .../changes: a certificate's lifecycle (orders/lifecycle.c), each change in one transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acme.h"
#include "api_int.h"
#include "camovereq.h"
#include "db.h"
#include "ids.h"
#include "lifecycle.h"
#include "log.h"

#define API_CHANGES_MAX "200"	/* changes GET .../changes lists, newest first */
#define API_LIFECYCLE_TRIES 3	/* runs of a change's transaction on deadlock */

int
api_lifecycle_path(const char *rest, const char *method)
{
	return (rest[0] == '\0' && strcmp(method, "DELETE") == 0) ||
	    strcmp(rest, "/disable") == 0 || strcmp(rest, "/enable") == 0 ||
	    strcmp(rest, "/names") == 0 || strcmp(rest, "/ca") == 0 ||
	    strcmp(rest, "/changes") == 0;
}

/* The reply of a change: 200 (202 when an order was queued) with what it
 * did, or the error of its status. The caller committed or rolled back. */
static enum MHD_Result
api_lifecycle_reply(struct MHD_Connection *conn, enum lifecycle_status st,
    const char *id, const char *action, const struct lifecycle_result *res,
    const char *revoke_action, const char *err)
{
	json_t *j;

	switch (st) {
	case LIFECYCLE_DONE:
	case LIFECYCLE_UNCHANGED:
		break;
	case LIFECYCLE_NOT_FOUND:
		return api_error(conn, MHD_HTTP_NOT_FOUND, "%s", err);
	case LIFECYCLE_CONFLICT:
		return api_error(conn, MHD_HTTP_CONFLICT, "%s", err);
	case LIFECYCLE_BAD:
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "%s", err);
	case LIFECYCLE_QUOTA:	/* as an enrollment's quota refusal */
		return api_error(conn, MHD_HTTP_TOO_MANY_REQUESTS, "%s", err);
	default:
		log_err("api: %s %s: %s", action, id, err);
		return api_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the change could not be stored; nothing was written");
	}
	j = json_pack("{s:s, s:s, s:b, s:s, s:s, s:I}", "id", id, "action",
	    action, "changed", st == LIFECYCLE_DONE, "previous_status",
	    res->from, "status", res->to, "orders_cancelled",
	    (json_int_t)res->cancelled);
	if (j != NULL) {
		json_object_set_new(j, "order", res->order[0] != '\0' ?
		    json_string(res->order) : json_null());
		json_object_set_new(j, "revocation", revoke_action != NULL &&
		    revoke_action[0] != '\0' ? json_string(revoke_action) :
		    json_null());
		if (strcmp(action, "ca") == 0)
			json_object_set_new(j, "renewal_due",
			    json_boolean(res->renewal_due));
	}
	return api_json(conn, res->order[0] != '\0' ? MHD_HTTP_ACCEPTED :
	    MHD_HTTP_OK, j);
}

/* The revocation a DELETE asks for: ?revoke=true (and ?reason=NAME|CODE,
 * default unspecified). Returns 1 with *reason, 0 when none is asked, -1
 * with a message for the client. */
static int
api_lifecycle_revoke_arg(struct MHD_Connection *conn, int *reason, char *err,
    size_t errlen)
{
	const char *rv, *rs;

	rv = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "revoke");
	rs = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "reason");
	*reason = 0;
	if (rv == NULL || strcmp(rv, "false") == 0) {
		if (rs == NULL)
			return 0;
		snprintf(err, errlen, "reason is only taken with revoke=true");
		return -1;
	}
	if (strcmp(rv, "true") != 0) {
		snprintf(err, errlen, "revoke must be true or false");
		return -1;
	}
	if (rs != NULL && (*reason = acme_revoke_reason_parse(rs)) < 0) {
		snprintf(err, errlen, "reason must be unspecified (0), "
		    "keyCompromise (1), affiliationChanged (3), superseded (4) or "
		    "cessationOfOperation (5)");
		return -1;
	}
	return 1;
}

int
api_lifecycle_retry(struct api *a, int tries)
{
	char st[6];

	if (tries >= API_LIFECYCLE_TRIES ||
	    db_fault(a->db, st) != DB_FAULT_TRANSIENT ||
	    strncmp(st, "40", 2) != 0)
		return 0;
	log_warn("api: a lifecycle change met a %s (deadlock or serialization "
	    "failure): its transaction runs again", st);
	db_fault_clear(a->db);
	return 1;
}

int
api_lifecycle_batch_end(struct api *a, int complete, int *tries, char *err,
    size_t errlen)
{
	if (!complete) {
		db_rollback(a->db);
		return api_lifecycle_retry(a, ++*tries) ? 1 : -1;
	}
	if (db_commit(a->db, err, errlen) < 0) {
		db_rollback(a->db);
		return -1;
	}
	return 0;
}

/* Commits a change that went through, rolls back any other. */
static enum lifecycle_status
api_lifecycle_end(struct api *a, enum lifecycle_status st, char *err,
    size_t errlen)
{
	if (st == LIFECYCLE_DONE || st == LIFECYCLE_UNCHANGED) {
		if (db_commit(a->db, err, errlen) == 0)
			return st;
		st = LIFECYCLE_ERROR;
	}
	db_rollback(a->db);
	return st;
}

/* DELETE /v1/certificates/{id}[?revoke=true&reason=R]: the revocation (if
 * asked) and the deletion in one transaction; a revocation the CA cannot
 * take (not issued, revoked already) refuses the whole request. */
static enum MHD_Result
api_delete(struct api *a, struct MHD_Connection *conn, const char *id)
{
	struct lifecycle_result res = { 0 };
	enum lifecycle_status st;
	enum actions_status ast = ACTIONS_QUEUED;
	char err[512], client[LIFECYCLE_CLIENT_MAX + 1], aid[IDS_LEN + 1] = "";
	int reason, revoke, tries = 0;

	if ((revoke = api_lifecycle_revoke_arg(conn, &reason, err,
	    sizeof(err))) < 0)
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "%s", err);
	if (api_db(a, err, sizeof(err)) < 0)
		return api_unavailable(conn, err);
	api_edge_client(conn, client, sizeof(client));
	db_fault_clear(a->db);
again:
	if (db_begin(a->db, err, sizeof(err)) < 0)
		return api_unavailable(conn, err);
	if (revoke && (ast = actions_revoke_in(a->db, id, reason, aid, err,
	    sizeof(err))) != ACTIONS_QUEUED) {
		db_rollback(a->db);
		if (ast == ACTIONS_ERROR && api_lifecycle_retry(a, ++tries))
			goto again;
		if (ast == ACTIONS_CONFLICT)
			return api_error(conn, MHD_HTTP_CONFLICT, "%s; nothing was "
			    "deleted (delete without revoke=true to keep it valid "
			    "at the CA)", err);
		return api_action_reply(conn, ast, aid, "delete", err);
	}
	st = lifecycle_delete(a->db, id, aid, client, &res, err, sizeof(err));
	st = api_lifecycle_end(a, st, err, sizeof(err));
	if (st == LIFECYCLE_ERROR && api_lifecycle_retry(a, ++tries))
		goto again;
	return api_lifecycle_reply(conn, st, id, "delete", &res, aid, err);
}

/* The body of POST .../ca into mr, its CAs checked against the
 * configuration (a CA to move to must be configured here). Returns 0, or
 * -1 with a message for the client. */
static int
api_lifecycle_cas(struct api *a, const struct api_req *req,
    struct camovereq *mr, char *err, size_t errlen)
{
	if (req->toobig) {
		snprintf(err, errlen, "the body is over %d bytes", API_MAX_BODY);
		return -1;
	}
	if (camovereq_parse(req->body != NULL ? req->body : "", req->len, 0,
	    mr, err, errlen) < 0)
		return -1;
	return camovereq_check(mr, &a->s->cas, err, errlen);
}

/* POST .../disable, .../enable (body ignored but capped), .../names,
 * .../ca. */
static enum MHD_Result
api_lifecycle_change(struct api *a, struct MHD_Connection *conn,
    const char *id, const char *rest, struct api_req *req)
{
	struct lifecycle_result res = { 0 };
	struct lifecycle_names ln = { 0 };
	struct camovereq mr;
	const char *list[CAS_LIST_MAX];
	enum lifecycle_status st;
	char err[512], client[LIFECYCLE_CLIENT_MAX + 1];
	int names = strcmp(rest, "/names") == 0, tries = 0;
	int ca = strcmp(rest, "/ca") == 0;

	if (names && lifecycle_names_parse(req->body != NULL ? req->body : "",
	    req->len, &ln, err, sizeof(err)) < 0)
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "%s", err);
	if (ca && api_lifecycle_cas(a, req, &mr, err, sizeof(err)) < 0)
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "%s", err);
	api_edge_client(conn, client, sizeof(client));
	if (api_db(a, err, sizeof(err)) < 0) {
		lifecycle_names_free(&ln);
		return api_unavailable(conn, err);
	}
	db_fault_clear(a->db);
again:
	if (db_begin(a->db, err, sizeof(err)) < 0) {
		lifecycle_names_free(&ln);
		return api_unavailable(conn, err);
	}
	if (names)
		st = lifecycle_names(a->db, a->v, id, &ln, client, &res, err,
		    sizeof(err));
	else if (ca)
		st = lifecycle_ca(a->db, id, list, camovereq_list(&mr, list),
		    mr.now, client, &res, err, sizeof(err));
	else if (strcmp(rest, "/disable") == 0)
		st = lifecycle_disable(a->db, id, client, &res, err, sizeof(err));
	else
		st = lifecycle_enable(a->db, a->v, id, client, &res, err,
		    sizeof(err));
	st = api_lifecycle_end(a, st, err, sizeof(err));
	if (st == LIFECYCLE_ERROR && api_lifecycle_retry(a, ++tries))
		goto again;
	lifecycle_names_free(&ln);
	return api_lifecycle_reply(conn, st, id, rest + 1, &res, NULL, err);
}

/* GET .../changes: the certificate's lifecycle changes, newest first. */
static enum MHD_Result
api_changes(struct api *a, struct MHD_Connection *conn, const char *id)
{
	char err[512];
	PGresult *r;
	json_t *j;

	if (api_db(a, err, sizeof(err)) < 0)
		return api_unavailable(conn, err);
	if ((r = db_query(a->db, "api changes", "SELECT (SELECT count(*) FROM "
	    "certificates WHERE id = $1), coalesce((SELECT json_agg(x) FROM "
	    "(SELECT action, from_status, to_status, names_added, names_dropped, "
	    "order_id AS order, orders_cancelled, revoke_action AS revocation, "
	    "client, cas_before, cas_after, " API_TS("created_at") " AS at FROM "
	    "certificate_changes "
	    "WHERE certificate = $1 ORDER BY id DESC LIMIT " API_CHANGES_MAX
	    ") x), '[]')::text", 1, &id, NULL, NULL, err,
	    sizeof(err))) == NULL)
		return api_unavailable(conn, err);
	if (strcmp(PQgetvalue(r, 0, 0), "0") == 0) {
		PQclear(r);
		return api_error(conn, MHD_HTTP_NOT_FOUND, "no certificate %s", id);
	}
	j = json_pack("{s:s, s:o}", "id", id, "changes",
	    json_loads(PQgetvalue(r, 0, 1), 0, NULL));
	PQclear(r);
	return api_json(conn, MHD_HTTP_OK, j);
}

enum MHD_Result
api_route_lifecycle(struct api *a, struct MHD_Connection *conn,
    const char *id, const char *rest, const char *method,
    struct api_req *req)
{
	int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

	if (strcmp(rest, "/changes") == 0 ? !get : rest[0] != '\0' &&
	    strcmp(method, "POST") != 0)
		return api_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "%s is not allowed here (%s)", method,
		    strcmp(rest, "/changes") == 0 ? "GET" : "POST");
	if (!ids_valid(id))
		return api_error(conn, MHD_HTTP_NOT_FOUND, "not a certificate id");
	if (rest[0] == '\0')
		return api_delete(a, conn, id);
	if (get)
		return api_changes(a, conn, id);
	return api_lifecycle_change(a, conn, id, rest, req);
}
