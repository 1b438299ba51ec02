/* lifecycle.c -- deletes, disables and enables certificates and changes their name sets and CAs: orders cancelled or created, edge withdrawal marked, the change recorded, all in the caller's transaction. */
#include "lifecycle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "db.h"
#include "enroll.h"
#include "hostname.h"
#include "keys.h"
#include "log.h"
#include "order.h"
#include "tenant.h"

/* The certificate row, locked, with what a change needs. */
#define LIFECYCLE_LOCK_SQL "SELECT c.status, c.current_issued IS NOT NULL, " \
	"hs.names, c.challenge, c.key_type, c.ca, coalesce(c.profile, ''), " \
	"coalesce(c.preferred_chain, ''), coalesce(c.tenant, '') FROM " \
	"certificates c JOIN hostname_sets hs ON hs.id = c.hostname_set " \
	"WHERE c.id = $1 FOR UPDATE OF c"
enum { LC_STATUS, LC_ISSUED, LC_NAMES, LC_CHALLENGE, LC_KEYTYPE, LC_CA,
	LC_PROFILE, LC_CHAIN, LC_TENANT };

/* What a verb does to a certificate in each status: statuses are words of
 * a space-separated list. */
struct lifecycle_rule {
	const char	*same;		/* nothing to do: UNCHANGED */
	const char	*refuse;	/* not allowed: CONFLICT */
	const char	*what;		/* "it cannot be disabled", for the message */
};

static const struct lifecycle_rule lifecycle_rule_delete = {
	"deleted", "", "it cannot be deleted" };
static const struct lifecycle_rule lifecycle_rule_disable = {
	"disabled", "deleted revoked", "it cannot be disabled" };
static const struct lifecycle_rule lifecycle_rule_enable = {
	"pending issued failed", "deleted revoked", "it cannot be enabled" };
static const struct lifecycle_rule lifecycle_rule_names = {
	"", "disabled deleted revoked", "its names cannot change" };
static const struct lifecycle_rule lifecycle_rule_ca = {
	"", "disabled deleted revoked", "its CAs cannot change" };

