/* health_redis.c -- the Redis probe of health_check: connect and PING. */
#include "health.h"

#include <stdio.h>

#include "redisconn.h"

static int
health_redis_probe(const char *where, char *detail, size_t len)
{
	redisContext *c;
	int ok;

	if ((c = redisconn_open(where, -1, HEALTH_TIMEOUT_MS, detail, len)) == NULL)
		return 0;
	ok = redisconn_ping(c, detail, len) == 1;
	if (ok)
		snprintf(detail, len, "PONG");
	redisFree(c);
	return ok;
}

const struct health_service health_redis = {
	"redis", "REDIS_URL", health_redis_probe,
};
