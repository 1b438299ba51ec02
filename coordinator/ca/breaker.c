/* breaker.c -- each CA's circuit breaker: transitions in ca_health, the directory probes that half-open it, and moving waiting orders to a fallback CA. */
#include "breaker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "fallback.h"
#include "flow.h"
#include "log.h"
#include "probe.h"
#include "settings.h"
#include "trust.h"

/* The newest error first, at most BREAKER_ERRORS_KEPT of them. */
#define BREAKER_ERRORS_SQL "jsonb_path_query_array(jsonb_build_array(" \
	"jsonb_build_object('at', to_char(now() AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'detail', $2::text)) || " \
	"h.errors, '$[0 to 4]')"

/* Copies at most BREAKER_DETAIL_MAX bytes of s into out, cut before a
 * UTF-8 continuation byte so that PostgreSQL takes it. */
static void
breaker_cut(const char *s, char *out, size_t outlen)
{
	size_t len, n;

	if (s == NULL)
		s = "";
	len = strlen(s);
	n = len < outlen ? len : outlen - 1;
	while (n > 0 && n < len && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	memcpy(out, s, n);
	out[n] = '\0';
}

/* Locks ca's row (made when missing) and reads its state and count.
 * Returns 0, or -1 with err. */
static int
breaker_lock(PGconn *c, const char *ca, char state[16], long *failures,
    char *err, size_t errlen)
{
	PGresult *r;

	if (db_exec(c, "breaker row", "INSERT INTO ca_health (ca) VALUES ($1) "
	    "ON CONFLICT (ca) DO NOTHING", 1, &ca, NULL, NULL, err, errlen) < 0 ||
	    (r = db_query(c, "breaker lock", "SELECT state, failures FROM "
	    "ca_health WHERE ca = $1 FOR UPDATE", 1, &ca, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	snprintf(state, 16, "%s", PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) :
	    "closed");
	*failures = PQntuples(r) == 1 ? strtol(PQgetvalue(r, 0, 1), NULL, 10) :
	    0;
	PQclear(r);
	return 0;
}

int
breaker_failure(PGconn *c, const char *ca, const char *detail, char *err,
    size_t errlen)
{
	char state[16], d[BREAKER_DETAIL_MAX + 1], first[32];
	const char *p[3];
	long failures;
	int opens;

	if (breaker_lock(c, ca, state, &failures, err, errlen) < 0)
		return -1;
	breaker_cut(detail, d, sizeof(d));
	opens = (strcmp(state, "closed") == 0 &&
	    failures + 1 >= BREAKER_THRESHOLD) ||
	    strcmp(state, "half_open") == 0;
	snprintf(first, sizeof(first), "%.1f", BREAKER_PROBE_FIRST_S);
	p[0] = ca;
	p[1] = d;
	p[2] = first;
	if (db_exec(c, "breaker failure", opens ?
	    "UPDATE ca_health h SET failures = failures + 1, errors = "
	    BREAKER_ERRORS_SQL ", state = 'open', opened_at = CASE WHEN state = "
	    "'closed' THEN now() ELSE opened_at END, probe_interval = CASE WHEN "
	    "state = 'closed' THEN $3::float8 ELSE least(probe_interval * 2, "
	    "60) END, probe_at = now() + make_interval(secs => CASE WHEN state "
	    "= 'closed' THEN $3::float8 ELSE least(probe_interval * 2, 60) "
	    "END), changed_at = now() WHERE ca = $1" :
	    "UPDATE ca_health h SET failures = failures + 1, errors = "
	    BREAKER_ERRORS_SQL " WHERE ca = $1 AND $3::text IS NOT NULL", 3, p,
	    NULL, NULL, err, errlen) < 0)
		return -1;
	if (opens)
		log_warn("breaker: CA %s %s: %s (%ld unavailable in a row); its "
		    "jobs wait until its directory answers", ca,
		    strcmp(state, "closed") == 0 ? "opened" : "opened again",
		    d, failures + 1);
	return opens || strcmp(state, "open") == 0;
}

int
breaker_answer(PGconn *c, const char *ca, char *err, size_t errlen)
{
	PGresult *r;

	/* Most answers find the breaker closed and clear: a read, no write
	 * (this runs for every event). */
	if ((r = db_query(c, "breaker answer", "WITH old AS (SELECT state FROM "
	    "ca_health WHERE ca = $1 AND (failures > 0 OR state <> 'closed')) "
	    "UPDATE ca_health h SET state = 'closed', failures = 0, opened_at = "
	    "NULL, probe_at = NULL, probe_interval = 5, changed_at = CASE WHEN "
	    "h.state <> 'closed' THEN now() ELSE h.changed_at END FROM old WHERE "
	    "h.ca = $1 RETURNING old.state", 1, &ca, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	if (PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "closed") != 0)
		log_info("breaker: CA %s answered: closed (was %s)", ca,
		    PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

int
breaker_probed(PGconn *c, const char *ca, int ok, const char *detail,
    char *err, size_t errlen)
{
	char d[BREAKER_DETAIL_MAX + 1];
	const char *p[2];
	long n;

	breaker_cut(detail, d, sizeof(d));
	p[0] = ca;
	p[1] = d;
	n = db_exec(c, "breaker probed", ok ? "UPDATE ca_health h SET state = "
	    "'half_open', changed_at = now() WHERE ca = $1 AND state = 'open' "
	    "AND $2::text IS NOT NULL" : "UPDATE ca_health h SET "
	    "probe_interval = least(probe_interval * 2, 60), probe_at = now() + "
	    "make_interval(secs => least(probe_interval * 2, 60)), errors = "
	    BREAKER_ERRORS_SQL " WHERE ca = $1 AND state = 'open'", 2, p, NULL,
	    NULL, err, errlen);
	if (n < 0)
		return -1;
	if (n > 0 && ok)
		log_info("breaker: CA %s: its directory answers: half-open, %d "
		    "orders go through", ca, FLOW_HALF_OPEN_ORDERS);
	else if (n > 0)
		log_info("breaker: CA %s: probe failed: %s", ca, d);
	return 0;
}

/* Records one finished probe (probe_poll's callback). */
struct breaker_ctx {
	PGconn		*c;
	int		 failed;
	char		*err;
	size_t		 errlen;
};

static void
breaker_probe_done(void *arg, const char *ca, int ok, const char *detail)
{
	struct breaker_ctx *bc = arg;

	if (db_begin(bc->c, bc->err, bc->errlen) < 0 ||
	    breaker_probed(bc->c, ca, ok, detail, bc->err, bc->errlen) < 0 ||
	    db_commit(bc->c, bc->err, bc->errlen) < 0) {
		db_rollback(bc->c);
		bc->failed = 1;
	}
}

/* Starts the probes that are due. Returns 0, or -1 with err. */
static int
breaker_start_probes(PGconn *c, struct probe *p, const struct settings *s,
    char *err, size_t errlen)
{
	const struct cas_ca *ca;
	PGresult *r;
	const char *def;
	int i;

	if ((r = db_query(c, "breaker due", "SELECT ca FROM ca_health WHERE "
	    "state = 'open' AND probe_at <= now()", 0, NULL, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	def = config_str("CERTFLEET_CA_FILE", config_str("PEBBLE_TLS_CA", NULL));
	for (i = 0; i < PQntuples(r); i++) {
		if ((ca = cas_find(&s->cas, PQgetvalue(r, i, 0))) == NULL ||
		    probe_running(p, ca->name))
			continue;
		if (probe_start(p, ca->name, ca->directory, trust_file(ca->trust,
		    def), BREAKER_PROBE_TIMEOUT_MS, err, errlen) < 0)
			log_warn("breaker: no probe of CA %s: %s", ca->name, err);
	}
	PQclear(r);
	return 0;
}

/* Moves the waiting orders of every open CA to their next CA. */
static int
breaker_move(PGconn *c, char *err, size_t errlen)
{
	PGresult *r;
	int i, n, rc = 0;

	if ((r = db_query(c, "breaker open", "SELECT ca FROM ca_health WHERE "
	    "state = 'open'", 0, NULL, NULL, NULL, err, errlen)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(r) && rc == 0; i++) {
		if (db_begin(c, err, errlen) < 0 ||
		    (n = fallback_away(c, PQgetvalue(r, i, 0),
		    BREAKER_MOVE_PER_TICK, err, errlen)) < 0 ||
		    db_commit(c, err, errlen) < 0) {
			db_rollback(c);
			rc = -1;
		} else if (n > 0)
			log_info("breaker: %d order(s) of open CA %s moved to their "
			    "next CA", n, PQgetvalue(r, i, 0));
	}
	PQclear(r);
	return rc;
}

int
breaker_tick(PGconn *c, struct probe *p, const struct settings *s, char *err,
    size_t errlen)
{
	struct breaker_ctx bc = { c, 0, err, errlen };

	probe_poll(p, breaker_probe_done, &bc);
	if (bc.failed || breaker_start_probes(c, p, s, err, errlen) < 0)
		return -1;
	return breaker_move(c, err, errlen);
}
