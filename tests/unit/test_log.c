/* test_log.c -- unit tests of log.c: JSON lines with job fields, hostile messages (quotes, controls, bad UTF-8), the text prefix, CERTFLEET_LOG_FORMAT. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "log.h"

static char line[LOG_LINE_MAX];

/* Formats msg as a JSON line and parses it; the caller json_decref()s. */
static json_t *
json_line(const struct log_ctx *ctx, const char *msg)
{
	json_error_t je;
	json_t *j;
	size_t n;

	n = log_format_line(line, sizeof(line), LOG_JSON, LOGL_WARN, ctx, msg);
	assert_int_equal(n, strlen(line));
	assert_true(n > 0 && line[n - 1] == '\n');
	assert_null(memchr(line, '\n', n - 1));	/* one line */
	j = json_loadb(line, n, 0, &je);
	if (j == NULL)
		fail_msg("not JSON (%s): %s", je.text, line);
	assert_true(json_is_object(j));
	return j;
}

static const char *
field(json_t *j, const char *name)
{
	return json_string_value(json_object_get(j, name));
}

static void
test_json_fields(void **state)
{
	json_t *j;

	(void)state;
	log_init("certfleet-worker", LOGL_INFO);
	j = json_line(LOG_JOB("job-1", 3, "trace-9", "cert-7"), "certificate "
	    "issued (order https://ca/o/1)");
	assert_string_equal(field(j, "level"), "warn");
	assert_string_equal(field(j, "daemon"), "worker");
	assert_string_equal(field(j, "msg"), "certificate issued (order "
	    "https://ca/o/1)");
	assert_string_equal(field(j, "job_id"), "job-1");
	assert_int_equal(json_integer_value(json_object_get(j, "attempt")), 3);
	assert_string_equal(field(j, "trace_id"), "trace-9");
	assert_string_equal(field(j, "certificate_id"), "cert-7");
	assert_int_equal(json_integer_value(json_object_get(j, "pid")), getpid());
	/* 2026-12-01T15:09:58.862Z */
	assert_int_equal(strlen(field(j, "ts")), 24);
	assert_int_equal(field(j, "ts")[23], 'Z');
	json_decref(j);
	/* Unknown fields are absent, not empty. */
	j = json_line(LOG_JOB("job-2", 0, NULL, NULL), "x");
	assert_string_equal(field(j, "job_id"), "job-2");
	assert_null(json_object_get(j, "attempt"));
	assert_null(json_object_get(j, "trace_id"));
	assert_null(json_object_get(j, "certificate_id"));
	json_decref(j);
	j = json_line(NULL, "no job");
	assert_null(json_object_get(j, "job_id"));
	json_decref(j);
}

