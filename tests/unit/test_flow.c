/* test_flow.c -- unit tests of flow control per CA without services: pacing and gate settings, the cap's room, final problems, the retry schedule and its jitter. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acme.h"
#include "retrysched.h"
#include "cas.h"
#include "flow.h"
#include "pace.h"

/* A fake environment: "NAME=value" pairs. */
static const char *
fake_env(void *arg, const char *name)
{
	const char *const *kv = arg;
	size_t n = strlen(name);

	for (; *kv != NULL; kv++)
		if (strncmp(*kv, name, n) == 0 && (*kv)[n] == '=')
			return *kv + n + 1;
	return NULL;
}

static void
test_pace_defaults_are_lets_encrypts(void **state)
{
	struct pace_conf c;
	const char *env[] = { NULL };
	char err[256];

	(void)state;
	assert_int_equal(pace_conf_read(&c, "le", fake_env, env, err,
	    sizeof(err)), 0);
	assert_true(c.ep[PACE_NEW_ORDER].rate == 300 &&
	    c.ep[PACE_NEW_ORDER].burst == 200);
	assert_true(c.ep[PACE_NEW_NONCE].rate == 20 &&
	    c.ep[PACE_NEW_NONCE].burst == 10);
	assert_true(c.ep[PACE_NEW_ACCOUNT].rate == 5 &&
	    c.ep[PACE_NEW_ACCOUNT].burst == 15);
	assert_true(c.ep[PACE_REVOKE_CERT].rate == 10);
	assert_true(c.ep[PACE_RENEWAL_INFO].rate == 1000);
	assert_true(c.ep[PACE_ACME].rate == 250 && c.ep[PACE_ACME].burst == 125);
	/* the classes LE counts under /acme/... share its bucket */
	assert_true(c.ep[PACE_CHALLENGE].rate == 0);
	assert_true(pace_ep_in_acme(PACE_CHALLENGE) && pace_ep_in_acme(PACE_POLL) &&
	    pace_ep_in_acme(PACE_FINALIZE) && pace_ep_in_acme(PACE_OTHER));
	assert_false(pace_ep_in_acme(PACE_NEW_ORDER));
	assert_string_equal(pace_ep_name(PACE_NEW_ORDER), "newOrder");
}

static void
test_pace_settings(void **state)
{
	struct pace_conf c;
	const char *env[] = { "CERTFLEET_CA_MY_CA_PACE_NEW_ORDER=12.5:40",
	    "CERTFLEET_CA_MY_CA_PACE_POLL=7", "CERTFLEET_CA_MY_CA_PACE_ACME=0",
	    NULL };
	char err[256];

	(void)state;
	assert_int_equal(pace_conf_read(&c, "my-ca", fake_env, env, err,
	    sizeof(err)), 0);
	assert_true(c.ep[PACE_NEW_ORDER].rate == 12.5 &&
	    c.ep[PACE_NEW_ORDER].burst == 40);
	assert_true(c.ep[PACE_POLL].rate == 7 && c.ep[PACE_POLL].burst == 7);
	assert_true(c.ep[PACE_ACME].rate == 0 && c.ep[PACE_ACME].burst == 0);
}

static void
test_pace_bad_settings(void **state)
{
	static const char *const bad[] = { "x", "-1", "1:0", "1:2.5", "1e9",
	    "5:", ":5", "1:2:3", "300/s" };
	const char *env[2] = { NULL, NULL };
	struct pace_conf c;
	char err[256], kv[80];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(kv, sizeof(kv), "CERTFLEET_CA_B_PACE_FINALIZE=%s", bad[i]);
		env[0] = kv;
		assert_int_equal(pace_conf_read(&c, "b", fake_env, (void *)env, err,
		    sizeof(err)), -1);
		assert_non_null(strstr(err, "CERTFLEET_CA_B_PACE_FINALIZE"));
	}
}

static void
test_gate_setting(void **state)
{
	static const char *const bad[] = { "2", "yes", "on", "-1", "01", " 1" };
	const char *on[] = { "CERTFLEET_CA_MY_CA_GATE_NEW_ORDER=1", NULL };
	const char *off[] = { "CERTFLEET_CA_MY_CA_GATE_NEW_ORDER=0", NULL };
	const char *none[] = { NULL };
	const char *env[2] = { NULL, NULL };
	struct pace_conf c;
	char err[256], kv[80];
	size_t i;

	(void)state;
	/* off unless set: only the stack's Pebbles need it */
	assert_int_equal(pace_conf_read(&c, "my-ca", fake_env, none, err,
	    sizeof(err)), 0);
	assert_int_equal(c.gate_new_order, 0);
	assert_int_equal(pace_conf_read(&c, "my-ca", fake_env, on, err,
	    sizeof(err)), 0);
	assert_int_equal(c.gate_new_order, 1);
	assert_int_equal(pace_conf_read(&c, "my-ca", fake_env, off, err,
	    sizeof(err)), 0);
	assert_int_equal(c.gate_new_order, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(kv, sizeof(kv), "CERTFLEET_CA_B_GATE_NEW_ORDER=%s",
		    bad[i]);
		env[0] = kv;
		assert_int_equal(pace_conf_read(&c, "b", fake_env, (void *)env,
		    err, sizeof(err)), -1);
		assert_non_null(strstr(err, "CERTFLEET_CA_B_GATE_NEW_ORDER"));
	}
}

