/* api_bulk.c -- POST /v1/certificates:bulk: up to API_BULK_MAX_SETS enrollments as NDJSON, answered line for line in order; API_BULK_BATCH sets per transaction (a savepoint each), the next batch read meanwhile on a thread (keys made, or taken from the key pool). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api_int.h"
#include "clock.h"
#include "db.h"
#include "enroll.h"
#include "enroll_batch.h"
#include "ids.h"
#include "keypool.h"
#include "log.h"
#include "ndjson.h"
#include "pgpool.h"
#include "tenant.h"

#define API_BULK_PATH "/v1/certificates:bulk"

/* One set of a batch and what became of it. */
struct api_bulk_set {
	size_t			 lineno;
	struct enroll_request	 er;
	int			 parsed;	/* er holds a request */
	int			 ready;		/* parsed, checked, key made */
	struct enroll_material	 m;
	char			 id[IDS_LEN + 1];
	char			 pkid[IDS_LEN + 1];
	char			 oid[IDS_LEN + 1];
	char			 trace[IDS_TRACE_LEN + 1];
	char			 status[16];
	unsigned		 code;		/* as the HTTP status of one enrollment */
	char			 error[512];
};

/* The reply, growing; and the counts for the log. */
struct api_bulk_out {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 oom;
	size_t	 created, existing, refused;
};

size_t
api_body_cap(const char *url)
{
	return strcmp(url, API_BULK_PATH) == 0 ? API_BULK_MAX_BODY : API_MAX_BODY;
}

/* Appends j (stolen) and a newline to the reply. */
static void
api_bulk_append(struct api_bulk_out *o, json_t *j)
{
	char *s, *np;
	size_t n, cap;

	s = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (s == NULL) {
		o->oom = 1;
		return;
	}
	n = strlen(s);
	if (o->len + n + 2 > o->cap) {
		cap = o->cap > 0 ? o->cap : 64 * 1024;
		while (cap < o->len + n + 2)
			cap *= 2;
		if ((np = realloc(o->p, cap)) == NULL) {
			free(s);
			o->oom = 1;
			return;
		}
		o->p = np;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len++] = '\n';
	o->p[o->len] = '\0';
	free(s);
}

/* The result line of set b. */
static void
api_bulk_result(struct api_bulk_out *o, const struct api_bulk_set *b)
{
	if (b->code == MHD_HTTP_CREATED || b->code == MHD_HTTP_OK) {
		if (b->code == MHD_HTTP_CREATED)
			o->created++;
		else
			o->existing++;
		api_bulk_append(o, json_pack("{s:I, s:i, s:s, s:s, s:o, s:b}",
		    "line", (json_int_t)b->lineno, "code", (int)b->code, "id",
		    b->id, "status", b->status, "hostnames",
		    api_names(b->er.names, b->er.nnames), "existing",
		    b->code == MHD_HTTP_OK));
		return;
	}
	o->refused++;
	api_bulk_append(o, json_pack("{s:I, s:i, s:s}", "line",
	    (json_int_t)b->lineno, "code", (int)b->code, "error", b->error));
}

/* What the reader thread fills while the request's thread writes the
 * batch before it: parsing and key generation are CPU, writing mostly
 * waits on PostgreSQL, so the two overlap. The reader takes pooled keys
 * through a connection of its own (own.db, from the API's pool). */
struct api_bulk_reader {
	struct api		 own;	/* the request's view, its own db */
	int			 nopool; /* no connection for pooled keys */
	struct ndjson		*nd;
	struct api_bulk_set	*b;
	size_t			 n;	/* sets read */
};

/* Puts a key made ahead into b->m.key when the key pool keeps keys of
 * b's type (keypool.h) and has one; else (pool empty, or no connection:
 * then not asked again for this request) the key is made as usual. */
static void
api_bulk_pooled_key(struct api_bulk_reader *r, struct api_bulk_set *b)
{
	const struct keypool_sizes *sz = &r->own.s->key_pool;
	enum keys_type t = b->er.key_type;
	char err[512];

	if (r->nopool || (int)t < 0 || (int)t >= KEYS_TYPE_COUNT ||
	    sz->n[t] <= 0)
		return;
	if (api_db(&r->own, err, sizeof(err)) < 0 || keypool_take(r->own.db,
	    r->own.v, sz, t, &b->m.key, err, sizeof(err)) < 0) {
		log_warn("api: bulk: keys are made, not taken from the key "
		    "pool: %s", err);
		r->nopool = 1;
	}
}

