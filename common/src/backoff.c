/* backoff.c -- the retry schedule of a service that does not answer: doubling waits with jitter, and when the next try is due. */
#include "backoff.h"

#include <stdlib.h>

void
backoff_init(struct backoff *b, unsigned min_ms, unsigned max_ms)
{
	b->min_ms = min_ms > 0 ? min_ms : 1;
	b->max_ms = max_ms >= b->min_ms ? max_ms : b->min_ms;
	b->failures = 0;
	b->next_ms = 0;
	b->since_ms = 0;
}

unsigned
backoff_delay_ms(unsigned min_ms, unsigned max_ms, unsigned failures,
    double r)
{
	double d = min_ms;
	unsigned i;

	for (i = 1; i < failures && d < max_ms; i++)
		d *= 2;
	if (d > max_ms)
		d = max_ms;
	if (r < 0)
		r = 0;
	if (r >= 1)
		r = 0.999999;
	d *= 1.0 + BACKOFF_JITTER * (2.0 * r - 1.0);
	return d < 1 ? 1 : (unsigned)d;
}

int
backoff_due(const struct backoff *b, uint64_t now)
{
	return b->failures == 0 || now >= b->next_ms;
}

unsigned
backoff_failed(struct backoff *b, uint64_t now)
{
	unsigned d;

	if (b->failures++ == 0)
		b->since_ms = now;
	/* Jitter only spreads retries of many processes: rand() does. */
	d = backoff_delay_ms(b->min_ms, b->max_ms, b->failures,
	    (double)rand() / ((double)RAND_MAX + 1.0));
	b->next_ms = now + d;
	return d;
}

uint64_t
backoff_ok(struct backoff *b, uint64_t now)
{
	uint64_t down = b->failures > 0 && now > b->since_ms ?
	    now - b->since_ms : 0;

	b->failures = 0;
	b->next_ms = 0;
	return down;
}
