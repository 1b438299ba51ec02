/* test_orders.c -- the order owner against a real PostgreSQL: enrollment, renewal-like orders, fallback and retries all queue jobs carrying every field; the renewal tick takes only due rows and renews only those it may. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "accounts.h"
#include "ari_recheck.h"
#include "codec.h"
#include "db.h"
#include "enroll.h"
#include "enroll_batch.h"
#include "fallback.h"
#include "migrate.h"
#include "order.h"
#include "renew.h"
#include "retry.h"
#include "settings.h"
#include "tenant.h"
#include "test_coord_env.h"
#include "vault.h"

#define REPLACES "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"
#define PROFILE "shortlived"
#define CHAIN "certfleet test root"

static PGconn *db;
static struct vault *vault;
static struct settings set;

/* One value of a one-row query with one parameter, malloc'd, or NULL. */
static char *
sql1(const char *sql, const char *param)
{
	PGresult *r;
	char *v;

	r = PQexecParams(db, sql, 1, NULL, &param, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(db));
	v = PQntuples(r) != 1 || PQgetisnull(r, 0, 0) ? NULL :
	    strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

static void
assert_sql(const char *sql, const char *param, const char *want)
{
	char *v = sql1(sql, param);

	if (v == NULL || strcmp(v, want) != 0)
		fail_msg("%s [%s]: got %s, want %s", sql, param, v ? v : "NULL",
		    want);
	free(v);
}

/* The Job in the outbox for job_id's attempt, decoded as a worker would. */
static Certfleet__Job *
outbox_job(const char *job_id, int attempt)
{
	PGresult *r;
	Certfleet__Job *j;
	char att[16], err[256];
	const char *p[2] = { job_id, att };

	snprintf(att, sizeof(att), "%d", attempt);
	r = PQexecParams(db, "SELECT payload FROM outbox WHERE job_id = $1 AND "
	    "attempt = $2", 2, NULL, p, NULL, NULL, 1);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		fail_msg("outbox row of %s attempt %d: %s", job_id, attempt,
		    PQerrorMessage(db));
	j = proto_job_decode(PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0),
	    err, sizeof(err));
	PQclear(r);
	if (j == NULL)
		fail_msg("job %s attempt %d does not decode: %s", job_id, attempt,
		    err);
	return j;
}

/* Checks every field an issue order's job must carry. */
static void
assert_issue_job(const Certfleet__Job *j, const char *ca, const char *order_url)
{
	const Certfleet__IssueOrder *io;

	assert_int_equal(j->kind_case, CERTFLEET__JOB__KIND_ISSUE_ORDER);
	io = j->issue_order;
	assert_string_equal(io->ca->name, ca);
	assert_non_null(strstr(io->ca->directory_url, ca));
	assert_string_equal(io->profile, PROFILE);
	assert_string_equal(io->replaces, REPLACES);
	assert_string_equal(io->challenge_type, "http-01");
	assert_string_equal(io->order_url, order_url);
	assert_int_equal(io->n_identifiers, 1);
	assert_true(io->csr_der.len > 0);
	assert_true(io->account_id[0] != '\0');
}

/* Enrolls one name at ca-a with ca-b as fallback, a profile and a preferred
 * chain; writes the certificate id. */
static void
enroll(const char *name, char id[IDS_LEN + 1])
{
	struct enroll_request req;
	char body[512], err[512];

	snprintf(body, sizeof(body), "{\"hostnames\": [\"%s\"], \"ca\": "
	    "\"ca-a\", \"fallback\": [\"ca-b\"], \"profile\": \"" PROFILE "\", "
	    "\"preferred_chain\": \"" CHAIN "\"}", name);
	if (enroll_parse(body, strlen(body), KEYS_EC_P256, &req, err,
	    sizeof(err)) < 0)
		fail_msg("enroll_parse: %s", err);
	if (enroll_create(db, vault, &set, &req, id, err, sizeof(err)) < 0)
		fail_msg("enroll_create: %s", err);
	enroll_request_free(&req);
}

/* Renewal order oid (priority 1) was queued again as attempt 2 with no
 * failure (a deferral, say): its job keeps the renewal's priority. After a
 * transient failure its attempt 3 goes after every first attempt (-1), the
 * order keeping its own priority for a fallback or a retry. */
static void
retry_priority_after_failure(const char *oid)
{
	char err[512];

	assert_sql("SELECT priority::text FROM outbox WHERE job_id = $1 AND "
	    "attempt = 2", oid, "1");
	assert_int_equal(db_begin(db, err, sizeof(err)), 0);
	assert_int_equal(db_exec(db, "a transient failure", "UPDATE orders SET "
	    "failures = failures + 1 WHERE id = $1", 1, (const char *[]){ oid },
	    NULL, NULL, err, sizeof(err)), 1);
	if (order_requeue(db, oid, 3, "https://ca-b.test/order/1", 60, "pending",
	    err, sizeof(err)) < 0)
		fail_msg("order_requeue: %s", err);
	assert_int_equal(db_commit(db, err, sizeof(err)), 0);
	assert_sql("SELECT ob.priority || ' ' || o.priority FROM outbox ob JOIN "
	    "orders o ON o.id = ob.job_id WHERE ob.job_id = $1 AND ob.attempt = 3",
	    oid, "-1 1");
}

/* An order made like a renewal (with ARI replaces) fails for good at ca-a:
 * the fallback order at ca-b keeps profile, replaces, preferred chain,
 * challenge, key, CSR, trace id and a renewal's priority, and so does its
 * job; a retry of it carries them too, with the order URL, and its
 * priority until it fails (retry_priority_after_failure). */
