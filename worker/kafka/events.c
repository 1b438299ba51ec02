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
	uint32_t		 home;		/* the worker id's hash: its partition */
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

/* FNV-1a of s: the same worker id picks the same partition everywhere. */
static uint32_t
events_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

int32_t
events_home_partition(const char *worker_id, int32_t cnt)
{
	if (cnt <= 0)
		return -1;
	return (int32_t)(events_hash(worker_id) % (uint32_t)cnt);
}

/* The partitioner of every topic this producer writes: the worker's own
 * partition (its id's hash modulo the topic's count), or the next one that
 * has a leader. librdkafka sends one produce request per partition, so a
 * worker's events of one linger window go in one request instead of one per
 * partition their job ids hash to. The key stays the job id (it is signed,
 * and tools read it); the order the coordinator needs is that of one
 * worker's events for one job, which one partition keeps (events.h). */
static int32_t
events_partition(const rd_kafka_topic_t *rkt, const void *key, size_t keylen,
    int32_t cnt, void *topic_opaque, void *msg_opaque)
{
	const struct events *ev = topic_opaque;
	int32_t i, p;

	(void)key;
	(void)keylen;
	(void)msg_opaque;
	if (cnt <= 0)
		return RD_KAFKA_PARTITION_UA;
	for (i = 0; i < cnt; i++) {
		p = (int32_t)((ev->home + (uint32_t)i) % (uint32_t)cnt);
		if (rd_kafka_topic_partition_available(rkt, p))
			return p;
	}
	return (int32_t)(ev->home % (uint32_t)cnt);
}

struct events *
events_new(const char *bootstrap, const char *worker_id,
    struct msgsig_signer *signer, events_delivered_fn *cb, char *err,
    size_t errlen)
{
	struct events *ev;
	rd_kafka_conf_t *conf;
	rd_kafka_topic_conf_t *tconf;
	char e[256];

	if ((ev = calloc(1, sizeof(*ev))) == NULL ||
	    (ev->worker_id = strdup(worker_id)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	ev->home = events_hash(worker_id);
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
	/* The default topic configuration already holds the topic-level
	 * properties set above and from CERTFLEET_KAFKA_PROPERTIES (acks,
	 * message.timeout.ms): the partitioner is added to it, not put in a
	 * new one that would drop them (a new one only when there is none). */
	if ((tconf = rd_kafka_conf_get_default_topic_conf(conf)) == NULL) {
		if ((tconf = rd_kafka_topic_conf_new()) == NULL) {
			rd_kafka_conf_destroy(conf);
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		rd_kafka_conf_set_default_topic_conf(conf, tconf);
	}
	rd_kafka_topic_conf_set_partitioner_cb(tconf, events_partition);
	rd_kafka_topic_conf_set_opaque(tconf, ev);
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
events_conf_get(const struct events *ev, const char *name, char *out,
    size_t outlen)
{
	rd_kafka_conf_t *c = (rd_kafka_conf_t *)rd_kafka_conf(ev->rk);
	rd_kafka_topic_conf_t *tc;
	size_t n = outlen;

	if (rd_kafka_conf_get(c, name, out, &n) == RD_KAFKA_CONF_OK)
		return 0;
	n = outlen;
	if ((tc = rd_kafka_conf_get_default_topic_conf(c)) != NULL &&
	    rd_kafka_topic_conf_get(tc, name, out, &n) == RD_KAFKA_CONF_OK)
		return 0;
	return -1;
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
