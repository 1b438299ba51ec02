# tests/apisec.cmake -- the API's security: token scopes, TLS settings, secrets from files, Kafka properties (unit); HTTPS, scoped tokens, the audit log, client certificates and a certificate replaced while it runs, on a coordinator of its own (integration).
certfleet_unit_test(unit_apisec unit/test_apisec.c certfleet_coordinator
	certfleet_kafkaconn certfleet_base)
certfleet_integration_test(apisec_api
	${CMAKE_CURRENT_SOURCE_DIR}/integration/test_apisec
	$<TARGET_FILE_DIR:certfleet-coordinator>)
certfleet_integration_test(apisec_daemons_tls
	${CMAKE_CURRENT_SOURCE_DIR}/integration/test_apisec_daemons
	$<TARGET_FILE_DIR:certfleet-coordinator>)
