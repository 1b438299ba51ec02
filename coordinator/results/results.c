/* results.c -- result consumer: events from workers applied once each, in one transaction, or dead-lettered. */
#include "results.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "ari_recheck.h"
#include "clock.h"
#include "cmetrics.h"
#include "codec.h"
#include "config.h"
#include "db.h"
#include "kafkaconn.h"
#include "log.h"
#include "msgsig.h"
#include "publish.h"
#include "results_int.h"
#include "utf8.h"

#define RESULTS_DLQ_WAIT_MS 30000
#define RESULTS_COMMIT_MS 1000	/* stored offsets committed this often */
/* The events partitions the group gives this coordinator, logged ("results:
 * assigned partition(s) 0,1,2 of certfleet.events"), then taken as
 * librdkafka takes them without a callback (eager: all revoked, then the
 * new share): with several coordinators in one group, the log says which
 * one applies which worker's results, and when a dead one's share moved. */
static void
results_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	char list[256];
	size_t n = 0;
	int i, w;

	(void)opaque;
	list[0] = '\0';
	for (i = 0; i < parts->cnt && n < sizeof(list); i++) {
		w = snprintf(list + n, sizeof(list) - n, "%s%d", i ? "," : "",
		    (int)parts->elems[i].partition);
		if (w < 0 || (size_t)w >= sizeof(list) - n)
			break;
		n += (size_t)w;
	}
	switch (err) {
	case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
		log_info("results: assigned partition(s) %s of %s", parts->cnt ?
		    list : "none", kafkaconn_topic_events());
		rd_kafka_assign(rk, parts);
		break;
	case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
		log_info("results: partition(s) %s revoked", parts->cnt ? list :
		    "none");
		rd_kafka_assign(rk, NULL);
		break;
	default:
		log_err("results: rebalance error: %s", rd_kafka_err2str(err));
		rd_kafka_assign(rk, NULL);
		break;
	}
}

/* Events applied in one transaction by results_poll, each in a savepoint:
 * PostgreSQL keeps 64 subtransaction ids of a backend in shared memory,
 * past that every other snapshot has to look them up in pg_subtrans. */
#define RESULTS_BATCH_MAX 48
#define RESULTS_SAVEPOINT "results_event"
#define RESULTS_STR2(x) #x
#define RESULTS_STR(x) RESULTS_STR2(x)

