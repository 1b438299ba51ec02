/* retrysched.h -- whether and when to try again after a failure: final problems, and for transient ones a schedule of steps (Let's Encrypt's integration guide: a minute, ten, a hundred, then daily) with jitter. */
#ifndef CERTFLEET_COORD_RETRYSCHED_H
#define CERTFLEET_COORD_RETRYSCHED_H

#include <stddef.h>

#include "codec.h"

/* letsencrypt.org/docs/integration-guide, "Retrying Failures": "1st retry
 * after one minute, 2nd retry after ten minutes, 3rd retry after 100
 * minutes, 4th and subsequent retries after one day". */
#define RETRYSCHED_DEFAULT		"60,600,6000,86400"
#define RETRYSCHED_ENV		"CERTFLEET_RETRY_BACKOFF"

/* The renewals a CA refused for good, in a row (certificates.
 * renewal_failures): the next one an hour later, then six, then daily.
 * Let's Encrypt allows 5 failed authorizations per name and account an
 * hour, and pauses a name for the account after 1,152 failures in a row
 * with one forgiven a day (its rate-limits page): a daily attempt never
 * gets there, the renewal tick's hourly lease did in 48 days. */
#define RETRYSCHED_RENEW_DEFAULT	"3600,21600,86400"
#define RETRYSCHED_RENEW_ENV		"CERTFLEET_RENEW_BACKOFF"
#define RETRYSCHED_STEPS_MAX	16
#define RETRYSCHED_STEP_MAX_S	(7 * 86400.0)	/* the longest step accepted */
#define RETRYSCHED_JITTER		0.2	/* each wait is its step +-20% */

struct retrysched {
	double	step[RETRYSCHED_STEPS_MAX];	/* seconds */
	size_t	n;				/* >= 1 */
};

/* Parses spec, comma-separated seconds (1 to RETRYSCHED_STEP_MAX_S, at most
 * RETRYSCHED_STEPS_MAX of them; the last one repeats), the value of the
 * environment variable env whose default is def. Returns 0, or -1 with a
 * message naming env and def in err (b is then unchanged). */
int retrysched_parse(const char *env, const char *def, const char *spec,
    struct retrysched *b, char *err, size_t errlen);

/* The step after the n-th failure in a row (n >= 1; n = 0 counts as 1). */
double retrysched_step(const struct retrysched *b, unsigned n);

/* The wait after the n-th failure: its step times a random factor in
 * [1 - RETRYSCHED_JITTER, 1 + RETRYSCHED_JITTER], so that certificates that
 * failed together do not come back together. */
double retrysched_delay(const struct retrysched *b, unsigned n);

/* A wait of about s seconds, +-RETRYSCHED_JITTER. */
double retrysched_jitter(double s);

/*
 * 1 when a failure with problem p (retryable as the worker said) ends the
 * job for good: an ACME problem the CA will not change its mind about
 * (acme_problem_final: rejectedIdentifier, unauthorized, caa, badCSR...;
 * "compound" when every subproblem is), or a problem of certfleet's own
 * the worker marked not retryable (a configuration error, a job that
 * cannot run, a CA that broke the protocol). Every other failure is
 * transient: tried again on the schedule, without end.
 */
int retrysched_final(const Certfleet__Problem *p, int retryable);

/* What an operator should change after a final problem of type type, one
 * sentence ending with how to try again; "" when the problem's own detail
 * says it (certfleet's configuration errors). */
const char *retrysched_hint(const char *type);

#endif
