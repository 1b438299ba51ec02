/* health.h -- "does every service I depend on answer?", for `check` subcommands and certfleetctl doctor. */
#ifndef CERTFLEET_HEALTH_H
#define CERTFLEET_HEALTH_H

#include <stdio.h>

/* Services a program may depend on; OR them together. */
#define HEALTH_POSTGRES	0x01u	/* CERTFLEET_PG: SELECT 1 */
#define HEALTH_REDIS	0x02u	/* REDIS_URL: PING */
#define HEALTH_KAFKA	0x04u	/* KAFKA_BOOTSTRAP: metadata + the project's topics */
#define HEALTH_ACME	0x08u	/* ACME_DIRECTORY (+ PEBBLE_TLS_CA): directory JSON */
#define HEALTH_ALL	0x0fu

/* Checks every service in the services mask, reading where each is from the
 * environment, and prints one line per service to out:
 * "<service> <ok|FAILED> <where> <detail>". Returns the number that failed;
 * a service whose variable is unset counts as failed, and so does one whose
 * probe is not built into the program: a service's probe comes with its
 * library (certfleet_pgconn, certfleet_redisconn, certfleet_kafkaconn,
 * certfleet_httpget for the CA), so link those the mask names. */
int health_check(unsigned services, FILE *out);

#endif
