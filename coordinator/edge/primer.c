/* primer.c -- the edge feed: plans edge_names from the issued certificates, then brings each Redis target up to it (changes in order, a full re-prime after a loss) and hands it to the periodic comparison. */
#include "primer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "clock.h"
#include "cmetrics.h"
#include "db.h"
#include "log.h"
#include "prime_int.h"
#include "redisconn.h"
#include "rediskeys.h"

struct primer *
primer_new(const struct prime_conf *pc, char *err, size_t errlen)
{
	struct primer *p;
	size_t i;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errlen, "primer: out of memory");
		return NULL;
	}
	p->pc = *pc;
	for (i = 0; i < p->pc.ntargets; i++)
		p->t[i].conf = &p->pc.t[i];
	return p;
}

void
primer_expiries(struct primer *p, int on)
{
	p->no_expiries = !on;
}

/* A target this fleet holds is let go (its owner key deleted when it
 * still names the fleet), so that a coordinator of another database may
 * take it at once rather than PRIME_LEASE_S later. A coordinator of the
 * same fleet still running takes it again at its next renewal. */
static void
prime_lease_release(struct primer *p, struct prime_target *t)
{
	redisReply *reply;

	if (t->rc == NULL || t->lease_renew_at == 0 || t->inflight > 0)
		return;
	reply = redisCommand(t->rc, "GET %s", REDISKEYS_PRIME_OWNER);
	if (reply != NULL && reply->type == REDIS_REPLY_STRING &&
	    strcmp(reply->str, p->fleet) == 0) {
		freeReplyObject(reply);
		reply = redisCommand(t->rc, "DEL %s", REDISKEYS_PRIME_OWNER);
	}
	freeReplyObject(reply);
	t->lease_renew_at = 0;
}

void
primer_free(struct primer *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->pc.ntargets; i++) {
		prime_lease_release(p, &p->t[i]);
		if (p->t[i].rc != NULL)
			redisFree(p->t[i].rc);
	}
	for (i = 0; i < p->nchains; i++)
		free(p->chains[i].pem);
	free(p);
}

/* The id of the fleet this database is (migration 0084) into p->fleet. */
static int
prime_fleet(struct primer *p, PGconn *c, char *err, size_t errlen)
{
	PGresult *r;
	const char *id;

	if ((r = db_query(c, "fleet", "SELECT id FROM fleet", 0, NULL, NULL,
	    NULL, err, errlen)) == NULL)
		return -1;
	id = PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "";
	if (id[0] == '\0' || strlen(id) > PRIME_FLEET_LEN) {
		snprintf(err, errlen, "fleet: the table fleet holds no id of 1 "
		    "to %d characters (migration 0084)", PRIME_FLEET_LEN);
		PQclear(r);
		return -1;
	}
	snprintf(p->fleet, sizeof(p->fleet), "%s", id);
	PQclear(r);
	log_info("prime: fleet %s", p->fleet);
	return 0;
}

/* The configured targets get their prime_targets rows; rows of targets no
 * longer configured go (one added again is then re-primed in full). */
static int
prime_register(struct primer *p, PGconn *c, char *err, size_t errlen)
{
	char *names[PRIME_TARGETS_MAX], *lit;
	size_t i;
	long n;

	for (i = 0; i < p->pc.ntargets; i++)
		names[i] = p->pc.t[i].name;
	if ((lit = db_array_literal(names, p->pc.ntargets)) == NULL) {
		snprintf(err, errlen, "primer: out of memory");
		return -1;
	}
	if (prime_fleet(p, c, err, errlen) < 0)
		return -1;
	n = db_exec(c, "prime targets", "INSERT INTO prime_targets (name) SELECT "
	    "unnest($1::text[]) ON CONFLICT DO NOTHING", 1,
	    (const char *[]){ lit }, NULL, NULL, err, errlen);
	if (n >= 0 && (n = db_exec(c, "prime targets", "DELETE FROM "
	    "prime_targets WHERE name <> ALL ($1::text[])", 1,
	    (const char *[]){ lit }, NULL, NULL, err, errlen)) > 0)
		log_info("prime: %ld target(s) no longer configured forgotten", n);
	free(lit);
	if (n < 0)
		return -1;
	for (i = 0; i < p->pc.ntargets; i++)
		log_info("prime target %s: style %s, TTL %ld s, database %d",
		    p->pc.t[i].name, prime_style_name(p->pc.style), p->pc.ttl,
		    p->pc.db);
	p->registered = 1;
	return 0;
}

