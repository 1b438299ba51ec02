/* test_searchq.c -- unit tests of a certificate search's arguments, order, cursor and SQL (coordinator/api/searchq.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "b64.h"
#include "searchq.h"

#define ID1 "0f8fad5b-d9cb-469f-a165-70867728950e"

/* Parses "k=v&k=v" into q. Returns 0, or -1 with err. */
static int
parse(struct searchq *q, enum searchq_kind kind, const char *qs, char *err,
    size_t errlen)
{
	char buf[2048], *save = NULL, *kv, *eq;

	searchq_init(q, kind);
	snprintf(buf, sizeof(buf), "%s", qs);
	for (kv = strtok_r(buf, "&", &save); kv != NULL;
	    kv = strtok_r(NULL, "&", &save)) {
		if ((eq = strchr(kv, '=')) != NULL)
			*eq++ = '\0';
		if (searchq_arg(q, kv, eq, err, errlen) < 0)
			return -1;
	}
	return searchq_check(q, err, errlen);
}

/* The refusal of qs holds want. */
static void
refused(enum searchq_kind kind, const char *qs, const char *want)
{
	struct searchq q;
	char err[512] = "";

	if (parse(&q, kind, qs, err, sizeof(err)) == 0)
		fail_msg("accepted: %s", qs);
	if (strstr(err, want) == NULL)
		fail_msg("%s: \"%s\" does not say \"%s\"", qs, err, want);
}

static void
accepted(struct searchq *q, enum searchq_kind kind, const char *qs)
{
	char err[512] = "";

	if (parse(q, kind, qs, err, sizeof(err)) < 0)
		fail_msg("%s: %s", qs, err);
}

static void
test_arguments(void **state)
{
	struct searchq q;

	(void)state;
	accepted(&q, SEARCHQ_LIST, "status=issued&ca=pebble&key_type=rsa-2048&"
	    "tenant=acme&label=plan:pro&problem=urn:x:y&issuer=CN=R11,O=LE&"
	    "sha1=true&limit=5&renewal_due=1");
	assert_string_equal(q.status, "issued");
	assert_string_equal(q.ca, "pebble");
	assert_string_equal(q.key_type, "rsa-2048");
	assert_string_equal(q.tenant, "acme");
	assert_string_equal(q.label_key, "plan");
	assert_string_equal(q.label_value, "pro");
	assert_string_equal(q.problem, "urn:x:y");
	assert_string_equal(q.issuer, "CN=R11,O=LE");
	assert_int_equal(q.sha1, 1);
	assert_int_equal(q.limit, 5);
	assert_int_equal(q.renewal_due, 1);
	/* empty values are absent (an HTML form sends every field) */
	accepted(&q, SEARCHQ_LIST, "status=&name=&limit=");
	assert_string_equal(q.status, "");
	assert_int_equal(q.limit, SEARCHQ_LIMIT_DEFAULT);
	accepted(&q, SEARCHQ_LIST, "name_prefix=Shop.&name_suffix=.Customer.COM");
	assert_string_equal(q.prefix, "shop.");
	assert_string_equal(q.suffix, ".customer.com");
	accepted(&q, SEARCHQ_LIST, "name=WWW.Example.com");
	assert_string_equal(q.name, "www.example.com");
	accepted(&q, SEARCHQ_COUNT, "exact=true&status=failed");
	assert_int_equal(q.exact, 1);

	refused(SEARCHQ_LIST, "colour=red", "unknown argument \"colour\"");
	refused(SEARCHQ_LIST, "exact=true", "unknown argument \"exact\"");
	refused(SEARCHQ_COUNT, "limit=5", "unknown argument \"limit\"");
	refused(SEARCHQ_COUNT, "after=abc", "unknown argument \"after\"");
	refused(SEARCHQ_LIST, "status=issued&status=failed", "given twice");
	refused(SEARCHQ_LIST, "status=lost", "status must be");
	refused(SEARCHQ_LIST, "ca=Not_A_CA", "ca must be a CA name");
	refused(SEARCHQ_LIST, "key_type=rsa-1024", "key_type must be");
	refused(SEARCHQ_LIST, "tenant=-x", "not a tenant name");
	refused(SEARCHQ_LIST, "label=plan", "label must be KEY:VALUE");
	refused(SEARCHQ_LIST, "label=:pro", "label must be KEY:VALUE");
	refused(SEARCHQ_LIST, "label=Plan:pro", "label must be KEY:VALUE");
	refused(SEARCHQ_LIST, "issuer=a\tb", "control characters");
	refused(SEARCHQ_LIST, "name=a b.example.com", "name is not a hostname");
	refused(SEARCHQ_LIST, "name_prefix=sh%op", "name_prefix must be");
	refused(SEARCHQ_LIST, "name_suffix=.ex ample", "name_suffix must be");
	refused(SEARCHQ_LIST, "sha1=maybe", "sha1 must be true or false");
	refused(SEARCHQ_LIST, "renewal_due=yes", "renewal_due must be");
	refused(SEARCHQ_LIST, "limit=0", "limit must be a number from 1");
	refused(SEARCHQ_LIST, "limit=1001", "limit must be a number from 1");
	refused(SEARCHQ_LIST, "limit=12x", "limit must be a number from 1");
}

