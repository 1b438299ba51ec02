/* searchq.c -- a certificate search's arguments, each checked strictly, and its cursor, which names the order, the last row's key and id. */
#include "searchq.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "cas.h"
#include "enroll.h"
#include "keys.h"
#include "tenant.h"

#define SEARCHQ_TS_LEN 27	/* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" */

typedef int searchq_fn(struct searchq *, const char *, char *, size_t);

/* 1 for the characters a name prefix or suffix may hold (hostname_normalize
 * makes names of these: LDH, dots, '*' of a wildcard; '_' is found in
 * service names). */
static int
searchq_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
	    c == '-' || c == '*' || c == '_';
}

/* v lower-cased into out when it is 1-HOSTNAME_MAX name characters. */
static int
searchq_name_part(const char *v, char *out, const char *what, char *err,
    size_t errlen)
{
	size_t i, n = strlen(v);

	if (n > HOSTNAME_MAX)
		goto bad;
	for (i = 0; i < n; i++) {
		out[i] = (char)tolower((unsigned char)v[i]);
		if (!searchq_name_char(out[i]))
			goto bad;
	}
	out[n] = '\0';
	return 0;
bad:
	snprintf(err, errlen, "%s must be 1-%d characters of a-z, 0-9, '.', "
	    "'-', '*' and '_' (international names as A-labels, xn--...)",
	    what, HOSTNAME_MAX);
	return -1;
}

/* Text the client chose (issuer, problem type, label value): at most
 * SEARCHQ_VALUE_MAX bytes, no control character. */
static int
searchq_text(const char *v, char *out, size_t outlen, const char *what,
    char *err, size_t errlen)
{
	size_t i, n = strlen(v);

	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			break;
	if (n >= outlen || i < n) {
		snprintf(err, errlen, "%s must be at most %zu bytes without "
		    "control characters", what, outlen - 1);
		return -1;
	}
	memcpy(out, v, n + 1);
	return 0;
}

static int
searchq_flag(const char *v, int *out, const char *what, char *err,
    size_t errlen)
{
	if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
		*out = 1;
	else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
		*out = 0;
	else {
		snprintf(err, errlen, "%s must be true or false", what);
		return -1;
	}
	return 0;
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar. */
static long long
searchq_days(int y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* n digits at s as a number, or -1. */
static int
searchq_digits(const char *s, int n)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* The time zone part of an RFC 3339 time: "Z" or +-HH:MM. 0 with the
 * offset in seconds, or -1. */
static int
searchq_zone(const char *s, long *off)
{
	int h, m;

	if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0') {
		*off = 0;
		return 0;
	}
	if ((s[0] != '+' && s[0] != '-') || strlen(s) != 6 || s[3] != ':' ||
	    (h = searchq_digits(s + 1, 2)) < 0 || h > 23 ||
	    (m = searchq_digits(s + 4, 2)) < 0 || m > 59)
		return -1;
	*off = (s[0] == '-' ? -1 : 1) * (h * 3600L + m * 60L);
	return 0;
}

/* RFC 3339: "YYYY-MM-DD" (midnight UTC) or a full date-time. */
static int
searchq_abs_time(const char *v, long long *secs)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int y, mo, d, h = 0, mi = 0, s = 0;
	const char *p;
	long off = 0;

	if (strlen(v) < 10 || v[4] != '-' || v[7] != '-' ||
	    (y = searchq_digits(v, 4)) < 1970 ||
	    (mo = searchq_digits(v + 5, 2)) < 1 || mo > 12 ||
	    (d = searchq_digits(v + 8, 2)) < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && (y % 4 != 0 || (y % 100 == 0 &&
	    y % 400 != 0))))
		return -1;
	if (v[10] != '\0') {
		if ((v[10] != 'T' && v[10] != 't' && v[10] != ' ') ||
		    strlen(v) < 20 || v[13] != ':' || v[16] != ':' ||
		    (h = searchq_digits(v + 11, 2)) < 0 || h > 23 ||
		    (mi = searchq_digits(v + 14, 2)) < 0 || mi > 59 ||
		    (s = searchq_digits(v + 17, 2)) < 0 || s > 60)
			return -1;
		p = v + 19;
		if (*p == '.')	/* a fraction of a second: not kept */
			for (p++; *p >= '0' && *p <= '9'; p++)
				continue;
		if (p == v + 20 || searchq_zone(p, &off) < 0)
			return -1;
	}
	*secs = searchq_days(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL + s -
	    off;
	return 0;
}

