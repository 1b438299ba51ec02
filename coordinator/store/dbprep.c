/* dbprep.c -- the statements one connection has prepared: an open-addressing table of SQL texts to statement names. */
#include "dbprep.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DBPREP_SLOTS	(DBPREP_MAX * 2)	/* a power of two */

struct dbprep_entry {
	uint64_t	 hash;
	char		*sql;		/* NULL: free slot */
	char		 name[16];
};

struct dbprep {
	struct dbprep_entry	slot[DBPREP_SLOTS];
	size_t			n;
	unsigned		seq;	/* names given on this connection */
};

static uint64_t
dbprep_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* The slot holding sql, or else the free slot where it would go. */
static struct dbprep_entry *
dbprep_slot(const struct dbprep *p, const char *sql, uint64_t h)
{
	size_t i = (size_t)h & (DBPREP_SLOTS - 1);
	const struct dbprep_entry *e;

	for (;; i = (i + 1) & (DBPREP_SLOTS - 1)) {
		e = &p->slot[i];
		if (e->sql == NULL || (e->hash == h && strcmp(e->sql, sql) == 0))
			return (struct dbprep_entry *)(uintptr_t)e;
	}
}

/* 1 when sql may be prepared: a plain statement of bounded size. */
static int
dbprep_eligible(const char *sql)
{
	static const char *const verbs[] = { "SELECT", "INSERT", "UPDATE",
	    "DELETE", "WITH" };
	size_t i, len;

	if (strnlen(sql, DBPREP_SQL_MAX + 1) > DBPREP_SQL_MAX)
		return 0;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		len = strlen(verbs[i]);
		if (strncasecmp(sql, verbs[i], len) == 0 &&
		    (sql[len] == ' ' || sql[len] == '\n' || sql[len] == '\t'))
			return 1;
	}
	return 0;
}

struct dbprep *
dbprep_new(void)
{
	return calloc(1, sizeof(struct dbprep));
}

void
dbprep_forget(struct dbprep *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < DBPREP_SLOTS; i++) {
		free(p->slot[i].sql);
		p->slot[i].sql = NULL;
	}
	p->n = 0;
}

void
dbprep_free(struct dbprep *p)
{
	dbprep_forget(p);
	free(p);
}

const char *
dbprep_find(const struct dbprep *p, const char *sql)
{
	const struct dbprep_entry *e;

	if (p == NULL || p->n == 0)
		return NULL;
	e = dbprep_slot(p, sql, dbprep_hash(sql));
	return e->sql != NULL ? e->name : NULL;
}

const char *
dbprep_add(struct dbprep *p, const char *sql)
{
	struct dbprep_entry *e;
	uint64_t h;

	if (p == NULL || p->n >= DBPREP_MAX || !dbprep_eligible(sql))
		return NULL;
	h = dbprep_hash(sql);
	e = dbprep_slot(p, sql, h);
	if (e->sql != NULL)
		return e->name;
	if ((e->sql = strdup(sql)) == NULL)
		return NULL;
	e->hash = h;
	snprintf(e->name, sizeof(e->name), "cf_%u", p->seq++);
	p->n++;
	return e->name;
}

void
dbprep_drop(struct dbprep *p, const char *sql)
{
	struct dbprep_entry *e;
	size_t i, j;

	if (p == NULL || p->n == 0)
		return;
	e = dbprep_slot(p, sql, dbprep_hash(sql));
	if (e->sql == NULL)
		return;
	free(e->sql);
	e->sql = NULL;
	p->n--;
	/* Re-place the run after the hole so that every probe still finds
	 * its entry (linear probing has no tombstones here). */
	i = (size_t)(e - p->slot);
	for (j = (i + 1) & (DBPREP_SLOTS - 1); p->slot[j].sql != NULL;
	    j = (j + 1) & (DBPREP_SLOTS - 1)) {
		struct dbprep_entry moved = p->slot[j], *to;

		p->slot[j].sql = NULL;
		to = dbprep_slot(p, moved.sql, moved.hash);
		*to = moved;
	}
}

PGresult *
dbprep_exec(struct dbprep *p, PGconn *c, const char *sql, int n,
    const char *const *params, const int *lens, const int *formats)
{
	const char *name;
	PGresult *r;

	if ((name = dbprep_find(p, sql)) == NULL) {
		if ((name = dbprep_add(p, sql)) == NULL)
			return PQexecParams(c, sql, n, NULL, params, lens,
			    formats, 0);
		r = PQprepare(c, name, sql, n, NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			dbprep_drop(p, sql);
			return r;
		}
		PQclear(r);
	}
	return PQexecPrepared(c, name, n, params, lens, formats, 0);
}
