/* api_export.c -- a certificate's files: cert.pem, chain.pem, fullchain.pem, cert.der, privkey.pem and export.p12 (PKCS#12); each key download recorded (which, to whom) in key_downloads. */
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "api_int.h"
#include "db.h"
#include "ids.h"
#include "log.h"
#include "p12.h"
#include "pem.h"
#include "vault.h"

#define API_UA_MAX 200	/* bytes of a User-Agent recorded */

enum api_export_file {
	API_EXPORT_CERT,
	API_EXPORT_CHAIN,
	API_EXPORT_FULLCHAIN,
	API_EXPORT_DER,
	API_EXPORT_KEY,
	API_EXPORT_P12,
};

static const struct {
	const char		*path;	/* after /v1/certificates/{id} */
	enum api_export_file	 file;
	int			 post;	/* POST (a body), else GET/HEAD */
} api_exports[] = {
	{ "/cert.pem", API_EXPORT_CERT, 0 },
	{ "/chain.pem", API_EXPORT_CHAIN, 0 },
	{ "/fullchain.pem", API_EXPORT_FULLCHAIN, 0 },
	{ "/cert.der", API_EXPORT_DER, 0 },
	{ "/privkey.pem", API_EXPORT_KEY, 0 },
	{ "/export.p12", API_EXPORT_P12, 1 },
};

/* Columns of the current issued certificate an export reads. */
#define API_EXPORT_SQL "SELECT ic.id, ic.cert_pem, ic.chain_pem, " \
	"pk.key_ciphertext, pk.key_nonce, pk.key_tag, pk.key_id, pk.id, " \
	"hs.names[1] FROM certificates c JOIN hostname_sets hs ON hs.id = " \
	"c.hostname_set JOIN issued_certificates ic ON ic.id = " \
	"c.current_issued JOIN private_keys pk ON pk.id = ic.private_key " \
	"WHERE c.id = $1"
enum { EX_IC, EX_CERT, EX_CHAIN, EX_BOX, EX_PK = 7, EX_NAME };

/* The client's address, numeric, into out ("?" when unknown). */
static void
api_export_client(struct MHD_Connection *conn, char *out, size_t outlen)
{
	const union MHD_ConnectionInfo *ci;
	socklen_t sl;

	snprintf(out, outlen, "?");
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL)
		return;
	sl = ci->client_addr->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	if (getnameinfo(ci->client_addr, sl, out, (socklen_t)outlen, NULL, 0,
	    NI_NUMERICHOST) != 0)
		snprintf(out, outlen, "?");
}

/*
 * Records that the key of issued certificate icid (certificate id) is
 * about to be served as format: the client's address and User-Agent, in
 * key_downloads and in the log, never the key. The key is served only once
 * this is stored. Returns 0, or -1 with err.
 */
static int
api_export_record(struct api *a, struct MHD_Connection *conn, const char *id,
    const char *icid, const char *format, char *err, size_t errlen)
{
	char client[NI_MAXHOST], ua[API_UA_MAX + 1];
	const char *h;
	size_t i;

	api_export_client(conn, client, sizeof(client));
	h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_USER_AGENT);
	for (i = 0; h != NULL && h[i] != '\0' && i < API_UA_MAX; i++)
		ua[i] = (h[i] >= 0x20 && h[i] < 0x7f) ? h[i] : '?';
	ua[i] = '\0';
	if (db_exec(a->db, "api key download", "INSERT INTO key_downloads "
	    "(certificate, issued_certificate, format, client, user_agent) "
	    "VALUES ($1, $2, $3, $4, $5)", 5, (const char *[]){ id, icid,
	    format, client, ua }, NULL, NULL, err, errlen) < 0)
		return -1;
	log_info("api: private key of certificate %s (issued %s) served as %s "
	    "to %s (%s)", id, icid, format, client, ua[0] != '\0' ? ua : "-");
	return 0;
}