/* The plan (certfleet_prime_plan) until nothing is left or the slice is
 * spent. Returns the issued certificates planned, or -1 with err. */
static int
prime_plan(const struct primer *p, PGconn *c, char *err, size_t errlen)
{
	uint64_t deadline = clock_mono_ms() + PRIME_SLICE_MS;
	PGresult *r;
	char lim[16];
	int n, total = 0;

	snprintf(lim, sizeof(lim), "%d", PRIME_BATCH);
	do {
		if ((r = db_query(c, "prime plan", "SELECT "
		    "certfleet_prime_plan($1::integer, $2::boolean)", 2,
		    (const char *[]){ lim, p->no_expiries ? "f" : "t" }, NULL,
		    NULL, err, errlen)) == NULL)
			return -1;
		n = atoi(PQgetvalue(r, 0, 0));
		PQclear(r);
		total += n;
	} while (n >= PRIME_BATCH && clock_mono_ms() < deadline);
	if (total > 0)
		log_info("prime plan: %d issued certificate(s) planned into "
		    "edge_names", total);
	cmetrics_primed(total);
	return total;
}

/* t's prime_targets row into t. */
static int
prime_load(struct prime_target *t, PGconn *c, char *err, size_t errlen)
{
	PGresult *r;

	if ((r = db_query(c, "prime target", "SELECT coalesce(generation, ''), "
	    "applied_seq, resync_started_at IS NOT NULL, resync_seq, "
	    "resync_names, coalesce(extract(epoch FROM resync_started_at), 0) "
	    "FROM prime_targets WHERE name = $1", 1,
	    (const char *[]){ t->conf->name }, NULL, NULL, err, errlen)) == NULL)
		return PRIME_EDB;
	if (PQntuples(r) != 1) {
		snprintf(err, errlen, "prime target %s: no prime_targets row",
		    t->conf->name);
		PQclear(r);
		return PRIME_EDB;
	}
	snprintf(t->generation, sizeof(t->generation), "%s", PQgetvalue(r, 0, 0));
	t->applied_seq = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
	t->resyncing = PQgetvalue(r, 0, 2)[0] == 't';
	t->resync_seq = strtoll(PQgetvalue(r, 0, 3), NULL, 10);
	t->resync_names = strtoll(PQgetvalue(r, 0, 4), NULL, 10);
	t->resync_started = strtod(PQgetvalue(r, 0, 5), NULL);
	PQclear(r);
	return 0;
}

/* Starts a full re-prime of t: a new generation in PostgreSQL and in the
 * marker; the changes made so far are all in what it writes. */
static int
prime_resync_begin(struct primer *p, struct prime_target *t, PGconn *c,
    const char *why, char *err, size_t errlen)
{
	char gen[IDS_LEN + 1], ttl[24];
	redisReply *reply;
	PGresult *r;

	if (ids_new(gen) < 0) {
		snprintf(err, errlen, "prime: no random generation");
		return PRIME_EDB;
	}
	if (t->generation[0] == '\0')
		log_info("prime target %s: %s: priming every live certificate",
		    t->conf->name, why);
	else
		log_warn("prime target %s: generation marker %s: Redis lost the "
		    "edge keys (restart without data, failover, flush or "
		    "eviction); re-priming every live certificate",
		    t->conf->name, why);
	if ((r = db_query(c, "prime resync", "UPDATE prime_targets SET "
	    "generation = $2, applied_seq = (SELECT coalesce(max(seq), 0) FROM "
	    "edge_names), resync_started_at = now(), resync_seq = 0, "
	    "resync_names = 0, updated_at = now() WHERE name = "
	    "$1 RETURNING applied_seq, extract(epoch FROM now())", 2,
	    (const char *[]){ t->conf->name, gen }, NULL, NULL, err,
	    errlen)) == NULL)
		return PRIME_EDB;
	t->applied_seq = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	t->resync_started = strtod(PQgetvalue(r, 0, 1), NULL);
	PQclear(r);
	snprintf(t->generation, sizeof(t->generation), "%s", gen);
	t->resyncing = 1;
	t->resync_seq = 0;
	t->resync_names = 0;
	/* The marker outlives no key: with a TTL it lasts a third of it and
	 * is refreshed every pass (see prime_check_lim). */
	snprintf(ttl, sizeof(ttl), "%ld", p->pc.ttl / 3);
	reply = p->pc.ttl > 0 ? redisCommand(t->rc, "SET %s %s EX %s",
	    REDISKEYS_PRIME_MARKER, gen, ttl) : redisCommand(t->rc, "SET %s %s",
	    REDISKEYS_PRIME_MARKER, gen);
	if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
		snprintf(err, errlen, "redis: SET marker: %s", reply == NULL ?
		    t->rc->errstr : reply->str);
		freeReplyObject(reply);
		return PRIME_EREDIS;
	}
	freeReplyObject(reply);
	return 0;
}

