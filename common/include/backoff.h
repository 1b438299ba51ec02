/* backoff.h -- retrying a service that does not answer: waits that double from a minimum to a maximum with jitter, and the moment the next try is due. */
#ifndef CERTFLEET_BACKOFF_H
#define CERTFLEET_BACKOFF_H

#include <stdint.h>

#define BACKOFF_MIN_MS		500	/* defaults of the daemons' waits */
#define BACKOFF_MAX_MS		30000
#define BACKOFF_JITTER		0.2	/* each wait is +-20 % */

/* One service's retry state; times are clock_mono_ms() readings. */
struct backoff {
	unsigned	min_ms, max_ms;
	unsigned	failures;	/* in a row; 0 while it answers */
	uint64_t	next_ms;	/* no try is due before this */
	uint64_t	since_ms;	/* the first failure of the streak */
};

/* Starts b answering, with waits from min_ms doubling up to max_ms. */
void backoff_init(struct backoff *b, unsigned min_ms, unsigned max_ms);

/* The wait after the failures-th failure in a row (1 for the first):
 * min_ms * 2^(failures-1), at most max_ms, scaled by 1 + BACKOFF_JITTER *
 * (2r - 1) for r in [0, 1). Pure: the schedule is unit-tested. */
unsigned backoff_delay_ms(unsigned min_ms, unsigned max_ms, unsigned failures,
    double r);

/* 1 when a try is due at now (always while the service answers). */
int backoff_due(const struct backoff *b, uint64_t now);

/* Records a failed try at now; returns the wait before the next one. */
unsigned backoff_failed(struct backoff *b, uint64_t now);

/* Records a try that worked at now; returns for how long the service had
 * been failing (ms), 0 when it was not. */
uint64_t backoff_ok(struct backoff *b, uint64_t now);

#endif
