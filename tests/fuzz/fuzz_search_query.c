/* fuzz_search_query.c -- libFuzzer target: a certificate search's query arguments ("k=v&k=v", cursors included) through searchq_arg and every statement; what it accepts must give SQL whose values are all parameters. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "searchq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The statement's text holds no byte of the input: only fixed fragments
 * and numbers, every $n a parameter that exists. */
static void
check_sql(const struct searchq_sql *s)
{
	const char *p;
	int i, n;

	for (p = s->sql; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80 || *p == '\\' || *p == ';')
			abort();
	for (p = s->sql; (p = strchr(p, '$')) != NULL; p++)
		if ((n = atoi(p + 1)) < 1 || n > s->n)
			abort();
	for (i = 0; i < s->n; i++)
		if (s->params[i] == NULL)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum searchq_stmt stmts[] = { SEARCHQ_PAGE,
	    SEARCHQ_COUNT_ROWS, SEARCHQ_ESTIMATE };
	struct searchq q;
	struct searchq_sql s;
	char *buf, *kv, *eq, *save = NULL, err[512], *c;
	size_t i;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	searchq_init(&q, size > 0 && data[0] == 'C' ? SEARCHQ_COUNT :
	    SEARCHQ_LIST);
	for (kv = strtok_r(buf, "&", &save); kv != NULL;
	    kv = strtok_r(NULL, "&", &save)) {
		if ((eq = strchr(kv, '=')) != NULL)
			*eq++ = '\0';
		if (searchq_arg(&q, kv, eq, err, sizeof(err)) < 0)
			goto out;
	}
	if (searchq_check(&q, err, sizeof(err)) < 0)
		goto out;
	for (i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++) {
		if (searchq_sql(&q, stmts[i], &s) < 0)
			abort();
		check_sql(&s);
		searchq_sql_free(&s);
	}
	/* an accepted cursor makes the same cursor again */
	if (q.has_cursor && (c = searchq_cursor((enum searchq_order)
	    q.cursor_order, q.cursor_key, q.cursor_id)) == NULL)
		abort();
	else if (q.has_cursor)
		free(c);
out:
	free(buf);
	return 0;
}
