/* tick.c -- bench-api-tick: the cost of one renewal scheduler tick (renew_tick) on $CERTFLEET_PG: ROUNDS x RENEW_PER_TICK certificates made due (and nothing else), certificates vacuumed, ticks until none is left (each renewing 16), then ROUNDS ticks with nothing due. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "db.h"
#include "log.h"
#include "pgconn.h"
#include "renew.h"
#include "vault.h"

#define TICK_MAX_ROUNDS 1000

static double
tick_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int
tick_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median and slowest of ms[0..n) (sorted in place). */
static void
tick_print(const char *what, double *ms, int n)
{
	if (n == 0) {
		printf("%s: no tick\n", what);
		return;
	}
	qsort(ms, (size_t)n, sizeof(*ms), tick_cmp);
	printf("%s: %d ticks, median %.2f ms, slowest %.2f ms\n", what, n,
	    ms[n / 2], ms[n - 1]);
}

/* Times up to rounds ticks, until one queues fewer than want (0: all
 * rounds); their times go to ms, the renewals they queued to *queued. */
static int
tick_run(PGconn *c, const struct vault *v, int want, int rounds, double *ms,
    int *n, int *queued)
{
	char err[512];
	double t0;
	int q;

	for (*n = 0; *n < rounds; (*n)++) {
		t0 = tick_now_ms();
		if ((q = renew_tick(c, v, NULL, RENEW_PER_TICK, err,
		    sizeof(err))) < 0) {
			fprintf(stderr, "bench-api-tick: %s\n", err);
			return -1;
		}
		ms[*n] = tick_now_ms() - t0;
		*queued += q;
		if (q < want)
			break;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	static double due[TICK_MAX_ROUNDS], idle[TICK_MAX_ROUNDS];
	const char *pg = getenv("CERTFLEET_PG"), *p[1];
	char err[512], lim[16];
	struct vault *v = NULL;
	PGconn *c = NULL;
	int rounds, nd = 0, ni = 0, qd = 0, qi = 0, rc = 1;

	err[0] = '\0';
	log_init("bench-api-tick", LOGL_WARN);
	if (argc != 2 || pg == NULL || (rounds = atoi(argv[1])) < 1 ||
	    rounds > TICK_MAX_ROUNDS) {
		fprintf(stderr, "usage: CERTFLEET_PG=... CERTFLEET_MASTER_KEY=... "
		    "bench-api-tick ROUNDS (1-%d)\n", TICK_MAX_ROUNDS);
		return 2;
	}
	if ((v = vault_new(getenv("CERTFLEET_MASTER_KEY"), err,
	    sizeof(err))) == NULL ||
	    (c = pgconn_open(pg, "bench-api-tick", err, sizeof(err))) == NULL)
		goto out;
	/* What is due already or soon is put off, as a tick would (its
	 * renewals may not all be possible: another CA, an order in flight;
	 * on a kept fleet the leases of an earlier run an hour ago come due
	 * one after the other, and the ticks with nothing due renewed them);
	 * then issued
	 * EC certificates of the CA with an account and no order in flight
	 * are made due: each one is renewed. */
	snprintf(lim, sizeof(lim), "%d", rounds * RENEW_PER_TICK);
	p[0] = lim;
	if (db_exec(c, "put off", "UPDATE certificates SET renew_at = now() + "
	    "interval '1 hour' WHERE renew_at <= now() + interval '10 minutes'",
	    0, NULL, NULL, NULL, err, sizeof(err)) < 0 ||
	    db_exec(c, "make due", "UPDATE certificates SET renew_at = now() - "
	    "interval '1 minute' WHERE id IN (SELECT id FROM certificates c WHERE "
	    "renew_at > now() AND status = 'issued' AND ca = 'pebble' AND "
	    "key_type = 'ec-p256' AND NOT EXISTS (SELECT 1 FROM orders o WHERE "
	    "o.certificate = c.id AND o.status <> 'valid') ORDER BY renew_at "
	    "LIMIT $1::int)", 1, p, NULL, NULL, err, sizeof(err)) < 0)
		goto out;
	/* The two updates above left a dead renew_at entry per row they
	 * moved (thousands on a kept fleet), below now(), where every tick
	 * starts its walk: autovacuum (migration 0077: at 0.5 % + 5,000 dead
	 * rows, at 1M rows spread over more than the 2 % of the table's pages
	 * below which VACUUM leaves the indexes alone) would remove them in
	 * production; the ticks are timed on a table as it leaves them, with
	 * only the entries the ticks leave. INDEX_CLEANUP ON: a few thousand
	 * dead rows are under that 2 %, and their index entries would stay. */
	if (db_exec(c, "vacuum", "VACUUM (INDEX_CLEANUP ON) certificates", 0,
	    NULL, NULL, NULL, err, sizeof(err)) < 0)
		goto out;
	/* the last tick of the first run is the one that found too few */
	if (tick_run(c, v, RENEW_PER_TICK, TICK_MAX_ROUNDS, due, &nd, &qd) < 0 ||
	    tick_run(c, v, 0, rounds, idle, &ni, &qi) < 0)
		goto out;
	printf("renewals queued: %d by the renewing ticks, %d by those with "
	    "nothing due\n", qd, qi);
	tick_print("tick renewing 16 (fresh EC keys, certificates vacuumed "
	    "first)", due, nd);
	tick_print("tick with nothing due (right after them: their dead "
	    "renew_at entries walked)", idle, ni);
	rc = 0;
out:
	if (rc != 0 && err[0] != '\0')
		fprintf(stderr, "bench-api-tick: %s\n", err);
	if (c != NULL)
		PQfinish(c);
	vault_free(v);
	return rc;
}
