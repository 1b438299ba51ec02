/* odstats.c -- the on-demand counters: process-wide C11 atomics. */
#include "odstats.h"

#include <stdatomic.h>

static _Atomic uint64_t odstats_v[ODSTATS_N];

static const char *const odstats_names[ODSTATS_N] = {
	[ODSTATS_ALLOWED] = "allowed",
	[ODSTATS_EXISTING] = "existing",
	[ODSTATS_DENIED_CACHE] = "denied_cache",
	[ODSTATS_DENIED_LIST] = "denied_list",
	[ODSTATS_DENIED_WEBHOOK] = "denied_webhook",
	[ODSTATS_LIMITED] = "limited",
	[ODSTATS_ENROLLED] = "enrolled",
	[ODSTATS_ASKED] = "asked",
	[ODSTATS_INVALID] = "invalid",
	[ODSTATS_WEBHOOK_CALLS] = "webhook_calls",
	[ODSTATS_WEBHOOK_ERRORS] = "webhook_errors",
};

void
odstats_add(enum odstats_counter c, uint64_t n)
{
	if (c < ODSTATS_N)
		atomic_fetch_add_explicit(&odstats_v[c], n,
		    memory_order_relaxed);
}

uint64_t
odstats_get(enum odstats_counter c)
{
	if (c >= ODSTATS_N)
		return 0;
	return atomic_load_explicit(&odstats_v[c], memory_order_relaxed);
}

const char *
odstats_name(enum odstats_counter c)
{
	return c < ODSTATS_N ? odstats_names[c] : "?";
}

int
odstats_is_decision(enum odstats_counter c)
{
	return c < ODSTATS_ENROLLED;
}
