/* test_codec.c -- unit tests of proto/codec: round trips, and every way a job or event is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codec.h"

static char *names[] = { "a.example.com", "b.example.com" };
static uint8_t csr[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };

/* A valid issue_order job; tests break one field at a time. */
static void
job_init(Certfleet__Job *j, Certfleet__IssueOrder *o, Certfleet__CaRef *ca)
{
	certfleet__job__init(j);
	certfleet__issue_order__init(o);
	certfleet__ca_ref__init(ca);
	ca->name = "pebble";
	ca->directory_url = "https://127.0.0.1:14000/dir";
	o->ca = ca;
	o->account_id = "acct-1";
	o->certificate_id = "cert-1";
	o->identifiers = names;
	o->n_identifiers = 2;
	o->csr_der.data = csr;
	o->csr_der.len = sizeof(csr);
	o->challenge_type = "http-01";
	j->schema_version = PROTO_SCHEMA_VERSION;
	j->job_id = "job-1";
	j->attempt = 1;
	j->trace_id = "trace-1";
	j->kind_case = CERTFLEET__JOB__KIND_ISSUE_ORDER;
	j->issue_order = o;
}

/* Encodes j and expects decoding to fail with a reason containing why. */
static void
expect_refused(const Certfleet__Job *j, const char *why)
{
	char err[256] = "";
	size_t len;
	void *buf = proto_job_encode(j, &len);

	assert_non_null(buf);
	assert_null(proto_job_decode(buf, len, err, sizeof(err)));
	if (strstr(err, why) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", err, why);
	free(buf);
}

static void
test_job_roundtrip(void **state)
{
	Certfleet__Job j, *d;
	Certfleet__IssueOrder o;
	Certfleet__CaRef ca;
	char err[256];
	size_t len;
	void *buf;

	(void)state;
	job_init(&j, &o, &ca);
	o.order_url = "https://127.0.0.1:14000/my-order/x";
	buf = proto_job_encode(&j, &len);
	d = proto_job_decode(buf, len, err, sizeof(err));
	if (d == NULL)
		fail_msg("%s", err);
	assert_string_equal(d->job_id, "job-1");
	assert_int_equal(d->kind_case, CERTFLEET__JOB__KIND_ISSUE_ORDER);
	assert_int_equal(d->issue_order->n_identifiers, 2);
	assert_string_equal(d->issue_order->identifiers[1], "b.example.com");
	assert_memory_equal(d->issue_order->csr_der.data, csr, sizeof(csr));
	assert_string_equal(d->issue_order->order_url, o.order_url);
	proto_job_free(d);
	free(buf);
}

static void
test_job_refusals(void **state)
{
	Certfleet__Job j;
	Certfleet__IssueOrder o;
	Certfleet__CaRef ca;
	char *unsorted[] = { "b.example.com", "a.example.com" };
	char *upper[] = { "A.example.com" };
	char *bad[] = { "a b.example.com" };

	(void)state;
	job_init(&j, &o, &ca);
	j.schema_version = 2;
	expect_refused(&j, "schema version 2");
	job_init(&j, &o, &ca);
	j.job_id = "";
	expect_refused(&j, "job_id");
	job_init(&j, &o, &ca);
	j.attempt = 0;
	expect_refused(&j, "attempt");
	job_init(&j, &o, &ca);
	j.kind_case = CERTFLEET__JOB__KIND__NOT_SET;
	expect_refused(&j, "no known kind");
	job_init(&j, &o, &ca);
	o.identifiers = unsorted;
	expect_refused(&j, "sorted");
	job_init(&j, &o, &ca);
	o.identifiers = upper;
	o.n_identifiers = 1;
	expect_refused(&j, "normalized");
	job_init(&j, &o, &ca);
	o.identifiers = bad;
	o.n_identifiers = 1;
	expect_refused(&j, "normalized");
	job_init(&j, &o, &ca);
	o.n_identifiers = 0;
	expect_refused(&j, "0 identifiers");
	job_init(&j, &o, &ca);
	o.csr_der.len = 0;
	expect_refused(&j, "CSR");
	job_init(&j, &o, &ca);
	ca.directory_url = "http://127.0.0.1/dir";
	expect_refused(&j, "https");
	job_init(&j, &o, &ca);
	o.order_url = "file:///etc/passwd";
	expect_refused(&j, "order URL");
	job_init(&j, &o, &ca);
	o.challenge_type = "tls-alpn-01";
	expect_refused(&j, "challenge type");
}

static void
test_garbage(void **state)
{
	const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0x0f, 0x12 };
	char err[256];
	void *big;

	(void)state;
	assert_null(proto_job_decode(junk, sizeof(junk), err, sizeof(err)));
	assert_non_null(strstr(err, "does not decode"));
	assert_null(proto_event_decode(junk, sizeof(junk), err, sizeof(err)));
	assert_null(proto_job_decode("", 0, err, sizeof(err)));	/* all defaults */
	big = calloc(1, PROTO_MAX_MESSAGE + 1);
	assert_null(proto_job_decode(big, PROTO_MAX_MESSAGE + 1, err, sizeof(err)));
	assert_non_null(strstr(err, "cap"));
	free(big);
}

