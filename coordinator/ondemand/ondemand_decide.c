/* ondemand_decide.c -- one batch of asked names decided: negative cache, allow-list, existing certificate, webhook; refusals written to Redis. */
#include "ondemand_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "negcache.h"
#include "odpolicy.h"
#include "odqueue.h"
#include "odstats.h"
#include "webhook.h"

/* One batch being decided; d[i].status NULL: row i is left for later. */
struct od_batch {
	PGresult		*r;
	size_t			 n;
	char			**names;	/* borrowed from r */
	int			*refused;	/* found in the negative cache */
	struct odpolicy_match	*m;
	struct odqueue_decision	*d;
	struct webhook_ask	*hooks;
	size_t			*hrow;		/* hooks[k] is about row hrow[k] */
	size_t			 nh;
	size_t			 cmds;		/* Redis writes queued */
	int			 cache;		/* Redis answered: write to it */
};

static void
od_batch_free(struct od_batch *b)
{
	PQclear(b->r);
	free(b->names);
	free(b->refused);
	free(b->m);
	free(b->d);
	free(b->hooks);
	free(b->hrow);
}

static int
od_batch_alloc(struct od_batch *b)
{
	size_t i;

	if ((b->names = calloc(b->n, sizeof(*b->names))) == NULL ||
	    (b->refused = calloc(b->n, sizeof(*b->refused))) == NULL ||
	    (b->m = calloc(b->n, sizeof(*b->m))) == NULL ||
	    (b->d = calloc(b->n, sizeof(*b->d))) == NULL ||
	    (b->hooks = calloc(b->n, sizeof(*b->hooks))) == NULL ||
	    (b->hrow = calloc(b->n, sizeof(*b->hrow))) == NULL)
		return -1;
	for (i = 0; i < b->n; i++) {
		b->names[i] = PQgetvalue(b->r, (int)i, OQ_NAME);
		b->d[i].name = b->names[i];
		b->d[i].hook = -1;
	}
	return 0;
}

/* Row i is refused by decision for deny_s seconds, hook the webhook's
 * answer to remember; the reason is formatted by the caller after. */
static struct odqueue_decision *
od_deny(struct od_batch *b, size_t i, const char *decision, long deny_s,
    int hook)
{
	b->d[i].status = "denied";
	b->d[i].decision = decision;
	b->d[i].deny_s = deny_s;
	b->d[i].hook = hook;
	return &b->d[i];
}

/* Row i is allowed: it waits for room under the limits. */
static void
od_allow(struct od_batch *b, size_t i, int hook, const char *how)
{
	b->d[i].status = "queued";
	b->d[i].decision = "allowed";
	b->d[i].tenant = b->m[i].tenant;
	b->d[i].hook = hook;
	snprintf(b->d[i].reason, sizeof(b->d[i].reason), "allowed by entry %s "
	    "of tenant %s%s", b->m[i].entry, b->m[i].tenant, how);
}

/* The negative cache: names refused moments ago (a peter_sslers edge does
 * not read it; a certfleet edge may have asked just before the refusal of
 * a domain above the name was written). */
static void
od_cached(struct ondemand *od, struct od_batch *b)
{
	char err[512];

	if (!ondemand_redis(od))
		return;
	if (negcache_check(od->redis, b->names, b->n, b->refused, err,
	    sizeof(err)) < 0) {
		memset(b->refused, 0, b->n * sizeof(*b->refused));
		ondemand_redis_lost(od, err);
		return;
	}
	b->cache = 1;
}

/* The allow-list, an existing certificate and a remembered webhook answer
 * decide row i, or put it on the webhook's list. 0, or -1 with err. */