static void
test_fallback_keeps_every_field(void **state)
{
	struct order_new on = { 0 };
	char id[IDS_LEN + 1], oid[IDS_LEN + 1], err[512], *first, *fb, *pk, *tr;
	char *csr, want[2048];
	Certfleet__Job *j;

	(void)state;
	enroll("fallback.example.com", id);
	first = sql1("SELECT id FROM orders WHERE certificate = $1", id);
	assert_non_null(first);
	pk = sql1("SELECT private_key FROM orders WHERE id = $1", first);
	tr = sql1("SELECT trace_id FROM orders WHERE id = $1", first);
	csr = sql1("SELECT encode(csr_der, 'hex') FROM orders WHERE id = $1",
	    first);
	j = outbox_job(first, 1);
	assert_string_equal(j->issue_order->profile, PROFILE);
	assert_string_equal(j->issue_order->replaces, "");
	proto_job_free(j);

	/* A second order at ca-a with replaces, as renew.c makes one. */
	{
		PGresult *r = PQexecParams(db, "SELECT csr_der FROM orders WHERE "
		    "id = $1", 1, NULL, (const char *[]){ first }, NULL, NULL, 1);

		assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
		on.certificate_id = id;
		on.private_key_id = pk;
		on.csr = (const unsigned char *)PQgetvalue(r, 0, 0);
		on.csrlen = (size_t)PQgetlength(r, 0, 0);
		on.ca = "ca-a";
		on.trace_id = tr;
		on.challenge = "http-01";
		on.replaces = REPLACES;
		on.profile = PROFILE;
		on.preferred_chain = CHAIN;
		on.priority = ORDER_PRIORITY_RENEWAL;
		assert_int_equal(db_begin(db, err, sizeof(err)), 0);
		if (order_create(db, &on, oid, err, sizeof(err)) != 1)
			fail_msg("order_create: %s", err);
		assert_int_equal(db_exec(db, "first order failed", "UPDATE orders "
		    "SET status = 'failed' WHERE id = $1", 1,
		    (const char *[]){ first }, NULL, NULL, err, sizeof(err)), 1);
		assert_int_equal(db_commit(db, err, sizeof(err)), 0);
		PQclear(r);
	}
	j = outbox_job(oid, 1);
	assert_issue_job(j, "ca-a", "");
	proto_job_free(j);

	/* It fails for good: the next CA takes over. */
	assert_int_equal(db_begin(db, err, sizeof(err)), 0);
	assert_int_equal(db_exec(db, "order failed", "UPDATE orders SET status = "
	    "'failed' WHERE id = $1", 1, (const char *[]){ oid }, NULL, NULL, err,
	    sizeof(err)), 1);
	if (fallback_next(db, oid, err, sizeof(err)) != 1)
		fail_msg("fallback_next: %s", err);
	assert_int_equal(db_commit(db, err, sizeof(err)), 0);
	fb = sql1("SELECT id FROM orders WHERE certificate = $1 AND ca = 'ca-b'",
	    id);
	assert_non_null(fb);
	snprintf(want, sizeof(want), PROFILE "|" REPLACES "|" CHAIN "|http-01|"
	    "%s|%s|%s|1|pending|1|1", pk, tr, csr);
	assert_sql("SELECT concat_ws('|', profile, replaces, preferred_chain, "
	    "challenge, private_key, trace_id, encode(csr_der, 'hex'), attempt, "
	    "status, priority, (SELECT priority FROM outbox WHERE job_id = "
	    "orders.id)) FROM orders WHERE id = $1", fb, want);
	j = outbox_job(fb, 1);
	assert_issue_job(j, "ca-b", "");
	proto_job_free(j);

	/* A retry of the fallback order resumes its ACME order. */
	assert_int_equal(db_begin(db, err, sizeof(err)), 0);
	if (order_requeue(db, fb, 2, "https://ca-b.test/order/1", 30, "pending",
	    err, sizeof(err)) < 0)
		fail_msg("order_requeue: %s", err);
	assert_int_equal(db_commit(db, err, sizeof(err)), 0);
	j = outbox_job(fb, 2);
	assert_issue_job(j, "ca-b", "https://ca-b.test/order/1");
	assert_int_equal(j->attempt, 2);
	proto_job_free(j);
	assert_sql("SELECT attempt || ' ' || status || ' ' || (not_before > now() "
	    "+ interval '20 seconds') FROM orders WHERE id = $1", fb,
	    "2 pending true");
	retry_priority_after_failure(fb);
	free(fb);
	free(first);
	free(pk);
	free(tr);
	free(csr);
}

/* A fresh database on the stack's PostgreSQL, migrated, with two CAs and
 * their accounts (account_url unset: orders carry none). */
static int
setup(void **state)
{
	static char hex[65];
	const char *pg = getenv("CERTFLEET_PG");
	PGconn *admin;
	PGresult *r;
	char url[1024], name[64], err[512], sql[128];
	unsigned i;

	(void)state;
	if (pg == NULL) {
		fprintf(stderr, "CERTFLEET_PG is not set (run under with-env)\n");
		return -1;
	}
	snprintf(name, sizeof(name), "orders_%ld_%d", (long)time(NULL),
	    (int)getpid());
	admin = PQconnectdb(pg);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	r = PQexec(admin, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "%s: %s", sql, PQerrorMessage(admin));
		return -1;
	}
	PQclear(r);
	PQfinish(admin);
	snprintf(url, sizeof(url), "%.*s/%s", (int)(strrchr(pg, '/') - pg), pg,
	    name);
	db = PQconnectdb(url);
	if (PQstatus(db) != CONNECTION_OK || migrate_apply(db, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s %s\n", url, PQerrorMessage(db), err);
		return -1;
	}
	for (i = 0; i < 64; i++)
		hex[i] = "0123456789abcdef"[(i * 7 + 3) % 16];
	setenv("CERTFLEET_PG", url, 1);
	test_coord_env(hex);
	if (settings_load(&set, 1, err, sizeof(err)) < 0 ||
	    (vault = vault_new(hex, err, sizeof(err))) == NULL ||
	    accounts_ensure(db, vault, &set, err, sizeof(err)) < 0) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	vault_free(vault);
	PQfinish(db);
	return 0;
}

