/* test_gate.c -- integration test of the CA's gate on the stack's Redis: two workers' pacers never hold both sides, the waiting side's turn, leases given back at the end of a turn, a crashed holder's lease expires, stale waits, Redis down, a connection Redis closed (with releases queued on it), and two processes hammering it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "gate.h"
#include "pacer.h"
#include "redisconn.h"

#define DIR_URL		"https://gate.test/dir"

static const char *redis_url;
static char ca[48], CA_ENV[96];

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A worker's pacer that knows the test's gated CA. */
static struct pacer *
worker(void)
{
	struct pacer *p = pacer_new(redis_url, 0);

	assert_non_null(p);
	pacer_learn(p, DIR_URL, ca);
	return p;
}

static redisContext *
admin(void)
{
	char err[256];
	redisContext *c = redisconn_open(redis_url, 0, 2000, err, sizeof(err));

	if (c == NULL)
		fail_msg("redis: %s", err);
	return c;
}

/* A CA name of its own for each test: no state carried over. */
static int
setup(void **state)
{
	static int n;

	(void)state;
	snprintf(ca, sizeof(ca), "gate%ld-%d", (long)getpid(), ++n);
	snprintf(CA_ENV, sizeof(CA_ENV), "CERTFLEET_CA_GATE%ld_%d_GATE_NEW_ORDER",
	    (long)getpid(), n);
	setenv(CA_ENV, "1", 1);
	return 0;
}

/* Enters side, asserting it gets in. Returns the lease. */
static uint64_t
in(struct pacer *p, enum acme_gate side)
{
	uint64_t lease = 0;

	assert_int_equal(pacer_enter(p, DIR_URL, side, &lease), 0);
	assert_true(lease != 0);
	return lease;
}

/* Gives lease of side back and waits until Redis applied it (the worker
 * only flushes at the end of its turn: test_leave_queued). */
static void
leave(struct pacer *p, enum acme_gate side, uint64_t lease)
{
	pacer_leave(p, DIR_URL, side, lease);
	pacer_sync(p);
}

/* Asserts side is kept out, told to ask again soon. */
static void
out(struct pacer *p, enum acme_gate side)
{
	uint64_t lease = 7;
	long ms = pacer_enter(p, DIR_URL, side, &lease);

	assert_true(ms > 0 && ms <= GATE_RETRY_MS);
	assert_true(lease == 0);
}

static void
test_sides_exclude(void **state)
{
	struct pacer *a = worker(), *b = worker();
	uint64_t n1, n2, z;

	(void)state;
	n1 = in(a, ACME_GATE_NEW_ORDER);
	n2 = in(b, ACME_GATE_NEW_ORDER);	/* newOrders overlap */
	out(b, ACME_GATE_AUTHZ);		/* another worker's: out */
	out(a, ACME_GATE_AUTHZ);
	leave(a, ACME_GATE_NEW_ORDER, n1);
	sleep_ms(GATE_RETRY_MS + 5);
	out(a, ACME_GATE_AUTHZ);		/* n2 still holds */
	leave(b, ACME_GATE_NEW_ORDER, n2);
	sleep_ms(GATE_RETRY_MS + 5);
	z = in(a, ACME_GATE_AUTHZ);
	(void)in(b, ACME_GATE_AUTHZ);		/* authz fetches overlap */
	out(b, ACME_GATE_NEW_ORDER);
	leave(a, ACME_GATE_AUTHZ, z);
	pacer_free(a);
	pacer_free(b);
}

static void
test_waiting_side_gets_its_turn(void **state)
{
	struct pacer *a = worker(), *b = worker(), *c = worker();
	uint64_t z;

	(void)state;
	z = in(a, ACME_GATE_AUTHZ);
	out(b, ACME_GATE_NEW_ORDER);		/* newOrder waits from now */
	sleep_ms(GATE_FAIR_MS + 10);
	out(b, ACME_GATE_NEW_ORDER);		/* refreshes its wait */
	out(c, ACME_GATE_AUTHZ);		/* new authz fetches wait now */
	leave(a, ACME_GATE_AUTHZ, z);
	sleep_ms(GATE_RETRY_MS + 5);
	(void)in(b, ACME_GATE_NEW_ORDER);	/* the holder gone: b's turn */
	pacer_free(a);
	pacer_free(b);
	pacer_free(c);
}