static void
test_cap_setting(void **state)
{
	const char *env[] = { "ACME_DIRECTORY=https://ca.test/dir",
	    "CERTFLEET_CA_NAME=capped", "CERTFLEET_CAS=free",
	    "CERTFLEET_CA_FREE_DIRECTORY=https://free.test/dir",
	    "CERTFLEET_CA_FREE_MAX_IN_FLIGHT=0", NULL };
	const char *bad[] = { "ACME_DIRECTORY=https://ca.test/dir",
	    "CERTFLEET_CA_PEBBLE_MAX_IN_FLIGHT=lots", NULL };
	struct cas_conf c;
	char err[256];

	(void)state;
	assert_int_equal(cas_parse(&c, fake_env, env, err, sizeof(err)), 0);
	assert_int_equal(cas_find(&c, "capped")->max_in_flight,
	    CAS_DEF_MAX_IN_FLIGHT);
	assert_int_equal(cas_find(&c, "free")->max_in_flight, 0);
	assert_int_equal(cas_parse(&c, fake_env, bad, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "CERTFLEET_CA_PEBBLE_MAX_IN_FLIGHT"));
}

static void
test_flow_room(void **state)
{
	struct cas_conf cas;
	struct flow f;
	char *lit, *names, *rooms;
	int i;

	(void)state;
	memset(&cas, 0, sizeof(cas));
	snprintf(cas.ca[0].name, sizeof(cas.ca[0].name), "a");
	snprintf(cas.ca[1].name, sizeof(cas.ca[1].name), "b");
	snprintf(cas.ca[2].name, sizeof(cas.ca[2].name), "c");
	cas.n = 3;
	memset(&f, 0, sizeof(f));
	f.n = 3;
	f.ca[0] = (struct flow_ca){ &cas.ca[0], 8, 2, 0, 0 };	/* cap 10 */
	f.ca[1] = (struct flow_ca){ &cas.ca[1], 0, 0, 1, 0 };	/* open */
	f.ca[2] = (struct flow_ca){ &cas.ca[2], 50, -1, 0, 1 };	/* no cap, a
								 * scope held */
	/* what the relay's select reads: a up to its room, c up to a batch */
	assert_int_equal(flow_rooms(&f, 500, &names, &rooms), 0);
	assert_string_equal(names, "{\"a\",\"c\"}");
	assert_string_equal(rooms, "{2,500}");
	free(names);
	free(rooms);
	for (i = 0; i < 2; i++)
		assert_int_equal(flow_take(&f, "a"), 1);
	assert_int_equal(flow_take(&f, "a"), 0);	/* at its cap */
	assert_int_equal(flow_take(&f, "b"), 0);	/* breaker open */
	for (i = 0; i < 1000; i++)
		assert_int_equal(flow_take(&f, "c"), 1);
	assert_int_equal(flow_take(&f, "not-configured"), 1);
	/* only c's orders go through budget_admit for its holds */
	assert_int_equal(flow_held(&f, "a"), 0);
	assert_int_equal(flow_held(&f, "c"), 1);
	assert_int_equal(flow_held(&f, "not-configured"), 0);
	lit = flow_open(&f);
	assert_string_equal(lit, "{\"b\"}");
	free(lit);
	/* once a is full, only c has room */
	assert_int_equal(flow_rooms(&f, 500, &names, &rooms), 0);
	assert_string_equal(names, "{\"c\"}");
	assert_string_equal(rooms, "{500}");
	free(names);
	free(rooms);
}

static Certfleet__Problem *
problem(const char *type, Certfleet__Problem **subs, size_t nsubs)
{
	static Certfleet__Problem p;

	certfleet__problem__init(&p);
	p.type = (char *)(uintptr_t)type;
	p.subproblems = subs;
	p.n_subproblems = nsubs;
	return &p;
}

