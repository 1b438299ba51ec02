/* ctl.h -- certfleetctl's commands and its client of the coordinator's admin API. */
#ifndef CERTFLEET_CTL_H
#define CERTFLEET_CTL_H

#include <stddef.h>
#include <stdlib.h>

#include <jansson.h>

#include "httpget.h"

#define CTL_MAX_REPLY (1024 * 1024)	/* largest API reply read */

/* Exit codes. */
#define CTL_OK		0
#define CTL_FAILED	1	/* the API said no, or the certificate failed */
#define CTL_USAGE	2
#define CTL_TIMEOUT	3

/* Sends method to $CERTFLEET_API + path with $CERTFLEET_TOKEN, and body as
 * JSON when not NULL. Returns the decoded JSON reply of a 2xx answer, or
 * NULL with the API's own "error" message (or the transport's) in err. */
json_t *ctl_api(const char *method, const char *path, const char *body,
    char *err, size_t errlen);

/* Sends method to $CERTFLEET_API + path with body[0..len) of content type
 * ctype (NULL: no body) and reads a reply of at most max bytes. Returns 0
 * with a 2xx reply in *r (http_response_free it), or -1 with the API's own
 * "error" message (or the transport's) in err and *r empty. */
int ctl_api_raw(const char *method, const char *path, const char *ctype,
    const char *body, size_t len, size_t max, struct http_response *r,
    char *err, size_t errlen);

/* ---- output (ctl_out.c) ---- */

/* --json: every command prints one JSON document on stdout instead of text
 * (the API's reply, or the final state after --wait). */
void ctl_json_set(int on);
int ctl_json(void);

/* Prints j compactly on one line of stdout. Returns CTL_OK, or CTL_FAILED
 * when j is NULL or does not encode. */
int ctl_emit(json_t *j);

/* GETs path for a command that prints text: returns the reply to print
 * (the caller decrefs it), or NULL when there is nothing left to do, with
 * *rc the exit code: the reply was printed as JSON (--json), or the call
 * failed (reported). */
json_t *ctl_get_text(const char *path, int *rc);

/* Reports a failure: "certfleetctl: msg" on stderr and, with --json,
 * {"error": msg, "exit": code} on stdout. Returns code. */
int ctl_fail(int code, const char *msg);

/* A string field of o, or "-" when it is absent or not a string. */
const char *ctl_field(json_t *o, const char *k);

/* Prints the strings of the JSON array names separated by sep. */
void ctl_print_names(json_t *names, const char *sep);

/* Shows what a wait is at on stderr: rewritten in place on a terminal, a
 * line per change otherwise; last ends the line. */
void ctl_progress(long elapsed, const char *state, int last);

/* ctl_progress of work done in parts: "[#####...............] 250/1000
 * sets, 3 refused" (unit "sets"; the refusals only when there are). When
 * stderr is not a terminal, a line only when the bar grows, and the last. */
#define CTL_BAR_WIDTH 20
void ctl_progress_count(long elapsed, size_t done, size_t total,
    const char *unit, size_t failed, int last);

/* ---- --wait (ctl_wait.c) ---- */

/* Reads a polled resource: 1 when it reached the state waited for, -1 when
 * it reached one that will not change (failed), 0 to keep waiting; writes
 * a short description of the state into what. */
typedef int ctl_state_fn(json_t *j, void *arg, char *what, size_t len);

/* Polls GET path every second until state says it is final or timeout
 * seconds pass, showing progress. Returns CTL_OK (the state waited for),
 * CTL_FAILED (a final failure, or the API failed), CTL_TIMEOUT; *final is
 * the last reply read when final (the caller decrefs it), else NULL. */
int ctl_wait(const char *path, ctl_state_fn *state, void *arg, long timeout,
    json_t **final);

/* ctl_state_fn of a certificate (GET /v1/certificates/{id}) waited for
 * until its status is arg ("issued", "revoked"); "failed" is final. */
int ctl_cert_state(json_t *j, void *arg, char *what, size_t len);

/* ctl_state_fn of an action (GET /v1/actions/{id}: revocation, key
 * rollover, deactivation) waited for until it is done; "failed" is final,
 * so a wait on an action the CA refused for good ends at once with its
 * problem. arg is unused. */
int ctl_action_state(json_t *j, void *arg, char *what, size_t len);

/* The commands: argv[0] is the command name. They return an exit code. */
int ctl_enroll(int argc, char *argv[]);
int ctl_show(int argc, char *argv[]);
int ctl_list(int argc, char *argv[]);
int ctl_count(int argc, char *argv[]);
int ctl_find(int argc, char *argv[]);
int ctl_tenant(int argc, char *argv[]);
int ctl_ondemand(int argc, char *argv[]);
int ctl_renew(int argc, char *argv[]);
int ctl_token(int argc, char *argv[]);
int ctl_audit(int argc, char *argv[]);
int ctl_retry(int argc, char *argv[]);
int ctl_revoke(int argc, char *argv[]);
int ctl_account(int argc, char *argv[]);
int ctl_ca(int argc, char *argv[]);
/* ctl_move.c: ca move and ca set (argv[0] "ca", argv[1] the verb). */
int ctl_ca_move(int argc, char *argv[]);
int ctl_ca_set(int argc, char *argv[]);
int ctl_import(int argc, char *argv[]);
int ctl_export(int argc, char *argv[]);
/* ctl_lifecycle.c: delete, disable and enable (ctl_able: argv[0] is the
 * verb), names, changes. */
int ctl_delete(int argc, char *argv[]);
int ctl_able(int argc, char *argv[]);
int ctl_names(int argc, char *argv[]);
int ctl_changes(int argc, char *argv[]);

/* enroll --from FILE (ctl_bulk.c): every set of FILE through
 * POST /v1/certificates:bulk; defaults holds the body fields the options
 * gave, applied to every set that does not set them. */
int ctl_enroll_from(const char *file, json_t *defaults);

#endif
