/* test_sign.h -- for tests that act as a worker: sign events as a worker does (msgsig.h, the stack's worker key), and make a test CA a trust anchor. */
#ifndef CERTFLEET_TEST_SIGN_H
#define CERTFLEET_TEST_SIGN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "msgsig.h"

/* The worker key of the environment (CERTFLEET_EVENT_SIGNING_KEY_FILE and
 * _PASSWORD_FILE, as deploy/local/stack writes them), loaded once; exits
 * when it does not load. */
static inline struct msgsig_signer *
testsig_signer(void)
{
	static struct msgsig_signer *s;
	const char *f = getenv("CERTFLEET_EVENT_SIGNING_KEY_FILE");
	char err[512];

	if (s == NULL && (f == NULL || (s = msgsig_signer_load(f,
	    getenv("CERTFLEET_EVENT_SIGNING_KEY_PASSWORD_FILE"), err,
	    sizeof(err))) == NULL)) {
		fprintf(stderr, "test_sign: no worker key: %s\n", f == NULL ?
		    "CERTFLEET_EVENT_SIGNING_KEY_FILE is not set" : err);
		exit(1);
	}
	return s;
}

/* Produces payload on the events topic under key, signed like a worker's
 * event, on partition (RD_KAFKA_PARTITION_UA: the partitioner's). Returns
 * librdkafka's answer. */
static inline rd_kafka_resp_err_t
testsig_produce_event(rd_kafka_t *producer, int32_t partition, const char *key,
    const void *payload, size_t len, const char *topic)
{
	char sig[MSGSIG_HEADER_MAX + 1], err[256];

	if (msgsig_sign(testsig_signer(), MSGSIG_EVENT, 0, key, strlen(key),
	    payload, len, sig, sizeof(sig), err, sizeof(err)) < 0) {
		fprintf(stderr, "test_sign: %s\n", err);
		exit(1);
	}
	return rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic),
	    RD_KAFKA_V_PARTITION(partition),
	    RD_KAFKA_V_KEY((void *)(uintptr_t)key, strlen(key)),
	    RD_KAFKA_V_VALUE((void *)(uintptr_t)payload, len),
	    RD_KAFKA_V_HEADER(MSGSIG_HEADER, sig, (ssize_t)strlen(sig)),
	    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
}

/* Appends root to the coordinator's trust anchors (the file
 * CERTFLEET_CA_ROOTS_FILE names: the test's own). Returns 0 or -1. */
static inline int
testsig_trust(X509 *root)
{
	const char *f = getenv("CERTFLEET_CA_ROOTS_FILE");
	FILE *fp;
	int ok;

	if (f == NULL || (fp = fopen(f, "a")) == NULL)
		return -1;
	ok = PEM_write_X509(fp, root);
	return fclose(fp) == 0 && ok == 1 ? 0 : -1;
}

#endif
