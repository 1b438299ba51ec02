/* outbox.c -- outbox rows and the relay that publishes them with the idempotent producer. */
#include "outbox.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "clock.h"
#include "cmetrics.h"
#include "db.h"
#include "flow.h"
#include "log.h"
#include "publish.h"

/* The columns of a row taken by the relay. */
enum outbox_col {
	OUTBOX_ID, OUTBOX_TOPIC, OUTBOX_KEY, OUTBOX_PAYLOAD, OUTBOX_JOB,
	OUTBOX_ATTEMPT, OUTBOX_TRACE, OUTBOX_CERT, OUTBOX_CA, OUTBOX_ISSUE,
};

int
outbox_add(PGconn *c, const char *topic, const char *key, const void *payload,
    size_t len, const char *job_id, uint32_t attempt, double delay_s,
    const char *ca, int issue, int priority, char *err, size_t errlen)
{
	char att[16], delay[32], prio[16];
	const char *p[9];
	int lens[9] = { 0 }, fmts[9] = { 0 };

	snprintf(att, sizeof(att), "%u", attempt);
	snprintf(delay, sizeof(delay), "%.3f", delay_s);
	p[0] = topic;
	p[1] = key;
	p[2] = payload;
	lens[2] = (int)len;
	fmts[2] = 1;
	p[3] = job_id;
	p[4] = att;
	p[5] = delay;
	p[6] = ca;
	p[7] = issue ? "t" : "f";
	snprintf(prio, sizeof(prio), "%d", priority);
	p[8] = prio;
	return db_exec(c, "outbox_add", "INSERT INTO outbox (topic, key, payload, "
	    "job_id, attempt, available_at, ca, issue, held, priority) VALUES "
	    "($1, $2, $3, $4, $5, now() + make_interval(secs => $6::float8), $7, "
	    "$8::boolean, $6::float8 > 0, $9::smallint)", 9,
	    p, lens, fmts, err, errlen) == 1 ? 0 : -1;
}

/*
 * Rows held until later (a budget, a retry's delay) are out of the relay's
 * indexes (0073_outbox_held.sql); those now due go back in, read off
 * outbox_held: a pass reads what it may send, not every row waiting; and
 * so do the parked orders their CA's budget has room for now
 * (BUDGET_UNPARK_SQL, $1 and $2), due from now. Rows another transaction
 * holds (a cancel) are released by a later pass.
 */
_Static_assert(OUTBOX_BATCH == 500, "BUDGET_UNPARK_SQL wakes OUTBOX_BATCH "
    "parked rows of a CA that counts no orders");
#define OUTBOX_RELEASE_SQL "UPDATE outbox SET held = false, available_at = " \
	"least(available_at, now()) WHERE id = ANY(ARRAY(SELECT id FROM " \
	"outbox WHERE sent_at IS NULL AND held AND available_at <= now() FOR " \
	"UPDATE SKIP LOCKED) || " \
	"ARRAY(" BUDGET_UNPARK_SQL "))"

/*
 * The due unsent rows of a pass, highest priority first, then oldest
 * first: the jobs that are no issue order, unless their CA's breaker is
 * open ($1), and the issue orders of each CA with room ($2), at most its
 * room ($3) each. Both come off partial indexes (0064_flow.sql; without
 * held rows since 0073_outbox_held.sql), so rows
 * held for a CA at its cap are never read. The trace and certificate are
 * for the log lines: a job that is an order or a CA action has them on its
 * row (a primary key lookup). The ids are matched as one array (= ANY):
 * "id IN (...) OR id IN (...)" made PostgreSQL scan the whole table, sent
 * rows included, on every pass.
 */
