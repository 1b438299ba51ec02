/* api_certificates.c -- the /v1/certificates/{id} endpoints: show, renew, revoke (enroll: api_enroll.c; list and count: api_search.c; files: api_export.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "acme.h"
#include "actions.h"
#include "api_int.h"
#include "db.h"
#include "ids.h"
#include "log.h"
#include "renew.h"
#include "vault.h"

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
	    "ic.chain_issuer, " API_TS("ic.imported_at") " FROM certificates c "
	    "LEFT JOIN issued_certificates "
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
		/* issued elsewhere and imported (api_import.c), or null */
		json_object_set_new(j, "imported_at", api_col(r, 0, 4));
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

enum MHD_Result
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
	    API_TS("ic.ari_window_end") ", ic.ari_explanation_url, c.tenant, "
	    "c.labels::text, c.renewal_failures::text FROM certificates c JOIN "
	    "hostname_sets hs ON hs.id = "
	    "c.hostname_set "
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
	if (j != NULL) {
		json_object_set_new(j, "tenant", api_col(r, 0, 22));
		/* renewals the CA refused for good in a row (results_order.c):
		 * with renew_at null, renewals stopped */
		json_object_set_new(j, "renewal_failures",
		    json_integer(atoi(PQgetvalue(r, 0, 24))));
		json_object_set_new(j, "labels", json_loads(PQgetvalue(r, 0, 23),
		    0, NULL));
	}
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

/* POST /v1/certificates/{id}/renew: a renewal order now. */
enum MHD_Result
api_renew(struct api *a, struct MHD_Connection *conn, const char *id)
{
	char err[512], oid[IDS_LEN + 1];
	int n;

	if (api_db(a, err, sizeof(err)) < 0)
		return api_unavailable(conn, err);
	if ((n = renew_now(a->db, a->v, &a->s->key_pool, id, oid, err,
	    sizeof(err))) < 0) {
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

enum MHD_Result
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
