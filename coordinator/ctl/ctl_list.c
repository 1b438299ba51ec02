/* ctl_list.c -- certfleetctl list and count: the search's filters as options, a page or every page (following the API's cursor), and how many match. */
#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CTL_PATH_MAX 4096

/* An option and the query argument it becomes; flags take no value. */
static const struct {
	const char	*opt;
	const char	*arg;
	int		 flag;
} ctl_filters[] = {
	{ "--status", "status", 0 },
	{ "--ca", "ca", 0 },
	{ "--key-type", "key_type", 0 },
	{ "--issuer", "issuer", 0 },
	{ "--expiring-before", "expiring_before", 0 },
	{ "--expiring-after", "expiring_after", 0 },
	{ "--renewal-due", "renewal_due", 1 },
	{ "--tenant", "tenant", 0 },
	{ "--label", "label", 0 },
	{ "--name", "name", 0 },
	{ "--name-prefix", "name_prefix", 0 },
	{ "--name-suffix", "name_suffix", 0 },
	{ "--problem", "problem", 0 },
	{ "--sha1", "sha1", 1 },
};
#define CTL_NFILTERS (sizeof(ctl_filters) / sizeof(ctl_filters[0]))

#define CTL_FILTER_USAGE \
	"[--status S] [--ca NAME] [--key-type T] [--issuer DN]\n" \
	"       [--expiring-before T] [--expiring-after T] [--renewal-due]\n" \
	"       [--tenant T] [--label KEY:VALUE] [--name HOST]\n" \
	"       [--name-prefix P] [--name-suffix S] [--problem TYPE] [--sha1]"

/* Appends "&key=value" (or "?key=value" first) to the path in buf,
 * percent-encoding value. Returns 0, or -1 when it does not fit. */
