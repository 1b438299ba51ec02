/* ctl.h -- certfleetctl's commands and its client of the coordinator's admin API. */
#ifndef CERTFLEET_CTL_H
#define CERTFLEET_CTL_H

#include <stddef.h>
#include <stdlib.h>

#include <jansson.h>

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

/* ---- output (ctl_out.c) ---- */

/* --json: every command prints one JSON document on stdout instead of text
 * (the API's reply, or the final state after --wait). */
void ctl_json_set(int on);
int ctl_json(void);

/* Prints j compactly on one line of stdout. Returns CTL_OK, or CTL_FAILED
 * when j is NULL or does not encode. */
int ctl_emit(json_t *j);

/* Reports a failure: "certfleetctl: msg" on stderr and, with --json,
 * {"error": msg, "exit": code} on stdout. Returns code. */
int ctl_fail(int code, const char *msg);

/* Shows what a wait is at on stderr: rewritten in place on a terminal, a
 * line per change otherwise; last ends the line. */
void ctl_progress(long elapsed, const char *state, int last);

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

/* ctl_state_fn of GET /v1/accounts waited for until account arg is
 * deactivated. */
int ctl_account_state(json_t *j, void *arg, char *what, size_t len);

/* The commands: argv[0] is the command name. They return an exit code. */
int ctl_enroll(int argc, char *argv[]);
int ctl_show(int argc, char *argv[]);
int ctl_list(int argc, char *argv[]);
int ctl_renew(int argc, char *argv[]);
int ctl_retry(int argc, char *argv[]);
int ctl_revoke(int argc, char *argv[]);
int ctl_account(int argc, char *argv[]);
int ctl_ca(int argc, char *argv[]);

#endif
