/* kafkaconn.c -- librdkafka configuration defaults, a metadata check, and the lag of a consumer's partitions. */
#include "kafkaconn.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"

#define KAFKACONN_STR2(x) #x
#define KAFKACONN_STR(x) KAFKACONN_STR2(x)

const char *
kafkaconn_topic_jobs(void)
{
	return config_str("CERTFLEET_KAFKA_TOPIC_JOBS", "certfleet.jobs");
}

const char *
kafkaconn_topic_events(void)
{
	return config_str("CERTFLEET_KAFKA_TOPIC_EVENTS", "certfleet.events");
}

const char *
kafkaconn_topic_dlq(void)
{
	return config_str("CERTFLEET_KAFKA_TOPIC_DLQ", "certfleet.deadletter");
}

/* librdkafka syslog levels: 0-3 error, 4 warning, 5-6 info, 7 debug. */
static void
kafkaconn_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	enum log_level l = level <= 3 ? LOGL_ERR : level == 4 ? LOGL_WARN :
	    level <= 6 ? LOGL_INFO : LOGL_DEBUG;

	log_msg(l, "kafka %s: %s: %s", rd_kafka_name(rk), fac, buf);
}

int
kafkaconn_set(rd_kafka_conf_t *conf, const char *name, const char *value,
    char *err, size_t errlen)
{
	char e[256];

	if (rd_kafka_conf_set(conf, name, value, e, sizeof(e)) != RD_KAFKA_CONF_OK) {
		snprintf(err, errlen, "kafka config %s: %s", name, e);
		return -1;
	}
	return 0;
}

rd_kafka_conf_t *
kafkaconn_conf(const char *bootstrap, const char *client_id, char *err,
    size_t errlen)
{
	rd_kafka_conf_t *conf;

	if ((conf = rd_kafka_conf_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (kafkaconn_set(conf, "bootstrap.servers", bootstrap, err, errlen) < 0 ||
	    kafkaconn_set(conf, "client.id", client_id, err, errlen) < 0 ||
	    kafkaconn_set(conf, "broker.address.family", "v4", err, errlen) < 0 ||
	    kafkaconn_set(conf, "message.max.bytes", KAFKACONN_STR(
	    KAFKACONN_MESSAGE_MAX), err, errlen) < 0) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_conf_set_log_cb(conf, kafkaconn_log);
	return conf;
}

int
kafkaconn_check(const char *bootstrap, int timeout_ms, const char *const *topics,
    size_t ntopics, char *err, size_t errlen)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_conf_t *conf;
	rd_kafka_resp_err_t e;
	rd_kafka_t *rk = NULL;
	char rkerr[256];
	size_t i;
	int t, found, rc = -1;

	if ((conf = kafkaconn_conf(bootstrap, "certfleet-check", err, errlen)) == NULL)
		return -1;
	if ((rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, rkerr, sizeof(rkerr))) == NULL) {
		rd_kafka_conf_destroy(conf);
		snprintf(err, errlen, "kafka client: %s", rkerr);
		return -1;
	}
	e = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(err, errlen, "kafka metadata from %s: %s", bootstrap,
		    rd_kafka_err2str(e));
		goto out;
	}
	for (i = 0; i < ntopics; i++) {
		found = 0;
		for (t = 0; t < md->topic_cnt; t++)
			if (strcmp(md->topics[t].topic, topics[i]) == 0 &&
			    md->topics[t].err == RD_KAFKA_RESP_ERR_NO_ERROR)
				found = 1;
		if (!found) {
			snprintf(err, errlen, "kafka topic %s does not exist", topics[i]);
			goto out;
		}
	}
	rc = md->broker_cnt;
	if (rc <= 0)
		snprintf(err, errlen, "kafka metadata lists no broker");
out:
	if (md != NULL)
		rd_kafka_metadata_destroy(md);
	rd_kafka_destroy(rk);
	return rc;
}

/* Fills the offset of each partition of a that has no position yet with
 * the group's committed offset. Returns 0, or -1 with err. */
static int
kafkaconn_fill_committed(rd_kafka_t *rk, rd_kafka_topic_partition_list_t *a,
    int timeout_ms, char *err, size_t errlen)
{
	rd_kafka_topic_partition_list_t *c;
	rd_kafka_resp_err_t e;
	int i, j;

	if ((c = rd_kafka_topic_partition_list_new(a->cnt)) == NULL) {
		snprintf(err, errlen, "kafka lag: out of memory");
		return -1;
	}
	for (i = 0; i < a->cnt; i++)
		if (a->elems[i].offset < 0)
			rd_kafka_topic_partition_list_add(c, a->elems[i].topic,
			    a->elems[i].partition);
	e = c->cnt > 0 ? rd_kafka_committed(rk, c, timeout_ms) :
	    RD_KAFKA_RESP_ERR_NO_ERROR;
	for (i = 0; e == RD_KAFKA_RESP_ERR_NO_ERROR && i < c->cnt; i++)
		for (j = 0; j < a->cnt; j++)
			if (a->elems[j].partition == c->elems[i].partition &&
			    strcmp(a->elems[j].topic, c->elems[i].topic) == 0)
				a->elems[j].offset = c->elems[i].offset;
	rd_kafka_topic_partition_list_destroy(c);
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(err, errlen, "kafka lag: committed offsets: %s",
		    rd_kafka_err2str(e));
		return -1;
	}
	return 0;
}

rd_kafka_t *
kafkaconn_lag_client(const char *bootstrap, const char *client_id, char *err,
    size_t errlen)
{
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	char e[256];

	if ((conf = kafkaconn_conf(bootstrap, client_id, err, errlen)) == NULL)
		return NULL;
	if ((rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof(e))) == NULL) {
		rd_kafka_conf_destroy(conf);
		snprintf(err, errlen, "kafka lag client: %s", e);
		return NULL;
	}
	return rk;
}

int
kafkaconn_lag(rd_kafka_t *rk, rd_kafka_t *client, int timeout_ms,
    kafkaconn_lag_fn *fn, void *arg, char *err, size_t errlen)
{
	rd_kafka_topic_partition_list_t *a = NULL;
	rd_kafka_topic_partition_t *p;
	rd_kafka_resp_err_t e;
	int64_t lo, hi, off;
	int i, rc = -1;

	if ((e = rd_kafka_assignment(rk, &a)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(err, errlen, "kafka lag: assignment: %s",
		    rd_kafka_err2str(e));
		return -1;
	}
	if ((e = rd_kafka_position(rk, a)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(err, errlen, "kafka lag: position: %s",
		    rd_kafka_err2str(e));
		goto out;
	}
	if (kafkaconn_fill_committed(rk, a, timeout_ms, err, errlen) < 0)
		goto out;
	for (i = 0; i < a->cnt; i++) {
		p = &a->elems[i];
		if ((e = rd_kafka_query_watermark_offsets(client, p->topic,
		    p->partition, &lo, &hi, timeout_ms)) !=
		    RD_KAFKA_RESP_ERR_NO_ERROR) {
			snprintf(err, errlen, "kafka lag: watermarks of %s [%d]: %s",
			    p->topic, (int)p->partition, rd_kafka_err2str(e));
			goto out;
		}
		off = p->offset >= 0 ? p->offset : lo;
		fn(arg, p->topic, p->partition, hi > off ? hi - off : 0);
	}
	rc = a->cnt;
out:
	rd_kafka_topic_partition_list_destroy(a);
	return rc;
}
