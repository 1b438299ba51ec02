/* fleet.c -- refreshes the coordinator's PostgreSQL gauges (certificates, orders, backlogs, budgets, CA breakers) at most every few seconds, in one read-only snapshot on a connection of its own. */
#include "fleet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "db.h"

#define FLEET_APPNAME	"certfleet-metrics"
#define FLEET_STR(x)	#x
#define FLEET_XSTR(x)	FLEET_STR(x)

enum fleet_fam {
	FLEET_CERTS,		/* {ca, status} */
	FLEET_EXPIRING,		/* {ca, within} */
	FLEET_EXPIRED,		/* {ca} */
	FLEET_OVERDUE,		/* {ca} */
	FLEET_FAILING,		/* {ca} */
	FLEET_ORDERS,		/* {ca, status} */
	FLEET_OUTBOX_ROWS,	/* {state} */
	FLEET_OUTBOX_OLDEST,
	FLEET_OUTBOX_DUE_AGE,
	FLEET_PRIMER_BACKLOG,
	FLEET_PRIMER_AGE,
	FLEET_HEADROOM,		/* {ca, limit} */
	FLEET_LIMIT,		/* {ca, limit} */
	FLEET_BREAKER,		/* {ca, state} */
	FLEET_REFRESH_SECONDS,
	FLEET_REFRESH_TIME,
	FLEET_REFRESH_ERRORS,
	FLEET_FAMS,
};

static const char *const fleet_l_ca_status[] = { "ca", "status" };
static const char *const fleet_l_ca_within[] = { "ca", "within" };
static const char *const fleet_l_ca[] = { "ca" };
static const char *const fleet_l_state[] = { "state" };
static const char *const fleet_l_ca_limit[] = { "ca", "limit" };
static const char *const fleet_l_ca_state[] = { "ca", "state" };

static const struct {
	enum metrics_type	 type;
	const char		*name;
	const char		*help;
	const char *const	*labels;
	size_t			 nlabels;
} fleet_defs[FLEET_FAMS] = {
	[FLEET_CERTS] = { METRICS_GAUGE, "certfleet_certificates",
	    "Managed certificates by CA and status (pending, issued, failed, "
	    "revoked).", fleet_l_ca_status, 2 },
	[FLEET_EXPIRING] = { METRICS_GAUGE, "certfleet_certificates_expiring",
	    "Issued certificates whose current certificate expires within 7d, "
	    "14d or 30d (not yet expired).", fleet_l_ca_within, 2 },
	[FLEET_EXPIRED] = { METRICS_GAUGE, "certfleet_certificates_expired",
	    "Issued certificates whose current certificate has expired.",
	    fleet_l_ca, 1 },
	[FLEET_OVERDUE] = { METRICS_GAUGE, "certfleet_renewals_overdue",
	    "Issued certificates whose current certificate has used more than "
	    "3/4 of its lifetime (renewal is planned at 2/3): their renewal is "
	    "late. Expired ones are counted too.", fleet_l_ca, 1 },
	[FLEET_FAILING] = { METRICS_GAUGE, "certfleet_renewals_failing",
	    "Issued certificates whose last renewal the CA refused for good "
	    "(the name no longer validates): the next waits out "
	    "CERTFLEET_RENEW_BACKOFF, or none comes once the current "
	    "certificate has expired.", fleet_l_ca, 1 },
	[FLEET_ORDERS] = { METRICS_GAUGE, "certfleet_orders_in_flight",
	    "ACME orders not finished, by CA and status (pending, sent, "
	    "processing, deferred).", fleet_l_ca_status, 2 },
	[FLEET_OUTBOX_ROWS] = { METRICS_GAUGE, "certfleet_outbox_unsent_rows",
	    "Outbox rows not yet published: due now, or waiting (retry backoff, "
	    "budget hold).", fleet_l_state, 1 },
	[FLEET_OUTBOX_OLDEST] = { METRICS_GAUGE,
	    "certfleet_outbox_oldest_unsent_age_seconds",
	    "Age of the oldest unsent outbox row (0: none).", NULL, 0 },
	[FLEET_OUTBOX_DUE_AGE] = { METRICS_GAUGE,
	    "certfleet_outbox_oldest_due_age_seconds",
	    "How long the oldest due unsent outbox row has been due (0: none).",
	    NULL, 0 },
	[FLEET_PRIMER_BACKLOG] = { METRICS_GAUGE, "certfleet_primer_backlog",
	    "Current issued certificates not yet primed into Redis.", NULL, 0 },
	[FLEET_PRIMER_AGE] = { METRICS_GAUGE,
	    "certfleet_primer_backlog_oldest_age_seconds",
	    "Age of the oldest certificate waiting to be primed (0: none).",
	    NULL, 0 },
	[FLEET_HEADROOM] = { METRICS_GAUGE, "certfleet_budget_headroom",
	    "New orders a CA's budget still admits now (limit orders_per_3h), "
	    "for CAs with that limit.", fleet_l_ca_limit, 2 },
	[FLEET_LIMIT] = { METRICS_GAUGE, "certfleet_budget_limit",
	    "A CA's configured budget (orders_per_3h, certs_per_domain_7d, "
	    "duplicates_7d); limits that are off are not shown.",
	    fleet_l_ca_limit, 2 },
	[FLEET_BREAKER] = { METRICS_GAUGE, "certfleet_ca_breaker_state",
	    "Each configured CA's circuit breaker: 1 for the state it is in "
	    "(closed, open, half_open), 0 for the others. Open: the CA's "
	    "orders wait, or go to a fallback CA.", fleet_l_ca_state, 2 },
	[FLEET_REFRESH_SECONDS] = { METRICS_GAUGE,
	    "certfleet_fleet_refresh_duration_seconds",
	    "How long the last refresh of the PostgreSQL gauges took.", NULL, 0 },
	[FLEET_REFRESH_TIME] = { METRICS_GAUGE,
	    "certfleet_fleet_refresh_timestamp_seconds",
	    "Unix time of the last successful refresh of the PostgreSQL gauges.",
	    NULL, 0 },
	[FLEET_REFRESH_ERRORS] = { METRICS_COUNTER,
	    "certfleet_fleet_refresh_errors_total",
	    "Refreshes of the PostgreSQL gauges that failed.", NULL, 0 },
};