static int
od_judge(struct ondemand *od, struct od_batch *b, size_t i, char *err,
    size_t errlen)
{
	const struct odconf *c = &od->s->od;
	const char *hook = PQgetvalue(b->r, (int)i, OQ_HOOK);
	struct odqueue_decision *d;
	char id[IDS_LEN + 1];
	int n;

	if (odpolicy_match(od->db, b->names[i], &b->m[i], err, errlen) < 0)
		return -1;
	if (!b->m[i].allowed) {
		d = od_deny(b, i, "denied_list", c->deny_ttl_s, -1);
		snprintf(d->reason, sizeof(d->reason), "no allow-list entry allows "
		    "it (refused for %ld s: %s%s)", c->deny_ttl_s,
		    b->m[i].wide ? "every name at or under " : "exactly ",
		    b->m[i].scope);
		if (b->cache) {
			negcache_deny(od->redis, b->m[i].scope, b->m[i].wide,
			    "list", c->deny_ttl_s);
			b->cmds++;
		}
		return 0;
	}
	if ((n = odqueue_live_cert(od->db, b->names[i], id, err, errlen)) < 0)
		return -1;
	if (n == 1) {
		b->d[i].status = "done";
		b->d[i].decision = "existing";
		b->d[i].tenant = b->m[i].tenant;
		b->d[i].certificate = strdup(id);
		snprintf(b->d[i].reason, sizeof(b->d[i].reason), "certificate %s "
		    "already carries it", id);
		return b->d[i].certificate != NULL ? 0 : -1;
	}
	if (c->ask_url == NULL)
		od_allow(b, i, -1, "");
	else if (strcmp(hook, "t") == 0)
		od_allow(b, i, 1, "; the ask webhook said yes (remembered)");
	else if (strcmp(hook, "f") == 0) {
		d = od_deny(b, i, "denied_webhook", c->deny_ttl_s, 0);
		snprintf(d->reason, sizeof(d->reason), "the ask webhook said no "
		    "(remembered); refused for %ld s", c->deny_ttl_s);
	} else if (b->nh < ONDEMAND_HOOKS) {
		b->hooks[b->nh].name = b->names[i];
		b->hooks[b->nh].tenant = b->m[i].tenant;
		b->hrow[b->nh++] = i;
	}	/* else: asked next batch */
	return 0;
}

/* The webhook's answers for the rows on its list. */
static void
od_hooks(struct ondemand *od, struct od_batch *b)
{
	const struct odconf *c = &od->s->od;
	struct odqueue_decision *d;
	struct webhook_ask *h;
	char err[256];
	size_t k, i;
	long failed;

	if (b->nh == 0)
		return;
	if ((failed = webhook_run(c, b->hooks, b->nh, err, sizeof(err))) < 0)
		log_warn("on-demand: %s", err);
	odstats_add(ODSTATS_WEBHOOK_CALLS, b->nh);
	odstats_add(ODSTATS_WEBHOOK_ERRORS, failed < 0 ? b->nh :
	    (uint64_t)failed);
	for (k = 0; k < b->nh; k++) {
		h = &b->hooks[k];
		i = b->hrow[k];
		if (h->answer == WEBHOOK_YES) {
			od_allow(b, i, 1, "; the ask webhook said yes");
			continue;
		}
		if (h->answer == WEBHOOK_NO) {
			d = od_deny(b, i, "denied_webhook", c->deny_ttl_s, 0);
			snprintf(d->reason, sizeof(d->reason), "the ask webhook "
			    "said no (%s); refused for %ld s", h->why,
			    c->deny_ttl_s);
			log_info("on-demand: %s refused by the ask webhook (%s); "
			    "refused for %ld s", h->name, h->why, c->deny_ttl_s);
		} else {
			d = od_deny(b, i, "denied_webhook", c->ask_error_ttl_s, -1);
			snprintf(d->reason, sizeof(d->reason), "the ask webhook "
			    "failed: %s; refused (fail closed) for %ld s", h->why,
			    c->ask_error_ttl_s);
			log_warn("on-demand: ask webhook failed for %s: %s; refused "
			    "(fail closed) for %ld s", h->name, h->why,
			    c->ask_error_ttl_s);
		}
		if (b->cache) {
			negcache_deny(od->redis, h->name, 0, "webhook", d->deny_s);
			b->cmds++;
		}
	}
}

