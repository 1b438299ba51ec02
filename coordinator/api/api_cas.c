/* api_cas.c -- GET /v1/cas: each CA's health and flow: circuit breaker, orders in flight against the cap, request pacing now, recent errors, budget headroom, the scopes its rate-limit reports hold; and the CAs orders wait for that are not configured. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <jansson.h>

#include "api_int.h"
#include "budget.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "hostname.h"
#include "log.h"
#include "orphans.h"
#include "pace.h"
#include "redisconn.h"
#include "rediskeys.h"
#include "settings.h"

#define API_CAS_REDIS_MS 1000

/* The breaker, orders in flight and waiting, per CA, in this order. */
#define API_CAS_SQL "SELECT coalesce(h.state, 'closed'), " \
	"coalesce(h.failures, 0), " API_TS("h.opened_at") ", " \
	API_TS("h.probe_at") ", coalesce(h.probe_interval, 0), " \
	API_TS("h.changed_at") ", coalesce(h.errors, '[]')::text, " \
	"(SELECT count(*) FROM orders WHERE ca = $1 AND status IN ('sent', " \
	"'processing')), (SELECT count(*) FROM orders WHERE ca = $1 AND " \
	"status IN ('pending', 'deferred')), (SELECT count(*) FROM outbox " \
	"WHERE sent_at IS NULL AND held AND available_at = 'infinity' AND ca " \
	"= $1) FROM (SELECT $1::text AS ca) x LEFT JOIN ca_health h ON h.ca = " \
	"x.ca"

/* The scopes CA $1 holds now (ca_holds, results/ratelimits.c), the last
 * to end first, at most API_CAS_HOLDS_MAX: the kind, what it holds (a
 * name set's names), until when, the CA's words, the order it refused. */
#define API_CAS_HOLDS_MAX 100
#define API_CAS_HOLDS_SQL "SELECT CASE left(key, 2) WHEN 'a:' THEN " \
	"'account' WHEN 'd:' THEN 'domain' WHEN 's:' THEN 'set' WHEN 'n:' " \
	"THEN 'name' ELSE key END, CASE WHEN key LIKE 's:%' THEN (SELECT " \
	"array_to_string(hs.names, ' ') FROM hostname_sets hs WHERE hs.id::text " \
	"= substr(key, 3)) ELSE substr(key, 3) END, " API_TS("until") ", " \
	"detail, job_id, count(*) OVER () FROM ca_holds WHERE ca = $1 AND " \
	"until > now() ORDER BY until DESC LIMIT $2::integer"

/* ca's holds as {"active": N, "scopes": [...]}; NULL with err. */
static json_t *
api_cas_holds(struct api *a, const struct cas_ca *ca, char *err,
    size_t errlen)
{
	PGresult *r;
	json_t *list;
	char lim[16];
	int i;

	snprintf(lim, sizeof(lim), "%d", API_CAS_HOLDS_MAX);
	if ((r = db_query(a->db, "cas holds", API_CAS_HOLDS_SQL, 2,
	    (const char *[]){ ca->name, lim }, NULL, NULL, err,
	    errlen)) == NULL)
		return NULL;
	list = json_array();
	for (i = 0; i < PQntuples(r); i++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, "
		    "s:s}", "scope", PQgetvalue(r, i, 0), "holds",
		    PQgetvalue(r, i, 1), "until", PQgetvalue(r, i, 2),
		    "detail", PQgetvalue(r, i, 3), "order", PQgetvalue(r, i, 4)));
	list = json_pack("{s:I, s:o}", "active", (json_int_t)(PQntuples(r) > 0 ?
	    strtoll(PQgetvalue(r, 0, 5), NULL, 10) : 0), "scopes", list);
	PQclear(r);
	return list;
}

/* One bucket of ca: its setting and, when Redis answers, its state now:
 * the rate factor (1: full) and the Retry-After it is blocked until. When
 * Redis refuses (NOPERM: a coordinator's user that may not read
 * certfleet:pace:*), the factor is null and "state_error" says why. */
