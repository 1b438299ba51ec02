# tests/ondemand.cmake -- on-demand issuance: allow-lists, ask bodies and negative-cache keys (unit), the edge asking the coordinator for unknown names against the real stack (integration).
certfleet_unit_test(unit_allowlist unit/test_allowlist.c certfleet_coordinator
	certfleet_hostname)
certfleet_unit_test(unit_edgeask unit/test_edgeask.c certfleet_coordinator
	certfleet_hostname)

# TLS handshakes with chosen SNI, fast (tests and bench/ondemand)
add_executable(sni_hammer tools/sni_hammer.c)
target_link_libraries(sni_hammer PRIVATE certfleet_redisconn PkgConfig::SSL
	PkgConfig::CRYPTO Threads::Threads)
certfleet_integration_test(ondemand_edge
	${CMAKE_CURRENT_SOURCE_DIR}/integration/test_ondemand
	$<TARGET_FILE_DIR:certfleet-worker>)
set_tests_properties(ondemand_edge PROPERTIES TIMEOUT 600)
