/* test_hostile_events.c -- hostile bytes on the events topic, against a running certfleet-coordinator: invalid UTF-8,
 * a T61String issuer, a poison event PostgreSQL refuses (alone, and between two good results applied in the same
 * transaction); each one's order ends issued or with a clear problem, and a good result behind it on the same
 * partition is recorded within seconds. Also the sweeper's re-drives and the late
 * events of a superseded attempt. Acts as worker and CA (tests/unit/test_coord_ca.h). Run by test_hostile_events.sh. */
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
#include <librdkafka/rdkafka.h>

#include "../unit/test_coord_ca.h"
#include "test_sign.h"
#include "clock.h"
#include "codec.h"
#include "kafkaconn.h"
#include "sweep.h"

#define WAIT_S		30	/* generous: for anything asynchronous */
#define PARTITION	0	/* every event of a case on one partition */

static const char *api, *admin, *kafka;
static int produce_held;	/* produce_event leaves the flush to the test */
static PGconn *db;
static rd_kafka_t *producer;
static struct testca ca;
static char label[16];

/* ---------------------------------------------------------------- helpers */

static char *
sql1(const char *sql, const char *param)
{
	PGresult *r;
	char *v;

	r = PQexecParams(db, sql, param != NULL ? 1 : 0, NULL, &param, NULL,
	    NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK &&
	    PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(db));
	v = PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) == 0 ||
	    PQgetisnull(r, 0, 0) ? NULL : strdup(PQgetvalue(r, 0, 0));
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

/* Waits until sql (with param) returns want; returns the ms it took. */
static long long
wait_sql(const char *sql, const char *param, const char *want)
{
	uint64_t t0 = clock_mono_ms();
	char *v = NULL;

	for (;;) {
		free(v);
		v = sql1(sql, param);
		if (v != NULL && strcmp(v, want) == 0)
			break;
		if (clock_mono_ms() - t0 > WAIT_S * 1000)
			fail_msg("%s [%s]: got %s, want %s", sql, param, v ? v :
			    "NULL", want);
		usleep(50 * 1000);
	}
	free(v);
	return (long long)(clock_mono_ms() - t0);
}

static void
produce_event(Certfleet__Event *ev)
{
	rd_kafka_resp_err_t e;
	void *buf;
	size_t len;

	ev->schema_version = PROTO_SCHEMA_VERSION;
	ev->worker_id = (char *)(uintptr_t)"test-hostile";
	ev->at_unix_ms = clock_wall_ms();
	if (ev->job_kind == CERTFLEET__JOB_KIND__JOB_KIND_UNSPECIFIED)
		ev->job_kind = CERTFLEET__JOB_KIND__JOB_KIND_ISSUE_ORDER;
	assert_non_null(buf = proto_event_encode(ev, &len));
	e = testsig_produce_event(producer, PARTITION, ev->job_id, buf, len,
	    kafkaconn_topic_events());
	free(buf);
	assert_int_equal(e, RD_KAFKA_RESP_ERR_NO_ERROR);
	if (!produce_held)
		assert_int_equal(rd_kafka_flush(producer, 10000),
		    RD_KAFKA_RESP_ERR_NO_ERROR);
}

/* A consumer of topic from its current end. */
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

	snprintf(group, sizeof(group), "test-hostile-%s-%s", label, topic);
	assert_non_null(conf = kafkaconn_conf(kafka, "test-hostile", err,
	    sizeof(err)));
	kafkaconn_set(conf, "group.id", group, err, sizeof(err));
	kafkaconn_set(conf, "enable.auto.commit", "false", err, sizeof(err));
	assert_non_null(rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err,
	    sizeof(err)));
	t = rd_kafka_topic_new(rk, topic, NULL);
	assert_int_equal(rd_kafka_metadata(rk, 0, t, &md, 10000),
	    RD_KAFKA_RESP_ERR_NO_ERROR);
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

