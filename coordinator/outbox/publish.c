/* publish.c -- idempotent producer (acks=all) whose delivery reports land in each message's slot. */
#include "publish.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kafkaconn.h"
#include "log.h"

/* How long to wait for the reports of purged messages. */
#define PUBLISH_PURGE_WAIT_MS 5000

static void
publish_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct publish_msg *pm = m->_private;

	(void)rk;
	(void)opaque;
	if (pm == NULL)
		return;
	if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR)
		pm->delivered = 1;
	else {
		pm->delivered = -1;
		snprintf(pm->error, sizeof(pm->error), "%s",
		    rd_kafka_err2str(m->err));
	}
}

rd_kafka_t *
publish_producer_new(const char *bootstrap, const char *client_id, char *err,
    size_t errlen)
{
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	char e[512];

	if ((conf = kafkaconn_conf(bootstrap, client_id, err, errlen)) == NULL)
		return NULL;
	if (kafkaconn_set(conf, "enable.idempotence", "true", err, errlen) < 0 ||
	    kafkaconn_set(conf, "acks", "all", err, errlen) < 0 ||
	    kafkaconn_set(conf, "linger.ms", "5", err, errlen) < 0 ||
	    kafkaconn_set(conf, "message.timeout.ms", "30000", err, errlen) < 0) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, publish_dr);
	if ((rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "producer: %s", e);
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	return rk;
}

/* Queues m (copied), with its signature header when it has one. */
static rd_kafka_resp_err_t
publish_one(rd_kafka_t *rk, struct publish_msg *m)
{
	if (m->sig[0] != '\0')
		return rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(m->topic),
		    RD_KAFKA_V_KEY((void *)(uintptr_t)m->key, m->keylen),
		    RD_KAFKA_V_VALUE((void *)(uintptr_t)m->payload, m->len),
		    RD_KAFKA_V_HEADER(MSGSIG_HEADER, m->sig,
		    (ssize_t)strlen(m->sig)),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		    RD_KAFKA_V_OPAQUE(m), RD_KAFKA_V_END);
	return rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(m->topic),
	    RD_KAFKA_V_KEY((void *)(uintptr_t)m->key, m->keylen),
	    RD_KAFKA_V_VALUE((void *)(uintptr_t)m->payload, m->len),
	    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
	    RD_KAFKA_V_OPAQUE(m), RD_KAFKA_V_END);
}

size_t
publish_batch(rd_kafka_t *rk, struct publish_msg *msgs, size_t n,
    int timeout_ms)
{
	rd_kafka_resp_err_t e;
	size_t i, ok = 0;
	int waited;

	for (i = 0; i < n; i++) {
		msgs[i].delivered = 0;
		msgs[i].error[0] = '\0';
		e = publish_one(rk, &msgs[i]);
		if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
			msgs[i].delivered = -1;
			snprintf(msgs[i].error, sizeof(msgs[i].error), "%s",
			    rd_kafka_err2str(e));
		}
	}
	rd_kafka_flush(rk, timeout_ms);
	if (rd_kafka_outq_len(rk) > 0) {
		/* Nothing may still point at msgs after we return. */
		rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE |
		    RD_KAFKA_PURGE_F_INFLIGHT);
		for (waited = 0; rd_kafka_outq_len(rk) > 0 &&
		    waited < PUBLISH_PURGE_WAIT_MS; waited += 100)
			rd_kafka_poll(rk, 100);
	}
	for (i = 0; i < n; i++) {
		if (msgs[i].delivered == 1)
			ok++;
		else if (msgs[i].delivered == 0) {
			msgs[i].delivered = -1;
			snprintf(msgs[i].error, sizeof(msgs[i].error),
			    "no delivery report in time");
		}
	}
	return ok;
}

void
publish_close(rd_kafka_t *rk, int timeout_ms)
{
	if (rk == NULL)
		return;
	if (rd_kafka_flush(rk, timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR)
		log_warn("publish_close: %d message(s) not delivered",
		    rd_kafka_outq_len(rk));
	rd_kafka_destroy(rk);
}
