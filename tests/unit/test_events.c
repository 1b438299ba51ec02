/* test_events.c -- unit tests of the worker's events producer: its settings as librdkafka holds them, and its partition. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "events.h"

static void
delivered(void *opaque, int ok, const char *err)
{
	(void)opaque;
	(void)ok;
	(void)err;
}

/* The producer is made, never connected: nothing listens on port 9 and
 * nothing is produced. */
static struct events *
events_made(void)
{
	struct events *ev;
	char err[256] = "";

	ev = events_new("127.0.0.1:9", "unit-worker", NULL, delivered, err,
	    sizeof(err));
	if (ev == NULL)
		fail_msg("events_new: %s", err);
	return ev;
}

/* The partitioner is added to the default topic configuration, not put in
 * a new one: the topic-level settings events_new makes survive it (a new
 * one dropped message.timeout.ms 0, so a result could be given up after
 * librdkafka's default 300 s of a broker away). */
static void
test_settings_kept(void **state)
{
	struct events *ev = events_made();
	char v[64];

	(void)state;
	assert_int_equal(events_conf_get(ev, "message.timeout.ms", v,
	    sizeof(v)), 0);
	assert_string_equal(v, "0");
	assert_int_equal(events_conf_get(ev, "acks", v, sizeof(v)), 0);
	assert_string_equal(v, "-1");
	assert_int_equal(events_conf_get(ev, "linger.ms", v, sizeof(v)), 0);
	assert_string_equal(v, EVENTS_LINGER_MS);
	assert_int_equal(events_conf_get(ev, "enable.idempotence", v,
	    sizeof(v)), 0);
	assert_string_equal(v, "true");
	assert_int_equal(events_conf_get(ev, "no.such.property", v,
	    sizeof(v)), -1);
	events_free(ev, 0);
}

/* One worker's partition is fixed and in range; many workers cover every
 * partition of a topic. */
static void
test_home_partition(void **state)
{
	int seen[6] = { 0 };
	char id[32];
	int32_t p;
	int i, covered = 0;

	(void)state;
	assert_int_equal(events_home_partition("worker-1", 0), -1);
	assert_int_equal(events_home_partition("worker-1", 1), 0);
	assert_int_equal(events_home_partition("worker-1", 6),
	    events_home_partition("worker-1", 6));
	for (i = 0; i < 64; i++) {
		snprintf(id, sizeof(id), "worker-%d", i);
		p = events_home_partition(id, 6);
		assert_true(p >= 0 && p < 6);
		seen[p]++;
	}
	for (i = 0; i < 6; i++)
		covered += seen[i] > 0;
	assert_int_equal(covered, 6);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settings_kept),
		cmocka_unit_test(test_home_partition),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
