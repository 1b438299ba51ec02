/* enroll_batch.c -- writes many enrollments, or a renewal tick's orders, at once: one statement per table for the whole batch, set-based. */
#include "enroll_batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "hostname.h"
#include "ids.h"
#include "jobmsg.h"
#include "kafkaconn.h"

#define EB_COLS 13	/* columns of the widest statement */

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
 * noted on t and found by eb_stmt. */
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
	char *h;

	if ((h = t->v[col][row] = malloc(2 * len + 1)) == NULL) {
		t->oom = 1;
		return;
	}
	ids_hex(b, len, h);
}

/* Makes st the statement sql with t's columns as its parameters
 * $1..$ncol (t must outlive it). Returns 0, or -1 with err. */
static int
eb_stmt(struct db_stmt *st, const char *what, const char *sql,
    struct eb_cols *t, char *err, size_t errlen)
{
	size_t k;

	for (k = 0; !t->oom && k < t->ncol; k++)
		if ((t->lit[k] = db_array_literal(t->v[k], t->n)) == NULL)
			t->oom = 1;
	if (t->oom) {
		snprintf(err, errlen, "%s: out of memory", what);
		return -1;
	}
	memset(st, 0, sizeof(*st));
	st->what = what;
	st->sql = sql;
	st->n = (int)t->ncol;
	st->params = (const char *const *)t->lit;
	return 0;
}

/* Whether st, run, wrote one row per row of t. Returns 0, or -1 with err. */
static int
eb_wrote(const struct db_stmt *st, const struct eb_cols *t, char *err,
    size_t errlen)
{
	long rows = atol(PQcmdTuples(st->res));

	if (rows < 0 || (size_t)rows != t->n) {
		snprintf(err, errlen, "%s: %ld rows written of %zu", st->what,
		    rows, t->n);
		return -1;
	}
	return 0;
}

int
enroll_batch_fits(const struct enroll_request *req)
{
	return req->tenant[0] == '\0';
}

/* The CA of req: its own, else the default (s is NULL only when every
 * request names its CA: enroll_batch_orders). */
static const char *
eb_ca(const struct settings *s, const struct enroll_request *req)
{
	return req->ca != NULL ? req->ca : s->ca_name;
}

/* Hostname sets and certificates (names and labels by their triggers). */
static int
eb_certificates(struct eb_cols *t, struct db_stmt *st,
    const struct settings *s, const struct enroll_batch_item *it, size_t n, char *err, size_t errlen)
{
	const struct enroll_request *r;
	size_t i;

	if (eb_cols_init(t, 11, n, err, errlen) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		r = it[i].req;
		eb_set(t, 0, i, it[i].id);
		if ((t->v[1][i] = db_array_literal(r->names, r->nnames)) == NULL ||
		    (t->v[2][i] = enroll_domains_literal(r->names,
		    r->nnames)) == NULL || (t->v[5][i] = db_array_literal(
		    r->fallback, r->nfallback)) == NULL)
			t->oom = 1;
		eb_set(t, 3, i, eb_ca(s, r));
		eb_set(t, 4, i, keys_type_name(r->key_type));
		eb_set(t, 6, i, r->challenge);
		eb_set(t, 7, i, r->preferred_chain);
		eb_set(t, 8, i, r->profile);
		eb_set(t, 9, i, r->labels != NULL ? r->labels : "{}");
		eb_set(t, 10, i, r->tenant);
	}
	/* a name set twice in the batch (force) is one hostname set */
	return eb_stmt(st, "enroll batch certificates", "WITH x AS (SELECT * FROM "
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
	    "JOIN hs ON hs.names = x.names::text[]", t, err, errlen);
}

