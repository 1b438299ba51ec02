/* results_poison.c -- a result event that cannot be applied is dead-lettered by the consumer; here its order is re-driven, or failed when that cannot help. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acme.h"
#include "codec.h"
#include "db.h"
#include "log.h"
#include "order.h"
#include "results_int.h"
#include "utf8.h"

/* 1 when e is the result of a job (not progress): the job has ended and
 * nothing but a re-drive brings its order on. */
static int
results_poison_is_result(const Certfleet__Event *e)
{
	return e->kind_case == CERTFLEET__EVENT__KIND_CERTIFICATE_ISSUED ||
	    e->kind_case == CERTFLEET__EVENT__KIND_FAILED ||
	    e->kind_case == CERTFLEET__EVENT__KIND_DEFERRED;
}

/* Inside the caller's transaction, with order o locked: records why, then
 * re-drives the order or fails it. 0, or -1 with err. */
static int
results_poison_act(PGconn *c, const struct settings *s,
    const Certfleet__Event *e, const struct results_order *o,
    const char *reason, char *err, size_t errlen)
{
	char raw[2048], detail[ACME_PROBLEM_TEXT_MAX + 1], n[16];
	unsigned poisoned = o->poisoned + 1;
	int give_up = poisoned >= RESULTS_POISON_MAX;

	snprintf(raw, sizeof(raw), "the worker's %s event of attempt %u could "
	    "not be applied and was dead-lettered (%u of %d): %s; %s",
	    proto_event_kind_name(e), e->attempt, poisoned, RESULTS_POISON_MAX,
	    reason, give_up ? "given up: re-driving again would not help "
	    "(certfleetctl retry queues it anew)" : "the order is re-driven");
	/* The reason quotes what the database refused: keep it storable. */
	utf8_sanitize(raw, strlen(raw), detail, sizeof(detail));
	snprintf(n, sizeof(n), "%u", poisoned);
	if (results_problem(c, e->job_id, e->attempt, o->certificate,
	    RESULTS_PROBLEM_REJECTED, detail, 0, NULL, err, errlen) < 0 ||
	    db_exec(c, "results poisoned", "UPDATE orders SET poisoned = $2 "
	    "WHERE id = $1", 2, (const char *[]){ e->job_id, n }, NULL, NULL,
	    err, errlen) < 0)
		return -1;
	if (give_up) {
		if (results_order_failed(c, s, e->job_id, o, err, errlen) < 0)
			return -1;
		log_warn_ctx(LOG_JOB(e->job_id, e->attempt, e->trace_id,
		    o->certificate), "failed for good: %u of its results could "
		    "not be applied", poisoned);
		return 0;
	}
	if (order_requeue(c, e->job_id, e->attempt + 1, o->order_url, 0,
	    "pending", err, errlen) < 0)
		return -1;
	log_warn_ctx(LOG_JOB(e->job_id, e->attempt, e->trace_id,
	    o->certificate), "%s event dead-lettered, order re-driven as "
	    "attempt %u", proto_event_kind_name(e), e->attempt + 1);
	return 0;
}

enum results_outcome
results_poison(PGconn *c, const struct settings *s, const void *buf,
    size_t len, const char *reason, char *err, size_t errlen)
{
	Certfleet__Event *e;
	struct results_order o;
	enum results_outcome out = RESULTS_IGNORED;
	int found = 0;

	(void)s;
	if ((e = proto_event_decode_header(buf, len)) == NULL)
		return RESULTS_IGNORED;	/* nobody to re-drive */
	if (!results_poison_is_result(e) ||
	    (e->job_kind != CERTFLEET__JOB_KIND__JOB_KIND_ISSUE_ORDER &&
	    e->job_kind != CERTFLEET__JOB_KIND__JOB_KIND_UNSPECIFIED))
		goto out;
	out = RESULTS_RETRY;
	db_fault_clear(c);
	if (db_begin(c, err, errlen) < 0 ||
	    (found = results_order_get(c, e->job_id, &o, err, errlen)) < 0)
		goto out;
	out = RESULTS_IGNORED;
	if (found == 0 || strcmp(o.status, "valid") == 0 ||
	    strcmp(o.status, "failed") == 0 ||
	    strcmp(o.status, "cancelled") == 0 || o.attempt != e->attempt)
		goto out;	/* final already, or a later attempt runs */
	out = RESULTS_RETRY;
	if (results_poison_act(c, s, e, &o, reason, err, errlen) < 0 ||
	    db_commit(c, err, errlen) < 0)
		goto out;
	out = RESULTS_APPLIED;
out:
	if (found > 0)
		results_order_free(&o);
	db_rollback(c);
	proto_event_free(e);
	return out;
}
