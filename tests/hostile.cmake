# hostile.cmake -- nothing stays stuck (issue 8, item 4): hostile bytes from a CA or on the events topic, poison events,
# the sweeper. Unit tests of the pieces are in proto.cmake, acme.cmake, coordinator.cmake and tests/CMakeLists.txt.

# The events topic: a coordinator on its own database, the test as worker and CA.
add_executable(test_hostile_events integration/test_hostile_events.c)
target_link_libraries(test_hostile_events PRIVATE certfleet_coordinator
	certfleet_kafkaconn certfleet_base PkgConfig::CRYPTO PkgConfig::CMOCKA)
certfleet_integration_test(hostile_events
	${CMAKE_CURRENT_SOURCE_DIR}/integration/test_hostile_events.sh
	$<TARGET_FILE:certfleet-coordinator> $<TARGET_FILE:test_hostile_events>)

# A CA that sends hostile bytes (the fault proxy before Pebble, its hostile
# answers in tests/tools/acme_fault_hostile.c) and a lost job, through the
# real daemons. On a Pebble, proxy, front, responder, database and topics of
# its own (flow_lib), beside the tests that hold the stack's lock; it takes
# the flow tests' ports, so it runs between them (tests/flow.cmake).
certfleet_integration_test_own(hostile_ca ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_hostile_ca
	$<TARGET_FILE_DIR:certfleet-worker>)
set_tests_properties(hostile_ca PROPERTIES RESOURCE_LOCK flow_ports)

# libFuzzer (clang only): a CA's certificate as the coordinator reads it
# (certinfo_parse, the chain's issuer CN), always UTF-8 PostgreSQL takes.
certfleet_fuzz_target(fuzz_certinfo certfleet_coordinator certfleet_pem
	certfleet_base PkgConfig::CRYPTO)
