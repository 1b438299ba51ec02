/* test_coord_flow.c -- end to end through a running certfleet-coordinator: API auth and validation, outbox to Kafka,
 * acting as worker + CA on the events topic, PostgreSQL state, Redis priming, dead letters, retries, and a pg_dump
 * without any private key. Run by test_coord_flow.sh, which starts the coordinator on a fresh database. */
#include <ctype.h>
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
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>

#include "../unit/test_coord_ca.h"
#include "test_sign.h"
#include "codec.h"
#include "httpget.h"
#include "kafkaconn.h"
#include "keys.h"
#include "pem.h"
#include "redisconn.h"
#include "rediskeys.h"

#define WAIT_S 20		/* for anything asynchronous */
#define MAX_BODY (1024 * 1024)

static const char *api, *admin, *worker, *pg, *kafka, *redis_url;
static PGconn *db;
static rd_kafka_t *producer;
static struct testca ca;
static char label[16];		/* random, so runs never share names */

/* The certificate issued in test_issue, used by later tests. */
static char issued_id[64], issued_job[64], issued_trace[64];
static char *issued_event;	/* its certificate_issued event bytes */
static size_t issued_eventlen;

/* ---------------------------------------------------------------- helpers */

static long
call(const char *method, const char *path, const char *token,
    const char *body, struct http_response *r)
{
	char url[1024], err[512];

	snprintf(url, sizeof(url), "%s%s", api, path);
	if (http_request(method, url, NULL, token, body != NULL ?
	    "application/json" : NULL, body, body != NULL ? strlen(body) : 0,
	    MAX_BODY, r, err, sizeof(err)) < 0)
		fail_msg("%s %s: %s", method, path, err);
	return r->status;
}

/* Calls and returns the JSON reply, checking the status. */
static json_t *
call_json(const char *method, const char *path, const char *token,
    const char *body, long want)
{
	struct http_response r;
	json_t *j;

	if (call(method, path, token, body, &r) != want)
		fail_msg("%s %s: HTTP %ld, want %ld: %s", method, path, r.status,
		    want, r.body);
	j = json_loadb(r.body, r.len, 0, NULL);
	if (j == NULL)
		fail_msg("%s %s: reply is not JSON: %s", method, path, r.body);
	http_response_free(&r);
	return j;
}

