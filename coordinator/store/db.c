/* db.c -- libpq helpers: parameterized queries (prepared once per connection, dbprep.h) with error text, several in one round trip (pipeline mode), transactions, reconnects, text[] and bytea. */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-events.h>

#include "dbprep.h"
#include "pgconn.h"

/* Instance data of a connection (libpq-events.h): its last failure and
 * its prepared statements. */
struct db_diag {
	int		 failed;
	char		 sqlstate[6];
	struct dbprep	*prep;	/* NULL: statements run unprepared */
};

static int
db_evproc(PGEventId id, void *info, void *passthrough)
{
	struct db_diag *d;

	(void)passthrough;
	if (id == PGEVT_CONNDESTROY) {
		d = PQinstanceData(((PGEventConnDestroy *)info)->conn,
		    db_evproc);
		if (d != NULL)
			dbprep_free(d->prep);
		free(d);
	} else if (id == PGEVT_CONNRESET) {
		/* a new session: the server has no statement of ours */
		d = PQinstanceData(((PGEventConnReset *)info)->conn, db_evproc);
		if (d != NULL)
			dbprep_forget(d->prep);
	}
	return 1;
}

/* The diagnostics of c, attached on first use; NULL when memory runs out. */
static struct db_diag *
db_diag(PGconn *c)
{
	struct db_diag *d;

	if ((d = PQinstanceData(c, db_evproc)) != NULL)
		return d;
	/* Fails only when already registered (the data then could not be
	 * set): the instance data is tried again below either way. */
	(void)PQregisterEventProc(c, db_evproc, "certfleet-db", NULL);
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->prep = dbprep_new();	/* NULL: unprepared, still correct */
	if (!PQsetInstanceData(c, db_evproc, d)) {
		dbprep_free(d->prep);
		free(d);
		return NULL;
	}
	return d;
}

/* Notes the failure of r (NULL: no answer at all) on c. */
static void
db_note(PGconn *c, const PGresult *r)
{
	struct db_diag *d;
	const char *st;

	if ((d = db_diag(c)) == NULL)
		return;
	st = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	d->failed = 1;
	snprintf(d->sqlstate, sizeof(d->sqlstate), "%s", st != NULL &&
	    strlen(st) == 5 ? st : "");
}

enum db_fault
db_fault(PGconn *c, char sqlstate[6])
{
	struct db_diag *d = PQinstanceData(c, db_evproc);
	const char *st = d != NULL ? d->sqlstate : "";

	if (sqlstate != NULL)
		snprintf(sqlstate, 6, "%s", st);
	if (PQstatus(c) != CONNECTION_OK)
		return DB_FAULT_TRANSIENT;
	if (d == NULL || !d->failed)
		return DB_FAULT_NONE;
	if (st[0] == '\0' || strncmp(st, "08", 2) == 0 ||
	    strncmp(st, "40", 2) == 0 || strncmp(st, "53", 2) == 0 ||
	    strncmp(st, "57", 2) == 0 || strncmp(st, "58", 2) == 0 ||
	    strcmp(st, "55P03") == 0)
		return DB_FAULT_TRANSIENT;
	if (strncmp(st, "22", 2) == 0 || strncmp(st, "23", 2) == 0 ||
	    strncmp(st, "54", 2) == 0)
		return DB_FAULT_CONTENT;
	return DB_FAULT_OTHER;
}

void
db_fault_clear(PGconn *c)
{
	struct db_diag *d = PQinstanceData(c, db_evproc);

	if (d != NULL) {
		d->failed = 0;
		memset(d->sqlstate, 0, sizeof(d->sqlstate));
	}
}

static void
db_error(char *err, size_t errlen, const char *what, const char *msg)
{
	size_t n;

	snprintf(err, errlen, "%s: %s", what, msg);
	/* libpq messages end with a newline: drop it for one-line logs. */
	n = strlen(err);
	while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' '))
		err[--n] = '\0';
}

PGresult *
db_query(PGconn *c, const char *what, const char *sql, int n,
    const char *const *params, const int *lens, const int *formats, char *err,
    size_t errlen)
{
	struct db_diag *d = db_diag(c);
	PGresult *r;
	ExecStatusType st;

	r = d != NULL ? dbprep_exec(d->prep, c, sql, n, params, lens, formats) :
	    PQexecParams(c, sql, n, NULL, params, lens, formats, 0);
	st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		db_note(c, r);
		db_error(err, errlen, what, r != NULL ? PQresultErrorMessage(r) :
		    PQerrorMessage(c));
		PQclear(r);
		return NULL;
	}
	return r;
}

