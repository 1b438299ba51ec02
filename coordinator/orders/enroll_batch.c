/* enroll_batch.c -- writes many enrollments at once: one statement per table for the whole batch, set-based. */
#include "enroll_batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "hostname.h"
#include "jobmsg.h"
#include "kafkaconn.h"

#define EB_COLS 12	/* columns of the widest statement */

/* The columns of one statement, a text[] parameter each: v[col][row]. */
struct eb_cols {
	char	**v[EB_COLS];
	char	 *lit[EB_COLS];
	size_t	  ncol, n;
	int	  oom;
};

static void
eb_cols_free(struct eb_cols *t)
{
	size_t k;

	for (k = 0; k < t->ncol; k++) {
		if (t->v[k] != NULL)
			db_array_free(t->v[k], t->n);
		free(t->lit[k]);
	}
	memset(t, 0, sizeof(*t));
}

/* ncol columns of n rows. Returns 0, or -1 with err (nothing to free). */
static int
eb_cols_init(struct eb_cols *t, size_t ncol, size_t n, char *err,
    size_t errlen)
{
	size_t k;

	memset(t, 0, sizeof(*t));
	t->ncol = ncol;
	t->n = n;
	for (k = 0; k < ncol; k++)
		if ((t->v[k] = calloc(n > 0 ? n : 1, sizeof(char *))) == NULL) {
			eb_cols_free(t);
			snprintf(err, errlen, "enroll batch: out of memory");
			return -1;
		}
	return 0;
}

/* Sets column col of row to a copy of s (NULL: ""); memory running out is
 * noted on t and found by eb_exec. */
static void
eb_set(struct eb_cols *t, size_t col, size_t row, const char *s)
{
	if ((t->v[col][row] = strdup(s != NULL ? s : "")) == NULL)
		t->oom = 1;
}

/* Sets column col of row to b[0..len) in hex (decode(x, 'hex') in SQL). */
static void
eb_set_hex(struct eb_cols *t, size_t col, size_t row, const unsigned char *b,
    size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char *h;
	size_t i;

	if ((h = t->v[col][row] = malloc(2 * len + 1)) == NULL) {
		t->oom = 1;
		return;
	}
	for (i = 0; i < len; i++) {
		h[2 * i] = digits[b[i] >> 4];
		h[2 * i + 1] = digits[b[i] & 15];
	}
	h[2 * len] = '\0';
}

/* Runs sql with t's columns as its parameters $1..$ncol; it must affect
 * t->n rows. Returns 0, or -1 with err. */
static int
eb_exec(PGconn *c, const char *what, const char *sql, struct eb_cols *t,
    char *err, size_t errlen)
{
	long rows;
	size_t k;

	for (k = 0; !t->oom && k < t->ncol; k++)
		if ((t->lit[k] = db_array_literal(t->v[k], t->n)) == NULL)
			t->oom = 1;
	if (t->oom) {
		snprintf(err, errlen, "%s: out of memory", what);
		return -1;
	}
	if ((rows = db_exec(c, what, sql, (int)t->ncol,
	    (const char *const *)t->lit, NULL, NULL, err, errlen)) < 0)
		return -1;
	if ((size_t)rows != t->n) {
		snprintf(err, errlen, "%s: %ld rows written of %zu", what, rows,
		    t->n);
		return -1;
	}
	return 0;
}

int
enroll_batch_fits(const struct enroll_request *req)
{
	return req->tenant[0] == '\0';
}

