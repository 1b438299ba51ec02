/* fleet.h -- the coordinator's gauges read from PostgreSQL: certificates by CA and status, expiring and overdue, orders in flight, outbox and primer backlogs, budget headroom, CA breakers. */
#ifndef CERTFLEET_COORD_FLEET_H
#define CERTFLEET_COORD_FLEET_H

#include <stddef.h>

#include "cas.h"
#include "metrics.h"

#define FLEET_REFRESH_DEFAULT_S	15	/* CERTFLEET_METRICS_REFRESH_S */
#define FLEET_STATEMENT_MS	10000	/* each refresh query's timeout */

/*
 * What a refresh reads, and what it costs (one REPEATABLE READ, READ ONLY
 * transaction on the fleet's own connection, so every gauge of a refresh
 * comes from one snapshot):
 *   - certificates by CA and status: an index-only scan of
 *     certificates_ca_status (migration 0017), linear in the fleet but
 *     reading an index of a few tens of bytes per certificate, not the
 *     table; bench/metrics/run measures it on a million;
 *   - the expiring (7/14/30 days), expired and overdue ones among the
 *     issued: index-only ranges of certificates_expiry and
 *     certificates_renew_by (the current certificate's expiry and renewal
 *     deadline are on its certificates row since 0017), linear in the
 *     certificates concerned, whatever the history in issued_certificates;
 *   - orders in flight by CA and status: the partial index orders_in_flight,
 *     linear in the orders in flight;
 *   - outbox backlog and ages: the partial index outbox_unsent, linear in
 *     the unsent rows;
 *   - primer backlog (current certificates not primed) and its age: the
 *     partial index issued_certificates_unprimed, linear in the unprimed;
 *   - per CA with an orders budget, the orders released in the last 3
 *     hours: the index orders_released, linear in those orders.
 * Measured by bench/metrics/run on a million certificates (a shared 2-core
 * machine): about 0.5 s per refresh, against 0.2 s for a bare count(*) of
 * the table and 4 s for the join these gauges would need without 0017; at
 * the default period, some 3 % of one PostgreSQL core while scraped.
 * A certificate is overdue when it is issued and its current certificate
 * has used more than 3/4 of its lifetime (certificates.current_renew_by):
 * the scheduler renews at two thirds (+-5 %) of it, or inside the CA's ARI
 * window, which CAs place around two thirds too.
 */
struct fleet;

/* Adds the fleet's families to m and keeps what refreshes need: conninfo
 * pg (borrowed), the CAs in cas (borrowed: the budget limits, and the CAs
 * always reported, at 0 when they have nothing), and refresh_s, the least
 * time between two refreshes. Returns NULL with a message in err. */
struct fleet *fleet_new(struct metrics *m, const char *pg,
    const struct cas_conf *cas, long refresh_s, char *err, size_t errlen);

/* Refreshes the gauges when the last refresh is refresh_s old or more
 * (always when force is 1), on the fleet's own PostgreSQL connection
 * (opened or reopened as needed). Not thread-safe: one caller at a time
 * (the ops listener's collect callback). Returns 1 refreshed, 0 still
 * fresh, -1 with a message in err (the gauges keep their last values and
 * certfleet_fleet_refresh_errors_total counts the failure). */
int fleet_refresh(struct fleet *f, int force, char *err, size_t errlen);

/* Closes the connection and frees f; NULL is accepted. */
void fleet_free(struct fleet *f);

#endif