/* 1 when word is one of list's space-separated words. */
static int
lifecycle_in(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = list; (p = strstr(p, word)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

/*
 * Locks certificate id and checks its status against the verb's rule:
 * 1 with its row in *r to go on; 0 with *st NOT_FOUND, UNCHANGED or
 * CONFLICT (err: why) or ERROR. *r is the caller's to PQclear either way.
 */
static int
lifecycle_open(PGconn *c, const char *id, const struct lifecycle_rule *rule,
    PGresult **r, struct lifecycle_result *res, enum lifecycle_status *st,
    char *err, size_t errlen)
{
	memset(res, 0, sizeof(*res));
	*st = LIFECYCLE_ERROR;
	if ((*r = db_query(c, "lifecycle lock", LIFECYCLE_LOCK_SQL, 1, &id, NULL,
	    NULL, err, errlen)) == NULL)
		return 0;
	if (PQntuples(*r) != 1) {
		snprintf(err, errlen, "no certificate %s", id);
		*st = LIFECYCLE_NOT_FOUND;
		return 0;
	}
	snprintf(res->from, sizeof(res->from), "%s", PQgetvalue(*r, 0,
	    LC_STATUS));
	snprintf(res->to, sizeof(res->to), "%s", res->from);
	if (lifecycle_in(rule->same, res->from)) {
		*st = LIFECYCLE_UNCHANGED;
		return 0;
	}
	if (lifecycle_in(rule->refuse, res->from)) {
		snprintf(err, errlen, "certificate %s is %s: %s%s", id, res->from,
		    rule->what, strcmp(res->from, "disabled") == 0 ?
		    " (enable it first)" : "");
		*st = LIFECYCLE_CONFLICT;
		return 0;
	}
	return 1;
}

/* The tenant's quotas (tenant_admit, what) for a change of certificate id
 * (row r): 1 when it fits or the certificate has no tenant, 0 with *st
 * QUOTA (err names the quota), or ERROR. */
static int
lifecycle_admit(PGconn *c, const PGresult *r, unsigned what,
    enum lifecycle_status *st, char *err, size_t errlen)
{
	const char *tenant = PQgetvalue(r, 0, LC_TENANT);
	int n;

	if (tenant[0] == '\0' || (n = tenant_admit(c, tenant, what, err,
	    errlen)) == 1)
		return 1;
	*st = n == 0 ? LIFECYCLE_QUOTA : LIFECYCLE_ERROR;
	return 0;
}

/* The current issued certificate of id leaves the edges (the primer's
 * plan takes it like a revoked one). Returns 0, or -1 with err. */
static int
lifecycle_withdraw(PGconn *c, const char *id, char *err, size_t errlen)
{
	return db_exec(c, "lifecycle withdraw", "UPDATE issued_certificates SET "
	    "withdrawn_at = now() WHERE id = (SELECT current_issued FROM "
	    "certificates WHERE id = $1) AND withdrawn_at IS NULL", 1, &id, NULL,
	    NULL, err, errlen) < 0 ? -1 : 0;
}

/* Records the change in certificate_changes. added/dropped, cas_before
 * and cas_after (a change of CAs): PostgreSQL array literals or NULL.
 * Returns 0, or -1 with err. */
static int
lifecycle_record_cas(PGconn *c, const char *id, const char *action,
    const struct lifecycle_result *res, const char *added,
    const char *dropped, const char *revoke_action, const char *cas_before,
    const char *cas_after, const char *client, char *err, size_t errlen)
{
	char cl[LIFECYCLE_CLIENT_MAX + 1], n[32];
	const char *v[12];

	snprintf(cl, sizeof(cl), "%s", client != NULL ? client : "");
	snprintf(n, sizeof(n), "%ld", res->cancelled);
	v[0] = id;
	v[1] = action;
	v[2] = res->from;
	v[3] = res->to;
	v[4] = added != NULL ? added : "{}";
	v[5] = dropped != NULL ? dropped : "{}";
	v[6] = res->order;
	v[7] = n;
	v[8] = revoke_action != NULL ? revoke_action : "";
	v[9] = cl;
	v[10] = cas_before;
	v[11] = cas_after;
	if (db_exec(c, "lifecycle record", "INSERT INTO certificate_changes "
	    "(certificate, action, from_status, to_status, names_added, "
	    "names_dropped, order_id, orders_cancelled, revoke_action, client, "
	    "cas_before, cas_after) VALUES ($1, $2, $3, $4, $5::text[], "
	    "$6::text[], nullif($7, ''), $8::integer, nullif($9, ''), "
	    "nullif($10, ''), $11::text[], $12::text[])", 12, v, NULL, NULL,
	    err, errlen) < 0)
		return -1;
	log_info("certificate %s: %s (%s -> %s%s%s, %ld order(s) cancelled%s%s)"
	    " by %s", id, action, res->from, res->to, res->order[0] != '\0' ?
	    ", order " : "", res->order, res->cancelled, v[8][0] != '\0' ?
	    ", revocation " : "", v[8], cl[0] != '\0' ? cl : "?");
	return 0;
}

/* Records the change in certificate_changes (no CA lists). */
static int
lifecycle_record(PGconn *c, const char *id, const char *action,
    const struct lifecycle_result *res, const char *added,
    const char *dropped, const char *revoke_action, const char *client,
    char *err, size_t errlen)
{
	return lifecycle_record_cas(c, id, action, res, added, dropped,
	    revoke_action, NULL, NULL, client, err, errlen);
}

/* Status of a change that stops a certificate (delete, disable): orders
 * cancelled, withdrawn, the row moved to status `to` by set_sql ($1: id),
 * recorded. */
static enum lifecycle_status
lifecycle_stop(PGconn *c, const char *id, const char *action, const char *to,
    const char *set_sql, const char *revoke_action, const char *client,
    struct lifecycle_result *res, char *err, size_t errlen)
{
	if ((res->cancelled = order_cancel_in_flight(c, id, err, errlen)) < 0 ||
	    lifecycle_withdraw(c, id, err, errlen) < 0 ||
	    db_exec(c, "lifecycle status", set_sql, 1, &id, NULL, NULL, err,
	    errlen) < 0)
		return LIFECYCLE_ERROR;
	snprintf(res->to, sizeof(res->to), "%s", to);
	if (lifecycle_record(c, id, action, res, NULL, NULL, revoke_action,
	    client, err, errlen) < 0)
		return LIFECYCLE_ERROR;
	return LIFECYCLE_DONE;
}

enum lifecycle_status
lifecycle_delete(PGconn *c, const char *id, const char *revoke_action,
    const char *client, struct lifecycle_result *res, char *err,
    size_t errlen)
{
	enum lifecycle_status st;
	PGresult *r = NULL;

	if (!lifecycle_open(c, id, &lifecycle_rule_delete, &r, res, &st, err,
	    errlen)) {
		if (st == LIFECYCLE_UNCHANGED && revoke_action != NULL &&
		    revoke_action[0] != '\0' &&
		    lifecycle_record(c, id, "delete", res, NULL, NULL,
		    revoke_action, client, err, errlen) < 0)
			st = LIFECYCLE_ERROR;
		goto out;
	}
	st = lifecycle_stop(c, id, "delete", "deleted", "UPDATE certificates "
	    "SET status = 'deleted', deleted_at = now(), renew_at = NULL, "
	    "updated_at = now() WHERE id = $1", revoke_action, client, res, err,
	    errlen);
out:
	PQclear(r);
	return st;
}

enum lifecycle_status
lifecycle_disable(PGconn *c, const char *id, const char *client,
    struct lifecycle_result *res, char *err, size_t errlen)
{
	enum lifecycle_status st;
	PGresult *r = NULL;

	if (!lifecycle_open(c, id, &lifecycle_rule_disable, &r, res, &st, err,
	    errlen))
		goto out;
	st = lifecycle_stop(c, id, "disable", "disabled", "UPDATE certificates "
	    "SET status = 'disabled', disabled_at = now(), renew_at = NULL, "
	    "updated_at = now() WHERE id = $1", NULL, client, res, err, errlen);
out:
	PQclear(r);
	return st;
}

/* A new order for certificate id (row r, as locked) for the names in
 * names_lit (a PostgreSQL array literal): a fresh key of its type sealed
 * and stored, its CSR, at its first CA. Order id to res->order. Returns 0,
 * or -1 with err (also when the CA has no account). */
static int
lifecycle_order(PGconn *c, const struct vault *v, const char *id,
    const PGresult *r, const char *names_lit, struct lifecycle_result *res,
    char *err, size_t errlen)
{
	struct enroll_request req = { 0 };
	struct enroll_material m = { 0 };
	struct order_new on = { 0 };
	char pkid[IDS_LEN + 1], trace[IDS_TRACE_LEN + 1];
	int rc = -1, n;

	if (keys_type_parse(PQgetvalue(r, 0, LC_KEYTYPE), &req.key_type) < 0 ||
	    (req.names = db_array_parse(names_lit, &req.nnames)) == NULL ||
	    req.nnames == 0) {
		snprintf(err, errlen, "lifecycle: certificate %s has a bad key "
		    "type or hostname set", id);
		goto out;
	}
	if (ids_new(pkid) < 0 || ids_trace(trace) < 0) {
		snprintf(err, errlen, "lifecycle: no random ids");
		goto out;
	}
	if (enroll_material(v, &req, pkid, &m, err, errlen) < 0 ||
	    enroll_store_key(c, pkid, id, req.key_type, &m, err, errlen) < 0)
		goto out;
	on.certificate_id = id;
	on.private_key_id = pkid;
	on.csr = m.csr;
	on.csrlen = m.csrlen;
	on.ca = PQgetvalue(r, 0, LC_CA);
	on.trace_id = trace;
	on.challenge = PQgetvalue(r, 0, LC_CHALLENGE);
	on.profile = PQgetvalue(r, 0, LC_PROFILE);
	on.preferred_chain = PQgetvalue(r, 0, LC_CHAIN);
	if ((n = order_create(c, &on, res->order, err, errlen)) == 0)
		snprintf(err, errlen, "CA %s of certificate %s has no account",
		    on.ca, id);
	if (n == 1)
		rc = 0;
out:
	enroll_material_free(&m);
	db_array_free(req.names, req.nnames);
	return rc;
}

/* Enabling a certificate with a current issued certificate: issued again,
 * renewed on schedule, primed again. Returns 0, or -1 with err. */
static int
lifecycle_reissue(PGconn *c, const char *id, char *err, size_t errlen)
{
	if (db_exec(c, "lifecycle enable issued", "UPDATE certificates c SET "
	    "status = 'issued', disabled_at = NULL, renew_at = greatest(now(), "
	    "coalesce(ic.ari_window_start, ic.not_before + (ic.not_after - "
	    "ic.not_before) * 2 / 3)), updated_at = now() FROM "
	    "issued_certificates ic WHERE c.id = $1 AND ic.id = "
	    "c.current_issued", 1, &id, NULL, NULL, err, errlen) < 0)
		return -1;
	return db_exec(c, "lifecycle enable prime", "UPDATE issued_certificates "
	    "SET withdrawn_at = NULL, primed_at = NULL, unprimed_at = NULL WHERE "
	    "id = (SELECT current_issued FROM certificates WHERE id = $1) AND "
	    "revoked_at IS NULL", 1, &id, NULL, NULL, err, errlen) < 0 ? -1 : 0;
}

enum lifecycle_status
lifecycle_enable(PGconn *c, const struct vault *v, const char *id,
    const char *client, struct lifecycle_result *res, char *err,
    size_t errlen)
{
	enum lifecycle_status st;
	PGresult *r = NULL;
	int issued;

	if (!lifecycle_open(c, id, &lifecycle_rule_enable, &r, res, &st, err,
	    errlen))
		goto out;
	st = LIFECYCLE_ERROR;
	issued = strcmp(PQgetvalue(r, 0, LC_ISSUED), "t") == 0;
	/* live again; a new order too when it has nothing issued to serve */
	if (!lifecycle_admit(c, r, TENANT_ADMIT_LIVE | (issued ? 0 :
	    TENANT_ADMIT_ORDER), &st, err, errlen))
		goto out;
	if (issued) {
		if (lifecycle_reissue(c, id, err, errlen) < 0)
			goto out;
		snprintf(res->to, sizeof(res->to), "issued");
	} else {
		if (lifecycle_order(c, v, id, r, PQgetvalue(r, 0, LC_NAMES), res,
		    err, errlen) < 0 ||
		    db_exec(c, "lifecycle enable pending", "UPDATE certificates SET "
		    "status = 'pending', disabled_at = NULL, last_problem_type = "
		    "NULL, last_problem_detail = NULL, updated_at = now() WHERE id "
		    "= $1", 1, &id, NULL, NULL, err, errlen) < 0)
			goto out;
		snprintf(res->to, sizeof(res->to), "pending");
	}
	if (lifecycle_record(c, id, "enable", res, NULL, NULL, NULL, client, err,
	    errlen) < 0)
		goto out;
	st = LIFECYCLE_DONE;
out:
	PQclear(r);
	return st;
}

void
lifecycle_names_free(struct lifecycle_names *ln)
{
	size_t i;

	for (i = 0; i < ln->nadd; i++)
		free(ln->add[i]);
	for (i = 0; i < ln->ndrop; i++)
		free(ln->drop[i]);
	free(ln->add);
	free(ln->drop);
	memset(ln, 0, sizeof(*ln));
}

/* Field `field` of the body (NULL: absent) into out[0..*n), normalized.
 * Returns 0, or -1 with a message for the client. */
static int
lifecycle_names_list(const json_t *a, const char *field, char ***out,
    size_t *n, char *err, size_t errlen)
{
	char norm[HOSTNAME_MAX + 1], why[160];
	const char *s;
	size_t i;

	*out = NULL;
	*n = 0;
	if (a == NULL)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > LIFECYCLE_NAMES_MAX) {
		snprintf(err, errlen, "%s must be an array of at most %d names",
		    field, LIFECYCLE_NAMES_MAX);
		return -1;
	}
	if ((*out = calloc(json_array_size(a) + 1, sizeof(**out))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < json_array_size(a); i++) {
		if ((s = json_string_value(json_array_get(a, i))) == NULL) {
			snprintf(err, errlen, "%s[%zu] is not a string", field, i);
			return -1;
		}
		if (hostname_normalize(s, norm, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s[%zu] is not a hostname: %s", field,
			    i, why);
			return -1;
		}
		if (((*out)[i] = strdup(norm)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		(*n)++;
	}
	return 0;
}

static int
lifecycle_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* 0 when no name is in add and drop together or twice in either, else -1
 * with a message naming it. */
static int
lifecycle_names_unique(const struct lifecycle_names *ln, char *err,
    size_t errlen)
{
	size_t n = ln->nadd + ln->ndrop, i;
	char **all;
	int rc = 0;

	if ((all = calloc(n + 1, sizeof(*all))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (ln->nadd > 0)
		memcpy(all, ln->add, ln->nadd * sizeof(*all));
	if (ln->ndrop > 0)
		memcpy(all + ln->nadd, ln->drop, ln->ndrop * sizeof(*all));
	qsort(all, n, sizeof(*all), lifecycle_cmp);
	for (i = 1; i < n && rc == 0; i++)
		if (strcmp(all[i - 1], all[i]) == 0) {
			snprintf(err, errlen, "%s is named twice in the change",
			    all[i]);
			rc = -1;
		}
	free(all);
	return rc;
}

int
lifecycle_names_parse(const char *body, size_t len,
    struct lifecycle_names *ln, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root;
	const char *k;
	json_t *val;
	int rc = -1;

	memset(ln, 0, sizeof(*ln));
	if ((root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je)) == NULL ||
	    !json_is_object(root)) {
		snprintf(err, errlen, "the body must be a JSON object {\"add\": "
		    "[names], \"drop\": [names]}");
		goto out;
	}
	json_object_foreach(root, k, val) {
		if (strcmp(k, "add") != 0 && strcmp(k, "drop") != 0) {
			snprintf(err, errlen, "unknown field %.64s (add, drop)", k);
			goto out;
		}
	}
	if (lifecycle_names_list(json_object_get(root, "add"), "add", &ln->add,
	    &ln->nadd, err, errlen) < 0 ||
	    lifecycle_names_list(json_object_get(root, "drop"), "drop",
	    &ln->drop, &ln->ndrop, err, errlen) < 0)
		goto out;
	if (ln->nadd + ln->ndrop == 0) {
		snprintf(err, errlen, "nothing to change: add or drop at least one "
		    "name");
		goto out;
	}
	rc = lifecycle_names_unique(ln, err, errlen);
out:
	json_decref(root);
	if (rc < 0)
		lifecycle_names_free(ln);
	return rc;
}

/* 1 when name is one of names[0..n). */
static int
lifecycle_has(char *const *names, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

/* The new name set: cur[0..ncur) plus ln->add minus ln->drop, sorted, into
 * req->names (owned). Returns 0, or -1 with a message for the client in
 * err (*bad set) or for the log. */
static int
lifecycle_names_set(char *const *cur, size_t ncur,
    const struct lifecycle_names *ln, int dns01, struct enroll_request *req,
    int *bad, char *err, size_t errlen)
{
	size_t i;

	*bad = 1;
	for (i = 0; i < ln->nadd; i++) {
		if (lifecycle_has(cur, ncur, ln->add[i])) {
			snprintf(err, errlen, "%s is in the name set already",
			    ln->add[i]);
			return -1;
		}
		if (hostname_is_wildcard(ln->add[i]) && !dns01) {
			snprintf(err, errlen, "%s: a wildcard needs dns-01, and this "
			    "certificate uses http-01", ln->add[i]);
			return -1;
		}
	}
	for (i = 0; i < ln->ndrop; i++)
		if (!lifecycle_has(cur, ncur, ln->drop[i])) {
			snprintf(err, errlen, "%s is not in the name set", ln->drop[i]);
			return -1;
		}
	if (ncur + ln->nadd - ln->ndrop == 0) {
		snprintf(err, errlen, "a certificate keeps at least one name: "
		    "delete it instead");
		return -1;
	}
	if (ncur + ln->nadd - ln->ndrop > ENROLL_MAX_NAMES) {
		snprintf(err, errlen, "a certificate has at most %d names",
		    ENROLL_MAX_NAMES);
		return -1;
	}
	*bad = 0;
	if ((req->names = calloc(ncur + ln->nadd + 1, sizeof(char *))) == NULL)
		goto oom;
	for (i = 0; i < ncur; i++)
		if (!lifecycle_has(ln->drop, ln->ndrop, cur[i]) &&
		    (req->names[req->nnames++] = strdup(cur[i])) == NULL)
			goto oom;
	for (i = 0; i < ln->nadd; i++)
		if ((req->names[req->nnames++] = strdup(ln->add[i])) == NULL)
			goto oom;
	req->nnames = hostname_set_unique(req->names, req->nnames);
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* The certificate moves to hostname set setid with the new order: orders
 * in flight cancelled, status issued (it still serves its current one) or
 * pending. Returns 0, or -1 with err. */
static int
lifecycle_rename(PGconn *c, const struct vault *v, const char *id,
    const PGresult *r, const char *setid, const char *names_lit,
    struct lifecycle_result *res, char *err, size_t errlen)
{
	if ((res->cancelled = order_cancel_in_flight(c, id, err, errlen)) < 0 ||
	    db_exec(c, "lifecycle rename", "UPDATE certificates SET hostname_set "
	    "= $2::bigint, status = CASE WHEN current_issued IS NOT NULL THEN "
	    "'issued' ELSE 'pending' END, last_problem_type = NULL, "
	    "last_problem_detail = NULL, updated_at = now() WHERE id = $1", 2,
	    (const char *[]){ id, setid }, NULL, NULL, err, errlen) < 0 ||
	    lifecycle_order(c, v, id, r, names_lit, res, err, errlen) < 0)
		return -1;
	snprintf(res->to, sizeof(res->to), "%s", strcmp(PQgetvalue(r, 0,
	    LC_ISSUED), "t") == 0 ? "issued" : "pending");
	return 0;
}

enum lifecycle_status
lifecycle_names(PGconn *c, const struct vault *v, const char *id,
    const struct lifecycle_names *ln, const char *client,
    struct lifecycle_result *res, char *err, size_t errlen)
{
	enum lifecycle_status st = LIFECYCLE_ERROR;
	struct enroll_request req = { 0 };
	PGresult *r = NULL;
	char **cur = NULL, *lit = NULL, *added = NULL, *dropped = NULL;
	char setid[32];
	size_t ncur = 0;
	int bad;

	if (!lifecycle_open(c, id, &lifecycle_rule_names, &r, res, &st, err,
	    errlen))
		goto out;
	st = LIFECYCLE_ERROR;
	if ((cur = db_array_parse(PQgetvalue(r, 0, LC_NAMES), &ncur)) == NULL) {
		snprintf(err, errlen, "lifecycle: bad hostname set of %s", id);
		goto out;
	}
	if (lifecycle_names_set(cur, ncur, ln, strcmp(PQgetvalue(r, 0,
	    LC_CHALLENGE), "dns-01") == 0, &req, &bad, err, errlen) < 0) {
		st = bad ? LIFECYCLE_BAD : LIFECYCLE_ERROR;
		goto out;
	}
	/* the replacement is a new order of the tenant's (still one live) */
	if (!lifecycle_admit(c, r, TENANT_ADMIT_ORDER, &st, err, errlen))
		goto out;
	st = LIFECYCLE_ERROR;
	if ((lit = db_array_literal(req.names, req.nnames)) == NULL ||
	    (added = db_array_literal(ln->add, ln->nadd)) == NULL ||
	    (dropped = db_array_literal(ln->drop, ln->ndrop)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (enroll_hostname_set(c, &req, setid, err, errlen) < 0 ||
	    lifecycle_rename(c, v, id, r, setid, lit, res, err, errlen) < 0 ||
	    lifecycle_record(c, id, "names", res, added, dropped, NULL, client,
	    err, errlen) < 0)
		goto out;
	st = LIFECYCLE_DONE;
out:
	free(lit);
	free(added);
	free(dropped);
	db_array_free(cur, ncur);
	db_array_free(req.names, req.nnames);
	PQclear(r);
	return st;
}

/*
 * What a change of CAs needs of certificate $1 (locked), the new list $2:
 * its CA list before (a literal), whether it is $2 already, the CA that
 * issued its current certificate ("" when imported or none), whether that
 * one was imported, whether an order in flight is at a CA not in $2,
 * whether any order is in flight, its last order's key, CSR, trace,
 * priority, replaces and CA (NULL without orders), its first CA before,
 * whether its renewal is due already, and whether its last renewal was
 * refused for good (renewal_failures, results_order.c).
 */
#define LIFECYCLE_CA_SQL "SELECT (ARRAY[c.ca] || c.fallback)::text, " \
	"ARRAY[c.ca] || c.fallback = $2::text[], coalesce(io.ca, ''), " \
	"ic.id IS NOT NULL AND ic.order_id IS NULL, EXISTS (SELECT 1 FROM " \
	"orders f WHERE f.certificate = c.id AND f.status IN ('pending', " \
	"'sent', 'processing', 'deferred') AND f.ca <> ALL ($2::text[])), " \
	"EXISTS (SELECT 1 FROM orders f WHERE f.certificate = c.id AND " \
	"f.status IN ('pending', 'sent', 'processing', 'deferred')), " \
	"lo.private_key, lo.csr_der, lo.trace_id, lo.priority, " \
	"coalesce(lo.replaces, ''), lo.ca, c.ca, coalesce(c.renew_at <= now(), " \
	"false), c.renewal_failures > 0 FROM certificates c LEFT JOIN " \
	"issued_certificates ic ON ic.id = c.current_issued LEFT JOIN orders " \
	"io ON io.id = ic.order_id LEFT JOIN LATERAL (SELECT private_key, " \
	"csr_der, trace_id, priority, replaces, ca FROM orders WHERE " \
	"certificate = c.id ORDER BY created_at DESC LIMIT 1) lo ON true " \
	"WHERE c.id = $1"
enum { CA_BEFORE, CA_SAME, CA_ISSUER, CA_IMPORTED, CA_AWAY, CA_IN_FLIGHT,
	CA_KEY, CA_CSR, CA_TRACE, CA_PRIORITY, CA_REPLACES, CA_LAST_CA,
	CA_FIRST, CA_DUE, CA_REFUSED };

/* The certificate's new CAs: the row's ca and fallback, its status
 * pending again when it gets an order (a failed one), its problem cleared
 * then, renew_at now when renew, the refusals of the CA left counted no
 * more when refused. And an imported current certificate whose CA is no
 * longer the first loses its ARI CertID: it would name that certificate to
 * another CA. Returns 0, or -1 with err. */
static int
lifecycle_ca_set(PGconn *c, const char *id, const char *const *cas,
    size_t ncas, const PGresult *q, int reorder, int renew, int refused,
    char *err, size_t errlen)
{
	char *fb;
	int rc;

	if ((fb = db_array_literal((char *const *)cas + 1, ncas - 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = db_exec(c, "lifecycle ca", "UPDATE certificates SET ca = $2, "
	    "fallback = $3::text[], status = CASE WHEN $4 AND status = "
	    "'failed' THEN 'pending' ELSE status END, last_problem_type = CASE "
	    "WHEN $4 THEN NULL ELSE last_problem_type END, last_problem_detail "
	    "= CASE WHEN $4 THEN NULL ELSE last_problem_detail END, renew_at = "
	    "CASE WHEN $5 THEN now() ELSE renew_at END, renewal_failures = CASE "
	    "WHEN $6 THEN 0 ELSE renewal_failures END, updated_at = now() "
	    "WHERE id = $1", 6, (const char *[]){ id, cas[0], fb, reorder ?
	    "true" : "false", renew ? "true" : "false", refused ? "true" :
	    "false" }, NULL, NULL, err, errlen);
	free(fb);
	if (rc < 0 || strcmp(PQgetvalue(q, 0, CA_IMPORTED), "t") != 0 ||
	    strcmp(PQgetvalue(q, 0, CA_FIRST), cas[0]) == 0)
		return rc < 0 ? -1 : 0;
	return db_exec(c, "lifecycle ca imported", "UPDATE issued_certificates "
	    "SET ari_cert_id = NULL, ari_next_at = NULL, ari_check_job = NULL "
	    "WHERE id = (SELECT current_issued FROM certificates WHERE id = $1)",
	    1, &id, NULL, NULL, err, errlen) < 0 ? -1 : 0;
}

/* The orders in flight of certificate id (row r as locked, q as
 * LIFECYCLE_CA_SQL read it) cancelled, and a new order at cas[0] from the
 * key and CSR of its last order (as a fallback or a retry makes one).
 * Returns 0, 1 when cas[0] has no account (err says so), or -1 with err. */
static int
lifecycle_ca_order(PGconn *c, const char *id, const PGresult *r,
    const PGresult *q, const char *ca, struct lifecycle_result *res,
    char *err, size_t errlen)
{
	struct order_new on = { 0 };
	unsigned char *csr;
	int n;

	if ((csr = db_bytea(q, 0, CA_CSR, &on.csrlen)) == NULL) {
		snprintf(err, errlen, "lifecycle: certificate %s: bad CSR", id);
		return -1;
	}
	on.certificate_id = id;
	on.private_key_id = PQgetvalue(q, 0, CA_KEY);
	on.csr = csr;
	on.ca = ca;
	on.trace_id = PQgetvalue(q, 0, CA_TRACE);
	on.challenge = PQgetvalue(r, 0, LC_CHALLENGE);
	on.profile = PQgetvalue(r, 0, LC_PROFILE);
	on.preferred_chain = PQgetvalue(r, 0, LC_CHAIN);
	on.priority = atoi(PQgetvalue(q, 0, CA_PRIORITY));
	/* an ARI CertID names a certificate to the CA that issued it only */
	on.replaces = strcmp(PQgetvalue(q, 0, CA_LAST_CA), ca) == 0 ?
	    PQgetvalue(q, 0, CA_REPLACES) : "";
	if ((res->cancelled = order_cancel_in_flight(c, id, err, errlen)) < 0 ||
	    (n = order_create(c, &on, res->order, err, errlen)) < 0) {
		free(csr);
		return -1;
	}
	free(csr);
	if (n == 0) {
		snprintf(err, errlen, "CA %s has no ACME account yet: nothing was "
		    "changed (its coordinator registers one when it starts with "
		    "the CA configured)", ca);
		return 1;
	}
	return 0;
}

enum lifecycle_status
lifecycle_ca(PGconn *c, const char *id, const char *const *cas, size_t ncas,
    int now, const char *client, struct lifecycle_result *res, char *err,
    size_t errlen)
{
	enum lifecycle_status st;
	PGresult *r = NULL, *q = NULL;
	char *lit = NULL;
	int reorder, renew, refused, pending, failed, n;

	if (!lifecycle_open(c, id, &lifecycle_rule_ca, &r, res, &st, err,
	    errlen))
		goto out;
	st = LIFECYCLE_ERROR;
	if ((lit = db_array_literal((char *const *)cas, ncas)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if ((q = db_query(c, "lifecycle ca read", LIFECYCLE_CA_SQL, 2,
	    (const char *[]){ id, lit }, NULL, NULL, err, errlen)) == NULL)
		goto out;
	pending = strcmp(res->from, "pending") == 0;
	failed = strcmp(res->from, "failed") == 0;
	/* A new order at the new first CA when an order in flight is at a CA
	 * left out, or the certificate has none to wait for (failed, or
	 * pending with none), from its last order's key and CSR. */
	reorder = !PQgetisnull(q, 0, CA_KEY) && (strcmp(PQgetvalue(q, 0,
	    CA_AWAY), "t") == 0 || failed || (pending && strcmp(PQgetvalue(q,
	    0, CA_IN_FLIGHT), "f") == 0));
	/* An issued certificate whose last renewal the first CA refused for
	 * good (waiting out CERTFLEET_RENEW_BACKOFF, or stopped once expired)
	 * moved to another first CA: those refusals were that CA's, and its
	 * renewal, overdue, is due at the new one at once, now or not. */
	refused = strcmp(res->from, "issued") == 0 &&
	    strcmp(PQgetvalue(q, 0, CA_REFUSED), "t") == 0 &&
	    strcmp(PQgetvalue(q, 0, CA_FIRST), cas[0]) != 0;
	/* now: an issued certificate from a CA left out (or imported) is
	 * renewed at once, unless an order of it is in flight or its renewal
	 * is due already */
	renew = (refused || (now && !lifecycle_has((char *const *)cas, ncas,
	    PQgetvalue(q, 0, CA_ISSUER)))) && !reorder &&
	    strcmp(res->from, "issued") == 0 &&
	    strcmp(PQgetvalue(q, 0, CA_IN_FLIGHT), "f") == 0 &&
	    strcmp(PQgetvalue(q, 0, CA_DUE), "f") == 0;
	if (strcmp(PQgetvalue(q, 0, CA_SAME), "t") == 0 && !reorder && !renew) {
		st = LIFECYCLE_UNCHANGED;
		goto out;
	}
	if (lifecycle_ca_set(c, id, cas, ncas, q, reorder, renew, refused, err,
	    errlen) < 0)
		goto out;
	if (reorder && (n = lifecycle_ca_order(c, id, r, q, cas[0], res, err,
	    errlen)) != 0) {
		st = n > 0 ? LIFECYCLE_CONFLICT : LIFECYCLE_ERROR;
		goto out;
	}
	if (failed && reorder)
		snprintf(res->to, sizeof(res->to), "pending");
	res->renewal_due = renew;
	if (lifecycle_record_cas(c, id, "ca", res, NULL, NULL, NULL,
	    PQgetvalue(q, 0, CA_BEFORE), lit, client, err, errlen) < 0)
		goto out;
	st = LIFECYCLE_DONE;
out:
	free(lit);
	PQclear(q);
	PQclear(r);
	return st;
}
