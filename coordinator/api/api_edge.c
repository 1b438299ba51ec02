/* api_edge.c -- GET /.well-known/admin/domain/{name}/config.json: the certificates of a name, keys included, as peter_sslers answers its OpenResty edges on a Redis miss. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "db.h"
#include "edgepath.h"
#include "log.h"
#include "netlist.h"
#include "settings.h"

/*
 * What lua-resty-peter_sslers 0.5.0 does with this answer (README.md,
 * "peter_sslers edges"): on 200 it decodes the body and takes the first of
 * "certificate_signed__latest_multi", "certificate_signed__latest_single"
 * that is neither null nor absent, reading its ["fullchain"]["pem"] as the
 * certificate chain and ["private_key"]["pem"] as the key; on 404 it logs
 * the body's "message". peter_sslers itself answers a known name with both
 * members (null when there is no active certificate) and an unknown one with
 * 404. Both are what this endpoint answers.
 */

/* Placeholders jansson writes where the keys go; replaced by api_edge_splice
 * so that no plaintext key passes through jansson's (unwiped) memory. */
#define API_EDGE_MARK "\001certfleet-key-%d\001"
#define API_EDGE_MARK_JSON "\"\\u0001certfleet-key-%d\\u0001\""

/* Column order of API_EDGE_SQL. */
enum { EC_MULTI, EC_IC, EC_PK, EC_CERT, EC_CHAIN, EC_CHAIN_ID, EC_BOX };

/* The newest live certificate of each kind holding the name exactly: a set
 * of one name ("single") and a set of several ("multi"). */
#define API_EDGE_SQL \
	"SELECT DISTINCT ON (cardinality(h.names) > 1) " \
	"cardinality(h.names) > 1, ic.id, pk.id, ic.cert_pem, ic.chain_pem, " \
	"md5(ic.chain_pem), pk.key_ciphertext, pk.key_nonce, pk.key_tag, " \
	"pk.key_id FROM hostname_sets h JOIN certificates c ON c.hostname_set " \
	"= h.id JOIN issued_certificates ic ON ic.id = c.current_issued JOIN " \
	"private_keys pk ON pk.id = ic.private_key WHERE h.names @> " \
	"ARRAY[$1]::text[] AND ic.revoked_at IS NULL AND ic.withdrawn_at IS " \
	"NULL AND ic.not_after > now() " \
	"ORDER BY cardinality(h.names) > 1, ic.not_after DESC, ic.created_at " \
	"DESC"

/* Writes the client's address as text into out; "?" when unknown. */
const struct sockaddr *
api_edge_client(struct MHD_Connection *conn, char *out, size_t outlen)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;
	const void *a;

	snprintf(out, outlen, "?");
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return NULL;
	if (sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	else
		return sa;
	if (inet_ntop(sa->sa_family, a, out, (socklen_t)outlen) == NULL)
		snprintf(out, outlen, "?");
	return sa;
}

/* One certificate as peter_sslers' config payload; the key's pem is the
 * placeholder of number n. */
static json_t *
api_edge_payload(const PGresult *r, int row, int n)
{
	const char *ic = PQgetvalue(r, row, EC_IC);
	const char *chain_id = PQgetvalue(r, row, EC_CHAIN_ID);
	const char *cert = PQgetvalue(r, row, EC_CERT);
	const char *chain = PQgetvalue(r, row, EC_CHAIN);
	char mark[32], *full, *fid;
	size_t certlen = strlen(cert);
	json_t *j;

	/* peter_sslers: the certificate stripped, a newline, the chain */
	while (certlen > 0 && (cert[certlen - 1] == '\n' ||
	    cert[certlen - 1] == '\r' || cert[certlen - 1] == ' '))
		certlen--;
	full = malloc(certlen + strlen(chain) + 2);
	fid = malloc(strlen(ic) + strlen(chain_id) + 2);
	if (full == NULL || fid == NULL) {
		free(full);
		free(fid);
		return NULL;
	}
	snprintf(full, certlen + strlen(chain) + 2, "%.*s\n%s", (int)certlen,
	    cert, chain);
	snprintf(fid, strlen(ic) + strlen(chain_id) + 2, "%s,%s", ic, chain_id);
	snprintf(mark, sizeof(mark), API_EDGE_MARK, n);
	j = json_pack("{s:s, s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:s}, "
	    "s:{s:s, s:s}}", "id", ic,
	    "private_key", "id", PQgetvalue(r, row, EC_PK), "pem", mark,
	    "certificate", "id", ic, "pem", cert,
	    "chain", "id", chain_id, "pem", chain,
	    "fullchain", "id", fid, "pem", full);
	free(full);
	free(fid);
	return j;
}

