/* kafkaprops.h -- librdkafka properties from the configuration (CERTFLEET_KAFKA_PROPERTIES_FILE, CERTFLEET_KAFKA_PROPERTIES): security.protocol, sasl.*, ssl.* and any other, for every Kafka client. */
#ifndef CERTFLEET_KAFKAPROPS_H
#define CERTFLEET_KAFKAPROPS_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#define KAFKAPROPS_FILE_MAX	(64 * 1024)	/* bytes of a properties file */
#define KAFKAPROPS_LINE_MAX	4096		/* bytes of one property */
#define KAFKAPROPS_MAX		100		/* properties in all */

/* Receives one property; returns 0, or -1 with err to stop. */
typedef int kafkaprops_fn(void *arg, const char *name, const char *value,
    char *err, size_t errlen);

/*
 * Parses text[0..len): "name=value" entries separated by newlines, or with
 * sep ';' also by semicolons; blank entries and lines starting with '#' or
 * '!' are skipped, spaces around names and values cut (the format of kcat's
 * -F file and of Java's simple .properties). Names are [a-z0-9._-]. With
 * no_secrets, a name that holds a secret (password, secret, ssl.key.pem,
 * sasl.oauthbearer.config) is refused: those belong in the file. Calls fn
 * per entry. Returns the number of entries, or -1 with err (which never
 * quotes a value). where names the source in messages.
 */
int kafkaprops_parse(const char *text, size_t len, char sep, int no_secrets,
    const char *where, kafkaprops_fn *fn, void *arg, char *err, size_t errlen);

/* Applies CERTFLEET_KAFKA_PROPERTIES_FILE (read now), then
 * CERTFLEET_KAFKA_PROPERTIES (';' or newline separated, no secrets) to
 * conf. Returns 0, or -1 with err. */
int kafkaprops_apply(rd_kafka_conf_t *conf, char *err, size_t errlen);

#endif
