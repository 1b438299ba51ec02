# flow.cmake -- flow control per CA: pacing settings, the cap's room, final problems and the retry schedule (unit); a 2,000-set burst under the cap, and three CAs that stop, die and answer 503 (integration, on CAs of their own: no stack lock).
certfleet_unit_test(unit_flow unit/test_flow.c certfleet_coordinator
	certfleet_acme_offline certfleet_base)

# Long by nature (minutes of outage), so they hold no stack lock: each brings
# its own Pebbles, responder, fault proxy, database, Kafka topics and
# consumer groups (integration/flow_lib) on ports CERTFLEET_TEST_PORT_BASE +
# 21..35, and runs while the locked tests run.
certfleet_integration_test_own(flow_burst ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_flow_burst
	$<TARGET_FILE_DIR:certfleet-worker>)
certfleet_integration_test_own(flow_outages ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_flow_outages
	$<TARGET_FILE_DIR:certfleet-worker>)