/* An operator's retry: only a failed certificate gets a new order, with the
 * key, CSR and priority of its last one, at its first CA; bulk retries
 * filter by CA and last problem type. */
static void
test_retry(void **state)
{
	char a[IDS_LEN + 1], b[IDS_LEN + 1], oid[IDS_LEN + 1], err[512];
	char *last, *got;

	(void)state;
	enroll("retry-a.example.com", a);
	enroll("retry-b.example.com", b);
	assert_int_equal(retry_certificate(db, a, oid, err, sizeof(err)), 2);
	assert_int_equal(retry_certificate(db,
	    "00000000-0000-4000-8000-000000000000", oid, err, sizeof(err)), 0);
	/* Both fail for good, with different problems. */
	assert_int_equal(db_exec(db, "fail", "UPDATE certificates SET status = "
	    "'failed', last_problem_type = CASE WHEN id = $1 THEN "
	    "'urn:ietf:params:acme:error:rejectedIdentifier' ELSE "
	    "'urn:ietf:params:acme:error:caa' END WHERE id IN ($1, $2)", 2,
	    (const char *[]){ a, b }, NULL, NULL, err, sizeof(err)), 2);
	assert_int_equal(db_exec(db, "orders failed", "UPDATE orders SET status "
	    "= 'failed', priority = CASE WHEN certificate = $1 THEN 1 ELSE 0 "
	    "END WHERE certificate IN ($1, $2)", 2,
	    (const char *[]){ a, b }, NULL, NULL, err, sizeof(err)), 2);
	last = sql1("SELECT private_key || encode(csr_der, 'hex') FROM orders "
	    "WHERE certificate = $1", a);

	if (retry_certificate(db, a, oid, err, sizeof(err)) != 1)
		fail_msg("retry_certificate: %s", err);
	assert_sql("SELECT status || ' ' || (last_problem_type IS NULL) FROM "
	    "certificates WHERE id = $1", a, "pending true");
	got = sql1("SELECT private_key || encode(csr_der, 'hex') FROM orders "
	    "WHERE id = $1", oid);
	assert_string_equal(got, last);
	free(got);
	free(last);
	assert_sql("SELECT ca || ' ' || status || ' ' || attempt FROM orders "
	    "WHERE id = $1", oid, "ca-a pending 1");
	/* it keeps the priority of the order it follows (a renewal's here) */
	assert_sql("SELECT o.priority || ' ' || ob.priority FROM orders o JOIN "
	    "outbox ob ON ob.job_id = o.id WHERE o.id = $1", oid, "1 1");
	proto_job_free(outbox_job(oid, 1));

	/* Bulk: a filter that matches nothing, then the CAA one by type. */
	assert_int_equal(retry_bulk(db, "ca-b", NULL, err, sizeof(err)), 0);
	assert_int_equal(retry_bulk(db, NULL,
	    "urn:ietf:params:acme:error:rejectedIdentifier", err, sizeof(err)),
	    0);
	assert_int_equal(retry_bulk(db, "ca-a",
	    "urn:ietf:params:acme:error:caa", err, sizeof(err)), 1);
	assert_sql("SELECT status FROM certificates WHERE id = $1", b,
	    "pending");
}

/* What an enrollment wrote, by certificate id, ids left out: the
 * certificate with its names, labels and hostname set; its sealed key; its
 * order; its outbox row; and its job's fields. */
