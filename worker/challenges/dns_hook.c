/* dns_hook.c -- dns-01 provider running an executable hook: HOOK begin|done|failed NAME TOKEN TXT, no shell, with a time limit. */
#include "dns_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spawn.h"

#define HOOK_ENV_PREFIX	"CERTFLEET_HOOK_"
#define HOOK_ENV_MAX	64	/* variables handed to the hook */

extern char **environ;

/* Replaces control characters so a hook's output stays on one log line. */
static void
hook_oneline(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

/*
 * The hook's environment: a fixed PATH and every CERTFLEET_HOOK_* variable
 * of the worker (the hook's own settings), nothing else: the worker's
 * tokens and the TSIG secret stay out of it.
 */
static void
hook_env(char *envp[HOOK_ENV_MAX + 1])
{
	static char path[] = "PATH=/usr/local/bin:/usr/bin:/bin";
	size_t n = 0;
	char **e;

	envp[n++] = path;
	for (e = environ; *e != NULL && n < HOOK_ENV_MAX; e++)
		if (strncmp(*e, HOOK_ENV_PREFIX, strlen(HOOK_ENV_PREFIX)) == 0)
			envp[n++] = *e;
	envp[n] = NULL;
}

int
dns_hook_call(struct dns *d, const char *verb, const char *name,
    const char *token, const char *txt, char *err, size_t errlen)
{
	char *argv[6], *envp[HOOK_ENV_MAX + 1], out[SPAWN_OUTPUT_MAX];
	char serr[256];
	int st;

	argv[0] = (char *)d->conf.hook;
	argv[1] = (char *)verb;
	argv[2] = (char *)name;
	argv[3] = (char *)token;
	argv[4] = (char *)txt;
	argv[5] = NULL;
	hook_env(envp);
	serr[0] = '\0';
	st = spawn_run(d->conf.hook, argv, envp, NULL, 0, d->conf.timeout_ms,
	    out, sizeof(out), serr, sizeof(serr));
	if (st == 0)
		return 0;
	hook_oneline(out);
	if (st < 0)
		snprintf(err, errlen, "dns: hook %s %s: %s", verb, name, serr);
	else
		snprintf(err, errlen, "dns: hook %s %s exited %d: %.200s", verb,
		    name, st, out);
	return -1;
}
