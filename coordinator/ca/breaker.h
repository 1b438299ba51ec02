/* breaker.h -- a circuit breaker per CA in PostgreSQL (ca_health): opened by "CA unavailable" reports, half-opened by a directory probe, closed by any answer. */
#ifndef CERTFLEET_COORD_BREAKER_H
#define CERTFLEET_COORD_BREAKER_H

#include <stddef.h>

#include <libpq-fe.h>

#include "cas.h"

/*
 * closed --(BREAKER_THRESHOLD "CA unavailable" reports in a row)--> open
 * open --(the directory answers the coordinator's probe)--> half_open
 * half_open --(a "CA unavailable" report)--> open, probing half as often
 * any state --(an answer of the CA: an order made, issued, refused...)-->
 *     closed
 * While open, the outbox relay holds every job of the CA (flow.c) and its
 * pending orders whose certificate names a next CA move there
 * (fallback_away); while half-open, FLOW_HALF_OPEN_ORDERS orders go.
 * Waiting spends no attempt: a deferral is not a failure.
 */
#define BREAKER_THRESHOLD	5	/* reports in a row that open it */
#define BREAKER_PROBE_FIRST_S	5.0	/* first probe after opening */
#define BREAKER_PROBE_MAX_S	60.0	/* probes at least this often */
#define BREAKER_PROBE_TIMEOUT_MS 5000
#define BREAKER_ERRORS_KEPT	5	/* recent errors shown by GET /v1/cas */
#define BREAKER_DETAIL_MAX	300	/* bytes of one error kept */
#define BREAKER_MOVE_PER_TICK	100	/* orders moved to a fallback CA per tick */

struct probe;
struct settings;

/* In the caller's transaction: CA ca did not answer a worker (detail: the
 * worker's error). Counts it, keeps it among the recent errors, and opens
 * the breaker at BREAKER_THRESHOLD in a row (or at once when half-open).
 * Returns 1 when the breaker is open now, 0 when not, -1 with err. */
int breaker_failure(PGconn *c, const char *ca, const char *detail,
    char *err, size_t errlen);

/* In the caller's transaction: CA ca answered. Closes its breaker and
 * clears the count (a no-op when already so). Returns 0, or -1 with err. */
int breaker_answer(PGconn *c, const char *ca, char *err, size_t errlen);

/* In the caller's transaction: the directory probe of ca answered (ok 1:
 * half-open) or not (ok 0: open, next probe twice as late, detail kept).
 * Returns 0, or -1 with err. */
int breaker_probed(PGconn *c, const char *ca, int ok, const char *detail,
    char *err, size_t errlen);

/*
 * Once a second from the main loop, each step in its own transaction:
 * records the probes that finished, starts the due ones (open breakers
 * whose probe_at has come: a directory GET on p, never blocking), and moves
 * the waiting orders of open CAs to their certificates' next CA
 * (fallback_away, at most BREAKER_MOVE_PER_TICK). The directory and trust
 * bundle come from s's CA list. Returns 0, or -1 with err (the next tick
 * goes on).
 */
int breaker_tick(PGconn *c, struct probe *p, const struct settings *s,
    char *err, size_t errlen);

#endif