rd_kafka_t *
results_consumer_new(const char *bootstrap, char *err, size_t errlen)
{
	rd_kafka_conf_t *conf;
	rd_kafka_topic_partition_list_t *topics = NULL;
	rd_kafka_t *rk;
	char e[512];

	if ((conf = kafkaconn_conf(bootstrap, "certfleet-coordinator", err,
	    errlen)) == NULL)
		return NULL;
	if (kafkaconn_set(conf, "group.id", config_str(RESULTS_GROUP_ENV,
	    RESULTS_GROUP), err, errlen) < 0 ||
	    /* at least once: an offset is stored only once its event is
	     * applied (results_poll), and the stored offsets are committed in
	     * the background every RESULTS_COMMIT_MS and at close, not one
	     * synchronous commit per event (events are idempotent:
	     * processed_events) */
	    kafkaconn_set(conf, "enable.auto.commit", "true", err, errlen) < 0 ||
	    kafkaconn_set(conf, "enable.auto.offset.store", "false", err,
	    errlen) < 0 ||
	    kafkaconn_set(conf, "auto.commit.interval.ms",
	    RESULTS_STR(RESULTS_COMMIT_MS), err, errlen) < 0 ||
	    kafkaconn_set(conf, "auto.offset.reset", "earliest", err,
	    errlen) < 0 ||
	    kafkaconn_set(conf, "fetch.wait.max.ms", KAFKACONN_FETCH_WAIT_MS,
	    err, errlen) < 0) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_conf_set_rebalance_cb(conf, results_rebalance);
	if ((rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "consumer: %s", e);
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_poll_set_consumer(rk);
	topics = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(topics, kafkaconn_topic_events(),
	    RD_KAFKA_PARTITION_UA);
	if (rd_kafka_subscribe(rk, topics) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(err, errlen, "consumer: cannot subscribe to %s",
		    kafkaconn_topic_events());
		rd_kafka_topic_partition_list_destroy(topics);
		rd_kafka_destroy(rk);
		return NULL;
	}
	rd_kafka_topic_partition_list_destroy(topics);
	return rk;
}

/* account_registered: the account's URL at the CA, the result of a
 * register_account job or the progress of any job that registered the
 * account again after the CA forgot it. Events of different jobs are not
 * ordered: a URL older than the stored one costs its next job one more
 * registration, which reports the current URL again. */
static enum results_outcome
results_account_registered(PGconn *c, const Certfleet__Event *e, char *err,
    size_t errlen)
{
	const char *v[2];
	long n;

	v[0] = e->account_registered->account_id;
	v[1] = e->account_registered->account_url;
	if ((n = db_exec(c, "results account registered", "UPDATE acme_accounts "
	    "SET account_url = $2, status = 'valid', updated_at = now() WHERE "
	    "id = $1", 2, v, NULL, NULL, err, errlen)) < 0)
		return RESULTS_RETRY;
	log_info_ctx(LOG_JOB(e->job_id, e->attempt, e->trace_id, NULL),
	    "account %s registered%s", v[0], n == 0 ?
	    " (unknown account, ignored)" : "");
	return n == 0 ? RESULTS_IGNORED : RESULTS_APPLIED;
}

/* Applies e inside the caller's transaction, routed by the kind of job it
 * answers (the codec made sure it fits the event's kind); ib as
 * results_issued takes it. */
static enum results_outcome
results_dispatch(PGconn *c, const struct settings *s, const Certfleet__Event *e,
    struct issued_batch *ib, char *err, size_t errlen)
{
	if (e->kind_case == CERTFLEET__EVENT__KIND_ACCOUNT_REGISTERED)
		return results_account_registered(c, e, err, errlen);
	switch (e->job_kind) {
	case CERTFLEET__JOB_KIND__JOB_KIND_REGISTER_ACCOUNT:
		return results_account(c, s, e, err, errlen);
	case CERTFLEET__JOB_KIND__JOB_KIND_ISSUE_ORDER:
		return results_order_event(c, s, e, ib, err, errlen);
	case CERTFLEET__JOB_KIND__JOB_KIND_ARI_CHECK:
		return ari_recheck_result(c, e, err, errlen);
	case CERTFLEET__JOB_KIND__JOB_KIND_CA_ACTION:
		return actions_result(c, s, e, err, errlen);
	default:
		snprintf(err, errlen, "%s event answers no known kind of job",
		    proto_event_kind_name(e));
		return RESULTS_INVALID;
	}
}

/* The outcome's name, for metrics. */
static const char *
results_outcome_name(enum results_outcome o)
{
	switch (o) {
	case RESULTS_APPLIED:
		return "applied";
	case RESULTS_IGNORED:
		return "ignored";
	case RESULTS_REJECTED:
		return "rejected";
	case RESULTS_INVALID:
		return "invalid";
	case RESULTS_POISON:
		return "poison";
	default:
		return "retry";
	}
}

/*
 * The batch's transaction: not begun; begun; begun with the savepoint of
 * its last event kept (the next event's first round trip releases it, or
 * COMMIT does); or broken: a savepoint may be missing, so nothing of the
 * batch may be committed (results_flush rolls it back and rewinds).
 */
enum results_tx {
	RESULTS_TX_NONE,
	RESULTS_TX_OPEN,
	RESULTS_TX_KEPT,
	RESULTS_TX_BROKEN
};

/* Opens the scope of one event and records it in processed_events, in
 * ONE round trip: the previous event's savepoint released, the batch's
 * transaction begun when it is not, this event's savepoint, the INSERT
 * (or BEGIN and the INSERT, for a transaction of its own: tx NULL).
 * Returns 1 when the event is new, 0 when seen before, -1 with a message
 * in err (*tx RESULTS_TX_BROKEN when this event's savepoint was not
 * taken: the batch cannot be undone to it). */
static int
results_scope_open(PGconn *c, enum results_tx *tx, const char *const v[3],
    char *err, size_t errlen)
{
	struct db_stmt st[4];
	size_t n = 0, sp = 0, i;
	int rc;

	memset(st, 0, sizeof(st));
	if (tx != NULL && *tx == RESULTS_TX_KEPT) {
		st[n].what = "results release";
		st[n++].sql = "RELEASE SAVEPOINT " RESULTS_SAVEPOINT;
	}
	if (tx == NULL || *tx == RESULTS_TX_NONE) {
		st[n].what = "results begin";
		st[n++].sql = "BEGIN";
	}
	if (tx != NULL) {
		sp = n;
		st[n].what = "results savepoint";
		st[n++].sql = "SAVEPOINT " RESULTS_SAVEPOINT;
	}
	st[n].what = "results processed";
	st[n].sql = "INSERT INTO processed_events (job_id, attempt, kind) "
	    "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
	st[n].n = 3;
	st[n++].params = v;
	if (db_pipeline(c, st, n, err, errlen) < 0) {
		if (tx != NULL)
			*tx = st[sp].ran ? RESULTS_TX_OPEN : RESULTS_TX_BROKEN;
		return -1;
	}
	if (tx != NULL)
		*tx = RESULTS_TX_OPEN;
	rc = atol(PQcmdTuples(st[n - 1].res)) > 0;
	for (i = 0; i < n; i++)
		PQclear(st[i].res);
	return rc;
}

/* Closes it: kept (committed, or the savepoint kept for the next event or
 * the COMMIT to release) or undone. An undo that fails leaves the batch's
 * transaction failed, and its commit (results_flush) then applies nothing
 * of the batch. Returns 0, or -1 with a message in err when what was to
 * be kept was not. */
static int
results_scope_close(PGconn *c, enum results_tx *tx, int keep, char *err,
    size_t errlen)
{
	if (tx == NULL) {
		if (keep && db_commit(c, err, errlen) == 0)
			return 0;
		db_rollback(c);
		return keep ? -1 : 0;
	}
	if (*tx == RESULTS_TX_BROKEN || *tx == RESULTS_TX_NONE)
		return keep ? -1 : 0;
	if (keep) {
		*tx = RESULTS_TX_KEPT;
		return 0;
	}
	/* raw PQexec: db_fault keeps the event's own failure */
	if (PQtransactionStatus(c) != PQTRANS_UNKNOWN)
		PQclear(PQexec(c, "ROLLBACK TO SAVEPOINT " RESULTS_SAVEPOINT
		    "; RELEASE SAVEPOINT " RESULTS_SAVEPOINT));
	return 0;
}

/* 1 when e is one more issued certificate for batch ib to take (another
 * order's), else 0: what e reads, ib must have written first. */
static int
results_joins(const struct issued_batch *ib, const Certfleet__Event *e)
{
	return e->kind_case == CERTFLEET__EVENT__KIND_CERTIFICATE_ISSUED &&
	    e->job_kind == CERTFLEET__JOB_KIND__JOB_KIND_ISSUE_ORDER &&
	    !issued_batch_holds(ib, e->job_id, NULL);
}

/* results_apply, in a savepoint of the batch's transaction when tx is not
 * NULL (*tx: that transaction's state), its issued certificate added to ib
 * when ib is not NULL (tx is not NULL then): the batch's, written before
 * the batch commits (results_flush). A write of ib that fails breaks the
 * batch's transaction: its certificates are lost with it. */
static enum results_outcome
results_apply_in(PGconn *c, const struct settings *s, const void *buf,
    size_t len, enum results_tx *tx, struct issued_batch *ib, char *err,
    size_t errlen)
{
	Certfleet__Event *e;
	const char *v[3];
	char att[16], st[6], why[400];
	enum results_outcome out = RESULTS_RETRY;
	int keep = 0, fresh, lost = 0;

	if ((e = proto_event_decode(buf, len, err, errlen)) == NULL) {
		cmetrics_event("undecodable", results_outcome_name(RESULTS_INVALID));
		return RESULTS_INVALID;
	}
	db_fault_clear(c);
	snprintf(att, sizeof(att), "%u", e->attempt);
	v[0] = e->job_id;
	v[1] = att;
	v[2] = proto_event_kind_name(e);
	if ((fresh = results_scope_open(c, tx, v, err, errlen)) < 0)
		goto out;
	if (fresh == 0) {
		log_info_ctx(LOG_JOB(e->job_id, e->attempt, e->trace_id, NULL),
		    "%s seen before, ignored", v[2]);
		out = RESULTS_IGNORED;
		goto out;
	}
	if (ib != NULL && issued_batch_count(ib) > 0 && !results_joins(ib, e) &&
	    issued_batch_write(c, ib, err, errlen) < 0)
		goto out;
	out = results_dispatch(c, s, e, ib, err, errlen);
	keep = out != RESULTS_RETRY;
out:
	if (ib != NULL && issued_batch_failed(ib)) {
		/* the batch's joint write failed, not e: the batch is applied
		 * again one by one (results_flush), e with it */
		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "the certificates of its batch, written "
		    "together, were refused: %s", why);
		*tx = RESULTS_TX_BROKEN;
		out = RESULTS_RETRY;
		keep = 0;
		lost = 1;
	}
	if (results_scope_close(c, tx, keep, err, errlen) < 0)
		out = RESULTS_RETRY;
	if (out == RESULTS_RETRY && !lost &&
	    db_fault(c, st) == DB_FAULT_CONTENT) {
		/* the same bytes will be refused again */
		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "the database refused its content "
		    "(SQLSTATE %s): %s", st, why);
		out = RESULTS_POISON;
	}
	cmetrics_event(proto_event_kind_name(e), results_outcome_name(out));
	proto_event_free(e);
	return out;
}

