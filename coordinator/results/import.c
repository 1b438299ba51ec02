/* import.c -- takes over a certificate issued elsewhere: the API body turned into the enrollment it stands for (import_check.c validates the PEMs), then the key sealed and the certificate recorded as issued in one transaction. */
#include "import.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "chains.h"
#include "db.h"
#include "hostname.h"
#include "issued.h"

/* A PEM field of the body: a string without NUL of at most IMPORT_PEM_MAX
 * bytes; absent (NULL, length 0) when optional. 0 or -1. */
static int
import_field(json_t *root, const char *field, int required, const char **out,
    size_t *len, char *err, size_t errlen)
{
	json_t *v = json_object_get(root, field);

	*out = NULL;
	*len = 0;
	if (v == NULL || (!required && json_is_null(v)))
		goto absent;
	if (!json_is_string(v) || strlen(json_string_value(v)) !=
	    json_string_length(v)) {
		snprintf(err, errlen, "%s must be a PEM text", field);
		return -1;
	}
	if (json_string_length(v) > IMPORT_PEM_MAX) {
		snprintf(err, errlen, "%s is over %d bytes", field, IMPORT_PEM_MAX);
		return -1;
	}
	*out = json_string_value(v);
	*len = json_string_length(v);
	return 0;
absent:
	if (required) {
		snprintf(err, errlen, "missing field \"%s\": a PEM text", field);
		return -1;
	}
	return 0;
}

/* Wipes the private key's text inside the parsed body before it is freed
 * (jansson frees without wiping). */
static void
import_wipe_key(json_t *root)
{
	json_t *v = json_object_get(root, "private_key");

	if (json_is_string(v))
		OPENSSL_cleanse((char *)(uintptr_t)json_string_value(v),
		    json_string_length(v));
}

/* The enrollment the certificate stands for: the body without its PEMs,
 * with the certificate's names and key type (and dns-01 when a name is a
 * wildcard and no challenge was asked), through enroll_parse. 0 or -1. */
static int
import_enrollment(json_t *root, struct import_request *ir, enum keys_type def,
    char *err, size_t errlen)
{
	char *body = NULL, why[400];
	json_t *names;
	size_t i;
	int wild = 0, rc = -1;

	json_object_del(root, "certificate");
	json_object_del(root, "chain");
	json_object_del(root, "private_key");
	if ((names = json_array()) == NULL)
		goto oom;
	for (i = 0; i < ir->ic.ci.nsans; i++) {
		json_array_append_new(names, json_string(ir->ic.ci.sans[i]));
		wild |= hostname_is_wildcard(ir->ic.ci.sans[i]);
	}
	json_object_set_new(root, "hostnames", names);
	json_object_set_new(root, "key_type",
	    json_string(keys_type_name(ir->ic.key_type)));
	if (wild && json_object_get(root, "challenge") == NULL)
		json_object_set_new(root, "challenge", json_string("dns-01"));
	if ((body = json_dumps(root, JSON_COMPACT)) == NULL)
		goto oom;
	if (enroll_parse(body, strlen(body), def, &ir->er, why,
	    sizeof(why)) < 0) {
		snprintf(err, errlen, "%s", why);
		goto out;
	}
	if (!certinfo_sans_equal(&ir->ic.ci, ir->er.names, ir->er.nnames)) {
		snprintf(err, errlen, "the certificate's names are not host "
		    "names in normal form (lower-case A-labels)");
		goto out;
	}
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	free(body);
	return rc;
}

int
import_parse(const char *body, size_t len, enum keys_type def, time_t now,
    struct import_request *ir, char *err, size_t errlen)
{
	const char *cert, *chain, *key;
	size_t certlen, chainlen, keylen;
	json_error_t je;
	json_t *root;
	int rc = -1;