/* The dead letter of an event of job_id, decoded. */
static Certfleet__DeadLetter *
deadletter_of(rd_kafka_t *dlq, const char *job_id)
{
	uint64_t t0 = clock_mono_ms();
	Certfleet__DeadLetter *d;
	Certfleet__Event *e;
	rd_kafka_message_t *m;
	int ok;

	while (clock_mono_ms() - t0 < WAIT_S * 1000) {
		if ((m = rd_kafka_consumer_poll(dlq, 200)) == NULL)
			continue;
		d = m->err == RD_KAFKA_RESP_ERR_NO_ERROR ?
		    certfleet__dead_letter__unpack(NULL, m->len, m->payload) : NULL;
		rd_kafka_message_destroy(m);
		if (d == NULL)
			continue;
		e = proto_event_decode_header(d->payload.data, d->payload.len);
		ok = e != NULL && strcmp(e->job_id, job_id) == 0;
		proto_event_free(e);
		if (ok)
			return d;
		certfleet__dead_letter__free_unpacked(d, NULL);
	}
	fail_msg("no dead letter for job %s within %d s", job_id, WAIT_S);
	return NULL;
}

/* Waits for attempt `attempt` of job_id on the jobs topic; returns it. */
static Certfleet__Job *
job_of(rd_kafka_t *jobs, const char *job_id, unsigned attempt)
{
	uint64_t t0 = clock_mono_ms();
	rd_kafka_message_t *m;
	Certfleet__Job *j;
	char err[256];

	while (clock_mono_ms() - t0 < WAIT_S * 1000) {
		if ((m = rd_kafka_consumer_poll(jobs, 200)) == NULL)
			continue;
		j = m->err == RD_KAFKA_RESP_ERR_NO_ERROR ? proto_job_decode(
		    m->payload, m->len, err, sizeof(err)) : NULL;
		rd_kafka_message_destroy(m);
		if (j != NULL && strcmp(j->job_id, job_id) == 0 &&
		    j->attempt == attempt)
			return j;
		proto_job_free(j);
	}
	fail_msg("no job %s attempt %u within %d s", job_id, attempt, WAIT_S);
	return NULL;
}

/* An order being worked: its certificate, job and trace ids. */
struct order {
	char	cert[64];
	char	job[64];
	char	trace[64];
};

/* Enrolls "<name>.<label>.example.com" and waits until its job is sent. */
static void
enroll(const char *name, struct order *o)
{
	char cmd[1024], *v;
	FILE *f;

	/* the token from the header file: never on a command line */
	assert_non_null(getenv("CERTFLEET_AUTH_HEADER_FILE"));
	snprintf(cmd, sizeof(cmd), "curl -fsS -H @'%s' "
	    "--data '{\"hostnames\": [\"%s.%s.example.com\"]}' %s/v1/certificates "
	    "| jq -r .id", getenv("CERTFLEET_AUTH_HEADER_FILE"), name, label, api);
	assert_non_null(f = popen(cmd, "r"));
	assert_non_null(fgets(o->cert, sizeof(o->cert), f));
	pclose(f);
	o->cert[strcspn(o->cert, "\n")] = '\0';
	assert_int_equal(strlen(o->cert), 36);
	v = sql1("SELECT id FROM orders WHERE certificate = $1", o->cert);
	snprintf(o->job, sizeof(o->job), "%s", v);
	free(v);
	v = sql1("SELECT trace_id FROM orders WHERE id = $1", o->job);
	snprintf(o->trace, sizeof(o->trace), "%s", v);
	free(v);
	wait_sql("SELECT status FROM orders WHERE id = $1", o->job, "sent");
}

static void
event_init(Certfleet__Event *ev, const struct order *o, unsigned attempt)
{
	certfleet__event__init(ev);
	ev->job_id = (char *)(uintptr_t)o->job;
	ev->trace_id = (char *)(uintptr_t)o->trace;
	ev->attempt = attempt;
}

/* certificate_issued for o's attempt, signed by issuer, with an ARI window
 * when ari_end > 0. */