static char *
written(const char *id)
{
	static const char *const q[] = {
	    "SELECT c.ca || '|' || c.key_type || '|' || c.fallback::text || '|' "
	    "|| c.challenge || '|' || coalesce(c.preferred_chain, '-') || '|' || "
	    "coalesce(c.profile, '-') || '|' || coalesce(c.tenant, '-') || '|' || "
	    "c.labels::text || '|' || c.status || '|' || coalesce(c.renew_at::text, "
	    "'-') || '|' || coalesce((SELECT string_agg(l.key || '=' || l.value "
	    "|| (l.created_at = c.created_at), ',' ORDER BY l.key) FROM "
	    "certificate_labels l WHERE l.certificate = c.id), '-') || '|' || (SELECT string_agg(n.name, ',' ORDER "
	    "BY n.name) FROM certificate_names n WHERE n.certificate = c.id) || "
	    "'|' || hs.names::text || hs.domains::text FROM certificates c JOIN "
	    "hostname_sets hs ON hs.id = c.hostname_set WHERE c.id = $1",
	    "SELECT pk.key_type || '|' || length(pk.public_key_der) || '|' || "
	    "length(pk.key_ciphertext) || '|' || length(pk.key_nonce) || '|' || "
	    "length(pk.key_tag) || '|' || pk.key_id FROM private_keys pk WHERE "
	    "pk.certificate = $1",
	    "SELECT o.ca || '|' || o.challenge || '|' || coalesce(o.profile, '-') "
	    "|| '|' || coalesce(o.preferred_chain, '-') || '|' || "
	    "coalesce(o.replaces, '-') || '|' || coalesce(o.order_url, '-') || '|' "
	    "|| coalesce(o.tenant, '-') || '|' || o.priority || '|' || o.attempt "
	    "|| '|' || o.status || '|' || (o.account = a.id) || '|' || "
	    "(o.private_key = pk.id) || '|' || length(o.trace_id) || '|' || "
	    "(length(o.csr_der) > 0) FROM orders o JOIN private_keys pk ON "
	    "pk.certificate = o.certificate JOIN cas ca ON ca.name = o.ca JOIN "
	    "acme_accounts a ON a.ca = ca.name AND a.directory_url = "
	    "ca.directory_url WHERE o.certificate = $1",
	    "SELECT ob.topic || '|' || ob.attempt || '|' || ob.ca || '|' || "
	    "ob.issue || '|' || ob.priority || '|' || (ob.sent_at IS NULL) || '|' "
	    "|| (ob.available_at <= now()) || '|' || (ob.key <> '') FROM outbox ob "
	    "JOIN orders o ON o.id = ob.job_id WHERE o.certificate = $1",
	};
	char *out = NULL, *v, *oid, *trace, *csr, job[2048];
	const Certfleet__IssueOrder *io;
	Certfleet__Job *j;
	size_t i, n, len = 0;

	for (i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		if ((v = sql1(q[i], id)) == NULL)
			fail_msg("%s [%s]: no row", q[i], id);
		n = strlen(v);
		out = realloc(out, len + n + 2);
		assert_non_null(out);
		memcpy(out + len, v, n);
		out[len + n] = '\n';
		out[len + n + 1] = '\0';
		len += n + 1;
		free(v);
	}
	oid = sql1("SELECT id FROM orders WHERE certificate = $1", id);
	trace = sql1("SELECT trace_id FROM orders WHERE certificate = $1", id);
	csr = sql1("SELECT encode(csr_der, 'hex') FROM orders WHERE "
	    "certificate = $1", id);
	j = outbox_job(oid, 1);
	io = j->issue_order;
	assert_int_equal(j->kind_case, CERTFLEET__JOB__KIND_ISSUE_ORDER);
	/* the fields of this enrollment's own, against its rows */
	assert_string_equal(j->job_id, oid);
	assert_string_equal(j->trace_id, trace);
	assert_string_equal(io->certificate_id, id);
	assert_int_equal(io->csr_der.len * 2, strlen(csr));
	snprintf(job, sizeof(job), "%u|%u|%s|%s|%s|%s|%s|%zu:%s|%s|%s|%s|%s\n",
	    j->schema_version, j->attempt, io->ca->name, io->ca->directory_url,
	    io->ca->trust, io->account_id, io->account_url, io->n_identifiers,
	    io->n_identifiers > 0 ? io->identifiers[0] : "", io->challenge_type,
	    io->order_url, io->replaces, io->profile);
	out = realloc(out, len + strlen(job) + 1);
	assert_non_null(out);
	strcpy(out + len, job);
	proto_job_free(j);
	free(oid);
	free(trace);
	free(csr);
	return out;
}

/* tmpl with every "%s" replaced by word. */
static void
bodyfor(char *out, size_t outlen, const char *tmpl, const char *word)
{
	size_t n = 0;

	for (; *tmpl != '\0' && n + strlen(word) + 1 < outlen; tmpl++) {
		if (tmpl[0] == '%' && tmpl[1] == 's') {
			memcpy(out + n, word, strlen(word));
			n += strlen(word);
			tmpl++;
		} else
			out[n++] = *tmpl;
	}
	out[n] = '\0';
}

#define NBODIES 4	/* sets of test_batch_writes_as_single */

/* What enroll_batch_write writes for a set (as enroll_create does for
 * one without a tenant, and a bulk batch for a tenant's set once its quotas
 * admitted it) is what enroll_write writes for it: four sets (two CAs,
 * names, labels, fallback, profile, chain, a tenant) written at once
 * compare row for row and job for job with the same sets enrolled one by
 * one, ids aside. */
