/* redisdefer.c -- commands nobody waits for on a blocking hiredis connection: queued with redisAppendCommandArgv, written in one go, their replies read before the next command's. */
#include "redisdefer.h"

#include "log.h"

int
redisdefer_append(struct redisdefer *d, redisContext *c, int argc,
    const char **argv)
{
	if (redisAppendCommandArgv(c, argc, argv, NULL) != REDIS_OK)
		return -1;
	d->owed++;
	return 0;
}

/* Reads the owed replies (waiting for those not there yet, up to the
 * connection's timeout). Returns 0, or -1 with c->errstr. */
static int
redisdefer_read_owed(struct redisdefer *d, redisContext *c)
{
	redisReply *r;
	void *v;

	while (d->owed > 0) {
		if (redisGetReply(c, &v) != REDIS_OK)
			return -1;
		d->owed--;
		if ((r = v) != NULL && r->type == REDIS_REPLY_ERROR)
			log_warn("%s: a command sent without waiting failed: "
			    "%s", d->what, r->str);
		freeReplyObject(r);
	}
	return 0;
}

int
redisdefer_flush(struct redisdefer *d, redisContext *c)
{
	int done = 0;

	if (d->owed == 0)
		return 0;
	do {
		if (redisBufferWrite(c, &done) != REDIS_OK)
			return -1;
	} while (!done);
	return d->owed >= REDISDEFER_OWED_MAX ? redisdefer_read_owed(d, c) : 0;
}

int
redisdefer_sync(struct redisdefer *d, redisContext *c)
{
	if (redisdefer_flush(d, c) < 0)
		return -1;
	return redisdefer_read_owed(d, c);
}

redisReply *
redisdefer_command(struct redisdefer *d, redisContext *c, int argc,
    const char **argv)
{
	void *v;

	if (d->owed == 0)
		return redisCommandArgv(c, argc, argv, NULL);
	/* the command goes out in the same write as anything still queued */
	if (redisAppendCommandArgv(c, argc, argv, NULL) != REDIS_OK ||
	    redisdefer_read_owed(d, c) < 0 || redisGetReply(c, &v) != REDIS_OK)
		return NULL;
	return v;
}

unsigned
redisdefer_reset(struct redisdefer *d)
{
	unsigned n = d->owed;

	d->owed = 0;
	return n;
}