/* What another process wrote, fit for a log line: printable ASCII, each
 * other byte as '?', cut to out's size. */
static void
prime_printable(char *out, size_t outlen, const char *in)
{
	size_t i;

	for (i = 0; i + 1 < outlen && in[i] != '\0'; i++)
		out[i] = in[i] >= 0x20 && in[i] < 0x7f ? in[i] : '?';
	out[i] = '\0';
}

int
prime_lease_judge(const char *fleet, int set_ok, const char *owner)
{
	if (set_ok)
		return PRIME_LEASE_OURS;
	if (owner == NULL)
		return PRIME_LEASE_GONE;
	return strcmp(owner, fleet) == 0 ? PRIME_LEASE_OURS :
	    PRIME_LEASE_FOREIGN;
}

/*
 * The fleet's hold on t, taken when free and renewed every
 * PRIME_LEASE_RENEW_MS: one round trip (SET NX EX and GET, pipelined), an
 * EXPIRE more when it was ours already. Returns 0 while this fleet holds
 * t; PRIME_EREDIS with err when Redis fails, and when another fleet holds
 * t: then nothing is written or deleted there, the target is retried
 * like one that is down (PRIME_BACKOFF_MAX_MS), and the log says why.
 */
static int
prime_lease(struct primer *p, struct prime_target *t, char *err,
    size_t errlen)
{
	redisReply *set = NULL, *get = NULL, *ex = NULL;
	char other[PRIME_FLEET_LEN + 1];
	uint64_t now = clock_mono_ms();
	int rc = PRIME_EREDIS, set_ok;

	if (t->lease_renew_at != 0 && now < t->lease_renew_at)
		return 0;
	if (redisAppendCommand(t->rc, "SET %s %s NX EX %d",
	    REDISKEYS_PRIME_OWNER, p->fleet, PRIME_LEASE_S) != REDIS_OK ||
	    redisAppendCommand(t->rc, "GET %s", REDISKEYS_PRIME_OWNER) !=
	    REDIS_OK || redisGetReply(t->rc, (void **)&set) != REDIS_OK ||
	    redisGetReply(t->rc, (void **)&get) != REDIS_OK) {
		snprintf(err, errlen, "redis: owner key: %s", t->rc->errstr);
		goto out;
	}
	if (set->type == REDIS_REPLY_ERROR || get->type == REDIS_REPLY_ERROR ||
	    (get->type != REDIS_REPLY_STRING && get->type != REDIS_REPLY_NIL)) {
		snprintf(err, errlen, "redis: owner key: %s",
		    set->type == REDIS_REPLY_ERROR ? set->str :
		    get->type == REDIS_REPLY_ERROR ? get->str :
		    "unexpected reply");
		goto out;
	}
	set_ok = set->type == REDIS_REPLY_STATUS;
	switch (prime_lease_judge(p->fleet, set_ok, get->type ==
	    REDIS_REPLY_STRING ? get->str : NULL)) {
	case PRIME_LEASE_GONE:
		snprintf(err, errlen, "owner key %s lapsed while read; asking "
		    "again", REDISKEYS_PRIME_OWNER);
		goto out;
	case PRIME_LEASE_FOREIGN:
		t->other_fleet = 1;
		prime_printable(other, sizeof(other), get->str);
		snprintf(err, errlen, "Redis database %d is primed by another "
		    "certfleet fleet (%s in %s; this coordinator's database is "
		    "fleet %s): nothing is written or deleted there while that "
		    "fleet's coordinators run (their hold lapses %d s after the "
		    "last one stops); give each fleet a Redis database of its "
		    "own (CERTFLEET_REDIS_PRIME_DB, CERTFLEET_PRIME_TARGETS)",
		    p->pc.db, other, REDISKEYS_PRIME_OWNER, p->fleet,
		    PRIME_LEASE_S);
		goto out;
	}
	if (!set_ok && ((ex = redisCommand(t->rc, "EXPIRE %s %d",
	    REDISKEYS_PRIME_OWNER, PRIME_LEASE_S)) == NULL ||
	    ex->type == REDIS_REPLY_ERROR)) {
		snprintf(err, errlen, "redis: EXPIRE owner key: %s", ex == NULL ?
		    t->rc->errstr : ex->str);
		goto out;
	}
	if (set_ok)
		log_info("prime target %s: held by this fleet (%s)",
		    t->conf->name, p->fleet);
	t->other_fleet = 0;
	t->lease_renew_at = now + PRIME_LEASE_RENEW_MS;
	rc = 0;
out:
	freeReplyObject(set);
	freeReplyObject(get);
	freeReplyObject(ex);
	return rc;
}

