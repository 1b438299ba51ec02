/* ctl.h -- certfleetctl's commands and its client of the coordinator's admin API. */
#ifndef CERTFLEET_CTL_H
#define CERTFLEET_CTL_H

#include <stddef.h>

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

/* The commands: argv[0] is the command name. They return an exit code. */
int ctl_enroll(int argc, char *argv[]);
int ctl_show(int argc, char *argv[]);
int ctl_list(int argc, char *argv[]);
int ctl_renew(int argc, char *argv[]);
int ctl_retry(int argc, char *argv[]);
int ctl_revoke(int argc, char *argv[]);
int ctl_account(int argc, char *argv[]);

#endif
