/* events.c -- idempotent Kafka producer for the worker's events and dead letters. */
#include "events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "kafkaconn.h"
#include "log.h"

struct events {
	rd_kafka_t		*rk;
	char			*worker_id;
	struct msgsig_signer	*signer;
	events_delivered_fn	*cb;
};

static void
events_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *arg)
{
	struct events *ev = arg;

	(void)rk;
	ev->cb(m->_private, m->err == RD_KAFKA_RESP_ERR_NO_ERROR,
	    rd_kafka_err2str(m->err));
}

struct events *
events_new(const char *bootstrap, const char *worker_id,
    struct msgsig_signer *signer, events_delivered_fn *cb, char *err,
    size_t errlen)
{
	struct events *ev;
	rd_kafka_conf_t *conf;
	char e[256];

	if ((ev = calloc(1, sizeof(*ev))) == NULL ||
	    (ev->worker_id = strdup(worker_id)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	ev->cb = cb;
	ev->signer = signer;
	if ((conf = kafkaconn_conf(bootstrap, worker_id, err, errlen)) == NULL)
		goto fail;
	/* Idempotent, and retried until delivered (message.timeout.ms 0): a
	 * result is never dropped while the broker is away. The events of
	 * EVENTS_LINGER_MS go in one produce request. */
	if (kafkaconn_set(conf, "enable.idempotence", "true", err, errlen) < 0 ||
	    kafkaconn_set(conf, "acks", "all", err, errlen) < 0 ||
	    kafkaconn_set(conf, "linger.ms", EVENTS_LINGER_MS, err, errlen) < 0 ||
	    kafkaconn_set(conf, "message.timeout.ms", "0", err, errlen) < 0) {
		rd_kafka_conf_destroy(conf);
		goto fail;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, events_dr);
	rd_kafka_conf_set_opaque(conf, ev);
	if ((ev->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof(e))) == NULL) {
		rd_kafka_conf_destroy(conf);
		snprintf(err, errlen, "kafka producer: %s", e);
		goto fail;
	}
	return ev;
fail:
	if (ev != NULL)
		free(ev->worker_id);
	free(ev);
	return NULL;
}

void
events_free(struct events *ev, int timeout_ms)
{
	if (ev == NULL)
		return;
	if (rd_kafka_flush(ev->rk, timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR)
		log_warn("events_free: %d event(s) not delivered before shutdown",
		    rd_kafka_outq_len(ev->rk));
	rd_kafka_destroy(ev->rk);
	free(ev->worker_id);
	free(ev);
}

/* Queues buf (which librdkafka frees) on topic, with the signature header
 * sig when not NULL. */
static int
events_produce(struct events *ev, const char *topic, const void *key,
    size_t keylen, void *buf, size_t len, const char *sig, void *opaque,
    char *err, size_t errlen)
{
	rd_kafka_resp_err_t e;

	if (sig != NULL)
		e = rd_kafka_producev(ev->rk, RD_KAFKA_V_TOPIC(topic),
		    RD_KAFKA_V_KEY(key, keylen), RD_KAFKA_V_VALUE(buf, len),
		    RD_KAFKA_V_HEADER(MSGSIG_HEADER, sig, (ssize_t)strlen(sig)),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE),
		    RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
	else
		e = rd_kafka_producev(ev->rk, RD_KAFKA_V_TOPIC(topic),
		    RD_KAFKA_V_KEY(key, keylen), RD_KAFKA_V_VALUE(buf, len),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE),
		    RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
		free(buf);
		snprintf(err, errlen, "produce to %s: %s", topic, rd_kafka_err2str(e));
		return -1;
	}
	return 0;
}

int
events_publish(struct events *ev, Certfleet__Event *e, void *opaque, char *err,
    size_t errlen)
{
	char sig[MSGSIG_HEADER_MAX + 1];
	size_t len;
	void *buf;

	e->schema_version = PROTO_SCHEMA_VERSION;
	e->worker_id = ev->worker_id;
	e->at_unix_ms = clock_wall_ms();
	if ((buf = proto_event_encode(e, &len)) == NULL) {
		snprintf(err, errlen, "event for job %s does not encode", e->job_id);
		return -1;
	}
	if (len > EVENTS_MAX_BYTES) {
		free(buf);
		snprintf(err, errlen, "event for job %s is %zu bytes, over the "
		    "events topic's limit of %d", e->job_id, len, EVENTS_MAX_BYTES);
		return -1;
	}
	if (msgsig_sign(ev->signer, MSGSIG_EVENT, 0, e->job_id,
	    strlen(e->job_id), buf, len, sig, sizeof(sig), err, errlen) < 0) {
		free(buf);
		return -1;
	}
	return events_produce(ev, kafkaconn_topic_events(), e->job_id,
	    strlen(e->job_id), buf, len, sig, opaque, err, errlen);
}

int
events_deadletter(struct events *ev, const char *topic, int32_t partition,
    int64_t offset, const void *key, size_t keylen, const void *payload,
    size_t len, const char *reason, void *opaque, char *err, size_t errlen)
{
	Certfleet__DeadLetter d = CERTFLEET__DEAD_LETTER__INIT;
	size_t n;
	void *buf;

	d.schema_version = PROTO_SCHEMA_VERSION;
	d.source_topic = (char *)topic;
	d.partition = partition;
	d.offset = offset;
	d.key.data = (uint8_t *)key;
	d.key.len = key != NULL ? keylen : 0;
	d.payload.data = (uint8_t *)payload;
	/* Keep the dead letter under the topic's cap even for a huge bad
	 * message. */
	d.payload.len = len < KAFKACONN_DLQ_PAYLOAD_MAX ? len :
	    KAFKACONN_DLQ_PAYLOAD_MAX;
	d.reason = (char *)reason;
	d.consumer = ev->worker_id;
	d.at_unix_ms = clock_wall_ms();
	if ((buf = proto_deadletter_encode(&d, &n)) == NULL) {
		snprintf(err, errlen, "dead letter does not encode");
		return -1;
	}
	return events_produce(ev, kafkaconn_topic_dlq(), key, d.key.len, buf, n,
	    NULL, opaque, err, errlen);
}

void
events_poll(struct events *ev)
{
	rd_kafka_poll(ev->rk, 0);
}

int
events_pending(const struct events *ev)
{
	return rd_kafka_outq_len(ev->rk);
}