/* One GET: the marker t holds against the generation of its row. */
static int
prime_marker(struct primer *p, struct prime_target *t, PGconn *c, char *err,
    size_t errlen)
{
	redisReply *reply;
	const char *why = NULL;
	int rc;

	reply = redisCommand(t->rc, "GET %s", REDISKEYS_PRIME_MARKER);
	if (reply == NULL || (reply->type != REDIS_REPLY_STRING &&
	    reply->type != REDIS_REPLY_NIL)) {
		snprintf(err, errlen, "redis: GET marker: %s", reply == NULL ?
		    t->rc->errstr : reply->type == REDIS_REPLY_ERROR ? reply->str :
		    "unexpected reply");
		freeReplyObject(reply);
		return PRIME_EREDIS;
	}
	if (t->generation[0] == '\0')
		why = "a new target";
	else if (reply->type == REDIS_REPLY_NIL)
		why = "missing";
	else if (strcmp(reply->str, t->generation) != 0)
		why = "of another generation";
	freeReplyObject(reply);
	if (why != NULL) {
		/* a Redis that lost its marker lost the owner key with it:
		 * taken again first, not up to PRIME_LEASE_RENEW_MS later */
		t->lease_renew_at = 0;
		if ((rc = prime_lease(p, t, err, errlen)) < 0)
			return rc;
		return prime_resync_begin(p, t, c, why, err, errlen);
	}
	if (p->pc.ttl > 0) {
		reply = redisCommand(t->rc, "EXPIRE %s %ld", REDISKEYS_PRIME_MARKER,
		    p->pc.ttl / 3);
		if (reply == NULL) {
			snprintf(err, errlen, "redis: EXPIRE marker: %s",
			    t->rc->errstr);
			return PRIME_EREDIS;
		}
		freeReplyObject(reply);
	}
	return 0;
}

/* Adds "<prefix><id>" to keys when id is set and differs from now. */
static int
prime_candidate(char **keys, size_t *n, const char *prefix,
    const redisReply *old, const char *now)
{
	size_t len;

	if (old->type != REDIS_REPLY_STRING || (now != NULL &&
	    strcmp(old->str, now) == 0) || old->len > PRIME_NAME_MAX)
		return 0;
	len = strlen(prefix) + old->len + 1;
	if ((keys[*n] = malloc(len)) == NULL)
		return -1;
	snprintf(keys[*n], len, "%s%s", prefix, old->str);
	(*n)++;
	return 0;
}

/* Before the rows of a change batch are written: what each d1: pointed at
 * in t, when it is not what the row will point at; those keys may be
 * unused afterwards. Returns the count in *n (keys malloc'd, 3 per row at
 * most), or PRIME_EREDIS. */
