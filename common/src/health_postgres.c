/* health_postgres.c -- the PostgreSQL probe of health_check: connect and SELECT 1. */
#include "health.h"

#include <stdio.h>

#include "pgconn.h"

static int
health_postgres_probe(const char *where, char *detail, size_t len)
{
	PGconn *c;
	int ok;

	if ((c = pgconn_open(where, "certfleet-health", detail, len)) == NULL)
		return 0;
	ok = pgconn_ping(c, detail, len) == 1;
	if (ok)
		snprintf(detail, len, "server %d", PQserverVersion(c));
	PQfinish(c);
	return ok;
}

const struct health_service health_postgres = {
	"postgresql", "CERTFLEET_PG", health_postgres_probe,
};