/* Reads the next set of the body into b (parsed and checked, its key made
 * or taken from the key pool) or records why it cannot be. Returns 0 at
 * the end of the body, else 1. */
static int
api_bulk_read(struct api_bulk_reader *r, struct api_bulk_set *b)
{
	struct api *a = &r->own;
	struct ndjson *nd = r->nd;
	const char *line;
	size_t len;

	memset(b, 0, sizeof(*b));
	switch (ndjson_next(nd, &line, &len, &b->lineno)) {
	case NDJSON_END:
		return 0;
	case NDJSON_TOO_LONG:
		b->code = MHD_HTTP_CONTENT_TOO_LARGE;
		snprintf(b->error, sizeof(b->error), "the line is over %d bytes",
		    API_MAX_BODY);
		return 1;
	case NDJSON_BINARY:
		b->code = MHD_HTTP_BAD_REQUEST;
		snprintf(b->error, sizeof(b->error), "the line holds a NUL byte");
		return 1;
	default:
		break;
	}
	b->code = MHD_HTTP_BAD_REQUEST;
	if (enroll_parse(line, len, a->s->key_type, &b->er, b->error,
	    sizeof(b->error)) < 0)
		return 1;
	b->parsed = 1;
	if (enroll_check_cas(&b->er, a->s, b->error, sizeof(b->error)) < 0)
		return 1;
	b->code = MHD_HTTP_INTERNAL_SERVER_ERROR;
	if (ids_new(b->id) < 0 || ids_new(b->pkid) < 0) {
		snprintf(b->error, sizeof(b->error), "no random ids");
		return 1;
	}
	api_bulk_pooled_key(r, b);
	if (enroll_material(a->v, &b->er, b->pkid, &b->m, b->error,
	    sizeof(b->error)) < 0) {
		log_err("api: bulk line %zu: %s", b->lineno, b->error);
		snprintf(b->error, sizeof(b->error), "the key could not be made");
		return 1;
	}
	b->code = 0;
	b->ready = 1;
	return 1;
}

/* Answers set i of batch b by the live certificate of its name set: one
 * made by an earlier set of this batch, else the one the batch's lookup
 * found (live). Returns 1 when answered, 0 when the set is to be made. */
static int
api_bulk_existing(struct api_bulk_set *b, size_t i,
    const struct enroll_live *live)
{
	size_t j, k;

	if (b[i].er.force)
		return 0;
	for (j = 0; j < i; j++) {
		if (b[j].code != MHD_HTTP_CREATED || b[j].er.nnames !=
		    b[i].er.nnames)
			continue;
		for (k = 0; k < b[i].er.nnames && strcmp(b[j].er.names[k],
		    b[i].er.names[k]) == 0; k++)
			;
		if (k == b[i].er.nnames) {
			/* j < i: two distinct sets of the batch */
			memcpy(b[i].id, b[j].id, sizeof(b[i].id));
			snprintf(b[i].status, sizeof(b[i].status), "pending");
			b[i].code = MHD_HTTP_OK;
			return 1;
		}
	}
	if (live->id[0] == '\0')
		return 0;
	snprintf(b[i].id, sizeof(b[i].id), "%s", live->id);
	snprintf(b[i].status, sizeof(b[i].status), "%s", live->status);
	b[i].code = MHD_HTTP_OK;
	return 1;
}

/* A savepoint statement; logs and answers set b 503 when it fails. */
static int
api_bulk_savepoint(struct api *a, struct api_bulk_set *b, const char *sql)
{
	char err[512];

	if (db_exec(a->db, "api bulk savepoint", sql, 0, NULL, NULL, NULL, err,
	    sizeof(err)) >= 0)
		return 0;
	b->code = MHD_HTTP_SERVICE_UNAVAILABLE;
	snprintf(b->error, sizeof(b->error), "the database is not reachable, "
	    "try again");
	log_warn("api: bulk: %s", err);
	return -1;
}

