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
#include "api_tls.h"

#define API_PEM_TYPE "application/x-pem-file"
#define API_JSON_TYPE "application/json"

#define API_TS(col) "to_char(" col " AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* The server: shared by every request thread, read only once started
 * (but the TLS pair, which api_reload_tls swaps under api_tls.c's lock). */
struct api_server {
	struct MHD_Daemon	*mhd;
	struct pgpool		*pool;	/* the requests' PostgreSQL connections */
	struct enroll_group	*group;	/* single enrollments' group commit */
	const struct settings	*s;
	const struct vault	*v;
	unsigned char		 admin[SHA256_DIGEST_LENGTH];
	unsigned char		 worker[SHA256_DIGEST_LENGTH];
	struct api_tls		 tls;	/* HTTPS files (api_tls.c) */
	char			 tls_failure[512]; /* last reload error logged */
	char			 ca_failure[512]; /* ... of the client CA */
};

/* One request's view of the server, made by api.c for each request and
 * handed to its endpoint: the settings, the vault, and the PostgreSQL
 * connection this request alone holds (NULL until api_db() takes one from
 * the pool; given back when the endpoint returns). */
struct api {
	PGconn			*db;
	const struct settings	*s;
	const struct vault	*v;
	struct api_server	*srv;
};

/* Per request: the body read so far (wiped when freed: it may hold a key
 * to import or a bundle's password). */
struct api_req {
	char	*body;
	size_t	 len;
	size_t	 alloc;		/* bytes allocated for body */
	size_t	 cap;		/* longest body taken (api_body_cap) */
	int	 toobig;
};

/* ---- replies (api.c) ---- */

/* Queues body[0..len) (copied) with status and content type ctype. */
enum MHD_Result api_reply(struct MHD_Connection *conn, unsigned status,
    const char *ctype, const char *body, size_t len);

/* Sends j (a reference is stolen) as JSON. */
enum MHD_Result api_json(struct MHD_Connection *conn, unsigned status,
    json_t *j);

/* Reads the limit or quota field of a JSON body: absent or null (no limit)
 * sets *out to -1; an integer >= 0 is stored. Returns 0, or -1 with a
 * message naming the field in err (api_tenants.c). */
int api_limit_field(json_t *root, const char *field, long long *out,
    char *err, size_t errlen);

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

/* MHD_queue_response that notes status for api_status_last: every answer
 * is queued through it (or api_reply, api_reply_secret_as). */
enum MHD_Result api_queue(struct MHD_Connection *conn, unsigned status,
    struct MHD_Response *r);

/* Captures the next answer this thread sends through api_reply (every
 * JSON answer): api_capture_end returns its body (malloc'd, NULL when none
 * was sent) and status, and stops capturing. */
void api_capture_begin(void);
char *api_capture_end(unsigned *status);

/* The status of the last answer queued by this thread (api_reply,
 * api_reply_secret_as), 0 after api_status_reset: the audit log's. */
unsigned api_status_last(void);
void api_status_reset(void);

/* The audit row of the change this thread is serving, for the enrollment
 * it makes to write in its own transaction (enroll_audit.h) with status,
 * what the call answers once that commits; NULL when the call is no
 * recorded change or its row was handed already. When the row was written
 * (its id set), the call's end writes no other row, and updates the row's
 * status if the answer's differs; else it records the call as before. */
struct enroll_audit;
struct enroll_audit *api_audit_ahead(unsigned status);

/* 1 when the request carries "Bearer <token>" hashing (SHA-256) to want. */
int api_authorized(struct MHD_Connection *conn, const unsigned char *want);

/* Routes a /v1 request (path after "/v1/") once authorized. */
enum MHD_Result api_route_v1(struct api *a, struct MHD_Connection *conn,
    const char *path, const char *method, struct api_req *req);

/* ---- database and parsing helpers (api.c) ---- */

/* Makes a->db this request's connection, taken from the pool when it has
 * none yet (waiting up to CERTFLEET_PG_POOL_WAIT_MS). Returns 0, or -1 with
 * a message in err: PostgreSQL unreachable, or every connection busy. */
int api_db(struct api *a, char *err, size_t errlen);

/* 503: the database is unreachable or busy (err is logged, not sent). */
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

/* GET /v1/certificates[?filters]: a page and the next page's cursor
 * (api_search.c; the filters are searchq.h's). */
enum MHD_Result api_list(struct api *a, struct MHD_Connection *conn);

/* GET /v1/certificates:count[?filters]: {"count", "exact", "estimate"}. */
enum MHD_Result api_count(struct api *a, struct MHD_Connection *conn);

/* GET /v1/certificates/{id}; id is valid. */
enum MHD_Result api_show(struct api *a, struct MHD_Connection *conn,
    const char *id);

/* POST /v1/certificates/{id}/renew|revoke; id is valid. */
enum MHD_Result api_renew(struct api *a, struct MHD_Connection *conn,
    const char *id);
enum MHD_Result api_revoke(struct api *a, struct MHD_Connection *conn,
    const char *id, struct api_req *req);

/* ---- imports, exports and bulk enrollment (api_import.c, api_export.c,
 * api_bulk.c) ---- */

/* POST /v1/certificates:import: 201 with Location, 200 for a certificate
 * stored already, 400 (nothing written) when it does not validate, 409
 * when a live certificate has its name set (unless force), 429 quota. */
enum MHD_Result api_import(struct api *a, struct MHD_Connection *conn,
    struct api_req *req);

/* rest follows /v1/certificates/{id} (id not checked yet): "/cert.pem",
 * "/chain.pem", "/fullchain.pem", "/cert.der", "/privkey.pem" (GET) and
 * "/export.p12" (POST); 404 for anything else or a certificate that is
 * not issued, 405 for a wrong method. */
enum MHD_Result api_route_export(struct api *a, struct MHD_Connection *conn,
    const char *id, const char *rest, const char *method,
    struct api_req *req);

/* POST /v1/certificates:bulk: 200 with one NDJSON line per set, in order;
 * 413 over API_BULK_MAX_BODY or API_BULK_MAX_SETS (nothing written). */
enum MHD_Result api_bulk(struct api *a, struct MHD_Connection *conn,
    struct api_req *req);

/* The longest body a request to url may send: API_BULK_MAX_BODY for the
 * bulk route, API_MAX_BODY for every other. */
size_t api_body_cap(const char *url);

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
 * errors, budget headroom and the scopes its rate-limit reports hold. */
enum MHD_Result api_cas(struct api *a, struct MHD_Connection *conn);

/* POST /v1/cas/{name}/holds:release, body {"scope": S, "holds": V} (both,
 * as GET /v1/cas shows a hold) or empty (every hold of the CA): the holds
 * end now, and the orders they held (and the order each was refused for)
 * are due again -> 200 {released, orders}. */
enum MHD_Result api_cas_release(struct api *a, struct MHD_Connection *conn,
    const char *name, const struct api_req *req);

/* path is what follows "cas/": "{name}/holds:release" (POST). */
enum MHD_Result api_route_ca(struct api *a, struct MHD_Connection *conn,
    const char *path, const char *method, const struct api_req *req);

/* ---- GET /v1/hostnames/{name} (api_hostnames.c) ---- */

/* The certificate serving name now (exact, else its wildcard; null when
 * none is issued and valid), every certificate carrying it, "conflict"
 * when more than one live certificate has the exact name, and the history
 * of issued certificates; 404 when none carries it, 400 for a bad name. */
enum MHD_Result api_hostname(struct api *a, struct MHD_Connection *conn,
    const char *name);

/* ---- /v1/tenants (api_tenants.c) ---- */

/* path is "tenants" or "tenants/{name}": the list, and setting a tenant's
 * quotas. */
enum MHD_Result api_route_tenants(struct api *a, struct MHD_Connection *conn,
    const char *path, const char *method, struct api_req *req);

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

/* ---- Idempotency-Key (api_idem.c) ---- */

#define API_IDEM_KEY_MAX 255	/* Idempotency-Key: printable ASCII */

/* The request's Idempotency-Key in *key: NULL when absent. Returns 0, or
 * -1 when it is malformed (empty, longer, not printable ASCII). */
int api_idem_key(struct MHD_Connection *conn, const char **key);

/* An enrollment's key: 1 with the certificate it answered (same body,
 * sum: the body's SHA-256), 2 when it was used with another body or by
 * another kind of request, 0 when unused, -1 with err. */
int api_idem_find(struct api *a, const char *key, const unsigned char *sum,
    char id[IDS_LEN + 1], char status[16], char *err, size_t errlen);

/* Remembers that an enrollment's key (body digest sum) answered
 * certificate id (a key taken already stays as it is). Returns 0, or -1. */
int api_idem_store(struct api *a, const char *key, const unsigned char *sum,
    const char *id, char *err, size_t errlen);

typedef enum MHD_Result api_idem_fn(struct api *a,
    struct MHD_Connection *conn, struct api_req *req, void *ctx);

/*
 * Runs fn(a, conn, req, ctx), a request that changes certificates, under
 * its Idempotency-Key when it has one: the key is taken first (one row of
 * idempotency_keys, with the SHA-256 of method, url, query and body), fn
 * runs, and its reply is kept with the key (statuses below 500 but 429;
 * any other lets the key go). The same key again: the kept reply, with
 * no second effect (same request), 422 (another request, or the key of an
 * enrollment), 409 (the first is still being answered). 400 when the key
 * is malformed. Without a key, just fn.
 */
enum MHD_Result api_idem_run(struct api *a, struct MHD_Connection *conn,
    const char *method, const char *url, struct api_req *req,
    api_idem_fn *fn, void *ctx);

/* ---- a certificate's lifecycle (api_lifecycle.c, api_delete.c) ---- */

/* After a change's transaction failed and was rolled back, the tries-th
 * time: 1 (the fault noted on a->db cleared) when it met a deadlock or a
 * serialization failure (SQLSTATE class 40) and may run again, else 0. */
int api_lifecycle_retry(struct api *a, int tries);

/* Ends the transaction of a batch of lifecycle changes: committed when
 * complete (each change of it went through), else rolled back. Returns 0
 * (committed), 1 when the batch is to run again (a deadlock or a
 * serialization failure: api_lifecycle_retry), or -1 with err (nothing of
 * the batch stays). */
int api_lifecycle_batch_end(struct api *a, int complete, int *tries,
    char *err, size_t errlen);

/*
 * POST /v1/certificates:delete: {"ids": [ids]} (at most 1000) or
 * {"tenant": T, "label": "KEY:VALUE"} (either or both: the first "limit",
 * at most 1000, of its certificates not deleted yet, by id), with
 * "dry_run": true (only "matched", the count it would delete now; a
 * selector's counted up to 1,000,000), "revoke": true and "reason".
 * Each certificate goes through lifecycle_delete, in transactions of 100;
 * 200 with matched, deleted, unchanged (deleted already), not_found (ids),
 * revocations, not_revoked (revoke asked, but the CA cannot: not issued or
 * revoked already) and remaining (the selector's not deleted yet: ask
 * again until 0). 400 on a bad body, nothing changed.
 */
enum MHD_Result api_delete_bulk(struct api *a, struct MHD_Connection *conn,
    struct api_req *req);

/*
 * POST /v1/certificates:move: {"from_ca": A, "ca": B, "fallback": [...],
 * "now": bool, "tenant": T, "label": "KEY:VALUE", "after": ID, "limit": N,
 * "dry_run": bool}. The certificates of CA A (A is their CA or a fallback,
 * issued their current certificate, or holds an order of theirs in
 * flight), live (pending, issued, failed), of the tenant and label when
 * given, with ids above after, the first limit (at most 1000) by id: each
 * goes through lifecycle_ca, in transactions of 100. 200 with moved,
 * unchanged, conflicts (their status changed meanwhile), orders (new
 * orders at B), orders_cancelled, renewals_due and next (the last id
 * taken: ask again with after = next until it is null). dry_run: only
 * matched, A's certificates (all of them, counted up to 1,000,000), and
 * served, those of them a certificate of A still serves. 400 on
 * a bad body or a CA to move to that is not configured, nothing changed.
 */
enum MHD_Result api_move_bulk(struct api *a, struct MHD_Connection *conn,
    struct api_req *req);


/* 1 when rest (after /v1/certificates/{id}) with method is
 * api_route_lifecycle's: "" with DELETE, "/disable", "/enable", "/names",
 * "/ca", "/changes". */
int api_lifecycle_path(const char *rest, const char *method);

/* DELETE /v1/certificates/{id}[?revoke=true&reason=R], POST .../disable,
 * .../enable, .../names {"add": [...], "drop": [...]}, .../ca {"ca": NAME,
 * "fallback": [...], "now": bool} (lifecycle_ca): 200 {id, action,
 * changed, previous_status, status, order, orders_cancelled, revocation;
 * renewal_due for ca} (202 when an order was queued), 400 bad input, 404 unknown id, 409 a
 * status that does not allow it; nothing written unless 200/202. GET
 * .../changes: the changes recorded, newest first. id not checked yet. */
enum MHD_Result api_route_lifecycle(struct api *a,
    struct MHD_Connection *conn, const char *id, const char *rest,
    const char *method, struct api_req *req);

/* ---- /v1/accounts (api_accounts.c) ---- */

/* path is "accounts" or "accounts/...": the list, key rollover and
 * deactivation. */
enum MHD_Result api_route_accounts(struct api *a, struct MHD_Connection *conn,
    const char *path, const char *method, struct api_req *req);

/* ---- peter_sslers edges (api_edge.c) ---- */

/* Where peter_sslers serves its admin routes by default: an edge's
 * fallback_server keeps its path and only changes host and port. */
#define API_EDGE_PREFIX "/.well-known/admin/"

/* path follows API_EDGE_PREFIX: "domain/{name}/config.json", GET, from a
 * client address in CERTFLEET_EDGE_NETWORKS only (403 otherwise, and when
 * the setting is unset); 400 for a name that is not a host name. */
enum MHD_Result api_route_edge(struct api *a, struct MHD_Connection *conn,
    const char *path, const char *method);

/* Writes the client's address as text into client ("?" when unknown) and
 * returns it, NULL when MHD does not know it. */
const struct sockaddr *api_edge_client(struct MHD_Connection *conn,
    char *client, size_t clientlen);

/* 1 when the client (its address written to client) is in
 * CERTFLEET_EDGE_NETWORKS; else 0 with a 403 queued in *ret (the setting
 * unset, or the address outside it, which is logged with what). */
int api_edge_admit(struct api *a, struct MHD_Connection *conn,
    const char *what, char *client, size_t clientlen, enum MHD_Result *ret);

/* Answers peter_sslers' config.json document of name (normalized) when a
 * live certificate carries it, keys included: returns 1 with the answer
 * (200, or 500 when a key does not open) queued in *ret; 0 when none does
 * and none_ok is 0 (nothing queued); with none_ok 1, the document with both
 * members null. -1 with a 503 queued when the database fails. The caller
 * connected a->db. */
int api_edge_serve(struct api *a, struct MHD_Connection *conn,
    const char *name, const char *client, int none_ok, enum MHD_Result *ret);

/* ---- on-demand issuance (api_ondemand.c, api_ondemand_policy.c) ---- */

/* POST /.well-known/admin/api/domain/autocert.json: peter_sslers' autocert,
 * the form field domain_name; edges in CERTFLEET_EDGE_NETWORKS only. 200
 * with the config.json document when a live certificate carries the name
 * (waiting up to CERTFLEET_ON_DEMAND_AUTOCERT_WAIT_MS for a new one),
 * else 404 {"message": why} after asking for it as an edge does. */
enum MHD_Result api_autocert(struct api *a, struct MHD_Connection *conn,
    const char *method, struct api_req *req);

/* path follows "/edge/v1/": POST on-demand, the names (one per line) a
 * certfleet edge asks certificates for; 202. Edges only: a client in
 * CERTFLEET_EDGE_NETWORKS and/or the bearer CERTFLEET_EDGE_TOKEN (each
 * one set must pass; 403 when neither is set). */
enum MHD_Result api_route_edgeask(struct api *a, struct MHD_Connection *conn,
    const char *path, const char *method, struct api_req *req);

/* 1 when a /v1 path (after "/v1/") is api_route_ondemand's: "on-demand" or
 * "tenants/{name}/on-demand". */
int api_ondemand_path(const char *path);

/* GET /v1/on-demand (policy, counters, queue, recent decisions), GET and
 * PUT /v1/tenants/{name}/on-demand (a tenant's allow-list and limits). */
enum MHD_Result api_route_ondemand(struct api *a, struct MHD_Connection *conn,
    const char *path, const char *method, struct api_req *req);

/* ---- /v1/actions (api_actions.c) ---- */

/* path is "actions/...": GET /v1/actions/{id}, the state of a revocation,
 * key rollover or deactivation: {id, kind, status (pending, done, failed),
 * attempt, account, certificate, issued_certificate, problem {type,
 * detail} or null, reason, created_at, updated_at}; 404 for an unknown id. */
enum MHD_Result api_route_actions(struct api *a, struct MHD_Connection *conn,
    const char *path, const char *method);

/* ---- /internal/v1 (api_internal.c) ---- */

/* path follows "/internal/v1/": the workers' account key, pending key and
 * External Account Binding. The caller checked the worker token. */
enum MHD_Result api_route_internal(struct api *a, struct MHD_Connection *conn,
    const char *path, const char *method);

/* ---- tokens, scopes and the audit log (api_tokens.c, api_audit.c) ---- */

enum api_scope {
	API_SCOPE_NONE,
	API_SCOPE_READ,		/* GET, no private keys */
	API_SCOPE_ENROLL,	/* + enroll, bulk, import, renew, retry */
	API_SCOPE_ADMIN,	/* everything: keys, revoke, tokens, audit */
};

/* Who calls: an api_tokens id, or "bootstrap" for CERTFLEET_TOKEN. */
struct api_caller {
	char		 id[40];
	enum api_scope	 scope;
};

/* "read", "enroll", "admin" ("none" for API_SCOPE_NONE). */
const char *api_scope_name(enum api_scope s);

/* The caller of a /v1 request from its bearer token: 1 with *c, 0 when the
 * token is missing, unknown or revoked, -1 with err when the database
 * fails. */
int api_tokens_caller(struct api *a, struct MHD_Connection *conn,
    struct api_caller *c, char *err, size_t errlen);

/* The scope a /v1 path (after "/v1/") and method need. */
enum api_scope api_tokens_need(const char *path, const char *method);

/* path is "tokens" or "tokens/...": POST /v1/tokens {name, scope} -> 201
 * {id, name, scope, token} (the secret, shown this once), GET the list
 * (never secrets), POST /v1/tokens/{id}/revoke. */
enum MHD_Result api_route_tokens(struct api *a, struct MHD_Connection *conn,
    const char *path, const char *method, struct api_req *req,
    const struct api_caller *caller);

/* GET /v1/audit[?limit=N&before=ID&token=ID]: newest first, {entries:
 * [{id, at, token, action, target, source, status}]}. */
enum MHD_Result api_route_audit(struct api *a, struct MHD_Connection *conn,
    const char *method);

/* The entry points of the handler: /v1 (token, scope, audit, route),
 * /internal/v1 (worker token, client certificate, audit), and the edges'
 * routes (/edge/v1/, API_EDGE_PREFIX; audited as "edge"). url is whole. */
enum MHD_Result api_serve_v1(struct api *a, struct MHD_Connection *conn,
    const char *url, const char *method, struct api_req *req);
enum MHD_Result api_serve_internal(struct api *a,
    struct MHD_Connection *conn, const char *url, const char *method);
enum MHD_Result api_serve_edge(struct api *a, struct MHD_Connection *conn,
    const char *url, const char *method, struct api_req *req);

#endif