static int
prime_old_refs(struct prime_target *t, const PGresult *r, char **keys,
    size_t *n, char *err, size_t errlen)
{
	static const char *const pre[3] = { "c:", "p:", "i:" };
	redisReply *reply;
	int row, rows = PQntuples(r), j, gone, failed = 0;

	*n = 0;
	for (row = 0; row < rows; row++)
		if (redisAppendCommand(t->rc, "HMGET d1:%s c p i",
		    PQgetvalue(r, row, PRIME_COL_NAME)) != REDIS_OK) {
			snprintf(err, errlen, "redis: cannot queue commands");
			return PRIME_EREDIS;
		}
	for (row = 0; row < rows; row++) {
		if (redisGetReply(t->rc, (void **)&reply) != REDIS_OK) {
			snprintf(err, errlen, "redis: %s", t->rc->errstr);
			return PRIME_EREDIS;
		}
		gone = PQgetisnull(r, row, PRIME_COL_IC);
		if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 3)
			for (j = 0; j < 3 && !failed; j++)
				failed = prime_candidate(keys, n, pre[j],
				    reply->element[j], gone ? NULL :
				    PQgetvalue(r, row, PRIME_COL_IC + j)) < 0;
		freeReplyObject(reply);
	}
	if (failed) {
		snprintf(err, errlen, "prime: out of memory");
		return PRIME_EREDIS;
	}
	return 0;
}

static int
prime_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts keys[0..*n) and frees the duplicates (names of one certificate
 * point at the same keys). */
static void
prime_unique(char **keys, size_t *n)
{
	size_t i, j = 0;

	if (*n == 0)
		return;
	qsort(keys, *n, sizeof(*keys), prime_strcmp);
	for (i = 1; i < *n; i++) {
		if (strcmp(keys[i], keys[j]) == 0)
			free(keys[i]);
		else
			keys[++j] = keys[i];
	}
	*n = j + 1;
}

/* One batch of changes, applied: old references read, names written or
 * deleted, unused keys deleted. Returns the names done, or an error. */
static int
prime_stream_batch(struct primer *p, struct prime_target *t, PGconn *c,
    const struct vault *v, const PGresult *r, char *err, size_t errlen)
{
	char **old = NULL;
	size_t nold = 0, i;
	int n = 0, swept = 0;

	if ((p->pc.style & PRIME_STYLE_1) && (old = calloc(
	    (size_t)PQntuples(r) * 3 + 1, sizeof(*old))) == NULL) {
		snprintf(err, errlen, "prime: out of memory");
		return PRIME_EREDIS;
	}
	if ((old == NULL || (n = prime_old_refs(t, r, old, &nold, err,
	    errlen)) == 0) &&
	    (n = prime_write_rows(p, t, c, v, r, NULL, 1, 0, err, errlen)) >= 0) {
		prime_unique(old, &nold);
		swept = prime_sweep_keys(p, t, c, old, nold, err, errlen);
	}
	for (i = 0; i < nold; i++)
		free(old[i]);
	free(old);
	if (n < 0 || swept < 0)
		return n < 0 ? n : swept;
	log_info("prime target %s: %d name(s) written or withdrawn, %d unused "
	    "key(s) deleted", t->conf->name, n, swept);
	return n;
}

/* The edge_names changes t has not applied, in order, until caught up or
 * past deadline. */
static int
prime_stream(struct primer *p, struct prime_target *t, PGconn *c,
    const struct vault *v, uint64_t deadline, char *err, size_t errlen)
{
	PGresult *r;
	char after[24], lim[16], seq[24];
	int n, rows;

	snprintf(lim, sizeof(lim), "%d", PRIME_BATCH);
	t->caught_up = 0;
	do {
		snprintf(after, sizeof(after), "%lld", t->applied_seq);
		if ((r = db_query(c, "prime changes", "SELECT " PRIME_ROW_COLS " "
		    PRIME_ROW_FROM "WHERE en.seq > $1::bigint ORDER BY en.seq "
		    "LIMIT $2::integer", 2, (const char *[]){ after, lim }, NULL,
		    NULL, err, errlen)) == NULL)
			return PRIME_EDB;
		if ((rows = PQntuples(r)) > 0 &&
		    (n = prime_stream_batch(p, t, c, v, r, err, errlen)) < 0) {
			PQclear(r);
			return n;
		}
		if (rows > 0) {
			snprintf(seq, sizeof(seq), "%s",
			    PQgetvalue(r, rows - 1, PRIME_COL_SEQ));
			/* The names of this batch are in t now. Their expire
			 * calls (queued by the plan in edge_expiries, with
			 * the seq of the change) wait for applied_seq below:
			 * expire.c takes a change only once every target has
			 * written up to its seq (certfleet_prime_written). */
		}
		PQclear(r);
		if (rows > 0 && db_exec(c, "prime applied", "UPDATE prime_targets "
		    "SET applied_seq = $2::bigint, updated_at = now() WHERE name = "
		    "$1", 2, (const char *[]){ t->conf->name, seq }, NULL, NULL, err,
		    errlen) < 0)
			return PRIME_EDB;
		if (rows > 0)
			t->applied_seq = strtoll(seq, NULL, 10);
		t->caught_up = rows < PRIME_BATCH;
	} while (!t->caught_up && clock_mono_ms() < deadline);
	return 0;
}

