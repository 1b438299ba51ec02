/* ondemand.c -- the on-demand thread: its connections, LISTEN on the asks, the advisory lock, and the pass (clear, decide, release). */
#include "ondemand_int.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "clock.h"
#include "db.h"
#include "hostname.h"
#include "log.h"
#include "negcache.h"
#include "odpolicy.h"
#include "odqueue.h"
#include "redisconn.h"

#define ONDEMAND_APPNAME	"certfleet-coordinator-ondemand"
#define ONDEMAND_SLICE_MS	200	/* the stop flag is looked at this often */
#define ONDEMAND_REDIS_MS	2000	/* Redis connect and command timeout */
#define ONDEMAND_SETTLE_MS	10000	/* housekeeping this often */

int
ondemand_redis(struct ondemand *od)
{
	char err[512];

	if (od->redis != NULL)
		return 1;
	if ((od->redis = redisconn_open(od->s->redis_url, (int)od->s->prime_db,
	    ONDEMAND_REDIS_MS, err, sizeof(err))) == NULL) {
		if (!od->redis_down)
			log_warn("on-demand: Redis: %s; deciding without the "
			    "negative cache until it is back", err);
		od->redis_down = 1;
		return 0;
	}
	if (od->redis_down)
		log_info("on-demand: Redis is back");
	od->redis_down = 0;
	return 1;
}

void
ondemand_redis_lost(struct ondemand *od, const char *err)
{
	log_warn("on-demand: %s (reconnecting)", err);
	if (od->redis != NULL)
		redisFree(od->redis);
	od->redis = NULL;
}

/* Sleeps ms, waking up early for stop. */
static void
ondemand_sleep(struct ondemand *od, int ms)
{
	while (ms > 0 && !atomic_load(&od->stop)) {
		poll(NULL, 0, ms < ONDEMAND_SLICE_MS ? ms : ONDEMAND_SLICE_MS);
		ms -= ONDEMAND_SLICE_MS;
	}
}

/* A live connection that LISTENs; a new one is not the leader yet. */
static int
ondemand_connect(struct ondemand *od, char *err, size_t errlen)
{
	if (db_ensure(&od->db, od->s->pg, ONDEMAND_APPNAME, err, errlen) < 0)
		return -1;
	if (PQbackendPID(od->db) == od->db_pid)
		return 0;
	od->leader = 0;
	od->db_pid = 0;
	if (db_exec(od->db, "on-demand listen", "LISTEN " ODPOLICY_CHANNEL, 0,
	    NULL, NULL, NULL, err, errlen) < 0)
		return -1;
	od->db_pid = PQbackendPID(od->db);
	if (od->policy == 0)	/* changes made while not listening were missed */
		od->policy = 2;
	return 0;
}

/* Reads the notifications received; 1 when there was one. */
static int
ondemand_notified(struct ondemand *od)
{
	PGnotify *n;
	int any = 0;

	PQconsumeInput(od->db);
	while ((n = PQnotifies(od->db)) != NULL) {
		if (strcmp(n->extra, "policy") == 0)
			od->policy = 1;
		any = 1;
		PQfreemem(n);
	}
	return any;
}

/* Waits up to ms for a notification (or stop). */
static void
ondemand_wait(struct ondemand *od, int ms)
{
	struct pollfd pfd;

	if (od->more || ondemand_notified(od))
		return;
	pfd.fd = PQsocket(od->db);
	pfd.events = POLLIN;
	while (ms > 0 && !atomic_load(&od->stop)) {
		if (poll(&pfd, 1, ms < ONDEMAND_SLICE_MS ? ms :
		    ONDEMAND_SLICE_MS) > 0) {
			ondemand_notified(od);
			return;
		}
		ms -= ONDEMAND_SLICE_MS;
	}
}