struct fleet {
	struct metrics_family	*fam[FLEET_FAMS];
	const char		*pg;
	const struct cas_conf	*cas;
	uint64_t		 every_ms;
	uint64_t		 last_ms;	/* clock_mono_ms of the last refresh */
	PGconn			*db;
};

static const char *const fleet_cert_statuses[] = {
	"pending", "issued", "failed", "revoked", "disabled", "deleted",
};
static const char *const fleet_order_statuses[] = {
	"pending", "sent", "processing", "deferred",
};
static const char *const fleet_windows[] = { "7d", "14d", "30d" };
static const char *const fleet_breaker_states[] = {
	"closed", "open", "half_open",
};

struct fleet *
fleet_new(struct metrics *m, const char *pg, const struct cas_conf *cas,
    long refresh_s, char *err, size_t errlen)
{
	struct fleet *f;
	size_t i;

	if ((f = calloc(1, sizeof(*f))) == NULL) {
		snprintf(err, errlen, "fleet: out of memory");
		return NULL;
	}
	for (i = 0; i < FLEET_FAMS; i++)
		if ((f->fam[i] = metrics_family_new(m, fleet_defs[i].type,
		    fleet_defs[i].name, fleet_defs[i].help, fleet_defs[i].labels,
		    fleet_defs[i].nlabels, NULL, 0, err, errlen)) == NULL) {
			free(f);
			return NULL;
		}
	f->pg = pg;
	f->cas = cas;
	f->every_ms = (uint64_t)(refresh_s > 0 ? refresh_s : 1) * 1000;
	return f;
}

void
fleet_free(struct fleet *f)
{
	if (f == NULL)
		return;
	if (f->db != NULL)
		PQfinish(f->db);
	free(f);
}

static double
fleet_num(const PGresult *r, int row, int col)
{
	return strtod(PQgetvalue(r, row, col), NULL);
}

/* Sets 0 in every certificate family for every configured CA and status,
 * so that what has none is shown as 0 rather than missing. */