enum results_outcome
results_apply(PGconn *c, const struct settings *s, const void *buf,
    size_t len, char *err, size_t errlen)
{
	return results_apply_in(c, s, buf, len, NULL, NULL, err, errlen);
}

/* Publishes m's bytes and reason on the dead-letter topic and waits for
 * the delivery. Returns 0, or -1 when it was not delivered. */
static int
results_deadletter(rd_kafka_t *producer, const rd_kafka_message_t *m,
    const char *reason)
{
	Certfleet__DeadLetter d = CERTFLEET__DEAD_LETTER__INIT;
	struct publish_msg pm = { 0 };
	char why[1024];
	void *buf;
	size_t len;

	d.schema_version = PROTO_SCHEMA_VERSION;
	d.source_topic = (char *)(uintptr_t)rd_kafka_topic_name(m->rkt);
	d.partition = m->partition;
	d.offset = m->offset;
	d.key.data = m->key;
	d.key.len = m->key_len < 1024 ? m->key_len : 1024;
	d.payload.data = m->payload;
	/* Under the topic's cap whatever came in: the original stays on the
	 * events topic until its retention ends. */
	d.payload.len = m->len < KAFKACONN_DLQ_PAYLOAD_MAX ? m->len :
	    KAFKACONN_DLQ_PAYLOAD_MAX;
	utf8_sanitize(reason, strlen(reason), why, sizeof(why));
	if (d.payload.len < m->len)
		snprintf(why + strlen(why), sizeof(why) - strlen(why),
		    " (payload cut to %zu of %zu bytes)", d.payload.len, m->len);
	d.reason = why;
	d.consumer = (char *)(uintptr_t)"certfleet-coordinator";
	d.at_unix_ms = clock_wall_ms();
	if ((buf = proto_deadletter_encode(&d, &len)) == NULL)
		return -1;
	pm.topic = kafkaconn_topic_dlq();
	pm.payload = buf;
	pm.len = len;
	publish_batch(producer, &pm, 1, RESULTS_DLQ_WAIT_MS);
	free(buf);
	if (pm.delivered != 1) {
		log_warn("results: dead letter not delivered: %s", pm.error);
		return -1;
	}
	return 0;
}

