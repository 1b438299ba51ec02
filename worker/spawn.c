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

int
spawn_run(const char *path, char *const argv[], char *const envp[],
    const char *in, size_t inlen, int timeout_ms, char *out, size_t outlen,
    char *err, size_t errlen)
{
	int inp[2] = { -1, -1 }, outp[2] = { -1, -1 }, status = 0, rc = -1;
	uint64_t deadline = clock_mono_ms() +
	    (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	size_t used = 0, off = 0;
	struct pollfd pfd[2];
	char buf[512];
	pid_t pid = -1, w;
	ssize_t n;
	nfds_t nfd;

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
	close(inp[0]);
	close(outp[1]);
	inp[0] = outp[1] = -1;
	if (in == NULL || inlen == 0) {
		close(inp[1]);
		inp[1] = -1;
	} else
		fcntl(inp[1], F_SETFL, O_NONBLOCK);

	/* Feed stdin and drain the output until EOF or the deadline. */
	while (outp[0] >= 0 && clock_mono_ms() < deadline) {
		nfd = 0;
		pfd[nfd].fd = outp[0];
		pfd[nfd++].events = POLLIN;
		if (inp[1] >= 0) {
			pfd[nfd].fd = inp[1];
			pfd[nfd++].events = POLLOUT;
		}
		if (poll(pfd, nfd, spawn_left_ms(deadline)) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (nfd > 1 && pfd[1].revents != 0) {
			n = write(inp[1], in + off, inlen - off);
			if (n > 0)
				off += (size_t)n;
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				off = inlen;	/* the child closed stdin */
			if (off >= inlen) {
				close(inp[1]);
				inp[1] = -1;
			}
		}
		if (pfd[0].revents != 0) {
			n = read(outp[0], buf, sizeof(buf));
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n <= 0) {
				close(outp[0]);
				outp[0] = -1;
				break;
			}
			if (out != NULL && used + 1 < outlen) {
				if ((size_t)n > outlen - 1 - used)
					n = (ssize_t)(outlen - 1 - used);
				memcpy(out + used, buf, (size_t)n);
				used += (size_t)n;
				out[used] = '\0';
			}
		}
	}
	/* The output is closed (or time is up): reap before the deadline. */
	while ((w = waitpid(pid, &status, WNOHANG)) == 0 &&
	    clock_mono_ms() < deadline)
		poll(NULL, 0, SPAWN_REAP_MS);
	if (w == 0) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		snprintf(err, errlen, "spawn: %s killed after %d ms", path,
		    timeout_ms);
		goto out;
	}
	if (w < 0) {
		snprintf(err, errlen, "spawn: waitpid: %s", strerror(errno));
		goto out;
	}
	if (!WIFEXITED(status)) {
		snprintf(err, errlen, "spawn: %s died of signal %d", path,
		    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		goto out;
	}
	rc = WEXITSTATUS(status);
	if (rc == 127 && used == 0)
		snprintf(err, errlen, "spawn: %s could not be executed", path);
out:
	if (inp[0] >= 0)
		close(inp[0]);
	if (inp[1] >= 0)
		close(inp[1]);
	if (outp[0] >= 0)
		close(outp[0]);
	if (outp[1] >= 0)
		close(outp[1]);
	return rc;
}
