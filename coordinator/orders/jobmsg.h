/* jobmsg.h -- builds the Job messages (proto/job.proto) the coordinator puts in its outbox. */
#ifndef CERTFLEET_COORD_JOBMSG_H
#define CERTFLEET_COORD_JOBMSG_H

#include <stddef.h>
#include <stdint.h>

/* Everything an IssueOrder job carries. order_url and account_url may be
 * NULL or empty. */
struct jobmsg_issue {
	const char		*job_id;
	uint32_t		 attempt;
	const char		*trace_id;
	const char		*ca_name;
	const char		*directory_url;
	const char		*trust;		/* CA trust bundle name, NULL or "" */
	const char		*account_id;
	const char		*account_url;
	const char		*certificate_id;
	char *const		*names;		/* normalized, sorted, unique */
	size_t			 nnames;
	const unsigned char	*csr;
	size_t			 csrlen;
	const char		*order_url;
	const char		*challenge_type;	/* NULL: "http-01" */
	const char		*replaces;	/* ARI CertID, NULL or "" for none */
	const char		*profile;	/* NULL or "" for the CA's default */
};

/* Encodes a Job{issue_order}. Returns the malloc'd bytes with *len set, or
 * NULL when the message would be over PROTO_MAX_MESSAGE or memory runs out. */
void *jobmsg_issue_encode(const struct jobmsg_issue *ji, size_t *len);

/* Encodes a Job{register_account} with terms agreed; contact and trust may
 * be NULL. */
void *jobmsg_register_encode(const char *job_id, uint32_t attempt,
    const char *trace_id, const char *ca_name, const char *directory_url,
    const char *trust, const char *account_id, const char *contact, size_t *len);

enum jobmsg_action_kind {
	JOBMSG_ACTION_REVOKE,
	JOBMSG_ACTION_ROLLOVER,
	JOBMSG_ACTION_DEACTIVATE,
};

/* Everything a CaAction job carries; cert fields for REVOKE only,
 * new_key_thumbprint for ROLLOVER only. */
struct jobmsg_action {
	enum jobmsg_action_kind	 kind;
	const char		*job_id;
	uint32_t		 attempt;
	const char		*trace_id;
	const char		*ca_name;
	const char		*directory_url;	/* of the account's directory */
	const char		*trust;		/* the CA's trust bundle name, NULL or "" */
	const char		*account_id;
	const char		*account_url;
	const char		*certificate_id;
	const unsigned char	*cert_der;
	size_t			 cert_len;
	uint32_t		 reason;
	const char		*new_key_thumbprint;
};

/* Encodes a Job{ca_action}. Same contract as jobmsg_issue_encode. */
void *jobmsg_action_encode(const struct jobmsg_action *ja, size_t *len);

/* Writes the Kafka key of jobs about name: its registered domain (so one
 * domain's jobs share a partition), or name itself when it has none. */
void jobmsg_kafka_key(const char *name, char *out, size_t outlen);

#endif