/* Goes back to m so that the next poll returns it again. */
static void
results_rewind(rd_kafka_t *consumer, const rd_kafka_message_t *m)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_error_t *e;

	l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, rd_kafka_topic_name(m->rkt),
	    m->partition)->offset = m->offset;
	if ((e = rd_kafka_seek_partitions(consumer, l, 5000)) != NULL) {
		log_warn("results: rewind failed: %s", rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
	}
	rd_kafka_topic_partition_list_destroy(l);
}

/* Dead-letters m (reason why) and re-drives its order. Returns 0, or -1
 * when either step failed for now (the caller rewinds to m). */
static int
results_refuse(rd_kafka_t *producer, PGconn *c, const struct settings *s,
    const rd_kafka_message_t *m, const char *why)
{
	char err[512];

	log_warn("results: %s [%d] offset %lld dead-lettered: %s",
	    rd_kafka_topic_name(m->rkt), m->partition, (long long)m->offset, why);
	/* The order first: a re-drive already done is not done twice
	 * (results_poison is idempotent), a dead letter would be. */
	if (results_poison(c, s, m->payload, m->len, why, err,
	    sizeof(err)) == RESULTS_RETRY) {
		if (db_fault(c, NULL) == DB_FAULT_TRANSIENT) {
			log_warn("results: re-drive after offset %lld failed, will "
			    "retry: %s", (long long)m->offset, err);
			return -1;
		}
		/* Never a reason to hold the partition: the sweeper tries
		 * again once the order's lease has passed. */
		log_err("results: the order of offset %lld is not re-driven: %s",
		    (long long)m->offset, err);
	}
	return results_deadletter(producer, m, why);
}

