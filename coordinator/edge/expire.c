/* expire.c -- the expire thread: changes read from edge_expiries, GETs on each peter_sslers edge's expire route (libcurl multi, bounded timeouts), retried with backoff. */
#include "expire.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>

#include "clock.h"
#include "db.h"
#include "hostname.h"
#include "log.h"

#define EXPIRE_APPNAME "certfleet-coordinator-expire"
#define EXPIRE_POLL_MS 200	/* the thread looks at its stop flag this often */

struct expire_edge;

/* One GET in flight; on the list e->reqs. */
struct expire_req {
	struct expire_req	*prev, *next;
	struct expire_edge	*edge;
	CURL			*h;
	const char		*name;	/* NULL in all mode; edge->names owns it */
	char			 url[EXPIRE_URL_MAX + 512];
	char			 body[EXPIRE_MAX_BODY + 1];
	size_t			 len;
	int			 toobig;
};

struct expire_edge {
	char		 base[EXPIRE_URL_MAX];	/* as configured, no final '/' */
	char		 id[EXPIRE_URL_MAX];	/* base without user:password */
	uint64_t	 due;		/* nothing starts before (mono ms) */
	int		 failures;	/* rounds failed in a row */
	/* the round in flight */
	int		 busy;
	size_t		 pending;	/* requests not answered yet */
	int		 failed;
	char		 why[256];	/* the first failure */
	char		**changes;	/* edge_expiries ids, text */
	size_t		 nchanges;
	char		**names;	/* distinct names (domain mode) */
	size_t		 nnames;
	size_t		 refused;	/* names the edge refused (404) */
};

struct expire {
	const struct settings	*s;
	pthread_t		 th;
	atomic_int		 stop;
	PGconn			*db;	/* this thread's own */
	CURLM			*multi;
	struct expire_req	*reqs;
	struct expire_edge	 edge[EXPIRE_MAX_EDGES];
	size_t			 nedges;
	char			*edge_ids;	/* text[] literal of the ids */
};

/* Copies u's URL (without user and password when bare) into out, without
 * the final '/'; 0 or -1. */
static int
expire_url_copy(CURLU *u, int bare, char *out, size_t outlen)
{
	char *s = NULL;
	size_t n;
	int rc = -1;

	if ((bare && (curl_url_set(u, CURLUPART_USER, NULL, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) != CURLUE_OK)) ||
	    curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK)
		return -1;
	n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		n--;
	if (n < outlen) {
		memcpy(out, s, n);
		out[n] = '\0';
		rc = 0;
	}
	curl_free(s);
	return rc;
}

/* One edge URL, text[0..len): http(s)://[user:password@]host[:port][/path],
 * no query or fragment. 0, or -1 (the caller names the item: the URL may
 * hold a password). */
static int
expire_edge_parse(struct expire_edge *ed, const char *text, size_t len)
{
	char buf[EXPIRE_URL_MAX], *scheme = NULL, *host = NULL;
	CURLU *u;
	int rc = -1;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (strpbrk(buf, "?# \t") != NULL || (u = curl_url()) == NULL)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, buf, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0) &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    host[0] != '\0' &&
	    expire_url_copy(u, 0, ed->base, sizeof(ed->base)) == 0 &&
	    expire_url_copy(u, 1, ed->id, sizeof(ed->id)) == 0)
		rc = 0;
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