static void
test_turn_after_drain(void **state)
{
	struct pacer *a = worker(), *b = worker(), *c = worker();
	uint64_t z, n;

	(void)state;
	z = in(a, ACME_GATE_AUTHZ);
	out(b, ACME_GATE_NEW_ORDER);
	sleep_ms(GATE_FAIR_MS + 10);
	out(b, ACME_GATE_NEW_ORDER);
	out(c, ACME_GATE_AUTHZ);		/* waits since later than b */
	leave(a, ACME_GATE_AUTHZ, z);
	sleep_ms(GATE_RETRY_MS + 5);
	n = in(b, ACME_GATE_NEW_ORDER);		/* b's turn: it waited first */
	sleep_ms(GATE_RETRY_MS + 5);
	out(c, ACME_GATE_AUTHZ);
	leave(b, ACME_GATE_NEW_ORDER, n);
	sleep_ms(GATE_RETRY_MS + 5);
	(void)in(c, ACME_GATE_AUTHZ);		/* then c's */
	pacer_free(a);
	pacer_free(b);
	pacer_free(c);
}

/* As the worker gives leases back: queued, and written with the pacer's
 * next command or at the end of its turn (pacer_flush), never left for
 * the lease's expiry. */
static void
test_leave_queued(void **state)
{
	struct pacer *a = worker(), *b = worker();
	uint64_t z, n;
	long waited;

	(void)state;
	/* with a's next command: its newOrder, after its authz given back */
	z = in(a, ACME_GATE_AUTHZ);
	pacer_leave(a, DIR_URL, ACME_GATE_AUTHZ, z);
	n = in(a, ACME_GATE_NEW_ORDER);
	/* at the end of a's turn: b, kept out, gets in well before the
	 * lease (GATE_LEASE_MS) would have ended */
	out(b, ACME_GATE_AUTHZ);
	pacer_leave(a, DIR_URL, ACME_GATE_NEW_ORDER, n);
	pacer_flush(a);
	for (waited = 0; waited < 2000; waited += GATE_RETRY_MS) {
		uint64_t lease = 0;

		sleep_ms(GATE_RETRY_MS);
		if (pacer_enter(b, DIR_URL, ACME_GATE_AUTHZ, &lease) == 0 &&
		    lease != 0) {
			leave(b, ACME_GATE_AUTHZ, lease);
			break;
		}
	}
	assert_true(waited < 2000);
	pacer_free(a);
	pacer_free(b);
}

static void
test_crashed_lease_expires(void **state)
{
	struct pacer *b = worker();
	redisContext *r = admin();
	redisReply *rep;
	char key[128];
	long long now;

	(void)state;
	/* a worker died holding an authz lease that ends in 300 ms */
	rep = redisCommand(r, "TIME");
	assert_true(rep != NULL && rep->type == REDIS_REPLY_ARRAY);
	now = atoll(rep->element[0]->str) * 1000 +
	    atoll(rep->element[1]->str) / 1000;
	freeReplyObject(rep);
	assert_int_equal(gate_key(key, sizeof(key), ca, "authz"), 0);
	rep = redisCommand(r, "ZADD %s %lld dead", key, now + 300);
	assert_true(rep != NULL && rep->type == REDIS_REPLY_INTEGER);
	freeReplyObject(rep);
	out(b, ACME_GATE_NEW_ORDER);
	sleep_ms(350);
	(void)in(b, ACME_GATE_NEW_ORDER);
	/* and every lease is bounded: GATE_LEASE_MS from now at most */
	rep = redisCommand(r, "ZRANGE %s 0 -1 WITHSCORES", key);
	assert_true(rep != NULL && rep->type == REDIS_REPLY_ARRAY);
	assert_int_equal(rep->elements, 0);
	freeReplyObject(rep);
	assert_int_equal(gate_key(key, sizeof(key), ca, "newOrder"), 0);
	rep = redisCommand(r, "ZRANGE %s 0 -1 WITHSCORES", key);
	assert_true(rep != NULL && rep->elements == 2);
	assert_true(atoll(rep->element[1]->str) <= now + 350 + 1000 +
	    GATE_LEASE_MS);
	freeReplyObject(rep);
	redisFree(r);
	pacer_free(b);
}

static void
test_stale_wait_ignored(void **state)
{
	struct pacer *a = worker(), *b = worker(), *c = worker();
	uint64_t z;

	(void)state;
	z = in(a, ACME_GATE_AUTHZ);
	out(b, ACME_GATE_NEW_ORDER);		/* then b gives up */
	leave(a, ACME_GATE_AUTHZ, z);
	sleep_ms(GATE_FAIR_MS + 10);
	out(c, ACME_GATE_AUTHZ);		/* b's turn, no holder */
	sleep_ms(GATE_WANT_TTL_MS);
	(void)in(c, ACME_GATE_AUTHZ);		/* b's wait went stale */
	pacer_free(a);
	pacer_free(b);
	pacer_free(c);
}

