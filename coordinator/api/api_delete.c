/* api_delete.c -- POST /v1/certificates:delete: many certificates deleted at once (listed ids, or a tenant's and/or a label's), bounded, with a dry run, each through lifecycle_delete in one transaction per batch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "acme.h"
#include "api_int.h"
#include "db.h"
#include "lifecycle.h"
#include "log.h"
#include "searchq.h"

#define API_DELETE_MAX		1000	/* certificates one request deletes */
#define API_DELETE_BATCH	100	/* certificates one transaction deletes */
#define API_DELETE_COUNT_MAX	"1000000"	/* a count of matches stops here */

/* The selector's certificates not deleted yet: $1 tenant or "", $2 label
 * key or "", $3 its value. */
#define API_DELETE_WHERE "c.status <> 'deleted' AND ($1 = '' OR c.tenant = " \
	"$1) AND ($2 = '' OR EXISTS (SELECT 1 FROM certificate_labels l WHERE " \
	"l.key = $2 AND l.value = $3 AND l.certificate = c.id))"

/* What a request asks for. */
struct api_delete_req {
	char	**ids;		/* listed ids (or NULL: the selector's) */
	size_t	  nids;
	char	  tenant[64];
	char	  label_key[64];
	char	  label_value[SEARCHQ_VALUE_MAX + 1];
	long	  limit;
	int	  dry_run;
	int	  revoke;
	int	  reason;
};

/* What it did. */
struct api_delete_out {
	long	 deleted, unchanged, revocations, not_revoked;
	json_t	*not_found;	/* ids */
};

/* The ids of the body into dr (at most API_DELETE_MAX, each an id).
 * Returns 0, or -1 with a message for the client. */
static int
api_delete_ids(const json_t *a, struct api_delete_req *dr, char *err,
    size_t errlen)
{
	size_t i;
	const char *s;

	if (!json_is_array(a) || json_array_size(a) == 0 ||
	    json_array_size(a) > API_DELETE_MAX) {
		snprintf(err, errlen, "ids must be an array of 1-%d certificate "
		    "ids", API_DELETE_MAX);
		return -1;
	}
	if ((dr->ids = calloc(json_array_size(a), sizeof(*dr->ids))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < json_array_size(a); i++) {
		if ((s = json_string_value(json_array_get(a, i))) == NULL ||
		    !ids_valid(s)) {
			snprintf(err, errlen, "ids[%zu] is not a certificate id", i);
			return -1;
		}
		dr->ids[dr->nids++] = (char *)s;	/* the body's, kept alive */
	}
	return 0;
}

/* tenant, label (KEY:VALUE, as GET /v1/certificates takes them) into dr.
 * Returns 0, or -1 with a message for the client. */
static int
api_delete_selector(json_t *root, struct api_delete_req *dr, char *err,
    size_t errlen)
{
	json_t *t = json_object_get(root, "tenant"),
	    *l = json_object_get(root, "label");
	struct searchq q;

	searchq_init(&q, SEARCHQ_LIST);
	if ((t != NULL && (!json_is_string(t) || searchq_arg(&q, "tenant",
	    json_string_value(t), err, errlen) < 0)) ||
	    (l != NULL && (!json_is_string(l) || searchq_arg(&q, "label",
	    json_string_value(l), err, errlen) < 0))) {
		if (err[0] == '\0')
			snprintf(err, errlen, "tenant and label are strings");
		return -1;
	}
	snprintf(dr->tenant, sizeof(dr->tenant), "%s", q.tenant);
	snprintf(dr->label_key, sizeof(dr->label_key), "%s", q.label_key);
	snprintf(dr->label_value, sizeof(dr->label_value), "%s", q.label_value);
	return 0;
}

/* The flags and limit of the body into dr. Returns 0, or -1 with a
 * message for the client. */
static int
api_delete_flags(json_t *root, struct api_delete_req *dr, char *err,
    size_t errlen)
{
	json_t *lim = json_object_get(root, "limit"),
	    *dry = json_object_get(root, "dry_run"),
	    *rv = json_object_get(root, "revoke"),
	    *rs = json_object_get(root, "reason");

	dr->limit = API_DELETE_MAX;
	if (lim != NULL && (!json_is_integer(lim) || json_integer_value(lim) < 1 ||
	    json_integer_value(lim) > API_DELETE_MAX)) {
		snprintf(err, errlen, "limit must be 1-%d", API_DELETE_MAX);
		return -1;
	}
	if (lim != NULL)
		dr->limit = (long)json_integer_value(lim);
	if ((dry != NULL && !json_is_boolean(dry)) ||
	    (rv != NULL && !json_is_boolean(rv))) {
		snprintf(err, errlen, "dry_run and revoke are true or false");
		return -1;
	}
	dr->dry_run = json_is_true(dry);
	dr->revoke = json_is_true(rv);
	if (rs != NULL && (!dr->revoke || !json_is_string(rs) ||
	    (dr->reason = acme_revoke_reason_parse(json_string_value(rs))) < 0)) {
		snprintf(err, errlen, "reason is taken with revoke: true, and is "
		    "unspecified, keyCompromise, affiliationChanged, superseded or "
		    "cessationOfOperation");
		return -1;
	}
	return 0;
}

/* The body: {"ids": [...]} or {"tenant": T, "label": "K:V"} (one of them
 * at least), "limit", "dry_run", "revoke", "reason"; known fields only.
 * Returns 0, or -1 with a message for the client. */
static int
api_delete_parse(json_t *root, struct api_delete_req *dr, char *err,
    size_t errlen)
{
	static const char *const known[] = { "ids", "tenant", "label", "limit",
	    "dry_run", "revoke", "reason" };
	const char *k;
	json_t *v;
	size_t i;

	err[0] = '\0';
	json_object_foreach(root, k, v) {
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strcmp(k, known[i]) == 0)
				break;
		if (i == sizeof(known) / sizeof(known[0])) {
			snprintf(err, errlen, "unknown field %.64s (ids, tenant, "
			    "label, limit, dry_run, revoke, reason)", k);
			return -1;
		}
	}
	if (api_delete_flags(root, dr, err, errlen) < 0)
		return -1;
	if (json_object_get(root, "ids") != NULL) {
		if (json_object_get(root, "tenant") != NULL ||
		    json_object_get(root, "label") != NULL) {
			snprintf(err, errlen, "give ids or a tenant/label selector, "
			    "not both");
			return -1;
		}
		return api_delete_ids(json_object_get(root, "ids"), dr, err,
		    errlen);
	}
	if (api_delete_selector(root, dr, err, errlen) < 0)
		return -1;
	if (dr->tenant[0] == '\0' && dr->label_key[0] == '\0') {
		snprintf(err, errlen, "say which certificates: ids, or tenant "
		    "and/or label");
		return -1;
	}
	return 0;
}

