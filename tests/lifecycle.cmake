# lifecycle.cmake -- a certificate's lifecycle (delete, disable, enable, names added or dropped, bulk delete, CAs changed): the unit tests of its bodies' parsers, their fuzz targets and the integration test on the real stack.
certfleet_unit_test(unit_coord_lifecycle unit/test_coord_lifecycle.c
	certfleet_coordinator PkgConfig::JANSSON)
# the body of POST /v1/certificates/{id}/names (coordinator/orders/lifecycle.c)
certfleet_fuzz_target(fuzz_lifecycle_names certfleet_coordinator certfleet_hostname)
# the body of POST /v1/certificates:delete (coordinator/api/deletereq.c)
certfleet_unit_test(unit_deletereq unit/test_deletereq.c
	certfleet_coordinator PkgConfig::JANSSON)
certfleet_fuzz_target(fuzz_delete_body certfleet_coordinator certfleet_hostname)
# the bodies of POST /v1/certificates/{id}/ca and :move (coordinator/api/camovereq.c;
# the integration test is cas.cmake's ca_move)
certfleet_unit_test(unit_camovereq unit/test_camovereq.c
	certfleet_coordinator PkgConfig::JANSSON)
certfleet_fuzz_target(fuzz_camove_body certfleet_coordinator certfleet_hostname)

# Delete, disable/enable, an order in flight cancelled, names added and
# dropped, against Pebble with one worker and the edge; Redis db 9 checked.
certfleet_integration_test(lifecycle
	${CMAKE_CURRENT_SOURCE_DIR}/integration/test_lifecycle
	$<TARGET_FILE_DIR:certfleet-coordinator>)
set_tests_properties(lifecycle PROPERTIES TIMEOUT 420)
