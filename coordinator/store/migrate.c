/* migrate.c -- applies the embedded SQL migrations in one transaction under an advisory lock. */
#include "migrate.h"

#include <stdio.h>
#include <stdlib.h>

#include "db.h"
#include "log.h"

/* Any constant shared by every coordinator: "certfleet" in ASCII. */
#define MIGRATE_LOCK_KEY "6365727466"

int
migrate_apply(PGconn *c, char *err, size_t errlen)
{
	PGresult *r = NULL;
	const char *p[2];
	char ver[16];
	int current, applied = 0, rc = -1;
	size_t i;

	if (db_begin(c, err, errlen) < 0)
		return -1;
	if (db_exec(c, "migrate quiet", "SET LOCAL client_min_messages = warning",
	    0, NULL, NULL, NULL, err, errlen) < 0 ||
	    db_exec(c, "migrate lock", "SELECT pg_advisory_xact_lock("
	    MIGRATE_LOCK_KEY ")", 0, NULL, NULL, NULL, err, errlen) < 0 ||
	    db_exec(c, "migrate table", "CREATE TABLE IF NOT EXISTS "
	    "schema_migrations (version integer PRIMARY KEY, name text NOT NULL, "
	    "applied_at timestamptz NOT NULL DEFAULT now())", 0, NULL, NULL, NULL,
	    err, errlen) < 0)
		goto out;
	if ((r = db_query(c, "migrate version", "SELECT coalesce(max(version), 0) "
	    "FROM schema_migrations", 0, NULL, NULL, NULL, err, errlen)) == NULL)
		goto out;
	current = atoi(PQgetvalue(r, 0, 0));
	for (i = 0; i < migrate_count; i++) {
		const struct migration *m = &migrate_all[i];
		PGresult *x;

		if (m->version <= current)
			continue;
		x = PQexec(c, (const char *)m->sql);
		if (PQresultStatus(x) != PGRES_COMMAND_OK &&
		    PQresultStatus(x) != PGRES_TUPLES_OK) {
			snprintf(err, errlen, "migration %04d_%s: %s", m->version,
			    m->name, PQresultErrorMessage(x));
			PQclear(x);
			goto out;
		}
		PQclear(x);
		snprintf(ver, sizeof(ver), "%d", m->version);
		p[0] = ver;
		p[1] = m->name;
		if (db_exec(c, "migrate record", "INSERT INTO schema_migrations "
		    "(version, name) VALUES ($1, $2)", 2, p, NULL, NULL, err,
		    errlen) < 0)
			goto out;
		log_info("migration %04d_%s applied", m->version, m->name);
		applied++;
	}
	if (db_commit(c, err, errlen) < 0)
		goto out;
	rc = applied;
out:
	PQclear(r);
	if (rc < 0)
		db_rollback(c);
	return rc;
}