static void
test_event_roundtrip_and_refusal(void **state)
{
	Certfleet__Event e, *d;
	Certfleet__JobFailed f;
	Certfleet__Problem p, sub, *subs[1];
	char err[256];
	size_t len;
	void *buf;

	(void)state;
	certfleet__event__init(&e);
	certfleet__job_failed__init(&f);
	certfleet__problem__init(&p);
	certfleet__problem__init(&sub);
	sub.type = "urn:ietf:params:acme:error:rejectedIdentifier";
	sub.identifier = "b.example.com";
	subs[0] = &sub;
	p.type = "urn:ietf:params:acme:error:compound";
	p.detail = "some names refused";
	p.status = 400;
	p.subproblems = subs;
	p.n_subproblems = 1;
	f.problem = &p;
	e.schema_version = PROTO_SCHEMA_VERSION;
	e.job_id = "job-1";
	e.attempt = 2;
	e.trace_id = "t";
	e.kind_case = CERTFLEET__EVENT__KIND_FAILED;
	e.job_kind = CERTFLEET__JOB_KIND__JOB_KIND_ISSUE_ORDER;
	e.failed = &f;
	buf = proto_event_encode(&e, &len);
	d = proto_event_decode(buf, len, err, sizeof(err));
	if (d == NULL)
		fail_msg("%s", err);
	assert_string_equal(proto_event_kind_name(d), "failed");
	assert_string_equal(d->failed->problem->subproblems[0]->identifier, "b.example.com");
	proto_event_free(d);
	free(buf);

	/* A failure that does not say which kind of job it answers is
	 * refused: only the job kind routes it. */
	e.job_kind = CERTFLEET__JOB_KIND__JOB_KIND_UNSPECIFIED;
	buf = proto_event_encode(&e, &len);
	assert_null(proto_event_decode(buf, len, err, sizeof(err)));
	assert_non_null(strstr(err, "job_kind"));
	free(buf);
	e.job_kind = (Certfleet__JobKind)99;
	buf = proto_event_encode(&e, &len);
	assert_null(proto_event_decode(buf, len, err, sizeof(err)));
	assert_non_null(strstr(err, "kind unknown"));
	free(buf);
	e.job_kind = CERTFLEET__JOB_KIND__JOB_KIND_CA_ACTION;

	f.problem = NULL;	/* a failure without its problem is refused */
	buf = proto_event_encode(&e, &len);
	assert_null(proto_event_decode(buf, len, err, sizeof(err)));
	assert_non_null(strstr(err, "failed event"));
	free(buf);
}

/* Problem texts must be UTF-8 (PostgreSQL would refuse them); a refused
 * event still tells whose it is through proto_event_decode_header. */
