/* test_apisec.c -- unit tests of the API's security settings: token scopes per route (api_tokens.c), TLS on by default off loopback (api_conf.c), secrets from files (config_secret), librdkafka properties (kafkaprops.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "api_conf.h"
#include "api_int.h"
#include "config.h"
#include "kafkaprops.h"

static void
test_scopes(void **state)
{
	(void)state;
	assert_int_equal(api_tokens_need("certificates", "GET"), API_SCOPE_READ);
	assert_int_equal(api_tokens_need("certificates/x/cert.pem", "GET"),
	    API_SCOPE_READ);
	assert_int_equal(api_tokens_need("overview", "HEAD"), API_SCOPE_READ);
	assert_int_equal(api_tokens_need("certificates", "POST"),
	    API_SCOPE_ENROLL);
	assert_int_equal(api_tokens_need("certificates:bulk", "POST"),
	    API_SCOPE_ENROLL);
	assert_int_equal(api_tokens_need("certificates/x/renew", "POST"),
	    API_SCOPE_ENROLL);
	assert_int_equal(api_tokens_need("certificates/x/privkey.pem", "GET"),
	    API_SCOPE_ADMIN);
	assert_int_equal(api_tokens_need("certificates/x/export.p12", "POST"),
	    API_SCOPE_ADMIN);
	assert_int_equal(api_tokens_need("certificates/x/revoke", "POST"),
	    API_SCOPE_ADMIN);
	assert_int_equal(api_tokens_need("tokens", "GET"), API_SCOPE_ADMIN);
	assert_int_equal(api_tokens_need("audit", "GET"), API_SCOPE_ADMIN);
	assert_int_equal(api_tokens_need("tenants/a", "PUT"), API_SCOPE_ADMIN);
	assert_int_equal(api_tokens_need("accounts/x/deactivate", "POST"),
	    API_SCOPE_ADMIN);
	assert_string_equal(api_scope_name(API_SCOPE_ENROLL), "enroll");
}

static void
test_tls_default(void **state)
{
	struct api_conf c;
	char err[512];

	(void)state;
	unsetenv("CERTFLEET_API_TLS");
	unsetenv("CERTFLEET_API_TLS_CERT_FILE");
	unsetenv("CERTFLEET_API_TLS_KEY_FILE");
	unsetenv("CERTFLEET_API_CLIENT_CA_FILE");
	assert_int_equal(api_conf_load(&c, "127.0.0.1", err, sizeof(err)), 0);
	assert_int_equal(c.tls, 0);
	assert_int_equal(c.per_ip, API_CONF_PER_IP_DEFAULT);
	/* off loopback TLS is on, so a certificate is required */
	assert_int_equal(api_conf_load(&c, "10.1.2.3", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "CERTFLEET_API_TLS_CERT_FILE"));
	assert_int_equal(api_conf_load(&c, "0.0.0.0", err, sizeof(err)), -1);
	setenv("CERTFLEET_API_TLS", "off", 1);
	assert_int_equal(api_conf_load(&c, "10.1.2.3", err, sizeof(err)), 0);
	assert_int_equal(c.tls, 0);
	setenv("CERTFLEET_API_TLS", "maybe", 1);
	assert_int_equal(api_conf_load(&c, "127.0.0.1", err, sizeof(err)), -1);
	setenv("CERTFLEET_API_TLS", "on", 1);
	assert_int_equal(api_conf_load(&c, "127.0.0.1", err, sizeof(err)), -1);
	unsetenv("CERTFLEET_API_TLS");
	setenv("CERTFLEET_API_PER_IP_CONNECTIONS", "0", 1);
	assert_int_equal(api_conf_load(&c, "127.0.0.1", err, sizeof(err)), -1);
	unsetenv("CERTFLEET_API_PER_IP_CONNECTIONS");
	/* the TLS files are read again every minute unless told otherwise */
	assert_int_equal(api_conf_load(&c, "127.0.0.1", err, sizeof(err)), 0);
	assert_int_equal(c.reload_s, API_CONF_RELOAD_DEFAULT);
	setenv("CERTFLEET_API_TLS_RELOAD_S", "0", 1);
	assert_int_equal(api_conf_load(&c, "127.0.0.1", err, sizeof(err)), 0);
	assert_int_equal(c.reload_s, 0);
	setenv("CERTFLEET_API_TLS_RELOAD_S", "-1", 1);
	assert_int_equal(api_conf_load(&c, "127.0.0.1", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "CERTFLEET_API_TLS_RELOAD_S"));
	unsetenv("CERTFLEET_API_TLS_RELOAD_S");
	assert_int_equal(api_conf_loopback("127.9.9.9"), 1);
	assert_int_equal(api_conf_loopback("128.0.0.1"), 0);
}