/* Appends s[0..len) to the JSON string being built in out at *at. */
static void
api_edge_escape(char *out, size_t *at, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c;
	size_t i;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			out[(*at)++] = '\\';
			out[(*at)++] = (char)c;
		} else if (c == '\n') {
			out[(*at)++] = '\\';
			out[(*at)++] = 'n';
		} else if (c < 0x20) {
			memcpy(out + *at, "\\u00", 4);
			out[*at + 4] = hex[c >> 4];
			out[*at + 5] = hex[c & 15];
			*at += 6;
		} else
			out[(*at)++] = (char)c;
	}
}

/* Returns a malloc'd copy of doc with placeholder n replaced by key as a
 * JSON string, *len set; NULL when out of memory or the placeholder is
 * missing. The result holds a key: release it with vault_plain_free. */
static char *
api_edge_splice(const char *doc, int n, const char *key, size_t keylen,
    size_t *len)
{
	char mark[40], *out, *at;
	size_t marklen, doclen = strlen(doc), pos, o;

	snprintf(mark, sizeof(mark), API_EDGE_MARK_JSON, n);
	marklen = strlen(mark);
	if ((at = strstr(doc, mark)) == NULL)
		return NULL;
	pos = (size_t)(at - doc);
	/* at most 6 bytes per key byte, plus the quotes */
	if ((out = malloc(doclen - marklen + keylen * 6 + 3)) == NULL)
		return NULL;
	memcpy(out, doc, pos);
	o = pos;
	out[o++] = '"';
	api_edge_escape(out, &o, key, keylen);
	out[o++] = '"';
	memcpy(out + o, at + marklen, doclen - pos - marklen);
	o += doclen - pos - marklen;
	out[o] = '\0';
	*len = o;
	return out;
}

/* Replaces placeholder n of *doc (*len bytes, may hold a key already) by
 * the key opened from row's box; 0, or -1 with err. */
