/* spawn.h -- runs a helper program (DNS hook, nsupdate) with an argv array, input on stdin and a time limit; never a shell. */
#ifndef CERTFLEET_SPAWN_H
#define CERTFLEET_SPAWN_H

#include <stddef.h>

/* Output of a child kept for error messages; the rest is read and dropped. */
#define SPAWN_OUTPUT_MAX	1024

/*
 * Runs path with argv (argv[0] first, NULL-terminated) and envp
 * (NULL-terminated) through fork + execve, in its own process group, with
 * in[0..inlen) written to its stdin (in may be NULL: stdin is then empty)
 * and its stdout and stderr collected into out (outlen bytes, NUL-terminated,
 * truncated; out may be NULL). Blocks the caller until the child exits or
 * timeout_ms passes; on timeout the whole process group is killed. No shell
 * is involved and no argument is interpreted. The caller must ignore
 * SIGPIPE (a child that exits without reading its stdin). Returns the
 * child's exit status (0-255), or -1 with a message in err when it could
 * not be run, was killed by a signal or timed out.
 */
int spawn_run(const char *path, char *const argv[], char *const envp[],
    const char *in, size_t inlen, int timeout_ms, char *out, size_t outlen,
    char *err, size_t errlen);

#endif
