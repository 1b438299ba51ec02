/* clock.h -- the two clocks certfleet reads, in milliseconds: monotonic for deadlines and intervals, wall for timestamps. */
#ifndef CERTFLEET_CLOCK_H
#define CERTFLEET_CLOCK_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC: never goes back, unaffected by settings
 * of the wall clock, meaningless across processes or reboots. Use it for
 * deadlines, timers and "every N ms"; differences of two readings are
 * elapsed time. Cannot fail (one clock_gettime, a vDSO call on Linux). */
uint64_t clock_mono_ms(void);

/* Milliseconds since the Unix epoch on CLOCK_REALTIME, as events and dead
 * letters carry them (at_unix_ms). May jump when the system clock is set:
 * never subtract two readings to measure a duration. Cannot fail. */
int64_t clock_wall_ms(void);

#endif