static json_t *
api_cas_bucket(redisContext *rc, const char *ca, enum pace_ep ep,
    const struct pace_limit *l, uint64_t now_ms)
{
	redisReply *r = NULL;
	json_t *o;
	double f0 = 1, t0 = 0, until = 0, f;

	o = json_pack("{s:s, s:f, s:f}", "endpoint", pace_ep_name(ep),
	    "rate_per_s", l->rate, "burst", l->burst);
	if (rc != NULL)
		r = redisCommand(rc, "HMGET " REDISKEYS_PACE_PREFIX "%s:%s f0 t0 "
		    "until", ca, pace_ep_name(ep));
	if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 3) {
		if (r->element[0]->type == REDIS_REPLY_STRING)
			f0 = strtod(r->element[0]->str, NULL);
		if (r->element[1]->type == REDIS_REPLY_STRING)
			t0 = strtod(r->element[1]->str, NULL);
		if (r->element[2]->type == REDIS_REPLY_STRING)
			until = strtod(r->element[2]->str, NULL);
		f = f0 + ((double)now_ms - t0) / (PACE_RECOVER_S * 1000.0);
		f = f > 1 ? 1 : f;
		json_object_set_new(o, "factor", json_real(f));
		json_object_set_new(o, "current_rate_per_s", json_real(l->rate * f));
		json_object_set_new(o, "blocked_for_s", json_real(until >
		    (double)now_ms ? (until - (double)now_ms) / 1000.0 : 0));
	} else {
		json_object_set_new(o, "factor", json_null());
		json_object_set_new(o, "state_error", json_string(rc == NULL ?
		    "no Redis connection" : r == NULL ? rc->errstr :
		    r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply"));
	}
	freeReplyObject(r);
	return o;
}

/* The buckets of ca that limit anything (a rate above 0). */
static json_t *
api_cas_pacing(redisContext *rc, const struct cas_ca *ca)
{
	struct pace_conf pc;
	char err[256];
	json_t *a = json_array();
	uint64_t now_ms = (uint64_t)clock_wall_ms();
	size_t i;

	if (pace_conf_read(&pc, ca->name, NULL, NULL, err, sizeof(err)) < 0) {
		json_array_append_new(a, json_pack("{s:s}", "error", err));
		return a;
	}
	for (i = 0; i < PACE_NEP; i++)
		if (pc.ep[i].rate > 0)
			json_array_append_new(a, api_cas_bucket(rc, ca->name,
			    (enum pace_ep)i, &pc.ep[i], now_ms));
	return a;
}

/* 1 when ca's gate is on (CERTFLEET_CA_<NAME>_GATE_NEW_ORDER=1: newOrder
 * and authorization fetches never in flight at once, worker/runner/gate.h);
 * a malformed setting shows in "pacing". */
static int
api_cas_gated(const struct cas_ca *ca)
{
	struct pace_conf pc;
	char err[256];

	return pace_conf_read(&pc, ca->name, NULL, NULL, err, sizeof(err)) == 0 &&
	    pc.gate_new_order;
}

/* Everything about ca; NULL with err on a database error. */
static json_t *
api_cas_one(struct api *a, redisContext *rc, const struct cas_ca *ca,
    char *err, size_t errlen)
{
	PGresult *r;
	json_t *o, *errors, *holds;
	long used;

	if ((r = db_query(a->db, "cas", API_CAS_SQL, 1, (const char *[]){
	    ca->name }, NULL, NULL, err, errlen)) == NULL)
		return NULL;
	if ((used = budget_orders_used(a->db, ca, err, errlen)) < 0 ||
	    (holds = api_cas_holds(a, ca, err, errlen)) == NULL) {
		PQclear(r);
		return NULL;
	}
	if ((errors = json_loads(PQgetvalue(r, 0, 6), 0, NULL)) == NULL)
		errors = json_array();
	o = json_pack("{s:s, s:s, s:b, s:{s:s, s:i, s:o, s:o, s:f, s:o}, s:i, "
	    "s:I, s:i, s:o, s:b, s:o, s:{s:i, s:I, s:I, s:i}, s:o}",
	    "name", ca->name, "directory", ca->directory,
	    "default", ca == &a->s->cas.ca[a->s->cas.def],
	    "breaker", "state", PQgetvalue(r, 0, 0),
	    "failures_in_a_row", atoi(PQgetvalue(r, 0, 1)),
	    "opened_at", api_col(r, 0, 2), "next_probe_at", api_col(r, 0, 3),
	    "probe_interval_s", strtod(PQgetvalue(r, 0, 4), NULL),
	    "changed_at", api_col(r, 0, 5),
	    "in_flight", atoi(PQgetvalue(r, 0, 7)),
	    "max_in_flight", (json_int_t)ca->max_in_flight,
	    "waiting", atoi(PQgetvalue(r, 0, 8)),
	    "pacing", api_cas_pacing(rc, ca),
	    "gate_new_order", api_cas_gated(ca),
	    "recent_errors", errors,
	    "budget", "orders_3h_used", (int)used,
	    "orders_3h_limit", (json_int_t)ca->limit_orders_3h,
	    "orders_3h_headroom", (json_int_t)(ca->limit_orders_3h > 0 ?
	    (ca->limit_orders_3h > used ? ca->limit_orders_3h - used : 0) : -1),
	    "orders_3h_waiting", atoi(PQgetvalue(r, 0, 9)),
	    "holds", holds);
	PQclear(r);
	return o;
}

/*
 * Ends CA $1's holds now: all of them ($2 = ''), or the one of scope $2
 * whose "holds" (as API_CAS_HOLDS_SQL shows it) is $3; then makes due the
 * orders the CA's holds and budgets held (the relay measures each again:
 * one a budget or another hold still covers is held again), and the
 * orders the released holds were refused for (deferred to the CA's
 * Retry-After). Orders parked for room in the CA's orders budget
 * (available_at 'infinity': outbox/budget.h) stay parked: no hold keeps
 * them, and waking them all would measure each again for nothing.
 */
#define API_CAS_RELEASE_SQL "WITH gone AS (DELETE FROM ca_holds WHERE ca = " \
	"$1 AND until > now() AND ($2 = '' OR key = CASE $2 WHEN 'account' " \
	"THEN 'a:' || $3 WHEN 'domain' THEN 'd:' || $3 WHEN 'name' THEN 'n:' " \
	"|| $3 WHEN 'set' THEN 's:' || (SELECT hs.id FROM hostname_sets hs " \
	"WHERE hs.names = string_to_array($3, ' ')) END) RETURNING job_id), " \
	"due AS (UPDATE outbox SET available_at = now() WHERE sent_at IS NULL " \
	"AND available_at > now() AND available_at <> 'infinity' AND ((held " \
	"AND ca = $1) OR job_id IN " \
	"(SELECT job_id FROM gone)) AND EXISTS (SELECT 1 FROM gone) " \
	"RETURNING 1) SELECT (SELECT count(*) FROM gone), (SELECT count(*) " \
	"FROM due)"

/* The body of a release: {} or nothing (all), else {"scope": S, "holds":
 * V}. Returns 0 with *scope and *holds set ("" for all), or -1 with a
 * message for the client. */
static int
api_cas_release_body(const struct api_req *req, json_t **root,
    const char **scope, const char **holds, char *err, size_t errlen)
{
	static const char *const scopes[] = { "account", "domain", "set",
	    "name" };
	json_error_t je;
	json_t *s, *h;
	size_t i;

	*scope = *holds = "";
	*root = NULL;
	if (req->len == 0)
		return 0;
	if ((*root = json_loadb(req->body, req->len, JSON_REJECT_DUPLICATES,
	    &je)) == NULL || !json_is_object(*root) ||
	    json_object_size(*root) > 2) {
		snprintf(err, errlen, "the body must be {} (every hold of the "
		    "CA) or {\"scope\": S, \"holds\": V} as GET /v1/cas shows "
		    "a hold");
		return -1;
	}
	if (json_object_size(*root) == 0)
		return 0;
	s = json_object_get(*root, "scope");
	h = json_object_get(*root, "holds");
	for (i = 0; json_is_string(s) && i < sizeof(scopes) / sizeof(scopes[0]);
	    i++)
		if (strcmp(json_string_value(s), scopes[i]) == 0)
			*scope = scopes[i];
	if (**scope == '\0' || !json_is_string(h) || json_string_length(h) == 0 ||
	    json_string_length(h) > 100 * (HOSTNAME_MAX + 1) ||
	    strlen(json_string_value(h)) != json_string_length(h)) {
		snprintf(err, errlen, "\"scope\" is one of account, domain, set "
		    "and name, and \"holds\" what the hold holds, as GET /v1/cas "
		    "shows it");
		return -1;
	}
	*holds = json_string_value(h);
	return 0;
}

enum MHD_Result
api_cas_release(struct api *a, struct MHD_Connection *conn, const char *name,
    const struct api_req *req)
{
	const char *scope, *holds;
	json_t *root;
	PGresult *r;
	char err[512];
	enum MHD_Result ret;
	long released, due;

	if (cas_find(&a->s->cas, name) == NULL)
		return api_error(conn, MHD_HTTP_NOT_FOUND, "no CA %s is "
		    "configured", name);
	if (api_cas_release_body(req, &root, &scope, &holds, err,
	    sizeof(err)) < 0) {
		json_decref(root);
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "%s", err);
	}
	if (api_db(a, err, sizeof(err)) < 0) {
		json_decref(root);
		return api_unavailable(conn, err);
	}
	if ((r = db_query(a->db, "cas release", API_CAS_RELEASE_SQL, 3,
	    (const char *[]){ name, scope, holds }, NULL, NULL, err,
	    sizeof(err))) == NULL) {
		json_decref(root);
		log_err("api: release of CA %s's holds: %s", name, err);
		return api_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "the "
		    "release could not be stored; nothing was changed");
	}
	released = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	due = strtol(PQgetvalue(r, 0, 1), NULL, 10);
	PQclear(r);
	log_info("api: CA %s: %ld hold(s) released (%s%s%s), %ld order(s) due "
	    "again", name, released, *scope != '\0' ? scope : "all",
	    *scope != '\0' ? " " : "", holds, due);
	ret = api_json(conn, MHD_HTTP_OK, json_pack("{s:i, s:i}", "released",
	    (int)released, "orders", (int)due));
	json_decref(root);
	return ret;
}

