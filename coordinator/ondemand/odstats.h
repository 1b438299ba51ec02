/* odstats.h -- the counters of on-demand issuance, one set per process, in one place: the API shows them and a metrics exporter reads them. */
#ifndef CERTFLEET_COORD_ODSTATS_H
#define CERTFLEET_COORD_ODSTATS_H

#include <stdint.h>

/*
 * Every decision about an asked name is counted once, when it is made,
 * under exactly one of the first six counters:
 *   allowed         the allow-list (and the webhook, when set) said yes
 *                   and its certificate was enrolled at once
 *   existing        a live certificate already carries the name
 *   denied_cache    refused by the negative cache: the name (or a domain
 *                   above it) was refused moments ago, so it was not
 *                   judged again (asks arriving on a refusal still in
 *                   force, and names the on-demand thread found in Redis)
 *   denied_list     no allow-list entry of any tenant allows it
 *   denied_webhook  the ask webhook said no, failed or timed out
 *   limited         allowed, but held by a rate limit or a tenant quota:
 *                   queued, and enrolled later
 * and, about what followed:
 *   enrolled        certificates enrolled for allowed names (at once, or
 *                   when a held name got room)
 * and, about the traffic:
 *   asked           names received from edges (ask bodies and autocert)
 *   invalid         lines of ask bodies that were not host names
 *   webhook_calls   requests made to the ask webhook
 *   webhook_errors  of those, the ones that failed or timed out
 * Counters start at 0 when the coordinator starts and only go up (like a
 * Prometheus counter). They are C11 atomics: any thread adds and reads
 * without a lock.
 */
enum odstats_counter {
	ODSTATS_ALLOWED,
	ODSTATS_EXISTING,
	ODSTATS_DENIED_CACHE,
	ODSTATS_DENIED_LIST,
	ODSTATS_DENIED_WEBHOOK,
	ODSTATS_LIMITED,
	ODSTATS_ENROLLED,
	ODSTATS_ASKED,
	ODSTATS_INVALID,
	ODSTATS_WEBHOOK_CALLS,
	ODSTATS_WEBHOOK_ERRORS,
	ODSTATS_N
};

/* Adds n to counter c (c < ODSTATS_N). */
void odstats_add(enum odstats_counter c, uint64_t n);

/* The value of counter c. */
uint64_t odstats_get(enum odstats_counter c);

/* Its name as above ("denied_list"), for JSON and metric labels. */
const char *odstats_name(enum odstats_counter c);

/* 1 when c counts a decision (the first six), else 0. */
int odstats_is_decision(enum odstats_counter c);

#endif