static int
searchq_time(const char *v, struct searchq_time *t, const char *what,
    char *err, size_t errlen)
{
	const char *p = v + (v[0] == '+' || v[0] == '-');
	char unit;
	int n, len;

	len = (int)strlen(p);
	unit = len > 0 ? (char)tolower((unsigned char)p[len - 1]) : '\0';
	if ((unit == 'd' || unit == 'h') && len >= 2 && len <= 7 &&
	    (n = searchq_digits(p, len - 1)) >= 0 &&
	    n <= (unit == 'd' ? SEARCHQ_REL_MAX_DAYS : SEARCHQ_REL_MAX_DAYS * 24)) {
		t->relative = 1;
		t->secs = (v[0] == '-' ? -1LL : 1LL) * n * (unit == 'd' ? 86400 :
		    3600);
	} else if (searchq_abs_time(v, &t->secs) == 0)
		t->relative = 0;
	else {
		snprintf(err, errlen, "%s must be an RFC 3339 time "
		    "(2030-01-31 or 2030-01-31T12:00:00Z) or a time from now "
		    "(7d, -2d, 12h)", what);
		return -1;
	}
	t->set = 1;
	return 0;
}

/* ---- one function per argument ---- */

static int
searchq_status(struct searchq *q, const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "pending") != 0 && strcmp(v, "issued") != 0 &&
	    strcmp(v, "failed") != 0 && strcmp(v, "revoked") != 0 &&
	    strcmp(v, "disabled") != 0 && strcmp(v, "deleted") != 0) {
		snprintf(err, errlen, "status must be pending, issued, failed, "
		    "revoked, disabled or deleted");
		return -1;
	}
	snprintf(q->status, sizeof(q->status), "%s", v);
	return 0;
}

static int
searchq_ca(struct searchq *q, const char *v, char *err, size_t errlen)
{
	if (!cas_name_ok(v)) {
		snprintf(err, errlen, "ca must be a CA name (lower-case letters, "
		    "digits and '-', at most %d)", CAS_NAME_MAX);
		return -1;
	}
	snprintf(q->ca, sizeof(q->ca), "%s", v);
	return 0;
}

static int
searchq_key_type(struct searchq *q, const char *v, char *err, size_t errlen)
{
	enum keys_type t;

	if (keys_type_parse(v, &t) < 0) {
		snprintf(err, errlen, "key_type must be " KEYS_TYPE_NAMES);
		return -1;
	}
	snprintf(q->key_type, sizeof(q->key_type), "%s", keys_type_name(t));
	return 0;
}

static int
searchq_issuer(struct searchq *q, const char *v, char *err, size_t errlen)
{
	return searchq_text(v, q->issuer, sizeof(q->issuer), "issuer", err,
	    errlen);
}

static int
searchq_problem(struct searchq *q, const char *v, char *err, size_t errlen)
{
	return searchq_text(v, q->problem, sizeof(q->problem), "problem", err,
	    errlen);
}

static int
searchq_before(struct searchq *q, const char *v, char *err, size_t errlen)
{
	return searchq_time(v, &q->before, "expiring_before", err, errlen);
}

static int
searchq_after(struct searchq *q, const char *v, char *err, size_t errlen)
{
	return searchq_time(v, &q->after, "expiring_after", err, errlen);
}

static int
searchq_due(struct searchq *q, const char *v, char *err, size_t errlen)
{
	return searchq_flag(v, &q->renewal_due, "renewal_due", err, errlen);
}

static int
searchq_sha1(struct searchq *q, const char *v, char *err, size_t errlen)
{
	return searchq_flag(v, &q->sha1, "sha1", err, errlen);
}

static int
searchq_exact(struct searchq *q, const char *v, char *err, size_t errlen)
{
	return searchq_flag(v, &q->exact, "exact", err, errlen);
}

static int
searchq_tenant(struct searchq *q, const char *v, char *err, size_t errlen)
{
	if (!tenant_name_ok(v)) {
		snprintf(err, errlen, "tenant is not a tenant name");
		return -1;
	}
	snprintf(q->tenant, sizeof(q->tenant), "%s", v);
	return 0;
}

