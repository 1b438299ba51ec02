/* ops.h -- the ops listener of every daemon: GET /metrics, /healthz and /readyz on libmicrohttpd, at CERTFLEET_METRICS_LISTEN. */
#ifndef CERTFLEET_OPS_H
#define CERTFLEET_OPS_H

#include <stddef.h>
#include <sys/socket.h>

#include "health.h"
#include "metrics.h"

/*
 * Routes (GET or HEAD; another method is 405, another path 404):
 *   /metrics  200, the registry in the text exposition format 0.0.4, after
 *             the daemon's collect callback has run (one scrape at a time)
 *   /healthz  200 "ok": the process is alive and serving; never looks at a
 *             dependency, so a liveness probe stays fast when one is down
 *   /readyz   200 "ready" when every dependency answered, else 503 with one
 *             line per dependency naming the ones that failed and why. The
 *             answer is kept OPS_READY_CACHE_MS, so any number of probes
 *             cost one round of checks per period.
 * The listener runs on its own threads, one per connection (at most
 * OPS_CONN_LIMIT connections), never on the daemon's main loop: a slow
 * dependency delays /readyz, not the daemon's work, and /healthz answers
 * while a check or a scrape is in progress on another connection.
 */

#define OPS_LISTEN_ENV		"CERTFLEET_METRICS_LISTEN"
#define OPS_READY_CACHE_MS	1500	/* a /readyz answer is reused this long */
#define OPS_CONN_LIMIT		32	/* connections (and threads) at once */
#define OPS_CONN_TIMEOUT	10	/* seconds an idle connection is kept */
#define OPS_DEPS_MAX		4	/* dependencies /readyz checks */
#define OPS_LISTEN_MAX		300	/* longest listen setting */

/* A dependency /readyz checks: a health service (health.h) and where it
 * is; where NULL means the service's own variable (svc->var). */
struct ops_dep {
	const struct health_service	*svc;
	const char			*where;
};

struct ops_conf {
	const char	*daemon;	/* "coordinator", "worker", "responder" */
	struct metrics	*metrics;	/* rendered by /metrics; borrowed */
	/* Called before each render, never twice at once, on a listener
	 * thread (not the daemon's): refreshes gauges that are computed
	 * rather than counted. May be NULL. */
	void		(*collect)(void *arg);
	void		*collect_arg;
	const struct ops_dep *deps;	/* copied; up to OPS_DEPS_MAX */
	size_t		 ndeps;
};

struct ops;

/* Parses a listen setting: "ADDR:PORT" with a numeric IPv4 address or a
 * bracketed IPv6 one ("[::1]:9101"), port 1-65535, or "off". Returns 1
 * with *ss and *sslen filled, 0 for "off", or -1 with a message in err. */
int ops_listen_parse(const char *v, struct sockaddr_storage *ss,
    socklen_t *sslen, char *err, size_t errlen);

/* Starts the listener at CERTFLEET_METRICS_LISTEN, or def_listen when the
 * variable is unset or empty, and adds certfleet_build_info{version,daemon}
 * to c->metrics. Returns 0 with the listener in *out, or with *out NULL
 * when the setting is "off"; -1 with a message in err when the setting is
 * malformed, a family cannot be added, or the address cannot be bound. */
int ops_start(struct ops **out, const struct ops_conf *c,
    const char *def_listen, char *err, size_t errlen);

/* The address the listener was started on ("127.0.0.1:9101"); "" for
 * NULL. */
const char *ops_listen(const struct ops *o);

/* Stops the listener: closes its connections and joins its threads, so
 * the collect callback is not running when it returns. NULL is accepted. */
void ops_stop(struct ops *o);

#endif
