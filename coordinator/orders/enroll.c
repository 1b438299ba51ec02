/* enroll.c -- validates an enrollment, makes its key and CSR, and writes certificate, key, order and job at once. */
#include "enroll.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "db.h"
#include "enroll_batch.h"
#include "enroll_group.h"
#include "hostname.h"
#include "keypool.h"
#include "log.h"
#include "order.h"
#include "tenant.h"

/* How much of a rejected name is echoed back. */
#define ENROLL_ECHO_MAX 80

void
enroll_request_free(struct enroll_request *req)
{
	size_t i;

	for (i = 0; i < req->nnames; i++)
		free(req->names[i]);
	free(req->names);
	free(req->preferred_chain);
	req->names = NULL;
	req->nnames = 0;
	for (i = 0; i < req->nfallback; i++)
		free(req->fallback[i]);
	free(req->fallback);
	req->fallback = NULL;
	req->nfallback = 0;
	free(req->ca);
	req->ca = NULL;
	req->preferred_chain = NULL;
	free(req->labels);
	req->labels = NULL;
}

/* A CA name field: a string that is a well-formed CA name, copied. */
static int
enroll_ca_name(json_t *v, const char *what, char **out, char *err,
    size_t errlen)
{
	if (!json_is_string(v) || strlen(json_string_value(v)) !=
	    json_string_length(v) || !cas_name_ok(json_string_value(v))) {
		snprintf(err, errlen, "%s must be a CA name (lower-case letters, "
		    "digits and '-', at most %d)", what, CAS_NAME_MAX);
		return -1;
	}
	if ((*out = strdup(json_string_value(v))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* "ca" and "fallback" of the body. */
static int
enroll_parse_cas(json_t *root, struct enroll_request *req, char *err,
    size_t errlen)
{
	json_t *v, *a;
	size_t i, n;
	char what[32];

	if ((v = json_object_get(root, "ca")) != NULL &&
	    enroll_ca_name(v, "ca", &req->ca, err, errlen) < 0)
		return -1;
	if ((a = json_object_get(root, "fallback")) == NULL)
		return 0;
	if (!json_is_array(a)) {
		snprintf(err, errlen, "fallback must be an array of CA names");
		return -1;
	}
	if ((n = json_array_size(a)) > CAS_LIST_MAX - 1) {
		snprintf(err, errlen, "fallback lists %zu CAs (at most %d)", n,
		    CAS_LIST_MAX - 1);
		return -1;
	}
	if (n > 0 && (req->fallback = calloc(n, sizeof(char *))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	json_array_foreach(a, i, v) {
		snprintf(what, sizeof(what), "fallback[%zu]", i);
		if (enroll_ca_name(v, what, &req->fallback[i], err, errlen) < 0)
			return -1;
		req->nfallback++;
	}
	return 0;
}

int
enroll_check_cas(const struct enroll_request *req, const struct settings *s,
    char *err, size_t errlen)
{
	const char *list[CAS_LIST_MAX];
	size_t i, n = 0;

	list[n++] = req->ca != NULL ? req->ca : s->ca_name;
	for (i = 0; i < req->nfallback && n < CAS_LIST_MAX; i++)
		list[n++] = req->fallback[i];
	return cas_list_check(&s->cas, list, n, err, errlen);
}

static int
enroll_name(json_t *v, size_t i, int dns01, char **out, char *err,
    size_t errlen)
{
	char norm[HOSTNAME_MAX + 1], why[160];
	const char *s;
	size_t len;

	if (!json_is_string(v)) {
		snprintf(err, errlen, "hostnames[%zu] is not a string", i);
		return -1;
	}
	s = json_string_value(v);
	len = json_string_length(v);
	if (strlen(s) != len) {
		snprintf(err, errlen, "hostnames[%zu] holds a NUL character", i);
		return -1;
	}
	if (hostname_normalize(s, norm, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "hostname \"%.*s%s\" %s", ENROLL_ECHO_MAX, s,
		    len > ENROLL_ECHO_MAX ? "..." : "", why);
		return -1;
	}
	if (hostname_is_wildcard(norm) && !dns01) {
		snprintf(err, errlen, "hostname \"%s\": a wildcard name needs "
		    "\"challenge\": \"dns-01\"", norm);
		return -1;
	}
	if ((*out = strdup(norm)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* preferred_chain: an issuer CN, printable, no NUL. */
static int
enroll_chain_name(json_t *v, char **out, char *err, size_t errlen)
{
	const char *s = json_string_value(v);
	size_t i, len = json_string_length(v);

	if (s == NULL || len == 0 || len > ENROLL_CHAIN_NAME_MAX ||
	    strlen(s) != len) {
		snprintf(err, errlen, "preferred_chain must be an issuer common "
		    "name of 1-%d bytes", ENROLL_CHAIN_NAME_MAX);
		return -1;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			snprintf(err, errlen, "preferred_chain holds a control "
			    "character");
			return -1;
		}
	if ((*out = strdup(s)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* "profile": absent, or 1-64 of [A-Za-z0-9._-] (the CA checks it exists). */
static int
enroll_profile(json_t *v, struct enroll_request *req, char *err, size_t errlen)
{
	const char *s;
	size_t i, n;

	if (v == NULL)
		return 0;
	if (!json_is_string(v) || (n = json_string_length(v)) == 0 || n > 64 ||
	    strlen(s = json_string_value(v)) != n) {
		snprintf(err, errlen, "profile must be a name of 1 to 64 "
		    "characters");
		return -1;
	}
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' ||
		    s[i] == '-')) {
			snprintf(err, errlen, "profile may hold only letters, "
			    "digits, '.', '_' and '-'");
			return -1;
		}
	snprintf(req->profile, sizeof(req->profile), "%s", s);
	return 0;
}

/* Refuses any field of the body that is not a known one. */
static int
enroll_known_fields(json_t *root, char *err, size_t errlen)
{
	static const char *const known[] = { "hostnames", "key_type", "ca",
	    "fallback", "challenge", "preferred_chain", "profile", "force",
	    "tenant", "labels" };
	const char *field;
	json_t *v;
	size_t i;

	json_object_foreach(root, field, v) {
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strcmp(field, known[i]) == 0)
				break;
		if (i == sizeof(known) / sizeof(known[0])) {
			snprintf(err, errlen, "unknown field \"%.*s\"",
			    ENROLL_ECHO_MAX, field);
			return -1;
		}
	}
	return 0;
}

/* "key_type" and "challenge" of the body (defaults already in req). */
static int
enroll_parse_kinds(json_t *root, struct enroll_request *req, char *err,
    size_t errlen)
{
	json_t *v;

	if ((v = json_object_get(root, "key_type")) != NULL &&
	    (!json_is_string(v) || keys_type_parse(json_string_value(v),
	    &req->key_type) < 0)) {
		snprintf(err, errlen, "key_type must be one of " KEYS_TYPE_NAMES);
		return -1;
	}
	if ((v = json_object_get(root, "challenge")) == NULL)
		return 0;
	if (json_is_string(v) && strcmp(json_string_value(v), "dns-01") == 0)
		req->challenge = "dns-01";
	else if (!json_is_string(v) ||
	    strcmp(json_string_value(v), "http-01") != 0) {
		snprintf(err, errlen, "challenge must be \"http-01\" or "
		    "\"dns-01\"");
		return -1;
	}
	return 0;
}

/* "hostnames": 1-ENROLL_MAX_NAMES valid names, normalized and made a
 * sorted unique set. */
static int
enroll_parse_names(json_t *root, struct enroll_request *req, char *err,
    size_t errlen)
{
	json_t *names, *v;
	size_t i, n;

	names = json_object_get(root, "hostnames");
	if (names == NULL || !json_is_array(names)) {
		snprintf(err, errlen, "missing field \"hostnames\": an array of "
		    "DNS names");
		return -1;
	}
	if ((n = json_array_size(names)) == 0) {
		snprintf(err, errlen, "\"hostnames\" is empty");
		return -1;
	}
	if (n > ENROLL_MAX_NAMES) {
		snprintf(err, errlen, "too many hostnames: %zu (at most %d)", n,
		    ENROLL_MAX_NAMES);
		return -1;
	}
	if ((req->names = calloc(n, sizeof(char *))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	json_array_foreach(names, i, v) {
		if (enroll_name(v, i, strcmp(req->challenge, "dns-01") == 0,
		    &req->names[i], err, errlen) < 0)
			return -1;
		req->nnames++;
	}
	req->nnames = hostname_set_unique(req->names, req->nnames);
	return 0;
}

/* A label key: 1-ENROLL_LABEL_KEY_MAX of [a-z0-9._/-], first a letter or
 * digit. */
static int
enroll_label_key_ok(const char *k)
{
	size_t i, n = strlen(k);

	if (n == 0 || n > ENROLL_LABEL_KEY_MAX || !((k[0] >= 'a' &&
	    k[0] <= 'z') || (k[0] >= '0' && k[0] <= '9')))
		return 0;
	for (i = 1; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' &&
		    k[i] <= '9') || strchr("._/-", k[i]) != NULL))
			return 0;
	return 1;
}

/* "tenant" and "labels" of the body. */
static int
enroll_parse_tenant(json_t *root, struct enroll_request *req, char *err,
    size_t errlen)
{
	json_t *v, *l;
	const char *k, *s;
	size_t i;

	if ((v = json_object_get(root, "tenant")) != NULL) {
		if ((s = json_string_value(v)) == NULL || !tenant_name_ok(s)) {
			snprintf(err, errlen, "tenant must be a name of 1-%d "
			    "characters of [a-z0-9._-], starting with a letter or "
			    "digit", TENANT_NAME_MAX);
			return -1;
		}
		snprintf(req->tenant, sizeof(req->tenant), "%s", s);
	}
	if ((l = json_object_get(root, "labels")) == NULL)
		return 0;
	if (!json_is_object(l) || json_object_size(l) > ENROLL_LABELS_MAX) {
		snprintf(err, errlen, "labels must be an object of at most %d "
		    "string values", ENROLL_LABELS_MAX);
		return -1;
	}
	json_object_foreach(l, k, v) {
		s = json_string_value(v);
		if (!enroll_label_key_ok(k)) {
			snprintf(err, errlen, "label \"%.40s\": a key is 1-%d of "
			    "[a-z0-9._/-]", k, ENROLL_LABEL_KEY_MAX);
			return -1;
		}
		if (s == NULL || json_string_length(v) > ENROLL_LABEL_VALUE_MAX ||
		    strlen(s) != json_string_length(v)) {
			snprintf(err, errlen, "label %s: the value must be a string "
			    "of at most %d bytes", k, ENROLL_LABEL_VALUE_MAX);
			return -1;
		}
		for (i = 0; s[i] != '\0'; i++)
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
				snprintf(err, errlen, "label %s: the value holds a "
				    "control character", k);
				return -1;
			}
	}
	if ((req->labels = json_dumps(l, JSON_COMPACT | JSON_SORT_KEYS)) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int
enroll_parse(const char *body, size_t len, enum keys_type def,
    struct enroll_request *req, char *err, size_t errlen)
{
	json_t *root, *v;
	json_error_t je;
	int rc = -1;

	memset(req, 0, sizeof(*req));
	req->key_type = def;
	req->challenge = "http-01";
	if ((root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		snprintf(err, errlen, "malformed JSON: %s (line %d, column %d)",
		    je.text, je.line, je.column);
		return -1;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "the body must be a JSON object");
		goto out;
	}
	if (enroll_known_fields(root, err, errlen) < 0 ||
	    enroll_parse_kinds(root, req, err, errlen) < 0 ||
	    enroll_parse_cas(root, req, err, errlen) < 0)
		goto out;
	if ((v = json_object_get(root, "preferred_chain")) != NULL &&
	    enroll_chain_name(v, &req->preferred_chain, err, errlen) < 0)
		goto out;
	if (enroll_profile(json_object_get(root, "profile"), req, err,
	    errlen) < 0 || enroll_parse_names(root, req, err, errlen) < 0)
		goto out;
	if ((v = json_object_get(root, "force")) != NULL) {
		if (!json_is_boolean(v)) {
			snprintf(err, errlen, "force must be true or false");
			goto out;
		}
		req->force = json_is_true(v);
	}
	if (enroll_parse_tenant(root, req, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		enroll_request_free(req);
	json_decref(root);
	return rc;
}

int
enroll_seal(const struct vault *v, EVP_PKEY *key, const char *pkid,
    struct enroll_material *m, char *err, size_t errlen)
{
	char aad[VAULT_AAD_MAX], *pem = NULL;
	size_t pemlen = 0;
	int rc = -1;

	m->key = key;	/* m owns it now */
	if ((pem = keys_private_pem(m->key, &pemlen)) == NULL ||
	    (m->spki = keys_public_der(m->key, &m->spkilen)) == NULL) {
		snprintf(err, errlen, "enroll: key does not encode");
		goto out;
	}
	vault_aad(VAULT_CERT_KEY, pkid, aad);
	if (vault_seal(v, pem, pemlen, aad, &m->box, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	keys_pem_free(pem, pemlen);
	return rc;
}

int
enroll_material(const struct vault *v, const struct enroll_request *req,
    const char *pkid, struct enroll_material *m, char *err, size_t errlen)
{
	EVP_PKEY *key = m->key;	/* from the key pool, or NULL: made here */

	m->key = NULL;
	if ((key == NULL && (key = keys_generate(req->key_type, err,
	    errlen)) == NULL) || enroll_seal(v, key, pkid, m, err, errlen) < 0)
		return -1;
	if ((m->csr = keys_csr_der(m->key, req->names, req->nnames, &m->csrlen,
	    err, errlen)) == NULL)
		return -1;
	return 0;
}

void
enroll_material_free(struct enroll_material *m)
{
	EVP_PKEY_free(m->key);
	vault_box_clear(&m->box);
	free(m->spki);
	free(m->csr);
}

char *
enroll_domains_literal(char *const *names, size_t n)
{
	char **d, *lit = NULL, rd[HOSTNAME_MAX + 1];
	size_t i, k = 0;

	if ((d = calloc(n > 0 ? n : 1, sizeof(*d))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (hostname_registered_domain(names[i], rd, sizeof(rd)) < 0)
			snprintf(rd, sizeof(rd), "%s", hostname_is_wildcard(names[i]) ?
			    names[i] + 2 : names[i]);
		if ((d[k] = strdup(rd)) == NULL)
			goto out;
		k++;
	}
	k = hostname_set_unique(d, k);
	lit = db_array_literal(d, k);
out:
	for (i = 0; i < n; i++)
		free(d[i]);
	free(d);
	return lit;
}

int
enroll_store_key(PGconn *c, const char *pkid, const char *certificate,
    enum keys_type type, const struct enroll_material *m, char *err,
    size_t errlen)
{
	const char *p[8];
	int lens[8] = { 0 }, fmts[8] = { 0 };

	p[0] = pkid;
	p[1] = certificate;
	p[2] = keys_type_name(type);
	p[3] = (const char *)m->spki;
	lens[3] = (int)m->spkilen;
	fmts[3] = 1;
	db_bind_box(p, lens, fmts, 4, &m->box);
	return db_exec(c, "store private key", "INSERT INTO private_keys (id, "
	    "certificate, key_type, public_key_der, key_ciphertext, key_nonce, "
	    "key_tag, key_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", 8, p,
	    lens, fmts, err, errlen);
}

int
enroll_hostname_set(PGconn *c, const struct enroll_request *req,
    char setid[32], char *err, size_t errlen)
{
	PGresult *r;
	char *arr, *doms = NULL;
	const char *p[2];
	int rc = -1;

	if ((arr = db_array_literal(req->names, req->nnames)) == NULL ||
	    (doms = enroll_domains_literal(req->names, req->nnames)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	p[0] = arr;
	p[1] = doms;
	if ((r = db_query(c, "enroll hostname set", "INSERT INTO hostname_sets "
	    "(names, domains) VALUES ($1::text[], $2::text[]) ON CONFLICT (names) "
	    "DO UPDATE SET names = excluded.names, domains = excluded.domains "
	    "RETURNING id", 2, p, NULL, NULL, err, errlen)) == NULL)
		goto out;
	snprintf(setid, 32, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	rc = 0;
out:
	free(arr);
	free(doms);
	return rc;
}

/* Inserts certificate id of req in hostname set setid at CA ca. */
static int
enroll_certificate(PGconn *c, const struct enroll_request *req,
    const char *id, const char *setid, const char *ca, char *err,
    size_t errlen)
{
	const char *p[10];
	char *fb;
	long n;

	if ((fb = db_array_literal(req->fallback, req->nfallback)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	p[0] = id;
	p[1] = setid;
	p[2] = ca;
	p[3] = keys_type_name(req->key_type);
	p[4] = fb;
	p[5] = req->challenge;
	p[6] = req->preferred_chain;
	p[7] = req->profile;
	p[8] = req->tenant;
	p[9] = req->labels != NULL ? req->labels : "{}";
	n = db_exec(c, "enroll certificate", "INSERT INTO certificates (id, "
	    "hostname_set, ca, key_type, fallback, challenge, preferred_chain, "
	    "profile, tenant, labels) VALUES ($1, $2, $3, $4, $5::text[], $6, $7, "
	    "nullif($8, ''), nullif($9, ''), $10::jsonb)", 10, p, NULL, NULL, err,
	    errlen);
	free(fb);
	return n < 0 ? -1 : 0;
}

/* What "live" means: a certificate that is or will be served. */
#define ENROLL_LIVE_SQL "c.status IN ('pending', 'issued')"

int
enroll_find_live(PGconn *c, const struct enroll_request *req,
    char id[IDS_LEN + 1], char status[16], char *err, size_t errlen)
{
	PGresult *r;
	char *arr;
	int found;

	if ((arr = db_array_literal(req->names, req->nnames)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r = db_query(c, "enroll live", "SELECT c.id, c.status FROM "
	    "hostname_sets hs JOIN certificates c ON c.hostname_set = hs.id "
	    "WHERE hs.names = $1::text[] AND " ENROLL_LIVE_SQL " ORDER BY "
	    "c.created_at DESC LIMIT 1", 1, (const char *[]){ arr },
	    NULL, NULL, err, errlen);
	free(arr);
	if (r == NULL)
		return -1;
	if ((found = PQntuples(r) == 1)) {
		snprintf(id, IDS_LEN + 1, "%s", PQgetvalue(r, 0, 0));
		snprintf(status, 16, "%s", PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return found;
}

/* The name sets of reqs[0..n) as a text[] of text[] literals. */
static char *
enroll_sets_literal(const struct enroll_request *const *reqs, size_t n)
{
	char **lits, *lit = NULL;
	size_t i;

	if ((lits = calloc(n > 0 ? n : 1, sizeof(*lits))) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if ((lits[i] = db_array_literal(reqs[i]->names,
		    reqs[i]->nnames)) == NULL)
			goto out;
	lit = db_array_literal(lits, n);
out:
	db_array_free(lits, n);
	return lit;
}

int
enroll_find_live_many(PGconn *c, const struct enroll_request *const *reqs,
    size_t n, struct enroll_live *live, char *err, size_t errlen)
{
	PGresult *r;
	char *arr;
	size_t i;
	int row;

	memset(live, 0, n * sizeof(*live));
	if ((arr = enroll_sets_literal(reqs, n)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* newest first within a set: the first row of each set wins */
	r = db_query(c, "enroll live many", "SELECT x.i - 1, c.id, c.status "
	    "FROM unnest($1::text[]) WITH ORDINALITY x(lit, i) JOIN "
	    "hostname_sets hs ON hs.names = x.lit::text[] JOIN certificates c ON "
	    "c.hostname_set = hs.id WHERE " ENROLL_LIVE_SQL " ORDER BY x.i, "
	    "c.created_at DESC", 1, (const char *[]){ arr }, NULL, NULL, err,
	    errlen);
	free(arr);
	if (r == NULL)
		return -1;
	for (row = 0; row < PQntuples(r); row++) {
		i = (size_t)strtoul(PQgetvalue(r, row, 0), NULL, 10);
		if (i >= n || live[i].id[0] != '\0')
			continue;
		snprintf(live[i].id, sizeof(live[i].id), "%s", PQgetvalue(r, row, 1));
		snprintf(live[i].status, sizeof(live[i].status), "%s",
		    PQgetvalue(r, row, 2));
	}
	PQclear(r);
	return 0;
}

int
enroll_insert(PGconn *c, const struct settings *s,
    const struct enroll_request *req, const char *id, const char *pkid,
    const struct enroll_material *m, int new_order, char *err, size_t errlen)
{
	const char *ca = req->ca != NULL ? req->ca : s->ca_name;
	char setid[32];
	int n;

	if (req->tenant[0] != '\0' && (n = tenant_admit(c, req->tenant,
	    TENANT_ADMIT_LIVE | (new_order ? TENANT_ADMIT_ORDER : 0), err,
	    errlen)) <= 0)
		return n;
	if (enroll_hostname_set(c, req, setid, err, errlen) < 0 ||
	    enroll_certificate(c, req, id, setid, ca, err, errlen) < 0 ||
	    enroll_store_key(c, pkid, id, req->key_type, m, err, errlen) < 0)
		return -1;
	return 1;
}

int
enroll_write(PGconn *c, const struct settings *s,
    const struct enroll_request *req, const char *id, const char *pkid,
    const struct enroll_material *m, char oid[IDS_LEN + 1],
    char trace[IDS_TRACE_LEN + 1], char *err, size_t errlen)
{
	struct order_new on = { 0 };
	const char *ca = req->ca != NULL ? req->ca : s->ca_name;
	int n;

	if (ids_trace(trace) < 0) {
		snprintf(err, errlen, "enroll: no random trace id");
		return -1;
	}
	if ((n = enroll_insert(c, s, req, id, pkid, m, 1, err, errlen)) <= 0)
		return n;
	on.certificate_id = id;
	on.private_key_id = pkid;
	on.csr = m->csr;
	on.csrlen = m->csrlen;
	on.ca = ca;
	on.trace_id = trace;
	on.challenge = req->challenge;
	on.profile = req->profile;
	on.preferred_chain = req->preferred_chain;
	on.priority = req->priority;
	if ((n = order_create(c, &on, oid, err, errlen)) < 0)
		return -1;
	if (n == 0) {
		snprintf(err, errlen, "enroll: CA %s has no account yet", ca);
		return -1;
	}
	return 1;
}

/* enroll_write, in fewer statements when req is one for a batch (no
 * tenant): enroll_batch_write of one item writes the same rows. */
static int
enroll_write_one(PGconn *c, const struct settings *s,
    const struct enroll_request *req, const char *id, const char *pkid,
    const struct enroll_material *m, char oid[IDS_LEN + 1],
    char trace[IDS_TRACE_LEN + 1], char *err, size_t errlen)
{
	struct enroll_batch_item it = { 0 };

	if (!enroll_batch_fits(req))
		return enroll_write(c, s, req, id, pkid, m, oid, trace, err,
		    errlen);
	it.req = req;
	it.id = id;
	it.pkid = pkid;
	it.m = m;
	if (enroll_batch_write(c, s, &it, 1, err, errlen) < 0)
		return -1;
	memcpy(oid, it.oid, IDS_LEN + 1);
	memcpy(trace, it.trace, IDS_TRACE_LEN + 1);
	return 1;
}

/* Writes and commits the enrollment of req (material m made), with its
 * audit row au when not NULL: through g when there is one and req fits a
 * batch, else in a transaction of its own (leaving g). Returns 1, 0 (a
 * tenant quota refused it: rolled back), -1 with err (rolled back). */
static int
enroll_commit(PGconn *c, struct enroll_group *g, const struct settings *s,
    const struct enroll_request *req, const char *id, const char *pkid,
    const struct enroll_material *m, struct enroll_audit *au,
    char oid[IDS_LEN + 1], char trace[IDS_TRACE_LEN + 1], char *err,
    size_t errlen)
{
	struct enroll_batch_item it = { 0 };
	int n;

	it.audit = au;
	if (g != NULL && !enroll_batch_fits(req))
		enroll_group_leave(g);
	else if (g != NULL) {
		it.req = req;
		it.id = id;
		it.pkid = pkid;
		it.m = m;
		if (enroll_group_write(g, c, s, &it, err, errlen) < 0)
			return -1;
		memcpy(oid, it.oid, IDS_LEN + 1);
		memcpy(trace, it.trace, IDS_TRACE_LEN + 1);
		return 1;
	}
	if (db_begin(c, err, errlen) < 0)
		return -1;
	if ((n = enroll_write_one(c, s, req, id, pkid, m, oid, trace, err,
	    errlen)) <= 0 || enroll_audit_write(c, &it, 1, err, errlen) < 0 ||
	    db_commit(c, err, errlen) < 0) {
		db_rollback(c);
		enroll_audit_forget(&it, 1);
		return n <= 0 ? n : -1;
	}
	return 1;
}

int
enroll_create_grouped(PGconn *c, struct enroll_group *g,
    const struct vault *v, const struct settings *s,
    const struct enroll_request *req, struct enroll_audit *au,
    char id[IDS_LEN + 1], char *err, size_t errlen)
{
	struct enroll_material m = { 0 };
	char pkid[IDS_LEN + 1], oid[IDS_LEN + 1], trace[IDS_TRACE_LEN + 1];
	int rc = -1;

	if (ids_new(id) < 0 || ids_new(pkid) < 0) {
		snprintf(err, errlen, "enroll: no random ids");
		goto out;
	}
	/* A key made ahead when the pool has one: RSA takes 0.2 s and more. */
	if (keypool_take(c, v, &s->key_pool, req->key_type, &m.key, err,
	    errlen) < 0 || enroll_material(v, req, pkid, &m, err, errlen) < 0)
		goto out;
	rc = enroll_commit(c, g, s, req, id, pkid, &m, au, oid, trace, err,
	    errlen);
	g = NULL;	/* enroll_commit used up the entry */
	if (rc < 1)
		goto out;
	log_info_ctx(LOG_JOB(oid, 1, trace, id), "issue_order queued for "
	    "certificate %s (%zu names, %s, %s)", id, req->nnames,
	    keys_type_name(req->key_type), req->challenge);
out:
	if (g != NULL)
		enroll_group_leave(g);
	enroll_material_free(&m);
	return rc;
}

int
enroll_create(PGconn *c, const struct vault *v, const struct settings *s,
    const struct enroll_request *req, char id[IDS_LEN + 1], char *err,
    size_t errlen)
{
	return enroll_create_grouped(c, NULL, v, s, req, NULL, id, err,
	    errlen);
}
