/* test_bgthread.c -- unit tests of background threads: the name and nice value the thread takes, a stop that cuts a long wait short, a thread never started. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "bgthread.h"

/* What the thread saw of itself. */
struct seen {
	struct bgthread	t;
	char		name[16];
	int		nice;
	int		ended;
};

/* Records its name and nice value, then waits an hour at a time until it
 * is stopped. */
static void *
seen_main(void *arg)
{
	struct seen *s = arg;

	prctl(PR_GET_NAME, s->name, 0, 0, 0);
	errno = 0;
	s->nice = getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid));
	while (!bgthread_wait(&s->t, 3600 * 1000))
		;	/* a spurious wake-up: wait again */
	s->ended = 1;
	return NULL;
}

/* The thread is named, nicer than the process, and a stop ends an hour's
 * wait (else the test runs into its timeout): bgthread_stop returns only
 * after the thread's function did. */
static void
test_name_nice_stop(void **state)
{
	struct seen s;
	int base;

	(void)state;
	memset(&s, 0, sizeof(s));
	base = getpriority(PRIO_PROCESS, 0);
	assert_int_equal(bgthread_start(&s.t, "bgtest", 3, seen_main, &s), 0);
	usleep(50 * 1000);	/* lets it reach its wait; not needed for the checks */
	bgthread_stop(&s.t);
	assert_int_equal(s.ended, 1);
	assert_string_equal(s.name, "bgtest");
	assert_int_equal(s.nice, base + 3 > 19 ? 19 : base + 3);
	assert_int_equal(s.t.running, 0);
	bgthread_stop(&s.t);	/* twice is fine */
}

/* A thread never started is stopped as a no-op. */
static void
test_never_started(void **state)
{
	struct bgthread t;

	(void)state;
	memset(&t, 0, sizeof(t));
	bgthread_stop(&t);
	assert_int_equal(t.running, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_nice_stop),
		cmocka_unit_test(test_never_started),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
