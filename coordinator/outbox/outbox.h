/* outbox.h -- the transactional outbox: rows written with a state change, relayed to Kafka once committed. */
#ifndef CERTFLEET_COORD_OUTBOX_H
#define CERTFLEET_COORD_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>

#include "msgsig.h"

#define OUTBOX_BATCH 500		/* rows relayed per transaction */
#define OUTBOX_DELIVERY_MS 30000	/* wait for the batch's delivery reports */

/* Adds a row in the caller's transaction: payload for topic under key,
 * about job_id/attempt, publishable delay_s seconds from now (0: at once).
 * ca names the CA the job talks to (NULL: none): the relay holds the row
 * while that CA's breaker is open; issue marks an issue order, counted
 * against the CA's cap on orders in flight; priority orders rows (0
 * routine; the relay takes higher priorities first). Returns 0, or -1
 * with a message in err. */
int outbox_add(PGconn *c, const char *topic, const char *key,
    const void *payload, size_t len, const char *job_id, uint32_t attempt,
    double delay_s, const char *ca, int issue, int priority, char *err,
    size_t errlen);

/* In the caller's transaction: the unsent rows of job_id (any attempt) are
 * dropped, so a cancelled order's (or one moved to another CA) job never reaches a worker (a row the
 * relay holds is sent; its events are then ignored). Returns how many
 * were dropped, or -1 with err. */
long outbox_drop_job(PGconn *c, const char *job_id, char *err,
    size_t errlen);

struct cas_conf;

/* How the relay signs the jobs it publishes (msgsig.h, MSGSIG_JOB): with
 * signer, expiring ttl_s seconds after publication. */
struct outbox_signing {
	struct msgsig_signer	*signer;
	long			 ttl_s;
};

/*
 * One relay pass, in its own transaction, under an advisory lock (one
 * relay at a time across coordinators, so that a CA's cap holds): reads
 * each CA's orders in flight and breaker (flow.c), then locks up to
 * OUTBOX_BATCH due unsent rows (FOR UPDATE SKIP LOCKED, highest priority
 * first, then oldest first) that
 * are not for a CA whose breaker is open, nor issue orders of a CA at its
 * cap; admits issue orders while their CA has room under its cap
 * (CERTFLEET_CA_<NAME>_MAX_IN_FLIGHT) and fits its budgets (budget_admit;
 * cas NULL: no cap, no budgets); signs the admitted rows (sign) and
 * produces them, waits for
 * the delivery reports, marks only the delivered ones sent (and their
 * orders "sent"), and commits. Rows held for room stay as they are: they
 * take no worker slot and no Kafka partition. Returns the number of rows
 * sent (>= 0), or -1 with a message in err (the transaction is rolled
 * back; rows stay).
 */
int outbox_relay(PGconn *c, rd_kafka_t *producer, const struct cas_conf *cas,
    const struct outbox_signing *sign, char *err, size_t errlen);

#endif
