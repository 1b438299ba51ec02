/* api_tokens.c -- who calls /v1 and what they may do: the bootstrap CERTFLEET_TOKEN and the hashed, scoped tokens of api_tokens; /v1/tokens creates, lists and revokes them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "api_int.h"
#include "b64.h"
#include "db.h"
#include "ids.h"
#include "log.h"

#define API_TOKEN_PREFIX "cft_"	/* every secret made here starts so */
#define API_TOKEN_RANDOM 32	/* random bytes of a secret */
#define API_TOKEN_NAME_MAX 100

static const char *const api_scope_names[] = { "none", "read", "enroll",
    "admin" };

const char *
api_scope_name(enum api_scope s)
{
	return api_scope_names[s];
}

static int
api_scope_parse(const char *s, enum api_scope *out)
{
	enum api_scope i;

	for (i = API_SCOPE_READ; i <= API_SCOPE_ADMIN; i++)
		if (strcmp(s, api_scope_names[i]) == 0) {
			*out = i;
			return 0;
		}
	return -1;
}

/* The bearer token of the request, or NULL. */
static const char *
api_bearer(struct MHD_Connection *conn)
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);

	if (h == NULL || strncmp(h, "Bearer ", 7) != 0 || h[7] == '\0')
		return NULL;
	return h + 7;
}

int
api_tokens_caller(struct api *a, struct MHD_Connection *conn,
    struct api_caller *c, char *err, size_t errlen)
{
	unsigned char got[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1];
	const char *bearer;
	PGresult *r;
	size_t i;
	int found;

	memset(c, 0, sizeof(*c));
	snprintf(c->id, sizeof(c->id), "-");
	if ((bearer = api_bearer(conn)) == NULL)
		return 0;
	SHA256((const unsigned char *)bearer, strlen(bearer), got);
	if (CRYPTO_memcmp(got, a->srv->admin, sizeof(got)) == 0) {
		snprintf(c->id, sizeof(c->id), "bootstrap");
		c->scope = API_SCOPE_ADMIN;
		return 1;
	}
	if (strncmp(bearer, API_TOKEN_PREFIX, strlen(API_TOKEN_PREFIX)) != 0)
		return 0;
	for (i = 0; i < sizeof(got); i++)
		snprintf(hex + 2 * i, 3, "%02x", got[i]);
	if (api_db(a, err, errlen) < 0)
		return -1;
	/* last_used_at is written at most once a minute per token */
	if ((r = db_query(a->db, "api token", "WITH t AS (SELECT id, scope "
	    "FROM api_tokens WHERE hash = decode($1, 'hex') AND revoked_at IS "
	    "NULL), u AS (UPDATE api_tokens SET last_used_at = now() WHERE id "
	    "IN (SELECT id FROM t) AND (last_used_at IS NULL OR last_used_at < "
	    "now() - interval '1 minute')) SELECT id, scope FROM t", 1,
	    (const char *[]){ hex }, NULL, NULL, err, errlen)) == NULL)
		return -1;
	found = PQntuples(r) == 1 && api_scope_parse(PQgetvalue(r, 0, 1),
	    &c->scope) == 0;
	if (found)
		snprintf(c->id, sizeof(c->id), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return found;
}

/* The scope a certificate's sub-path needs: POST renew/retry enroll, a
 * key (privkey.pem, export.p12) admin, revoke admin, other GETs read. */
static enum api_scope
api_tokens_need_cert(const char *rest, int get)
{
	if (strcmp(rest, "/privkey.pem") == 0 || strcmp(rest, "/export.p12") == 0)
		return API_SCOPE_ADMIN;
	if (get)
		return API_SCOPE_READ;
	if (strcmp(rest, "/renew") == 0 || strcmp(rest, "/retry") == 0)
		return API_SCOPE_ENROLL;
	return API_SCOPE_ADMIN;
}

enum api_scope
api_tokens_need(const char *path, const char *method)
{
	int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	const char *slash;

	if (strcmp(path, "tokens") == 0 || strncmp(path, "tokens/", 7) == 0 ||
	    strcmp(path, "audit") == 0 || strncmp(path, "audit?", 6) == 0)
		return API_SCOPE_ADMIN;
	if (strncmp(path, "certificates/", 13) == 0 &&
	    (slash = strchr(path + 13, '/')) != NULL)
		return api_tokens_need_cert(slash, get);
	if (get)
		return API_SCOPE_READ;
	if (strcmp(path, "certificates") == 0 ||
	    strcmp(path, "certificates:bulk") == 0 ||
	    strcmp(path, "certificates:import") == 0 ||
	    strcmp(path, "certificates:retry") == 0)
		return API_SCOPE_ENROLL;
	return API_SCOPE_ADMIN;
}

/* Makes a secret: "cft_" and 43 base64url characters; its SHA-256 as hex
 * into hex. Returns 0 or -1. */
static int
api_tokens_secret(char *secret, size_t len, char *hex)
{
	unsigned char raw[API_TOKEN_RANDOM], h[SHA256_DIGEST_LENGTH];
	char *enc;
	size_t i;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	enc = b64url_encode(raw, sizeof(raw));
	OPENSSL_cleanse(raw, sizeof(raw));
	if (enc == NULL)
		return -1;
	snprintf(secret, len, "%s%s", API_TOKEN_PREFIX, enc);
	OPENSSL_clear_free(enc, strlen(enc));
	SHA256((const unsigned char *)secret, strlen(secret), h);
	for (i = 0; i < sizeof(h); i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	return 0;
}

/* POST /v1/tokens {"name", "scope"}: 201 with the secret, shown once. */
static enum MHD_Result
api_tokens_create(struct api *a, struct MHD_Connection *conn,
    struct api_req *req, const struct api_caller *caller)
{
	char err[512], id[IDS_LEN + 1], secret[128], hex[65];
	const char *name = NULL, *scope = NULL;
	enum api_scope sc;
	enum MHD_Result ret;
	json_error_t je;
	json_t *j;

	if (req->toobig || (j = json_loadb(req->body, req->len,
	    JSON_REJECT_DUPLICATES, &je)) == NULL)
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "the body must be "
		    "a JSON object {\"name\", \"scope\"}");
	if (json_unpack_ex(j, &je, JSON_STRICT, "{s:s, s:s}", "name", &name,
	    "scope", &scope) < 0 || name[0] == '\0' ||
	    strlen(name) > API_TOKEN_NAME_MAX ||
	    api_scope_parse(scope, &sc) < 0) {
		json_decref(j);
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "want {\"name\": 1-%d "
		    "characters, \"scope\": read, enroll or admin}",
		    API_TOKEN_NAME_MAX);
	}
	if (ids_new(id) < 0 || api_tokens_secret(secret, sizeof(secret),
	    hex) < 0) {
		json_decref(j);
		return api_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "no randomness");
	}
	if (api_db(a, err, sizeof(err)) < 0 || db_exec(a->db, "api token "
	    "create", "INSERT INTO api_tokens (id, name, scope, hash, "
	    "created_by) VALUES ($1, $2, $3, decode($4, 'hex'), $5)", 5,
	    (const char *[]){ id, name, scope, hex, caller->id }, NULL, NULL,
	    err, sizeof(err)) < 0) {
		json_decref(j);
		OPENSSL_cleanse(secret, sizeof(secret));
		return api_unavailable(conn, err);
	}
	log_info("api: token %s (%s, scope %s) created by %s", id, name, scope,
	    caller->id);
	ret = api_json(conn, MHD_HTTP_CREATED, json_pack("{s:s, s:s, s:s, s:s}",
	    "id", id, "name", name, "scope", scope, "token", secret));
	json_decref(j);
	OPENSSL_cleanse(secret, sizeof(secret));
	return ret;
}

