/* consumer.c -- the worker's Kafka consumer group for jobs; an offset is committed only when every job before it is done. */
#include "consumer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafkaconn.h"
#include "log.h"
#include "msgsig.h"
#include "offsets.h"

struct consumer {
	rd_kafka_t	*rk;
	struct offsets	*off;
	int		 paused;
};

/* Commits the committable offsets of the partitions in parts. */
static void
consumer_commit_parts(struct consumer *cn,
    const rd_kafka_topic_partition_list_t *parts, int async)
{
	rd_kafka_topic_partition_list_t *c;
	rd_kafka_resp_err_t e;
	int64_t off;
	int i;

	if ((c = rd_kafka_topic_partition_list_new(parts->cnt)) == NULL)
		return;
	for (i = 0; i < parts->cnt; i++) {
		off = offsets_committable(cn->off, parts->elems[i].partition);
		if (off >= 0)
			rd_kafka_topic_partition_list_add(c, parts->elems[i].topic,
			    parts->elems[i].partition)->offset = off;
	}
	if (c->cnt > 0 && (e = rd_kafka_commit(cn->rk, c, async)) != 0)
		log_warn("consumer_commit: %s", rd_kafka_err2str(e));
	rd_kafka_topic_partition_list_destroy(c);
}

static void
consumer_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *parts, void *arg)
{
	struct consumer *cn = arg;
	int i;

	switch (err) {
	case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
		log_info("jobs: assigned %d partition(s)", parts->cnt);
		rd_kafka_assign(rk, parts);
		if (cn->paused)
			rd_kafka_pause_partitions(rk, parts);
		break;
	case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
		log_info("jobs: %d partition(s) revoked", parts->cnt);
		consumer_commit_parts(cn, parts, 0);
		/* Jobs still running from these partitions finish and report,
		 * but their offsets belong to the next owner now. */
		for (i = 0; i < parts->cnt; i++)
			offsets_drop(cn->off, parts->elems[i].partition);
		rd_kafka_assign(rk, NULL);
		break;
	default:
		log_err("jobs: rebalance error: %s", rd_kafka_err2str(err));
		rd_kafka_assign(rk, NULL);
		break;
	}
}

struct consumer *
consumer_new(const char *bootstrap, const char *group, const char *topic,
    const char *client_id, char *err, size_t errlen)
{
	rd_kafka_topic_partition_list_t *sub = NULL;
	rd_kafka_conf_t *conf = NULL;
	rd_kafka_resp_err_t e;
	struct consumer *cn;
	char rkerr[256];

	if ((cn = calloc(1, sizeof(*cn))) == NULL ||
	    (cn->off = offsets_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((conf = kafkaconn_conf(bootstrap, client_id, err, errlen)) == NULL)
		goto fail;
	if (kafkaconn_set(conf, "group.id", group, err, errlen) < 0 ||
	    kafkaconn_set(conf, "enable.auto.commit", "false", err, errlen) < 0 ||
	    kafkaconn_set(conf, "auto.offset.reset", "earliest", err, errlen) < 0 ||
	    kafkaconn_set(conf, "session.timeout.ms", "6000", err, errlen) < 0 ||
	    kafkaconn_set(conf, "heartbeat.interval.ms", "1500", err, errlen) < 0 ||
	    kafkaconn_set(conf, "fetch.max.bytes", "8388608", err, errlen) < 0 ||
	    kafkaconn_set(conf, "fetch.wait.max.ms", KAFKACONN_FETCH_WAIT_MS,
	    err, errlen) < 0)
		goto fail;
	rd_kafka_conf_set_rebalance_cb(conf, consumer_rebalance);
	rd_kafka_conf_set_opaque(conf, cn);
	if ((cn->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, rkerr,
	    sizeof(rkerr))) == NULL) {
		snprintf(err, errlen, "kafka consumer: %s", rkerr);
		goto fail;
	}
	conf = NULL;	/* owned by rk now */
	rd_kafka_poll_set_consumer(cn->rk);
	sub = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
	e = rd_kafka_subscribe(cn->rk, sub);
	rd_kafka_topic_partition_list_destroy(sub);
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(err, errlen, "subscribe %s: %s", topic, rd_kafka_err2str(e));
		goto fail;
	}
	return cn;
fail:
	if (conf != NULL)
		rd_kafka_conf_destroy(conf);
	if (cn != NULL) {
		if (cn->rk != NULL)
			rd_kafka_destroy(cn->rk);
		offsets_free(cn->off);
		free(cn);
	}
	return NULL;
}