/* Takes the advisory lock once; 1 when this coordinator decides. */
static int
ondemand_lead(struct ondemand *od, char *err, size_t errlen)
{
	PGresult *r;

	if (od->leader)
		return 1;
	if ((r = db_query(od->db, "on-demand lock", "SELECT pg_try_advisory_lock("
	    "hashtext('certfleet-ondemand'))", 0, NULL, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	od->leader = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	if (od->leader)
		log_info("on-demand: this coordinator decides on-demand asks");
	return od->leader;
}

/* The allow-lists' version: when a tenant's policy was last set. 0, or -1
 * with err. */
static int
ondemand_version(struct ondemand *od, char ver[64], char *err, size_t errlen)
{
	PGresult *r;

	if ((r = db_query(od->db, "on-demand policy version", "SELECT coalesce("
	    "max(updated_at)::text, '') FROM tenants", 0, NULL, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	snprintf(ver, 64, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

/* 1 when the refusals were last cleared under version ver, 0 when not, -1
 * with err. */
static int
ondemand_same_version(struct ondemand *od, const char *ver, char *err,
    size_t errlen)
{
	PGresult *r;
	int same;

	if ((r = db_query(od->db, "on-demand refusals version", "SELECT "
	    "refusals_version FROM on_demand_state", 0, NULL, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	same = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), ver) == 0;
	PQclear(r);
	return same;
}

/* Step 1: an allow-list changed, so refusals in Redis may be wrong now;
 * after a (re)connection, only if they were made under another version of
 * the allow-lists (on_demand_state: nothing of this is kept in Redis,
 * whose prime database holds what edges read). The refusals in
 * PostgreSQL are lifted too, so that a name refused again is written to
 * Redis again. */
static void
ondemand_clear(struct ondemand *od)
{
	char err[512], ver[64];
	long n;
	int same;

	if (!od->policy)
		return;
	if (ondemand_version(od, ver, err, sizeof(err)) < 0 || (same =
	    ondemand_same_version(od, ver, err, sizeof(err))) < 0) {
		log_warn("on-demand: %s (will retry)", err);
		return;
	}
	if (same && od->policy == 2) {
		od->policy = 0;
		return;
	}
	if (!ondemand_redis(od))
		return;
	if ((n = negcache_clear(od->redis, err, sizeof(err))) < 0) {
		ondemand_redis_lost(od, err);
		return;
	}
	if (odqueue_lift(od->db, err, sizeof(err)) < 0 ||
	    db_exec(od->db, "on-demand refusals version", "UPDATE "
	    "on_demand_state SET refusals_version = $1", 1,
	    (const char *[]){ ver }, NULL, NULL, err, sizeof(err)) < 0) {
		log_warn("on-demand: %s (will retry)", err);
		return;
	}
	od->policy = 0;
	if (n > 0)
		log_info("on-demand: an allow-list changed: %ld refusal(s) "
		    "dropped from the negative cache", n);
}

static int
ondemand_pass(struct ondemand *od, char *err, size_t errlen)
{
	uint64_t now = clock_mono_ms();
	long n = 0;
	int b;

	ondemand_clear(od);
	if (now - od->settled >= ONDEMAND_SETTLE_MS) {
		if (odqueue_settle(od->db, err, errlen) < 0)
			return -1;
		od->settled = now;
	}
	od->more = 0;
	for (b = 0; b < ONDEMAND_BATCHES && !atomic_load(&od->stop); b++)
		if ((n = ondemand_decide(od, err, errlen)) < ONDEMAND_BATCH)
			break;
	if (n < 0)
		return -1;
	od->more = n == ONDEMAND_BATCH;
	return ondemand_release(od, err, errlen);
}

static void *
ondemand_main(void *arg)
{
	struct ondemand *od = arg;
	char err[1024], last[1024] = "";
	int lead;

	while (!atomic_load(&od->stop)) {
		if (ondemand_connect(od, err, sizeof(err)) < 0) {
			if (strcmp(err, last) != 0)
				log_warn("on-demand: %s; retrying", err);
			snprintf(last, sizeof(last), "%s", err);
			ondemand_sleep(od, 1000);
			continue;
		}
		ondemand_wait(od, ONDEMAND_TICK_MS);
		if (atomic_load(&od->stop))
			break;
		if ((lead = ondemand_lead(od, err, sizeof(err))) <= 0) {
			if (lead < 0)
				log_warn("on-demand: %s", err);
			continue;
		}
		if (ondemand_pass(od, err, sizeof(err)) < 0) {
			log_warn("on-demand: %s (will retry)", err);
			ondemand_sleep(od, 1000);
		}
	}
	return NULL;
}

struct ondemand *
ondemand_start(const struct settings *s, const struct vault *v, char *err,
    size_t errlen)
{
	struct ondemand *od;
	char rd[HOSTNAME_MAX + 1];

	if ((od = calloc(1, sizeof(*od))) == NULL) {
		snprintf(err, errlen, "on-demand: out of memory");
		return NULL;
	}
	od->s = s;
	od->v = v;
	atomic_init(&od->stop, 0);
	/* the public suffix list is loaded on first use, not thread-safely:
	 * here, before this thread and the API's normalize names */
	hostname_registered_domain("example.com", rd, sizeof(rd));
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "on-demand: libcurl does not start");
		free(od);
		return NULL;
	}
	if (pthread_create(&od->th, NULL, ondemand_main, od) != 0) {
		snprintf(err, errlen, "on-demand: cannot start the thread");
		curl_global_cleanup();
		free(od);
		return NULL;
	}
	log_info("on-demand: deciding asks (refusals cached %ld s, %ld new "
	    "orders per minute, %ld pending at most, webhook %s)",
	    s->od.deny_ttl_s, s->od.per_minute, s->od.max_pending,
	    s->od.ask_url != NULL ? "set" : "none");
	return od;
}

void
ondemand_stop(struct ondemand *od)
{
	if (od == NULL)
		return;
	atomic_store(&od->stop, 1);
	pthread_join(od->th, NULL);
	if (od->redis != NULL)
		redisFree(od->redis);
	if (od->db != NULL)
		PQfinish(od->db);
	curl_global_cleanup();
	free(od);
}
