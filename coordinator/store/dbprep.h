/* dbprep.h -- the statements one connection has prepared: each SQL text db_query runs is parsed and planned once per connection, then executed by name. */
#ifndef CERTFLEET_COORD_DBPREP_H
#define CERTFLEET_COORD_DBPREP_H

#include <stddef.h>

#include <libpq-fe.h>

/*
 * Up to DBPREP_MAX texts per connection are prepared (PQprepare, named
 * "cf_<n>", parameter types inferred as PQexecParams infers them) the first
 * time they run; later ones, texts over DBPREP_SQL_MAX bytes and anything
 * that is not SELECT, INSERT, UPDATE, DELETE or WITH (transaction control,
 * DDL) run unprepared. A protocol-level prepared statement outlives a
 * rollback; a reset connection has none (dbprep_forget).
 */
#define DBPREP_MAX	256
#define DBPREP_SQL_MAX	16384

struct dbprep;

/* An empty cache, or NULL when memory runs out. */
struct dbprep *dbprep_new(void);
void dbprep_free(struct dbprep *p);

/* Forgets every statement (the connection was reset: the server has none). */
void dbprep_forget(struct dbprep *p);

/* The name sql is prepared under, or NULL when it is not. Pure. */
const char *dbprep_find(const struct dbprep *p, const char *sql);

/* Records that sql is prepared and returns its new name, or NULL when it
 * may not be (not eligible, the cache full, out of memory). Call
 * PQprepare with that name; dbprep_drop(p, sql) if it fails. */
const char *dbprep_add(struct dbprep *p, const char *sql);

/* Removes sql (its PQprepare failed). */
void dbprep_drop(struct dbprep *p, const char *sql);

/* Runs sql with n text/binary parameters on c as PQexecParams would,
 * through a prepared statement when it can. A failed PQprepare (the text
 * does not parse, or the connection failed) is returned as the result: the
 * same failure PQexecParams would give. */
PGresult *dbprep_exec(struct dbprep *p, PGconn *c, const char *sql, int n,
    const char *const *params, const int *lens, const int *formats);

#endif
