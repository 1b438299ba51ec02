/* api_enroll.c -- POST /v1/certificates: an enrollment, idempotent by name set and by Idempotency-Key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/sha.h>

#include "api_int.h"
#include "db.h"
#include "enroll.h"
#include "enroll_group.h"
#include "log.h"

/* The reply: 201 with Location for a new certificate, 200 for one that
 * existed (by name set or by key). */
static enum MHD_Result
api_enroll_reply(struct MHD_Connection *conn, unsigned status,
    const char *id, const char *cstatus, const struct enroll_request *er)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char loc[64], *s;
	json_t *j;

	j = json_pack("{s:s, s:s, s:o, s:s, s:b}", "id", id, "status", cstatus,
	    "hostnames", api_names(er->names, er->nnames), "challenge",
	    er->challenge, "existing", status == MHD_HTTP_OK);
	if (j == NULL || (s = json_dumps(j, JSON_COMPACT)) == NULL) {
		json_decref(j);
		return MHD_NO;
	}
	json_decref(j);
	if ((r = MHD_create_response_from_buffer(strlen(s), s,
	    MHD_RESPMEM_MUST_FREE)) == NULL) {
		free(s);
		return MHD_NO;
	}
	snprintf(loc, sizeof(loc), "/v1/certificates/%s", id);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, API_JSON_TYPE);
	MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, loc);
	ret = api_queue(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Enrolls er (after the lookups): the existing live certificate of the name
 * set unless er->force, else a new one. */
static enum MHD_Result
api_enroll_create(struct api *a, struct MHD_Connection *conn,
    const struct enroll_request *er, const char *key,
    const unsigned char *sum)
{
	char err[512], id[IDS_LEN + 1], status[16];
	int n = 0, made;

	/* from here on, this thread is coming with an item for the group */
	enroll_group_enter(a->srv->group);
	if (!er->force && (n = enroll_find_live(a->db, er, id, status, err,
	    sizeof(err))) != 0)
		enroll_group_leave(a->srv->group);
	if (n < 0)
		return api_unavailable(conn, err);
	/* its audit row (201) in the enrollment's transaction: one commit */
	if (n == 0 && (made = enroll_create_grouped(a->db, a->srv->group, a->v,
	    a->s, er, api_audit_ahead(MHD_HTTP_CREATED), id, err,
	    sizeof(err))) <= 0) {
		if (made == 0)
			return api_error(conn, MHD_HTTP_TOO_MANY_REQUESTS, "%s", err);
		log_err("api: enroll: %s", err);
		return api_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the enrollment could not be stored; nothing was written");
	}
	if (key != NULL && api_idem_store(a, key, sum, id, err,
	    sizeof(err)) < 0)
		log_warn("api: enroll: Idempotency-Key not stored: %s", err);
	return api_enroll_reply(conn, n == 1 ? MHD_HTTP_OK : MHD_HTTP_CREATED,
	    id, n == 1 ? status : "pending", er);
}

enum MHD_Result
api_enroll(struct api *a, struct MHD_Connection *conn, struct api_req *req)
{
	struct enroll_request er;
	unsigned char sum[SHA256_DIGEST_LENGTH];
	char err[512], id[IDS_LEN + 1], status[16];
	const char *key;
	enum MHD_Result ret;
	int n;

	if (req->toobig)
		return api_error(conn, MHD_HTTP_CONTENT_TOO_LARGE,
		    "the body is over %d bytes", API_MAX_BODY);
	if (api_idem_key(conn, &key) < 0)
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "Idempotency-Key "
		    "must be 1-%d printable ASCII characters", API_IDEM_KEY_MAX);
	if (enroll_parse(req->body != NULL ? req->body : "", req->len,
	    a->s->key_type, &er, err, sizeof(err)) < 0)
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "%s", err);
	if (enroll_check_cas(&er, a->s, err, sizeof(err)) < 0) {
		ret = api_error(conn, MHD_HTTP_BAD_REQUEST, "%s", err);
		goto out;
	}
	if (api_db(a, err, sizeof(err)) < 0) {
		ret = api_unavailable(conn, err);
		goto out;
	}
	SHA256((const unsigned char *)(req->body != NULL ? req->body : ""),
	    req->len, sum);
	if (key != NULL && (n = api_idem_find(a, key, sum, id, status, err,
	    sizeof(err))) != 0) {
		ret = n < 0 ? api_unavailable(conn, err) : n == 2 ?
		    api_error(conn, MHD_HTTP_UNPROCESSABLE_CONTENT, "this "
		    "Idempotency-Key was used with another body") :
		    api_enroll_reply(conn, MHD_HTTP_OK, id, status, &er);
		goto out;
	}
	ret = api_enroll_create(a, conn, &er, key, sum);
out:
	enroll_request_free(&er);
	return ret;
}
