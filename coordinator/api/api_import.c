/* api_import.c -- POST /v1/certificates:import: a certificate issued elsewhere (PEM certificate, chain and key) taken over, served and renewed like any other. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "api_int.h"
#include "import.h"
#include "log.h"

/* Unix seconds t as "YYYY-MM-DDTHH:MM:SSZ", as the API writes times. */
static json_t *
api_import_time(time_t t)
{
	char buf[32];
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return json_null();
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

/* The reply: 201 with Location for a new certificate, 200 for one stored
 * already (this very certificate). */
static enum MHD_Result
api_import_reply(struct MHD_Connection *conn, unsigned status,
    const char *id, const char *cstatus, const char *renew,
    const struct import_request *ir)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char loc[64], *s;
	json_t *j;

	j = json_pack("{s:s, s:s, s:o, s:s, s:s, s:o, s:b}", "id", id, "status",
	    cstatus, "hostnames", api_names(ir->er.names, ir->er.nnames),
	    "serial", ir->ic.ci.serial, "key_type",
	    keys_type_name(ir->ic.key_type), "not_after",
	    api_import_time(ir->ic.ci.not_after), "existing",
	    status == MHD_HTTP_OK);
	if (j != NULL && renew != NULL)
		json_object_set_new(j, "renew_at", api_import_time(
		    (time_t)strtoll(renew, NULL, 10)));
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
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Stores ir and answers. */
static enum MHD_Result
api_import_store(struct api *a, struct MHD_Connection *conn,
    const struct import_request *ir)
{
	char err[512], id[IDS_LEN + 1], status[16], renew[32];

	switch (import_store(a->db, a->v, a->s, ir, id, status, renew, err,
	    sizeof(err))) {
	case IMPORT_CREATED:
		log_info("api: certificate %s imported: serial %s, %zu name(s), "
		    "%s, not after %lld, renew at %s", id, ir->ic.ci.serial,
		    ir->er.nnames, keys_type_name(ir->ic.key_type),
		    (long long)ir->ic.ci.not_after, renew);
		return api_import_reply(conn, MHD_HTTP_CREATED, id, status,
		    renew, ir);
	case IMPORT_EXISTING:
		return api_import_reply(conn, MHD_HTTP_OK, id, status, NULL, ir);
	case IMPORT_CONFLICT:
		return api_error(conn, MHD_HTTP_CONFLICT, "certificate %s (%s) "
		    "already has this name set; \"force\": true imports this "
		    "one as another certificate", id, status);
	case IMPORT_QUOTA:
		return api_error(conn, MHD_HTTP_TOO_MANY_REQUESTS, "%s", err);
	default:
		log_err("api: import: %s", err);
		return api_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the import could not be stored; nothing was written");
	}
}

enum MHD_Result
api_import(struct api *a, struct MHD_Connection *conn, struct api_req *req)
{
	struct import_request ir;
	char err[512];
	enum MHD_Result ret;

	if (req->toobig)
		return api_error(conn, MHD_HTTP_CONTENT_TOO_LARGE,
		    "the body is over %zu bytes", req->cap);
	if (import_parse(req->body != NULL ? req->body : "", req->len,
	    a->s->key_type, time(NULL), &ir, err, sizeof(err)) < 0)
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "%s", err);
	if (enroll_check_cas(&ir.er, a->s, err, sizeof(err)) < 0) {
		ret = api_error(conn, MHD_HTTP_BAD_REQUEST, "%s", err);
		goto out;
	}
	if (api_db(a, err, sizeof(err)) < 0) {
		ret = api_unavailable(conn, err);
		goto out;
	}
	ret = api_import_store(a, conn, &ir);
out:
	import_request_free(&ir);
	return ret;
}
