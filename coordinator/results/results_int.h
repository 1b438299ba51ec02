/* results_int.h -- private to results*.c: the order an event is about, and the steps the per-kind appliers share. */
#ifndef CERTFLEET_COORD_RESULTS_INT_H
#define CERTFLEET_COORD_RESULTS_INT_H

#include <stddef.h>

#include <libpq-fe.h>

#include "codec.h"
#include "issued.h"
#include "results.h"
#include "settings.h"

#define RESULTS_ACME_URN	"urn:ietf:params:acme:error:"
#define RESULTS_UNAVAILABLE_S	15.0	/* least wait after "CA unavailable" */
#define RESULTS_DETAIL_MAX	2048	/* a problem's detail with its hint */

/* The order an event is about, locked with its certificate. */
struct results_order {
	PGresult	*r;
	const char	*status;
	unsigned	 attempt;
	const char	*certificate;
	const char	*private_key;
	const char	*order_url;
	const char	*trace_id;
	const char	*cert_status;
	unsigned	 failures;	/* transient failures so far */
	char		**names;
	size_t		 nnames;
	unsigned	 sweeps;	/* re-drives without progress (sweep.c) */
	unsigned	 poisoned;	/* result events refused (results_poison.c) */
	const char	*ca;		/* the order's CA, "" for the default */
	const char	*preferred_chain;	/* the order's, "" for none */
	unsigned char	*spki;		/* its key's public key DER, NULL: none */
	size_t		 spkilen;
	int		 breaker_dirty;	/* its CA's breaker has failures or is
					 * not closed: an answer clears it */
};

/* Locks order job_id with its certificate and reads it into o. Returns 1
 * when found (release with results_order_free), 0 when the job is no
 * order (o holds nothing), -1 with a message in err. */
int results_order_get(PGconn *c, const char *job_id, struct results_order *o,
    char *err, size_t errlen);
void results_order_free(struct results_order *o);

/* ---- issue orders (results_order.c) ---- */

/* Applies an event of an issue_order job: order_created, certificate_issued
 * (results_issued), failed or deferred (results_unhappy), with the order
 * and its certificate locked. An unknown order is RESULTS_IGNORED. ib: as
 * results_issued takes it. */
enum results_outcome results_order_event(PGconn *c, const struct settings *s,
    const Certfleet__Event *e, struct issued_batch *ib, char *err,
    size_t errlen);

/* Records a problem for job_id and, when certificate is not NULL, as the
 * certificate's last problem. p (may be NULL) gives the subproblems.
 * Returns 0, or -1 with a message in err. */
int results_problem(PGconn *c, const char *job_id, unsigned attempt,
    const char *certificate, const char *type, const char *detail,
    int status, const Certfleet__Problem *p, char *err, size_t errlen);

/* The order failed for good; its certificate too (unless already issued:
 * then its renewal failed, and the next one waits out s->renew_sched's
 * step for its count of failures in a row, or none comes once the current
 * certificate has expired), except when a fallback CA takes over with a
 * new order (fallback.c). Returns 0, or -1 with a message in err. */
int results_order_failed(PGconn *c, const struct settings *s,
    const char *job_id, const struct results_order *o, char *err,
    size_t errlen);

/* ---- certificate_issued (results_issued.c) ---- */

/* Checks the issued certificate against the order, stores it with every
 * chain, its ARI window and renew_at, and marks the order valid: at once
 * when ib is NULL, else added to ib, which the caller writes before its
 * transaction commits (ib written first when it holds the certificate
 * already; that write failing leaves issued_batch_failed(ib) set). */
enum results_outcome results_issued(PGconn *c, const struct settings *s,
    const Certfleet__Event *e, const struct results_order *o,
    struct issued_batch *ib, char *err, size_t errlen);

/* ---- failed and deferred (results_retry.c) ---- */

/* failed and deferred of an issue order: record the problem, then retry,
 * defer, or give up (only on a final problem: never on a transient one). */
enum results_outcome results_unhappy(PGconn *c, const struct settings *s,
    const Certfleet__Event *e, const struct results_order *o, char *err,
    size_t errlen);

/* Events about a register_account job (its job id is the account id). */
enum results_outcome results_account(PGconn *c, const struct settings *s,
    const Certfleet__Event *e, char *err, size_t errlen);

/* ---- events that cannot be applied (results_poison.c) ---- */

/*
 * The event in buf[0..len) was refused (it does not validate, or the
 * database refused its content) and is being dead-lettered for reason.
 * When it is the result (certificate_issued, failed, deferred) of an issue
 * order's current attempt, that order is re-driven in one transaction:
 * the problem is recorded (RESULTS_PROBLEM_REJECTED) and the order is
 * queued again as the next attempt with its order URL (order_requeue), or,
 * once RESULTS_POISON_MAX of its results were refused, failed with that
 * problem (results_order_failed: fallback CA or certificate failed).
 * Anything else (progress events, other jobs' events, an older attempt, an
 * order already final, bytes without a usable header) changes nothing.
 * Idempotent: a second call for the same event finds the attempt moved on.
 * Returns RESULTS_APPLIED (re-driven or failed), RESULTS_IGNORED (nothing
 * to do), or RESULTS_RETRY with err (nothing written).
 */
enum results_outcome results_poison(PGconn *c, const struct settings *s,
    const void *buf, size_t len, const char *reason, char *err,
    size_t errlen);

#endif