/* Hostname sets and certificates (names and labels by their triggers). */
static int
eb_certificates(PGconn *c, const struct settings *s,
    const struct enroll_batch_item *it, size_t n, char *err, size_t errlen)
{
	struct eb_cols t;
	const struct enroll_request *r;
	size_t i;
	int rc;

	if (eb_cols_init(&t, 11, n, err, errlen) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		r = it[i].req;
		eb_set(&t, 0, i, it[i].id);
		if ((t.v[1][i] = db_array_literal(r->names, r->nnames)) == NULL ||
		    (t.v[2][i] = enroll_domains_literal(r->names,
		    r->nnames)) == NULL || (t.v[5][i] = db_array_literal(
		    r->fallback, r->nfallback)) == NULL)
			t.oom = 1;
		eb_set(&t, 3, i, r->ca != NULL ? r->ca : s->ca_name);
		eb_set(&t, 4, i, keys_type_name(r->key_type));
		eb_set(&t, 6, i, r->challenge);
		eb_set(&t, 7, i, r->preferred_chain);
		eb_set(&t, 8, i, r->profile);
		eb_set(&t, 9, i, r->labels != NULL ? r->labels : "{}");
		eb_set(&t, 10, i, r->tenant);
	}
	/* a name set twice in the batch (force) is one hostname set */
	rc = eb_exec(c, "enroll batch certificates", "WITH x AS (SELECT * FROM "
	    "unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], "
	    "$6::text[], $7::text[], $8::text[], $9::text[], $10::text[], "
	    "$11::text[]) AS x(id, names, domains, ca, key_type, fallback, "
	    "challenge, chain, profile, labels, tenant)), hs AS (INSERT INTO hostname_sets (names, "
	    "domains) SELECT DISTINCT names::text[], domains::text[] FROM x ON "
	    "CONFLICT (names) DO UPDATE SET names = excluded.names, domains = "
	    "excluded.domains RETURNING id, names) INSERT INTO certificates (id, "
	    "hostname_set, ca, key_type, fallback, challenge, preferred_chain, "
	    "profile, tenant, labels) SELECT x.id, hs.id, x.ca, x.key_type, "
	    "x.fallback::text[], x.challenge, nullif(x.chain, ''), "
	    "nullif(x.profile, ''), nullif(x.tenant, ''), x.labels::jsonb FROM x "
	    "JOIN hs ON hs.names = x.names::text[]", &t, err, errlen);
	eb_cols_free(&t);
	return rc;
}

/* The sealed private keys. */
static int
eb_keys(PGconn *c, const struct enroll_batch_item *it, size_t n, char *err,
    size_t errlen)
{
	struct eb_cols t;
	const struct enroll_material *m;
	size_t i;
	int rc;

	if (eb_cols_init(&t, 8, n, err, errlen) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		m = it[i].m;
		eb_set(&t, 0, i, it[i].pkid);
		eb_set(&t, 1, i, it[i].id);
		eb_set(&t, 2, i, keys_type_name(it[i].req->key_type));
		eb_set_hex(&t, 3, i, m->spki, m->spkilen);
		eb_set_hex(&t, 4, i, m->box.ct, m->box.ctlen);
		eb_set_hex(&t, 5, i, m->box.nonce, VAULT_NONCE_LEN);
		eb_set_hex(&t, 6, i, m->box.tag, VAULT_TAG_LEN);
		eb_set(&t, 7, i, m->box.key_id);
	}
	rc = eb_exec(c, "enroll batch keys", "INSERT INTO private_keys (id, "
	    "certificate, key_type, public_key_der, key_ciphertext, key_nonce, "
	    "key_tag, key_id) SELECT id, cert, kt, decode(spki, 'hex'), "
	    "decode(ct, 'hex'), decode(nonce, 'hex'), decode(tag, 'hex'), kid "
	    "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], "
	    "$5::text[], $6::text[], $7::text[], $8::text[]) AS x(id, cert, kt, "
	    "spki, ct, nonce, tag, kid)", &t, err, errlen);
	eb_cols_free(&t);
	return rc;
}

/* The current accounts of the batch's CAs (locked FOR SHARE, as
 * order_create does): rows of name, directory_url, trust, account id and
 * URL. Returns the result, or NULL with err (also when a CA has none). */
