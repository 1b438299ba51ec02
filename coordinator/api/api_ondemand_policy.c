/* api_ondemand_policy.c -- on-demand issuance in the admin API: the policy, counters, queue and recent decisions (GET /v1/on-demand), a tenant's allow-list and limits (GET, PUT /v1/tenants/{name}/on-demand). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "api_int.h"
#include "log.h"
#include "odpolicy.h"
#include "odqueue.h"
#include "odstats.h"

int
api_ondemand_path(const char *path)
{
	size_t n = strlen(path), t = sizeof("/on-demand") - 1;

	if (strcmp(path, "on-demand") == 0)
		return 1;
	return strncmp(path, "tenants/", 8) == 0 && n > 8 + t &&
	    strcmp(path + n - t, "/on-demand") == 0;
}

/* The webhook URL without user, password and query: what may be shown. */
static json_t *
api_od_hook(const char *url)
{
	char *shown = NULL;
	json_t *j;
	CURLU *u;

	if (url == NULL || (u = curl_url()) == NULL)
		return json_null();
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_USER, NULL, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_QUERY, NULL, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &shown, 0) != CURLUE_OK)
		shown = NULL;
	j = shown != NULL ? json_string(shown) : json_string("(set)");
	curl_free(shown);
	curl_url_cleanup(u);
	return j;
}

/* GET /v1/on-demand. */
static enum MHD_Result
api_od_overview(struct api *a, struct MHD_Connection *conn)
{
	const struct odconf *c = &a->s->od;
	json_t *counters, *queue, *tenants, *recent, *policy;
	char err[512];
	int i;

	if (api_db(a, err, sizeof(err)) < 0)
		return api_unavailable(conn, err);
	counters = json_object();
	for (i = 0; i < ODSTATS_N; i++)
		json_object_set_new(counters, odstats_name(i),
		    json_integer((json_int_t)odstats_get(i)));
	if ((queue = odqueue_overview(a->db, err, sizeof(err))) == NULL ||
	    (tenants = odpolicy_list(a->db, err, sizeof(err))) == NULL) {
		json_decref(counters);
		json_decref(queue);
		return api_unavailable(conn, err);
	}
	recent = json_incref(json_object_get(queue, "recent"));
	json_object_del(queue, "recent");
	policy = json_pack("{s:I, s:I, s:I, s:{s:o, s:I, s:I, s:I}, s:I, s:b, "
	    "s:b}", "deny_ttl", (json_int_t)c->deny_ttl_s, "per_minute",
	    (json_int_t)c->per_minute, "max_pending", (json_int_t)c->max_pending,
	    "webhook", "url", api_od_hook(c->ask_url), "timeout_ms",
	    (json_int_t)c->ask_timeout_ms, "cache", (json_int_t)c->ask_cache_s,
	    "error_ttl", (json_int_t)c->ask_error_ttl_s, "autocert_wait_ms",
	    (json_int_t)c->autocert_wait_ms, "edge_networks",
	    a->s->edge_networks.n > 0, "edge_token", c->edge_token != NULL);
	return api_json(conn, MHD_HTTP_OK, json_pack("{s:o, s:o, s:o, s:o, "
	    "s:o}", "policy", policy, "counters", counters, "queue", queue,
	    "tenants", tenants, "recent", recent));
}

/* The "allow" member of a PUT: entries parsed, normalized, sorted, unique
 * into *es (*n of them). 0, or -1 with a message for the client. */
