# signing.cmake -- signed jobs and events (issue 11, item 1): P-256 and Ed25519 sign/verify, expiry, rotation (unit); the
# signature header's parser (fuzz); unsigned, forged and expired messages on the real stack (integration).
certfleet_unit_test(unit_msgsig unit/test_msgsig.c certfleet_msgsig certfleet_base
	PkgConfig::CRYPTO)
certfleet_fuzz_target(fuzz_msgsig certfleet_msgsig certfleet_base)

# A test tool: builds jobs and events, signs them, reads dead letters.
add_executable(msgsig_tool tools/msgsig_tool.c)
target_link_libraries(msgsig_tool PRIVATE certfleet_msgsig certfleet_proto
	certfleet_kafkaconn certfleet_base PkgConfig::CRYPTO)

# kcat-produced jobs and events against a real worker and coordinator: unsigned,
# badly signed, expired, wrong key or purpose: dead-lettered, no ACME request, no
# row changed; a worker-signed result from a self-made CA refused.
certfleet_integration_test(signing ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_signing
	$<TARGET_FILE_DIR:certfleet-worker>)