/* How many certificates the request would delete now: the listed ones
 * that exist and are not deleted, or the selector's (counted up to
 * API_DELETE_COUNT_MAX). -1 with err. */
static long
api_delete_count(struct api *a, const struct api_delete_req *dr, char *err,
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
api_delete_select(struct api *a, const struct api_delete_req *dr, char *err,
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
api_delete_one(struct api *a, const struct api_delete_req *dr,
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
api_delete_run(struct api *a, const struct api_delete_req *dr,
    char *const *ids, size_t n, const char *client,
    struct api_delete_out *o, char *err, size_t errlen)
{
	size_t i, j;

	for (i = 0; i < n; i += API_DELETE_BATCH) {
		struct api_delete_out b = *o;

		if (db_begin(a->db, err, errlen) < 0)
			return -1;
		for (j = i; j < n && j < i + API_DELETE_BATCH; j++)
			if (api_delete_one(a, dr, ids[j], client, &b, err,
			    errlen) < 0) {
				db_rollback(a->db);
				return -1;
			}
		if (db_commit(a->db, err, errlen) < 0) {
			db_rollback(a->db);
			return -1;
		}
		*o = b;
	}
	return 0;
}

/* The selector's (or listed) ids to delete now into *ids (owned by *r or
 * dr). Returns how many, or -1 with err. */
static long
api_delete_targets(struct api *a, const struct api_delete_req *dr,
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
    const struct api_delete_req *dr, long matched)
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
	struct api_delete_req dr = { 0 };
	json_error_t je;
	json_t *root = NULL;
	char err[512];
	enum MHD_Result ret;
	long matched;

	if (req->toobig)
		return api_error(conn, MHD_HTTP_CONTENT_TOO_LARGE,
		    "the body is over %d bytes", API_MAX_BODY);
	if ((root = json_loadb(req->body != NULL ? req->body : "", req->len,
	    JSON_REJECT_DUPLICATES, &je)) == NULL || !json_is_object(root)) {
		json_decref(root);
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "the body must be a "
		    "JSON object: {\"ids\": [...]} or {\"tenant\": ..., "
		    "\"label\": ...}");
	}
	if (api_delete_parse(root, &dr, err, sizeof(err)) < 0) {
		ret = api_error(conn, MHD_HTTP_BAD_REQUEST, "%s", err);
		goto out;
	}
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
	free(dr.ids);
	json_decref(root);
	return ret;
}
