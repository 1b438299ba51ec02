/* explain.c -- bench-api-explain: EXPLAIN (ANALYZE, BUFFERS) of the very statement GET /v1/certificates (or, for "count:QUERY", GET /v1/certificates:count) runs for each query string given, on $CERTFLEET_PG. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db.h"
#include "log.h"
#include "pgconn.h"
#include "searchq.h"

/* Parses "k=v&k=v" (values as they are: no percent-decoding) into q. */
static int
explain_parse(const char *qs, enum searchq_kind kind, struct searchq *q,
    char *err, size_t errlen)
{
	char buf[4096], *save = NULL, *kv, *eq;

	searchq_init(q, kind);
	snprintf(buf, sizeof(buf), "%s", qs);
	for (kv = strtok_r(buf, "&", &save); kv != NULL;
	    kv = strtok_r(NULL, "&", &save)) {
		if ((eq = strchr(kv, '=')) != NULL)
			*eq++ = '\0';
		if (searchq_arg(q, kv, eq, err, errlen) < 0)
			return -1;
	}
	return searchq_check(q, err, errlen);
}

/* Prints the plan of the first page of qs, or of its count when qs
 * starts with "count:". Returns 0 or -1. */
static int
explain_one(PGconn *c, const char *arg)
{
	struct searchq q;
	struct searchq_sql s;
	const char *qs = arg;
	char err[512] = "", *sql;
	PGresult *r;
	int i, count = strncmp(arg, "count:", 6) == 0;

	if (count)
		qs += 6;
	if (explain_parse(qs, count ? SEARCHQ_COUNT : SEARCHQ_LIST, &q, err,
	    sizeof(err)) < 0 || searchq_sql(&q, count ? SEARCHQ_COUNT_ROWS :
	    SEARCHQ_PAGE, &s) < 0) {
		fprintf(stderr, "bench-api-explain: %s: %s\n", qs, err);
		return -1;
	}
	if ((sql = malloc(strlen(s.sql) + 64)) == NULL)
		return -1;
	sprintf(sql, "EXPLAIN (ANALYZE, BUFFERS) %s", s.sql);
	r = db_query(c, "explain", sql, s.n, s.params, NULL, NULL, err,
	    sizeof(err));
	free(sql);
	searchq_sql_free(&s);
	if (r == NULL) {
		fprintf(stderr, "bench-api-explain: %s: %s\n", qs, err);
		return -1;
	}
	printf("== %s\n", arg);
	for (i = 0; i < PQntuples(r); i++)
		printf("%s\n", PQgetvalue(r, i, 0));
	PQclear(r);
	return 0;
}

int
main(int argc, char *argv[])
{
	const char *pg = getenv("CERTFLEET_PG");
	char err[512];
	PGconn *c;
	int i, rc = 0;

	log_init("bench-api-explain", LOGL_WARN);
	if (argc < 2 || pg == NULL) {
		fprintf(stderr, "usage: CERTFLEET_PG=... bench-api-explain "
		    "[count:]QUERY_STRING...\n");
		return 2;
	}
	if ((c = pgconn_open(pg, "bench-api-explain", err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "bench-api-explain: %s\n", err);
		return 1;
	}
	for (i = 1; i < argc; i++)
		if (explain_one(c, argv[i]) < 0)
			rc = 1;
	PQfinish(c);
	return rc;
}
