/* api_retry.c -- POST /v1/certificates/{id}/retry and POST /v1/certificates:retry: failed certificates, and renewals the CA refused, brought back by an operator. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "api_int.h"
#include "cas.h"
#include "log.h"
#include "retry.h"

#define API_PROBLEM_TYPE_MAX 256	/* a problem type URN in a filter */

enum MHD_Result
api_retry(struct api *a, struct MHD_Connection *conn, const char *id)
{
	char err[512], oid[IDS_LEN + 1];
	int n;

	if (api_db(a, err, sizeof(err)) < 0)
		return api_unavailable(conn, err);
	if ((n = retry_certificate(a->db, id, oid, err, sizeof(err))) < 0) {
		log_err("api: retry %s: %s", id, err);
		return api_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the retry could not be stored; nothing was written");
	}
	if (n == 0)
		return api_error(conn, MHD_HTTP_NOT_FOUND, "no certificate %s", id);
	if (n == 1)
		return api_json(conn, MHD_HTTP_ACCEPTED, json_pack("{s:s, s:s}",
		    "id", id, "order", oid));
	/* not failed: an issued one whose renewals the CA refused is renewed
	 * now */
	if ((n = retry_renewal_failing(a->db, id, err, sizeof(err))) < 0)
		return api_unavailable(conn, err);
	if (n == 1)
		return api_renew(a, conn, id);
	return api_error(conn, MHD_HTTP_CONFLICT, "certificate %s has not failed: "
	    "only a failed certificate, or an issued one whose last renewal "
	    "failed for good, is retried (a renewal: POST "
	    "/v1/certificates/%s/renew)", id, id);
}

/* The filter of a bulk retry: {"ca": NAME, "problem_type": URN}, both
 * optional. Returns 0, or -1 with a message for the client. */
static int
api_retry_filter(const struct api_req *req, json_t **root, const char **ca,
    const char **problem, char *err, size_t errlen)
{
	json_error_t je;
	const char *field, *s;
	json_t *v;

	*ca = *problem = NULL;
	if (req->len == 0)
		return 0;
	if ((*root = json_loadb(req->body, req->len, JSON_REJECT_DUPLICATES,
	    &je)) == NULL || !json_is_object(*root)) {
		snprintf(err, errlen, "the body must be a JSON object: {\"ca\": "
		    "NAME, \"problem_type\": URN}, both optional");
		return -1;
	}
	json_object_foreach(*root, field, v) {
		s = json_string_value(v);
		if (strcmp(field, "ca") == 0 && s != NULL && cas_name_ok(s))
			*ca = s;
		else if (strcmp(field, "problem_type") == 0 && s != NULL &&
		    json_string_length(v) > 0 &&
		    json_string_length(v) <= API_PROBLEM_TYPE_MAX &&
		    strlen(s) == json_string_length(v))
			*problem = s;
		else {
			snprintf(err, errlen, "\"%.40s\" is not a filter of a retry "
			    "(\"ca\": a CA name, \"problem_type\": a problem type)",
			    field);
			return -1;
		}
	}
	return 0;
}

enum MHD_Result
api_retry_bulk(struct api *a, struct MHD_Connection *conn,
    struct api_req *req)
{
	const char *ca, *problem;
	json_t *root = NULL;
	char err[512];
	enum MHD_Result ret;
	int n, due = 0;

	if (api_retry_filter(req, &root, &ca, &problem, err, sizeof(err)) < 0) {
		json_decref(root);
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "%s", err);
	}
	if (api_db(a, err, sizeof(err)) < 0) {
		json_decref(root);
		return api_unavailable(conn, err);
	}
	if ((n = retry_bulk(a->db, ca, problem, err, sizeof(err))) < 0 ||
	    (due = retry_renewals_due(a->db, ca, problem, err,
	    sizeof(err))) < 0) {
		log_err("api: bulk retry: %s", err);
		ret = api_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "the retry "
		    "stopped on a database error; call again for the rest");
	} else {
		log_info("api: bulk retry (ca %s, problem %s): %d certificate(s), "
		    "%d renewal(s) due again", ca != NULL ? ca : "any",
		    problem != NULL ? problem : "any", n, due);
		ret = api_json(conn, MHD_HTTP_ACCEPTED, json_pack("{s:i, s:i, "
		    "s:b}", "retried", n, "renewals_due", due, "more",
		    n == RETRY_BULK_MAX || due == RETRY_BULK_MAX));
	}
	json_decref(root);
	return ret;
}
