/* codec.h -- encode and strictly decode the messages that cross Kafka (job.proto, event.proto, deadletter.proto). */
#ifndef CERTFLEET_CODEC_H
#define CERTFLEET_CODEC_H

#include <stddef.h>

#include "deadletter.pb-c.h"
#include "event.pb-c.h"
#include "job.pb-c.h"

/* The schema version this build writes and the only one it reads. */
#define PROTO_SCHEMA_VERSION 1

/* Hard cap on one message's bytes, on both sides. */
#define PROTO_MAX_MESSAGE (2 * 1024 * 1024)

#define PROTO_MAX_ID 128		/* job, trace, account, certificate ids */
#define PROTO_MAX_URL 2048
#define PROTO_MAX_IDENTIFIERS 100	/* names in one certificate */
#define PROTO_MAX_CSR (16 * 1024)
#define PROTO_MAX_CERT_DER (64 * 1024)	/* one certificate to revoke */

/* Problem types of certfleet's own that the coordinator acts on (the ACME
 * ones are RFC 8555's). caUnavailable: a deferred event whose CA did not
 * answer (no connection, a timeout, a 5xx other than a 503 with
 * Retry-After): it counts against the CA's circuit breaker and spends no
 * attempt. config: the job cannot run as configured (a failed event, not
 * retryable; the detail names what to change). */
#define PROTO_PROBLEM_CA_UNAVAILABLE	"urn:certfleet:error:caUnavailable"
#define PROTO_PROBLEM_CONFIG		"urn:certfleet:error:config"

/* Decodes buf[0..len) as a Job and checks it is one a worker can run:
 * known schema version, ids present and bounded, attempt >= 1, a kind set,
 * and for each kind its required fields (normalized unique hostnames, a CSR,
 * https URLs). Returns the message (free it with proto_job_free), or NULL
 * with the reason in err: the caller dead-letters the bytes with it. */
Certfleet__Job *proto_job_decode(const void *buf, size_t len, char *err,
    size_t errlen);
void proto_job_free(Certfleet__Job *j);

/* Same for an Event, as the coordinator consumes it (problem details and
 * identifiers must be valid UTF-8, utf8.h). job_kind must name the
 * kind of job the event answers and fit the event's kind; when a worker
 * older than the field left it unset, it is filled in from the event kind
 * where that tells (all but failed and deferred, which are refused). */
Certfleet__Event *proto_event_decode(const void *buf, size_t len, char *err,
    size_t errlen);
void proto_event_free(Certfleet__Event *e);

/* For an event proto_event_decode refused: decodes buf[0..len) checking
 * only the header every message carries (schema version, job id, attempt,
 * trace id), so that the consumer can tell whose event it dead-letters.
 * Nothing beyond the header may be trusted. Returns the message (free with
 * proto_event_free), or NULL when even the header is unusable. */
Certfleet__Event *proto_event_decode_header(const void *buf, size_t len);

/* The bytes proto_event_encode would produce for e. */
size_t proto_event_size(const Certfleet__Event *e);

/* Packs a message into a malloc'd buffer the caller frees, with *len set.
 * Returns NULL when memory runs out or the message is over
 * PROTO_MAX_MESSAGE. */
void *proto_job_encode(const Certfleet__Job *j, size_t *len);
void *proto_event_encode(const Certfleet__Event *e, size_t *len);
void *proto_deadletter_encode(const Certfleet__DeadLetter *d, size_t *len);

/* The job kind of j (UNSPECIFIED when it has none), for its events. */
Certfleet__JobKind proto_job_kind_of(const Certfleet__Job *j);

/* Name of a job kind for logs ("issue_order"...; "unknown" for any other
 * value), never NULL. */
const char *proto_job_kind_name(Certfleet__JobKind k);

/* Name of an event's kind for logs ("certificate_issued"...), never NULL. */
const char *proto_event_kind_name(const Certfleet__Event *e);

#endif