/*
 * Writes set b (ready, not answered by a live certificate) in the batch's
 * transaction. Without savepoints (safe: a set that fails before it writes
 * anything, as a quota refusal does, leaves the transaction usable), a set
 * that fails otherwise returns -1: the batch is then done again with a
 * savepoint per set, where such a failure is that set's own.
 */
static int
api_bulk_write(struct api *a, struct api_bulk_set *b, int savepoints)
{
	char err[512];
	int n;

	if (savepoints && api_bulk_savepoint(a, b, "SAVEPOINT bulk_set") < 0)
		return 0;
	n = enroll_write(a->db, a->s, &b->er, b->id, b->pkid, &b->m, b->oid,
	    b->trace, err, sizeof(err));
	if (n < 0 && !savepoints)
		return -1;
	if (n == 1) {
		b->code = MHD_HTTP_CREATED;
		snprintf(b->status, sizeof(b->status), "pending");
	} else if (n == 0) {
		b->code = MHD_HTTP_TOO_MANY_REQUESTS;
		snprintf(b->error, sizeof(b->error), "%s", err);
	} else {
		b->code = MHD_HTTP_INTERNAL_SERVER_ERROR;
		snprintf(b->error, sizeof(b->error), "the enrollment could not "
		    "be stored; nothing was written");
		log_err("api: bulk line %zu: %s", b->lineno, err);
	}
	if (savepoints)
		api_bulk_savepoint(a, b, b->code == MHD_HTTP_CREATED ?
		    "RELEASE SAVEPOINT bulk_set" : "ROLLBACK TO SAVEPOINT bulk_set");
	return 0;
}

/* The quotas of tenant in rooms[0..*n) (room for one per set), read and
 * its row locked when the batch meets it first (so in the order of its
 * lines, as the set-by-set path locks them). Returns it, or NULL with err. */
static struct tenant_room *
api_bulk_room(struct api *a, struct tenant_room *rooms, size_t *n,
    const char *tenant, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp(rooms[i].name, tenant) == 0)
			return &rooms[i];
	if (tenant_room_read(a->db, tenant, TENANT_ADMIT_LIVE |
	    TENANT_ADMIT_ORDER, &rooms[*n], err, errlen) < 0)
		return NULL;
	return &rooms[(*n)++];
}

/* Set i of batch b, no live certificate answering it: answered 429 when
 * its tenant's quotas refuse it (the batch's sets taken before it
 * counted), else 201 and added to items[*k]. Returns 0, or -1 with err
 * (the database). */
static int
api_bulk_take(struct api *a, struct api_bulk_set *b,
    struct enroll_batch_item *items, size_t *k, struct tenant_room *rooms,
    size_t *nrooms, char *err, size_t errlen)
{
	struct tenant_room *room;

	if (b->er.tenant[0] != '\0') {
		if ((room = api_bulk_room(a, rooms, nrooms, b->er.tenant, err,
		    errlen)) == NULL)
			return -1;
		if (tenant_room_take(room, b->error, sizeof(b->error)) == 0) {
			b->code = MHD_HTTP_TOO_MANY_REQUESTS;
			return 0;
		}
	}
	/* answered as made for the later sets of the batch */
	b->code = MHD_HTTP_CREATED;
	snprintf(b->status, sizeof(b->status), "pending");
	items[*k].req = &b->er;
	items[*k].id = b->id;
	items[*k].pkid = b->pkid;
	items[(*k)++].m = &b->m;
	return 0;
}

/* Writes the sets of batch b[0..n) that no live certificate answers with
 * one statement per table (enroll_batch.h), in the open transaction, each
 * tenant's quotas admitted for the batch (a set refused answered 429).
 * Returns 0, or -1 (the transaction is to be rolled back) with err. */
