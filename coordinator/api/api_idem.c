/* api_idem.c -- Idempotency-Key on POSTs and DELETEs: the key's syntax, its row in idempotency_keys (an enrollment's: the certificate it answered; a lifecycle request's: the reply it gave), replays and refusals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "api_int.h"
#include "db.h"
#include "log.h"

/* A key taken by a request that never answered (the coordinator stopped
 * under it) may be taken again after this long. */
#define API_IDEM_STALE "'5 minutes'"

int
api_idem_key(struct MHD_Connection *conn, const char **key)
{
	size_t i;

	*key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "Idempotency-Key");
	if (*key == NULL)
		return 0;
	if ((*key)[0] == '\0' || strlen(*key) > API_IDEM_KEY_MAX)
		return -1;
	for (i = 0; (*key)[i] != '\0'; i++)
		if ((*key)[i] < 0x21 || (*key)[i] > 0x7e)
			return -1;
	return 0;
}

int
api_idem_find(struct api *a, const char *key, const unsigned char *sum,
    char id[IDS_LEN + 1], char status[16], char *err, size_t errlen)
{
	PGresult *r;
	int rc;

	/* a key of a lifecycle request (no certificate) is another body */
	if ((r = db_query(a->db, "api idempotency", "SELECT k.certificate, "
	    "c.status, k.body_sha256 = $2::bytea AND c.id IS NOT NULL FROM "
	    "idempotency_keys k LEFT JOIN certificates c ON c.id = "
	    "k.certificate WHERE k.key = $1", 2,
	    (const char *[]){ key, (const char *)sum }, (const int[]){ 0, 32 },
	    (const int[]){ 0, 1 }, err, errlen)) == NULL)
		return -1;
	if (PQntuples(r) == 0)
		rc = 0;
	else if (strcmp(PQgetvalue(r, 0, 2), "t") != 0)
		rc = 2;
	else {
		snprintf(id, IDS_LEN + 1, "%s", PQgetvalue(r, 0, 0));
		snprintf(status, 16, "%s", PQgetvalue(r, 0, 1));
		rc = 1;
	}
	PQclear(r);
	return rc;
}

int
api_idem_store(struct api *a, const char *key, const unsigned char *sum,
    const char *id, char *err, size_t errlen)
{
	return db_exec(a->db, "api idempotency store", "INSERT INTO "
	    "idempotency_keys (key, body_sha256, certificate) VALUES ($1, $2, "
	    "$3) ON CONFLICT (key) DO NOTHING", 3, (const char *[]){ key,
	    (const char *)sum, id }, (const int[]){ 0, 32, 0 },
	    (const int[]){ 0, 1, 0 }, err, errlen) < 0 ? -1 : 0;
}

/* One query argument into the digest (MHD_KeyValueIterator). */
static enum MHD_Result
api_idem_arg(void *cls, enum MHD_ValueKind kind, const char *k,
    const char *v)
{
	(void)kind;
	EVP_DigestUpdate(cls, "&", 1);
	EVP_DigestUpdate(cls, k, strlen(k));
	EVP_DigestUpdate(cls, "=", 1);
	if (v != NULL)
		EVP_DigestUpdate(cls, v, strlen(v));
	return MHD_YES;
}