	memset(ir, 0, sizeof(*ir));
	if ((root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		snprintf(err, errlen, "malformed JSON: %s (line %d, column %d)",
		    je.text, je.line, je.column);
		return -1;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "the body must be a JSON object");
		goto out;
	}
	if (json_object_get(root, "hostnames") != NULL ||
	    json_object_get(root, "key_type") != NULL) {
		snprintf(err, errlen, "an import takes its hostnames and key type "
		    "from the certificate; leave \"hostnames\" and \"key_type\" out");
		goto out;
	}
	if (import_field(root, "certificate", 1, &cert, &certlen, err,
	    errlen) < 0 || import_field(root, "chain", 0, &chain, &chainlen,
	    err, errlen) < 0 || import_field(root, "private_key", 1, &key,
	    &keylen, err, errlen) < 0)
		goto out;
	if (import_check(cert, certlen, chain, chainlen, key, keylen, now,
	    &ir->ic, err, errlen) < 0)
		goto out;
	import_wipe_key(root);
	if (import_enrollment(root, ir, def, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	import_wipe_key(root);
	json_decref(root);
	if (rc < 0)
		import_request_free(ir);
	return rc;
}

void
import_request_free(struct import_request *ir)
{
	import_cert_free(&ir->ic);
	enroll_request_free(&ir->er);
}

/* The certificate holding this very leaf (same issuer and serial): 1 with
 * its id and status, 0 when none, -1 with err. */
static int
import_find(PGconn *c, const struct certinfo *ci, char id[IDS_LEN + 1],
    char status[16], char *err, size_t errlen)
{
	PGresult *r;
	int found;

	if ((r = db_query(c, "import find", "SELECT c.id, c.status FROM "
	    "issued_certificates ic JOIN certificates c ON c.id = "
	    "ic.certificate WHERE ic.serial = $1 AND ic.issuer = $2 LIMIT 1", 2,
	    (const char *[]){ ci->serial, ci->issuer }, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	if ((found = PQntuples(r) == 1)) {
		snprintf(id, IDS_LEN + 1, "%s", PQgetvalue(r, 0, 0));
		snprintf(status, 16, "%s", PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return found;
}

/* In the caller's transaction: the certificate's rows and its issued
 * certificate. 1, 0 (quota) or -1. */
static int
import_write(PGconn *c, const struct settings *s,
    const struct import_request *ir, const char *id, const char *pkid,
    const struct enroll_material *m, char renew[32], char *err,
    size_t errlen)
{
	struct issued_new in = { 0 };
	struct chains ch = { 0 };
	char icid[IDS_LEN + 1], why[256], *full = NULL;
	int n, rc = -1;

	if ((n = enroll_insert(c, s, &ir->er, id, pkid, m, 0, err, errlen)) <= 0)
		return n;
	if ((full = malloc(strlen(ir->ic.leaf) + strlen(ir->ic.chain) + 1)) ==
	    NULL) {
		snprintf(err, errlen, "import: out of memory");
		return -1;
	}
	strcpy(full, ir->ic.leaf);
	strcat(full, ir->ic.chain);
	if (chains_parse(full, NULL, 0, &ch, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "import: chain: %s", why);
		goto out;
	}
	in.certificate = id;
	in.order_id = NULL;	/* imported: issued elsewhere */
	in.private_key = pkid;
	in.ci = &ir->ic.ci;
	in.leaf = ir->ic.leaf;
	in.ch = &ch;
	in.served = 0;
	if (issued_record(c, &in, icid, renew, err, errlen) < 0)
		goto out;
	rc = 1;
out:
	chains_free(&ch);
	free(full);
	return rc;
}

enum import_outcome
import_store(PGconn *c, const struct vault *v, const struct settings *s,
    const struct import_request *ir, char id[IDS_LEN + 1], char status[16],
    char renew[32], char *err, size_t errlen)
{
	struct enroll_material m = { 0 };
	enum import_outcome out = IMPORT_ERROR;
	char pkid[IDS_LEN + 1];
	int n;

	if ((n = import_find(c, &ir->ic.ci, id, status, err, errlen)) != 0)
		return n > 0 ? IMPORT_EXISTING : IMPORT_ERROR;
	if (!ir->er.force && (n = enroll_find_live(c, &ir->er, id, status, err,
	    errlen)) != 0)
		return n > 0 ? IMPORT_CONFLICT : IMPORT_ERROR;
	if (ids_new(id) < 0 || ids_new(pkid) < 0) {
		snprintf(err, errlen, "import: no random ids");
		return IMPORT_ERROR;
	}
	if (EVP_PKEY_up_ref(ir->ic.key) != 1 ||
	    enroll_seal(v, ir->ic.key, pkid, &m, err, errlen) < 0 ||
	    db_begin(c, err, errlen) < 0)
		goto out;
	if ((n = import_write(c, s, ir, id, pkid, &m, renew, err, errlen)) <= 0) {
		out = n == 0 ? IMPORT_QUOTA : IMPORT_ERROR;
		goto out;
	}
	if (db_commit(c, err, errlen) < 0)
		goto out;
	snprintf(status, 16, "issued");
	out = IMPORT_CREATED;
out:
	if (out != IMPORT_CREATED)
		db_rollback(c);
	enroll_material_free(&m);
	return out;
}
