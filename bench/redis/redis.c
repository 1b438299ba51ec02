/* redis.c -- bench-redis: the caller's CPU microseconds per Redis command, each one a round trip against queued through redisdefer (written once a turn, read with the turn's one synchronous command), next to a bare pipeline of ten, in the same run on the same Redis. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "redisconn.h"
#include "redisdefer.h"

#define ROUNDS	20000	/* commands per measure */
#define TURN	4	/* queued commands per turn: a worker's per certificate */

static double
cpu_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static void
die(redisContext *c, const char *what)
{
	fprintf(stderr, "bench-redis: %s: %s\n", what, c->errstr);
	exit(1);
}

/* Each command a round trip, as a worker's were. */
static double
each_waited(redisContext *c, const char **argv)
{
	double t0 = cpu_us();
	redisReply *r;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		if ((r = redisCommandArgv(c, 3, argv, NULL)) == NULL)
			die(c, "SET");
		freeReplyObject(r);
	}
	return (cpu_us() - t0) / ROUNDS;
}

/* TURN commands queued and flushed, then one synchronous command that
 * reads their replies: a worker's turn. Counts every command. */
static double
queued(redisContext *c, const char **argv)
{
	struct redisdefer d = { 0, "bench-redis" };
	double t0 = cpu_us();
	redisReply *r;
	int i, j;

	for (i = 0; i < ROUNDS; i += TURN + 1) {
		for (j = 0; j < TURN; j++)
			if (redisdefer_append(&d, c, 3, argv) < 0)
				die(c, "append");
		if (redisdefer_flush(&d, c) < 0 ||
		    (r = redisdefer_command(&d, c, 3, argv)) == NULL)
			die(c, "flush");
		freeReplyObject(r);
	}
	return (cpu_us() - t0) / i;
}

/* Reference: ten commands written at once, then their ten replies. */
static double
pipelined(redisContext *c, const char **argv)
{
	double t0 = cpu_us();
	void *r;
	int i, j;

	for (i = 0; i < ROUNDS; i += 10) {
		for (j = 0; j < 10; j++)
			if (redisAppendCommandArgv(c, 3, argv, NULL) != REDIS_OK)
				die(c, "append");
		for (j = 0; j < 10; j++) {
			if (redisGetReply(c, &r) != REDIS_OK)
				die(c, "reply");
			freeReplyObject(r);
		}
	}
	return (cpu_us() - t0) / i;
}

int
main(void)
{
	const char *url = getenv("REDIS_URL");
	const char *argv[] = { "SET", "bench-redis:key", "x" };
	const char *del[] = { "DEL", "bench-redis:key" };
	char err[256];
	redisContext *c;
	redisReply *r;

	if (url == NULL || url[0] == '\0') {
		fprintf(stderr, "bench-redis: REDIS_URL is not set (source the "
		    "stack's env file)\n");
		return 1;
	}
	if ((c = redisconn_open(url, -1, 5000, err, sizeof(err))) == NULL) {
		fprintf(stderr, "bench-redis: %s\n", err);
		return 1;
	}
	(void)each_waited(c, argv);	/* warm-up */
	printf("bench-redis: %d SETs each, the caller's CPU per command\n",
	    ROUNDS);
	printf("each a round trip %.1f us, queued (%d a turn, read with the "
	    "turn's next command) %.1f us\n", each_waited(c, argv), TURN,
	    queued(c, argv));
	printf("reference: a pipeline of ten %.1f us\n", pipelined(c, argv));
	if ((r = redisCommandArgv(c, 2, del, NULL)) != NULL)
		freeReplyObject(r);
	redisFree(c);
	return 0;
}
