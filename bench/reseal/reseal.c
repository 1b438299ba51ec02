/* reseal.c -- bench-reseal: how fast a master key's rotation (schedule/reseal.c) moves N pooled keys sealed under an old key on $CERTFLEET_PG, its ticks back to back, next to the same secrets opened and sealed again in memory (the cryptography alone). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "db.h"
#include "ids.h"
#include "keypool.h"
#include "log.h"
#include "pgconn.h"
#include "reseal.h"
#include "scheduler.h"
#include "vault.h"

#define BENCH_MAX	1000000
#define BENCH_TICKS_MAX	10000
#define BENCH_TEMPLATES	16	/* real keys made; the rest are their copies */
#define BENCH_FILL_TX	1000	/* rows a fill transaction */
/* two keys nobody uses: the old one, and the new master key */
#define BENCH_KEY_OLD \
	"1111111111111111111111111111111111111111111111111111111111111111"
#define BENCH_KEY_NEW \
	"2222222222222222222222222222222222222222222222222222222222222222"

static double
bench_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* This process's CPU time so far, ms. */
static double
bench_cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000.0 +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000.0;
}

/* CPU time of process pid so far (user + system), ms; -1 unknown. The
 * database's backend of the connection runs on this host (the local
 * stack). */
static double
bench_pid_cpu_ms(int pid)
{
	unsigned long ut, st;
	char path[64];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	/* pid (comm) state ppid ... utime is field 14, stime 15; comm of a
	 * backend holds no blank */
	n = fscanf(f, "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
	    "%lu %lu", &ut, &st);
	fclose(f);
	if (n != 2)
		return -1;
	return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

/* N pooled keys sealed under old: BENCH_TEMPLATES made by keypool_fill,
 * the rest copies of their key and public key, each sealed under its own
 * row id (a reseal opens and seals each alike; making 100,000 EC keys
 * would take minutes). Returns 0, or -1 with err. */
static int
bench_fill(PGconn *c, const struct vault *old, long n, char *err,
    size_t errlen)
{
	struct keypool_sizes sizes = { { 0 } };
	struct vault_box box, tb;
	char aad[VAULT_AAD_MAX], id[IDS_LEN + 1], *plain[BENCH_TEMPLATES];
	size_t plen[BENCH_TEMPLATES];
	const char *p[7];
	int lens[7] = { 0 }, fmts[7] = { 0 }, nt = 0, rc = -1, made, i, j;
	PGresult *r = NULL;
	long k;

	memset(plain, 0, sizeof(plain));
	sizes.n[KEYS_EC_P256] = BENCH_TEMPLATES;
	while ((made = keypool_fill(c, old, &sizes, BENCH_TEMPLATES, err,
	    errlen)) > 0)
		;
	if (made < 0 || (r = db_query(c, "read templates", "SELECT id, "
	    "key_ciphertext, key_nonce, key_tag, key_id, public_key_der FROM "
	    "key_pool", 0, NULL, NULL, NULL, err, errlen)) == NULL)
		return -1;
	for (nt = 0; nt < PQntuples(r) && nt < BENCH_TEMPLATES; nt++) {
		memset(&tb, 0, sizeof(tb));
		vault_aad(VAULT_POOL_KEY, PQgetvalue(r, nt, 0), aad);
		if (db_box(r, nt, 1, &tb) < 0 || (plain[nt] = vault_open(old, &tb,
		    aad, &plen[nt], err, errlen)) == NULL) {
			vault_box_clear(&tb);
			goto out;
		}
		vault_box_clear(&tb);
	}
	for (k = nt; k < n;) {
		if (db_begin(c, err, errlen) < 0)
			goto out;
		for (j = 0; j < BENCH_FILL_TX && k < n; j++, k++) {
			i = (int)(k % nt);
			memset(&box, 0, sizeof(box));
			ids_new(id);
			vault_aad(VAULT_POOL_KEY, id, aad);
			if (vault_seal(old, plain[i], plen[i], aad, &box, err,
			    errlen) < 0)
				goto out;
			p[0] = id;
			p[1] = "ec-p256";
			p[2] = PQgetvalue(r, i, 5);	/* bytea as text */
			db_bind_box(p, lens, fmts, 3, &box);
			made = db_exec(c, "fill", "INSERT INTO key_pool (id, "
			    "key_type, public_key_der, key_ciphertext, key_nonce, "
			    "key_tag, key_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
			    7, p, lens, fmts, err, errlen) < 0 ? -1 : 0;
			vault_box_clear(&box);
			if (made < 0)
				goto out;
		}
		if (db_commit(c, err, errlen) < 0)
			goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		db_rollback(c);
	for (i = 0; i < nt; i++)
		if (plain[i] != NULL)
			vault_plain_free(plain[i], plen[i]);
	PQclear(r);
	return rc;
}

/* The reference: every pooled secret read, opened under the old key and
 * sealed under the new one in memory, nothing written. Returns the
 * secrets done, or -1 with err; *ms the time the cryptography took. */
static long
bench_memory(PGconn *c, const struct vault *v, double *ms, char *err,
    size_t errlen)
{
	struct vault_box old, box;
	char aad[VAULT_AAD_MAX], *plain;
	PGresult *r;
	double t0;
	size_t len;
	long done = 0;
	int i, n;

	if ((r = db_query(c, "read pool", "SELECT id, key_ciphertext, "
	    "key_nonce, key_tag, key_id FROM key_pool", 0, NULL, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	n = PQntuples(r);
	t0 = bench_now_ms();
	for (i = 0; i < n; i++) {
		memset(&old, 0, sizeof(old));
		memset(&box, 0, sizeof(box));
		if (db_box(r, i, 1, &old) < 0)
			continue;
		vault_aad(VAULT_POOL_KEY, PQgetvalue(r, i, 0), aad);
		if ((plain = vault_open(v, &old, aad, &len, err, errlen)) != NULL &&
		    vault_seal(v, plain, len, aad, &box, err, errlen) == 0)
			done++;
		if (plain != NULL)
			vault_plain_free(plain, len);
		vault_box_clear(&old);
		vault_box_clear(&box);
	}
	*ms = bench_now_ms() - t0;
	PQclear(r);
	return done;
}

int
main(int argc, char *argv[])
{
	const char *pg = getenv("CERTFLEET_PG");
	struct reseal st = { 0 };
	struct vault *old = NULL, *v = NULL;
	double t0, c0, b0, wall, cpu, be, mem_ms = 0, fill_ms, slowest = 0;
	double period;
	char err[512];
	PGconn *c = NULL;
	long n, mem;
	int ticks = 0, rc = 1, pid, more;

	err[0] = '\0';
	log_init("bench-reseal", LOGL_WARN);
	if (argc != 2 || pg == NULL || (n = atol(argv[1])) < RESEAL_BATCH ||
	    n > BENCH_MAX) {
		fprintf(stderr, "usage: CERTFLEET_PG=... bench-reseal N (%d-%d "
		    "pooled keys; a database of its own, migrated, empty)\n",
		    RESEAL_BATCH, BENCH_MAX);
		return 2;
	}
	if ((old = vault_new(BENCH_KEY_OLD, err, sizeof(err))) == NULL ||
	    (v = vault_new(BENCH_KEY_NEW, err, sizeof(err))) == NULL ||
	    vault_add_open_only(v, BENCH_KEY_OLD, err, sizeof(err)) < 0 ||
	    (c = pgconn_open(pg, "bench-reseal", err, sizeof(err))) == NULL)
		goto out;
	pid = PQbackendPID(c);

	/* N EC keys made ahead, sealed under the old key */
	t0 = bench_now_ms();
	if (bench_fill(c, old, n, err, sizeof(err)) < 0)
		goto out;
	fill_ms = bench_now_ms() - t0;
	if (db_exec(c, "vacuum", "VACUUM ANALYZE key_pool", 0, NULL, NULL, NULL,
	    err, sizeof(err)) < 0)
		goto out;
	if ((mem = bench_memory(c, v, &mem_ms, err, sizeof(err))) != n) {
		if (mem >= 0)
			snprintf(err, sizeof(err), "%ld of %ld secrets opened in "
			    "memory", mem, n);
		goto out;
	}

	/* the pass, its ticks back to back (the scheduler runs one a
	 * SCHEDULER_EVERY_MS) */
	c0 = bench_cpu_ms();
	b0 = bench_pid_cpu_ms(pid);
	t0 = bench_now_ms();
	do {
		double s = bench_now_ms(), ms;

		if ((more = reseal_tick(c, v, &st, 1000, err, sizeof(err))) < 0)
			goto out;
		if ((ms = bench_now_ms() - s) > slowest)
			slowest = ms;
		ticks++;
	} while (more == 1 && ticks < BENCH_TICKS_MAX);
	wall = bench_now_ms() - t0;
	cpu = bench_cpu_ms() - c0;
	be = bench_pid_cpu_ms(pid) - b0;
	if (st.done != n || st.left != 0) {
		snprintf(err, sizeof(err), "the pass moved %ld of %ld (%ld left, "
		    "%ld did not open)", st.done, n, st.left, st.failed);
		goto out;
	}

	printf("bench-reseal: %ld pooled EC keys sealed under the old key "
	    "(%d keys made and copied in %.1f s, not counted)\n", n,
	    BENCH_TEMPLATES, fill_ms / 1000.0);
	printf("  reference, in memory: open + seal %.2f us a secret "
	    "(%.0f/s on one core)\n", mem_ms * 1000.0 / (double)n,
	    (double)n / (mem_ms / 1000.0));
	printf("  the pass, %d ticks back to back: %.2f s = %.0f secrets/s; "
	    "a tick of %d: %.1f ms on average, slowest %.1f ms\n", ticks,
	    wall / 1000.0, (double)n / (wall / 1000.0), RESEAL_PER_TICK,
	    wall / ticks, slowest);
	printf("  CPU a secret: this process %.2f us, its PostgreSQL backend "
	    "%.2f us (%.1fx the cryptography alone, both together)\n",
	    cpu * 1000.0 / (double)n, be * 1000.0 / (double)n,
	    (cpu + be) / mem_ms);
	/* the scheduler waits SCHEDULER_EVERY_MS after each round */
	period = (double)SCHEDULER_EVERY_MS + wall / ticks;
	printf("  in a coordinator (%d secrets a round, a round every %d ms "
	    "after the last ended): %.0f secrets/s, 1,000,000 in %.1f min\n",
	    RESEAL_PER_TICK, SCHEDULER_EVERY_MS, (double)RESEAL_PER_TICK *
	    1000.0 / period, 1e6 / ((double)RESEAL_PER_TICK * 1000.0 / period) /
	    60.0);
	rc = 0;
out:
	if (rc != 0 && err[0] != '\0')
		fprintf(stderr, "bench-reseal: %s\n", err);
	if (c != NULL)
		PQfinish(c);
	vault_free(old);
	vault_free(v);
	return rc;
}