static char *
sql1(const char *sql, const char *param)
{
	PGresult *r;
	char *v;

	r = PQexecParams(db, sql, param != NULL ? 1 : 0, NULL, &param, NULL,
	    NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(db));
	v = PQntuples(r) == 0 || PQgetisnull(r, 0, 0) ? NULL :
	    strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

static long
sql_long(const char *sql, const char *param)
{
	char *v = sql1(sql, param);
	long n = v != NULL ? atol(v) : -1;

	free(v);
	return n;
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

/* Row counts of every table, as one string. */
static char *
counts(void)
{
	return sql1("SELECT concat_ws(',', (SELECT count(*) FROM cas), (SELECT "
	    "count(*) FROM acme_accounts), (SELECT count(*) FROM hostname_sets), "
	    "(SELECT count(*) FROM certificates), (SELECT count(*) FROM "
	    "private_keys), (SELECT count(*) FROM orders), (SELECT count(*) FROM "
	    "issued_certificates), (SELECT count(*) FROM outbox), (SELECT "
	    "count(*) FROM acme_problems), (SELECT count(*) FROM "
	    "processed_events))", NULL);
}

/* Waits until sql (with param) returns want as its first value. */
static void
wait_sql(const char *sql, const char *param, const char *want)
{
	time_t end = time(NULL) + WAIT_S;
	char *v = NULL;

	for (;;) {
		free(v);
		v = sql1(sql, param);
		if (v != NULL && strcmp(v, want) == 0)
			break;
		if (time(NULL) > end)
			fail_msg("%s [%s]: got %s, want %s", sql, param, v ? v : "NULL",
			    want);
		usleep(100 * 1000);
	}
	free(v);
}

static void
produce(const char *topic, const char *key, const void *buf, size_t len)
{
	rd_kafka_resp_err_t e;

	/* events are signed as a worker signs them (test_sign.h) */
	if (strcmp(topic, kafkaconn_topic_events()) == 0)
		e = testsig_produce_event(producer, RD_KAFKA_PARTITION_UA, key,
		    buf, len, topic);
	else
		e = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic),
		    RD_KAFKA_V_KEY((void *)(uintptr_t)key, strlen(key)),
		    RD_KAFKA_V_VALUE((void *)(uintptr_t)buf, len),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
	assert_int_equal(e, RD_KAFKA_RESP_ERR_NO_ERROR);
	assert_int_equal(rd_kafka_flush(producer, 10000),
	    RD_KAFKA_RESP_ERR_NO_ERROR);
}

static void
produce_event(Certfleet__Event *ev, char **keep, size_t *keeplen)
{
	void *buf;
	size_t len;

	ev->schema_version = PROTO_SCHEMA_VERSION;
	ev->worker_id = (char *)(uintptr_t)"test";
	ev->at_unix_ms = (int64_t)time(NULL) * 1000;
	assert_non_null(buf = proto_event_encode(ev, &len));
	produce(kafkaconn_topic_events(), ev->job_id, buf, len);
	if (keep != NULL) {
		*keep = buf;
		*keeplen = len;
	} else
		free(buf);
}

/* A consumer reading topic from its current end (so only what comes next). */
static rd_kafka_t *
tail_open(const char *topic)
{
	const rd_kafka_metadata_t *md;
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_conf_t *conf;
	rd_kafka_topic_t *t;
	rd_kafka_t *rk;
	char err[512], group[64];
	int64_t lo, hi;
	int i;

	snprintf(group, sizeof(group), "test-coord-%s-%s", label, topic);
	conf = kafkaconn_conf(kafka, "test-coord-flow", err, sizeof(err));
	assert_non_null(conf);
	kafkaconn_set(conf, "group.id", group, err, sizeof(err));
	kafkaconn_set(conf, "enable.auto.commit", "false", err, sizeof(err));
	assert_non_null(rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err,
	    sizeof(err)));
	t = rd_kafka_topic_new(rk, topic, NULL);
	assert_int_equal(rd_kafka_metadata(rk, 0, t, &md, 10000),
	    RD_KAFKA_RESP_ERR_NO_ERROR);
	assert_int_equal(md->topic_cnt, 1);
	l = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
	for (i = 0; i < md->topics[0].partition_cnt; i++) {
		assert_int_equal(rd_kafka_query_watermark_offsets(rk, topic, i, &lo,
		    &hi, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
		rd_kafka_topic_partition_list_add(l, topic, i)->offset = hi;
	}
	assert_int_equal(rd_kafka_assign(rk, l), RD_KAFKA_RESP_ERR_NO_ERROR);
	rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(t);
	return rk;
}

static void
tail_close(rd_kafka_t *rk)
{
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
}

/* The next message on rk for which match() is true, or fail. */
static rd_kafka_message_t *
tail_find(rd_kafka_t *rk, int (*match)(const rd_kafka_message_t *, void *),
    void *arg)
{
	time_t end = time(NULL) + WAIT_S;
	rd_kafka_message_t *m;

	while (time(NULL) <= end) {
		if ((m = rd_kafka_consumer_poll(rk, 200)) == NULL)
			continue;
		if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && match(m, arg))
			return m;
		rd_kafka_message_destroy(m);
	}
	fail_msg("no matching message within %d s", WAIT_S);
	return NULL;
}

static int
job_matches(const rd_kafka_message_t *m, void *arg)
{
	char err[256];
	Certfleet__Job *j = proto_job_decode(m->payload, m->len, err,
	    sizeof(err));
	int ok = j != NULL && strcmp(j->job_id, arg) == 0;

	proto_job_free(j);
	return ok;
}

/* Enrolls names; returns the certificate id (malloc'd). */
static char *
enroll(const char *n1, const char *n2)
{
	char body[512], *id;
	json_t *j;

	if (n2 != NULL)
		snprintf(body, sizeof(body), "{\"hostnames\": [\"%s\", \"%s\"]}", n1,
		    n2);
	else
		snprintf(body, sizeof(body), "{\"hostnames\": [\"%s\"]}", n1);
	j = call_json("POST", "/v1/certificates", admin, body, 201);
	assert_string_equal(json_string_value(json_object_get(j, "status")),
	    "pending");
	id = strdup(json_string_value(json_object_get(j, "id")));
	json_decref(j);
	return id;
}

/* The job (order) id and trace id of a certificate's order. */
static void
order_of(const char *cert, char *job, char *trace)
{
	char *v;

	v = sql1("SELECT id FROM orders WHERE certificate = $1", cert);
	assert_non_null(v);
	strcpy(job, v);
	free(v);
	v = sql1("SELECT trace_id FROM orders WHERE certificate = $1", cert);
	strcpy(trace, v);
	free(v);
}

/* Waits for the job on the jobs topic and returns it decoded. */
static Certfleet__Job *
job_published(rd_kafka_t *jobs, const char *job_id)
{
	rd_kafka_message_t *m;
	Certfleet__Job *j;
	char err[256];

	m = tail_find(jobs, job_matches, (void *)(uintptr_t)job_id);
	j = proto_job_decode(m->payload, m->len, err, sizeof(err));
	assert_non_null(j);
	rd_kafka_message_destroy(m);
	return j;
}

/* ---------------------------------------------------------------- tests */

static void
test_auth(void **state)
{
	struct http_response r;
	char path[256], *acct;

	(void)state;
	assert_int_equal(call("GET", "/v1/certificates", NULL, NULL, &r), 401);
	assert_non_null(strstr(r.body, "\"error\""));
	http_response_free(&r);
	assert_int_equal(call("GET", "/v1/certificates", "wrong", NULL, &r), 401);
	http_response_free(&r);
	assert_int_equal(call("GET", "/v1/certificates", worker, NULL, &r), 401);
	http_response_free(&r);
	assert_int_equal(call("POST", "/v1/certificates", worker,
	    "{\"hostnames\": [\"a.example.com\"]}", &r), 401);
	http_response_free(&r);

	acct = sql1("SELECT id FROM acme_accounts", NULL);
	assert_non_null(acct);
	snprintf(path, sizeof(path), "/internal/v1/accounts/%s/key", acct);
	assert_int_equal(call("GET", path, admin, NULL, &r), 401);
	assert_null(strstr(r.body, "PRIVATE"));
	http_response_free(&r);
	assert_int_equal(call("GET", path, NULL, NULL, &r), 401);
	http_response_free(&r);
	assert_int_equal(call("GET", path, worker, NULL, &r), 200);
	assert_string_equal(r.content_type, "application/x-pem-file");
	assert_non_null(strstr(r.body, "-----BEGIN " "PRIVATE KEY-----"));
	http_response_free(&r);
	assert_int_equal(call("GET", "/internal/v1/accounts/"
	    "00000000-0000-4000-8000-000000000000/key", worker, NULL, &r), 404);
	http_response_free(&r);
	assert_int_equal(call("GET", "/internal/v1/accounts/'%20OR%201=1/key",
	    worker, NULL, &r), 404);
	http_response_free(&r);
	free(acct);

	assert_int_equal(call("GET", "/nothing", admin, NULL, &r), 404);
	http_response_free(&r);
	assert_int_equal(call("GET", "/v1/nothing", admin, NULL, &r), 404);
	http_response_free(&r);
	assert_int_equal(call("DELETE", "/v1/certificates", admin, NULL, &r), 405);
	http_response_free(&r);
	assert_int_equal(call("POST", "/v1/certificates/"
	    "00000000-0000-4000-8000-000000000000", admin, "{}", &r), 405);
	http_response_free(&r);
	assert_int_equal(call("GET", "/v1/certificates/not-an-id", admin, NULL,
	    &r), 404);
	http_response_free(&r);
	assert_int_equal(call("GET", "/v1/certificates?limit=0", admin, NULL,
	    &r), 400);
	http_response_free(&r);
}

/* Every bad body: 4xx with a clear message, and no table changes. */
static void
test_bad_input_writes_nothing(void **state)
{
	static const struct {
		const char *body;
		long status;
		const char *msg;
	} bad[] = {
		{ "{\"hostnames\": [\"ok.example.com\", \"x y.example.com\"]}", 400,
		    "hostname \\\"x y.example.com\\\" has a character not allowed" },
		{ "{\"hostnames\": [\"ok.example.com\"", 400, "malformed JSON" },
		{ "{\"key_type\": \"ec-p256\"}", 400, "missing field" },
		{ "{\"hostnames\": [\"*.example.com\"]}", 400,
		    "a wildcard name needs" },
		{ "{\"hostnames\": [\"a.example.com\"], \"key_type\": \"dsa\"}", 400,
		    "key_type" },
	};
	struct http_response r;
	char *before, *after, *big;
	size_t i, off;

	(void)state;
	before = counts();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(call("POST", "/v1/certificates", admin,
		    bad[i].body, &r), bad[i].status);
		if (strstr(r.body, bad[i].msg) == NULL)
			fail_msg("%s: %s lacks %s", bad[i].body, r.body, bad[i].msg);
		http_response_free(&r);
	}
	/* 101 names */
	big = malloc(8192);
	off = (size_t)snprintf(big, 8192, "{\"hostnames\": [");
	for (i = 0; i < 101; i++)
		off += (size_t)snprintf(big + off, 8192 - off, "%s\"h%zu.example.com\"",
		    i > 0 ? "," : "", i);
	snprintf(big + off, 8192 - off, "]}");
	assert_int_equal(call("POST", "/v1/certificates", admin, big, &r), 400);
	assert_non_null(strstr(r.body, "too many hostnames"));
	http_response_free(&r);
	free(big);
	/* over the body cap */
	big = malloc(100 * 1024);
	memset(big, ' ', 100 * 1024 - 1);
	big[0] = '{';
	big[100 * 1024 - 2] = '}';
	big[100 * 1024 - 1] = '\0';
	assert_int_equal(call("POST", "/v1/certificates", admin, big, &r), 413);
	http_response_free(&r);
	free(big);
	after = counts();
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static int
sub_read(redisContext *sub, char **names, size_t n, int *seen)
{
	redisReply *rep;
	size_t i;
	int all = 0;

	while (!all) {
		if (redisGetReply(sub, (void **)&rep) != REDIS_OK)
			return -1;
		if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 3 &&
		    strcmp(rep->element[0]->str, "message") == 0)
			for (i = 0; i < n; i++)
				if (strcmp(rep->element[2]->str, names[i]) == 0)
					seen[i] = 1;
		freeReplyObject(rep);
		for (all = 1, i = 0; i < n; i++)
			all &= seen[i];
	}
	return 0;
}

