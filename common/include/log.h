/* log.h -- leveled logging to stderr for every certfleet program, as text or one JSON object per line. Never pass key material. */
#ifndef CERTFLEET_LOG_H
#define CERTFLEET_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level {
	LOGL_DEBUG,
	LOGL_INFO,
	LOGL_WARN,
	LOGL_ERR,
};

enum log_format {
	LOG_TEXT,	/* "<UTC time> <prog>[<pid>] <level>: <message>" */
	LOG_JSON,	/* {"ts":...,"level":...,"daemon":...,"msg":...} */
};

#define LOG_MSG_MAX	2048	/* bytes of one message kept; the rest is cut */
#define LOG_LINE_MAX	(6 * LOG_MSG_MAX + 6144)	/* one line, escaped */

/*
 * What a line is about, when it is about a job. Any field may be NULL (or
 * attempt 0): unknown. In JSON the known ones are fields of their own
 * ("job_id", "attempt", "trace_id", "certificate_id"); in text they become
 * the prefix "job <job_id> attempt <n> trace <trace_id>: " of the message
 * (the certificate id is left to the message), as job lines always read.
 */
struct log_ctx {
	const char	*job_id;
	unsigned	 attempt;
	const char	*trace_id;
	const char	*certificate_id;
};

/* Sets the program name printed on every line and the lowest level printed.
 * Until called, lines carry "certfleet" and the level is LOGL_INFO. The level
 * can also come from CERTFLEET_LOG_LEVEL (debug|info|warn|error), the
 * format from CERTFLEET_LOG_FORMAT (text, the default, or json; anything
 * else is text, with a warning). */
void log_init(const char *progname, enum log_level min);

/* Parses "debug", "info", "warn" or "error"; returns -1 for anything else. */
int log_level_parse(const char *s);

/* Prints one line on stderr, whole even when several threads log at once.
 * The message may hold any bytes: in text, control characters (but tab)
 * become '?', so a message is always one line; in JSON, strings are
 * escaped and bytes that are not UTF-8 become U+FFFD, so every line is
 * valid JSON. */
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Same, about the job ctx describes (NULL: none). */
void log_msg_ctx(enum log_level level, const struct log_ctx *ctx,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void log_vmsg_ctx(enum log_level level, const struct log_ctx *ctx,
    const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

/* Formats the line log_msg_ctx would print for msg (its newline included)
 * into out, in format fmt, at the current time. Returns its length (less
 * than outlen). With outlen >= LOG_LINE_MAX the line is whole but for a
 * message cut where an escape would not fit (a JSON line stays valid);
 * shorter buffers get a cut line. For tests and fuzzing. */
size_t log_format_line(char *out, size_t outlen, enum log_format fmt,
    enum log_level level, const struct log_ctx *ctx, const char *msg);

#define log_debug(...) log_msg(LOGL_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOGL_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOGL_WARN, __VA_ARGS__)
#define log_err(...) log_msg(LOGL_ERR, __VA_ARGS__)

/* A log_ctx made in place: log_info_ctx(LOG_JOB(id, attempt, trace, NULL),
 * "..."). */
#define LOG_JOB(job, att, trace, cert) \
	(&(const struct log_ctx){ (job), (att), (trace), (cert) })

#define log_debug_ctx(ctx, ...) log_msg_ctx(LOGL_DEBUG, ctx, __VA_ARGS__)
#define log_info_ctx(ctx, ...) log_msg_ctx(LOGL_INFO, ctx, __VA_ARGS__)
#define log_warn_ctx(ctx, ...) log_msg_ctx(LOGL_WARN, ctx, __VA_ARGS__)
#define log_err_ctx(ctx, ...) log_msg_ctx(LOGL_ERR, ctx, __VA_ARGS__)

#endif