static int
db_send_as(PGconn *c, const char *what, const char *sql, int n,
    const char *const *params, int binary, char *err, size_t errlen)
{
	if (PQsendQueryParams(c, sql, n, NULL, params, NULL, NULL,
	    binary) != 1) {
		db_error(err, errlen, what, PQerrorMessage(c));
		return -1;
	}
	return 0;
}

int
db_send(PGconn *c, const char *what, const char *sql, int n,
    const char *const *params, char *err, size_t errlen)
{
	return db_send_as(c, what, sql, n, params, 0, err, errlen);
}

int
db_send_binary(PGconn *c, const char *what, const char *sql, int n,
    const char *const *params, char *err, size_t errlen)
{
	return db_send_as(c, what, sql, n, params, 1, err, errlen);
}

PGresult *
db_receive(PGconn *c, const char *what, char *err, size_t errlen)
{
	PGresult *r, *extra;
	ExecStatusType st;

	r = PQgetResult(c);
	/* One statement was sent: drain to the NULL that ends it. */
	while ((extra = PQgetResult(c)) != NULL)
		PQclear(extra);
	st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		db_error(err, errlen, what, r != NULL ? PQresultErrorMessage(r) :
		    PQerrorMessage(c));
		PQclear(r);
		return NULL;
	}
	return r;
}

long
db_exec(PGconn *c, const char *what, const char *sql, int n,
    const char *const *params, const int *lens, const int *formats, char *err,
    size_t errlen)
{
	PGresult *r;
	long rows;

	if ((r = db_query(c, what, sql, n, params, lens, formats, err,
	    errlen)) == NULL)
		return -1;
	rows = atol(PQcmdTuples(r));
	PQclear(r);
	return rows;
}

/* Sends s (prepared first when c's cache takes its text: *prepared is then
 * set, and the Parse's own result comes before the statement's). Returns
 * 1, or 0 when libpq could not queue it. */
static int
db_pipe_send(struct db_diag *d, PGconn *c, const struct db_stmt *s,
    int *prepared)
{
	const char *name = NULL;

	*prepared = 0;
	if (d != NULL && d->prep != NULL &&
	    (name = dbprep_find(d->prep, s->sql)) == NULL &&
	    (name = dbprep_add(d->prep, s->sql)) != NULL) {
		if (PQsendPrepare(c, name, s->sql, s->n, NULL) != 1) {
			dbprep_drop(d->prep, s->sql);
			return 0;
		}
		*prepared = 1;
	}
	if (name != NULL)
		return PQsendQueryPrepared(c, name, s->n, s->params, s->lens,
		    s->formats, 0);
	return PQsendQueryParams(c, s->sql, s->n, NULL, s->params, s->lens,
	    s->formats, 0);
}

/* Takes the next command's result off c in pipeline mode, and the NULL
 * that ends it. Returns it (NULL: the connection failed). */
static PGresult *
db_pipe_result(PGconn *c)
{
	PGresult *r, *extra;

	if ((r = PQgetResult(c)) == NULL)
		return NULL;
	if (PQresultStatus(r) == PGRES_PIPELINE_SYNC)
		return r;
	while ((extra = PQgetResult(c)) != NULL)
		PQclear(extra);
	return r;
}

/* Notes the first failure of a pipeline: "<what>: <message>" in err. */
static void
db_pipe_fail(PGconn *c, const PGresult *r, const char *what, int *failed,
    char *err, size_t errlen)
{
	if (*failed)
		return;
	*failed = 1;
	db_note(c, r);
	db_error(err, errlen, what, r == NULL ? PQerrorMessage(c) :
	    PQresultStatus(r) == PGRES_PIPELINE_ABORTED ? "not run: an "
	    "earlier statement of its pipeline failed" :
	    PQresultErrorMessage(r));
}

