/* test_order_claim.c -- integration test of the order claim in the worker's challenge store (challenge_store.h) on the stack's Redis, as the workers' ACL user: one owner at a time, its own claim taken over, the URL that replaces it (queued, written by a flush), release, TTL, Redis down. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "challenge_store.h"
#include "redisconn.h"
#include "rediskeys.h"

#define URL "https://127.0.0.1:14000/my-order/abc"
#define OUT_MAX 512

static char job[64];

static struct chstore *
store(void)
{
	const char *url = getenv("CERTFLEET_REDIS_URL_WORKER");
	const char *db = getenv("CERTFLEET_REDIS_CHALLENGE_DB");
	struct chstore *cs;

	if (url == NULL || url[0] == '\0')
		fail_msg("CERTFLEET_REDIS_URL_WORKER is not set: run under "
		    "tests/integration/with-env");
	assert_non_null(cs = chstore_new(url, db != NULL ? atoi(db) : 0));
	return cs;
}

/* The TTL of the job's key in seconds (-2: no key), as the admin. */
static long long
ttl(void)
{
	char err[256];
	redisContext *c;
	redisReply *r;
	const char *db = getenv("CERTFLEET_REDIS_CHALLENGE_DB");
	long long t;

	if ((c = redisconn_open(getenv("REDIS_URL"), db != NULL ? atoi(db) : 0,
	    3000, err, sizeof(err))) == NULL)
		fail_msg("redis: %s", err);
	r = redisCommand(c, "TTL " REDISKEYS_ORDER_PREFIX "%s", job);
	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_INTEGER);
	t = r->integer;
	freeReplyObject(r);
	redisFree(c);
	return t;
}

/* chstore_order_claim of the test's job for owner, into out (OUT_MAX). */
static int
claim(struct chstore *cs, const char *owner, char *out)
{
	char err[256];

	return chstore_order_claim(cs, job, owner, out, OUT_MAX, err,
	    sizeof(err));
}

static int
setup(void **state)
{
	(void)state;
	snprintf(job, sizeof(job), "claim-test-%ld-%d", (long)getpid(),
	    rand());
	return 0;
}

/* One owner at a time; the other is told who holds it; the claim ends
 * with its TTL. */
static void
test_one_owner(void **state)
{
	struct chstore *cs = store();
	char out[OUT_MAX];

	(void)state;
	assert_int_equal(claim(cs, "w1", out), CHSTORE_CLAIMED);
	assert_in_range(ttl(), 1, REDISKEYS_ORDER_CLAIM_TTL);
	assert_int_equal(claim(cs, "w2", out), CHSTORE_BUSY);
	assert_string_equal(out, "w1");
	/* w1 again (a worker of that id restarted after a crash) */
	assert_int_equal(claim(cs, "w1", out), CHSTORE_CLAIMED);
	/* w2's release leaves w1's claim; w1's ends it */
	chstore_order_release(cs, job, "w2");
	assert_int_equal(claim(cs, "w2", out), CHSTORE_BUSY);
	chstore_order_release(cs, job, "w1");
	assert_int_equal(ttl(), -2);
	assert_int_equal(claim(cs, "w2", out), CHSTORE_CLAIMED);
	chstore_order_release(cs, job, "w2");
	chstore_free(cs);
}

/* The order's URL replaces the claim: every worker resumes it, and a
 * release no longer deletes anything. The memo is queued: it goes out
 * ahead of the store's next command, or at the end of the worker's turn
 * (chstore_flush). */
static void
test_url_replaces_claim(void **state)
{
	struct chstore *cs = store(), *other = store();
	char out[OUT_MAX], err[256];
	int waited;

	(void)state;
	assert_int_equal(claim(cs, "w1", out), CHSTORE_CLAIMED);
	assert_int_equal(chstore_order_put(cs, job, URL, err, sizeof(err)), 0);
	assert_int_equal(claim(cs, "w2", out), CHSTORE_RESUME);
	assert_string_equal(out, URL);
	assert_true(ttl() > REDISKEYS_ORDER_CLAIM_TTL);
	chstore_order_release(cs, job, "w1");
	assert_int_equal(claim(other, "w2", out), CHSTORE_RESUME);
	assert_string_equal(out, URL);
	assert_int_equal(claim(cs, "w1", out), CHSTORE_RESUME);
	assert_string_equal(out, URL);
	/* a flush alone writes it: another job's memo, seen by the admin */
	snprintf(job + strlen(job), sizeof(job) - strlen(job), "-2");
	assert_int_equal(chstore_order_put(other, job, URL, err, sizeof(err)),
	    0);
	chstore_flush(other);
	for (waited = 0; waited < 2000 && ttl() == -2; waited += 10)
		usleep(10000);
	assert_true(ttl() > REDISKEYS_ORDER_CLAIM_TTL);
	chstore_free(other);
	chstore_free(cs);
}

/* A job id outside the key's charset, and Redis down: an error, nothing
 * claimed. */
static void
test_errors(void **state)
{
	struct chstore *cs = store(), *down;
	char out[OUT_MAX], err[256];

	(void)state;
	assert_int_equal(chstore_order_claim(cs, "bad id:*", "w1", out,
	    sizeof(out), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "refusing"));
	chstore_free(cs);
	/* port 1 on loopback: nothing listens */
	assert_non_null(down = chstore_new("redis://127.0.0.1:1", 0));
	assert_int_equal(chstore_order_claim(down, job, "w1", out, sizeof(out),
	    err, sizeof(err)), -1);
	assert_true(err[0] != '\0');
	chstore_order_release(down, job, "w1");	/* no crash, no effect */
	chstore_free(down);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_one_owner, setup),
		cmocka_unit_test_setup(test_url_replaces_claim, setup),
		cmocka_unit_test_setup(test_errors, setup),
	};

	srand((unsigned)getpid());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
