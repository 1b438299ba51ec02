/* results.c -- result consumer: events from workers applied once each, in one transaction, or dead-lettered. */
#include "results.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "actions.h"
#include "ari_recheck.h"
#include "codec.h"
#include "db.h"
#include "fallback.h"
#include "kafkaconn.h"
#include "log.h"
#include "publish.h"
#include "results_int.h"

#define RESULTS_DLQ_WAIT_MS 30000

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
	if (kafkaconn_set(conf, "group.id", RESULTS_GROUP, err, errlen) < 0 ||
	    kafkaconn_set(conf, "enable.auto.commit", "false", err, errlen) < 0 ||
	    kafkaconn_set(conf, "auto.offset.reset", "earliest", err,
	    errlen) < 0) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
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

static void
results_order_free(struct results_order *o)
{
	db_array_free(o->names, o->nnames);
	PQclear(o->r);
	memset(o, 0, sizeof(*o));
}

/* Returns 1 when found, 0 when the job is no order, -1 on error. */
static int
results_order_get(PGconn *c, const char *job_id, struct results_order *o,
    char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	if ((o->r = db_query(c, "results order", "SELECT o.status, o.attempt, "
	    "o.certificate, o.private_key, coalesce(o.order_url, ''), o.trace_id, "
	    "c.status, hs.names FROM orders o JOIN certificates c ON "
	    "c.id = o.certificate JOIN hostname_sets hs ON hs.id = c.hostname_set "
	    "WHERE o.id = $1 FOR UPDATE OF o, c", 1, &job_id, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	if (PQntuples(o->r) == 0) {
		PQclear(o->r);	/* the caller frees o only when found */
		o->r = NULL;
		return 0;
	}
	o->status = PQgetvalue(o->r, 0, 0);
	o->attempt = (unsigned)atoi(PQgetvalue(o->r, 0, 1));
	o->certificate = PQgetvalue(o->r, 0, 2);
	o->private_key = PQgetvalue(o->r, 0, 3);
	o->order_url = PQgetvalue(o->r, 0, 4);
	o->trace_id = PQgetvalue(o->r, 0, 5);
	o->cert_status = PQgetvalue(o->r, 0, 6);
	if ((o->names = db_array_parse(PQgetvalue(o->r, 0, 7), &o->nnames)) ==
	    NULL) {
		snprintf(err, errlen, "results: bad hostname set of %s", job_id);
		return -1;
	}
	return 1;
}

static json_t *
results_subproblems(const Certfleet__Problem *p)
{
	json_t *a = json_array(), *o;
	size_t i;

	for (i = 0; a != NULL && i < p->n_subproblems; i++) {
		const Certfleet__Problem *s = p->subproblems[i];

		o = json_pack("{s:s, s:s, s:i, s:s}", "type", s->type, "detail",
		    s->detail, "status", s->status, "identifier", s->identifier);
		if (o != NULL)
			json_array_append_new(a, o);
	}
	return a;
}

/* Records a problem for job_id and as the certificate's last problem. */
int
results_problem(PGconn *c, const char *job_id, unsigned attempt,
    const char *certificate, const char *type, const char *detail,
    int status, const Certfleet__Problem *p, char *err, size_t errlen)
{
	char att[16], st[16], *sub = NULL;
	const char *v[6];
	json_t *a = NULL;
	int rc = -1;

	if (p != NULL && (a = results_subproblems(p)) != NULL)
		sub = json_dumps(a, JSON_COMPACT);
	snprintf(att, sizeof(att), "%u", attempt);
	snprintf(st, sizeof(st), "%d", status);
	v[0] = job_id;
	v[1] = att;
	v[2] = type;
	v[3] = detail;
	v[4] = status != 0 ? st : NULL;
	v[5] = sub != NULL ? sub : "[]";
	if (db_exec(c, "results problem", "INSERT INTO acme_problems (job_id, "
	    "attempt, type, detail, status, subproblems) VALUES ($1, $2, $3, $4, "
	    "$5, $6::jsonb)", 6, v, NULL, NULL, err, errlen) < 0)
		goto out;
	if (certificate != NULL) {
		if (db_exec(c, "results last problem", "UPDATE certificates SET "
		    "last_problem_type = $2, last_problem_detail = $3, updated_at = "
		    "now() WHERE id = $1", 3, (const char *[]){ certificate, type,
		    detail }, NULL, NULL, err, errlen) < 0)
			goto out;
	}
	rc = 0;
out:
	free(sub);
	json_decref(a);
	return rc;
}

/* The order failed for good; its certificate too (unless already issued),
 * except when a fallback CA takes over with a new order (fallback.c). */
int
results_order_failed(PGconn *c, const char *job_id,
    const struct results_order *o, char *err, size_t errlen)
{
	int next;

	if (db_exec(c, "results order failed", "UPDATE orders SET status = "
	    "'failed', updated_at = now() WHERE id = $1", 1, &job_id, NULL, NULL,
	    err, errlen) < 0 ||
	    (next = fallback_next(c, job_id, err, errlen)) < 0)
		return -1;
	if (next > 0)
		return 0;
	if (db_exec(c, "results certificate failed", "UPDATE certificates SET "
	    "status = 'failed', updated_at = now() WHERE id = $1 AND status = "
	    "'pending'", 1, &o->certificate, NULL, NULL, err, errlen) < 0)
		return -1;
	return 0;
}

/* Applies e inside the caller's transaction. */
static enum results_outcome
results_dispatch(PGconn *c, const struct settings *s, const Certfleet__Event *e,
    char *err, size_t errlen)
{
	struct results_order o;
	const char *v[3];
	enum results_outcome out = RESULTS_RETRY;
	long n;
	int found;

	if (e->kind_case == CERTFLEET__EVENT__KIND_ACCOUNT_REGISTERED) {
		v[0] = e->account_registered->account_id;
		v[1] = e->account_registered->account_url;
		if ((n = db_exec(c, "results account registered", "UPDATE "
		    "acme_accounts SET account_url = $2, status = 'valid', "
		    "updated_at = now() WHERE id = $1", 2, v, NULL, NULL, err,
		    errlen)) < 0)
			return RESULTS_RETRY;
		log_info("job %s attempt %u trace %s: account %s registered%s",
		    e->job_id, e->attempt, e->trace_id, v[0], n == 0 ?
		    " (unknown account, ignored)" : "");
		return n == 0 ? RESULTS_IGNORED : RESULTS_APPLIED;
	}
	if ((out = actions_result(c, s, e, err, errlen)) != RESULTS_NOT_MINE)
		return out;
	if ((out = ari_recheck_result(c, e, err, errlen)) != RESULTS_NOT_MINE)
		return out;
	if ((found = results_order_get(c, e->job_id, &o, err, errlen)) < 0)
		goto out;
	if (found == 0) {
		out = results_account(c, s, e, err, errlen);
		goto out;
	}
	switch (e->kind_case) {
	case CERTFLEET__EVENT__KIND_ORDER_CREATED:
		v[0] = e->job_id;
		v[1] = e->order_created->order_url;
		if ((n = db_exec(c, "results order created", "UPDATE orders SET "
		    "order_url = $2, status = CASE WHEN status IN ('pending', "
		    "'sent') THEN 'processing' ELSE status END, updated_at = now() "
		    "WHERE id = $1 AND status NOT IN ('valid', 'failed')", 2, v,
		    NULL, NULL, err, errlen)) < 0)
			goto out;
		if (n > 0)
			log_info("job %s attempt %u trace %s: order %s created",
			    e->job_id, e->attempt, e->trace_id, v[1]);
		out = n > 0 ? RESULTS_APPLIED : RESULTS_IGNORED;
		break;
	case CERTFLEET__EVENT__KIND_CERTIFICATE_ISSUED:
		out = results_issued(c, s, e, &o, err, errlen);
		break;
	default:
		out = results_unhappy(c, s, e, &o, err, errlen);
		break;
	}
out:
	if (found > 0)
		results_order_free(&o);
	return out;
}

enum results_outcome
results_apply(PGconn *c, const struct settings *s, const void *buf,
    size_t len, char *err, size_t errlen)
{
	Certfleet__Event *e;
	const char *v[3];
	char att[16];
	enum results_outcome out = RESULTS_RETRY;
	long n;

	if ((e = proto_event_decode(buf, len, err, errlen)) == NULL)
		return RESULTS_INVALID;
	if (db_begin(c, err, errlen) < 0)
		goto out;
	snprintf(att, sizeof(att), "%u", e->attempt);
	v[0] = e->job_id;
	v[1] = att;
	v[2] = proto_event_kind_name(e);
	if ((n = db_exec(c, "results processed", "INSERT INTO processed_events "
	    "(job_id, attempt, kind) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
	    3, v, NULL, NULL, err, errlen)) < 0)
		goto out;
	if (n == 0) {
		log_info("job %s attempt %u trace %s: %s seen before, ignored",
		    e->job_id, e->attempt, e->trace_id, v[2]);
		out = RESULTS_IGNORED;
		goto out;
	}
	out = results_dispatch(c, s, e, err, errlen);
	if (out != RESULTS_RETRY && db_commit(c, err, errlen) < 0)
		out = RESULTS_RETRY;
out:
	db_rollback(c);
	proto_event_free(e);
	return out;
}

/* Publishes m's bytes and reason on the dead-letter topic and waits for
 * the delivery. Returns 0, or -1 when it was not delivered. */
static int
results_deadletter(rd_kafka_t *producer, const rd_kafka_message_t *m,
    const char *reason)
{
	Certfleet__DeadLetter d = CERTFLEET__DEAD_LETTER__INIT;
	struct publish_msg pm = { 0 };
	struct timespec ts;
	void *buf;
	size_t len;

	clock_gettime(CLOCK_REALTIME, &ts);
	d.schema_version = PROTO_SCHEMA_VERSION;
	d.source_topic = (char *)(uintptr_t)rd_kafka_topic_name(m->rkt);
	d.partition = m->partition;
	d.offset = m->offset;
	d.key.data = m->key;
	d.key.len = m->key_len;
	d.payload.data = m->payload;
	d.payload.len = m->len;
	d.reason = (char *)(uintptr_t)reason;
	d.consumer = (char *)(uintptr_t)"certfleet-coordinator";
	d.at_unix_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

int
results_poll(rd_kafka_t *consumer, rd_kafka_t *producer, PGconn *c,
    const struct settings *s, int max, int timeout_ms)
{
	rd_kafka_message_t *m;
	rd_kafka_resp_err_t ce;
	enum results_outcome out;
	char err[512];
	int handled = 0;

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
		err[0] = '\0';
		out = results_apply(c, s, m->payload, m->len, err, sizeof(err));
		if (out == RESULTS_INVALID) {
			log_warn("results: %s [%d] offset %lld dead-lettered: %s",
			    rd_kafka_topic_name(m->rkt), m->partition,
			    (long long)m->offset, err);
			if (results_deadletter(producer, m, err) < 0)
				out = RESULTS_RETRY;
		} else if (out == RESULTS_RETRY)
			log_warn("results: %s [%d] offset %lld not applied, will "
			    "retry: %s", rd_kafka_topic_name(m->rkt), m->partition,
			    (long long)m->offset, err);
		if (out == RESULTS_RETRY) {
			results_rewind(consumer, m);
			rd_kafka_message_destroy(m);
			return -1;
		}
		if ((ce = rd_kafka_commit_message(consumer, m, 0)) !=
		    RD_KAFKA_RESP_ERR_NO_ERROR)
			log_warn("results: offset commit failed: %s (the event "
			    "may be seen again; it will change nothing)",
			    rd_kafka_err2str(ce));
		rd_kafka_message_destroy(m);
		handled++;
	}
	return handled;
}