static void
produce_issued(const struct order *o, unsigned attempt,
    const struct testca *issuer, int64_t ari_start, int64_t ari_end)
{
	Certfleet__Event ev;
	Certfleet__CertificateIssued ci = CERTFLEET__CERTIFICATE_ISSUED__INIT;
	unsigned char *csr;
	long csrlen;
	char *hex, *leaf, *top, *full;
	X509 *x;

	hex = sql1("SELECT encode(csr_der, 'hex') FROM orders WHERE id = $1",
	    o->job);
	assert_non_null(csr = OPENSSL_hexstr2buf(hex, &csrlen));
	assert_non_null(x = testca_sign_csr(issuer, csr, (size_t)csrlen));
	leaf = testca_pem(x);
	top = testca_pem(issuer->cert);
	assert_non_null(full = malloc(strlen(leaf) + strlen(top) + 1));
	sprintf(full, "%s%s", leaf, top);
	event_init(&ev, o, attempt);
	ev.kind_case = CERTFLEET__EVENT__KIND_CERTIFICATE_ISSUED;
	ev.certificate_issued = &ci;
	ci.order_url = (char *)(uintptr_t)"https://127.0.0.1/order/hostile";
	ci.fullchain_pem = full;
	ci.ari_window_start_unix_ms = ari_start;
	ci.ari_window_end_unix_ms = ari_end;
	produce_event(&ev);
	free(full);
	free(top);
	free(leaf);
	X509_free(x);
	OPENSSL_free(csr);
	free(hex);
}

static void
produce_failed(const struct order *o, unsigned attempt, const char *detail)
{
	Certfleet__Event ev;
	Certfleet__JobFailed f = CERTFLEET__JOB_FAILED__INIT;
	Certfleet__Problem p = CERTFLEET__PROBLEM__INIT;

	event_init(&ev, o, attempt);
	p.type = (char *)(uintptr_t)"urn:ietf:params:acme:error:serverInternal";
	p.detail = (char *)(uintptr_t)detail;
	p.status = 500;
	f.problem = &p;
	f.retryable = 1;
	ev.kind_case = CERTFLEET__EVENT__KIND_FAILED;
	ev.failed = &f;
	produce_event(&ev);
}

static void
produce_created(const struct order *o, unsigned attempt, const char *url)
{
	Certfleet__Event ev;
	Certfleet__OrderCreated oc = CERTFLEET__ORDER_CREATED__INIT;

	event_init(&ev, o, attempt);
	oc.order_url = (char *)(uintptr_t)url;
	ev.kind_case = CERTFLEET__EVENT__KIND_ORDER_CREATED;
	ev.order_created = &oc;
	produce_event(&ev);
}

/* Waits until the good order behind a hostile event is issued, and says
 * how long after t0 that was. */
static void
behind_recorded(const struct order *good, uint64_t t0, const char *what)
{
	wait_sql("SELECT status FROM certificates WHERE id = $1", good->cert,
	    "issued");
	printf("  the good result behind %s was recorded %llu ms after it was "
	    "produced\n", what, (unsigned long long)(clock_mono_ms() - t0));
}

/* ---------------------------------------------------------------- tests */

/* A failure whose detail is not UTF-8 (an old or broken worker): the codec
 * refuses it, it is dead-lettered with that reason, its order is re-driven
 * as attempt 2, and the partition goes on. */
static void
test_invalid_utf8_detail(void **state)
{
	struct order a, b;
	Certfleet__DeadLetter *d;
	Certfleet__Job *j;
	rd_kafka_t *dlq, *jobs;
	uint64_t t0;

	(void)state;
	enroll("utf8", &a);
	enroll("behind-utf8", &b);
	dlq = tail_open(kafkaconn_topic_dlq());
	jobs = tail_open(kafkaconn_topic_jobs());
	t0 = clock_mono_ms();
	produce_failed(&a, 1, "caf\xe9 \xff\xfe: cut inside a character \xc3");
	produce_issued(&b, 1, &ca, 0, 0);
	behind_recorded(&b, t0, "an invalid UTF-8 detail");
	d = deadletter_of(dlq, a.job);
	printf("  dead letter: %s\n", d->reason);
	assert_non_null(strstr(d->reason, "not valid UTF-8"));
	assert_string_equal(d->consumer, "certfleet-coordinator");
	certfleet__dead_letter__free_unpacked(d, NULL);
	/* re-driven: attempt 2 on the jobs topic, the problem recorded */
	proto_job_free(j = job_of(jobs, a.job, 2));
	assert_sql("SELECT attempt || ' ' || poisoned FROM orders WHERE id = $1",
	    a.job, "2 1");
	assert_sql("SELECT count(*) FROM acme_problems WHERE job_id = $1 AND "
	    "attempt = 1 AND type = 'urn:certfleet:error:eventRejected' AND "
	    "detail LIKE '%dead-lettered%not valid UTF-8%'", a.job, "1");
	/* attempt 2 succeeds */
	produce_issued(&a, 2, &ca, 0, 0);
	wait_sql("SELECT status FROM certificates WHERE id = $1", a.cert,
	    "issued");
	tail_close(jobs);
	tail_close(dlq);
}