static void
test_ungated(void **state)
{
	struct pacer *a = worker(), *down;
	uint64_t lease = 7;

	(void)state;
	/* another CA (no setting) and a class without a side: no Redis */
	assert_int_equal(pacer_enter(a, "https://other.test/dir",
	    ACME_GATE_NEW_ORDER, &lease), 0);
	assert_true(lease == 0);
	assert_int_equal(pacer_enter(a, DIR_URL, ACME_GATE_NONE, &lease), 0);
	assert_true(lease == 0);
	/* Redis down (nothing listens there): requests go ungated */
	down = pacer_new("redis://127.0.0.1:9", 0);
	assert_non_null(down);
	pacer_learn(down, DIR_URL, ca);
	lease = 7;
	assert_int_equal(pacer_enter(down, DIR_URL, ACME_GATE_AUTHZ, &lease), 0);
	assert_true(lease == 0);
	assert_int_equal(pacer_enter(down, DIR_URL, ACME_GATE_NEW_ORDER,
	    &lease), 0);
	leave(down, ACME_GATE_NEW_ORDER, 5);
	pacer_free(down);
	pacer_free(a);
}

/* The sockets of this process connected where admin connection r is, as
 * a bit set over fds below 1024. */
static void
redis_sockets(const redisContext *r, unsigned char set[128])
{
	struct sockaddr_storage to, peer;
	socklen_t tolen = sizeof(to), len;
	int fd;

	memset(set, 0, 128);
	assert_int_equal(getpeername(r->fd, (struct sockaddr *)&to, &tolen), 0);
	for (fd = 3; fd < 1024; fd++) {
		len = sizeof(peer);
		if (fd != r->fd && getpeername(fd, (struct sockaddr *)&peer,
		    &len) == 0 && len == tolen && memcmp(&peer, &to, len) == 0)
			set[fd / 8] |= (unsigned char)(1u << (fd % 8));
	}
}

/* Has Redis close (CLIENT KILL) the one connection this process opened to
 * it since before (redis_sockets through admin connection r). */
static void
kill_since(redisContext *r, const unsigned char before[128])
{
	unsigned char after[128];
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	redisReply *rep;
	int fd, opened = -1;

	redis_sockets(r, after);
	for (fd = 3; fd < 1024; fd++)
		if ((after[fd / 8] & ~before[fd / 8]) & (1u << (fd % 8)))
			opened = fd;
	assert_true(opened >= 0);
	assert_int_equal(getsockname(opened, (struct sockaddr *)&me, &len), 0);
	rep = redisCommand(r, "CLIENT KILL ADDR 127.0.0.1:%d",
	    ntohs(me.sin_port));
	assert_non_null(rep);
	assert_int_equal(rep->type, REDIS_REPLY_INTEGER);
	assert_int_equal(rep->integer, 1);	/* that connection, closed */
	freeReplyObject(rep);
}

/* Redis closes a pacer's connection (as CLIENT KILL, ACL LOAD or an idle
 * timeout do): its next request opens another at once and is still
 * gated, never let through for PACER_RETRY_S. */
static void
test_killed_connection(void **state)
{
	struct pacer *a = worker(), *b = worker();
	redisContext *r = admin();
	unsigned char before[128];
	uint64_t n;

	(void)state;
	n = in(a, ACME_GATE_NEW_ORDER);
	redis_sockets(r, before);
	out(b, ACME_GATE_AUTHZ);		/* b connects */
	kill_since(r, before);			/* b's connection, closed */
	sleep_ms(GATE_RETRY_MS + 5);		/* past b's own memory */
	out(b, ACME_GATE_AUTHZ);		/* a still holds newOrder */
	leave(a, ACME_GATE_NEW_ORDER, n);
	redisFree(r);
	pacer_free(a);
	pacer_free(b);
}

/* One process: 1.5 s of random entries, each holding its side a random
 * while; holders count themselves on Redis (INCR after entering, DECR
 * before leaving) and look at the other side's count. Exits with the
 * number of overlaps seen (0) or 100 on an error. */
