/* msgsig_tool.c -- test tool: builds jobs and events, signs them as msgsig.h does, and reads the dead letters about them. */
/*
 * Usage:
 *   msgsig_tool sign job|event KEYFILE PASSFILE|- EXP_MS KAFKA_KEY < PAYLOAD
 *        prints the certfleet-sig header value for PAYLOAD (for kcat -H)
 *   msgsig_tool job-ari JOB_ID DIRECTORY_URL > PAYLOAD
 *        a Job{ari_check} (attempt 1) against DIRECTORY_URL
 *   msgsig_tool job-issue JOB_ID DIRECTORY_URL NAME > PAYLOAD
 *        a Job{issue_order} for NAME with a throwaway CSR: what an attacker
 *        would submit
 *   msgsig_tool event-issued JOB_ID ATTEMPT FULLCHAIN_FILE > PAYLOAD
 *        an Event{certificate_issued} of an issue_order job
 *   msgsig_tool dlq BOOTSTRAP NEEDLE
 *        reads the dead-letter topic from its beginning to its end and
 *        prints, one per line, the reason of each dead letter whose
 *        payload holds NEEDLE
 * A test tool: never shipped.
 */
#define _GNU_SOURCE	/* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "codec.h"
#include "kafkaconn.h"
#include "msgsig.h"

#define TOOL_PAYLOAD_MAX (4 * 1024 * 1024)

static unsigned char *
slurp(FILE *fp, size_t *len)
{
	unsigned char *buf = malloc(TOOL_PAYLOAD_MAX);

	if (buf == NULL)
		exit(2);
	*len = fread(buf, 1, TOOL_PAYLOAD_MAX, fp);
	return buf;
}

static int
tool_sign(char **av)
{
	struct msgsig_signer *s;
	char err[512], hdr[MSGSIG_HEADER_MAX + 1];
	unsigned char *p;
	size_t len;

	if ((s = msgsig_signer_load(av[1], strcmp(av[2], "-") != 0 ? av[2] :
	    NULL, err, sizeof(err))) == NULL) {
		fprintf(stderr, "msgsig_tool: %s\n", err);
		return 1;
	}
	p = slurp(stdin, &len);
	if (msgsig_sign(s, strcmp(av[0], "job") == 0 ? MSGSIG_JOB :
	    MSGSIG_EVENT, strtoll(av[3], NULL, 10), av[4], strlen(av[4]), p, len,
	    hdr, sizeof(hdr), err, sizeof(err)) < 0) {
		fprintf(stderr, "msgsig_tool: %s\n", err);
		return 1;
	}
	printf("%s\n", hdr);
	free(p);
	msgsig_signer_free(s);
	return 0;
}

static int
tool_write(void *buf, size_t len)
{
	if (buf == NULL || fwrite(buf, 1, len, stdout) != len)
		return 1;
	free(buf);
	return 0;
}

static int
tool_job_ari(char **av)
{
	Certfleet__Job j = CERTFLEET__JOB__INIT;
	Certfleet__AriCheck a = CERTFLEET__ARI_CHECK__INIT;
	Certfleet__CaRef ca = CERTFLEET__CA_REF__INIT;
	size_t len = 0;
	void *buf;

	j.schema_version = PROTO_SCHEMA_VERSION;
	j.job_id = av[0];
	j.attempt = 1;
	j.trace_id = av[0];
	ca.name = "forged";
	ca.directory_url = av[1];
	a.ca = &ca;
	a.certificate_id = "cert-forged";
	a.issued_certificate_id = "ic-forged";
	a.cert_id = "AAAA.AAAA";
	j.kind_case = CERTFLEET__JOB__KIND_ARI_CHECK;
	j.ari_check = &a;
	buf = proto_job_encode(&j, &len);
	return tool_write(buf, len);
}

/* A DER CSR for name with a new P-256 key, or NULL. */
static unsigned char *
tool_csr(const char *name, size_t *len)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509_REQ *req = X509_REQ_new();
	unsigned char *der = NULL;
	int n;

	if (k == NULL || req == NULL || X509_REQ_set_pubkey(req, k) != 1 ||
	    X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN",
	    MBSTRING_ASC, (const unsigned char *)name, -1, -1, 0) != 1 ||
	    X509_REQ_sign(req, k, EVP_sha256()) <= 0 ||
	    (n = i2d_X509_REQ(req, &der)) <= 0)
		der = NULL;
	else
		*len = (size_t)n;
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	return der;
}

static int
tool_job_issue(char **av)
{
	Certfleet__Job j = CERTFLEET__JOB__INIT;
	Certfleet__IssueOrder io = CERTFLEET__ISSUE_ORDER__INIT;
	Certfleet__CaRef ca = CERTFLEET__CA_REF__INIT;
	char *names[1] = { av[2] };
	size_t len = 0, csrlen = 0;
	unsigned char *csr;
	void *buf;
	int rc;

	if ((csr = tool_csr(av[2], &csrlen)) == NULL)
		return 1;
	j.schema_version = PROTO_SCHEMA_VERSION;
	j.job_id = av[0];
	j.attempt = 1;
	j.trace_id = av[0];
	ca.name = "forged";
	ca.directory_url = av[1];
	io.ca = &ca;
	io.account_id = "acct-forged";
	io.certificate_id = "cert-forged";
	io.identifiers = names;
	io.n_identifiers = 1;
	io.csr_der.data = csr;
	io.csr_der.len = csrlen;
	io.challenge_type = "http-01";
	j.kind_case = CERTFLEET__JOB__KIND_ISSUE_ORDER;
	j.issue_order = &io;
	buf = proto_job_encode(&j, &len);
	rc = tool_write(buf, len);
	OPENSSL_free(csr);
	return rc;
}

