/* api_ondemand.c -- on-demand issuance in the API, for edges: their asks (POST /edge/v1/on-demand) and peter_sslers' autocert. */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "api_int.h"
#include "clock.h"
#include "db.h"
#include "edgeask.h"
#include "log.h"
#include "netlist.h"
#include "odqueue.h"
#include "odstats.h"

#define API_OD_POLL_MS 100	/* autocert's wait looks this often */

/* 1 when the request carries "Bearer <CERTFLEET_EDGE_TOKEN>" (compared as
 * SHA-256 digests, in constant time). */
static int
api_od_token(struct api *a, struct MHD_Connection *conn)
{
	unsigned char want[SHA256_DIGEST_LENGTH], got[SHA256_DIGEST_LENGTH];
	const char *h, *tok = a->s->od.edge_token;

	h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	if (tok == NULL || h == NULL || strncmp(h, "Bearer ", 7) != 0)
		return 0;
	SHA256((const unsigned char *)tok, strlen(tok), want);
	SHA256((const unsigned char *)h + 7, strlen(h + 7), got);
	return CRYPTO_memcmp(got, want, sizeof(got)) == 0;
}

/* The gate of /edge/v1: every one of networks and token that is set. */
static int
api_od_edge(struct api *a, struct MHD_Connection *conn, enum MHD_Result *ret)
{
	char client[INET6_ADDRSTRLEN + 1];
	const struct sockaddr *sa = api_edge_client(conn, client,
	    sizeof(client));

	if (a->s->edge_networks.n == 0 && a->s->od.edge_token == NULL) {
		*ret = api_error(conn, MHD_HTTP_FORBIDDEN, "edge endpoints are "
		    "off: set CERTFLEET_EDGE_NETWORKS or CERTFLEET_EDGE_TOKEN");
		return 0;
	}
	if (a->s->edge_networks.n > 0 && !netlist_contains(&a->s->edge_networks,
	    sa)) {
		log_warn("api: on-demand ask refused to %s: not in "
		    "CERTFLEET_EDGE_NETWORKS", client);
		*ret = api_error(conn, MHD_HTTP_FORBIDDEN, "%s is not in "
		    "CERTFLEET_EDGE_NETWORKS", client);
		return 0;
	}
	if (a->s->od.edge_token != NULL && !api_od_token(a, conn)) {
		*ret = api_error(conn, MHD_HTTP_UNAUTHORIZED, "missing or wrong "
		    "bearer token (CERTFLEET_EDGE_TOKEN)");
		return 0;
	}
	return 1;
}

/* POST /edge/v1/on-demand: names one per line. */
static enum MHD_Result
api_od_ask(struct api *a, struct MHD_Connection *conn, struct api_req *req)
{
	struct edgeask ask;
	enum edgeask_status st;
	int refused[EDGEASK_MAX_NAMES];
	char err[512];
	long waiting;
	size_t i, k = 0;

	if (req->toobig)
		return api_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, "the body is "
		    "over %d bytes", API_MAX_BODY);
	if ((st = edgeask_lines(req->body != NULL ? req->body : "", req->len,
	    &ask)) == EDGEASK_TOO_MANY)
		return api_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, "at most %d "
		    "names per ask", EDGEASK_MAX_NAMES);
	if (st != EDGEASK_OK)
		return api_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of "
		    "memory");
	odstats_add(ODSTATS_ASKED, ask.n);
	odstats_add(ODSTATS_INVALID, ask.invalid);
	if (api_db(a, err, sizeof(err)) < 0 || (waiting = odqueue_ask(a->db,
	    ask.names, ask.n, "edge", refused, err, sizeof(err))) < 0) {
		edgeask_free(&ask);
		return api_unavailable(conn, err);
	}
	for (i = 0; i < ask.n; i++)
		k += (size_t)refused[i];
	odstats_add(ODSTATS_DENIED_CACHE, k);
	edgeask_free(&ask);
	return api_json(conn, MHD_HTTP_ACCEPTED, json_pack("{s:I, s:I, s:I, "
	    "s:I}", "names", (json_int_t)ask.n, "waiting", (json_int_t)waiting,
	    "refused", (json_int_t)k, "invalid", (json_int_t)ask.invalid));
}

enum MHD_Result
api_route_edgeask(struct api *a, struct MHD_Connection *conn,
    const char *path, const char *method, struct api_req *req)
{
	enum MHD_Result ret;

	if (!api_od_edge(a, conn, &ret))
		return ret;
	if (strcmp(path, "on-demand") != 0)
		return api_error(conn, MHD_HTTP_NOT_FOUND, "no such path");
	if (strcmp(method, "POST") != 0)
		return api_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "%s is not allowed here (POST)", method);
	return api_od_ask(a, conn, req);
}