void
consumer_free(struct consumer *cn)
{
	rd_kafka_topic_partition_list_t *a = NULL;

	if (cn == NULL)
		return;
	if (rd_kafka_assignment(cn->rk, &a) == RD_KAFKA_RESP_ERR_NO_ERROR) {
		consumer_commit_parts(cn, a, 0);	/* synchronous: we are leaving */
		rd_kafka_topic_partition_list_destroy(a);
	}
	rd_kafka_consumer_close(cn->rk);
	rd_kafka_destroy(cn->rk);
	offsets_free(cn->off);
	free(cn);
}

/* The message's signature header (the last one when there are several),
 * for the runner to verify (msgsig.h). */
static void
consumer_sig(rd_kafka_message_t *m, struct consumer_msg *jm)
{
	rd_kafka_headers_t *h = NULL;

	jm->sig = NULL;
	jm->siglen = 0;
	if (rd_kafka_message_headers(m, &h) != RD_KAFKA_RESP_ERR_NO_ERROR ||
	    rd_kafka_header_get_last(h, MSGSIG_HEADER, &jm->sig, &jm->siglen) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR || jm->sig == NULL) {
		jm->sig = NULL;
		jm->siglen = 0;
	}
}

unsigned
consumer_poll(struct consumer *cn, unsigned max, consumer_handler_fn *handler,
    void *arg)
{
	rd_kafka_message_t *m;
	struct consumer_msg jm;
	unsigned n = 0;

	while (n < max && (m = rd_kafka_consumer_poll(cn->rk, 0)) != NULL) {
		if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
				log_warn("jobs: consume: %s", rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
			continue;
		}
		if (offsets_add(cn->off, m->partition, m->offset) < 0) {
			/* Re-read after a seek: already in flight here. */
			log_warn("jobs: offset %d/%lld seen twice, skipped",
			    (int)m->partition, (long long)m->offset);
			rd_kafka_message_destroy(m);
			continue;
		}
		jm.topic = rd_kafka_topic_name(m->rkt);
		jm.partition = m->partition;
		jm.offset = m->offset;
		jm.key = m->key;
		jm.keylen = m->key_len;
		jm.payload = m->payload;
		jm.len = m->len;
		consumer_sig(m, &jm);
		handler(arg, &jm);
		rd_kafka_message_destroy(m);
		n++;
	}
	return n;
}

void
consumer_done(struct consumer *cn, int32_t partition, int64_t offset)
{
	/* -1 means the partition was revoked meanwhile: nothing to commit. */
	(void)offsets_done(cn->off, partition, offset);
}

void
consumer_commit(struct consumer *cn)
{
	rd_kafka_topic_partition_list_t *a = NULL;

	if (rd_kafka_assignment(cn->rk, &a) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	if (a->cnt > 0)
		consumer_commit_parts(cn, a, 1);
	rd_kafka_topic_partition_list_destroy(a);
}

void
consumer_pause(struct consumer *cn, int pause)
{
	rd_kafka_topic_partition_list_t *a = NULL;

	if (cn->paused == pause ||
	    rd_kafka_assignment(cn->rk, &a) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	if (pause)
		rd_kafka_pause_partitions(cn->rk, a);
	else
		rd_kafka_resume_partitions(cn->rk, a);
	rd_kafka_topic_partition_list_destroy(a);
	cn->paused = pause;
}

uint64_t
consumer_inflight(const struct consumer *cn)
{
	return offsets_inflight(cn->off);
}

int
consumer_lag(struct consumer *cn, rd_kafka_t *client, int timeout_ms,
    kafkaconn_lag_fn *fn, void *arg, char *err, size_t errlen)
{
	return kafkaconn_lag(cn->rk, client, timeout_ms, fn, arg, err, errlen);
}