static void
test_json_hostile(void **state)
{
	char big[LOG_MSG_MAX];
	json_t *j;

	(void)state;
	log_init("certfleet-coordinator", LOGL_INFO);
	/* quotes, backslashes, newlines and controls are escaped */
	j = json_line(NULL, "a \"quoted\" \\path\\\nsecond line\r\t\x01\x1f\x7f");
	assert_string_equal(field(j, "msg"), "a \"quoted\" \\path\\\nsecond "
	    "line\r\t\x01\x1f\x7f");
	json_decref(j);
	/* valid UTF-8 stays; each byte of a bad sequence becomes U+FFFD:
	 * a lone continuation, an overlong '/', a surrogate, a cut sequence */
	j = json_line(NULL, "caf\xc3\xa9 \xf0\x9f\x94\x92 \x80 \xc0\xaf "
	    "\xed\xa0\x80 \xe2\x82");
	assert_string_equal(field(j, "msg"), "caf\xc3\xa9 \xf0\x9f\x94\x92 "
	    "\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd "
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd");
	json_decref(j);
	/* the worst message, escaped 6 bytes per byte, still fits */
	memset(big, 0x01, sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	j = json_line(LOG_JOB(big, 1, big, big), big);
	assert_int_equal(strlen(field(j, "msg")), sizeof(big) - 1);
	json_decref(j);
	/* fields are bounded too, and escaped */
	j = json_line(LOG_JOB("j\"1", 1, "t\n", NULL), "m");
	assert_string_equal(field(j, "job_id"), "j\"1");
	assert_string_equal(field(j, "trace_id"), "t\n");
	json_decref(j);
}

static void
test_text(void **state)
{
	size_t n;

	(void)state;
	log_init("certfleet-worker", LOGL_INFO);
	n = log_format_line(line, sizeof(line), LOG_TEXT, LOGL_INFO,
	    LOG_JOB("job-1", 2, "trace-3", "cert-4"), "started (issue_order)");
	assert_int_equal(n, strlen(line));
	assert_non_null(strstr(line, " certfleet-worker["));
	assert_non_null(strstr(line, "] info: job job-1 attempt 2 trace trace-3: "
	    "started (issue_order)\n"));
	assert_null(strstr(line, "cert-4"));	/* left to the message */
	log_format_line(line, sizeof(line), LOG_TEXT, LOGL_ERR,
	    LOG_JOB("job-1", 0, NULL, NULL), "cancelled");
	assert_non_null(strstr(line, "] error: job job-1: cancelled\n"));
	/* a message is always one line: controls become '?', tab stays */
	n = log_format_line(line, sizeof(line), LOG_TEXT, LOGL_INFO, NULL,
	    "forged\nline\r\x1b[31m\tok");
	assert_non_null(strstr(line, "info: forged?line??[31m\tok\n"));
	assert_null(memchr(line, '\n', n - 1));
	/* a buffer too small still gets a terminated line */
	assert_int_equal(log_format_line(line, 3, LOG_TEXT, LOGL_INFO, NULL,
	    "x"), 0);
	assert_int_equal(line[0], '\0');
	assert_true(log_format_line(line, 40, LOG_JSON, LOGL_INFO, NULL,
	    "x") < 40);
}

/* Runs fn with stderr going to a temporary file; returns what it wrote. */
static char *
capture(void (*fn)(void))
{
	char path[] = "/tmp/test_log.XXXXXX", *text;
	int fd, saved;
	long len;
	FILE *f;

	assert_true((fd = mkstemp(path)) >= 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_non_null(f = fdopen(fd, "r"));
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	assert_non_null(text = calloc(1, (size_t)len + 1));
	assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	unlink(path);
	return text;
}

static void
log_some_json(void)
{
	setenv("CERTFLEET_LOG_FORMAT", "json", 1);
	setenv("CERTFLEET_LOG_LEVEL", "info", 1);
	log_init("certfleet-responder", LOGL_INFO);
	log_debug("not printed");
	log_info("plain %d", 1);
	log_err_ctx(LOG_JOB("j", 1, "t", NULL), "job line");
}

static void
log_bad_format(void)
{
	setenv("CERTFLEET_LOG_FORMAT", "xml", 1);
	log_init("certfleet-responder", LOGL_INFO);
	log_info("still text");
}

static void
test_env_format(void **state)
{
	json_error_t je;
	json_t *j;
	char *text, *nl;

	(void)state;
	text = capture(log_some_json);
	assert_null(strstr(text, "not printed"));
	assert_non_null(nl = strchr(text, '\n'));
	assert_non_null(j = json_loadb(text, (size_t)(nl - text), 0, &je));
	assert_string_equal(field(j, "msg"), "plain 1");
	assert_string_equal(field(j, "daemon"), "responder");
	json_decref(j);
	assert_non_null(j = json_loads(nl + 1, 0, &je));
	assert_string_equal(field(j, "level"), "error");
	assert_string_equal(field(j, "job_id"), "j");
	json_decref(j);
	free(text);
	text = capture(log_bad_format);
	assert_non_null(strstr(text, "CERTFLEET_LOG_FORMAT must be text or json"));
	assert_non_null(strstr(text, "info: still text\n"));
	free(text);
	unsetenv("CERTFLEET_LOG_FORMAT");
	log_init("certfleet", LOGL_INFO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_fields),
		cmocka_unit_test(test_json_hostile),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_env_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