/* The re-prime's position saved, or its end recorded and logged. */
static int
prime_resync_mark(struct prime_target *t, PGconn *c, int done, char *err,
    size_t errlen)
{
	char names[24], seq[24];

	snprintf(names, sizeof(names), "%lld", t->resync_names);
	snprintf(seq, sizeof(seq), "%lld", t->resync_seq);
	if (done && db_exec(c, "prime resync done", "UPDATE prime_targets SET "
	    "resync_started_at = NULL, resync_seq = 0, "
	    "resync_names = $2::bigint, resynced_at = now(), updated_at = now() "
	    "WHERE name = $1", 2, (const char *[]){ t->conf->name, names }, NULL,
	    NULL, err, errlen) < 0)
		return PRIME_EDB;
	if (!done && db_exec(c, "prime resync", "UPDATE prime_targets SET "
	    "resync_seq = $2::bigint, resync_names = $3::bigint, "
	    "updated_at = now() WHERE name = $1", 3, (const char *[]){
	    t->conf->name, seq, names }, NULL, NULL,
	    err, errlen) < 0)
		return PRIME_EDB;
	if (done) {
		log_info("prime target %s: re-primed %lld name(s) in %.2f s",
		    t->conf->name, t->resync_names, (double)clock_wall_ms() /
		    1000.0 - t->resync_started);
		t->resyncing = 0;
	}
	return 0;
}

/* The live names after a seq, in seq order: a walk along edge_names_seq_idx
 * with two primary-key look-ups a row, the same cost wherever it is. */
#define PRIME_RESYNC_SQL \
	"SELECT " PRIME_ROW_COLS_BIN " " PRIME_ROW_FROM "WHERE " \
	"en.issued_certificate IS NOT NULL AND en.seq > $1::bigint ORDER BY " \
	"en.seq LIMIT $2::integer"

/* A batch of the re-prime, at once. Its rows come in binary format: the
 * sealed keys as bytes, not hex (a third fewer bytes to send and no
 * encoding on either side). */
static PGresult *
prime_resync_query(PGconn *c, const char *after, const char *lim, char *err,
    size_t errlen)
{
	if (db_send_binary(c, "prime resync", PRIME_RESYNC_SQL, 2,
	    (const char *[]){ after, lim }, err, errlen) < 0)
		return NULL;
	return db_receive(c, "prime resync", err, errlen);
}

/* Batches of the running re-prime, in seq order from the saved position,
 * until done or past deadline. Three things run at once: PostgreSQL reads
 * the next batch (db_send before this one is queued), this process turns
 * rows into commands, and Redis executes those sent before (replies are
 * read as they come, never waited for between batches: prime_pump), so a
 * re-prime costs about the slowest of the three, not their sum. */