/* A certificate whose issuer CN is a T61String (Latin-1 bytes): stored,
 * named in UTF-8, and the partition goes on. */
static void
test_t61_issuer(void **state)
{
	struct testca t61;
	struct order c, d;
	uint64_t t0;

	(void)state;
	assert_int_equal(testca_new_cn(&t61, V_ASN1_T61STRING,
	    "Caf\xe9 Root CA", 12), 0);
	assert_int_equal(testsig_trust(t61.cert), 0);
	enroll("t61", &c);
	enroll("behind-t61", &d);
	t0 = clock_mono_ms();
	produce_issued(&c, 1, &t61, 0, 0);
	produce_issued(&d, 1, &ca, 0, 0);
	behind_recorded(&d, t0, "a T61String issuer");
	wait_sql("SELECT status FROM certificates WHERE id = $1", c.cert,
	    "issued");
	assert_sql("SELECT issuer FROM issued_certificates WHERE certificate = "
	    "$1", c.cert, "CN=Caf\xc3\xa9 Root CA,O=certfleet tests");
	assert_sql("SELECT ch.top_issuer FROM certificate_chains ch JOIN "
	    "issued_certificates ic ON ic.id = ch.issued_certificate WHERE "
	    "ic.certificate = $1 AND ch.served", c.cert, "Caf\xc3\xa9 Root CA");
	testca_free(&t61);
}

/* Content PostgreSQL refuses (an ARI window end out of timestamp range,
 * SQLSTATE 22008): dead-lettered with the reason, the order re-driven, the
 * partition goes on; attempt 2 issues. */
static void
test_poison_event(void **state)
{
	struct order e, f;
	Certfleet__DeadLetter *dl;
	rd_kafka_t *dlq;
	uint64_t t0;

	(void)state;
	enroll("poison", &e);
	enroll("behind-poison", &f);
	dlq = tail_open(kafkaconn_topic_dlq());
	t0 = clock_mono_ms();
	produce_issued(&e, 1, &ca, 1000, INT64_MAX);
	produce_issued(&f, 1, &ca, 0, 0);
	behind_recorded(&f, t0, "a poison event");
	dl = deadletter_of(dlq, e.job);
	printf("  dead letter: %s\n", dl->reason);
	assert_non_null(strstr(dl->reason, "the database refused its content "
	    "(SQLSTATE 22"));
	certfleet__dead_letter__free_unpacked(dl, NULL);
	tail_close(dlq);
	wait_sql("SELECT attempt || ' ' || poisoned FROM orders WHERE id = $1",
	    e.job, "2 1");
	assert_sql("SELECT count(*) FROM issued_certificates WHERE certificate "
	    "= $1", e.cert, "0");
	assert_sql("SELECT status FROM certificates WHERE id = $1", e.cert,
	    "pending");
	produce_issued(&e, 2, &ca, 0, 0);
	wait_sql("SELECT status FROM certificates WHERE id = $1", e.cert,
	    "issued");
}

/* Results applied together (results_poll: the events of a poll in one
 * transaction, each in a savepoint): a poison event between two good ones
 * on the same partition changes nothing of its own, not even its
 * processed_events row, and the good ones on either side are recorded. */