/* What to do with m after results_apply said out (err its reason), as
 * RESULTS_APPLIED (done: commit), RESULTS_POISON (dead-letter it) or
 * RESULTS_RETRY (rewind and try again); counts non-transient failures of
 * the same message in stall. */
static enum results_outcome
results_judge(PGconn *c, struct results_stall *stall,
    const rd_kafka_message_t *m, enum results_outcome out, char *err,
    size_t errlen)
{
	char st[6], first[400];

	if (out == RESULTS_INVALID || out == RESULTS_POISON)
		return RESULTS_POISON;
	if (out != RESULTS_RETRY) {
		stall->tries = 0;
		return RESULTS_APPLIED;
	}
	if (db_fault(c, st) == DB_FAULT_TRANSIENT) {
		log_warn("results: %s [%d] offset %lld not applied, will retry "
		    "(transient%s%s): %s", rd_kafka_topic_name(m->rkt),
		    m->partition, (long long)m->offset, st[0] != '\0' ?
		    ", SQLSTATE " : "", st, err);
		return RESULTS_RETRY;
	}
	if (stall->partition != m->partition || stall->offset != m->offset) {
		stall->partition = m->partition;
		stall->offset = m->offset;
		stall->tries = 0;
	}
	if (++stall->tries < RESULTS_STALL_MAX) {
		log_warn("results: %s [%d] offset %lld not applied (try %d of %d"
		    "%s%s): %s", rd_kafka_topic_name(m->rkt), m->partition,
		    (long long)m->offset, stall->tries, RESULTS_STALL_MAX,
		    st[0] != '\0' ? ", SQLSTATE " : "", st, err);
		return RESULTS_RETRY;
	}
	snprintf(first, sizeof(first), "%s", err);
	snprintf(err, errlen, "not applied after %d tries: %s",
	    RESULTS_STALL_MAX, first);
	stall->tries = 0;
	return RESULTS_POISON;
}

/* Checks m's signature (a worker's key of s->event_keys, msgsig.h). An
 * event that is unsigned or badly signed is dead-lettered with the reason
 * and nothing else: no order is touched, none re-driven. Returns 1 when m
 * may be applied, 0 when it was dead-lettered, -1 when its dead letter was
 * not delivered (the caller rewinds to m). */
static int
results_verified(rd_kafka_t *producer, const struct settings *s,
    rd_kafka_message_t *m)
{
	rd_kafka_headers_t *h = NULL;
	const void *sig = NULL;
	size_t siglen = 0;
	char why[400];

	if (rd_kafka_message_headers(m, &h) != RD_KAFKA_RESP_ERR_NO_ERROR ||
	    rd_kafka_header_get_last(h, MSGSIG_HEADER, &sig, &siglen) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR)
		sig = NULL;
	if (msgsig_verify(s->event_keys, MSGSIG_EVENT, sig, siglen, m->key,
	    m->key_len, m->payload, m->len, clock_wall_ms(), why,
	    sizeof(why)) == 0)
		return 1;
	log_warn("results: %s [%d] offset %lld dead-lettered, not applied: %s",
	    rd_kafka_topic_name(m->rkt), m->partition, (long long)m->offset, why);
	cmetrics_event("unverified", "invalid");
	return results_deadletter(producer, m, why) < 0 ? -1 : 0;
}

/* The messages of the open batch: applied in its transaction (or
 * dead-lettered unverified, which needs none), their offsets stored once
 * it commits. */
struct results_batch {
	rd_kafka_message_t	*m[RESULTS_BATCH_MAX];
	int			 n;
	enum results_tx		 tx;	/* its transaction */
	struct issued_batch	*ib;	/* its issued certificates not yet
					 * written; NULL: each at once */
};