static char *
redis_str(redisContext *rc, const char *fmt, const char *a, const char *b)
{
	redisReply *rep = redisCommand(rc, fmt, a, b);
	char *s = NULL;

	assert_non_null(rep);
	if (rep->type == REDIS_REPLY_STRING)
		s = strdup(rep->str);
	freeReplyObject(rep);
	return s;
}

/* test_issue: the issue order published for the set {n2, n1}. */
static void
issue_job_checks(const Certfleet__Job *job, const char *n1, const char *n2)
{
	char *v;

	assert_int_equal(job->kind_case, CERTFLEET__JOB__KIND_ISSUE_ORDER);
	assert_int_equal(job->attempt, 1);
	assert_string_equal(job->trace_id, issued_trace);
	assert_string_equal(job->issue_order->certificate_id, issued_id);
	assert_int_equal(job->issue_order->n_identifiers, 2);
	assert_string_equal(job->issue_order->identifiers[0], n2);
	assert_string_equal(job->issue_order->identifiers[1], n1);
	assert_string_equal(job->issue_order->challenge_type, "http-01");
	assert_string_equal(job->issue_order->ca->name, "pebble");
	v = sql1("SELECT id FROM acme_accounts", NULL);
	assert_string_equal(job->issue_order->account_id, v);
	free(v);
}