int
db_pipeline(PGconn *c, struct db_stmt *s, size_t n, char *err, size_t errlen)
{
	struct db_diag *d = db_diag(c);
	unsigned char prepared[DB_PIPELINE_MAX] = { 0 };
	size_t i, sent = 0;
	int failed = 0, p, ok;
	PGresult *r;
	ExecStatusType st;

	for (i = 0; i < n; i++) {
		s[i].res = NULL;
		s[i].ran = 0;
	}
	if (n > DB_PIPELINE_MAX) {
		snprintf(err, errlen, "%s: %zu statements in one pipeline (at "
		    "most %d)", s[0].what, n, DB_PIPELINE_MAX);
		return -1;
	}
	if (PQenterPipelineMode(c) != 1) {
		db_pipe_fail(c, NULL, s[0].what, &failed, err, errlen);
		return -1;
	}
	for (; sent < n; sent++) {
		if (db_pipe_send(d, c, &s[sent], &p) != 1) {
			db_pipe_fail(c, NULL, s[sent].what, &failed, err, errlen);
			break;
		}
		prepared[sent] = (unsigned char)p;
	}
	/* what was queued is answered up to the Sync, even after a failure */
	if (PQpipelineSync(c) != 1) {
		db_pipe_fail(c, NULL, s[0].what, &failed, err, errlen);
		goto out;
	}
	for (i = 0; i < sent; i++) {
		if (prepared[i]) {
			if ((r = db_pipe_result(c)) == NULL)
				goto broken;
			if (PQresultStatus(r) != PGRES_COMMAND_OK) {
				dbprep_drop(d->prep, s[i].sql);
				db_pipe_fail(c, r, s[i].what, &failed, err,
				    errlen);
			}
			PQclear(r);
		}
		if ((r = db_pipe_result(c)) == NULL)
			goto broken;
		st = PQresultStatus(r);
		ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
		s[i].ran = ok;
		if (ok && !failed) {
			s[i].res = r;
			continue;
		}
		if (!ok)
			db_pipe_fail(c, r, s[i].what, &failed, err, errlen);
		PQclear(r);
	}
	/* the Sync's own result */
	if ((r = db_pipe_result(c)) == NULL)
		goto broken;
	PQclear(r);
	goto out;
broken:
	db_pipe_fail(c, NULL, s[i < n ? i : 0].what, &failed, err, errlen);
out:
	if (PQexitPipelineMode(c) != 1) {
		/* results still queued (a broken connection): drop them */
		while ((r = PQgetResult(c)) != NULL)
			PQclear(r);
		(void)PQexitPipelineMode(c);
		db_pipe_fail(c, NULL, s[0].what, &failed, err, errlen);
	}
	if (!failed)
		return 0;
	for (i = 0; i < n; i++) {
		PQclear(s[i].res);
		s[i].res = NULL;
	}
	return -1;
}

int
db_begin(PGconn *c, char *err, size_t errlen)
{
	return db_exec(c, "BEGIN", "BEGIN", 0, NULL, NULL, NULL, err,
	    errlen) < 0 ? -1 : 0;
}

int
db_commit(PGconn *c, char *err, size_t errlen)
{
	return db_exec(c, "COMMIT", "COMMIT", 0, NULL, NULL, NULL, err,
	    errlen) < 0 ? -1 : 0;
}

void
db_rollback(PGconn *c)
{
	PGresult *r;

	if (c != NULL && PQtransactionStatus(c) != PQTRANS_IDLE &&
	    PQtransactionStatus(c) != PQTRANS_UNKNOWN) {
		r = PQexec(c, "ROLLBACK");
		PQclear(r);
	}
}

int
db_ensure(PGconn **c, const char *conninfo, const char *appname, char *err,
    size_t errlen)
{
	/* An idle connection whose server restarted has its end (a FATAL
	 * notice, then EOF) waiting on the socket: reading it now marks the
	 * connection bad here, instead of failing the caller's next query.
	 * One read takes the notice, the next one meets the EOF; with nothing
	 * waiting, both return at once. */
	if (*c != NULL && PQstatus(*c) == CONNECTION_OK &&
	    PQtransactionStatus(*c) == PQTRANS_IDLE && PQconsumeInput(*c))
		PQconsumeInput(*c);
	if (*c != NULL && PQstatus(*c) == CONNECTION_OK)
		return 0;
	if (*c != NULL) {
		PQreset(*c);
		if (PQstatus(*c) == CONNECTION_OK)
			return 0;
		PQfinish(*c);
		*c = NULL;
	}
	if ((*c = pgconn_open(conninfo, appname, err, errlen)) == NULL)
		return -1;
	return 0;
}

char *
db_array_literal(char *const *names, size_t n)
{
	size_t i, len = 3, j;
	char *s, *p;

	for (i = 0; i < n; i++)
		len += 2 * strlen(names[i]) + 3;
	if ((s = malloc(len)) == NULL)
		return NULL;
	p = s;
	*p++ = '{';
	for (i = 0; i < n; i++) {
		if (i > 0)
			*p++ = ',';
		*p++ = '"';
		for (j = 0; names[i][j] != '\0'; j++) {
			if (names[i][j] == '"' || names[i][j] == '\\')
				*p++ = '\\';
			*p++ = names[i][j];
		}
		*p++ = '"';
	}
	*p++ = '}';
	*p = '\0';
	return s;
}

void
db_array_free(char **a, size_t n)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < n; i++)
		free(a[i]);
	free(a);
}

