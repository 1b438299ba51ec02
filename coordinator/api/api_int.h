/* api_int.h -- private to api*.c: the server's state, a request's body, and the reply, database and parsing helpers the endpoint files share. */
#ifndef CERTFLEET_COORD_API_INT_H
#define CERTFLEET_COORD_API_INT_H

#include <stddef.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <microhttpd.h>
#include <openssl/sha.h>

#include "actions.h"
#include "api.h"

#define API_PEM_TYPE "application/x-pem-file"
#define API_JSON_TYPE "application/json"

#define API_TS(col) "to_char(" col " AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

struct api {
	struct MHD_Daemon	*mhd;
	PGconn			*db;	/* used by the MHD thread only */
	const struct settings	*s;
	const struct vault	*v;
	unsigned char		 admin[SHA256_DIGEST_LENGTH];
	unsigned char		 worker[SHA256_DIGEST_LENGTH];
};

/* Per request: the body read so far. */
struct api_req {
	char	*body;
	size_t	 len;
	int	 toobig;
};

/* ---- replies (api.c) ---- */

/* Queues body[0..len) (copied) with status and content type ctype. */
enum MHD_Result api_reply(struct MHD_Connection *conn, unsigned status,
    const char *ctype, const char *body, size_t len);

/* Sends j (a reference is stolen) as JSON. */
enum MHD_Result api_json(struct MHD_Connection *conn, unsigned status,
    json_t *j);

/* Sends {"error": <formatted message>} with status. */
enum MHD_Result api_error(struct MHD_Connection *conn, unsigned status,
    const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Serves a decrypted secret (pem[0..len), taken over and wiped when MHD is
 * done with it) as ctype, or as a PEM file with api_reply_secret. */
enum MHD_Result api_reply_secret_as(struct MHD_Connection *conn, char *pem,
    size_t len, const char *ctype);
enum MHD_Result api_reply_secret(struct MHD_Connection *conn, char *pem,
    size_t len);

/* ---- database and parsing helpers (api.c) ---- */

/* Connects the API's own PostgreSQL connection when needed; 0 or -1. */
int api_db(struct api *a, char *err, size_t errlen);

/* 503: the database is not reachable (err is logged, not sent). */
enum MHD_Result api_unavailable(struct MHD_Connection *conn, const char *err);

/* A JSON array of names[0..n), or of a PostgreSQL text[] literal. */
json_t *api_names(char *const *names, size_t n);
json_t *api_names_pg(const char *arr);

/* A text column as a JSON string, or null when SQL NULL. */
json_t *api_col(const PGresult *r, int row, int col);

/* Copies the id segment that starts path (up to '/' or the end) into id;
 * returns the rest of path. */
const char *api_segment(const char *path, char *id, size_t idlen);

/* 202 with the action's id for ACTIONS_QUEUED, else its error. */
enum MHD_Result api_action_reply(struct MHD_Connection *conn,
    enum actions_status st, const char *id, const char *kind, const char *err);

/* The body of an action request: empty, or a JSON object with at most the
 * one optional field. Returns 0 with *val (borrowed from *root, NULL when
 * absent), or -1 with a client message in err. json_decref(*root) after. */
int api_action_body(const struct api_req *req, const char *field,
    json_t **root, json_t **val, char *err, size_t errlen);

/* ---- /v1/certificates (api_certificates.c) ---- */

/* POST /v1/certificates: 201 with Location, 400 on a bad body. */
enum MHD_Result api_enroll(struct api *a, struct MHD_Connection *conn,
    struct api_req *req);

/* GET /v1/certificates[?limit=N], newest first. */
enum MHD_Result api_list(struct api *a, struct MHD_Connection *conn);

/* GET /v1/certificates/{id}[/fullchain.pem|/privkey.pem]; id is valid. */
enum MHD_Result api_show(struct api *a, struct MHD_Connection *conn,
    const char *id);
enum MHD_Result api_fullchain(struct api *a, struct MHD_Connection *conn,
    const char *id);
enum MHD_Result api_privkey(struct api *a, struct MHD_Connection *conn,
    const char *id);

/* POST /v1/certificates/{id}/renew|revoke; id is valid. */
enum MHD_Result api_renew(struct api *a, struct MHD_Connection *conn,
    const char *id);
enum MHD_Result api_revoke(struct api *a, struct MHD_Connection *conn,
    const char *id, struct api_req *req);

/* ---- the dashboard (api_dashboard.c, api_overview.c) ---- */

/* GET /dashboard: the page (no token: it asks for one and calls /v1). */
enum MHD_Result api_dashboard(struct MHD_Connection *conn);

/* GET /v1/overview: counts by status, expiry buckets, per CA (certificates
 * by status, orders in flight, new orders in the last 3 h against the
 * limit, problems in 24 h), the 20 latest problems. */
enum MHD_Result api_overview(struct api *a, struct MHD_Connection *conn);

/* ---- the CAs (api_cas.c) ---- */

/* GET /v1/cas: every configured CA with its circuit breaker, orders in
 * flight and their cap, orders waiting, request pacing (setting and state
 * now, read from Redis; "factor": null when Redis does not answer), recent
 * errors and budget headroom. */
enum MHD_Result api_cas(struct api *a, struct MHD_Connection *conn);

/* ---- retries (api_retry.c) ---- */

/* POST /v1/certificates/{id}/retry: 202 with the new order, 404, 409 when
 * the certificate has not failed; id is valid. */
enum MHD_Result api_retry(struct api *a, struct MHD_Connection *conn,
    const char *id);

/* POST /v1/certificates:retry {"ca": ..., "problem_type": ...}: up to
 * RETRY_BULK_MAX failed certificates retried; 202 {"retried": N, "more":
 * bool}. */
enum MHD_Result api_retry_bulk(struct api *a, struct MHD_Connection *conn,
    struct api_req *req);

/* ---- /v1/accounts (api_accounts.c) ---- */

/* path is "accounts" or "accounts/...": the list, key rollover and
 * deactivation. */
enum MHD_Result api_route_accounts(struct api *a, struct MHD_Connection *conn,
    const char *path, const char *method, struct api_req *req);

/* ---- /internal/v1 (api_internal.c) ---- */

/* path follows "/internal/v1/": the workers' account key, pending key and
 * External Account Binding. The caller checked the worker token. */
enum MHD_Result api_route_internal(struct api *a, struct MHD_Connection *conn,
    const char *path, const char *method);

#endif