static void
fleet_certs_zero(struct fleet *f)
{
	const char *ca;
	size_t i, k;

	for (i = FLEET_CERTS; i <= FLEET_FAILING; i++)
		metrics_family_reset(f->fam[i]);
	for (i = 0; i < f->cas->n; i++) {
		ca = f->cas->ca[i].name;
		for (k = 0; k < sizeof(fleet_cert_statuses) /
		    sizeof(fleet_cert_statuses[0]); k++)
			metrics_set_by(f->fam[FLEET_CERTS],
			    (const char *[]){ ca, fleet_cert_statuses[k] }, 0);
		for (k = 0; k < 3; k++)
			metrics_set_by(f->fam[FLEET_EXPIRING],
			    (const char *[]){ ca, fleet_windows[k] }, 0);
		metrics_set_by(f->fam[FLEET_EXPIRED], &ca, 0);
		metrics_set_by(f->fam[FLEET_OVERDUE], &ca, 0);
		metrics_set_by(f->fam[FLEET_FAILING], &ca, 0);
	}
}

/* Adds n to the series of f with values v. */
static void
fleet_add(struct metrics_family *f, const char *const *v, double n)
{
	metrics_gauge_add(metrics_series(f, v), n);
}

/* Certificates by CA and status: an index-only scan of
 * certificates_ca_status. Starts the certificate families afresh, at 0
 * for every configured CA (fleet_expiry adds to them). */
static int
fleet_certs(struct fleet *f, char *err, size_t errlen)
{
	PGresult *r;
	int row;

	if ((r = db_query(f->db, "fleet certificates", "SELECT ca, status, "
	    "count(*) FROM certificates GROUP BY ca, status", 0, NULL, NULL,
	    NULL, err, errlen)) == NULL)
		return -1;
	fleet_certs_zero(f);
	for (row = 0; row < PQntuples(r); row++)
		fleet_add(f->fam[FLEET_CERTS], (const char *[]){ PQgetvalue(r,
		    row, 0), PQgetvalue(r, row, 1) }, fleet_num(r, row, 2));
	PQclear(r);
	return 0;
}

/*
 * Issued certificates that expired or expire within 30 days, by CA and
 * window (1: expired, 7, 14, 30: within that many days; each window counts
 * in the wider ones too), then those overdue, then those whose renewals
 * the CA refuses: index-only ranges of certificates_expiry,
 * certificates_renew_by and certificates_renewals_failing, as long as the
 * certificates concerned.
 */
