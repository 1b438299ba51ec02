/* ctl_wait.c -- certfleetctl's --wait: polls an API resource until it reaches a final state, showing progress. */
#include "ctl.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CTL_POLL_S 1

int
ctl_wait(const char *path, ctl_state_fn *state, void *arg, long timeout,
    json_t **final)
{
	char err[1024], what[256];
	time_t start = time(NULL);
	json_t *j;
	int st;

	*final = NULL;
	for (;;) {
		if ((j = ctl_api("GET", path, NULL, err, sizeof(err))) == NULL)
			return ctl_fail(CTL_FAILED, err);
		what[0] = '\0';
		st = state(j, arg, what, sizeof(what));
		if (st != 0) {
			ctl_progress((long)(time(NULL) - start), what, 1);
			*final = j;
			return st > 0 ? CTL_OK : CTL_FAILED;
		}
		ctl_progress((long)(time(NULL) - start), what, 0);
		json_decref(j);
		if (time(NULL) - start >= timeout) {
			ctl_progress((long)(time(NULL) - start), what, 1);
			snprintf(err, sizeof(err), "still waiting after %ld s: %s",
			    timeout, what);
			return ctl_fail(CTL_TIMEOUT, err);
		}
		sleep(CTL_POLL_S);
	}
}

/* A string field of o, or "-". */
static const char *
ctl_wait_str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "-";
}

int
ctl_cert_state(json_t *j, void *arg, char *what, size_t len)
{
	const char *want = arg, *st = ctl_wait_str(j, "status");
	json_t *p = json_object_get(j, "problem");

	if (strcmp(st, want) == 0 && strcmp(st, "issued") == 0) {
		snprintf(what, len, "issued: serial %s, valid %s to %s, issuer "
		    "%s, CA %s", ctl_wait_str(j, "serial"),
		    ctl_wait_str(j, "not_before"), ctl_wait_str(j, "not_after"),
		    ctl_wait_str(j, "issuer"), ctl_wait_str(j, "ca"));
		return 1;
	}
	if (strcmp(st, want) == 0) {
		snprintf(what, len, "%s", st);
		return 1;
	}
	if (strcmp(st, "failed") == 0) {
		snprintf(what, len, "failed: %s: %s", ctl_wait_str(p, "type"),
		    ctl_wait_str(p, "detail"));
		return -1;
	}
	snprintf(what, len, "%s, order %s (attempt %lld)%s%s", st,
	    ctl_wait_str(j, "order_status"), (long long)json_integer_value(
	    json_object_get(j, "order_attempt")), json_is_object(p) ?
	    ", last problem " : "", json_is_object(p) ?
	    ctl_wait_str(p, "type") : "");
	return 0;
}

int
ctl_action_state(json_t *j, void *arg, char *what, size_t len)
{
	const char *st = ctl_wait_str(j, "status");
	json_t *p = json_object_get(j, "problem");

	(void)arg;
	if (strcmp(st, "done") == 0) {
		snprintf(what, len, "%s done", ctl_wait_str(j, "kind"));
		return 1;
	}
	if (strcmp(st, "failed") == 0) {
		snprintf(what, len, "%s failed: %s: %s", ctl_wait_str(j, "kind"),
		    ctl_wait_str(p, "type"), ctl_wait_str(p, "detail"));
		return -1;
	}
	snprintf(what, len, "%s %s (attempt %lld)%s%s", ctl_wait_str(j, "kind"),
	    st, (long long)json_integer_value(json_object_get(j, "attempt")),
	    json_is_object(p) ? ", last problem " : "", json_is_object(p) ?
	    ctl_wait_str(p, "type") : "");
	return 0;
}