/* sum: SHA-256 of the request (method, path, query arguments, body). */
static int
api_idem_digest(struct MHD_Connection *conn, const char *method,
    const char *url, const struct api_req *req, unsigned char sum[32])
{
	EVP_MD_CTX *md;
	int ok;

	if ((md = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, method, strlen(method)) == 1 &&
	    EVP_DigestUpdate(md, " ", 1) == 1 &&
	    EVP_DigestUpdate(md, url, strlen(url) + 1) == 1;
	if (ok)
		MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, api_idem_arg,
		    md);
	ok = ok && EVP_DigestUpdate(md, "\n", 1) == 1 &&
	    (req->len == 0 || EVP_DigestUpdate(md, req->body, req->len) == 1) &&
	    EVP_DigestFinal_ex(md, sum, NULL) == 1;
	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

/* Takes key for this request: 1 when it is ours now (new, or left by a
 * request that never answered), 0 when another request has it, -1. */
static int
api_idem_take(struct api *a, const char *key, const unsigned char *sum,
    char *err, size_t errlen)
{
	const char *p[2] = { key, (const char *)sum };
	const int len[2] = { 0, 32 }, fmt[2] = { 0, 1 };
	int n;

	if ((n = db_exec(a->db, "api idempotency take", "INSERT INTO "
	    "idempotency_keys (key, body_sha256) VALUES ($1, $2) ON CONFLICT "
	    "(key) DO NOTHING", 2, p, len, fmt, err, errlen)) != 0)
		return n < 0 ? -1 : 1;
	n = db_exec(a->db, "api idempotency retake", "UPDATE idempotency_keys "
	    "SET body_sha256 = $2, created_at = now() WHERE key = $1 AND "
	    "certificate IS NULL AND reply_status IS NULL AND created_at < "
	    "now() - interval " API_IDEM_STALE, 2, p, len, fmt, err, errlen);
	return n < 0 ? -1 : n > 0;
}

/* The answer for a key another request took: its reply again (same
 * request), 422 (another request), 409 (still being answered). */
static enum MHD_Result
api_idem_answer(struct api *a, struct MHD_Connection *conn, const char *key,
    const unsigned char *sum)
{
	char err[512];
	PGresult *r;
	enum MHD_Result ret;

	if ((r = db_query(a->db, "api idempotency reply", "SELECT body_sha256 = "
	    "$2::bytea AND certificate IS NULL, reply_status, reply_body FROM "
	    "idempotency_keys WHERE key = $1", 2, (const char *[]){ key,
	    (const char *)sum }, (const int[]){ 0, 32 }, (const int[]){ 0, 1 },
	    err, sizeof(err))) == NULL)
		return api_unavailable(conn, err);
	if (PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") != 0)
		ret = api_error(conn, MHD_HTTP_UNPROCESSABLE_CONTENT, "this "
		    "Idempotency-Key was used with another request");
	else if (PQntuples(r) == 0 || PQgetisnull(r, 0, 1))
		ret = api_error(conn, MHD_HTTP_CONFLICT, "a request with this "
		    "Idempotency-Key is being answered; try again");
	else
		ret = api_reply(conn, (unsigned)atoi(PQgetvalue(r, 0, 1)),
		    API_JSON_TYPE, PQgetvalue(r, 0, 2), (size_t)PQgetlength(r, 0,
		    2));
	PQclear(r);
	return ret;
}

/* Keeps the reply the request gave with its key (below 500 and not 429:
 * it changed what it says or nothing), else lets the key go (a retry runs
 * the request again). */
static void
api_idem_keep(struct api *a, const char *key, unsigned status,
    const char *body)
{
	char err[256], st[16];
	int keep = body != NULL && status >= 200 && status < 500 &&
	    status != MHD_HTTP_TOO_MANY_REQUESTS;

	snprintf(st, sizeof(st), "%u", status);
	if ((keep ? db_exec(a->db, "api idempotency keep", "UPDATE "
	    "idempotency_keys SET reply_status = $2::integer, reply_body = $3 "
	    "WHERE key = $1", 3, (const char *[]){ key, st, body }, NULL, NULL,
	    err, sizeof(err)) : db_exec(a->db, "api idempotency drop", "DELETE "
	    "FROM idempotency_keys WHERE key = $1 AND reply_status IS NULL AND "
	    "certificate IS NULL", 1, &key, NULL, NULL, err, sizeof(err))) < 0)
		log_warn("api: Idempotency-Key %s: %s", keep ? "reply not kept" :
		    "not let go", err);
}

enum MHD_Result
api_idem_run(struct api *a, struct MHD_Connection *conn, const char *method,
    const char *url, struct api_req *req, api_idem_fn *fn, void *ctx)
{
	unsigned char sum[32];
	char err[512], *body;
	const char *key;
	enum MHD_Result ret;
	unsigned status;
	int n;

	if (api_idem_key(conn, &key) < 0)
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "Idempotency-Key "
		    "must be 1-%d printable ASCII characters", API_IDEM_KEY_MAX);
	if (key == NULL)
		return fn(a, conn, req, ctx);
	if (req->toobig)
		return api_error(conn, MHD_HTTP_CONTENT_TOO_LARGE,
		    "the body is over %d bytes", API_MAX_BODY);
	if (api_idem_digest(conn, method, url, req, sum) < 0)
		return api_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "no digest of the request");
	if (api_db(a, err, sizeof(err)) < 0 ||
	    (n = api_idem_take(a, key, sum, err, sizeof(err))) < 0)
		return api_unavailable(conn, err);
	if (n == 0)
		return api_idem_answer(a, conn, key, sum);
	api_capture_begin();
	ret = fn(a, conn, req, ctx);
	body = api_capture_end(&status);
	if (api_db(a, err, sizeof(err)) == 0)
		api_idem_keep(a, key, status, body);
	free(body);
	return ret;
}
