/* jobs.c -- Kafka consumer group for jobs; an offset is committed only when every job before it is done. */
#include "consumer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafkaconn.h"
#include "log.h"
#include "offsets.h"

struct jobs {
	rd_kafka_t	*rk;
	struct offsets	*off;
	int		 paused;
};

/* Commits the committable offsets of the partitions in parts. */
static void
jobs_commit_parts(struct jobs *j, const rd_kafka_topic_partition_list_t *parts,
    int async)
{
	rd_kafka_topic_partition_list_t *c;
	rd_kafka_resp_err_t e;
	int64_t off;
	int i;

	if ((c = rd_kafka_topic_partition_list_new(parts->cnt)) == NULL)
		return;
	for (i = 0; i < parts->cnt; i++) {
		off = offsets_committable(j->off, parts->elems[i].partition);
		if (off >= 0)
			rd_kafka_topic_partition_list_add(c, parts->elems[i].topic,
			    parts->elems[i].partition)->offset = off;
	}
	if (c->cnt > 0 && (e = rd_kafka_commit(j->rk, c, async)) != 0)
		log_warn("jobs_commit: %s", rd_kafka_err2str(e));
	rd_kafka_topic_partition_list_destroy(c);
}

static void
jobs_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *parts, void *arg)
{
	struct jobs *j = arg;
	int i;

	switch (err) {
	case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
		log_info("jobs: assigned %d partition(s)", parts->cnt);
		rd_kafka_assign(rk, parts);
		if (j->paused)
			rd_kafka_pause_partitions(rk, parts);
		break;
	case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
		log_info("jobs: %d partition(s) revoked", parts->cnt);
		jobs_commit_parts(j, parts, 0);
		/* Jobs still running from these partitions finish and report,
		 * but their offsets belong to the next owner now. */
		for (i = 0; i < parts->cnt; i++)
			offsets_drop(j->off, parts->elems[i].partition);
		rd_kafka_assign(rk, NULL);
		break;
	default:
		log_err("jobs: rebalance error: %s", rd_kafka_err2str(err));
		rd_kafka_assign(rk, NULL);
		break;
	}
}

struct jobs *
jobs_new(const char *bootstrap, const char *group, const char *topic,
    const char *client_id, char *err, size_t errlen)
{
	rd_kafka_topic_partition_list_t *sub = NULL;
	rd_kafka_conf_t *conf = NULL;
	rd_kafka_resp_err_t e;
	struct jobs *j;
	char rkerr[256];

	if ((j = calloc(1, sizeof(*j))) == NULL || (j->off = offsets_new()) == NULL) {
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
	    kafkaconn_set(conf, "fetch.max.bytes", "8388608", err, errlen) < 0)
		goto fail;
	rd_kafka_conf_set_rebalance_cb(conf, jobs_rebalance);
	rd_kafka_conf_set_opaque(conf, j);
	if ((j->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, rkerr, sizeof(rkerr))) == NULL) {
		snprintf(err, errlen, "kafka consumer: %s", rkerr);
		goto fail;
	}
	conf = NULL;	/* owned by rk now */
	rd_kafka_poll_set_consumer(j->rk);
	sub = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
	e = rd_kafka_subscribe(j->rk, sub);
	rd_kafka_topic_partition_list_destroy(sub);
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(err, errlen, "subscribe %s: %s", topic, rd_kafka_err2str(e));
		goto fail;
	}
	return j;
fail:
	if (conf != NULL)
		rd_kafka_conf_destroy(conf);
	if (j != NULL) {
		if (j->rk != NULL)
			rd_kafka_destroy(j->rk);
		offsets_free(j->off);
		free(j);
	}
	return NULL;
}

void
jobs_free(struct jobs *j)
{
	rd_kafka_topic_partition_list_t *a = NULL;

	if (j == NULL)
		return;
	if (rd_kafka_assignment(j->rk, &a) == RD_KAFKA_RESP_ERR_NO_ERROR) {
		jobs_commit_parts(j, a, 0);	/* synchronous: we are leaving */
		rd_kafka_topic_partition_list_destroy(a);
	}
	rd_kafka_consumer_close(j->rk);
	rd_kafka_destroy(j->rk);
	offsets_free(j->off);
	free(j);
}

unsigned
jobs_poll(struct jobs *j, unsigned max, jobs_handler_fn *handler, void *arg)
{
	rd_kafka_message_t *m;
	struct job_msg jm;
	unsigned n = 0;

	while (n < max && (m = rd_kafka_consumer_poll(j->rk, 0)) != NULL) {
		if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
				log_warn("jobs: consume: %s", rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
			continue;
		}
		if (offsets_add(j->off, m->partition, m->offset) < 0) {
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
		handler(arg, &jm);
		rd_kafka_message_destroy(m);
		n++;
	}
	return n;
}

void
jobs_done(struct jobs *j, int32_t partition, int64_t offset)
{
	/* -1 means the partition was revoked meanwhile: nothing to commit. */
	(void)offsets_done(j->off, partition, offset);
}

void
jobs_commit(struct jobs *j)
{
	rd_kafka_topic_partition_list_t *a = NULL;

	if (rd_kafka_assignment(j->rk, &a) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	if (a->cnt > 0)
		jobs_commit_parts(j, a, 1);
	rd_kafka_topic_partition_list_destroy(a);
}

void
jobs_pause(struct jobs *j, int pause)
{
	rd_kafka_topic_partition_list_t *a = NULL;

	if (j->paused == pause ||
	    rd_kafka_assignment(j->rk, &a) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	if (pause)
		rd_kafka_pause_partitions(j->rk, a);
	else
		rd_kafka_resume_partitions(j->rk, a);
	rd_kafka_topic_partition_list_destroy(a);
	j->paused = pause;
}

uint64_t
jobs_inflight(const struct jobs *j)
{
	return offsets_inflight(j->off);
}