static void
test_batch_writes_as_single(void **state)
{
	static const char *const bodies[] = {
	    "{\"hostnames\": [\"www.%s-one.example.com\", \"%s-one.example.com\"], "
	    "\"ca\": \"ca-a\", \"fallback\": [\"ca-b\"], \"profile\": \""
	    PROFILE "\", \"preferred_chain\": \"" CHAIN "\", \"labels\": "
	    "{\"env\": \"prod\", \"team\": \"a\\\"b\"}}",
	    "{\"hostnames\": [\"%s-two.example.org\"], \"ca\": \"ca-b\"}",
	    "{\"hostnames\": [\"%s-three.example.net\"]}",
	    "{\"hostnames\": [\"%s-four.example.net\"], \"tenant\": \"t1\"}",
	};
	struct tenant_room room;
	struct enroll_request req[2][NBODIES];
	struct enroll_material m[NBODIES], m0;
	struct enroll_batch_item items[NBODIES];
	char pk0[IDS_LEN + 1], oid[IDS_LEN + 1], trace[IDS_TRACE_LEN + 1];
	char body[512], err[512], ids[2][NBODIES][IDS_LEN + 1];
	char pk[NBODIES][IDS_LEN + 1];
	char *a, *b, *sub;
	size_t i, k;

	(void)state;
	memset(m, 0, sizeof(m));
	memset(items, 0, sizeof(items));
	for (k = 0; k < 2; k++)
		for (i = 0; i < NBODIES; i++) {
			bodyfor(body, sizeof(body), bodies[i], k ? "batch" :
			    "single");
			if (enroll_parse(body, strlen(body), KEYS_EC_P256, &req[k][i],
			    err, sizeof(err)) < 0)
				fail_msg("enroll_parse %s: %s", body, err);
		}
	for (i = 0; i < NBODIES; i++) {
		/* one by one, statement after statement (enroll_write) */
		assert_int_equal(ids_new(ids[0][i]), 0);
		assert_int_equal(ids_new(pk0), 0);
		memset(&m0, 0, sizeof(m0));
		if (enroll_material(vault, &req[0][i], pk0, &m0, err,
		    sizeof(err)) < 0 || db_begin(db, err, sizeof(err)) < 0 ||
		    enroll_write(db, &set, &req[0][i], ids[0][i], pk0, &m0, oid,
		    trace, err, sizeof(err)) != 1 || db_commit(db, err,
		    sizeof(err)) < 0)
			fail_msg("enroll_write: %s", err);
		enroll_material_free(&m0);
		/* a tenant's set is written at once only once admitted */
		assert_int_equal(enroll_batch_fits(&req[1][i]), i < 3);
		assert_int_equal(ids_new(ids[1][i]), 0);
		assert_int_equal(ids_new(pk[i]), 0);
		if (enroll_material(vault, &req[1][i], pk[i], &m[i], err,
		    sizeof(err)) < 0)
			fail_msg("enroll_material: %s", err);
		items[i].req = &req[1][i];
		items[i].id = ids[1][i];
		items[i].pkid = pk[i];
		items[i].m = &m[i];
	}
	assert_int_equal(db_begin(db, err, sizeof(err)), 0);
	if (tenant_room_read(db, "t1", TENANT_ADMIT_LIVE | TENANT_ADMIT_ORDER,
	    &room, err, sizeof(err)) < 0)
		fail_msg("tenant_room_read: %s", err);
	assert_int_equal(tenant_room_take(&room, err, sizeof(err)), 1);
	if (enroll_batch_write(db, &set, items, NBODIES, err, sizeof(err)) != 1)
		fail_msg("enroll_batch_write: %s", err);
	assert_int_equal(db_commit(db, err, sizeof(err)), 0);
	for (i = 0; i < NBODIES; i++) {
		a = written(ids[0][i]);
		b = written(ids[1][i]);
		/* the names differ by "single" and "batch" only */
		while ((sub = strstr(a, "single")) != NULL)
			memcpy(sub, "batch", 5), memmove(sub + 5, sub + 6,
			    strlen(sub + 6) + 1);
		assert_string_equal(b, a);
		free(a);
		a = sql1("SELECT id FROM orders WHERE certificate = $1",
		    ids[1][i]);
		assert_string_equal(items[i].oid, a);
		free(a);
		free(b);
		enroll_material_free(&m[i]);
		enroll_request_free(&req[0][i]);
		enroll_request_free(&req[1][i]);
	}
}

/* db_pipeline: statements answered in order, prepared on their first run
 * and by name after; a failure stops the rest, names the statement that
 * failed, keeps no result, is noted on the connection (db_fault), leaves
 * the connection usable, and a text that does not parse is not kept as
 * prepared. */
static void
test_db_pipeline(void **state)
{
	const char *one[] = { "1" }, *zero[] = { "0" };
	struct db_stmt st[3];
	char err[512];
	int run;
	PGresult *r;

	(void)state;
	for (run = 0; run < 2; run++) {	/* then through the cache */
		memset(st, 0, sizeof(st));
		st[0] = (struct db_stmt){ .what = "a", .sql = "SELECT $1::int + 1",
		    .n = 1, .params = one };
		st[1] = (struct db_stmt){ .what = "b", .sql = "SELECT 'b'" };
		st[2] = (struct db_stmt){ .what = "c", .sql = "SELECT $1::int * 5 "
		    "FROM generate_series(1, 3)", .n = 1, .params = one };
		if (db_pipeline(db, st, 3, err, sizeof(err)) != 0)
			fail_msg("db_pipeline: %s", err);
		assert_string_equal(PQgetvalue(st[0].res, 0, 0), "2");
		assert_string_equal(PQgetvalue(st[1].res, 0, 0), "b");
		assert_int_equal(PQntuples(st[2].res), 3);
		PQclear(st[0].res);
		PQclear(st[1].res);
		PQclear(st[2].res);
	}
	/* the second fails: the third is not run, nothing is kept */
	assert_int_equal(db_begin(db, err, sizeof(err)), 0);
	memset(st, 0, sizeof(st));
	st[0] = (struct db_stmt){ .what = "a", .sql = "SELECT $1::int + 1",
	    .n = 1, .params = one };
	st[1] = (struct db_stmt){ .what = "divide", .sql = "SELECT 1 / $1::int",
	    .n = 1, .params = zero };
	st[2] = (struct db_stmt){ .what = "c", .sql = "CREATE TABLE "
	    "pipeline_never_made (x int)" };
	db_fault_clear(db);
	assert_int_equal(db_pipeline(db, st, 3, err, sizeof(err)), -1);
	if (strncmp(err, "divide: ", 8) != 0 || strstr(err, "zero") == NULL)
		fail_msg("err: %s", err);
	assert_null(st[0].res);
	assert_null(st[1].res);
	assert_null(st[2].res);
	assert_int_equal(db_fault(db, NULL), DB_FAULT_CONTENT);
	assert_int_equal(PQtransactionStatus(db), PQTRANS_INERROR);
	db_rollback(db);
	assert_sql("SELECT count(*)::text FROM pg_class WHERE relname = $1",
	    "pipeline_never_made", "0");
	/* a text that does not parse, twice: the same error both times */
	for (run = 0; run < 2; run++) {
		st[0] = (struct db_stmt){ .what = "typo", .sql = "SELEC 1" };
		assert_int_equal(db_pipeline(db, st, 1, err, sizeof(err)), -1);
		if (strncmp(err, "typo: ", 6) != 0 || strstr(err, "syntax") ==
		    NULL)
			fail_msg("run %d: err: %s", run, err);
	}
	/* out of pipeline mode: a plain query works */
	r = db_query(db, "after", "SELECT 'after'", 0, NULL, NULL, NULL, err,
	    sizeof(err));
	assert_non_null(r);
	assert_string_equal(PQgetvalue(r, 0, 0), "after");
	PQclear(r);
}