static void
test_values_capped(void **state)
{
	struct searchq q;
	char qs[SEARCHQ_VALUE_MAX + 32], err[512];

	(void)state;
	snprintf(qs, sizeof(qs), "issuer=");
	memset(qs + 7, 'a', SEARCHQ_VALUE_MAX);
	qs[7 + SEARCHQ_VALUE_MAX] = '\0';
	assert_int_equal(parse(&q, SEARCHQ_LIST, qs, err, sizeof(err)), 0);
	strcat(qs, "a");
	assert_int_equal(parse(&q, SEARCHQ_LIST, qs, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "over 512 bytes"));
}

static void
test_times(void **state)
{
	struct searchq q;

	(void)state;
	accepted(&q, SEARCHQ_LIST, "expiring_before=2030-01-31");
	assert_int_equal(q.before.relative, 0);
	assert_int_equal(q.before.secs, 1896048000LL);
	accepted(&q, SEARCHQ_LIST, "expiring_before=2030-01-31T12:30:15Z");
	assert_int_equal(q.before.secs, 1896048000LL + 12 * 3600 + 30 * 60 + 15);
	accepted(&q, SEARCHQ_LIST, "expiring_before=2030-01-31T12:30:15.25+02:00");
	assert_int_equal(q.before.secs, 1896048000LL + 10 * 3600 + 30 * 60 + 15);
	accepted(&q, SEARCHQ_LIST, "expiring_after=2024-02-29T00:00:00-01:30");
	assert_int_equal(q.after.secs, 1709164800LL + 5400);
	accepted(&q, SEARCHQ_LIST, "expiring_before=7d&expiring_after=-12h");
	assert_int_equal(q.before.relative, 1);
	assert_int_equal(q.before.secs, 7 * 86400);
	assert_int_equal(q.after.relative, 1);
	assert_int_equal(q.after.secs, -12 * 3600);
	accepted(&q, SEARCHQ_LIST, "expiring_before=+30d");
	assert_int_equal(q.before.secs, 30 * 86400);

	refused(SEARCHQ_LIST, "expiring_before=2023-02-29", "RFC 3339");
	refused(SEARCHQ_LIST, "expiring_before=2030-04-31", "RFC 3339");
	refused(SEARCHQ_LIST, "expiring_before=2030-13-01", "RFC 3339");
	refused(SEARCHQ_LIST, "expiring_before=1969-12-31", "RFC 3339");
	refused(SEARCHQ_LIST, "expiring_before=2030-01-31T12:30:15", "RFC 3339");
	refused(SEARCHQ_LIST, "expiring_before=2030-01-31T24:00:00Z", "RFC 3339");
	refused(SEARCHQ_LIST, "expiring_before=2030-01-31T12:30:15.Z", "RFC 3339");
	refused(SEARCHQ_LIST, "expiring_before=2030-01-31T12:30:15+2:00",
	    "RFC 3339");
	refused(SEARCHQ_LIST, "expiring_before=7w", "RFC 3339");
	refused(SEARCHQ_LIST, "expiring_before=d", "RFC 3339");
	refused(SEARCHQ_LIST, "expiring_before=99999d", "RFC 3339");
	refused(SEARCHQ_LIST, "expiring_after=now", "expiring_after must be");
}

