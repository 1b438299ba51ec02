/* api_accounts.c -- the /v1/accounts endpoints: list the ACME accounts, roll over an account key, deactivate an account. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "actions.h"
#include "api_int.h"
#include "db.h"
#include "ids.h"
#include "keys.h"

static enum MHD_Result
api_accounts(struct api *a, struct MHD_Connection *conn)
{
	char err[512];
	PGresult *r;
	json_t *arr;
	int i;

	if (api_db(a, err, sizeof(err)) < 0)
		return api_unavailable(conn, err);
	/* current: the account of the directory its CA has now; the others
	 * belong to directories the CA was pointed at before. */
	if ((r = db_query(a->db, "api accounts", "SELECT a.id, a.ca, "
	    "a.key_type, a.status, a.account_url, " API_TS("a.key_rolled_at")
	    ", " API_TS("a.deactivated_at") ", a.directory_url, "
	    "ca.directory_url IS NOT DISTINCT FROM a.directory_url FROM "
	    "acme_accounts a LEFT JOIN cas ca ON ca.name = a.ca ORDER BY "
	    "a.created_at, a.id", 0, NULL, NULL, NULL, err, sizeof(err))) == NULL)
		return api_unavailable(conn, err);
	arr = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(arr, json_pack("{s:o, s:o, s:o, s:o, s:o, "
		    "s:o, s:o, s:o, s:b}", "id", api_col(r, i, 0), "ca",
		    api_col(r, i, 1), "key_type", api_col(r, i, 2), "status",
		    api_col(r, i, 3), "account_url", api_col(r, i, 4),
		    "key_rolled_at", api_col(r, i, 5), "deactivated_at",
		    api_col(r, i, 6), "directory_url", api_col(r, i, 7), "current",
		    strcmp(PQgetvalue(r, i, 8), "t") == 0));
	PQclear(r);
	return api_json(conn, MHD_HTTP_OK, json_pack("{s:o}", "accounts", arr));
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

/* /v1/accounts[/{id}/key-rollover|/deactivate] */
enum MHD_Result
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
