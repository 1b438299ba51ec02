/* api_hostnames.c -- GET /v1/hostnames/{name}: which certificate serves a hostname now (exact name, else its wildcard), the others that carry it, and their history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api_int.h"
#include "db.h"
#include "hostname.h"


/* Every certificate whose set carries name (exact first) or wildcard, the
 * live and issued ones first, newest issuance first: the first issued,
 * unrevoked, unexpired one is what the edge serves (an edge looks the exact
 * name up before its wildcard, and the primer writes the newest last). The
 * certificates are found through certificate_names' btree: at a million
 * sets the GIN index on hostname_sets.names gives the planner no row
 * estimate (it guessed thousands and started parallel workers, ~30 ms). */
#define API_HOSTNAME_SQL "SELECT c.id, c.status, hs.names, ic.serial, " \
	API_TS("ic.not_before") ", " API_TS("ic.not_after") ", " \
	"hs.names @> ARRAY[$1] AS exact, (c.status = 'issued' AND " \
	"ic.revoked_at IS NULL AND ic.not_after > now()) AS serves, c.ca " \
	"FROM certificates c JOIN hostname_sets hs ON hs.id = c.hostname_set " \
	"LEFT JOIN issued_certificates ic ON ic.id = c.current_issued WHERE " \
	"c.id IN (SELECT certificate FROM certificate_names WHERE name = $1 OR " \
	"($2 <> '' AND name = $2)) " \
	"ORDER BY exact DESC, serves DESC, ic.created_at DESC NULLS LAST, " \
	"c.created_at DESC LIMIT 100"

/* One certificate row as JSON. */
static json_t *
api_hostname_cert(const PGresult *r, int i)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:o}", "id",
	    api_col(r, i, 0), "status", api_col(r, i, 1), "hostnames",
	    api_names_pg(PQgetvalue(r, i, 2)), "serial", api_col(r, i, 3),
	    "not_before", api_col(r, i, 4), "not_after", api_col(r, i, 5),
	    "wildcard", strcmp(PQgetvalue(r, i, 6), "t") != 0, "ca",
	    api_col(r, i, 8));
}

/* The issued certificates of the certificates in r, newest first. */
static int
api_hostname_history(struct api *a, const PGresult *r, json_t *into,
    char *err, size_t errlen)
{
	PGresult *h;
	char **ids, *lit;
	int i, n = PQntuples(r);

	if (n == 0)
		return 0;
	if ((ids = calloc((size_t)n, sizeof(*ids))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		ids[i] = PQgetvalue(r, i, 0);
	lit = db_array_literal(ids, (size_t)n);
	free(ids);
	if (lit == NULL)
		return -1;
	h = db_query(a->db, "api hostname history", "SELECT certificate, serial, "
	    API_TS("not_before") ", " API_TS("not_after") ", " API_TS("revoked_at")
	    " FROM issued_certificates WHERE certificate = ANY($1::text[]) "
	    "ORDER BY created_at DESC LIMIT 50", 1, (const char *[]){ lit }, NULL,
	    NULL, err, errlen);
	free(lit);
	if (h == NULL)
		return -1;
	for (i = 0; i < PQntuples(h); i++)
		json_array_append_new(into, json_pack("{s:o, s:o, s:o, s:o, s:o}",
		    "certificate", api_col(h, i, 0), "serial", api_col(h, i, 1),
		    "not_before", api_col(h, i, 2), "not_after", api_col(h, i, 3),
		    "revoked_at", api_col(h, i, 4)));
	PQclear(h);
	return 0;
}

enum MHD_Result
api_hostname(struct api *a, struct MHD_Connection *conn, const char *raw)
{
	char name[HOSTNAME_MAX + 1], wild[HOSTNAME_MAX + 3], why[160], err[512];
	const char *dot;
	json_t *serving = json_null(), *certs, *history;
	PGresult *r;
	int i, live = 0;

	if (hostname_normalize(raw, name, why, sizeof(why)) < 0)
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "not a hostname: %s",
		    why);
	wild[0] = '\0';
	if (!hostname_is_wildcard(name) && (dot = strchr(name, '.')) != NULL &&
	    strchr(dot + 1, '.') != NULL)
		snprintf(wild, sizeof(wild), "*%s", dot);
	if (api_db(a, err, sizeof(err)) < 0)
		return api_unavailable(conn, err);
	if ((r = db_query(a->db, "api hostname", API_HOSTNAME_SQL, 2,
	    (const char *[]){ name, wild }, NULL, NULL, err,
	    sizeof(err))) == NULL)
		return api_unavailable(conn, err);
	certs = json_array();
	history = json_array();
	for (i = 0; i < PQntuples(r); i++) {
		json_array_append_new(certs, api_hostname_cert(r, i));
		if (strcmp(PQgetvalue(r, i, 7), "t") == 0 &&
		    strcmp(PQgetvalue(r, i, 6), "t") == 0)
			live++;
		if (json_is_null(serving) && strcmp(PQgetvalue(r, i, 7), "t") == 0)
			serving = api_hostname_cert(r, i);
	}
	if (api_hostname_history(a, r, history, err, sizeof(err)) < 0) {
		PQclear(r);
		json_decref(serving);
		json_decref(certs);
		json_decref(history);
		return api_unavailable(conn, err);
	}
	PQclear(r);
	if (json_array_size(certs) == 0) {
		json_decref(certs);
		json_decref(history);
		return api_error(conn, MHD_HTTP_NOT_FOUND, "no certificate carries "
		    "%s%s%s", name, wild[0] != '\0' ? " or " : "", wild);
	}
	return api_json(conn, MHD_HTTP_OK, json_pack("{s:s, s:o, s:b, s:o, "
	    "s:o}", "hostname", name, "serving", serving, "conflict", live > 1,
	    "certificates", certs, "history", history));
}