static int
fleet_expiry(struct fleet *f, char *err, size_t errlen)
{
	PGresult *r;
	const char *ca;
	double n;
	int row, w;
	size_t k;

	if ((r = db_query(f->db, "fleet expiring", "SELECT ca, CASE "
	    "WHEN current_not_after <= now() THEN 1 "
	    "WHEN current_not_after <= now() + interval '7 days' THEN 7 "
	    "WHEN current_not_after <= now() + interval '14 days' THEN 14 "
	    "ELSE 30 END, count(*) FROM certificates WHERE status = 'issued' "
	    "AND current_not_after <= now() + interval '30 days' GROUP BY 1, 2",
	    0, NULL, NULL, NULL, err, errlen)) == NULL)
		return -1;
	for (row = 0; row < PQntuples(r); row++) {
		ca = PQgetvalue(r, row, 0);
		n = fleet_num(r, row, 2);
		if ((w = atoi(PQgetvalue(r, row, 1))) == 1)
			fleet_add(f->fam[FLEET_EXPIRED], &ca, n);
		for (k = 0; k < 3 && w > 1; k++)	/* 7d within 14d within 30d */
			if (w <= atoi(fleet_windows[k]))
				fleet_add(f->fam[FLEET_EXPIRING], (const char *[]){
				    ca, fleet_windows[k] }, n);
	}
	PQclear(r);
	if ((r = db_query(f->db, "fleet overdue", "SELECT ca, count(*) FROM "
	    "certificates WHERE status = 'issued' AND current_renew_by < now() "
	    "GROUP BY ca", 0, NULL, NULL, NULL, err, errlen)) == NULL)
		return -1;
	for (row = 0; row < PQntuples(r); row++) {
		ca = PQgetvalue(r, row, 0);
		fleet_add(f->fam[FLEET_OVERDUE], &ca, fleet_num(r, row, 1));
	}
	PQclear(r);
	if ((r = db_query(f->db, "fleet renewals failing", "SELECT ca, "
	    "count(*) FROM certificates WHERE status = 'issued' AND "
	    "renewal_failures > 0 GROUP BY ca", 0, NULL, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	for (row = 0; row < PQntuples(r); row++) {
		ca = PQgetvalue(r, row, 0);
		fleet_add(f->fam[FLEET_FAILING], &ca, fleet_num(r, row, 1));
	}
	PQclear(r);
	return 0;
}

/* Orders in flight by CA and status, through the partial index. */
static int
fleet_orders(struct fleet *f, char *err, size_t errlen)
{
	PGresult *r;
	size_t i, k;
	int row;

	if ((r = db_query(f->db, "fleet orders", "SELECT ca, status, count(*) "
	    "FROM orders WHERE status IN ('pending', 'sent', 'processing', "
	    "'deferred') GROUP BY ca, status", 0, NULL, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	metrics_family_reset(f->fam[FLEET_ORDERS]);
	for (i = 0; i < f->cas->n; i++)
		for (k = 0; k < 4; k++)
			metrics_set_by(f->fam[FLEET_ORDERS], (const char *[]){
			    f->cas->ca[i].name, fleet_order_statuses[k] }, 0);
	for (row = 0; row < PQntuples(r); row++)
		metrics_set_by(f->fam[FLEET_ORDERS], (const char *[]){
		    PQgetvalue(r, row, 0), PQgetvalue(r, row, 1) },
		    fleet_num(r, row, 2));
	PQclear(r);
	return 0;
}

/* Outbox and primer backlogs: each query reads only its partial index's
 * rows. The primer's join goes through certificates' primary key. */
static int
fleet_backlogs(struct fleet *f, char *err, size_t errlen)
{
	PGresult *r;

	if ((r = db_query(f->db, "fleet outbox", "SELECT "
	    "count(*) FILTER (WHERE available_at <= now()), "
	    "count(*) FILTER (WHERE available_at > now()), "
	    "coalesce(extract(epoch from now() - min(created_at)), 0), "
	    "coalesce(extract(epoch from now() - min(available_at) FILTER "
	    "(WHERE available_at <= now())), 0) "
	    "FROM outbox WHERE sent_at IS NULL", 0, NULL, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	metrics_set_by(f->fam[FLEET_OUTBOX_ROWS], (const char *[]){ "due" },
	    fleet_num(r, 0, 0));
	metrics_set_by(f->fam[FLEET_OUTBOX_ROWS], (const char *[]){ "waiting" },
	    fleet_num(r, 0, 1));
	metrics_set_by(f->fam[FLEET_OUTBOX_OLDEST], NULL, fleet_num(r, 0, 2));
	metrics_set_by(f->fam[FLEET_OUTBOX_DUE_AGE], NULL, fleet_num(r, 0, 3));
	PQclear(r);
	if ((r = db_query(f->db, "fleet primer", "SELECT count(*), "
	    "coalesce(extract(epoch from now() - min(ic.created_at)), 0) "
	    "FROM issued_certificates ic JOIN certificates c ON "
	    "c.id = ic.certificate AND c.current_issued = ic.id "
	    "WHERE ic.primed_at IS NULL AND ic.revoked_at IS NULL AND "
	    "ic.withdrawn_at IS NULL", 0, NULL,
	    NULL, NULL, err, errlen)) == NULL)
		return -1;
	metrics_set_by(f->fam[FLEET_PRIMER_BACKLOG], NULL, fleet_num(r, 0, 0));
	metrics_set_by(f->fam[FLEET_PRIMER_AGE], NULL, fleet_num(r, 0, 1));
	PQclear(r);
	return 0;
}

/* Each configured limit, and the headroom of the orders budget: what
 * budget_admit would still let through now for that CA. */
static int
fleet_budgets(struct fleet *f, char *err, size_t errlen)
{
	static const char *const names[] = {
		"orders_per_3h", "certs_per_domain_7d", "duplicates_7d",
	};
	const struct cas_ca *ca;
	PGresult *r;
	double used, lim[3];
	size_t i, k;

	metrics_family_reset(f->fam[FLEET_LIMIT]);
	metrics_family_reset(f->fam[FLEET_HEADROOM]);
	for (i = 0; i < f->cas->n; i++) {
		ca = &f->cas->ca[i];
		lim[0] = (double)ca->limit_orders_3h;
		lim[1] = (double)ca->limit_domain_7d;
		lim[2] = (double)ca->limit_dups_7d;
		for (k = 0; k < 3; k++)
			if (lim[k] > 0)
				metrics_set_by(f->fam[FLEET_LIMIT], (const char *[]){
				    ca->name, names[k] }, lim[k]);
		if (ca->limit_orders_3h <= 0)
			continue;
		if ((r = db_query(f->db, "fleet budget", "SELECT count(*) FROM "
		    "orders WHERE ca = $1 AND released_at > now() - "
		    "interval '3 hours'", 1, (const char *[]){ ca->name }, NULL,
		    NULL, err, errlen)) == NULL)
			return -1;
		used = fleet_num(r, 0, 0);
		PQclear(r);
		metrics_set_by(f->fam[FLEET_HEADROOM], (const char *[]){ ca->name,
		    names[0] }, used < lim[0] ? lim[0] - used : 0);
	}
	return 0;
}

/* Each configured CA's breaker state (a CA without a ca_health row yet
 * is closed). */
static int
fleet_breakers(struct fleet *f, char *err, size_t errlen)
{
	const char *ca, *st;
	PGresult *r;
	size_t i, k;
	int row;

	if ((r = db_query(f->db, "fleet breakers", "SELECT ca, state FROM "
	    "ca_health", 0, NULL, NULL, NULL, err, errlen)) == NULL)
		return -1;
	metrics_family_reset(f->fam[FLEET_BREAKER]);
	for (i = 0; i < f->cas->n; i++) {
		ca = f->cas->ca[i].name;
		st = "closed";
		for (row = 0; row < PQntuples(r); row++)
			if (strcmp(PQgetvalue(r, row, 0), ca) == 0)
				st = PQgetvalue(r, row, 1);
		for (k = 0; k < sizeof(fleet_breaker_states) /
		    sizeof(fleet_breaker_states[0]); k++)
			metrics_set_by(f->fam[FLEET_BREAKER], (const char *[]){
			    ca, fleet_breaker_states[k] },
			    strcmp(st, fleet_breaker_states[k]) == 0);
	}
	PQclear(r);
	return 0;
}

/* One refresh in one snapshot; 0, or -1 with err. */
static int
fleet_pass(struct fleet *f, char *err, size_t errlen)
{
	int rc = -1;

	if (db_ensure(&f->db, f->pg, FLEET_APPNAME, err, errlen) < 0)
		return -1;
	if (db_exec(f->db, "fleet begin", "BEGIN ISOLATION LEVEL REPEATABLE "
	    "READ READ ONLY", 0, NULL, NULL, NULL, err, errlen) < 0)
		return -1;
	if (db_exec(f->db, "fleet timeout", "SET LOCAL statement_timeout = "
	    FLEET_XSTR(FLEET_STATEMENT_MS), 0, NULL, NULL, NULL, err,
	    errlen) < 0 ||
	    fleet_certs(f, err, errlen) < 0 ||
	    fleet_expiry(f, err, errlen) < 0 ||
	    fleet_orders(f, err, errlen) < 0 ||
	    fleet_backlogs(f, err, errlen) < 0 ||
	    fleet_budgets(f, err, errlen) < 0 ||
	    fleet_breakers(f, err, errlen) < 0 ||
	    db_commit(f->db, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		db_rollback(f->db);
	return rc;
}

int
fleet_refresh(struct fleet *f, int force, char *err, size_t errlen)
{
	uint64_t start = clock_mono_ms();

	if (!force && f->last_ms != 0 && start - f->last_ms < f->every_ms)
		return 0;
	if (fleet_pass(f, err, errlen) < 0) {
		f->last_ms = clock_mono_ms();
		metrics_inc_by(f->fam[FLEET_REFRESH_ERRORS], NULL, 1);
		return -1;
	}
	f->last_ms = clock_mono_ms();	/* the period runs from the end */
	metrics_set_by(f->fam[FLEET_REFRESH_SECONDS], NULL,
	    (double)(clock_mono_ms() - start) / 1000.0);
	metrics_set_by(f->fam[FLEET_REFRESH_TIME], NULL,
	    (double)clock_wall_ms() / 1000.0);
	return 1;
}