static int
tool_event_issued(char **av)
{
	Certfleet__Event e = CERTFLEET__EVENT__INIT;
	Certfleet__CertificateIssued ci = CERTFLEET__CERTIFICATE_ISSUED__INIT;
	FILE *fp;
	size_t len = 0, n;
	char *pem;
	void *buf;
	int rc;

	if ((fp = fopen(av[2], "r")) == NULL)
		return 1;
	pem = (char *)slurp(fp, &n);
	fclose(fp);
	pem[n < TOOL_PAYLOAD_MAX ? n : TOOL_PAYLOAD_MAX - 1] = '\0';
	e.schema_version = PROTO_SCHEMA_VERSION;
	e.job_id = av[0];
	e.attempt = (uint32_t)strtoul(av[1], NULL, 10);
	e.trace_id = av[0];
	e.worker_id = "forger";
	e.at_unix_ms = 1;
	e.job_kind = CERTFLEET__JOB_KIND__JOB_KIND_ISSUE_ORDER;
	ci.order_url = "https://127.0.0.1/forged-order";
	ci.fullchain_pem = pem;
	e.kind_case = CERTFLEET__EVENT__KIND_CERTIFICATE_ISSUED;
	e.certificate_issued = &ci;
	buf = proto_event_encode(&e, &len);
	rc = tool_write(buf, len);
	free(pem);
	return rc;
}

/* The partitions of the dead-letter topic, each from its beginning. */
static rd_kafka_topic_partition_list_t *
tool_dlq_parts(rd_kafka_t *rk, int64_t **high, int *n)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_topic_t *t = rd_kafka_topic_new(rk, kafkaconn_topic_dlq(), NULL);
	int64_t lo;
	int i;

	if (rd_kafka_metadata(rk, 0, t, &md, 10000) != RD_KAFKA_RESP_ERR_NO_ERROR ||
	    md->topic_cnt != 1)
		exit(2);
	*n = md->topics[0].partition_cnt;
	l = rd_kafka_topic_partition_list_new(*n);
	*high = calloc((size_t)*n, sizeof(**high));
	for (i = 0; i < *n; i++) {
		rd_kafka_query_watermark_offsets(rk, kafkaconn_topic_dlq(), i, &lo,
		    &(*high)[i], 10000);
		rd_kafka_topic_partition_list_add(l, kafkaconn_topic_dlq(),
		    i)->offset = RD_KAFKA_OFFSET_BEGINNING;
	}
	rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(t);
	return l;
}

static int
tool_dlq(char **av)
{
	rd_kafka_conf_t *conf = kafkaconn_conf(av[0], "msgsig_tool", NULL, 0);
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_message_t *m;
	Certfleet__DeadLetter *d;
	int64_t *high, left = 0;
	int i, n, idle = 0;
	rd_kafka_t *rk;

	kafkaconn_set(conf, "group.id", "msgsig-tool", NULL, 0);
	kafkaconn_set(conf, "enable.auto.commit", "false", NULL, 0);
	if ((rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, NULL, 0)) == NULL)
		return 2;
	l = tool_dlq_parts(rk, &high, &n);
	for (i = 0; i < n; i++)
		left += high[i] > 0 ? 1 : 0;
	rd_kafka_assign(rk, l);
	while (left > 0 && idle < 100) {
		if ((m = rd_kafka_consumer_poll(rk, 100)) == NULL) {
			idle++;
			continue;
		}
		if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
			d = certfleet__dead_letter__unpack(NULL, m->len, m->payload);
			if (d != NULL && memmem(d->payload.data, d->payload.len,
			    av[1], strlen(av[1])) != NULL)
				printf("%s\n", d->reason);
			if (d != NULL)
				certfleet__dead_letter__free_unpacked(d, NULL);
			if (m->offset + 1 >= high[m->partition])
				left--;
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	free(high);
	return 0;
}

int
main(int ac, char **av)
{
	if (ac == 7 && strcmp(av[1], "sign") == 0)
		return tool_sign(av + 2);
	if (ac == 4 && strcmp(av[1], "job-ari") == 0)
		return tool_job_ari(av + 2);
	if (ac == 5 && strcmp(av[1], "job-issue") == 0)
		return tool_job_issue(av + 2);
	if (ac == 5 && strcmp(av[1], "event-issued") == 0)
		return tool_event_issued(av + 2);
	if (ac == 4 && strcmp(av[1], "dlq") == 0)
		return tool_dlq(av + 2);
	fprintf(stderr, "usage: see the head of tests/tools/msgsig_tool.c\n");
	return 2;
}