static int
hammer(unsigned seed, long *entries)
{
	struct pacer *p = worker();
	redisContext *r = admin();
	char cnt[2][128];
	uint64_t lease, t0 = (uint64_t)time(NULL);
	redisReply *rep;
	int bad = 0, s;

	srand(seed);
	snprintf(cnt[0], sizeof(cnt[0]), "certfleet:gate:%s:test:n", ca);
	snprintf(cnt[1], sizeof(cnt[1]), "certfleet:gate:%s:test:a", ca);
	while ((uint64_t)time(NULL) < t0 + 2) {
		enum acme_gate side = rand() % 2 ? ACME_GATE_NEW_ORDER :
		    ACME_GATE_AUTHZ;
		long ms = pacer_enter(p, DIR_URL, side, &lease);

		if (ms > 0) {
			sleep_ms(ms);
			continue;
		}
		if (lease == 0)
			return 100;
		s = side == ACME_GATE_AUTHZ;
		rep = redisCommand(r, "INCR %s", cnt[s]);
		freeReplyObject(rep);
		rep = redisCommand(r, "GET %s", cnt[!s]);
		if (rep == NULL)
			return 100;
		if (rep->type == REDIS_REPLY_STRING && atoi(rep->str) != 0)
			bad++;
		freeReplyObject(rep);
		sleep_ms(rand() % 4);
		rep = redisCommand(r, "DECR %s", cnt[s]);
		freeReplyObject(rep);
		leave(p, side, lease);
		(*entries)++;
	}
	redisFree(r);
	pacer_free(p);
	return bad > 99 ? 99 : bad;
}

/* Releases queued on a connection Redis has closed: the flush that finds
 * it gone drops it, and the gate stays on (the next command opens another
 * connection), as for a command; the releases end with their leases. */
static void
test_flush_on_killed_connection(void **state)
{
	struct pacer *a = worker(), *b = worker();
	redisContext *r = admin();
	unsigned char before[128];
	uint64_t n;
	int i;

	(void)state;
	n = in(b, ACME_GATE_NEW_ORDER);
	redis_sockets(r, before);
	out(a, ACME_GATE_AUTHZ);		/* a connects */
	kill_since(r, before);			/* a's connection, closed */
	/* the first write goes out and is answered by a reset; the second
	 * finds the connection gone */
	for (i = 0; i < 3; i++) {
		pacer_leave(a, DIR_URL, ACME_GATE_AUTHZ, 0x5000 + (uint64_t)i);
		pacer_flush(a);
		sleep_ms(5);
	}
	sleep_ms(GATE_RETRY_MS + 5);		/* past a's own memory */
	out(a, ACME_GATE_AUTHZ);		/* gated still: b holds newOrder */
	leave(b, ACME_GATE_NEW_ORDER, n);
	redisFree(r);
	pacer_free(a);
	pacer_free(b);
}

static void
test_two_processes_never_overlap(void **state)
{
	redisContext *r;
	pid_t kid[2];
	long entries = 0;
	int i, st;

	(void)state;
	for (i = 0; i < 2; i++) {
		if ((kid[i] = fork()) == 0)
			_exit(hammer((unsigned)getpid(), &entries) != 0 ||
			    entries < 20 ? 1 : 0);
		assert_true(kid[i] > 0);
	}
	for (i = 0; i < 2; i++) {
		assert_int_equal(waitpid(kid[i], &st, 0), kid[i]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	r = admin();
	freeReplyObject(redisCommand(r, "DEL certfleet:gate:%s:test:n "
	    "certfleet:gate:%s:test:a", ca, ca));
	redisFree(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_sides_exclude, setup),
		cmocka_unit_test_setup(test_waiting_side_gets_its_turn, setup),
		cmocka_unit_test_setup(test_turn_after_drain, setup),
		cmocka_unit_test_setup(test_leave_queued, setup),
		cmocka_unit_test_setup(test_crashed_lease_expires, setup),
		cmocka_unit_test_setup(test_stale_wait_ignored, setup),
		cmocka_unit_test_setup(test_ungated, setup),
		cmocka_unit_test_setup(test_killed_connection, setup),
		cmocka_unit_test_setup(test_flush_on_killed_connection, setup),
		cmocka_unit_test_setup(test_two_processes_never_overlap, setup),
	};

	if ((redis_url = getenv("REDIS_URL")) == NULL || redis_url[0] == '\0') {
		fprintf(stderr, "REDIS_URL is not set: run under "
		    "tests/integration/with-env\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);	/* as the worker: a write to a closed
					 * connection fails, it does not kill */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
