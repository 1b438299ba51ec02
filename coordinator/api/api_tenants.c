/* api_tenants.c -- /v1/tenants: the tenants and their quotas (GET the list, PUT /v1/tenants/{name} {"max_live", "max_orders_per_hour"}). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api_int.h"
#include "db.h"
#include "tenant.h"

/* GET /v1/tenants: each tenant, its quotas (null: none) and live count. */
static enum MHD_Result
api_tenants_list(struct api *a, struct MHD_Connection *conn)
{
	PGresult *r;
	json_t *arr;
	char err[512];
	int i;

	if (api_db(a, err, sizeof(err)) < 0)
		return api_unavailable(conn, err);
	if ((r = db_query(a->db, "api tenants", "SELECT t.name, t.max_live, "
	    "t.max_orders_per_hour, (SELECT count(*) FROM certificates c WHERE "
	    "c.tenant = t.name AND c.status IN ('pending', 'issued')) FROM "
	    "tenants t ORDER BY t.name", 0, NULL, NULL, NULL, err,
	    sizeof(err))) == NULL)
		return api_unavailable(conn, err);
	arr = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(arr, json_pack("{s:o, s:o, s:o, s:I}",
		    "name", api_col(r, i, 0), "max_live", PQgetisnull(r, i, 1) ?
		    json_null() : json_integer(strtoll(PQgetvalue(r, i, 1), NULL,
		    10)), "max_orders_per_hour", PQgetisnull(r, i, 2) ?
		    json_null() : json_integer(strtoll(PQgetvalue(r, i, 2), NULL,
		    10)), "live", (json_int_t)strtoll(PQgetvalue(r, i, 3), NULL,
		    10)));
	PQclear(r);
	return api_json(conn, MHD_HTTP_OK, json_pack("{s:o}", "tenants", arr));
}

int
api_limit_field(json_t *root, const char *field, long long *out, char *err,
    size_t errlen)
{
	json_t *v = json_object_get(root, field);

	*out = -1;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		snprintf(err, errlen, "%s must be a whole number >= 0, or null "
		    "for no limit", field);
		return -1;
	}
	*out = (long long)json_integer_value(v);
	return 0;
}

/* PUT /v1/tenants/{name}: sets both quotas (an absent one: no limit). */
static enum MHD_Result
api_tenant_put(struct api *a, struct MHD_Connection *conn, const char *name,
    struct api_req *req)
{
	long long live, hour;
	json_error_t je;
	json_t *root;
	const char *k;
	json_t *v;
	char err[512];

	if (!tenant_name_ok(name))
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "not a tenant name");
	if ((root = json_loadb(req->body != NULL ? req->body : "", req->len,
	    JSON_REJECT_DUPLICATES, &je)) == NULL || !json_is_object(root)) {
		json_decref(root);
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "the body must be "
		    "{\"max_live\": N|null, \"max_orders_per_hour\": N|null}");
	}
	json_object_foreach(root, k, v) {
		if (strcmp(k, "max_live") != 0 &&
		    strcmp(k, "max_orders_per_hour") != 0) {
			json_decref(root);
			return api_error(conn, MHD_HTTP_BAD_REQUEST, "unknown field "
			    "\"%.40s\"", k);
		}
	}
	if (api_limit_field(root, "max_live", &live, err, sizeof(err)) < 0 ||
	    api_limit_field(root, "max_orders_per_hour", &hour, err,
	    sizeof(err)) < 0) {
		json_decref(root);
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "%s", err);
	}
	json_decref(root);
	if (api_db(a, err, sizeof(err)) < 0 ||
	    tenant_set(a->db, name, live, hour, err, sizeof(err)) < 0)
		return api_unavailable(conn, err);
	return api_json(conn, MHD_HTTP_OK, json_pack("{s:s, s:o, s:o}", "name",
	    name, "max_live", live < 0 ? json_null() : json_integer(live),
	    "max_orders_per_hour", hour < 0 ? json_null() :
	    json_integer(hour)));
}

enum MHD_Result
api_route_tenants(struct api *a, struct MHD_Connection *conn,
    const char *path, const char *method, struct api_req *req)
{
	if (strcmp(path, "tenants") == 0) {
		if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
			return api_tenants_list(a, conn);
		return api_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "%s is not allowed on /v1/tenants (GET)", method);
	}
	if (strcmp(method, "PUT") != 0)
		return api_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "%s is not allowed on /v1/tenants/{name} (PUT)", method);
	return api_tenant_put(a, conn, path + 8, req);
}