/* label=KEY:VALUE, KEY as enrollment takes it. */
static int
searchq_label(struct searchq *q, const char *v, char *err, size_t errlen)
{
	const char *colon = strchr(v, ':');
	size_t i, n = colon != NULL ? (size_t)(colon - v) : 0;

	for (i = 0; i < n; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' &&
		    v[i] <= '9') || (i > 0 && strchr("._/-", v[i]) != NULL)))
			break;
	if (n == 0 || n > ENROLL_LABEL_KEY_MAX || i < n) {
		snprintf(err, errlen, "label must be KEY:VALUE, KEY 1-%d of "
		    "[a-z0-9._/-]", ENROLL_LABEL_KEY_MAX);
		return -1;
	}
	memcpy(q->label_key, v, n);
	q->label_key[n] = '\0';
	return searchq_text(colon + 1, q->label_value, ENROLL_LABEL_VALUE_MAX + 1,
	    "a label's value", err, errlen);
}

static int
searchq_name(struct searchq *q, const char *v, char *err, size_t errlen)
{
	char why[160];

	if (hostname_normalize(v, q->name, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "name is not a hostname: %s", why);
		return -1;
	}
	return 0;
}

static int
searchq_prefix(struct searchq *q, const char *v, char *err, size_t errlen)
{
	return searchq_name_part(v, q->prefix, "name_prefix", err, errlen);
}

static int
searchq_suffix(struct searchq *q, const char *v, char *err, size_t errlen)
{
	return searchq_name_part(v, q->suffix, "name_suffix", err, errlen);
}

static int
searchq_limit(struct searchq *q, const char *v, char *err, size_t errlen)
{
	int n = (int)strlen(v) <= 4 ? searchq_digits(v, (int)strlen(v)) : -1;

	if (n < 1 || n > SEARCHQ_LIMIT_MAX) {
		snprintf(err, errlen, "limit must be a number from 1 to %d",
		    SEARCHQ_LIMIT_MAX);
		return -1;
	}
	q->limit = n;
	return 0;
}