enum MHD_Result
api_route_ca(struct api *a, struct MHD_Connection *conn, const char *path,
    const char *method, const struct api_req *req)
{
	char name[CAS_NAME_MAX + 2];
	const char *rest;

	rest = api_segment(path, name, sizeof(name));
	if (strcmp(rest, "/holds:release") != 0 || !cas_name_ok(name))
		return api_error(conn, MHD_HTTP_NOT_FOUND, "no such path (POST "
		    "/v1/cas/{name}/holds:release)");
	if (strcmp(method, "POST") != 0)
		return api_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "%s is not allowed here (POST)", method);
	return api_cas_release(a, conn, name, req);
}

/* The CAs with orders waiting that this coordinator has no configuration
 * for (ca/orphans.h) as [{"name", "orders_waiting"}]; NULL with err. */
static json_t *
api_cas_orphans(struct api *a, char *err, size_t errlen)
{
	struct orphan o[ORPHANS_MAX];
	json_t *list;
	int i, n;

	if ((n = orphans_list(a->db, &a->s->cas, o, ORPHANS_MAX, err,
	    errlen)) < 0)
		return NULL;
	list = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(list, json_pack("{s:s, s:I}", "name",
		    o[i].ca, "orders_waiting", (json_int_t)o[i].waiting));
	return list;
}

