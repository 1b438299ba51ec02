/* ondemand_int.h -- private to ondemand*.c: the thread's state and its two steps, deciding and releasing. */
#ifndef CERTFLEET_COORD_ONDEMAND_INT_H
#define CERTFLEET_COORD_ONDEMAND_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include <hiredis/hiredis.h>
#include <libpq-fe.h>

#include "ondemand.h"

struct ondemand {
	const struct settings	*s;
	const struct vault	*v;
	pthread_t		 th;
	atomic_int		 stop;
	PGconn			*db;	/* this thread's own */
	int			 db_pid; /* backend of db when LISTEN was sent */
	int			 leader; /* holds the advisory lock */
	redisContext		*redis;	/* NULL until (re)connected */
	int			 redis_down; /* the outage was logged */
	int			 policy; /* 1: an allow-list changed: clear the
					  * refusals; 2: (re)connected: clear
					  * them if made under another version */
	int			 more;	/* the last pass left asks undecided */
	uint64_t		 settled; /* mono ms of the last housekeeping */
};

/* Decides up to ONDEMAND_BATCH asked names (ondemand_decide.c). Returns how
 * many rows it took (ONDEMAND_BATCH: there may be more), or -1 with err. */
long ondemand_decide(struct ondemand *od, char *err, size_t errlen);

/* Releases queued names under the limits (ondemand_release.c). Returns 0,
 * or -1 with err. */
int ondemand_release(struct ondemand *od, char *err, size_t errlen);

/* 1 with od->redis connected (reconnecting when it was lost), 0 when Redis
 * cannot be reached now (logged once per outage). */
int ondemand_redis(struct ondemand *od);

/* Drops od->redis after an error on it (err is logged). */
void ondemand_redis_lost(struct ondemand *od, const char *err);

#endif
