/* api_move.c -- POST /v1/certificates:move: the certificates of one CA moved to others (a CA distrusted, closing, or left), a page at a time by id, each through lifecycle_ca in transactions of 100, with a dry run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api_int.h"
#include "camovereq.h"
#include "db.h"
#include "lifecycle.h"
#include "log.h"

#define API_MOVE_BATCH		100	/* certificates one transaction moves */
#define API_MOVE_COUNT_MAX	"1000000"	/* a count of matches stops here */

/* Whether certificate c's current certificate was issued by CA $1. */
#define API_MOVE_SERVED "EXISTS (SELECT 1 FROM issued_certificates ic " \
	"JOIN orders io ON io.id = ic.order_id WHERE ic.id = c.current_issued " \
	"AND io.ca = $1)"

/*
 * CA $1's live certificates (its CA or a fallback, the issuer of the
 * current certificate, or an order in flight there) of tenant $2 ("" any),
 * with label $3 = $4 ($3 "" any). A certificate whose list lacks $1 is
 * $1's only after a change of its CAs took $1 out (renewals and fallbacks
 * go to listed CAs; lifecycle_ca records the list before), so only those,
 * a set hashed once per statement, probe their issued certificate and
 * orders: every other certificate of the fleet costs two comparisons and a
 * hash lookup, where the probes took 20 us each (bench/api's move part).
 */
#define API_MOVE_WHERE "c.status IN ('pending', 'issued', 'failed') AND " \
	"($2 = '' OR c.tenant = $2) AND ($3 = '' OR EXISTS (SELECT 1 FROM " \
	"certificate_labels l WHERE l.key = $3 AND l.value = $4 AND " \
	"l.certificate = c.id)) AND (c.ca = $1 OR $1 = ANY (c.fallback) OR " \
	"(c.id IN (SELECT ch.certificate FROM certificate_changes ch WHERE " \
	"ch.action = 'ca' AND $1 = ANY (ch.cas_before)) AND (" \
	API_MOVE_SERVED " OR EXISTS (SELECT 1 FROM orders f WHERE " \
	"f.certificate = c.id AND f.ca = $1 AND f.status IN ('pending', " \
	"'sent', 'processing', 'deferred')))))"

/* What a request did. */
struct api_move_out {
	long	moved, unchanged, conflicts, orders, cancelled, renewals;
};

/* Moves ids[0..n) to mr's CAs in transactions of API_MOVE_BATCH. Returns
 * 0, or -1 with err (the batch that failed wrote nothing; earlier ones
 * stay, counted in o). */
static int
api_move_run(struct api *a, const struct camovereq *mr, char *const *ids,
    int n, const char *client, struct api_move_out *o, char *err,
    size_t errlen)
{
	const char *list[CAS_LIST_MAX];
	struct lifecycle_result res;
	enum lifecycle_status st;
	size_t ncas = camovereq_list(mr, list);
	int i, j, tries, rc;

	for (i = 0; i < n; i += API_MOVE_BATCH) {
		struct api_move_out b;

		tries = 0;
		db_fault_clear(a->db);
again:
		b = *o;
		if (db_begin(a->db, err, errlen) < 0)
			return -1;
		for (j = i; j < n && j < i + API_MOVE_BATCH; j++) {
			st = lifecycle_ca(a->db, ids[j], list, ncas, mr->now,
			    client, &res, err, errlen);
			if (st == LIFECYCLE_ERROR)
				break;
			if (st == LIFECYCLE_CONFLICT &&
			    strstr(err, "no ACME account") != NULL)
				break;	/* the whole request would fail so */
			b.moved += st == LIFECYCLE_DONE;
			b.unchanged += st == LIFECYCLE_UNCHANGED;
			b.conflicts += st == LIFECYCLE_CONFLICT ||
			    st == LIFECYCLE_NOT_FOUND;
			b.orders += res.order[0] != '\0';
			b.cancelled += res.cancelled;
			b.renewals += res.renewal_due;
		}
		if ((rc = api_lifecycle_batch_end(a, j == n ||
		    j == i + API_MOVE_BATCH, &tries, err, errlen)) == 1)
			goto again;
		if (rc < 0)
			return -1;
		*o = b;
	}
	return 0;
}

/* The dry run's answer: matched, how many certificates of mr's selector
 * there are, and served, how many of them a certificate of from_ca still
 * serves (counted up to API_MOVE_COUNT_MAX): the move's progress. */