#define OUTBOX_SELECT_SQL "SELECT id, topic, key, payload, job_id, attempt, " \
	"coalesce((SELECT o.trace_id FROM orders o WHERE o.id = " \
	"outbox.job_id), (SELECT a.trace_id FROM ca_actions a WHERE a.id = " \
	"outbox.job_id)), (SELECT o.certificate FROM orders o WHERE o.id = " \
	"outbox.job_id), ca, issue FROM outbox WHERE id = ANY(ARRAY(SELECT " \
	"id FROM outbox WHERE sent_at IS NULL AND NOT issue AND NOT held AND " \
	"available_at <= now() AND (ca IS NULL OR NOT ca = ANY($1::text[])) " \
	"ORDER BY " \
	"priority DESC, id LIMIT 500) || ARRAY(SELECT x.id FROM " \
	"unnest($2::text[], $3::integer[]) r(ca, room), LATERAL (SELECT id " \
	"FROM outbox WHERE sent_at IS NULL AND issue AND NOT held AND ca = " \
	"r.ca AND available_at <= now() ORDER BY priority DESC, id LIMIT " \
	"r.room) x)) " \
	"ORDER BY priority DESC, id LIMIT 500 FOR UPDATE OF outbox SKIP LOCKED"

long
outbox_drop_job(PGconn *c, const char *job_id, char *err, size_t errlen)
{
	return db_exec(c, "outbox drop", "DELETE FROM outbox WHERE job_id = $1 "
	    "AND sent_at IS NULL", 1, &job_id, NULL, NULL, err, errlen);
}

/* One relay pass: the rows taken, and the messages of the admitted ones
 * (msgs[k] is row row[k] of r, its payload decoded into payloads[k]). */
struct outbox_batch {
	PGresult		*r;
	struct publish_msg	*msgs;
	unsigned char		**payloads;
	size_t			*row;
	unsigned char		*held;	/* held[i]: row i's order locked, or none */
	unsigned char		*counted; /* counted[k]: msgs[k]'s order measured
					   * and released by budget_admit */
	size_t			 n, m;
};

static void
outbox_batch_free(struct outbox_batch *b)
{
	size_t k;

	for (k = 0; b->payloads != NULL && k < b->n; k++)
		free(b->payloads[k]);
	free(b->payloads);
	free(b->msgs);
	free(b->row);
	free(b->held);
	free(b->counted);
	PQclear(b->r);
}

/* Locks the orders of b's jobs, skipping those another transaction holds:
 * a cancel (order_cancel_in_flight) takes a certificate's outbox rows, then
 * its orders, so a relay that waited here for an order while holding outbox
 * rows could close a circle with it. Such a job waits for the next pass.
 * After the SELECT ... FOR UPDATE OF outbox SKIP LOCKED and this, the relay
 * waits for no row. Fills b->held; returns 0, or -1 with err. */
static int
outbox_batch_hold(PGconn *c, struct outbox_batch *b, char *err, size_t errlen)
{
	PGresult *r = NULL;
	char **jobs = NULL, *lit = NULL;
	size_t i, k, n = 0;
	int rc = -1;

	if ((b->held = calloc(b->n, 1)) == NULL ||
	    (jobs = calloc(b->n + 1, sizeof(*jobs))) == NULL)
		goto oom;
	for (i = 0; i < b->n; i++) {
		b->held[i] = PQgetisnull(b->r, (int)i, OUTBOX_CERT);
		if (!b->held[i])
			jobs[n++] = PQgetvalue(b->r, (int)i, OUTBOX_JOB);
	}
	rc = 0;
	if (n == 0)
		goto out;
	if ((lit = db_array_literal(jobs, n)) == NULL)
		goto oom;
	if ((r = db_query(c, "outbox_relay hold", "SELECT id FROM orders WHERE "
	    "id = ANY($1::text[]) FOR UPDATE SKIP LOCKED", 1,
	    (const char *[]){ lit }, NULL, NULL, err, errlen)) == NULL) {
		rc = -1;
		goto out;
	}
	for (k = 0; k < (size_t)PQntuples(r); k++)
		for (i = 0; i < b->n; i++)
			if (!b->held[i] && strcmp(PQgetvalue(r, (int)k, 0),
			    PQgetvalue(b->r, (int)i, OUTBOX_JOB)) == 0)
				b->held[i] = 1;
	goto out;
oom:
	snprintf(err, errlen, "outbox_relay: out of memory");
	rc = -1;
out:
	PQclear(r);
	free(lit);
	free(jobs);
	return rc;
}

