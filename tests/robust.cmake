# tests/robust.cmake -- protocol robustness: the fault-injecting ACME proxy, rate limits (429/503) deferred and recorded, badNonce, caps, the poll schedule, and fuzzing of the engine's JSON parsers.
add_executable(acme_fault_proxy tools/acme_fault_proxy.c
	tools/acme_fault_hostile.c)
target_link_libraries(acme_fault_proxy PRIVATE certfleet_base PkgConfig::CURL
	PkgConfig::JANSSON PkgConfig::MHD PkgConfig::CRYPTO)

# On a Pebble, proxy, responder, database and topics of its own (flow_lib),
# so that it runs beside the tests that hold the stack's lock; it takes the
# flow tests' ports, so it runs between them (tests/flow.cmake).
certfleet_integration_test_own(robust_faults ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_robust
	$<TARGET_FILE_DIR:certfleet-worker>)
set_tests_properties(robust_faults PROPERTIES RESOURCE_LOCK flow_ports)

# The poll/backoff schedule and the deferral of 429/503 (engine internals).
certfleet_unit_test(unit_acme_robust unit/test_acme_robust.c certfleet_acme)
target_include_directories(unit_acme_robust PRIVATE ${PROJECT_SOURCE_DIR}/common/src)

# libFuzzer targets (clang only) for the engine's directory, order and
# authorization checks; acme_parse.c is compiled in so that coverage reaches it.
foreach(target fuzz_acme_directory fuzz_acme_order fuzz_acme_authz)
	certfleet_fuzz_target(${target} certfleet_acme)
	if(TARGET ${target})
		target_sources(${target} PRIVATE ${PROJECT_SOURCE_DIR}/common/src/acme_parse.c)
		target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/common/src)
	endif()
endforeach()
# The worker reads an order's CSR with its own reader (acme_csr.c): checked
# against d2i_X509_REQ, verdict and key bytes.
certfleet_fuzz_target(fuzz_acme_csr certfleet_acme PkgConfig::CRYPTO)
if(TARGET fuzz_acme_csr)
	target_include_directories(fuzz_acme_csr PRIVATE ${PROJECT_SOURCE_DIR}/common/src)
endif()

# A raw TLS front before the fault proxy (hostile_ca): it writes an answer's
# headers back damaged (CR, LF, obs-fold, NUL), which libmicrohttpd refuses.
add_executable(acme_crlf_front tools/acme_crlf_front.c)
target_link_libraries(acme_crlf_front PRIVATE certfleet_base PkgConfig::CURL
	PkgConfig::JANSSON PkgConfig::SSL PkgConfig::CRYPTO)
