/* test_codec_ari.c -- unit tests of proto/codec for ARI re-checks: ari_check jobs, ari_window events, CertificateIssued.ari_next. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codec.h"

/* A valid ari_check job; tests break one field at a time. */
static void
job_init(Certfleet__Job *j, Certfleet__AriCheck *a, Certfleet__CaRef *ca)
{
	certfleet__job__init(j);
	certfleet__ari_check__init(a);
	certfleet__ca_ref__init(ca);
	ca->name = "pebble-new";
	ca->directory_url = "https://127.0.0.1:18015/dir";
	a->ca = ca;
	a->certificate_id = "cert-1";
	a->issued_certificate_id = "ic-1";
	/* RFC 9773 appendix A's example CertID */
	a->cert_id = "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE";
	j->schema_version = PROTO_SCHEMA_VERSION;
	j->job_id = "job-1";
	j->attempt = 1;
	j->trace_id = "trace-1";
	j->kind_case = CERTFLEET__JOB__KIND_ARI_CHECK;
	j->ari_check = a;
}

static void
expect_job_refused(const Certfleet__Job *j, const char *why)
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
test_ari_check_roundtrip(void **state)
{
	Certfleet__Job j, *d;
	Certfleet__AriCheck a;
	Certfleet__CaRef ca;
	char err[256];
	size_t len;
	void *buf;

	(void)state;
	job_init(&j, &a, &ca);
	assert_non_null(buf = proto_job_encode(&j, &len));
	assert_non_null(d = proto_job_decode(buf, len, err, sizeof(err)));
	assert_int_equal(d->kind_case, CERTFLEET__JOB__KIND_ARI_CHECK);
	assert_string_equal(d->ari_check->ca->name, "pebble-new");
	assert_string_equal(d->ari_check->certificate_id, "cert-1");
	assert_string_equal(d->ari_check->issued_certificate_id, "ic-1");
	assert_string_equal(d->ari_check->cert_id,
	    "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
	proto_job_free(d);
	free(buf);
}

static void
test_ari_check_refusals(void **state)
{
	Certfleet__Job j;
	Certfleet__AriCheck a;
	Certfleet__CaRef ca;
	static const char *const bad_certids[] = {
		"", "nodot", ".AIdlQyE", "aYhba4dGQEHhs3uEe6CuLN4ByNQ.",
		"a.b.c", "a+b.c", "a.b/c", "a b.c",
	};
	size_t i;

	(void)state;
	job_init(&j, &a, &ca);
	a.ca = NULL;
	expect_job_refused(&j, "no CA name");
	job_init(&j, &a, &ca);
	ca.directory_url = "http://127.0.0.1/dir";
	expect_job_refused(&j, "not an https URL");
	job_init(&j, &a, &ca);
	a.certificate_id = "";
	expect_job_refused(&j, "ari_check lacks");
	job_init(&j, &a, &ca);
	a.issued_certificate_id = "with space";
	expect_job_refused(&j, "ari_check lacks");
	for (i = 0; i < sizeof(bad_certids) / sizeof(*bad_certids); i++) {
		job_init(&j, &a, &ca);
		a.cert_id = (char *)bad_certids[i];
		expect_job_refused(&j, "ari_check lacks");
	}
}

static void
event_init(Certfleet__Event *e, Certfleet__AriWindow *w)
{
	certfleet__event__init(e);
	certfleet__ari_window__init(w);
	w->issued_certificate_id = "ic-1";
	w->window_start_unix_ms = 1700000000000;
	w->window_end_unix_ms = 1700086400000;
	w->explanation_url = "https://ca.example/why";
	w->next_check_unix_ms = 1700021600000;
	e->schema_version = PROTO_SCHEMA_VERSION;
	e->job_id = "job-1";
	e->attempt = 1;
	e->trace_id = "trace-1";
	e->worker_id = "w-1";
	e->kind_case = CERTFLEET__EVENT__KIND_ARI_WINDOW;
	e->ari_window = w;
}

/* Encodes e; expects it decoded (ok) or refused naming ari_window. */
static void
expect_event(const Certfleet__Event *e, int ok)
{
	Certfleet__Event *d;
	char err[256] = "";
	size_t len;
	void *buf = proto_event_encode(e, &len);

	assert_non_null(buf);
	d = proto_event_decode(buf, len, err, sizeof(err));
	if (ok) {
		if (d == NULL)
			fail_msg("refused: %s", err);
	} else {
		assert_null(d);
		if (strstr(err, proto_event_kind_name(e)) == NULL)
			fail_msg("reason \"%s\" lacks the kind", err);
	}
	proto_event_free(d);
	free(buf);
}

static void
test_ari_window(void **state)
{
	Certfleet__Event e, *d;
	Certfleet__AriWindow w;
	char err[256];
	size_t len;
	void *buf;

	(void)state;
	event_init(&e, &w);
	assert_string_equal(proto_event_kind_name(&e), "ari_window");
	assert_non_null(buf = proto_event_encode(&e, &len));
	assert_non_null(d = proto_event_decode(buf, len, err, sizeof(err)));
	assert_int_equal(d->kind_case, CERTFLEET__EVENT__KIND_ARI_WINDOW);
	assert_string_equal(d->ari_window->issued_certificate_id, "ic-1");
	assert_true(d->ari_window->window_start_unix_ms == 1700000000000);
	assert_true(d->ari_window->window_end_unix_ms == 1700086400000);
	assert_true(d->ari_window->next_check_unix_ms == 1700021600000);
	assert_string_equal(d->ari_window->explanation_url,
	    "https://ca.example/why");
	proto_event_free(d);
	free(buf);

	event_init(&e, &w);
	w.explanation_url = "";
	expect_event(&e, 1);
	event_init(&e, &w);
	w.explanation_url = "javascript:alert(1)";
	expect_event(&e, 0);
	event_init(&e, &w);
	w.issued_certificate_id = "";
	expect_event(&e, 0);
	event_init(&e, &w);
	w.window_start_unix_ms = 0;
	expect_event(&e, 0);
	event_init(&e, &w);
	w.window_end_unix_ms = w.window_start_unix_ms;
	expect_event(&e, 0);
	event_init(&e, &w);
	w.next_check_unix_ms = 0;
	expect_event(&e, 0);
}

static void
test_issued_ari_next(void **state)
{
	Certfleet__Event e, *d;
	Certfleet__CertificateIssued ci = CERTFLEET__CERTIFICATE_ISSUED__INIT;
	char err[256];
	size_t len;
	void *buf;

	(void)state;
	certfleet__event__init(&e);
	e.schema_version = PROTO_SCHEMA_VERSION;
	e.job_id = "job-1";
	e.attempt = 1;
	e.trace_id = "trace-1";
	e.kind_case = CERTFLEET__EVENT__KIND_CERTIFICATE_ISSUED;
	e.certificate_issued = &ci;
	ci.order_url = "https://ca.example/order/1";
	ci.fullchain_pem = "-----BEGIN CERTIFICATE-----\n";
	ci.ari_window_start_unix_ms = 1700000000000;
	ci.ari_window_end_unix_ms = 1700086400000;
	ci.ari_next_unix_ms = 1700021600000;
	assert_non_null(buf = proto_event_encode(&e, &len));
	assert_non_null(d = proto_event_decode(buf, len, err, sizeof(err)));
	assert_true(d->certificate_issued->ari_next_unix_ms == 1700021600000);
	proto_event_free(d);
	free(buf);
	ci.ari_next_unix_ms = -1;
	expect_event(&e, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ari_check_roundtrip),
		cmocka_unit_test(test_ari_check_refusals),
		cmocka_unit_test(test_ari_window),
		cmocka_unit_test(test_issued_ari_next),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