static int
ctl_query_add(char *buf, size_t len, const char *key, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(buf);
	const unsigned char *v;

	if (n + strlen(key) + 2 >= len)
		return -1;
	n += (size_t)snprintf(buf + n, len - n, "%c%s=", strchr(buf, '?') !=
	    NULL ? '&' : '?', key);
	for (v = (const unsigned char *)value; *v != '\0'; v++) {
		if (n + 4 >= len)
			return -1;
		if ((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
		    (*v >= '0' && *v <= '9') || strchr("-._~", *v) != NULL)
			buf[n++] = (char)*v;
		else {
			buf[n++] = '%';
			buf[n++] = hex[*v >> 4];
			buf[n++] = hex[*v & 15];
		}
	}
	buf[n] = '\0';
	return 0;
}

/* argv[*k] as a filter into path, moving *k past its value. 1 when it was
 * one, 0 when not, -1 when its value is missing or the path is full. */
static int
ctl_filter(int argc, char *argv[], int *k, char *path, size_t len)
{
	size_t f;

	for (f = 0; f < CTL_NFILTERS; f++)
		if (strcmp(argv[*k], ctl_filters[f].opt) == 0)
			break;
	if (f == CTL_NFILTERS)
		return 0;
	if (ctl_filters[f].flag)
		return ctl_query_add(path, len, ctl_filters[f].arg, "true") < 0 ?
		    -1 : 1;
	if (*k + 1 >= argc)
		return -1;
	return ctl_query_add(path, len, ctl_filters[f].arg, argv[++*k]) < 0 ?
	    -1 : 1;
}

/* The rows of one page, as text. */
static void
ctl_list_print(json_t *rows)
{
	json_t *c;
	size_t i;

	json_array_foreach(rows, i, c) {
		printf("%s  %-8s  %-20s  ", ctl_field(c, "id"),
		    ctl_field(c, "status"), ctl_field(c, "not_after"));
		ctl_print_names(json_object_get(c, "hostnames"), ",");
		printf("\n");
	}
}

/* The rows of one page, as elements of the one JSON array printed. */
static void
ctl_list_stream(json_t *rows, int *first)
{
	json_t *c;
	size_t i;
	char *s;

	json_array_foreach(rows, i, c) {
		if ((s = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
			continue;
		printf("%s%s", *first ? "" : ",", s);
		*first = 0;
		free(s);
	}
}

/* --all: every page, following "next". With --json one document
 * {"certificates": [...], "next": null}, written as the pages come (a
 * failure on the way ends it with its "error" and "exit"). */
static int
ctl_list_all(const char *base)
{
	char path[CTL_PATH_MAX], err[1024], *after = NULL;
	json_t *j = NULL, *next;
	int first = 1, rc = CTL_OK;

	if (ctl_json())
		printf("{\"certificates\":[");
	for (;;) {
		snprintf(path, sizeof(path), "%s", base);
		if (after != NULL && ctl_query_add(path, sizeof(path), "after",
		    after) < 0) {
			snprintf(err, sizeof(err), "the cursor does not fit");
			j = NULL;
		} else
			j = ctl_api("GET", path, NULL, err, sizeof(err));
		free(after);
		after = NULL;
		if (j == NULL) {
			rc = CTL_FAILED;
			break;
		}
		if (ctl_json())
			ctl_list_stream(json_object_get(j, "certificates"), &first);
		else
			ctl_list_print(json_object_get(j, "certificates"));
		next = json_object_get(j, "next");
		if (json_is_string(next))
			after = strdup(json_string_value(next));
		json_decref(j);
		if (after == NULL)
			break;
	}
	if (!ctl_json()) {
		if (rc != CTL_OK)
			fprintf(stderr, "certfleetctl: %s\n", err);
		return rc;
	}
	if (rc == CTL_OK)
		printf("],\"next\":null}\n");
	else {
		j = json_string(err);
		after = json_dumps(j, JSON_ENCODE_ANY);
		printf("],\"next\":null,\"error\":%s,\"exit\":%d}\n",
		    after != NULL ? after : "\"?\"", rc);
		free(after);
		json_decref(j);
	}
	return rc;
}

/* Reads the filters (and, for list, --limit N or a bare N, --after
 * CURSOR, --all; for count, --exact) into path. 0, or CTL_USAGE. */
static int
ctl_list_args(int argc, char *argv[], int count, char *path, size_t len,
    int *all)
{
	int k, n;

	*all = 0;
	for (k = 1; k < argc; k++) {
		if ((n = ctl_filter(argc, argv, &k, path, len)) < 0)
			return CTL_USAGE;
		if (n == 1)
			continue;
		if (count && strcmp(argv[k], "--exact") == 0)
			n = ctl_query_add(path, len, "exact", "true");
		else if (!count && strcmp(argv[k], "--all") == 0)
			*all = 1;
		else if (!count && (strcmp(argv[k], "--limit") == 0 ||
		    strcmp(argv[k], "--after") == 0) && k + 1 < argc) {
			n = ctl_query_add(path, len, argv[k] + 2, argv[k + 1]);
			k++;
		} else if (!count && argv[k][0] != '-' && argv[k][0] != '\0' &&
		    strspn(argv[k], "0123456789") == strlen(argv[k]))
			n = ctl_query_add(path, len, "limit", argv[k]);
		else
			return CTL_USAGE;
		if (n < 0)
			return CTL_USAGE;
	}
	return 0;
}

int
ctl_list(int argc, char *argv[])
{
	char path[CTL_PATH_MAX] = "/v1/certificates";
	json_t *j, *next;
	int rc, all;

	if (ctl_list_args(argc, argv, 0, path, sizeof(path), &all) != 0) {
		fprintf(stderr, "usage: certfleetctl list " CTL_FILTER_USAGE "\n"
		    "       [--limit N | N] [--after CURSOR] [--all]\n");
		return CTL_USAGE;
	}
	if (all)
		return ctl_list_all(path);
	if ((j = ctl_get_text(path, &rc)) == NULL)
		return rc;
	ctl_list_print(json_object_get(j, "certificates"));
	if (json_is_string(next = json_object_get(j, "next")))
		fprintf(stderr, "more: the same command with --after %s (or "
		    "--all)\n", json_string_value(next));
	json_decref(j);
	return CTL_OK;
}

int
ctl_count(int argc, char *argv[])
{
	char path[CTL_PATH_MAX] = "/v1/certificates:count";
	json_t *j, *est;
	int rc, all;

	if (ctl_list_args(argc, argv, 1, path, sizeof(path), &all) != 0) {
		fprintf(stderr, "usage: certfleetctl count " CTL_FILTER_USAGE "\n"
		    "       [--exact]\n");
		return CTL_USAGE;
	}
	if ((j = ctl_get_text(path, &rc)) == NULL)
		return rc;
	if (json_is_true(json_object_get(j, "exact")))
		printf("%lld\n", (long long)json_integer_value(json_object_get(j,
		    "count")));
	else {
		est = json_object_get(j, "estimate");
		printf("more than %lld (estimate %s%lld; --exact counts them "
		    "all)\n", (long long)json_integer_value(json_object_get(j,
		    "count")), json_is_integer(est) ? "" : "unknown, ",
		    json_is_integer(est) ? (long long)json_integer_value(est) : 0);
	}
	json_decref(j);
	return CTL_OK;
}