static void
test_order(void **state)
{
	struct searchq q;

	(void)state;
	accepted(&q, SEARCHQ_LIST, "status=issued&label=a:b");
	assert_int_equal(searchq_order(&q), SEARCHQ_CREATED);
	accepted(&q, SEARCHQ_LIST, "renewal_due=true&status=issued");
	assert_int_equal(searchq_order(&q), SEARCHQ_RENEW);
	accepted(&q, SEARCHQ_LIST, "renewal_due=true&expiring_before=7d");
	assert_int_equal(searchq_order(&q), SEARCHQ_EXPIRY);
	accepted(&q, SEARCHQ_LIST, "expiring_before=7d&name_suffix=.x.com");
	assert_int_equal(searchq_order(&q), SEARCHQ_SUFFIX);
	accepted(&q, SEARCHQ_LIST, "name_prefix=a&name_suffix=.x.com");
	assert_int_equal(searchq_order(&q), SEARCHQ_NAME);
	accepted(&q, SEARCHQ_LIST, "name=a.example.com&renewal_due=1");
	assert_int_equal(searchq_order(&q), SEARCHQ_NAME);
	assert_string_equal(searchq_order_name(SEARCHQ_SUFFIX), "name_reversed");
	assert_string_equal(searchq_order_name(SEARCHQ_CREATED), "created_at");
}

static void
test_cursor(void **state)
{
	struct searchq q;
	char qs[1024], *c, *raw;

	(void)state;
	c = searchq_cursor(SEARCHQ_CREATED, "2025-03-01T10:11:12.123456Z", ID1);
	assert_non_null(c);
	snprintf(qs, sizeof(qs), "status=issued&after=%s", c);
	accepted(&q, SEARCHQ_LIST, qs);
	assert_int_equal(q.has_cursor, 1);
	assert_string_equal(q.cursor_id, ID1);
	assert_string_equal(q.cursor_key, "2025-03-01T10:11:12.123456Z");
	/* the same cursor with filters of another order */
	snprintf(qs, sizeof(qs), "renewal_due=1&after=%s", c);
	refused(SEARCHQ_LIST, qs, "other filters");
	free(c);
	c = searchq_cursor(SEARCHQ_SUFFIX, "*.shop.example.com", ID1);
	snprintf(qs, sizeof(qs), "name_suffix=.example.com&after=%s", c);
	accepted(&q, SEARCHQ_LIST, qs);
	assert_string_equal(q.cursor_key, "*.shop.example.com");
	free(c);
	/* made only of what a row holds */
	assert_null(searchq_cursor(SEARCHQ_CREATED, "2025-03-01", ID1));
	assert_null(searchq_cursor(SEARCHQ_NAME, "a b", ID1));
	assert_null(searchq_cursor(SEARCHQ_NAME, "a.example.com", "x"));
	/* forged ones are refused */
	refused(SEARCHQ_LIST, "after=!!", "not a cursor");
	raw = b64url_encode("c" ID1 "2025-03-01 10:11:12+00",
	    strlen("c" ID1 "2025-03-01 10:11:12+00"));
	snprintf(qs, sizeof(qs), "after=%s", raw);
	refused(SEARCHQ_LIST, qs, "not a cursor");
	free(raw);
	raw = b64url_encode("x" ID1 "2025-03-01T10:11:12.123456Z",
	    strlen("x" ID1 "2025-03-01T10:11:12.123456Z"));
	snprintf(qs, sizeof(qs), "after=%s", raw);
	refused(SEARCHQ_LIST, qs, "not a cursor");
	free(raw);
	raw = b64url_encode("n0f8fad5b-d9cb-469f-a165-70867728950Xa.com",
	    strlen("n0f8fad5b-d9cb-469f-a165-70867728950Xa.com"));
	snprintf(qs, sizeof(qs), "name=a.com&after=%s", raw);
	refused(SEARCHQ_LIST, qs, "not a cursor");
	free(raw);
}

/* The highest $n of sql. */
static int
max_param(const char *sql)
{
	const char *p;
	int n, max = 0;

	for (p = sql; (p = strchr(p, '$')) != NULL; p++)
		if ((n = atoi(p + 1)) > max)
			max = n;
	return max;
}

/* 1 when params[0..n) holds v. */
static int
has_param(const struct searchq_sql *s, const char *v)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->params[i], v) == 0)
			return 1;
	return 0;
}

