/* dns_hook.c -- dns-01 provider running an executable hook as a child of the event loop: HOOK begin|done|failed NAME TOKEN TXT, no shell, with a time limit. */
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

/* The hook ended: exit 0 is success, anything else an error carrying its
 * output on one line. */
static void
hook_over(void *arg, const struct spawn_result *r)
{
	struct dns_call *c = arg;
	char out[SPAWN_OUTPUT_MAX], err[512];

	if (r->status == 0) {
		dns_call_over(c, 1, "");
		return;
	}
	snprintf(out, sizeof(out), "%s", r->out);
	hook_oneline(out);
	if (r->status < 0)
		snprintf(err, sizeof(err), "dns: hook %s %s: %s",
		    dns_verb_name(c->verb), c->name, r->err);
	else
		snprintf(err, sizeof(err), "dns: hook %s %s exited %d: %.200s",
		    dns_verb_name(c->verb), c->name, r->status, out);
	dns_call_over(c, 0, err);
}

int
dns_hook_start(struct dns *d, struct dns_call *c, char *err, size_t errlen)
{
	char *argv[6], *envp[HOOK_ENV_MAX + 1];

	argv[0] = (char *)d->conf.hook;
	argv[1] = (char *)dns_verb_name(c->verb);
	argv[2] = c->name;
	argv[3] = c->token;
	argv[4] = c->txt;
	argv[5] = NULL;
	hook_env(envp);
	return spawn_start(d->spawn, d->conf.hook, argv, envp, NULL, 0,
	    d->conf.timeout_ms, hook_over, c, err, errlen);
}