/* A public file of row r: cert, chain or fullchain PEM, or the leaf's DER. */
static enum MHD_Result
api_export_public(struct MHD_Connection *conn, const PGresult *r,
    enum api_export_file file)
{
	const char *cert = PQgetvalue(r, 0, EX_CERT);
	const char *chain = PQgetvalue(r, 0, EX_CHAIN);
	unsigned char *der;
	char why[256], *full;
	enum MHD_Result ret;
	size_t n;

	switch (file) {
	case API_EXPORT_CERT:
		return api_reply(conn, MHD_HTTP_OK, API_PEM_TYPE, cert,
		    strlen(cert));
	case API_EXPORT_CHAIN:
		return api_reply(conn, MHD_HTTP_OK, API_PEM_TYPE, chain,
		    strlen(chain));
	case API_EXPORT_FULLCHAIN:
		if ((full = malloc(strlen(cert) + strlen(chain) + 1)) == NULL)
			return MHD_NO;
		strcpy(full, cert);
		strcat(full, chain);
		ret = api_reply(conn, MHD_HTTP_OK, API_PEM_TYPE, full,
		    strlen(full));
		free(full);
		return ret;
	default:
		if ((der = pem_to_der(cert, strlen(cert), "CERTIFICATE", &n, why,
		    sizeof(why))) == NULL) {
			log_err("api: cert.der: %s", why);
			return api_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
			    "the stored certificate does not decode");
		}
		ret = api_reply(conn, MHD_HTTP_OK, "application/pkix-cert",
		    (const char *)der, n);
		free(der);
		return ret;
	}
}

/* The export.p12 body: {"password": "...", "legacy": bool}. Returns 0
 * with *root (json_decref it after wiping with api_export_wipe), *password
 * borrowed from it, and *legacy; or -1 with a message for the client. */
static int
api_export_p12_body(const struct api_req *req, json_t **root,
    const char **password, int *legacy, char *err, size_t errlen)
{
	json_error_t je;
	const char *k;
	json_t *v;

	*root = NULL;
	*password = NULL;
	*legacy = 0;
	if (req->toobig || (*root = json_loadb(req->body != NULL ? req->body :
	    "", req->len, JSON_REJECT_DUPLICATES, &je)) == NULL ||
	    !json_is_object(*root)) {
		snprintf(err, errlen, "the body must be a JSON object "
		    "{\"password\": ..., \"legacy\": false}");
		return -1;
	}
	json_object_foreach(*root, k, v) {
		if (strcmp(k, "password") == 0 && json_is_string(v) &&
		    json_string_length(v) >= 1 &&
		    json_string_length(v) <= P12_PASSWORD_MAX &&
		    strlen(json_string_value(v)) == json_string_length(v))
			*password = json_string_value(v);
		else if (strcmp(k, "legacy") == 0 && json_is_boolean(v))
			*legacy = json_is_true(v);
		else {
			snprintf(err, errlen, "%s: a password is a string of 1-%d "
			    "bytes, legacy true or false; nothing else is read",
			    strcmp(k, "password") == 0 || strcmp(k, "legacy") == 0 ?
			    "bad value" : "unknown field", P12_PASSWORD_MAX);
			return -1;
		}
	}
	if (*password == NULL) {
		snprintf(err, errlen, "missing field \"password\": the bundle is "
		    "always encrypted");
		return -1;
	}
	return 0;
}

/* Wipes the password inside the parsed body (jansson frees without
 * wiping), then frees it. */
static void
api_export_wipe(json_t *root)
{
	json_t *v = json_object_get(root, "password");

	if (json_is_string(v))
		OPENSSL_cleanse((char *)(uintptr_t)json_string_value(v),
		    json_string_length(v));
	json_decref(root);
}

/* The PKCS#12 bundle of row r's key (opened, pem[0..len)), leaf and chain,
 * served and wiped. */