/* Makes a message of every row of b that its CA has room for (issue
 * orders: under its cap, see flow.c) and its budgets and holds admit.
 * Only the orders of a CA that counts anything or holds a scope now cost
 * a statement here (budget_admit); a job that is no order needs none, and
 * the orders of other CAs are released by outbox_batch_mark's one
 * statement. Returns 0, or -1 with err. */
static int
outbox_batch_admit(PGconn *c, const struct cas_conf *cas,
    const struct outbox_signing *sign, struct flow *f, struct outbox_batch *b,
    char *err, size_t errlen)
{
	int64_t exp = clock_wall_ms() + (int64_t)sign->ttl_s * 1000;
	struct publish_msg *pm;
	const char *ca;
	size_t i;
	int issue, counted, held, ok = 1;

	if ((b->msgs = calloc(b->n, sizeof(*b->msgs))) == NULL ||
	    (b->payloads = calloc(b->n, sizeof(*b->payloads))) == NULL ||
	    (b->row = calloc(b->n, sizeof(*b->row))) == NULL ||
	    (b->counted = calloc(b->n, 1)) == NULL) {
		snprintf(err, errlen, "outbox_relay: out of memory");
		return -1;
	}
	for (i = 0; i < b->n; i++) {
		if (!b->held[i])
			continue;	/* its order is being cancelled */
		issue = strcmp(PQgetvalue(b->r, (int)i, OUTBOX_ISSUE), "t") == 0;
		ca = PQgetisnull(b->r, (int)i, OUTBOX_CA) ? NULL :
		    PQgetvalue(b->r, (int)i, OUTBOX_CA);
		if (issue && ca != NULL && !flow_take(f, ca))
			continue;	/* no room: it waits, untouched */
		/* an issue row's CA is its order's (written with it, 0064
		 * filled the older ones; orders.ca never changes): one
		 * without a CA is left to budget_admit, which reads it */
		held = issue && ca != NULL && flow_held(f, ca);
		counted = issue && (ca == NULL || budget_counts(cas, ca) ||
		    held);
		if (counted && (ok = budget_admit(c, cas, held,
		    PQgetvalue(b->r, (int)i, OUTBOX_ID), PQgetvalue(b->r,
		    (int)i, OUTBOX_JOB), err, errlen)) <= 0) {
			if (ok < 0)
				return -1;
			continue;
		}
		b->counted[b->m] = (unsigned char)counted;
		pm = &b->msgs[b->m];
		pm->topic = PQgetvalue(b->r, (int)i, OUTBOX_TOPIC);
		pm->key = PQgetvalue(b->r, (int)i, OUTBOX_KEY);
		pm->keylen = strlen(pm->key);
		if ((b->payloads[b->m] = db_bytea(b->r, (int)i, OUTBOX_PAYLOAD,
		    &pm->len)) == NULL) {
			snprintf(err, errlen, "outbox_relay: bad payload");
			return -1;
		}
		pm->payload = b->payloads[b->m];
		if (msgsig_sign(sign->signer, MSGSIG_JOB, exp, pm->key,
		    pm->keylen, pm->payload, pm->len, pm->sig, sizeof(pm->sig),
		    err, errlen) < 0)
			return -1;
		b->row[b->m++] = i;
	}
	return 0;
}

/* Logs a line about row i of r (its job, attempt, and when the job is an
 * order or a CA action its trace and certificate). */
