# tests/cas.cmake -- several CAs: the CA configuration parser (unit), EAB and ordered fallback against both Pebbles, and certificates moved between them (integration).
certfleet_unit_test(unit_coord_cas unit/test_coord_cas.c certfleet_coordinator)
certfleet_integration_test(cas_eab_fallback ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_cas
	$<TARGET_FILE_DIR:certfleet-worker>)
certfleet_integration_test(ca_move ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_ca_move
	$<TARGET_FILE_DIR:certfleet-worker>)