static int
prime_resync_run(struct primer *p, struct prime_target *t, PGconn *c,
    const struct vault *v, uint64_t deadline, char *err, size_t errlen)
{
	PGresult *r = NULL;
	char lim[16], after[24];
	int rows, more, overlap, sent = 0, rc = PRIME_EDB;

	snprintf(lim, sizeof(lim), "%d", PRIME_BATCH);
	snprintf(after, sizeof(after), "%lld", t->resync_seq);
	if ((r = prime_resync_query(c, after, lim, err, errlen)) == NULL)
		return PRIME_EDB;
	for (;;) {
		rows = PQntuples(r);
		if ((overlap = prime_chains_load(p, c, r, err, errlen)) < 0) {
			rc = overlap;
			goto out;
		}
		if (rows > 0)
			t->resync_seq = strtoll(PQgetvalue(r, rows - 1,
			    PRIME_COL_SEQ), NULL, 10);
		more = rows == PRIME_BATCH && clock_mono_ms() < deadline;
		sent = more && overlap == 0;
		snprintf(after, sizeof(after), "%lld", t->resync_seq);
		if (sent && db_send_binary(c, "prime resync", PRIME_RESYNC_SQL,
		    2, (const char *[]){ after, lim }, err, errlen) < 0) {
			sent = 0;
			rc = PRIME_EDB;
			goto out;
		}
		if (rows > 0 && (rc = prime_queue_rows(p, t, c, v, r, NULL, 0, 0,
		    err, errlen)) < 0)
			goto out;
		t->resync_names += rows;
		PQclear(r);
		r = NULL;
		if (sent)
			r = db_receive(c, "prime resync", err, errlen);
		else if (more)	/* too many chains to overlap: in turn */
			r = prime_resync_query(c, after, lim, err, errlen);
		if (more && r == NULL) {
			sent = 0;
			rc = PRIME_EDB;
			goto out;
		}
		sent = 0;
		/* The position is saved once per slice (a commit each batch
		 * would cost more than the batch), once Redis confirmed every
		 * command of it: a restart redoes a slice. */
		if (r == NULL) {
			if ((rc = prime_wait(t, err, errlen)) == 0)
				rc = prime_resync_mark(t, c, rows < PRIME_BATCH,
				    err, errlen);
			break;
		}
	}
	if (t->resyncing && rc == 0)
		log_info("prime target %s: re-priming: %lld name(s) so far",
		    t->conf->name, t->resync_names);
out:
	/* A query still in flight is read before the connection is used again;
	 * the position saved is the last batch Redis confirmed. */
	if (sent)
		PQclear(db_receive(c, "prime resync", err, errlen));
	PQclear(r);
	return rc;
}

/* The running re-prime's slice, its batches read by this backend alone: a
 * parallel plan (Gather Merge over the seq index) costs a worker start and
 * a merge per batch, 1.6 times the time of the plain walk on a busy host. */
static int
prime_resync(struct primer *p, struct prime_target *t, PGconn *c,
    const struct vault *v, uint64_t deadline, char *err, size_t errlen)
{
	char rerr[256];
	int rc;

	if (!t->resyncing)
		return 0;
	if (db_exec(c, "prime resync", "SET max_parallel_workers_per_gather = 0",
	    0, NULL, NULL, NULL, err, errlen) < 0)
		return PRIME_EDB;
	rc = prime_resync_run(p, t, c, v, deadline, err, errlen);
	/* after a failure, that failure is the one reported */
	if (db_exec(c, "prime resync", "RESET max_parallel_workers_per_gather",
	    0, NULL, NULL, NULL, rc < 0 ? rerr : err, rc < 0 ? sizeof(rerr) :
	    errlen) < 0 && rc == 0)
		rc = PRIME_EDB;
	return rc;
}

/* t's Redis failed: dropped, retried after a growing wait. */
static void
prime_target_failed(struct prime_target *t, const char *err)
{
	if (t->rc != NULL)
		redisFree(t->rc);
	t->rc = NULL;
	t->inflight = 0;
	t->backoff_ms = t->backoff_ms == 0 ? 1000 : t->backoff_ms * 2;
	if (t->backoff_ms > PRIME_BACKOFF_MAX_MS)
		t->backoff_ms = PRIME_BACKOFF_MAX_MS;
	t->retry_at = clock_mono_ms() + (uint64_t)t->backoff_ms;
	t->lease_renew_at = 0;		/* asked again on the next connection */
	log_warn("prime target %s: %s; retrying in %d s (other targets go on)",
	    t->conf->name, err, t->backoff_ms / 1000);
	t->down = 1;
	cmetrics_prime_target(t->conf->name, 0, t->other_fleet);
}

/* Opens t: a short connect, so a target that does not answer costs little
 * (PRIME_CONNECT_MS every PRIME_BACKOFF_MAX_MS at most), then a longer
 * timeout for the replies of big pipelines. */
static int
prime_connect(struct primer *p, struct prime_target *t, char *err,
    size_t errlen)
{
	struct timeval tv = { PRIME_TIMEOUT_MS / 1000,
	    (PRIME_TIMEOUT_MS % 1000) * 1000 };

	if ((t->rc = redisconn_open(t->conf->url, p->pc.db, PRIME_CONNECT_MS,
	    err, errlen)) == NULL)
		return PRIME_EREDIS;
	if (redisSetTimeout(t->rc, tv) != REDIS_OK) {
		snprintf(err, errlen, "redis: set timeout: %s", t->rc->errstr);
		return PRIME_EREDIS;
	}
	return 0;
}