__attribute__((format(printf, 4, 5)))
static void
outbox_log(const PGresult *r, int i, enum log_level level, const char *fmt,
    ...)
{
	struct log_ctx ctx = { 0 };
	va_list ap;

	ctx.job_id = PQgetvalue(r, i, OUTBOX_JOB);
	ctx.attempt = (unsigned)strtoul(PQgetvalue(r, i, OUTBOX_ATTEMPT), NULL,
	    10);
	if (!PQgetisnull(r, i, OUTBOX_TRACE))
		ctx.trace_id = PQgetvalue(r, i, OUTBOX_TRACE);
	if (!PQgetisnull(r, i, OUTBOX_CERT))
		ctx.certificate_id = PQgetvalue(r, i, OUTBOX_CERT);
	va_start(ap, fmt);
	log_vmsg_ctx(level, &ctx, fmt, ap);
	va_end(ap);
}

/*
 * The orders of a pass in ONE statement: of the admitted ones ($1), the
 * delivered ($2) "sent", and those budget_admit did not release ($3,
 * delivered or not, as budget_admit would have) released. Two UPDATEs of
 * a row in one transaction write it twice, and the second, finding a row
 * version of its own transaction, runs its four foreign-key checks again
 * (RI_FKey_fk_upd_check_required). A plan that reads the whole table
 * (made while it was small: a new database) first passes over the rows
 * neither condition can hold for (released and no longer pending), then
 * compares the others with the one array $1, and only $1's rows with $2
 * and $3.
 */
#define OUTBOX_SENT "(id = ANY($2::text[]) AND status IN ('pending', " \
	"'deferred'))"
#define OUTBOX_RELEASE "(id = ANY($3::text[]) AND " BUDGET_RELEASE("$4") ")"
#define OUTBOX_ORDERS_SQL "UPDATE orders SET status = CASE WHEN " \
	OUTBOX_SENT " THEN 'sent' ELSE status END, updated_at = CASE WHEN " \
	OUTBOX_SENT " THEN now() ELSE updated_at END, released_at = CASE " \
	"WHEN " OUTBOX_RELEASE " THEN now() ELSE released_at END WHERE " \
	"(released_at IS NULL OR status IN ('pending', 'deferred')) AND " \
	"id = ANY($1::text[]) AND (" OUTBOX_SENT " OR " OUTBOX_RELEASE ")"

/* Marks the delivered messages' rows sent and their orders "sent", and
 * releases the admitted orders of CAs that count nothing. Returns how
 * many were delivered, or -1 with err. */
static int
outbox_batch_mark(PGconn *c, const struct cas_conf *cas,
    const struct outbox_batch *b, char *err, size_t errlen)
{
	char **ids = NULL, **jobs = NULL, **rel = NULL, **all = NULL;
	char *idlit = NULL, *joblit = NULL, *rellit = NULL, *alllit = NULL;
	char *limited = NULL;
	size_t k, i, sent = 0, nrel = 0;
	int rc = -1;

	if ((ids = calloc(b->m + 1, sizeof(*ids))) == NULL ||
	    (jobs = calloc(b->m + 1, sizeof(*jobs))) == NULL ||
	    (rel = calloc(b->m + 1, sizeof(*rel))) == NULL ||
	    (all = calloc(b->m + 1, sizeof(*all))) == NULL) {
		snprintf(err, errlen, "outbox_relay: out of memory");
		goto out;
	}
	for (k = 0; k < b->m; k++) {
		i = b->row[k];
		all[k] = PQgetvalue(b->r, (int)i, OUTBOX_JOB);
		if (!b->counted[k])
			rel[nrel++] = all[k];
		if (b->msgs[k].delivered != 1) {
			outbox_log(b->r, (int)i, LOGL_WARN, "outbox row %s not "
			    "delivered: %s", PQgetvalue(b->r, (int)i, OUTBOX_ID),
			    b->msgs[k].error);
			continue;
		}
		ids[sent] = PQgetvalue(b->r, (int)i, OUTBOX_ID);
		jobs[sent++] = PQgetvalue(b->r, (int)i, OUTBOX_JOB);
		outbox_log(b->r, (int)i, LOGL_INFO, "published to %s",
		    b->msgs[k].topic);
	}
	if (sent == 0 && nrel == 0) {
		rc = 0;
		goto out;
	}
	if ((idlit = db_array_literal(ids, sent)) == NULL ||
	    (joblit = db_array_literal(jobs, sent)) == NULL ||
	    (rellit = db_array_literal(rel, nrel)) == NULL ||
	    (alllit = db_array_literal(all, b->m)) == NULL ||
	    (limited = budget_limited_names(cas)) == NULL) {
		snprintf(err, errlen, "outbox_relay: out of memory");
		goto out;
	}
	if ((sent > 0 && db_exec(c, "outbox_relay mark", "UPDATE outbox SET "
	    "sent_at = now() WHERE id = ANY($1::bigint[])", 1,
	    (const char *[]){ idlit }, NULL, NULL, err, errlen) < 0) ||
	    db_exec(c, "outbox_relay orders", OUTBOX_ORDERS_SQL, 4,
	    (const char *[]){ alllit, joblit, rellit, limited }, NULL, NULL,
	    err, errlen) < 0)
		goto out;
	rc = (int)sent;
out:
	free(idlit);
	free(joblit);
	free(rellit);
	free(alllit);
	free(limited);
	free(ids);
	free(jobs);
	free(rel);
	free(all);
	return rc;
}