/* test_issue: the API shows the issued certificate leaf (chain full) and
 * serves both files; the key's download is left in *r for the caller. */
static void
issue_api_checks(X509 *leaf, const char *full, struct http_response *r)
{
	char path[256];
	EVP_PKEY *k;
	BIO *b;
	json_t *j;

	snprintf(path, sizeof(path), "/v1/certificates/%s", issued_id);
	j = call_json("GET", path, admin, NULL, 200);
	assert_string_equal(json_string_value(json_object_get(j, "status")),
	    "issued");
	{
		ASN1_INTEGER *ai = X509_get_serialNumber(leaf);
		BIGNUM *bn = ASN1_INTEGER_to_BN(ai, NULL);
		char *hex = BN_bn2hex(bn), *p;

		for (p = hex; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		assert_string_equal(json_string_value(json_object_get(j, "serial")),
		    hex);
		OPENSSL_free(hex);
		BN_free(bn);
	}
	assert_non_null(json_string_value(json_object_get(j, "not_before")));
	assert_non_null(json_string_value(json_object_get(j, "not_after")));
	assert_non_null(strstr(json_string_value(json_object_get(j, "issuer")),
	    TESTCA_NAME));
	assert_true(json_is_null(json_object_get(j, "problem")));
	json_decref(j);
	assert_int_equal(sql_long("SELECT count(*) FROM certificates WHERE "
	    "id = $1 AND renew_at > now() + interval '50 days' AND renew_at < "
	    "now() + interval '65 days'", issued_id), 1);

	/* fullchain.pem is what the CA sent; privkey.pem is the cert's key. */
	snprintf(path, sizeof(path), "/v1/certificates/%s/fullchain.pem",
	    issued_id);
	assert_int_equal(call("GET", path, admin, NULL, r), 200);
	assert_string_equal(r->body, full);
	http_response_free(r);
	snprintf(path, sizeof(path), "/v1/certificates/%s/privkey.pem",
	    issued_id);
	assert_int_equal(call("GET", path, admin, NULL, r), 200);
	b = BIO_new_mem_buf(r->body, (int)r->len);
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	assert_non_null(k);
	assert_int_equal(X509_check_private_key(leaf, k), 1);
	BIO_free(b);
	EVP_PKEY_free(k);

}

/* test_issue: both prime styles in Redis for each of the two names. */
static void
issue_redis_checks(char **names, const char *leaf_pem, const char *full,
    const char *key_pem)
{
	char err[512], *d1c, *d1p, *d1i, *v;
	redisContext *rc;
	size_t i;

	rc = redisconn_open(redis_url, REDISKEYS_PRIME_DB_DEFAULT, 5000, err,
	    sizeof(err));
	assert_non_null(rc);
	for (i = 0; i < 2; i++) {
		d1c = redis_str(rc, "HGET d1:%s %s", names[i], "c");
		d1p = redis_str(rc, "HGET d1:%s %s", names[i], "p");
		d1i = redis_str(rc, "HGET d1:%s %s", names[i], "i");
		assert_non_null(d1c);
		assert_non_null(d1p);
		assert_non_null(d1i);
		v = redis_str(rc, "GET c:%s", d1c, NULL);
		assert_string_equal(v, leaf_pem);
		free(v);
		v = redis_str(rc, "GET p:%s", d1p, NULL);
		assert_string_equal(v, key_pem);
		free(v);
		v = redis_str(rc, "GET i:%s", d1i, NULL);
		assert_string_equal(v, full + strlen(leaf_pem));
		free(v);
		v = redis_str(rc, "HGET d2:%s %s", names[i], "f");
		assert_string_equal(v, full);
		free(v);
		v = redis_str(rc, "HGET d2:%s %s", names[i], "p");
		assert_string_equal(v, key_pem);
		free(v);
		free(d1c);
		free(d1p);
		free(d1i);
	}
	redisFree(rc);
}

static void
test_issue(void **state)
{
	char n1[128], n2[128], err[512], *names[2], *leaf_pem, *full, *v;
	Certfleet__Event ev = CERTFLEET__EVENT__INIT;
	Certfleet__CertificateIssued ci = CERTFLEET__CERTIFICATE_ISSUED__INIT;
	struct http_response r;
	rd_kafka_t *jobs;
	Certfleet__Job *job;
	redisContext *sub;
	redisReply *rep;
	struct timeval tv = { WAIT_S, 0 };
	int seen[2] = { 0, 0 };
	char *id;
	X509 *leaf;

	(void)state;
	snprintf(n1, sizeof(n1), "www.%s.example.com", label);
	snprintf(n2, sizeof(n2), "%s.example.com", label);
	names[0] = n2;	/* sorted */
	names[1] = n1;
	sub = redisconn_open(redis_url, 0, 5000, err, sizeof(err));
	assert_non_null(sub);
	rep = redisCommand(sub, "SUBSCRIBE %s", REDISKEYS_CHANNEL_CHANGED);
	freeReplyObject(rep);
	redisSetTimeout(sub, tv);
	jobs = tail_open(kafkaconn_topic_jobs());

	id = enroll(n1, n2);
	snprintf(issued_id, sizeof(issued_id), "%s", id);
	free(id);
	order_of(issued_id, issued_job, issued_trace);
	job = job_published(jobs, issued_job);
	tail_close(jobs);
	issue_job_checks(job, n1, n2);
	wait_sql("SELECT status FROM orders WHERE id = $1", issued_job, "sent");

	/* Be the CA: sign the CSR; be the worker: report it. */
	leaf = testca_sign_csr(&ca, job->issue_order->csr_der.data,
	    job->issue_order->csr_der.len);
	assert_non_null(leaf);
	proto_job_free(job);
	leaf_pem = testca_pem(leaf);
	v = testca_pem(ca.cert);
	full = malloc(strlen(leaf_pem) + strlen(v) + 1);
	sprintf(full, "%s%s", leaf_pem, v);
	free(v);
	ev.job_id = issued_job;
	ev.attempt = 1;
	ev.trace_id = issued_trace;
	ev.kind_case = CERTFLEET__EVENT__KIND_CERTIFICATE_ISSUED;
	ev.certificate_issued = &ci;
	ci.order_url = (char *)(uintptr_t)"https://127.0.0.1/order/1";
	ci.fullchain_pem = full;
	produce_event(&ev, &issued_event, &issued_eventlen);

	wait_sql("SELECT status FROM certificates WHERE id = $1", issued_id,
	    "issued");
	issue_api_checks(leaf, full, &r);

	/* Redis: both prime styles for every name, and a PUBLISH each. */
	assert_int_equal(sub_read(sub, names, 2, seen), 0);
	redisFree(sub);
	issue_redis_checks(names, leaf_pem, full, r.body);
	http_response_free(&r);
	wait_sql("SELECT count(*) FROM issued_certificates WHERE certificate = $1 "
	    "AND primed_at IS NOT NULL", issued_id, "1");
	/* The coordinator names the chain as SQL's certfleet_chain_id does. */
	assert_sql("SELECT count(*) FROM issued_certificates WHERE certificate = "
	    "$1 AND chain_id = certfleet_chain_id(chain_pem)", issued_id, "1");
	free(full);
	free(leaf_pem);
	X509_free(leaf);
}

/* The same event again changes nothing. */
static void
test_duplicate_event(void **state)
{
	Certfleet__Event ev = CERTFLEET__EVENT__INIT;
	Certfleet__OrderCreated oc = CERTFLEET__ORDER_CREATED__INIT;
	char *before, *after, *primed, *primed2;
	long processed;

	(void)state;
	assert_non_null(issued_event);
	before = counts();
	primed = sql1("SELECT primed_at::text FROM issued_certificates WHERE "
	    "certificate = $1", issued_id);
	processed = sql_long("SELECT count(*) FROM processed_events", NULL);
	produce(kafkaconn_topic_events(), issued_job, issued_event,
	    issued_eventlen);
	/* A marker on the same partition, after it: once it is recorded, the
	 * duplicate was handled. */
	ev.job_id = issued_job;
	ev.attempt = 1;
	ev.trace_id = issued_trace;
	ev.kind_case = CERTFLEET__EVENT__KIND_ORDER_CREATED;
	ev.order_created = &oc;
	oc.order_url = (char *)(uintptr_t)"https://127.0.0.1/order/1";
	produce_event(&ev, NULL, NULL);
	wait_sql("SELECT count(*) FROM processed_events WHERE job_id = $1 AND "
	    "kind = 'order_created'", issued_job, "1");
	usleep(300 * 1000);
	after = counts();
	primed2 = sql1("SELECT primed_at::text FROM issued_certificates WHERE "
	    "certificate = $1", issued_id);
	assert_string_equal(primed, primed2);
	assert_int_equal(sql_long("SELECT count(*) FROM processed_events", NULL),
	    processed + 1);
	/* Everything but processed_events is as it was. */
	*strrchr(before, ',') = '\0';
	*strrchr(after, ',') = '\0';
	assert_string_equal(before, after);
	assert_sql("SELECT status FROM orders WHERE id = $1", issued_job, "valid");
	free(before);
	free(after);
	free(primed);
	free(primed2);
}

/* A certificate for another key is rejected and nothing is stored. */
static void
test_mismatch(void **state)
{
	Certfleet__Event ev = CERTFLEET__EVENT__INIT;
	Certfleet__CertificateIssued ci = CERTFLEET__CERTIFICATE_ISSUED__INIT;
	char n1[128], job[64], trace[64], path[256], err[256], *id, *pem, *names[1];
	struct http_response r;
	EVP_PKEY *other;
	X509 *x;
	json_t *j, *p;

	(void)state;
	snprintf(n1, sizeof(n1), "mismatch.%s.example.com", label);
	names[0] = n1;
	id = enroll(n1, NULL);
	order_of(id, job, trace);
	wait_sql("SELECT status FROM orders WHERE id = $1", job, "sent");
	other = keys_generate(KEYS_EC_P256, err, sizeof(err));
	x = testca_issue(&ca, other, names, 1, "0badbeef", time(NULL) - 60,
	    time(NULL) + 86400 * 90L);
	pem = testca_pem(x);
	ev.job_id = job;
	ev.attempt = 1;
	ev.trace_id = trace;
	ev.kind_case = CERTFLEET__EVENT__KIND_CERTIFICATE_ISSUED;
	ev.certificate_issued = &ci;
	ci.order_url = (char *)(uintptr_t)"https://127.0.0.1/order/2";
	ci.fullchain_pem = pem;
	produce_event(&ev, NULL, NULL);
	wait_sql("SELECT status FROM certificates WHERE id = $1", id, "failed");
	assert_int_equal(sql_long("SELECT count(*) FROM issued_certificates WHERE "
	    "certificate = $1", id), 0);
	assert_int_equal(sql_long("SELECT count(*) FROM acme_problems WHERE "
	    "job_id = $1 AND type = 'urn:certfleet:error:certificateMismatch'",
	    job), 1);
	assert_sql("SELECT status FROM orders WHERE id = $1", job,
	    "failed");
	snprintf(path, sizeof(path), "/v1/certificates/%s", id);
	j = call_json("GET", path, admin, NULL, 200);
	p = json_object_get(j, "problem");
	assert_string_equal(json_string_value(json_object_get(p, "type")),
	    "urn:certfleet:error:certificateMismatch");
	json_decref(j);
	snprintf(path, sizeof(path), "/v1/certificates/%s/fullchain.pem", id);
	assert_int_equal(call("GET", path, admin, NULL, &r), 404);
	http_response_free(&r);
	snprintf(path, sizeof(path), "/v1/certificates/%s/privkey.pem", id);
	assert_int_equal(call("GET", path, admin, NULL, &r), 404);
	http_response_free(&r);
	free(pem);
	X509_free(x);
	EVP_PKEY_free(other);
	free(id);
}

static int
dlq_matches(const rd_kafka_message_t *m, void *arg)
{
	Certfleet__DeadLetter *d;
	int ok;

	d = certfleet__dead_letter__unpack(NULL, m->len, m->payload);
	if (d == NULL)
		return 0;
	ok = d->payload.len == strlen(arg) &&
	    memcmp(d->payload.data, arg, d->payload.len) == 0;
	if (ok) {
		assert_string_equal(d->source_topic, kafkaconn_topic_events());
		assert_true(d->reason[0] != '\0');
		assert_non_null(strstr(d->reason, "protobuf"));
		assert_string_equal(d->consumer, "certfleet-coordinator");
	}
	certfleet__dead_letter__free_unpacked(d, NULL);
	return ok;
}

/* Garbage is dead-lettered and the consumer goes on. */
static void
test_garbage_dead_lettered(void **state)
{
	Certfleet__Event ev = CERTFLEET__EVENT__INIT;
	Certfleet__OrderCreated oc = CERTFLEET__ORDER_CREATED__INIT;
	char garbage[64], n1[128], job[64], trace[64], *id;
	rd_kafka_message_t *m;
	rd_kafka_t *dlq;

	(void)state;
	snprintf(n1, sizeof(n1), "after-garbage.%s.example.com", label);
	id = enroll(n1, NULL);
	order_of(id, job, trace);
	dlq = tail_open(kafkaconn_topic_dlq());
	snprintf(garbage, sizeof(garbage), "\xff\xff garbage %s \x01", label);
	produce(kafkaconn_topic_events(), job, garbage, strlen(garbage));
	ev.job_id = job;
	ev.attempt = 1;
	ev.trace_id = trace;
	ev.kind_case = CERTFLEET__EVENT__KIND_ORDER_CREATED;
	ev.order_created = &oc;
	oc.order_url = (char *)(uintptr_t)"https://127.0.0.1/order/3";
	produce_event(&ev, NULL, NULL);
	m = tail_find(dlq, dlq_matches, garbage);
	rd_kafka_message_destroy(m);
	tail_close(dlq);
	wait_sql("SELECT order_url FROM orders WHERE id = $1", job,
	    "https://127.0.0.1/order/3");
	wait_sql("SELECT status FROM orders WHERE id = $1", job, "processing");
	free(id);
}

/* A retryable failure queues attempt 2 with the order URL, after a delay. */
static void
test_failed_retry(void **state)
{
	Certfleet__Event ev = CERTFLEET__EVENT__INIT;
	Certfleet__JobFailed f = CERTFLEET__JOB_FAILED__INIT;
	Certfleet__Problem p = CERTFLEET__PROBLEM__INIT, sp = CERTFLEET__PROBLEM__INIT;
	Certfleet__Problem *subs[1] = { &sp };
	char n1[128], job[64], trace[64], *id, *v;
	Certfleet__Job *j;
	unsigned char *payload;
	size_t len;
	PGresult *r;
	const char *param[1];

	(void)state;
	snprintf(n1, sizeof(n1), "retry.%s.example.com", label);
	id = enroll(n1, NULL);
	order_of(id, job, trace);
	wait_sql("SELECT status FROM orders WHERE id = $1", job, "sent");
	p.type = (char *)(uintptr_t)"urn:ietf:params:acme:error:serverInternal";
	p.detail = (char *)(uintptr_t)"the CA had a bad day";
	p.status = 500;
	p.n_subproblems = 1;
	p.subproblems = subs;
	sp.type = (char *)(uintptr_t)"urn:ietf:params:acme:error:connection";
	sp.detail = (char *)(uintptr_t)"could not connect";
	sp.identifier = n1;
	f.problem = &p;
	f.retryable = 1;
	f.order_url = (char *)(uintptr_t)"https://127.0.0.1/order/retry";
	ev.job_id = job;
	ev.attempt = 1;
	ev.trace_id = trace;
	ev.kind_case = CERTFLEET__EVENT__KIND_FAILED;
	ev.job_kind = CERTFLEET__JOB_KIND__JOB_KIND_ISSUE_ORDER;
	ev.failed = &f;
	produce_event(&ev, NULL, NULL);
	wait_sql("SELECT count(*) FROM outbox WHERE job_id = $1 AND attempt = 2",
	    job, "1");
	assert_int_equal(sql_long("SELECT count(*) FROM outbox WHERE job_id = $1 "
	    "AND attempt = 2 AND sent_at IS NULL AND available_at > now() + "
	    "interval '20 seconds'", job), 1);
	assert_sql("SELECT status || ' ' || attempt || ' ' || "
	    "order_url FROM orders WHERE id = $1", job,
	    "pending 2 https://127.0.0.1/order/retry");
	assert_sql("SELECT status FROM certificates WHERE id = $1", id, "pending");
	v = sql1("SELECT subproblems->0->>'identifier' FROM acme_problems WHERE "
	    "job_id = $1", job);
	assert_string_equal(v, n1);
	free(v);
	param[0] = job;
	r = PQexecParams(db, "SELECT payload FROM outbox WHERE job_id = $1 AND "
	    "attempt = 2", 1, NULL, param, NULL, NULL, 1);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	payload = (unsigned char *)PQgetvalue(r, 0, 0);
	len = (size_t)PQgetlength(r, 0, 0);
	{
		char err[256];

		j = proto_job_decode(payload, len, err, sizeof(err));
		if (j == NULL)
			fail_msg("requeued job does not decode: %s", err);
	}
	assert_int_equal(j->attempt, 2);
	assert_string_equal(j->job_id, job);
	assert_string_equal(j->trace_id, trace);
	assert_string_equal(j->issue_order->order_url,
	    "https://127.0.0.1/order/retry");
	proto_job_free(j);
	PQclear(r);
	free(id);
}

/* The database dump holds no private key, in PEM or in DER. */
static void
test_pg_dump_has_no_keys(void **state)
{
	struct http_response r;
	char cmd[1024], path[256], buf[65536], slice[41], *dump = NULL, *b64;
	size_t len = 0, n, i, o;
	unsigned char *der;
	char hex[81], err[256];
	size_t derlen;
	FILE *f;

	(void)state;
	snprintf(cmd, sizeof(cmd), "pg_dump --no-owner '%s'", pg);
	assert_non_null(f = popen(cmd, "r"));
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		dump = realloc(dump, len + n + 1);
		memcpy(dump + len, buf, n);
		len += n;
	}
	assert_int_equal(pclose(f), 0);
	dump[len] = '\0';
	assert_true(len > 1000);
	assert_non_null(strstr(dump, "issued_certificates"));
	assert_null(strstr(dump, "PRIVATE KEY"));

	snprintf(path, sizeof(path), "/v1/certificates/%s/privkey.pem",
	    issued_id);
	assert_int_equal(call("GET", path, admin, NULL, &r), 200);
	/* The base64 body without line breaks, then a slice from its middle. */
	b64 = malloc(r.len + 1);
	for (i = 0, o = 0; i < r.len; i++) {
		if (r.body[i] == '\n')
			continue;
		b64[o++] = r.body[i];
	}
	b64[o] = '\0';
	n = strlen("-----BEGIN " "PRIVATE KEY-----");
	memcpy(slice, b64 + n + 40, 40);
	slice[40] = '\0';
	assert_null(strstr(dump, slice));
	/* and the secret itself as pg_dump prints bytea: hex */
	der = pem_to_der(r.body, r.len, "PRIVATE KEY", &derlen, err, sizeof(err));
	assert_non_null(der);
	{
		const unsigned char *p = der;
		EVP_PKEY *k = d2i_AutoPrivateKey(NULL, &p, (long)derlen);
		BIGNUM *priv = NULL;
		unsigned char scalar[32];

		assert_non_null(k);
		assert_int_equal(EVP_PKEY_get_bn_param(k, "priv", &priv), 1);
		assert_int_equal(BN_bn2binpad(priv, scalar, sizeof(scalar)), 32);
		for (i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", scalar[i]);
		assert_null(strstr(dump, hex));
		BN_clear_free(priv);
		EVP_PKEY_free(k);
	}
	free(der);
	free(b64);
	http_response_free(&r);
	free(dump);
}

static int
setup(void **state)
{
	char err[512];
	unsigned char rnd[4];

	(void)state;
	api = getenv("CERTFLEET_API");
	admin = getenv("CERTFLEET_TOKEN");
	worker = getenv("CERTFLEET_WORKER_TOKEN");
	pg = getenv("CERTFLEET_PG");
	kafka = getenv("KAFKA_BOOTSTRAP");
	redis_url = getenv("REDIS_URL");
	if (!api || !admin || !worker || !pg || !kafka || !redis_url) {
		fprintf(stderr, "run through test_coord_flow.sh\n");
		return -1;
	}
	RAND_bytes(rnd, sizeof(rnd));
	snprintf(label, sizeof(label), "t%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
	    rnd[3]);
	if ((db = PQconnectdb(pg)) == NULL || PQstatus(db) != CONNECTION_OK)
		return -1;
	rd_kafka_conf_t *conf = kafkaconn_conf(kafka, "test-coord-flow", err,
	    sizeof(err));
	if (conf == NULL || (producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err,
	    sizeof(err))) == NULL)
		return -1;
	if (testca_new(&ca) < 0)
		return -1;
	return testsig_trust(ca.cert);
}

static int
teardown(void **state)
{
	(void)state;
	free(issued_event);
	testca_free(&ca);
	if (producer != NULL)
		rd_kafka_destroy(producer);
	PQfinish(db);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_bad_input_writes_nothing),
		cmocka_unit_test(test_issue),
		cmocka_unit_test(test_duplicate_event),
		cmocka_unit_test(test_mismatch),
		cmocka_unit_test(test_garbage_dead_lettered),
		cmocka_unit_test(test_failed_retry),
		cmocka_unit_test(test_pg_dump_has_no_keys),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