static int
api_bulk_write_set_based(struct api *a, struct api_bulk_set *b, size_t n,
    const struct enroll_live *live, const size_t *at, char *err,
    size_t errlen)
{
	struct enroll_batch_item *items;
	struct tenant_room *rooms;
	size_t i, k = 0, nrooms = 0;
	int rc = -1;

	items = calloc(n > 0 ? n : 1, sizeof(*items));
	rooms = calloc(n > 0 ? n : 1, sizeof(*rooms));
	if (items == NULL || rooms == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++)
		if (b[i].ready && !api_bulk_existing(b, i, &live[at[i]]) &&
		    api_bulk_take(a, &b[i], items, &k, rooms, &nrooms, err,
		    errlen) < 0)
			goto out;
	if (enroll_batch_write(a->db, a->s, items, k, err, errlen) == 1) {
		for (i = 0, k = 0; i < n; i++)
			if (b[i].ready && b[i].code == MHD_HTTP_CREATED &&
			    b[i].id == items[k].id) {
				memcpy(b[i].oid, items[k].oid, sizeof(b[i].oid));
				memcpy(b[i].trace, items[k++].trace,
				    sizeof(b[i].trace));
			}
		rc = 0;
	}
out:
	free(rooms);
	free(items);
	return rc;
}

/* Writes the sets of batch b[0..n) that no live certificate answers one
 * after the other (api_bulk_write). Returns 0, or -1 as api_bulk_write. */
static int
api_bulk_write_each(struct api *a, struct api_bulk_set *b, size_t n,
    const struct enroll_live *live, const size_t *at, int savepoints)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!b[i].ready || api_bulk_existing(b, i, &live[at[i]]))
			continue;
		if (api_bulk_write(a, &b[i], savepoints) < 0)
			return -1;
	}
	return 0;
}

/* One go at the ready sets of batch b[0..n) in one transaction: the live
 * certificates of their name sets looked up at once, then all written
 * set-based (their tenants' quotas admitted for the batch), or, with
 * savepoints, each on its own. Returns 1 committed, 0 when the set-based
 * write or a set failed without savepoints (rolled back, to be done again
 * with them), -1 when the database failed (err). */
static int
api_bulk_try(struct api *a, struct api_bulk_set *b, size_t n, int savepoints,
    char *err, size_t errlen)
{
	const struct enroll_request *reqs[API_BULK_BATCH];
	struct enroll_live live[API_BULK_BATCH];
	size_t i, k = 0, at[API_BULK_BATCH];

	for (i = 0; i < n; i++)
		if (b[i].ready) {
			b[i].code = 0;
			at[i] = k;
			reqs[k++] = &b[i].er;
		}
	if (db_begin(a->db, err, errlen) < 0 ||
	    enroll_find_live_many(a->db, reqs, k, live, err, errlen) < 0)
		goto fail;
	if (!savepoints) {
		if (api_bulk_write_set_based(a, b, n, live, at, err, errlen) < 0) {
			/* done again set by set: each failure is its own */
			log_warn("api: bulk: a batch was not written at once, it is "
			    "written set by set: %s", err);
			db_rollback(a->db);
			return 0;
		}
	} else if (api_bulk_write_each(a, b, n, live, at, savepoints) < 0) {
		db_rollback(a->db);
		return 0;
	}
	if (db_commit(a->db, err, errlen) < 0)
		goto fail;
	return 1;
fail:
	db_rollback(a->db);
	return -1;
}

/* Writes the ready sets of batch b[0..n): without savepoints first, with
 * one per set when a set failed. When the batch does not commit, the sets
 * it made are answered with an error. */
static void
api_bulk_batch(struct api *a, struct api_bulk_set *b, size_t n)
{
	char err[512] = "";
	size_t i;
	int rc;

	if ((rc = api_bulk_try(a, b, n, 0, err, sizeof(err))) == 0)
		rc = api_bulk_try(a, b, n, 1, err, sizeof(err));
	if (rc == 1) {
		for (i = 0; i < n; i++)
			if (b[i].code == MHD_HTTP_CREATED)
				log_info("job %s attempt 1 trace %s: issue_order "
				    "queued for certificate %s (%zu names, %s, %s; "
				    "bulk line %zu)", b[i].oid, b[i].trace, b[i].id,
				    b[i].er.nnames, keys_type_name(b[i].er.key_type),
				    b[i].er.challenge, b[i].lineno);
		return;
	}
	log_warn("api: bulk: a batch did not commit: %s", err);
	for (i = 0; i < n; i++)
		if (b[i].ready) {
			b[i].code = MHD_HTTP_SERVICE_UNAVAILABLE;
			snprintf(b[i].error, sizeof(b[i].error), "the database did "
			    "not take this batch; nothing of it was written, try "
			    "again");
		}
}

