/* searchq_sql.c -- the SQL of a certificate search: which index drives it (its order), the filters as parameters, the cursor's row comparison, and the page, count and estimate statements around them. */
#include "searchq.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A time column as RFC 3339 UTC text: to the second for reading, to the
 * microsecond for a cursor's key (the exact value the row compares on). */
#define SEARCHQ_TS(col) "to_char(" col " AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define SEARCHQ_TS_US(col) "to_char(" col " AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* The statement as it is built; oom sticks once memory ran out. */
struct searchq_buf {
	char	*p;
	size_t	 len, cap;
	int	 oom;
};

static void
searchq_add(struct searchq_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
searchq_add(struct searchq_buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t need;
	char *np;
	int n;

	if (b->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	need = b->len + (size_t)n + 1;
	if (need > b->cap) {
		if ((np = realloc(b->p, need * 2)) == NULL) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = need * 2;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Adds v as the next parameter; returns its number ($n). */
static int
searchq_param(struct searchq_sql *s, const char *v)
{
	s->params[s->n] = v;
	return ++s->n;
}

/* Adds a parameter written into the statement's own buffer. */
static int
searchq_own(struct searchq_sql *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
searchq_own(struct searchq_sql *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->buf[s->n], sizeof(s->buf[s->n]), fmt, ap);
	va_end(ap);
	return searchq_param(s, s->buf[s->n]);
}

/* What drives a listing in order o: the sort key, the tie-break id, and
 * whether it runs newest first. */
struct searchq_drive {
	const char	*from;
	const char	*key;
	const char	*id;
	int		 desc;
	const char	*pre, *post;	/* around the cursor's key parameter */
};

/* 1 when a filter of q reads a column of certificates. */
static int
searchq_uses_certificates(const struct searchq *q)
{
	return q->status[0] != '\0' || q->ca[0] != '\0' || q->key_type[0] !=
	    '\0' || q->issuer[0] != '\0' || q->tenant[0] != '\0' ||
	    q->problem[0] != '\0' || q->sha1 >= 0 || q->before.set ||
	    q->after.set || q->renewal_due;
}

/* What drives order o. bare: a count, which needs certificates only for
 * the filters on its columns; a name or label alone is counted off its
 * own table's index (no row of the million-row table read per match). */
static struct searchq_drive
searchq_drive(const struct searchq *q, enum searchq_order o, int bare)
{
	const char *names = "certificate_names n JOIN certificates c ON c.id = "
	    "n.certificate";
	struct searchq_drive d = { "certificates c", "c.created_at", "c.id", 1,
	    "", "::timestamptz" };

	if (bare && !searchq_uses_certificates(q)) {
		names = "certificate_names n";
		if (o == SEARCHQ_CREATED && q->label_key[0] != '\0')
			return (struct searchq_drive){ "certificate_labels l",
			    "l.created_at", "l.certificate", 1, "",
			    "::timestamptz" };
	}

	switch (o) {
	case SEARCHQ_NAME:
		return (struct searchq_drive){ names, "n.name", "n.certificate",
		    0, "", "::text" };
	case SEARCHQ_SUFFIX:
		return (struct searchq_drive){ names, "reverse(n.name)",
		    "n.certificate", 0, "reverse(", "::text)" };
	case SEARCHQ_EXPIRY:
		d.key = "c.not_after";
		d.desc = 0;
		return d;
	case SEARCHQ_RENEW:
		d.key = "c.renew_at";
		d.desc = 0;
		return d;
	case SEARCHQ_CREATED:
	default:
		/* A label is listed newest first straight off its index. */
		if (q->label_key[0] != '\0')
			return (struct searchq_drive){ "certificate_labels l JOIN "
			    "certificates c ON c.id = l.certificate",
			    "l.created_at", "l.certificate", 1, "",
			    "::timestamptz" };
		return d;
	}
}

/* A point in time as SQL, its value a parameter. */
static void
searchq_when(struct searchq_buf *b, struct searchq_sql *s,
    const struct searchq_time *t)
{
	int n = searchq_own(s, "%lld", t->secs);

	if (t->relative)
		searchq_add(b, "now() + $%d::bigint * interval '1 second'", n);
	else
		searchq_add(b, "to_timestamp($%d::double precision)", n);
}

/* Parameter numbers of the name conditions, 0 when absent. */
struct searchq_names {
	int	 exact, lo, hi, rlo, rhi;
};

/* The prefix p (1 byte at least) and the first string past every string
 * that starts with it, in byte order. */
static void
searchq_range(struct searchq_sql *s, const char *p, int *lo, int *hi)
{
	size_t n = strlen(p);

	*lo = searchq_param(s, p);
	*hi = searchq_own(s, "%.*s%c", (int)n - 1, p, p[n - 1] + 1);
}

static struct searchq_names
searchq_names_params(const struct searchq *q, struct searchq_sql *s)
{
	struct searchq_names nm = { 0, 0, 0, 0, 0 };
	char *rev;
	size_t i, n = strlen(q->suffix);

	if (q->name[0] != '\0')
		nm.exact = searchq_param(s, q->name);
	if (q->prefix[0] != '\0')
		searchq_range(s, q->prefix, &nm.lo, &nm.hi);
	if (n > 0) {
		/* reversed into the buffer of the parameter it becomes */
		rev = s->buf[s->n];
		for (i = 0; i < n; i++)
			rev[i] = q->suffix[n - 1 - i];
		rev[n] = '\0';
		searchq_range(s, rev, &nm.rlo, &nm.rhi);
	}
	return nm;
}

/* The name conditions on alias a. */
static void
searchq_names_on(struct searchq_buf *b, const struct searchq_names *nm,
    const char *a)
{
	if (nm->exact > 0)
		searchq_add(b, " AND %s.name = $%d", a, nm->exact);
	if (nm->lo > 0)
		searchq_add(b, " AND %s.name >= $%d AND %s.name < $%d", a, nm->lo,
		    a, nm->hi);
	if (nm->rlo > 0)
		searchq_add(b, " AND reverse(%s.name) >= $%d AND reverse(%s.name) "
		    "< $%d", a, nm->rlo, a, nm->rhi);
}

/* The filters on c (and n), each value a parameter; d.id names the
 * certificate of a row. */
static void
searchq_where(struct searchq_buf *b, struct searchq_sql *s,
    const struct searchq *q, enum searchq_order o,
    const struct searchq_drive *d)
{
	static const struct {
		size_t	 off;
		const char *col;
	} eq[] = {
		{ offsetof(struct searchq, status), "c.status" },
		{ offsetof(struct searchq, ca), "c.ca" },
		{ offsetof(struct searchq, key_type), "c.key_type" },
		{ offsetof(struct searchq, issuer), "c.issuer" },
		{ offsetof(struct searchq, tenant), "c.tenant" },
		{ offsetof(struct searchq, problem), "c.last_problem_type" },
	};
	struct searchq_names nm;
	const char *v;
	size_t i;
	int k;

	searchq_add(b, " WHERE TRUE");
	for (i = 0; i < sizeof(eq) / sizeof(eq[0]); i++)
		if (*(v = (const char *)q + eq[i].off) != '\0')
			searchq_add(b, " AND %s = $%d", eq[i].col,
			    searchq_param(s, v));
	if (q->sha1 >= 0)
		searchq_add(b, q->sha1 ? " AND c.sha1_in_chain" :
		    " AND c.sha1_in_chain = false");
	if (q->before.set) {
		searchq_add(b, " AND c.not_after < ");
		searchq_when(b, s, &q->before);
	}
	if (q->after.set) {
		searchq_add(b, " AND c.not_after >= ");
		searchq_when(b, s, &q->after);
	}
	if (q->renewal_due)
		searchq_add(b, " AND c.renew_at <= now()");
	if (q->label_key[0] != '\0') {
		k = searchq_param(s, q->label_key);
		if (o == SEARCHQ_CREATED)
			searchq_add(b, " AND l.key = $%d AND l.value = $%d", k,
			    searchq_param(s, q->label_value));
		else
			searchq_add(b, " AND EXISTS (SELECT 1 FROM "
			    "certificate_labels l WHERE l.certificate = %s AND "
			    "l.key = $%d AND l.value = $%d)", d->id, k,
			    searchq_param(s, q->label_value));
	}
	if (o != SEARCHQ_NAME && o != SEARCHQ_SUFFIX)
		return;
	nm = searchq_names_params(q, s);
	searchq_names_on(b, &nm, "n");
	/* One row per certificate: at its first matching name. */
	if (nm.exact == 0) {
		searchq_add(b, " AND NOT EXISTS (SELECT 1 FROM certificate_names "
		    "n2 WHERE n2.certificate = n.certificate AND %s",
		    o == SEARCHQ_NAME ? "n2.name < n.name" :
		    "reverse(n2.name) < reverse(n.name)");
		searchq_names_on(b, &nm, "n2");
		searchq_add(b, ")");
	}
}

/* The page: the match, past the cursor, in order, limit + 1 rows (the
 * extra one says whether there is a next page). */
static void
searchq_page(struct searchq_buf *b, struct searchq_sql *s,
    const struct searchq *q, enum searchq_order o)
{
	struct searchq_drive d = searchq_drive(q, o, 0);
	const char *dir = d.desc ? "DESC" : "";
	int k, id;

	searchq_add(b, "SELECT p.id, p.status, hs.names, "
	    SEARCHQ_TS("p.created_at") ", " SEARCHQ_TS("p.not_after") ", "
	    "p.tenant, p.ca, p.key_type, p.issuer, " SEARCHQ_TS("p.renew_at")
	    ", p.last_problem_type, p.sha1_in_chain::text, p.labels::text, "
	    "p.mname, %s FROM (SELECT c.id, c.status, c.hostname_set, "
	    "c.created_at, c.not_after, c.tenant, c.ca, c.key_type, c.issuer, "
	    "c.renew_at, c.last_problem_type, c.sha1_in_chain, c.labels, %s AS "
	    "mname, %s AS s1, %s AS s2 FROM %s",
	    o == SEARCHQ_NAME || o == SEARCHQ_SUFFIX ? "p.mname" :
	    SEARCHQ_TS_US("p.s1"), o == SEARCHQ_NAME || o == SEARCHQ_SUFFIX ?
	    "n.name::text" : "NULL::text", d.key, d.id, d.from);
	searchq_where(b, s, q, o, &d);
	if (q->has_cursor) {
		k = searchq_param(s, q->cursor_key);
		id = searchq_param(s, q->cursor_id);
		searchq_add(b, " AND (%s, %s) %c (%s$%d%s, $%d)", d.key, d.id,
		    d.desc ? '<' : '>', d.pre, k, d.post, id);
	}
	searchq_add(b, " ORDER BY %s %s, %s %s LIMIT %ld) p JOIN hostname_sets "
	    "hs ON hs.id = p.hostname_set ORDER BY p.s1 %s, p.s2 %s", d.key,
	    dir, d.id, dir, q->limit + 1, dir, dir);
}

int
searchq_sql(const struct searchq *q, enum searchq_stmt what,
    struct searchq_sql *out)
{
	struct searchq_buf b = { NULL, 0, 0, 0 };
	enum searchq_order o = searchq_order(q);
	struct searchq_drive d = searchq_drive(q, o, 1);

	memset(out, 0, sizeof(*out));
	if (what == SEARCHQ_PAGE)
		searchq_page(&b, out, q, o);
	else {
		searchq_add(&b, "%sSELECT 1 FROM %s", what == SEARCHQ_ESTIMATE ?
		    "EXPLAIN (FORMAT JSON) " : "SELECT count(*) FROM (", d.from);
		searchq_where(&b, out, q, o, &d);
		if (what == SEARCHQ_COUNT_ROWS && !q->exact)
			searchq_add(&b, " LIMIT %ld", searchq_count_cap(q) + 1);
		if (what == SEARCHQ_COUNT_ROWS)
			searchq_add(&b, ") m");
	}
	if (b.oom) {
		free(b.p);
		return -1;
	}
	out->sql = b.p;
	return 0;
}

void
searchq_sql_free(struct searchq_sql *s)
{
	free(s->sql);
	s->sql = NULL;
}