/* Seeks every partition of b's messages, and extra's (may be NULL), back
 * to the first of them: the next polls return them again. */
static void
results_rewind_batch(rd_kafka_t *consumer, const struct results_batch *b,
    const rd_kafka_message_t *extra)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_error_t *e;
	const rd_kafka_message_t *m;
	int i;

	l = rd_kafka_topic_partition_list_new(b->n + 1);
	for (i = 0; i <= b->n; i++) {
		if ((m = i < b->n ? b->m[i] : extra) == NULL)
			continue;
		/* in order: a partition's first message is its earliest */
		if (rd_kafka_topic_partition_list_find(l,
		    rd_kafka_topic_name(m->rkt), m->partition) == NULL)
			rd_kafka_topic_partition_list_add(l,
			    rd_kafka_topic_name(m->rkt), m->partition)->offset =
			    m->offset;
	}
	if ((e = rd_kafka_seek_partitions(consumer, l, 5000)) != NULL) {
		log_warn("results: rewind failed: %s", rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
	}
	rd_kafka_topic_partition_list_destroy(l);
}

/* Notes in stall, for each partition of b's messages and extra's (may be
 * NULL), the last offset of them there: up to it, that partition's events
 * are applied one by one (results_replaying). */
static void
results_replay_mark(struct results_stall *stall, const struct results_batch *b,
    const rd_kafka_message_t *extra)
{
	const rd_kafka_message_t *m;
	struct results_replay *r;
	int i, k;

	for (i = 0; i <= b->n; i++) {
		if ((m = i < b->n ? b->m[i] : extra) == NULL)
			continue;
		for (k = 0; k < stall->nreplay; k++)
			if (stall->replay[k].partition == m->partition)
				break;
		if (k == stall->nreplay) {
			if (k == RESULTS_REPLAY_MAX)
				continue;	/* never more than its partitions */
			stall->nreplay++;
			stall->replay[k].last = m->offset;
		}
		r = &stall->replay[k];
		r->partition = m->partition;
		if (m->offset > r->last)
			r->last = m->offset;
	}
}

/* 1 when m is to be applied one by one (results_replay_mark), else 0; a
 * partition whose marked offset m passes is done with. */
static int
results_replaying(struct results_stall *stall, const rd_kafka_message_t *m)
{
	int k;

	for (k = 0; k < stall->nreplay; k++) {
		if (stall->replay[k].partition != m->partition)
			continue;
		if (m->offset <= stall->replay[k].last)
			return 1;
		stall->replay[k] = stall->replay[--stall->nreplay];
		return 0;
	}
	return 0;
}

/* Stores the offset of m, applied (or dead-lettered) for good. */
static void
results_store(rd_kafka_message_t *m)
{
	rd_kafka_resp_err_t ce;

	if ((ce = rd_kafka_offset_store(m->rkt, m->partition, m->offset)) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR)
		log_warn("results: offset store failed: %s (the event may be "
		    "seen again; it will change nothing)", rd_kafka_err2str(ce));
}

/* Writes b's issued certificates and commits b's transaction, then
 * stores its messages' offsets. When that fails nothing of b was applied:
 * every partition of b (and of extra, not NULL: the message being handled
 * after b) is rewound to its first message; when b wrote its
 * certificates together, its events are then applied again one by one
 * (results_replay_mark), so that one whose certificate the database
 * refuses is found and dead-lettered alone. Empties b. Returns 0, or -1
 * after a rewind. */
static int
results_flush(rd_kafka_t *consumer, PGconn *c, struct results_batch *b,
    struct results_stall *stall, const rd_kafka_message_t *extra)
{
	char err[512];
	int rc = 0, i;

