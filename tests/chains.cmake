# chains.cmake -- alternate chains, revocation, account key rollover and deactivation, key types: unit and integration tests.
certfleet_unit_test(unit_chains unit/test_chains.c certfleet_coordinator
	certfleet_acme_offline certfleet_jws)

add_executable(test_acme_manage integration/test_acme_manage.c)
target_link_libraries(test_acme_manage PRIVATE certfleet_acme certfleet_httpget
	certfleet_pem certfleet_base PkgConfig::CRYPTO PkgConfig::JANSSON
	PkgConfig::CMOCKA PkgConfig::MHD)
certfleet_integration_test(acme_manage $<TARGET_FILE:test_acme_manage>)

certfleet_integration_test(chains_flow ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_chains
	$<TARGET_FILE_DIR:certfleet-worker>)

# Verified chains (issue 11, item 4): a chain must verify to its CA's trust
# anchors (results/anchors.c); the self-made CA on the real stack is in
# tests/signing.cmake (test_signing).
certfleet_unit_test(unit_anchors unit/test_anchors.c certfleet_coordinator
	PkgConfig::CRYPTO)