static void
test_event_utf8(void **state)
{
	Certfleet__Event e, *d;
	Certfleet__JobFailed f;
	Certfleet__Problem p, sub, *subs[1];
	char err[256];
	size_t len;
	void *buf;

	(void)state;
	certfleet__event__init(&e);
	certfleet__job_failed__init(&f);
	certfleet__problem__init(&p);
	certfleet__problem__init(&sub);
	sub.type = "urn:ietf:params:acme:error:caa";
	sub.identifier = "b.example.com";
	subs[0] = &sub;
	p.type = "urn:ietf:params:acme:error:compound";
	p.detail = "caf\xc3\xa9 \xe2\x82\xac";
	p.subproblems = subs;
	p.n_subproblems = 1;
	f.problem = &p;
	f.order_url = "https://127.0.0.1/order/9";
	e.schema_version = PROTO_SCHEMA_VERSION;
	e.job_id = "job-9";
	e.attempt = 3;
	e.trace_id = "t9";
	e.kind_case = CERTFLEET__EVENT__KIND_FAILED;
	e.job_kind = CERTFLEET__JOB_KIND__JOB_KIND_ISSUE_ORDER;
	e.failed = &f;
	buf = proto_event_encode(&e, &len);
	assert_int_equal(proto_event_size(&e), len);
	if ((d = proto_event_decode(buf, len, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	assert_string_equal(d->failed->problem->detail, "caf\xc3\xa9 \xe2\x82\xac");
	proto_event_free(d);
	free(buf);
	/* a detail cut inside a character */
	p.detail = "caf\xc3";
	buf = proto_event_encode(&e, &len);
	assert_null(proto_event_decode(buf, len, err, sizeof(err)));
	assert_string_equal(err, "failed event: a problem detail or identifier "
	    "is not valid UTF-8");
	/* ... is refused, but its header is there for the dead letter */
	assert_non_null(d = proto_event_decode_header(buf, len));
	assert_string_equal(d->job_id, "job-9");
	assert_int_equal(d->attempt, 3);
	assert_int_equal(d->kind_case, CERTFLEET__EVENT__KIND_FAILED);
	proto_event_free(d);
	free(buf);
	/* Latin-1 in a subproblem's identifier */
	p.detail = "ok";
	sub.identifier = "caf\xe9.example.com";
	buf = proto_event_encode(&e, &len);
	assert_null(proto_event_decode(buf, len, err, sizeof(err)));
	assert_non_null(strstr(err, "not valid UTF-8"));
	free(buf);
	/* an http:// order URL is refused too */
	sub.identifier = "b.example.com";
	f.order_url = "http://127.0.0.1/order/9";
	buf = proto_event_encode(&e, &len);
	assert_null(proto_event_decode(buf, len, err, sizeof(err)));
	free(buf);
	/* no usable header: nobody to tell */
	assert_null(proto_event_decode_header("\xff\xff garbage", 10));
	e.job_id = "";
	buf = proto_event_encode(&e, &len);
	assert_null(proto_event_decode_header(buf, len));
	free(buf);
}

/* job_kind: filled in from an event kind that tells (a worker older than
 * the field), refused when it contradicts the event kind. */
static void
test_event_job_kind(void **state)
{
	Certfleet__Event e, *d;
	Certfleet__OrderCreated oc = CERTFLEET__ORDER_CREATED__INIT;
	char err[256];
	size_t len;
	void *buf;

	(void)state;
	certfleet__event__init(&e);
	oc.order_url = "https://127.0.0.1/order/1";
	e.schema_version = PROTO_SCHEMA_VERSION;
	e.job_id = "job-1";
	e.attempt = 1;
	e.trace_id = "t";
	e.kind_case = CERTFLEET__EVENT__KIND_ORDER_CREATED;
	e.order_created = &oc;
	buf = proto_event_encode(&e, &len);
	if ((d = proto_event_decode(buf, len, err, sizeof(err))) == NULL)
		fail_msg("%s", err);
	assert_int_equal(d->job_kind, CERTFLEET__JOB_KIND__JOB_KIND_ISSUE_ORDER);
	assert_string_equal(proto_job_kind_name(d->job_kind), "issue_order");
	proto_event_free(d);
	free(buf);

	e.job_kind = CERTFLEET__JOB_KIND__JOB_KIND_ARI_CHECK;
	buf = proto_event_encode(&e, &len);
	assert_null(proto_event_decode(buf, len, err, sizeof(err)));
	assert_string_equal(err, "order_created event cannot answer a job of "
	    "kind ari_check");
	free(buf);
}

/* account_registered: the result of register_account when job_kind is
 * unset, and a progress event of any kind of job that registered its
 * account again. */
static void
test_event_account_registered_any_job(void **state)
{
	static const Certfleet__JobKind kinds[] = {
		CERTFLEET__JOB_KIND__JOB_KIND_UNSPECIFIED,
		CERTFLEET__JOB_KIND__JOB_KIND_REGISTER_ACCOUNT,
		CERTFLEET__JOB_KIND__JOB_KIND_ISSUE_ORDER,
		CERTFLEET__JOB_KIND__JOB_KIND_CA_ACTION,
	};
	Certfleet__Event e, *d;
	Certfleet__AccountRegistered ar = CERTFLEET__ACCOUNT_REGISTERED__INIT;
	char err[256];
	size_t i, len;
	void *buf;

	(void)state;
	certfleet__event__init(&e);
	ar.account_id = "acct-1";
	ar.account_url = "https://127.0.0.1/my-account/7";
	e.schema_version = PROTO_SCHEMA_VERSION;
	e.job_id = "job-1";
	e.attempt = 2;
	e.trace_id = "t";
	e.kind_case = CERTFLEET__EVENT__KIND_ACCOUNT_REGISTERED;
	e.account_registered = &ar;
	for (i = 0; i < sizeof(kinds) / sizeof(*kinds); i++) {
		e.job_kind = kinds[i];
		buf = proto_event_encode(&e, &len);
		if ((d = proto_event_decode(buf, len, err, sizeof(err))) == NULL)
			fail_msg("job kind %d: %s", (int)kinds[i], err);
		assert_int_equal(d->job_kind, kinds[i] ==
		    CERTFLEET__JOB_KIND__JOB_KIND_UNSPECIFIED ?
		    CERTFLEET__JOB_KIND__JOB_KIND_REGISTER_ACCOUNT : kinds[i]);
		assert_string_equal(d->account_registered->account_url,
		    ar.account_url);
		proto_event_free(d);
		free(buf);
	}
	ar.account_url = "not a url";	/* the URL is still checked */
	e.job_kind = CERTFLEET__JOB_KIND__JOB_KIND_CA_ACTION;
	buf = proto_event_encode(&e, &len);
	assert_null(proto_event_decode(buf, len, err, sizeof(err)));
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_job_roundtrip),
		cmocka_unit_test(test_job_refusals),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_event_roundtrip_and_refusal),
		cmocka_unit_test(test_event_job_kind),
		cmocka_unit_test(test_event_account_registered_any_job),
		cmocka_unit_test(test_event_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
