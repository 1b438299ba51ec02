/* ctl_out.c -- how certfleetctl answers: text for people, or one JSON document on stdout with --json; errors and progress on stderr. */
#include "ctl.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int ctl_json_mode;

void
ctl_json_set(int on)
{
	ctl_json_mode = on;
}

int
ctl_json(void)
{
	return ctl_json_mode;
}

int
ctl_emit(json_t *j)
{
	char *s;

	if (j == NULL || (s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS |
	    JSON_ENCODE_ANY)) == NULL)
		return CTL_FAILED;
	printf("%s\n", s);
	fflush(stdout);
	free(s);
	return CTL_OK;
}

int
ctl_fail(int code, const char *msg)
{
	json_t *j;

	fprintf(stderr, "certfleetctl: %s\n", msg);
	if (ctl_json_mode) {
		j = json_pack("{s:s, s:i}", "error", msg, "exit", code);
		ctl_emit(j);
		json_decref(j);
	}
	return code;
}

void
ctl_progress(long elapsed, const char *state, int last)
{
	static char shown[256];
	int tty = isatty(STDERR_FILENO);

	if (tty)
		fprintf(stderr, "\r\033[K[%4lds] %s%s", elapsed, state,
		    last ? "\n" : "");
	else if (strcmp(shown, state) != 0 || last)
		fprintf(stderr, "[%4lds] %s\n", elapsed, state);
	snprintf(shown, sizeof(shown), "%s", state);
	fflush(stderr);
}

json_t *
ctl_get_text(const char *path, int *rc)
{
	char err[1024];
	json_t *j;

	if ((j = ctl_api("GET", path, NULL, err, sizeof(err))) == NULL) {
		*rc = ctl_fail(CTL_FAILED, err);
		return NULL;
	}
	*rc = CTL_OK;
	if (!ctl_json())
		return j;
	*rc = ctl_emit(j);
	json_decref(j);
	return NULL;
}

const char *
ctl_field(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : "-";
}

void
ctl_print_names(json_t *names, const char *sep)
{
	size_t i;
	json_t *n;

	json_array_foreach(names, i, n)
		printf("%s%s", i > 0 ? sep : "", json_string_value(n));
}

void
ctl_progress_count(long elapsed, size_t done, size_t total, const char *unit,
    size_t failed, int last)
{
	static size_t shown_fill = (size_t)-1;
	char bar[CTL_BAR_WIDTH + 1], state[256], bad[48] = "";
	size_t i, fill = total > 0 ? done * CTL_BAR_WIDTH / total : CTL_BAR_WIDTH;

	/* not a terminal (a log): a line each time the bar grows, not per item */
	if (!last && fill == shown_fill && !isatty(STDERR_FILENO))
		return;
	shown_fill = fill;
	for (i = 0; i < CTL_BAR_WIDTH; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[CTL_BAR_WIDTH] = '\0';
	if (failed > 0)
		snprintf(bad, sizeof(bad), ", %zu refused", failed);
	snprintf(state, sizeof(state), "[%s] %zu/%zu %s%s", bar, done, total,
	    unit, bad);
	ctl_progress(elapsed, state, last);
}
