/* pacer.c -- the shared request pacing: GCRA buckets per CA and endpoint in Redis, reserved by a Lua script before each request, slowed by 429/503; and the CA's gate's leases (gate.c). */
#include "pacer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "clock.h"
#include "gate.h"
#include "log.h"
#include "redisconn.h"
#include "redisdefer.h"
#include "rediskeys.h"

#define PACER_TIMEOUT_MS	1000
#define PACER_KEY_MAX		128

/*
 * ask: KEYS are the buckets (1 or 2), ARGV their rate and burst pairs,
 * then the longest wait to reserve and the recovery time (ms). Every
 * bucket's next slot is start = max(now, tat - (b - 1) * T, until) with
 * T = 1000 / (rate * factor) ms and b = max(1, burst * factor): a slowed
 * bucket also bursts less. The request goes at the latest start of its
 * buckets, which then move their tat past it. Returns the wait in ms
 * (over the longest, nothing is reserved).
 */
static const char pacer_ask_lua[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "local n = #KEYS\n"
    "local maxwait = tonumber(ARGV[2 * n + 1])\n"
    "local recover = tonumber(ARGV[2 * n + 2])\n"
    "local start, st = now, {}\n"
    "for i = 1, n do\n"
    "  local rate, burst = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])\n"
    "  local h = redis.call('HMGET', KEYS[i], 'tat', 'f0', 't0', 'until')\n"
    "  local tat, f0 = tonumber(h[1]) or 0, tonumber(h[2]) or 1\n"
    "  local t0, blk = tonumber(h[3]) or 0, tonumber(h[4]) or 0\n"
    "  local f = math.min(1, f0 + (now - t0) / recover)\n"
    "  local T = 1000 / (rate * f)\n"
    "  local b = math.max(1, math.floor(burst * f))\n"
    "  local s = math.max(now, tat - (b - 1) * T, blk)\n"
    "  if s > start then start = s end\n"
    "  st[i] = {tat, T}\n"
    "end\n"
    "local wait = math.ceil(start - now)\n"
    "if wait > maxwait then return wait end\n"
    "for i = 1, n do\n"
    "  redis.call('HSET', KEYS[i], 'tat', math.max(st[i][1], start) + st[i][2])\n"
    "  redis.call('PEXPIRE', KEYS[i], 3600000)\n"
    "end\n"
    "return wait\n";

/*
 * slow: KEYS[1] the bucket; ARGV the absolute time (ms) it is blocked
 * until (0: none), the lowest factor and the recovery time (ms). Halves
 * the factor (once a second at most) and records the block. Returns the
 * new factor in thousandths.
 */
static const char pacer_slow_lua[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "local h = redis.call('HMGET', KEYS[1], 'f0', 't0', 'until', 'cut')\n"
    "local f0, t0 = tonumber(h[1]) or 1, tonumber(h[2]) or 0\n"
    "local blk, cut = tonumber(h[3]) or 0, tonumber(h[4]) or 0\n"
    "local f = math.min(1, f0 + (now - t0) / tonumber(ARGV[3]))\n"
    "if now - cut >= 1000 then\n"
    "  f = math.max(tonumber(ARGV[2]), f / 2)\n"
    "  redis.call('HSET', KEYS[1], 'f0', f, 't0', now, 'cut', now)\n"
    "end\n"
    "if tonumber(ARGV[1]) > blk then\n"
    "  redis.call('HSET', KEYS[1], 'until', ARGV[1])\n"
    "end\n"
    "redis.call('PEXPIRE', KEYS[1], 3600000)\n"
    "return math.floor(f * 1000)\n";

enum pacer_script { PACER_ASK, PACER_SLOW, PACER_GATE, PACER_NSCRIPTS };

static const char *const pacer_bodies[PACER_NSCRIPTS] = {
	[PACER_ASK] = pacer_ask_lua,
	[PACER_SLOW] = pacer_slow_lua,
	[PACER_GATE] = gate_enter_lua,
};

struct pacer_ca {
	char		*dir;
	char		 name[64];
	struct pace_conf conf;
	struct gate_local gate;
};

struct pacer {
	char		*url;
	int		 db;
	redisContext	*c;
	struct redisdefer later;	/* queued: leases given back */
	char		 sha[PACER_NSCRIPTS][41];
	uint64_t	 down_until;	/* monotonic ms: Redis failed, unpaced */
	int		 down_logged;	/* this outage was logged */
	struct gate_ids	 ids;
	struct pacer_ca	 cas[PACER_CAS_MAX];
	size_t		 ncas;
	struct acme_pacer hook;
};

struct pacer *
pacer_new(const char *url, int db)
{
	struct pacer *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if ((p->url = strdup(url)) == NULL) {
		free(p);
		return NULL;
	}
	p->db = db;
	p->later.what = "pacer";
	p->hook.ask = pacer_ask;
	p->hook.slow = pacer_slow;
	p->hook.enter = pacer_enter;
	p->hook.leave = pacer_leave;
	p->hook.arg = p;
	gate_ids_init(&p->ids);
	return p;
}

void
pacer_free(struct pacer *p)
{
	size_t i;

	if (p == NULL)
		return;
	pacer_sync(p);		/* leases given back still go out */
	if (p->c != NULL)
		redisFree(p->c);
	for (i = 0; i < p->ncas; i++)
		free(p->cas[i].dir);
	free(p->url);
	free(p);
}

const struct acme_pacer *
pacer_hook(struct pacer *p)
{
	return &p->hook;
}

void
pacer_learn(struct pacer *p, const char *dir, const char *name)
{
	struct pacer_ca *ca = NULL;
	char err[256];
	size_t i;

	for (i = 0; i < p->ncas; i++)
		if (strcmp(p->cas[i].dir, dir) == 0) {
			if (strcmp(p->cas[i].name, name) == 0)
				return;
			ca = &p->cas[i];
			break;
		}
	if (ca == NULL) {
		if (p->ncas == PACER_CAS_MAX) {
			log_warn("pacer: more than %d CAs: %s goes unpaced",
			    PACER_CAS_MAX, name);
			return;
		}
		ca = &p->cas[p->ncas];
		if ((ca->dir = strdup(dir)) == NULL)
			return;
		p->ncas++;
	}
	snprintf(ca->name, sizeof(ca->name), "%s", name);
	if (pace_conf_read(&ca->conf, name, NULL, NULL, err, sizeof(err)) < 0) {
		log_warn("pacer: %s; CA %s keeps Let's Encrypt's limits", err, name);
		pace_defaults(&ca->conf);
	}
}

static struct pacer_ca *
pacer_find(struct pacer *p, const char *dir)
{
	size_t i;

	for (i = 0; i < p->ncas; i++)
		if (strcmp(p->cas[i].dir, dir) == 0)
			return &p->cas[i];
	return NULL;
}

/* Loads script body into sha. Returns 0, or -1 with err. */
static int
pacer_load(redisContext *c, const char *body, char sha[41], char *err,
    size_t errlen)
{
	redisReply *r;

	r = redisCommand(c, "SCRIPT LOAD %s", body);
	if (r == NULL || r->type != REDIS_REPLY_STRING || r->len != 40) {
		snprintf(err, errlen, "SCRIPT LOAD: %s", r == NULL ? c->errstr :
		    r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
		freeReplyObject(r);
		return -1;
	}
	memcpy(sha, r->str, 40);
	sha[40] = '\0';
	freeReplyObject(r);
	return 0;
}

/* Connects and loads the scripts when not connected. Returns the
 * connection, or NULL with err. */
static redisContext *
pacer_conn(struct pacer *p, char *err, size_t errlen)
{
	int i;

	if (p->c != NULL)
		return p->c;
	if ((p->c = redisconn_open(p->url, p->db, PACER_TIMEOUT_MS, err,
	    errlen)) == NULL)
		return NULL;
	for (i = 0; i < PACER_NSCRIPTS; i++)
		if (pacer_load(p->c, pacer_bodies[i], p->sha[i], err,
		    errlen) < 0) {
			redisFree(p->c);
			p->c = NULL;
			return NULL;
		}
	if (p->down_logged)
		log_info("pacer: redis %s answers again: requests are paced and "
		    "gated again", p->url);
	p->down_logged = 0;
	return p->c;
}

/* Redis failed with err: requests go unpaced and ungated for
 * PACER_RETRY_S, which is logged once per outage. */
static void
pacer_down(struct pacer *p, const char *err)
{
	if (!p->down_logged)
		log_warn("pacer: redis %s: %s; requests go unpaced and ungated "
		    "until it answers (tried again every %d s)", p->url, err,
		    PACER_RETRY_S);
	p->down_logged = 1;
	if (p->c != NULL)
		redisFree(p->c);
	p->c = NULL;
	(void)redisdefer_reset(&p->later);	/* leases expire by themselves */
	p->down_until = clock_mono_ms() + PACER_RETRY_S * 1000;
}

/* Whether the command that just failed on c lost a connection Redis
 * closed or reset (an idle timeout, CLIENT KILL, ACL LOAD, a restart that
 * is over): worth one new connection at once. A timeout is not. */
static int
pacer_lost(const redisContext *c, int saved_errno)
{
	return c->err == REDIS_ERR_EOF || (c->err == REDIS_ERR_IO &&
	    (saved_errno == ECONNRESET || saved_errno == EPIPE));
}

/* Sends argv (argc words), with anything queued, and reads the reply; a
 * lost connection is opened again and the command sent once more, so that
 * one closed connection never leaves the gate open for PACER_RETRY_S (every
 * script is safe to run twice: a lease is taken under its id, a slot
 * reserved again is only later; a queued lease release lost with the
 * connection ends with the lease). Returns the reply, or NULL with err
 * set. */
static redisReply *
pacer_command(struct pacer *p, int argc, const char **argv, char *err,
    size_t errlen)
{
	redisReply *r;
	int tries, e;

	for (tries = 0; tries < 2; tries++) {
		if (pacer_conn(p, err, errlen) == NULL)
			return NULL;
		errno = 0;
		if ((r = redisdefer_command(&p->later, p->c, argc, argv)) !=
		    NULL)
			return r;
		e = errno;
		snprintf(err, errlen, "%s", p->c->errstr);
		if (!pacer_lost(p->c, e))
			break;
		redisFree(p->c);
		p->c = NULL;
		(void)redisdefer_reset(&p->later);
	}
	return NULL;
}

/* Runs argv (argc words) on the connection. Returns the integer reply, or
 * -1 when Redis failed (the pacer is then off for PACER_RETRY_S). */
static long long
pacer_run(struct pacer *p, int argc, const char **argv)
{
	redisReply *r;
	char err[256];
	long long v;

	if (p->down_until > clock_mono_ms())
		return -1;
	if ((r = pacer_command(p, argc, argv, err, sizeof(err))) == NULL) {
		pacer_down(p, err);
		return -1;
	}
	if (r->type != REDIS_REPLY_INTEGER) {
		snprintf(err, sizeof(err), "%s", r->type == REDIS_REPLY_ERROR ?
		    r->str : "unexpected reply");
		freeReplyObject(r);
		pacer_down(p, err);
		return -1;
	}
	v = r->integer;
	freeReplyObject(r);
	return v;
}

/* Runs script with nkeys keys and argc words of keys and args. Returns
 * the integer reply, or -1 as pacer_run. */
static long long
pacer_eval(struct pacer *p, enum pacer_script script, int nkeys, int argc,
    const char **argv)
{
	const char *av[16];
	char nk[8];
	int i;

	if (argc > 13)
		return -1;
	snprintf(nk, sizeof(nk), "%d", nkeys);
	av[0] = "EVALSHA";
	av[1] = p->sha[script];	/* filled by pacer_run's connect if need be */
	av[2] = nk;
	for (i = 0; i < argc; i++)
		av[3 + i] = argv[i];
	return pacer_run(p, 3 + argc, av);
}

/* The bucket key of CA name's class ep. */
static void
pacer_key(char *out, size_t outlen, const char *name, enum pace_ep ep)
{
	snprintf(out, outlen, REDISKEYS_PACE_PREFIX "%s:%s", name,
	    pace_ep_name(ep));
}

long
pacer_ask(void *arg, const char *dir, enum pace_ep ep)
{
	struct pacer *p = arg;
	const struct pacer_ca *ca = pacer_find(p, dir);
	const struct pace_limit *own, *acme;
	char keys[2][PACER_KEY_MAX], nums[6][32];
	const char *argv[8];
	int nk = 0, i;
	long long wait;

	if (ca == NULL)
		return 0;
	own = &ca->conf.ep[ep];
	acme = pace_ep_in_acme(ep) ? &ca->conf.ep[PACE_ACME] : NULL;
	if (own->rate > 0) {
		pacer_key(keys[nk], sizeof(keys[nk]), ca->name, ep);
		snprintf(nums[2 * nk], sizeof(nums[0]), "%.6g", own->rate);
		snprintf(nums[2 * nk + 1], sizeof(nums[0]), "%.0f", own->burst);
		nk++;
	}
	if (acme != NULL && acme->rate > 0) {
		pacer_key(keys[nk], sizeof(keys[nk]), ca->name, PACE_ACME);
		snprintf(nums[2 * nk], sizeof(nums[0]), "%.6g", acme->rate);
		snprintf(nums[2 * nk + 1], sizeof(nums[0]), "%.0f", acme->burst);
		nk++;
	}
	if (nk == 0)
		return 0;
	for (i = 0; i < nk; i++)
		argv[i] = keys[i];
	for (i = 0; i < 2 * nk; i++)
		argv[nk + i] = nums[i];
	snprintf(nums[4], sizeof(nums[4]), "%d", PACER_MAX_WAIT_MS);
	snprintf(nums[5], sizeof(nums[5]), "%d", PACE_RECOVER_S * 1000);
	argv[3 * nk] = nums[4];
	argv[3 * nk + 1] = nums[5];
	wait = pacer_eval(p, PACER_ASK, nk, 3 * nk + 2, argv);
	return wait > 0 ? (long)wait : 0;
}

void
pacer_slow(void *arg, const char *dir, enum pace_ep ep, long status,
    time_t retry_after)
{
	struct pacer *p = arg;
	const struct pacer_ca *ca = pacer_find(p, dir);
	char key[PACER_KEY_MAX], until[32], minf[16], rec[16];
	const char *argv[4];
	long long f;

	if (ca == NULL)
		return;
	if (ca->conf.ep[ep].rate <= 0) {
		/* no bucket of its own: the shared one slows, if any */
		if (!pace_ep_in_acme(ep) || ca->conf.ep[PACE_ACME].rate <= 0)
			return;
		ep = PACE_ACME;
	}
	pacer_key(key, sizeof(key), ca->name, ep);
	snprintf(until, sizeof(until), "%lld", retry_after > 0 ?
	    (long long)retry_after * 1000 : 0LL);
	snprintf(minf, sizeof(minf), "%g", PACE_MIN_FACTOR);
	snprintf(rec, sizeof(rec), "%d", PACE_RECOVER_S * 1000);
	argv[0] = key;
	argv[1] = until;
	argv[2] = minf;
	argv[3] = rec;
	if ((f = pacer_eval(p, PACER_SLOW, 1, 4, argv)) >= 0)
		log_info("pacer: CA %s answered %ld to %s: its rate is now %.0f%%%s",
		    ca->name, status, pace_ep_name(ep), (double)f / 10.0,
		    retry_after > 0 ? " until Retry-After" : "");
}

long
pacer_enter(void *arg, const char *dir, enum acme_gate side, uint64_t *lease)
{
	struct pacer *p = arg;
	struct pacer_ca *ca = pacer_find(p, dir);
	char keys[3][PACER_KEY_MAX], id[24], lms[16], fair[16], ttl[16], retry[16];
	const char *argv[11];
	uint64_t now = clock_mono_ms(), l;
	long long v;
	long ms;

	*lease = 0;
	if (ca == NULL || !ca->conf.gate_new_order ||
	    gate_other(side) == ACME_GATE_NONE)
		return 0;
	if ((ms = gate_local_wait(&ca->gate, side, now)) > 0)
		return ms;
	if (gate_key(keys[0], sizeof(keys[0]), ca->name, gate_side_name(side)) < 0 ||
	    gate_key(keys[1], sizeof(keys[1]), ca->name,
	    gate_side_name(gate_other(side))) < 0 ||
	    gate_key(keys[2], sizeof(keys[2]), ca->name, "want") < 0)
		return 0;	/* the name is capped at 63 bytes: never */
	l = gate_ids_take(&p->ids);
	snprintf(id, sizeof(id), "%016llx", (unsigned long long)l);
	snprintf(lms, sizeof(lms), "%d", GATE_LEASE_MS);
	snprintf(fair, sizeof(fair), "%d", GATE_FAIR_MS);
	snprintf(ttl, sizeof(ttl), "%d", GATE_WANT_TTL_MS);
	snprintf(retry, sizeof(retry), "%d", GATE_RETRY_MS);
	argv[0] = keys[0];
	argv[1] = keys[1];
	argv[2] = keys[2];
	argv[3] = id;
	argv[4] = lms;
	argv[5] = gate_side_name(side);
	argv[6] = gate_side_name(gate_other(side));
	argv[7] = fair;
	argv[8] = ttl;
	argv[9] = retry;
	argv[10] = side == ACME_GATE_NEW_ORDER ? "1" : "0";
	if ((v = pacer_eval(p, PACER_GATE, 3, 11, argv)) < 0)
		return 0;	/* Redis down: ungated, as unpaced */
	if (v == 0) {
		*lease = l;
		return 0;
	}
	gate_local_out(&ca->gate, side, now, (long)v);
	return (long)v;
}

void
pacer_leave(void *arg, const char *dir, enum acme_gate side, uint64_t lease)
{
	struct pacer *p = arg;
	const struct pacer_ca *ca = pacer_find(p, dir);
	char key[PACER_KEY_MAX], id[24];
	const char *argv[3];

	if (ca == NULL || lease == 0 || p->c == NULL ||
	    gate_key(key, sizeof(key), ca->name, gate_side_name(side)) < 0)
		return;
	snprintf(id, sizeof(id), "%016llx", (unsigned long long)lease);
	argv[0] = "ZREM";
	argv[1] = key;
	argv[2] = id;
	/* queued: written at the end of the turn (pacer_flush); lost, the
	 * lease ends after GATE_LEASE_MS */
	(void)redisdefer_append(&p->later, p->c, 3, argv);
}

/* Writes what is queued; with wait, also reads every owed reply. A
 * connection Redis closed is dropped and the next command opens another,
 * as in pacer_command (the releases it held end with their leases); any
 * other failure turns the pacer off for PACER_RETRY_S. */
static void
pacer_write(struct pacer *p, int wait)
{
	char err[256];
	int e;

	if (p->c == NULL)
		return;
	errno = 0;
	if ((wait ? redisdefer_sync(&p->later, p->c) :
	    redisdefer_flush(&p->later, p->c)) == 0)
		return;
	e = errno;
	if (pacer_lost(p->c, e)) {
		redisFree(p->c);
		p->c = NULL;
		(void)redisdefer_reset(&p->later);
		return;
	}
	snprintf(err, sizeof(err), "%s", p->c->errstr);
	pacer_down(p, err);
}

void
pacer_flush(struct pacer *p)
{
	pacer_write(p, 0);
}

void
pacer_sync(struct pacer *p)
{
	pacer_write(p, 1);
}
