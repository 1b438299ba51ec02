/* probe.h -- the breaker's directory probes: GETs of CA directories on a libcurl multi handle, driven from the main loop without blocking it. */
#ifndef CERTFLEET_COORD_PROBE_H
#define CERTFLEET_COORD_PROBE_H

#include <stddef.h>

#define PROBE_BODY_MAX	(64 * 1024)	/* a directory is a few hundred bytes */
#define PROBE_MAX	16		/* probes at once */

struct probe;

/* A prober with nothing running. Returns NULL when memory runs out. */
struct probe *probe_new(void);

/* Stops what runs and frees; NULL is accepted. */
void probe_free(struct probe *p);

/* 1 when any probe is running (then poll it often). */
int probe_busy(const struct probe *p);

/* 1 when a probe of CA name is running. */
int probe_running(const struct probe *p, const char *name);

/* Starts GET url (https only, no redirects, timeout_ms overall) for CA
 * name, trusting ca_file (NULL: the system's). Returns 0, or -1 with err
 * (nothing started). */
int probe_start(struct probe *p, const char *name, const char *url,
    const char *ca_file, long timeout_ms, char *err, size_t errlen);

/* Drives the transfers without waiting and calls done(arg, name, ok,
 * detail) for every probe that finished: ok 1 when the answer was a 200
 * with a JSON directory naming newNonce, newAccount and newOrder; detail
 * says what was wrong otherwise. */
void probe_poll(struct probe *p, void (*done)(void *arg, const char *name,
    int ok, const char *detail), void *arg);

#endif