/* The sealed private keys. */
static int
eb_keys(struct eb_cols *t, struct db_stmt *st,
    const struct enroll_batch_item *it, size_t n, char *err, size_t errlen)
{
	const struct enroll_material *m;
	size_t i;

	if (eb_cols_init(t, 8, n, err, errlen) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		m = it[i].m;
		eb_set(t, 0, i, it[i].pkid);
		eb_set(t, 1, i, it[i].id);
		eb_set(t, 2, i, keys_type_name(it[i].req->key_type));
		eb_set_hex(t, 3, i, m->spki, m->spkilen);
		eb_set_hex(t, 4, i, m->box.ct, m->box.ctlen);
		eb_set_hex(t, 5, i, m->box.nonce, VAULT_NONCE_LEN);
		eb_set_hex(t, 6, i, m->box.tag, VAULT_TAG_LEN);
		eb_set(t, 7, i, m->box.key_id);
	}
	return eb_stmt(st, "enroll batch keys", "INSERT INTO private_keys (id, "
	    "certificate, key_type, public_key_der, key_ciphertext, key_nonce, "
	    "key_tag, key_id) SELECT id, cert, kt, decode(spki, 'hex'), "
	    "decode(ct, 'hex'), decode(nonce, 'hex'), decode(tag, 'hex'), kid "
	    "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], "
	    "$5::text[], $6::text[], $7::text[], $8::text[]) AS x(id, cert, kt, "
	    "spki, ct, nonce, tag, kid)", t, err, errlen);
}

/* The current accounts of the batch's CAs (locked FOR SHARE, as
 * order_create does): rows of name, directory_url, trust, account id and
 * URL. *lit is the statement's parameter (free it after). Returns 0, or -1
 * with err. */
static int
eb_accounts(struct db_stmt *st, char **lit, const struct settings *s,
    const struct enroll_batch_item *it, size_t n, char *err, size_t errlen)
{
	char **cas;
	size_t i;

	if ((cas = calloc(n, sizeof(*cas))) == NULL)
		goto oom;
	for (i = 0; i < n; i++)
		cas[i] = (char *)eb_ca(s, it[i].req);
	*lit = db_array_literal(cas, n);
	free(cas);
	if (*lit == NULL)
		goto oom;
	memset(st, 0, sizeof(*st));
	st->what = "enroll batch accounts";
	st->sql = "SELECT ca.name, ca.directory_url, ca.trust, a.id, "
	    "coalesce(a.account_url, '') FROM cas ca JOIN acme_accounts a ON "
	    "a.ca = ca.name AND a.directory_url = ca.directory_url WHERE "
	    "ca.name = ANY($1::text[]) FOR SHARE OF a";
	st->n = 1;
	st->params = (const char *const *)lit;
	return 0;
oom:
	snprintf(err, errlen, "enroll batch accounts: out of memory");
	return -1;
}

/* Whether every item's CA has a row in acc. Returns 0, or -1 with err. */
static int
eb_accounts_found(const PGresult *acc, const struct settings *s,
    const struct enroll_batch_item *it, size_t n, char *err, size_t errlen)
{
	const char *ca;
	size_t i;
	int row;

	for (i = 0; i < n; i++) {
		ca = eb_ca(s, it[i].req);
		for (row = 0; row < PQntuples(acc) && strcmp(PQgetvalue(acc,
		    row, 0), ca) != 0; row++)
			;
		if (row == PQntuples(acc)) {
			snprintf(err, errlen, "enroll: CA %s has no account yet",
			    ca);
			return -1;
		}
	}
	return 0;
}

/* The row of accounts acc for the CA of req. */
static int
eb_account_row(const PGresult *acc, const struct settings *s,
    const struct enroll_request *req)
{
	const char *ca = eb_ca(s, req);
	int row;

	for (row = 0; row < PQntuples(acc) - 1 && strcmp(PQgetvalue(acc, row,
	    0), ca) != 0; row++)
		;
	return row;
}