int
outbox_relay(PGconn *c, rd_kafka_t *producer, const struct cas_conf *cas,
    const struct outbox_signing *sign, char *err, size_t errlen)
{
	struct outbox_batch b = { 0 };
	struct flow f;
	char *open = NULL, *cas_room = NULL, *rooms = NULL, *names = NULL;
	char *limits = NULL;
	int sent, rc = -1;

	if (budget_orders_limits(cas, &names, &limits) < 0) {
		snprintf(err, errlen, "outbox_relay: out of memory");
		return -1;
	}
	if (db_begin(c, err, errlen) < 0) {
		free(names);
		free(limits);
		return -1;
	}
	if (db_exec(c, "outbox_relay lock", "SELECT pg_advisory_xact_lock("
	    "hashtext('certfleet-relay'))", 0, NULL, NULL, NULL, err,
	    errlen) < 0 || db_exec(c, "outbox_relay release",
	    OUTBOX_RELEASE_SQL, 2, (const char *[]){ names, limits }, NULL,
	    NULL, err, errlen) < 0 ||
	    flow_read(c, cas, &f, err, errlen) < 0)
		goto out;
	if ((open = flow_open(&f)) == NULL ||
	    flow_rooms(&f, OUTBOX_BATCH, &cas_room, &rooms) < 0) {
		snprintf(err, errlen, "outbox_relay: out of memory");
		goto out;
	}
	if ((b.r = db_query(c, "outbox_relay select", OUTBOX_SELECT_SQL, 3,
	    (const char *[]){ open, cas_room, rooms }, NULL, NULL, err,
	    errlen)) == NULL)
		goto out;
	if ((b.n = (size_t)PQntuples(b.r)) == 0) {
		rc = 0;
		goto out;
	}
	if (outbox_batch_hold(c, &b, err, errlen) < 0 ||
	    outbox_batch_admit(c, cas, sign, &f, &b, err, errlen) < 0)
		goto out;
	if (b.m > 0)
		publish_batch(producer, b.msgs, b.m, OUTBOX_DELIVERY_MS);
	if ((sent = outbox_batch_mark(c, cas, &b, err, errlen)) < 0 ||
	    db_commit(c, err, errlen) < 0)
		goto out;
	cmetrics_published(sent);
	rc = sent;
out:
	if (rc < 0 || b.n == 0)
		db_rollback(c);
	outbox_batch_free(&b);
	free(open);
	free(cas_room);
	free(rooms);
	free(names);
	free(limits);
	return rc;
}