static void
test_poison_inside_batch(void **state)
{
	struct order g, p, h;
	uint64_t t0;

	(void)state;
	enroll("batch-before", &g);
	enroll("batch-poison", &p);
	enroll("batch-after", &h);
	t0 = clock_mono_ms();
	produce_issued(&g, 1, &ca, 0, 0);
	produce_issued(&p, 1, &ca, 1000, INT64_MAX);
	produce_issued(&h, 1, &ca, 0, 0);
	behind_recorded(&h, t0, "a poison event between two good ones");
	assert_sql("SELECT status FROM certificates WHERE id = $1", g.cert,
	    "issued");
	wait_sql("SELECT attempt || ' ' || poisoned FROM orders WHERE id = $1",
	    p.job, "2 1");
	assert_sql("SELECT count(*) FROM processed_events WHERE job_id = $1",
	    p.job, "0");
	assert_sql("SELECT count(*) FROM issued_certificates WHERE certificate "
	    "= $1", p.cert, "0");
	assert_sql("SELECT status FROM certificates WHERE id = $1", p.cert,
	    "pending");
}

/* The lines of the coordinator's log that say a batch is applied again one
 * by one (results.c, results_flush). */
static int
one_by_one_lines(void)
{
	const char *path = getenv("CERTFLEET_TEST_COORD_LOG");
	char line[2048];
	FILE *f;
	int n = 0;

	assert_non_null(path);
	assert_non_null(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, "will retry one by one") != NULL;
	fclose(f);
	return n;
}

/* The certificates of a batch are written together when it commits, or
 * before an event that would read them (issued.h, issued_batch): six
 * results arrive in one fetch, the third a poison, the fifth a failure
 * of another order, before which the batch is written. That joint write
 * fails, the batch is applied again one by one, the poison alone is
 * dead-lettered, the failure is applied as any other (not taken for the
 * poison), and the four good ones are recorded whole: issued, current,
 * renew_at set, order valid with its URL, one chain served. */
static void
test_poison_among_written_together(void **state)
{
	static const char *const name[6] = { "together-a", "together-b",
	    "together-poison", "together-c", "together-failed", "together-d" };
	struct order o[6];
	uint64_t t0;
	int before, i;

	(void)state;
	for (i = 0; i < 6; i++)
		enroll(name[i], &o[i]);
	before = one_by_one_lines();
	t0 = clock_mono_ms();
	produce_held = 1;	/* one produce request: one fetch */
	for (i = 0; i < 6; i++)
		if (i == 4)
			produce_failed(&o[i], 1, "the CA had a bad day");
		else
			produce_issued(&o[i], 1, &ca, i == 2 ? 1000 : 0,
			    i == 2 ? INT64_MAX : 0);
	produce_held = 0;
	assert_int_equal(rd_kafka_flush(producer, 10000),
	    RD_KAFKA_RESP_ERR_NO_ERROR);
	behind_recorded(&o[5], t0, "a poison event written with five others");
	wait_sql("SELECT attempt || ' ' || poisoned FROM orders WHERE id = $1",
	    o[2].job, "2 1");
	assert_sql("SELECT count(*) FROM issued_certificates WHERE certificate "
	    "= $1", o[2].cert, "0");
	assert_sql("SELECT count(*) FROM processed_events WHERE job_id = $1",
	    o[2].job, "0");
	assert_sql("SELECT count(*) || ' ' || (SELECT poisoned FROM orders WHERE "
	    "id = $1) FROM processed_events WHERE job_id = $1", o[4].job, "1 0");
	for (i = 0; i < 6; i++) {
		if (i == 2 || i == 4)
			continue;
		assert_sql("SELECT c.status || ' ' || (c.renew_at IS NOT NULL) || "
		    "' ' || o.status || ' ' || o.order_url || ' ' || "
		    "(SELECT count(*) FROM certificate_chains ch WHERE "
		    "ch.issued_certificate = ic.id AND ch.served) FROM "
		    "certificates c JOIN issued_certificates ic ON ic.id = "
		    "c.current_issued AND ic.certificate = c.id JOIN orders o ON "
		    "o.id = ic.order_id WHERE c.id = $1", o[i].cert, "issued true "
		    "valid https://127.0.0.1/order/hostile 1");
	}
	/* proof that they were written together, and that failed */
	assert_true(one_by_one_lines() > before);
}

/* A result refused RESULTS_POISON_MAX times: re-driving cannot help, the
 * order fails with a problem that says so. */