char **
db_array_parse(const char *s, size_t *n)
{
	char **a = NULL, *el = NULL;
	size_t cap = 0, count = 0, len, elen;
	const char *p;
	int quoted;

	if (s == NULL || (len = strlen(s)) < 2 || s[0] != '{' ||
	    s[len - 1] != '}')
		return NULL;
	if ((el = malloc(len)) == NULL)
		return NULL;
	p = s + 1;
	while (*p != '}') {
		elen = 0;
		quoted = *p == '"';
		if (quoted)
			p++;
		while (*p != '\0' && (quoted ? *p != '"' : (*p != ',' &&
		    *p != '}'))) {
			if (quoted && *p == '\\' && p[1] != '\0')
				p++;
			el[elen++] = *p++;
		}
		if (quoted) {
			if (*p != '"')
				goto fail;
			p++;
		}
		el[elen] = '\0';
		if (count == DB_MAX_ARRAY)
			goto fail;
		if (count == cap) {
			char **na;

			cap = cap ? cap * 2 : 8;
			if ((na = realloc(a, cap * sizeof(*a))) == NULL)
				goto fail;
			a = na;
		}
		if ((a[count] = strdup(el)) == NULL)
			goto fail;
		count++;
		if (*p == ',')
			p++;
		else if (*p != '}')
			goto fail;
	}
	free(el);
	if (a == NULL && (a = malloc(sizeof(*a))) == NULL)
		return NULL;
	*n = count;
	return a;
fail:
	free(el);
	db_array_free(a, count);
	return NULL;
}

unsigned char *
db_bytea(const PGresult *r, int row, int col, size_t *len)
{
	unsigned char *t, *out;
	size_t n;

	if (PQfformat(r, col) == 1) {
		n = (size_t)PQgetlength(r, row, col);
		if ((out = malloc(n > 0 ? n : 1)) != NULL) {
			memcpy(out, PQgetvalue(r, row, col), n);
			*len = n;
		}
		return out;
	}
	t = PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col), &n);
	if (t == NULL)
		return NULL;
	if ((out = malloc(n > 0 ? n : 1)) != NULL) {
		memcpy(out, t, n);
		*len = n;
	}
	/* PQunescapeBytea's buffer may have held a secret's ciphertext only,
	 * never plaintext; still, do not leave copies around. */
	memset(t, 0, n);
	PQfreemem(t);
	return out;
}

int
db_box(const PGresult *r, int row, int col, struct vault_box *box)
{
	unsigned char *nonce = NULL, *tag = NULL;
	size_t nlen = 0, tlen = 0;
	int rc = -1;

	memset(box, 0, sizeof(*box));
	if ((box->ct = db_bytea(r, row, col, &box->ctlen)) == NULL ||
	    (nonce = db_bytea(r, row, col + 1, &nlen)) == NULL ||
	    nlen != VAULT_NONCE_LEN ||
	    (tag = db_bytea(r, row, col + 2, &tlen)) == NULL ||
	    tlen != VAULT_TAG_LEN ||
	    strlen(PQgetvalue(r, row, col + 3)) != VAULT_KEY_ID_LEN)
		goto out;
	memcpy(box->nonce, nonce, VAULT_NONCE_LEN);
	memcpy(box->tag, tag, VAULT_TAG_LEN);
	memcpy(box->key_id, PQgetvalue(r, row, col + 3), VAULT_KEY_ID_LEN + 1);
	rc = 0;
out:
	if (rc < 0)
		vault_box_clear(box);
	free(nonce);
	free(tag);
	return rc;
}

void
db_bind_box(const char **p, int *lens, int *fmts, int i,
    const struct vault_box *box)
{
	p[i] = (const char *)box->ct;
	lens[i] = (int)box->ctlen;
	fmts[i] = 1;
	p[i + 1] = (const char *)box->nonce;
	lens[i + 1] = VAULT_NONCE_LEN;
	fmts[i + 1] = 1;
	p[i + 2] = (const char *)box->tag;
	lens[i + 2] = VAULT_TAG_LEN;
	fmts[i + 2] = 1;
	p[i + 3] = box->key_id;
	lens[i + 3] = 0;
	fmts[i + 3] = 0;
}

char *
db_open_box(const PGresult *r, int row, int col, const struct vault *v,
    enum vault_secret what, const char *id, size_t *len, char *err,
    size_t errlen)
{
	struct vault_box box = { 0 };
	char aad[VAULT_AAD_MAX], *plain;

	if (db_box(r, row, col, &box) < 0) {
		snprintf(err, errlen, "the sealed secret of %s is malformed", id);
		return NULL;
	}
	vault_aad(what, id, aad);
	plain = vault_open(v, &box, aad, len, err, errlen);
	vault_box_clear(&box);
	return plain;
}