/* db_pipeline on a connection the server ended: -1, a transient fault, out
 * of pipeline mode; reconnected, the same statements (prepared on the old
 * session) run again. */
static void
test_db_pipeline_lost(void **state)
{
	const char *one[] = { "1" };
	struct db_stmt st[2];
	char err[512], pid[16];
	PGconn *c;
	int run;

	(void)state;
	c = PQconnectdb(getenv("CERTFLEET_PG"));
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	for (run = 0; run < 3; run++) {
		st[0] = (struct db_stmt){ .what = "a", .sql = "SELECT $1::int + 41",
		    .n = 1, .params = one };
		st[1] = (struct db_stmt){ .what = "b", .sql = "SELECT 'lost'" };
		if (run == 1) {
			snprintf(pid, sizeof(pid), "%d", PQbackendPID(c));
			assert_sql("SELECT pg_terminate_backend($1::int, 10000)::text",
			    pid, "true");
			assert_int_equal(db_pipeline(c, st, 2, err, sizeof(err)),
			    -1);
			assert_int_equal(db_fault(c, NULL), DB_FAULT_TRANSIENT);
			assert_int_equal(PQpipelineStatus(c), PQ_PIPELINE_OFF);
			assert_null(st[0].res);
			assert_int_equal(db_ensure(&c, getenv("CERTFLEET_PG"),
			    "test-pipeline", err, sizeof(err)), 0);
			continue;
		}
		if (db_pipeline(c, st, 2, err, sizeof(err)) != 0)
			fail_msg("run %d: db_pipeline: %s", run, err);
		assert_string_equal(PQgetvalue(st[0].res, 0, 0), "42");
		assert_string_equal(PQgetvalue(st[1].res, 0, 0), "lost");
		PQclear(st[0].res);
		PQclear(st[1].res);
	}
	PQfinish(c);
}

/* enroll_batch_commit: the rows of enroll_batch_write and the audit rows
 * committed in one transaction of its own, in two round trips; a batch
 * with a CA that has no account writes nothing (neither its other sets nor
 * any audit row) and leaves the connection idle. */
static void
test_batch_commit(void **state)
{
	static const char *const bodies[] = {
	    "{\"hostnames\": [\"%s-c1.example.com\"], \"ca\": \"ca-a\"}",
	    "{\"hostnames\": [\"%s-c2.example.com\"], \"ca\": \"ca-b\"}",
	    "{\"hostnames\": [\"%s-c3.example.com\"], \"ca\": \"ca-none\"}",
	};
	struct enroll_request req[3];
	struct enroll_material m[3];
	struct enroll_batch_item items[3];
	struct enroll_audit au[3];
	char body[256], err[512], ids[3][IDS_LEN + 1], pk[3][IDS_LEN + 1];
	char *v;
	size_t i;
	int run;

	(void)state;
	for (run = 0; run < 2; run++) {	/* 2 sets, then all 3 */
		size_t n = run == 0 ? 2 : 3;

		memset(m, 0, sizeof(m));
		memset(items, 0, sizeof(items));
		for (i = 0; i < n; i++) {
			bodyfor(body, sizeof(body), bodies[i], run ? "bad" :
			    "commit");
			if (enroll_parse(body, strlen(body), KEYS_EC_P256,
			    &req[i], err, sizeof(err)) < 0)
				fail_msg("enroll_parse %s: %s", body, err);
			assert_int_equal(ids_new(ids[i]), 0);
			assert_int_equal(ids_new(pk[i]), 0);
			if (enroll_material(vault, &req[i], pk[i], &m[i], err,
			    sizeof(err)) < 0)
				fail_msg("enroll_material: %s", err);
			au[i] = (struct enroll_audit){ .token = "t-commit",
			    .action = "enroll", .target = ids[i],
			    .source = "127.0.0.1", .status = 201 };
			items[i] = (struct enroll_batch_item){ .req = &req[i],
			    .id = ids[i], .pkid = pk[i], .m = &m[i],
			    .audit = i == 1 ? NULL : &au[i] };
		}
		if (run == 0) {
			if (enroll_batch_commit(db, &set, items, n, err,
			    sizeof(err)) != 1)
				fail_msg("enroll_batch_commit: %s", err);
			assert_int_equal(PQtransactionStatus(db), PQTRANS_IDLE);
			for (i = 0; i < n; i++) {
				v = sql1("SELECT id FROM orders WHERE "
				    "certificate = $1", ids[i]);
				assert_non_null(v);
				assert_string_equal(items[i].oid, v);
				free(v);
				assert_sql("SELECT count(*)::text FROM outbox "
				    "WHERE job_id = $1", items[i].oid, "1");
				assert_sql("SELECT count(*)::text FROM "
				    "private_keys WHERE certificate = $1", ids[i],
				    "1");
			}
			assert_true(au[0].id[0] != '\0');
			assert_sql("SELECT target FROM api_audit WHERE id = "
			    "$1::bigint", au[0].id, ids[0]);
			assert_sql("SELECT count(*)::text FROM api_audit WHERE "
			    "target = $1", ids[1], "0");
		} else {
			assert_int_equal(enroll_batch_commit(db, &set, items,
			    n, err, sizeof(err)), -1);
			if (strstr(err, "ca-none") == NULL)
				fail_msg("err: %s", err);
			assert_int_equal(PQtransactionStatus(db), PQTRANS_IDLE);
			for (i = 0; i < n; i++) {
				assert_sql("SELECT count(*)::text FROM "
				    "certificates WHERE id = $1", ids[i], "0");
				assert_sql("SELECT count(*)::text FROM api_audit "
				    "WHERE target = $1", ids[i], "0");
			}
			assert_string_equal(au[0].id, "");
			assert_string_equal(au[2].id, "");
		}
		for (i = 0; i < n; i++) {
			enroll_material_free(&m[i]);
			enroll_request_free(&req[i]);
		}
	}
}

