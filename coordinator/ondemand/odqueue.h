/* odqueue.h -- the asks of edges in PostgreSQL (on_demand_asks): recorded by the API, decided and released by the on-demand thread, one row per name. */
#ifndef CERTFLEET_COORD_ODQUEUE_H
#define CERTFLEET_COORD_ODQUEUE_H

#include <stddef.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "hostname.h"
#include "ids.h"

#define ODQUEUE_REASON_MAX	640	/* bytes of a decision's sentence */
#define ODQUEUE_REASK_S		3600	/* a name decided "done" is judged
					 * again when asked this long after
					 * (its certificate may have failed) */
#define ODQUEUE_KEEP_DENIED_S	86400	/* expired refusals kept this long */
#define ODQUEUE_RECENT		20	/* decisions GET /v1/on-demand shows */

/*
 * Records that an edge (source "edge" or "peter_sslers") asked for
 * names[0..n) (normalized, sorted, unique). A new name waits for a
 * decision ("asked"); a name refused until later stays refused, and
 * refused[i] is set to 1 for it (the caller counts it denied_cache);
 * a refusal that expired, or a certificate made more than ODQUEUE_REASK_S
 * ago, makes the name wait for a decision again. When some name waits, the
 * on-demand thread is notified. One statement. Returns how many names wait
 * for a decision, or -1 with err.
 */
long odqueue_ask(PGconn *c, char *const *names, size_t n, const char *source,
    int *refused, char *err, size_t errlen);

/* name's ask: its status ("asked", "queued", "enrolled", "done",
 * "denied"; a refusal that expired reads "asked") and reason ("" when
 * none). Returns 1, 0 when never asked, -1 with err. */
int odqueue_status(PGconn *c, const char *name, char status[16],
    char reason[ODQUEUE_REASON_MAX], char *err, size_t errlen);

/* Up to limit rows of status ("asked" or "queued"; queued ones whose
 * quota delay passed), oldest ask first, with the columns of enum
 * odqueue_col. hook_s: a webhook answer younger than that is returned in
 * OQ_HOOK ("t", "f"), an older one as "". PQclear it; NULL with err. */
enum odqueue_col { OQ_NAME, OQ_SOURCE, OQ_TENANT, OQ_HOOK, OQ_LIMITED };
PGresult *odqueue_take(PGconn *c, const char *status, int limit, long hook_s,
    char *err, size_t errlen);

/* A live (pending or issued) certificate carrying name, exactly or by
 * the wildcard of its parent: 1 with its id, 0 when none, -1 with err. */
int odqueue_live_cert(PGconn *c, const char *name, char id[IDS_LEN + 1],
    char *err, size_t errlen);

/* A decision about an "asked" name. */
struct odqueue_decision {
	const char	*name;
	const char	*status;	/* "denied", "queued" or "done" */
	const char	*decision;	/* an odstats name: "denied_list", ... */
	const char	*tenant;	/* or NULL */
	const char	*certificate;	/* "done": the existing one, or NULL */
	long		 deny_s;	/* "denied": for how long */
	int		 hook;		/* webhook answer: 1 yes, 0 no, -1 none */
	char		 reason[ODQUEUE_REASON_MAX];
};

/* Writes d[0..n) in one statement, for rows still "asked"; decided_at is
 * now. Returns 0, or -1 with err. */
int odqueue_decide(PGconn *c, const struct odqueue_decision *d, size_t n,
    char *err, size_t errlen);

/* A "queued" name got its certificate: "enrolled", enrolled_at now. */
int odqueue_enrolled(PGconn *c, const char *name, const char *certificate,
    const char *reason, char *err, size_t errlen);

/* A queued name whose certificate turned out to exist already: "done". */
int odqueue_existing(PGconn *c, const char *name, const char *certificate,
    char *err, size_t errlen);

/* Queued names[0..n) held by a limit: reason set, limited, and (retry_s >
 * 0) not taken again for retry_s seconds. Returns 0, or -1 with err. */
int odqueue_hold(PGconn *c, char *const *names, size_t n, const char *reason,
    long retry_s, char *err, size_t errlen);

/* Room for new on-demand orders now, under per_minute new orders per
 * minute and max_pending pending ones (0: no such limit), counting all
 * tenants (tenant NULL) or one. For a tenant the limits are its own
 * (tenants.od_per_minute, od_max_pending; the arguments are ignored).
 * Writes the room (LONG_MAX when unlimited, 0 when full) and, when full,
 * which limit into why. Returns 0, or -1 with err. */
int odqueue_room(PGconn *c, const char *tenant, long per_minute,
    long max_pending, long *room, char *why, size_t whylen, char *err,
    size_t errlen);

/* Lifts every refusal still in force: those names are judged again when
 * next asked. Returns 0, or -1 with err. */
int odqueue_lift(PGconn *c, char *err, size_t errlen);

/* Housekeeping: enrolled names whose certificate left "pending" become
 * "done"; refusals expired for ODQUEUE_KEEP_DENIED_S are deleted (1000 at a
 * time). Returns 0, or -1 with err. */
int odqueue_settle(PGconn *c, char *err, size_t errlen);

/* The queue at a glance: {"asked", "queued", "enrolled",
 * "orders_last_minute", "recent": [{name, status, decision, tenant,
 * reason, certificate, asks, decided_at}] (the ODQUEUE_RECENT latest
 * decisions)}. NULL with err. */
json_t *odqueue_overview(PGconn *c, char *err, size_t errlen);

#endif