/* Writes the decided rows (skipping those left for later); 0 or -1. */
static int
od_write(struct ondemand *od, struct od_batch *b, char *err, size_t errlen)
{
	struct odqueue_decision *dd;
	size_t i, k = 0;
	int rc;

	if ((dd = calloc(b->n, sizeof(*dd))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < b->n; i++)
		if (b->d[i].status != NULL)
			dd[k++] = b->d[i];
	rc = odqueue_decide(od->db, dd, k, err, errlen);
	free(dd);
	if (rc == 0 && b->cmds > 0) {
		if (negcache_flush(od->redis, b->cmds, err, errlen) < 0) {
			ondemand_redis_lost(od, err);
			err[0] = '\0';
		}
		b->cmds = 0;
	}
	return rc;
}

/* Counts the decisions of the batch and says what happened, in one line. */
static void
od_count(const struct od_batch *b)
{
	uint64_t n[ODSTATS_N] = { 0 };
	const char *example = NULL;
	size_t i, queued = 0;
	int c;

	for (i = 0; i < b->n; i++) {
		if (b->d[i].status == NULL)
			continue;
		if (strcmp(b->d[i].status, "queued") == 0) {
			queued++;	/* counted when released or held */
			continue;
		}
		for (c = 0; c < ODSTATS_N; c++)
			if (strcmp(b->d[i].decision, odstats_name(c)) == 0)
				n[c]++;
		if (strcmp(b->d[i].decision, "denied_list") == 0 && example == NULL)
			example = b->names[i];
	}
	for (c = 0; c < ODSTATS_N; c++)
		if (n[c] > 0)
			odstats_add(c, n[c]);
	if (queued + n[ODSTATS_EXISTING] + n[ODSTATS_DENIED_CACHE] +
	    n[ODSTATS_DENIED_LIST] + n[ODSTATS_DENIED_WEBHOOK] == 0)
		return;
	log_info("on-demand: %zu asked name(s): %zu allowed (queued), %llu "
	    "existing, refused %llu by the negative cache, %llu by the "
	    "allow-list%s%s%s, %llu by the webhook", queued + (size_t)
	    (n[ODSTATS_EXISTING] + n[ODSTATS_DENIED_CACHE] +
	    n[ODSTATS_DENIED_LIST] + n[ODSTATS_DENIED_WEBHOOK]), queued,
	    (unsigned long long)n[ODSTATS_EXISTING],
	    (unsigned long long)n[ODSTATS_DENIED_CACHE],
	    (unsigned long long)n[ODSTATS_DENIED_LIST], example != NULL ?
	    " (" : "", example != NULL ? example : "", example != NULL ? ", ...)" :
	    "", (unsigned long long)n[ODSTATS_DENIED_WEBHOOK]);
}

long
ondemand_decide(struct ondemand *od, char *err, size_t errlen)
{
	struct od_batch b = { 0 };
	struct odqueue_decision *d;
	long rc = -1;
	size_t i;

	if ((b.r = odqueue_take(od->db, "asked", ONDEMAND_BATCH,
	    od->s->od.ask_cache_s, err, errlen)) == NULL)
		return -1;
	if ((b.n = (size_t)PQntuples(b.r)) == 0) {
		rc = 0;
		goto out;
	}
	if (od_batch_alloc(&b) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	od_cached(od, &b);
	for (i = 0; i < b.n; i++) {
		if (!b.refused[i]) {
			if (od_judge(od, &b, i, err, errlen) < 0)
				goto out;
			continue;
		}
		d = od_deny(&b, i, "denied_cache", ONDEMAND_CACHE_HIT_S, -1);
		snprintf(d->reason, sizeof(d->reason), "refused moments ago (the "
		    "negative cache in Redis)");
	}
	od_hooks(od, &b);
	if (od_write(od, &b, err, errlen) < 0)
		goto out;
	od_count(&b);
	rc = (long)b.n;
out:
	if (b.cmds > 0)	/* queued writes whose replies nobody will read */
		ondemand_redis_lost(od, "on-demand: a batch failed before its "
		    "Redis writes were sent");
	for (i = 0; b.d != NULL && i < b.n; i++)
		free((char *)(uintptr_t)b.d[i].certificate);
	od_batch_free(&b);
	return rc;
}
