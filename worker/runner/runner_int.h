/* runner_int.h -- private to runner*.c: a job in flight, the runner, and the steps the job kinds' files share. */
#ifndef CERTFLEET_RUNNER_INT_H
#define CERTFLEET_RUNNER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "acme.h"
#include "codec.h"
#include "jws.h"
#include "log.h"
#include "runner.h"

struct job_issued;

/* One consumed message: its job from decoding until its result is
 * delivered. */
struct job {
	struct runner	*r;
	struct job	*prev, *next;
	int32_t		 partition;
	int64_t		 offset;
	uint64_t	 taken_ms;	/* monotonic: taken off Kafka */
	Certfleet__Job	*msg;		/* NULL for a dead letter */
	int		 reported;	/* result queued on Kafka */
	int		 resumed;	/* the running order is an earlier one */
	int		 fresh;		/* a new order after a failed resumption */
	int		 reregistered;	/* newAccount again after accountDoesNotExist */
	char		*kid;		/* account URL the order runs under */
	struct acme_op	*op;		/* the running order, NULL when none
					 * (dns-01 records published by a child
					 * report back to it) */
	struct jws_key	*new_key;	/* ca_action rollover: the new key, owned */
	struct job_issued *issued;	/* kept while renewalInfo is fetched */
	char		*order_unsent;	/* the order's URL, not yet reported
					 * to the coordinator (owned) */
	uint64_t	 order_at_ms;	/* when that order was created */
	int		 claimed;	/* holds its order's claim: no order
					 * opened yet (challenge_store.h) */
	uint64_t	 claim_wait_ms;	/* monotonic: when to look again at
					 * another worker's claim, 0: none */
	unsigned	 claim_waits;	/* times it found that claim */
	uint64_t	 claim_since_ms; /* monotonic: when it first found
					 * it, 0: not waiting for one */
};

/* The runner: what it drives, and every job in flight. */
struct runner {
	struct runner_deps	 d;
	struct events		*ev;
	struct job		*jobs;	/* every job not yet freed */
	size_t			 active;
	uint64_t		 ticked_ms;	/* runner_tick's last scan */
};

/* ---- a job's life (runner.c) ---- */

/* Unlinks j from its runner and frees it (its message, keys, held chain). */
void runner_job_free(struct job *j);

/* Fills the header every event carries from the job. */
void runner_job_event_init(const struct job *j, Certfleet__Event *e);

/* Logs a line about j (log.h's log_ctx): its job id, attempt, trace id and
 * certificate id as fields in JSON, the usual "job <id> attempt <n> trace
 * <t>: " prefix in text. j->msg may be NULL (a dead letter). */
void runner_job_log(const struct job *j, enum log_level level,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Keeps the URL of the order j just created, to be reported to the
 * coordinator (an order_created event, so that a redelivered job resumes
 * it) once the order has run deps->order_report_ms, or before a result
 * that is not an issued certificate. An order issued sooner is reported
 * by its result alone: one event per certificate, not two. */
void runner_job_order_created(struct job *j, const char *order_url);

/* Queues the job's result; the job ends when it is delivered (it is freed
 * at once, uncommitted, when the result cannot be queued). An order URL
 * not yet reported goes first, unless the result is an issued
 * certificate (which carries it). */
void runner_job_report(struct job *j, Certfleet__Event *e);

/* Reports a failure or deferral from an engine result, or a local failure
 * when res is NULL (type/detail/retryable then describe it). */
void runner_job_report_failure(struct job *j, const struct acme_result *res,
    const char *type, const char *detail, int retryable);

/* ---- issue_order (runner_order.c) ---- */

/* Opens (or resumes) the job's order with key under account URL kid; the
 * result is reported. */
void runner_job_order(struct job *j, const struct jws_key *key,
    const char *kid);

/* Opens j's order again after a wait for another worker's claim. */
void runner_job_order_again(struct job *j);

/* When j waited for another worker's claim: that wait, from the first look
 * to now, observed as certfleet_acme_wait_seconds{reason="claim"}. */
void runner_job_claim_waited(struct job *j);

/* Frees a held issued certificate; NULL is fine. */
void runner_job_issued_free(struct job_issued *ji);

/* ---- accounts (runner_account.c) ---- */

/* The account id a job runs under (issue_order, ca_action,
 * register_account). */
const char *runner_job_account_id(const struct job *j);

/* 1 when res says the CA does not know the account (accountDoesNotExist:
 * a CA that lost its data, a test CA restarted). */
int runner_account_lost(const struct acme_result *res);

/* Starts newAccount for key (idempotent at the CA: an existing key gets its
 * existing account back; a key the CA forgot gets a new account). A
 * register_account job then reports account_registered; an issue_order or
 * ca_action job reports the URL as a progress account_registered event when
 * it is not the one the job carried, and goes on with its order or action
 * under it. key NULL fails the job (retryable). */
void runner_job_account(struct job *j, const Certfleet__CaRef *ca,
    const struct jws_key *key, const char *const *contacts, size_t ncontacts);

/* ---- ca_action (runner_action.c) ---- */

/* The action's name for logs and events. */
const char *runner_job_action_name(const Certfleet__CaAction *a);

/* Runs the job's revocation, key rollover or deactivation under the
 * account URL this worker learnt last, else the job's. */
void runner_job_action(struct job *j);

/* Runs it under account URL kid (after a re-registration). */
void runner_job_action_run(struct job *j, const char *kid);

/* ---- ari_check (runner_ari.c) ---- */

/* Fetches the job's renewalInfo (a plain GET, no account key) and reports
 * ari_window, or a failure or deferral. */
void runner_job_ari_check(struct job *j);

#endif