static int
api_edge_key(struct api *a, const PGresult *r, int row, int n, char **doc,
    size_t *len, char *err, size_t errlen)
{
	const char *pk = PQgetvalue(r, row, EC_PK);
	char *key, *out;
	size_t keylen, outlen;

	if ((key = db_open_box(r, row, EC_BOX, a->v, VAULT_CERT_KEY, pk,
	    &keylen, err, errlen)) == NULL)
		return -1;
	out = api_edge_splice(*doc, n, key, keylen, &outlen);
	vault_plain_free(key, keylen);
	if (out == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	vault_plain_free(*doc, *len);
	*doc = out;
	*len = outlen;
	return 0;
}

/* The document for name from r's rows (at most one single, one multi), with
 * the keys in: malloc'd, *len set (release with vault_plain_free); NULL with
 * err. */
static char *
api_edge_document(struct api *a, const PGresult *r, const char *name,
    size_t *len, char *err, size_t errlen)
{
	json_t *j, *single = json_null(), *multi = json_null();
	char *doc, *s;
	int row;

	for (row = 0; row < PQntuples(r); row++) {
		if (strcmp(PQgetvalue(r, row, EC_MULTI), "t") == 0) {
			json_decref(multi);
			multi = api_edge_payload(r, row, row);
		} else {
			json_decref(single);
			single = api_edge_payload(r, row, row);
		}
	}
	j = json_pack("{s:{s:s, s:s, s:b}, s:o*, s:o*}", "domain", "id", name,
	    "domain_name", name, "is_active", PQntuples(r) > 0,
	    "certificate_signed__latest_single", single,
	    "certificate_signed__latest_multi", multi);
	if (j == NULL || (s = json_dumps(j, JSON_COMPACT |
	    JSON_PRESERVE_ORDER)) == NULL) {
		json_decref(j);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	json_decref(j);
	*len = strlen(s);
	doc = malloc(*len + 1);
	if (doc != NULL)
		memcpy(doc, s, *len + 1);
	free(s);	/* holds placeholders only */
	if (doc == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (row = 0; row < PQntuples(r); row++)
		if (api_edge_key(a, r, row, row, &doc, len, err, errlen) < 0) {
			vault_plain_free(doc, *len);
			return NULL;
		}
	return doc;
}

/* 1 when some hostname set holds name exactly, 0 when none, -1 on error. */
static int
api_edge_known(struct api *a, const char *name, char *err, size_t errlen)
{
	PGresult *r;
	int known;

	if ((r = db_query(a->db, "api edge config", "SELECT EXISTS (SELECT 1 "
	    "FROM hostname_sets WHERE names @> ARRAY[$1]::text[])", 1, &name,
	    NULL, NULL, err, errlen)) == NULL)
		return -1;
	known = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return known;
}

/* The document of r's rows for name, keys opened: 200, or 500. */
static enum MHD_Result
api_edge_reply(struct api *a, struct MHD_Connection *conn, const PGresult *r,
    const char *name, const char *client)
{
	char err[512], *doc;
	size_t len;
	int row;

	if ((doc = api_edge_document(a, r, name, &len, err,
	    sizeof(err))) == NULL) {
		log_err("api: edge config for %s: %s", name, err);
		return api_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the stored key cannot be decrypted");
	}
	for (row = 0; row < PQntuples(r); row++)
		log_info("api: private key of issued certificate %s served to "
		    "edge %s for %s", PQgetvalue(r, row, EC_IC), client, name);
	return api_reply_secret_as(conn, doc, len, API_JSON_TYPE);
}

int
api_edge_serve(struct api *a, struct MHD_Connection *conn, const char *name,
    const char *client, int none_ok, enum MHD_Result *ret)
{
	char err[512];
	PGresult *r;

	if ((r = db_query(a->db, "api edge config", API_EDGE_SQL, 1, &name,
	    NULL, NULL, err, sizeof(err))) == NULL) {
		*ret = api_unavailable(conn, err);
		return -1;
	}
	if (PQntuples(r) == 0 && !none_ok) {
		PQclear(r);
		return 0;
	}
	*ret = api_edge_reply(a, conn, r, name, client);
	PQclear(r);
	return 1;
}

/* The answer for a valid, normalized name: its certificates; 404 when no
 * hostname set holds it; both null when one does, without a live one. */
static enum MHD_Result
api_edge_config(struct api *a, struct MHD_Connection *conn, const char *name,
    const char *client)
{
	enum MHD_Result ret;
	char err[512];
	int known;

	if (api_db(a, err, sizeof(err)) < 0)
		return api_unavailable(conn, err);
	if (api_edge_serve(a, conn, name, client, 0, &ret) != 0)
		return ret;
	if ((known = api_edge_known(a, name, err, sizeof(err))) < 0)
		return api_unavailable(conn, err);
	if (known == 0)
		return api_json(conn, MHD_HTTP_NOT_FOUND, json_pack("{s:s, s:s, "
		    "s:s}", "message", "the domain was not found", "code",
		    "404 Not Found", "title", "Not Found"));
	api_edge_serve(a, conn, name, client, 1, &ret);
	return ret;
}

int
api_edge_admit(struct api *a, struct MHD_Connection *conn, const char *what,
    char *client, size_t clientlen, enum MHD_Result *ret)
{
	const struct sockaddr *sa = api_edge_client(conn, client, clientlen);

	if (a->s->edge_networks.n == 0) {
		*ret = api_error(conn, MHD_HTTP_FORBIDDEN, "edge endpoints are "
		    "off: CERTFLEET_EDGE_NETWORKS is not set");
		return 0;
	}
	if (!netlist_contains(&a->s->edge_networks, sa)) {
		log_warn("api: %s refused to %s: not in CERTFLEET_EDGE_NETWORKS",
		    what, client);
		*ret = api_error(conn, MHD_HTTP_FORBIDDEN, "%s is not in "
		    "CERTFLEET_EDGE_NETWORKS", client);
		return 0;
	}
	return 1;
}

enum MHD_Result
api_route_edge(struct api *a, struct MHD_Connection *conn, const char *path,
    const char *method)
{
	char client[INET6_ADDRSTRLEN + 1], name[HOSTNAME_MAX + 1];
	enum edgepath_route route;
	enum MHD_Result ret;

	if (!api_edge_admit(a, conn, "edge config", client, sizeof(client),
	    &ret))
		return ret;
	if ((route = edgepath_route(path, strlen(path), name)) ==
	    EDGEPATH_NOT_FOUND)
		return api_error(conn, MHD_HTTP_NOT_FOUND, "no such path");
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return api_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "%s is not allowed here (GET)", method);
	if (route == EDGEPATH_BAD_NAME)
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "not a host name");
	return api_edge_config(a, conn, name, client);
}
