# tests/peter_sslers.cmake -- peter_sslers edges unchanged: a test edge reading Redis as lua-resty-peter_sslers 0.5.0 does (styles 1 and 2), config.json, expire calls.
certfleet_unit_test(unit_netlist unit/test_netlist.c certfleet_coordinator)
certfleet_unit_test(unit_edgepath unit/test_edgepath.c certfleet_coordinator
	certfleet_hostname)
certfleet_integration_test(peter_sslers_edges
	${CMAKE_CURRENT_SOURCE_DIR}/integration/test_peter_sslers
	$<TARGET_FILE_DIR:certfleet-worker>)
set_tests_properties(peter_sslers_edges PROPERTIES TIMEOUT 400)
