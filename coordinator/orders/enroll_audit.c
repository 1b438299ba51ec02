/* enroll_audit.c -- the API's audit row of an enrollment, written in the enrollment's own transaction (one commit for both). */
#include "enroll_audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "db.h"
#include "enroll_batch.h"

/* The rows as one JSON array, in the items' order, element o of the
 * statement. ORDER BY o: the sequence hands out ids in that order. */
#define EA_SQL "INSERT INTO api_audit (token, action, target, source, " \
	"status) SELECT e->>'t', e->>'a', e->>'g', e->>'s', " \
	"(e->>'st')::integer FROM json_array_elements($1::json) WITH " \
	"ORDINALITY AS u(e, o) ORDER BY o RETURNING id"

/* The JSON object of row a, or NULL when a field is no UTF-8 (that row is
 * then left to the API, as before) or memory runs out. */
static json_t *
ea_row(const struct enroll_audit *a)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:o}", "t", a->token, "a",
	    a->action, "g", a->target, "s", a->source, "st", a->status > 0 ?
	    json_integer(a->status) : json_null());
}

static int
ea_cmp(const void *x, const void *y)
{
	long long a = *(const long long *)x, b = *(const long long *)y;

	return a < b ? -1 : a > b;
}

/* The JSON array of items[0..n)'s rows (took[i] set for those in it),
 * malloc'd; NULL with *none set when no item has a row, NULL with err when
 * memory runs out. */
static char *
ea_json(struct enroll_batch_item *items, size_t n, unsigned char *took,
    int *none, char *err, size_t errlen)
{
	json_t *arr, *row;
	char *s = NULL;
	size_t i;

	*none = 0;
	if ((arr = json_array()) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if (items[i].audit == NULL)
			continue;
		items[i].audit->id[0] = '\0';
		if ((row = ea_row(items[i].audit)) == NULL)
			continue;
		if (json_array_append_new(arr, row) < 0)
			goto out;
		took[i] = 1;
	}
	if (json_array_size(arr) == 0)
		*none = 1;
	else
		s = json_dumps(arr, JSON_COMPACT);
out:
	if (s == NULL && !*none)
		snprintf(err, errlen, "api audit: out of memory");
	json_decref(arr);
	return s;
}

int
enroll_audit_ids(PGresult *r, struct enroll_batch_item *items, size_t n,
    const unsigned char *took, char *err, size_t errlen)
{
	long long ids[ENROLL_AUDIT_MAX];
	size_t i, k = 0, rows = (size_t)PQntuples(r);

	for (i = 0; i < rows && i < ENROLL_AUDIT_MAX; i++)
		ids[i] = strtoll(PQgetvalue(r, (int)i, 0), NULL, 10);
	qsort(ids, i, sizeof(ids[0]), ea_cmp);
	for (i = 0; i < n; i++) {
		if (!took[i])
			continue;
		if (k >= rows) {
			snprintf(err, errlen, "api audit: %zu rows written for "
			    "more", rows);
			return -1;
		}
		snprintf(items[i].audit->id, sizeof(items[i].audit->id), "%lld",
		    ids[k++]);
	}
	return 0;
}

int
enroll_audit_stmt(struct db_stmt *st, char **json,
    struct enroll_batch_item *items, size_t n, unsigned char *took,
    char *err, size_t errlen)
{
	int none;

	*json = NULL;
	if (n > ENROLL_AUDIT_MAX) {
		snprintf(err, errlen, "api audit: %zu rows at once (at most %d)",
		    n, ENROLL_AUDIT_MAX);
		return -1;
	}
	memset(took, 0, n);
	if ((*json = ea_json(items, n, took, &none, err, errlen)) == NULL)
		return none ? 0 : -1;
	memset(st, 0, sizeof(*st));
	st->what = "api audit";
	st->sql = EA_SQL;
	st->n = 1;
	st->params = (const char *const *)json;
	return 1;
}

int
enroll_audit_write(PGconn *c, struct enroll_batch_item *items, size_t n,
    char *err, size_t errlen)
{
	unsigned char took[ENROLL_AUDIT_MAX];
	struct db_stmt st;
	char *s;
	int rc;

	if ((rc = enroll_audit_stmt(&st, &s, items, n, took, err,
	    errlen)) <= 0)
		return rc;
	st.res = db_query(c, st.what, st.sql, st.n, st.params, NULL, NULL, err,
	    errlen);
	free(s);
	rc = st.res == NULL ? -1 : enroll_audit_ids(st.res, items, n, took,
	    err, errlen);
	PQclear(st.res);
	if (rc < 0)
		enroll_audit_forget(items, n);
	return rc;
}

void
enroll_audit_forget(struct enroll_batch_item *items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (items[i].audit != NULL)
			items[i].audit->id[0] = '\0';
}
