/* ondemand.h -- the on-demand thread: decides the names edges asked for (negative cache, allow-list, webhook) and enrolls the allowed ones under the rate limits. */
#ifndef CERTFLEET_COORD_ONDEMAND_H
#define CERTFLEET_COORD_ONDEMAND_H

#include <stddef.h>

#include "order.h"
#include "settings.h"
#include "vault.h"

#define ONDEMAND_BATCH		200	/* asks decided per statement */
#define ONDEMAND_BATCHES	50	/* batches per pass, at most */
#define ONDEMAND_HOOKS		32	/* webhook asks per batch, at most */
#define ONDEMAND_TICK_MS	1000	/* a pass at least this often */
#define ONDEMAND_RELEASE_MAX	500	/* queued names looked at per pass */
#define ONDEMAND_PRIORITY	ORDER_PRIORITY_ON_DEMAND /* order.h */
#define ONDEMAND_QUOTA_RETRY_S	60	/* a name a tenant quota refused is
					 * tried again after this */
#define ONDEMAND_CACHE_HIT_S	60	/* a name found refused in Redis is
					 * refused in PostgreSQL this long */

/*
 * A thread of its own, with its own PostgreSQL and Redis (REDIS_URL, the
 * prime db) connections. It LISTENs on ODPOLICY_CHANNEL, so an ask is
 * decided as soon as the API records it, and makes a pass at least every
 * ONDEMAND_TICK_MS. Only the coordinator holding the advisory lock
 * "certfleet-ondemand" decides, so two coordinators never judge a name
 * twice. A pass:
 *   1. after an allow-list changed, empties the negative cache in Redis;
 *   2. takes the asked names, oldest first, ONDEMAND_BATCH at a time, and
 *      decides each, in this order: refused in Redis (denied_cache; a
 *      peter_sslers edge, or an ask racing the refusal of its domain); no
 *      allow-list entry (denied_list: refused in Redis as widely as
 *      allowlist_deny_scope allows, CERTFLEET_ON_DEMAND_DENY_TTL); a live
 *      certificate carries it already (existing); the webhook, when set,
 *      unless it answered within CERTFLEET_ON_DEMAND_ASK_CACHE (a "no", an
 *      error or a timeout refuses the exact name: denied_webhook, logged
 *      with why); else the name is queued for its tenant;
 *   3. releases queued names, oldest first, while the global limits and
 *      the name's tenant's limits leave room: each gets a single-name
 *      certificate of the tenant (labels {"on-demand": source}, the default
 *      CA and key type) whose order has priority ONDEMAND_PRIORITY, and
 *      the marker "issuing" in Redis; a name without room, or refused by a
 *      tenant quota (tenant.h), stays queued (limited) and is released in a
 *      later pass, never dropped (a quota, or a failed enrollment, holds it
 *      ONDEMAND_QUOTA_RETRY_S).
 * Every decision is counted in odstats.h and written to the name's row.
 */
struct ondemand;

/* Starts the thread. s and v must outlive it. Returns the handle, or NULL
 * with a message in err. */
struct ondemand *ondemand_start(const struct settings *s,
    const struct vault *v, char *err, size_t errlen);

/* Stops the thread (after its current step: at worst a webhook round,
 * ONDEMAND_HOOKS / WEBHOOK_PARALLEL timeouts) and frees od; NULL is fine. */
void ondemand_stop(struct ondemand *od);

#endif