static PGresult *
eb_accounts(PGconn *c, const struct settings *s,
    const struct enroll_batch_item *it, size_t n, char *err, size_t errlen)
{
	char **cas, *lit;
	const char *ca;
	PGresult *r = NULL;
	size_t i, k = 0;
	int row;

	if ((cas = calloc(n, sizeof(*cas))) == NULL)
		goto oom;
	for (i = 0; i < n; i++)
		cas[k++] = (char *)(it[i].req->ca != NULL ? it[i].req->ca :
		    s->ca_name);
	lit = db_array_literal(cas, k);
	free(cas);
	if (lit == NULL)
		goto oom;
	r = db_query(c, "enroll batch accounts", "SELECT ca.name, "
	    "ca.directory_url, ca.trust, a.id, coalesce(a.account_url, '') FROM "
	    "cas ca JOIN acme_accounts a ON a.ca = ca.name AND a.directory_url = "
	    "ca.directory_url WHERE ca.name = ANY($1::text[]) FOR SHARE OF a", 1,
	    (const char *const *)&lit, NULL, NULL, err, errlen);
	free(lit);
	for (i = 0; r != NULL && i < n; i++) {
		ca = it[i].req->ca != NULL ? it[i].req->ca : s->ca_name;
		for (row = 0; row < PQntuples(r) && strcmp(PQgetvalue(r, row, 0),
		    ca) != 0; row++)
			;
		if (row == PQntuples(r)) {
			snprintf(err, errlen, "enroll: CA %s has no account yet", ca);
			PQclear(r);
			r = NULL;
		}
	}
	return r;
oom:
	snprintf(err, errlen, "enroll batch accounts: out of memory");
	return NULL;
}

/* The row of accounts acc for the CA of req. */
static int
eb_account_row(const PGresult *acc, const struct settings *s,
    const struct enroll_request *req)
{
	const char *ca = req->ca != NULL ? req->ca : s->ca_name;
	int row;

	for (row = 0; row < PQntuples(acc) - 1 && strcmp(PQgetvalue(acc, row,
	    0), ca) != 0; row++)
		;
	return row;
}

/* The orders, each for its CA's current account. */
static int
eb_orders(PGconn *c, const struct settings *s, const PGresult *acc,
    struct enroll_batch_item *it, size_t n, char *err, size_t errlen)
{
	struct eb_cols t;
	const struct enroll_request *r;
	char prio[16];
	size_t i;
	int rc;

	if (eb_cols_init(&t, 12, n, err, errlen) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		r = it[i].req;
		if (ids_new(it[i].oid) < 0 || ids_trace(it[i].trace) < 0) {
			eb_cols_free(&t);
			snprintf(err, errlen, "enroll: no random ids");
			return -1;
		}
		snprintf(prio, sizeof(prio), "%d", r->priority);
		eb_set(&t, 0, i, it[i].oid);
		eb_set(&t, 1, i, it[i].id);
		eb_set(&t, 2, i, it[i].pkid);
		eb_set_hex(&t, 3, i, it[i].m->csr, it[i].m->csrlen);
		eb_set(&t, 4, i, it[i].trace);
		eb_set(&t, 5, i, r->ca != NULL ? r->ca : s->ca_name);
		eb_set(&t, 6, i, r->challenge);
		eb_set(&t, 7, i, r->profile);
		eb_set(&t, 8, i, r->preferred_chain);
		eb_set(&t, 9, i, prio);
		/* the CA's current account, as order_publish records it */
		eb_set(&t, 10, i, PQgetvalue(acc, eb_account_row(acc, s, r), 3));
		eb_set(&t, 11, i, r->tenant);	/* the certificate's, as order_create */
	}
	rc = eb_exec(c, "enroll batch orders", "INSERT INTO orders (id, "
	    "certificate, private_key, csr_der, trace_id, ca, challenge, profile, "
	    "preferred_chain, priority, account, tenant) SELECT x.id, x.cert, "
	    "x.pk, decode(x.csr, 'hex'), x.trace, x.ca, x.challenge, "
	    "nullif(x.profile, ''), nullif(x.chain, ''), x.prio::smallint, "
	    "x.account, nullif(x.tenant, '') FROM unnest($1::text[], $2::text[], "
	    "$3::text[], $4::text[], $5::text[], $6::text[], $7::text[], "
	    "$8::text[], $9::text[], $10::text[], $11::text[], $12::text[]) AS "
	    "x(id, cert, pk, csr, trace, ca, challenge, profile, chain, prio, "
	    "account, tenant)", &t, err, errlen);
	eb_cols_free(&t);
	return rc;
}

