/* gate.c -- a CA's gate shared by every worker: the Lua script that lets a newOrder or an authorization fetch in, lease ids, and a worker's memory of a side kept out. */
#include "gate.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/random.h>

#include "rediskeys.h"

/*
 * Waits are fields "<side>s" (since, ms) and "<side>l" (last seen, ms) of
 * KEYS[3]; a side's wait ends when it gets in. The hash lives four wait
 * TTLs after its last write, the lease sets twice a lease after the last.
 */
const char gate_enter_lua[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "local lease, me, them = tonumber(ARGV[2]), ARGV[3], ARGV[4]\n"
    "local fair, ttl = tonumber(ARGV[5]), tonumber(ARGV[6])\n"
    "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)\n"
    "redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)\n"
    "local w = redis.call('HMGET', KEYS[3], me .. 's', me .. 'l',\n"
    "  them .. 's', them .. 'l')\n"
    "local ms, os = tonumber(w[1]), tonumber(w[3])\n"
    "if ms and now - (tonumber(w[2]) or 0) > ttl then ms = nil end\n"
    "if os and now - (tonumber(w[4]) or 0) > ttl then os = nil end\n"
    "local out = redis.call('ZCARD', KEYS[2]) > 0\n"
    "if not out and os and now - os >= fair then\n"
    "  if not ms or ms > os or (ms == os and ARGV[8] ~= '1') then\n"
    "    out = true\n"
    "  end\n"
    "end\n"
    "if out then\n"
    "  if not ms then redis.call('HSET', KEYS[3], me .. 's', now) end\n"
    "  redis.call('HSET', KEYS[3], me .. 'l', now)\n"
    "  redis.call('PEXPIRE', KEYS[3], 4 * ttl)\n"
    "  return tonumber(ARGV[7])\n"
    "end\n"
    "redis.call('ZADD', KEYS[1], now + lease, ARGV[1])\n"
    "redis.call('PEXPIRE', KEYS[1], 2 * lease)\n"
    "redis.call('HDEL', KEYS[3], me .. 's', me .. 'l')\n"
    "return 0\n";

const char *
gate_side_name(enum acme_gate side)
{
	switch (side) {
	case ACME_GATE_NEW_ORDER:
		return "newOrder";
	case ACME_GATE_AUTHZ:
		return "authz";
	default:
		return "?";
	}
}

enum acme_gate
gate_other(enum acme_gate side)
{
	switch (side) {
	case ACME_GATE_NEW_ORDER:
		return ACME_GATE_AUTHZ;
	case ACME_GATE_AUTHZ:
		return ACME_GATE_NEW_ORDER;
	default:
		return ACME_GATE_NONE;
	}
}

int
gate_key(char *out, size_t outlen, const char *ca, const char *what)
{
	int n = snprintf(out, outlen, REDISKEYS_GATE_PREFIX "%s:%s", ca, what);

	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

void
gate_ids_init(struct gate_ids *ids)
{
	uint64_t v = 0;

	/* uniqueness across workers is all that matters: a failed
	 * getrandom falls back on the pid and the clock */
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
		v = ((uint64_t)getpid() << 40) ^ (uint64_t)time(NULL) ^
		    (uint64_t)clock();
	ids->next = v;
}

uint64_t
gate_ids_take(struct gate_ids *ids)
{
	if (ids->next == 0)
		ids->next++;
	return ids->next++;
}

long
gate_local_wait(const struct gate_local *g, enum acme_gate side, uint64_t now)
{
	if ((unsigned)side > ACME_GATE_AUTHZ || g->until[side] <= now)
		return 0;
	return (long)(g->until[side] - now);
}

void
gate_local_out(struct gate_local *g, enum acme_gate side, uint64_t now,
    long retry_ms)
{
	if ((unsigned)side > ACME_GATE_AUTHZ || retry_ms <= 0)
		return;
	g->until[side] = now + (uint64_t)retry_ms;
}