/* The orders, each for its CA's current account. */
static int
eb_orders(struct eb_cols *t, struct db_stmt *st, const struct settings *s,
    const PGresult *acc, struct enroll_batch_item *it, size_t n, char *err, size_t errlen)
{
	const struct enroll_request *r;
	char prio[16];
	size_t i;

	if (eb_cols_init(t, 13, n, err, errlen) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		r = it[i].req;
		if (ids_new(it[i].oid) < 0 || ids_trace(it[i].trace) < 0) {
			eb_cols_free(t);
			snprintf(err, errlen, "enroll: no random ids");
			return -1;
		}
		snprintf(prio, sizeof(prio), "%d", r->priority);
		eb_set(t, 0, i, it[i].oid);
		eb_set(t, 1, i, it[i].id);
		eb_set(t, 2, i, it[i].pkid);
		eb_set_hex(t, 3, i, it[i].m->csr, it[i].m->csrlen);
		eb_set(t, 4, i, it[i].trace);
		eb_set(t, 5, i, eb_ca(s, r));
		eb_set(t, 6, i, r->challenge);
		eb_set(t, 7, i, r->profile);
		eb_set(t, 8, i, r->preferred_chain);
		eb_set(t, 9, i, prio);
		/* the CA's current account, as order_publish records it */
		eb_set(t, 10, i, PQgetvalue(acc, eb_account_row(acc, s, r), 3));
		eb_set(t, 11, i, r->tenant);	/* the certificate's, as order_create */
		eb_set(t, 12, i, it[i].replaces);
	}
	return eb_stmt(st, "enroll batch orders", "INSERT INTO orders (id, "
	    "certificate, private_key, csr_der, trace_id, ca, challenge, profile, "
	    "preferred_chain, priority, account, tenant, replaces) SELECT x.id, "
	    "x.cert, x.pk, decode(x.csr, 'hex'), x.trace, x.ca, x.challenge, "
	    "nullif(x.profile, ''), nullif(x.chain, ''), x.prio::smallint, "
	    "x.account, nullif(x.tenant, ''), nullif(x.replaces, '') FROM "
	    "unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], "
	    "$6::text[], $7::text[], $8::text[], $9::text[], $10::text[], "
	    "$11::text[], $12::text[], $13::text[]) AS x(id, cert, pk, csr, "
	    "trace, ca, challenge, profile, chain, prio, account, tenant, "
	    "replaces)", t, err, errlen);
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
	ji.replaces = it->replaces != NULL ? it->replaces : "";
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
eb_outbox(struct eb_cols *t, struct db_stmt *st, const struct settings *s,
    const PGresult *acc, const struct enroll_batch_item *it, size_t n, char *err, size_t errlen)
{
	char prio[16];
	size_t i;
	int row;

	if (eb_cols_init(t, 6, n, err, errlen) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		row = eb_account_row(acc, s, it[i].req);
		eb_job(t, i, acc, row, &it[i]);
		eb_set(t, 2, i, it[i].oid);
		eb_set(t, 3, i, PQgetvalue(acc, row, 0));
		snprintf(prio, sizeof(prio), "%d", it[i].req->priority);
		eb_set(t, 4, i, prio);
		eb_set(t, 5, i, kafkaconn_topic_jobs());
	}
	return eb_stmt(st, "enroll batch jobs", "INSERT INTO outbox (topic, key, "
	    "payload, job_id, attempt, available_at, ca, issue, priority) SELECT "
	    "x.topic, x.key, decode(x.payload, 'hex'), x.job, 1, now(), x.ca, "
	    "true, x.prio::smallint FROM unnest($1::text[], $2::text[], "
	    "$3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS "
	    "x(key, payload, job, ca, prio, topic, i) ORDER BY x.i", t, err,
	    errlen);
}

/* The statements of a batch, in two round trips: what needs nothing
 * read first, then what needs the accounts. */
enum { EB_BEGIN, EB_ACCOUNTS, EB_CERTS, EB_KEYS, EB_FIRST };
enum { EB_ORDERS, EB_JOBS, EB_AUDIT, EB_COMMIT, EB_SECOND };

/* What eb_write writes: in the caller's transaction or one of its own
 * (EB_TX, with the items' audit rows), and the hostname sets and
 * certificates too or only what an order of a certificate there needs
 * (EB_ORDERS_ONLY). */
#define EB_TX		1
#define EB_ORDERS_ONLY	2

/* Writes items[0..n) as flags say. */
static int
eb_write(PGconn *c, const struct settings *s, struct enroll_batch_item *items,
    size_t n, int flags, char *err, size_t errlen)
{
	struct db_stmt one[EB_FIRST] = { { 0 } }, two[EB_SECOND] = { { 0 } };
	struct eb_cols t[4];
	struct db_stmt *first = one, *second = two, *keys = &one[EB_KEYS];
	unsigned char took[ENROLL_AUDIT_MAX] = { 0 };
	char *acclit = NULL, *audit = NULL;
	size_t nfirst = EB_FIRST, nsecond = EB_COMMIT, k;
	int rc = -1, audits = 0, tx = flags & EB_TX;

	memset(t, 0, sizeof(t));
	one[EB_BEGIN].what = "BEGIN";
	one[EB_BEGIN].sql = "BEGIN";
	two[EB_COMMIT].what = "COMMIT";
	two[EB_COMMIT].sql = "COMMIT";
	if (!tx) {
		first++;	/* no BEGIN */
		nfirst--;
		nsecond = EB_AUDIT;	/* no audit rows, no COMMIT */
	}
	if (flags & EB_ORDERS_ONLY) {
		keys = &one[EB_CERTS];	/* the keys where the certificates were */
		nfirst--;
	}
	if (eb_accounts(&one[EB_ACCOUNTS], &acclit, s, items, n, err,
	    errlen) < 0 || (!(flags & EB_ORDERS_ONLY) && eb_certificates(&t[0],
	    &one[EB_CERTS], s, items, n, err, errlen) < 0) || eb_keys(&t[1],
	    keys, items, n, err, errlen) < 0)
		goto out;
	if (db_pipeline(c, first, nfirst, err, errlen) < 0)
		goto out;
	if (eb_accounts_found(one[EB_ACCOUNTS].res, s, items, n, err,
	    errlen) < 0 || (!(flags & EB_ORDERS_ONLY) && eb_wrote(&one[EB_CERTS],
	    &t[0], err, errlen) < 0) || eb_wrote(keys, &t[1], err, errlen) < 0 ||
	    eb_orders(&t[2], &two[EB_ORDERS], s, one[EB_ACCOUNTS].res, items,
	    n, err, errlen) < 0 || eb_outbox(&t[3], &two[EB_JOBS], s,
	    one[EB_ACCOUNTS].res, items, n, err, errlen) < 0)
		goto out;
	if (tx && (audits = enroll_audit_stmt(&two[EB_AUDIT], &audit, items, n,
	    took, err, errlen)) < 0)
		goto out;
	if (tx && audits == 0)
		two[EB_AUDIT] = two[EB_COMMIT];	/* no audit rows */
	else if (tx)
		nsecond = EB_SECOND;
	if (db_pipeline(c, second, nsecond, err, errlen) < 0 ||
	    eb_wrote(&two[EB_ORDERS], &t[2], err, errlen) < 0 ||
	    eb_wrote(&two[EB_JOBS], &t[3], err, errlen) < 0 ||
	    (audits > 0 && enroll_audit_ids(two[EB_AUDIT].res, items, n, took,
	    err, errlen) < 0))
		goto out;
	rc = 1;
out:
	for (k = 0; k < EB_FIRST; k++)
		PQclear(one[k].res);
	for (k = 0; k < EB_SECOND; k++)
		PQclear(two[k].res);
	for (k = 0; k < 4; k++)
		eb_cols_free(&t[k]);
	free(acclit);
	free(audit);
	if (rc < 0 && tx) {
		db_rollback(c);
		enroll_audit_forget(items, n);
	}
	return rc;
}

int
enroll_batch_write(PGconn *c, const struct settings *s,
    struct enroll_batch_item *items, size_t n, char *err, size_t errlen)
{
	err[0] = '\0';
	if (n == 0)
		return 1;
	return eb_write(c, s, items, n, 0, err, errlen);
}

int
enroll_batch_orders(PGconn *c, struct enroll_batch_item *items, size_t n,
    char *err, size_t errlen)
{
	size_t i;

	err[0] = '\0';
	for (i = 0; i < n; i++)
		if (items[i].req->ca == NULL) {
			snprintf(err, errlen, "enroll batch: order %zu names no "
			    "CA", i);
			return -1;
		}
	if (n == 0)
		return 1;
	return eb_write(c, NULL, items, n, EB_ORDERS_ONLY, err, errlen);
}

int
enroll_batch_commit(PGconn *c, const struct settings *s,
    struct enroll_batch_item *items, size_t n, char *err, size_t errlen)
{
	err[0] = '\0';
	if (n > ENROLL_AUDIT_MAX) {
		snprintf(err, errlen, "enroll batch: %zu enrollments in one "
		    "commit (at most %d)", n, ENROLL_AUDIT_MAX);
		return -1;
	}
	return eb_write(c, s, items, n, EB_TX, err, errlen);
}
