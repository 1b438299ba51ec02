/* spawn.c -- fork/execve of a helper with a pipe for stdin, one for its output, and a deadline. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"

#define SPAWN_REAP_MS	5	/* pause between waitpid checks after EOF */

/* Milliseconds left until deadline (clock_mono_ms), 0 once it passed. */
static int
spawn_left_ms(uint64_t deadline)
{
	uint64_t now = clock_mono_ms();

	return now < deadline ? (int)(deadline - now) : 0;
}

/* The child: wires the pipes and execs; never returns. */
static void
spawn_child(const char *path, char *const argv[], char *const envp[],
    int infd, int outfd)
{
	if (setpgid(0, 0) < 0 || dup2(infd, 0) < 0 || dup2(outfd, 1) < 0 ||
	    dup2(outfd, 2) < 0)
		_exit(127);
	closefrom(3);
	execve(path, argv, envp);
	_exit(127);
}

/* The parent's side of a running child: its pipes, what is left to write
 * to its stdin and where its output goes. */
struct spawn_io {
	int		 infd;		/* the child's stdin, -1 once closed */
	int		 outfd;		/* its stdout and stderr, -1 at EOF */
	const char	*in;
	size_t		 inlen, off;	/* in[off..inlen) is still to write */
	char		*out;		/* may be NULL */
	size_t		 outlen, used;	/* out[0..used) kept, NUL-terminated */
};

/* Writes what the child's stdin takes now; closes it once everything is
 * written or the child closed its end. */
static void
spawn_feed(struct spawn_io *io)
{
	ssize_t n;

	n = write(io->infd, io->in + io->off, io->inlen - io->off);
	if (n > 0)
		io->off += (size_t)n;
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		io->off = io->inlen;	/* the child closed stdin */
	if (io->off >= io->inlen) {
		close(io->infd);
		io->infd = -1;
	}
}

/* Reads what the child wrote, keeping what fits in out and dropping the
 * rest. Returns 0 to go on, -1 at EOF or on a read error (outfd closed). */
static int
spawn_collect(struct spawn_io *io)
{
	char buf[512];
	ssize_t n;

	n = read(io->outfd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		close(io->outfd);
		io->outfd = -1;
		return -1;
	}
	if (io->out != NULL && io->used + 1 < io->outlen) {
		if ((size_t)n > io->outlen - 1 - io->used)
			n = (ssize_t)(io->outlen - 1 - io->used);
		memcpy(io->out + io->used, buf, (size_t)n);
		io->used += (size_t)n;
		io->out[io->used] = '\0';
	}
	return 0;
}

/* Feeds the child's stdin and collects its output until EOF on the output
 * or the deadline. */
static void
spawn_pump(struct spawn_io *io, uint64_t deadline)
{
	struct pollfd pfd[2];
	nfds_t nfd;

	while (io->outfd >= 0 && clock_mono_ms() < deadline) {
		nfd = 0;
		pfd[nfd].fd = io->outfd;
		pfd[nfd++].events = POLLIN;
		if (io->infd >= 0) {
			pfd[nfd].fd = io->infd;
			pfd[nfd++].events = POLLOUT;
		}
		if (poll(pfd, nfd, spawn_left_ms(deadline)) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (nfd > 1 && pfd[1].revents != 0)
			spawn_feed(io);
		if (pfd[0].revents != 0 && spawn_collect(io) < 0)
			break;
	}
}

/* Waits for pid until the deadline, then kills its process group. used is
 * how much output it wrote. Returns its exit status (0-255), or -1 with
 * err when it was killed, died of a signal or cannot be waited for. */
static int
spawn_reap(pid_t pid, const char *path, int timeout_ms, uint64_t deadline,
    size_t used, char *err, size_t errlen)
{
	int status = 0, rc;
	pid_t w;

	while ((w = waitpid(pid, &status, WNOHANG)) == 0 &&
	    clock_mono_ms() < deadline)
		poll(NULL, 0, SPAWN_REAP_MS);
	if (w == 0) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		snprintf(err, errlen, "spawn: %s killed after %d ms", path,
		    timeout_ms);
		return -1;
	}
	if (w < 0) {
		snprintf(err, errlen, "spawn: waitpid: %s", strerror(errno));
		return -1;
	}
	if (!WIFEXITED(status)) {
		snprintf(err, errlen, "spawn: %s died of signal %d", path,
		    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		return -1;
	}
	rc = WEXITSTATUS(status);
	if (rc == 127 && used == 0)
		snprintf(err, errlen, "spawn: %s could not be executed", path);
	return rc;
}

int
spawn_run(const char *path, char *const argv[], char *const envp[],
    const char *in, size_t inlen, int timeout_ms, char *out, size_t outlen,
    char *err, size_t errlen)
{
	struct spawn_io io = { -1, -1, in, inlen, 0, out, outlen, 0 };
	int inp[2] = { -1, -1 }, outp[2] = { -1, -1 }, rc = -1;
	uint64_t deadline = clock_mono_ms() +
	    (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	pid_t pid;

	if (out != NULL && outlen > 0)
		out[0] = '\0';
	if (pipe(inp) < 0 || pipe(outp) < 0) {
		snprintf(err, errlen, "spawn: pipe: %s", strerror(errno));
		goto out;
	}
	if ((pid = fork()) < 0) {
		snprintf(err, errlen, "spawn: fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		spawn_child(path, argv, envp, inp[0], outp[1]);
	/* The child's ends are closed here, or its output never reaches EOF. */
	close(inp[0]);
	close(outp[1]);
	inp[0] = outp[1] = -1;
	io.infd = inp[1];
	io.outfd = outp[0];
	inp[1] = outp[0] = -1;
	if (in == NULL || inlen == 0) {
		close(io.infd);
		io.infd = -1;
	} else
		fcntl(io.infd, F_SETFL, O_NONBLOCK);
	spawn_pump(&io, deadline);
	/* The output is closed (or time is up): reap before the deadline. */
	rc = spawn_reap(pid, path, timeout_ms, deadline, io.used, err, errlen);
out:
	if (inp[0] >= 0)
		close(inp[0]);
	if (inp[1] >= 0)
		close(inp[1]);
	if (outp[0] >= 0)
		close(outp[0]);
	if (outp[1] >= 0)
		close(outp[1]);
	if (io.infd >= 0)
		close(io.infd);
	if (io.outfd >= 0)
		close(io.outfd);
	return rc;
}
