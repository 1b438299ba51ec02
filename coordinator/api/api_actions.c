/* api_actions.c -- GET /v1/actions/{id}: where a revocation, key rollover or deactivation is (pending, done, failed) and the CA's last problem. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "api_int.h"
#include "db.h"
#include "ids.h"

/* The action's row as JSON; NULL when the row does not build. */
static json_t *
api_action_json(const PGresult *r)
{
	json_t *problem = json_null();

	if (!PQgetisnull(r, 0, 7))
		problem = json_pack("{s:o, s:o}", "type", api_col(r, 0, 7),
		    "detail", api_col(r, 0, 8));
	return json_pack("{s:o, s:o, s:o, s:I, s:o, s:o, s:o, s:o, s:o, s:o, "
	    "s:o}", "id", api_col(r, 0, 0), "kind", api_col(r, 0, 1), "status",
	    api_col(r, 0, 2), "attempt", (json_int_t)atoll(PQgetvalue(r, 0, 3)),
	    "account", api_col(r, 0, 4), "certificate", api_col(r, 0, 5),
	    "issued_certificate", api_col(r, 0, 6), "problem", problem,
	    "reason", api_col(r, 0, 9), "created_at", api_col(r, 0, 10),
	    "updated_at", api_col(r, 0, 11));
}

static enum MHD_Result
api_action_show(struct api *a, struct MHD_Connection *conn, const char *id)
{
	char err[512];
	PGresult *r;
	json_t *j;

	if (api_db(a, err, sizeof(err)) < 0)
		return api_unavailable(conn, err);
	if ((r = db_query(a->db, "api action", "SELECT x.id, x.kind, x.status, "
	    "x.attempt, x.account, ic.certificate, x.issued_certificate, "
	    "x.problem_type, coalesce(x.problem_detail, ''), x.reason::text, "
	    API_TS("x.created_at") ", " API_TS("x.updated_at") " FROM ca_actions "
	    "x LEFT JOIN issued_certificates ic ON ic.id = x.issued_certificate "
	    "WHERE x.id = $1", 1, &id, NULL, NULL, err, sizeof(err))) == NULL)
		return api_unavailable(conn, err);
	if (PQntuples(r) == 0) {
		PQclear(r);
		return api_error(conn, MHD_HTTP_NOT_FOUND, "no action %s", id);
	}
	j = api_action_json(r);
	PQclear(r);
	if (j == NULL)
		return api_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the action does not encode");
	return api_json(conn, MHD_HTTP_OK, j);
}

enum MHD_Result
api_route_actions(struct api *a, struct MHD_Connection *conn,
    const char *path, const char *method)
{
	char id[IDS_LEN + 2];
	const char *rest;

	rest = api_segment(path + 8, id, sizeof(id));
	if (rest[0] != '\0')
		return api_error(conn, MHD_HTTP_NOT_FOUND, "no such path");
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return api_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "%s is not allowed here (GET)", method);
	if (!ids_valid(id))
		return api_error(conn, MHD_HTTP_NOT_FOUND, "not an action id");
	return api_action_show(a, conn, id);
}