static void
test_secret_file(void **state)
{
	char path[] = "/tmp/unit-apisec-XXXXXX", err[512];
	const char *v = NULL;
	FILE *f;
	int fd;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(f = fdopen(fd, "w"));
	fputs("s3cret-value\n", f);
	fclose(f);
	unsetenv("UNIT_SECRET");
	setenv("UNIT_SECRET_FILE", path, 1);
	assert_int_equal(config_secret("UNIT_SECRET", &v, err, sizeof(err)), 0);
	assert_string_equal(v, "s3cret-value");
	setenv("UNIT_SECRET", "from-env", 1);	/* the variable wins */
	assert_int_equal(config_secret("UNIT_SECRET", &v, err, sizeof(err)), 0);
	assert_string_equal(v, "from-env");
	unsetenv("UNIT_SECRET");
	unsetenv("UNIT_SECRET_FILE");
	assert_int_equal(config_secret("UNIT_OTHER", &v, err, sizeof(err)), 0);
	assert_null(v);
	setenv("UNIT_MISSING_FILE", "/nonexistent/secret", 1);
	assert_int_equal(config_secret("UNIT_MISSING", &v, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "UNIT_MISSING_FILE"));
	unlink(path);
}

struct seen {
	char	text[1024];
};

static int
collect(void *arg, const char *name, const char *value, char *err,
    size_t errlen)
{
	struct seen *s = arg;
	size_t n = strlen(s->text);

	(void)err;
	(void)errlen;
	snprintf(s->text + n, sizeof(s->text) - n, "[%s|%s]", name, value);
	return 0;
}

static void
test_kafkaprops(void **state)
{
	const char *file = "# SASL_SSL\n security.protocol = SASL_SSL\n\n"
	    "sasl.mechanisms=SCRAM-SHA-512\r\nsasl.password=a=b c\n! note\n";
	struct seen s = { "" };
	char err[512];

	(void)state;
	assert_int_equal(kafkaprops_parse(file, strlen(file), '\0', 0, "f",
	    collect, &s, err, sizeof(err)), 3);
	assert_string_equal(s.text, "[security.protocol|SASL_SSL]"
	    "[sasl.mechanisms|SCRAM-SHA-512][sasl.password|a=b c]");
	s.text[0] = '\0';
	assert_int_equal(kafkaprops_parse("a.b=1;c.d=2", 11, ';', 1, "e",
	    collect, &s, err, sizeof(err)), 2);
	assert_string_equal(s.text, "[a.b|1][c.d|2]");
	/* secrets only from the file, and never quoted in an error */
	assert_int_equal(kafkaprops_parse("sasl.password=hunter2", 21, ';', 1,
	    "e", collect, &s, err, sizeof(err)), -1);
	assert_null(strstr(err, "hunter2"));
	assert_int_equal(kafkaprops_parse("novalue", 7, '\0', 0, "f", collect,
	    &s, err, sizeof(err)), -1);
	assert_int_equal(kafkaprops_parse("Bad Name=1", 10, '\0', 0, "f",
	    collect, &s, err, sizeof(err)), -1);
	assert_int_equal(kafkaprops_parse("=1", 2, '\0', 0, "f", collect, &s,
	    err, sizeof(err)), -1);
}

static void
test_kafkaprops_apply(void **state)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[512], val[64];
	size_t n = sizeof(val);

	(void)state;
	unsetenv("CERTFLEET_KAFKA_PROPERTIES_FILE");
	setenv("CERTFLEET_KAFKA_PROPERTIES", "socket.timeout.ms=12345;"
	    "client.rack=r1", 1);
	assert_int_equal(kafkaprops_apply(conf, err, sizeof(err)), 0);
	assert_int_equal(rd_kafka_conf_get(conf, "socket.timeout.ms", val, &n),
	    RD_KAFKA_CONF_OK);
	assert_string_equal(val, "12345");
	setenv("CERTFLEET_KAFKA_PROPERTIES", "no.such.property=1", 1);
	assert_int_equal(kafkaprops_apply(conf, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no.such.property"));
	unsetenv("CERTFLEET_KAFKA_PROPERTIES");
	rd_kafka_conf_destroy(conf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scopes),
		cmocka_unit_test(test_tls_default),
		cmocka_unit_test(test_secret_file),
		cmocka_unit_test(test_kafkaprops),
		cmocka_unit_test(test_kafkaprops_apply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
