/* outbox.c -- outbox rows and the relay that publishes them with the idempotent producer. */
#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "db.h"
#include "log.h"
#include "publish.h"

int
outbox_add(PGconn *c, const char *topic, const char *key, const void *payload,
    size_t len, const char *job_id, uint32_t attempt, double delay_s,
    char *err, size_t errlen)
{
	char att[16], delay[32];
	const char *p[6];
	int lens[6] = { 0 }, fmts[6] = { 0 };

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
	return db_exec(c, "outbox_add", "INSERT INTO outbox (topic, key, payload, "
	    "job_id, attempt, available_at) VALUES ($1, $2, $3, $4, $5, "
	    "now() + make_interval(secs => $6::float8))", 6, p, lens, fmts, err,
	    errlen) == 1 ? 0 : -1;
}

int
outbox_relay(PGconn *c, rd_kafka_t *producer, const struct cas_conf *cas,
    char *err, size_t errlen)
{
	PGresult *r = NULL;
	struct publish_msg *msgs = NULL;
	unsigned char **payloads = NULL;
	char *ids = NULL, *jobs = NULL;
	size_t i, k, n = 0, m = 0, sent = 0, idlen = 0, joblen = 0, *row = NULL;
	const char *p[2];
	int rc = -1, ok;

	if (db_begin(c, err, errlen) < 0)
		return -1;
	if ((r = db_query(c, "outbox_relay select", "SELECT id, topic, key, "
	    "payload, job_id, attempt FROM outbox WHERE sent_at IS NULL AND "
	    "available_at <= now() ORDER BY id LIMIT 500 FOR UPDATE SKIP LOCKED",
	    0, NULL, NULL, NULL, err, errlen)) == NULL)
		goto out;
	if ((n = (size_t)PQntuples(r)) == 0) {
		rc = 0;
		goto out;
	}
	if ((msgs = calloc(n, sizeof(*msgs))) == NULL ||
	    (payloads = calloc(n, sizeof(*payloads))) == NULL ||
	    (row = calloc(n, sizeof(*row))) == NULL) {
		snprintf(err, errlen, "outbox_relay: out of memory");
		goto out;
	}
	/* msgs[0..m): the admitted rows; row[] maps them back to r. */
	for (i = 0; i < n; i++) {
		if ((ok = budget_admit(c, cas, PQgetvalue(r, (int)i, 0),
		    PQgetvalue(r, (int)i, 4), err, errlen)) < 0)
			goto out;
		if (ok == 0)
			continue;
		row[m] = i;
		msgs[m].topic = PQgetvalue(r, (int)i, 1);
		msgs[m].key = PQgetvalue(r, (int)i, 2);
		msgs[m].keylen = strlen(msgs[m].key);
		if ((payloads[m] = db_bytea(r, (int)i, 3, &msgs[m].len)) == NULL) {
			snprintf(err, errlen, "outbox_relay: bad payload");
			goto out;
		}
		msgs[m].payload = payloads[m];
		m++;
	}
	if (m > 0)
		publish_batch(producer, msgs, m, OUTBOX_DELIVERY_MS);

	/* Two text[] literals: the delivered row ids and their job ids. */
	for (i = 0; i < n; i++) {
		idlen += strlen(PQgetvalue(r, (int)i, 0)) + 1;
		joblen += 2 * strlen(PQgetvalue(r, (int)i, 4)) + 3;
	}
	if ((ids = malloc(idlen + 3)) == NULL ||
	    (jobs = malloc(joblen + 3)) == NULL) {
		snprintf(err, errlen, "outbox_relay: out of memory");
		goto out;
	}
	strcpy(ids, "{");
	strcpy(jobs, "{");
	for (k = 0; k < m; k++) {
		i = row[k];
		if (msgs[k].delivered != 1) {
			log_warn("outbox: row %s (job %s attempt %s) not delivered: "
			    "%s", PQgetvalue(r, (int)i, 0), PQgetvalue(r, (int)i, 4),
			    PQgetvalue(r, (int)i, 5), msgs[k].error);
			continue;
		}
		if (sent > 0) {
			strcat(ids, ",");
			strcat(jobs, ",");
		}
		strcat(ids, PQgetvalue(r, (int)i, 0));
		strcat(jobs, "\"");
		strcat(jobs, PQgetvalue(r, (int)i, 4));	/* ids: [0-9a-f-] */
		strcat(jobs, "\"");
		sent++;
		log_info("job %s attempt %s published to %s", PQgetvalue(r,
		    (int)i, 4), PQgetvalue(r, (int)i, 5), msgs[k].topic);
	}
	strcat(ids, "}");
	strcat(jobs, "}");
	if (sent > 0) {
		p[0] = ids;
		p[1] = jobs;
		if (db_exec(c, "outbox_relay mark", "UPDATE outbox SET sent_at = "
		    "now() WHERE id = ANY($1::bigint[])", 1, p, NULL, NULL, err,
		    errlen) < 0 ||
		    db_exec(c, "outbox_relay orders", "UPDATE orders SET status = "
		    "'sent', updated_at = now() WHERE id = ANY($1::text[]) AND "
		    "status IN ('pending', 'deferred')", 1, p + 1, NULL, NULL,
		    err, errlen) < 0)
			goto out;
	}
	if (db_commit(c, err, errlen) < 0)
		goto out;
	rc = (int)sent;
out:
	if (rc < 0 || n == 0)
		db_rollback(c);
	for (i = 0; payloads != NULL && i < n; i++)
		free(payloads[i]);
	free(payloads);
	free(msgs);
	free(row);
	free(ids);
	free(jobs);
	PQclear(r);
	return rc;
}
