/* spawn.c -- helper programs as children of the worker's loop: fork/execve with a pipe for stdin and one for the output, watched by poll, reaped without blocking, killed at their deadline. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"

#define SPAWN_REAP_MS	10	/* between exit checks once the output closed */
#define SPAWN_ARGS_MAX	64	/* argv or envp entries */

/* One request: waiting for a slot, or a running child. */
struct spawn_child {
	struct spawn_child	*next;
	char			*path;
	char			**argv, **envp;
	char			*in;		/* copy of the input, wiped when freed */
	size_t			 inlen, off;	/* in[off..inlen) is still to write */
	int			 timeout_ms;
	spawn_done_fn		*done;		/* NULL once forgotten */
	void			*arg;
	int			 running;
	pid_t			 pid;
	int			 infd, outfd;	/* -1 once closed */
	uint64_t		 deadline;
	char			 out[SPAWN_OUTPUT_MAX];
	size_t			 used;		/* out[0..used) kept, NUL-terminated */
	int			 finished;	/* status and err below are final */
	int			 status;
	char			 err[256];
};

struct spawner {
	struct spawn_child	*head;		/* in request order */
	size_t			 n, nrunning;
};

static void
spawn_strv_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* A NULL-terminated copy of v, or NULL (no memory, or over SPAWN_ARGS_MAX). */
static char **
spawn_strv_dup(char *const v[])
{
	char **d;
	size_t i, n = 0;

	while (v[n] != NULL && n <= SPAWN_ARGS_MAX)
		n++;
	if (n > SPAWN_ARGS_MAX || (d = calloc(n + 1, sizeof(*d))) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if ((d[i] = strdup(v[i])) == NULL) {
			spawn_strv_free(d);
			return NULL;
		}
	return d;
}

static void
spawn_child_free(struct spawn_child *c)
{
	if (c->infd >= 0)
		close(c->infd);
	if (c->outfd >= 0)
		close(c->outfd);
	if (c->in != NULL) {
		explicit_bzero(c->in, c->inlen);
		free(c->in);
	}
	free(c->path);
	spawn_strv_free(c->argv);
	spawn_strv_free(c->envp);
	free(c);
}

struct spawner *
spawn_new(void)
{
	return calloc(1, sizeof(struct spawner));
}

/* Kills c's process group and reaps it (a killed child dies at once). */
static void
spawn_kill(struct spawn_child *c)
{
	int status;

	kill(-c->pid, SIGKILL);
	kill(c->pid, SIGKILL);
	while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
		;
}

void
spawn_free(struct spawner *s)
{
	struct spawn_child *c;

	if (s == NULL)
		return;
	while ((c = s->head) != NULL) {
		s->head = c->next;
		if (c->running && !c->finished)
			spawn_kill(c);
		spawn_child_free(c);
	}
	free(s);
}

/* The child: wires the pipes and execs; never returns. Only
 * async-signal-safe calls: the worker has other threads. */
static void
spawn_exec(const struct spawn_child *c, int infd, int outfd)
{
	if (setpgid(0, 0) < 0 || dup2(infd, 0) < 0 || dup2(outfd, 1) < 0 ||
	    dup2(outfd, 2) < 0)
		_exit(127);
	closefrom(3);
	execve(c->path, c->argv, c->envp);
	_exit(127);
}

/* Forks c. Returns 0, or -1 with c->err set. */
static int
spawn_fork(struct spawn_child *c)
{
	int inp[2] = { -1, -1 }, outp[2] = { -1, -1 };

	if (pipe(inp) < 0 || pipe(outp) < 0) {
		snprintf(c->err, sizeof(c->err), "spawn: pipe: %s",
		    strerror(errno));
		goto fail;
	}
	/* Our ends stay out of other children (the child closes the rest). */
	fcntl(inp[1], F_SETFD, FD_CLOEXEC);
	fcntl(outp[0], F_SETFD, FD_CLOEXEC);
	if ((c->pid = fork()) < 0) {
		snprintf(c->err, sizeof(c->err), "spawn: fork: %s",
		    strerror(errno));
		goto fail;
	}
	if (c->pid == 0)
		spawn_exec(c, inp[0], outp[1]);
	/* The child's ends are closed here, or its output never reaches EOF. */
	close(inp[0]);
	close(outp[1]);
	c->infd = inp[1];
	c->outfd = outp[0];
	fcntl(c->outfd, F_SETFL, O_NONBLOCK);
	if (c->inlen == 0) {
		close(c->infd);
		c->infd = -1;
	} else
		fcntl(c->infd, F_SETFL, O_NONBLOCK);
	c->running = 1;
	c->deadline = clock_mono_ms() + (uint64_t)(c->timeout_ms > 0 ?
	    c->timeout_ms : 0);
	return 0;
fail:
	if (inp[0] >= 0)
		close(inp[0]);
	if (inp[1] >= 0)
		close(inp[1]);
	if (outp[0] >= 0)
		close(outp[0]);
	if (outp[1] >= 0)
		close(outp[1]);
	return -1;
}

/* Starts waiting requests while slots are free; one that cannot be forked
 * is finished with its error. */
static void
spawn_start_waiting(struct spawner *s)
{
	struct spawn_child *c;

	for (c = s->head; c != NULL && s->nrunning < SPAWN_CHILDREN_MAX;
	    c = c->next) {
		if (c->running || c->finished)
			continue;
		if (spawn_fork(c) < 0) {
			c->finished = 1;
			c->status = -1;
			continue;
		}
		s->nrunning++;
	}
}

int
spawn_start(struct spawner *s, const char *path, char *const argv[],
    char *const envp[], const char *in, size_t inlen, int timeout_ms,
    spawn_done_fn *done, void *arg, char *err, size_t errlen)
{
	struct spawn_child *c, **tail;

	if (inlen > SPAWN_INPUT_MAX) {
		snprintf(err, errlen, "spawn: %zu bytes of input for %s, over "
		    "%d", inlen, path, SPAWN_INPUT_MAX);
		return -1;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto oom;
	c->infd = c->outfd = -1;
	if ((c->path = strdup(path)) == NULL ||
	    (c->argv = spawn_strv_dup(argv)) == NULL ||
	    (c->envp = spawn_strv_dup(envp)) == NULL ||
	    (inlen > 0 && (c->in = malloc(inlen)) == NULL))
		goto oom;
	if (inlen > 0)
		memcpy(c->in, in, inlen);
	c->inlen = inlen;
	c->timeout_ms = timeout_ms;
	c->done = done;
	c->arg = arg;
	if (s->nrunning < SPAWN_CHILDREN_MAX) {
		if (spawn_fork(c) < 0) {
			snprintf(err, errlen, "%s", c->err);
			spawn_child_free(c);
			return -1;
		}
		s->nrunning++;
	}
	for (tail = &s->head; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = c;
	s->n++;
	return 0;
oom:
	snprintf(err, errlen, "spawn: out of memory for %s", path);
	if (c != NULL)
		spawn_child_free(c);
	return -1;
}

void
spawn_forget(struct spawner *s, void *arg)
{
	struct spawn_child *c;

	for (c = s->head; c != NULL; c = c->next)
		if (c->arg == arg)
			c->done = NULL;
}

size_t
spawn_pending(const struct spawner *s)
{
	return s->n;
}

size_t
spawn_fds(const struct spawner *s, struct pollfd *fds, size_t n,
    int *timeout_ms)
{
	const struct spawn_child *c;
	uint64_t now = clock_mono_ms();
	size_t k = 0;
	int t;

	for (c = s->head; c != NULL; c = c->next) {
		if (!c->running || c->finished)
			continue;
		if (c->outfd >= 0 && k < n) {
			fds[k].fd = c->outfd;
			fds[k].events = POLLIN;
			fds[k++].revents = 0;
		}
		if (c->infd >= 0 && k < n) {
			fds[k].fd = c->infd;
			fds[k].events = POLLOUT;
			fds[k++].revents = 0;
		}
		t = c->deadline > now ? (int)(c->deadline - now) : 0;
		if (c->outfd < 0 && t > SPAWN_REAP_MS)
			t = SPAWN_REAP_MS;
		if (t < *timeout_ms)
			*timeout_ms = t;
	}
	return k;
}

/* Writes what the child's stdin takes now; closes it once everything is
 * written or the child closed its end. */
static void
spawn_feed(struct spawn_child *c)
{
	ssize_t n;

	n = write(c->infd, c->in + c->off, c->inlen - c->off);
	if (n > 0)
		c->off += (size_t)n;
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		c->off = c->inlen;	/* the child closed stdin */
	if (c->off >= c->inlen) {
		close(c->infd);
		c->infd = -1;
	}
}

/* Reads what the child wrote, keeping what fits in out and dropping the
 * rest; closes the pipe at EOF or on an error. */
static void
spawn_collect(struct spawn_child *c)
{
	char buf[512];
	ssize_t n;

	while ((n = read(c->outfd, buf, sizeof(buf))) > 0) {
		if (c->used + 1 < sizeof(c->out)) {
			if ((size_t)n > sizeof(c->out) - 1 - c->used)
				n = (ssize_t)(sizeof(c->out) - 1 - c->used);
			memcpy(c->out + c->used, buf, (size_t)n);
			c->used += (size_t)n;
			c->out[c->used] = '\0';
		}
	}
	if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		close(c->outfd);
		c->outfd = -1;
	}
}

/* Finishes c when it exited (after its output closed) or its deadline
 * passed. */
static void
spawn_check(struct spawn_child *c, uint64_t now)
{
	int status = 0;
	pid_t w = 0;

	if (c->outfd < 0)
		w = waitpid(c->pid, &status, WNOHANG);
	if (w == 0 && now < c->deadline)
		return;
	c->finished = 1;
	c->status = -1;
	if (w == 0) {
		spawn_kill(c);
		snprintf(c->err, sizeof(c->err), "spawn: %s killed after %d ms",
		    c->path, c->timeout_ms);
	} else if (w < 0)
		snprintf(c->err, sizeof(c->err), "spawn: waitpid: %s",
		    strerror(errno));
	else if (!WIFEXITED(status))
		snprintf(c->err, sizeof(c->err), "spawn: %s died of signal %d",
		    c->path, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	else {
		c->status = WEXITSTATUS(status);
		if (c->status == 127 && c->used == 0)
			snprintf(c->err, sizeof(c->err), "spawn: %s could not be "
			    "executed", c->path);
	}
}

/* Takes the first finished request off the list and reports it; returns 0
 * when there was none. done() may start or forget requests. */
static int
spawn_report_one(struct spawner *s)
{
	struct spawn_child **pp, *c;
	struct spawn_result r;

	for (pp = &s->head; *pp != NULL && !(*pp)->finished; pp = &(*pp)->next)
		;
	if ((c = *pp) == NULL)
		return 0;
	*pp = c->next;
	s->n--;
	if (c->running)
		s->nrunning--;
	r.status = c->status;
	r.out = c->out;
	r.err = c->err;
	if (c->done != NULL)
		c->done(c->arg, &r);
	spawn_child_free(c);
	return 1;
}

void
spawn_process(struct spawner *s, const struct pollfd *fds, size_t n)
{
	struct spawn_child *c;
	uint64_t now;
	size_t i;

	for (i = 0; i < n; i++) {
		if (fds[i].revents == 0)
			continue;
		for (c = s->head; c != NULL; c = c->next) {
			if (c->finished || !c->running)
				continue;
			if (fds[i].fd == c->outfd && c->outfd >= 0)
				spawn_collect(c);
			else if (fds[i].fd == c->infd && c->infd >= 0)
				spawn_feed(c);
		}
	}
	now = clock_mono_ms();
	for (c = s->head; c != NULL; c = c->next)
		if (c->running && !c->finished)
			spawn_check(c, now);
	while (spawn_report_one(s))
		spawn_start_waiting(s);
	spawn_start_waiting(s);
	while (spawn_report_one(s))	/* those that could not be forked */
		;
}

void
spawn_drain(struct spawner *s, int timeout_ms)
{
	struct pollfd fds[SPAWN_FDS_MAX];
	uint64_t deadline = clock_mono_ms() + (uint64_t)(timeout_ms > 0 ?
	    timeout_ms : 0);
	struct spawn_child *c;
	size_t n;
	int t;

	while (s->n > 0 && clock_mono_ms() < deadline) {
		t = (int)(deadline - clock_mono_ms());
		n = spawn_fds(s, fds, SPAWN_FDS_MAX, &t);
		if (poll(fds, n, t) < 0 && errno != EINTR)
			break;
		spawn_process(s, fds, n);
	}
	for (c = s->head; c != NULL; c = c->next) {
		if (c->finished)
			continue;
		if (c->running)
			spawn_kill(c);
		c->finished = 1;
		c->status = -1;
		snprintf(c->err, sizeof(c->err), "spawn: %s %s: no time left",
		    c->path, c->running ? "killed" : "never started");
	}
	while (spawn_report_one(s))
		;
}
