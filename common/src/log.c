/* log.c -- leveled logging to stderr, one line per call (text, or a JSON object), safe to call from any thread and with any bytes. */
#include "log.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_FIELD_MAX	128	/* bytes of a job, trace or certificate id kept */
#define LOG_TAIL	4	/* room kept for "\"}\n" and the NUL */

static const char *log_prog = "certfleet";
static enum log_level log_min = LOGL_INFO;
static enum log_format log_fmt = LOG_TEXT;

static const char *const log_names[] = {
	[LOGL_DEBUG] = "debug",
	[LOGL_INFO] = "info",
	[LOGL_WARN] = "warn",
	[LOGL_ERR] = "error",
};

int
log_level_parse(const char *s)
{
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++)
		if (strcmp(s, log_names[i]) == 0)
			return (int)i;
	return -1;
}

void
log_init(const char *progname, enum log_level min)
{
	const char *f = getenv("CERTFLEET_LOG_FORMAT");
	int env;

	log_prog = progname;
	log_min = min;
	env = log_level_parse(getenv("CERTFLEET_LOG_LEVEL"));
	if (env >= 0)
		log_min = (enum log_level)env;
	log_fmt = f != NULL && strcmp(f, "json") == 0 ? LOG_JSON : LOG_TEXT;
	if (f != NULL && f[0] != '\0' && strcmp(f, "json") != 0 &&
	    strcmp(f, "text") != 0)
		log_warn("log: CERTFLEET_LOG_FORMAT must be text or json; using "
		    "text");
}

/* ---- a bounded line buffer ---- */

struct log_buf {
	char	*p;
	size_t	 len;
	size_t	 cap;	/* bytes usable, LOG_TAIL kept back for the end */
};