/* 1 when key is what the cursor of order o holds. */
static int
searchq_key_ok(char o, const char *key)
{
	static const char ts[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
	size_t i, n = strlen(key);

	if (o == SEARCHQ_NAME || o == SEARCHQ_SUFFIX) {
		for (i = 0; i < n; i++)
			if (!searchq_name_char(key[i]))
				return 0;
		return n >= 1 && n <= HOSTNAME_MAX;
	}
	if (n != SEARCHQ_TS_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if (ts[i] == 'd' ? key[i] < '0' || key[i] > '9' : key[i] != ts[i])
			return 0;
	return 1;
}

/* after=: base64url of the order's letter, the last id and its key. */
static int
searchq_after_arg(struct searchq *q, const char *v, char *err, size_t errlen)
{
	unsigned char *raw = NULL;
	size_t n = strlen(v), len = 0;
	int ok;

	ok = n <= SEARCHQ_CURSOR_MAX && b64url_charset_ok(v, n) &&
	    (raw = b64url_decode(v, n, &len)) != NULL &&
	    len > 1 + IDS_LEN && len <= 1 + IDS_LEN + HOSTNAME_MAX &&
	    memchr(raw, '\0', len) == NULL && strchr("cerns", raw[0]) != NULL;
	if (ok) {
		q->cursor_order = (char)raw[0];
		memcpy(q->cursor_id, raw + 1, IDS_LEN);
		q->cursor_id[IDS_LEN] = '\0';
		memcpy(q->cursor_key, raw + 1 + IDS_LEN, len - 1 - IDS_LEN);
		q->cursor_key[len - 1 - IDS_LEN] = '\0';
		ok = ids_valid(q->cursor_id) && searchq_key_ok(q->cursor_order,
		    q->cursor_key);
	}
	free(raw);
	if (!ok) {
		snprintf(err, errlen, "after is not a cursor of this API (use "
		    "the \"next\" of a page)");
		return -1;
	}
	q->has_cursor = 1;
	return 0;
}

static const struct {
	const char	*name;
	searchq_fn	*fn;
	int		 kind;	/* -1: both kinds */
} searchq_args[] = {
	{ "status", searchq_status, -1 },
	{ "ca", searchq_ca, -1 },
	{ "key_type", searchq_key_type, -1 },
	{ "issuer", searchq_issuer, -1 },
	{ "expiring_before", searchq_before, -1 },
	{ "expiring_after", searchq_after, -1 },
	{ "renewal_due", searchq_due, -1 },
	{ "tenant", searchq_tenant, -1 },
	{ "label", searchq_label, -1 },
	{ "name", searchq_name, -1 },
	{ "name_prefix", searchq_prefix, -1 },
	{ "name_suffix", searchq_suffix, -1 },
	{ "problem", searchq_problem, -1 },
	{ "sha1", searchq_sha1, -1 },
	{ "limit", searchq_limit, SEARCHQ_LIST },
	{ "after", searchq_after_arg, SEARCHQ_LIST },
	{ "exact", searchq_exact, SEARCHQ_COUNT },
};
#define SEARCHQ_NARGS (sizeof(searchq_args) / sizeof(searchq_args[0]))

void
searchq_init(struct searchq *q, enum searchq_kind kind)
{
	memset(q, 0, sizeof(*q));
	q->kind = kind;
	q->limit = SEARCHQ_LIMIT_DEFAULT;
	q->sha1 = -1;
}

int
searchq_arg(struct searchq *q, const char *key, const char *value,
    char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < SEARCHQ_NARGS; i++)
		if (strcmp(key, searchq_args[i].name) == 0 &&
		    (searchq_args[i].kind < 0 ||
		    searchq_args[i].kind == (int)q->kind))
			break;
	if (i == SEARCHQ_NARGS) {
		snprintf(err, errlen, "unknown argument \"%.64s\" (filters: "
		    SEARCHQ_FILTERS "; %s)", key, q->kind == SEARCHQ_LIST ?
		    "and limit, after" : "and exact");
		return -1;
	}
	if (q->seen & (1u << i)) {
		snprintf(err, errlen, "%s is given twice", key);
		return -1;
	}
	q->seen |= 1u << i;
	if (value == NULL || value[0] == '\0')
		return 0;
	if (strlen(value) > SEARCHQ_VALUE_MAX) {
		snprintf(err, errlen, "%s is over %d bytes", key,
		    SEARCHQ_VALUE_MAX);
		return -1;
	}
	return searchq_args[i].fn(q, value, err, errlen);
}

enum searchq_order
searchq_order(const struct searchq *q)
{
	if (q->name[0] != '\0' || q->prefix[0] != '\0')
		return SEARCHQ_NAME;
	if (q->suffix[0] != '\0')
		return SEARCHQ_SUFFIX;
	if (q->before.set || q->after.set)
		return SEARCHQ_EXPIRY;
	if (q->renewal_due)
		return SEARCHQ_RENEW;
	return SEARCHQ_CREATED;
}

long
searchq_count_cap(const struct searchq *q)
{
	if (q->prefix[0] != '\0' || q->suffix[0] != '\0')
		return SEARCHQ_COUNT_CAP_NAMES;
	return SEARCHQ_COUNT_CAP;
}

const char *
searchq_order_name(enum searchq_order o)
{
	switch (o) {
	case SEARCHQ_EXPIRY:
		return "not_after";
	case SEARCHQ_RENEW:
		return "renew_at";
	case SEARCHQ_NAME:
		return "name";
	case SEARCHQ_SUFFIX:
		return "name_reversed";
	case SEARCHQ_CREATED:
	default:
		return "created_at";
	}
}

int
searchq_check(const struct searchq *q, char *err, size_t errlen)
{
	if (q->has_cursor && q->cursor_order != (char)searchq_order(q)) {
		snprintf(err, errlen, "after is the cursor of a search with other "
		    "filters: give the same filters on every page");
		return -1;
	}
	return 0;
}

char *
searchq_cursor(enum searchq_order o, const char *key, const char *id)
{
	char raw[1 + IDS_LEN + HOSTNAME_MAX + 1];
	size_t n;

	if (!ids_valid(id) || !searchq_key_ok((char)o, key))
		return NULL;
	n = (size_t)snprintf(raw, sizeof(raw), "%c%s%s", (char)o, id, key);
	return b64url_encode(raw, n);
}

int
searchq_selector(const char *tenant, const char *label, char tenant_out[64],
    char key_out[64], char value_out[SEARCHQ_VALUE_MAX + 1], char *err,
    size_t errlen)
{
	struct searchq q;

	searchq_init(&q, SEARCHQ_LIST);
	if ((tenant != NULL && searchq_arg(&q, "tenant", tenant, err,
	    errlen) < 0) || (label != NULL && searchq_arg(&q, "label", label,
	    err, errlen) < 0))
		return -1;
	snprintf(tenant_out, 64, "%s", q.tenant);
	snprintf(key_out, 64, "%s", q.label_key);
	snprintf(value_out, SEARCHQ_VALUE_MAX + 1, "%s", q.label_value);
	return 0;
}