static enum MHD_Result
api_move_count(struct api *a, struct MHD_Connection *conn,
    const struct camovereq *mr)
{
	char err[512];
	PGresult *r;
	json_t *j;

	if ((r = db_query(a->db, "api move count", "SELECT count(*), count(*) "
	    "FILTER (WHERE served) FROM (SELECT " API_MOVE_SERVED " AS served "
	    "FROM certificates c WHERE " API_MOVE_WHERE " LIMIT "
	    API_MOVE_COUNT_MAX ") x", 4, (const char *[]){ mr->from_ca,
	    mr->tenant, mr->label_key, mr->label_value }, NULL, NULL, err,
	    sizeof(err))) == NULL)
		return api_unavailable(conn, err);
	j = json_pack("{s:b, s:I, s:I}", "dry_run", 1, "matched",
	    (json_int_t)strtoll(PQgetvalue(r, 0, 0), NULL, 10), "served",
	    (json_int_t)strtoll(PQgetvalue(r, 0, 1), NULL, 10));
	PQclear(r);
	return api_json(conn, MHD_HTTP_OK, j);
}

/* Moves the page of mr's selector after mr->after and answers. */
static enum MHD_Result
api_move_do(struct api *a, struct MHD_Connection *conn,
    const struct camovereq *mr)
{
	struct api_move_out o = { 0 };
	char err[512], lim[24], client[LIFECYCLE_CLIENT_MAX + 1], **ids = NULL;
	PGresult *r;
	enum MHD_Result ret;
	json_t *j;
	int i, n;

	snprintf(lim, sizeof(lim), "%ld", mr->limit);
	if ((r = db_query(a->db, "api move select", "SELECT c.id FROM "
	    "certificates c WHERE " API_MOVE_WHERE " AND c.id > $5 ORDER BY "
	    "c.id LIMIT $6::bigint", 6, (const char *[]){ mr->from_ca,
	    mr->tenant, mr->label_key, mr->label_value, mr->after, lim }, NULL,
	    NULL, err, sizeof(err))) == NULL)
		return api_unavailable(conn, err);
	n = PQntuples(r);
	if ((ids = calloc((size_t)n + 1, sizeof(*ids))) == NULL) {
		PQclear(r);
		return api_unavailable(conn, "out of memory");
	}
	for (i = 0; i < n; i++)
		ids[i] = PQgetvalue(r, i, 0);
	api_edge_client(conn, client, sizeof(client));
	if (api_move_run(a, mr, ids, n, client, &o, err, sizeof(err)) < 0) {
		log_err("api: certificates:move: %s (%ld moved before)", err,
		    o.moved);
		ret = strstr(err, "no ACME account") != NULL ? api_error(conn,
		    MHD_HTTP_CONFLICT, "%s (%ld moved before)", err, o.moved) :
		    api_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "the move "
		    "stopped after %ld certificate(s) (the batch that failed "
		    "wrote nothing); ask again", o.moved);
		goto out;
	}
	j = json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I}", "dry_run", 0,
	    "moved", (json_int_t)o.moved, "unchanged", (json_int_t)o.unchanged,
	    "conflicts", (json_int_t)o.conflicts, "orders",
	    (json_int_t)o.orders, "orders_cancelled", (json_int_t)o.cancelled,
	    "renewals_due", (json_int_t)o.renewals);
	if (j != NULL)
		json_object_set_new(j, "next", n == mr->limit ?
		    json_string(ids[n - 1]) : json_null());
	ret = api_json(conn, MHD_HTTP_OK, j);
out:
	free(ids);
	PQclear(r);
	return ret;
}

enum MHD_Result
api_move_bulk(struct api *a, struct MHD_Connection *conn,
    struct api_req *req)
{
	struct camovereq mr;
	char err[512];

	if (req->toobig)
		return api_error(conn, MHD_HTTP_CONTENT_TOO_LARGE,
		    "the body is over %d bytes", API_MAX_BODY);
	if (camovereq_parse(req->body != NULL ? req->body : "", req->len, 1,
	    &mr, err, sizeof(err)) < 0)
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "%s", err);
	/* from_ca need not be configured: leaving a CA taken out of the
	 * configuration is what this is for */
	if (camovereq_check(&mr, &a->s->cas, err, sizeof(err)) < 0)
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "%s", err);
	if (api_db(a, err, sizeof(err)) < 0)
		return api_unavailable(conn, err);
	return mr.dry_run ? api_move_count(a, conn, &mr) : api_move_do(a, conn,
	    &mr);
}