static void
test_poison_gives_up(void **state)
{
	char want[32];
	struct order g;
	unsigned k;

	(void)state;
	enroll("poison-thrice", &g);
	for (k = 1; k <= 3; k++) {
		produce_issued(&g, k, &ca, 1000, INT64_MAX);
		if (k < 3) {
			snprintf(want, sizeof(want), "%u %u", k + 1, k);
			wait_sql("SELECT attempt || ' ' || poisoned FROM orders "
			    "WHERE id = $1", g.job, want);
		}
	}
	wait_sql("SELECT status FROM certificates WHERE id = $1", g.cert,
	    "failed");
	assert_sql("SELECT status || ' ' || poisoned FROM orders WHERE id = $1",
	    g.job, "failed 3");
	assert_sql("SELECT last_problem_type FROM certificates WHERE id = $1",
	    g.cert, "urn:certfleet:error:eventRejected");
	assert_sql("SELECT count(*) FROM certificates WHERE id = $1 AND "
	    "last_problem_detail LIKE '%3 of 3%given up%'", g.cert, "1");
}

/* Makes order job look stuck: no progress for an hour. */
static void
age(const char *job)
{
	char *v = sql1("UPDATE orders SET updated_at = now() - interval '1 hour' "
	    "WHERE id = $1 RETURNING id", job);

	free(v);
}

/* A lost job (the test is a worker that never answers): the sweeper
 * re-drives the order with its order URL; the late events of the
 * superseded attempt change nothing, but its certificate is taken. */
static void
test_sweeper_and_late_attempt(void **state)
{
	struct order h;
	Certfleet__Job *j;
	rd_kafka_t *jobs;
	char *v;

	(void)state;
	enroll("lost", &h);
	jobs = tail_open(kafkaconn_topic_jobs());
	produce_created(&h, 1, "https://127.0.0.1/order/lost-1");
	wait_sql("SELECT status FROM orders WHERE id = $1", h.job, "processing");
	age(h.job);
	wait_sql("SELECT attempt || ' ' || sweeps FROM orders WHERE id = $1",
	    h.job, "2 1");
	j = job_of(jobs, h.job, 2);
	assert_string_equal(j->issue_order->order_url,
	    "https://127.0.0.1/order/lost-1");
	proto_job_free(j);
	wait_sql("SELECT status FROM orders WHERE id = $1", h.job, "sent");
	/* attempt 1, late: its failure and its progress change nothing */
	produce_failed(&h, 1, "attempt 1 failed late");
	wait_sql("SELECT count(*) FROM processed_events WHERE job_id = $1 AND "
	    "attempt = 1 AND kind = 'failed'", h.job, "1");
	assert_sql("SELECT status || ' ' || attempt || ' ' || order_url FROM "
	    "orders WHERE id = $1", h.job,
	    "sent 2 https://127.0.0.1/order/lost-1");
	assert_sql("SELECT count(*) FROM outbox WHERE job_id = $1 AND attempt = "
	    "3", h.job, "0");
	/* attempt 2's progress resets the count of re-drives */
	produce_created(&h, 2, "https://127.0.0.1/order/lost-2");
	wait_sql("SELECT status || ' ' || sweeps || ' ' || order_url FROM orders "
	    "WHERE id = $1", h.job, "processing 0 https://127.0.0.1/order/lost-2");
	/* attempt 1's certificate: the same key and CSR, taken */
	produce_issued(&h, 1, &ca, 0, 0);
	wait_sql("SELECT status FROM certificates WHERE id = $1", h.cert,
	    "issued");
	assert_sql("SELECT status FROM orders WHERE id = $1", h.job, "valid");
	/* and then attempt 2's answer changes nothing */
	produce_failed(&h, 2, "attempt 2 failed after all");
	wait_sql("SELECT count(*) FROM processed_events WHERE job_id = $1 AND "
	    "attempt = 2 AND kind = 'failed'", h.job, "1");
	assert_sql("SELECT status || ' ' || attempt FROM orders WHERE id = $1",
	    h.job, "valid 2");
	v = sql1("SELECT count(*) FROM issued_certificates WHERE certificate = "
	    "$1", h.cert);
	assert_string_equal(v, "1");
	free(v);
	tail_close(jobs);
}

