/* spawn.h -- runs helper programs (DNS hook, nsupdate) as children watched by the caller's event loop: an argv array, input on stdin, a deadline; never a shell, never a blocking wait. */
#ifndef CERTFLEET_SPAWN_H
#define CERTFLEET_SPAWN_H

#include <poll.h>
#include <stddef.h>

/* Output of a child kept for error messages; the rest is read and dropped. */
#define SPAWN_OUTPUT_MAX	1024
/* Children running at once; more requests wait in order for a free slot. */
#define SPAWN_CHILDREN_MAX	32
/* Descriptors spawn_fds can ask for: the output and stdin of each child. */
#define SPAWN_FDS_MAX		(2 * SPAWN_CHILDREN_MAX)
/* Bytes written to a child's stdin. */
#define SPAWN_INPUT_MAX		(64 * 1024)

struct spawner;

/* How a child ended; valid only during the done() call. */
struct spawn_result {
	int		 status;	/* exit status 0-255, or -1 (see err) */
	const char	*out;		/* its stdout and stderr, NUL-terminated,
					 * truncated to SPAWN_OUTPUT_MAX - 1 bytes */
	const char	*err;		/* status -1: it could not be run, died of
					 * a signal or passed its deadline ("" else) */
};

typedef void spawn_done_fn(void *arg, const struct spawn_result *r);

/* Returns an empty spawner, or NULL when memory runs out. The caller must
 * ignore SIGPIPE (a child may exit without reading its stdin). */
struct spawner *spawn_new(void);

/* Kills every child still running (its whole process group), reaps it and
 * drops every waiting request; no done() is called. NULL is accepted. */
void spawn_free(struct spawner *s);

/*
 * Runs path with argv (argv[0] first, NULL-terminated) and envp
 * (NULL-terminated) through fork + execve in its own process group, with
 * in[0..inlen) written to its stdin (in may be NULL: stdin is then empty)
 * and its stdout and stderr collected. No shell is involved and no argument
 * is interpreted. argv, envp and in are copied (in is wiped when freed: it
 * may hold a secret). The child starts now, or when a slot frees up if
 * SPAWN_CHILDREN_MAX run already; from its start it has timeout_ms, after
 * which its process group is killed. done(arg, r) is called exactly once,
 * from spawn_process() or spawn_drain(), unless spawn_forget() or
 * spawn_free() comes first. Returns 0, or -1 with a message in err (no
 * memory, input over SPAWN_INPUT_MAX, no fork): done() is then never called.
 */
int spawn_start(struct spawner *s, const char *path, char *const argv[],
    char *const envp[], const char *in, size_t inlen, int timeout_ms,
    spawn_done_fn *done, void *arg, char *err, size_t errlen);

/* Drops the done() of every request whose arg is arg: running children run
 * on to their end or deadline, unobserved. */
void spawn_forget(struct spawner *s, void *arg);

/* Requests started or waiting and not yet done. */
size_t spawn_pending(const struct spawner *s);

/* Fills fds[0..n) with what the loop must watch (each running child's
 * output for POLLIN, its stdin for POLLOUT while input is left) and lowers
 * *timeout_ms to the next deadline or exit check. Returns how many entries
 * were filled (at most SPAWN_FDS_MAX). */
size_t spawn_fds(const struct spawner *s, struct pollfd *fds, size_t n,
    int *timeout_ms);

/* After the loop's poll: feeds and reads the children fds (as filled by
 * spawn_fds, revents set) names, reaps those that exited, kills those past
 * their deadline, starts waiting requests, and calls their done(). fds may
 * be NULL when n is 0 (deadlines and exits only). */
void spawn_process(struct spawner *s, const struct pollfd *fds, size_t n);

/* Polls by itself until every request is done or timeout_ms passes (then
 * the rest are killed, their done() called with status -1). For a stop,
 * and for tests; it blocks the caller. */
void spawn_drain(struct spawner *s, int timeout_ms);

#endif