static void *
api_bulk_reader_run(void *arg)
{
	struct api_bulk_reader *r = arg;

	for (r->n = 0; r->n < API_BULK_BATCH && api_bulk_read(r,
	    &r->b[r->n]); r->n++)
		;
	return NULL;
}

/* Answers and forgets the n sets of b. */
static void
api_bulk_done(struct api_bulk_out *o, struct api_bulk_set *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		api_bulk_result(o, &b[i]);
		if (b[i].parsed)
			enroll_request_free(&b[i].er);
		enroll_material_free(&b[i].m);
	}
}

/* Every set of the body into o: batch k + 1 is read on a thread of its own
 * while batch k is written. */
static void
api_bulk_run(struct api *a, const struct api_req *req, struct api_bulk_out *o)
{
	struct api_bulk_set *buf[2] = { NULL, NULL };
	struct api_bulk_reader r;
	struct ndjson nd;
	pthread_t t;
	size_t n;
	int cur = 0, threaded;

	if ((buf[0] = calloc(API_BULK_BATCH, sizeof(*buf[0]))) == NULL ||
	    (buf[1] = calloc(API_BULK_BATCH, sizeof(*buf[1]))) == NULL) {
		o->oom = 1;
		goto out;
	}
	ndjson_init(&nd, req->body, req->len, API_MAX_BODY);
	r.own = *a;
	r.own.db = NULL;
	r.nopool = 0;
	r.nd = &nd;
	r.b = buf[cur];
	api_bulk_reader_run(&r);
	while ((n = r.n) > 0) {
		r.b = buf[1 - cur];
		threaded = pthread_create(&t, NULL, api_bulk_reader_run, &r) == 0;
		if (!threaded)
			r.n = 0;	/* read after this batch, on this thread */
		api_bulk_batch(a, buf[cur], n);
		if (threaded)
			pthread_join(t, NULL);
		else
			api_bulk_reader_run(&r);
		api_bulk_done(o, buf[cur], n);
		cur = 1 - cur;
	}
	pgpool_release(a->srv->pool, r.own.db);
out:
	free(buf[0]);
	free(buf[1]);
}

enum MHD_Result
api_bulk(struct api *a, struct MHD_Connection *conn, struct api_req *req)
{
	struct api_bulk_out o = { 0 };
	struct MHD_Response *r;
	enum MHD_Result ret;
	char err[512];
	uint64_t t0 = clock_mono_ms();
	size_t sets;

	if (req->toobig)
		return api_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, "the body is "
		    "over %d bytes", API_BULK_MAX_BODY);
	if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "Idempotency-Key") != NULL)
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "Idempotency-Key is "
		    "not taken here: each set is answered by the live "
		    "certificate of its name set when there is one");
	sets = req->body != NULL ? ndjson_count(req->body, req->len) : 0;
	if (sets == 0)
		return api_error(conn, MHD_HTTP_BAD_REQUEST, "the body holds no "
		    "set: one JSON object per line, as POST /v1/certificates "
		    "takes it");
	if (sets > API_BULK_MAX_SETS)
		return api_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, "the body "
		    "holds %zu sets; at most %d per request", sets,
		    API_BULK_MAX_SETS);
	if (api_db(a, err, sizeof(err)) < 0)
		return api_unavailable(conn, err);
	api_bulk_run(a, req, &o);
	if (o.oom) {
		free(o.p);
		return MHD_NO;
	}
	log_info("api: bulk: %zu set(s) in %.1f s: %zu created, %zu existing, "
	    "%zu refused", sets, (double)(clock_mono_ms() - t0) / 1000.0,
	    o.created, o.existing, o.refused);
	if ((r = MHD_create_response_from_buffer(o.len, o.p,
	    MHD_RESPMEM_MUST_FREE)) == NULL) {
		free(o.p);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "application/x-ndjson");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	ret = api_queue(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}
