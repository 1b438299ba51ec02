/* log.h -- leveled logging to stderr for every certfleet program. Never pass key material. */
#ifndef CERTFLEET_LOG_H
#define CERTFLEET_LOG_H

enum log_level {
	LOGL_DEBUG,
	LOGL_INFO,
	LOGL_WARN,
	LOGL_ERR,
};

/* Sets the program name printed on every line and the lowest level printed.
 * Until called, lines carry "certfleet" and the level is LOGL_INFO. The level
 * can also come from CERTFLEET_LOG_LEVEL (debug|info|warn|error). */
void log_init(const char *progname, enum log_level min);

/* Parses "debug", "info", "warn" or "error"; returns -1 for anything else. */
int log_level_parse(const char *s);

/* Prints "<UTC time> <prog>[<pid>] <level>: <message>" on stderr. */
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOGL_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOGL_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOGL_WARN, __VA_ARGS__)
#define log_err(...) log_msg(LOGL_ERR, __VA_ARGS__)

#endif