/* Marks certificate id issued by its first order (valid now), with an ARI
 * window (CertID REPLACES) when ari. */
static void
issue(const char *id, int ari)
{
	const char *p[2] = { id, ari ? REPLACES : NULL };
	PGresult *r;

	r = PQexecParams(db, "WITH o AS (UPDATE orders SET status = 'valid' "
	    "WHERE certificate = $1 RETURNING id, private_key), i AS (INSERT "
	    "INTO issued_certificates (id, certificate, order_id, private_key, "
	    "cert_pem, chain_pem, chain_id, serial, not_before, not_after, "
	    "issuer, sans, ari_cert_id, ari_window_start, ari_window_end) "
	    "SELECT 'i' || $1, $1, o.id, o.private_key, 'x', '', "
	    "certfleet_chain_id(''), '01', now(), now() + interval "
	    "'90 days', 'CN=test', '{}', $2::text, CASE WHEN $2 IS NOT NULL THEN "
	    "now() END, CASE WHEN $2 IS NOT NULL THEN now() + interval '1 day' END "
	    "FROM o RETURNING id) UPDATE certificates SET current_issued = "
	    "(SELECT id FROM i), status = 'issued' WHERE id = $1", 2, NULL, p,
	    NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("issue %s: %s", id, PQerrorMessage(db));
	PQclear(r);
}

/* Sets renew_at of certificate id (an SQL expression of now()). */
static void
due(const char *id, const char *when)
{
	char sql[256];
	PGresult *r;

	snprintf(sql, sizeof(sql), "UPDATE certificates SET renew_at = %s "
	    "WHERE id = $1", when);
	r = PQexecParams(db, sql, 1, NULL, &id, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(db));
	PQclear(r);
}

#define LEASED "SELECT (renew_at > now() + interval '50 minutes' AND " \
	"renew_at < now() + interval '70 minutes')::text FROM certificates " \
	"WHERE id = $1"
#define NORDERS "SELECT count(*) FROM orders WHERE certificate = $1"
/* the priority of the certificate's renewal order, and of its outbox row */
#define RENEWAL_PRIORITY "SELECT o.priority || '|' || ob.priority FROM " \
	"orders o JOIN outbox ob ON ob.job_id = o.id WHERE o.certificate = $1 " \
	"AND o.status <> 'valid'"

/* The renewal tick (one statement takes, leases and reads the due rows):
 * renews a due issued certificate at its CA with ARI replaces; leases but
 * does not renew one with an order in flight or none issued; leaves a
 * certificate not due, or locked by another transaction, alone; takes at
 * most limit rows. */
static void
test_renew_tick(void **state)
{
	char a[IDS_LEN + 1], b[IDS_LEN + 1], d[IDS_LEN + 1], e[IDS_LEN + 1];
	char err[512], *oid;
	const char *pe = e;
	Certfleet__Job *j;
	PGconn *other;
	PGresult *r;

	(void)state;
	enroll("renew-a.example.com", a);	/* issued, ARI: renewed */
	enroll("renew-b.example.com", b);	/* its order still in flight */
	enroll("renew-d.example.com", d);	/* never issued */
	enroll("renew-e.example.com", e);	/* issued, not due */
	issue(a, 1);
	issue(e, 0);
	assert_sql("UPDATE orders SET status = 'failed' WHERE certificate = $1 "
	    "RETURNING 'ok'", d, "ok");
	due(a, "now() - interval '1 minute'");
	due(b, "now() - interval '2 minutes'");
	due(d, "now() - interval '3 minutes'");
	due(e, "now() + interval '1 day'");
	assert_sql("WITH t AS (INSERT INTO tenants (name) VALUES ('renew-t') "
	    "ON CONFLICT DO NOTHING) UPDATE certificates SET tenant = 'renew-t' "
	    "WHERE id = $1 RETURNING 'ok'", a, "ok");
	assert_int_equal(renew_tick(db, vault, NULL, 16, err, sizeof(err)), 1);
	assert_sql(NORDERS, a, "2");
	assert_sql("SELECT replaces || '|' || ca || '|' || status || '|' || "
	    "profile || '|' || preferred_chain || '|' || tenant || '|' || "
	    "attempt || '|' || (account IS NOT NULL) FROM orders WHERE "
	    "certificate = $1 AND status <> 'valid'", a, REPLACES "|ca-a|pending|"
	    PROFILE "|" CHAIN "|renew-t|1|true");
	/* its job carries every field, its key is the certificate's new one */
	oid = sql1("SELECT id FROM orders WHERE certificate = $1 AND status <> "
	    "'valid'", a);
	j = outbox_job(oid, 1);
	assert_issue_job(j, "ca-a", "");
	proto_job_free(j);
	assert_sql("SELECT (k.certificate = o.certificate AND k.public_key_der "
	    "IS NOT NULL)::text FROM orders o JOIN private_keys k ON k.id = "
	    "o.private_key WHERE o.id = $1", oid, "true");
	free(oid);
	/* a renewal leaves the outbox before new certificates (order.h) */
	assert_sql(RENEWAL_PRIORITY, a, "1|1");
	assert_sql(NORDERS, b, "1");
	assert_sql(NORDERS, d, "1");
	assert_sql(LEASED, a, "true");
	assert_sql(LEASED, b, "true");
	assert_sql(LEASED, d, "true");
	assert_sql("SELECT (renew_at > now() + interval '23 hours')::text FROM "
	    "certificates WHERE id = $1", e, "true");
	assert_int_equal(renew_tick(db, vault, NULL, 16, err, sizeof(err)), 0);

	/* a row locked elsewhere is skipped, and limit caps the rows taken */
	due(e, "now() - interval '1 minute'");
	due(b, "now() - interval '2 minutes'");
	due(d, "now() - interval '3 minutes'");
	other = PQconnectdb(getenv("CERTFLEET_PG"));
	r = PQexec(other, "BEGIN");
	PQclear(r);
	r = PQexecParams(other, "SELECT 1 FROM certificates WHERE id = $1 FOR "
	    "UPDATE", 1, NULL, (const char *const *)&pe, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	PQclear(r);
	assert_int_equal(renew_tick(db, vault, NULL, 1, err, sizeof(err)), 0);
	assert_sql(LEASED, d, "true");	/* the oldest due, not renewable */
	assert_sql("SELECT (renew_at < now())::text FROM certificates WHERE id "
	    "= $1", b, "true");	/* beyond the limit of 1 */
	assert_sql(NORDERS, e, "1");
	r = PQexec(other, "ROLLBACK");	/* its lock goes (PQfinish alone
					 * lets it go a moment later) */
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	PQfinish(other);
	assert_int_equal(renew_tick(db, vault, NULL, 16, err, sizeof(err)), 1);
	assert_sql(NORDERS, e, "2");
	assert_sql("SELECT coalesce(replaces, 'none') FROM orders WHERE "
	    "certificate = $1 AND status <> 'valid'", e, "none");
	assert_sql(RENEWAL_PRIORITY, e, "1|1");
	assert_sql(LEASED, b, "true");
}

#define IN_FLIGHT "SELECT count(*) FROM orders WHERE status IN ('pending', " \
	"'sent', 'processing', 'deferred') AND $1 = 'all'"

/* renew_drain: a round's renewal ticks repeat while each found a full batch
 * due, and stop once the orders in flight reach the backlog bound; the
 * first tick runs whatever the backlog. */
static void
test_renew_drain(void **state)
{
	char ids[40][IDS_LEN + 1], name[64], err[512], *v;
	int i, base;

	(void)state;
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "drain-%d.example.com", i);
		enroll(name, ids[i]);
		issue(ids[i], 0);
		due(ids[i], "now() - interval '1 minute'");
	}
	v = sql1(IN_FLIGHT, "all");
	base = atoi(v);
	free(v);
	/* the backlog is at its bound already: the first tick only */
	assert_int_equal(renew_drain(db, vault, NULL, base, 60000, err,
	    sizeof(err)), RENEW_PER_TICK);
	/* room for more: a full tick, then the 8 left */
	assert_int_equal(renew_drain(db, vault, NULL, base + 100, 60000, err,
	    sizeof(err)), 40 - RENEW_PER_TICK);
	v = sql1(IN_FLIGHT, "all");
	assert_int_equal(atoi(v), base + 40);
	free(v);
	assert_sql("SELECT count(*) FROM certificates c JOIN certificate_names "
	    "n ON n.certificate = c.id WHERE n.name LIKE $1 AND c.renew_at <= "
	    "now()", "drain-%", "0");
}