/* Re-drives without progress are spaced: the second waits a lease. The
 * order of a superseded attempt, created late, is not taken. */
static void
test_sweeper_spacing(void **state)
{
	struct order i;

	(void)state;
	enroll("lost-twice", &i);
	age(i.job);
	wait_sql("SELECT attempt || ' ' || sweeps || ' ' || status FROM orders "
	    "WHERE id = $1", i.job, "2 1 sent");
	produce_created(&i, 1, "https://127.0.0.1/order/lost-twice-1");
	wait_sql("SELECT count(*) FROM processed_events WHERE job_id = $1 AND "
	    "attempt = 1 AND kind = 'order_created'", i.job, "1");
	assert_sql("SELECT status || ' ' || coalesce(order_url, 'none') || ' ' "
	    "|| sweeps FROM orders WHERE id = $1", i.job, "sent none 1");
	age(i.job);
	wait_sql("SELECT attempt || ' ' || sweeps FROM orders WHERE id = $1",
	    i.job, "3 2");
	/* CERTFLEET_SWEEP_LEASE_S is 600 here (test_hostile_events.sh) */
	assert_sql("SELECT count(*) FROM outbox WHERE job_id = $1 AND attempt = "
	    "3 AND sent_at IS NULL AND available_at > now() + interval '590 "
	    "seconds'", i.job, "1");
	usleep(1500 * 1000);
	assert_sql("SELECT status FROM orders WHERE id = $1", i.job, "pending");
}

/* The sweep finds stuck orders through the partial index. */
static void
test_sweeper_index(void **state)
{
	PGresult *r;
	char *plan = NULL;
	size_t len = 0;
	int i;

	(void)state;
	PQclear(PQexec(db, "SET enable_seqscan = off"));
	r = PQprepare(db, "sweep_list", SWEEP_LIST_SQL, 2, NULL);
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	r = PQexec(db, "EXPLAIN EXECUTE sweep_list(600, 64)");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	for (i = 0; i < PQntuples(r); i++) {
		plan = realloc(plan, len + strlen(PQgetvalue(r, i, 0)) + 2);
		len += (size_t)sprintf(plan + len, "%s\n", PQgetvalue(r, i, 0));
	}
	PQclear(r);
	PQclear(PQexec(db, "RESET enable_seqscan"));
	printf("%s", plan);
	assert_non_null(strstr(plan, "orders_sweep"));
	free(plan);
}

static int
setup(void **state)
{
	char err[512];
	rd_kafka_conf_t *conf;
	unsigned char rnd[4];

	(void)state;
	api = getenv("CERTFLEET_API");
	admin = getenv("CERTFLEET_TOKEN");
	kafka = getenv("KAFKA_BOOTSTRAP");
	if (api == NULL || admin == NULL || kafka == NULL ||
	    getenv("CERTFLEET_PG") == NULL) {
		fprintf(stderr, "run through test_hostile_events.sh\n");
		return -1;
	}
	RAND_bytes(rnd, sizeof(rnd));
	snprintf(label, sizeof(label), "h%02x%02x%02x%02x", rnd[0], rnd[1],
	    rnd[2], rnd[3]);
	if ((db = PQconnectdb(getenv("CERTFLEET_PG"))) == NULL ||
	    PQstatus(db) != CONNECTION_OK)
		return -1;
	if ((conf = kafkaconn_conf(kafka, "test-hostile", err,
	    sizeof(err))) == NULL ||
	    (producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err,
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
		cmocka_unit_test(test_invalid_utf8_detail),
		cmocka_unit_test(test_t61_issuer),
		cmocka_unit_test(test_poison_event),
		cmocka_unit_test(test_poison_inside_batch),
		cmocka_unit_test(test_poison_among_written_together),
		cmocka_unit_test(test_poison_gives_up),
		cmocka_unit_test(test_sweeper_and_late_attempt),
		cmocka_unit_test(test_sweeper_spacing),
		cmocka_unit_test(test_sweeper_index),
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	return cmocka_run_group_tests(tests, setup, teardown);
}
