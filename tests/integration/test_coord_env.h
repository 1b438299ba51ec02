/* test_coord_env.h -- for C tests that load the coordinator's settings against a database of their own: the environment of two CAs (ca-a, the default, and ca-b) with Kafka and Redis out of reach. */
#ifndef CERTFLEET_TEST_COORD_ENV_H
#define CERTFLEET_TEST_COORD_ENV_H

#include <stdlib.h>

/* Sets what settings_load needs besides CERTFLEET_PG: master key hex (64
 * hex characters), tokens, and the two CAs; nothing the test runs talks
 * to Kafka or Redis. */
static inline void
test_coord_env(const char *hex)
{
	setenv("KAFKA_BOOTSTRAP", "127.0.0.1:1", 1);
	setenv("REDIS_URL", "redis://127.0.0.1:1", 1);
	setenv("CERTFLEET_TOKEN", "admin-token", 1);
	setenv("CERTFLEET_WORKER_TOKEN", "worker-token", 1);
	setenv("CERTFLEET_MASTER_KEY", hex, 1);
	unsetenv("CERTFLEET_MASTER_KEY_FILE");
	setenv("ACME_DIRECTORY", "https://ca-a.test/dir", 1);
	setenv("CERTFLEET_CA_NAME", "ca-a", 1);
	setenv("CERTFLEET_CAS", "ca-b", 1);
	setenv("CERTFLEET_CA_CA_B_DIRECTORY", "https://ca-b.test/dir", 1);
}

#endif