/* ari_recheck_drain: a round's re-check ticks repeat while each took a
 * full batch, so more than one tick's worth is queued in one round. */
static void
test_ari_recheck_drain(void **state)
{
	char id[IDS_LEN + 1], name[64], err[512], want[16];
	int i, n = ARI_RECHECK_PER_TICK + 8;

	(void)state;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "aridrain-%d.example.com", i);
		enroll(name, id);
		issue(id, 1);
		assert_sql("UPDATE issued_certificates SET ari_next_at = now() - "
		    "interval '1 minute' WHERE certificate = $1 RETURNING 'ok'",
		    id, "ok");
	}
	assert_int_equal(ari_recheck_drain(db, 60000, err, sizeof(err)), n);
	snprintf(want, sizeof(want), "%d", n);
	assert_sql("SELECT count(*) FROM issued_certificates ic JOIN "
	    "certificate_names n ON n.certificate = ic.certificate WHERE n.name "
	    "LIKE $1 AND ic.ari_check_job IS NOT NULL AND ic.ari_next_at > "
	    "now()", "aridrain-%", want);
}

/* Migration 0077: the tables every renewal rewrites are vacuumed after a
 * fixed number of dead rows (0.5 % + 5,000), not a fifth of the table. */
static void
test_hot_tables_autovacuum(void **state)
{
	static const char *const tables[] = { "certificates", "orders",
	    "outbox" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		assert_sql("SELECT array_to_string(array(SELECT o FROM "
		    "unnest(reloptions) o WHERE o LIKE 'autovacuum_vacuum_%' "
		    "ORDER BY o), ',') FROM pg_class WHERE relname = $1",
		    tables[i], "autovacuum_vacuum_scale_factor=0.005,"
		    "autovacuum_vacuum_threshold=5000");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fallback_keeps_every_field),
		cmocka_unit_test(test_retry),
		cmocka_unit_test(test_batch_writes_as_single),
		cmocka_unit_test(test_db_pipeline),
		cmocka_unit_test(test_db_pipeline_lost),
		cmocka_unit_test(test_batch_commit),
		cmocka_unit_test(test_renew_tick),
		cmocka_unit_test(test_renew_drain),
		cmocka_unit_test(test_ari_recheck_drain),
		cmocka_unit_test(test_hot_tables_autovacuum),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
