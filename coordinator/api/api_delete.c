/* api_delete.c -- POST /v1/certificates:delete: many certificates deleted at once (listed ids, or a tenant's and/or a label's), bounded, with a dry run, each through lifecycle_delete in one transaction per batch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api_int.h"
#include "db.h"
#include "deletereq.h"
#include "lifecycle.h"
#include "log.h"

#define API_DELETE_BATCH	100	/* certificates one transaction deletes */
#define API_DELETE_COUNT_MAX	"1000000"	/* a count of matches stops here */

/* The selector's certificates not deleted yet: $1 tenant or "", $2 label
 * key or "", $3 its value. */
#define API_DELETE_WHERE "c.status <> 'deleted' AND ($1 = '' OR c.tenant = " \
	"$1) AND ($2 = '' OR EXISTS (SELECT 1 FROM certificate_labels l WHERE " \
	"l.key = $2 AND l.value = $3 AND l.certificate = c.id))"

/* What it did. */
struct api_delete_out {
	long	 deleted, unchanged, revocations, not_revoked;
	json_t	*not_found;	/* ids */
};

/* How many certificates the request would delete now: the listed ones
 * that exist and are not deleted, or the selector's (counted up to
 * API_DELETE_COUNT_MAX). -1 with err. */
static long
api_delete_count(struct api *a, const struct deletereq *dr, char *err,
    size_t errlen)
{
	PGresult *r;
	char *lit = NULL;
	long n;

	if (dr->ids != NULL) {
		if ((lit = db_array_literal(dr->ids, dr->nids)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		r = db_query(a->db, "api delete count ids", "SELECT count(*) FROM "
		    "certificates WHERE id = ANY($1::text[]) AND status <> "
		    "'deleted'", 1, (const char *[]){ lit }, NULL, NULL, err,
		    errlen);
	} else
		r = db_query(a->db, "api delete count", "SELECT count(*) FROM "
		    "(SELECT 1 FROM certificates c WHERE " API_DELETE_WHERE
		    " LIMIT " API_DELETE_COUNT_MAX ") x", 3, (const char *[]){
		    dr->tenant, dr->label_key, dr->label_value }, NULL, NULL, err,
		    errlen);
	free(lit);
	if (r == NULL)
		return -1;
	n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return n;
}

/* The selector's first dr->limit certificates (by id). NULL with err. */
static PGresult *
api_delete_select(struct api *a, const struct deletereq *dr, char *err,
    size_t errlen)
{
	char lim[24];

	snprintf(lim, sizeof(lim), "%ld", dr->limit);
	return db_query(a->db, "api delete select", "SELECT c.id FROM "
	    "certificates c WHERE " API_DELETE_WHERE " ORDER BY c.id LIMIT "
	    "$4::bigint", 4, (const char *[]){ dr->tenant, dr->label_key,
	    dr->label_value, lim }, NULL, NULL, err, errlen);
}

/* Deletes id in the open transaction (revoking it first when asked and
 * the CA can: one it cannot is deleted unrevoked and counted). Returns 0,
 * or -1 with err (the caller rolls the batch back). */
static int
api_delete_one(struct api *a, const struct deletereq *dr,
    const char *id, const char *client, struct api_delete_out *o, char *err,
    size_t errlen)
{
	struct lifecycle_result res;
	enum actions_status ast = ACTIONS_NOT_FOUND;
	char aid[IDS_LEN + 1] = "";

	if (dr->revoke) {
		if (db_exec(a->db, "api delete savepoint", "SAVEPOINT one", 0, NULL,
		    NULL, NULL, err, errlen) < 0)
			return -1;
		if ((ast = actions_revoke_in(a->db, id, dr->reason, aid, err,
		    errlen)) == ACTIONS_ERROR)
			return -1;
		if (ast != ACTIONS_QUEUED && (aid[0] = '\0', db_exec(a->db,
		    "api delete rollback to", "ROLLBACK TO SAVEPOINT one", 0, NULL,
		    NULL, NULL, err, errlen) < 0))
			return -1;
	}
	switch (lifecycle_delete(a->db, id, aid, client, &res, err, errlen)) {
	case LIFECYCLE_DONE:
		o->deleted++;
		break;
	case LIFECYCLE_UNCHANGED:
		o->unchanged++;
		break;
	case LIFECYCLE_NOT_FOUND:
		json_array_append_new(o->not_found, json_string(id));
		return 0;
	default:
		return -1;
	}
	if (dr->revoke && ast == ACTIONS_QUEUED)
		o->revocations++;
	else if (dr->revoke)
		o->not_revoked++;
	return 0;
}

/* Deletes ids[0..n) in transactions of API_DELETE_BATCH. Returns 0, or -1
 * with err (the batch that failed wrote nothing; earlier ones stay). */
static int
api_delete_run(struct api *a, const struct deletereq *dr,
    char *const *ids, size_t n, const char *client,
    struct api_delete_out *o, char *err, size_t errlen)
{
	size_t i, j;

	for (i = 0; i < n; i += API_DELETE_BATCH) {
		struct api_delete_out b;
		size_t nf = json_array_size(o->not_found);
		int tries = 0, rc;

		db_fault_clear(a->db);
again:
		while (json_array_size(o->not_found) > nf)	/* the batch's */
			json_array_remove(o->not_found, nf);
		b = *o;
		if (db_begin(a->db, err, errlen) < 0)
			return -1;
		for (j = i; j < n && j < i + API_DELETE_BATCH; j++)
			if (api_delete_one(a, dr, ids[j], client, &b, err,
			    errlen) < 0)
				break;
		if ((rc = api_lifecycle_batch_end(a, j == n ||
		    j == i + API_DELETE_BATCH, &tries, err, errlen)) == 1)
			goto again;
		if (rc < 0)
			return -1;
		*o = b;
	}
	return 0;
}

/* The selector's (or listed) ids to delete now into *ids (owned by *r or
 * dr). Returns how many, or -1 with err. */
static long
api_delete_targets(struct api *a, const struct deletereq *dr,
    PGresult **r, char ***ids, char *err, size_t errlen)
{
	long i, n;

	if (dr->ids != NULL) {
		*ids = dr->ids;
		return (long)dr->nids;
	}
	if ((*r = api_delete_select(a, dr, err, errlen)) == NULL)
		return -1;
	n = PQntuples(*r);
	if ((*ids = calloc((size_t)n + 1, sizeof(**ids))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++)
		(*ids)[i] = PQgetvalue(*r, (int)i, 0);
	return n;
}

/* Deletes what dr asks for and answers what was done. */
static enum MHD_Result
api_delete_do(struct api *a, struct MHD_Connection *conn,
    const struct deletereq *dr, long matched)
{
	struct api_delete_out o = { 0 };
	char err[512], client[LIFECYCLE_CLIENT_MAX + 1], **ids = NULL;
	PGresult *r = NULL;
	enum MHD_Result ret;
	long n, left = 0;

	api_edge_client(conn, client, sizeof(client));
	o.not_found = json_array();
	if ((n = api_delete_targets(a, dr, &r, &ids, err, sizeof(err))) < 0 ||
	    api_delete_run(a, dr, ids, (size_t)n, client, &o, err,
	    sizeof(err)) < 0 ||
	    (dr->ids == NULL && (left = api_delete_count(a, dr, err,
	    sizeof(err))) < 0)) {
		log_err("api: certificates:delete: %s (%ld deleted before)", err,
		    o.deleted);
		ret = api_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "the deletion "
		    "stopped after %ld certificate(s) (the batch that failed wrote "
		    "nothing); ask again", o.deleted);
		json_decref(o.not_found);
		goto out;
	}
	ret = api_json(conn, MHD_HTTP_OK, json_pack("{s:b, s:I, s:I, s:I, "
	    "s:o, s:I, s:I, s:I}", "dry_run", 0, "matched", (json_int_t)matched,
	    "deleted", (json_int_t)o.deleted, "unchanged",
	    (json_int_t)o.unchanged, "not_found", o.not_found, "revocations",
	    (json_int_t)o.revocations, "not_revoked",
	    (json_int_t)o.not_revoked, "remaining", (json_int_t)left));
out:
	if (ids != dr->ids)
		free(ids);
	PQclear(r);
	return ret;
}

enum MHD_Result
api_delete_bulk(struct api *a, struct MHD_Connection *conn,
    struct api_req *req)
{
	struct deletereq dr;
	char err[512];
	enum MHD_Result ret;
	long matched;

	if (req->toobig)
		return api_error(conn, MHD_HTTP_CONTENT_TOO_LARGE,
		    "the body is over %d bytes", API_MAX_BODY);
	if (deletereq_parse(req->body != NULL ? req->body : "", req->len, &dr,
	    err, sizeof(err)) < 0)
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "%s", err);
	if (api_db(a, err, sizeof(err)) < 0 ||
	    (matched = api_delete_count(a, &dr, err, sizeof(err))) < 0) {
		ret = api_unavailable(conn, err);
		goto out;
	}
	if (dr.dry_run)
		ret = api_json(conn, MHD_HTTP_OK, json_pack("{s:b, s:I, s:I}",
		    "dry_run", 1, "matched", (json_int_t)matched, "limit",
		    (json_int_t)(dr.ids != NULL ? (long)dr.nids : dr.limit)));
	else
		ret = api_delete_do(a, conn, &dr, matched);
out:
	deletereq_free(&dr);
	return ret;
}
