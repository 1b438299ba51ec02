/* pgconn.c -- PostgreSQL connection helpers: open with sane defaults, ping. */
#include "pgconn.h"

#include <stdio.h>
#include <string.h>

/* Copies libpq's message on one line: its hint lines ("\n\tIs the server
 * running...") joined with spaces, no trailing newline. */
static void
pgconn_err(PGconn *c, const char *what, char *err, size_t errlen)
{
	const char *m = c != NULL ? PQerrorMessage(c) : "out of memory";
	size_t n = strlen(m), i, o;

	while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == ' '))
		n--;
	snprintf(err, errlen, "%s: %.*s", what, (int)n, m);
	for (i = o = 0; err[i] != '\0'; i++) {
		if (err[i] == '\n' || err[i] == '\t' || err[i] == '\r') {
			if (o > 0 && err[o - 1] != ' ')
				err[o++] = ' ';
		} else
			err[o++] = err[i];
	}
	err[o] = '\0';
}

PGconn *
pgconn_open(const char *conninfo, const char *appname, char *err, size_t errlen)
{
	const char *keys[] = { "connect_timeout", "application_name", "dbname", NULL };
	const char *vals[] = { "10", appname, conninfo, NULL };
	PGconn *c;

	/* expand_dbname=1: conninfo's own settings override the defaults. */
	c = PQconnectdbParams(keys, vals, 1);
	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		pgconn_err(c, "connect", err, errlen);
		PQfinish(c);
		return NULL;
	}
	return c;
}

int
pgconn_ping(PGconn *c, char *err, size_t errlen)
{
	PGresult *r;
	int rc;

	r = PQexec(c, "SELECT 1");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	    strcmp(PQgetvalue(r, 0, 0), "1") == 0)
		rc = 1;
	else {
		rc = PQstatus(c) == CONNECTION_BAD ? 0 : -1;
		pgconn_err(c, "SELECT 1", err, errlen);
	}
	PQclear(r);
	return rc;
}