static int
api_od_entries(json_t *allow, struct allowlist_entry **es, size_t *n,
    char *err, size_t errlen)
{
	char why[200], a[HOSTNAME_MAX + 1], b[HOSTNAME_MAX + 1];
	size_t i, k = 0, j;
	json_t *v;

	*es = NULL;
	*n = 0;
	if (allow != NULL && !json_is_array(allow)) {
		snprintf(err, errlen, "allow must be an array of names");
		return -1;
	}
	if (json_array_size(allow) > ALLOWLIST_MAX_ENTRIES) {
		snprintf(err, errlen, "allow holds more than %d entries",
		    ALLOWLIST_MAX_ENTRIES);
		return -1;
	}
	if ((*es = calloc(json_array_size(allow) + 1, sizeof(**es))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	json_array_foreach(allow, i, v) {
		if (!json_is_string(v) || strlen(json_string_value(v)) !=
		    json_string_length(v) || allowlist_parse(json_string_value(v),
		    &(*es)[i], why, sizeof(why)) < 0) {
			snprintf(err, errlen, "allow[%zu] is not a host name or "
			    "*.<host name>%s%s", i, json_is_string(v) ? ": it " : "",
			    json_is_string(v) ? why : "");
			return -1;
		}
	}
	/* drop duplicates (the table's key is the entry) */
	for (i = 0; i < json_array_size(allow); i++) {
		allowlist_format(&(*es)[i], a);
		for (j = 0; j < k; j++) {
			allowlist_format(&(*es)[j], b);
			if (strcmp(a, b) == 0)
				break;
		}
		if (j == k)
			(*es)[k++] = (*es)[i];
	}
	*n = k;
	return 0;
}

/* PUT /v1/tenants/{name}/on-demand {"allow", "per_minute", "max_pending"}. */
static enum MHD_Result
api_od_put(struct api *a, struct MHD_Connection *conn, const char *tenant,
    struct api_req *req)
{
	struct allowlist_entry *es = NULL;
	long long pm, mp;
	json_t *root, *v, *out;
	json_error_t je;
	const char *k;
	char err[600];
	size_t n = 0;
	int rc;

	if ((root = json_loadb(req->body != NULL ? req->body : "", req->len,
	    JSON_REJECT_DUPLICATES, &je)) == NULL || !json_is_object(root)) {
		json_decref(root);
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "the body must be "
		    "{\"allow\": [...], \"per_minute\": N|null, \"max_pending\": "
		    "N|null}");
	}
	rc = 0;
	json_object_foreach(root, k, v)
		if (rc == 0 && strcmp(k, "allow") != 0 && strcmp(k, "per_minute")
		    != 0 && strcmp(k, "max_pending") != 0) {
			snprintf(err, sizeof(err), "unknown field \"%.40s\"", k);
			rc = -1;
		}
	if (rc < 0 || api_od_entries(json_object_get(root, "allow"), &es, &n,
	    err, sizeof(err)) < 0 || api_limit_field(root, "per_minute", &pm, err,
	    sizeof(err)) < 0 || api_limit_field(root, "max_pending", &mp, err,
	    sizeof(err)) < 0) {
		json_decref(root);
		free(es);
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "%s", err);
	}
	json_decref(root);
	if (api_db(a, err, sizeof(err)) < 0 || (rc = odpolicy_set(a->db, tenant,
	    es, n, pm, mp, err, sizeof(err))) < 0 || (rc == 1 &&
	    odpolicy_get(a->db, tenant, &out, err, sizeof(err)) < 1)) {
		free(es);
		return api_unavailable(conn, err);
	}
	free(es);
	if (rc == 0)
		return api_error(conn, MHD_HTTP_CONFLICT, "%s", err);
	log_info("api: on-demand policy of tenant %s set: %zu allow-list "
	    "entries", tenant, n);
	return api_json(conn, MHD_HTTP_OK, out);
}

enum MHD_Result
api_route_ondemand(struct api *a, struct MHD_Connection *conn,
    const char *path, const char *method, struct api_req *req)
{
	char tenant[TENANT_NAME_MAX + 2], err[512];
	int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0, n;
	size_t len;
	json_t *out;

	if (strcmp(path, "on-demand") == 0) {
		if (get)
			return api_od_overview(a, conn);
		return api_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "%s is not allowed on /v1/on-demand (GET)", method);
	}
	len = strlen(path) - 8 - (sizeof("/on-demand") - 1);
	if (len >= sizeof(tenant))
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "not a tenant name");
	memcpy(tenant, path + 8, len);
	tenant[len] = '\0';
	if (!tenant_name_ok(tenant))
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "not a tenant name");
	if (strcmp(method, "PUT") == 0)
		return api_od_put(a, conn, tenant, req);
	if (!get)
		return api_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "%s is not "
		    "allowed on /v1/tenants/{name}/on-demand (GET, PUT)", method);
	if (api_db(a, err, sizeof(err)) < 0 || (n = odpolicy_get(a->db, tenant,
	    &out, err, sizeof(err))) < 0)
		return api_unavailable(conn, err);
	if (n == 0)
		return api_error(conn, MHD_HTTP_NOT_FOUND, "no tenant %s", tenant);
	return api_json(conn, MHD_HTTP_OK, out);
}