/* peter_sslers' 404: {"message", "code", "title"}. */
static enum MHD_Result
api_od_404(struct MHD_Connection *conn, const char *name, const char *what)
{
	char msg[ODQUEUE_REASON_MAX + HOSTNAME_MAX + 80];

	snprintf(msg, sizeof(msg), "%s: %s", name, what);
	return api_json(conn, MHD_HTTP_NOT_FOUND, json_pack("{s:s, s:s, s:s}",
	    "message", msg, "code", "404 Not Found", "title", "Not Found"));
}

/* The 404 for an ask in status st (odqueue_status), reason why. */
static enum MHD_Result
api_od_pending(struct MHD_Connection *conn, const char *name, const char *st,
    const char *why)
{
	char what[ODQUEUE_REASON_MAX + 80];

	if (strcmp(st, "denied") == 0)
		snprintf(what, sizeof(what), "on-demand issuance refused: %s", why);
	else if (strcmp(st, "queued") == 0)
		snprintf(what, sizeof(what), "no certificate yet: on-demand "
		    "issuance allowed, waiting for room under the rate limits");
	else if (strcmp(st, "enrolled") == 0)
		snprintf(what, sizeof(what), "no certificate yet: it is being "
		    "issued on demand; ask again in a few seconds");
	else
		snprintf(what, sizeof(what), "no certificate yet: on-demand "
		    "issuance is being decided; ask again in a few seconds");
	return api_od_404(conn, name, what);
}

/* Holds the request while name's ask is being decided or its certificate
 * issued, at most CERTFLEET_ON_DEMAND_AUTOCERT_WAIT_MS: answers the
 * certificate as soon as one is live, else the 404 of where the ask is (a
 * refusal, or a name waiting for room under the limits, ends the wait). */
static enum MHD_Result
api_od_wait(struct api *a, struct MHD_Connection *conn, const char *name,
    const char *client)
{
	uint64_t deadline = clock_mono_ms() + (uint64_t)a->s->od.autocert_wait_ms;
	char st[16] = "asked", why[ODQUEUE_REASON_MAX] = "", err[512];
	enum MHD_Result ret;

	for (;;) {
		if (odqueue_status(a->db, name, st, why, err, sizeof(err)) < 0)
			return api_unavailable(conn, err);
		if ((strcmp(st, "enrolled") == 0 || strcmp(st, "done") == 0) &&
		    api_edge_serve(a, conn, name, client, 0, &ret) != 0)
			return ret;
		if ((strcmp(st, "asked") != 0 && strcmp(st, "enrolled") != 0) ||
		    clock_mono_ms() >= deadline)
			break;
		poll(NULL, 0, API_OD_POLL_MS);
	}
	return api_od_pending(conn, name, st, why);
}

enum MHD_Result
api_autocert(struct api *a, struct MHD_Connection *conn, const char *method,
    struct api_req *req)
{
	char client[INET6_ADDRSTRLEN + 1], name[HOSTNAME_MAX + 1], err[512];
	char st[16], why[ODQUEUE_REASON_MAX];
	char *names[1] = { name };
	enum MHD_Result ret;
	int refused;

	if (!api_edge_admit(a, conn, "autocert", client, sizeof(client), &ret))
		return ret;
	if (strcmp(method, "POST") != 0)
		return api_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "%s is not allowed here (POST)", method);
	if (req->toobig)
		return api_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, "the body is "
		    "over %d bytes", API_MAX_BODY);
	if (edgeask_form(req->body != NULL ? req->body : "", req->len, name,
	    err, sizeof(err)) < 0)
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "%s", err);
	odstats_add(ODSTATS_ASKED, 1);
	if (api_db(a, err, sizeof(err)) < 0)
		return api_unavailable(conn, err);
	if (api_edge_serve(a, conn, name, client, 0, &ret) != 0)
		return ret;
	if (odqueue_ask(a->db, names, 1, "peter_sslers", &refused, err,
	    sizeof(err)) < 0)
		return api_unavailable(conn, err);
	if (refused) {
		odstats_add(ODSTATS_DENIED_CACHE, 1);
		if (odqueue_status(a->db, name, st, why, err, sizeof(err)) < 0)
			return api_unavailable(conn, err);
		return api_od_pending(conn, name, "denied", why);
	}
	return api_od_wait(a, conn, name, client);
}