/* One target's share of a pass: 1 work left, 0 caught up, PRIME_EDB. */
static int
prime_target_tick(struct primer *p, struct prime_target *t, PGconn *c,
    const struct vault *v, char *err, size_t errlen)
{
	uint64_t now = clock_mono_ms(), deadline = now + PRIME_SLICE_MS;
	char rerr[512];
	int rc;

	if (now < t->retry_at)
		return 0;
	if ((rc = prime_load(t, c, err, errlen)) < 0)
		return rc;
	if (t->rc == NULL && (rc = prime_connect(p, t, rerr,
	    sizeof(rerr))) < 0) {
		prime_target_failed(t, rerr);
		return 0;
	}
	if ((rc = prime_lease(p, t, rerr, sizeof(rerr))) == 0 &&
	    (rc = prime_marker(p, t, c, rerr, sizeof(rerr))) == 0 &&
	    (rc = prime_stream(p, t, c, v, deadline, rerr, sizeof(rerr))) == 0 &&
	    (rc = prime_resync(p, t, c, v, deadline, rerr, sizeof(rerr))) == 0 &&
	    t->caught_up && !t->resyncing)
		rc = prime_check_step(p, t, c, v, rerr, sizeof(rerr));
	if (rc == PRIME_EDB) {
		snprintf(err, errlen, "%s", rerr);
		if (t->inflight > 0) {	/* replies nobody will read */
			redisFree(t->rc);
			t->rc = NULL;
			t->inflight = 0;
		}
		return PRIME_EDB;
	}
	if (rc == PRIME_EREDIS) {
		prime_target_failed(t, rerr);
		return 0;
	}
	if (t->down)
		log_info("prime target %s: reachable again", t->conf->name);
	t->down = 0;
	cmetrics_prime_target(t->conf->name, 1, 0);
	t->backoff_ms = 0;
	return !t->caught_up || t->resyncing;
}

/* Withdrawn names every target has applied are forgotten. */
static int
prime_prune(struct primer *p, PGconn *c, char *err, size_t errlen)
{
	uint64_t now = clock_mono_ms();
	long n;

	if (now - p->last_prune < PRIME_PRUNE_EVERY_MS)
		return 0;
	p->last_prune = now;
	if ((n = db_exec(c, "prime prune", "DELETE FROM edge_names WHERE "
	    "issued_certificate IS NULL AND seq <= (SELECT min(applied_seq) FROM "
	    "prime_targets)", 0, NULL, NULL, NULL, err, errlen)) < 0)
		return -1;
	if (n > 0)
		log_debug("prime: %ld withdrawn name(s) applied everywhere, "
		    "forgotten", n);
	return 0;
}

int
primer_watch(struct primer *p)
{
	struct prime_target *t;
	redisReply *reply;
	size_t i;
	int lost = 0;

	for (i = 0; i < p->pc.ntargets && !lost; i++) {
		t = &p->t[i];
		if (t->rc == NULL || t->inflight > 0 || t->resyncing ||
		    t->generation[0] == '\0')
			continue;
		reply = redisCommand(t->rc, "GET %s", REDISKEYS_PRIME_MARKER);
		lost = reply == NULL || reply->type != REDIS_REPLY_STRING ||
		    strcmp(reply->str, t->generation) != 0;
		freeReplyObject(reply);
	}
	return lost;
}

int
primer_tick(struct primer *p, PGconn *c, const struct vault *v, char *err,
    size_t errlen)
{
	size_t i;
	int rc, busy = 0;

	if (!p->registered && prime_register(p, c, err, errlen) < 0)
		return -1;
	if (prime_plan(p, c, err, errlen) < 0)
		return -1;
	for (i = 0; i < p->pc.ntargets; i++) {
		if ((rc = prime_target_tick(p, &p->t[i], c, v, err, errlen)) < 0)
			return -1;
		busy |= rc;
	}
	if (prime_prune(p, c, err, errlen) < 0)
		return -1;
	return busy;
}