/* Job{issue_order} of item it (its order just written, attempt 1) into
 * column 1 (payload, hex) and 0 (Kafka key) of row i of t. */
static void
eb_job(struct eb_cols *t, size_t i, const PGresult *acc, int row,
    const struct enroll_batch_item *it)
{
	struct jobmsg_issue ji;
	char key[HOSTNAME_MAX + 1];
	void *payload;
	size_t plen;

	memset(&ji, 0, sizeof(ji));
	ji.job_id = it->oid;
	ji.attempt = 1;
	ji.trace_id = it->trace;
	ji.certificate_id = it->id;
	ji.csr = it->m->csr;
	ji.csrlen = it->m->csrlen;
	ji.order_url = "";
	ji.challenge_type = it->req->challenge;
	ji.replaces = "";
	ji.profile = it->req->profile;
	ji.ca_name = PQgetvalue(acc, row, 0);
	ji.directory_url = PQgetvalue(acc, row, 1);
	ji.trust = PQgetvalue(acc, row, 2);
	ji.account_id = PQgetvalue(acc, row, 3);
	ji.account_url = PQgetvalue(acc, row, 4);
	ji.names = it->req->names;
	ji.nnames = it->req->nnames;
	if ((payload = jobmsg_issue_encode(&ji, &plen)) == NULL) {
		t->oom = 1;
		return;
	}
	jobmsg_kafka_key(it->req->names[0], key, sizeof(key));
	eb_set(t, 0, i, key);
	eb_set_hex(t, 1, i, payload, plen);
	free(payload);
}

/* The orders' jobs into the outbox, due now (outbox_add's row each). */
static int
eb_outbox(PGconn *c, const struct settings *s, const PGresult *acc,
    const struct enroll_batch_item *it, size_t n, char *err, size_t errlen)
{
	struct eb_cols t;
	char prio[16];
	size_t i;
	int rc, row;

	if (eb_cols_init(&t, 6, n, err, errlen) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		row = eb_account_row(acc, s, it[i].req);
		eb_job(&t, i, acc, row, &it[i]);
		eb_set(&t, 2, i, it[i].oid);
		eb_set(&t, 3, i, PQgetvalue(acc, row, 0));
		snprintf(prio, sizeof(prio), "%d", it[i].req->priority);
		eb_set(&t, 4, i, prio);
		eb_set(&t, 5, i, kafkaconn_topic_jobs());
	}
	rc = eb_exec(c, "enroll batch jobs", "INSERT INTO outbox (topic, key, "
	    "payload, job_id, attempt, available_at, ca, issue, priority) SELECT "
	    "x.topic, x.key, decode(x.payload, 'hex'), x.job, 1, now(), x.ca, "
	    "true, x.prio::smallint FROM unnest($1::text[], $2::text[], "
	    "$3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS "
	    "x(key, payload, job, ca, prio, topic, i) ORDER BY x.i", &t, err,
	    errlen);
	eb_cols_free(&t);
	return rc;
}

int
enroll_batch_write(PGconn *c, const struct settings *s,
    struct enroll_batch_item *items, size_t n, char *err, size_t errlen)
{
	PGresult *acc;
	int rc = -1;

	err[0] = '\0';
	if (n == 0)
		return 1;
	if ((acc = eb_accounts(c, s, items, n, err, errlen)) == NULL)
		return -1;
	if (eb_certificates(c, s, items, n, err, errlen) == 0 &&
	    eb_keys(c, items, n, err, errlen) == 0 &&
	    eb_orders(c, s, acc, items, n, err, errlen) == 0 &&
	    eb_outbox(c, s, acc, items, n, err, errlen) == 0)
		rc = 1;
	PQclear(acc);
	return rc;
}