static void
log_put(struct log_buf *b, const char *s, size_t n)
{
	if (n > b->cap - b->len)
		n = b->cap - b->len;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void
log_puts(struct log_buf *b, const char *s)
{
	log_put(b, s, strlen(s));
}

/* Length of the well-formed UTF-8 sequence at p[0..n) (1-4), 0 if none:
 * overlong forms, surrogates and code points past U+10FFFF are refused. */
static size_t
log_utf8_len(const unsigned char *p, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1fu;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0fu;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07u;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* Appends s[0..n) as the inside of a JSON string; stops, on a whole
 * escape, where the buffer ends. */
static void
log_put_json(struct log_buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	char esc[8];
	size_t i = 0, k;

	while (i < n) {
		k = log_utf8_len(p + i, n - i);
		if (k == 0) {
			snprintf(esc, sizeof(esc), "\\ufffd");
			k = 1;
		} else if (p[i] == '"' || p[i] == '\\')
			snprintf(esc, sizeof(esc), "\\%c", p[i]);
		else if (p[i] == '\n')
			snprintf(esc, sizeof(esc), "\\n");
		else if (p[i] == '\t')
			snprintf(esc, sizeof(esc), "\\t");
		else if (p[i] < 0x20 || p[i] == 0x7f)
			snprintf(esc, sizeof(esc), "\\u%04x", p[i]);
		else {
			if (k > b->cap - b->len)
				return;
			log_put(b, s + i, k);
			i += k;
			continue;
		}
		if (strlen(esc) > b->cap - b->len)
			return;
		log_puts(b, esc);
		i += k;
	}
}

/* ,"name":"value" with value cut at max bytes. */
static void
log_put_field(struct log_buf *b, const char *name, const char *value,
    size_t max)
{
	size_t n = strlen(value);

	log_puts(b, ",\"");
	log_puts(b, name);
	log_puts(b, "\":\"");
	log_put_json(b, value, n < max ? n : max);
	log_puts(b, "\"");
}

static void
log_line_json(struct log_buf *b, const char *stamp, enum log_level level,
    const struct log_ctx *ctx, const char *msg)
{
	const char *daemon = log_prog;
	char num[32];

	if (strncmp(daemon, "certfleet-", 10) == 0 && daemon[10] != '\0')
		daemon += 10;
	log_puts(b, "{\"ts\":\"");
	log_puts(b, stamp);
	log_puts(b, "\"");
	log_put_field(b, "level", log_names[level], LOG_FIELD_MAX);
	log_put_field(b, "daemon", daemon, LOG_FIELD_MAX);
	snprintf(num, sizeof(num), ",\"pid\":%ld", (long)getpid());
	log_puts(b, num);
	if (ctx != NULL && ctx->job_id != NULL)
		log_put_field(b, "job_id", ctx->job_id, LOG_FIELD_MAX);
	if (ctx != NULL && ctx->attempt > 0) {
		snprintf(num, sizeof(num), ",\"attempt\":%u", ctx->attempt);
		log_puts(b, num);
	}
	if (ctx != NULL && ctx->trace_id != NULL)
		log_put_field(b, "trace_id", ctx->trace_id, LOG_FIELD_MAX);
	if (ctx != NULL && ctx->certificate_id != NULL)
		log_put_field(b, "certificate_id", ctx->certificate_id,
		    LOG_FIELD_MAX);
	/* The message goes last: when a line is cut, only the message is. */
	log_puts(b, ",\"msg\":\"");
	log_put_json(b, msg, strlen(msg));
	b->cap += LOG_TAIL - 1;	/* the tail kept back, but the NUL */
	log_puts(b, "\"}\n");
}

/* Appends s with every control character but tab as '?'. */
static void
log_put_text(struct log_buf *b, const char *s, size_t max)
{
	size_t i, n = strlen(s);

	if (n > max)
		n = max;
	for (i = 0; i < n && b->len < b->cap; i++)
		b->p[b->len++] = (unsigned char)s[i] < 0x20 && s[i] != '\t' ?
		    '?' : s[i];
}

static void
log_line_text(struct log_buf *b, const char *stamp, enum log_level level,
    const struct log_ctx *ctx, const char *msg)
{
	char head[256];

	snprintf(head, sizeof(head), "%s %s[%ld] %s: ", stamp, log_prog,
	    (long)getpid(), log_names[level]);
	log_put_text(b, head, sizeof(head));
	if (ctx != NULL && ctx->job_id != NULL) {
		log_puts(b, "job ");
		log_put_text(b, ctx->job_id, LOG_FIELD_MAX);
		if (ctx->attempt > 0) {
			snprintf(head, sizeof(head), " attempt %u", ctx->attempt);
			log_puts(b, head);
		}
		if (ctx->trace_id != NULL) {
			log_puts(b, " trace ");
			log_put_text(b, ctx->trace_id, LOG_FIELD_MAX);
		}
		log_puts(b, ": ");
	}
	log_put_text(b, msg, LOG_MSG_MAX);
	b->cap += LOG_TAIL - 1;
	log_puts(b, "\n");
}

size_t
log_format_line(char *out, size_t outlen, enum log_format fmt,
    enum log_level level, const struct log_ctx *ctx, const char *msg)
{
	struct log_buf b;
	struct timespec ts;
	struct tm tm;
	char stamp[64], date[32];

	if (outlen <= LOG_TAIL) {
		if (outlen > 0)
			out[0] = '\0';
		return 0;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(stamp, sizeof(stamp), "%s.%03ldZ", date, ts.tv_nsec / 1000000);
	b.p = out;
	b.len = 0;
	b.cap = outlen - LOG_TAIL;
	if (level < LOGL_DEBUG || level > LOGL_ERR)
		level = LOGL_ERR;
	if (fmt == LOG_JSON)
		log_line_json(&b, stamp, level, ctx, msg);
	else
		log_line_text(&b, stamp, level, ctx, msg);
	out[b.len] = '\0';
	return b.len;
}

void
log_vmsg_ctx(enum log_level level, const struct log_ctx *ctx, const char *fmt,
    va_list ap)
{
	char msg[LOG_MSG_MAX], line[LOG_LINE_MAX];
	size_t n;

	if (level < log_min)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = log_format_line(line, sizeof(line), log_fmt, level, ctx, msg);
	/* One locked write per line keeps lines whole between threads. */
	fwrite(line, 1, n, stderr);
}

void
log_msg_ctx(enum log_level level, const struct log_ctx *ctx, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg_ctx(level, ctx, fmt, ap);
	va_end(ap);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg_ctx(level, NULL, fmt, ap);
	va_end(ap);
}
