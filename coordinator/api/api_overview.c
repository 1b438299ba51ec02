/* api_overview.c -- GET /v1/overview, the fleet at a glance for the dashboard: counts by status, expiry, each CA's load and headroom, recent problems. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "api_int.h"
#include "budget.h"
#include "db.h"


/* Runs sql (no parameters) and hands each row to add; -1 on error. */
static int
api_overview_rows(struct api *a, const char *what, const char *sql,
    void (*add)(const PGresult *r, int row, json_t *into), json_t *into,
    char *err, size_t errlen)
{
	PGresult *r;
	int i;

	if ((r = db_query(a->db, what, sql, 0, NULL, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(r); i++)
		add(r, i, into);
	PQclear(r);
	return 0;
}

/* {status: count} */
static void
api_overview_status(const PGresult *r, int row, json_t *into)
{
	json_object_set_new(into, PQgetvalue(r, row, 0),
	    json_integer(strtoll(PQgetvalue(r, row, 1), NULL, 10)));
}

/* expiry buckets of issued certificates, one row of five counts */
static void
api_overview_expiry(const PGresult *r, int row, json_t *into)
{
	static const char *const names[] = { "expired", "within_7d",
	    "within_14d", "within_30d", "later" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		json_object_set_new(into, names[i],
		    json_integer(strtoll(PQgetvalue(r, row, (int)i), NULL, 10)));
}

/* per CA: {name, certificates: {status: n}, in_flight} */
static void
api_overview_ca(const PGresult *r, int row, json_t *into)
{
	const char *ca = PQgetvalue(r, row, 0);
	json_t *o;

	if ((o = json_object_get(into, ca)) == NULL) {
		o = json_pack("{s:s, s:{}, s:i, s:i}", "name", ca,
		    "certificates", "in_flight", 0, "problems_24h", 0);
		json_object_set_new(into, ca, o);
	}
	if (strcmp(PQgetvalue(r, row, 1), "in_flight") == 0)
		json_object_set_new(o, "in_flight",
		    json_integer(strtoll(PQgetvalue(r, row, 2), NULL, 10)));
	else if (strcmp(PQgetvalue(r, row, 1), "problems_24h") == 0)
		json_object_set_new(o, "problems_24h",
		    json_integer(strtoll(PQgetvalue(r, row, 2), NULL, 10)));
	else
		json_object_set_new(json_object_get(o, "certificates"),
		    PQgetvalue(r, row, 1),
		    json_integer(strtoll(PQgetvalue(r, row, 2), NULL, 10)));
}

/* recent problems: [{type, detail, certificate, at}] */
static void
api_overview_problem(const PGresult *r, int row, json_t *into)
{
	json_array_append_new(into, json_pack("{s:o, s:o, s:o, s:o}", "type",
	    api_col(r, row, 0), "detail", api_col(r, row, 1), "certificate",
	    api_col(r, row, 2), "at", api_col(r, row, 3)));
}

/* Each configured CA's headroom under its new-orders budget. */
static int
api_overview_budgets(struct api *a, json_t *cas, char *err, size_t errlen)
{
	const struct cas_ca *ca;
	json_t *o;
	long used;
	size_t i;

	for (i = 0; i < a->s->cas.n; i++) {
		ca = &a->s->cas.ca[i];
		if ((o = json_object_get(cas, ca->name)) == NULL) {
			o = json_pack("{s:s, s:{}, s:i, s:i}", "name", ca->name,
			    "certificates", "in_flight", 0, "problems_24h", 0);
			json_object_set_new(cas, ca->name, o);
		}
		if ((used = budget_orders_used(a->db, ca, err, errlen)) < 0)
			return -1;
		json_object_set_new(o, "orders_3h_used", json_integer(used));
		json_object_set_new(o, "orders_3h_limit",
		    json_integer(ca->limit_orders_3h));
	}
	return 0;
}

enum MHD_Result
api_overview(struct api *a, struct MHD_Connection *conn)
{
	json_t *status = json_object(), *expiry = json_object();
	json_t *cas = json_object(), *problems = json_array();
	char err[512];

	if (api_db(a, err, sizeof(err)) < 0 ||
	    api_overview_rows(a, "overview status", "SELECT status, count(*) "
	    "FROM certificates GROUP BY status", api_overview_status, status,
	    err, sizeof(err)) < 0 ||
	    api_overview_rows(a, "overview expiry", "SELECT count(*) FILTER "
	    "(WHERE ic.not_after <= now()), count(*) FILTER (WHERE ic.not_after "
	    "> now() AND ic.not_after <= now() + interval '7 days'), count(*) "
	    "FILTER (WHERE ic.not_after > now() + interval '7 days' AND "
	    "ic.not_after <= now() + interval '14 days'), count(*) FILTER "
	    "(WHERE ic.not_after > now() + interval '14 days' AND ic.not_after "
	    "<= now() + interval '30 days'), count(*) FILTER (WHERE "
	    "ic.not_after > now() + interval '30 days') FROM certificates c "
	    "JOIN issued_certificates ic ON ic.id = c.current_issued WHERE "
	    "c.status = 'issued'", api_overview_expiry, expiry, err,
	    sizeof(err)) < 0 ||
	    api_overview_rows(a, "overview cas", "SELECT ca, status, count(*) "
	    "FROM certificates GROUP BY ca, status UNION ALL SELECT ca, "
	    "'in_flight', count(*) FROM orders WHERE status IN ('sent', "
	    "'processing') GROUP BY ca UNION ALL SELECT o.ca, 'problems_24h', "
	    "count(*) FROM acme_problems p JOIN orders o ON o.id = p.job_id "
	    "WHERE p.seen_at > now() - interval '24 hours' GROUP BY o.ca",
	    api_overview_ca, cas, err, sizeof(err)) < 0 ||
	    api_overview_budgets(a, cas, err, sizeof(err)) < 0 ||
	    api_overview_rows(a, "overview problems", "SELECT p.type, p.detail, "
	    "o.certificate, " API_TS("p.seen_at") " FROM acme_problems p LEFT "
	    "JOIN orders o ON o.id = p.job_id ORDER BY p.id DESC LIMIT 20",
	    api_overview_problem, problems, err, sizeof(err)) < 0) {
		json_decref(status);
		json_decref(expiry);
		json_decref(cas);
		json_decref(problems);
		return api_unavailable(conn, err);
	}
	return api_json(conn, MHD_HTTP_OK, json_pack("{s:o, s:o, s:o, s:o}",
	    "status", status, "expiry", expiry, "cas", cas, "problems",
	    problems));
}
