/* redisdefer.h -- commands nobody waits for on a blocking hiredis connection: queued, written at the end of a turn or with the next command, their replies read when a later command reads its own. */
#ifndef CERTFLEET_REDISDEFER_H
#define CERTFLEET_REDISDEFER_H

#include <hiredis/hiredis.h>

/*
 * A worker's Redis calls are round trips on a blocking connection: each one
 * a write, a sleep until Redis answers and a wake-up: about 20 us of the
 * caller's CPU, against 5 us for a command queued four to a turn and read
 * with the turn's next command (bench-redis). A command whose reply changes
 * nothing the caller does next (a lease given back, an answer withdrawn, a
 * memo kept) is queued instead: redisdefer_flush writes every queued
 * command at the end of the caller's turn in one write, and the next
 * redisdefer_command reads their replies before its own, from the socket
 * buffer where they wait.
 *
 * What is given up: a queued command's error reply is logged when it is
 * read, not returned to the code that queued it, and a connection lost
 * before the flush loses the queued commands (each such command must be
 * one whose loss a TTL repairs). Replies are read once REDISDEFER_OWED_MAX
 * are owed, so that a connection with no synchronous command never holds
 * more.
 */
#define REDISDEFER_OWED_MAX	256

struct redisdefer {
	unsigned	 owed;		/* replies not read yet */
	const char	*what;		/* the caller, in log lines */
};

/* Queues argv (argc words) on c, written at the next redisdefer_flush or
 * redisdefer_command. Returns 0, or -1 when hiredis is out of memory (the
 * command is then not sent). */
int redisdefer_append(struct redisdefer *d, redisContext *c, int argc,
    const char **argv);

/* Writes every queued command (blocking until the kernel took it), and
 * reads the owed replies once there are REDISDEFER_OWED_MAX of them.
 * Returns 0, or -1 with c->errstr when the connection failed: the caller
 * frees it and calls redisdefer_reset. */
int redisdefer_flush(struct redisdefer *d, redisContext *c);

/* redisdefer_flush, then reads every owed reply (waiting, up to the
 * connection's timeout): Redis has applied every queued command when it
 * returns 0. For an orderly close, and for tests that read what was
 * written through another connection. Returns 0, or -1 as the flush. */
int redisdefer_sync(struct redisdefer *d, redisContext *c);

/* redisCommandArgv, the replies of the queued commands read first (an
 * error among them logged as a warning). Returns the command's reply (the
 * caller frees it), or NULL with c->err and c->errstr set. */
redisReply *redisdefer_command(struct redisdefer *d, redisContext *c,
    int argc, const char **argv);

/* The connection is gone: forgets its owed replies. Returns how many
 * queued commands may not have run (0 when none was owed). */
unsigned redisdefer_reset(struct redisdefer *d);

#endif