	if (b->tx != RESULTS_TX_NONE) {
		snprintf(err, sizeof(err), "its transaction failed");
		if (b->tx != RESULTS_TX_BROKEN && b->ib != NULL &&
		    issued_batch_write(c, b->ib, err, sizeof(err)) < 0)
			b->tx = RESULTS_TX_BROKEN;
		/* COMMIT of a failed transaction answers ROLLBACK, no error */
		if (b->tx == RESULTS_TX_BROKEN ||
		    PQtransactionStatus(c) != PQTRANS_INTRANS)
			rc = -1;
		else if (db_commit(c, err, sizeof(err)) < 0)
			rc = -1;
		if (rc < 0) {
			db_rollback(c);
			log_warn("results: %d events not committed, will retry%s: "
			    "%s", b->n, b->ib != NULL ? " one by one" : "", err);
			if (b->ib != NULL)
				results_replay_mark(stall, b, extra);
		}
		b->tx = RESULTS_TX_NONE;
	}
	if (b->ib != NULL)
		issued_batch_clear(b->ib);
	if (rc < 0)
		results_rewind_batch(consumer, b, extra);
	for (i = 0; i < b->n; i++) {
		if (rc == 0)
			results_store(b->m[i]);
		rd_kafka_message_destroy(b->m[i]);
	}
	b->n = 0;
	return rc;
}

/* Handles m: its signature checked, applied in a savepoint of b's
 * transaction, its certificate written with b's (ib: b->ib) or at once (ib
 * NULL). Returns RESULTS_APPLIED when m belongs to b now (applied, or
 * dead-lettered unverified), RESULTS_POISON when it is to be dead-lettered,
 * RESULTS_RETRY when it is to be rewound (err says why). */
static enum results_outcome
results_handle(rd_kafka_t *producer, PGconn *c, const struct settings *s,
    struct results_stall *stall, struct results_batch *b,
    struct issued_batch *ib, rd_kafka_message_t *m, char *err, size_t errlen)
{
	enum results_outcome out;
	int ok;

	err[0] = '\0';
	if ((ok = results_verified(producer, s, m)) <= 0)
		return ok == 0 ? RESULTS_APPLIED : RESULTS_RETRY;
	out = results_apply_in(c, s, m->payload, m->len, &b->tx, ib, err,
	    errlen);
	return results_judge(c, stall, m, out, err, errlen);
}

/* results_poll's loop, its batch b begun empty. */
static int
results_poll_batch(rd_kafka_t *consumer, rd_kafka_t *producer, PGconn *c,
    const struct settings *s, struct results_stall *stall,
    struct results_batch *b, int max, int timeout_ms)
{
	rd_kafka_message_t *m;
	enum results_outcome out;
	char err[512];
	int handled = 0, alone;

	while (handled < max) {
		m = rd_kafka_consumer_poll(consumer, handled == 0 ? timeout_ms : 0);
		if (m == NULL)
			break;
		if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
				log_warn("results: consumer: %s",
				    rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
			continue;
		}
		/* applied again alone: what b holds is committed first, and
		 * this event's writes are its own */
		if ((alone = b->ib != NULL && results_replaying(stall, m)) &&
		    results_flush(consumer, c, b, stall, m) < 0) {
			rd_kafka_message_destroy(m);
			return -1;
		}
		out = results_handle(producer, c, s, stall, b, alone ? NULL :
		    b->ib, m, err, sizeof(err));
		if (out == RESULTS_APPLIED) {
			b->m[b->n++] = m;
			handled++;
			if (b->n == RESULTS_BATCH_MAX && results_flush(consumer, c,
			    b, stall, NULL) < 0)
				return -1;
			continue;
		}
		/* What the batch applied is committed first: results_refuse
		 * writes in transactions of its own. */
		if (results_flush(consumer, c, b, stall, m) < 0) {
			rd_kafka_message_destroy(m);
			return -1;
		}
		if (out == RESULTS_POISON && results_refuse(producer, c, s, m,
		    err) < 0)
			out = RESULTS_RETRY;
		if (out == RESULTS_RETRY) {
			results_rewind(consumer, m);
			rd_kafka_message_destroy(m);
			return -1;
		}
		results_store(m);
		rd_kafka_message_destroy(m);
		handled++;
	}
	return results_flush(consumer, c, b, stall, NULL) < 0 ? -1 : handled;
}

int
results_poll(rd_kafka_t *consumer, rd_kafka_t *producer, PGconn *c,
    const struct settings *s, struct results_stall *stall, int max,
    int timeout_ms)
{
	struct results_batch b = { .n = 0, .tx = RESULTS_TX_NONE };
	int rc;

	/* issued certificates written together (without memory, one by
	 * one) */
	b.ib = issued_batch_new();
	rc = results_poll_batch(consumer, producer, c, s, stall, &b, max,
	    timeout_ms);
	issued_batch_free(b.ib);
	return rc;
}
