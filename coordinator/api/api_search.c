/* api_search.c -- GET /v1/certificates (a page of a search and the cursor of the next page) and GET /v1/certificates:count, over searchq.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <microhttpd.h>

#include "api_int.h"
#include "db.h"
#include "log.h"
#include "searchq.h"

/* The query arguments as MHD iterates them, into q. */
struct api_search_args {
	struct searchq	*q;
	char		 err[400];
	int		 bad;
};

static enum MHD_Result
api_search_arg(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct api_search_args *x = cls;

	(void)kind;
	if (searchq_arg(x->q, key, value, x->err, sizeof(x->err)) < 0) {
		x->bad = 1;
		return MHD_NO;
	}
	return MHD_YES;
}

/* Every argument of the request into q. 0, or -1 with a message for the
 * client. */
static int
api_search_parse(struct MHD_Connection *conn, struct searchq *q,
    enum searchq_kind kind, char *err, size_t errlen)
{
	struct api_search_args x = { q, "", 0 };

	searchq_init(q, kind);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, api_search_arg,
	    &x);
	if (x.bad) {
		snprintf(err, errlen, "%s", x.err);
		return -1;
	}
	return searchq_check(q, err, errlen);
}

/* Row i of a page as JSON. */
static json_t *
api_search_row(const PGresult *r, int i, enum searchq_order o)
{
	json_t *j;

	j = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "id", api_col(r, i, SEARCHQ_COL_ID),
	    "status", api_col(r, i, SEARCHQ_COL_STATUS),
	    "hostnames", api_names_pg(PQgetvalue(r, i, SEARCHQ_COL_NAMES)),
	    "created_at", api_col(r, i, SEARCHQ_COL_CREATED),
	    "not_after", api_col(r, i, SEARCHQ_COL_NOT_AFTER),
	    "tenant", api_col(r, i, SEARCHQ_COL_TENANT),
	    "ca", api_col(r, i, SEARCHQ_COL_CA),
	    "key_type", api_col(r, i, SEARCHQ_COL_KEY_TYPE),
	    "issuer", api_col(r, i, SEARCHQ_COL_ISSUER),
	    "renew_at", api_col(r, i, SEARCHQ_COL_RENEW_AT),
	    "problem_type", api_col(r, i, SEARCHQ_COL_PROBLEM));
	if (j == NULL)
		return NULL;
	json_object_set_new(j, "sha1_in_chain", PQgetisnull(r, i,
	    SEARCHQ_COL_SHA1) ? json_null() : json_boolean(strcmp(PQgetvalue(r,
	    i, SEARCHQ_COL_SHA1), "true") == 0));
	json_object_set_new(j, "labels", json_loads(PQgetvalue(r, i,
	    SEARCHQ_COL_LABELS), 0, NULL));
	if (o == SEARCHQ_NAME || o == SEARCHQ_SUFFIX)
		json_object_set_new(j, "name", api_col(r, i, SEARCHQ_COL_NAME));
	return j;
}

/* The reply: the rows, the next page's cursor (null on the last page) and
 * the order they come in. Takes arr; frees next. */
static json_t *
api_search_page(json_t *arr, char *next, enum searchq_order o)
{
	json_t *j;

	j = json_pack("{s:o, s:o, s:s}", "certificates", arr, "next",
	    next != NULL ? json_string(next) : json_null(), "order",
	    searchq_order_name(o));
	free(next);
	return j;
}

enum MHD_Result
api_list(struct api *a, struct MHD_Connection *conn)
{
	struct searchq q;
	struct searchq_sql s = { 0 };
	enum searchq_order o;
	char err[512], *next = NULL;
	PGresult *r;
	json_t *arr;
	int i, n;

	if (api_search_parse(conn, &q, SEARCHQ_LIST, err, sizeof(err)) < 0)
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "%s", err);
	if (api_db(a, err, sizeof(err)) < 0)
		return api_unavailable(conn, err);
	if (searchq_sql(&q, SEARCHQ_PAGE, &s) < 0)
		return MHD_NO;
	r = db_query(a->db, "api list", s.sql, s.n, s.params, NULL, NULL, err,
	    sizeof(err));
	searchq_sql_free(&s);
	if (r == NULL)
		return api_unavailable(conn, err);
	o = searchq_order(&q);
	n = PQntuples(r) > q.limit ? (int)q.limit : PQntuples(r);
	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, api_search_row(r, i, o));
	/* One row more than the page: there is a next page, from here. */
	if (PQntuples(r) > q.limit && (next = searchq_cursor(o,
	    PQgetvalue(r, n - 1, SEARCHQ_COL_KEY), PQgetvalue(r, n - 1,
	    SEARCHQ_COL_ID))) == NULL)
		log_err("api: list: no cursor past certificate %s (key %s)",
		    PQgetvalue(r, n - 1, SEARCHQ_COL_ID), PQgetvalue(r, n - 1,
		    SEARCHQ_COL_KEY));
	if (PQntuples(r) > q.limit && next == NULL) {
		PQclear(r);
		json_decref(arr);
		return api_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "the next "
		    "page cannot be named");
	}
	PQclear(r);
	return api_json(conn, MHD_HTTP_OK, api_search_page(arr, next, o));
}

/* The planner's estimate of the rows q matches ("Plan Rows" of EXPLAIN's
 * top node), or -1. */
static long long
api_count_estimate(struct api *a, const struct searchq *q, char *err,
    size_t errlen)
{
	struct searchq_sql s = { 0 };
	PGresult *r;
	json_t *j, *rows;
	long long n = -1;

	if (searchq_sql(q, SEARCHQ_ESTIMATE, &s) < 0)
		return -1;
	r = db_query(a->db, "api count estimate", s.sql, s.n, s.params, NULL,
	    NULL, err, errlen);
	searchq_sql_free(&s);
	if (r == NULL)
		return -1;
	j = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
	rows = json_object_get(json_object_get(json_array_get(j, 0), "Plan"),
	    "Plan Rows");
	if (json_is_number(rows))
		n = (long long)json_number_value(rows);
	json_decref(j);
	PQclear(r);
	return n;
}

enum MHD_Result
api_count(struct api *a, struct MHD_Connection *conn)
{
	struct searchq q;
	struct searchq_sql s = { 0 };
	char err[512];
	PGresult *r;
	long long n, est, cap;

	if (api_search_parse(conn, &q, SEARCHQ_COUNT, err, sizeof(err)) < 0)
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "%s", err);
	cap = searchq_count_cap(&q);
	if (api_db(a, err, sizeof(err)) < 0)
		return api_unavailable(conn, err);
	if (searchq_sql(&q, SEARCHQ_COUNT_ROWS, &s) < 0)
		return MHD_NO;
	r = db_query(a->db, "api count", s.sql, s.n, s.params, NULL, NULL, err,
	    sizeof(err));
	searchq_sql_free(&s);
	if (r == NULL)
		return api_unavailable(conn, err);
	n = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (q.exact || n <= cap)
		return api_json(conn, MHD_HTTP_OK, json_pack("{s:I, s:b}",
		    "count", (json_int_t)n, "exact", 1));
	/* Over the cap: at least that many, and what the planner thinks. */
	if ((est = api_count_estimate(a, &q, err, sizeof(err))) < 0)
		log_warn("api: count estimate: %s", err);
	return api_json(conn, MHD_HTTP_OK, json_pack("{s:I, s:b, s:o}", "count",
	    (json_int_t)cap, "exact", 0, "estimate", est < 0 ? json_null() :
	    json_integer(est > cap ? est : cap + 1)));
}