/* Parses the comma-separated list into e->edge; 0 or -1 with err. */
static int
expire_edges(struct expire *e, const char *list, char *err, size_t errlen)
{
	const char *p = list;
	char *ids[EXPIRE_MAX_EDGES];
	size_t len, i;

	while (list != NULL && *p != '\0') {
		p += strspn(p, " ");
		len = strcspn(p, ",");
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (e->nedges == EXPIRE_MAX_EDGES) {
			snprintf(err, errlen, "CERTFLEET_PETER_SSLERS_EDGES: more "
			    "than %d edges", EXPIRE_MAX_EDGES);
			return -1;
		}
		if (expire_edge_parse(&e->edge[e->nedges], p, len) < 0) {
			snprintf(err, errlen, "CERTFLEET_PETER_SSLERS_EDGES: item "
			    "%zu is not http(s)://[user:password@]host[:port]"
			    "[/path] (at most %d bytes)", e->nedges + 1,
			    EXPIRE_URL_MAX - 1);
			return -1;
		}
		e->nedges++;
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	for (i = 0; i < e->nedges; i++)
		ids[i] = e->edge[i].id;
	if ((e->edge_ids = db_array_literal(ids, e->nedges)) == NULL) {
		snprintf(err, errlen, "expire: out of memory");
		return -1;
	}
	return 0;
}

static size_t
expire_write(char *data, size_t size, size_t n, void *arg)
{
	struct expire_req *rq = arg;
	size_t len = size * n;

	if (rq->len + len > EXPIRE_MAX_BODY) {
		rq->toobig = 1;
		return 0;	/* aborts the transfer */
	}
	memcpy(rq->body + rq->len, data, len);
	rq->len += len;
	rq->body[rq->len] = '\0';
	return len;
}

/* Queues GET <base><path>/domain/<name> (or /all when name is NULL). */
static int
expire_add(struct expire *e, struct expire_edge *ed, const char *name)
{
	struct expire_req *rq;

	if ((rq = calloc(1, sizeof(*rq))) == NULL ||
	    (rq->h = curl_easy_init()) == NULL) {
		free(rq);
		return -1;
	}
	rq->edge = ed;
	rq->name = name;
	snprintf(rq->url, sizeof(rq->url), "%s%s/%s%s", ed->base,
	    e->s->ps_expire_path, name != NULL ? "domain/" : "all",
	    name != NULL ? name : "");
	curl_easy_setopt(rq->h, CURLOPT_URL, rq->url);
	curl_easy_setopt(rq->h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(rq->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(rq->h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(rq->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(rq->h, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)EXPIRE_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(rq->h, CURLOPT_TIMEOUT_MS, (long)EXPIRE_TIMEOUT_MS);
	curl_easy_setopt(rq->h, CURLOPT_USERAGENT, "certfleet-coordinator");
	curl_easy_setopt(rq->h, CURLOPT_WRITEFUNCTION, expire_write);
	curl_easy_setopt(rq->h, CURLOPT_WRITEDATA, rq);
	curl_easy_setopt(rq->h, CURLOPT_PRIVATE, rq);
	if (curl_multi_add_handle(e->multi, rq->h) != CURLM_OK) {
		curl_easy_cleanup(rq->h);
		free(rq);
		return -1;
	}
	rq->next = e->reqs;
	if (e->reqs != NULL)
		e->reqs->prev = rq;
	e->reqs = rq;
	ed->pending++;
	return 0;
}

/* Records the first failure of ed's round. */
static void
expire_fail(struct expire_edge *ed, const char *why)
{
	if (!ed->failed)
		snprintf(ed->why, sizeof(ed->why), "%s", why);
	ed->failed = 1;
}

/* Weighs one finished request. */
static void
expire_judge(struct expire_req *rq, CURLcode res)
{
	struct expire_edge *ed = rq->edge;
	const char *result;
	char why[200];
	long status = 0;
	json_t *j;

	if (res != CURLE_OK) {
		expire_fail(ed, rq->toobig ? "an answer over EXPIRE_MAX_BODY" :
		    curl_easy_strerror(res));
		return;
	}
	curl_easy_getinfo(rq->h, CURLINFO_RESPONSE_CODE, &status);
	j = json_loadb(rq->body, rq->len, 0, NULL);
	result = json_string_value(json_object_get(j, "result"));
	if (status == 200 && result != NULL && strcmp(result, "success") == 0)
		;
	else if (status == 404 && rq->name != NULL && result != NULL &&
	    strcmp(result, "error") == 0) {
		log_warn("expire: edge %s refuses the name %s (404): passed over",
		    ed->id, rq->name);
		ed->refused++;
	} else {
		snprintf(why, sizeof(why), "HTTP %ld%s", status, status == 200 ?
		    " without \"result\": \"success\"" : "");
		expire_fail(ed, why);
	}
	json_decref(j);
}

/* Marks ed's changes taken, then deletes those every edge took. */
static int
expire_record(struct expire *e, struct expire_edge *ed, char *err,
    size_t errlen)
{
	char *lit, n[16];
	int rc = -1;

	if ((lit = db_array_literal(ed->changes, ed->nchanges)) == NULL) {
		snprintf(err, errlen, "expire: out of memory");
		return -1;
	}
	snprintf(n, sizeof(n), "%zu", e->nedges);
	if (db_exec(e->db, "expire record", "INSERT INTO edge_expiry_sent "
	    "(expiry, edge) SELECT q.id, $2 FROM edge_expiries q WHERE q.id = "
	    "ANY($1::bigint[]) ON CONFLICT DO NOTHING", 2,
	    (const char *[]){ lit, ed->id }, NULL, NULL, err, errlen) >= 0 &&
	    db_exec(e->db, "expire purge", "DELETE FROM edge_expiries q WHERE "
	    "q.id = ANY($1::bigint[]) AND (SELECT count(*) FROM "
	    "edge_expiry_sent s WHERE s.expiry = q.id AND s.edge = "
	    "ANY($2::text[])) >= $3::int", 3, (const char *[]){ lit,
	    e->edge_ids, n }, NULL, NULL, err, errlen) >= 0)
		rc = 0;
	free(lit);
	return rc;
}

static void
expire_round_free(struct expire_edge *ed)
{
	db_array_free(ed->changes, ed->nchanges);
	db_array_free(ed->names, ed->nnames);
	ed->changes = ed->names = NULL;
	ed->nchanges = ed->nnames = ed->refused = 0;
	ed->busy = ed->failed = 0;
	ed->why[0] = '\0';
}

/* All of ed's requests answered: record, or schedule the retry. */
static void
expire_round_end(struct expire *e, struct expire_edge *ed)
{
	uint64_t now = clock_mono_ms(), delay;
	char err[512];

	if (ed->failed) {
		ed->failures++;
		delay = EXPIRE_BACKOFF_MIN_MS << (ed->failures < 7 ?
		    ed->failures - 1 : 6);
		if (delay > EXPIRE_BACKOFF_MAX_MS)
			delay = EXPIRE_BACKOFF_MAX_MS;
		ed->due = now + delay;
		log_warn("expire: edge %s: %s; %zu change(s) kept, retry in "
		    "%llu ms", ed->id, ed->why, ed->nchanges,
		    (unsigned long long)delay);
	} else if (expire_record(e, ed, err, sizeof(err)) < 0) {
		log_warn("%s (will retry)", err);
		ed->due = now + EXPIRE_IDLE_MS;
	} else {
		if (e->s->ps_expire_all)
			log_info("expire: edge %s: cache expired (all) for %zu "
			    "change(s)", ed->id, ed->nchanges);
		else
			log_info("expire: edge %s: %zu name(s) expired (%zu "
			    "refused) for %zu change(s)", ed->id, ed->nnames,
			    ed->refused, ed->nchanges);
		ed->failures = 0;
		ed->due = now;	/* more may wait */
	}
	expire_round_free(ed);
}

/* Adds row's names to ed->names; 0 or -1. */
static int
expire_names_add(struct expire_edge *ed, const char *arr)
{
	char **names, **grown;
	size_t n, i;

	if ((names = db_array_parse(arr, &n)) == NULL)
		return -1;
	if ((grown = realloc(ed->names, (ed->nnames + n) *
	    sizeof(*grown))) == NULL) {
		db_array_free(names, n);
		return -1;
	}
	ed->names = grown;
	for (i = 0; i < n; i++)
		ed->names[ed->nnames++] = names[i];
	free(names);	/* the strings are ed's now */
	return 0;
}

/* The changes ed has not taken (up to EXPIRE_BATCH) into ed's round; 0
 * (also when there are none), or -1 with err. */
static int
expire_round_load(struct expire *e, struct expire_edge *ed, char *err,
    size_t errlen)
{
	PGresult *r;
	int row, rows;

	/* Only changes every Redis target has written: an edge that drops its
	 * cache re-reads Redis, and must find the new keys there. */
	if ((r = db_query(e->db, "expire changes", "SELECT q.id, q.names FROM "
	    "edge_expiries q WHERE NOT EXISTS (SELECT 1 FROM edge_expiry_sent s "
	    "WHERE s.expiry = q.id AND s.edge = $1) AND coalesce(q.seq, 0) <= "
	    "(SELECT certfleet_prime_written()) ORDER BY q.id LIMIT 20", 1,
	    (const char *[]){ ed->id }, NULL, NULL, err, errlen)) == NULL)
		return -1;
	rows = PQntuples(r);
	if (rows > 0 && (ed->changes = calloc((size_t)rows,
	    sizeof(*ed->changes))) == NULL)
		goto oom;
	for (row = 0; row < rows; row++) {
		if ((ed->changes[ed->nchanges] = strdup(PQgetvalue(r, row,
		    0))) == NULL)
			goto oom;
		ed->nchanges++;
		if (!e->s->ps_expire_all && expire_names_add(ed, PQgetvalue(r,
		    row, 1)) < 0)
			goto oom;
	}
	PQclear(r);
	ed->nnames = hostname_set_unique(ed->names, ed->nnames);
	return 0;
oom:
	PQclear(r);
	snprintf(err, errlen, "expire: out of memory");
	return -1;
}

/* Starts a round of ed when changes wait for it. */
static void
expire_round_start(struct expire *e, struct expire_edge *ed, uint64_t now)
{
	char err[512];
	size_t i;

	if (expire_round_load(e, ed, err, sizeof(err)) < 0) {
		log_warn("%s (will retry)", err);
		expire_round_free(ed);
		ed->due = now + EXPIRE_IDLE_MS;
		return;
	}
	if (ed->nchanges == 0) {
		expire_round_free(ed);
		ed->due = now + EXPIRE_IDLE_MS;
		return;
	}
	ed->busy = 1;
	if (e->s->ps_expire_all && expire_add(e, ed, NULL) < 0)
		expire_fail(ed, "cannot start a request");
	for (i = 0; !e->s->ps_expire_all && i < ed->nnames; i++) {
		if (hostname_is_wildcard(ed->names[i]))
			continue;	/* the module never caches such a name */
		if (expire_add(e, ed, ed->names[i]) < 0) {
			expire_fail(ed, "cannot start a request");
			break;
		}
	}
	if (ed->pending == 0)
		expire_round_end(e, ed);
}

/* Runs the transfers for up to ms, ending the rounds that completed. */
static void
expire_drive(struct expire *e, int ms)
{
	struct expire_req *rq;
	struct expire_edge *ed;
	CURLMsg *m;
	int running, left;

	curl_multi_perform(e->multi, &running);
	while ((m = curl_multi_info_read(e->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&rq);
		expire_judge(rq, m->data.result);
		curl_multi_remove_handle(e->multi, rq->h);
		curl_easy_cleanup(rq->h);
		if (rq->prev != NULL)
			rq->prev->next = rq->next;
		else
			e->reqs = rq->next;
		if (rq->next != NULL)
			rq->next->prev = rq->prev;
		ed = rq->edge;
		free(rq);
		if (--ed->pending == 0)
			expire_round_end(e, ed);
	}
	curl_multi_poll(e->multi, NULL, 0, ms, NULL);
}

/* With no edge configured, nobody is to be told: the queue is emptied. */
static void
expire_drop_all(struct expire *e)
{
	char err[512];

	if (db_exec(e->db, "expire drop", "DELETE FROM edge_expiries", 0, NULL,
	    NULL, NULL, err, sizeof(err)) < 0)
		log_warn("%s (will retry)", err);
}

static void *
expire_main(void *arg)
{
	struct expire *e = arg;
	uint64_t now, last_drop = 0;
	char err[512];
	int db_ok = 1;
	size_t i;

	while (!atomic_load(&e->stop)) {
		now = clock_mono_ms();
		if (db_ensure(&e->db, e->s->pg, EXPIRE_APPNAME, err,
		    sizeof(err)) < 0) {
			if (db_ok)
				log_warn("expire: database: %s; retrying", err);
			db_ok = 0;
		} else {
			db_ok = 1;
			if (e->nedges == 0 && now - last_drop >= EXPIRE_IDLE_MS) {
				last_drop = now;
				expire_drop_all(e);
			}
			for (i = 0; i < e->nedges; i++)
				if (!e->edge[i].busy && now >= e->edge[i].due)
					expire_round_start(e, &e->edge[i], now);
		}
		expire_drive(e, EXPIRE_POLL_MS);
	}
	return NULL;
}

struct expire *
expire_start(const struct settings *s, char *err, size_t errlen)
{
	struct expire *e;

	if ((e = calloc(1, sizeof(*e))) == NULL) {
		snprintf(err, errlen, "expire: out of memory");
		return NULL;
	}
	e->s = s;
	atomic_init(&e->stop, 0);
	if (expire_edges(e, s->ps_edges, err, errlen) < 0)
		goto fail;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (e->multi = curl_multi_init()) == NULL) {
		snprintf(err, errlen, "expire: libcurl does not start");
		goto fail;
	}
	curl_multi_setopt(e->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    (long)EXPIRE_HOST_CONNECTIONS);
	if (pthread_create(&e->th, NULL, expire_main, e) != 0) {
		snprintf(err, errlen, "expire: cannot start the thread");
		goto fail;
	}
	log_info("expire: %zu peter_sslers edge(s), %s mode, route %s",
	    e->nedges, s->ps_expire_all ? "all" : "domain", s->ps_expire_path);
	return e;
fail:
	curl_multi_cleanup(e->multi);
	free(e->edge_ids);
	free(e);
	return NULL;
}

size_t
expire_nedges(const struct expire *e)
{
	return e->nedges;
}

void
expire_stop(struct expire *e)
{
	struct expire_req *rq, *next;
	size_t i;

	if (e == NULL)
		return;
	atomic_store(&e->stop, 1);
	curl_multi_wakeup(e->multi);
	pthread_join(e->th, NULL);
	for (rq = e->reqs; rq != NULL; rq = next) {
		next = rq->next;
		curl_multi_remove_handle(e->multi, rq->h);
		curl_easy_cleanup(rq->h);
		free(rq);
	}
	for (i = 0; i < e->nedges; i++)
		expire_round_free(&e->edge[i]);
	curl_multi_cleanup(e->multi);
	curl_global_cleanup();
	if (e->db != NULL)
		PQfinish(e->db);
	free(e->edge_ids);
	free(e);
}