static enum MHD_Result
api_export_p12(struct MHD_Connection *conn, const PGresult *r, const char *pem,
    size_t len, const char *password, int legacy)
{
	unsigned char *der;
	char err[256], *out;
	size_t n;

	if ((der = p12_build(pem, len, PQgetvalue(r, 0, EX_CERT),
	    PQgetvalue(r, 0, EX_CHAIN), password, legacy ? P12_LEGACY :
	    P12_MODERN, PQgetvalue(r, 0, EX_NAME), &n, err, sizeof(err))) ==
	    NULL) {
		log_err("api: export.p12: %s", err);
		return api_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the PKCS#12 bundle could not be made");
	}
	/* api_reply_secret_as wipes len + 1 bytes, as for a PEM */
	if ((out = malloc(n + 1)) == NULL) {
		p12_free(der, n);
		return MHD_NO;
	}
	memcpy(out, der, n);
	out[n] = '\0';
	p12_free(der, n);
	return api_reply_secret_as(conn, out, n, "application/x-pkcs12");
}

/* The key's files: privkey.pem or export.p12, recorded before they go. */
static enum MHD_Result
api_export_secret(struct api *a, struct MHD_Connection *conn, const char *id,
    const PGresult *r, enum api_export_file file, struct api_req *req)
{
	const char *password = NULL;
	json_t *root = NULL;
	enum MHD_Result ret;
	char err[512], *pem = NULL;
	size_t len = 0;
	int legacy = 0;

	if (file == API_EXPORT_P12 && api_export_p12_body(req, &root, &password,
	    &legacy, err, sizeof(err)) < 0) {
		ret = api_error(conn, req->toobig ? MHD_HTTP_CONTENT_TOO_LARGE :
		    MHD_HTTP_BAD_REQUEST, "%s", err);
		goto out;
	}
	if ((pem = db_open_box(r, 0, EX_BOX, a->v, VAULT_CERT_KEY,
	    PQgetvalue(r, 0, EX_PK), &len, err, sizeof(err))) == NULL) {
		log_err("api: key of %s: %s", id, err);
		ret = api_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the stored key cannot be decrypted");
		goto out;
	}
	if (api_export_record(a, conn, id, PQgetvalue(r, 0, EX_IC), file ==
	    API_EXPORT_P12 ? (legacy ? "export.p12 (legacy)" : "export.p12") :
	    "privkey.pem", err, sizeof(err)) < 0) {
		ret = api_unavailable(conn, err);
		goto out;
	}
	if (file == API_EXPORT_KEY) {
		ret = api_reply_secret(conn, pem, len);
		pem = NULL;	/* owned by the response now */
		goto out;
	}
	ret = api_export_p12(conn, r, pem, len, password, legacy);
out:
	vault_plain_free(pem, len);
	api_export_wipe(root);
	return ret;
}

enum MHD_Result
api_route_export(struct api *a, struct MHD_Connection *conn, const char *id,
    const char *rest, const char *method, struct api_req *req)
{
	char err[512];
	enum MHD_Result ret;
	PGresult *r;
	size_t i, n = sizeof(api_exports) / sizeof(api_exports[0]);
	int post = strcmp(method, "POST") == 0;

	for (i = 0; i < n && strcmp(rest, api_exports[i].path) != 0; i++)
		;
	if (i == n)
		return api_error(conn, MHD_HTTP_NOT_FOUND, "no such path");
	if (api_exports[i].post ? !post : (strcmp(method, "GET") != 0 &&
	    strcmp(method, "HEAD") != 0))
		return api_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "%s is not "
		    "allowed here (%s)", method, api_exports[i].post ? "POST" :
		    "GET");
	if (!ids_valid(id))
		return api_error(conn, MHD_HTTP_NOT_FOUND, "not a certificate id");
	if (api_db(a, err, sizeof(err)) < 0)
		return api_unavailable(conn, err);
	if ((r = db_query(a->db, "api export", API_EXPORT_SQL, 1, &id, NULL,
	    NULL, err, sizeof(err))) == NULL)
		return api_unavailable(conn, err);
	if (PQntuples(r) == 0)
		ret = api_error(conn, MHD_HTTP_NOT_FOUND, "certificate %s is not "
		    "issued (or does not exist)", id);
	else if (api_exports[i].file == API_EXPORT_KEY ||
	    api_exports[i].file == API_EXPORT_P12)
		ret = api_export_secret(a, conn, id, r, api_exports[i].file, req);
	else
		ret = api_export_public(conn, r, api_exports[i].file);
	PQclear(r);
	return ret;
}