/* GET /v1/tokens: every token, never a secret or its hash. */
static enum MHD_Result
api_tokens_list(struct api *a, struct MHD_Connection *conn)
{
	char err[512];
	PGresult *r;
	json_t *arr;
	int i;

	if (api_db(a, err, sizeof(err)) < 0 || (r = db_query(a->db,
	    "api tokens", "SELECT id, name, scope, created_by, "
	    API_TS("created_at") ", " API_TS("last_used_at") ", "
	    API_TS("revoked_at") " FROM api_tokens ORDER BY created_at, id", 0,
	    NULL, NULL, NULL, err, sizeof(err))) == NULL)
		return api_unavailable(conn, err);
	arr = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(arr, json_pack("{s:o, s:o, s:o, s:o, s:o, "
		    "s:o, s:o}", "id", api_col(r, i, 0), "name", api_col(r, i, 1),
		    "scope", api_col(r, i, 2), "created_by", api_col(r, i, 3),
		    "created_at", api_col(r, i, 4), "last_used_at",
		    api_col(r, i, 5), "revoked_at", api_col(r, i, 6)));
	PQclear(r);
	return api_json(conn, MHD_HTTP_OK, json_pack("{s:o}", "tokens", arr));
}

/* POST /v1/tokens/{id}/revoke: 200; 404 for an unknown or revoked one. */
static enum MHD_Result
api_tokens_revoke(struct api *a, struct MHD_Connection *conn,
    const char *id)
{
	char err[512];
	long n;

	if (api_db(a, err, sizeof(err)) < 0 || (n = db_exec(a->db,
	    "api token revoke", "UPDATE api_tokens SET revoked_at = now() "
	    "WHERE id = $1 AND revoked_at IS NULL", 1, (const char *[]){ id },
	    NULL, NULL, err, sizeof(err))) < 0)
		return api_unavailable(conn, err);
	if (n == 0)
		return api_error(conn, MHD_HTTP_NOT_FOUND, "no live token %s", id);
	log_info("api: token %s revoked", id);
	return api_json(conn, MHD_HTTP_OK, json_pack("{s:s, s:b}", "id", id,
	    "revoked", 1));
}

enum MHD_Result
api_route_tokens(struct api *a, struct MHD_Connection *conn,
    const char *path, const char *method, struct api_req *req,
    const struct api_caller *caller)
{
	char id[IDS_LEN + 2];
	const char *rest;

	if (strcmp(path, "tokens") == 0) {
		if (strcmp(method, "POST") == 0)
			return api_tokens_create(a, conn, req, caller);
		if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
			return api_tokens_list(a, conn);
		return api_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "%s is not allowed on /v1/tokens (GET, POST)", method);
	}
	rest = api_segment(path + 7, id, sizeof(id));
	if (strcmp(rest, "/revoke") != 0 || !ids_valid(id))
		return api_error(conn, MHD_HTTP_NOT_FOUND, "no such path");
	if (strcmp(method, "POST") != 0)
		return api_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "%s is not allowed here (POST)", method);
	return api_tokens_revoke(a, conn, id);
}
