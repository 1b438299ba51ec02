/* results.c -- result consumer: events from workers applied once each, in one transaction, or dead-lettered. */
#include "results.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions.h"
#include "ari_recheck.h"
#include "clock.h"
#include "codec.h"
#include "config.h"
#include "db.h"
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
	if (kafkaconn_set(conf, "group.id", config_str(RESULTS_GROUP_ENV,
	    RESULTS_GROUP), err, errlen) < 0 ||
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

/* account_registered: the account's URL at the CA. */
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
	log_info("job %s attempt %u trace %s: account %s registered%s",
	    e->job_id, e->attempt, e->trace_id, v[0], n == 0 ?
	    " (unknown account, ignored)" : "");
	return n == 0 ? RESULTS_IGNORED : RESULTS_APPLIED;
}

/* Applies e inside the caller's transaction, routed by the kind of job it
 * answers (the codec made sure it fits the event's kind). */
static enum results_outcome
results_dispatch(PGconn *c, const struct settings *s, const Certfleet__Event *e,
    char *err, size_t errlen)
{
	switch (e->job_kind) {
	case CERTFLEET__JOB_KIND__JOB_KIND_REGISTER_ACCOUNT:
		if (e->kind_case == CERTFLEET__EVENT__KIND_ACCOUNT_REGISTERED)
			return results_account_registered(c, e, err, errlen);
		return results_account(c, s, e, err, errlen);
	case CERTFLEET__JOB_KIND__JOB_KIND_ISSUE_ORDER:
		return results_order_event(c, s, e, err, errlen);
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
	void *buf;
	size_t len;

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