enum MHD_Result
api_cas(struct api *a, struct MHD_Connection *conn)
{
	redisContext *rc;
	json_t *list = json_array(), *o;
	char err[512], rerr[256];
	long db;
	size_t i;

	if (api_db(a, err, sizeof(err)) < 0) {
		json_decref(list);
		return api_unavailable(conn, err);
	}
	if (config_long(REDISKEYS_CHALLENGE_DB_ENV,
	    REDISKEYS_CHALLENGE_DB_DEFAULT, 0, 1000, &db, rerr,
	    sizeof(rerr)) < 0 ||
	    (rc = redisconn_open(a->s->redis_url, (int)db, API_CAS_REDIS_MS,
	    rerr, sizeof(rerr))) == NULL) {
		log_warn("api: GET /v1/cas without the pacing state: %s", rerr);
		rc = NULL;
	}
	for (i = 0; i < a->s->cas.n; i++) {
		if ((o = api_cas_one(a, rc, &a->s->cas.ca[i], err,
		    sizeof(err))) == NULL) {
			if (rc != NULL)
				redisFree(rc);
			json_decref(list);
			return api_unavailable(conn, err);
		}
		json_array_append_new(list, o);
	}
	if (rc != NULL)
		redisFree(rc);
	if ((o = api_cas_orphans(a, err, sizeof(err))) == NULL) {
		json_decref(list);
		return api_unavailable(conn, err);
	}
	return api_json(conn, MHD_HTTP_OK, json_pack("{s:o, s:o}", "cas", list,
	    "unconfigured", o));
}