static void
test_final_problems(void **state)
{
	static const char *const final[] = { "rejectedIdentifier",
	    "unauthorized", "caa", "badCSR", "badRevocationReason",
	    "badPublicKey", "badSignatureAlgorithm", "externalAccountRequired",
	    "incorrectResponse", "invalidContact", "malformed",
	    "unsupportedContact", "unsupportedIdentifier", "userActionRequired" };
	static const char *const transient[] = { "badNonce", "serverInternal",
	    "connection", "dns", "tls", "rateLimited", "orderNotReady",
	    "accountDoesNotExist", "alreadyRevoked" };
	Certfleet__Problem s1, s2, *subs[2] = { &s1, &s2 };
	char t[96];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(final) / sizeof(final[0]); i++) {
		snprintf(t, sizeof(t), "urn:ietf:params:acme:error:%s", final[i]);
		assert_true(acme_problem_final(t));
		/* the worker's retryable flag does not matter for them */
		assert_true(retrysched_final(problem(t, NULL, 0), 1));
	}
	for (i = 0; i < sizeof(transient) / sizeof(transient[0]); i++) {
		snprintf(t, sizeof(t), "urn:ietf:params:acme:error:%s",
		    transient[i]);
		assert_false(acme_problem_final(t));
		assert_false(retrysched_final(problem(t, NULL, 0), 0));
	}
	/* compound: final only when every subproblem is */
	certfleet__problem__init(&s1);
	certfleet__problem__init(&s2);
	s1.type = "urn:ietf:params:acme:error:caa";
	s2.type = "urn:ietf:params:acme:error:dns";
	assert_false(retrysched_final(problem("urn:ietf:params:acme:error:compound",
	    subs, 2), 0));
	s2.type = "urn:ietf:params:acme:error:rejectedIdentifier";
	assert_true(retrysched_final(problem("urn:ietf:params:acme:error:compound",
	    subs, 2), 1));
	/* certfleet's own: as the worker said */
	assert_true(retrysched_final(problem(PROTO_PROBLEM_CONFIG, NULL, 0), 0));
	assert_false(retrysched_final(problem("urn:certfleet:error:worker", NULL, 0),
	    1));
	assert_false(retrysched_final(problem(PROTO_PROBLEM_CA_UNAVAILABLE, NULL, 0),
	    1));
	/* every final ACME problem says what to change */
	assert_non_null(strstr(retrysched_hint(
	    "urn:ietf:params:acme:error:caa"), "CAA"));
	assert_non_null(strstr(retrysched_hint(
	    "urn:ietf:params:acme:error:rejectedIdentifier"), "--ca"));
	assert_string_equal(retrysched_hint(PROTO_PROBLEM_CONFIG), "");
}

/* the transient failures' schedule, as settings.c parses it */
#define PARSE(spec) retrysched_parse(RETRYSCHED_ENV, RETRYSCHED_DEFAULT, \
	(spec), &b, err, sizeof(err))

static void
test_backoff_schedule(void **state)
{
	struct retrysched b;
	char err[256];
	double d;
	int i;

	(void)state;
	assert_int_equal(PARSE(RETRYSCHED_DEFAULT), 0);
	/* a minute, ten, a hundred, then daily (Let's Encrypt) */
	assert_true(retrysched_step(&b, 1) == 60 && retrysched_step(&b, 2) == 600 &&
	    retrysched_step(&b, 3) == 6000 && retrysched_step(&b, 4) == 86400 &&
	    retrysched_step(&b, 50) == 86400);
	for (i = 0; i < 1000; i++) {
		d = retrysched_delay(&b, 2);
		assert_true(d >= 600 * (1 - RETRYSCHED_JITTER) &&
		    d <= 600 * (1 + RETRYSCHED_JITTER));
	}
	assert_int_equal(PARSE("5"), 0);
	assert_true(retrysched_step(&b, 9) == 5);
	assert_int_equal(PARSE(""), -1);
	assert_int_equal(PARSE("0"), -1);
	assert_int_equal(PARSE("60,"), -1);
	assert_int_equal(PARSE("60;600"), -1);
	assert_int_equal(PARSE("999999999"), -1);
	assert_non_null(strstr(err, RETRYSCHED_ENV));
	/* the schedule that was there stays */
	assert_true(retrysched_step(&b, 1) == 5);
	/* renewals refused for good: an hour, six, then daily; a bad value
	 * names its own variable and default */
	assert_int_equal(retrysched_parse(RETRYSCHED_RENEW_ENV,
	    RETRYSCHED_RENEW_DEFAULT, RETRYSCHED_RENEW_DEFAULT, &b, err,
	    sizeof(err)), 0);
	assert_true(retrysched_step(&b, 1) == 3600 &&
	    retrysched_step(&b, 2) == 21600 && retrysched_step(&b, 3) == 86400 &&
	    retrysched_step(&b, 40) == 86400);
	assert_int_equal(retrysched_parse(RETRYSCHED_RENEW_ENV,
	    RETRYSCHED_RENEW_DEFAULT, "hourly", &b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, RETRYSCHED_RENEW_ENV " must be"));
	assert_non_null(strstr(err, RETRYSCHED_RENEW_DEFAULT));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pace_defaults_are_lets_encrypts),
		cmocka_unit_test(test_pace_settings),
		cmocka_unit_test(test_pace_bad_settings),
		cmocka_unit_test(test_gate_setting),
		cmocka_unit_test(test_cap_setting),
		cmocka_unit_test(test_flow_room),
		cmocka_unit_test(test_final_problems),
		cmocka_unit_test(test_backoff_schedule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