static void
test_sql(void **state)
{
	struct searchq q;
	struct searchq_sql s;
	char qs[512], *c;

	(void)state;
	accepted(&q, SEARCHQ_LIST, "name_prefix=shop.&status=issued");
	assert_int_equal(searchq_sql(&q, SEARCHQ_PAGE, &s), 0);
	assert_int_equal(max_param(s.sql), s.n);
	assert_true(has_param(&s, "shop."));
	assert_true(has_param(&s, "shop/"));
	assert_true(has_param(&s, "issued"));
	assert_non_null(strstr(s.sql, "FROM certificate_names n JOIN"));
	assert_non_null(strstr(s.sql, "NOT EXISTS"));
	assert_non_null(strstr(s.sql, "LIMIT 101"));
	searchq_sql_free(&s);

	accepted(&q, SEARCHQ_LIST, "name_suffix=.customer.com");
	assert_int_equal(searchq_sql(&q, SEARCHQ_PAGE, &s), 0);
	assert_true(has_param(&s, "moc.remotsuc."));
	assert_true(has_param(&s, "moc.remotsuc/"));
	assert_non_null(strstr(s.sql, "ORDER BY reverse(n.name) , n.certificate"));
	searchq_sql_free(&s);

	c = searchq_cursor(SEARCHQ_CREATED, "2025-03-01T10:11:12.123456Z", ID1);
	snprintf(qs, sizeof(qs), "label=plan:pro&limit=7&after=%s", c);
	free(c);
	accepted(&q, SEARCHQ_LIST, qs);
	assert_int_equal(searchq_sql(&q, SEARCHQ_PAGE, &s), 0);
	assert_int_equal(max_param(s.sql), s.n);
	assert_non_null(strstr(s.sql, "FROM certificate_labels l JOIN"));
	assert_non_null(strstr(s.sql, "(l.created_at, l.certificate) < ("));
	assert_non_null(strstr(s.sql, "LIMIT 8"));
	assert_true(has_param(&s, ID1));
	searchq_sql_free(&s);

	accepted(&q, SEARCHQ_COUNT, "expiring_before=7d&tenant=t1&label=a:b");
	assert_int_equal(searchq_sql(&q, SEARCHQ_COUNT_ROWS, &s), 0);
	assert_int_equal(max_param(s.sql), s.n);
	assert_non_null(strstr(s.sql, "LIMIT 10001"));
	assert_non_null(strstr(s.sql, "EXISTS (SELECT 1 FROM certificate_labels"));
	assert_true(has_param(&s, "604800"));
	searchq_sql_free(&s);

	/* a name or a label alone is counted off its own table */
	accepted(&q, SEARCHQ_COUNT, "name_suffix=.customer.com&label=a:b");
	assert_int_equal(searchq_sql(&q, SEARCHQ_COUNT_ROWS, &s), 0);
	assert_null(strstr(s.sql, "certificates c"));
	assert_non_null(strstr(s.sql, "l.certificate = n.certificate"));
	searchq_sql_free(&s);
	accepted(&q, SEARCHQ_COUNT, "label=a:b");
	assert_int_equal(searchq_sql(&q, SEARCHQ_COUNT_ROWS, &s), 0);
	assert_null(strstr(s.sql, "certificates c"));
	searchq_sql_free(&s);
	accepted(&q, SEARCHQ_COUNT, "name_prefix=shop.");
	assert_int_equal(searchq_count_cap(&q), SEARCHQ_COUNT_CAP_NAMES);
	assert_int_equal(searchq_sql(&q, SEARCHQ_COUNT_ROWS, &s), 0);
	assert_non_null(strstr(s.sql, "LIMIT 1001"));
	searchq_sql_free(&s);
	accepted(&q, SEARCHQ_COUNT, "label=a:b&status=issued");
	assert_int_equal(searchq_sql(&q, SEARCHQ_COUNT_ROWS, &s), 0);
	assert_non_null(strstr(s.sql, "JOIN certificates c"));
	searchq_sql_free(&s);

	accepted(&q, SEARCHQ_COUNT, "exact=1&sha1=true");
	assert_int_equal(searchq_sql(&q, SEARCHQ_COUNT_ROWS, &s), 0);
	assert_int_equal(s.n, 0);
	assert_null(strstr(s.sql, "LIMIT"));
	assert_non_null(strstr(s.sql, "c.sha1_in_chain"));
	searchq_sql_free(&s);
	assert_int_equal(searchq_sql(&q, SEARCHQ_ESTIMATE, &s), 0);
	assert_non_null(strstr(s.sql, "EXPLAIN (FORMAT JSON)"));
	searchq_sql_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arguments),
		cmocka_unit_test(test_values_capped),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_cursor),
		cmocka_unit_test(test_sql),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
